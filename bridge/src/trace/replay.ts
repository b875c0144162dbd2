// `cosim replay` (docs/replay.md): the RTL of a trace's device, loaded
// in-process as a model library, driven by the trace alone. No QEMU, no
// guest, no broker: every message the host sent is pushed into the shim at
// the bridge cycle its delivery stamp recorded, DMA reads are answered by
// the recorded completions (they are messages to the device like any
// other), and every message the device sends is compared with the
// recording, field by field and cycle by cycle. The same RTL gives the same
// messages at the same cycles; a changed one is stopped at the first
// difference.
//
// Two things are compared as streams rather than message by message,
// because the shim cuts them at transport time, which the recording does
// not reproduce: serial bytes (coalesced until the transport takes them),
// and DMA writes (coalesced while their bytes follow on, across bursts; a
// transport sends what there is so far). So a run of address-contiguous
// DMA writes with nothing in between is one unit, compared byte by byte,
// whose cycle is that of its last part; serial bytes are one byte stream,
// compared byte by byte, their cycles and their order against other
// messages not compared.
import { performance } from 'node:perf_hooks';
import { decodeConf, DeviceConf } from '../protocol/conf';
import { describe, encode, Message, MsgType } from '../protocol/wire';
import { RESET_CYCLES } from '../defaults';
import { NativeModel, RunFlag, StateBit } from '../model/native';
import { deviceId, Dir, HDL_JOINED, RecordKind, testNames, Trace, Txn, transactions } from './format';

/** The trace cannot be replayed as asked (exit status 2): bad input, not a divergence. */
export class ReplayInputError extends Error {}

/** Cycles clocked per native call at most: a divergence or a missing message is seen within this many. */
const CHUNK = 100_000;
/** Cycles the default cycle limit adds after the last recorded cycle. */
export const DEFAULT_EXTRA_CYCLES = 1_000_000n;
/** With waveLast: cycles between two snapshots (a waveform re-clocks fewer than this before its window). */
export const DEFAULT_SNAPSHOT_EVERY = 1_000_000n;

/** FST time of the rising clock edge at which the bridge took in, or handed out, a message of bridge cycle c (two time units per clock). */
export function fstTime(cycle: bigint): bigint {
  return 2n * cycle + 3n;
}

export interface ReplayPlanOptions {
  /** The trace's device name (default: its only device). */
  device?: string;
  /** Replay from cycle 0 through this test's end mark. */
  test?: string;
}

/** A run of expected device->host messages compared as one unit. */
export interface Unit {
  /** The recorded messages it stands for: one, or the parts of a DMA write run. */
  parts: Txn[];
  /** DMA write runs: the bytes and their first address. */
  run?: { address: bigint; data: Buffer };
  /** The cycle it must come at: the cycle of its (last) message. */
  cycle: bigint;
}

export interface ReplayPlan {
  trace: Trace;
  device: string;
  test?: string;
  /** The CONF the device announced in the recording. */
  conf?: { txn: Txn; conf: DeviceConf };
  /** Messages to the device, stamped, in order. */
  inject: Txn[];
  /** Expected device->host messages, serial bytes aside. */
  units: Unit[];
  /** Expected serial bytes, and which recorded message holds each run of them. */
  serial: { data: Buffer; parts: { txn: Txn; start: number }[] };
  /** The last cycle the recording says anything about. */
  lastCycle: bigint;
  /** Recorded messages of the test (with --test), for the waveform's window and markers. */
  testTxns: Txn[];
  notes: string[];
}

const isDmaWrite = (m: Message) => m.type === MsgType.DMA_WRITE;

/** What of the trace is replayed, and what must come out. Throws ReplayInputError for a trace it cannot replay. */
export function planReplay(trace: Trace, o: ReplayPlanOptions = {}): ReplayPlan {
  let dev: number;
  try {
    dev = deviceId(trace, o.device);
  } catch (e) {
    throw new ReplayInputError((e as Error).message);
  }
  const device = trace.devices.get(dev)!;
  const notes: string[] = [];
  if (!trace.complete) notes.push('the trace has no END record (the recording stopped without closing it): replaying what it holds');
  let all: Txn[];
  try {
    all = transactions(trace, dev);
  } catch (e) {
    throw new ReplayInputError((e as Error).message);
  }

  // The test: its begin mark, and the end of what is replayed.
  let beginOffset = -1;
  let endOffset = Infinity;
  if (o.test !== undefined) {
    const names = testNames(trace);
    if (!names.includes(o.test)) {
      throw new ReplayInputError(`${trace.file}: no test '${o.test}' in the trace; its tests: ${names.length ? names.join(', ') : 'none (the trace has no test marks)'}`);
    }
    const begin = trace.records.find((r) => r.kind === RecordKind.MARK && r.mark?.test === o.test && r.mark?.event === 'begin')!;
    beginOffset = begin.offset;
    const end = trace.records.find((r) => r.offset > begin.offset && r.kind === RecordKind.MARK && r.mark?.test === o.test && r.mark?.event === 'end');
    if (end) endOffset = end.offset;
    else notes.push(`test '${o.test}' has no end mark: replaying to the end of the trace`);
  }

  // One HDL session: a simulator that restarted starts its cycles afresh.
  const joins = trace.records.filter((r) => r.dev === dev && r.kind === RecordKind.NOTE && r.text?.startsWith(HDL_JOINED)).map((r) => r.offset);
  let from = -1;
  let to = Infinity;
  if (joins.length > 1) {
    const anchor = beginOffset >= 0 ? beginOffset : Math.min(endOffset, all.at(-1)?.offset ?? 0);
    const i = Math.max(0, joins.filter((j) => j < anchor).length - 1);
    from = joins[i];
    to = joins[i + 1] ?? Infinity;
    notes.push(`the trace holds ${joins.length} runs of the device's RTL (it was restarted); replaying run ${i + 1}`);
  }
  const txns = all.filter((t) => t.offset > from && t.offset < to && t.offset < endOffset);

  const fromDev = txns.filter((t) => t.dir === Dir.FROM_DEVICE);
  if (fromDev.length === 0) throw new ReplayInputError(`${trace.file}: device '${device}' sent nothing in the ${o.test ? `trace up to the end of test '${o.test}'` : 'trace'}: nothing to compare`);
  const confTxn = fromDev.find((t) => t.msg.type === MsgType.CONF);
  let conf: ReplayPlan['conf'];
  if (confTxn) {
    if (confTxn.cycle !== 0n) throw new ReplayInputError(`${trace.file}: the device's CONF (message #${confTxn.seq}) is at cycle ${confTxn.cycle}, not 0: replay needs a trace from the simulator's start`);
    try {
      conf = { txn: confTxn, conf: decodeConf(confTxn.msg.payload) };
    } catch (e) {
      throw new ReplayInputError(`${trace.file}: byte ${confTxn.offset}: message #${confTxn.seq}: ${(e as Error).message}`);
    }
  } else {
    throw new ReplayInputError(`${trace.file}: device '${device}' announced no CONF in the trace: replay needs a trace from the simulator's start (cycle 0)`);
  }

  // Messages to the device: up to the first one without a delivery stamp (the
  // recording ended before its stamp came back), and none after a SHUTDOWN.
  const inject: Txn[] = [];
  let horizon = Infinity; // offset of the first message not injected
  for (const t of txns) {
    if (t.dir !== Dir.TO_DEVICE) continue;
    if (t.msg.type === MsgType.SHUTDOWN) {
      horizon = t.offset;
      break;
    }
    if (t.cycle === undefined) {
      horizon = t.offset;
      const rest = txns.filter((x) => x.dir === Dir.TO_DEVICE && x.offset >= t.offset && x.msg.type !== MsgType.SHUTDOWN);
      if (inject.length === 0) {
        throw new ReplayInputError(`${trace.file}: byte ${t.offset}: message #${t.seq} to the device (${describe(t.msg)}) has no delivery stamp, nor has any message before it: the HDL side did not stamp what it took in, so its cycles are unknown (a simulator built before delivery stamps?)`);
      }
      notes.push(`the last ${rest.length} message${rest.length === 1 ? '' : 's'} to the device (from #${t.seq}, ${describe(t.msg)}) have no delivery stamp (the recording ended before the stamps came back): not replayed`);
      break;
    }
    inject.push(t);
  }
  for (let i = 1; i < inject.length; i++) {
    if (inject[i].cycle! < inject[i - 1].cycle!) {
      const t = inject[i];
      throw new ReplayInputError(`${trace.file}: byte ${t.offset}: message #${t.seq} to the device (${describe(t.msg)}) is stamped cycle ${t.cycle}, before the stamp of the message before it (cycle ${inject[i - 1].cycle}): the stamps are out of order`);
    }
  }

  // Expected messages from the device: those the recording saw before the
  // horizon. After it, they may depend on what cannot be injected.
  const expected = fromDev.filter((t) => t !== confTxn && t.offset < horizon && t.msg.type !== MsgType.SHUTDOWN);
  const unchecked = fromDev.filter((t) => t !== confTxn && t.offset > horizon && t.msg.type !== MsgType.SHUTDOWN).length;
  if (unchecked) notes.push(`${unchecked} message${unchecked === 1 ? '' : 's'} from the device recorded after that point not compared`);
  const units: Unit[] = [];
  const serialParts: { txn: Txn; start: number }[] = [];
  const serialBufs: Buffer[] = [];
  let serialLen = 0;
  for (const t of expected) {
    if (t.msg.type === MsgType.SERIAL) {
      serialParts.push({ txn: t, start: serialLen });
      serialBufs.push(t.msg.payload);
      serialLen += t.msg.payload.length;
      continue;
    }
    const last = units.at(-1);
    if (isDmaWrite(t.msg) && last?.run && last.run.address + BigInt(last.run.data.length) === t.msg.address) {
      last.parts.push(t);
      last.run.data = Buffer.concat([last.run.data, t.msg.payload]);
      last.cycle = t.cycle!;
      continue;
    }
    units.push({ parts: [t], cycle: t.cycle!, run: isDmaWrite(t.msg) ? { address: t.msg.address, data: t.msg.payload } : undefined });
  }

  let lastCycle = 0n;
  for (const t of [...inject, ...expected]) if (t.cycle! > lastCycle) lastCycle = t.cycle!;
  const testTxns = o.test !== undefined ? txns.filter((t) => t.offset > beginOffset && t.cycle !== undefined) : [];
  return { trace, device, test: o.test, conf, inject, units, serial: { data: Buffer.concat(serialBufs), parts: serialParts }, lastCycle, testTxns, notes };
}

/** The fields of two CONFs that differ, named as DeviceConf names them. */
export function confDiff(trace: DeviceConf, rtl: DeviceConf): string[] {
  const out: string[] = [];
  const hex = (v: number | bigint) => `0x${v.toString(16)}`;
  const cmp = (name: string, a: number | bigint | boolean, b: number | bigint | boolean, fmt: (v: never) => string = hex as never) => {
    if (a !== b) out.push(`${name} ${fmt(a as never)} (trace) vs ${fmt(b as never)} (RTL)`);
  };
  cmp('vendorId', trace.vendorId, rtl.vendorId);
  cmp('deviceId', trace.deviceId, rtl.deviceId);
  cmp('subsystemVendorId', trace.subsystemVendorId, rtl.subsystemVendorId);
  cmp('subsystemId', trace.subsystemId, rtl.subsystemId);
  cmp('classCode', trace.classCode, rtl.classCode);
  cmp('revision', trace.revision, rtl.revision);
  const dec = String as (v: never) => string;
  cmp('msix.vectors', trace.msix.vectors, rtl.msix.vectors, dec);
  cmp('msix.tableBar', trace.msix.tableBar, rtl.msix.tableBar, dec);
  cmp('msix.tableOffset', trace.msix.tableOffset, rtl.msix.tableOffset);
  cmp('msix.pbaBar', trace.msix.pbaBar, rtl.msix.pbaBar, dec);
  cmp('msix.pbaOffset', trace.msix.pbaOffset, rtl.msix.pbaOffset);
  for (let i = 0; i < trace.bars.length; i++) {
    cmp(`bars[${i}].size`, trace.bars[i].size, rtl.bars[i].size);
    cmp(`bars[${i}].is64`, trace.bars[i].is64, rtl.bars[i].is64, dec);
    cmp(`bars[${i}].prefetch`, trace.bars[i].prefetch, rtl.bars[i].prefetch, dec);
  }
  return out;
}

export interface ReplayRunOptions {
  /** Cycles rst_n is held low at start, as the simulator that recorded did (default RESET_CYCLES). */
  resetCycles?: number;
  /** Bridge cycle at which the replay gives up waiting (default: the last recorded cycle + 1,000,000). */
  maxCycles?: bigint;
  /** An FST of bridge cycles [waveFrom, waveTo] (default: all, or the test's with a test). */
  wave?: string;
  waveFrom?: bigint;
  waveTo?: bigint;
  /**
   * Instead of a window given up front: the waveform of the last `waveLast`
   * cycles before the replay stopped (at a divergence, or at the end). The
   * replay runs without a waveform, keeping fork() snapshots of the model
   * every `snapshotEvery` cycles; at the end it carries on from the last
   * snapshot before that window, with the waveform on.
   */
  waveLast?: bigint;
  snapshotEvery?: bigint;
}

export interface Divergence {
  /** Position of the recorded message among the device's messages (Txn.seq). */
  seq: number;
  cycle: bigint;
  /** One line. */
  summary: string;
  expected: string;
  got: string;
}

export interface ReplayResult {
  device: string;
  test?: string;
  divergence?: Divergence;
  /** Messages pushed, and device messages (serial ones and DMA write parts counted as recorded) matched. */
  injected: number;
  matched: number;
  /** Bridge cycle reached. */
  cycles: bigint;
  wallMs: number;
  notes: string[];
  wave?: { file: string; fromCycle: bigint; toCycle: bigint };
}

const hexBytes = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** The bytes around offset `at`, both buffers shown on the same window. */
function window(b: Buffer, at: number): string {
  const lo = Math.max(0, at - 8);
  const hi = Math.min(b.length, at + 8);
  return lo >= hi ? '(none)' : `bytes ${lo}..${hi - 1}: ${hexBytes(b.subarray(lo, hi))}`;
}

function printable(b: Buffer): string {
  return JSON.stringify(b.toString('latin1'));
}

const describeMsg = (m: Message) => `${describe(m)}${m.payload.length && m.type !== MsgType.DMA_WRITE && m.type !== MsgType.SERIAL ? ` payload ${hexBytes(m.payload.subarray(0, 16))}${m.payload.length > 16 ? ' ...' : ''}` : ''}`;

/** A message's header fields that differ, or [] (payload and cycle aside). */
function headerDiff(a: Message, b: Message): string[] {
  const out: string[] = [];
  if (a.type !== b.type) out.push('type');
  if (a.flags !== b.flags) out.push('flags');
  if (a.tag !== b.tag) out.push('tag');
  if (a.index !== b.index) out.push('index');
  if (a.address !== b.address) out.push('address');
  if (a.length !== b.length) out.push('length');
  return out;
}

const firstDiff = (a: Buffer, b: Buffer) => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
};

class Diverged extends Error {
  constructor(readonly d: Divergence) {
    super(d.summary);
  }
}

/**
 * Replays a plan against a model library. Resolves with the result (a
 * divergence in it); throws ReplayInputError when the RTL announces another
 * device, and Error when the model cannot be loaded.
 */
export function replay(plan: ReplayPlan, libPath: string, o: ReplayRunOptions & { plusargs?: string[]; logLevel?: string } = {}): ReplayResult {
  const t0 = performance.now();
  const notes = [...plan.notes];
  const model = new NativeModel(libPath, { name: plan.device, logLevel: o.logLevel, plusargs: o.plusargs });
  const resetCycles = BigInt(o.resetCycles ?? RESET_CYCLES);
  const limit = o.maxCycles ?? plan.lastCycle + DEFAULT_EXTRA_CYCLES;
  let injected = 0;
  let matched = 0;
  let wave: ReplayResult['wave'];
  let waveOpen = false;
  let waveDone = !o.wave;
  let waveFrom = o.waveFrom ?? 0n;
  let waveTo = o.waveTo;
  if (o.waveLast !== undefined && (o.waveFrom !== undefined || o.waveTo !== undefined)) throw new Error('replay: waveLast excludes waveFrom and waveTo');
  // With waveLast, no waveform until the end: snapshots instead.
  if (o.waveLast !== undefined) waveDone = true;
  let next = 0; // the next message of plan.inject
  const snaps: { id: number; cycle: bigint; next: number }[] = [];
  const every = o.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
  const bridge = (): bigint => (model.cycles === 0n ? -1n : model.bridgeCycle());

  // Comparison state.
  let unit = 0; // next expected unit
  let runAt = 0; // bytes of units[unit].run matched so far
  let runLast: Message | undefined; // the last DMA write part that matched into it
  let serialAt = 0;
  const serial = plan.serial;
  /** Off once every expected message came: what the RTL sends after the recording's end is not compared. */
  let comparing = true;

  const fail = (d: Divergence): never => {
    throw new Diverged(d);
  };
  const partAt = (u: Unit, off: number): Txn => {
    let start = 0;
    for (const p of u.parts) {
      if (off < start + p.msg.payload.length) return p;
      start += p.msg.payload.length;
    }
    return u.parts.at(-1)!;
  };
  const unitText = (u: Unit) =>
    u.run
      ? `DMA_WRITE addr=0x${u.run.address.toString(16)} len=${u.run.data.length} cycle=${u.cycle}${u.parts.length > 1 ? ` (recorded as ${u.parts.length} messages, #${u.parts[0].seq}..#${u.parts.at(-1)!.seq})` : ''}`
      : describeMsg(u.parts[0].msg);
  /** The open DMA write run ended short, before `next` (or the end). */
  const shortRun = (u: Unit, next: string): never => {
    const p = partAt(u, runAt);
    return fail({
      seq: p.seq,
      cycle: p.cycle!,
      summary: `DMA_WRITE to 0x${(u.run!.address + BigInt(runAt)).toString(16)}: the RTL wrote ${runAt} of the ${u.run!.data.length} bytes recorded from 0x${u.run!.address.toString(16)}, then ${next}`,
      expected: `${unitText(u)}; ${window(u.run!.data, runAt)}`,
      got: `DMA_WRITE addr=0x${u.run!.address.toString(16)} len=${runAt}${runLast ? ` cycle=${runLast.cycle}` : ''}, then ${next}`,
    });
  };

  const onDmaWrite = (m: Message) => {
    const u = plan.units[unit];
    if (!u) return onUnexpected(m);
    if (!u.run) return mismatch(u, m);
    const at = u.run.address + BigInt(runAt);
    if (m.address !== at || (runAt === 0 && headerDiff({ ...u.parts[0].msg, address: m.address, length: m.length }, m).length)) {
      if (runAt > 0) return shortRun(u, `a DMA_WRITE to 0x${m.address.toString(16)} (${describe(m)})`);
      return mismatch(u, m);
    }
    const want = u.run.data.subarray(runAt, runAt + m.payload.length);
    const i = firstDiff(want, m.payload);
    if (i >= 0 && i < want.length) {
      const p = partAt(u, runAt + i);
      return fail({
        seq: p.seq,
        cycle: p.cycle!,
        summary: `DMA_WRITE byte at 0x${(at + BigInt(i)).toString(16)} differs: expected 0x${want[i].toString(16).padStart(2, '0')}, got 0x${m.payload[i].toString(16).padStart(2, '0')}`,
        expected: `${unitText(u)}; ${window(u.run.data, runAt + i)}`,
        got: `${describe(m)}; ${window(m.payload, i)} (from 0x${m.address.toString(16)})`,
      });
    }
    if (m.payload.length > want.length) {
      const p = u.parts.at(-1)!;
      return fail({
        seq: p.seq,
        cycle: p.cycle!,
        summary: `DMA_WRITE run from 0x${u.run.address.toString(16)}: the RTL wrote ${runAt + m.payload.length} bytes, ${runAt + m.payload.length - u.run.data.length} more than the ${u.run.data.length} recorded`,
        expected: unitText(u),
        got: `${describe(m)} (its last ${m.payload.length - want.length} bytes from 0x${(u.run.address + BigInt(u.run.data.length)).toString(16)} are beyond the recorded run)`,
      });
    }
    runAt += m.payload.length;
    runLast = m;
    if (runAt === u.run.data.length) {
      if (m.cycle !== u.cycle) {
        const p = u.parts.at(-1)!;
        fail({ seq: p.seq, cycle: p.cycle!, summary: `DMA_WRITE run from 0x${u.run.address.toString(16)} completed at cycle ${m.cycle}, recorded at cycle ${u.cycle}`, expected: unitText(u), got: describe(m) });
      }
      matched += u.parts.length;
      unit++;
      runAt = 0;
      runLast = undefined;
    }
  };

  const mismatch = (u: Unit, m: Message): never => {
    const e = u.parts[0];
    const fields = headerDiff(e.msg, m);
    let summary: string;
    if (fields.length) summary = `${MsgType[e.msg.type] ?? e.msg.type} expected, got ${MsgType[m.type] ?? m.type}${fields[0] === 'type' ? '' : ` with another ${fields.join(', ')}`}`;
    else {
      const i = firstDiff(e.msg.payload, m.payload);
      summary = i >= 0 ? `${MsgType[m.type]} payload differs at byte ${i}` : `${MsgType[m.type]} came at cycle ${m.cycle}, recorded at cycle ${e.cycle}`;
    }
    const i = firstDiff(e.msg.payload, m.payload);
    const data = !fields.length && i >= 0 && e.msg.payload.length > 16 ? [`; ${window(e.msg.payload, i)}`, `; ${window(m.payload, i)}`] : ['', ''];
    return fail({ seq: e.seq, cycle: e.cycle!, summary, expected: `${unitText(u)}${data[0]}`, got: `${describeMsg(m)}${data[1]}` });
  };

  const onUnexpected = (m: Message): never =>
    fail({
      seq: plan.units.at(-1)?.parts.at(-1)?.seq ?? -1,
      cycle: m.cycle,
      summary: `the RTL sent ${MsgType[m.type] ?? m.type} at cycle ${m.cycle}, after every message the recording has from the device`,
      expected: 'nothing more from the device',
      got: describeMsg(m),
    });

  const onSerial = (m: Message) => {
    const want = serial.data.subarray(serialAt, serialAt + m.payload.length);
    const i = firstDiff(want, m.payload);
    if (i < 0) {
      serialAt += m.payload.length;
      return;
    }
    const off = serialAt + i;
    const part = [...serial.parts].reverse().find((p) => p.start <= off) ?? serial.parts[0];
    if (i >= want.length) {
      return fail({
        seq: serial.parts.at(-1)?.txn.seq ?? -1,
        cycle: m.cycle,
        summary: `serial byte #${off}: the RTL sent more serial bytes than the ${serial.data.length} recorded`,
        expected: `${serial.data.length} serial bytes, ending ${printable(serial.data.subarray(-16))}`,
        got: `${describe(m)}: ${printable(m.payload.subarray(i, i + 16))}... beyond them`,
      });
    }
    return fail({
      seq: part.txn.seq,
      cycle: part.txn.cycle!,
      summary: `serial byte #${off} differs: expected 0x${want[i].toString(16).padStart(2, '0')}, got 0x${m.payload[i].toString(16).padStart(2, '0')} (serial is compared as one byte stream)`,
      expected: `${printable(serial.data.subarray(Math.max(0, off - 16), off + 16))} (recorded in SERIAL message #${part.txn.seq})`,
      got: `${printable(Buffer.concat([serial.data.subarray(Math.max(0, off - 16), off), m.payload.subarray(i, i + 16)]))}`,
    });
  };

  const onMessage = (m: Message) => {
    if (!comparing) return;
    switch (m.type) {
      case MsgType.HELLO:
      case MsgType.PONG:
      case MsgType.DELIVERED:
        return;
      case MsgType.SERIAL:
        return onSerial(m);
      case MsgType.DMA_WRITE:
        return onDmaWrite(m);
    }
    const u = plan.units[unit];
    if (u?.run && runAt > 0) return shortRun(u, describeMsg(m));
    if (!u) return onUnexpected(m);
    if (headerDiff(u.parts[0].msg, m).length || !u.parts[0].msg.payload.equals(m.payload) || m.cycle !== u.cycle) return mismatch(u, m);
    matched++;
    unit++;
  };

  /**
   * Everything the model has sent, compared. A message that is overdue is
   * not a divergence yet: it may come late (its cycle differs) or something
   * else may come first (its type differs), and either says more than "not
   * yet"; one that never comes is named at the cycle limit.
   */
  const drain = () => {
    for (const m of model.drain()) onMessage(m);
    const b = bridge();
    const st = model.state();
    if (st & StateBit.ERROR) fail({ seq: plan.units[unit]?.parts[0].seq ?? -1, cycle: b, summary: `the RTL reported an error at cycle ${b} ($error or a failed assertion; see its output above)`, expected: 'no error', got: model.stopReason() || 'an error' });
    if (st & StateBit.FINISHED) fail({ seq: plan.units[unit]?.parts[0].seq ?? -1, cycle: b, summary: `the RTL called $finish at cycle ${b}`, expected: 'the RTL running on', got: '$finish' });
  };

  const waveStep = () => {
    if (waveDone || !o.wave) return;
    const b = bridge();
    if (!waveOpen && b + 2n >= waveFrom) {
      if (!model.traceOpen(o.wave)) throw new Error(`cannot open waveform ${o.wave} (the model library has no FST support, or the file cannot be created)`);
      waveOpen = true;
      wave = { file: o.wave, fromCycle: b < 0n ? 0n : b, toCycle: b };
    }
    if (waveOpen && waveTo !== undefined && b >= waveTo + 2n) closeWave();
  };
  const closeWave = () => {
    if (!waveOpen) return;
    model.traceClose();
    waveOpen = false;
    waveDone = true;
    wave!.toCycle = bridge();
  };

  /** With waveLast: a snapshot every `every` cycles, keeping those a window of the last waveLast cycles may start from. */
  const snapshotStep = () => {
    if (o.waveLast === undefined || !comparing) return;
    const b = bridge();
    const last = snaps.at(-1);
    if (last && b - last.cycle < every) return;
    snaps.push({ id: model.snapshot(), cycle: b, next });
    let keep = 0;
    for (let i = 0; i < snaps.length; i++) if (snaps[i].cycle <= b - o.waveLast) keep = i;
    for (const s of snaps.splice(0, keep)) model.dropSnapshot(s.id);
  };

  /** Clocks until the bridge cycle is `target` (or the limit), comparing on the way. */
  const advanceTo = (target: bigint) => {
    for (;;) {
      waveStep();
      snapshotStep();
      const ticks = model.cycles;
      const b = bridge();
      if (b >= target || b >= limit) return;
      let n = BigInt(CHUNK);
      n = ticks === 0n ? 1n : target - b < n ? target - b : n;
      if (limit - b < n) n = limit - b;
      if (ticks < resetCycles && resetCycles - ticks < n) n = resetCycles - ticks;
      if (!waveDone) {
        const edge = waveOpen ? (waveTo !== undefined ? waveTo + 2n : undefined) : waveFrom - 2n;
        if (edge !== undefined && edge > b && edge - b < n) n = edge - b;
      }
      // With waveLast, stopping at each message sent: the divergence is seen at its own cycle, where the window ends.
      const ran = model.run(Number(n), o.waveLast !== undefined ? RunFlag.STOP_OUTPUT : 0);
      if (model.cycles >= resetCycles) model.setReset(false);
      drain();
      if (ran === 0 && !(model.state() & StateBit.FINISHED)) throw new Error(`the model ran 0 of ${n} cycles`);
    }
  };

  /** Injects plan.inject from `next` on, each at its stamp, up to the messages stamped `until` (all without). */
  const injectUpTo = (until: bigint | undefined) => {
    for (; next < plan.inject.length && (until === undefined || plan.inject[next].cycle! <= until); next++) {
      const t = plan.inject[next];
      advanceTo(t.cycle!);
      const b = bridge();
      if (b > t.cycle!) {
        throw new ReplayInputError(
          `message #${t.seq} to the device (${describe(t.msg)}) is stamped cycle ${t.cycle}, but the replay is at cycle ${b} already${t.cycle! < resetCycles ? ` (the reset takes cycles 0..${resetCycles - 1n}: was the trace recorded with another --reset-cycles?)` : ''}`,
        );
      }
      if (b < t.cycle!) {
        fail({
          seq: t.seq,
          cycle: t.cycle!,
          summary: `cycle limit ${limit} reached (--max-cycles) before message #${t.seq} to the device, stamped cycle ${t.cycle}`,
          expected: `the replay to reach cycle ${t.cycle}`,
          got: `stopped at cycle ${b}`,
        });
      }
      model.pushFrames(encode(t.msg));
      if (comparing) injected++;
      drain();
    }
  };

  /** With waveLast: the waveform of the cycles up to `stopAt`, from the last snapshot before them. */
  const waveFromSnapshot = (stopAt: bigint) => {
    const from = stopAt > o.waveLast! ? stopAt - o.waveLast! : 0n;
    let s = snaps[0];
    for (const x of snaps) if (x.cycle <= from) s = x;
    if (!s) return;
    for (const x of snaps) if (x !== s) model.dropSnapshot(x.id);
    snaps.length = 0;
    model.restore(s.id);
    const at = s.cycle < 0n ? 0n : s.cycle; // a snapshot before the first clock is at cycle 0
    notes.push(`waveform from the snapshot at cycle ${at}: ${from - at} cycles clocked again before its window`);
    comparing = false;
    waveFrom = from;
    waveTo = stopAt;
    waveDone = false;
    next = s.next;
    try {
      injectUpTo(stopAt);
      advanceTo(stopAt + 2n);
    } catch (e) {
      if (!(e instanceof Diverged)) throw e; // the RTL stopping again where it stopped: the window ends there
    }
    closeWave();
  };

  let divergence: Divergence | undefined;
  try {
    // Time 0: HELLO and CONF, the device announcing itself.
    waveStep();
    const first = model.drain();
    const confMsg = first.find((m) => m.type === MsgType.CONF);
    if (!confMsg) throw new ReplayInputError(`the RTL (${libPath}) announced no CONF at time 0`);
    const diff = confDiff(plan.conf!.conf, decodeConf(confMsg.payload));
    if (diff.length) throw new ReplayInputError(`CONF differs from the trace: ${diff.join('; ')}: the trace is of another device (or the RTL's identity changed)`);
    for (const m of first) if (m.type !== MsgType.CONF) onMessage(m);
    model.setReset(true);
    injectUpTo(undefined);
    // Then clock until every expected message came.
    while (unit < plan.units.length || serialAt < serial.data.length) {
      const b = bridge();
      if (b >= limit) {
        const u = plan.units[unit];
        if (u?.run && runAt > 0) shortRun(u, `nothing more: cycle limit ${limit} reached (--max-cycles)`);
        const e = u ? u.parts[0] : serial.parts.find((p) => p.start + p.txn.msg.payload.length > serialAt)!.txn;
        fail({
          seq: e.seq,
          cycle: e.cycle!,
          summary: `device->host message #${e.seq} (${MsgType[e.msg.type]}, recorded at cycle ${e.cycle}) never came: cycle limit ${limit} reached (--max-cycles)`,
          expected: u ? unitText(u) : `serial bytes from #${serialAt}: ${printable(serial.data.subarray(serialAt, serialAt + 32))}`,
          got: `nothing by cycle ${b}`,
        });
      }
      // Just past the cycle the next expected message is due at: a replay ends where the recording does.
      const u = plan.units[unit];
      const s = serial.parts.find((p) => p.start + p.txn.msg.payload.length > serialAt);
      let due = u ? u.cycle : s!.txn.cycle!;
      if (s && s.txn.cycle! < due) due = s.txn.cycle!;
      let target = due + 1n > b ? due + 1n : b + BigInt(CHUNK);
      if (target > b + BigInt(CHUNK)) target = b + BigInt(CHUNK);
      advanceTo(target < limit ? target : limit);
    }
    // The rest of the waveform's window, if any, with nothing more compared.
    comparing = false;
    if (waveOpen && waveTo !== undefined) advanceTo(waveTo + 2n);
  } catch (e) {
    if (e instanceof Diverged) divergence = e.d;
    else {
      model.close();
      throw e;
    }
  } finally {
    if (!model.closed) {
      closeWave();
      if (wave && wave.toCycle < 0n) wave.toCycle = 0n;
    }
  }
  const cycles = bridge();
  if (o.waveLast !== undefined && o.wave) {
    try {
      waveFromSnapshot(cycles);
    } catch (e) {
      model.close();
      throw e;
    }
  }
  model.close();
  return { device: plan.device, test: plan.test, divergence, injected, matched: matched + (serialAt > 0 ? plan.serial.parts.filter((p) => p.start < serialAt).length : 0), cycles: cycles < 0n ? 0n : cycles, wallMs: performance.now() - t0, notes, wave };
}

/** The report's lines: the divergence, or the summary. */
export function replayReport(plan: ReplayPlan, r: ReplayResult): string[] {
  const lines = r.notes.map((n) => `note: ${n}`);
  const secs = (r.wallMs / 1000).toFixed(1);
  if (r.divergence) {
    const d = r.divergence;
    lines.push(`divergence at device->host message #${d.seq} (cycle ${d.cycle}): ${d.summary}`, `  expected: ${d.expected}`, `  got:      ${d.got}`);
    lines.push(`replay stopped at cycle ${r.cycles} after ${secs} s (${r.injected} of ${plan.inject.length} messages to the device injected, ${r.matched} from it matched)`);
  } else {
    const from = plan.units.reduce((n, u) => n + u.parts.length, 0) + plan.serial.parts.length;
    lines.push(`replayed ${plan.inject.length + from} messages (${plan.inject.length} to the device, ${from} from it) over ${r.cycles} cycles in ${secs} s: no divergence`);
  }
  return lines;
}
