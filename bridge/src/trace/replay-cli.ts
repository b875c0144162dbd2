// `cosim replay TRACE` and the waveforms `cosim regress --wave-on-fail`
// makes: which model library stands for the RTL, the waveform's window and
// markers for a test, the .gtkw next to the FST.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, intOpt, UsageError } from '../cli/args';
import { RESET_CYCLES } from '../defaults';
import { inprocSpec } from '../peer/inproc-hdl';
import { builtinNames, builtinProjects, Project, ProjectError, resolveProject } from '../project/project';
import { buildProjectRtl } from '../project/rtl';
import { MsgType } from '../protocol/wire';
import { resolveModel } from '../model/native';
import { Dir, readTrace, TraceError, Txn } from './format';
import { GtkwMarker, writeGtkw } from './gtkw';
import { DEFAULT_SNAPSHOT_EVERY, fstTime, planReplay, replay, ReplayInputError, ReplayPlan, replayReport, ReplayResult } from './replay';

export const REPLAY_EXIT = { SAME: 0, DIVERGED: 1, USAGE: 2, NO_BUILD: 125 } as const;

export const REPLAY: Command = {
  name: 'replay',
  summary: "Run a trace's device RTL with no QEMU and no guest: inject what the host sent at its recorded cycles, compare what the device sends with the recording; exits 1 at the first divergence (for git bisect run).",
  usage: 'cosim replay TRACE [options]',
  options: {
    test: { type: 'string', arg: 'NAME', help: "replay from cycle 0 through this test's end mark (the waveform's default window is the test's cycles)" },
    name: { type: 'string', arg: 'NAME', help: "the trace's device to replay (default: its only one)" },
    project: { type: 'string', arg: 'DIR', help: 'the RTL: this device project (a folder holding a cosim.json), built as a model library' },
    device: { type: 'string', arg: 'NAME', help: `the RTL: a built-in project, ${builtinNames().join(', ')} (default: the project the trace names, if built in)` },
    define: { type: 'string', arg: 'MACRO', multiple: true, help: "build the project's RTL with this define too (repeatable), e.g. COSIM_BUG_COPY_SHORT" },
    hdl: { type: 'string', arg: 'inproc:MODEL', help: "the RTL as a model library: a built-in project's name, a project folder, a top built with 'scripts/build-rtl.sh --lib --top NAME', or a libcosim-model.so path" },
    sim: { type: 'string', arg: 'PATH', help: 'a cosim-sim simulator built by scripts/build-rtl.sh: the same RTL (its top and defines, read from its build folder) is built as a model library' },
    wave: { type: 'string', arg: 'FILE.fst', help: 'write an FST waveform, and FILE.gtkw for GTKWave (the bridge channels grouped, markers at the last transactions or the divergence)' },
    'wave-from': { type: 'string', arg: 'CYCLE', help: 'first bridge cycle of the waveform (default: 0, or the test\'s first)' },
    'wave-to': { type: 'string', arg: 'CYCLE', help: "last bridge cycle of the waveform (default: the end, or the test's last)" },
    'wave-last': { type: 'string', arg: 'CYCLES', help: 'instead of a window given up front: the waveform of the last CYCLES cycles before the replay stopped (at the divergence, or the end); the replay keeps fork() snapshots of the model and runs that window again from the nearest one' },
    'snapshot-every': { type: 'string', arg: 'CYCLES', help: 'with --wave-last: cycles between two snapshots', default: String(DEFAULT_SNAPSHOT_EVERY) },
    'reset-cycles': { type: 'string', arg: 'N', help: 'cycles rst_n is held low at start, as the simulator that recorded did', default: String(RESET_CYCLES) },
    'max-cycles': { type: 'string', arg: 'CYCLE', help: 'bridge cycle at which to give up waiting for an expected message (default: the last recorded cycle + 1000000)' },
    'log-level': { type: 'string', arg: 'LEVEL', help: "the shim's log level inside the model (stderr): error, warn, info, debug", default: 'warn' },
  },
  details: [
    'Exit status: 0 the RTL sent the recorded messages at the recorded cycles; 1 a divergence (the first: message number, cycle, expected, got), a message that never came, or the RTL stopped; 2 usage, a trace that cannot be read or replayed (the byte offset is named), a CONF that differs (the field is named); 125 the RTL does not build (git bisect run skips that commit).',
    'Serial bytes are compared as one byte stream, and a run of address-contiguous DMA writes as one write: the simulator cuts both at transport time, which the recording does not repeat (docs/replay.md).',
    'Bisecting a change of the RTL: git bisect run npx cosim replay gpu_copy.trace --device gpu',
  ].join('\n'),
};

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function cycleOpt(v: unknown, name: string): bigint | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^(\d+|0x[0-9a-f]+)$/i.test(s)) throw new UsageError(`--${name}: '${s}' is not a cycle number`);
  return BigInt(s);
}

/** A failure to build the RTL: `cosim replay` exits 125 for it. */
export class RtlBuildError extends Error {}

/** What the simulator's Verilator run was: its top, defines and input files (its build folder's obj/Vsim__verFiles.dat). */
function verilatorRun(built: string): { top?: string; defines: string[]; inputs: Map<string, string> } {
  const file = path.join(path.dirname(built), 'obj', 'Vsim__verFiles.dat');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${built}: not a build of scripts/build-rtl.sh (no ${file}), so its RTL is unknown: give the RTL with --project/--device (and --define), or --hdl inproc:MODEL`);
  }
  const cmd = /^C "(.*)"$/m.exec(text)?.[1] ?? '';
  const args = cmd.split(/\s+/);
  const i = args.indexOf('--top-module');
  const inputs = new Map<string, string>();
  for (const m of text.matchAll(/^S\s+(\d+)\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\d+\s+"(.*)"$/gm)) {
    if (/\.(sv|v|svh|vh)$/.test(m[3])) inputs.set(m[3], `${m[1]} bytes, mtime ${m[2]}`);
  }
  return { top: i >= 0 ? args[i + 1] : undefined, defines: args.filter((a) => a.startsWith('+define+')).map((a) => a.slice('+define+'.length)), inputs };
}

/** What a simulator was built from, if it is the project's top (else a UsageError that says so). */
export function checkSim(sim: string, project: Project): ReturnType<typeof verilatorRun> {
  const run = verilatorRun(sim);
  if (run.top !== project.rtl.top) throw new UsageError(`${sim} was built from top '${run.top ?? '?'}', project '${project.name}' has top '${project.rtl.top}': give the simulator's project with --project/--device`);
  return run;
}

/**
 * The model library of the RTL a cosim-sim binary was built from: the
 * project's RTL with the simulator's extra defines, checked to be built from
 * the same source files.
 */
export async function modelForSim(sim: string, project: Project, echo?: (l: string) => void): Promise<string> {
  const run = checkSim(sim, project);
  const own = new Set(project.rtl.defines);
  const defines = [...new Set(run.defines.filter((d) => !own.has(d)))];
  let lib: string;
  try {
    lib = await buildProjectRtl(project, { lib: true, defines, echo });
  } catch (e) {
    throw new RtlBuildError((e as Error).message);
  }
  const libRun = verilatorRun(lib);
  for (const [f, what] of run.inputs) {
    const mine = libRun.inputs.get(f);
    if (mine === undefined) throw new UsageError(`${sim} was built from ${f}, which project '${project.name}' does not compile: give its project with --project/--device`);
    if (mine !== what) throw new UsageError(`${sim} was built from another version of ${f} (${what}; now ${mine}): rebuild it, or replay the RTL as it is now with --project/--device`);
  }
  return lib;
}

export interface ModelChoice {
  project?: Project;
  defines?: string[];
  /** inproc:MODEL */
  hdl?: string;
  sim?: string;
  echo?: (l: string) => void;
}

/** The model library for a replay: --hdl inproc:MODEL, --sim PATH mapped to its project, or the project (with defines). */
export async function modelLibrary(c: ModelChoice): Promise<string> {
  const spec = c.hdl !== undefined ? (c.hdl === 'inproc' && c.project ? c.project.dir : inprocSpec(c.hdl)) : undefined;
  if (spec !== undefined) {
    try {
      return await resolveModel(spec, c.echo);
    } catch (e) {
      if (/build-rtl\.sh|verilator/i.test((e as Error).message)) throw new RtlBuildError((e as Error).message);
      throw new UsageError((e as Error).message);
    }
  }
  if (!c.project) throw new UsageError('no RTL: give --project DIR, --device NAME, --hdl inproc:MODEL or --sim PATH');
  if (c.sim !== undefined) return modelForSim(c.sim, c.project, c.echo);
  try {
    return await buildProjectRtl(c.project, { lib: true, defines: c.defines, echo: c.echo });
  } catch (e) {
    throw new RtlBuildError((e as Error).message);
  }
}

const dirWord = (t: Txn) => (t.dir === Dir.TO_DEVICE ? 'to' : 'from');
const txnLabel = (t: Txn) => `#${t.seq} ${dirWord(t)} ${MsgType[t.msg.type] ?? t.msg.type}${t.msg.type === MsgType.DMA_WRITE || t.msg.type === MsgType.DMA_READ ? ` 0x${t.msg.address.toString(16)}+${t.msg.length}` : ''}`;

/** A test's window of bridge cycles: its first stamped message to its last recorded one, with a little room. */
export function testWindow(plan: ReplayPlan): { from: bigint; to: bigint } | undefined {
  const cycles = plan.testTxns.map((t) => t.cycle!);
  if (!cycles.length) return undefined;
  const min = cycles.reduce((a, b) => (b < a ? b : a));
  const max = cycles.reduce((a, b) => (b > a ? b : a));
  return { from: min > 16n ? min - 16n : 0n, to: max + 64n };
}

/**
 * Markers: the last `count` transactions of the test (or of the replay),
 * the last one of each message type and direction before them (every
 * channel's last transaction one jump away), and the divergence. `focus`
 * is what the view opens on: the divergence, else the last transactions.
 */
export function waveMarkers(plan: ReplayPlan, r: ReplayResult, count = 8): { markers: GtkwMarker[]; focus: GtkwMarker[] } {
  const w = r.wave;
  const inWindow = (c: bigint) => !w || (c >= w.fromCycle && c <= w.toCycle);
  const pool = (plan.testTxns.length ? plan.testTxns : [...plan.inject, ...plan.units.flatMap((u) => u.parts)]).filter((t) => t.cycle !== undefined && inWindow(t.cycle));
  const byTime = (a: Txn, b: Txn) => (a.cycle! < b.cycle! ? -1 : a.cycle! > b.cycle! ? 1 : a.seq - b.seq);
  const sorted = [...pool].sort(byTime);
  const last = sorted.slice(-count);
  const lastOfType = new Map<string, Txn>();
  for (const t of sorted) lastOfType.set(`${t.dir}:${t.msg.type}`, t);
  const room = 25 - last.length; // 26 named markers, one kept for the divergence
  const earlier = [...lastOfType.values()].filter((t) => !last.includes(t)).sort(byTime).slice(-room);
  const mark = (t: Txn) => ({ time: fstTime(t.cycle!), label: txnLabel(t) });
  const focus = last.map(mark);
  const markers = [...earlier.map(mark), ...focus];
  if (r.divergence && inWindow(r.divergence.cycle)) {
    const d = { time: fstTime(r.divergence.cycle), label: `divergence at #${r.divergence.seq}` };
    markers.push(d);
    markers.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    return { markers, focus: [d] };
  }
  return { markers, focus };
}

/** What GTKWave shows first: the markers with some room around them, inside the waveform's window; the whole window without markers. */
export function viewOf(markers: GtkwMarker[], from: bigint, to: bigint): { from: bigint; to: bigint } {
  if (!markers.length) return { from, to };
  const lo = markers.reduce((a, m) => (m.time < a ? m.time : a), markers[0].time);
  const hi = markers.reduce((a, m) => (m.time > a ? m.time : a), markers[0].time);
  const span = hi - lo;
  const pad = span / 5n > 100n ? span / 5n : 100n;
  return { from: lo - pad > from ? lo - pad : from, to: hi + pad < to ? hi + pad : to };
}

/** FILE.fst -> FILE.gtkw */
export const gtkwPath = (fst: string) => (fst.endsWith('.fst') ? `${fst.slice(0, -4)}.gtkw` : `${fst}.gtkw`);

export interface WaveReplay {
  result: ReplayResult;
  plan: ReplayPlan;
  lines: string[];
  gtkw?: string;
}

/** Replays one trace (optionally one test of it) against a model library, with a waveform and its .gtkw. */
export function replayToWave(
  plan: ReplayPlan,
  lib: string,
  o: { wave?: string; waveFrom?: bigint; waveTo?: bigint; waveLast?: bigint; snapshotEvery?: bigint; resetCycles?: number; maxCycles?: bigint; logLevel?: string; plusargs?: string[] },
): WaveReplay {
  const win = plan.test !== undefined && o.waveLast === undefined ? testWindow(plan) : undefined;
  const result = replay(plan, lib, {
    resetCycles: o.resetCycles,
    maxCycles: o.maxCycles,
    wave: o.wave,
    waveFrom: o.waveFrom ?? win?.from,
    waveTo: o.waveTo ?? win?.to,
    waveLast: o.waveLast,
    snapshotEvery: o.snapshotEvery,
    logLevel: o.logLevel,
    plusargs: o.plusargs,
  });
  const lines = replayReport(plan, result);
  let gtkw: string | undefined;
  if (o.wave && result.wave) {
    const { markers, focus } = waveMarkers(plan, result);
    gtkw = writeGtkw(o.wave, gtkwPath(o.wave), { ...viewOf(focus, fstTime(result.wave.fromCycle) - 3n, fstTime(result.wave.toCycle)), markers, primary: focus.at(-1) });
    lines.push(`waveform: cycles ${result.wave.fromCycle}..${result.wave.toCycle} in ${o.wave}; gtkwave ${gtkw}`);
  }
  return { result, plan, lines, gtkw };
}

/** build-rtl.sh's progress lines on stderr (not the path it prints last). */
const buildEcho = (l: string) => {
  if (l.startsWith('[')) process.stderr.write(`${l}\n`);
};

export async function runReplay(v: Values, pos: string[]): Promise<number> {
  try {
    if (pos.length !== 1) throw new UsageError(`usage: ${REPLAY.usage}`);
    const file = pos[0];
    // Read first: a bad trace is reported before any build.
    const trace = readTrace(file);
    const defines = (v.define as string[] | undefined) ?? [];
    const hdl = str(v.hdl);
    if (hdl !== undefined && (v.sim !== undefined || defines.length)) throw new UsageError('--hdl names the model library itself: --sim and --define do not go with it');
    if (v.sim !== undefined && defines.length) throw new UsageError('--sim and --define: the simulator says its defines (give one or the other)');
    let project: Project | undefined;
    if (v.project !== undefined || v.device !== undefined) {
      try {
        project = resolveProject({ project: str(v.project), device: str(v.device) });
      } catch (e) {
        if (e instanceof ProjectError) throw e;
        throw new UsageError((e as Error).message);
      }
    } else if (hdl === undefined || hdl === 'inproc') {
      const named = typeof trace.meta.project === 'string' ? trace.meta.project : undefined;
      if (named && builtinProjects().has(named)) project = resolveProject({ device: named });
      else throw new UsageError(`${file}: name the RTL to replay: --project DIR, --device NAME, --hdl inproc:MODEL or --sim PATH${named ? ` (the trace was recorded from project '${named}')` : ''}`);
    }
    const level = str(v['log-level']);
    if (level !== undefined && !['error', 'warn', 'info', 'debug'].includes(level)) throw new UsageError(`--log-level: '${level}' is not error, warn, info or debug`);
    const waveLast = cycleOpt(v['wave-last'], 'wave-last');
    if (waveLast !== undefined && v.wave === undefined) throw new UsageError('--wave-last: give the waveform file with --wave FILE.fst');
    if (waveLast !== undefined && (v['wave-from'] !== undefined || v['wave-to'] !== undefined)) throw new UsageError('--wave-last picks the window itself: --wave-from and --wave-to do not go with it');
    if (waveLast === 0n) throw new UsageError('--wave-last: 0 cycles make no waveform');
    const snapshotEvery = cycleOpt(v['snapshot-every'], 'snapshot-every');
    if (snapshotEvery === 0n) throw new UsageError('--snapshot-every: 0 is not a number of cycles between snapshots');
    const runOpts = {
      waveFrom: cycleOpt(v['wave-from'], 'wave-from'),
      waveTo: cycleOpt(v['wave-to'], 'wave-to'),
      waveLast,
      snapshotEvery,
      resetCycles: intOpt(v['reset-cycles'], 'reset-cycles', 1),
      maxCycles: cycleOpt(v['max-cycles'], 'max-cycles'),
    };
    const plan = planReplay(trace, { device: str(v.name), test: str(v.test) });
    const lib = await modelLibrary({ project, defines, hdl, sim: str(v.sim), echo: buildEcho });
    const wave = str(v.wave);
    if (wave) fs.mkdirSync(path.dirname(path.resolve(wave)), { recursive: true });
    const r = replayToWave(plan, lib, {
      wave,
      ...runOpts,
      logLevel: str(v['log-level']),
      plusargs: project?.rtl.plusargs,
    });
    for (const l of r.lines) console.log(l);
    return r.result.divergence ? REPLAY_EXIT.DIVERGED : REPLAY_EXIT.SAME;
  } catch (e) {
    if (e instanceof RtlBuildError) {
      console.error(`cosim replay: the RTL does not build (exit ${REPLAY_EXIT.NO_BUILD}, which git bisect run skips): ${e.message}`);
      return REPLAY_EXIT.NO_BUILD;
    }
    if (e instanceof UsageError || e instanceof TraceError || e instanceof ReplayInputError || e instanceof ProjectError) {
      console.error(`cosim replay: ${e.message}`);
      return REPLAY_EXIT.USAGE;
    }
    if (/cannot read the trace/.test((e as Error).message)) {
      console.error(`cosim replay: ${(e as Error).message}`);
      return REPLAY_EXIT.USAGE;
    }
    throw e;
  }
}
