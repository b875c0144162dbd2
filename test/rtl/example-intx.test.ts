// The example device's INTx and the PCI config state (CFG_STATE) it sees:
// with MSI-X disabled a raised vector latches in IRQ_STATUS and holds INTX=1
// until the host clears it; with MSI-X enabled it is an MSI-X as before; the
// cfg_* bits reach the RTL (CFG_STATE register, and no DMA without bus
// mastering).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { firstDiff, pattern } from '../../bridge/src/example-ops';
import { CfgBit, message, MsgType } from '../../bridge/src/protocol/wire';
import { Dut, useDut } from '../../bridge/src/testbench';

const dut = useDut('example', { logLevel: 'error', fresh: true });
const levels = (d: Dut) => d.intxChanges.map((e) => e.level);

async function dmaStatus(d: Dut): Promise<bigint> {
  for (;;) {
    const st = await d.mmio.read64(EX.BAR, EX.DMA_STATUS);
    if (!(st & BigInt(EX.STATUS_BUSY)) && st & BigInt(EX.STATUS_DONE)) return st;
    await d.run(100);
  }
}

test('before any CFG_STATE: MSI-X and bus mastering on, vectors go out as MSI-X, no INTx', async () => {
  assert.equal(await dut().mmio.read64(EX.BAR, EX.CFG_STATE), BigInt(CfgBit.MSIX_ENABLE | CfgBit.BUS_MASTER));
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 1);
  assert.equal((await dut().nextMsix(undefined, { timeout: 1000 })).vector, 1);
  await dut().run(200);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0n);
  assert.deepEqual(dut().intxChanges, []);
});

test('every config bit reaches the RTL and survives a host reset', async () => {
  for (const bits of [0, CfgBit.MSIX_MASKED | CfgBit.INTX_DISABLE, CfgBit.ALL, CfgBit.BUS_MASTER]) {
    const c = { msixEnable: !!(bits & 1), msixMasked: !!(bits & 2), busMaster: !!(bits & 4), intxDisable: !!(bits & 8) };
    dut().setConfigState(c);
    assert.equal(await dut().mmio.read64(EX.BAR, EX.CFG_STATE), BigInt(bits), `bits 0x${bits.toString(16)}`);
  }
  dut().reset();
  await dut().run(100);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.CFG_STATE), BigInt(CfgBit.BUS_MASTER), 'the host state outlives the device reset');
});

test('MSI-X off: a vector raises INTX=1 and its IRQ_STATUS bit; clearing it lowers INTx before a read back returns', async () => {
  dut().setConfigState({ msixEnable: false });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 2);
  await dut().until(() => dut().intx === 1, { timeout: 1000, what: 'INTX=1' });
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0b100n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.CFG_STATE), BigInt(CfgBit.BUS_MASTER | EX.CFG_STATE_INTX));
  assert.deepEqual(dut().msix, [], 'no MSI-X with MSI-X disabled');
  dut().mmio.write64(EX.BAR, EX.IRQ_STATUS, 0b100n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0n);
  assert.equal(dut().intx, 0, 'INTX=0 arrived before the read completion');
  await dut().run(200);
  assert.deepEqual(levels(dut()), [1, 0]);
});

test('the pin stays up until every raised vector is cleared', async () => {
  dut().setConfigState({ msixEnable: false });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 0);
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 3);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0b1001n);
  dut().mmio.write64(EX.BAR, EX.IRQ_STATUS, 0b0001n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0b1000n);
  assert.equal(dut().intx, 1);
  dut().mmio.write64(EX.BAR, EX.IRQ_STATUS, 0b1000n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0n);
  assert.deepEqual(levels(dut()), [1, 0], 'one rise, one fall');
});

test('MSI-X off: the INTx of a DMA completion comes after the copied data', async () => {
  dut().setConfigState({ msixEnable: false });
  const data = pattern(4096, 5);
  dut().memory.write(0x100000n, data);
  let atIrq: Buffer | undefined;
  dut().once('intx', () => (atIrq = dut().memory.read(0x200000n, 4096)));
  dut().mmio.write64(EX.BAR, EX.DMA_SRC, 0x100000n);
  dut().mmio.write64(EX.BAR, EX.DMA_DST, 0x200000n);
  dut().mmio.write64(EX.BAR, EX.DMA_LEN, 4096);
  dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START | EX.CTRL_IRQ | (1 << 8));
  await dut().until(() => dut().intx === 1, { what: 'INTX=1 after the copy' });
  assert.equal(firstDiff(atIrq!, data), -1, 'host memory held the copy when INTx rose');
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0b10n);
});

test('enabling MSI-X drops the pin and vectors go out as MSI-X again', async () => {
  dut().setConfigState({ msixEnable: false });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 1);
  await dut().until(() => dut().intx === 1, { timeout: 1000, what: 'INTX=1' });
  dut().setConfigState({ msixEnable: true });
  await dut().until(() => dut().intx === 0, { timeout: 1000, what: 'INTX=0 once MSI-X is on' });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 3);
  assert.equal((await dut().nextMsix(undefined, { timeout: 1000 })).vector, 3);
  await dut().run(200);
  assert.deepEqual(levels(dut()), [1, 0]);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0b10n, 'the INTx-era cause is still latched, but gated');
});

test('Interrupt Disable is left to the host: the device still reports its level', async () => {
  dut().setConfigState({ msixEnable: false, intxDisable: true });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 0);
  await dut().until(() => dut().intx === 1, { timeout: 1000, what: 'INTX=1 with Interrupt Disable set' });
});

test('a host reset lowers the pin and reports the level again', async () => {
  dut().setConfigState({ msixEnable: false });
  dut().mmio.write64(EX.BAR, EX.MSIX_TRIGGER, 0);
  await dut().until(() => dut().intx === 1, { timeout: 1000, what: 'INTX=1' });
  const n = dut().intxChanges.length;
  dut().reset();
  await dut().until(() => dut().intx === 0, { timeout: 1000, what: 'INTX=0 after the reset' });
  await dut().run(100);
  assert.ok(dut().intxChanges.length > n);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.IRQ_STATUS), 0n);
});

test('bus mastering off: a DMA start fails at once and touches no host memory', async () => {
  dut().setConfigState({ busMaster: false });
  const reads = dut().host.dmaReads;
  dut().memory.write(0x300000n, Buffer.alloc(64, 0x77));
  dut().mmio.write64(EX.BAR, EX.DMA_SRC, 0x100000n);
  dut().mmio.write64(EX.BAR, EX.DMA_DST, 0x300000n);
  dut().mmio.write64(EX.BAR, EX.DMA_LEN, 64);
  dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START);
  const st = await dmaStatus(dut());
  assert.notEqual(st & BigInt(EX.STATUS_ERROR), 0n);
  assert.equal(dut().host.dmaReads, reads);
  assert.ok(dut().memory.read(0x300000n, 64).equals(Buffer.alloc(64, 0x77)));
  dut().setConfigState({ busMaster: true });
  dut().memory.write(0x100000n, pattern(64, 1));
  dut().mmio.write64(EX.BAR, EX.DMA_CTRL, EX.CTRL_START);
  assert.equal((await dmaStatus(dut())) & BigInt(EX.STATUS_ERROR), 0n, 'with bus mastering back on the copy runs');
  assert.ok(dut().memory.read(0x300000n, 64).equals(pattern(64, 1)));
});

test('the shim refuses a CFG_STATE with reserved bits', async () => {
  dut().push(message(MsgType.CFG_STATE, { tag: 5, index: 0x13 }));
  await dut().until(() => dut().errors.length > 0, { timeout: 1000, what: 'ERROR from the shim' });
  assert.match(dut().errors[0].payload.toString(), /CFG_STATE with reserved bits 0x10 set/);
  assert.equal(await dut().mmio.read64(EX.BAR, EX.CFG_STATE), BigInt(CfgBit.MSIX_ENABLE | CfgBit.BUS_MASTER), 'state unchanged');
});
