// The trace's bounds never touch the relay: at the size limit the trace ends
// with a NOTE and a truncated END (one warning); on a write error (/dev/full)
// recording stops with one error naming the file, the error and the bytes
// written, close() reports it, and the broker goes on relaying either way.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig } from '../../bridge/src/orchestrate/stack';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { readTrace, RecordKind } from '../../bridge/src/trace/format';
import { TraceWriter, TraceWriterOptions } from '../../bridge/src/trace/writer';
import { Logger } from '../../bridge/src/util/log';
import { eventually, FakeHdl, testLog, uniqueEndpoints } from '../helpers';

/** A logger that keeps what the writer says. */
function captureLog() {
  const lines: { level: string; text: string }[] = [];
  const at = (level: string) => (_fields: object, text: string) => lines.push({ level, text });
  return { lines, log: { warn: at('warn'), error: at('error'), info: at('info'), debug: at('debug') } as unknown as Logger };
}

/**
 * A broker recording into `file`, a fake HDL peer that answers MMIO reads and
 * sends a 16 KiB DMA write for every MMIO write, and a QEMU stand-in.
 */
async function rig(file: string, o: TraceWriterOptions) {
  const trace = TraceWriter.open(file, {}, o);
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({}, ep), testLog(), { trace });
  await broker.start();
  const hdl = new FakeHdl(ep.hdl);
  let n = 0;
  hdl.onMessage = (m, d) => {
    if (m.type === MsgType.MMIO_READ) d.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, length: m.length, payload: Buffer.alloc(m.length, 0x11) }));
    if (m.type === MsgType.MMIO_WRITE) d.link.send(message(MsgType.DMA_WRITE, { address: BigInt(0x10000 * n++), length: 16384, payload: Buffer.alloc(16384, n) }));
  };
  await hdl.start();
  const peer = new QemuPeer({ endpoint: ep.qemu, log: testLog() });
  await peer.connect();
  /** 16 KiB DMA writes, checked in host memory, then a read behind them. */
  const traffic = async (writes: number) => {
    const base = n;
    for (let i = 0; i < writes; i++) peer.write(0, 0x20, i, 4);
    assert.equal(await peer.read(0, 0x10, 4), 0x11111111n);
    await eventually(() => peer.dmaWriteBytes >= (base + writes) * 16384, 5000, 'the DMA writes in host memory');
    for (let i = base; i < base + writes; i++) assert.deepEqual(peer.memory.read(BigInt(0x10000 * i), 16384), Buffer.alloc(16384, i + 1));
  };
  const stop = async () => {
    await peer.close();
    await hdl.close();
    await broker.stop();
  };
  return { trace, broker, traffic, stop };
}

test('at the size limit the trace ends with a NOTE and a truncated END; relaying goes on', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 'small.trace');
  const { lines, log } = captureLog();
  const r = await rig(file, { maxBytes: 64 * 1024, log });
  try {
    await r.traffic(8); // 128 KiB of DMA data: past the limit
    assert.equal(r.trace.recording, false);
    assert.equal(r.trace.truncated, 'size limit 65536 bytes reached');
    await r.traffic(4); // still relayed
  } finally {
    await r.stop();
  }
  const s = r.trace.close();
  assert.equal(s.error, undefined);
  assert.equal(s.truncated, 'size limit 65536 bytes reached');
  assert.ok(fs.statSync(file).size <= 64 * 1024, `${fs.statSync(file).size} bytes`);
  const t = readTrace(file);
  assert.equal(t.complete, true);
  const end = t.records.at(-1)!;
  assert.deepEqual(end.end, { records: t.records.length - 1, truncated: 'size limit 65536 bytes reached' });
  assert.equal(t.records.at(-2)!.kind, RecordKind.NOTE);
  assert.equal(t.records.at(-2)!.text, 'size limit 65536 bytes reached: recording stopped');
  assert.ok(t.records.filter((x) => x.msg?.type === MsgType.DMA_WRITE).length >= 2, 'DMA writes recorded up to the limit');
  assert.deepEqual(lines.map((l) => l.level), ['warn'], 'one warning');
  assert.match(lines[0].text, new RegExp(`trace ${file}: size limit 65536 bytes reached; recording stopped`));
});

test('a write error (/dev/full) stops recording with one clear error, reported at close; relaying goes on', async () => {
  const { lines, log } = captureLog();
  // Flushed every 20 ms, so the write fails while traffic flows.
  const r = await rig('/dev/full', { log, flushMs: 20 });
  try {
    await r.traffic(4);
    await eventually(() => r.trace.error !== undefined, 2000, 'the write error');
    assert.equal(r.trace.recording, false);
    await r.traffic(70); // over 1 MiB more: no further writes are tried, no more errors
  } finally {
    await r.stop();
  }
  const s = r.trace.close();
  assert.match(s.error ?? '', /^trace \/dev\/full: write failed: ENOSPC \(disk full\) after 0 bytes; the trace is incomplete$/);
  assert.deepEqual(lines.map((l) => l.level), ['error'], 'one error');
  assert.equal(lines[0].text, s.error);
  assert.equal(r.trace.close().error, s.error, 'close again: the same report');
});
