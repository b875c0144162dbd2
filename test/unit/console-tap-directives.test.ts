// TAP directives as TAP defines them: only "not ok ... # TODO" is not a
// failure; SKIP belongs on "ok" lines; the directive is the first word after
// the first " #", not a "# TODO" anywhere on the line. "Bail out!" fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser, tapDirective } from '../../bridge/src/run/console';

function status(...tap: string[]): string {
  const p = new ConsoleParser(() => 0);
  for (const l of ['# cosim-test-begin t', ...tap, '# cosim-test-end t rc=0']) p.line(l);
  return p.tests[0].status;
}

test('not ok with SKIP fails; not ok with TODO does not', () => {
  assert.equal(status('1..2', 'ok 1', 'not ok 2 - wrong value # SKIP no hardware'), 'fail');
  assert.equal(status('1..2', 'ok 1', 'not ok 2 - wrong value # skipped'), 'fail');
  assert.equal(status('1..2', 'ok 1', 'not ok 2 - wrong value # TODO known bug'), 'pass');
  assert.equal(status('1..2', 'ok 1', 'not ok 2 # todo'), 'pass');
  assert.equal(status('1..2', 'ok 1', 'ok 2 - RX # SKIP no NIC loop'), 'pass');
});

test('a TODO or SKIP that is not the directive does not excuse a failure', () => {
  assert.equal(status('1..1', 'not ok 1 - got 3 want 4 # see the TODO list'), 'fail');
  assert.equal(status('1..1', 'not ok 1 - wrong value # got 3 # TODO'), 'fail');
  assert.equal(status('1..1', 'not ok 1 - parse the TODO file'), 'fail');
  assert.equal(status('1..1', 'not ok 1 - count \\# TODO'), 'fail');
  assert.equal(status('1..1', 'not ok 1 - x#TODO'), 'fail');
  assert.equal(tapDirective(' 1 - x # TODOS later'), 'TODO');
  assert.equal(tapDirective(' 1 - x # todo: later'), 'TODO');
  assert.equal(tapDirective(' 1 - x # SKIPPING it'), 'SKIP');
  assert.equal(tapDirective(' 1 - x # timeout after 60s'), undefined);
});

test('Bail out! fails the test, whatever its counts and exit status', () => {
  assert.equal(status('1..1', 'ok 1', 'Bail out! the device vanished'), 'fail');
});
