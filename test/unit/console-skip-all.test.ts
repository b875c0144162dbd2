// A TAP plan of 1..0 (skip-all) checked nothing: the test is reported as
// skipped, never as passed, and a run with a skipped test does not pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser } from '../../bridge/src/run/console';
import { regressPassed } from '../../bridge/src/run/regress';
import { junitXml } from '../../bridge/src/run/suite';

function run(...lines: string[]) {
  const p = new ConsoleParser(() => 0, new Map([['ex', 'exit' as const]]));
  for (const l of lines) p.line(l);
  return p.tests;
}

test('1..0 is skipped with its reason, and fails the run', () => {
  const [t] = run('# cosim-test-begin t', '1..0 # SKIP no device here', '# cosim-test-end t rc=0');
  assert.equal(t.status, 'skipped');
  assert.deepEqual(t.failures, ['skipped: its plan is 1..0 (SKIP no device here), no test ran']);
  assert.equal(regressPassed({ tests: [t], boots: 1, problems: [], wallMs: 1, accel: 'tcg', seed: 1 }), false);
  assert.match(junitXml([t], { suite: 's' }), /tests="1" failures="0" errors="0" skipped="1"[^]*<skipped message="skipped: its plan is 1\.\.0 \(SKIP no device here\), no test ran"\/>/);
});

test('1..0 with results, or a non-zero exit, fails; an exit-status test ignores TAP plans', () => {
  assert.equal(run('# cosim-test-begin t', '1..0', 'ok 1', '# cosim-test-end t rc=0')[0].status, 'fail');
  assert.equal(run('# cosim-test-begin t', '1..0', '# cosim-test-end t rc=2')[0].status, 'fail');
  assert.equal(run('# cosim-test-begin ex', '1..0', '# cosim-test-end ex rc=0')[0].status, 'pass');
});
