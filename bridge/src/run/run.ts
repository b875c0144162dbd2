// `cosim run`: one boot of the guest against the RTL, the suite's results as a table.
import { formatTable } from '../broker/stats';
import { boot, BootOptions, checkTestNames, prepare } from './boot';
import { TestResult } from './console';
import { earnedPass, passedLine } from './suite';

export interface RunOptions extends BootOptions {
  tests?: string[];
  keepGoing: boolean;
}

export interface RunReport {
  tests: TestResult[];
  complete: boolean;
  problems: string[];
  bootToFirstTestMs?: number;
  wallMs: number;
  accel: string;
}

export async function run(o: RunOptions): Promise<RunReport> {
  const t0 = Date.now();
  if (o.tests) checkTestNames(o.project, o.tests);
  const env = await prepare(o);
  const r = await boot(env, o, o.tests, !o.keepGoing);
  const problems = r.stopReason ? [r.stopReason, ...r.problems.filter((p) => p !== r.stopReason)] : r.problems;
  return { ...r, problems, wallMs: Date.now() - t0, accel: env.accel };
}

export function reportTable(r: RunReport): string {
  const rows = [['test', 'result', 'subtests', 'duration']];
  for (const t of r.tests) {
    rows.push([t.name, t.status === 'pass' ? 'pass' : t.status.toUpperCase(), `${t.ok}/${t.planned ?? t.ok + t.notOk}`, t.durationMs !== undefined ? `${(t.durationMs / 1000).toFixed(1)} s` : '-']);
  }
  const lines = [formatTable(rows)];
  for (const t of r.tests.filter((x) => x.status !== 'pass' && x.failures.length)) {
    lines.push(`${t.name}:`, ...t.failures.map((f) => `  ${f}`));
  }
  // Measurements a test reports as TAP comments ("# name key=value ...").
  for (const t of r.tests) for (const c of t.comments.filter((x) => /^# \S+ \S+=\S+/.test(x))) lines.push(`${t.name}: ${c.slice(2)}`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  lines.push(
    `${passedLine(r.tests)}${r.complete ? '' : ', suite did not complete'}; ${r.accel.toUpperCase()}; boot to first test ${r.bootToFirstTestMs !== undefined ? `${(r.bootToFirstTestMs / 1000).toFixed(1)} s` : '-'}; wall ${(r.wallMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

/** `cosim regress`'s rule (earnedPass), and the guest's suite must have ended. */
export function runPassed(r: RunReport): boolean {
  return r.complete && earnedPass(r);
}
