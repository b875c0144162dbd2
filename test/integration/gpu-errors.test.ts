// Error injection: a bad opcode, ring overruns, a bad ring size, DMA error
// responses (command data and command fetch) each set ERR_CODE / ERR_ADDR,
// raise the error vector and stop the ring; CLEAR_ERROR resumes it and a
// soft reset always recovers, even in the middle of a large copy.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { cmd } from '../../bridge/src/gpu/driver';
import { GPU_ERR, GPU_FIELD, GPU_VEC } from '../../bridge/src/gpu/regs';
import { clockRtl, eventually } from '../helpers';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ init: false });
beforeEach(async () => {
  await g.drv.init();
  g.s.peer.msixCounts.clear();
});

/**
 * Cycles the RTL is clocked before a check that something did not happen:
 * far more than the GPU takes from a cause to its interrupt, DMA write or
 * ring step (tens of cycles), so a late one would be there by then.
 */
const QUIET_CYCLES = 2000n;
const quiet = () => clockRtl(() => g.drv.read('CYCLE'), QUIET_CYCLES);

const OUTSIDE = 1n << 40n; // beyond the stand-in's guest memory: DMA there answers an error

async function halted(code: number, what: string): Promise<{ addr: bigint; head: number }> {
  await g.drv.until(async () => (await g.drv.errorState()).halted, what);
  const e = await g.drv.errorState();
  assert.equal(e.name, Object.entries(GPU_ERR).find(([, v]) => v === code)![0], what);
  await eventually(() => (g.s.peer.msixCounts.get(GPU_VEC.ERROR) ?? 0) === 1, 2000, `error interrupt for ${what}`);
  return e;
}

/** After recovery the ring runs commands again. */
async function works(): Promise<void> {
  await g.drv.submit(cmd.fill(0x40000n, 8, 0x600d600d));
  await g.drv.sync();
  assert.equal(g.s.peer.memory.read(0x40000n, 4).readUInt32LE(), 0x600d600d);
}

test('a bad opcode halts the ring at that command; soft reset recovers', async () => {
  g.s.peer.memory.write(0x50000n, Buffer.alloc(8));
  await g.drv.submit(cmd.nop(), cmd.raw(0xee), cmd.fence(0x50000n, 1n));
  const e = await halted(GPU_ERR.BAD_OPCODE, 'bad opcode');
  assert.equal(e.addr, g.drv.slotAddr(1), 'ERR_ADDR = the failing entry');
  assert.equal(e.head, 2, 'HEAD one past the failing entry');
  await quiet();
  assert.equal(g.s.peer.memory.read(0x50000n, 8).readBigUInt64LE(), 0n, 'nothing after it ran');
  await g.drv.init();
  assert.equal((await g.drv.errorState()).code, GPU_ERR.NONE);
  await works();
});

test('CLEAR_ERROR resumes the ring after the failing command', async () => {
  g.s.peer.memory.write(0x50000n, Buffer.alloc(8));
  await g.drv.submit(cmd.raw(0xee), cmd.fence(0x50000n, 5n));
  await halted(GPU_ERR.BAD_OPCODE, 'bad opcode');
  g.drv.write('RING_CTRL', (1 << GPU_FIELD.RING_CTRL_ENABLE.lsb) | (1 << GPU_FIELD.RING_CTRL_CLEAR_ERROR.lsb));
  await g.drv.waitFence(5n, 0x50000n);
  assert.equal((await g.drv.errorState()).halted, false);
  await works();
});

test('a tail at or beyond RING_SIZE is refused as RING_OVERRUN', async () => {
  await g.drv.submit(cmd.nop());
  await g.drv.sync();
  const tail = await g.drv.read('RING_TAIL');
  g.drv.doorbell(16);
  const e = await halted(GPU_ERR.RING_OVERRUN, 'tail 16 in a 16-entry ring');
  assert.equal(e.addr, 16n);
  assert.equal(await g.drv.read('RING_TAIL'), tail, 'TAIL unchanged');
  await g.drv.init();
  await works();
});

test('a tail that passes HEAD is refused as RING_OVERRUN', async () => {
  // Halt the ring (bad opcode) so HEAD stays put, clear the error with the
  // ring disabled, then move TAIL backwards past HEAD.
  await g.drv.submit(cmd.nop(), cmd.raw(0xee), cmd.nop(), cmd.nop());
  await halted(GPU_ERR.BAD_OPCODE, 'stop');
  g.drv.write('RING_CTRL', 1 << GPU_FIELD.RING_CTRL_CLEAR_ERROR.lsb);
  g.s.peer.msixCounts.clear();
  const head = Number(await g.drv.read('RING_HEAD'));
  assert.equal(head, 2);
  // Entries 2 and 3 still belong to the device: a new TAIL of 3 can only
  // mean the driver went round the ring and over them.
  g.drv.doorbell(3);
  const e = await halted(GPU_ERR.RING_OVERRUN, 'tail passing head');
  assert.equal(e.addr, 3n);
  assert.equal(Number(await g.drv.read('RING_TAIL')), 4);
  await g.drv.init();
  await works();
});

test('enabling a ring whose size is not a power of two is RING_CONFIG', async () => {
  g.drv.write('RING_CTRL', 0);
  g.drv.write('RING_SIZE', 12);
  g.drv.write('RING_CTRL', 1);
  const e = await halted(GPU_ERR.RING_CONFIG, 'ring of 12');
  assert.equal(e.addr, 12n);
  await g.drv.init();
  await works();
});

test('a DMA error response during a COPY is ERR DMA at the failing chunk', async () => {
  await g.drv.submit(cmd.copy(OUTSIDE + 0x123n, 0x60000n, 100));
  const e = await halted(GPU_ERR.DMA, 'copy from outside guest memory');
  assert.equal(e.addr, OUTSIDE + 0x123n);
  await g.drv.init();
  await works();
});

test('a command fetch that fails is ERR DMA at the ring entry', async () => {
  g.drv.write('RING_CTRL', 0);
  g.drv.write('RING_BASE', OUTSIDE);
  g.drv.write('RING_SIZE', 4);
  g.drv.write('RING_CTRL', 1);
  g.drv.doorbell(1);
  const e = await halted(GPU_ERR.DMA, 'fetch from outside guest memory');
  assert.equal(e.addr, OUTSIDE);
  await g.drv.init();
  await works();
});

test('soft reset in the middle of a 1 MiB copy drains the DMA and recovers', async () => {
  const reads = g.s.peer.dmaReads;
  await g.drv.submit(cmd.copy(0x1000000n, 0x3000000n, 1 << 20));
  await eventually(() => g.s.peer.dmaReads > reads + 20, 5000, 'copy under way');
  await g.drv.softReset();
  assert.equal(await g.drv.read('STATUS') & BigInt(1 << GPU_FIELD.STATUS_BUSY.lsb), 0n);
  await g.drv.init();
  await works();
  // MMIO answered all along.
  assert.ok((await g.drv.read('CYCLE')) > 0n);
});
