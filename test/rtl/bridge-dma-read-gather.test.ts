// Contiguous DMA read bursts the RTL issues back to back reach the host as
// one DMA_READ (the shim gathers them, READ_MERGE_CYCLES): one round trip for
// a copy engine's chunk. Each burst still gets its own beats, IDs and errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pattern } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';
import { readLog, startReads, T, waitDone } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error', holdDmaReads: true, fresh: true });

const BEATS = 4;
const BURST = 8 * BEATS;

async function requested(): Promise<{ address: bigint; length: number; tag: number }[]> {
  await dut().until(() => dut().host.heldReads.length > 0, { what: 'a DMA read requested', timeout: 20_000 });
  await dut().run(200); // well past the gathering window: nothing more comes
  return dut().host.heldReads.map((r) => ({ address: r.address, length: r.length, tag: r.tag }));
}

test('eight contiguous bursts on eight IDs: one DMA read of all their bytes, and each burst gets its own part', async () => {
  const data = pattern(8 * BURST, 21);
  dut().memory.write(0x100000n, data);
  startReads(dut(), { addr: 0x100000n, beats: BEATS, size: 8, count: 8, stride: BURST }, 8);
  const reqs = await requested();
  assert.deepEqual(reqs.map((r) => [r.address, r.length]), [[0x100000n, 8 * BURST]]);
  dut().host.completeDmaRead(reqs[0].tag);
  await waitDone(dut(), T.RD_STATUS);
  const log = await readLog(dut(), 8 * BEATS);
  log.forEach((beat, i) => {
    const burst = Math.floor(i / BEATS);
    assert.equal(beat.id, burst, `beat ${i}: bursts in request order`);
    assert.equal(beat.last, i % BEATS === BEATS - 1);
    assert.equal(beat.data, data.readBigUInt64LE(8 * i), `beat ${i}`);
  });
});

test('bursts with a gap between their addresses stay separate DMA reads', async () => {
  dut().memory.write(0x200000n, pattern(4 * 0x100, 22));
  startReads(dut(), { addr: 0x200000n, beats: BEATS, size: 8, count: 4, stride: 0x100 }, 4);
  const reqs = await requested();
  assert.deepEqual(reqs.map((r) => [r.address, r.length]), [0n, 1n, 2n, 3n].map((i) => [0x200000n + 0x100n * i, BURST]));
  for (const r of reqs) dut().host.completeDmaRead(r.tag);
  await waitDone(dut(), T.RD_STATUS);
  await readLog(dut(), 4 * BEATS);
});

test('an error completion of a gathered read fails every burst in it, as SLVERR beats', async () => {
  startReads(dut(), { addr: 0x300000n, beats: BEATS, size: 8, count: 3, stride: BURST }, 3);
  const reqs = await requested();
  assert.equal(reqs.length, 1);
  dut().host.completeDmaRead(reqs[0].tag, { error: true });
  const st = await waitDone(dut(), T.RD_STATUS);
  assert.equal(st.error, true, 'RD_STATUS error bit');
  const log = await readLog(dut(), 3 * BEATS);
  for (const b of log) assert.equal(b.resp, 2, `burst ID ${b.id} beat ${b.n}`);
});
