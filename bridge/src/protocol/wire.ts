// Wire protocol v1: mirrors dpi/include/cosim_wire.h, the single source.
// test/protocol-constants.test.ts parses that header and fails on any drift.

export const MAGIC = 0x4d495343; // bytes "CSIM"
export const VERSION = 1;
export const HDR_SIZE = 40;
export const MAX_PAYLOAD = 65536;
export const MAX_DMA_LEN = 16 * 1024 * 1024;
export const MAX_NIC_FRAME = 16384;
export const MAX_NAME = 64;
/** Most delivery stamps in one DELIVERED: MAX_PAYLOAD / 8. */
export const MAX_STAMPS = 8192;
export const NUM_BARS = 6;
export const CONF_SIZE = 136;

export enum MsgType {
  HELLO = 0x01,
  INIT = 0x02,
  CONF = 0x03,
  MMIO_READ = 0x10,
  MMIO_READ_CPL = 0x11,
  MMIO_WRITE = 0x12,
  DMA_READ = 0x20,
  DMA_READ_CPL = 0x21,
  DMA_WRITE = 0x22,
  MSIX = 0x30,
  INTX = 0x31,
  NIC_FRAME = 0x40,
  SERIAL = 0x50,
  RESET = 0x60,
  ERROR = 0x61,
  SHUTDOWN = 0x62,
  PING = 0x63,
  PONG = 0x64,
  CFG_STATE = 0x65,
  DELIVERED = 0x66,
}

/** LAST/ERROR: DMA and MMIO completions. TRACE: on the broker's HELLO to an HDL peer, asks for DELIVERED stamps. */
export const Flag = { LAST: 0x01, ERROR: 0x02, TRACE: 0x04 } as const;

export enum Role {
  QEMU = 1,
  HDL = 2,
}

export enum ErrorCode {
  MALFORMED = 1,
  VERSION = 2,
  UNEXPECTED = 3,
  TOO_LARGE = 4,
  UNMAPPED = 5,
  TIMEOUT = 6,
  PEER_GONE = 7,
  NO_PEER = 8,
  BAD_CONF = 9,
  DEVICE = 10,
}

export const BarFlag = { BIT64: 0x1, PREFETCH: 0x2 } as const;

/** CFG_STATE index bits (COSIM_CFG_*); bits 4..15 are reserved, 0. */
export const CfgBit = { MSIX_ENABLE: 0x1, MSIX_MASKED: 0x2, BUS_MASTER: 0x4, INTX_DISABLE: 0x8, ALL: 0xf } as const;

/** The PCI config state a CFG_STATE carries, as flags. */
export interface CfgState {
  msixEnable: boolean;
  msixMasked: boolean;
  busMaster: boolean;
  intxDisable: boolean;
}

export function encodeCfgState(c: CfgState): number {
  return (c.msixEnable ? CfgBit.MSIX_ENABLE : 0) | (c.msixMasked ? CfgBit.MSIX_MASKED : 0) | (c.busMaster ? CfgBit.BUS_MASTER : 0) | (c.intxDisable ? CfgBit.INTX_DISABLE : 0);
}

export function decodeCfgState(bits: number): CfgState {
  return { msixEnable: !!(bits & CfgBit.MSIX_ENABLE), msixMasked: !!(bits & CfgBit.MSIX_MASKED), busMaster: !!(bits & CfgBit.BUS_MASTER), intxDisable: !!(bits & CfgBit.INTX_DISABLE) };
}

/** "msix=on masked=off master=on intx-disable=off" (plus any reserved bits), for logs. */
export function describeCfgState(bits: number): string {
  const c = decodeCfgState(bits);
  const on = (b: boolean) => (b ? 'on' : 'off');
  const rest = bits & ~CfgBit.ALL;
  return `msix=${on(c.msixEnable)} masked=${on(c.msixMasked)} master=${on(c.busMaster)} intx-disable=${on(c.intxDisable)}${rest ? ` reserved=0x${rest.toString(16)}` : ''}`;
}

export interface Header {
  type: MsgType;
  flags: number;
  tag: number;
  index: number;
  address: bigint;
  length: number;
  cycle: bigint;
}

/** A decoded message: header fields plus the payload (empty if none). */
export interface Message extends Header {
  payload: Buffer;
}

export function message(type: MsgType, fields: Partial<Omit<Message, 'type'>> = {}): Message {
  return {
    type,
    flags: fields.flags ?? 0,
    tag: fields.tag ?? 0,
    index: fields.index ?? 0,
    address: fields.address ?? 0n,
    length: fields.length ?? 0,
    cycle: fields.cycle ?? 0n,
    payload: fields.payload ?? Buffer.alloc(0),
  };
}

/** Encodes a message into its ZeroMQ frames: the header, then the payload if any. */
export function encode(m: Message): Buffer[] {
  if (m.payload.length > MAX_PAYLOAD) {
    throw new WireError(ErrorCode.TOO_LARGE, `${MsgType[m.type]} payload of ${m.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  }
  const h = Buffer.alloc(HDR_SIZE);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt16LE(VERSION, 4);
  h.writeUInt8(m.type, 6);
  h.writeUInt8(m.flags, 7);
  h.writeUInt32LE(m.tag >>> 0, 8);
  h.writeUInt16LE(m.index, 12);
  h.writeUInt16LE(0, 14);
  h.writeBigUInt64LE(BigInt.asUintN(64, m.address), 16);
  h.writeUInt32LE(m.length >>> 0, 24);
  h.writeUInt32LE(m.payload.length, 28);
  h.writeBigUInt64LE(BigInt.asUintN(64, m.cycle), 32);
  return m.payload.length > 0 ? [h, m.payload] : [h];
}

/** A frame that could not be decoded, with what was readable of its header. */
export class WireError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly partial?: Partial<Header>,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

const knownTypes = new Set<number>(Object.values(MsgType).filter((v): v is number => typeof v === 'number'));

/** Decodes and validates one message's frames; throws WireError naming the fault. */
export function decode(frames: Buffer[]): Message {
  if (frames.length < 1) throw new WireError(ErrorCode.MALFORMED, 'empty message');
  const h = frames[0];
  if (h.length !== HDR_SIZE) {
    throw new WireError(ErrorCode.MALFORMED, `header frame is ${h.length} bytes, expected ${HDR_SIZE}`);
  }
  const magic = h.readUInt32LE(0);
  const version = h.readUInt16LE(4);
  const partial: Header = {
    type: h.readUInt8(6),
    flags: h.readUInt8(7),
    tag: h.readUInt32LE(8),
    index: h.readUInt16LE(12),
    address: h.readBigUInt64LE(16),
    length: h.readUInt32LE(24),
    cycle: h.readBigUInt64LE(32),
  };
  const payloadLen = h.readUInt32LE(28);
  if (magic !== MAGIC) {
    throw new WireError(ErrorCode.MALFORMED, `bad magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x${MAGIC.toString(16)}`, partial);
  }
  if (version !== VERSION) {
    throw new WireError(ErrorCode.VERSION, `protocol version ${version} not supported, this side speaks ${VERSION}`, partial);
  }
  if (!knownTypes.has(partial.type)) {
    throw new WireError(ErrorCode.MALFORMED, `unknown message type 0x${partial.type.toString(16)}`, partial);
  }
  if (frames.length > 2) {
    throw new WireError(ErrorCode.MALFORMED, `expected 1 or 2 frames, got ${frames.length}`, partial);
  }
  if (h.readUInt16LE(14) !== 0) {
    throw new WireError(ErrorCode.MALFORMED, `reserved header field is 0x${h.readUInt16LE(14).toString(16)}, expected 0`, partial);
  }
  if (payloadLen > MAX_PAYLOAD) {
    throw new WireError(ErrorCode.TOO_LARGE, `payload_len ${payloadLen} exceeds ${MAX_PAYLOAD}`, partial);
  }
  const payload = frames.length === 2 ? frames[1] : Buffer.alloc(0);
  if (payload.length !== payloadLen || (frames.length === 2 && payloadLen === 0)) {
    throw new WireError(ErrorCode.MALFORMED, `payload frame is ${payload.length} bytes but header says ${payloadLen}`, partial);
  }
  return { ...partial, payload };
}

/**
 * DELIVERED (HDL -> broker, sent only after a HELLO with Flag.TRACE): the bridge
 * cycle at which the HDL side took in each message from the broker, in arrival
 * order, one per message but HELLO, PING and PONG (bad frames included).
 * payload = N little-endian u64 (1 <= N <= MAX_STAMPS), length = N.
 */
export function deliveredMessage(cycles: readonly bigint[]): Message {
  if (cycles.length < 1 || cycles.length > MAX_STAMPS) throw new WireError(ErrorCode.TOO_LARGE, `DELIVERED carries 1..${MAX_STAMPS} stamps, not ${cycles.length}`);
  const payload = Buffer.alloc(8 * cycles.length);
  cycles.forEach((c, i) => payload.writeBigUInt64LE(BigInt.asUintN(64, c), 8 * i));
  return message(MsgType.DELIVERED, { length: cycles.length, payload });
}

/** What is wrong with a decoded DELIVERED (a receiver's per-type check), or undefined if nothing. */
export function checkDelivered(m: Message): string | undefined {
  const n = m.payload.length;
  if (n === 0 || n % 8 !== 0) return `DELIVERED payload of ${n} bytes is not a non-zero multiple of 8`;
  if (m.length !== n / 8) return `DELIVERED length ${m.length} but its payload holds ${n / 8} stamps`;
  return undefined;
}

/** The stamps of a DELIVERED, in order; throws WireError (MALFORMED) if checkDelivered finds a fault. */
export function deliveredCycles(m: Message): bigint[] {
  const problem = m.type === MsgType.DELIVERED ? checkDelivered(m) : `${MsgType[m.type] ?? `type 0x${m.type.toString(16)}`} is not DELIVERED`;
  if (problem) throw new WireError(ErrorCode.MALFORMED, problem, m);
  const out: bigint[] = [];
  for (let off = 0; off < m.payload.length; off += 8) out.push(m.payload.readBigUInt64LE(off));
  return out;
}

/** Whether the HDL side stamps a message of this type from the broker (when tracing). */
export function isStamped(type: MsgType): boolean {
  return type !== MsgType.HELLO && type !== MsgType.PING && type !== MsgType.PONG;
}

/** One line naming a message's fields, for logs and error texts. */
export function describe(m: Partial<Header>): string {
  const parts = [m.type !== undefined ? (MsgType[m.type] ?? `type 0x${m.type.toString(16)}`) : 'frame'];
  if (m.tag !== undefined) parts.push(`tag=${m.tag}`);
  // The index of these two is a level or a bit mask: name it as such.
  if (m.index !== undefined && m.type === MsgType.INTX) parts.push(`level=${m.index}`);
  else if (m.index !== undefined && m.type === MsgType.CFG_STATE) parts.push(describeCfgState(m.index));
  else if (m.index !== undefined) parts.push(`index=${m.index}`);
  if (m.address !== undefined) parts.push(`addr=0x${m.address.toString(16)}`);
  // A DELIVERED's length is its number of stamps.
  if (m.length !== undefined) parts.push(m.type === MsgType.DELIVERED ? `stamps=${m.length}` : `len=${m.length}`);
  if (m.cycle !== undefined && m.cycle !== 0n) parts.push(`cycle=${m.cycle}`);
  return parts.join(' ');
}
