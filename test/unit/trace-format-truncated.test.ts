// A trace cut off anywhere: inside the file header, inside a record header,
// or exactly between two records (no END: readable, marked incomplete).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode, message, MsgType } from '../../bridge/src/protocol/wire';
import { Dir, encodeFileHeader, encodeRecord, FILE_HDR_SIZE, parseTrace, REC_HDR_SIZE, RecordKind, TraceError } from '../../bridge/src/trace/format';

const header = encodeFileHeader({ tool: 'test', created: 'now' });
const device = Buffer.concat(encodeRecord(RecordKind.DEVICE, Dir.NONE, 0, 1, [Buffer.from('dev0')]));
const msg = Buffer.concat(encodeRecord(RecordKind.MSG, Dir.TO_DEVICE, 0, 2, encode(message(MsgType.MMIO_READ, { length: 4 }))));
const end = Buffer.concat(encodeRecord(RecordKind.END, Dir.NONE, 0xffff, 3, [Buffer.from('{"records":2}')]));
const whole = Buffer.concat([header, device, msg, end]);

function fails(buf: Buffer, offset: number, text: RegExp): void {
  assert.throws(
    () => parseTrace(buf, 'cut.trace'),
    (e: unknown) => e instanceof TraceError && e.offset === offset && e.file === 'cut.trace' && text.test(e.message) && e.message.startsWith(`cut.trace: byte ${offset}: `),
  );
}

test('a file ending inside the file header or its metadata names where', () => {
  fails(whole.subarray(0, 10), 10, /file ends after 10 bytes, inside the 16-byte file header/);
  fails(whole.subarray(0, FILE_HDR_SIZE + 3), FILE_HDR_SIZE, /file ends inside the \d+-byte metadata/);
});

test('a file ending inside a record header gives the byte offset of that record', () => {
  const at = header.length + device.length;
  for (const cut of [1, 5, REC_HDR_SIZE - 1]) fails(whole.subarray(0, at + cut), at, new RegExp(`file ends inside a record header \\(${cut} of ${REC_HDR_SIZE} bytes\\)`));
});

test('a file that ends between two records reads, without END: incomplete', () => {
  const t = parseTrace(whole.subarray(0, header.length + device.length + msg.length));
  assert.equal(t.complete, false);
  assert.equal(t.records.length, 2);
  assert.equal(parseTrace(whole).complete, true);
});

test('data after END is refused', () => {
  fails(Buffer.concat([whole, device]), whole.length, /data after the END record/);
});
