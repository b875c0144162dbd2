// A peer that does not answer: every wait ends at its timeout with an error
// that names the transaction, the peer and the cycle.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { Proc } from '../../bridge/src/orchestrate/process';
import { PeerError, PeerLink } from '../../bridge/src/peer/peer-link';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { eventually, FakeHdl, repoRoot, startBroker, testLog, uniqueEndpoints } from '../helpers';

const fakeHdl = path.join(repoRoot, 'dist', 'test', 'fixtures', 'fake-hdl.js');

async function ready(p: Proc): Promise<void> {
  await eventually(() => p.stdoutLines.includes('ready') || !p.running, 5000, 'fake HDL ready');
  assert.ok(p.running, `fake HDL ${p.describeExit()}: ${p.stderrTail.join('\n')}`);
}

test('an MMIO read the HDL never answers times out with the transaction named', async () => {
  const { broker, qemu, hdl } = await startBroker({ requestTimeoutMs: 300 });
  const dev = new Proc('fake-hdl', process.execPath, [fakeHdl, hdl, 'dev0', '4242'], { echo: () => undefined });
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  try {
    await ready(dev);
    await peer.connect();
    await assert.rejects(peer.read(0, 0x10, 4), (e: PeerError) => {
      assert.equal(e.code, ErrorCode.TIMEOUT);
      assert.match(e.message, /MMIO read timeout: device 'dev0' MMIO read BAR0\+0x10 len 4 tag \d+: hdl peer 'dev0' did not answer within 300 ms \(last heard \d+ ms ago at cycle 4242\)/);
      return true;
    });
    // The broker's timeout fired (not the peer's own, whose text is "no answer
    // from the broker"): the text above is the broker's, and it counted it.
    assert.equal(broker.stats.channels.get('mmio')?.timeouts, 1);
  } finally {
    await peer.close();
    await dev.stop();
    await broker.stop();
  }
});

test('a DMA read the QEMU side never answers times out at the HDL', async () => {
  const { broker, qemu, hdl } = await startBroker({ requestTimeoutMs: 300 });
  const dev = await new FakeHdl(hdl).start();
  const silentQemu = new PeerLink({ endpoint: qemu, name: 'dev0', role: Role.QEMU, timeoutMs: 2000, log: testLog() });
  try {
    await silentQemu.connect();
    await assert.rejects(
      dev.link.request(message(MsgType.DMA_READ, { tag: 31, address: 0xabc000n, length: 64, cycle: 777n }), 'DMA read', 3000),
      /DMA read timeout: device 'dev0' tag 31 addr 0xabc000 len 64 requested at cycle 777: qemu peer 'dev0' did not answer within 300 ms/,
    );
  } finally {
    await silentQemu.close();
    await dev.close();
    await broker.stop();
  }
});

test('an HDL killed mid-transaction: the waiting read fails naming the lost peer', async () => {
  const { broker, qemu, hdl } = await startBroker({ requestTimeoutMs: 10000, peerTimeoutMs: 400, heartbeatMs: 100 });
  const dev = new Proc('fake-hdl', process.execPath, [fakeHdl, hdl, 'dev0', '99'], { echo: () => undefined });
  const peer = new QemuPeer({ endpoint: qemu, timeoutMs: 10000, log: testLog() });
  try {
    await ready(dev);
    await peer.connect();
    const read = peer.read(0, 0x8, 8);
    await eventually(() => dev.stdoutLines.some((l) => l.startsWith('got MMIO_READ')), 2000, 'read reached the HDL');
    dev.child.kill('SIGKILL');
    await assert.rejects(read, (e: PeerError) => {
      assert.equal(e.code, ErrorCode.PEER_GONE);
      assert.match(e.message, /MMIO read: device 'dev0' MMIO read BAR0\+0x8 len 8 tag \d+ failed: hdl peer 'dev0' (disconnected \(ZeroMQ closed its connection: [^)]*\)|silent for \d+ ms \(limit 400 ms\)) \(last cycle 99\)/);
      return true;
    });
    // Failed by the loss of the peer, not by the 10 s request timeout: the
    // code is PEER_GONE (not TIMEOUT) and the broker counted no timeout.
    assert.equal(broker.stats.channels.get('mmio')?.timeouts ?? 0, 0);
    // The device is gone: a new read is refused at once instead of waiting.
    await assert.rejects(peer.read(0, 0x8, 8), /no HDL peer for device 'dev0'/);
  } finally {
    await peer.close();
    await dev.stop();
    await broker.stop();
  }
});

test('a broker killed while a peer waits: the peer fails within its peer timeout', async () => {
  const ep = uniqueEndpoints();
  const brokerProc = new Proc('broker', process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--request-timeout-ms', '20000', '--log-level', 'warn'], { echo: () => undefined });
  let dev: Proc | undefined;
  const peer = new QemuPeer({ endpoint: ep.qemu, timeoutMs: 20000, peerTimeoutMs: 1000, log: testLog() });
  try {
    // Start once the broker process has bound both endpoints (their socket files exist).
    await eventually(() => [ep.qemu, ep.hdl].every((e) => fs.existsSync(e.slice('ipc://'.length))) || !brokerProc.running, 10000, 'the broker bound its endpoints');
    assert.ok(brokerProc.running, `broker ${brokerProc.describeExit()}: ${brokerProc.stderrTail.join('\n')}`);
    dev = new Proc('fake-hdl', process.execPath, [fakeHdl, ep.hdl, 'dev0', '1'], { echo: () => undefined });
    await ready(dev);
    await peer.connect();
    const lost = once(peer, 'lost');
    const read = peer.read(0, 0x10, 4);
    await eventually(() => dev!.stdoutLines.some((l) => l.startsWith('got MMIO_READ')), 2000, 'read reached the HDL');
    brokerProc.child.kill('SIGKILL');
    // "went silent" is the peer timeout's text (the 20 s request timeout would
    // say "no answer from the broker"), so this is the peer timeout that fired.
    await assert.rejects(read, (e: PeerError) => {
      assert.match(e.message, /MMIO read BAR0\+0x10 len 4 tag \d+: broker at ipc:.* went silent for \d+ ms/);
      assert.doesNotMatch(e.message, /no answer from the broker/);
      return true;
    });
    assert.match(String((await lost)[0]), /went silent/);
  } finally {
    await peer.close();
    await dev?.stop();
    await brokerProc.stop();
  }
});
