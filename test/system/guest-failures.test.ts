// Failure paths with the real QEMU: a simulator killed under a running guest,
// no broker, a refused configuration; and the patch itself.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { cosimCli, descendants, qemuBinary, repoRoot, simBinary, testLog } from '../helpers';

const machine = ['-M', 'q35', '-nodefaults', '-no-user-config', '-display', 'none', '-accel', 'tcg'];

function qemuRun(args: string[], input?: string, timeoutMs = 30000): Promise<{ code: number | null; stderr: string; ms: number }> {
  return qemuBinary().then(
    (bin) =>
      new Promise((resolve) => {
        const t0 = Date.now();
        const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stderr = '';
        p.stderr.on('data', (d) => (stderr += d));
        p.stdout.on('data', () => undefined);
        const kill = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
        if (input) p.stdin.write(input);
        p.on('close', (code) => {
          clearTimeout(kill);
          resolve({ code, stderr, ms: Date.now() - t0 });
        });
      }),
  );
}

test('the simulator killed while the guest reads: all-ones within the timeout, no hang, the dead peer reported', async (t) => {
  let killed = false;
  const t0 = Date.now();
  const r = await cosimCli(['run', '--tests', 'mmio_soak', '--mmio-timeout-ms', '1000', '--timeout', '60'], (line, pid) => {
    if (!killed && line.includes('# cosim-test-begin mmio_soak')) {
      killed = true;
      setTimeout(() => descendants(pid, 'cosim-sim').forEach((p) => process.kill(p, 'SIGKILL')), 1000);
    }
  });
  t.diagnostic(`cosim run ended after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  assert.ok(killed, `the soak test never started:\n${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /^mmio_soak\s+FAIL/m);
  assert.match(r.stdout, /ID read \d+ returned 0xffffffffffffffff/, 'the guest saw all-ones');
  assert.match(r.stdout, /problem: (simulator killed by SIGKILL during the run|hdl peer 'dev0' lost)/);
  assert.match(r.stdout, /suite did not complete|1 tests passed|0\/1 tests passed/);
  assert.match(r.stderr, /cosim-pcie dev0: MMIO read BAR0\+0x0 len 8 tag \d+ failed: .*hdl peer 'dev0'/, 'QEMU named the failed read and the lost peer');
});

test('Ctrl-C during a run ends every process it started', async () => {
  let children: number[] = [];
  const r = await cosimCli(['run', '--tests', 'mmio_soak'], (line, pid) => {
    if (children.length === 0 && line.includes('# cosim-test-begin mmio_soak')) {
      children = [...descendants(pid, 'cosim-sim'), ...descendants(pid, 'qemu-system-x86_64')];
      process.kill(pid, 'SIGINT');
    }
  });
  assert.equal(children.length, 2, `simulator and QEMU found under cosim run:\n${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 130);
  await new Promise((res) => setTimeout(res, 200));
  for (const pid of children) assert.ok(!fs.existsSync(`/proc/${pid}`), `process ${pid} outlived cosim run`);
});

test('QEMU with no broker exits with a clear error within its timeout', async () => {
  const ep = uniqueEndpoints();
  const r = await qemuRun([...machine, '-S', '-monitor', 'none', '-device', `cosim-pcie,endpoint=${ep.qemu},timeout-ms=1000`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no broker answered at ipc:.* within 1000 ms/);
  assert.ok(r.ms < 10000, `took ${r.ms} ms`);
});

test('a configuration the broker refuses stops QEMU with the field named', async () => {
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({ devices: { dev0: { vendorId: '0xffff', bars: { '2': { size: '0x3000' } } } } }, ep), testLog());
  await broker.start();
  const sim = startSim({ binary: await simBinary(), endpoint: ep.hdl, echo: () => undefined });
  try {
    const r = await qemuRun([...machine, '-S', '-monitor', 'none', '-device', `cosim-pcie,endpoint=${ep.qemu},timeout-ms=5000`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /vendorId: 0xffff is reserved/);
    assert.match(r.stderr, /bars\[2\]\.size: 0x3000 is not a power of two/);
  } finally {
    await sim.stop();
    await broker.stop();
  }
});

test('the patched QEMU without the device starts and quits like stock QEMU', async () => {
  const r = await qemuRun([...machine, '-S', '-monitor', 'stdio'], 'info pci\nquit\n', 15000);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 10000, `took ${r.ms} ms`);
});

test('the QEMU patch applies cleanly to a pristine 10.0.2 tree', () => {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'check-qemu-patch.sh'), '--fetch'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});
