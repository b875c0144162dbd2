import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../../bridge/src/protocol/wire';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { PeerError } from '../../bridge/src/peer/peer-link';
import { EXAMPLE_CONF, FakeHdl, startBroker, testLog } from '../helpers';

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
  await new Promise((r) => setTimeout(r, 100));
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
  const peer = new QemuPeer({ endpoint: qemu, name: 'gpu7', log: testLog() });
  const t0 = Date.now();
  try {
    await assert.rejects(peer.connect(), /INIT for device 'gpu7': no HDL peer announced it within 200 ms/);
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    await peer.close();
    await broker.stop();
  }
});

test('a QEMU peer with no broker gets a clear error within its timeout', async () => {
  const peer = new QemuPeer({ endpoint: 'ipc:///tmp/cosim-test-nobody-listens.sock', timeoutMs: 300, log: testLog() });
  const t0 = Date.now();
  await assert.rejects(peer.connect(), /no broker answered at ipc:\/\/\/tmp\/cosim-test-nobody-listens\.sock within 300 ms/);
  assert.ok(Date.now() - t0 < 1500);
  await peer.close();
});

test('two devices share one broker, each routed to its own HDL', async () => {
  const { broker, qemu, hdl } = await startBroker();
  const a = await new FakeHdl(hdl, 'a').start();
  const bConf = structuredClone(EXAMPLE_CONF);
  bConf.deviceId = 0xb;
  const b = await new FakeHdl(hdl, 'b').start(bConf);
  const pa = new QemuPeer({ endpoint: qemu, name: 'a', log: testLog() });
  const pb = new QemuPeer({ endpoint: qemu, name: 'b', log: testLog() });
  try {
    assert.equal((await pa.connect()).deviceId, EXAMPLE_CONF.deviceId);
    assert.equal((await pb.connect()).deviceId, 0xb);
    pa.write(0, 0x8, 1, 4);
    pb.write(0, 0x10, 2, 4);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(a.received.filter((m) => m.length === 4).map((m) => m.address), [0x8n]);
    assert.deepEqual(b.received.filter((m) => m.length === 4).map((m) => m.address), [0x10n]);
  } finally {
    await Promise.all([pa.close(), pb.close(), a.close(), b.close()]);
    await broker.stop();
  }
});
