// A kernel report on the guest console (KASAN, lockdep, sleeping in atomic
// context, DMA-API debugging, any WARNING/BUG/Oops splat) fails the test it
// appeared in and names the line; the runner adds it to the run's problems,
// so the run fails too. Informational kernel lines do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser, ConsoleEvent, kernelReport } from '../../bridge/src/run/console';
import { regressPassed } from '../../bridge/src/run/regress';

const REPORTS = [
  '[   41.118220] BUG: KASAN: slab-use-after-free in cosim_gpu_release+0x3c/0x120 [cosim_gpu]',
  '[   12.000001] WARNING: possible circular locking dependency detected',
  '[   12.000001] WARNING: possible recursive locking detected',
  '[   12.000001] INFO: possible irq lock inversion dependency detected',
  '[   12.000001] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580',
  '[    9.100000] DMA-API: cosim_gpu 0000:00:03.0: device driver frees DMA memory with different size [device address=0x0000000001230000] [map size=8192 bytes] [unmap size=4096 bytes]',
  '[    9.100000] WARNING: CPU: 0 PID: 77 at kernel/dma/debug.c:1025 check_unmap+0x8f5/0x1f50',
  '[    9.100000] BUG: kernel NULL pointer dereference, address: 0000000000000008',
  '[    9.100000] Oops: 0002 [#1] PREEMPT SMP KASAN NOPTI',
  'general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN',
  'kernel BUG at drivers/misc/cosim_gpu_main.c:123!',
  'ODEBUG: free active (active state 0) object: ffff8880... object type: timer_list hint: cosim_gpu_watchdog+0x0/0x50',
];
const HARMLESS = [
  '[    0.510000] DMA-API: preallocated 65536 debug entries',
  '[    0.510000] DMA-API: debugging enabled by kernel config',
  '[    1.000000] cosim_gpu 0000:00:03.0: enabling device (0000 -> 0002)',
  'ok 3 - WARNING: in a test description is the test\'s business',
  '# BUG: a TAP comment',
  '[    0.000000] Linux version 6.1.192-cosim-debug',
];

test('each kind of kernel report is recognised, with or without a timestamp, and harmless lines are not', () => {
  for (const l of REPORTS) {
    assert.equal(kernelReport(l), l.replace(/^\[[\s\d.]+\] /, ''), l);
    assert.ok(kernelReport(l.replace(/^\[[\s\d.]+\] /, '')), `${l} (no timestamp)`);
  }
  for (const l of HARMLESS) assert.equal(kernelReport(l), undefined, l);
  // Printed by the kernel in the middle of a test's line: found after its timestamp.
  assert.equal(kernelReport('ok 4 - unbind[   41.1] BUG: KASAN: use-after-free in x'), 'BUG: KASAN: use-after-free in x');
});

test('a kernel report during a test fails it (even with rc=0 and every TAP line ok), naming the line; the run fails', () => {
  for (const report of REPORTS) {
    const p = new ConsoleParser(() => 0);
    const events: ConsoleEvent[] = [];
    for (const l of ['# cosim-test-begin gpu_unbind', '1..2', 'ok 1 - unbind', report, 'ok 2 - bind', '# cosim-test-end gpu_unbind rc=0']) {
      const ev = p.line(l);
      if (ev) events.push(ev);
    }
    const [t] = p.tests;
    assert.equal(t.status, 'fail', report);
    const text = report.replace(/^\[[\s\d.]+\] /, '');
    assert.deepEqual(t.kernelReports, [text]);
    assert.ok(t.failures.some((f) => f.includes(text)), `${report}: ${t.failures.join(' / ')}`);
    assert.ok(t.output?.includes(report));
    const ev = events.find((e) => e.kind === 'kernel-report');
    assert.deepEqual(ev, { kind: 'kernel-report', text, test: 'gpu_unbind' });
    // boot.ts turns the event into a problem of the run, which fails it.
    assert.equal(regressPassed({ tests: [t], boots: 1, problems: [`guest kernel report during 'gpu_unbind': ${text}`], wallMs: 1, accel: 'tcg', seed: 1 }), false);
  }
});

test('a kernel report outside any test is an event (the runner makes it a problem of the run); the suite counts still agree', () => {
  const p = new ConsoleParser(() => 0);
  assert.deepEqual(p.line('[    3.0] WARNING: CPU: 0 PID: 1 at drivers/misc/cosim.c:10 probe+0x10/0x20'), { kind: 'kernel-report', text: 'WARNING: CPU: 0 PID: 1 at drivers/misc/cosim.c:10 probe+0x10/0x20', test: undefined });
  p.line('# cosim-test-begin a');
  p.line('1..1');
  p.line('ok 1');
  p.line('[    4.0] BUG: KASAN: double-free in kfree+0x1/0x2');
  p.line('# cosim-test-end a rc=0');
  const end = p.line('# cosim-suite-end passed=1 failed=0');
  assert.equal(p.tests[0].status, 'fail');
  assert.deepEqual(end, { kind: 'suite-end', passed: 1, failed: 0, mismatch: undefined });
});

test('a clean test still passes', () => {
  const p = new ConsoleParser(() => 0);
  for (const l of ['# cosim-test-begin a', '1..1', ...HARMLESS.slice(0, 3), 'ok 1', '# cosim-test-end a rc=0']) assert.notEqual(p.line(l)?.kind, 'kernel-report', l);
  assert.equal(p.tests[0].status, 'pass');
});
