// Writes a trace file (docs/trace.md, the layout in format.ts) as the broker
// relays: every record is copied into one staging block, and the block goes
// to the file with one write when it is full, every second, at a test's end
// (cut) and at close. No syscall and no JSON per message. A full disk or any
// other write error stops the recording, never the broker: it is logged once
// and reported by close().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { encode, HDR_SIZE, Message } from '../protocol/wire';
import { Logger } from '../util/log';
import { ALL_DEVICES, Dir, encodeFileHeader, REC_HDR_SIZE, RecordKind, TraceMeta, writeRecordHeader } from './format';

/** Default size bound of a trace file: 1 GiB. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** The smallest size bound a writer takes. */
export const MIN_MAX_BYTES = 4096;
/** The staging block: what collects before one write to the file. */
const BLOCK_BYTES = 1024 * 1024;
/** Bytes kept free under the size bound for the NOTE and the END that close a truncated trace. */
const RESERVE = 512;

export interface TraceWriterOptions {
  /** Size bound of the file (default DEFAULT_MAX_BYTES): recording stops before a record would pass it. */
  maxBytes?: number;
  /** Where the size limit's warning and a write error go (once each). */
  log?: Logger;
  /** Staged bytes are written at least this often (default 1000 ms; 0: only when the block is full, at cuts and at close). */
  flushMs?: number;
}

/** What close() and cut() report. */
export interface TraceSummary {
  file: string;
  records: number;
  bytes: number;
  /** Why recording stopped early (the size limit), as END says. */
  truncated?: string;
  /** A write error, one line naming the file, the error and the bytes written; the trace is incomplete. */
  error?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EIO: 'I/O error',
  EROFS: 'read-only file system',
  EBADF: 'file not open',
};

function errnoText(e: unknown): { code: string; text: string } {
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? 'error';
  return { code, text: ERRNO_TEXT[code] ?? err.message };
}

/** Parses a size such as 1048576, 512K, 64M or 2G (powers of 1024). */
export function parseSize(s: string, what = 'size'): number {
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(s.trim());
  if (!m) throw new Error(`${what}: '${s}' is not a size (bytes, or a number with K, M or G)`);
  const n = Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase());
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: '${s}' is too large`);
  return n;
}

/** FILE with `tag` before its extension: trace.bin + .boot2 -> trace.boot2.bin. */
export function withSuffix(file: string, tag: string): string {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  return dot > slash + 1 ? `${file.slice(0, dot)}${tag}${file.slice(dot)}` : `${file}${tag}`;
}

export class TraceWriter {
  private readonly fd: number;
  private readonly block = Buffer.allocUnsafe(BLOCK_BYTES);
  /** Bytes staged in block. */
  private used = 0;
  /** Bytes in the file. */
  private flushed = 0;
  private recs = 0;
  private readonly t0 = performance.now();
  private readonly names = new Map<string, number>();
  private readonly maxBytes: number;
  private readonly timer?: NodeJS.Timeout;
  /** Set once recording stops: the size limit, a write error, or close. */
  private stopped = false;
  private closed = false;
  private truncatedWhy?: string;
  private errorText?: string;

  /** Opens (creates or empties) the file and writes its header; throws naming the file if it cannot be opened. */
  static open(file: string, meta: Partial<TraceMeta> = {}, o: TraceWriterOptions = {}): TraceWriter {
    return new TraceWriter(file, meta, o);
  }

  private constructor(
    readonly file: string,
    meta: Partial<TraceMeta>,
    private readonly o: TraceWriterOptions,
  ) {
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < MIN_MAX_BYTES) throw new Error(`trace ${file}: size limit ${o.maxBytes} bytes is below the smallest, ${MIN_MAX_BYTES}`);
    const header = encodeFileHeader({ tool: 'cosim', created: new Date().toISOString(), ...meta });
    if (header.length + RESERVE > this.maxBytes) throw new Error(`trace ${file}: the ${header.length}-byte file header does not fit the size limit of ${this.maxBytes} bytes`);
    try {
      this.fd = fs.openSync(file, 'w');
    } catch (e) {
      throw new Error(`trace ${file}: cannot open: ${(e as Error).message}`);
    }
    header.copy(this.block, 0);
    this.used = header.length;
    const ms = o.flushMs ?? 1000;
    if (ms > 0) {
      this.timer = setInterval(() => this.flush(), ms);
      this.timer.unref();
    }
  }

  /** Records kept so far (the END record not counted). */
  get records(): number {
    return this.recs;
  }

  /** Bytes of the trace so far, staged ones included. */
  get bytes(): number {
    return this.flushed + this.used;
  }

  /** Whether records are still kept (not stopped by the size limit, a write error or close). */
  get recording(): boolean {
    return !this.stopped;
  }

  /** The size limit's reason, once reached. */
  get truncated(): string | undefined {
    return this.truncatedWhy;
  }

  /** The write error, once one happened. */
  get error(): string | undefined {
    return this.errorText;
  }

  /** The id of a device name; its DEVICE record is written the first time. -1 if no id is left. */
  device(name: string): number {
    let id = this.names.get(name);
    if (id !== undefined) return id;
    id = this.names.size < ALL_DEVICES ? this.names.size : -1;
    this.names.set(name, id);
    if (id >= 0) this.text(RecordKind.DEVICE, id, name);
    return id;
  }

  /**
   * One wire message of device `dev`: its frames as they went over the wire
   * (header, then payload if any), or a decoded message (encoded here).
   */
  message(dev: number, dir: Dir, msg: Message | Buffer[]): void {
    if (this.stopped || dev < 0) return;
    const frames = Array.isArray(msg) ? msg : encode(msg);
    const h = frames[0];
    const p = frames.length > 1 ? frames[1] : undefined;
    if (h.length !== HDR_SIZE) return; // not a message: the broker records only what decoded
    const len = HDR_SIZE + (p ? p.length : 0);
    const off = this.reserve(len);
    if (off < 0) return;
    writeRecordHeader(this.block, off, len, RecordKind.MSG, dir, dev, this.now());
    h.copy(this.block, off + REC_HDR_SIZE);
    if (p) p.copy(this.block, off + REC_HDR_SIZE + HDR_SIZE);
  }

  /** The HDL side's delivery stamps (a DELIVERED payload, u64 LE cycles) as received. */
  delivered(dev: number, cycles: Buffer): void {
    if (this.stopped || dev < 0) return;
    const off = this.reserve(cycles.length);
    if (off < 0) return;
    writeRecordHeader(this.block, off, cycles.length, RecordKind.DELIVERED, Dir.FROM_DEVICE, dev, this.now());
    cycles.copy(this.block, off + REC_HDR_SIZE);
  }

  /** A test boundary, for every device. */
  mark(test: string, event: 'begin' | 'end', status?: string): void {
    this.text(RecordKind.MARK, ALL_DEVICES, JSON.stringify(status === undefined ? { test, event } : { test, event, status }));
  }

  /** A note for the reader about one device (ALL_DEVICES: about the trace). */
  note(dev: number, text: string): void {
    if (dev < 0) return;
    this.text(RecordKind.NOTE, dev, text.slice(0, 4000));
  }

  /** Writes what is staged to the file. */
  flush(): void {
    if (this.used === 0 || this.errorText !== undefined || this.closed) return;
    let done = 0;
    try {
      while (done < this.used) done += fs.writeSync(this.fd, this.block, done, this.used - done);
    } catch (e) {
      this.failed(e, this.flushed + done);
      return;
    }
    this.flushed += this.used;
    this.used = 0;
  }

  /**
   * A trace of everything recorded so far, complete on its own: the bytes of
   * this one up to here, then an END record. `cosim regress --trace-dir`
   * writes one per test at the test's end mark.
   */
  cut(file: string): TraceSummary {
    this.flush();
    const records = this.recs;
    const truncated = this.truncatedWhy;
    if (this.errorText !== undefined) return { file, records, bytes: 0, truncated, error: `trace ${file}: not written: ${this.errorText}` };
    const end = this.endRecord(records, truncated);
    try {
      fs.copyFileSync(this.file, file, fs.constants.COPYFILE_FICLONE); // a reflink where the file system has them
      fs.appendFileSync(file, end);
    } catch (e) {
      const { code, text } = errnoText(e);
      return { file, records, bytes: 0, truncated, error: `trace ${file}: ${code} (${text}); the trace is incomplete` };
    }
    return { file, records, bytes: this.flushed + end.length, truncated };
  }

  /** Writes the END record and closes the file. Never throws; a write error is in the summary. */
  close(): TraceSummary {
    if (!this.closed) {
      clearInterval(this.timer);
      if (this.errorText === undefined) {
        const end = this.endRecord(this.recs, this.truncatedWhy);
        if (this.used + end.length > this.block.length) this.flush();
        end.copy(this.block, this.used);
        this.used += end.length;
        this.flush();
      }
      this.stopped = true;
      this.closed = true;
      try {
        fs.closeSync(this.fd);
      } catch (e) {
        if (this.errorText === undefined) this.failed(e, this.flushed);
      }
    }
    return { file: this.file, records: this.recs, bytes: this.flushed, truncated: this.truncatedWhy, error: this.errorText };
  }

  private now(): number {
    return (performance.now() - this.t0) * 1000;
  }

  private text(kind: RecordKind, dev: number, text: string): void {
    if (this.stopped) return;
    const body = Buffer.from(text, 'utf8');
    const off = this.reserve(body.length);
    if (off < 0) return;
    writeRecordHeader(this.block, off, body.length, kind, Dir.NONE, dev, this.now());
    body.copy(this.block, off + REC_HDR_SIZE);
  }

  /** Room for one record of `bodyLen` bytes in the block: its offset, or -1 if recording stopped. */
  private reserve(bodyLen: number): number {
    const n = REC_HDR_SIZE + bodyLen;
    if (this.flushed + this.used + n > this.maxBytes - RESERVE) {
      this.limitReached();
      return -1;
    }
    if (this.used + n > this.block.length) {
      this.flush();
      if (this.stopped) return -1;
    }
    const off = this.used;
    this.used += n;
    this.recs++;
    return off;
  }

  private limitReached(): void {
    this.truncatedWhy = `size limit ${this.maxBytes} bytes reached`;
    const note = Buffer.from(`${this.truncatedWhy}: recording stopped`, 'utf8');
    // The reserve holds this NOTE and the END.
    if (this.used + REC_HDR_SIZE + note.length > this.block.length) this.flush();
    if (this.errorText === undefined) {
      writeRecordHeader(this.block, this.used, note.length, RecordKind.NOTE, Dir.NONE, ALL_DEVICES, this.now());
      note.copy(this.block, this.used + REC_HDR_SIZE);
      this.used += REC_HDR_SIZE + note.length;
      this.recs++;
    }
    this.stopped = true;
    this.o.log?.warn({ file: this.file, maxBytes: this.maxBytes }, `trace ${this.file}: ${this.truncatedWhy}; recording stopped (the trace ends there)`);
  }

  private failed(e: unknown, bytes: number): void {
    const { code, text } = errnoText(e);
    this.errorText = `trace ${this.file}: write failed: ${code} (${text}) after ${bytes} bytes; the trace is incomplete`;
    this.stopped = true;
    this.used = 0;
    clearInterval(this.timer);
    // A block written in part would end the file inside a record: back to the last whole block.
    if (bytes > this.flushed) {
      try {
        fs.ftruncateSync(this.fd, this.flushed);
      } catch {
        // the reader then names the record cut short
      }
    }
    this.o.log?.error({ file: this.file, code, bytes }, this.errorText);
  }

  private endRecord(records: number, truncated: string | undefined): Buffer {
    const body = Buffer.from(JSON.stringify(truncated ? { records, truncated } : { records }), 'utf8');
    const b = Buffer.alloc(REC_HDR_SIZE + body.length);
    writeRecordHeader(b, 0, body.length, RecordKind.END, Dir.NONE, ALL_DEVICES, this.now());
    body.copy(b, REC_HDR_SIZE);
    return b;
  }
}

/** What a command asks to record: each boot's whole session in `file`, and with `dir` one trace per test. */
export interface TraceOptions {
  /** The session's trace; boot N > 1 writes FILE with `.bootN` before its extension. */
  file?: string;
  /** One trace per test, DIR/<test>.trace (and the session's, DIR/session.trace, unless `file` is given). */
  dir?: string;
  maxBytes?: number;
}

/** The session trace of boot `n` (1-based). */
export function sessionTraceFile(t: TraceOptions, n: number): string {
  const file = t.file ?? path.join(t.dir ?? '.', 'session.trace');
  return n > 1 ? withSuffix(file, `.boot${n}`) : file;
}

/** DIR/<test>.trace, the test's name made safe for a file name. */
export function testTraceFile(dir: string, test: string): string {
  return path.join(dir, `${test.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_')}.trace`);
}

/** The command line of this process, for a trace's metadata. */
export function commandLine(): string {
  return ['cosim', ...process.argv.slice(2)].join(' ');
}
