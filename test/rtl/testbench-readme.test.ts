// The README's testbench example, verbatim, so the documentation keeps working.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useDut } from '../../bridge/src/testbench';

// 'example' (hdl/example), 'axi_test' (hdl/test), any top built with
// `scripts/build-rtl.sh --lib --top NAME`, or a path to a libcosim-model.so.
// fresh: true gives every test() its own model; without it the file shares one.
const dut = useDut('example', { fresh: true, logLevel: 'error' });

test('ID register', async () => {
  assert.equal(await dut().mmio.read64(0, 0x000), 0x0001_0000_c051_e001n);
});

test('DMA copy, then MSI-X after the data', async () => {
  const d = dut();
  d.memory.write(0x1000n, Buffer.from('hello, RTL')); // host memory the DMA reads
  d.mmio.write64(0, 0x020, 0x1000n); // DMA_SRC
  d.mmio.write64(0, 0x028, 0x2000n); // DMA_DST
  d.mmio.write64(0, 0x030, 10); // DMA_LEN
  d.mmio.write64(0, 0x038, 0x1 | 0x2 | (3 << 8)); // start, MSI-X vector 3 when done
  const irq = await d.nextMsix(3, { timeout: 100_000 }); // clocks until it comes (cycles)
  assert.equal(d.memory.read(0x2000n, 10).toString(), 'hello, RTL');
  assert.ok(irq.cycle > 0n && irq.cycle <= d.cycle);
});
