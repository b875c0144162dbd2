// Each command of the GPU front-end's ring, through the broker, with guest
// memory in the stand-in: NOP, WRITE_FENCE, COPY (every direction), FILL
// (guest and VRAM), TIMESTAMP.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { cmd, CMD_FLAG } from '../../bridge/src/gpu/driver';
import { GPU_BAR } from '../../bridge/src/gpu/regs';
import { useGpu } from '../gpu-fixture';

const g = useGpu();
beforeEach(async () => {
  const e = await g.drv.errorState();
  assert.equal(e.halted, false, `device halted on ${e.name} before the test`);
});

const { SRC_VRAM, DST_VRAM } = CMD_FLAG;

async function vramRead(off: number, len: number): Promise<Buffer> {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = Number(await g.s.peer.read(GPU_BAR.VRAM, off + i, 1));
  return out;
}

test('NOP completes and counts', async () => {
  const before_ = await g.drv.read('CMD_COUNT');
  await g.drv.submit(cmd.nop(), cmd.nop(), cmd.nop());
  await g.drv.sync();
  assert.equal(await g.drv.read('CMD_COUNT'), before_ + 4n, '3 NOPs and the fence');
  assert.equal(Number(await g.drv.read('RING_HEAD')), g.drv.tail);
});

test('WRITE_FENCE writes its value to its address, or to FENCE_ADDR when the address is 0', async () => {
  await g.drv.submit(cmd.fence(0x20008n, 0x1122334455667788n));
  await g.drv.waitFence(0x1122334455667788n, 0x20008n);
  assert.equal(await g.drv.read('LAST_FENCE'), 0x1122334455667788n);
  const seq = await g.drv.fence();
  await g.drv.waitFence(seq);
  assert.equal(g.drv.fenceValue(), seq);
  assert.equal(await g.drv.read('LAST_FENCE'), seq);
});

test('WRITE_FENCE into VRAM', async () => {
  await g.drv.submit(cmd.fence(0x3000, 0xcafef00dn, DST_VRAM));
  await g.drv.sync();
  assert.equal(await g.s.peer.read(GPU_BAR.VRAM, 0x3000, 8), 0xcafef00dn);
});

test('COPY guest to guest', async () => {
  const data = pattern(1000, 1);
  g.s.peer.memory.write(0x200003n, data);
  await g.drv.submit(cmd.copy(0x200003n, 0x300005n, data.length));
  await g.drv.sync();
  assert.equal(firstDiff(g.s.peer.memory.read(0x300005n, data.length), data), -1);
});

test('COPY guest to VRAM and VRAM to guest', async () => {
  const data = pattern(333, 2);
  g.s.peer.memory.write(0x210001n, data);
  g.s.peer.memory.write(0x310000n, Buffer.alloc(400));
  await g.drv.submit(cmd.copy(0x210001n, 0x4006, data.length, DST_VRAM), cmd.copy(0x4006, 0x310002n, data.length, SRC_VRAM));
  await g.drv.sync();
  assert.equal(firstDiff(await vramRead(0x4006, data.length), data), -1, 'VRAM holds the data');
  assert.equal(firstDiff(g.s.peer.memory.read(0x310002n, data.length), data), -1, 'back in guest memory');
  assert.equal(g.s.peer.memory.read(0x310000n, 2).readUInt16LE(), 0, 'nothing before the destination');
  assert.equal(g.s.peer.memory.read(0x310002n + 333n, 1)[0], 0, 'nothing after it');
});

test('COPY VRAM to VRAM', async () => {
  const data = pattern(100, 3);
  for (let i = 0; i < data.length; i++) g.s.peer.write(GPU_BAR.VRAM, 0x5001 + i, data[i], 1);
  await g.drv.submit(cmd.copy(0x5001, 0x6007, data.length, SRC_VRAM | DST_VRAM));
  await g.drv.sync();
  assert.equal(firstDiff(await vramRead(0x6007, data.length), data), -1);
});

test('COPY of 0 bytes does nothing', async () => {
  g.s.peer.memory.write(0x320000n, Buffer.from([7]));
  await g.drv.submit(cmd.copy(0x220000n, 0x320000n, 0));
  await g.drv.sync();
  assert.equal(g.s.peer.memory.read(0x320000n, 1)[0], 7);
});

test('FILL guest memory with a 32-bit pattern, any alignment', async () => {
  g.s.peer.memory.write(0x330000n, Buffer.alloc(64, 0xee));
  await g.drv.submit(cmd.fill(0x330003n, 37, 0x44332211));
  await g.drv.sync();
  const got = g.s.peer.memory.read(0x330000n, 64);
  const want = Buffer.alloc(64, 0xee);
  for (let i = 0; i < 37; i++) want[3 + i] = 0x11 + 0x11 * (i % 4);
  assert.equal(firstDiff(got, want), -1, got.toString('hex'));
});

test('FILL VRAM, and a large guest FILL across chunks', async () => {
  await g.drv.submit(cmd.fill(0x7002, 21, 0xa5a5a5a5, DST_VRAM), cmd.fill(0x400000n, 10000, 0x03020100));
  await g.drv.sync();
  assert.ok((await vramRead(0x7002, 21)).equals(Buffer.alloc(21, 0xa5)));
  const got = g.s.peer.memory.read(0x400000n, 10000);
  assert.equal(firstDiff(got, Buffer.from(Array.from({ length: 10000 }, (_, i) => i % 4))), -1);
});

test('TIMESTAMP writes the cycle counter, increasing', async () => {
  const c0 = await g.drv.read('CYCLE');
  await g.drv.submit(cmd.timestamp(0x21000n), cmd.nop(), cmd.timestamp(0x21008n), cmd.timestamp(0x8000, DST_VRAM));
  await g.drv.sync();
  const t1 = g.s.peer.memory.read(0x21000n, 8).readBigUInt64LE();
  const t2 = g.s.peer.memory.read(0x21008n, 8).readBigUInt64LE();
  const t3 = await g.s.peer.read(GPU_BAR.VRAM, 0x8000, 8);
  const c1 = await g.drv.read('CYCLE');
  assert.ok(c0 < t1 && t1 < t2 && t2 < t3 && t3 < c1, `CYCLE ${c0} < ${t1} < ${t2} < ${t3} < ${c1}`);
});
