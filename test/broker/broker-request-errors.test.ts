// Requests the broker refuses itself, before they reach the other side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, MAX_NIC_FRAME, message, MsgType } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { PeerError } from '../../bridge/src/peer/peer-link';
import { eventually, FakeHdl, startBroker, testLog } from '../helpers';

async function pair() {
  const b = await startBroker();
  const dev = await new FakeHdl(b.hdl).start();
  const peer = new QemuPeer({ endpoint: b.qemu, log: testLog() });
  await peer.connect();
  return { ...b, dev, peer, stop: async () => (await peer.close(), await dev.close(), await b.broker.stop()) };
}

test('MMIO to an unmapped BAR or past its end is answered UNMAPPED', async () => {
  const s = await pair();
  try {
    await assert.rejects(s.peer.read(1, 0, 4), (e: PeerError) => e.code === ErrorCode.UNMAPPED && /MMIO read BAR1\+0x0 len 4 tag \d+: BAR1 is not present on device 'dev0'/.test(e.message));
    await assert.rejects(s.peer.read(2, 0x1000, 4), (e: PeerError) => e.code === ErrorCode.UNMAPPED && /past the end of BAR2 \(size 0x1000\)/.test(e.message));
    await assert.rejects(s.peer.read(0, 0x3, 4), /address not aligned to the access size/);
    await assert.rejects(s.peer.link.request(message(MsgType.MMIO_READ, { tag: 999, length: 3 }), 'read of 3 bytes'), /access size must be 1, 2, 4 or 8 bytes/);
    assert.equal(s.dev.received.filter((m) => m.type === MsgType.MMIO_READ).length, 0, 'nothing reached the HDL');
  } finally {
    await s.stop();
  }
});

test('a DMA read longer than the limit is refused to the HDL', async () => {
  const s = await pair();
  try {
    await assert.rejects(
      s.dev.link.request(message(MsgType.DMA_READ, { tag: 12, address: 0x1000n, length: 32 * 1024 * 1024 }), 'huge DMA read'),
      (e: PeerError) => e.code === ErrorCode.TOO_LARGE && /DMA read length 33554432 outside 1\.\.16777216/.test(e.message),
    );
    assert.equal(s.peer.dmaReads, 0);
  } finally {
    await s.stop();
  }
});

test('an oversize NIC frame and an MSI-X vector out of range are refused', async () => {
  const s = await pair();
  try {
    s.dev.link.send(message(MsgType.NIC_FRAME, { payload: Buffer.alloc(MAX_NIC_FRAME + 1) }));
    s.dev.link.send(message(MsgType.MSIX, { index: 9 }));
    await eventually(() => s.dev.received.filter((m) => m.type === MsgType.ERROR).length === 2, 2000, 'two ERRORs');
    const texts = s.dev.received.filter((m) => m.type === MsgType.ERROR).map((m) => m.payload.toString());
    assert.match(texts[0], /NIC frame of 16385 bytes outside 1\.\.16384/);
    assert.match(texts[1], /MSI-X vector 9 but the device has 4 vectors/);
    assert.equal(s.peer.msixCounts.size, 0);
  } finally {
    await s.stop();
  }
});
