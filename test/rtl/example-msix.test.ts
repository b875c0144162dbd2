// The example device's MSI-X: on request, and after a DMA copy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { pattern } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';

const dut = useDut('example', { logLevel: 'error' });

for (let v = 0; v < EX.VECTORS; v++) {
  test(`MSIX_TRIGGER raises vector ${v}`, async () => {
    dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, v);
    const m = await dut().nextMsix(undefined, { timeout: 1000 });
    assert.equal(m.vector, v);
    assert.ok(m.cycle > 0n && m.cycle <= dut().cycle + 16n);
  });
}

test('a vector the device lacks raises nothing', async () => {
  const n = dut().msix.length;
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, EX.VECTORS);
  await dut().run(500);
  assert.equal(dut().msix.length, n);
});

test('the MSI-X after a DMA copy comes after the copied data', async () => {
  const data = pattern(4096, 3);
  dut().memory.write(0x100000n, data);
  let atIrq: Buffer | undefined;
  dut().once('msix', () => (atIrq = dut().memory.read(0x200000n, 4096)));
  dut().mmio.write64(EX.BAR, EX.DMA_SRC, 0x100000n);
  dut().mmio.write64(EX.BAR, EX.DMA_DST, 0x200000n);
  dut().mmio.write64(EX.BAR, EX.DMA_LEN, 4096);
  dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START | EX.CTRL_IRQ | (2 << 8));
  const m = await dut().nextMsix(2);
  assert.equal(m.vector, 2);
  assert.ok(atIrq?.equals(data), 'host memory held the copy when the MSI-X arrived');
});
