// cosim init writes a project that passes at once: its RTL, kernel module, C
// test, shell test and testbench test, through cosim regress with JUnit.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('cosim init DIR, then cosim regress --project DIR passes', async (t) => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-init-')), 'mydev');
  const init = await cosimCli(['init', dir, '--device-id', '0xc0f1']);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /next: npx cosim regress --project /);
  const again = await cosimCli(['init', dir]);
  assert.equal(again.code, 1, 'a folder that is not empty is refused');
  assert.match(again.stderr, /not empty/);

  const junit = path.join(dir, 'results.xml');
  const r = await cosimCli(['regress', '--project', dir, '--junit', junit, '--seed', '7', '--quiet']);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  for (const name of ['tb:tb/mydev\\.test\\.ts', 'mydev_test', 'smoke']) assert.match(r.stdout, new RegExp(`^${name}\\s+pass\\s`, 'm'), name);
  assert.match(r.stdout, /^3\/3 tests passed;/m);
  const xml = fs.readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="cosim\.mydev" tests="3" failures="0"/);
  assert.match(xml, /<property name="descriptor" value="[^"]*mydev\/cosim\.json"\/>/);
});
