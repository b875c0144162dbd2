// Traces of real runs: the patched QEMU, the Verilated example device and the
// guest. `cosim run --trace` records the boot with every message to the RTL
// stamped by the shim (cycles never go back, no completion before its
// request) and the test between its marks; `cosim regress --trace-dir` cuts
// one self-contained trace per test.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CfgBit, MsgType } from '../../bridge/src/protocol/wire';
import { deviceId, Dir, readTrace, Trace, testNames, transactions, Txn } from '../../bridge/src/trace/format';
import { cosimCli } from '../helpers';

/** Every message to the RTL has its stamp (but the broker's last SHUTDOWN, the simulator stops on it), in order. */
function checkStamps(t: Trace): Txn[] {
  const x = transactions(t, deviceId(t, 'dev0'));
  const to = x.filter((m) => m.dir === Dir.TO_DEVICE);
  const unstamped = to.filter((m) => m.cycle === undefined);
  assert.ok(unstamped.length === 0 || (unstamped.length === 1 && unstamped[0] === to.at(-1) && unstamped[0].msg.type === MsgType.SHUTDOWN), `unstamped: ${unstamped.map((m) => `#${m.seq} ${MsgType[m.msg.type]}`).join(', ')}`);
  let last = 0n;
  for (const m of to.filter((y) => y.cycle !== undefined)) {
    assert.ok(m.cycle! >= last, `#${m.seq} ${MsgType[m.msg.type]} stamped ${m.cycle} after ${last}`);
    last = m.cycle!;
  }
  // No MMIO completion is produced before its read was taken in.
  const reads = new Map<number, Txn>();
  for (const m of x) {
    if (m.msg.type === MsgType.MMIO_READ) reads.set(m.msg.tag, m);
    if (m.msg.type === MsgType.MMIO_READ_CPL) assert.ok(m.cycle! >= reads.get(m.msg.tag)!.cycle!, `completion #${m.seq} before its read`);
  }
  return x;
}

test('cosim run --trace FILE: the boot, every message to the RTL stamped, the test between its marks', async (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 'run.trace');
  const r = await cosimCli(['run', '--quiet', '--device', 'example', '--tests', 'regs', '--trace', file]);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  const tr = readTrace(file);
  t.diagnostic(`${fs.statSync(file).size} bytes, ${tr.records.length} records`);
  assert.equal(tr.complete, true);
  assert.equal(tr.meta.session, 1);
  assert.equal(tr.meta.project, 'example');
  assert.deepEqual(testNames(tr), ['regs']);
  const x = checkStamps(tr);
  assert.equal(x[0].msg.type, MsgType.CONF);
  const inTest = x.filter((m) => m.test === 'regs');
  assert.ok(inTest.some((m) => m.msg.type === MsgType.MMIO_READ) && inTest.some((m) => m.msg.type === MsgType.MMIO_WRITE), 'the test\'s register accesses');
  assert.ok(x.some((m) => m.test === undefined && m.msg.type === MsgType.CFG_STATE && m.msg.index & CfgBit.BUS_MASTER), "the driver's probe before it (bus mastering on)");
});

test('cosim regress --trace-dir DIR: one trace per test, each from the start of the boot through its end mark', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-'));
  const r = await cosimCli(['regress', '--quiet', '--device', 'example', '--skip-testbench', '--tests', 'regs,msix', '--trace-dir', dir]);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['msix.trace', 'regs.trace', 'session.trace']);
  const regs = readTrace(path.join(dir, 'regs.trace'));
  const msix = readTrace(path.join(dir, 'msix.trace'));
  const session = readTrace(path.join(dir, 'session.trace'));
  for (const tr of [regs, msix, session]) {
    assert.equal(tr.complete, true);
    checkStamps(tr);
  }
  assert.deepEqual(testNames(regs), ['regs']);
  assert.deepEqual(testNames(msix), ['regs', 'msix']);
  const end = (tr: Trace, name: string) => tr.records.find((x) => x.mark?.test === name && x.mark.event === 'end')!;
  assert.equal(end(regs, 'regs').mark!.status, 'pass');
  assert.equal(regs.records.at(-2)!.offset, end(regs, 'regs').offset, 'regs.trace ends at its end mark');
  assert.equal(msix.records.at(-2)!.offset, end(msix, 'msix').offset, 'msix.trace ends at its end mark');
  // The same bytes as the session up to there: one recording, cut.
  const s = fs.readFileSync(path.join(dir, 'session.trace'));
  const m = fs.readFileSync(path.join(dir, 'msix.trace'));
  const upTo = msix.records.at(-1)!.offset;
  assert.ok(m.subarray(0, upTo).equals(s.subarray(0, upTo)));
  assert.ok(transactions(msix, 0).some((x) => x.test === 'msix' && x.msg.type === MsgType.MSIX));
});
