// TraceWriter.cut: a trace of everything so far, complete on its own (the
// per-test traces of `cosim regress --trace-dir`), while the session's trace
// goes on; at the size limit the cut says truncated too.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { encode, message, MsgType } from '../../bridge/src/protocol/wire';
import { Dir, encodeStamps, readTrace, RecordKind, testNames, transactions } from '../../bridge/src/trace/format';
import { sessionTraceFile, testTraceFile, TraceWriter, withSuffix } from '../../bridge/src/trace/writer';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-'));

test('each cut holds the session from its start through the mark, and an END', () => {
  const d = dir();
  const w = TraceWriter.open(path.join(d, 'session.trace'), { session: 1 });
  const dev = w.device('dev0');
  const step = (i: number) => {
    w.message(dev, Dir.TO_DEVICE, encode(message(MsgType.MMIO_WRITE, { tag: i, length: 4, payload: Buffer.alloc(4, i) })));
    w.delivered(dev, encodeStamps([BigInt(100 * i)]));
  };
  step(1); // boot, before any test
  w.mark('t1', 'begin');
  step(2);
  w.mark('t1', 'end', 'pass');
  const c1 = w.cut(testTraceFile(d, 't1'));
  w.mark('t/2', 'begin');
  step(3);
  w.mark('t/2', 'end', 'fail');
  const c2 = w.cut(testTraceFile(d, 't/2'));
  step(4);
  const s = w.close();
  assert.equal(c1.error, undefined);
  assert.equal(c2.error, undefined);
  assert.equal(c2.file, path.join(d, 't_2.trace'), 'a test name made safe for a file name');

  const t1 = readTrace(c1.file);
  assert.equal(t1.complete, true);
  assert.equal(t1.meta.session, 1);
  assert.deepEqual(testNames(t1), ['t1']);
  assert.deepEqual(transactions(t1, 0).map((x) => [x.msg.tag, x.cycle, x.test]), [[1, 100n, undefined], [2, 200n, 't1']]);
  assert.deepEqual(t1.records.at(-1)!.end, { records: t1.records.length - 1 });
  assert.equal(t1.records.at(-2)!.kind, RecordKind.MARK, 'ends at the end mark');
  assert.equal(c1.bytes, fs.statSync(c1.file).size);

  const t2 = readTrace(c2.file);
  assert.deepEqual(testNames(t2), ['t1', 't/2']);
  assert.deepEqual(transactions(t2, 0).map((x) => x.cycle), [100n, 200n, 300n], 'from the start of the boot');
  const whole = readTrace(s.file);
  assert.deepEqual(transactions(whole, 0).map((x) => x.cycle), [100n, 200n, 300n, 400n]);
  // The session's bytes before its END are the cut's bytes before its END.
  const a = fs.readFileSync(c2.file);
  assert.deepEqual(fs.readFileSync(s.file).subarray(0, t2.records.at(-1)!.offset), a.subarray(0, t2.records.at(-1)!.offset));
});

test('a cut after the size limit says truncated; one that cannot be written says why', () => {
  const d = dir();
  const w = TraceWriter.open(path.join(d, 's.trace'), {}, { maxBytes: 8192 });
  const dev = w.device('dev0');
  w.mark('big', 'begin');
  for (let i = 0; i < 10; i++) w.message(dev, Dir.FROM_DEVICE, encode(message(MsgType.DMA_WRITE, { length: 1024, payload: Buffer.alloc(1024) })));
  w.mark('big', 'end', 'pass'); // past the limit: not recorded
  const c = w.cut(path.join(d, 'big.trace'));
  assert.equal(c.truncated, 'size limit 8192 bytes reached');
  const t = readTrace(c.file);
  assert.equal(t.records.at(-1)!.end?.truncated, 'size limit 8192 bytes reached');
  assert.ok(fs.statSync(c.file).size <= 8192);
  const bad = w.cut(path.join(d, 'no-such-dir', 'x.trace'));
  assert.match(bad.error ?? '', /^trace .*no-such-dir\/x\.trace: ENOENT \(.*\); the trace is incomplete$/);
  w.close();
});

test('trace file names: a second boot, a test', () => {
  assert.equal(withSuffix('run.trace', '.boot2'), 'run.boot2.trace');
  assert.equal(withSuffix('/a.b/run', '.boot2'), '/a.b/run.boot2');
  assert.equal(withSuffix('.trace', '.b'), '.trace.b');
  assert.equal(sessionTraceFile({ file: 'x/run.trace' }, 1), 'x/run.trace');
  assert.equal(sessionTraceFile({ file: 'x/run.trace', dir: 'd' }, 3), 'x/run.boot3.trace');
  assert.equal(sessionTraceFile({ dir: 'd' }, 2), 'd/session.boot2.trace');
  assert.equal(testTraceFile('d', 'tb:a/b c'), 'd/tb_a_b_c.trace');
  assert.equal(testTraceFile('d', '..'), 'd/_.trace');
});
