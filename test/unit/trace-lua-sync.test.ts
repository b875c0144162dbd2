// The Wireshark dissector's message types, flags and error codes are written
// from the TypeScript codec (bridge/src/trace/gen-lua.ts): fail when
// bridge/wireshark/cosim.lua drifts from MsgType (or from anything else it
// copies), and when its code names a type or flag the codec does not have.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { Flag, MsgType } from '../../bridge/src/protocol/wire';
import { generatedBlock, isStale, LUA_FILE, luaMsgTypes, splice } from '../../bridge/src/trace/gen-lua';

const lua = fs.readFileSync(LUA_FILE, 'utf8');

test('the generated block of cosim.lua is current (rewrite it: node dist/bridge/src/trace/gen-lua.js)', () => {
  assert.equal(isStale(), false);
});

test("cosim.lua's msg_types table is MsgType, value for value", () => {
  const want = new Map(Object.entries(MsgType).filter((kv): kv is [string, number] => typeof kv[1] === 'number').map(([n, v]) => [v, n]));
  assert.deepEqual(luaMsgTypes(lua), want);
});

test('a type added to MsgType shows up as drift', () => {
  const changed = generatedBlock().replace('local msg_types = {\n', 'local msg_types = {\n  [0x7f] = "NEW_TYPE",\n');
  assert.notEqual(splice(lua, changed), lua);
  assert.equal(luaMsgTypes(splice(lua, changed)).get(0x7f), 'NEW_TYPE');
});

test('every MSG.NAME and FLAG.NAME the dissector uses exists in the codec', () => {
  const code = lua.replace(/-- BEGIN GENERATED[\s\S]*-- END GENERATED/, '');
  const used = (prefix: string) => [...new Set([...code.matchAll(new RegExp(`\\b${prefix}\\.([A-Z_0-9]+)`, 'g'))].map((m) => m[1]))];
  const msgs = used('MSG');
  assert.ok(msgs.length >= 8, msgs.join(' '));
  for (const n of msgs) assert.equal(typeof (MsgType as unknown as Record<string, unknown>)[n], 'number', `MSG.${n} is not a MsgType`);
  for (const n of used('FLAG')) assert.ok(n in Flag, `FLAG.${n} is not a Flag`);
});
