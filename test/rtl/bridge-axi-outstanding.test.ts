// Several DMA reads outstanding: the testbench holds the host's completions
// and answers them late, out of order or with an error (HostSide.holdDmaReads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pattern } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';
import { readLog, startReads, status, T, waitDone } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error', holdDmaReads: true, fresh: true });

const BEATS = 4;
function fill(addr: bigint, bursts: number, stride: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bursts; i++) {
    const d = pattern(8 * BEATS, 100 + i);
    dut().memory.write(addr + BigInt(i * stride), d);
    out.push(d);
  }
  return out;
}

async function held(n: number): Promise<void> {
  await dut().until(() => dut().host.heldReads.length >= n, { what: `${n} DMA reads requested`, timeout: 20_000 });
}

test('eight reads on eight IDs are all requested before the first completes', async () => {
  fill(0x100000n, 8, 0x100);
  startReads(dut(), { addr: 0x100000n, beats: BEATS, size: 8, count: 8, stride: 0x100 }, 8);
  await held(8);
  await dut().run(500);
  assert.equal(dut().host.heldReads.length, 8);
  assert.equal((await status(dut(), T.RD_STATUS)).count, 0, 'no beat before a completion');
});

test('bursts of different IDs reach the device in completion order, each burst whole', async () => {
  const data = fill(0x100000n, 8, 0x100);
  startReads(dut(), { addr: 0x100000n, beats: BEATS, size: 8, count: 8, stride: 0x100 }, 8);
  await held(8);
  const tags = dut().host.heldReads.map((r) => r.tag);
  const order = [5, 2, 7, 0, 3, 6, 1, 4];
  for (const i of order) {
    dut().host.completeDmaRead(tags[i]);
    await dut().run(50);
  }
  await waitDone(dut(), T.RD_STATUS);
  const log = await readLog(dut(), 8 * BEATS);
  order.forEach((burst, k) => {
    for (let b = 0; b < BEATS; b++) {
      const beat = log[k * BEATS + b];
      assert.equal(beat.id, burst, `burst ${k} answered ${k}th carries ID ${burst}`);
      assert.equal(beat.n, b);
      assert.equal(beat.last, b === BEATS - 1);
      assert.equal(beat.data, data[burst].readBigUInt64LE(8 * b));
    }
  });
});

test('reads with the same ID come back in request order even when answered in reverse', async () => {
  const data = fill(0x200000n, 4, 0x100);
  startReads(dut(), { addr: 0x200000n, beats: BEATS, size: 8, count: 4, stride: 0x100 }, 1);
  await held(4);
  const tags = dut().host.heldReads.map((r) => r.tag);
  for (const t of [...tags].reverse()) {
    dut().host.completeDmaRead(t);
    await dut().run(50);
  }
  await waitDone(dut(), T.RD_STATUS);
  const log = await readLog(dut(), 4 * BEATS);
  for (let k = 0; k < 4; k++) for (let b = 0; b < BEATS; b++) assert.equal(log[k * BEATS + b].data, data[k].readBigUInt64LE(8 * b), `burst ${k} beat ${b}`);
});

test('past 16 outstanding reads the bridge holds ARREADY low until one completes', async () => {
  fill(0x300000n, 20, 0x100);
  startReads(dut(), { addr: 0x300000n, beats: BEATS, size: 8, count: 20, stride: 0x100 }, 16);
  await held(16);
  await dut().run(1000);
  assert.equal(dut().host.heldReads.length, 16, 'the bridge takes 16 reads (DMA_MAX_READS)');
  assert.ok((await dut().mmio.read64(T.BAR, T.AR_STALLS)) > 500n, 'ARVALID waited on ARREADY');
  dut().host.completeDmaRead(dut().host.heldReads[0].tag);
  await held(16);
  assert.equal(dut().host.dmaReads, 17, 'one more read once one completed');
  while (dut().host.heldReads.length) {
    dut().host.completeDmaRead(dut().host.heldReads[0].tag);
    await dut().run(20);
  }
  const st = await waitDone(dut(), T.RD_STATUS);
  assert.equal(st.count2, 20);
});

test('an error completion fails only its own burst, as SLVERR beats', async () => {
  fill(0x400000n, 3, 0x100);
  startReads(dut(), { addr: 0x400000n, beats: BEATS, size: 8, count: 3, stride: 0x100 }, 3);
  await held(3);
  const tags = dut().host.heldReads.map((r) => r.tag);
  dut().host.completeDmaRead(tags[0]);
  dut().host.completeDmaRead(tags[1], { error: true });
  dut().host.completeDmaRead(tags[2]);
  const st = await waitDone(dut(), T.RD_STATUS);
  assert.equal(st.error, true, 'RD_STATUS error bit');
  const log = await readLog(dut(), 3 * BEATS);
  for (const b of log) assert.equal(b.resp, b.id === 1 ? 2 : 0, `burst ID ${b.id} beat ${b.n}`);
});
