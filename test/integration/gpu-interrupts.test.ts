// Interrupts of the GPU front-end: one completion MSI-X per IRQ command,
// none when masked or not asked for, INT_STATUS bits and W1C, and the
// completion interrupt ordered after the data it announces. With MSI-X
// disabled (CFG_STATE from the host): INTx instead, held while an unmasked
// INT_STATUS bit is set; the config bits show in CFG_STATE.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { cmd, CMD_FLAG } from '../../bridge/src/gpu/driver';
import { GPU_FIELD, GPU_VEC } from '../../bridge/src/gpu/regs';
import { CfgBit } from '../../bridge/src/protocol/wire';
import { clockRtl, eventually } from '../helpers';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ init: false });
beforeEach(async () => {
  g.s.peer.setConfigState({ msixEnable: true, msixMasked: false, busMaster: true, intxDisable: false });
  await g.drv.init();
  g.s.peer.msixCounts.clear();
});

const CMD_DONE = 1n << BigInt(GPU_FIELD.INT_STATUS_CMD_DONE.lsb);
const count = (v: number) => g.s.peer.msixCounts.get(v) ?? 0;

/**
 * Cycles the RTL is clocked before a check that something did not happen:
 * far more than the GPU takes from a cause to its interrupt, DMA write or
 * ring step (tens of cycles), so a late one would be there by then.
 */
const QUIET_CYCLES = 2000n;
const quiet = () => clockRtl(() => g.drv.read('CYCLE'), QUIET_CYCLES);

test('every command with FLAGS.IRQ sends one completion interrupt', async () => {
  const n = 12;
  for (let i = 0; i < n; i++) await g.drv.submit(cmd.copy(0x20000n, 0x30000n + BigInt(i * 64), 64, CMD_FLAG.IRQ), cmd.nop());
  await g.drv.sync();
  await eventually(() => count(GPU_VEC.COMPLETION) === n, 2000, `${n} completion interrupts`);
  await quiet();
  assert.equal(count(GPU_VEC.COMPLETION), n, 'no more than one per IRQ command');
  assert.equal(count(GPU_VEC.ERROR), 0);
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, CMD_DONE);
  g.drv.write('INT_STATUS', CMD_DONE);
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, 0n, 'W1C');
});

test('commands without FLAGS.IRQ interrupt nothing', async () => {
  await g.drv.submit(cmd.nop(), cmd.fill(0x30000n, 8, 1));
  await g.drv.sync();
  await quiet();
  assert.equal(count(GPU_VEC.COMPLETION), 0);
  assert.equal(await g.drv.read('INT_STATUS'), 0n);
});

test('INT_MASK keeps the vector quiet but INT_STATUS still records the cause', async () => {
  g.drv.write('INT_MASK', CMD_DONE);
  await g.drv.sync(CMD_FLAG.IRQ);
  await quiet();
  assert.equal(count(GPU_VEC.COMPLETION), 0);
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, CMD_DONE);
  g.drv.write('INT_MASK', 0);
  await g.drv.sync(CMD_FLAG.IRQ);
  await eventually(() => count(GPU_VEC.COMPLETION) === 1, 2000, 'interrupt after unmasking');
});

test('the completion interrupt arrives after the data of its command', async () => {
  const len = 32 * 1024;
  g.s.peer.memory.write(0x1000000n, pattern(len, 3));
  let atIrq: Buffer | undefined;
  g.s.peer.once('msix', () => (atIrq = g.s.peer.memory.read(0x2000000n, len)));
  await g.drv.submit(cmd.copy(0x1000000n, 0x2000000n, len, CMD_FLAG.IRQ));
  await eventually(() => atIrq !== undefined, 5000, 'completion interrupt');
  assert.equal(firstDiff(atIrq!, pattern(len, 3)), -1, 'every byte had landed when the MSI-X came');
});

test('an error sends the error vector once, and the interrupt bits say which', async () => {
  await g.drv.submit(cmd.raw(0x7f), cmd.raw(0x7e));
  await eventually(() => count(GPU_VEC.ERROR) === 1, 2000, 'error interrupt');
  await quiet();
  assert.equal(count(GPU_VEC.ERROR), 1, 'the ring stopped at the first error');
  const st = await g.drv.read('INT_STATUS');
  assert.equal(st & (1n << BigInt(GPU_FIELD.INT_STATUS_ERROR.lsb)), 1n << BigInt(GPU_FIELD.INT_STATUS_ERROR.lsb));
});

const INTX = 1n << BigInt(GPU_FIELD.CFG_STATE_INTX.lsb);

test('CFG_STATE shows the config bits the host sent', async () => {
  assert.equal(await g.drv.read('CFG_STATE'), BigInt(CfgBit.MSIX_ENABLE | CfgBit.BUS_MASTER));
  g.s.peer.setConfigState({ msixEnable: false, msixMasked: true, busMaster: false, intxDisable: true });
  assert.equal(await g.drv.read('CFG_STATE'), BigInt(CfgBit.MSIX_MASKED | CfgBit.INTX_DISABLE));
});

test('MSI-X off: a completion asserts INTx instead of an MSI-X, until INT_STATUS is cleared', async () => {
  g.s.peer.setConfigState({ msixEnable: false });
  await g.drv.sync(CMD_FLAG.IRQ);
  await eventually(() => g.s.peer.intx === 1, 2000, 'INTX=1');
  assert.equal(count(GPU_VEC.COMPLETION), 0, 'no MSI-X');
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, CMD_DONE);
  assert.equal((await g.drv.read('CFG_STATE')) & INTX, INTX);
  g.drv.write('INT_STATUS', CMD_DONE);
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, 0n);
  assert.equal(g.s.peer.intx, 0, 'INTX=0 came before the read back');
});

test('MSI-X off: a masked cause keeps INTx low, unmasking it asserts INTx', async () => {
  g.s.peer.setConfigState({ msixEnable: false });
  g.drv.write('INT_MASK', CMD_DONE);
  await g.drv.sync(CMD_FLAG.IRQ);
  await quiet();
  assert.equal(g.s.peer.intx, 0);
  assert.equal((await g.drv.read('INT_STATUS')) & CMD_DONE, CMD_DONE, 'recorded all the same');
  g.drv.write('INT_MASK', 0);
  await eventually(() => g.s.peer.intx === 1, 2000, 'INTX=1 after unmasking');
  g.drv.write('INT_STATUS', CMD_DONE);
  await g.drv.read('INT_STATUS');
  assert.equal(g.s.peer.intx, 0);
});

test('MSI-X back on: the pin drops and completions are MSI-X again', async () => {
  g.s.peer.setConfigState({ msixEnable: false });
  await g.drv.sync(CMD_FLAG.IRQ);
  await eventually(() => g.s.peer.intx === 1, 2000, 'INTX=1');
  g.s.peer.setConfigState({ msixEnable: true });
  await eventually(() => g.s.peer.intx === 0, 2000, 'INTX=0 with MSI-X on');
  await g.drv.sync(CMD_FLAG.IRQ);
  await eventually(() => count(GPU_VEC.COMPLETION) === 1, 2000, 'a completion MSI-X');
  assert.equal(g.s.peer.intx, 0);
});
