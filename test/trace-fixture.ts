// Trace files for tests, built with the format's own encoders
// (bridge/src/trace/format.ts): name the devices, list the records.
//
//   buildTrace(file, {
//     devices: ['dev0'],
//     records: [
//       { mark: { test: 't1', event: 'begin' } },
//       { to: message(MsgType.MMIO_READ, { tag: 1, length: 4 }) },   // host -> device
//       { delivered: [100n] },                                       // its cycle at the HDL side
//       { from: message(MsgType.MMIO_READ_CPL, { tag: 1, length: 4, cycle: 104n, payload }) },
//     ],
//   });
//
// Records go to the first device unless they name one (`dev: 'dev1'`). Times
// count up by 1 us per record unless given (`timeUs`). An END record closes
// the file unless `complete: false`.
import * as fs from 'node:fs';
import { encode, Message } from '../bridge/src/protocol/wire';
import { ALL_DEVICES, Dir, encodeFileHeader, encodeRecord, encodeStamps, Mark, RecordKind, TraceMeta } from '../bridge/src/trace/format';

interface Common {
  dev?: string;
  timeUs?: number;
}
export type FixtureRecord =
  | (Common & { to: Message })
  | (Common & { from: Message })
  | (Common & { delivered: bigint[] })
  | (Common & { mark: Mark })
  | (Common & { note: string })
  /** Raw bytes appended as they are (a corrupt or cut record). */
  | { raw: Buffer };

export interface TraceSpec {
  devices: string[];
  records: FixtureRecord[];
  meta?: Partial<TraceMeta>;
  /** Append an END record (default true). */
  complete?: boolean;
  /** The END record's `truncated` reason. */
  truncated?: string;
  /** Time of the DEVICE records, in microseconds since the trace began (default 0). */
  startUs?: number;
}

/** The trace's bytes; written to `file` as well unless it is undefined. */
export function buildTrace(file: string | undefined, spec: TraceSpec): Buffer {
  const ids = new Map(spec.devices.map((n, i) => [n, i]));
  const id = (name?: string) => {
    if (name === undefined) return 0;
    const v = ids.get(name);
    if (v === undefined) throw new Error(`buildTrace: device '${name}' is not in devices`);
    return v;
  };
  let now = spec.startUs ?? 0;
  const time = (r: Common) => {
    now = r.timeUs ?? now + 1;
    return now;
  };
  const parts: Buffer[] = [encodeFileHeader({ tool: 'test', created: '2026-01-02T03:04:05.000Z', ...spec.meta })];
  let count = 0;
  const rec = (kind: RecordKind, dir: Dir, dev: number, t: number, body: Buffer[]) => {
    parts.push(...encodeRecord(kind, dir, dev, t, body));
    count++;
  };
  for (const [n, i] of ids) rec(RecordKind.DEVICE, Dir.NONE, i, now, [Buffer.from(n, 'utf8')]);
  for (const r of spec.records) {
    if ('raw' in r) parts.push(r.raw);
    else if ('to' in r) rec(RecordKind.MSG, Dir.TO_DEVICE, id(r.dev), time(r), encode(r.to));
    else if ('from' in r) rec(RecordKind.MSG, Dir.FROM_DEVICE, id(r.dev), time(r), encode(r.from));
    else if ('delivered' in r) rec(RecordKind.DELIVERED, Dir.FROM_DEVICE, id(r.dev), time(r), [encodeStamps(r.delivered)]);
    else if ('mark' in r) rec(RecordKind.MARK, Dir.NONE, ALL_DEVICES, time(r), [Buffer.from(JSON.stringify(r.mark), 'utf8')]);
    else rec(RecordKind.NOTE, Dir.NONE, r.dev === undefined ? ALL_DEVICES : id(r.dev), time(r), [Buffer.from(r.note, 'utf8')]);
  }
  if (spec.complete ?? true) {
    const end = { records: count + 1, ...(spec.truncated ? { truncated: spec.truncated } : {}) };
    rec(RecordKind.END, Dir.NONE, ALL_DEVICES, now + 1, [Buffer.from(JSON.stringify(end), 'utf8')]);
  }
  const buf = Buffer.concat(parts);
  if (file !== undefined) fs.writeFileSync(file, buf);
  return buf;
}
