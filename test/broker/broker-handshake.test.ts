import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, message, Message, MsgType } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { PeerError } from '../../bridge/src/peer/peer-link';
import { Broker } from '../../bridge/src/broker/broker';
import { eventually, EXAMPLE_CONF, FakeHdl, startBroker, testLog } from '../helpers';

/** INITs the broker holds for a device whose HDL peer has not announced it. */
const waitingInits = (b: Broker, device: string) =>
  (b as unknown as { devices: Map<string, { pendingInits: unknown[] }> }).devices.get(device)?.pendingInits.length ?? 0;

/** A QEMU peer's own connect timeout, far above the broker's 200 ms init timeout, so the error shows which of the two fired. */
const PEER_CONNECT_TIMEOUT_MS = 20000;

test('INIT is answered with the CONF the HDL announced', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const dev = await new FakeHdl(hdl).start();
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  try {
    assert.deepEqual(await peer.connect(), EXAMPLE_CONF);
    assert.deepEqual(broker.pairedDevices(), ['dev0']);
  } finally {
    await peer.close();
    await dev.close();
    await broker.stop();
  }
});

test('INIT sent before the HDL is up waits for it', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  const conf = peer.connect();
  // The HDL peer starts only once the broker holds the INIT, so the INIT did come first.
  await eventually(() => waitingInits(broker, 'dev0') === 1, 5000, 'the broker holds the INIT');
  const dev = await new FakeHdl(hdl).start();
  try {
    assert.equal((await conf).deviceId, EXAMPLE_CONF.deviceId);
  } finally {
    await peer.close();
    await dev.close();
    await broker.stop();
  }
});

test('config overrides are applied to the CONF', async () => {
  const { broker, qemu, hdl } = await startBroker({ devices: { dev0: { deviceId: '0xbeef', bars: { '2': { size: '0x4000' } } } } });
  const dev = await new FakeHdl(hdl).start();
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  try {
    const conf = await peer.connect();
    assert.equal(conf.deviceId, 0xbeef);
    assert.equal(conf.bars[2].size, 0x4000n);
  } finally {
    await peer.close();
    await dev.close();
    await broker.stop();
  }
});

test('an invalid CONF is refused with the field named, to both sides', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const dev = new FakeHdl(hdl);
  const bad = structuredClone(EXAMPLE_CONF);
  bad.bars[2].size = 0x3000n;
  bad.vendorId = 0xffff;
  await dev.start(bad);
  const peer = new QemuPeer({ endpoint: qemu, log: testLog() });
  try {
    await assert.rejects(peer.connect(), (e: PeerError) => {
      assert.equal(e.code, ErrorCode.BAD_CONF);
      assert.match(e.message, /vendorId: 0xffff is reserved/);
      assert.match(e.message, /bars\[2\]\.size: 0x3000 is not a power of two/);
      return true;
    });
    const toHdl = dev.received.find((m) => m.index === ErrorCode.BAD_CONF);
    assert.ok(toHdl, 'the HDL side is told too');
    assert.match(toHdl.payload.toString(), /bars\[2\]\.size/);
  } finally {
    await peer.close();
    await dev.close();
    await broker.stop();
  }
});

test('INIT with no HDL peer fails after the init timeout, naming the device', async () => {
  const { broker, qemu } = await startBroker();
  broker.config.broker.initTimeoutMs = 200;
  // The peer would give up only after PEER_CONNECT_TIMEOUT_MS, with another
  // text: the error below can only be the broker's init timeout.
  const peer = new QemuPeer({ endpoint: qemu, name: 'gpu7', timeoutMs: PEER_CONNECT_TIMEOUT_MS, log: testLog() });
  try {
    await assert.rejects(peer.connect(), (e: PeerError) => {
      assert.equal(e.code, ErrorCode.NO_PEER);
      assert.match(e.message, /INIT for device 'gpu7': no HDL peer announced it within 200 ms/);
      return true;
    });
    assert.equal(waitingInits(broker, 'gpu7'), 0, 'the timed-out INIT is forgotten');
  } finally {
    await peer.close();
    await broker.stop();
  }
});

test('a QEMU peer with no broker gets a clear error within its timeout', async () => {
  // The point is that the peer's own timeout fires: its text names the 300 ms
  // it was given. NO_BROKER_BOUND_MS only catches a connect that waits on
  // something else (a default or a retry loop): ten times the timeout, so a
  // loaded machine cannot trip it, yet well below the runner's test timeout.
  const NO_BROKER_BOUND_MS = 3000;
  const peer = new QemuPeer({ endpoint: 'ipc:///tmp/cosim-test-nobody-listens.sock', timeoutMs: 300, log: testLog() });
  const t0 = Date.now();
  await assert.rejects(peer.connect(), /no broker answered at ipc:\/\/\/tmp\/cosim-test-nobody-listens\.sock within 300 ms/);
  assert.ok(Date.now() - t0 < NO_BROKER_BOUND_MS, `gave up after ${Date.now() - t0} ms, given 300 ms`);
  await peer.close();
});

test('two devices share one broker, each routed to its own HDL', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const a = await new FakeHdl(hdl, 'a').start();
  const bConf = structuredClone(EXAMPLE_CONF);
  bConf.deviceId = 0xb;
  const b = await new FakeHdl(hdl, 'b').start(bConf);
  const answer = (m: Message, h: FakeHdl) => {
    if (m.type === MsgType.MMIO_READ) h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: m.length, payload: Buffer.alloc(m.length) }));
  };
  a.onMessage = answer;
  b.onMessage = answer;
  const pa = new QemuPeer({ endpoint: qemu, name: 'a', log: testLog() });
  const pb = new QemuPeer({ endpoint: qemu, name: 'b', log: testLog() });
  try {
    assert.equal((await pa.connect()).deviceId, EXAMPLE_CONF.deviceId);
    assert.equal((await pb.connect()).deviceId, 0xb);
    pa.write(0, 0x8, 1, 4);
    pb.write(0, 0x10, 2, 4);
    // Round trips order the check: each read follows its peer's write on the
    // same path, and each is sent only after the other device's write was
    // routed, so a write routed to the wrong HDL would already be there.
    await pa.read(0, 0x0, 4);
    await pb.read(0, 0x0, 4);
    await pa.read(0, 0x0, 4);
    assert.deepEqual(a.received.filter((m) => m.type === MsgType.MMIO_READ).length, 2);
    assert.deepEqual(b.received.filter((m) => m.type === MsgType.MMIO_READ).length, 1);
    assert.deepEqual(a.received.filter((m) => m.type === MsgType.MMIO_WRITE).map((m) => m.address), [0x8n]);
    assert.deepEqual(b.received.filter((m) => m.type === MsgType.MMIO_WRITE).map((m) => m.address), [0x10n]);
  } finally {
    await Promise.all([pa.close(), pb.close(), a.close(), b.close()]);
    await broker.stop();
  }
});
