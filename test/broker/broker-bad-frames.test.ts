// Every malformed frame is counted, answered with an ERROR that names it, and
// leaves the broker serving everyone else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zmq from 'zeromq';
import { decode, encode, ErrorCode, HDR_SIZE, message, Message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { FakeHdl, startBroker, testLog } from '../helpers';

async function rawPeer(endpoint: string): Promise<{ sock: zmq.Dealer; ask: (frames: Buffer[]) => Promise<Message> }> {
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: 2000 });
  sock.connect(endpoint);
  await sock.send(encode(message(MsgType.HELLO, { index: Role.QEMU, payload: Buffer.from('dev0') })));
  assert.equal(decode(await sock.receive()).type, MsgType.HELLO);
  const ask = async (frames: Buffer[]) => {
    await sock.send(frames);
    for (;;) {
      const m = decode(await sock.receive());
      if (m.type !== MsgType.PING) return m;
    }
  };
  return { sock, ask };
}

const good = () => encode(message(MsgType.MMIO_READ, { tag: 41, index: 0, address: 0x10n, length: 4 }))[0];
const mutate = (f: (b: Buffer) => void) => {
  const b = Buffer.from(good());
  f(b);
  return [b];
};

const cases: [string, Buffer[], ErrorCode, RegExp][] = [
  ['a truncated header', [good().subarray(0, 20)], ErrorCode.MALFORMED, /header frame is 20 bytes, expected 40/],
  ['a wrong magic', mutate((b) => b.writeUInt32LE(0xdeadbeef, 0)), ErrorCode.MALFORMED, /bad magic 0xdeadbeef/],
  ['a wrong version', mutate((b) => b.writeUInt16LE(9, 4)), ErrorCode.VERSION, /protocol version 9 not supported, this side speaks 1/],
  ['an unknown type', mutate((b) => (b[6] = 0x99)), ErrorCode.MALFORMED, /unknown message type 0x99/],
  ['an oversize payload_len', mutate((b) => b.writeUInt32LE(1 << 20, 28)), ErrorCode.TOO_LARGE, /payload_len 1048576 exceeds 65536/],
  ['a payload that disagrees with payload_len', [mutate((b) => b.writeUInt32LE(8, 28))[0], Buffer.alloc(3)], ErrorCode.MALFORMED, /payload frame is 3 bytes but header says 8/],
  ['three frames', [good(), Buffer.alloc(1), Buffer.alloc(1)], ErrorCode.MALFORMED, /expected 1 or 2 frames, got 3/],
  ['a nonzero reserved field', mutate((b) => b.writeUInt16LE(1, 14)), ErrorCode.MALFORMED, /reserved header field/],
];

test('malformed frames are refused with an ERROR naming the fault', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const dev = await new FakeHdl(hdl).start();
  dev.onMessage = (m, h) => {
    if (m.type === MsgType.MMIO_READ) h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: 4, payload: Buffer.from([1, 2, 3, 4]) }));
  };
  const { sock, ask } = await rawPeer(qemu);
  try {
    for (const [name, frames, code, text] of cases) {
      const reply = await ask(frames);
      assert.equal(reply.type, MsgType.ERROR, name);
      assert.equal(reply.index, code, `${name}: ${reply.payload}`);
      assert.match(reply.payload.toString(), text, name);
      if (frames[0].length === HDR_SIZE && name !== 'a wrong magic') assert.equal(reply.tag, 41, `${name}: the ERROR carries the request's tag`);
    }
    assert.equal(broker.stats.badFrames, cases.length);
    // The same socket and a fresh peer are still served.
    const cpl = await ask([good()]);
    assert.equal(cpl.type, MsgType.MMIO_READ_CPL);
    assert.deepEqual([...cpl.payload], [1, 2, 3, 4]);
  } finally {
    sock.close();
    await dev.close();
    await broker.stop();
  }
});

test('an HDL frame with a wrong version is refused the same way', async () => {
  const { broker, hdl } = await startBroker();
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: 2000 });
  sock.connect(hdl);
  try {
    const b = encode(message(MsgType.HELLO, { index: Role.HDL, payload: Buffer.from('dev0') }));
    b[0].writeUInt16LE(2, 4);
    await sock.send(b);
    const reply = decode(await sock.receive());
    assert.equal(reply.type, MsgType.ERROR);
    assert.equal(reply.index, ErrorCode.VERSION);
    assert.match(reply.payload.toString(), /bad frame from hdl peer .*protocol version 2 not supported/);
  } finally {
    sock.close();
    await broker.stop();
  }
});

test('messages before HELLO and in the wrong direction are refused', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const dev = await new FakeHdl(hdl).start();
  const sock = new zmq.Dealer({ linger: 0, receiveTimeout: 2000 });
  sock.connect(qemu);
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  try {
    await sock.send(encode(message(MsgType.MMIO_READ, { tag: 5, length: 4 })));
    const early = decode(await sock.receive());
    assert.equal(early.index, ErrorCode.UNEXPECTED);
    assert.match(early.payload.toString(), /before HELLO/);
    await peer.connect();
    await assert.rejects(
      peer.link.request(message(MsgType.DMA_READ, { tag: 77, address: 0x1000n, length: 4 }), 'DMA read from the QEMU side'),
      /DMA_READ is not valid from the QEMU side/,
    );
  } finally {
    sock.close();
    await peer.close();
    await dev.close();
    await broker.stop();
  }
});
