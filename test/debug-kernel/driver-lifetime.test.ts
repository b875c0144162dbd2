// The GPU driver's lifetime tests (unbind, unbind racing users, revoke of
// mappings, DMA buffer lifetime, reset, rmmod/insmod) on the debug guest
// kernel (`--kernel debug`: KASAN, lockdep, DMA-API debugging): every test
// passes and the console shows no kernel report. Run by `npm run
// test:debug-kernel` only (its setup builds the kernel, about 50 minutes
// cold), never by `npm test` (scripts/run-tests.js leaves test/debug-kernel out).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

const LIFETIME = ['gpu_unbind', 'gpu_unbind_race', 'gpu_revoke', 'gpu_dma_lifetime', 'gpu_reset', 'reload'];

test('the driver lifetime tests pass on the debug kernel with no KASAN, lockdep, DMA-API or other kernel report', async () => {
  const r = await cosimCli(['regress', '--device', 'gpu', '--kernel', 'debug', '--skip-testbench', '--tests', LIFETIME.join(','), '--timeout', '240', '--boot-timeout', '300', '--seed', '11', '--log-level', 'warn']);
  const said = `${r.stdout}\n${r.stderr.split('\n').filter((l) => !l.startsWith('[guest]') || /BUG|WARNING|INFO:|Oops|DMA-API|cosim-guest/.test(l)).slice(-80).join('\n')}`;
  // It booted the debug kernel.
  assert.match(r.stderr, /# cosim-guest-info kernel=\S+-cosim-debug /, said);
  const reports = r.stderr.split('\n').filter((l) => /guest kernel report/.test(l));
  assert.deepEqual(reports, [], said);
  for (const t of LIFETIME) assert.match(r.stdout, new RegExp(`^${t}\\s+pass\\s`, 'm'), said);
  assert.equal(r.code, 0, said);
});

test('the checkers are on in that kernel, and found nothing after the lifetime tests', async () => {
  // Once more in one boot: the lifetime tests, then what each checker says.
  const cmd = [
    'for t in gpu_unbind gpu_revoke gpu_dma_lifetime; do $t >/dev/null 2>&1 || echo "FAILED $t"; done',
    'dmesg | grep -m1 -o "KernelAddressSanitizer initialized"',
    'echo "dma-api errors $(cat /sys/kernel/debug/dma-api/error_count) disabled $(cat /sys/kernel/debug/dma-api/disabled)"',
    'grep -o "debug_locks: *[0-9]*" /proc/lockdep_stats',
    'grep -c "" /proc/lockdep',
    // virtio-net is built in here: `modprobe virtio_net` (cosim compare's baseline VM) finds it in modules.builtin.
    'modprobe virtio_net && echo "modprobe virtio_net ok"',
  ].join('; ');
  const r = await cosimCli(['shell', '--device', 'gpu', '--kernel', 'debug', '--timeout', '600', '--boot-timeout', '300', '--exec', cmd]);
  const said = `${r.stdout}\n${r.stderr.split('\n').slice(-40).join('\n')}`;
  assert.doesNotMatch(r.stdout, /FAILED/, said);
  assert.match(r.stdout, /^KernelAddressSanitizer initialized$/m, said);
  assert.match(r.stdout, /^dma-api errors 0 disabled N$/m, said);
  // lockdep turns itself off (debug_locks 0) after its first report.
  assert.match(r.stdout, /^debug_locks: *1$/m, said);
  assert.ok(Number(/^(\d+)$/m.exec(r.stdout)?.[1]) > 100, `lockdep tracks lock classes: ${said}`);
  assert.match(r.stdout, /^modprobe virtio_net ok$/m, said);
  assert.equal(r.code, 0, said);
});
