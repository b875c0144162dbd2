// A broker with a trace between a QEMU stand-in and a fake HDL peer that
// stamps what it takes in: MMIO read and completion, DMA read and its
// completion, DMA write and MSI-X, each message to the device joined to its
// DELIVERED stamp; the link's own HELLO, PING, PONG and DELIVERED are not
// recorded; Flag.TRACE is on the HDL's HELLO answer only when tracing.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig } from '../../bridge/src/orchestrate/stack';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { decode, deliveredMessage, encode, Flag, message, Message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { Dir, HDL_JOINED, readTrace, RecordKind, transactions } from '../../bridge/src/trace/format';
import { TraceWriter } from '../../bridge/src/trace/writer';
import { eventually, FakeHdl, testLog, uniqueEndpoints } from '../helpers';

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 'b.trace');

/**
 * A fake HDL peer with a clock: every message it takes in gets a cycle (ten
 * apart), sent back in DELIVERED (two stamps per DELIVERED when two are
 * waiting, to check their order), and its own messages carry the cycle.
 */
function stampingHdl(endpoint: string) {
  const dev = new FakeHdl(endpoint);
  let cycle = 1000n;
  const stamped: { type: MsgType; tag: number; cycle: bigint }[] = [];
  let waiting: bigint[] = [];
  const flush = () => {
    if (waiting.length) dev.link.send(deliveredMessage(waiting));
    waiting = [];
  };
  const send = (m: Message) => dev.link.send({ ...m, cycle: (cycle += 3n) });
  dev.onMessage = (m) => {
    cycle += 10n;
    stamped.push({ type: m.type, tag: m.tag, cycle });
    waiting.push(cycle);
    if (m.type === MsgType.MMIO_READ) {
      flush();
      send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, length: m.length, payload: Buffer.alloc(m.length, 0xab) }));
    } else if (m.type === MsgType.MMIO_WRITE && m.address === 0x100n) {
      if (m.payload[0] === 1) send(message(MsgType.DMA_READ, { tag: 5, address: 0x2000n, length: 100 }));
      if (m.payload[0] === 2) {
        send(message(MsgType.DMA_WRITE, { address: 0x3000n, length: 64, payload: Buffer.alloc(64, 0x77) }));
        send(message(MsgType.MSIX, { index: 1 }));
      }
      // Held: the next message's stamp goes in the same DELIVERED.
    } else flush();
  };
  return { dev, stamped, flush };
}

test('every message of the device, both ways, with its cycle; DMA payloads included; the link itself left out', async () => {
  const file = tmpFile();
  const trace = TraceWriter.open(file, { command: 'broker-trace-records' });
  const ep = uniqueEndpoints();
  const gone: string[] = [];
  const broker = new Broker(brokerConfig({ heartbeatMs: 50, peerTimeoutMs: 2000 }, ep), testLog(), { trace, onPeerGone: (side) => gone.push(side) });
  await broker.start();
  const hdl = stampingHdl(ep.hdl);
  const peer = new QemuPeer({ endpoint: ep.qemu, log: testLog() });
  try {
    await hdl.dev.start();
    await peer.connect();
    peer.memory.write(0x2000n, Buffer.alloc(100, 0x42));
    assert.equal(await peer.read(0, 0x10, 4), 0xababababn);
    peer.write(0, 0x100, 1, 4); // DMA read 100 bytes at 0x2000
    await new Promise<void>((r) => {
      hdl.dev.onMessage = ((orig) => (m: Message) => {
        orig(m, hdl.dev);
        if (m.type === MsgType.DMA_READ_CPL) r();
      })(hdl.dev.onMessage);
    });
    hdl.flush();
    const msix = once(peer, 'msix');
    peer.write(0, 0x100, 2, 4); // DMA write + MSI-X 1
    await msix;
    assert.deepEqual(peer.memory.read(0x3000n, 64), Buffer.alloc(64, 0x77));
    hdl.flush();
    // Heartbeats both ways for a while: PING and PONG are not recorded.
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await peer.read(0, 0x18, 8), 0xababababababababn); // and the stamps so far are in
    // Each side leaves with SHUTDOWN, seen by the broker before it stops.
    await peer.close();
    await eventually(() => gone.includes('qemu'), 2000, 'the QEMU peer gone');
    await hdl.dev.close();
    await eventually(() => gone.includes('hdl'), 2000, 'the HDL peer gone');
  } finally {
    await peer.close();
    await hdl.dev.close();
    await broker.stop();
  }
  const summary = trace.close();
  assert.equal(summary.error, undefined);
  const t = readTrace(file);
  assert.equal(t.complete, true);
  assert.deepEqual([...t.devices.values()], ['dev0']);
  const x = transactions(t, 0);
  const types = (dir: Dir) => x.filter((m) => m.dir === dir).map((m) => MsgType[m.msg.type]);

  // What the device said, each with the cycle in its header.
  assert.deepEqual(types(Dir.FROM_DEVICE), ['CONF', 'MMIO_READ_CPL', 'DMA_READ', 'DMA_WRITE', 'MSIX', 'MMIO_READ_CPL', 'SHUTDOWN']);
  for (const m of x.filter((y) => y.dir === Dir.FROM_DEVICE && y.msg.type !== MsgType.CONF && y.msg.type !== MsgType.SHUTDOWN)) assert.equal(m.cycle, m.msg.cycle);
  const dmaWrite = x.find((m) => m.msg.type === MsgType.DMA_WRITE)!;
  assert.deepEqual(dmaWrite.msg.payload, Buffer.alloc(64, 0x77));
  assert.equal(x.find((m) => m.msg.type === MsgType.MSIX)!.msg.index, 1);

  // What the device took in, each joined to the stamp the HDL side gave it, in order.
  const to = x.filter((m) => m.dir === Dir.TO_DEVICE);
  assert.deepEqual(
    to.map((m) => [m.msg.type, m.msg.tag, m.cycle]),
    hdl.stamped.map((s) => [s.type, s.tag, s.cycle]),
  );
  assert.ok(to.some((m) => m.msg.type === MsgType.MMIO_READ));
  const cpl = to.find((m) => m.msg.type === MsgType.DMA_READ_CPL)!;
  assert.equal(cpl.msg.tag, 5);
  assert.equal(cpl.msg.flags & Flag.LAST, Flag.LAST);
  assert.deepEqual(cpl.msg.payload, Buffer.alloc(100, 0x42), 'the DMA read data is in the trace');
  for (let i = 1; i < to.length; i++) assert.ok(to[i].cycle! > to[i - 1].cycle!, 'stamps in order');

  // The link's own messages are not device traffic.
  const msgs = t.records.filter((r) => r.kind === RecordKind.MSG).map((r) => r.msg!.type);
  for (const type of [MsgType.HELLO, MsgType.PING, MsgType.PONG, MsgType.DELIVERED, MsgType.INIT]) assert.ok(!msgs.includes(type), `${MsgType[type]} is not recorded`);
  assert.ok(t.records.some((r) => r.kind === RecordKind.DELIVERED && r.cycles!.length === 2), 'two stamps in one DELIVERED');
  // Peers coming and going.
  const notes = t.records.filter((r) => r.kind === RecordKind.NOTE).map((r) => r.text!);
  assert.equal(notes[0], HDL_JOINED);
  assert.ok(notes.includes('qemu peer joined'));
  assert.ok(notes.some((n) => /^qemu peer gone: qemu peer 'dev0' sent SHUTDOWN/.test(n)), notes.join('\n'));
  assert.ok(notes.some((n) => /^hdl peer gone: hdl peer 'dev0' sent SHUTDOWN/.test(n)), notes.join('\n'));
});

/** The HELLO answer an in-process peer on `side` gets from `broker`. */
async function helloAnswer(broker: Broker, side: 'qemu' | 'hdl'): Promise<Message> {
  let answer: Message | undefined;
  const p = broker.attach(side, 'hello', (frames) => (answer ??= decode(frames)));
  p.receive(encode(message(MsgType.HELLO, { tag: 9, index: side === 'hdl' ? Role.HDL : Role.QEMU, payload: Buffer.from(`d-${side}`) })));
  assert.ok(answer, 'answered at once');
  assert.equal(answer.type, MsgType.HELLO);
  p.detach('done');
  return answer;
}

test('Flag.TRACE is on the HELLO answer to an HDL peer only when the broker traces', async () => {
  const trace = TraceWriter.open(tmpFile());
  const tracing = new Broker(brokerConfig({}, uniqueEndpoints()), testLog(), { trace });
  const plain = new Broker(brokerConfig({}, uniqueEndpoints()), testLog());
  try {
    assert.equal((await helloAnswer(tracing, 'hdl')).flags, Flag.TRACE);
    assert.equal((await helloAnswer(tracing, 'qemu')).flags, 0);
    assert.equal((await helloAnswer(plain, 'hdl')).flags, 0);
    assert.equal((await helloAnswer(plain, 'qemu')).flags, 0);
  } finally {
    await tracing.stop();
    await plain.stop();
    trace.close();
  }
});
