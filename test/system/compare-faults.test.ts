// cosim compare when things go wrong: a planted RTL bug in B, a workload
// that hangs, a VM that dies, a link that carries nothing, and Ctrl-C.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { cosimCli, descendants, repoRoot } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-compare-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const faults = path.join(repoRoot, 'test', 'projects', 'compare-faults');

test('B built with COSIM_BUG_COPY_SHORT: the copy workload differs at its last byte and the exit status says so', async () => {
  const r = await cosimCli(['compare', '--quiet', '--seed', '3', '--out', path.join(tmp, 'bug'), '--b-define', 'COSIM_BUG_COPY_SHORT', '--grep', '^copy$']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^B: device gpu \+define COSIM_BUG_COPY_SHORT$/m);
  assert.match(r.stdout, /^copy +sha256 [0-9a-f]{12} 70001 B +sha256 [0-9a-f]{12} 70001 B +NO /m);
  assert.match(r.stdout, /^copy: outputs differ: first differing byte at offset 70000 \(A 0x[0-9a-f]{2}, B 0x[0-9a-f]{2}\)$/m);
});

test('a hung workload, a differing one and a VM that dies are each named; every process ends', async () => {
  let children: number[] = [];
  const r = await cosimCli(['compare', '--quiet', '--project', faults, '--no-net', '--keep-going', '--out', path.join(tmp, 'faults')], (line, pid) => {
    if (line.startsWith('SAME answer')) children = [...descendants(pid, 'cosim-sim'), ...descendants(pid, 'qemu-system-x86_64')];
  });
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-2000)}`);
  assert.equal(children.length, 3, `a simulator and two QEMUs ran:\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^answer +sha256 [0-9a-f]{12} 3 B +sha256 [0-9a-f]{12} 3 B +yes /m);
  assert.match(r.stdout, /^hang: A: timed out after 3 s: Killed; B: timed out after 3 s: Killed$/m);
  assert.match(r.stdout, /^differs: outputs differ: first differing byte at offset 12 \(A 0x64, B 0x62\)$/m);
  assert.match(r.stdout, /^kill_baseline: B: VM B \(baseline: stock QEMU, virtio-net\) died during workload 'kill_baseline': QEMU exited with code 0; kernel: Kernel panic - not syncing: sysrq triggered crash$/m);
  assert.match(r.stdout, /^after: B: VM B \(baseline: stock QEMU, virtio-net\): cannot send workload 'after': QEMU is not running$/m);
  for (const pid of children) assert.ok(!fs.existsSync(`/proc/${pid}`), `process ${pid} outlived cosim compare`);
});

test('a link that carries no frames is reported as such, and the network workloads after it are not run', async () => {
  // Every frame of A's netdev goes to a null chardev instead of the link.
  const cut = ['-chardev', 'null,id=cut0', '-object', 'filter-redirector,id=cut,netdev=cosim-nic,queue=all,outdev=cut0'];
  const r = await cosimCli(['compare', '--quiet', '--grep', '^net:', '--out', path.join(tmp, 'link'), ...cut.map((a) => `--qemu-arg=${a}`)]);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^net:link: the link carried no packets: A sent [1-9]\d* frames and B received 0; B sent [1-9]\d* and A received 0; /m);
  assert.match(r.stdout, /^net:ping +- +- +not run /m);
  assert.doesNotMatch(r.stdout, /did not finish within/);
});

test('Ctrl-C ends both VMs and the simulator', async () => {
  let children: number[] = [];
  const r = await cosimCli(['compare', '--quiet', '--project', faults, '--no-net', '--grep', '^(answer|hang)$', '--out', path.join(tmp, 'int')], (line, pid) => {
    if (children.length === 0 && line.startsWith('SAME answer')) {
      children = [...descendants(pid, 'cosim-sim'), ...descendants(pid, 'qemu-system-x86_64')];
      process.kill(pid, 'SIGINT');
    }
  });
  assert.equal(children.length, 3, `a simulator and two QEMUs were found:\n${r.stderr.slice(-2000)}`);
  assert.equal(r.code, 130, r.stderr.slice(-2000));
  await new Promise((res) => setTimeout(res, 200));
  for (const pid of children) assert.ok(!fs.existsSync(`/proc/${pid}`), `process ${pid} outlived cosim compare`);
});
