// Register map generator: hdl/gpu/regmap.json (validated against
// hdl/gpu/regmap.schema.json, then checked for what a schema cannot say:
// overlaps, ranges, references) is the single source of
//   hdl/gpu/gpu_regs_pkg.sv        SystemVerilog package (the RTL)
//   guest/include/cosim_gpu_regs.h C header (guest driver and programs)
//   bridge/src/gpu/regs.ts         TypeScript constants (tests, stand-in driver)
//   docs/gpu-registers.md          the tables for people
//
//   node dist/bridge/src/gpu/gen-regmap.js           rewrite the generated files
//   node dist/bridge/src/gpu/gen-regmap.js --check   exit 1 if any is stale
import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaProblems } from '../broker/config';
import { repoRoot } from '../orchestrate/process';

type Uint = number | string;
type Access = 'ro' | 'rw' | 'wo' | 'w1c';

interface RawBits {
  name: string;
  lsb: number;
  width: number;
  access?: Access;
  value?: Uint;
  enum?: string;
  desc: string;
}
interface RawRegister {
  name: string;
  bar?: string;
  offset: Uint;
  access: Access;
  reset?: Uint;
  desc: string;
  fields?: RawBits[];
  sameFieldsAs?: string;
}
interface RawStructField {
  name: string;
  offset: number;
  size: 1 | 2 | 4 | 8;
  enum?: string;
  desc: string;
  bits?: RawBits[];
}
interface RawStruct {
  name: string;
  bytes?: number;
  extends?: string;
  opcode?: string;
  desc: string;
  fields: RawStructField[];
}
interface RawMap {
  device: string;
  title: string;
  version: { major: number; minor: number };
  identity: Record<'vendorId' | 'deviceId' | 'subsystemVendorId' | 'subsystemId' | 'classCode' | 'revision', Uint>;
  bars: { name: string; index: number; size: Uint; is64: boolean; prefetch: boolean; desc: string }[];
  msix: { vectors: number; tableBar: string; tableOffset: Uint; pbaBar: string; pbaOffset: Uint };
  constants: { name: string; value: Uint; desc: string }[];
  enums: { name: string; width: number; desc: string; values: { name: string; value: number; desc: string }[] }[];
  registers: RawRegister[];
  structs: RawStruct[];
}

export interface Field {
  name: string;
  lsb: number;
  width: number;
  access: Access;
  value?: bigint;
  enum?: string;
  desc: string;
}
export interface Register {
  name: string;
  bar: Bar;
  offset: bigint;
  access: Access;
  reset?: bigint;
  desc: string;
  fields: Field[];
}
export interface Bar {
  name: string;
  index: number;
  size: bigint;
  is64: boolean;
  prefetch: boolean;
  desc: string;
}
export interface StructField {
  name: string;
  offset: number;
  size: number;
  enum?: string;
  desc: string;
  bits: Field[];
  inherited: boolean;
}
export interface Struct {
  name: string;
  bytes: number;
  extends?: string;
  opcode?: string;
  desc: string;
  fields: StructField[];
}
export interface RegMap {
  device: string;
  title: string;
  version: { major: number; minor: number };
  identity: Record<keyof RawMap['identity'], bigint>;
  bars: Bar[];
  msix: { vectors: number; tableBar: Bar; tableOffset: bigint; pbaBar: Bar; pbaOffset: bigint };
  constants: { name: string; value: bigint; desc: string }[];
  enums: RawMap['enums'];
  registers: Register[];
  structs: Struct[];
}

export class RegMapError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid register map ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'RegMapError';
  }
}

export const SCHEMA_FILE = path.join(repoRoot, 'hdl', 'gpu', 'regmap.schema.json');
export const MAP_FILE = path.join(repoRoot, 'hdl', 'gpu', 'regmap.json');

const big = (v: Uint): bigint => BigInt(typeof v === 'string' ? v.replace(/_/g, '') : v);
const hex = (v: bigint, digits = 0): string => '0x' + v.toString(16).toUpperCase().padStart(digits, '0');
const mask = (width: number): bigint => (1n << BigInt(width)) - 1n;

let validator: ReturnType<Ajv['compile']> | undefined;

/** Validates a parsed map (schema + semantics); throws RegMapError naming every problem. */
export function parseRegMap(json: unknown, source = 'regmap'): RegMap {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')));
  if (!validator(json)) throw new RegMapError(source, schemaProblems(validator.errors ?? []));
  const raw = json as RawMap;
  const problems: string[] = [];
  const bad = (what: string) => problems.push(what);

  const enums = new Map(raw.enums.map((e) => [e.name, e]));
  const enumRef = (where: string, name: string | undefined) => {
    if (name !== undefined && !enums.has(name)) bad(`${where}.enum: no enum named ${name}`);
  };
  for (const e of raw.enums) {
    const seen = new Set<number>();
    for (const v of e.values) {
      if (v.value > Number(mask(e.width))) bad(`enums.${e.name}.${v.name}: ${v.value} does not fit ${e.width} bits`);
      if (seen.has(v.value)) bad(`enums.${e.name}.${v.name}: value ${v.value} used twice`);
      seen.add(v.value);
    }
  }

  const bars = raw.bars.map((b) => ({ ...b, size: big(b.size) }));
  const barByName = new Map(bars.map((b) => [b.name, b]));
  for (const b of bars) {
    if (b.size < 16n || (b.size & (b.size - 1n)) !== 0n) bad(`bars.${b.name}.size: ${hex(b.size)} is not a power of two >= 16`);
    if (b.is64 && bars.some((o) => o.index === b.index + 1)) bad(`bars.${b.name}: 64-bit BAR ${b.index} needs BAR ${b.index + 1} absent`);
    if (bars.filter((o) => o.index === b.index).length > 1) bad(`bars.${b.name}.index: BAR ${b.index} described twice`);
  }
  const barOf = (where: string, name: string | undefined): Bar => {
    const b = name === undefined ? bars[0] : barByName.get(name);
    if (!b) {
      bad(`${where}: no BAR named ${name}`);
      return bars[0];
    }
    return b;
  };

  const fieldsOf = (where: string, list: RawBits[], width: number, inherit: Access): Field[] => {
    const out = list.map((f) => ({ ...f, access: f.access ?? inherit, value: f.value === undefined ? undefined : big(f.value) }));
    let used = 0n;
    for (const f of out) {
      enumRef(`${where}.${f.name}`, f.enum);
      if (f.lsb + f.width > width) bad(`${where}.${f.name}: bits ${f.lsb + f.width - 1}:${f.lsb} exceed ${width} bits`);
      const m = mask(f.width) << BigInt(f.lsb);
      if (used & m) bad(`${where}.${f.name}: overlaps another field`);
      used |= m;
      if (f.value !== undefined && f.value > mask(f.width)) bad(`${where}.${f.name}.value: ${hex(f.value)} does not fit ${f.width} bits`);
    }
    return out;
  };

  const rawRegs = new Map(raw.registers.map((r) => [r.name, r]));
  const registers: Register[] = raw.registers.map((r) => {
    const where = `registers.${r.name}`;
    let rawFields = r.fields ?? [];
    if (r.sameFieldsAs !== undefined) {
      const src = rawRegs.get(r.sameFieldsAs);
      if (!src) bad(`${where}.sameFieldsAs: no register named ${r.sameFieldsAs}`);
      rawFields = (src?.fields ?? []).map((f) => ({ ...f, access: undefined }));
    }
    const fields = fieldsOf(where, rawFields, 64, r.access);
    const valued = fields.filter((f) => f.value !== undefined);
    let reset = r.reset === undefined ? undefined : big(r.reset);
    if (valued.length > 0) {
      if (reset !== undefined) bad(`${where}: give either reset or field values, not both`);
      if (valued.length !== fields.length) bad(`${where}: every field needs a value when one has`);
      reset = valued.reduce((acc, f) => acc | (f.value! << BigInt(f.lsb)), 0n);
    }
    if (reset !== undefined && reset > mask(64)) bad(`${where}.reset: does not fit 64 bits`);
    const bar = barOf(`${where}.bar`, r.bar);
    const offset = big(r.offset);
    if (offset % 8n !== 0n) bad(`${where}.offset: ${hex(offset)} is not 8-byte aligned`);
    if (offset + 8n > bar.size) bad(`${where}.offset: ${hex(offset)} outside BAR ${bar.name} (${hex(bar.size)} bytes)`);
    return { name: r.name, bar, offset, access: r.access, reset, desc: r.desc, fields };
  });

  const tableBar = barOf('msix.tableBar', raw.msix.tableBar);
  const pbaBar = barOf('msix.pbaBar', raw.msix.pbaBar);
  const msix = { vectors: raw.msix.vectors, tableBar, tableOffset: big(raw.msix.tableOffset), pbaBar, pbaOffset: big(raw.msix.pbaOffset) };
  const tableEnd = msix.tableOffset + BigInt(16 * msix.vectors);
  const pbaEnd = msix.pbaOffset + BigInt(8 * Math.ceil(msix.vectors / 64));
  if (msix.tableOffset % 8n || tableEnd > tableBar.size) bad(`msix.tableOffset: ${hex(msix.tableOffset)} not 8-byte aligned or the table leaves BAR ${tableBar.name}`);
  if (msix.pbaOffset % 8n || pbaEnd > pbaBar.size) bad(`msix.pbaOffset: ${hex(msix.pbaOffset)} not 8-byte aligned or the PBA leaves BAR ${pbaBar.name}`);
  if (tableBar === pbaBar && msix.tableOffset < pbaEnd && msix.pbaOffset < tableEnd) bad('msix: the table and the PBA overlap');

  const slots = new Map<string, string>();
  for (const r of registers) {
    const key = `${r.bar.name}:${r.offset}`;
    if (slots.has(key)) bad(`registers.${r.name}.offset: ${hex(r.offset)} in BAR ${r.bar.name} is also ${slots.get(key)}`);
    slots.set(key, r.name);
    for (const [b, lo, hi] of [[tableBar, msix.tableOffset, tableEnd], [pbaBar, msix.pbaOffset, pbaEnd]] as const) {
      if (r.bar === b && r.offset + 8n > lo && r.offset < hi) bad(`registers.${r.name}.offset: ${hex(r.offset)} lies in the MSI-X ${lo === msix.tableOffset ? 'table' : 'PBA'}`);
    }
  }

  const structs: Struct[] = [];
  for (const s of raw.structs) {
    const where = `structs.${s.name}`;
    if ((s.bytes === undefined) === (s.extends === undefined)) bad(`${where}: give exactly one of bytes and extends`);
    const base = s.extends === undefined ? undefined : structs.find((o) => o.name === s.extends);
    if (s.extends !== undefined && !base) bad(`${where}.extends: no earlier struct named ${s.extends}`);
    if (s.opcode !== undefined && !enums.get('OP')?.values.some((v) => v.name === s.opcode)) bad(`${where}.opcode: no OP value named ${s.opcode}`);
    const bytes = s.bytes ?? base?.bytes ?? 0;
    const fields: StructField[] = (base?.fields ?? []).map((f) => ({ ...f, inherited: true }));
    for (const f of s.fields) {
      const fw = `${where}.${f.name}`;
      enumRef(fw, f.enum);
      if (f.offset % f.size !== 0) bad(`${fw}: offset ${f.offset} not aligned to its size ${f.size}`);
      if (f.offset + f.size > bytes) bad(`${fw}: bytes ${f.offset}..${f.offset + f.size - 1} outside the ${bytes}-byte struct`);
      for (const o of fields) {
        if (o.name === f.name) bad(`${fw}: name used twice`);
        else if (f.offset < o.offset + o.size && o.offset < f.offset + f.size) bad(`${fw}: overlaps ${o.name}`);
      }
      fields.push({ name: f.name, offset: f.offset, size: f.size, enum: f.enum, desc: f.desc, bits: fieldsOf(fw, f.bits ?? [], 8 * f.size, 'rw'), inherited: false });
    }
    fields.sort((a, b) => a.offset - b.offset);
    structs.push({ name: s.name, bytes, extends: s.extends, opcode: s.opcode, desc: s.desc, fields });
  }

  const map: RegMap = {
    device: raw.device,
    title: raw.title,
    version: raw.version,
    identity: Object.fromEntries(Object.entries(raw.identity).map(([k, v]) => [k, big(v)])) as RegMap['identity'],
    bars,
    msix,
    constants: raw.constants.map((c) => ({ ...c, value: big(c.value) })),
    enums: raw.enums,
    registers,
    structs,
  };
  const id = map.identity;
  for (const [k, bits] of [['vendorId', 16], ['deviceId', 16], ['subsystemVendorId', 16], ['subsystemId', 16], ['classCode', 24], ['revision', 8]] as const) {
    if (id[k] > mask(bits)) bad(`identity.${k}: does not fit ${bits} bits`);
  }
  if (id.vendorId === 0xffffn || id.deviceId === 0xffffn) bad('identity: ids must not be 0xFFFF');
  // Every generated identifier is unique within its language.
  const names = new Map<string, string>();
  for (const [n, what] of identifiers(map)) {
    if (names.has(n)) bad(`${what}: generated name ${n} clashes with ${names.get(n)}`);
    names.set(n, what);
  }
  if (problems.length) throw new RegMapError(source, problems);
  return map;
}

function identifiers(m: RegMap): [string, string][] {
  const out: [string, string][] = [];
  for (const r of m.registers) {
    out.push([`REG_${r.name}`, `registers.${r.name}`]);
    for (const f of r.fields) out.push([`${r.name}_${f.name}`, `registers.${r.name}.${f.name}`]);
  }
  for (const e of m.enums) for (const v of e.values) out.push([`${e.name}_${v.name}`, `enums.${e.name}.${v.name}`]);
  for (const c of m.constants) out.push([c.name, `constants.${c.name}`]);
  for (const s of m.structs) {
    out.push([`${s.name}_BYTES`, `structs.${s.name}`]);
    for (const f of s.fields.filter((x) => !x.inherited)) {
      out.push([`${s.name}_${f.name}`, `structs.${s.name}.${f.name}`]);
      for (const b of f.bits) out.push([`${s.name}_${f.name}_${b.name}`, `structs.${s.name}.${f.name}.${b.name}`]);
    }
  }
  return out;
}

export function loadRegMap(file = MAP_FILE): RegMap {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RegMapError(file, [`cannot read: ${(e as Error).message}`]);
  }
  return parseRegMap(json, path.relative(repoRoot, file));
}

// ---------------------------------------------------------------- emitters

const BANNER = 'Generated by bridge/src/gpu/gen-regmap.ts from hdl/gpu/regmap.json: do not edit.';
const log2 = (v: bigint): number => v.toString(2).length - 1;
const barFlags = (b: Bar): number => (b.is64 ? 1 : 0) | (b.prefetch ? 2 : 0);
const svNum = (v: bigint, width: number): string => `${width}'h${v.toString(16).toUpperCase()}`;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ');

function regWidth(r: Register): number {
  return Math.max(1, log2(r.bar.size));
}

export function emitSv(m: RegMap): string {
  const L: string[] = [];
  const lp = (decl: string, comment?: string) => L.push(`    localparam ${decl};${comment ? ` // ${oneLine(comment)}` : ''}`);
  const intOrWide = (name: string, v: bigint, comment?: string) =>
    v < 1n << 31n ? lp(`int ${name} = ${v}`, comment) : lp(`logic [63:0] ${name} = ${svNum(v, 64)}`, comment);
  L.push(`// ${BANNER}`, `// ${m.title}: identity, BARs, registers, enums and in-memory layouts.`);
  L.push('// A design uses some of these constants: the others are for reference.', '/* verilator lint_off UNUSEDPARAM */', 'package gpu_regs_pkg;');
  L.push('    // ---- identity');
  lp(`logic [15:0] VENDOR_ID = ${svNum(m.identity.vendorId, 16)}`);
  lp(`logic [15:0] DEVICE_ID = ${svNum(m.identity.deviceId, 16)}`);
  lp(`logic [15:0] SUBSYS_VENDOR_ID = ${svNum(m.identity.subsystemVendorId, 16)}`);
  lp(`logic [15:0] SUBSYS_ID = ${svNum(m.identity.subsystemId, 16)}`);
  lp(`logic [23:0] CLASS_CODE = ${svNum(m.identity.classCode, 24)}`);
  lp(`logic [7:0] REVISION = ${svNum(m.identity.revision, 8)}`);
  L.push('    // ---- BARs: index, size in bytes, flags (bit0 64-bit, bit1 prefetchable)');
  for (const b of m.bars) {
    lp(`int BAR_${b.name} = ${b.index}`, b.desc);
    lp(`logic [63:0] BAR_${b.name}_SIZE = ${svNum(b.size, 64)}`);
    lp(`int BAR_${b.name}_FLAGS = ${barFlags(b)}`);
  }
  L.push('    // ---- MSI-X (table and PBA are served by QEMU)');
  lp(`int MSIX_VECTORS = ${m.msix.vectors}`);
  lp(`int MSIX_TABLE_BAR = ${m.msix.tableBar.index}`);
  lp(`logic [63:0] MSIX_TABLE_OFFSET = ${svNum(m.msix.tableOffset, 64)}`);
  lp(`int MSIX_PBA_BAR = ${m.msix.pbaBar.index}`);
  lp(`logic [63:0] MSIX_PBA_OFFSET = ${svNum(m.msix.pbaOffset, 64)}`);
  L.push('    // ---- constants');
  for (const c of m.constants) intOrWide(c.name, c.value, c.desc);
  L.push('    // ---- enums');
  for (const e of m.enums) for (const v of e.values) lp(`logic [${e.width - 1}:0] ${e.name}_${v.name} = ${svNum(BigInt(v.value), e.width)}`, v.desc);
  L.push('    // ---- registers: REG_x = offset in its BAR; x_F_LSB / x_F_WIDTH = field position; x_RESET');
  for (const r of m.registers) {
    const w = regWidth(r);
    lp(`logic [${w - 1}:0] REG_${r.name} = ${svNum(r.offset, w)}`, `BAR ${r.bar.name}, ${r.access}: ${r.desc}`);
    if (r.reset !== undefined) lp(`logic [63:0] REG_${r.name}_RESET = ${svNum(r.reset, 64)}`);
    for (const f of r.fields) {
      lp(`int ${r.name}_${f.name}_LSB = ${f.lsb}`, f.desc);
      lp(`int ${r.name}_${f.name}_WIDTH = ${f.width}`);
    }
  }
  L.push('    // ---- in-memory layouts: x_F_OFF / x_F_SIZE in bytes; x_F_B_LSB / _WIDTH bits inside field F');
  for (const s of m.structs) {
    lp(`int ${s.name}_BYTES = ${s.bytes}`, s.desc);
    for (const f of s.fields.filter((x) => !x.inherited)) {
      lp(`int ${s.name}_${f.name}_OFF = ${f.offset}`, f.desc);
      lp(`int ${s.name}_${f.name}_SIZE = ${f.size}`);
      for (const b of f.bits) {
        lp(`int ${s.name}_${f.name}_${b.name}_LSB = ${b.lsb}`, b.desc);
        lp(`int ${s.name}_${f.name}_${b.name}_WIDTH = ${b.width}`);
      }
    }
  }
  L.push('endpackage', '/* verilator lint_on UNUSEDPARAM */', '');
  return L.join('\n');
}

const cType = (size: number): string => `__u${size * 8}`;

export function emitC(m: RegMap): string {
  const P = m.device.toUpperCase() + '_';
  const guard = `${P}REGS_H`;
  const L: string[] = [];
  const def = (name: string, value: string, comment?: string) =>
    L.push(`#define ${P}${name.padEnd(34 - P.length)} ${value}${comment ? `\t/* ${oneLine(comment).replace(/\*\//g, '* /')} */` : ''}`);
  const c64 = (v: bigint) => `${hex(v)}ULL`;
  L.push('/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */');
  L.push(`/*`, ` * ${m.device}_regs.h - ${m.title}: identity, BARs, registers, enums, command and`, ` * descriptor layouts.`, ` *`, ` * ${BANNER}`);
  L.push(' * Field macros: <REG>_<FIELD>_SHIFT, and <REG>_<FIELD>_MASK in place (already shifted).', ' */');
  L.push(`#ifndef ${guard}`, `#define ${guard}`, '');
  L.push('#ifdef __KERNEL__', '#include <linux/types.h>', '#else', '#include <stdint.h>');
  for (const n of [8, 16, 32, 64]) L.push(`typedef uint${n}_t __u${n};`);
  L.push('#endif', '');
  L.push('/* identity */');
  def('VENDOR_ID', hex(m.identity.vendorId, 4));
  def('DEVICE_ID', hex(m.identity.deviceId, 4));
  def('SUBSYS_VENDOR_ID', hex(m.identity.subsystemVendorId, 4));
  def('SUBSYS_ID', hex(m.identity.subsystemId, 4));
  def('CLASS_CODE', hex(m.identity.classCode, 6));
  def('REVISION', String(m.identity.revision));
  def('VERSION_MAJOR', String(m.version.major));
  def('VERSION_MINOR', String(m.version.minor));
  L.push('', '/* BARs: index and size */');
  for (const b of m.bars) {
    def(`BAR_${b.name}`, String(b.index), b.desc);
    def(`BAR_${b.name}_SIZE`, c64(b.size));
  }
  L.push('', '/* MSI-X (table and PBA are served by QEMU) */');
  def('MSIX_VECTORS', String(m.msix.vectors));
  def('MSIX_TABLE_OFFSET', hex(m.msix.tableOffset), `in BAR ${m.msix.tableBar.name}`);
  def('MSIX_PBA_OFFSET', hex(m.msix.pbaOffset), `in BAR ${m.msix.pbaBar.name}`);
  L.push('', '/* constants */');
  for (const c of m.constants) def(c.name, c.value < 1n << 31n ? String(c.value) : c64(c.value), c.desc);
  for (const e of m.enums) {
    L.push('', `/* ${e.name}: ${e.desc} */`);
    for (const v of e.values) def(`${e.name}_${v.name}`, String(v.value), v.desc);
  }
  L.push('', '/* registers (byte offsets in their BAR; every register is a 64-bit slot) */');
  for (const r of m.registers) {
    def(`REG_${r.name}`, hex(r.offset, 3), `BAR ${r.bar.name}, ${r.access}: ${r.desc}`);
    if (r.reset !== undefined) def(`REG_${r.name}_RESET`, c64(r.reset));
    for (const f of r.fields) {
      def(`${r.name}_${f.name}_SHIFT`, String(f.lsb), f.desc);
      def(`${r.name}_${f.name}_MASK`, c64(mask(f.width) << BigInt(f.lsb)));
    }
  }
  L.push('', '/* in-memory layouts (little-endian, packed by construction) */');
  for (const s of m.structs) {
    L.push('', `/* ${s.name}: ${oneLine(s.desc)}${s.opcode ? ` (OPCODE = ${P}OP_${s.opcode})` : ''} */`);
    def(`${s.name}_BYTES`, String(s.bytes));
    for (const f of s.fields.filter((x) => !x.inherited)) {
      for (const b of f.bits) {
        def(`${s.name}_${f.name}_${b.name}_SHIFT`, String(b.lsb), b.desc);
        def(`${s.name}_${f.name}_${b.name}_MASK`, hex(mask(b.width) << BigInt(b.lsb)) + (f.size === 8 ? 'ULL' : 'u'));
      }
    }
    L.push(`struct ${m.device}_${s.name.toLowerCase()} {`);
    let at = 0;
    for (const f of s.fields) {
      if (f.offset > at) L.push(`\t__u8 rsvd${at}[${f.offset - at}];`);
      L.push(`\t${cType(f.size)} ${f.name.toLowerCase()};\t/* ${oneLine(f.desc)} */`);
      at = f.offset + f.size;
    }
    if (s.bytes > at) L.push(`\t__u8 rsvd${at}[${s.bytes - at}];`);
    L.push('};');
    L.push(`_Static_assert(sizeof(struct ${m.device}_${s.name.toLowerCase()}) == ${s.bytes}, "${s.name} layout");`);
  }
  L.push('', `#endif /* ${guard} */`, '');
  return L.join('\n');
}

export function emitTs(m: RegMap): string {
  const L: string[] = [`// ${BANNER}`, `// ${m.title}: identity, BARs, registers, enums and in-memory layouts.`, ''];
  const obj = (name: string, doc: string, entries: [string, string][]) => {
    L.push(`/** ${doc} */`, `export const ${name} = {`);
    for (const [k, v] of entries) L.push(`  ${k}: ${v},`);
    L.push('} as const;', '');
  };
  const num = (v: bigint) => (v < 4096n ? String(v) : v <= BigInt(Number.MAX_SAFE_INTEGER) ? hex(v) : `${hex(v)}n`);
  obj('GPU_IDENTITY', 'PCI identity', Object.entries(m.identity).map(([k, v]) => [k, hex(v)]));
  obj('GPU_VERSION', 'register map version (VERSION register)', [['major', String(m.version.major)], ['minor', String(m.version.minor)]]);
  obj('GPU_BAR', 'BAR numbers', m.bars.map((b) => [b.name, String(b.index)]));
  obj('GPU_BAR_INFO', 'BAR sizes and flags', m.bars.map((b) => [b.name, `{ size: ${num(b.size)}, is64: ${b.is64}, prefetch: ${b.prefetch} }`]));
  obj('GPU_MSIX', 'MSI-X placement (served by QEMU)', [
    ['vectors', String(m.msix.vectors)],
    ['tableBar', String(m.msix.tableBar.index)],
    ['tableOffset', hex(m.msix.tableOffset)],
    ['pbaBar', String(m.msix.pbaBar.index)],
    ['pbaOffset', hex(m.msix.pbaOffset)],
  ]);
  obj('GPU_CONST', 'constants', m.constants.map((c) => [c.name, num(c.value)]));
  for (const e of m.enums) obj(`GPU_${e.name}`, e.desc, e.values.map((v) => [v.name, String(v.value)]));
  obj('GPU_REG', 'register offsets in their BAR (GPU_REG_BAR)', m.registers.map((r) => [r.name, hex(r.offset, 3)]));
  obj('GPU_REG_BAR', 'BAR of each register', m.registers.map((r) => [r.name, String(r.bar.index)]));
  obj('GPU_RESET', 'reset (or constant) value of registers that have one', m.registers.filter((r) => r.reset !== undefined).map((r) => [r.name, `${hex(r.reset!)}n`]));
  const fields: [string, string][] = [];
  for (const r of m.registers) for (const f of r.fields) fields.push([`${r.name}_${f.name}`, `{ lsb: ${f.lsb}, width: ${f.width} }`]);
  for (const s of m.structs) for (const f of s.fields.filter((x) => !x.inherited)) for (const b of f.bits) fields.push([`${s.name}_${f.name}_${b.name}`, `{ lsb: ${b.lsb}, width: ${b.width} }`]);
  obj('GPU_FIELD', 'bit fields of registers (REG_FIELD) and of struct fields (STRUCT_FIELD_BITS)', fields);
  L.push('/** in-memory layouts: bytes, and each field\'s byte offset and size */', 'export const GPU_STRUCT = {');
  for (const s of m.structs) {
    const fs_ = s.fields.map((f) => `${f.name}: { offset: ${f.offset}, size: ${f.size} }`).join(', ');
    L.push(`  ${s.name}: { bytes: ${s.bytes}, ${s.opcode ? `opcode: ${m.enums.find((e) => e.name === 'OP')!.values.find((v) => v.name === s.opcode)!.value}, ` : ''}fields: { ${fs_} } },`);
  }
  L.push('} as const;', '');
  return L.join('\n');
}

const mdEsc = (s: string): string => oneLine(s).replace(/\|/g, '\\|');

export function emitMd(m: RegMap): string {
  const L: string[] = [];
  const table = (head: string[], rows: string[][]) => {
    L.push(`| ${head.join(' | ')} |`, `|${head.map((h) => (/^(offset|bits|value|index|size|bytes)$/.test(h) ? '---:' : '---')).join('|')}|`);
    for (const r of rows) L.push(`| ${r.join(' | ')} |`);
    L.push('');
  };
  const bits = (f: Field) => (f.width === 1 ? `${f.lsb}` : `${f.lsb + f.width - 1}:${f.lsb}`);
  L.push(`# ${m.title} registers`, '', `<!-- ${BANNER} -->`, '');
  L.push(
    `Generated from [hdl/gpu/regmap.json](../hdl/gpu/regmap.json) together with`,
    '[hdl/gpu/gpu_regs_pkg.sv](../hdl/gpu/gpu_regs_pkg.sv), [guest/include/cosim_gpu_regs.h](../guest/include/cosim_gpu_regs.h)',
    `and [bridge/src/gpu/regs.ts](../bridge/src/gpu/regs.ts); [docs/gpu.md](gpu.md) explains the device. Register map version ${m.version.major}.${m.version.minor}.`,
    '',
  );
  L.push('## Identity', '');
  const id = m.identity;
  table(['field', 'value'], [
    ['vendor', hex(id.vendorId, 4)],
    ['device', hex(id.deviceId, 4)],
    ['subsystem', `${hex(id.subsystemVendorId, 4)} / ${hex(id.subsystemId, 4)}`],
    ['class', hex(id.classCode, 6)],
    ['revision', String(id.revision)],
  ]);
  L.push('## BARs', '');
  table(['index', 'name', 'size', 'type', 'contents'], m.bars.map((b) => [String(b.index), b.name, `${hex(b.size)}`, `${b.is64 ? '64-bit' : '32-bit'}${b.prefetch ? ', prefetchable' : ''}`, mdEsc(b.desc)]));
  L.push(
    `MSI-X: ${m.msix.vectors} vectors; table at ${m.msix.tableBar.name} + ${hex(m.msix.tableOffset)}, PBA at ${m.msix.pbaBar.name} + ${hex(m.msix.pbaOffset)} (QEMU serves both; accesses there never reach the RTL).`,
    '',
  );
  L.push('## Register summary', '', 'Every register is a 64-bit slot and takes 1, 2, 4 and 8-byte accesses (writes merge the strobed bytes).', '');
  table(['BAR', 'offset', 'name', 'access', 'reset', 'description'], m.registers.map((r) => [r.bar.name, hex(r.offset, 3), r.name, r.access, r.reset === undefined ? '—' : hex(r.reset), mdEsc(r.desc)]));
  L.push('## Register fields', '');
  for (const r of m.registers.filter((x) => x.fields.length > 0)) {
    L.push(`### ${r.name} (${r.bar.name} + ${hex(r.offset, 3)})`, '');
    table(['bits', 'field', 'access', 'value', 'description'], r.fields.map((f) => [bits(f), f.name, f.access, f.value === undefined ? (f.enum ? `enum ${f.enum}` : '—') : hex(f.value), mdEsc(f.desc)]));
  }
  L.push('## Enums', '');
  for (const e of m.enums) {
    L.push(`### ${e.name}`, '', `${mdEsc(e.desc)} (${e.width} bits)`, '');
    table(['value', 'name', 'description'], e.values.map((v) => [String(v.value), v.name, mdEsc(v.desc)]));
  }
  L.push('## In-memory layouts', '', 'Little-endian; offsets and sizes in bytes. Bytes not listed are reserved: write 0.', '');
  for (const s of m.structs) {
    L.push(`### ${s.name}${s.opcode ? ` (OPCODE ${s.opcode})` : ''}`, '', `${mdEsc(s.desc)}; ${s.bytes} bytes${s.extends ? `, starts with ${s.extends}` : ''}.`, '');
    table(['offset', 'size', 'field', 'description'], s.fields.map((f) => [String(f.offset), String(f.size), f.inherited ? `(${f.name})` : f.name, mdEsc(f.desc + (f.enum ? ` (enum ${f.enum})` : '') + (f.bits.length ? '; bits: ' + f.bits.map((b) => `${bits(b)} ${b.name} — ${b.desc}`).join('; ') : ''))]));
  }
  L.push('## Constants', '');
  table(['name', 'value', 'description'], m.constants.map((c) => [c.name, c.value > 4096n ? hex(c.value) : String(c.value), mdEsc(c.desc)]));
  return L.join('\n').replace(/\n+$/, '\n');
}

export interface Output {
  file: string;
  text: string;
}

/** Every generated file and its expected content. */
export function outputs(m: RegMap = loadRegMap()): Output[] {
  return [
    { file: 'hdl/gpu/gpu_regs_pkg.sv', text: emitSv(m) },
    { file: 'guest/include/cosim_gpu_regs.h', text: emitC(m) },
    { file: 'bridge/src/gpu/regs.ts', text: emitTs(m) },
    { file: 'docs/gpu-registers.md', text: emitMd(m) },
  ];
}

/** The generated files whose content on disk differs from what the map gives. */
export function staleOutputs(m?: RegMap): string[] {
  return outputs(m)
    .filter((o) => {
      const p = path.join(repoRoot, o.file);
      return !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== o.text;
    })
    .map((o) => o.file);
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length || argv.includes('--help')) {
    process.stderr.write('usage: node dist/bridge/src/gpu/gen-regmap.js [--check]\n  regenerates the files made from hdl/gpu/regmap.json; --check only reports stale ones (exit 1)\n');
    return unknown.length ? 2 : 0;
  }
  let m: RegMap;
  try {
    m = loadRegMap();
  } catch (e) {
    process.stderr.write(`gen-regmap: ${(e as Error).message}\n`);
    return 1;
  }
  if (check) {
    const stale = staleOutputs(m);
    for (const f of stale) process.stderr.write(`gen-regmap: ${f} is stale (run: node dist/bridge/src/gpu/gen-regmap.js)\n`);
    if (!stale.length) process.stderr.write('gen-regmap: every generated file is up to date\n');
    return stale.length ? 1 : 0;
  }
  for (const o of outputs(m)) {
    const p = path.join(repoRoot, o.file);
    if (fs.existsSync(p) && fs.readFileSync(p, 'utf8') === o.text) continue;
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, o.text);
    process.stderr.write(`gen-regmap: wrote ${o.file}\n`);
  }
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
