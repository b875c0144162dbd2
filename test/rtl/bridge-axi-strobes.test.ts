// Write strobes: narrow beats of 1, 2, 4 and 8 bytes from unaligned starts,
// and sparse strobe masks. Exactly the strobed bytes reach host memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useDut } from '../../bridge/src/testbench';
import { burstBytes, startWrites, T, waitDone, wbyte } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error' });

async function check(addr: bigint, beats: number, size: 1 | 2 | 4 | 8, mask = 0xff): Promise<void> {
  const lo = addr & ~0xfffn;
  dut().memory.write(lo, Buffer.alloc(0x1000, 0xee));
  startWrites(dut(), { addr, beats, size, count: 1, stride: 0 }, { strbMask: mask, seed: size });
  const st = await waitDone(dut(), T.WR_STATUS);
  assert.equal(st.error, false);
  const want = new Map<bigint, number>();
  for (const b of burstBytes(addr, beats, size)) if (mask & (1 << b.lane)) want.set(b.addr, wbyte(b.addr, size));
  const mem = dut().memory.read(lo, 0x1000);
  for (let j = 0; j < mem.length; j++) {
    const a = lo + BigInt(j);
    assert.equal(mem[j], want.get(a) ?? 0xee, `byte 0x${a.toString(16)} (${want.has(a) ? 'strobed' : 'not strobed'})`);
  }
}

for (const size of [1, 2, 4, 8] as const) {
  test(`${size}-byte beats write their lanes only, aligned start`, () => check(0x10000n + 0x100n * BigInt(size), 16, size));
  test(`${size}-byte beats from an unaligned start write from the start address on`, () => check(0x20000n + 0x100n * BigInt(size) + 5n, 16, size));
}

test('a sparse strobe mask (0x5a) writes only the strobed lanes of every beat', () => check(0x30000n, 32, 8, 0x5a));
test('a single-lane strobe mask on 8-byte beats writes one byte per beat', () => check(0x30800n, 8, 8, 0x80));
test('narrow beats with a mask that excludes their lane write nothing there', () => check(0x31003n, 16, 1, 0x0f));
