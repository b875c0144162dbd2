// The command ring under load: many commands in flight through a small
// ring that wraps many times, strict ordering of fences after the data
// they follow, and RING_TAIL as an alternative doorbell.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { cmd } from '../../bridge/src/gpu/driver';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ entries: 8 });

test('300 commands through an 8-entry ring: all run, in order, exactly once', async () => {
  const count0 = await g.drv.read('CMD_COUNT');
  const cmds = [];
  const expect: [bigint, Buffer][] = [];
  for (let i = 0; i < 100; i++) {
    const data = pattern(24 + i, 1000 + i);
    const src = 0x1000000n + BigInt(i * 0x100);
    const dst = 0x2000000n + BigInt(i * 0x100 + (i % 8));
    g.s.peer.memory.write(src, data);
    expect.push([dst, data]);
    // Each copy also overwrites a shared word, so only in-order execution leaves the last value.
    cmds.push(cmd.copy(src, dst, data.length), cmd.fill(0x30000n, 4, i), cmd.nop());
  }
  await g.drv.submit(...cmds);
  await g.drv.sync();
  for (const [dst, data] of expect) assert.equal(firstDiff(g.s.peer.memory.read(dst, data.length), data), -1, `copy to 0x${dst.toString(16)}`);
  assert.equal(g.s.peer.memory.read(0x30000n, 4).readUInt32LE(), 99);
  assert.equal(await g.drv.read('CMD_COUNT'), count0 + 301n);
  assert.equal(Number(await g.drv.read('RING_HEAD')), g.drv.tail);
  assert.equal(Number(await g.drv.read('RING_TAIL')), g.drv.tail);
});

test('a fence lands only after the data of every command before it', async () => {
  const mem = g.s.peer.memory;
  const len = 64 * 1024;
  const data = pattern(len, 7);
  mem.write(0x4000000n, data);
  mem.write(0x5000000n, Buffer.alloc(len));
  const seen: boolean[] = [];
  const write = mem.write.bind(mem);
  mem.write = (addr: bigint, b: Buffer) => {
    write(addr, b);
    if (addr === g.drv.opts.fenceAddr) seen.push(firstDiff(mem.read(0x5000000n, len), data) === -1 && mem.read(0x6000000n, 8).readBigUInt64LE() !== 0n);
  };
  try {
    mem.write(0x6000000n, Buffer.alloc(8));
    await g.drv.submit(cmd.copy(0x4000000n, 0x5000000n, len), cmd.timestamp(0x6000000n));
    await g.drv.sync();
  } finally {
    mem.write = write;
  }
  assert.deepEqual(seen, [true], 'the one fence write saw the copy and the timestamp in memory');
});

test('writing RING_TAIL in BAR0 kicks the ring like the doorbell', async () => {
  g.drv.peer.memory.write(g.drv.slotAddr(g.drv.tail), cmd.fence(0x11000n, 77n));
  g.drv.tail = (g.drv.tail + 1) % g.drv.opts.entries;
  g.drv.write('RING_TAIL', g.drv.tail);
  await g.drv.waitFence(77n, 0x11000n);
});

test('fences keep increasing across many waits', async () => {
  for (let i = 0; i < 20; i++) await g.drv.sync();
  assert.equal(g.drv.fenceValue(), g.drv.seq);
});
