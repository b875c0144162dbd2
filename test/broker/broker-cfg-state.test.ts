// CFG_STATE (QEMU -> HDL): relayed like RESET, reserved bits refused, and
// replayed to an HDL peer that joins after it was sent (a restarted
// simulator must not run on its default config state).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { CfgBit, ErrorCode, message, MsgType } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { eventually, FakeHdl, startBroker, testLog } from '../helpers';

async function pair() {
  const b = await startBroker();
  const dev = await new FakeHdl(b.hdl).start();
  const peer = new QemuPeer({ endpoint: b.qemu, log: testLog() });
  await peer.connect();
  return { ...b, dev, peer, stop: async () => (await peer.close(), await dev.close(), await b.broker.stop()) };
}

const cfgStates = (dev: FakeHdl) => dev.received.filter((m) => m.type === MsgType.CFG_STATE).map((m) => m.index);

test('CFG_STATE reaches the HDL side with its bits, counted on the config channel', async () => {
  const s = await pair();
  try {
    assert.deepEqual(s.peer.setConfigState({ msixEnable: false, intxDisable: true }), { msixEnable: false, msixMasked: false, busMaster: true, intxDisable: true });
    s.peer.setConfigState({ busMaster: false });
    await eventually(() => cfgStates(s.dev).length === 2, 2000, 'two CFG_STATE');
    assert.deepEqual(cfgStates(s.dev), [CfgBit.BUS_MASTER | CfgBit.INTX_DISABLE, CfgBit.INTX_DISABLE]);
    assert.equal(s.broker.stats.channels.get('config')?.toHdl, 2);
    assert.match(s.broker.lastTransaction('dev0') ?? '', /^CFG_STATE tag=0 msix=off masked=off master=off intx-disable=on .* to the HDL/);
  } finally {
    await s.stop();
  }
});

test('a CFG_STATE with reserved bits is refused to the QEMU side', async () => {
  const s = await pair();
  try {
    const err = once(s.peer, 'unsolicited-error');
    s.peer.link.send(message(MsgType.CFG_STATE, { index: 0x35 }));
    const [text, code] = await err;
    assert.equal(code, ErrorCode.MALFORMED);
    assert.match(text, /CFG_STATE with reserved bits 0x30 set/);
    // A marker write after it, on the same QEMU -> HDL path, which keeps
    // order: once the HDL has the marker, a forwarded CFG_STATE would be there.
    s.peer.write(0, 0x40, 0x5a, 4);
    await eventually(() => s.dev.received.some((m) => m.type === MsgType.MMIO_WRITE && m.address === 0x40n), 2000, 'the marker write');
    assert.deepEqual(cfgStates(s.dev), []);
  } finally {
    await s.stop();
  }
});

test('an HDL peer that announces later gets the last CFG_STATE', async () => {
  const s = await pair();
  try {
    s.peer.setConfigState({ msixEnable: false });
    await eventually(() => cfgStates(s.dev).length === 1, 2000, 'CFG_STATE');
    await s.dev.close();
    await eventually(() => !s.broker.pairedDevices().includes('dev0'), 2000, 'the first HDL peer gone');
    const again = await new FakeHdl(s.hdl).start();
    try {
      await eventually(() => cfgStates(again).length === 1, 2000, 'CFG_STATE replayed after CONF');
      assert.deepEqual(cfgStates(again), [CfgBit.BUS_MASTER]);
    } finally {
      await again.close();
    }
  } finally {
    await s.stop();
  }
});
