// Kill the broker (with its in-process RTL) under a running guest and start
// it again: cosim-pcie sees it go, greets the new one, and the guest's next
// test passes.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { cosimCli, eventually, repoRoot } from '../helpers';

function startBroker(ep: { qemu: string; hdl: string }): ChildProcess {
  return spawn(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--hdl', 'inproc:example', '--log-level', 'warn'], { stdio: 'ignore' });
}

test('a broker killed and restarted under a running guest: the next test passes again', async () => {
  const ep = uniqueEndpoints();
  let broker = startBroker(ep);
  let restarted = false;
  try {
    // Listening first: a model library built on the way (a cold cache) takes longer than QEMU waits for a broker.
    if (ep.qemu.startsWith('ipc://')) await eventually(() => fs.existsSync(ep.qemu.slice('ipc://'.length)), 180_000, 'the broker listening');
    // fault_hang holds the guest (10 s, then killed) while the broker is replaced.
    const r = await cosimCli(['run', '--device', 'example', '--broker', ep.qemu, '--tests', 'regs,fault_hang,regs', '--timeout', '12', '--keep-going', '--log-level', 'info'], (line) => {
      if (!restarted && line.includes('# cosim-test-begin fault_hang')) {
        restarted = true;
        broker.kill('SIGKILL');
        setTimeout(() => (broker = startBroker(ep)), 1500);
      }
    });
    assert.ok(restarted, r.stderr.slice(-2000));
    const ends = [...r.stderr.matchAll(/# cosim-test-end (\w+) rc=(\d+)/g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(ends, ['regs=0', 'fault_hang=124', 'regs=0'], r.stderr.slice(-3000));
    assert.match(r.stderr, /the broker at .* is gone/);
    assert.match(r.stderr, /is back with the same CONF; the device is online again/);
  } finally {
    broker.kill('SIGTERM');
  }
});
