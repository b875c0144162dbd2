// cosim regress keeps one result per test: a test named twice in --tests is
// refused before anything boots (cosim run may repeat a test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('regress refuses a test named twice in --tests, naming it', async () => {
  const r = await cosimCli(['regress', '--device', 'gpu', '--tests', 'gpu_regs,gpu_nop,gpu_regs']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cosim regress: --tests: gpu_regs is named more than once/);
  assert.doesNotMatch(r.stderr, /booting|building/);
});
