// Model snapshots (dpi/include/cosim_model.h, dpi/model/model_fork.cpp): a
// fork()ed copy of the process holding the model and the shim's queues.
// Restoring one carries on from its cycle, and what the RTL then does is
// what it did the first time from there; the copies end with the model;
// what cannot be snapshotted is refused with the reason; a copy that dies
// is named instead of hanging the caller.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { describe, message, MsgType } from '../../bridge/src/protocol/wire';
import { NativeModel, resolveModel, RunFlag, StateBit } from '../../bridge/src/model/native';

/** This process's children, by pid. */
const children = () =>
  fs
    .readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);

async function model(): Promise<NativeModel> {
  const m = new NativeModel(await resolveModel('example'), { logLevel: 'error' });
  m.drain(); // HELLO, CONF
  m.reset(16);
  m.run(16);
  return m;
}

/** A register written and read back, and 5000 cycles more: what the RTL sent, cycles included. */
function work(m: NativeModel, seed: number): string[] {
  const out: string[] = [];
  m.push(message(MsgType.MMIO_WRITE, { tag: 1, index: EX.BAR, address: BigInt(EX.SCRATCH), length: 8, payload: Buffer.alloc(8, seed) }));
  m.push(message(MsgType.MMIO_READ, { tag: 2, index: EX.BAR, address: BigInt(EX.SCRATCH), length: 8 }));
  for (let i = 0; i < 50; i++) {
    m.run(100, RunFlag.STOP_OUTPUT);
    for (const x of m.drain()) out.push(`${describe(x)} ${x.payload.toString('hex')}`);
  }
  return out;
}

test('a restored snapshot carries on from its cycle and does again what the model did from there', async () => {
  const m = await model();
  try {
    m.run(1000);
    const at = m.cycles;
    const bridgeAt = m.bridgeCycle();
    const id = m.snapshot();
    const first = work(m, 0x5a);
    assert.ok(first.some((l) => l.startsWith('MMIO_READ_CPL') && l.endsWith('5a'.repeat(8))), first.join('\n'));
    const after = m.cycles;
    const reads = m.stats().mmioReads;
    assert.ok(after > at);
    m.restore(id);
    assert.equal(m.cycles, at, 'back at the cycle of the snapshot');
    assert.equal(m.bridgeCycle(), bridgeAt);
    assert.equal(m.stats().mmioReads, reads - 1, "the shim's counters are the snapshot's too");
    assert.deepEqual(work(m, 0x5a), first, 'the same messages at the same cycles');
    assert.equal(m.cycles, after);
    // The copy's waveform is the copy's: opened and closed there, written whole.
    const fst = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-snap-')), 'w.fst');
    assert.ok(m.traceOpen(fst));
    m.run(200);
    m.traceClose();
    assert.ok(fs.statSync(fst).size > 0);
    assert.ok(!(m.state() & StateBit.ERROR));
  } finally {
    m.close();
  }
});

test('several snapshots: each one restores its own point; dropped ones and all of them at close end their processes', async () => {
  const before = children();
  const m = await model();
  try {
    const a = m.snapshot();
    const ca = m.cycles;
    m.run(500);
    const b = m.snapshot();
    const cb = m.cycles;
    m.run(500);
    const c = m.snapshot();
    assert.equal(children().length, before.length + 3, 'one process per snapshot');
    m.dropSnapshot(c);
    assert.equal(children().length, before.length + 2, 'a dropped snapshot ends its process');
    m.restore(b);
    assert.equal(m.cycles, cb);
    m.restore(a); // the copy restored before ends
    assert.equal(m.cycles, ca);
    assert.equal(children().length, before.length + 1);
    assert.throws(() => m.restore(b), /cannot restore: no snapshot \d+ \(dropped, restored already, or never taken\)/);
  } finally {
    m.close();
  }
  assert.deepEqual(children(), before, 'close() leaves no snapshot process');
});

test('refused: a snapshot with a waveform open, a snapshot of a restored copy', async () => {
  const m = await model();
  const fst = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-snap-')), 'open.fst');
  try {
    assert.ok(m.traceOpen(fst));
    assert.throws(() => m.snapshot(), /cannot take a snapshot: a waveform is open/);
    m.traceClose();
    m.restore(m.snapshot());
    assert.throws(() => m.snapshot(), /cannot take a snapshot: a restored snapshot takes no snapshots of its own/);
  } finally {
    m.close();
  }
});

test('a snapshot process that died: the model says so (state ERROR, the pid and the signal) instead of hanging', async () => {
  const before = children();
  const m = await model();
  try {
    m.restore(m.snapshot());
    const [pid] = children().filter((p) => !before.includes(p));
    assert.ok(pid, 'the restored copy runs as a child');
    process.kill(pid, 'SIGSEGV');
    assert.equal(m.run(100), 0);
    assert.ok(m.state() & StateBit.ERROR);
    assert.match(m.stopReason(), new RegExp(`the snapshot's process \\(pid ${pid}\\) died of signal 11`));
    assert.equal(m.drain().length, 0);
  } finally {
    m.close();
  }
  assert.deepEqual(children(), before);
});
