// The broker under fuzzing (test/fuzz/broker-fuzz.ts, `npm run fuzz` runs it
// longer): about 20k random, mutated and truncated frames from attacker
// sockets on both endpoints leave no crash, and afterwards the legitimate
// device, a fresh handshake and MMIO still work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzBroker } from '../fuzz/broker-fuzz';
import { fuzzOptions } from '../fuzz/common';

const FRAMES = Number(process.env.COSIM_FUZZ_FRAMES || 20000);
const SEED = Number(process.env.COSIM_FUZZ_SEED || 11);

test(`${FRAMES} fuzzed frames on both endpoints: no crash, and a fresh handshake and MMIO still work`, async () => {
  const lines: string[] = [];
  const r = await fuzzBroker(fuzzOptions({ frames: FRAMES, seed: SEED, progressMs: 0, print: (l) => lines.push(l) }));
  const why = `seed ${SEED} (npm run fuzz -- --only broker --seed ${SEED} --frames ${FRAMES}):\n${[...r.crashNotes, ...r.failures, ...r.crashFiles].join('\n')}`;
  assert.equal(r.crashes, 0, why);
  assert.deepEqual(r.failures, [], why);
  assert.ok(r.frames >= FRAMES, `${r.frames} frames`);
  assert.match(lines.at(-1) ?? '', new RegExp(`^fuzz broker: ${r.frames} frames, 0 crashes, \\d+ frames/s$`));
});
