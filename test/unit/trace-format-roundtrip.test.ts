// A trace written by TraceWriter reads back record for record: the file
// header's metadata, devices, messages (from frames or decoded), delivery
// stamps joined to the messages to the device in order, marks, notes, END.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { encode, Flag, message, MsgType } from '../../bridge/src/protocol/wire';
import { ALL_DEVICES, Dir, encodeFileHeader, encodeRecord, encodeStamps, HDL_JOINED, parseTrace, readTrace, RecordKind, testNames, transactions } from '../../bridge/src/trace/format';
import { TraceWriter } from '../../bridge/src/trace/writer';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 't.trace');

test('what the writer records, the reader gives back, with each message to the device stamped in order', () => {
  const file = tmp();
  const w = TraceWriter.open(file, { command: 'test', session: 1 });
  const dev = w.device('dev0');
  assert.equal(w.device('dev0'), dev, 'one id per name');
  const other = w.device('dev1');
  assert.notEqual(other, dev);
  w.note(dev, HDL_JOINED);
  w.mark('t1', 'begin');
  const read = message(MsgType.MMIO_READ, { tag: 7, index: 0, address: 0x10n, length: 4 });
  w.message(dev, Dir.TO_DEVICE, encode(read));
  const write = message(MsgType.MMIO_WRITE, { tag: 8, index: 2, address: 0x100n, length: 8, payload: Buffer.from('abcdefgh') });
  w.message(dev, Dir.TO_DEVICE, write); // a decoded message, encoded by the writer
  const cpl = message(MsgType.MMIO_READ_CPL, { tag: 7, length: 4, cycle: 1234n, payload: Buffer.from([1, 2, 3, 4]) });
  w.message(dev, Dir.FROM_DEVICE, encode(cpl));
  w.message(other, Dir.TO_DEVICE, encode(message(MsgType.RESET)));
  const dma = message(MsgType.DMA_READ_CPL, { tag: 3, flags: Flag.LAST, address: 0x1000n, length: 65536, payload: Buffer.alloc(65536, 0x5a) });
  w.message(dev, Dir.TO_DEVICE, encode(dma));
  w.delivered(dev, encodeStamps([1200n, 1201n]));
  w.delivered(dev, encodeStamps([1300n]));
  w.mark('t1', 'end', 'pass');
  w.note(ALL_DEVICES, 'a note');
  const s = w.close();
  assert.equal(s.error, undefined);
  assert.equal(s.truncated, undefined);
  assert.equal(s.bytes, fs.statSync(file).size);

  const t = readTrace(file);
  assert.equal(t.complete, true);
  assert.equal(t.meta.tool, 'cosim');
  assert.equal(t.meta.command, 'test');
  assert.equal(t.meta.session, 1);
  assert.deepEqual([...t.devices.values()], ['dev0', 'dev1']);
  const end = t.records.at(-1)!;
  assert.equal(end.kind, RecordKind.END);
  assert.deepEqual(end.end, { records: t.records.length - 1 });
  assert.equal(s.records, t.records.length - 1);
  for (let i = 1; i < t.records.length; i++) assert.ok(t.records[i].timeUs >= t.records[i - 1].timeUs, 'time does not go back');
  assert.deepEqual(testNames(t), ['t1']);

  const x = transactions(t, dev);
  assert.deepEqual(x.map((m) => [MsgType[m.msg.type], m.dir, m.cycle]), [
    ['MMIO_READ', Dir.TO_DEVICE, 1200n],
    ['MMIO_WRITE', Dir.TO_DEVICE, 1201n],
    ['MMIO_READ_CPL', Dir.FROM_DEVICE, 1234n],
    ['DMA_READ_CPL', Dir.TO_DEVICE, 1300n],
  ]);
  assert.deepEqual(x.map((m) => m.seq), [0, 1, 2, 3]);
  assert.ok(x.every((m) => m.test === 't1'));
  assert.deepEqual(x[1].msg.payload, Buffer.from('abcdefgh'));
  assert.equal(x[3].msg.payload.length, 65536);
  assert.equal(x[3].msg.flags, Flag.LAST);
  assert.equal(transactions(t, other).length, 1);
  assert.equal(transactions(t, other)[0].cycle, undefined, 'no stamp came for it');
  const mark = t.records.find((r) => r.kind === RecordKind.MARK && r.mark?.event === 'end');
  assert.deepEqual(mark?.mark, { test: 't1', event: 'end', status: 'pass' });
  assert.equal(mark?.dev, ALL_DEVICES);
});

test('the encoder functions and the reader agree; a new HDL peer starts the stamps afresh', () => {
  const rec = (kind: RecordKind, dir: Dir, dev: number, t: number, body: Buffer[]) => encodeRecord(kind, dir, dev, t, body);
  const msg = (m: ReturnType<typeof message>, dir: Dir, t: number) => rec(RecordKind.MSG, dir, 0, t, encode(m));
  const buf = Buffer.concat([
    encodeFileHeader({ tool: 'test', created: 'now' }),
    ...rec(RecordKind.DEVICE, Dir.NONE, 0, 0, [Buffer.from('dev0')]),
    ...msg(message(MsgType.MMIO_WRITE, { length: 1, payload: Buffer.from([9]) }), Dir.TO_DEVICE, 5),
    // The first simulator died before stamping it; the second one stamps what it was sent.
    ...rec(RecordKind.NOTE, Dir.NONE, 0, 6, [Buffer.from('hdl peer gone: silent')]),
    ...rec(RecordKind.NOTE, Dir.NONE, 0, 7, [Buffer.from(HDL_JOINED)]),
    ...msg(message(MsgType.RESET), Dir.TO_DEVICE, 8),
    ...rec(RecordKind.DELIVERED, Dir.FROM_DEVICE, 0, 9, [encodeStamps([42n])]),
    ...rec(RecordKind.END, Dir.NONE, ALL_DEVICES, 2 ** 40 + 3, [Buffer.from('{"records":6}')]),
  ]);
  const t = parseTrace(buf, 'mem');
  assert.equal(t.records.at(-1)!.timeUs, 2 ** 40 + 3, 'a 64-bit time');
  const x = transactions(t, 0);
  assert.deepEqual(x.map((m) => [MsgType[m.msg.type], m.cycle]), [['MMIO_WRITE', undefined], ['RESET', 42n]]);
});
