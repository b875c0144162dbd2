// DMA between the Verilated example device and the stand-in's host memory.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { dmaCopy, firstDiff, pattern } from '../../bridge/src/example-ops';
import { Stack } from '../../bridge/src/orchestrate/stack';
import { exampleStack } from '../helpers';

let s: Stack;
before(async () => (s = await exampleStack()));
after(async () => s?.stop());

async function copyAndCheck(len: number, src: bigint, dst: bigint, seed: number): Promise<void> {
  const data = pattern(len, seed);
  s.peer.memory.write(src, data);
  s.peer.memory.write(dst - 8n, Buffer.alloc(len + 16, 0x5a));
  const status = await dmaCopy(s.peer, src, dst, len);
  assert.equal(status & BigInt(EX.STATUS_ERROR), 0n, `status 0x${status.toString(16)}`);
  const got = s.peer.memory.read(dst, len);
  assert.equal(firstDiff(got, data), -1, `copy of ${len} bytes 0x${src.toString(16)} -> 0x${dst.toString(16)}: first wrong byte at ${firstDiff(got, data)}`);
  assert.deepEqual([...s.peer.memory.read(dst - 8n, 8)], Array(8).fill(0x5a), 'no byte written before dst');
  assert.deepEqual([...s.peer.memory.read(dst + BigInt(len), 8)], Array(8).fill(0x5a), 'no byte written after dst+len');
}

test('1 byte', () => copyAndCheck(1, 0x10001n, 0x20003n, 1));
test('7 bytes across a word boundary', () => copyAndCheck(7, 0x10005n, 0x20006n, 2));
test('4 KiB aligned', () => copyAndCheck(4096, 0x100000n, 0x200000n, 3));
test('4 KiB with source and destination misaligned differently', () => copyAndCheck(4096, 0x100ffdn, 0x203002n, 4));
test('1 MiB: the bursts of each 16 KiB chunk reach the host as one DMA read', async () => {
  const reads = s.peer.dmaReads;
  await copyAndCheck(1 << 20, 0x1000000n, 0x3000005n, 5);
  const n = s.peer.dmaReads - reads;
  // 64 chunks of 8 bursts; chunks asked for back to back share a request, and an
  // AR the bridge holds back (DMA_MAX_READS outstanding) now and then starts a new one.
  assert.ok(n >= 32 && n <= 72, `${n} DMA reads for 1 MiB (${(1 << 20) / 2048} bursts of 256 beats)`);
});

test('a DMA read outside host memory sets the error bit and the device keeps working', async () => {
  const status = await dmaCopy(s.peer, s.peer.memory.size - 4n, 0x10000n, 64);
  assert.notEqual(status & BigInt(EX.STATUS_ERROR), 0n, `status 0x${status.toString(16)}`);
  await copyAndCheck(64, 0x40000n, 0x50000n, 6);
});
