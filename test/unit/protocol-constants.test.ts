// The TypeScript codec mirrors dpi/include/cosim_wire.h; this parses the header
// and fails on any constant that drifted.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as W from '../../bridge/src/protocol/wire';
import { repoRoot } from '../helpers';

const header = fs.readFileSync(path.join(repoRoot, 'dpi', 'include', 'cosim_wire.h'), 'utf8');

function cValue(name: string): number {
  const def = header.match(new RegExp(`#define ${name} \\(?([^/\\n]+?)\\)?\\s*(/\\*.*)?$`, 'm'));
  const enm = header.match(new RegExp(`\\b${name} = (0x[0-9a-fA-F]+|\\d+)`));
  const expr = def?.[1] ?? enm?.[1];
  assert.ok(expr, `${name} not found in cosim_wire.h`);
  return Number(Function(`return (${expr.replace(/u\b/g, '')})`)());
}

test('sizes and limits match the C header', () => {
  assert.equal(W.MAGIC, cValue('COSIM_MAGIC'));
  assert.equal(W.VERSION, cValue('COSIM_VERSION'));
  assert.equal(W.HDR_SIZE, cValue('COSIM_HDR_SIZE'));
  assert.equal(W.MAX_PAYLOAD, cValue('COSIM_MAX_PAYLOAD'));
  assert.equal(W.MAX_DMA_LEN, cValue('COSIM_MAX_DMA_LEN'));
  assert.equal(W.MAX_NIC_FRAME, cValue('COSIM_MAX_NIC_FRAME'));
  assert.equal(W.MAX_NAME, cValue('COSIM_MAX_NAME'));
  assert.equal(W.MAX_STAMPS, cValue('COSIM_MAX_STAMPS'));
  assert.equal(W.MAX_STAMPS * 8, W.MAX_PAYLOAD);
  assert.equal(W.NUM_BARS, cValue('COSIM_NUM_BARS'));
  assert.equal(W.CONF_SIZE, cValue('COSIM_CONF_SIZE'));
});

test('message types, flags, roles and error codes match the C header', () => {
  for (const [k, v] of Object.entries(W.MsgType)) if (typeof v === 'number') assert.equal(v, cValue(`COSIM_${k}`), k);
  for (const [k, v] of Object.entries(W.Flag)) assert.equal(v, cValue(`COSIM_F_${k}`), k);
  for (const [k, v] of Object.entries(W.Role)) if (typeof v === 'number') assert.equal(v, cValue(`COSIM_ROLE_${k}`), k);
  for (const [k, v] of Object.entries(W.ErrorCode)) if (typeof v === 'number') assert.equal(v, cValue(`COSIM_E_${k}`), k);
  assert.equal(W.BarFlag.BIT64, cValue('COSIM_BAR_64BIT'));
  assert.equal(W.BarFlag.PREFETCH, cValue('COSIM_BAR_PREFETCH'));
  for (const [k, v] of Object.entries(W.CfgBit)) assert.equal(v, cValue(`COSIM_CFG_${k}`), `CfgBit.${k}`);
  // And nothing in the C enum is missing from TypeScript.
  const typeEnum = header.match(/enum cosim_msg_type \{([^}]*)\}/)![1];
  const cTypes = [...typeEnum.matchAll(/COSIM_([A-Z_]+) = /g)].map((m) => m[1]);
  assert.deepEqual(cTypes.sort(), Object.keys(W.MsgType).filter((k) => isNaN(Number(k))).sort());
  const cfgEnum = header.match(/enum cosim_cfg_bits \{([^}]*)\}/)![1];
  assert.deepEqual([...cfgEnum.matchAll(/COSIM_CFG_([A-Z_]+) = /g)].map((m) => m[1]).sort(), Object.keys(W.CfgBit).sort());
});

test('INTX and CFG_STATE: types, and the CFG_STATE bits round-trip', () => {
  assert.equal(W.MsgType.INTX, 0x31);
  assert.equal(W.MsgType.CFG_STATE, 0x65);
  for (let bits = 0; bits <= W.CfgBit.ALL; bits++) assert.equal(W.encodeCfgState(W.decodeCfgState(bits)), bits);
  assert.equal(W.describe(W.message(W.MsgType.INTX, { index: 1 })), 'INTX tag=0 level=1 addr=0x0 len=0');
  assert.equal(W.describe(W.message(W.MsgType.CFG_STATE, { index: W.CfgBit.BUS_MASTER })), 'CFG_STATE tag=0 msix=off masked=off master=on intx-disable=off addr=0x0 len=0');
});

test('DELIVERED and the TRACE flag: types, the stamp payload and its check', () => {
  assert.equal(W.MsgType.DELIVERED, 0x66);
  assert.equal(W.Flag.TRACE, 0x04);
  const m = W.deliveredMessage([5n, 7n, 0xffff_ffff_ffff_ffffn]);
  assert.equal(m.length, 3);
  assert.equal(m.payload.toString('hex'), '0500000000000000' + '0700000000000000' + 'ffffffffffffffff');
  assert.equal(W.checkDelivered(m), undefined);
  assert.deepEqual(W.deliveredCycles(W.decode(W.encode(m))), [5n, 7n, 0xffff_ffff_ffff_ffffn]);
  assert.equal(W.describe(m), 'DELIVERED tag=0 index=0 addr=0x0 stamps=3');
  // A receiver refuses an empty payload, a partial stamp, and a length that disagrees.
  assert.match(W.checkDelivered(W.message(W.MsgType.DELIVERED))!, /not a non-zero multiple of 8/);
  assert.match(W.checkDelivered({ ...m, payload: m.payload.subarray(0, 20) })!, /20 bytes is not a non-zero multiple of 8/);
  assert.match(W.checkDelivered({ ...m, length: 2 })!, /length 2 but its payload holds 3 stamps/);
  assert.throws(() => W.deliveredCycles({ ...m, length: 4 }), (e: W.WireError) => e.code === W.ErrorCode.MALFORMED);
  assert.throws(() => W.deliveredMessage([]), /1\.\.8192 stamps/);
  assert.equal(W.deliveredMessage(new Array<bigint>(W.MAX_STAMPS).fill(1n)).payload.length, W.MAX_PAYLOAD);
  // Stamped: everything from the broker but the link's own HELLO, PING and PONG.
  const unstamped = Object.values(W.MsgType).filter((t): t is W.MsgType => typeof t === 'number' && !W.isStamped(t));
  assert.deepEqual(unstamped.sort(), [W.MsgType.HELLO, W.MsgType.PING, W.MsgType.PONG].sort());
  assert.match(header, /return t != COSIM_HELLO && t != COSIM_PING && t != COSIM_PONG;/, 'cosim_stamped_type agrees');
});
