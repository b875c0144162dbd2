// The guest's "# cosim-suite-end passed=P failed=F" must agree with the
// test-end markers the host read (the guest counts rc=0 as passed); a
// disagreement (a forged or lost marker) is reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleEvent, ConsoleParser } from '../../bridge/src/run/console';

function suiteEnd(lines: string[]): Extract<ConsoleEvent, { kind: 'suite-end' }> {
  const p = new ConsoleParser(() => 0);
  let ev: ConsoleEvent | undefined;
  for (const l of lines) ev = p.line(l) ?? ev;
  assert.equal(ev?.kind, 'suite-end');
  return ev as Extract<ConsoleEvent, { kind: 'suite-end' }>;
}

const a = ['# cosim-test-begin a', '1..1', 'ok 1', '# cosim-test-end a rc=0 ns=1'];
const b = ['# cosim-test-begin b', '1..1', 'not ok 1', '# cosim-test-end b rc=1 ns=1'];

test('counts that agree are no problem', () => {
  assert.equal(suiteEnd([...a, ...b, '# cosim-suite-end passed=1 failed=1']).mismatch, undefined);
  assert.equal(suiteEnd(['# cosim-guest-error insmod x.ko failed', '# cosim-suite-end passed=0 failed=0']).mismatch, undefined);
});

test('a forged test end: the guest counted a failure where the host read rc=0', () => {
  // The test printed a marker of its own; the runner's real one (rc=1) comes when no test is open.
  const ev = suiteEnd(['# cosim-test-begin a', '1..1', 'ok 1', '# cosim-test-end a rc=0', '# cosim-test-end a rc=1 ns=1', '# cosim-suite-end passed=0 failed=1']);
  assert.equal(ev.mismatch, "the guest's suite-end says 'passed=0 failed=1' but the host read 1 tests with rc=0 and 0 without, of 1 begun on this boot");
});

test('a test the host never saw begin, and an unreadable line, are mismatches', () => {
  assert.match(suiteEnd([...a, '# cosim-suite-end passed=2 failed=0']).mismatch ?? '', /says 'passed=2 failed=0' but the host read 1 tests with rc=0/);
  assert.match(suiteEnd([...a, '# cosim-suite-end all good']).mismatch ?? '', /says 'all good'/);
});
