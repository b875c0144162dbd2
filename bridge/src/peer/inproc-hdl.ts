// The HDL peer in the broker's own process: the Verilated model loaded
// through the N-API addon and attached to the broker (Broker.attach), instead
// of a cosim-sim process behind a ZeroMQ socket. Same protocol behaviour
// (the same shim queue layer, the same broker validation/routing/timeouts),
// one process and one ZeroMQ hop fewer.
//
// The pump mirrors the cosim-sim harness loop (dpi/harness/main.cpp) on the
// event loop: clock up to `batch` cycles (stopping early once an MMIO read
// completion or a DMA read is queued, or the design is idle), hand the model's messages to the
// broker, then: idle design -> sleep until the broker sends something;
// waiting on DMA reads -> sleep until a message or 5 ms; else yield
// (setImmediate) and clock on. Every model call happens on this thread.
import { performance } from 'node:perf_hooks';
import { AttachedPeer, Broker } from '../broker/broker';
import { encode, message, MsgType } from '../protocol/wire';
import { NativeModel, resolveModel, RunFlag, StateBit } from '../model/native';
import { Logger } from '../util/log';
import { RESET_CYCLES } from '../defaults';

export interface InprocHdlOptions {
  broker: Broker;
  /** Model spec (resolveModel): a project's name or folder, a top built with build-rtl.sh --lib, or a libcosim-model.so path. */
  model: string;
  /** Device name (default dev0). */
  name?: string;
  log: Logger;
  /** Cycles between two message exchanges (default 1000, as cosim-sim). */
  batch?: number;
  /** Cycles rst_n is held low at start (default 16). */
  resetCycles?: number;
  /** The shim's log level (stderr): error, warn (default), info, debug. */
  logLevel?: string;
  plusargs?: string[];
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  dmaWaitMs?: number;
}

/** `inproc:SPEC` -> SPEC, else undefined. */
export function inprocSpec(hdl: string | undefined): string | undefined {
  if (hdl === undefined || hdl === '' || hdl === 'zmq') return undefined;
  if (!hdl.startsWith('inproc:') || hdl.length === 'inproc:'.length) {
    throw new Error(`--hdl '${hdl}': expected inproc:NAME_OR_PATH (e.g. inproc:example) or zmq`);
  }
  return hdl.slice('inproc:'.length);
}

export class InprocHdl {
  readonly model: NativeModel;
  readonly exited: Promise<void>;
  /** Why the pump stopped ('' while running). */
  stopReason = '';
  private readonly peer: AttachedPeer;
  private stopped = false;
  private wake?: () => void;
  private waveOpen = false;
  private waveDone = false;
  private readonly t0 = Date.now();

  /** Resolves the model (building it if it is a known name) and starts it. */
  static async start(o: InprocHdlOptions): Promise<InprocHdl> {
    return new InprocHdl(await resolveModel(o.model), o);
  }

  constructor(
    libPath: string,
    private readonly o: InprocHdlOptions,
  ) {
    this.model = new NativeModel(libPath, { name: o.name, logLevel: o.logLevel, plusargs: o.plusargs });
    this.peer = o.broker.attach('hdl', o.name ?? 'dev0', (frames) => {
      if (this.model.closed) return;
      this.model.pushFrames(frames);
      this.wake?.();
    });
    this.exited = this.pump();
  }

  get cycles(): bigint {
    return this.model.closed ? this.lastCycles : this.model.cycles;
  }
  private lastCycles = 0n;

  /** One line like the harness's exit summary. */
  summary(): string {
    const s = this.model.closed ? this.lastStats : this.model.stats();
    const wall = (Date.now() - this.t0) / 1000;
    const c = Number(this.cycles);
    const busy = this.clockingMs / 1000;
    return `summary: cycles=${c} wall=${wall.toFixed(3)}s rate=${wall > 0 ? (c / wall).toFixed(0) : 0} cycles/s busy=${busy.toFixed(3)}s busy_rate=${busy > 0 ? (c / busy).toFixed(0) : 0} cycles/s msgs_in=${s?.msgsIn ?? 0} msgs_out=${s?.msgsOut ?? 0} bad_frames=${s?.badFrames ?? 0} reason="${this.stopReason}"`;
  }
  private lastStats?: ReturnType<NativeModel['stats']>;
  /** Time spent clocking the model, as the harness counts it (its summary's busy=). */
  private clockingMs = 0;

  /** Stops the pump, tells the broker the peer left, frees the model. */
  async stop(reason = 'stopped'): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.stopReason ||= reason;
      this.wake?.();
    }
    await this.exited;
  }

  private forward(): void {
    for (const frames of this.model.drainFrames()) this.peer.receive(frames);
  }

  private sleep(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const t = ms !== undefined ? setTimeout(() => done(), ms) : undefined;
      const done = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  /** Opens the waveform at waveStart and closes it at waveStop (cycles). */
  private waveStep(): void {
    const o = this.o;
    if (!o.wave || this.waveDone) return;
    const c = Number(this.model.cycles);
    if (!this.waveOpen && c >= (o.waveStart ?? 0)) {
      if (!this.model.traceOpen(o.wave)) throw new Error(`cannot open waveform ${o.wave}`);
      this.waveOpen = true;
      o.log.info({ file: o.wave, cycle: c }, 'waveform opened');
    }
    if (this.waveOpen && o.waveStop !== undefined && c >= o.waveStop) {
      this.model.traceClose();
      this.waveDone = true;
      o.log.info({ file: o.wave, cycle: c }, 'waveform closed');
    }
  }

  /** Cycles to run before the next waveform edge. */
  private runLimit(batch: number): number {
    const o = this.o;
    if (!o.wave || this.waveDone) return batch;
    const edge = this.waveOpen ? o.waveStop : (o.waveStart ?? 0);
    const c = Number(this.model.cycles);
    return edge !== undefined && edge > c ? Math.min(batch, edge - c) : batch;
  }

  private async pump(): Promise<void> {
    const m = this.model;
    const batch = this.o.batch ?? 1000;
    try {
      this.waveStep();
      m.setReset(true);
      for (let left = this.o.resetCycles ?? RESET_CYCLES; left > 0; ) {
        const n = m.run(this.runLimit(left));
        if (n === 0) break;
        left -= n;
        this.waveStep();
      }
      m.setReset(false);
      this.forward();
      while (!this.stopped) {
        this.forward(); // what a pushed message made the shim answer at once (PONG, ERROR)
        const c0 = performance.now();
        m.run(this.runLimit(batch), RunFlag.STOP_URGENT | RunFlag.STOP_IDLE);
        this.clockingMs += performance.now() - c0;
        this.waveStep();
        this.forward();
        const st = m.state();
        if (st & StateBit.STOPPING) {
          this.stopReason ||= m.stopReason();
          break;
        }
        if (st & (StateBit.FINISHED | StateBit.ERROR)) {
          this.stopReason ||= st & StateBit.ERROR ? 'the RTL reported an error' : 'the RTL called $finish';
          break;
        }
        if (st & StateBit.IDLE) await this.sleep();
        else if (st & StateBit.WAITING) await this.sleep(this.o.dmaWaitMs ?? 5);
        else await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.stopReason ||= (e as Error).message;
      this.o.log.error({ err: (e as Error).message }, 'in-process HDL peer failed');
    } finally {
      this.stopped = true;
      this.lastCycles = m.cycles;
      this.lastStats = m.stats();
      this.peer.receive(encode(message(MsgType.SHUTDOWN, { payload: Buffer.from(this.stopReason || 'stopped') })));
      m.close();
      this.o.log.info({ device: this.o.name ?? 'dev0' }, `in-process HDL peer ${this.summary()}`);
    }
  }
}
