// `cosim regress`: the guest suite (or a selection) against the RTL, with a
// live line per test, a final table, JUnit XML and an exit code for CI. One
// boot runs the whole selection; a guest that wedges is rebooted and the
// suite carries on after the test that wedged it.
import * as fs from 'node:fs';
import { formatTable } from '../broker/stats';
import { boot, BootOptions, checkTestNames, prepare, suiteTests } from './boot';
import { TestResult } from './console';
import { runTestbench, testbenchNames } from '../project/testbench-run';
import { earnedPass, junitXml, passedLine, Shard, selectTests } from './suite';
import { WaveOnFail, waveTraceOptions, wavesForFailures } from './wave-on-fail';
import { checkSim } from '../trace/replay-cli';
import { UsageError } from '../cli/args';

export interface RegressOptions extends BootOptions {
  /** Instead of the device's suite. */
  tests?: string[];
  grep?: RegExp;
  shard?: Shard;
  junit?: string;
  seed: number;
  /** Leave out the project's host-side testbench tests. */
  skipTestbench?: boolean;
  /** A folder: each failing guest test gets an FST of its cycles and a .gtkw, replayed from its trace (wave-on-fail.ts). */
  waveOnFail?: string;
}

export interface RegressReport {
  tests: TestResult[];
  boots: number;
  bootToFirstTestMs?: number;
  problems: string[];
  wallMs: number;
  accel: string;
  seed: number;
  shard?: Shard;
}

export async function regress(o: RegressOptions): Promise<RegressReport> {
  const t0 = Date.now();
  let wave: WaveOnFail | undefined;
  if (o.waveOnFail) {
    if (o.brokerEndpoint) throw new UsageError("--wave-on-fail replays the run's RTL, which a broker joined with --broker keeps to itself");
    if (o.sim) checkSim(o.sim, o.project); // before the run: the waves need its RTL as a model library
    ({ trace: o.trace, wave } = waveTraceOptions(o.waveOnFail, o.trace));
  }
  const tbNames = o.skipTestbench ? [] : testbenchNames(o.project);
  if (o.tests) {
    checkTestNames(o.project, o.tests, tbNames);
    // Regress keeps one result per name (cosim run may repeat a test; a regression counts each once).
    const twice = [...new Set(o.tests.filter((n, i) => o.tests!.indexOf(n) !== i))];
    if (twice.length) throw new Error(`--tests: ${twice.join(', ')} ${twice.length === 1 ? 'is' : 'are'} named more than once`);
  }
  const all = selectTests(o.tests ?? [...tbNames, ...suiteTests(o.project)], { grep: o.grep, shard: o.shard });
  const tb = all.filter((n) => tbNames.includes(n));
  const selected = all.filter((n) => !tbNames.includes(n));
  if (all.length === 0) throw new Error(`no test of project '${o.project.name}' matches${o.grep ? ` --grep ${o.grep.source}` : ''}${o.shard ? ` in shard ${o.shard.index}/${o.shard.count}` : ''}`);
  o.progress(`regress: ${all.length} tests of project '${o.project.name}', seed ${o.seed}${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ''}`);
  const tbResults = await runTestbench(o.project, tb, { timeoutS: o.testTimeoutS * 5, echo: o.echo, progress: o.progress });
  const env = selected.length ? await prepare(o) : undefined;
  const results = new Map<string, TestResult>();
  const problems: string[] = [];
  let boots = 0;
  let bootToFirstTestMs: number | undefined;
  // Each boot either finishes a test or is charged to the first one it did not reach.
  while (env && results.size < selected.length && !o.signal?.aborted && boots <= selected.length) {
    const remaining = selected.filter((t) => !results.has(t));
    if (boots > 0) o.progress(`regress: rebooting for the ${remaining.length} remaining tests`);
    boots++;
    const r = await boot(env, o, remaining, false, boots);
    bootToFirstTestMs ??= r.bootToFirstTestMs;
    problems.push(...r.problems);
    // A module that does not load or a setup command that fails breaks every test the same way: no reboot.
    if (r.setupFailed) {
      for (const t of r.tests) if (!results.has(t.name) && remaining.includes(t.name)) results.set(t.name, t);
      break;
    }
    let progress = false;
    for (const t of r.tests) {
      if (t.status === 'not run' || results.has(t.name) || !remaining.includes(t.name)) continue;
      results.set(t.name, t);
      progress = true;
    }
    if (!progress && !o.signal?.aborted) {
      const first = remaining[0];
      results.set(first, { name: first, status: 'fail', ok: 0, notOk: 0, failures: [`the guest never started this test: ${r.stopReason ?? r.problems[0] ?? 'unknown reason'}`], comments: [] });
    }
  }
  const tests = [...tbResults, ...selected.map((name) => results.get(name) ?? { name, status: 'not run' as const, ok: 0, notOk: 0, failures: [o.signal?.aborted ? 'interrupted' : 'not reached'], comments: [] })];
  if (wave && env) problems.push(...(await wavesForFailures(wave, { project: o.project, hdl: env.hdl, sim: o.sim }, tests, o.progress, o.echo)));
  const report: RegressReport = { tests, boots, bootToFirstTestMs, problems: [...new Set(problems)], wallMs: Date.now() - t0, accel: env?.accel ?? 'none', seed: o.seed, shard: o.shard };
  if (o.junit) {
    fs.writeFileSync(
      o.junit,
      junitXml(tests, {
        suite: `cosim.${o.project.name}`,
        properties: { seed: o.seed, shard: o.shard ? `${o.shard.index}/${o.shard.count}` : undefined, accel: env?.accel ?? 'none', boots, project: o.project.name, descriptor: o.project.file },
      }),
    );
  }
  return report;
}

export function regressTable(r: RegressReport): string {
  const rows = [['test', 'result', 'subtests', 'duration', 'guest time', 'RTL cycles']];
  for (const t of r.tests) {
    rows.push([
      t.name,
      t.status === 'pass' ? 'pass' : t.status.toUpperCase(),
      `${t.ok}/${t.planned ?? t.ok + t.notOk}`,
      t.durationMs !== undefined ? `${(t.durationMs / 1000).toFixed(1)} s` : '-',
      t.guestNs !== undefined ? `${(t.guestNs / 1e9).toFixed(2)} s` : '-',
      t.rtlCycles !== undefined ? String(t.rtlCycles) : '-',
    ]);
  }
  const lines = [formatTable(rows)];
  for (const t of r.tests.filter((x) => x.status !== 'pass')) {
    lines.push(`${t.name}:`, ...t.failures.map((f) => `  ${f}`));
    if (t.lastTransaction) lines.push(`  last transaction the broker saw: ${t.lastTransaction}`);
  }
  for (const p of r.problems) lines.push(`problem: ${p}`);
  const boot = r.bootToFirstTestMs !== undefined ? `${(r.bootToFirstTestMs / 1000).toFixed(1)} s` : '-';
  lines.push(`${passedLine(r.tests)}; seed ${r.seed}; ${r.accel.toUpperCase()}; ${r.boots} boot${r.boots === 1 ? '' : 's'}; boot to first test ${boot}; wall ${(r.wallMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** The same rule as `cosim run`'s: a problem beside the tests (a killed simulator, a lost peer) fails the run too. */
export function regressPassed(r: RegressReport): boolean {
  return earnedPass(r);
}
