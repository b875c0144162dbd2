// The shim's inbound decoder cosim_q_push under libFuzzer with ASan and UBSan
// (dpi/fuzz/fuzz_q_push.c through test/fuzz/shim-fuzz.ts; `npm run fuzz`
// runs it longer): about 20k inputs, seeded from the golden vectors, and no
// crash, leak, undefined behaviour or malformed message out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzOptions } from '../fuzz/common';
import { fuzzShim } from '../fuzz/shim-fuzz';

const RUNS = Number(process.env.COSIM_FUZZ_FRAMES || 20000);
const SEED = Number(process.env.COSIM_FUZZ_SEED || 11);

test(`${RUNS} libFuzzer inputs into cosim_q_push with ASan and UBSan: no crash`, async () => {
  const lines: string[] = [];
  const r = await fuzzShim({ ...fuzzOptions({ frames: RUNS, seed: SEED, progressMs: 0, print: (l) => lines.push(l) }), corpus: 'temp' });
  const why = `seed ${SEED} (npm run fuzz -- --only shim --seed ${SEED} --frames ${RUNS}):\n${[...r.crashNotes, ...r.crashFiles].join('\n')}`;
  assert.equal(r.crashes, 0, why);
  assert.equal(r.inputs, RUNS, why);
  assert.ok(r.frames >= RUNS, `${r.frames} frames from ${r.inputs} inputs: each input holds at least one`);
  assert.match(lines.at(-1) ?? '', new RegExp(`^fuzz shim: ${r.frames} frames \\(${RUNS} inputs\\), 0 crashes, \\d+ frames/s$`));
});
