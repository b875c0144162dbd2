// Clock speed, against a bare C++ loop (dpi/tools/model_loop.cpp) clocking
// the same model library, measured in the same run, best of `--rounds`:
//  - the TypeScript testbench: cycles per second of dut.run(n);
//  - the GPU suite under a guest: cycles per second of cosim-sim while it
//    clocks (its summary's busy_rate: idle waits left out).
// Run: npm run bench:rtl   (options: --cycles N --rounds R)
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { repoRoot } from '../../bridge/src/orchestrate/process';
import { Dut, NativeModel, resolveModel } from '../../bridge/src/testbench';
import { bareRate } from './model-loop';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '2000000' }, rounds: { type: 'string', default: '3' } } });
const cycles = Number(values.cycles);
const rounds = Number(values.rounds);

const bare = (lib: string) => bareRate(lib, cycles);

async function viaDut(lib: string): Promise<number> {
  const dut = new Dut(new NativeModel(lib, { logLevel: 'error' }));
  try {
    const t0 = process.hrtime.bigint();
    await dut.run(cycles);
    return cycles / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    dut.close();
  }
}

async function main(): Promise<void> {
  const rows: string[][] = [['model', 'bare C++ loop cycles/s', 'dut.run(n) cycles/s', 'dut.run / bare']];
  for (const name of ['example', 'axi_test']) {
    const lib = await resolveModel(name);
    let c = 0;
    let j = 0;
    for (let r = 0; r < rounds; r++) {
      c = Math.max(c, bare(lib));
      j = Math.max(j, await viaDut(lib));
    }
    rows.push([name, c.toFixed(0), j.toFixed(0), `${(j / c).toFixed(3)}`]);
  }
  console.log(`Clock speed of an idle design, ${cycles} cycles per measurement, best of ${rounds}, same run:\n`);
  console.log(formatTable(rows));

  const gpu = await resolveModel('gpu');
  let c = 0;
  for (let r = 0; r < rounds; r++) c = Math.max(c, bare(gpu));
  const suite = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'regress', '--device', 'gpu', '--skip-testbench', '--seed', '11'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const out = `${suite.stdout}\n${suite.stderr}`;
  const m = /summary: cycles=(\d+) wall=([\d.]+)s rate=\d+ cycles\/s busy=([\d.]+)s busy_rate=(\d+)/.exec(out);
  if (suite.status !== 0 || !m) throw new Error(`the GPU suite (exit ${suite.status}) gave no simulator summary:\n${out.slice(-3000)}`);
  const [suiteCycles, wall, busy, busyRate] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  console.log(`\nThe GPU suite (cosim regress --device gpu --skip-testbench --seed 11): ${suiteCycles} cycles, clocked during ${busy.toFixed(1)} s of the simulator's ${wall.toFixed(1)} s;`);
  console.log(`against the bare loop of the GPU's model library (built with --trace-fst, an idle design), best of ${rounds}:\n`);
  console.log(
    formatTable([
      ['what', 'bare C++ loop cycles/s', 'cycles/s', 'ratio', 'target'],
      ['cosim-sim while busy', c.toFixed(0), busyRate.toFixed(0), `${(busyRate / c).toFixed(3)}x`, '>= 0.9x'],
      ['cosim-sim over its wall time', c.toFixed(0), (suiteCycles / wall).toFixed(0), `${(suiteCycles / wall / c).toFixed(3)}x`, ''],
    ]),
  );
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
