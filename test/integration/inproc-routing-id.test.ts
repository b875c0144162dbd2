// A socket peer chooses its own routing id (ZMQ_ROUTING_ID). One that takes
// the in-process HDL peer's id must stay a stranger: it cannot speak for the
// in-process RTL, and the device keeps working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as zmq from 'zeromq';
import { EX } from '../../bridge/src/example-device';
import { InprocStack, startInprocStack } from '../../bridge/src/orchestrate/stack';
import { encode, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { testLog } from '../helpers';

let s: InprocStack;
before(async () => (s = await startInprocStack({ log: testLog(), model: 'example', name: 'dev0', simLogLevel: 'error', requestTimeoutMs: 1000 })));
after(async () => s?.stop());

test("a socket peer using the in-process peer's routing id does not take its place", async () => {
  const impostor = new zmq.Dealer({ routingId: 'inproc:dev0:1', linger: 0 });
  impostor.connect(s.endpoints.hdl);
  try {
    // Were it taken for the in-process peer, this HELLO would rename that peer and free dev0.
    await impostor.send(encode(message(MsgType.HELLO, { tag: 1, index: Role.HDL, payload: Buffer.from('evil') })));
    await impostor.send(encode(message(MsgType.MMIO_READ_CPL, { tag: 1, payload: Buffer.alloc(8, 0xee) })));
    // Ordered behind those: the device still answers, from the in-process RTL.
    for (let i = 0; i < 3; i++) assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE);
    assert.equal(s.hdl.stopReason, '', 'the in-process peer is still attached');
  } finally {
    impostor.close();
  }
});
