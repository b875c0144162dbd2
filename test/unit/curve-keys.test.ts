// CURVE key files: what cosim keygen writes, and the errors a bad file gets.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readAllowedKeys, readKeyFile, writeKeyPair, z85Encode } from '../../bridge/src/protocol/curve';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-keys-'));

test('z85 encodes the test vector of ZeroMQ RFC 32', () => {
  assert.equal(z85Encode(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b])), 'HelloWorld');
  assert.throws(() => z85Encode(Buffer.alloc(3)), /not a multiple of 4/);
});

test('keygen writes a public file and a secret file only its owner reads, and never overwrites unasked', () => {
  const dir = tmp();
  const k = writeKeyPair(dir, 'sim');
  assert.equal(fs.statSync(k.secretFile).mode & 0o777, 0o600);
  assert.deepEqual(readKeyFile(k.secretFile, true), k.pair);
  assert.deepEqual(readKeyFile(k.publicFile, false), { publicKey: k.pair.publicKey, secretKey: undefined });
  assert.throws(() => writeKeyPair(dir, 'sim'), /sim\.key exists; pass --force to replace it/);
  assert.notEqual(writeKeyPair(dir, 'sim', true).pair.publicKey, k.pair.publicKey);
  assert.throws(() => writeKeyPair(dir, '../x'), /key name '\.\.\/x' must be/);
});

test('a bad key file is refused with the file, the line and the fix', () => {
  const dir = tmp();
  const k = writeKeyPair(dir, 'qemu');
  assert.throws(() => readKeyFile(k.publicFile, true), /has no secret-key: give the \.key_secret file 'cosim keygen' wrote, not the \.key one/);
  fs.chmodSync(k.secretFile, 0o644);
  assert.throws(() => readKeyFile(k.secretFile, true), new RegExp(`may be read by others \\(mode 644\\): chmod 600 ${k.secretFile}`));
  const short = path.join(dir, 'short.key');
  fs.writeFileSync(short, 'metadata\ncurve\n    public-key = "tooshort"\n');
  assert.throws(() => readKeyFile(short, false), /short\.key, line 3: public-key must be 40 Z85 characters in quotes/);
  const empty = path.join(dir, 'empty.key');
  fs.writeFileSync(empty, 'metadata\n');
  assert.throws(() => readKeyFile(empty, false), /empty\.key has no public-key/);
  assert.throws(() => readKeyFile(path.join(dir, 'absent.key'), false), /absent\.key: ENOENT/);
});

test('allowed keys come from files and from the *.key files of folders', () => {
  const dir = tmp();
  const a = writeKeyPair(path.join(dir, 'peers'), 'a');
  const b = writeKeyPair(path.join(dir, 'peers'), 'b');
  const c = writeKeyPair(dir, 'c');
  const allowed = readAllowedKeys([path.join(dir, 'peers'), c.publicFile]);
  assert.deepEqual([...allowed.keys()].sort(), [a.pair.publicKey, b.pair.publicKey, c.pair.publicKey].sort());
  assert.throws(() => readAllowedKeys([tmp()]), /holds no \*\.key file/);
});
