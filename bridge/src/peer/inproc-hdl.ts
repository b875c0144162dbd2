// The HDL peer in the broker's own process: the Verilated model loaded
// through the N-API addon and attached to the broker (Broker.attach), instead
// of a cosim-sim process behind a ZeroMQ socket. Same protocol behaviour
// (the same shim queue layer, the same broker validation/routing/timeouts),
// one process and one ZeroMQ hop fewer.
//
// The pump is the engine's host loop (dpi/include/cosim_model.h), as the
// cosim-sim harness runs it: the engine resets, clocks a batch
// (RunFlag.STEP), keeps the waveform window and says what comes next
// (model.next()); the pump only hands messages to the broker and waits on
// the event loop: for the broker's next message when the design is idle, for
// a message or DMA_WAIT_MS while DMA read data is awaited, else a
// setImmediate. Every model call happens on this thread.
import { performance } from 'node:perf_hooks';
import { AttachedPeer, Broker } from '../broker/broker';
import { encode, message, MsgType } from '../protocol/wire';
import { NativeModel, Next, resolveModel, RunFlag, StateBit } from '../model/native';
import { Logger } from '../util/log';
import { BATCH_CYCLES, DMA_WAIT_MS, RESET_CYCLES } from '../defaults';

export interface InprocHdlOptions {
  broker: Broker;
  /** Model spec (resolveModel): a project's name or folder, a top built with build-rtl.sh --lib, or a libcosim-model.so path. */
  model: string;
  /** Device name (default dev0). */
  name?: string;
  log: Logger;
  /** Cycles between two message exchanges (default BATCH_CYCLES, as cosim-sim). */
  batch?: number;
  /** Cycles rst_n is held low at start (default RESET_CYCLES). */
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

  private async pump(): Promise<void> {
    const m = this.model;
    const batch = this.o.batch ?? BATCH_CYCLES;
    try {
      if (this.o.wave) {
        m.waveWindow(this.o.wave, this.o.waveStart, this.o.waveStop);
        this.o.log.info({ file: this.o.wave, from: this.o.waveStart ?? 0, to: this.o.waveStop ?? 'end' }, 'waveform window');
      }
      m.reset(this.o.resetCycles ?? RESET_CYCLES);
      while (!this.stopped) {
        this.forward(); // what a pushed message made the shim answer at once (PONG, ERROR)
        const c0 = performance.now();
        m.run(batch, RunFlag.STEP);
        this.clockingMs += performance.now() - c0;
        this.forward();
        const next = m.next();
        if (next === Next.STOP) {
          const st = m.state();
          this.stopReason ||= st & StateBit.STOPPING ? m.stopReason() : st & StateBit.ERROR ? 'the RTL reported an error' : 'the RTL called $finish';
          break;
        }
        if (next === Next.WAIT_INPUT) await this.sleep();
        else if (next === Next.WAIT_DMA) await this.sleep(this.o.dmaWaitMs ?? DMA_WAIT_MS);
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
