// Fuzzed wire messages for the broker and cosim-pcie fuzzers: random,
// mutated (from a corpus seeded with the golden vectors in test/golden/) and
// truncated. One "frame" in the fuzzers' counts is one ZeroMQ message (a
// header frame and whatever frames follow it), as a receiver gets it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HDR_SIZE, MAGIC, MAX_PAYLOAD, MsgType, VERSION } from '../../bridge/src/protocol/wire';

/** One ZeroMQ message: its frames. */
export type Frames = Buffer[];

/** A small, fast, seedable PRNG (mulberry32): a run is repeatable from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** 0 .. n-1 */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return b;
  }
  /** A size biased towards small values and edges. */
  size(max: number): number {
    switch (this.int(6)) {
      case 0:
        return 0;
      case 1:
        return 1 + this.int(8);
      case 2:
        return this.int(64);
      case 3:
        return this.int(1024);
      case 4:
        return this.pick([max - 1, max, max + 1, 4096, 16384, 16385]);
      default:
        return this.int(max + 2);
    }
  }
}

const ALL_TYPES = Object.values(MsgType).filter((v): v is number => typeof v === 'number');

// Header offsets (docs/protocol.md).
const OFF = { magic: 0, version: 4, type: 6, flags: 7, tag: 8, index: 12, reserved: 14, address: 16, length: 24, payloadLen: 28, cycle: 32 } as const;

const ADDRESSES = [0n, 4n, 8n, 0x10n, 0x1000n, 0x7ffffffn, 0x8000n, 0x9000n, 0xfe000000n, 0xfe010000n, 0xfee00000n, 0xb0000000n, 0xffffffffn, 0x100000000n, 0xfffffffffffffff0n, 0xffffffffffffffffn];
const LENGTHS = [0, 1, 2, 3, 4, 7, 8, 16, 64, 4096, 65536, 65537, 1 << 20, 16 << 20, (16 << 20) + 1, 0x7fffffff, 0xffffffff];
const TAGS = [0, 1, 2, 3, 7, 0x7fffffff, 0x80000000, 0xffffffff];

/** The counts behind a fuzzer's end line. */
export interface FrameStats {
  random: number;
  mutated: number;
  truncated: number;
  /** Messages with a frame over MAX_FRAME. */
  oversize: number;
}

/** A stored input: one or more messages (a golden vector is one). */
export interface CorpusEntry {
  name: string;
  messages: Frames[];
}

/** test/golden/, from dist/test/fuzz or test/fuzz. */
export function goldenDir(): string {
  const up = path.resolve(__dirname, '..', '..');
  const src = path.basename(up) === 'dist' ? path.resolve(up, '..') : up;
  return path.join(src, 'test', 'golden');
}

/** The source tree's root (this file runs from dist/test/fuzz). */
export function srcRoot(): string {
  return path.resolve(goldenDir(), '..', '..');
}

/** Regression seeds of one fuzzer: test/fuzz/corpus/<name>/. */
export function regressionDir(fuzzer: string): string {
  return path.join(srcRoot(), 'test', 'fuzz', 'corpus', fuzzer);
}

/**
 * A ".case" file: messages one after another, each a u16 frame count and
 * then per frame a u32 length and its bytes (little-endian).
 */
export function encodeCase(messages: Frames[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const n = Buffer.alloc(2);
    n.writeUInt16LE(m.length);
    parts.push(n);
    for (const f of m) {
      const l = Buffer.alloc(4);
      l.writeUInt32LE(f.length);
      parts.push(l, f);
    }
  }
  return Buffer.concat(parts);
}

export function decodeCase(b: Buffer): Frames[] {
  const out: Frames[] = [];
  let o = 0;
  while (o + 2 <= b.length) {
    const n = b.readUInt16LE(o);
    o += 2;
    const m: Frames = [];
    for (let i = 0; i < n; i++) {
      if (o + 4 > b.length) throw new Error('truncated .case file');
      const l = b.readUInt32LE(o);
      o += 4;
      if (o + l > b.length) throw new Error('truncated .case file');
      m.push(Buffer.from(b.subarray(o, o + l)));
      o += l;
    }
    out.push(m);
  }
  return out;
}

/** A golden .bin (header and payload back to back) as the frames it travels in. */
export function goldenFrames(bin: Buffer): Frames {
  if (bin.length <= HDR_SIZE) return [bin];
  return [bin.subarray(0, HDR_SIZE), bin.subarray(HDR_SIZE)];
}

/** Every golden vector, plus the regression seeds of the named fuzzer. */
export function loadCorpus(fuzzer: string): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  const g = goldenDir();
  for (const f of fs.readdirSync(g).filter((n) => n.endsWith('.bin')).sort()) {
    out.push({ name: `golden/${f}`, messages: [goldenFrames(fs.readFileSync(path.join(g, f)))] });
  }
  const r = regressionDir(fuzzer);
  if (fs.existsSync(r)) {
    for (const f of fs.readdirSync(r).filter((n) => n.endsWith('.case')).sort()) {
      out.push({ name: `corpus/${fuzzer}/${f}`, messages: decodeCase(fs.readFileSync(path.join(r, f))) });
    }
  }
  return out;
}

/** Writes the messages that brought a crash to crashDir; returns the file. */
export function saveCrash(crashDir: string, messages: Frames[], note: string): string {
  fs.mkdirSync(crashDir, { recursive: true });
  const data = encodeCase(messages);
  const file = path.join(crashDir, `crash-${crypto.createHash('sha1').update(data).digest('hex').slice(0, 16)}.case`);
  fs.writeFileSync(file, data);
  fs.writeFileSync(`${file}.txt`, `${note}\n`);
  return file;
}

/** The largest frame the protocol allows; ZeroMQ (ZMQ_MAXMSGSIZE) drops the connection of a sender of a larger one. */
export const MAX_FRAME = MAX_PAYLOAD;

export interface FrameFuzzerOptions {
  /**
   * Let one frame over MAX_FRAME through in this many (the others are cut
   * to MAX_FRAME); 1 (the default): all of them. Each one costs the target
   * a dropped connection and a reconnect.
   */
  oversizeOneIn?: number;
}

/** Random, mutated and truncated messages from a corpus. */
export class FrameFuzzer {
  readonly stats: FrameStats = { random: 0, mutated: 0, truncated: 0, oversize: 0 };
  private readonly pool: Frames[];

  constructor(
    readonly rng: Rng,
    corpus: CorpusEntry[],
    private readonly opts: FrameFuzzerOptions = {},
  ) {
    this.pool = corpus.flatMap((c) => c.messages);
    if (this.pool.length === 0) throw new Error('FrameFuzzer: empty corpus');
  }

  /** The next message: about 10% random, 10% truncated, the rest mutated. */
  next(): Frames {
    const r = this.rng.int(10);
    let f: Frames;
    if (r === 0) {
      this.stats.random++;
      f = this.random();
    } else if (r === 1) {
      this.stats.truncated++;
      f = this.truncate(this.mutate(this.rng.pick(this.pool)));
    } else {
      this.stats.mutated++;
      f = this.mutate(this.rng.pick(this.pool));
    }
    if (f.some((x) => x.length > MAX_FRAME)) {
      if (this.rng.int(this.opts.oversizeOneIn ?? 1) === 0) this.stats.oversize++;
      else f = f.map((x) => (x.length > MAX_FRAME ? x.subarray(0, MAX_FRAME) : x));
    }
    return f;
  }

  /** Random bytes: a header of any size or a plausible one, and random frames. */
  random(): Frames {
    const rng = this.rng;
    const hdrLen = rng.chance(0.7) ? HDR_SIZE : rng.size(64);
    const h = rng.bytes(hdrLen);
    if (hdrLen >= 6 && rng.chance(0.5)) {
      h.writeUInt32LE(MAGIC, 0);
      h.writeUInt16LE(VERSION, 4);
      if (hdrLen > OFF.type) h[OFF.type] = rng.pick(ALL_TYPES);
      if (hdrLen >= 16 && rng.chance(0.7)) h.writeUInt16LE(0, OFF.reserved);
    }
    const frames: Frames = [h];
    const extra = rng.pick([0, 0, 1, 1, 2, 3]);
    for (let i = 0; i < extra; i++) frames.push(rng.bytes(rng.size(2048)));
    if (hdrLen >= 32 && frames.length === 2 && rng.chance(0.6)) h.writeUInt32LE(frames[1].length, OFF.payloadLen);
    return frames;
  }

  /** 1 to 4 mutations of a corpus message; often keeps payload_len right, so the frame gets past framing checks. */
  mutate(src: Frames): Frames {
    const rng = this.rng;
    const h = Buffer.from(src[0]);
    let payload: Buffer | undefined = src.length > 1 ? Buffer.from(src[1]) : undefined;
    const rest: Frames = src.slice(2).map((f) => Buffer.from(f));
    let fixLen = rng.chance(0.75);
    const full = h.length >= HDR_SIZE;
    const n = 1 + rng.int(4);
    for (let i = 0; i < n; i++) {
      switch (rng.int(16)) {
        case 0:
          if (full) h[OFF.type] = rng.pick(ALL_TYPES);
          break;
        case 1:
          if (full) h.writeUInt32LE(rng.chance(0.5) ? rng.pick(TAGS) : rng.u32(), OFF.tag);
          break;
        case 2:
          if (full) h.writeUInt16LE(rng.chance(0.7) ? rng.int(10) : rng.u32() & 0xffff, OFF.index);
          break;
        case 3:
          if (full) h.writeBigUInt64LE(rng.chance(0.5) ? rng.pick(ADDRESSES) : (BigInt(rng.u32()) << 32n) | BigInt(rng.u32()), OFF.address);
          break;
        case 4:
          if (full) h.writeBigUInt64LE(BigInt(rng.u32() & 0xfffffff) + (rng.chance(0.5) ? 0xfe000000n : 0n), OFF.address);
          break;
        case 5:
          if (full) h.writeUInt32LE(rng.chance(0.7) ? rng.pick(LENGTHS) : rng.u32(), OFF.length);
          break;
        case 6:
          if (full) h[OFF.flags] = rng.chance(0.7) ? rng.int(4) : rng.u32() & 0xff;
          break;
        case 7: // a bit flip anywhere in the header
          if (h.length) h[rng.int(h.length)] ^= 1 << rng.int(8);
          break;
        case 8: // a random byte anywhere in the header
          if (h.length) h[rng.int(h.length)] = rng.u32() & 0xff;
          break;
        case 9: // payload_len that lies
          if (full) {
            h.writeUInt32LE(rng.chance(0.5) ? rng.pick([0, 1, MAX_PAYLOAD, MAX_PAYLOAD + 1, 0xffffffff]) : rng.size(MAX_PAYLOAD), OFF.payloadLen);
            fixLen = false;
          }
          break;
        case 10: // a new payload
          payload = rng.bytes(rng.size(rng.chance(0.9) ? 512 : MAX_PAYLOAD));
          break;
        case 11: // payload bytes changed
          if (payload?.length) for (let k = 1 + rng.int(4); k > 0; k--) payload[rng.int(payload.length)] = rng.u32() & 0xff;
          break;
        case 12: // no payload frame, or an empty one
          payload = rng.chance(0.5) ? undefined : Buffer.alloc(0);
          break;
        case 13: // frames after the payload
          rest.push(rng.bytes(rng.size(64)));
          break;
        case 14: // reserved, magic or version wrong
          if (full) {
            const which = rng.int(3);
            if (which === 0) h.writeUInt16LE(1 + rng.int(0xffff), OFF.reserved);
            else if (which === 1) h.writeUInt32LE(rng.u32(), OFF.magic);
            else h.writeUInt16LE(rng.pick([0, 2, 0xffff]), OFF.version);
          }
          break;
        default: // the cycle
          if (full) h.writeBigUInt64LE((BigInt(rng.u32()) << 32n) | BigInt(rng.u32()), OFF.cycle);
          break;
      }
    }
    if (fixLen && full) h.writeUInt32LE(payload?.length ?? 0, OFF.payloadLen);
    if (fixLen && payload?.length === 0 && rng.chance(0.8)) payload = undefined;
    const frames: Frames = [h];
    if (payload) frames.push(payload);
    else if (rest.length) frames.push(Buffer.alloc(0));
    return frames.concat(rest);
  }

  /** Cut short: the header, the payload, or frames dropped. */
  truncate(src: Frames): Frames {
    const rng = this.rng;
    const frames = src.map((f) => f);
    switch (rng.int(3)) {
      case 0:
        frames[0] = frames[0].subarray(0, rng.int(Math.max(frames[0].length, 1)));
        break;
      case 1:
        if (frames.length > 1) frames[1] = frames[1].subarray(0, rng.int(Math.max(frames[1].length, 1)));
        else frames[0] = frames[0].subarray(0, rng.int(Math.max(frames[0].length, 1)));
        break;
      default:
        if (frames.length > 1) frames.length = 1;
        else frames[0] = frames[0].subarray(0, HDR_SIZE - 1 - rng.int(8));
        break;
    }
    return frames;
  }
}
