// A record body cut short: the file ends inside it, a MSG body shorter than a
// wire header, a DELIVERED body that is not whole stamps, a message that does
// not decode, a MSG for a device no DEVICE record named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode, message, MsgType } from '../../bridge/src/protocol/wire';
import { Dir, encodeFileHeader, encodeRecord, parseTrace, REC_HDR_SIZE, RecordKind, TraceError } from '../../bridge/src/trace/format';

const header = encodeFileHeader({ tool: 'test', created: 'now' });
const device = Buffer.concat(encodeRecord(RecordKind.DEVICE, Dir.NONE, 0, 1, [Buffer.from('dev0')]));
const rec = (kind: RecordKind, body: Buffer[], dev = 0) => Buffer.concat(encodeRecord(kind, Dir.TO_DEVICE, dev, 2, body));
const at = header.length + device.length;
const isAt = (offset: number, text: RegExp) => (e: unknown) => e instanceof TraceError && e.offset === offset && text.test(e.message);

test('a file that ends inside a record body names the record and how much of it is there', () => {
  const msg = rec(RecordKind.MSG, encode(message(MsgType.MMIO_WRITE, { length: 4, payload: Buffer.from([1, 2, 3, 4]) })));
  const cut = Buffer.concat([header, device, msg]).subarray(0, at + REC_HDR_SIZE + 30);
  assert.throws(() => parseTrace(cut), isAt(at, /file ends inside a MSG record \(30 of 44 body bytes\)/));
});

test('a MSG body shorter than a wire header', () => {
  const b = Buffer.concat([header, device, rec(RecordKind.MSG, [Buffer.alloc(20)])]);
  assert.throws(() => parseTrace(b), isAt(at, /MSG record body of 20 bytes is shorter than a 40-byte wire header/));
});

test('a MSG whose payload is shorter than its header says does not decode', () => {
  const [h, p] = encode(message(MsgType.MMIO_WRITE, { length: 4, payload: Buffer.from([1, 2, 3, 4]) }));
  const b = Buffer.concat([header, device, rec(RecordKind.MSG, [h, p.subarray(0, 2)])]);
  assert.throws(() => parseTrace(b), isAt(at + REC_HDR_SIZE, /recorded message does not decode: payload frame is 2 bytes but header says 4/));
});

test('a DELIVERED body that is not whole 8-byte stamps', () => {
  const b = Buffer.concat([header, device, rec(RecordKind.DELIVERED, [Buffer.alloc(12)])]);
  assert.throws(() => parseTrace(b), isAt(at, /DELIVERED record body of 12 bytes is not a whole number of 8-byte cycles/));
});

test('a MSG for a device id no DEVICE record named', () => {
  const b = Buffer.concat([header, device, rec(RecordKind.MSG, encode(message(MsgType.RESET)), 3)]);
  assert.throws(() => parseTrace(b), isAt(at + 6, /MSG record for device id 3, which no DEVICE record named/));
});
