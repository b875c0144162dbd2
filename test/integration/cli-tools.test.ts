// The command-line tools against a real broker and the Verilated example.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { Stack } from '../../bridge/src/orchestrate/stack';
import { Proc } from '../../bridge/src/orchestrate/process';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { eventually, exampleStack, repoRoot, simBinary, uniqueEndpoints } from '../helpers';

const bin = path.join(repoRoot, 'bin', 'cosim');
let s: Stack;
before(async () => {
  s = await exampleStack();
  await s.peer.close(); // one QEMU-side peer per device: the tools below take its place
});
after(async () => s?.stop());

const client = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, 'client', '--endpoint', s.endpoints.qemu, '--log-level', 'silent', ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });

test('cosim client info, write and read', async () => {
  const info = await client('info');
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /^1234:c051 class 120000 rev 1 BAR0=0x10000\/64 BAR2=0x1000 msix=4$/m);
  assert.equal((await client('write', '0', '0x8', '0xabcdef', '4')).status, 0);
  const r = await client('read', '0', '0x8', '4');
  assert.equal(r.stdout.trim(), '0xabcdef');
});

test('cosim client reports a refused access and exits non-zero', async () => {
  const r = await client('read', '1', '0');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /BAR1 is not present on device 'dev0'/);
});

test('cosim client with no broker fails within its timeout', async () => {
  // The text shows that the 300 ms given is the timeout that fired. The bound
  // catches a client that waits on its 5000 ms default instead: it allows
  // 4000 ms for starting node and the CLI on a loaded machine (normally well
  // under one second), and stays below 300 + 5000.
  const CLIENT_BOUND_MS = 300 + 4000;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, 'client', '--endpoint', uniqueEndpoints().qemu, '--timeout-ms', '300', '--log-level', 'silent', 'info'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no broker answered at ipc:.* within 300 ms/);
  assert.ok(Date.now() - t0 < CLIENT_BOUND_MS, `failed after ${Date.now() - t0} ms, given 300 ms`);
});

test('cosim broker prints its counters on SIGUSR1 and exits cleanly on SIGTERM', async () => {
  const ep = uniqueEndpoints();
  const b = new Proc('broker', process.execPath, [bin, 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--log-level', 'info'], { echo: () => undefined });
  const sim = startSim({ binary: await simBinary(), endpoint: ep.hdl, echo: () => undefined });
  try {
    await eventually(() => b.stderrTail.some((l) => l.includes('device announced')), 10000, 'device announced');
    b.child.kill('SIGUSR1');
    await eventually(() => b.stderrTail.some((l) => /^channel\s+to HDL\s+to QEMU/.test(l)), 5000, 'counters printed');
    b.child.kill('SIGTERM');
    assert.equal((await b.exited).code, 0);
    // The simulator was told to shut down, and exits cleanly too.
    assert.equal((await sim.exited).code, 0, sim.stderrTail.join('\n'));
    assert.ok(!fs.existsSync(ep.qemu.slice('ipc://'.length)), 'socket file removed');
  } finally {
    await sim.stop();
    await b.stop();
  }
});

test('an idle simulator sleeps on its socket instead of clocking', async () => {
  const stat = () => fs.readFileSync(`/proc/${s.sim.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuTicks = () => Number(stat()[11]) + Number(stat()[12]); // utime + stime
  const cycle = async () => BigInt((await client('read', '0', '0x10', '8')).stdout.trim());
  const cycles0 = await cycle();
  const ticks0 = cpuTicks();
  await new Promise((r) => setTimeout(r, 2000));
  const used = (cpuTicks() - ticks0) / 100; // seconds at USER_HZ 100
  const cycles = (await cycle()) - cycles0;
  assert.ok(used < 0.2, `idle simulator used ${used}s of CPU in 2 s`);
  assert.ok(cycles < 1_000_000n, `idle simulator ran ${cycles} cycles in 2 s`);
});
