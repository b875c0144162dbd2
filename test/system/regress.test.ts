// `cosim regress` with the real guest: a hung test and a crashed guest do not
// stop the suite, failures name the last transaction, shards merge.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-regress-'));

test('a hung test is killed and reported, a crashed guest is rebooted, the rest still runs', async () => {
  const junit = path.join(dir, 'faults.xml');
  const r = await cosimCli(['regress', '--device', 'example', '--tests', 'regs,fault_hang,fault_panic,msix', '--timeout', '10', '--seed', '5', '--junit', junit, '--quiet']);
  assert.equal(r.code, 1, r.stdout + r.stderr.slice(-2000));
  assert.match(r.stderr, /^PASS regs \(/m, 'a live line per test');
  assert.match(r.stdout, /^regs\s+pass\s/m);
  assert.match(r.stdout, /^fault_hang\s+TIMEOUT\s/m);
  assert.match(r.stdout, /fault_hang:\n {2}not ok - fault_hang # timeout after 10s\n {2}last transaction the broker saw: MMIO_READ_CPL tag=\d+ index=0 addr=0x0 len=8 cycle=\d+ to QEMU/);
  assert.match(r.stdout, /^fault_panic\s+FAIL\s/m);
  assert.match(r.stdout, /^msix\s+pass\s/m, 'the test after the crash ran after a reboot');
  assert.match(r.stdout, /2\/4 tests passed; seed 5; (TCG|KVM); 2 boots;/);
  const xml = fs.readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite name="cosim.example" tests="4" failures="2" errors="0" skipped="0"/);
  assert.match(xml, /<property name="seed" value="5"\/>/);
  assert.match(xml, /<testcase classname="cosim.example" name="fault_hang" time="[\d.]+">\n {6}<failure type="timeout"/);
});

test('shards split the selection and their JUnit files merge', async () => {
  const files = [1, 2].map((i) => path.join(dir, `shard${i}.xml`));
  for (const [i, f] of files.entries()) {
    const r = await cosimCli(['regress', '--device', 'example', '--grep', '^(regs|msix|dma)$', '--shard', `${i + 1}/2`, '--junit', f, '--quiet']);
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(-2000));
  }
  assert.equal((fs.readFileSync(files[0], 'utf8').match(/<testcase /g) ?? []).length, 2);
  assert.equal((fs.readFileSync(files[1], 'utf8').match(/<testcase /g) ?? []).length, 1);
  const merged = await cosimCli(['junit-merge', ...files]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, /<testsuites name="cosim regress" tests="3" failures="0"/);
  assert.deepEqual([...merged.stdout.matchAll(/name="(regs|msix|dma)"/g)].map((m) => m[1]).sort(), ['dma', 'msix', 'regs']);
});
