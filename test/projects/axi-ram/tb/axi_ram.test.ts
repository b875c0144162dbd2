// axi-ram's testbench: BAR0 reads back what was written, at every access
// size, with no VM (the RTL in this process).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { useDut } from 'qemu-hdl-bridge/testbench';

const dut = useDut(path.resolve(__dirname, '..'), { logLevel: 'error' });

test('the identity: 1234:a4a0, a 64 KiB BAR0, no MSI-X', () => {
  assert.equal(dut().conf.vendorId, 0x1234);
  assert.equal(dut().conf.deviceId, 0xa4a0);
  assert.equal(dut().conf.bars[0].size, 0x1_0000n);
  assert.equal(dut().conf.msix.vectors, 0);
});

test('words written at both ends and in between read back', async () => {
  const offsets = [0x0, 0x8, 0x1000, 0x7ff8, 0xfff8];
  for (const off of offsets) dut().mmio.write64(0, off, 0x0123_4567_0000_0000n + BigInt(off));
  for (const off of offsets) assert.equal(await dut().mmio.read64(0, off), 0x0123_4567_0000_0000n + BigInt(off), `offset 0x${off.toString(16)}`);
});

test('narrow writes change only their bytes', async () => {
  dut().mmio.write64(0, 0x2000, 0x1111_1111_1111_1111n);
  dut().mmio.write8(0, 0x2001, 0xa5);
  dut().mmio.write16(0, 0x2002, 0xbeef);
  dut().mmio.write32(0, 0x2004, 0xdead_c0de);
  assert.equal(await dut().mmio.read64(0, 0x2000), 0xdead_c0de_beef_a511n);
  assert.equal(await dut().mmio.read8(0, 0x2001), 0xa5);
  assert.equal(await dut().mmio.read16(0, 0x2006), 0xdead);
});
