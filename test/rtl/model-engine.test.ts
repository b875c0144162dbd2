// The one HDL engine (dpi/harness/cosim_sim.h behind dpi/include/cosim_model.h)
// that cosim-sim, the in-process peer and the testbench drive: the reset, the
// host loop's batch (RunFlag.STEP) and what follows it (next()), and the
// waveform window the engine keeps on its own cycles.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { NativeModel, Next, resolveModel, RunFlag } from '../../bridge/src/model/native';
import { BATCH_CYCLES, RESET_CYCLES } from '../../bridge/src/defaults';

async function model(): Promise<NativeModel> {
  const m = new NativeModel(await resolveModel('example'), { logLevel: 'error' });
  m.drain(); // HELLO, CONF
  return m;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-engine-'));

test('reset holds rst_n for its cycles, then the design is idle: the host loop waits for a message', async () => {
  const m = await model();
  try {
    assert.equal(m.reset(RESET_CYCLES), RESET_CYCLES);
    assert.equal(m.cycles, BigInt(RESET_CYCLES));
    assert.equal(m.run(BATCH_CYCLES, RunFlag.STEP), 1, 'an idle design ends the batch after one cycle');
    assert.equal(m.next(), Next.WAIT_INPUT);
  } finally {
    m.close();
  }
});

test('a batch ends at the cycle a read completion is queued, and a SHUTDOWN makes the loop stop', async () => {
  const m = await model();
  try {
    m.reset(RESET_CYCLES);
    m.push(message(MsgType.MMIO_READ, { tag: 7, index: EX.BAR, address: BigInt(EX.ID), length: 4 }));
    assert.equal(m.next(), Next.CLOCK, 'a message to take in');
    const ran = m.run(BATCH_CYCLES, RunFlag.STEP);
    assert.ok(ran > 0 && ran < BATCH_CYCLES, `the batch ran ${ran} cycles`);
    const out = m.drain();
    assert.deepEqual(
      out.map((x) => [MsgType[x.type], x.tag]),
      [['MMIO_READ_CPL', 7]],
    );
    m.push(message(MsgType.SHUTDOWN, { payload: Buffer.from('test over') }));
    m.run(BATCH_CYCLES, RunFlag.STEP);
    assert.equal(m.next(), Next.STOP);
    assert.match(m.stopReason(), /test over/);
  } finally {
    m.close();
  }
});

test('a waveform window opens at its start cycle and closes at its stop, whatever the batches', async () => {
  const dir = tmp();
  const fst = path.join(dir, 'window.fst');
  const m = await model();
  try {
    m.reset(RESET_CYCLES);
    m.waveWindow(fst, 300, 500);
    assert.throws(() => m.snapshot(), /a waveform is open or due/);
    for (let i = 0; i < 2; i++) m.run(137);
    assert.ok(!fs.existsSync(fst), `not open before cycle 300 (now ${m.cycles})`);
    m.run(137);
    assert.ok(fs.existsSync(fst), `open from cycle 300 (now ${m.cycles})`);
    m.run(137); // past 500: closed, written whole
    const size = fs.statSync(fst).size;
    assert.ok(size > 0);
    m.run(5000);
    assert.equal(fs.statSync(fst).size, size, 'nothing written after the stop cycle');
    const id = m.snapshot(); // the window is over
    m.dropSnapshot(id);
  } finally {
    m.close();
  }
});

test('a window with its stop not after its start is refused; a window from cycle 0 lasts until close', async () => {
  const dir = tmp();
  const m = await model();
  try {
    assert.throws(() => m.waveWindow(path.join(dir, 'bad.fst'), 200, 100), /stop is not after the start/);
    const whole = path.join(dir, 'whole.fst');
    m.waveWindow(whole, 0);
    assert.ok(fs.existsSync(whole));
    m.run(1000);
  } finally {
    m.close();
  }
  assert.ok(fs.statSync(path.join(dir, 'whole.fst')).size > 0);
});
