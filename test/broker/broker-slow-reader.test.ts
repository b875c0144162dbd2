// A peer that stops reading fills only its own send queue: when that passes
// broker.sendQueueBytes the broker drops it, says why and counts it, and
// another device pair goes on working all the while.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { MAX_PAYLOAD, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { FakeHdl, testLog } from '../helpers';
import { brokerWith, helloPeer } from './bounded';

const QUEUE_BYTES = 1024 * 1024;
/** The bound on each read of the working pair (broker request timeout and peer timeout): generous, a stalled broker exceeds any. */
const READ_BOUND_MS = 5000;
/** Messages the flood may take to fill ZeroMQ's pipe (1024), the kernel's buffers and QUEUE_BYTES: far more than enough. */
const FLOOD_CAP = 20000;

test('a peer that never reads is dropped when its queue overflows; the other pair keeps working', async () => {
  const b = await brokerWith({ sendQueueBytes: QUEUE_BYTES, requestTimeoutMs: READ_BOUND_MS, peerTimeoutMs: 60000 });
  const fastHdl = await new FakeHdl(b.hdl, 'fast').start();
  fastHdl.onMessage = (m, h) => {
    if (m.type === MsgType.MMIO_READ) h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: 4, payload: Buffer.from([5, 6, 7, 8]) }));
  };
  const fast = new QemuPeer({ endpoint: b.qemu, name: 'fast', timeoutMs: READ_BOUND_MS, log: testLog() });
  const slowHdl = await new FakeHdl(b.hdl, 'slow').start();
  // Says HELLO, then never reads again: ZeroMQ holds one message for it.
  const slowQemu = await helloPeer(b.qemu, Role.QEMU, 'slow', { receiveHighWaterMark: 1 });
  const again = new QemuPeer({ endpoint: b.qemu, name: 'slow', log: testLog() });
  try {
    await fast.connect();
    const dropped = () => b.gone.find((g) => g.startsWith('qemu slow:'));
    let reads = 0;
    let flooding = true;
    const reader = (async () => {
      while (flooding && !dropped()) {
        assert.equal(await fast.read(0, 0x10, 4), 0x08070605n);
        reads++;
      }
    })();
    const chunk = Buffer.alloc(MAX_PAYLOAD, 0xa5);
    // Paced by what the broker has taken, so that `sent` counts what reached it.
    const relayed = () => (b.broker.stats.channels.get('dma')?.toQemu ?? 0) + (b.broker.stats.channels.get('msix')?.toQemu ?? 0);
    let sent = 0;
    while (!dropped() && sent < FLOOD_CAP) {
      if (sent - relayed() < 64) {
        for (let i = 0; i < 16; i++, sent++) {
          slowHdl.link.send(i % 8 ? message(MsgType.DMA_WRITE, { address: 0x100000n, payload: chunk }) : message(MsgType.MSIX, { index: 1 }));
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    flooding = false;
    await reader;
    assert.match(dropped() ?? `not dropped after ${sent} messages`, new RegExp(`^qemu slow: does not read: its send queue passed ${QUEUE_BYTES} bytes`));
    assert.equal(b.broker.stats.queueOverflows, 1);
    assert.ok(reads > 0, 'the other pair was served during the flood');
    for (let i = 0; i < 10; i++) assert.equal(await fast.read(0, 0x10, 4), 0x08070605n);
    // The dropped peer's device slot is free; its HDL side still answers.
    assert.equal((await again.connect()).deviceId, 0xc051);
  } finally {
    slowQemu.close();
    await again.close();
    await fast.close();
    await slowHdl.close();
    await fastHdl.close();
    await b.broker.stop();
  }
});
