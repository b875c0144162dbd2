// The testbench API itself: clocking, waiting, timeouts, fresh models,
// waveform windows, the one-live-model-per-library rule.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { Dut, resolveModel, useDut } from '../../bridge/src/testbench';
import { loadAddon, Next, RunFlag, StateBit } from '../../bridge/src/model/native';
import { repoRoot } from '../../bridge/src/orchestrate/process';

const dut = useDut('example', { logLevel: 'error', fresh: true });

test('a fresh model starts at cycle 16 (reset) with the registers at their reset values', async () => {
  assert.equal(dut().cycle, 16n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.SCRATCH), 0n);
  dut().mmio.write64(EX.BAR, EX.SCRATCH, 0xabcdn);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.SCRATCH), 0xabcdn);
});

test('the next test gets a fresh model again', async () => {
  assert.equal(await dut().mmio.read64(EX.BAR, EX.SCRATCH), 0n);
});

test('run(n) clocks exactly n cycles; step(n) does the same synchronously', async () => {
  const c0 = dut().cycle;
  // The bridge cycle (the HDL side's clock on the wire) advances with them, one per cycle.
  const b0 = dut().model.bridgeCycle();
  assert.ok(b0 > 0n, `bridge cycle ${b0} after reset`);
  await dut().run(12345);
  assert.equal(dut().cycle - c0, 12345n);
  assert.equal(dut().model.bridgeCycle() - b0, 12345n);
  dut().step(7);
  assert.equal(dut().cycle - c0, 12352n);
  assert.equal(dut().model.bridgeCycle() - b0, 12352n);
  assert.throws(() => dut().step(1_000_000), /use await dut.run/);
});

test('run of a million cycles yields to the event loop', async () => {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 1);
  await dut().run(1_000_000);
  clearInterval(iv);
  assert.ok(ticks > 0, 'timers ran while the model was clocked');
});

test('until() resolves with the cycles it waited and rejects on timeout, naming what it waited for', async () => {
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 1);
  const waited = await dut().until(() => dut().msix.length === 1, { timeout: 1000 });
  assert.ok(waited > 0 && waited < 1000);
  await assert.rejects(dut().until(() => false, { timeout: 500, what: 'the impossible' }), /the impossible: not done within 500 cycles/);
});

test('concurrent waits share one clock', async () => {
  const c0 = dut().cycle;
  await Promise.all([dut().run(1000), dut().run(3000), dut().mmio.read64(EX.BAR, EX.ID)]);
  assert.equal(dut().cycle - c0, 3000n);
});

test('a second live model of the same library is refused; closing frees the slot', async () => {
  await assert.rejects(Dut.load('example'), /already alive/);
  dut().close();
  const again = await Dut.load('example', { logLevel: 'error' });
  assert.equal(await again.mmio.read64(EX.BAR, EX.ID), EX.ID_VALUE);
  again.close();
  assert.throws(() => again.step(1), /closed/);
});

test('waveform windows: two FST files of the cycles they were open for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-wave-'));
  try {
    const a = path.join(dir, 'a.fst');
    const b = path.join(dir, 'b.fst');
    dut().wave.open(a);
    await dut().run(100);
    dut().wave.close();
    await dut().run(1000);
    dut().wave.open(b);
    await dut().mmio.read64(EX.BAR, EX.ID);
    dut().wave.close();
    for (const f of [a, b]) assert.ok(fs.statSync(f).size > 100, `${f} written`);
    assert.throws(() => dut().wave.open(path.join(dir, 'no', 'such', 'dir.fst')), /cannot open waveform/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a malformed request is answered with an ERROR, and the model keeps working', async () => {
  await assert.rejects(dut().mmio.read(EX.BAR, 0x3, 4), /not aligned/);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.ID), EX.ID_VALUE);
});

test('two designs in one process: the example and the AXI test device side by side', async () => {
  const other = await Dut.load('axi_test', { logLevel: 'error' });
  try {
    const [a, b] = await Promise.all([dut().mmio.read64(EX.BAR, EX.ID), other.mmio.read64(0, 0)]);
    assert.equal(a, EX.ID_VALUE);
    assert.equal(b, 0x0000_7e57_a710_0001n);
    assert.equal(other.model.top, 'axi_test_top');
    assert.equal(dut().model.top, 'cosim_top');
  } finally {
    other.close();
  }
});

test('a model loads by project name, project folder, top name, library path and build directory', async () => {
  const lib = await resolveModel('axi_test');
  for (const spec of ['axi_test_top', lib, path.dirname(lib), path.join(repoRoot, 'hdl', 'test'), path.join(repoRoot, 'hdl', 'test', 'cosim.json')]) {
    const d = await Dut.load(spec, { logLevel: 'error' });
    try {
      assert.equal(d.conf.deviceId, 0x7e57, spec);
    } finally {
      d.close();
    }
  }
  await assert.rejects(Dut.load('no_such_top'), /model 'no_such_top': not a project \(axi_test, example, gpu, or a folder with a cosim\.json\), not a top built with/);
});

test('the addon\'s run flags, state bits and next steps are the ones the TypeScript side uses', () => {
  const a = loadAddon();
  assert.deepEqual(a.runFlags, RunFlag);
  assert.deepEqual(a.stateBits, StateBit);
  assert.deepEqual(a.next, Next);
});
