// An ERROR no request waits for (here the broker refusing a CFG_STATE with
// reserved bits) must not take the QEMU stand-in's link down: nobody listens
// for it, yet the peer logs it, keeps it, and goes on working.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, message, MsgType } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { FakeHdl, startBroker, testLog } from '../helpers';

test('an unsolicited ERROR with no listener is kept, and the link lives on', async () => {
  const b = await startBroker();
  const dev = await new FakeHdl(b.hdl).start();
  // The device answers every read with 0x2a.
  dev.onMessage = (m, h) => m.type === MsgType.MMIO_READ && h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, payload: Buffer.from([0x2a, 0, 0, 0]) }));
  const peer = new QemuPeer({ endpoint: b.qemu, log: testLog() });
  let lost: string | undefined;
  peer.on('lost', (r) => (lost = r));
  try {
    await peer.connect();
    peer.link.send(message(MsgType.CFG_STATE, { tag: 77, index: 0x35 }));
    // The read is answered after the ERROR (the broker answers in order): by then the ERROR was handled.
    assert.equal(await peer.read(0, 0x8, 4), 0x2an);
    assert.equal(peer.unsolicitedErrors, 1);
    assert.equal(peer.lastError?.code, ErrorCode.MALFORMED);
    assert.equal(peer.lastError?.tag, 77);
    assert.match(peer.lastError?.text ?? '', /CFG_STATE with reserved bits 0x30 set/);
    assert.equal(lost, undefined, 'the link was not torn down');
  } finally {
    await peer.close();
    await dev.close();
    await b.broker.stop();
  }
});
