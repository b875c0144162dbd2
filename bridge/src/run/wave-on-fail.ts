// `cosim regress --wave-on-fail DIR`: the run records a trace per guest test
// (as --trace-dir does); passing tests cost that and nothing more. Each test
// that fails has its trace replayed against the same RTL as a model library
// (cosim replay), with a waveform over the test's cycles: DIR/<test>.fst and
// DIR/<test>.gtkw, the bridge's channels grouped and markers at the test's
// last transactions. Its failure report says how to open it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceOptions, testTraceFile } from '../trace/writer';
import { builtinProjects, Project } from '../project/project';
import { modelLibrary, replayToWave } from '../trace/replay-cli';
import { planReplay } from '../trace/replay';
import { readTrace } from '../trace/format';
import { TestResult } from './console';

export interface WaveOnFail {
  dir: string;
  /** The per-test traces; made for the waves unless the run asked for --trace-dir. */
  traceDir: string;
  /** True when traceDir is ours: the traces of passing tests are deleted after the run. */
  ownTraces: boolean;
}

/** The trace options a run with --wave-on-fail records with (a trace per test), and where. */
export function waveTraceOptions(dir: string, trace: TraceOptions | undefined): { trace: TraceOptions; wave: WaveOnFail } {
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true });
  if (trace?.dir) return { trace, wave: { dir: abs, traceDir: trace.dir, ownTraces: false } };
  const traceDir = path.join(abs, 'traces');
  return { trace: { ...trace, dir: traceDir }, wave: { dir: abs, traceDir, ownTraces: true } };
}

const failed = (t: TestResult) => t.status === 'fail' || t.status === 'timeout';

export interface WaveRtl {
  project: Project;
  /** 'inproc:MODEL' (the run's --hdl, resolved). */
  hdl?: string;
  sim?: string;
}

/**
 * For each failing guest test with a trace: replays it with a waveform of
 * its cycles, and adds to its failures the line that opens it. Returns
 * problems that kept a wave from being made (never throws for one test).
 */
export async function wavesForFailures(w: WaveOnFail, rtl: WaveRtl, tests: TestResult[], progress: (l: string) => void, echo?: (l: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const failing = tests.filter((t) => failed(t) && !t.name.startsWith('tb:'));
  let lib: string | undefined;
  for (const t of failing) {
    const file = testTraceFile(w.traceDir, t.name);
    if (!fs.existsSync(file)) {
      t.failures.push(`waveform: none (no trace ${file})`);
      continue;
    }
    try {
      lib ??= await modelLibrary({ project: rtl.project, hdl: rtl.hdl, sim: rtl.sim, echo });
      const base = path.join(w.dir, path.basename(file, '.trace'));
      const t0 = Date.now();
      const plan = planReplay(readTrace(file), { test: t.name });
      const r = replayToWave(plan, lib, { wave: `${base}.fst`, plusargs: rtl.project.rtl.plusargs });
      const win = r.result.wave;
      progress(`regress: waveform of ${t.name}: cycles ${win?.fromCycle ?? '?'}..${win?.toCycle ?? '?'} replayed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (r.gtkw) t.failures.push(`waveform: gtkwave ${r.gtkw}`);
      const proj = builtinProjects().get(rtl.project.name) === rtl.project.file ? `--device ${rtl.project.name}` : `--project ${rtl.project.dir}`;
      t.failures.push(`replay: cosim replay ${file} --test ${t.name} ${rtl.hdl ? `--hdl ${rtl.hdl}` : rtl.sim ? `${proj} --sim ${rtl.sim}` : proj}`);
      // The same RTL replays its own trace bit for bit; if not, the wave still shows what it did.
      if (r.result.divergence) t.failures.push(`the replay of this test's trace diverged from the run: ${r.result.divergence.summary} (message #${r.result.divergence.seq}, cycle ${r.result.divergence.cycle})`);
    } catch (e) {
      const text = `waveform of ${t.name}: ${(e as Error).message}`;
      t.failures.push(`waveform: none (${(e as Error).message})`);
      problems.push(text);
    }
  }
  if (w.ownTraces) {
    // Passing tests paid for their trace and no more: it goes. A failing test's stays for cosim replay.
    const keep = new Set(failing.map((t) => path.basename(testTraceFile(w.traceDir, t.name))));
    for (const f of fs.existsSync(w.traceDir) ? fs.readdirSync(w.traceDir) : []) if (!keep.has(f)) fs.rmSync(path.join(w.traceDir, f), { force: true });
    if (keep.size === 0) fs.rmSync(w.traceDir, { recursive: true, force: true });
  }
  return problems;
}
