// GuestConsole: the host side of the guest's command loop (cosim.serve=1),
// against a shell that runs the same loop as guest/initramfs/init, so that
// timeouts, a VM that dies and a guest that cannot start are each named.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { GuestConsole } from '../../bridge/src/compare/guest-console';
import { Proc } from '../../bridge/src/orchestrate/process';
import { eventually } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-console-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The serve loop of guest/initramfs/init, run by a host shell. */
const SERVE_LOOP = `
echo "# cosim-serve-ready"
while IFS= read -r line; do
  id=\${line%% *}
  echo "\${line#* }" | base64 -d > "$0.cmd"
  echo "# cosim-cmd-begin $id"
  sh "$0.cmd" < /dev/null
  rc=$?
  echo
  echo "# cosim-cmd-end $id rc=$rc"
done`;

function fakeVm(name: string, script = SERVE_LOOP): { c: GuestConsole; proc: Proc } {
  const c = new GuestConsole(`VM ${name} (fake)`, path.join(tmp, `${name}.log`));
  const proc = new Proc(name, 'sh', ['-c', script, path.join(tmp, name)], { input: true, stdout: (l) => c.line(l), echo: () => undefined });
  c.attach(proc);
  after(() => proc.stop(100));
  return { c, proc };
}

test('a command runs and returns its exit status and output lines; the console log keeps everything', async () => {
  const { c } = fakeVm('T1');
  await c.ready(10);
  const r = await c.run("workload 'two'", 'echo one; echo "two words"; exit 3', 10);
  assert.deepEqual(r, { rc: 3, lines: ['one', 'two words'] });
  assert.deepEqual(await c.run("workload 'no newline'", 'printf "last line"', 10), { rc: 0, lines: ['last line'] });
  c.close();
  // The log is written asynchronously: wait for its content, not for a time.
  const log = path.join(tmp, 'T1.log');
  const want = /# cosim-cmd-begin 1\none\ntwo words\n\n# cosim-cmd-end 1 rc=3\n/;
  await eventually(() => fs.existsSync(log) && want.test(fs.readFileSync(log, 'utf8')), 5000, 'the console log');
  assert.match(fs.readFileSync(log, 'utf8'), want);
});

test('a command that never ends is named with its VM at the timeout, and the VM takes no other command', async () => {
  const { c } = fakeVm('T2');
  await c.ready(10);
  await assert.rejects(c.run("workload 'stuck'", 'echo started; sleep 4', 1), /^Error: VM T2 \(fake\): workload 'stuck' did not finish within 1 s; last console lines: .*started/);
  assert.equal(c.idle, false);
  await assert.rejects(c.run("workload 'later'", 'echo hi', 5), /VM T2 \(fake\): cannot run workload 'later': the guest never came back from workload 'stuck'/);
});

test('a VM that dies fails the running command with the VM, the command and the kernel panic line', async () => {
  const { c } = fakeVm('T3');
  await c.ready(10);
  // Reported when the VM died, not at the 30 s timeout: the text is the death's
  // ("died during"), where the timeout's would say "did not finish within 30 s",
  // and it comes before half that timeout (the VM dies at once: the margin is
  // for a loaded machine, the bound only tells "at death" from "at timeout").
  const AT_DEATH_BOUND_MS = 15000;
  const t0 = Date.now();
  await assert.rejects(
    c.run("workload 'crash'", 'echo "[    7.1] Kernel panic - not syncing: sysrq triggered crash"; echo "[    7.2] R10: 0"; kill -9 $PPID', 30),
    /^Error: VM T3 \(fake\) died during workload 'crash': QEMU killed by SIGKILL; kernel: Kernel panic - not syncing: sysrq triggered crash$/,
  );
  assert.ok(Date.now() - t0 < AT_DEATH_BOUND_MS, `reported after ${Date.now() - t0} ms`);
  await assert.rejects(c.run("workload 'after'", 'true', 5), /cannot send workload 'after': QEMU is not running/);
});

test('a guest that cannot start its project fails the wait for readiness with its reason', async () => {
  const { c } = fakeVm('T4', 'echo "# cosim-guest-error insmod x.ko failed: Invalid module format"; exec sleep 30');
  await assert.rejects(c.ready(10), /VM T4 \(fake\) could not start: insmod x.ko failed: Invalid module format/);
});

test('a guest that never gets to its command loop is reported at the boot timeout', async () => {
  const { c } = fakeVm('T5', 'echo "Booting the kernel"; exec sleep 30');
  await assert.rejects(c.ready(1), /VM T5 \(fake\) did not boot within 1 s; last console lines: Booting the kernel/);
});
