// INTX (HDL -> QEMU): relayed like an MSI-X, levels other than 0/1 refused,
// counted on its own channel, and a pin left asserted by an HDL peer that
// goes away is dropped for it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ErrorCode, message, MsgType } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { eventually, FakeHdl, startBroker, testLog } from '../helpers';

async function pair() {
  const b = await startBroker();
  const dev = await new FakeHdl(b.hdl).start();
  const peer = new QemuPeer({ endpoint: b.qemu, log: testLog() });
  await peer.connect();
  return { ...b, dev, peer, stop: async () => (await peer.close(), await dev.close(), await b.broker.stop()) };
}

test('INTX levels reach the QEMU side in order, with the RTL cycle', async () => {
  const s = await pair();
  try {
    const seen: [number, bigint][] = [];
    s.peer.on('intx', (level, cycle) => seen.push([level, cycle]));
    s.dev.link.send(message(MsgType.INTX, { index: 1, cycle: 100n }));
    s.dev.link.send(message(MsgType.INTX, { index: 0, cycle: 200n }));
    s.dev.link.send(message(MsgType.INTX, { index: 1, cycle: 300n }));
    await eventually(() => seen.length === 3, 2000, 'three INTX');
    assert.deepEqual(seen, [[1, 100n], [0, 200n], [1, 300n]]);
    assert.equal(s.peer.intx, 1);
    assert.equal(s.broker.stats.channels.get('intx')?.toQemu, 3);
    assert.match(s.broker.lastTransaction('dev0') ?? '', /^INTX tag=0 level=1 .* to QEMU/);
  } finally {
    await s.stop();
  }
});

test('an INTX level other than 0 or 1 is refused to the HDL side and not relayed', async () => {
  const s = await pair();
  try {
    s.dev.link.send(message(MsgType.INTX, { index: 2 }));
    await eventually(() => s.dev.received.some((m) => m.type === MsgType.ERROR), 2000, 'ERROR');
    const err = s.dev.received.find((m) => m.type === MsgType.ERROR)!;
    assert.equal(err.index, ErrorCode.MALFORMED);
    assert.match(err.payload.toString(), /INTX level 2 is not 0 or 1/);
    assert.equal(s.peer.host.intxChanges, 0);
    assert.equal(s.broker.stats.channels.get('intx')?.errors, 1);
  } finally {
    await s.stop();
  }
});

test('the pin is deasserted for an HDL peer that leaves with it asserted', async () => {
  const s = await pair();
  try {
    s.dev.link.send(message(MsgType.INTX, { index: 1 }));
    await eventually(() => s.peer.intx === 1, 2000, 'INTX=1');
    const down = once(s.peer, 'intx');
    await s.dev.close();
    assert.equal((await down)[0], 0);
    assert.equal(s.peer.intx, 0);
  } finally {
    await s.stop();
  }
});
