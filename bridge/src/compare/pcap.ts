// Reads the link capture QEMU's filter-dump writes (classic pcap, Ethernet),
// so that `cosim compare` can say what the link carried.
import * as fs from 'node:fs';

export interface PcapFrame {
  tsUs: number;
  data: Buffer;
}

/** The frames of a pcap file; a missing file has none, and a record cut short by a running writer is left out. */
export function readPcap(file: string): PcapFrame[] {
  if (!fs.existsSync(file)) return [];
  const b = fs.readFileSync(file);
  if (b.length < 24) return [];
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const be = b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d;
  if (!le && !be) throw new Error(`${file}: not a pcap file (magic 0x${magic.toString(16)})`);
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const nano = (le ? magic : b.readUInt32BE(0)) === 0xa1b23c4d;
  const frames: PcapFrame[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const len = u32(o + 8);
    if (o + 16 + len > b.length) break;
    frames.push({ tsUs: u32(o) * 1e6 + (nano ? u32(o + 4) / 1000 : u32(o + 4)), data: b.subarray(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  return frames;
}

export interface PcapSummary {
  frames: number;
  bytes: number;
  arp: number;
  icmp: number;
  tcp: number;
  udp: number;
  other: number;
}

export function summarizePcap(frames: PcapFrame[]): PcapSummary {
  const s: PcapSummary = { frames: frames.length, bytes: 0, arp: 0, icmp: 0, tcp: 0, udp: 0, other: 0 };
  for (const f of frames) {
    s.bytes += f.data.length;
    const type = f.data.length >= 14 ? f.data.readUInt16BE(12) : 0;
    const proto = type === 0x0800 && f.data.length >= 24 ? f.data[23] : -1;
    if (type === 0x0806) s.arp++;
    else if (proto === 1) s.icmp++;
    else if (proto === 6) s.tcp++;
    else if (proto === 17) s.udp++;
    else s.other++;
  }
  return s;
}
