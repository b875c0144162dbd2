// DELIVERED is checked like any inbound frame: only from the HDL side, a
// payload of whole u64 stamps whose count is the header's length; a bad one
// is answered with ERROR MALFORMED and counted as a bad frame, and not
// recorded. A broker that does not trace takes a good one and drops it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig } from '../../bridge/src/orchestrate/stack';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { deliveredMessage, ErrorCode, message, MsgType } from '../../bridge/src/protocol/wire';
import { readTrace, RecordKind } from '../../bridge/src/trace/format';
import { TraceWriter } from '../../bridge/src/trace/writer';
import { eventually, FakeHdl, testLog, uniqueEndpoints } from '../helpers';

async function rig(trace?: TraceWriter) {
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({}, ep), testLog(), { trace });
  await broker.start();
  const hdl = new FakeHdl(ep.hdl);
  hdl.onMessage = (m, d) => m.type === MsgType.MMIO_READ && d.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, length: 4, payload: Buffer.from([5, 0, 0, 0]) }));
  await hdl.start();
  const peer = new QemuPeer({ endpoint: ep.qemu, log: testLog() });
  await peer.connect();
  const errors = () => hdl.received.filter((m) => m.type === MsgType.ERROR);
  return { broker, hdl, peer, errors, stop: async () => (await peer.close(), await hdl.close(), await broker.stop()) };
}

test('a malformed DELIVERED from the HDL side is refused, counted and not recorded', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 'd.trace');
  const trace = TraceWriter.open(file);
  const r = await rig(trace);
  try {
    const good = deliveredMessage([7n, 8n]);
    r.hdl.link.send(message(MsgType.DELIVERED, { length: 2, payload: good.payload.subarray(0, 12) }));
    r.hdl.link.send(message(MsgType.DELIVERED, { length: 3, payload: good.payload }));
    r.hdl.link.send(message(MsgType.DELIVERED, { length: 0 }));
    await eventually(() => r.errors().length === 3, 2000, 'three ERRORs');
    const texts = r.errors().map((m) => m.payload.toString());
    assert.ok(r.errors().every((m) => m.index === ErrorCode.MALFORMED));
    assert.match(texts[0], /DELIVERED payload of 12 bytes is not a non-zero multiple of 8/);
    assert.match(texts[1], /DELIVERED length 3 but its payload holds 2 stamps/);
    assert.match(texts[2], /DELIVERED payload of 0 bytes is not a non-zero multiple of 8/);
    assert.equal(r.broker.stats.badFrames, 3);
    r.hdl.link.send(good);
    assert.equal(await r.peer.read(0, 0x0, 4), 5n); // its completion comes after the good DELIVERED
  } finally {
    await r.stop();
    trace.close();
  }
  const t = readTrace(file);
  const stamps = t.records.filter((x) => x.kind === RecordKind.DELIVERED);
  assert.deepEqual(stamps.map((x) => x.cycles), [[7n, 8n]], 'only the good one');
  assert.ok(!t.records.some((x) => x.msg?.type === MsgType.DELIVERED), 'never as a message');
  // The three ERRORs went to the device: recorded, to be stamped like the rest.
  assert.equal(t.records.filter((x) => x.msg?.type === MsgType.ERROR).length, 3);
});

test('DELIVERED from the QEMU side is refused; from the HDL side of a broker that does not trace, dropped', async () => {
  const r = await rig();
  try {
    const unsolicited: string[] = [];
    r.peer.on('unsolicited-error', (text) => unsolicited.push(text));
    // QemuPeer has no DELIVERED of its own: send one on its link.
    (r.peer as unknown as { link: { send: (m: unknown) => void } }).link.send(deliveredMessage([1n]));
    await eventually(() => unsolicited.length === 1, 2000, 'ERROR to the QEMU side');
    assert.match(unsolicited[0], /DELIVERED is not valid from the QEMU side/);
    r.hdl.link.send(deliveredMessage([1n, 2n]));
    r.hdl.link.send(message(MsgType.MMIO_READ_CPL, { tag: 999, length: 4, payload: Buffer.alloc(4) })); // late: a warning, no ERROR
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(r.errors().length, 0);
    assert.equal(r.broker.stats.badFrames, 0);
  } finally {
    await r.stop();
  }
});
