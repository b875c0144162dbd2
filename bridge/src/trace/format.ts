// The trace file (docs/trace.md): what the broker recorded of one session,
// message by message, with the RTL cycle of each. This module is the format's
// single home: the record layout, its encoder and a reader that names the
// byte offset of anything it cannot read. The writer (writer.ts), `cosim
// trace show`, the pcapng export and `cosim replay` all build on it.
import * as fs from 'node:fs';
import { decode, HDR_SIZE, MAX_PAYLOAD, Message, MsgType, WireError } from '../protocol/wire';

export const TRACE_MAGIC = Buffer.from('CSIMTRC\0', 'latin1');
export const TRACE_VERSION = 1;
export const FILE_HDR_SIZE = 16;
export const REC_HDR_SIZE = 16;
/** Most stamps one DELIVERED record holds (one wire message's worth). */
export const MAX_STAMPS = MAX_PAYLOAD / 8;
/** Device id of records that concern every device (test marks). */
export const ALL_DEVICES = 0xffff;

export enum RecordKind {
  /** Names a device id: body = the device name. */
  DEVICE = 1,
  /** One wire message: body = its 40-byte header, then its payload. */
  MSG = 2,
  /** Delivery stamps from the HDL side: body = u64 cycles, one per host->device message, in order. */
  DELIVERED = 3,
  /** A test boundary: body = JSON {test, event: 'begin' | 'end', status?}. */
  MARK = 4,
  /**
   * A note for the reader (a peer came or went, the size limit was reached): body = text.
   * A NOTE of a device whose text starts with HDL_JOINED marks a new HDL peer:
   * its stamps start afresh (see transactions()).
   */
  NOTE = 5,
  /** Written on a clean close: body = JSON {records, truncated?}. A trace without it was cut off. */
  END = 6,
}

export enum Dir {
  /** To the HDL side (MMIO, DMA read completions, NIC, serial, reset, config state). */
  TO_DEVICE = 0,
  /** From the HDL side. */
  FROM_DEVICE = 1,
  NONE = 2,
}

/**
 * The text a NOTE starts with when a new HDL peer takes a device's slot (a
 * simulator started or restarted). Messages to the device that no stamp has
 * matched by then went to the previous peer, which never stamped them: the
 * new peer's stamps are for the messages recorded after this NOTE.
 */
export const HDL_JOINED = 'hdl peer joined';

export interface TraceMeta {
  tool: string;
  created: string;
  /** The command that made the trace, for the reader's information. */
  command?: string;
  /** Boot number within a run (a rebooted guest starts a new trace). */
  session?: number;
  [key: string]: unknown;
}

export interface Mark {
  test: string;
  event: 'begin' | 'end';
  status?: string;
}

export interface TraceRecord {
  /** Byte offset of the record in the file. */
  offset: number;
  kind: RecordKind;
  dir: Dir;
  dev: number;
  timeUs: number;
  msg?: Message;
  cycles?: bigint[];
  mark?: Mark;
  text?: string;
  end?: { records: number; truncated?: string };
}

export interface Trace {
  file: string;
  meta: TraceMeta;
  devices: Map<number, string>;
  records: TraceRecord[];
  /** False if the trace has no END record (the recording process stopped without closing it). */
  complete: boolean;
}

/** Something in a trace file that cannot be read, at a byte offset. */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    what: string,
  ) {
    super(`${file}: byte ${offset}: ${what}`);
    this.name = 'TraceError';
  }
}

export function encodeFileHeader(meta: TraceMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const h = Buffer.alloc(FILE_HDR_SIZE);
  TRACE_MAGIC.copy(h, 0);
  h.writeUInt16LE(TRACE_VERSION, 8);
  h.writeUInt32LE(json.length, 12);
  return Buffer.concat([h, json]);
}

/**
 * Writes a record header at `off` of `buf`: body length (u32), kind (u8),
 * direction (u8), device id (u16), time in microseconds (u64). The time is
 * written as two u32 halves, so the writer's hot path makes no BigInt.
 */
export function writeRecordHeader(buf: Buffer, off: number, bodyLen: number, kind: RecordKind, dir: Dir, dev: number, timeUs: number): void {
  const t = Math.max(0, Math.floor(timeUs));
  buf.writeUInt32LE(bodyLen, off);
  buf.writeUInt8(kind, off + 4);
  buf.writeUInt8(dir, off + 5);
  buf.writeUInt16LE(dev, off + 6);
  buf.writeUInt32LE(t % 0x1_0000_0000, off + 8);
  buf.writeUInt32LE(Math.floor(t / 0x1_0000_0000), off + 12);
}

/** One record: a 16-byte header, then the body parts. */
export function encodeRecord(kind: RecordKind, dir: Dir, dev: number, timeUs: number, body: Buffer[]): Buffer[] {
  const h = Buffer.alloc(REC_HDR_SIZE);
  writeRecordHeader(h, 0, body.reduce((n, b) => n + b.length, 0), kind, dir, dev, timeUs);
  return [h, ...body];
}

export function encodeStamps(cycles: readonly bigint[]): Buffer {
  const b = Buffer.alloc(cycles.length * 8);
  cycles.forEach((c, i) => b.writeBigUInt64LE(c, i * 8));
  return b;
}

/** Largest body each kind may have; anything larger is corruption. */
function maxBody(kind: RecordKind): number {
  switch (kind) {
    case RecordKind.MSG:
      return HDR_SIZE + MAX_PAYLOAD;
    case RecordKind.DELIVERED:
      return MAX_STAMPS * 8;
    default:
      return 64 * 1024;
  }
}

export function readTrace(file: string): Trace {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read the trace: ${(e as Error).message}`);
  }
  return parseTrace(buf, file);
}

export function parseTrace(buf: Buffer, file = 'trace'): Trace {
  const fail = (offset: number, what: string): never => {
    throw new TraceError(file, offset, what);
  };
  if (buf.length < FILE_HDR_SIZE) fail(buf.length, `file ends after ${buf.length} bytes, inside the ${FILE_HDR_SIZE}-byte file header`);
  if (!buf.subarray(0, 8).equals(TRACE_MAGIC)) fail(0, `not a cosim trace (magic ${JSON.stringify(buf.subarray(0, 8).toString('latin1'))}, expected "CSIMTRC\\0")`);
  const version = buf.readUInt16LE(8);
  if (version !== TRACE_VERSION) fail(8, `trace format version ${version}, this reader knows ${TRACE_VERSION}`);
  const metaLen = buf.readUInt32LE(12);
  if (FILE_HDR_SIZE + metaLen > buf.length) fail(FILE_HDR_SIZE, `file ends inside the ${metaLen}-byte metadata`);
  let meta: TraceMeta;
  try {
    meta = JSON.parse(buf.subarray(FILE_HDR_SIZE, FILE_HDR_SIZE + metaLen).toString('utf8')) as TraceMeta;
  } catch (e) {
    return fail(FILE_HDR_SIZE, `metadata is not JSON: ${(e as Error).message}`);
  }
  const devices = new Map<number, string>();
  const records: TraceRecord[] = [];
  let complete = false;
  let o = FILE_HDR_SIZE + metaLen;
  while (o < buf.length) {
    if (complete) fail(o, 'data after the END record');
    if (o + REC_HDR_SIZE > buf.length) fail(o, `file ends inside a record header (${buf.length - o} of ${REC_HDR_SIZE} bytes)`);
    const len = buf.readUInt32LE(o);
    const kind = buf.readUInt8(o + 4) as RecordKind;
    const dir = buf.readUInt8(o + 5) as Dir;
    const dev = buf.readUInt16LE(o + 6);
    const timeUs = Number(buf.readBigUInt64LE(o + 8));
    if (!RecordKind[kind]) fail(o + 4, `unknown record kind ${kind}`);
    if (!Dir[dir]) fail(o + 5, `unknown direction ${dir}`);
    if (len > maxBody(kind)) fail(o, `${RecordKind[kind]} record body of ${len} bytes exceeds ${maxBody(kind)}`);
    const b0 = o + REC_HDR_SIZE;
    if (b0 + len > buf.length) fail(o, `file ends inside a ${RecordKind[kind]} record (${buf.length - b0} of ${len} body bytes)`);
    const body = buf.subarray(b0, b0 + len);
    const r: TraceRecord = { offset: o, kind, dir, dev, timeUs };
    const json = <T>(): T => {
      try {
        return JSON.parse(body.toString('utf8')) as T;
      } catch (e) {
        return fail(b0, `${RecordKind[kind]} body is not JSON: ${(e as Error).message}`);
      }
    };
    switch (kind) {
      case RecordKind.DEVICE:
        devices.set(dev, body.toString('utf8'));
        break;
      case RecordKind.MSG: {
        if (len < HDR_SIZE) fail(o, `MSG record body of ${len} bytes is shorter than a ${HDR_SIZE}-byte wire header`);
        if (!devices.has(dev)) fail(o + 6, `MSG record for device id ${dev}, which no DEVICE record named`);
        const frames = len > HDR_SIZE ? [body.subarray(0, HDR_SIZE), body.subarray(HDR_SIZE)] : [body.subarray(0, HDR_SIZE)];
        try {
          r.msg = decode(frames);
        } catch (e) {
          if (e instanceof WireError) fail(b0, `recorded message does not decode: ${e.message}`);
          throw e;
        }
        break;
      }
      case RecordKind.DELIVERED:
        if (len % 8 !== 0) fail(o, `DELIVERED record body of ${len} bytes is not a whole number of 8-byte cycles`);
        r.cycles = [];
        for (let i = 0; i < len; i += 8) r.cycles.push(body.readBigUInt64LE(i));
        break;
      case RecordKind.MARK:
        r.mark = json<Mark>();
        if (typeof r.mark.test !== 'string' || (r.mark.event !== 'begin' && r.mark.event !== 'end')) fail(b0, 'MARK body needs {test, event: begin|end}');
        break;
      case RecordKind.NOTE:
        r.text = body.toString('utf8');
        break;
      case RecordKind.END:
        r.end = json<{ records: number; truncated?: string }>();
        complete = true;
        break;
    }
    records.push(r);
    o = b0 + len;
  }
  return { file, meta, devices, records, complete };
}

/** One recorded message of one device, with the RTL cycle it has. */
export interface Txn {
  /** Position among the device's messages (0-based), the number replay and show print. */
  seq: number;
  offset: number;
  timeUs: number;
  dir: Dir.TO_DEVICE | Dir.FROM_DEVICE;
  msg: Message;
  /**
   * The bridge cycle: for a message from the device, the cycle it was
   * produced at (its header); for one to the device, the cycle the HDL side
   * took it in (its DELIVERED stamp), undefined if no stamp came.
   */
  cycle?: bigint;
  /** The test running when the broker saw it, if the trace has marks. */
  test?: string;
}

/** The device id of `name`, or of the trace's only device; the error lists the devices. */
export function deviceId(t: Trace, name?: string): number {
  const ids = [...t.devices.entries()];
  const list = ids.map(([, n]) => n).join(', ') || 'none';
  if (name === undefined) {
    if (ids.length === 1) return ids[0][0];
    throw new Error(`${t.file}: the trace holds ${ids.length} devices (${list}): name one`);
  }
  const hit = ids.find(([, n]) => n === name);
  if (!hit) throw new Error(`${t.file}: no device '${name}' in the trace (it holds: ${list})`);
  return hit[0];
}

/** The device's messages in recording order, each with its cycle and test. */
export function transactions(t: Trace, dev: number): Txn[] {
  const out: Txn[] = [];
  let unstamped: Txn[] = [];
  let test: string | undefined;
  for (const r of t.records) {
    if (r.kind === RecordKind.MARK && r.mark) test = r.mark.event === 'begin' ? r.mark.test : undefined;
    if (r.dev !== dev) continue;
    // A new HDL peer stamps only what it was sent: the rest went to one that is gone.
    if (r.kind === RecordKind.NOTE && r.text?.startsWith(HDL_JOINED)) unstamped = [];
    if (r.kind === RecordKind.MSG && r.msg) {
      const dir = r.dir === Dir.TO_DEVICE ? Dir.TO_DEVICE : Dir.FROM_DEVICE;
      const x: Txn = { seq: out.length, offset: r.offset, timeUs: r.timeUs, dir, msg: r.msg, test };
      if (dir === Dir.FROM_DEVICE) x.cycle = r.msg.cycle;
      else unstamped.push(x);
      out.push(x);
    } else if (r.kind === RecordKind.DELIVERED && r.cycles) {
      for (const c of r.cycles) {
        const x = unstamped.shift();
        if (!x) throw new TraceError(t.file, r.offset, `DELIVERED stamp for cycle ${c} with no message to the device left to stamp`);
        x.cycle = c;
      }
    }
  }
  return out;
}

/** The names of the tests the trace has marks for, in order. */
export function testNames(t: Trace): string[] {
  const names: string[] = [];
  for (const r of t.records) if (r.mark?.event === 'begin' && !names.includes(r.mark.test)) names.push(r.mark.test);
  return names;
}

/** Message types the trace never records: link management, not device traffic. */
export function isLinkMessage(type: MsgType): boolean {
  return type === MsgType.HELLO || type === MsgType.PING || type === MsgType.PONG || type === MsgType.INIT;
}
