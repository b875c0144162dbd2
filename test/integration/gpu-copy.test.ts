// Big and unaligned copies through the GPU front-end's copy engine: guest to
// guest with several DMA reads in flight, every small length and alignment,
// and a guest -> VRAM -> guest round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { cmd, CMD_FLAG } from '../../bridge/src/gpu/driver';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ entries: 64, timeoutMs: 30000 });

function guarded(dst: bigint, len: number): void {
  g.s.peer.memory.write(dst - 8n, Buffer.alloc(len + 16, 0x5a));
}
function checkGuards(dst: bigint, len: number, what: string): void {
  assert.ok(g.s.peer.memory.read(dst - 8n, 8).equals(Buffer.alloc(8, 0x5a)), `${what}: nothing written before the destination`);
  assert.ok(g.s.peer.memory.read(dst + BigInt(len), 8).equals(Buffer.alloc(8, 0x5a)), `${what}: nothing written after it`);
}

test('256 KiB guest to guest, source and destination misaligned differently, each 16 KiB chunk one DMA read', async () => {
  const len = 256 * 1024 + 3;
  const data = pattern(len, 1);
  g.s.peer.memory.write(0x1000003n, data);
  guarded(0x2000006n, len);
  const reads = g.s.peer.dmaReads;
  await g.drv.submit(cmd.copy(0x1000003n, 0x2000006n, len));
  await g.drv.sync();
  assert.equal(firstDiff(g.s.peer.memory.read(0x2000006n, len), data), -1);
  checkGuards(0x2000006n, len, '256 KiB');
  // The copy engine asks for a chunk (up to 16 KiB) as bursts in flight together, which the shim gathers into one read.
  const n = g.s.peer.dmaReads - reads;
  assert.ok(n >= len / 16384 && n < len / 4096, `${n} DMA reads for ${len} bytes`);
});

test('every length 1..40 at every source/destination alignment pair (8 x 8)', async () => {
  const cases: { src: bigint; dst: bigint; data: Buffer }[] = [];
  let at = 0x3000000n;
  for (let so = 0; so < 8; so++)
    for (let d = 0; d < 8; d++) {
      const len = 1 + ((so * 8 + d) % 40);
      const c = { src: at + BigInt(so), dst: at + 0x1000n + BigInt(d), data: pattern(len, 100 + so * 8 + d) };
      g.s.peer.memory.write(c.src, c.data);
      guarded(c.dst, len);
      cases.push(c);
      at += 0x2000n;
    }
  await g.drv.submit(...cases.map((c) => cmd.copy(c.src, c.dst, c.data.length)));
  await g.drv.sync();
  for (const c of cases) {
    const what = `copy 0x${c.src.toString(16)} -> 0x${c.dst.toString(16)} len ${c.data.length}`;
    assert.equal(firstDiff(g.s.peer.memory.read(c.dst, c.data.length), c.data), -1, what);
    checkGuards(c.dst, c.data.length, what);
  }
});

test('guest -> VRAM -> guest round trip of 100 KiB at odd offsets', async () => {
  const len = 100 * 1024 + 5;
  const data = pattern(len, 2);
  g.s.peer.memory.write(0x4000001n, data);
  guarded(0x5000007n, len);
  await g.drv.submit(cmd.copy(0x4000001n, 0x20003, len, CMD_FLAG.DST_VRAM), cmd.copy(0x20003, 0x5000007n, len, CMD_FLAG.SRC_VRAM));
  await g.drv.sync();
  assert.equal(firstDiff(g.s.peer.memory.read(0x5000007n, len), data), -1);
  checkGuards(0x5000007n, len, 'round trip');
});
