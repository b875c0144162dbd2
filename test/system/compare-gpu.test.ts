// cosim compare with its defaults: the GPU front-end (VM A) against the
// baseline VM (stock QEMU, virtio-net), every compute workload of the GPU
// project and every network workload through the RTL's NIC.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { readPcap, summarizePcap } from '../../bridge/src/compare/pcap';
import { resolveProject } from '../../bridge/src/project/project';
import { cosimCli } from '../helpers';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-compare-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

interface Report {
  passed: boolean;
  workloads: { name: string; same: boolean; a: { bytes?: number; sha256?: string }; b: { bytes?: number; sha256?: string; figures?: Record<string, number> } }[];
  notRun: string[];
}

test('the GPU and the baseline VM agree on every workload, over a link that carried ICMP and TCP', async () => {
  const json = path.join(out, 'report.json');
  const r = await cosimCli(['compare', '--quiet', '--seed', '5', '--out', out, '--json', json]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
  const compute = resolveProject({ device: 'gpu' }).compare.map((w) => w.name);
  assert.ok(compute.length >= 5, 'the GPU project declares its compute workloads');
  assert.deepEqual(report.workloads.map((w) => w.name), [...compute, 'net:link', 'net:ping', 'net:tcp-a-to-b', 'net:tcp-b-to-a']);
  assert.ok(report.workloads.every((w) => w.same) && report.passed);
  for (const name of ['net:tcp-a-to-b', 'net:tcp-b-to-a']) {
    const w = report.workloads.find((x) => x.name === name)!;
    assert.ok(w.a.bytes! >= 8 << 20 && w.a.bytes === w.b.bytes, `${name} moved at least 8 MiB`);
    assert.equal(w.a.sha256, w.b.sha256);
  }
  // The table on the terminal, and the files the Markdown report links.
  assert.match(r.stdout, /^workload +A +B +same\? +A time +B time +A\/B$/m);
  assert.match(r.stdout, /^copy +sha256 [0-9a-f]{12} 70001 B +sha256 [0-9a-f]{12} 70001 B +yes /m);
  assert.match(r.stdout, /^compare: all \d+ workloads the same/m);
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  for (const f of ['link.pcap', 'a-console.log', 'b-console.log', 'a-uart.log']) {
    assert.ok(md.includes(`](${f})`), `report.md links ${f}`);
    assert.ok(fs.existsSync(path.join(out, f)), `${f} exists`);
  }
  const link = summarizePcap(readPcap(path.join(out, 'link.pcap')));
  assert.ok(link.icmp >= 2 * 20, `the capture holds the pings both ways (ICMP ${link.icmp})`);
  assert.ok(link.tcp > 2 * 5800, `the capture holds both 8 MiB transfers (TCP ${link.tcp})`);
  assert.match(fs.readFileSync(path.join(out, 'b-console.log'), 'utf8'), /# cosim-net eth0 \S+ virtio_net/);
});
