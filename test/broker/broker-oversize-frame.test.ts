// A frame larger than the protocol allows never reaches the broker: ZeroMQ
// (maxMessageSize = MAX_FRAME) drops the sender's connection, the broker
// reports that peer gone and frees its device, and serves everyone else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { MAX_FRAME } from '../../bridge/src/protocol/link';
import { encode, HDR_SIZE, MAX_PAYLOAD, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { eventually, FakeHdl, testLog } from '../helpers';
import { brokerWith, helloPeer } from './bounded';

/** Time for the broker to notice a dropped connection: a few heartbeats (100 ms), generously. */
const REPORT_BOUND_MS = 5000;

test('MAX_FRAME is the largest legal frame: a full payload frame', () => {
  assert.equal(MAX_FRAME, Math.max(HDR_SIZE, MAX_PAYLOAD));
});

test('an oversize frame drops its sender, reported, while the broker serves the others', async () => {
  const b = await brokerWith({ peerTimeoutMs: 60000 });
  const dev = await new FakeHdl(b.hdl).start();
  dev.onMessage = (m, h) => {
    if (m.type === MsgType.MMIO_READ) h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: 4, payload: Buffer.from([1, 2, 3, 4]) }));
  };
  const peer = new QemuPeer({ endpoint: b.qemu, log: testLog() });
  const big = await helloPeer(b.qemu, Role.QEMU, 'big');
  let again: Awaited<ReturnType<typeof helloPeer>> | undefined;
  try {
    await peer.connect();
    const [header] = encode(message(MsgType.SERIAL, { payload: Buffer.alloc(1) }));
    header.writeUInt32LE(MAX_FRAME + 1, 28);
    await big.send([header, Buffer.alloc(MAX_FRAME + 1)]);
    await eventually(() => b.gone.some((g) => g.startsWith("qemu big: disconnected (ZeroMQ closed its connection")), REPORT_BOUND_MS, `the oversize sender reported gone (${b.gone.join('; ')})`);
    assert.equal(b.broker.stats.badFrames, 0, 'the frame never reached the decoder');
    // The others are served, and a frame of exactly MAX_FRAME bytes passes.
    assert.equal(await peer.read(0, 0x10, 4), 0x04030201n);
    peer.link.send(message(MsgType.SERIAL, { payload: Buffer.alloc(MAX_FRAME, 7) }));
    await eventually(() => dev.received.some((m) => m.type === MsgType.SERIAL && m.payload.length === MAX_FRAME), REPORT_BOUND_MS, 'a full-size frame relayed');
    // The dropped peer's device is free again.
    again = await helloPeer(b.qemu, Role.QEMU, 'big');
  } finally {
    big.close();
    again?.close();
    await peer.close();
    await dev.close();
    await b.broker.stop();
  }
});
