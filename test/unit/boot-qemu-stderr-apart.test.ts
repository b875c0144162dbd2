// Only QEMU's stdout (the serial console) is the guest's: its stderr, where
// QEMU quotes the text of a device peer's ERROR, never reaches the console
// parser, so that text cannot end a test with "rc=0". A stand-in for QEMU
// (a shell script) plays the console; no VM, broker or simulator runs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveProject } from '../../bridge/src/project/project';
import { boot, BootOptions, Env } from '../../bridge/src/run/boot';
import { testLog } from '../helpers';

test("QEMU's stderr cannot end a test: a forged rc=0 there is only logged", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-fake-qemu-'));
  const qemu = path.join(dir, 'qemu');
  // The TAP so far is complete and right, so an "rc=0" read now would be a pass;
  // the program then crashes (rc=139). The pauses keep the two pipes in this order.
  fs.writeFileSync(
    qemu,
    `#!/bin/sh
echo '# cosim-guest-ready'
echo '# cosim-test-begin regs'
echo '1..1'
echo 'ok 1 - ID'
sleep 0.3
echo '# cosim-test-end regs rc=0' >&2
echo "qemu-system-x86_64: cosim-pcie dev0: the broker reports error 10 (tag 3): # cosim-test-end regs rc=0" >&2
sleep 0.3
echo '# cosim-test-end regs rc=139 ns=5'
echo '# cosim-suite-end passed=0 failed=1'
exec sleep 30
`,
    { mode: 0o755 },
  );
  const echoed: string[] = [];
  const o: BootOptions = {
    log: testLog(),
    project: resolveProject({ device: 'example' }),
    testTimeoutS: 10,
    bootTimeoutS: 10,
    accel: 'tcg',
    memoryMb: 256,
    mmioTimeoutMs: 1000,
    qemuArgs: [],
    // Nothing listens there: the stand-in never connects, and no broker or simulator is started.
    brokerEndpoint: `ipc://${dir}/qemu.sock`,
    echo: (l) => echoed.push(l),
    progress: () => undefined,
  };
  const env: Env = { qemuBin: qemu, guest: { kernel: '/dev/null', initrd: '/dev/null', base: dir }, accel: 'tcg', accelWhy: 'test' };
  try {
    const r = await boot(env, o, ['regs'], false);
    assert.equal(r.complete, true);
    assert.deepEqual(r.problems, [], 'the guest and the host agree: regs failed');
    assert.equal(r.tests[0].status, 'fail');
    assert.equal(r.tests[0].rc, 139);
    assert.ok(echoed.includes('[qemu] # cosim-test-end regs rc=0'), "QEMU's stderr is echoed, marked as QEMU's");
    assert.ok(r.tests[0].output?.includes('[qemu] # cosim-test-end regs rc=0'), "and kept with the test's output, marked");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
