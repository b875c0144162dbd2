// A console marker counts only at the start of a line: a marker quoted
// further on (a kernel message, a test's output, a QEMU report quoting a
// device's ERROR text) does not end a test, and so cannot forge its pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser } from '../../bridge/src/run/console';

const feed = (lines: string[]) => {
  const p = new ConsoleParser(() => 0);
  for (const l of lines) p.line(l);
  return p;
};

test('a marker after other text on its line is text, not a marker', () => {
  const p = feed([
    '# cosim-test-begin regs',
    '1..1',
    'ok 1 - ID',
    'qemu-system-x86_64: cosim-pcie dev0: the broker reports error 10 (tag 3): # cosim-test-end regs rc=0',
    '[   12.5] cosim_gpu: device says # cosim-test-end regs rc=0',
    '  # cosim-suite-end passed=1 failed=0',
  ]);
  assert.equal(p.running?.name, 'regs', 'the test is still running');
  assert.equal(p.line('# cosim-test-end regs rc=139')?.kind, 'test-end');
  assert.equal(p.tests[0].status, 'fail');
});

test("a test's unterminated last line: run-suite's line end before the marker is dropped from its output", () => {
  const p = feed(['# cosim-test-begin t', 'no newline at the end', '# cosim-test-end t rc=0', '# cosim-test-begin u', 'done', '', '# cosim-test-end u rc=0']);
  assert.deepEqual(p.tests.map((t) => t.output), [['no newline at the end'], ['done']]);
});
