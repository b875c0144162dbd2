// The example device's DMA copy engine against the testbench's host memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { Flag, message, MsgType } from '../../bridge/src/protocol/wire';
import { Dut, useDut } from '../../bridge/src/testbench';

const dut = useDut('example', { logLevel: 'error' });
/** The copy engine's chunk: the bytes it reads with all their bursts in flight (example_dma CB). */
const CHUNK = 16384;

/** Programs a copy and polls DMA_STATUS until done; returns the status. */
async function copy(d: Dut, src: bigint, dst: bigint, len: number, vector?: number): Promise<bigint> {
  d.mmio.write64(EX.BAR, EX.DMA_SRC, src);
  d.mmio.write64(EX.BAR, EX.DMA_DST, dst);
  d.mmio.write64(EX.BAR, EX.DMA_LEN, len);
  d.mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START | (vector !== undefined ? EX.CTRL_IRQ | (vector << 8) : 0));
  for (;;) {
    const st = await d.mmio.read64(EX.BAR, EX.DMA_STATUS);
    if (!(st & BigInt(EX.STATUS_BUSY)) && st & BigInt(EX.STATUS_DONE)) return st;
    await d.run(100);
  }
}

async function copyAndCheck(len: number, src: bigint, dst: bigint, seed: number): Promise<void> {
  const data = pattern(len, seed);
  dut().memory.write(src, data);
  dut().memory.write(dst - 8n, Buffer.alloc(len + 16, 0x5a));
  const st = await copy(dut(), src, dst, len);
  assert.equal(st & BigInt(EX.STATUS_ERROR), 0n);
  assert.equal(firstDiff(dut().memory.read(dst, len), data), -1);
  assert.deepEqual([...dut().memory.read(dst - 8n, 8)], Array(8).fill(0x5a), 'nothing before dst');
  assert.deepEqual([...dut().memory.read(dst + BigInt(len), 8)], Array(8).fill(0x5a), 'nothing after dst+len');
}

test('copy 1 byte', () => copyAndCheck(1, 0x10001n, 0x20003n, 1));
test('copy 7 bytes across a word boundary', () => copyAndCheck(7, 0x10005n, 0x20006n, 2));
test('copy 4 KiB with source and destination misaligned differently', () => copyAndCheck(4096, 0x100ffdn, 0x203002n, 4));
test('copy 256 KiB', () => copyAndCheck(256 << 10, 0x1000000n, 0x3000005n, 5));

test('a DMA read outside host memory sets the error bit', async () => {
  const st = await copy(dut(), dut().memory.size - 4n, 0x10000n, 64);
  assert.notEqual(st & BigInt(EX.STATUS_ERROR), 0n);
  await copyAndCheck(64, 0x40000n, 0x50000n, 6);
});

/** Answers the DMA reads still held, lets the copy end, and checks what landed at dst. */
async function finishHeldCopy(dst: bigint, data: Buffer): Promise<void> {
  while (dut().host.heldReads.length) dut().host.completeDmaRead(dut().host.heldReads[0].tag);
  for (;;) {
    const st = await dut().mmio.read64(EX.BAR, EX.DMA_STATUS);
    if (st & BigInt(EX.STATUS_DONE)) break;
    await dut().run(100);
  }
  assert.equal(firstDiff(dut().memory.read(dst, data.length), data), -1);
}

test("one chunk's 8 bursts (8 AXI IDs) are one DMA read, and a completion in pieces, last piece first, feeds each burst its bytes", async () => {
  const len = CHUNK;
  const src = 0x700000n;
  const data = pattern(len, 8);
  dut().memory.write(src, data);
  dut().host.holdDmaReads = true;
  try {
    dut().mmio.write64(EX.BAR, EX.DMA_SRC, src);
    dut().mmio.write64(EX.BAR, EX.DMA_DST, 0x800000n);
    dut().mmio.write64(EX.BAR, EX.DMA_LEN, len);
    dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START);
    await dut().until(() => dut().host.heldReads.length > 0, { what: 'a DMA read' });
    await dut().run(100);
    assert.deepEqual(dut().host.heldReads.map((r) => [r.address, r.length]), [[src, len]], 'the whole chunk in one request');
    const [r] = dut().host.heldReads.splice(0, 1);
    const cut = 12345; // not on a burst boundary: two bursts take part of each piece
    dut().push(message(MsgType.DMA_READ_CPL, { tag: r.tag, address: src + BigInt(cut), length: len - cut, payload: data.subarray(cut) }));
    await dut().run(40);
    dut().push(message(MsgType.DMA_READ_CPL, { tag: r.tag, address: src, length: cut, flags: Flag.LAST, payload: data.subarray(0, cut) }));
  } finally {
    dut().host.holdDmaReads = false;
  }
  await finishHeldCopy(0x800000n, data);
});

test("two chunks in flight: a reader asks for its next chunk while the other reader's data comes in", async () => {
  const len = 6 * CHUNK;
  const src = 0x900000n;
  const dst = 0xa00000n;
  const data = pattern(len, 9);
  dut().memory.write(src, data);
  dut().host.holdDmaReads = true;
  // The chunks the held reads cover (chunks asked for back to back share a request).
  const chunksAsked = () => dut().host.heldReads.flatMap((r) => Array.from({ length: r.length / CHUNK }, (_, i) => Number((r.address - src) / BigInt(CHUNK)) + i));
  const answerAll = () => {
    while (dut().host.heldReads.length) dut().host.completeDmaRead(dut().host.heldReads[0].tag);
  };
  const written = (chunk: number) => dut().memory.read(dst + BigInt(chunk * CHUNK), CHUNK).equals(data.subarray(chunk * CHUNK, (chunk + 1) * CHUNK));
  try {
    dut().mmio.write64(EX.BAR, EX.DMA_SRC, src);
    dut().mmio.write64(EX.BAR, EX.DMA_DST, dst);
    dut().mmio.write64(EX.BAR, EX.DMA_LEN, len);
    dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START);
    await dut().until(() => chunksAsked().length === 2, { what: 'the first two chunks asked for' });
    await dut().run(2000);
    assert.deepEqual(chunksAsked(), [0, 1], 'one chunk per reader, no more');
    answerAll();
    await dut().until(() => chunksAsked().includes(2), { what: 'chunk 2 asked for' });
    assert.ok(!written(1), "chunk 2 is asked for before chunk 1's data is in and written");
    await dut().until(() => chunksAsked().includes(3), { what: 'chunk 3 asked for' });
    await dut().run(3000);
    assert.deepEqual(chunksAsked(), [2, 3], 'both readers wait: no chunk 4');
    assert.ok(written(0) && written(1), 'chunks 0 and 1 written meanwhile');
  } finally {
    dut().host.holdDmaReads = false;
  }
  await finishHeldCopy(dst, data);
});
