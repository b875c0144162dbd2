// What traces cost and what replay saves, as ratios measured in the same run:
//  - the GPU suite's wall time with --trace-dir against the same suite without;
//  - `cosim replay` of gpu_copy's trace against running gpu_copy live (boot included).
// Run: npm run bench:trace   (options: --rounds N, default 1)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { repoRoot } from '../../bridge/src/orchestrate/process';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '1' } } });
const rounds = Number(values.rounds);
const cosim = path.join(repoRoot, 'bin', 'cosim');

/** Wall seconds of one cosim command; a failing command ends the benchmark with its output. */
function timed(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cosim, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`cosim ${args.join(' ')} exited ${r.status}:\n${(r.stdout + r.stderr).slice(-3000)}`);
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-bench-trace-'));
  try {
    const suite = ['regress', '--device', 'gpu', '--skip-testbench', '--seed', '11', '--quiet'];
    const plain: number[] = [];
    const traced: number[] = [];
    // Alternate the two so drift in the machine's load hits both alike.
    for (let i = 0; i < rounds; i++) {
      plain.push(timed(suite));
      const d = path.join(dir, `suite${i}`);
      traced.push(timed([...suite, '--trace-dir', d]));
      fs.rmSync(d, { recursive: true, force: true });
    }
    const copyDir = path.join(dir, 'copy');
    const live = timed(['regress', '--device', 'gpu', '--skip-testbench', '--tests', 'gpu_copy', '--seed', '11', '--quiet', '--trace-dir', copyDir]);
    const replayArgs = ['replay', path.join(copyDir, 'gpu_copy.trace'), '--device', 'gpu'];
    // Once untimed: it builds the model library on a cold cache, which a replay does only once.
    timed(replayArgs);
    const replay = timed(replayArgs);
    const p = median(plain);
    const t = median(traced);
    console.log(`traces, same run (${rounds} round${rounds === 1 ? '' : 's'}, medians):\n`);
    console.log(
      formatTable([
        ['what', 'baseline', 'measured', 'ratio', 'target'],
        ['GPU suite: --trace-dir / no trace', `${p.toFixed(1)} s`, `${t.toFixed(1)} s`, `${(t / p).toFixed(3)}x`, '<= 1.10x'],
        ['gpu_copy: live (boot included) / replay', `${replay.toFixed(1)} s`, `${live.toFixed(1)} s`, `${(live / replay).toFixed(1)}x`, '>= 10x'],
      ]),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
}
