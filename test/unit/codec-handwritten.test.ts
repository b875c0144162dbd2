// Vectors typed by hand from docs/protocol.md (test/golden/handwritten.ts),
// checked against both codecs: the TypeScript one (bridge/src/protocol) and the
// C one (dpi/include/cosim_wire.h, through dpi/tools/cosim_golden.c). The
// generated vectors (codec-golden) only hold the codecs to each other; these
// hold them to the document.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { decodeConf, encodeConf } from '../../bridge/src/protocol/conf';
import { decode, encode, HDR_SIZE, message, MsgType } from '../../bridge/src/protocol/wire';
import { HANDWRITTEN, HandVector } from '../golden/handwritten';
import { cTool } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-hand-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const bytes = (v: HandVector) => Buffer.from(v.bytes, 'hex');
const frames = (b: Buffer) => (b.length > HDR_SIZE ? [b.subarray(0, HDR_SIZE), b.subarray(HDR_SIZE)] : [b]);
const expected = (v: HandVector) => message(v.fields.type, { ...v.fields, payload: Buffer.from(v.fields.payload, 'hex') });
const fileOf = (v: HandVector, b = bytes(v)) => {
  const f = path.join(tmp, `${v.name}.bin`);
  fs.writeFileSync(f, b);
  return f;
};

/** The line cosim_golden prints for a frame that decodes, up to the CONF part. */
const cLine = (f: HandVector['fields']) =>
  `rc=0 type=${f.type} flags=${f.flags} tag=${f.tag} index=${f.index} address=${f.address} length=${f.length} payload_len=${f.payload.length / 2} cycle=${f.cycle} payload=${f.payload}`;

test('the hand-typed vectors are well formed: a 40-byte header, payload_len bytes after it', () => {
  assert.ok(HANDWRITTEN.length >= 10);
  for (const v of HANDWRITTEN) {
    const b = bytes(v);
    assert.equal(b.toString('hex'), v.bytes, `${v.name}: odd number of hex digits or a stray character`);
    assert.equal(b.length, HDR_SIZE + b.readUInt32LE(28), v.name);
    assert.equal(b.subarray(HDR_SIZE).toString('hex'), v.fields.payload, v.name);
  }
  const conf = HANDWRITTEN.find((v) => v.name === 'hand_conf')!;
  assert.equal(bytes(conf).length - HDR_SIZE, 136, 'the CONF payload is 136 bytes');
});

test('TypeScript decodes every hand-typed vector to the documented fields', () => {
  for (const v of HANDWRITTEN) assert.deepEqual(decode(frames(bytes(v))), expected(v), v.name);
});

test('TypeScript encodes the documented fields to the hand-typed bytes', () => {
  for (const v of HANDWRITTEN) assert.deepEqual(Buffer.concat(encode(expected(v))), bytes(v), v.name);
});

test('TypeScript decodes and encodes the hand-typed CONF payload', () => {
  const v = HANDWRITTEN.find((x) => x.fields.type === MsgType.CONF)!;
  const payload = bytes(v).subarray(HDR_SIZE);
  assert.deepEqual(decodeConf(payload), v.conf);
  assert.deepEqual(encodeConf(v.conf!), payload);
});

test('C decodes every hand-typed vector, the whole payload included, to the documented fields', () => {
  const out = execFileSync(cTool('cosim_golden'), ['decode', ...HANDWRITTEN.map((v) => fileOf(v))], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(out.length, HANDWRITTEN.length);
  HANDWRITTEN.forEach((v, i) => {
    if (v.conf) assert.ok(out[i].startsWith(`${cLine(v.fields)} conf=`), `${v.name}: C printed\n  ${out[i]}\nexpected\n  ${cLine(v.fields)} conf=...`);
    else if (v.fields.type === MsgType.DELIVERED) assert.equal(out[i], `${cLine(v.fields)} delivered_ok=1`, v.name);
    else assert.equal(out[i], cLine(v.fields), v.name);
  });
  // CONF: each field as the C decoder read it, and its re-encoding byte for byte.
  const c = HANDWRITTEN.find((v) => v.conf)!;
  const conf = out[HANDWRITTEN.indexOf(c)].slice(cLine(c.fields).length + 1);
  assert.equal(
    conf,
    'conf=1234:c051:1af4:1102:120201:7 msix=261@2+12288,4+4294969344 ' +
      'bar0=65536/1 bar1=0/0 bar2=4096/0 bar3=0/0 bar4=8589934592/3 bar5=0/0 conf_reencode=same',
  );
});

test('C encodes the documented fields to the hand-typed bytes', () => {
  const tool = cTool('cosim_golden');
  for (const v of HANDWRITTEN) {
    const f = v.fields;
    const args = ['encode', f.type, f.flags, f.tag, f.index, f.address, f.length, f.cycle].map(String);
    if (f.payload) args.push(f.payload);
    assert.deepEqual(execFileSync(tool, args), bytes(v), v.name);
  }
});

test("C's check sees a change in the last payload byte (it compares the whole payload, not a prefix)", () => {
  const v = HANDWRITTEN.find((x) => x.name === 'hand_dma_write')!;
  const b = bytes(v);
  b[b.length - 1] ^= 0xff;
  const line = execFileSync(cTool('cosim_golden'), ['decode', fileOf({ ...v, name: 'last-byte-flipped' }, b)], { encoding: 'utf8' }).trim();
  assert.notEqual(line, cLine(v.fields));
  assert.ok(line.endsWith(`payload=${v.fields.payload.slice(0, -2)}a5`), line);
});
