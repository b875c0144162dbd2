// cosim-pcie under fuzzing (test/fuzz/qemu-fuzz.ts; `npm run fuzz` runs it
// longer): a fake broker sends a live QEMU under qtest about 20k random,
// mutated and truncated frames; QEMU neither dies nor stops answering, still
// answers qtest and QMP, and the device still completes an MMIO read. First,
// the inputs that once broke it (test/fuzz/corpus/qemu/), one at a time.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fuzzOptions } from '../fuzz/common';
import { decodeCase, regressionDir } from '../fuzz/frames';
import { fuzzQemu } from '../fuzz/qemu-fuzz';
import { qemuBinary } from './qtest';

const FRAMES = Number(process.env.COSIM_FUZZ_FRAMES || 20000);
const SEED = Number(process.env.COSIM_FUZZ_SEED || 11);

describe('cosim-pcie under fuzzing', () => {
  test('a frame over 64 KiB (ZeroMQ drops that connection for good) is survived: cosim-pcie connects again and is back online', async () => {
    const dir = regressionDir('qemu');
    const cases = fs.readdirSync(dir).filter((f) => f.endsWith('.case'));
    assert.ok(cases.some((f) => decodeCase(fs.readFileSync(path.join(dir, f))).some((m) => m.some((fr) => fr.length > 65536))), 'the corpus holds the oversized frame');
    // 0 fuzzed frames: only the regression inputs, then the checks after fuzzing.
    const r = await fuzzQemu({ ...fuzzOptions({ frames: 0, seed: SEED, progressMs: 0, print: () => undefined }), qemu: qemuBinary() });
    assert.equal(r.crashes, 0, [...r.crashNotes, ...r.crashFiles].join('\n'));
    assert.deepEqual(r.failures, []);
    assert.ok(r.frames >= cases.length);
  });

  test(`${FRAMES} fuzzed frames: QEMU stays up, answers qtest and QMP, and the device still works`, async () => {
    const lines: string[] = [];
    const r = await fuzzQemu({ ...fuzzOptions({ frames: FRAMES, seed: SEED, progressMs: 0, print: (l) => lines.push(l) }), qemu: qemuBinary() });
    const why = `seed ${SEED} (npm run fuzz -- --only qemu --seed ${SEED} --frames ${FRAMES} --qemu ${qemuBinary()}):\n${[...r.crashNotes, ...r.failures, ...r.crashFiles].join('\n')}`;
    assert.equal(r.crashes, 0, why);
    assert.deepEqual(r.failures, [], why);
    assert.ok(r.frames >= FRAMES, `${r.frames} frames`);
    assert.match(lines.at(-1) ?? '', new RegExp(`^fuzz qemu: ${r.frames} frames, 0 crashes, \\d+ frames/s$`));
  });
});
