// The main job: the GPU front-end's whole guest regression suite under a real
// guest, and the same suite pointing at a bug planted in the RTL.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveProject } from '../../bridge/src/project/project';
import { suiteTests } from '../../bridge/src/run/boot';
import { builtinSim, cosimCli } from '../helpers';

test('cosim regress: every test of the GPU suite passes', async (t) => {
  const junit = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-gpu-')), 'gpu.xml');
  const r = await cosimCli(['regress', '--device', 'gpu', '--seed', '11', '--junit', junit, '--quiet']);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  const suite = suiteTests(resolveProject({ device: 'gpu' }));
  assert.ok(suite.length >= 15, `${suite.length} tests in the GPU suite`);
  for (const name of suite) assert.match(r.stdout, new RegExp(`^${name}\\s+pass\\s`, 'm'), name);
  assert.match(fs.readFileSync(junit, 'utf8'), new RegExp(`tests="${suite.length}" failures="0"`));
});

test('an off-by-one planted in COPY makes the copy tests fail at the last byte', async () => {
  const sim = await builtinSim('gpu', ['COSIM_BUG_COPY_SHORT']);
  const r = await cosimCli(['regress', '--device', 'gpu', '--sim', sim, '--tests', 'gpu_copy,gpu_regs', '--seed', '3', '--quiet']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /^gpu_regs\s+pass\s/m, 'tests that do not copy still pass');
  assert.match(r.stdout, /^gpu_copy\s+FAIL\s/m);
  const misses = [...r.stdout.matchAll(/COPY \S+ (\d+) bytes[^\n]*first wrong byte at offset (\d+)[^\n]*\(1 wrong byte/g)];
  assert.ok(misses.length >= 3, r.stdout);
  for (const [, len, off] of misses) assert.equal(Number(off), Number(len) - 1, 'the message points at the last byte');
});
