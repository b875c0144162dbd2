// `cosim trace show`: a trace file as one line per message, the way an RTL
// engineer reads a simulator log: cycle, time, direction, channel, type, tag,
// where, length, a short look at the data, and what the message answers (a
// read completion its read, with the latency; an MSI-X the DMA write before it).
//
// Lines come in recording order: the order the broker saw the messages, which
// is PCIe order on each direction. Not cycle order: a message to the device
// has the cycle the RTL took it in, which may be later than that of a message
// from the device recorded after it, and a message without a DELIVERED stamp
// has no cycle at all; the cycle column shows each message's own cycle.
import { Channel, CHANNELS, channelOf } from '../broker/stats';
import { decodeConf, formatConf } from '../protocol/conf';
import { describeCfgState, ErrorCode, Flag, Message, MsgType } from '../protocol/wire';
import { ALL_DEVICES, deviceId, Dir, RecordKind, testNames, Trace, transactions, Txn } from './format';

/** A selection the trace cannot satisfy (a test or device it does not hold) or a malformed option: exit status 2. */
export class ShowUsageError extends Error {}

/** "LO:HI" (inclusive, decimal or 0x hex) or a single value. */
export function parseRange(s: string, what: string): [bigint, bigint] {
  const parts = s.split(':');
  const num = (p: string) => {
    if (!/^\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.test(p)) throw new ShowUsageError(`${what}: '${s}' is not LO:HI (decimal or 0x hex numbers, e.g. 0x100:0x1ff)`);
    return BigInt(p.trim());
  };
  if (parts.length === 1) {
    const v = num(parts[0]);
    return [v, v];
  }
  if (parts.length !== 2) throw new ShowUsageError(`${what}: '${s}' is not LO:HI (decimal or 0x hex numbers, e.g. 0x100:0x1ff)`);
  const [lo, hi] = parts.map(num);
  if (lo > hi) throw new ShowUsageError(`${what}: '${s}' has LO above HI`);
  return [lo, hi];
}

/** "mmio,dma" (repeatable): the channel names, checked. */
export function parseChannels(list: readonly string[]): Set<Channel> {
  const out = new Set<Channel>();
  for (const c of list.flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(CHANNELS as readonly string[]).includes(c)) throw new ShowUsageError(`--channel: '${c}' is not one of ${CHANNELS.join(', ')}`);
    out.add(c as Channel);
  }
  return out;
}

export interface ShowOptions {
  /** Device name; needed when the trace holds several. */
  device?: string;
  test?: string;
  channels?: Set<Channel>;
  /** Inclusive range of BAR offsets (MMIO) or host addresses (DMA); a message matches when a byte it touches lies inside. */
  addr?: [bigint, bigint];
  /** Inclusive range of cycles; a message without a cycle does not match. */
  cycles?: [bigint, bigint];
  tag?: number;
  /** At most this many message lines. */
  limit?: number;
  json?: boolean;
}

/** A message with what show joins to it. */
export interface Shown extends Txn {
  channel: Channel;
  /** The request this message completes or fails (a read completion, the last chunk of a DMA read, an ERROR). */
  request?: { seq: number; type: MsgType; latencyCycles?: bigint; latencyUs?: number; final: boolean };
  /** On an MSIX: the last DMA_WRITE recorded before it. */
  afterDma?: { seq: number; address: bigint; length: number; cycles?: bigint };
}

/** Joins each completion to its request and each MSI-X to the DMA write before it; also returns the requests never answered. */
export function annotate(txns: Txn[]): { shown: Shown[]; unanswered: Shown[] } {
  const mmioReads = new Map<number, Shown>();
  const dmaReads = new Map<number, Shown>();
  let lastDmaWrite: Shown | undefined;
  const shown: Shown[] = [];
  const join = (s: Shown, req: Shown, final: boolean) => {
    s.request = { seq: req.seq, type: req.msg.type, final };
    if (final) {
      if (s.cycle !== undefined && req.cycle !== undefined) s.request.latencyCycles = s.cycle - req.cycle;
      s.request.latencyUs = s.timeUs - req.timeUs;
    }
  };
  for (const x of txns) {
    const s: Shown = { ...x, channel: channelOf(x.msg.type) };
    shown.push(s);
    const m = x.msg;
    switch (m.type) {
      case MsgType.MMIO_READ:
        mmioReads.set(m.tag, s);
        break;
      case MsgType.MMIO_READ_CPL: {
        const req = mmioReads.get(m.tag);
        if (req) {
          mmioReads.delete(m.tag);
          join(s, req, true);
        }
        break;
      }
      case MsgType.DMA_READ:
        dmaReads.set(m.tag, s);
        break;
      case MsgType.DMA_READ_CPL: {
        const req = dmaReads.get(m.tag);
        const final = (m.flags & (Flag.LAST | Flag.ERROR)) !== 0;
        if (req) {
          if (final) dmaReads.delete(m.tag);
          join(s, req, final);
        }
        break;
      }
      case MsgType.ERROR: {
        // An ERROR echoes the tag of what failed: an MMIO read fails towards the host, a DMA read towards the device.
        const pending = x.dir === Dir.FROM_DEVICE ? mmioReads : dmaReads;
        const req = pending.get(m.tag);
        if (req) {
          pending.delete(m.tag);
          join(s, req, true);
        }
        break;
      }
      case MsgType.DMA_WRITE:
        lastDmaWrite = s;
        break;
      case MsgType.MSIX:
        if (lastDmaWrite) {
          const w = lastDmaWrite;
          s.afterDma = { seq: w.seq, address: w.msg.address, length: w.msg.payload.length || w.msg.length };
          if (s.cycle !== undefined && w.cycle !== undefined) s.afterDma.cycles = s.cycle - w.cycle;
        }
        break;
    }
  }
  return { shown, unanswered: [...mmioReads.values(), ...dmaReads.values()].sort((a, b) => a.seq - b.seq) };
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;
export const dirText = (d: Dir) => (d === Dir.TO_DEVICE ? '->dev' : 'dev->');

/** Where the message goes: BAR+offset, a host address, an MSI-X vector, an INTx level. */
export function whereText(m: Message): string {
  switch (channelOf(m.type)) {
    case 'mmio':
      return `BAR${m.index}+${hex(m.address)}`;
    case 'dma':
      return hex(m.address);
    case 'msix':
      return `vector ${m.index}`;
    case 'intx':
      return `level ${m.index}`;
    default:
      if (m.type === MsgType.CFG_STATE) return `cfg ${hex(m.index)}`;
      if (m.type === MsgType.ERROR) return ErrorCode[m.index] ?? `code ${m.index}`;
      return '-';
  }
}

/** The length column: the header's length, or the payload's for a message whose header has none (CONF, SERIAL, NIC). */
export const lengthOf = (m: Message) => m.length || m.payload.length;

const bytesPreview = (b: Buffer, n = 8) => [...b.subarray(0, n)].map((v) => v.toString(16).padStart(2, '0')).join(' ') + (b.length > n ? ' ..' : '');

/** A short look at the payload: MMIO data as a value, DMA and NIC bytes, serial text, CONF and CFG_STATE decoded. */
export function dataText(m: Message): string {
  const p = m.payload;
  switch (m.type) {
    case MsgType.MMIO_READ_CPL:
    case MsgType.MMIO_WRITE: {
      if (p.length === 0 || p.length > 8) return bytesPreview(p);
      let v = 0n;
      for (let i = p.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(p[i]);
      return `0x${v.toString(16).padStart(2 * p.length, '0')}`;
    }
    case MsgType.DMA_WRITE:
    case MsgType.DMA_READ_CPL:
    case MsgType.NIC_FRAME:
      return p.length ? `${bytesPreview(p)} (${p.length} B)` : '';
    case MsgType.SERIAL: {
      const s = JSON.stringify(p.subarray(0, 32).toString('latin1'));
      return p.length > 32 ? `${s} ..` : s;
    }
    case MsgType.CONF:
      try {
        return formatConf(decodeConf(p));
      } catch {
        return bytesPreview(p);
      }
    case MsgType.CFG_STATE:
      return describeCfgState(m.index);
    case MsgType.ERROR:
    case MsgType.SHUTDOWN:
      return p.length ? JSON.stringify(p.subarray(0, 120).toString('utf8')) : '';
    default:
      return p.length ? bytesPreview(p) : '';
  }
}

export function flagsText(flags: number): string[] {
  const out: string[] = [];
  if (flags & Flag.LAST) out.push('LAST');
  if (flags & Flag.ERROR) out.push('ERROR');
  if (flags & Flag.TRACE) out.push('TRACE');
  const rest = flags & ~(Flag.LAST | Flag.ERROR | Flag.TRACE);
  if (rest) out.push(hex(rest));
  return out;
}

/** What the message answers or follows: latency to its request, the DMA write before an MSI-X. */
export function joinText(s: Shown): string {
  const parts: string[] = [];
  const r = s.request;
  if (r) {
    if (!r.final) parts.push(`chunk of ${MsgType[r.type]} #${r.seq}`);
    else {
      const what = s.msg.type === MsgType.ERROR ? `fails ${MsgType[r.type]} #${r.seq}` : `${MsgType[r.type]} #${r.seq}`;
      const cyc = r.latencyCycles !== undefined ? `${r.latencyCycles} cyc` : '? cyc';
      parts.push(`latency ${cyc} / ${r.latencyUs} us (${what})`);
    }
  }
  const a = s.afterDma;
  if (a) parts.push(`after DMA_WRITE #${a.seq} ${hex(a.address)} +${a.length}${a.cycles !== undefined ? ` (${a.cycles} cyc earlier)` : ''}`);
  return parts.join('; ');
}

function matches(s: Shown, o: ShowOptions): boolean {
  if (o.test !== undefined && s.test !== o.test) return false;
  if (o.channels && o.channels.size && !o.channels.has(s.channel)) return false;
  if (o.tag !== undefined && s.msg.tag !== o.tag) return false;
  if (o.cycles) {
    if (s.cycle === undefined || s.cycle < o.cycles[0] || s.cycle > o.cycles[1]) return false;
  }
  if (o.addr) {
    if (s.channel !== 'mmio' && s.channel !== 'dma') return false;
    const len = BigInt(Math.max(1, lengthOf(s.msg)));
    const lo = s.msg.address;
    const hi = lo + len - 1n;
    if (hi < o.addr[0] || lo > o.addr[1]) return false;
  }
  return true;
}

/** Numbers for JSON: exact when they fit, else a decimal string. */
const jnum = (v: bigint | undefined) => (v === undefined ? null : v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

export function txnJson(s: Shown): Record<string, unknown> {
  const m = s.msg;
  const o: Record<string, unknown> = {
    kind: 'txn',
    seq: s.seq,
    cycle: jnum(s.cycle),
    timeUs: s.timeUs,
    dir: dirText(s.dir),
    channel: s.channel,
    type: MsgType[m.type],
    tag: m.tag,
    index: m.index,
    where: whereText(m),
    address: hex(m.address),
    length: lengthOf(m),
    payloadLength: m.payload.length,
    data: dataText(m),
    flags: flagsText(m.flags),
  };
  if (s.test !== undefined) o.test = s.test;
  if (s.request) o.request = { seq: s.request.seq, type: MsgType[s.request.type], final: s.request.final, latencyCycles: jnum(s.request.latencyCycles), latencyUs: s.request.latencyUs ?? null };
  if (s.afterDma) o.afterDma = { seq: s.afterDma.seq, address: hex(s.afterDma.address), length: s.afterDma.length, cycles: jnum(s.afterDma.cycles) };
  return o;
}

const COLS: [string, number, 'l' | 'r'][] = [
  ['seq', 6, 'r'],
  ['cycle', 11, 'r'],
  ['time_us', 10, 'r'],
  ['dir', 5, 'l'],
  ['chan', 7, 'l'],
  ['type', 13, 'l'],
  ['tag', 5, 'r'],
  ['where', 18, 'l'],
  ['len', 6, 'r'],
  ['flags', 10, 'l'],
  ['data', 0, 'l'],
];
const row = (cells: string[]) =>
  cells
    .map((c, i) => (i === cells.length - 1 ? c : COLS[i][2] === 'r' ? c.padStart(COLS[i][1]) : c.padEnd(COLS[i][1])))
    .join(' ')
    .trimEnd();

export const COLUMN_HEADER = row(COLS.map((c) => c[0]));

export function txnLine(s: Shown): string {
  const m = s.msg;
  const data = [dataText(m), joinText(s)].filter(Boolean).join('  ');
  return row([
    `#${s.seq}`,
    s.cycle === undefined ? '-' : s.cycle.toString(),
    String(s.timeUs),
    dirText(s.dir),
    s.channel,
    MsgType[m.type],
    String(m.tag),
    whereText(m),
    String(lengthOf(m)),
    flagsText(m.flags).join(',') || '-',
    data,
  ]);
}

/** The trace as lines (text, or one JSON object per line); throws ShowUsageError for a test or device it does not hold. */
export function showTrace(t: Trace, o: ShowOptions = {}): string[] {
  let dev: number;
  try {
    dev = deviceId(t, o.device);
  } catch (e) {
    throw new ShowUsageError(`${(e as Error).message}${o.device === undefined ? ' with --device NAME' : ''}`);
  }
  const tests = testNames(t);
  if (o.test !== undefined && !tests.includes(o.test)) {
    throw new ShowUsageError(`${t.file}: no test '${o.test}' in the trace (${tests.length ? `it holds: ${tests.join(', ')}` : 'it has no test marks'})`);
  }
  const devName = t.devices.get(dev)!;
  const { shown, unanswered } = annotate(transactions(t, dev));
  const byOffset = new Map(shown.map((s) => [s.offset, s]));
  const out: string[] = [];
  const emit = (text: string, json: Record<string, unknown>) => out.push(o.json ? JSON.stringify(json) : text);

  const conf = shown.find((s) => s.msg.type === MsgType.CONF);
  let confText = 'not recorded';
  if (conf) {
    try {
      confText = formatConf(decodeConf(conf.msg.payload));
    } catch (e) {
      confText = `unreadable (${(e as Error).message})`;
    }
  }
  const others = [...t.devices.values()].filter((n) => n !== devName);
  const meta = t.meta;
  emit(
    [
      `trace ${t.file}: device ${devName}${others.length ? ` (also in the trace: ${others.join(', ')})` : ''}; recorded ${meta.created ?? '?'} by ${meta.tool ?? '?'}${meta.command ? ` (${meta.command})` : ''}${meta.session !== undefined ? `, session ${meta.session}` : ''}`,
      `CONF: ${confText}`,
      `tests: ${tests.length ? tests.join(', ') : 'none marked'}`,
      COLUMN_HEADER,
    ].join('\n'),
    { kind: 'header', file: t.file, device: devName, devices: [...t.devices.values()], meta, conf: conf ? confText : null, tests },
  );

  const counts = new Map<Channel, { to: number; from: number }>();
  let lines = 0;
  let limited = false;
  let test: string | undefined;
  const inTest = () => o.test === undefined || test === o.test;
  for (const r of t.records) {
    if (r.kind === RecordKind.MARK && r.mark) {
      const mk = r.mark;
      if (mk.event === 'begin') test = mk.test;
      if (o.test === undefined || mk.test === o.test) {
        emit(`--- test ${mk.test} ${mk.event}${mk.status ? `: ${mk.status}` : ''} ---`, { kind: 'mark', test: mk.test, event: mk.event, status: mk.status ?? null, timeUs: r.timeUs });
      }
      if (mk.event === 'end') test = undefined;
    } else if (r.kind === RecordKind.NOTE && (r.dev === dev || r.dev === ALL_DEVICES) && inTest()) {
      emit(`# note: ${r.text}`, { kind: 'note', text: r.text, timeUs: r.timeUs });
    } else if (r.kind === RecordKind.MSG && r.dev === dev) {
      const s = byOffset.get(r.offset)!;
      if (!matches(s, o)) continue;
      if (o.limit !== undefined && lines >= o.limit) {
        limited = true;
        break;
      }
      lines++;
      const c = counts.get(s.channel) ?? { to: 0, from: 0 };
      if (s.dir === Dir.TO_DEVICE) c.to++;
      else c.from++;
      counts.set(s.channel, c);
      emit(txnLine(s), txnJson(s));
    }
  }

  const perChannel = CHANNELS.filter((c) => counts.has(c)).map((c) => {
    const n = counts.get(c)!;
    const dirs = [n.to ? `->dev ${n.to}` : '', n.from ? `dev-> ${n.from}` : ''].filter(Boolean).join(', ');
    return `${c} ${n.to + n.from} (${dirs})`;
  });
  const unstamped = shown.filter((s) => s.dir === Dir.TO_DEVICE && s.cycle === undefined).length;
  const endRec = t.records.find((r) => r.kind === RecordKind.END);
  const state = t.complete
    ? `trace complete (END after ${endRec?.end?.records ?? '?'} records${endRec?.end?.truncated ? `; the recorder stopped early: ${endRec.end.truncated}` : ''})`
    : 'trace cut off: no END record (the recording process stopped without closing it)';
  const footer = [
    `${lines} of ${shown.length} messages of ${devName} shown${limited ? ` (--limit ${o.limit} reached)` : ''}: ${perChannel.join(', ') || 'none'}`,
    ...(unanswered.length ? [`never answered: ${unanswered.map((u) => `${MsgType[u.msg.type]} #${u.seq} tag ${u.msg.tag}`).join(', ')}`] : []),
    ...(unstamped ? [`${unstamped} message(s) to the device without a DELIVERED stamp (cycle shown as -)`] : []),
    state,
  ];
  emit(footer.join('\n'), {
    kind: 'footer',
    shown: lines,
    messages: shown.length,
    limited,
    channels: Object.fromEntries([...counts].map(([c, n]) => [c, { toDevice: n.to, fromDevice: n.from }])),
    unanswered: unanswered.map((u) => ({ seq: u.seq, type: MsgType[u.msg.type], tag: u.msg.tag })),
    unstamped,
    complete: t.complete,
    truncated: endRec?.end?.truncated ?? null,
  });
  return out;
}
