import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers';

const cosim = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), ...args], { encoding: 'utf8' });

test('cosim --help lists every command', () => {
  const r = cosim('--help');
  assert.equal(r.status, 0);
  for (const c of ['run', 'regress', 'broker', 'client', 'keygen', 'selftest', 'junit-merge']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

const options: Record<string, string[]> = {
  regress: ['--device', '--tests', '--grep', '--seed', '--shard', '--junit', '--timeout', '--accel', '--wave', '--hdl', '--quiet', '--help'],
  run: ['--device', '--seed', '--hdl', '--tcp', '--broker', '--curve-server-key', '--curve-key', '--tests', '--timeout', '--boot-timeout', '--keep-going', '--accel', '--memory', '--mmio-timeout-ms', '--qemu-arg', '--kernel-arg', '--wave', '--wave-start', '--wave-stop', '--quiet', '--log-level', '--help'],
  broker: ['--config', '--qemu-endpoint', '--hdl-endpoint', '--request-timeout-ms', '--peer-timeout-ms', '--exit-on-peer-loss', '--curve-key', '--curve-clients', '--insecure', '--log-level', '--help'],
  client: ['--endpoint', '--name', '--timeout-ms', '--curve-server-key', '--curve-key', '--log-level', '--help'],
  keygen: ['--dir', '--force', '--help'],
  selftest: ['--sim', '--wave', '--wave-start', '--wave-stop', '--batch', '--log-level', '--help'],
};

for (const [cmd, opts] of Object.entries(options)) {
  test(`cosim ${cmd} --help describes every option`, () => {
    const r = cosim(cmd, '--help');
    assert.equal(r.status, 0, r.stderr);
    for (const o of opts) assert.match(r.stdout, new RegExp(`${o}\\b.*\\S{3,}`), `${cmd} ${o}`);
  });
}

test('bad usage exits 2 with a message naming the problem', () => {
  let r = cosim('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = cosim('broker', '--no-such-flag');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cosim broker: .*--no-such-flag/);
  r = cosim('client', 'read', '0');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: cosim client/);
  r = cosim('broker', '--request-timeout-ms', 'soon');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--request-timeout-ms: 'soon' is not an integer/);
  r = cosim('broker', '--qemu-endpoint', 'http://x');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /qemu endpoint: 'http:\/\/x' is not ipc:\/\/PATH or tcp:\/\/HOST:PORT/);
});

test('a bad config file exits 2 naming the field', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const os = require('node:os') as typeof import('node:os');
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-cli-')), 'c.json');
  fs.writeFileSync(f, JSON.stringify({ broker: { peerTimeoutMs: 'long' } }));
  const r = cosim('broker', '--config', f);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid config .*c\.json:\n {2}broker\.peerTimeoutMs: must be integer/);
});

test('CURVE options that go together are refused alone, before anything starts', () => {
  let r = cosim('client', '--curve-key', 'x.key_secret', 'info');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--curve-server-key and --curve-key go together/);
  r = cosim('broker', '--curve-key', 'b.key_secret');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--curve-key and --curve-clients go together/);
  r = cosim('run', '--curve-server-key', '/nonexistent/b.key', '--curve-key', '/nonexistent/q.key_secret', '--broker', 'tcp://127.0.0.1:1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /CURVE key file \/nonexistent\/q\.key_secret: ENOENT/);
  r = cosim('keygen');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: cosim keygen NAME/);
});
