// {{NAME}}'s testbench: drives the RTL directly from TypeScript, no VM and
// no driver, in simulated clock cycles. `npx cosim regress --project .` runs
// it before booting the guest; the API is the TypeScript testbench of
// qemu-hdl-bridge (its README).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { useDut } from 'qemu-hdl-bridge/testbench';

// BAR0 registers: rtl/{{NAME_C}}_dev.sv, driver/{{NAME_C}}_uapi.h.
const BAR = 0;
const ID = 0x00, SCRATCH = 0x08, DMA_SRC = 0x10, DMA_DST = 0x18, DMA_LEN = 0x20, DMA_CTRL = 0x28, DMA_STATUS = 0x30;
const CTRL_START = 1, CTRL_IRQ = 2;
const STATUS_BUSY = 1n, STATUS_DONE = 2n, STATUS_ERROR = 4n;

// The project folder is the model: its cosim.json names the RTL, built on
// first use and cached afterwards. One model serves every test in this file.
const dut = useDut(path.resolve(__dirname, '..'), { logLevel: 'error' });

test('the ID register and the announced identity agree', async () => {
  assert.equal(await dut().mmio.read64(BAR, ID), (1n << 32n) | (0x{{VENDOR_ID}}n << 16n) | 0x{{DEVICE_ID}}n);
  assert.equal(dut().conf.vendorId, 0x{{VENDOR_ID}});
  assert.equal(dut().conf.deviceId, 0x{{DEVICE_ID}});
  assert.equal(dut().conf.msix.vectors, 4);
});

test('SCRATCH keeps what was written, byte strobes included', async () => {
  dut().mmio.write64(BAR, SCRATCH, 0x0123_4567_89ab_cdefn);
  assert.equal(await dut().mmio.read64(BAR, SCRATCH), 0x0123_4567_89ab_cdefn);
  dut().mmio.write32(BAR, SCRATCH + 4, 0xdead_beef);
  assert.equal(await dut().mmio.read64(BAR, SCRATCH), 0xdead_beef_89ab_cdefn);
});

test('a DMA copy across 4 KiB boundaries, then its MSI-X', async () => {
  const d = dut();
  const src = 0x10ff8n, dst = 0x22f00n, len = 6000;
  const data = Buffer.from(Array.from({ length: len }, (_, i) => (i * 7 + (i >> 8) + 1) & 0xff));
  d.memory.write(src, data);
  d.memory.write(dst, Buffer.alloc(len + 8, 0x5a));
  let atIrq: Buffer | undefined;
  d.once('msix', () => (atIrq = d.memory.read(dst, len)));
  d.mmio.write64(BAR, DMA_SRC, src);
  d.mmio.write64(BAR, DMA_DST, dst);
  d.mmio.write64(BAR, DMA_LEN, len);
  d.mmio.write64(BAR, DMA_CTRL, CTRL_START | CTRL_IRQ | (2 << 8));
  await d.nextMsix(2, { timeout: 200_000 });
  assert.ok(atIrq?.equals(data), 'the copy was in host memory when the MSI-X came');
  assert.equal(await d.mmio.read64(BAR, DMA_STATUS), STATUS_DONE);
  assert.deepEqual([...d.memory.read(dst + BigInt(len), 8)], Array(8).fill(0x5a), 'nothing written past the end');
});

test('a length that is not a multiple of 8 is refused with the error bit', async () => {
  dut().mmio.write64(BAR, DMA_LEN, 12);
  dut().mmio.write64(BAR, DMA_CTRL, CTRL_START);
  let st = await dut().mmio.read64(BAR, DMA_STATUS);
  while (st & STATUS_BUSY) st = await dut().mmio.read64(BAR, DMA_STATUS);
  assert.equal(st, STATUS_DONE | STATUS_ERROR);
});
