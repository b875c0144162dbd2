// The constants of the Wireshark dissector (bridge/wireshark/cosim.lua) come
// from the TypeScript codec, not from a second hand-written copy: the block
// between the GENERATED markers in the Lua file is written here from MsgType,
// Flag, ErrorCode and the wire header (protocol/wire.ts, itself checked
// against dpi/include/cosim_wire.h) and from the export's pseudo-header
// (pcapng.ts). test/unit/trace-lua-sync.test.ts fails when the file is stale.
//
//   node dist/bridge/src/trace/gen-lua.js           rewrite the block
//   node dist/bridge/src/trace/gen-lua.js --check   exit 1 if it is stale
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../orchestrate/process';
import { ErrorCode, Flag, HDR_SIZE, MAGIC, MsgType, Role, VERSION } from '../protocol/wire';
import { PSEUDO_CYCLE_KNOWN, PSEUDO_MAGIC, PSEUDO_SIZE, PSEUDO_VERSION } from './pcapng';

export const LUA_FILE = path.join(repoRoot, 'bridge', 'wireshark', 'cosim.lua');
export const BEGIN = '-- BEGIN GENERATED';
export const END = '-- END GENERATED';

const hex2 = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
const enumEntries = (e: Record<string, string | number>) => Object.entries(e).filter((kv): kv is [string, number] => typeof kv[1] === 'number');

/** The generated block, markers included. */
export function generatedBlock(): string {
  const types = enumEntries(MsgType).sort((a, b) => a[1] - b[1]);
  const flags = Object.entries(Flag);
  const codes = enumEntries(ErrorCode).sort((a, b) => a[1] - b[1]);
  const roles = enumEntries(Role).sort((a, b) => a[1] - b[1]);
  return [
    `${BEGIN} by bridge/src/trace/gen-lua.ts from bridge/src/protocol/wire.ts and bridge/src/trace/pcapng.ts: do not edit by hand.`,
    '-- Rewrite it with: npx tsc -p tsconfig.json && node dist/bridge/src/trace/gen-lua.js',
    `local WIRE_MAGIC = 0x${MAGIC.toString(16)}`,
    `local WIRE_VERSION = ${VERSION}`,
    `local HDR_SIZE = ${HDR_SIZE}`,
    `local PSEUDO_MAGIC = "${PSEUDO_MAGIC}"`,
    `local PSEUDO_VERSION = ${PSEUDO_VERSION}`,
    `local PSEUDO_SIZE = ${PSEUDO_SIZE}`,
    `local PSEUDO_CYCLE_KNOWN = ${hex2(PSEUDO_CYCLE_KNOWN)}`,
    '-- MsgType: value -> name (the value names of cosim.type), and name -> value.',
    'local msg_types = {',
    ...types.map(([n, v]) => `  [${hex2(v)}] = "${n}",`),
    '}',
    'local MSG = {}',
    'for v, n in pairs(msg_types) do MSG[n] = v end',
    '-- Flag bits.',
    'local FLAG = {',
    ...flags.map(([n, v]) => `  ${n} = ${hex2(v)},`),
    '}',
    '-- ErrorCode: the index of an ERROR.',
    'local error_codes = {',
    ...codes.map(([n, v]) => `  [${v}] = "${n}",`),
    '}',
    '-- Role: the index of a HELLO.',
    'local roles = {',
    ...roles.map(([n, v]) => `  [${v}] = "${n}",`),
    '}',
    END,
  ].join('\n');
}

/** The Lua text with its generated block replaced. */
export function splice(lua: string, block = generatedBlock()): string {
  const a = lua.indexOf(BEGIN);
  const b = lua.indexOf(END, a);
  if (a < 0 || b < 0) throw new Error(`${LUA_FILE}: no '${BEGIN}' ... '${END}' block`);
  return lua.slice(0, a) + block + lua.slice(b + END.length);
}

/** The msg_types table as the Lua file has it (value -> name), read from the text itself. */
export function luaMsgTypes(lua: string): Map<number, string> {
  const m = /local msg_types = \{([^}]*)\}/.exec(lua);
  if (!m) throw new Error('no msg_types table in the Lua file');
  const out = new Map<number, string>();
  for (const e of m[1].matchAll(/\[(0x[0-9a-f]+|\d+)\]\s*=\s*"([A-Z_0-9]+)"/gi)) out.set(Number(e[1]), e[2]);
  return out;
}

export function isStale(file = LUA_FILE): boolean {
  const lua = fs.readFileSync(file, 'utf8');
  return splice(lua) !== lua;
}

function main(args: string[]): number {
  const lua = fs.readFileSync(LUA_FILE, 'utf8');
  const next = splice(lua);
  if (args.includes('--check')) {
    if (next !== lua) {
      console.error(`${path.relative(repoRoot, LUA_FILE)} is stale: run node dist/bridge/src/trace/gen-lua.js`);
      return 1;
    }
    return 0;
  }
  if (next !== lua) fs.writeFileSync(LUA_FILE, next);
  console.log(`${path.relative(repoRoot, LUA_FILE)}: ${next !== lua ? 'rewritten' : 'up to date'}`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
