// A record whose kind or direction byte is none of the format's is refused
// with the offset of that byte; so is a file that is not a trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dir, encodeFileHeader, encodeRecord, parseTrace, RecordKind, TraceError } from '../../bridge/src/trace/format';

const header = encodeFileHeader({ tool: 'test', created: 'now' });
const device = Buffer.concat(encodeRecord(RecordKind.DEVICE, Dir.NONE, 0, 1, [Buffer.from('dev0')]));
const note = Buffer.concat(encodeRecord(RecordKind.NOTE, Dir.NONE, 0, 2, [Buffer.from('hello')]));

const corrupt = (at: number, value: number) => {
  const b = Buffer.concat([header, device, note]);
  b[at] = value;
  return b;
};
const isAt = (offset: number, text: RegExp) => (e: unknown) => e instanceof TraceError && e.offset === offset && text.test(e.message);

test('an unknown record kind is refused at its byte', () => {
  const rec = header.length + device.length;
  assert.throws(() => parseTrace(corrupt(rec + 4, 99)), isAt(rec + 4, /unknown record kind 99/));
  assert.throws(() => parseTrace(corrupt(rec + 4, 0)), isAt(rec + 4, /unknown record kind 0/));
});

test('an unknown direction is refused at its byte', () => {
  const rec = header.length;
  assert.throws(() => parseTrace(corrupt(rec + 5, 7)), isAt(rec + 5, /unknown direction 7/));
});

test('a body larger than its kind allows is refused, not read', () => {
  const b = Buffer.concat([header, device, note]);
  const rec = header.length + device.length;
  b.writeUInt32LE(0x7fffffff, rec);
  assert.throws(() => parseTrace(b), isAt(rec, /NOTE record body of 2147483647 bytes exceeds 65536/));
});

test('not a trace, or another format version', () => {
  assert.throws(() => parseTrace(corrupt(0, 0x41)), isAt(0, /not a cosim trace/));
  assert.throws(() => parseTrace(corrupt(8, 9)), isAt(8, /trace format version 9, this reader knows 1/));
});
