// The TypeScript testbench: a Verilated design with the SV bridge endpoint,
// loaded into this process (no VM, no broker, no ZeroMQ) and driven
// cocotb-style: clock it, issue MMIO, serve its DMA from a HostMemory, watch
// its MSI-X, INTx, NIC frames and UART bytes, set the PCI config state it
// sees (CFG_STATE), record waveform windows.
//
//   const dut = await Dut.load('example');
//   dut.mmio.write64(0, 0x08, 0x1234n);
//   assert.equal(await dut.mmio.read64(0, 0x08), 0x1234n);
//   await dut.run(1000);
//   await dut.until(() => dut.msix.length > 0, { timeout: 10_000 });
//   dut.close();
//
// Time is the design's clock: nothing happens between two awaits unless
// something clocks the model. run(), until() and every MMIO read clock it,
// in batches that stop as soon as the design sends anything (so a predicate
// sees each message at the cycle it came out), yielding to the event loop
// between batches so a long run never blocks it.
import { EventEmitter } from 'node:events';
import { decodeConf, DeviceConf, validateConf } from '../protocol/conf';
import { CfgState, ErrorCode, message, Message, MsgType } from '../protocol/wire';
import { HostMemory } from '../peer/host-memory';
import { AccessSize, HostEvents, HostSide, mmioReadRequest, mmioReadValue, mmioWhat, mmioWriteRequest } from '../peer/host-side';
import { PeerError } from '../peer/peer-link';
import { createLogger, Logger } from '../util/log';
import { RESET_CYCLES } from '../defaults';
import { NativeModel, NativeModelOptions, resolveModel, RunFlag, StateBit } from '../model/native';

export interface DutOptions extends NativeModelOptions {
  /** Simulated host memory the design's DMA reads and writes (default: a fresh 4 GiB sparse one). */
  memory?: HostMemory;
  /** Cycles rst_n is held low after loading (default 16). */
  resetCycles?: number;
  /** Most cycles clocked per native call before yielding to the event loop (default 10000). */
  batch?: number;
  /** Default timeout of until() and MMIO reads, in cycles (default 1,000,000). */
  timeout?: number;
  /** Hold DMA reads until the test answers them (dut.host.completeDmaRead), see HostSide. */
  holdDmaReads?: boolean;
  log?: Logger;
}

export interface UntilOptions {
  /** Cycles to wait at most (default: the Dut's timeout). */
  timeout?: number;
  /** Wall-clock limit in ms, on top of the cycle limit. */
  timeoutMs?: number;
  /** Names what is awaited, for the timeout error. */
  what?: string;
}

export interface MsixEvent {
  vector: number;
  /** The RTL cycle the interrupt left the device. */
  cycle: bigint;
}

export interface IntxEvent {
  level: number;
  /** The RTL cycle the change left the device. */
  cycle: bigint;
}

export interface DutEvents extends HostEvents {
  /** An ERROR message from the shim that answers no pending read. */
  deviceError: [text: string, code: number];
}

interface Waiter {
  pred: () => boolean;
  /** Cycle at which the wait ends. */
  deadline: number;
  /** true: reaching the deadline resolves (run); false: it rejects (until). */
  resolveAtDeadline: boolean;
  wallDeadline?: number;
  start: number;
  what: string;
  resolve: (cycles: number) => void;
  reject: (e: Error) => void;
}

/** MMIO access to the design's BARs, as the host does it. */
export class Mmio {
  constructor(private readonly dut: Dut) {}

  /** A read of size bytes; resolves with the value (bigint) once the completion comes back. */
  read(bar: number, offset: bigint | number, size: AccessSize): Promise<bigint> {
    return this.dut.mmioRead(bar, offset, size);
  }
  /** A posted write of size bytes; later reads see it (PCIe ordering). */
  write(bar: number, offset: bigint | number, value: bigint | number, size: AccessSize): void {
    this.dut.mmioWrite(bar, offset, value, size);
  }
  async read8(bar: number, offset: bigint | number): Promise<number> {
    return Number(await this.read(bar, offset, 1));
  }
  async read16(bar: number, offset: bigint | number): Promise<number> {
    return Number(await this.read(bar, offset, 2));
  }
  async read32(bar: number, offset: bigint | number): Promise<number> {
    return Number(await this.read(bar, offset, 4));
  }
  read64(bar: number, offset: bigint | number): Promise<bigint> {
    return this.read(bar, offset, 8);
  }
  write8(bar: number, offset: bigint | number, value: number | bigint): void {
    this.write(bar, offset, value, 1);
  }
  write16(bar: number, offset: bigint | number, value: number | bigint): void {
    this.write(bar, offset, value, 2);
  }
  write32(bar: number, offset: bigint | number, value: number | bigint): void {
    this.write(bar, offset, value, 4);
  }
  write64(bar: number, offset: bigint | number, value: number | bigint): void {
    this.write(bar, offset, value, 8);
  }
}

/** An FST waveform of a window of cycles: open() starts a file, close() ends it; any number of windows. */
export class Wave {
  file?: string;
  constructor(private readonly model: NativeModel) {}
  open(file: string): void {
    if (!this.model.traceOpen(file)) throw new Error(`cannot open waveform ${file} (model built without --trace-fst, or the file cannot be created)`);
    this.file = file;
  }
  close(): void {
    this.model.traceClose();
    this.file = undefined;
  }
}

export class Dut extends EventEmitter<DutEvents> {
  readonly mmio = new Mmio(this);
  readonly wave: Wave;
  /** DMA service, MSI-X counts, held DMA reads. */
  readonly host: HostSide;
  /** The configuration the RTL announced (identity, BARs, MSI-X). */
  readonly conf: DeviceConf;
  /** Every MSI-X the design raised, in order. */
  readonly msix: MsixEvent[] = [];
  /** Every INTX message (level change) the design sent, in order. */
  readonly intxChanges: IntxEvent[] = [];
  /** Every NIC frame the design sent, in order. */
  readonly frames: Buffer[] = [];
  /** ERROR messages from the shim not tied to a pending read (bad request, AXI error on a posted write). */
  readonly errors: Message[] = [];
  private serialChunks: Buffer[] = [];
  private readonly reads = new Map<number, { size: AccessSize; what: string; resolve: (v: bigint) => void; reject: (e: Error) => void }>();
  private readonly waiters = new Set<Waiter>();
  private pumping = false;
  private nextTag = 1;
  private cyc = 0;
  private failure?: Error;
  private readonly batch: number;
  private readonly timeout: number;
  private readonly log: Logger;

  /** Loads a model (see resolveModel: a project's name or folder, a top name or a library path), resets it, reads its CONF. */
  static async load(model: string, o: DutOptions = {}): Promise<Dut> {
    const lib = await resolveModel(model);
    return new Dut(new NativeModel(lib, o), o);
  }

  constructor(
    readonly model: NativeModel,
    o: DutOptions = {},
  ) {
    super();
    this.batch = o.batch ?? 10_000;
    this.timeout = o.timeout ?? 1_000_000;
    this.log = o.log ?? createLogger('silent', 'dut');
    this.wave = new Wave(model);
    this.host = new HostSide({
      send: (m) => this.model.push(m),
      emit: (ev, ...args) => this.onHostEvent(ev, args),
      log: this.log,
      memory: o.memory,
    });
    this.host.holdDmaReads = o.holdDmaReads ?? false;
    let conf: DeviceConf | undefined;
    for (const m of model.drain()) {
      if (m.type === MsgType.CONF) conf = decodeConf(m.payload);
      else if (m.type !== MsgType.HELLO) this.dispatch(m);
    }
    if (!conf) {
      model.close();
      throw new Error(`model ${model.libPath} sent no CONF at time 0`);
    }
    const problems = validateConf(conf);
    if (problems.length) {
      model.close();
      throw new Error(`model ${model.libPath} announced an invalid configuration: ${problems.join('; ')}`);
    }
    this.conf = conf;
    this.cyc += model.reset(o.resetCycles ?? RESET_CYCLES);
    this.service();
  }

  /** The cycle counter: clock cycles since the model was loaded (reset included). */
  get cycle(): bigint {
    return BigInt(this.cyc);
  }

  get memory(): HostMemory {
    return this.host.memory;
  }

  /** Every UART byte the design sent so far. */
  get serialOut(): Buffer {
    if (this.serialChunks.length > 1) this.serialChunks = [Buffer.concat(this.serialChunks)];
    return this.serialChunks[0] ?? Buffer.alloc(0);
  }

  /** The design's INTx level (0 until it sends INTX=1). */
  get intx(): number {
    return this.host.intx;
  }

  /**
   * Sends CFG_STATE, the PCI config state QEMU reports after a config write;
   * the fields not given keep their last value (at first the bridge's
   * default: MSI-X and bus mastering enabled). Returns the state sent.
   */
  setConfigState(c: Partial<CfgState>): CfgState {
    this.check();
    return this.host.setConfigState(c);
  }

  /** MSI-X raised so far for one vector. */
  msixCount(vector: number): number {
    return this.host.msixCounts.get(vector) ?? 0;
  }

  /** Clocks exactly `cycles` cycles (in batches, yielding to the event loop between them). */
  run(cycles: number): Promise<void> {
    this.check();
    const target = this.cyc + Math.max(0, Math.floor(cycles));
    return new Promise<number>((resolve, reject) => {
      this.wait({ pred: () => this.cyc >= target, deadline: target, resolveAtDeadline: true, start: this.cyc, what: `run(${cycles})`, resolve, reject });
    }).then(() => undefined);
  }

  /**
   * Clocks small counts synchronously (at most 100,000 cycles: longer runs
   * belong in run(), which yields to the event loop). Messages are serviced.
   */
  step(cycles = 1): void {
    this.check();
    if (cycles > 100_000) throw new RangeError(`step(${cycles}): use await dut.run(n) for more than 100000 cycles`);
    this.advance(cycles);
    this.settle();
  }

  /**
   * Clocks until pred() holds; resolves with the cycles it took. Rejects after
   * o.timeout cycles (or o.timeoutMs of wall time), naming o.what. pred is
   * checked after every message the design sends and every batch.
   */
  until(pred: () => boolean, o: UntilOptions = {}): Promise<number> {
    this.check();
    if (pred()) return Promise.resolve(0);
    const timeout = o.timeout ?? this.timeout;
    return new Promise((resolve, reject) => {
      this.wait({
        pred,
        deadline: this.cyc + timeout,
        resolveAtDeadline: false,
        wallDeadline: o.timeoutMs !== undefined ? Date.now() + o.timeoutMs : undefined,
        start: this.cyc,
        what: o.what ?? 'until()',
        resolve,
        reject,
      });
    });
  }

  /** Waits for the next MSI-X (of `vector`, if given); resolves with it. */
  async nextMsix(vector?: number, o: UntilOptions = {}): Promise<MsixEvent> {
    const from = this.msix.length;
    const find = () => this.msix.slice(from).find((e) => vector === undefined || e.vector === vector);
    await this.until(() => find() !== undefined, { what: `MSI-X${vector === undefined ? '' : ` vector ${vector}`}`, ...o });
    return find()!;
  }

  /** Waits for the next NIC frame the design sends. */
  async nextFrame(o: UntilOptions = {}): Promise<Buffer> {
    const from = this.frames.length;
    await this.until(() => this.frames.length > from, { what: 'a NIC frame', ...o });
    return this.frames[from];
  }

  /** Waits until the design has sent `count` UART bytes in all; resolves with them. */
  async serialBytes(count: number, o: UntilOptions = {}): Promise<Buffer> {
    await this.until(() => this.serialOut.length >= count, { what: `${count} UART bytes`, ...o });
    return this.serialOut.subarray(0, count);
  }

  /** A host frame into the design's NIC port. */
  sendFrame(frame: Buffer): void {
    this.push(message(MsgType.NIC_FRAME, { payload: frame }));
  }

  /** Host bytes into the design's UART port. */
  sendSerial(bytes: Buffer | string): void {
    this.push(message(MsgType.SERIAL, { payload: Buffer.from(bytes) }));
  }

  /** A host-requested device reset (the RESET message: dev_rst_n pulses). */
  reset(): void {
    this.push(message(MsgType.RESET));
  }

  /** Sends any wire message to the design (for protocol-level tests). */
  push(m: Message): boolean {
    this.check();
    return this.model.push(m);
  }

  /** Final blocks, waveform closed, model freed. Pending waits fail. */
  close(): void {
    if (this.model.closed) return;
    this.fail(new Error('the Dut was closed'));
    this.model.close();
  }

  // ---- internals, used by Mmio ----

  mmioRead(bar: number, offset: bigint | number, size: AccessSize): Promise<bigint> {
    this.check();
    const tag = this.allocTag();
    const what = mmioWhat('read', bar, BigInt(offset), size, tag);
    const done = new Promise<bigint>((resolve, reject) => this.reads.set(tag, { size, what, resolve, reject }));
    this.model.push(mmioReadRequest(tag, bar, offset, size));
    // Clock until the completion (or an ERROR) settles it.
    const clocked = this.until(() => !this.reads.has(tag), { what });
    clocked.catch((e: Error) => {
      const r = this.reads.get(tag);
      if (r) {
        this.reads.delete(tag);
        r.reject(new PeerError(e.message, ErrorCode.TIMEOUT));
      }
    });
    return done;
  }

  mmioWrite(bar: number, offset: bigint | number, value: bigint | number, size: AccessSize): void {
    this.check();
    this.model.push(mmioWriteRequest(this.allocTag(), bar, offset, value, size));
  }

  private allocTag(): number {
    const t = this.nextTag;
    this.nextTag = (this.nextTag + 1) >>> 0 || 1;
    return t;
  }

  private onHostEvent(ev: keyof HostEvents, args: unknown[]): void {
    if (ev === 'msix') this.msix.push({ vector: args[0] as number, cycle: args[1] as bigint });
    else if (ev === 'intx') this.intxChanges.push({ level: args[0] as number, cycle: args[1] as bigint });
    else if (ev === 'nic') this.frames.push(args[0] as Buffer);
    else if (ev === 'serial') this.serialChunks.push(args[0] as Buffer);
    (this.emit as (e: string, ...a: unknown[]) => boolean)(ev, ...args);
  }

  private dispatch(m: Message): void {
    if (this.host.handle(m)) return;
    switch (m.type) {
      case MsgType.MMIO_READ_CPL: {
        const r = this.reads.get(m.tag);
        if (!r) return this.log.warn({ tag: m.tag }, 'MMIO read completion for no pending read');
        this.reads.delete(m.tag);
        try {
          r.resolve(mmioReadValue(m, r.size, r.what));
        } catch (e) {
          r.reject(e as Error);
        }
        return;
      }
      case MsgType.ERROR: {
        const text = m.payload.toString();
        const r = this.reads.get(m.tag);
        if (r) {
          this.reads.delete(m.tag);
          r.reject(new PeerError(`${r.what}: ${text}`, m.index));
          return;
        }
        this.errors.push(m);
        if (this.listenerCount('deviceError') > 0) this.emit('deviceError', text, m.index);
        else this.log.warn({ code: ErrorCode[m.index] ?? m.index }, text);
        return;
      }
      case MsgType.PONG:
      case MsgType.HELLO:
        return;
      default:
        this.log.warn({ type: MsgType[m.type] }, 'unexpected message from the design');
    }
  }

  /** Clocks up to n cycles, stopping after any cycle that produced output, which is dispatched. Returns cycles run. */
  private advance(n: number): number {
    let done = 0;
    while (done < n) {
      const ran = this.model.run(n - done, RunFlag.STOP_OUTPUT);
      done += ran;
      this.cyc += ran;
      this.service();
      if (this.failure || ran === 0) break;
      if (this.waiters.size && [...this.waiters].some((w) => w.pred())) break;
    }
    return done;
  }

  private service(): void {
    for (const m of this.model.drain()) this.dispatch(m);
    const st = this.model.state();
    if (st & (StateBit.FINISHED | StateBit.ERROR | StateBit.STOPPING)) {
      const why = st & StateBit.ERROR ? 'the RTL reported an error ($error or a failed assertion; see stdout)' : st & StateBit.FINISHED ? 'the RTL called $finish' : `the shim stopped: ${this.model.stopReason()}`;
      this.fail(new Error(`${why} at cycle ${this.cyc}`));
    }
  }

  private check(): void {
    if (this.model.closed) throw new Error('the Dut is closed');
    if (this.failure) throw this.failure;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters) w.reject(e);
    this.waiters.clear();
    for (const r of this.reads.values()) r.reject(e);
    this.reads.clear();
  }

  private wait(w: Waiter): void {
    this.waiters.add(w);
    this.kick();
  }

  private kick(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => void this.pump());
  }

  /** Resolves satisfied waiters and rejects expired ones. */
  private settle(): void {
    const now = Date.now();
    for (const w of [...this.waiters]) {
      if (w.pred()) {
        this.waiters.delete(w);
        w.resolve(this.cyc - w.start);
      } else if (this.cyc >= w.deadline) {
        this.waiters.delete(w);
        if (w.resolveAtDeadline) w.resolve(this.cyc - w.start);
        else w.reject(new Error(`${w.what}: not done within ${w.deadline - w.start} cycles (cycle ${this.cyc})`));
      } else if (w.wallDeadline !== undefined && now > w.wallDeadline) {
        this.waiters.delete(w);
        w.reject(new Error(`${w.what}: not done within the wall-clock limit (cycle ${this.cyc}, ${this.cyc - w.start} cycles waited)`));
      }
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.waiters.size > 0 && !this.model.closed && !this.failure) {
        this.settle();
        if (this.waiters.size === 0) break;
        let nearest = Infinity;
        for (const w of this.waiters) nearest = Math.min(nearest, w.deadline);
        this.advance(Math.max(1, Math.min(this.batch, nearest - this.cyc)));
        this.settle();
        // Let resolved awaits run (and queue their next request) before clocking on.
        await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.pumping = false;
      if (this.waiters.size > 0 && !this.failure && !this.model.closed) this.kick();
    }
  }
}
