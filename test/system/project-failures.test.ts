// A device project that is wrong in one way each (test/projects/bad-*): every
// run ends with the reason, where it lies, and never hangs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cosimCli, repoRoot } from '../helpers';

const fixture = (name: string) => path.join(repoRoot, 'test', 'projects', name);

test('a top with ports other than clk and rst_n gets a build error that says so', async () => {
  const r = await cosimCli(['run', '--project', fixture('bad-top-ports'), '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /top module 'leds_top' has ports: clk leds rst_n; a cosim top has exactly 'input clk, input rst_n'/);
});

test('a top that does not instantiate cosim_bridge gets a build error that says so', async () => {
  const r = await cosimCli(['run', '--project', fixture('bad-top-nobridge'), '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /top module 'counter_top' does not instantiate cosim_bridge/);
});

test("a kernel module that fails to build shows the compiler's error lines", async () => {
  const r = await cosimCli(['regress', '--project', fixture('bad-module-build'), '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /kernel module .*bad-module-build\/driver failed to build against \/usr\/src\/linux-headers-/);
  assert.match(r.stderr, /broken\.c:6:\d+: error: .undeclared_thing. undeclared/);
});

test('a module whose insmod fails fails every test with the reason and the tail of dmesg, in one boot', async () => {
  const r = await cosimCli(['regress', '--project', fixture('bad-insmod'), '--quiet', '--seed', '1']);
  assert.equal(r.code, 1, r.stdout);
  for (const name of ['never_runs_a', 'never_runs_b']) assert.match(r.stdout, new RegExp(`^${name}\\s+FAIL\\s`, 'm'));
  assert.match(r.stdout, /the guest could not start the tests: insmod refuse\.ko answer=42 failed: insmod: can't insert '\/cosim\/modules\/refuse\.ko': No such device; dmesg: .*refuse: not today \(answer=42\)/);
  assert.match(r.stdout, /; 1 boot;/, 'no reboot per test');
});

test('a setup command that fails is named with its output', async () => {
  const r = await cosimCli(['run', '--project', fixture('bad-setup'), '--quiet']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /setup command failed \(exit status 1\): wait-dev \/dev\/no-such-node 1: wait-dev: \/dev\/no-such-node did not appear within 1 s/);
});

test('each way a guest test fails is reported with its reason, and the suite goes on', async () => {
  const r = await cosimCli(['regress', '--project', fixture('bad-tests'), '--quiet', '--seed', '1']);
  assert.equal(r.code, 1, r.stdout);
  const row = (name: string, status: string) => assert.match(r.stdout, new RegExp(`^${name}\\s+${status}\\s`, 'm'), `${name} ${status}\n${r.stdout}`);
  row('passes', 'pass');
  row('not_found', 'FAIL');
  assert.match(r.stdout, /not ok - not_found # command not found: no-such-tool/);
  row('exit_fails', 'FAIL');
  assert.match(r.stdout, /exit_fails:\n {2}exit status 4: the device said no/);
  row('tap_fails', 'FAIL');
  assert.match(r.stdout, /not ok 2 - second half # wrong value: got 3 want 4/);
  row('hangs', 'TIMEOUT');
  assert.match(r.stdout, /not ok - hangs # timeout after 3s/);
  row('after_all', 'pass');
  assert.match(r.stdout, /^2\/6 tests passed;.*; 1 boot;/m);
});

test('--tests naming no test of the project is refused with the list', async () => {
  const r = await cosimCli(['regress', '--project', fixture('bad-tests'), '--tests', 'nope']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--tests: nope is not a test or program of project 'bad-tests' \(tests: passes, not_found, exit_fails, tap_fails, hangs, after_all\)/);
});

test('a descriptor error names the file and the field; no descriptor at all is named too', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-bad-'));
  fs.writeFileSync(path.join(dir, 'cosim.json'), JSON.stringify({ name: 'x', rtl: { top: 'top', sources: ['top.sv'] }, qemu: { cpus: 0 } }));
  const r = await cosimCli(['run', '--project', dir]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `${dir}/cosim.json:\n  qemu.cpus: must be >= 1\n`);
  const none = await cosimCli(['regress', '--project', path.join(repoRoot, 'test', 'projects')]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /test\/projects\/cosim\.json:\n {2}no cosim\.json here/);
});
