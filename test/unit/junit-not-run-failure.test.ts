// A test the selection asked for but that never ran is a JUnit failure with
// its reason, not a <skipped> that CI viewers count as harmless.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestResult } from '../../bridge/src/run/console';
import { junitXml } from '../../bridge/src/run/suite';

test('a test that never ran is a failure carrying the reason', () => {
  const t: TestResult = { name: 'dma', status: 'not run', ok: 0, notOk: 0, failures: ['not reached: QEMU exited with code 1 before the suite ended'], comments: [] };
  const xml = junitXml([t], { suite: 'cosim.example' });
  assert.match(xml, /<testsuite name="cosim.example" tests="1" failures="1" errors="0" skipped="0"/);
  assert.match(xml, /<failure type="not run" message="not reached: QEMU exited with code 1 before the suite ended">/);
  assert.doesNotMatch(xml, /<skipped/);
});
