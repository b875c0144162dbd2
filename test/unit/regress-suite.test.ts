import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsoleParser, TestResult } from '../../bridge/src/run/console';
import { junitXml, mergeJunit, parseShard, selectTests } from '../../bridge/src/run/suite';

const all = ['regs', 'nop', 'fence', 'copy_g2g', 'copy_g2v', 'copy_v2g', 'fill', 'kernel_add'];

test('grep selects by name', () => {
  assert.deepEqual(selectTests(all, { grep: /^copy_/ }), ['copy_g2g', 'copy_g2v', 'copy_v2g']);
});

test('n shards cover the selection exactly once', () => {
  for (const n of [1, 2, 3, 8, 11]) {
    const parts = Array.from({ length: n }, (_, i) => selectTests(all, { shard: { index: i + 1, count: n } }));
    assert.deepEqual(parts.flat().sort(), [...all].sort(), `n=${n}`);
    assert.ok(parts.every((p) => p.length <= Math.ceil(all.length / n)), `balanced for n=${n}`);
  }
  assert.deepEqual(selectTests(all, { grep: /copy/, shard: parseShard('2/2') }), ['copy_g2v']);
});

test('a bad shard is refused', () => {
  for (const bad of ['0/2', '3/2', '1/0', 'x', '1-2']) assert.throws(() => parseShard(bad), /--shard: .* is not i\/n/);
});

function results(): TestResult[] {
  const p = new ConsoleParser(() => 1000);
  const text = `# cosim-test-begin nop\n1..1\nok 1 - nop\n# cosim-test-end nop rc=0 ns=1500000\n# cosim-test-begin copy <&>\n1..1\nnot ok 1 - COPY 70001 bytes\n# first wrong byte at offset 4096: got 0x00 want 0x5a\n# cosim-test-end copy <&> rc=1`;
  text.split('\n').forEach((l) => p.line(l));
  return [...p.tests, { name: 'fill', status: 'not run', ok: 0, notOk: 0, failures: ['not reached: the guest hung in copy'], comments: [] }];
}

test('JUnit XML carries results, failures with their message, tests not run and properties', () => {
  const r = results();
  assert.equal(r[0].guestNs, 1500000);
  const xml = junitXml(r, { suite: 'cosim.gpu', properties: { seed: 7, shard: '1/2' }, timestamp: new Date(0) });
  assert.match(xml, /<testsuites name="cosim regress" tests="3" failures="2" errors="0" skipped="0"/);
  assert.match(xml, /<property name="seed" value="7"\/>/);
  assert.match(xml, /<testcase classname="cosim.gpu" name="copy &lt;&amp;&gt;" time="0.000">\n {6}<failure type="fail" message="not ok 1 - COPY 70001 bytes">not ok 1 - COPY 70001 bytes\n# first wrong byte at offset 4096: got 0x00 want 0x5a<\/failure>/);
  assert.match(xml, /<testcase classname="cosim.gpu" name="fill" time="0.000">\n {6}<failure type="not run" message="not reached: the guest hung in copy">/);
  assert.match(xml, /<system-out>1\.\.1\nok 1 - nop<\/system-out>/);
});

test('shard files merge into one document with summed counts', () => {
  const r = results();
  const a = junitXml(r.slice(0, 1), { suite: 'cosim.gpu' });
  const b = junitXml(r.slice(1), { suite: 'cosim.gpu' });
  const merged = mergeJunit([a, b]);
  assert.match(merged, /<testsuites name="cosim regress" tests="3" failures="2" errors="0" skipped="0"/);
  assert.equal(merged.match(/<testsuite /g)?.length, 2);
  assert.equal(merged.match(/<testcase /g)?.length, 3);
});
