// The N-API addon (dpi/napi/addon.cc, built by node-gyp into
// build/Release/cosim_addon.node) and the model libraries it loads
// (scripts/build-rtl.sh --lib). Messages cross as wire frames, so this side
// encodes and decodes them with the protocol codec (protocol/wire.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Echo } from '../orchestrate/build';
import { repoRoot } from '../orchestrate/process';
import { builtinNames, builtinProjects, DESCRIPTOR, loadProject, resolveProject } from '../project/project';
import { buildProjectRtl } from '../project/rtl';
import { decode, encode, Message } from '../protocol/wire';

/** What the addon exports (dpi/napi/addon.cc). */
interface AddonModel {
  run(cycles: number, flags?: number): number;
  setReset(active: boolean): void;
  reset(cycles: number): number;
  next(): number;
  waveWindow(path: string, start: number, stop: number): boolean;
  cycles(): bigint;
  bridgeCycle(): bigint;
  push(header: Buffer, payload?: Buffer): boolean;
  drain(): Buffer[][] | null;
  state(): number;
  traceOpen(path: string): boolean;
  traceClose(): void;
  stats(): ModelStats;
  stopReason(): string;
  top(): string;
  snapshot(): number;
  restore(id: number): void;
  dropSnapshot(id: number): void;
  close(): void;
}

interface Addon {
  Model: new (libPath: string, opts: { name?: string; logLevel?: number; plusargs?: string[] }) => AddonModel;
  abi: number;
  runFlags: { STOP_URGENT: number; STOP_OUTPUT: number; STOP_IDLE: number; STOP_WAITING: number; STEP: number };
  next: { CLOCK: number; WAIT_INPUT: number; WAIT_DMA: number; STOP: number };
  stateBits: { IDLE: number; WAITING: number; URGENT: number; STOPPING: number; FINISHED: number; ERROR: number };
}

export interface ModelStats {
  msgsIn: number;
  msgsOut: number;
  bytesIn: number;
  bytesOut: number;
  badFrames: number;
  errorsSent: number;
  errorsReceived: number;
  mmioReads: number;
  mmioWrites: number;
  dmaReads: number;
  dmaReadBytes: number;
  dmaWrites: number;
  dmaWriteBytes: number;
  msix: number;
  nicTxFrames: number;
  nicRxFrames: number;
  uartTxBytes: number;
  uartRxBytes: number;
  resets: number;
}

export const ADDON_PATH = path.join(repoRoot, 'build', 'Release', 'cosim_addon.node');

let addon: Addon | undefined;
export function loadAddon(): Addon {
  if (addon) return addon;
  if (!fs.existsSync(ADDON_PATH)) {
    throw new Error(`the model addon ${ADDON_PATH} is not built: run 'npm install' or 'node scripts/build-addon.js' (or 'npm run setup')`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  addon = require(ADDON_PATH) as Addon;
  return addon;
}

export const RunFlag = { STOP_URGENT: 1, STOP_OUTPUT: 2, STOP_IDLE: 4, STOP_WAITING: 8, STEP: 13 } as const;
/** What a host loop does after a batch (enum cosim_model_next): clock on, wait for a message, wait for DMA data or a message, stop. */
export const Next = { CLOCK: 0, WAIT_INPUT: 1, WAIT_DMA: 2, STOP: 3 } as const;
export const StateBit = { IDLE: 1, WAITING: 2, URGENT: 4, STOPPING: 8, FINISHED: 16, ERROR: 32 } as const;

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface NativeModelOptions {
  /** Device name the RTL's HELLO carries (default dev0). */
  name?: string;
  /** The shim's stderr log level: error, warn (default), info, debug. */
  logLevel?: string;
  /** Plusargs for the RTL ($test$plusargs), e.g. ['+verbose']. */
  plusargs?: string[];
}

/**
 * One Verilated model inside this process. Every call runs on this thread
 * (Verilator's eval-thread rule); run() is bounded by its cycle count.
 * One live model per model library.
 */
export class NativeModel {
  private readonly m: AddonModel;
  closed = false;

  constructor(
    readonly libPath: string,
    o: NativeModelOptions = {},
  ) {
    const level = o.logLevel === undefined ? LEVELS.warn : LEVELS[o.logLevel];
    if (level === undefined) throw new Error(`logLevel '${o.logLevel}' is not one of ${Object.keys(LEVELS).join(', ')}`);
    this.m = new (loadAddon().Model)(libPath, { name: o.name, logLevel: level, plusargs: o.plusargs });
  }

  get top(): string {
    return this.m.top();
  }

  /** Clocks up to `cycles` cycles; returns how many ran (fewer if a RunFlag condition fired or $finish). */
  run(cycles: number, flags = 0): number {
    return this.m.run(cycles, flags);
  }

  setReset(active: boolean): void {
    this.m.setReset(active);
  }

  /** Holds rst_n low for `cycles` cycles, then lets go; returns the cycles run (fewer on $finish). */
  reset(cycles: number): number {
    return this.m.reset(cycles);
  }

  /** What a host loop does now, after a run(batch, RunFlag.STEP) and the exchange of its messages (Next). */
  next(): number {
    return this.m.next();
  }

  /**
   * A waveform window the model keeps while it runs: `file` opened once the
   * cycle count reaches `start` (now, if it has), closed at `stop`
   * (undefined: at close). Throws on a build without FST.
   */
  waveWindow(file: string, start = 0, stop?: number): void {
    if (!this.m.waveWindow(file, start, stop ?? 0)) {
      throw new Error(`cannot keep waveform ${file} for cycles ${start}..${stop ?? 'end'} (model built without --trace-fst, or the stop is not after the start)`);
    }
  }

  get cycles(): bigint {
    return this.m.cycles();
  }

  /**
   * The bridge cycle: what the SV bridge endpoint last passed to the shim, the
   * HDL side's clock in message headers and DELIVERED stamps. It advances by
   * one per clocked cycle (in reset too; it lags `cycles` by one); a replay
   * injects a recorded message when it equals the recorded stamp.
   */
  bridgeCycle(): bigint {
    return this.m.bridgeCycle();
  }

  /** Hands one message to the shim (validated there; a bad one is answered with an ERROR). */
  push(msg: Message): boolean {
    const f = encode(msg);
    return this.m.push(f[0], f[1]);
  }

  /** Hands raw frames to the shim, exactly as received (no re-encoding). */
  pushFrames(frames: Buffer[]): boolean {
    return this.m.push(frames[0], frames[1]);
  }

  /** Every outbound message queued, as wire frames; [] if none. */
  drainFrames(): Buffer[][] {
    return this.m.drain() ?? [];
  }

  /** Every outbound message queued, decoded. */
  drain(): Message[] {
    const f = this.m.drain();
    return f ? f.map((frames) => decode(frames)) : [];
  }

  state(): number {
    return this.m.state();
  }

  traceOpen(file: string): boolean {
    return this.m.traceOpen(file);
  }

  traceClose(): void {
    this.m.traceClose();
  }

  stats(): ModelStats {
    return this.m.stats();
  }

  stopReason(): string {
    return this.m.stopReason();
  }

  /**
   * A snapshot of the model as it is now: a fork()ed copy of this process,
   * stopped (dpi/include/cosim_model.h). Throws while a waveform is open and
   * on a restored model.
   */
  snapshot(): number {
    return this.m.snapshot();
  }

  /** Carries on from a snapshot: every later call acts on its copy, from the cycle it was taken at. */
  restore(id: number): void {
    this.m.restore(id);
  }

  /** Ends a snapshot's copy. */
  dropSnapshot(id: number): void {
    this.m.dropSnapshot(id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m.close();
  }
}

/**
 * The library file for a model spec:
 *  - a built-in project's name (`example`, `gpu`, `axi_test`: hdl/<folder>/cosim.json)
 *    or a project folder / cosim.json: built or taken from the cache;
 *  - a top module name already built with `build-rtl.sh --lib --top NAME` (build/rtl/current-lib-NAME);
 *  - a path to a libcosim-model.so, or to a directory holding one.
 */
export async function resolveModel(spec: string, echo: Echo = () => undefined): Promise<string> {
  const p = path.resolve(spec);
  const isDir = fs.existsSync(p) && fs.statSync(p).isDirectory();
  if (builtinProjects().has(spec) || (isDir && fs.existsSync(path.join(p, DESCRIPTOR))) || path.basename(p) === DESCRIPTOR) {
    const project = builtinProjects().has(spec) ? resolveProject({ device: spec }) : loadProject(p);
    return buildProjectRtl(project, { lib: true, echo });
  }
  const current = path.join(repoRoot, 'build', 'rtl', `current-lib-${spec}`);
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec) && fs.existsSync(current)) return fs.realpathSync(current);
  const file = isDir ? path.join(p, 'libcosim-model.so') : p;
  if (!fs.existsSync(file)) {
    throw new Error(`model '${spec}': not a project (${builtinNames().join(', ')}, or a folder with a ${DESCRIPTOR}), not a top built with 'scripts/build-rtl.sh --lib --top ${spec}', and no file ${file}`);
  }
  return file;
}
