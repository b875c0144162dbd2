// Just enough of the FST waveform format (GTKWave's, which Verilator writes)
// to check a waveform's time range and find signals by scope: the header
// block and the hierarchy, LZ4- or gzip-compressed. No value changes.
// Layout as in fstapi.c (GTKWave's libfst): blocks of [type u8][length
// u64 BE, counting itself][body]; numbers big-endian; varints LEB128.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

const BL_HDR = 0;
const BL_HIER = 4;
const BL_HIER_LZ4 = 6;
const BL_HIER_LZ4DUO = 7;
const BL_SKIP = 255;

const ST_VCD_SCOPE = 254;
const ST_VCD_UPSCOPE = 255;
const ST_GEN_ATTRBEGIN = 252;
const ST_GEN_ATTREND = 253;
/** Variable types are 0 (event) to 29 (sv shortreal). */
const VT_MAX = 29;

export interface FstHeader {
  startTime: bigint;
  endTime: bigint;
  /** Time unit as a power of ten in seconds (-12 = ps). */
  timescale: number;
  scopes: number;
  vars: number;
}

export interface FstVar {
  /** Full dotted path, as GTKWave shows it: TOP.top.bridge.s_axi_awaddr[63:0]. */
  path: string;
  /** The name in its scope without the bit range: s_axi_awaddr. */
  name: string;
  width: number;
}

export interface FstScope {
  /** Dotted path: TOP.gpu_top.bridge. */
  path: string;
  vars: FstVar[];
}

export class FstError extends Error {}

/** LZ4 block format decompression (the legacy LZ4_compress output libfst uses for the hierarchy). */
export function lz4Block(src: Buffer, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let i = 0;
  let o = 0;
  const fail = (what: string): never => {
    throw new FstError(`LZ4 data is corrupt (${what} at input byte ${i})`);
  };
  while (i < src.length) {
    const token = src[i++];
    let lit = token >> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= src.length) fail('literal length runs past the end');
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    if (i + lit > src.length || o + lit > outLen) fail('literals run past the end');
    src.copy(out, o, i, i + lit);
    i += lit;
    o += lit;
    if (i >= src.length) break; // the last sequence has literals only
    if (i + 2 > src.length) fail('match offset cut off');
    const off = src[i] | (src[i + 1] << 8);
    i += 2;
    if (off === 0 || off > o) fail(`match offset ${off}`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= src.length) fail('match length runs past the end');
        b = src[i++];
        len += b;
      } while (b === 255);
    }
    if (o + len > outLen) fail('match runs past the output');
    for (let k = 0; k < len; k++, o++) out[o] = out[o - off]; // may overlap
  }
  if (o !== outLen) fail(`output is ${o} bytes, expected ${outLen}`);
  return out;
}

function varint(b: Buffer, at: { o: number }): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (at.o >= b.length) throw new FstError('hierarchy ends inside a number');
    const c = b[at.o++];
    v += (c & 0x7f) * 2 ** shift;
    if (!(c & 0x80)) return v;
    shift += 7;
  }
}

function cstring(b: Buffer, at: { o: number }): string {
  const end = b.indexOf(0, at.o);
  if (end < 0) throw new FstError('hierarchy ends inside a name');
  const s = b.toString('latin1', at.o, end);
  at.o = end + 1;
  return s;
}

export class FstFile {
  readonly header: FstHeader;
  private hierBlock?: { type: number; offset: number; length: number };

  constructor(
    readonly file: string,
    private readonly buf: Buffer = fs.readFileSync(file),
  ) {
    const b = this.buf;
    if (b.length < 1 + 8 + 8 * 8 || b[0] !== BL_HDR) throw new FstError(`${file}: not an FST file (no header block at byte 0)`);
    this.header = {
      startTime: b.readBigUInt64BE(9),
      endTime: b.readBigUInt64BE(17),
      scopes: Number(b.readBigUInt64BE(41)),
      vars: Number(b.readBigUInt64BE(49)),
      timescale: b.readInt8(73),
    };
    for (let o = 0; o + 9 <= b.length; ) {
      const type = b[o];
      const len = Number(b.readBigUInt64BE(o + 1));
      if (len < 8 || o + 1 + len > b.length) throw new FstError(`${file}: block at byte ${o} (type ${type}) has a bad length ${len}`);
      if (type === BL_HIER || type === BL_HIER_LZ4 || type === BL_HIER_LZ4DUO) this.hierBlock = { type, offset: o, length: len };
      if (type === BL_SKIP && len === 8) break;
      o += 1 + len;
    }
  }

  /** The hierarchy, uncompressed. */
  private hierarchy(): Buffer {
    const h = this.hierBlock;
    if (!h) throw new FstError(`${this.file}: no hierarchy block (the waveform was not closed?)`);
    const b = this.buf;
    const uclen = Number(b.readBigUInt64BE(h.offset + 9));
    const data = b.subarray(h.offset + 17, h.offset + 1 + h.length);
    if (h.type === BL_HIER) return zlib.gunzipSync(data);
    if (h.type === BL_HIER_LZ4) return lz4Block(data, uclen);
    const at = { o: 0 };
    const len1 = varint(data, at);
    return lz4Block(lz4Block(data.subarray(at.o), len1), uclen);
  }

  /** Every scope with its variables, in file order. */
  scopes(): FstScope[] {
    const b = this.hierarchy();
    const out: FstScope[] = [];
    const stack: FstScope[] = [];
    const at = { o: 0 };
    while (at.o < b.length) {
      const tag = b[at.o++];
      if (tag === ST_VCD_SCOPE) {
        at.o++; // scope type
        const name = cstring(b, at);
        cstring(b, at); // component
        const parent = stack.at(-1);
        const s: FstScope = { path: parent ? `${parent.path}.${name}` : name, vars: [] };
        stack.push(s);
        out.push(s);
      } else if (tag === ST_VCD_UPSCOPE) {
        stack.pop();
      } else if (tag === ST_GEN_ATTRBEGIN) {
        at.o += 2;
        cstring(b, at);
        varint(b, at);
      } else if (tag === ST_GEN_ATTREND) {
        // nothing
      } else if (tag <= VT_MAX) {
        at.o++; // direction
        const raw = cstring(b, at);
        const width = varint(b, at);
        varint(b, at); // alias
        const scope = stack.at(-1);
        // Verilator writes 'name [63:0]'; GTKWave shows 'name[63:0]'.
        const compact = raw.replace(/ /g, '');
        const m = /^(.*?)(\[-?\d+(?::-?\d+)?\])$/.exec(compact);
        const name = m ? m[1] : compact;
        if (scope) scope.vars.push({ name, width, path: `${scope.path}.${compact}` });
      } else {
        throw new FstError(`${this.file}: unknown hierarchy tag ${tag} at byte ${at.o - 1} of the hierarchy`);
      }
    }
    return out;
  }
}
