// `cosim trace export --pcap`: a trace as pcapng, for Wireshark and tshark
// with the dissector in bridge/wireshark/cosim.lua (docs/trace-tools.md).
//
// One section header, one interface (LINKTYPE_USER0, microsecond
// timestamps), one enhanced packet per recorded message. Each packet is a
// pseudo-header (below), then the message's 40-byte wire header and payload
// exactly as they crossed the broker.
//
// Pseudo-header, PSEUDO_SIZE bytes, little-endian like the wire header:
//   0  4  magic "CSTR"
//   4  1  version (PSEUDO_VERSION)
//   5  1  direction: 0 host -> device, 1 device -> host
//   6  2  device id (the trace's: the DEVICE record that names it)
//   8  4  seq: the message's number among its device's messages (cosim trace show's #N)
//  12  2  flags: bit 0 the cycle is known
//  14  2  pseudo-header length (PSEUDO_SIZE; a reader skips this many bytes to the wire header)
//  16  8  cycle: the RTL cycle of the message (from the device: the cycle it was produced at;
//         to the device: its DELIVERED stamp, the cycle the RTL took it in), 0 if not known
import * as fs from 'node:fs';
import { encode } from '../protocol/wire';
import { deviceId, Dir, RecordKind, Trace, transactions, Txn } from './format';

export const LINKTYPE_USER0 = 147;
export const PSEUDO_MAGIC = 'CSTR';
export const PSEUDO_VERSION = 1;
export const PSEUDO_SIZE = 24;
export const PSEUDO_CYCLE_KNOWN = 0x1;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function option(code: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(code, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value, Buffer.alloc(pad4(value.length))]);
}
const endOfOptions = () => Buffer.alloc(4);

function block(type: number, body: Buffer[]): Buffer {
  const len = 12 + body.reduce((n, b) => n + b.length, 0);
  const h = Buffer.alloc(8);
  h.writeUInt32LE(type, 0);
  h.writeUInt32LE(len, 4);
  const t = Buffer.alloc(4);
  t.writeUInt32LE(len, 0);
  return Buffer.concat([h, ...body, t]);
}

function sectionHeader(appl: string): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(0x1a2b3c4d, 0);
  b.writeUInt16LE(1, 4);
  b.writeUInt16LE(0, 6);
  b.writeBigInt64LE(-1n, 8); // section length not given
  return block(0x0a0d0d0a, [b, option(4, Buffer.from(appl, 'utf8')), endOfOptions()]);
}

function interfaceDescription(name: string, description: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(LINKTYPE_USER0, 0);
  b.writeUInt32LE(0, 4); // no snap length
  return block(1, [b, option(2, Buffer.from(name, 'utf8')), option(3, Buffer.from(description, 'utf8')), option(9, Buffer.from([6])), endOfOptions()]);
}

function enhancedPacket(tsUs: bigint, data: Buffer, comment?: string): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0, 0);
  b.writeUInt32LE(Number(tsUs >> 32n), 4);
  b.writeUInt32LE(Number(tsUs & 0xffffffffn), 8);
  b.writeUInt32LE(data.length, 12);
  b.writeUInt32LE(data.length, 16);
  const opts = comment ? [option(1, Buffer.from(comment, 'utf8')), endOfOptions()] : [];
  return block(6, [b, data, Buffer.alloc(pad4(data.length)), ...opts]);
}

export function pseudoHeader(t: Pick<Txn, 'dir' | 'seq' | 'cycle'>, dev: number): Buffer {
  const h = Buffer.alloc(PSEUDO_SIZE);
  h.write(PSEUDO_MAGIC, 0, 'latin1');
  h.writeUInt8(PSEUDO_VERSION, 4);
  h.writeUInt8(t.dir === Dir.TO_DEVICE ? 0 : 1, 5);
  h.writeUInt16LE(dev, 6);
  h.writeUInt32LE(t.seq >>> 0, 8);
  h.writeUInt16LE(t.cycle !== undefined ? PSEUDO_CYCLE_KNOWN : 0, 12);
  h.writeUInt16LE(PSEUDO_SIZE, 14);
  h.writeBigUInt64LE(BigInt.asUintN(64, t.cycle ?? 0n), 16);
  return h;
}

/** The packet of one message: pseudo-header, wire header, payload. */
export function packet(t: Txn, dev: number): Buffer {
  return Buffer.concat([pseudoHeader(t, dev), ...encode(t.msg)]);
}

/**
 * Packet time in microseconds since 1970: the record's time when it is a
 * wall-clock time, else (a trace whose times count from its start) that many
 * microseconds after the trace's `created` time.
 */
export function packetTimeUs(t: Trace, timeUs: number): bigint {
  if (timeUs >= 1e15) return BigInt(Math.floor(timeUs));
  const created = Date.parse(String(t.meta.created ?? ''));
  return BigInt(Number.isFinite(created) ? created * 1000 : 0) + BigInt(Math.floor(timeUs));
}

export interface ExportResult {
  packets: number;
  devices: string[];
}

/** Writes the messages of one device (or of every device) as pcapng. */
export function exportPcapng(t: Trace, out: string, device?: string): ExportResult {
  const ids = device !== undefined ? [deviceId(t, device)] : [...t.devices.keys()];
  const byOffset = new Map<number, { txn: Txn; dev: number }>();
  for (const dev of ids) for (const txn of transactions(t, dev)) byOffset.set(txn.offset, { txn, dev });
  const blocks: Buffer[] = [sectionHeader('qemu-hdl-bridge cosim trace export'), interfaceDescription('cosim', `cosim trace ${t.file}`)];
  let packets = 0;
  for (const r of t.records) {
    if (r.kind !== RecordKind.MSG) continue;
    const hit = byOffset.get(r.offset);
    if (!hit) continue;
    const name = t.devices.get(hit.dev);
    const comment = [ids.length > 1 || t.devices.size > 1 ? `device ${name}` : '', hit.txn.test !== undefined ? `test ${hit.txn.test}` : ''].filter(Boolean).join('; ');
    blocks.push(enhancedPacket(packetTimeUs(t, r.timeUs), packet(hit.txn, hit.dev), comment || undefined));
    packets++;
  }
  fs.writeFileSync(out, Buffer.concat(blocks));
  return { packets, devices: ids.map((i) => t.devices.get(i)!) };
}
