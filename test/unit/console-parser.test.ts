import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser } from '../../bridge/src/run/console';

function feed(text: string): ConsoleParser {
  let t = 0;
  const p = new ConsoleParser(() => (t += 100));
  for (const l of text.split('\n')) p.line(l);
  return p;
}

test('a passing and a failing test, with the failure diagnostics kept', () => {
  const p = feed(`[    1.2] random kernel line
# cosim-guest-ready
# cosim-test-begin regs
1..2
ok 1 - ID reads 0x00010000c051e001
ok 2 - scratch
# cosim-test-end regs rc=0
# cosim-test-begin dma
1..3
ok 1 - alloc
not ok 2 - copy 4096 bytes
# first wrong byte at offset 17: got 0x00 want 0x5a
ok 3 - status
# cosim-test-end dma rc=1
# cosim-suite-end passed=1 failed=1`);
  assert.deepEqual(p.tests.map((t) => [t.name, t.status, t.ok, t.notOk]), [['regs', 'pass', 2, 0], ['dma', 'fail', 2, 1]]);
  assert.deepEqual(p.tests[1].failures, ['not ok 2 - copy 4096 bytes', '# first wrong byte at offset 17: got 0x00 want 0x5a']);
  assert.equal(p.tests[0].durationMs, 100, "one clock tick between its begin and end markers");
});

test('carriage returns do not hide markers', () => {
  const p = feed('# cosim-test-begin a\r\nok 1 - x\r\n1..1\r\n\r# cosim-test-end a rc=0\r\n');
  assert.equal(p.tests[0].status, 'pass');
});

test('a short plan, a non-zero exit and a timeout each fail', () => {
  const p = feed(`# cosim-test-begin short
1..3
ok 1
# cosim-test-end short rc=0
# cosim-test-begin crash
1..1
ok 1
# cosim-test-end crash rc=139
# cosim-test-begin hang
1..1
not ok 1 - hang # timeout after 60 s
# cosim-test-end hang rc=124`);
  assert.deepEqual(p.tests.map((t) => t.status), ['fail', 'fail', 'timeout']);
  assert.match(p.tests[0].failures[0], /plan 1\.\.3 but 1 results/);
  assert.match(p.tests[1].failures[0], /exit status 139/);
});

test('TODO and SKIP results do not fail a test; comments are kept', () => {
  const p = feed(`# cosim-test-begin lat
1..2
ok 1 - reads
not ok 2 - not there yet # TODO
# mmio_read_rtt_ns p50=45000 p99=90000
# cosim-test-end lat rc=0`);
  assert.equal(p.tests[0].status, 'pass');
  assert.deepEqual(p.tests[0].comments, ['# mmio_read_rtt_ns p50=45000 p99=90000']);
});

test('a test cut off by a crash is closed with the reason', () => {
  const p = feed('# cosim-test-begin dma\n1..3\nok 1\nKernel panic - not syncing');
  const t = p.finishCurrent('fail', 'QEMU exited with code 1 before the suite ended');
  assert.equal(t?.name, 'dma');
  assert.deepEqual(p.tests[0].failures, ['QEMU exited with code 1 before the suite ended']);
  assert.equal(p.running, undefined);
});
