// The example device's registers and RAM through the testbench's MMIO, no VM.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { pattern } from '../../bridge/src/example-ops';
import { AccessSize, useDut } from '../../bridge/src/testbench';

const dut = useDut('example', { logLevel: 'error' });

test('the announced configuration is the example device', () => {
  const c = dut().conf;
  assert.equal(c.vendorId, 0x1234);
  assert.equal(c.deviceId, 0xc051);
  assert.equal(c.msix.vectors, EX.VECTORS);
  assert.equal(c.bars[0].size, 0x10000n);
  assert.equal(c.bars[2].size, 0x1000n);
});

test('ID register reads at every size', async () => {
  assert.equal(await dut().mmio.read64(EX.BAR, EX.ID), EX.ID_VALUE);
  assert.equal(await dut().mmio.read32(EX.BAR, EX.ID), Number(EX.ID_VALUE & 0xffffffffn));
  assert.equal(await dut().mmio.read16(EX.BAR, EX.ID + 2), Number((EX.ID_VALUE >> 16n) & 0xffffn));
  assert.equal(await dut().mmio.read8(EX.BAR, EX.ID + 4), Number((EX.ID_VALUE >> 32n) & 0xffn));
});

test('write then read back every size and lane', async () => {
  for (const size of [1, 2, 4, 8] as AccessSize[]) {
    for (let lane = 0; lane < 8; lane += size) {
      const value = BigInt.asUintN(size * 8, 0x8877665544332211n * BigInt(lane + size) + 0x0102030405060708n);
      const off = EX.REGFILE + 8 * (size - 1) + lane;
      dut().mmio.write(EX.BAR, off, value, size);
      assert.equal(await dut().mmio.read(EX.BAR, off, size), value, `BAR0+0x${off.toString(16)} size ${size}`);
    }
  }
});

test('a read after 16 posted writes sees all of them', async () => {
  for (let i = 0; i < 16; i++) dut().mmio.write64(EX.BAR, EX.REGFILE + 8 * i, 0x1000n + BigInt(i));
  const got = await Promise.all(Array.from({ length: 16 }, (_, i) => dut().mmio.read64(EX.BAR, EX.REGFILE + 8 * i)));
  assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => 0x1000n + BigInt(i)));
});

test('BAR2 RAM bytes written one at a time read back as words', async () => {
  const data = pattern(64, 7);
  for (let i = 0; i < 64; i++) dut().mmio.write8(EX.RAM_BAR, 0x100 + i, data[i]);
  for (let i = 0; i < 64; i += 8) assert.equal(await dut().mmio.read64(EX.RAM_BAR, 0x100 + i), data.readBigUInt64LE(i));
});

test('an access in the error window fails with the device error', async () => {
  await assert.rejects(dut().mmio.read32(EX.BAR, EX.ERROR_WINDOW), /answered with an error/);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.ID), EX.ID_VALUE, 'the device keeps working');
});

test('the cycle counter register follows the testbench clock', async () => {
  const a = await dut().mmio.read64(EX.BAR, EX.CYCLE);
  const c0 = dut().cycle;
  await dut().run(1000);
  const b = await dut().mmio.read64(EX.BAR, EX.CYCLE);
  const elapsed = dut().cycle - c0;
  assert.ok(b - a >= 1000n && b - a <= elapsed + 64n, `CYCLE advanced ${b - a} while the testbench clocked ${elapsed}`);
});
