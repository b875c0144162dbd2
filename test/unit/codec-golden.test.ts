// The committed golden vectors hold the TypeScript codec and the C codec
// (dpi/include/cosim_wire.h, through dpi/tools/cosim_golden.c) to the same bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { decodeConf } from '../../bridge/src/protocol/conf';
import { checkDelivered, decode, encode, HDR_SIZE, MsgType } from '../../bridge/src/protocol/wire';
import { BAD_GOLDEN, GOLDEN, goldenDir, goldenMessage, GoldenVector } from '../golden/vectors';
import { cTool } from '../helpers';

const dir = goldenDir();
const file = (name: string) => path.join(dir, `${name}.bin`);
const saved: GoldenVector[] = JSON.parse(fs.readFileSync(path.join(dir, 'vectors.json'), 'utf8'));
const vectors = GOLDEN.map((g) => saved.find((s) => s.name === g.name) ?? g);
const frames = (b: Buffer) => (b.length > HDR_SIZE ? [b.subarray(0, HDR_SIZE), b.subarray(HDR_SIZE)] : [b]);

test('vectors.json matches the vector list', () => {
  assert.deepEqual(saved.map((s) => s.name), GOLDEN.map((g) => g.name));
});

test('TypeScript encodes every golden vector to its committed bytes', () => {
  for (const v of vectors) assert.deepEqual(Buffer.concat(encode(goldenMessage(v))), fs.readFileSync(file(v.name)), v.name);
});

test('TypeScript decodes every golden vector to its fields', () => {
  for (const v of vectors) assert.deepEqual(decode(frames(fs.readFileSync(file(v.name)))), goldenMessage(v), v.name);
});

test('TypeScript rejects every malformed vector with the expected error', () => {
  for (const b of BAD_GOLDEN) assert.throws(() => decode(frames(fs.readFileSync(file(b.name)))), b.tsError, b.name);
});

// The header's fields, then every payload byte: a payload that differs anywhere
// gives a different line (not only a different prefix).
const canonical = (v: GoldenVector) =>
  `rc=0 type=${v.type} flags=${v.flags} tag=${v.tag} index=${v.index} address=${BigInt(v.address)} length=${v.length} payload_len=${v.payload.length / 2} cycle=${BigInt(v.cycle)} payload=${v.payload}`;

test('C decodes every golden vector to the same fields and the whole payload', () => {
  const tool = cTool('cosim_golden');
  const out = execFileSync(tool, ['decode', ...vectors.map((v) => file(v.name))], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(out.length, vectors.length);
  vectors.forEach((v, i) => {
    // Only CONF has more after the payload: its decoded fields (checked below).
    if (v.type === MsgType.CONF) assert.ok(out[i].startsWith(`${canonical(v)} conf=`), `${v.name}: C printed\n  ${out[i]}\nexpected\n  ${canonical(v)} conf=...`);
    else if (v.type === MsgType.DELIVERED) assert.equal(out[i], `${canonical(v)} delivered_ok=1`, v.name);
    else assert.equal(out[i], canonical(v), v.name);
  });
  const conf = out[vectors.findIndex((v) => v.type === MsgType.CONF)];
  const c = decodeConf(Buffer.from(vectors.find((v) => v.type === MsgType.CONF)!.payload, 'hex'));
  assert.match(conf, new RegExp(`conf=${c.vendorId.toString(16)}:${c.deviceId.toString(16)}:.* bar0=${c.bars[0].size}/1 .* bar3=${c.bars[3].size}/3 .*conf_reencode=same`));
});

test('C encodes every golden vector to the same bytes', () => {
  const tool = cTool('cosim_golden');
  for (const v of vectors) {
    const args = ['encode', v.type, v.flags, v.tag, v.index, v.address, v.length, v.cycle].map(String);
    if (v.payload) args.push(v.payload);
    assert.deepEqual(execFileSync(tool, args), fs.readFileSync(file(v.name)), v.name);
  }
});

test('C rejects every malformed vector with the expected result code', () => {
  const tool = cTool('cosim_golden');
  const out = execFileSync(tool, ['decode', ...BAD_GOLDEN.map((b) => file(b.name))], { encoding: 'utf8' }).trim().split('\n');
  BAD_GOLDEN.forEach((b, i) => assert.ok(out[i].startsWith(`rc=${b.cRc} `), `${b.name}: ${out[i]}`));
});

test('both codecs check a DELIVERED the same way: the golden one passes, a bad length or a partial stamp does not', () => {
  const good = fs.readFileSync(file('delivered'));
  assert.equal(checkDelivered(decode(frames(good))), undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-delivered-'));
  try {
    const bad = {
      length_off_by_one: (() => { const b = Buffer.from(good); b.writeUInt32LE(4, 24); return b; })(),
      partial_stamp: (() => { const b = Buffer.from(good.subarray(0, good.length - 1)); b.writeUInt32LE(b.length - HDR_SIZE, 28); return b; })(),
      empty: (() => { const b = Buffer.from(good.subarray(0, HDR_SIZE)); b.writeUInt32LE(0, 24); b.writeUInt32LE(0, 28); return b; })(),
    };
    const files = Object.entries(bad).map(([name, b]) => {
      const f = path.join(tmp, `${name}.bin`);
      fs.writeFileSync(f, b);
      return f;
    });
    const out = execFileSync(cTool('cosim_golden'), ['decode', file('delivered'), ...files], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(out.map((l) => l.match(/delivered_ok=(\d)$/)?.[1]), ['1', '0', '0', '0'], out.join('\n'));
    for (const [name, b] of Object.entries(bad)) assert.ok(checkDelivered(decode(frames(b))), name);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
