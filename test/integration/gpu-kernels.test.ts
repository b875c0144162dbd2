// DISPATCH kernels against a CPU reference on seeded random data: operands
// go to VRAM with COPY, the kernel runs, the result comes back with COPY.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pattern } from '../../bridge/src/example-ops';
import { cmd, CMD_FLAG } from '../../bridge/src/gpu/driver';
import { GPU_BAR, GPU_ERR, GPU_KERNEL } from '../../bridge/src/gpu/regs';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ entries: 32 });

const { SRC_VRAM, DST_VRAM } = CMD_FLAG;
const STAGE = 0x1000000n; // guest staging area
const OUT = 0x2000000n;

function randomInts(n: number, seed: number): Int32Array {
  const b = pattern(4 * n, seed);
  return new Int32Array(b.buffer, b.byteOffset, n);
}

/** Puts int32 arrays into VRAM at the given offsets (through guest memory and COPY). */
async function upload(arrays: [number, Int32Array][]): Promise<void> {
  let at = STAGE;
  const cmds = [];
  for (const [off, a] of arrays) {
    const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    g.s.peer.memory.write(at, bytes);
    cmds.push(cmd.copy(at, off, bytes.length, DST_VRAM));
    at += BigInt(bytes.length + 64);
  }
  await g.drv.submit(...cmds);
}

async function download(off: number, bytes: number): Promise<Buffer> {
  await g.drv.submit(cmd.copy(off, OUT, bytes, SRC_VRAM));
  await g.drv.sync();
  return g.s.peer.memory.read(OUT, bytes);
}

const ints = (b: Buffer) => Array.from(new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)));

for (const n of [1, 8, 13, 1000]) {
  test(`VADD of ${n} elements matches the CPU (seed ${n})`, async () => {
    const a = randomInts(n, 10 + n), b = randomInts(n, 20 + n);
    const guard = 0x7eadbeef;
    await upload([[0x10000, a], [0x20000, b], [0x30000, new Int32Array(n + 8).fill(guard)]]);
    await g.drv.submit(cmd.dispatch(GPU_KERNEL.VADD, n, { a: 0x10000, b: 0x20000, c: 0x30000 }));
    const got = ints(await download(0x30000, 4 * (n + 8)));
    const want = Array.from(a, (x, i) => (x + b[i]) | 0);
    assert.deepEqual(got.slice(0, n), want);
    assert.deepEqual(got.slice(n), Array(8).fill(guard), 'lanes past COUNT untouched');
  });
}

for (const [n, alpha] of [[7, 3], [1001, -12345]] as const) {
  test(`SAXPY of ${n} elements with alpha ${alpha} matches the CPU, in place`, async () => {
    const x = randomInts(n, 30 + n), y = randomInts(n, 40 + n);
    await upload([[0x40000, x], [0x50000, y]]);
    await g.drv.submit(cmd.dispatch(GPU_KERNEL.SAXPY, n, { a: 0x40000, b: 0x50000, c: 0x50000, alpha }));
    const got = ints(await download(0x50000, 4 * n));
    assert.deepEqual(got, Array.from(x, (v, i) => (Math.imul(alpha, v) + y[i]) | 0));
  });
}

for (const n of [0, 5, 4097]) {
  test(`REDUCE_SUM of ${n} elements into int64 matches the CPU`, async () => {
    const a = randomInts(n, 50 + n);
    await upload([[0x60000, a], [0x70000, new Int32Array([-1, -1])]]);
    await g.drv.submit(cmd.dispatch(GPU_KERNEL.REDUCE_SUM, n, { a: 0x60000, c: 0x70008 }));
    await g.drv.sync();
    const got = await g.s.peer.read(GPU_BAR.VRAM, 0x70008, 8);
    const want = a.reduce((acc, v) => acc + BigInt(v), 0n);
    assert.equal(BigInt.asIntN(64, got), want);
  });
}

test('a misaligned operand or an unknown kernel is refused with BAD_ARG', async () => {
  await g.drv.submit(cmd.dispatch(GPU_KERNEL.VADD, 4, { a: 0x10004, b: 0x20000, c: 0x30000 }));
  await g.drv.until(async () => (await g.drv.errorState()).halted, 'halt on a misaligned operand');
  assert.equal((await g.drv.errorState()).code, GPU_ERR.BAD_ARG);
  await g.drv.init();
  await g.drv.submit(cmd.dispatch(9, 4, { a: 0, b: 0, c: 0 }));
  await g.drv.until(async () => (await g.drv.errorState()).halted, 'halt on kernel 9');
  assert.equal((await g.drv.errorState()).code, GPU_ERR.BAD_ARG);
  await g.drv.init();
});
