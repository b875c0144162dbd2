// Parses the guest console (guest/README.md, "console protocol"): the suite
// runner's markers around each test program's TAP output.
//
//   # cosim-guest-ready
//   # cosim-test-begin NAME
//   1..N / ok 1 - ... / not ok 2 - ... # reason / # diagnostics
//   # cosim-test-end NAME rc=RC
//   # cosim-suite-end passed=P failed=F
//   # cosim-guest-error TEXT
//
// Kernel reports on the same console (kernelReport below: KASAN, lockdep,
// sleeping in atomic context, DMA-API debugging, any WARNING/BUG/Oops splat)
// fail the test during which they appeared, and the run.
//
// Only the serial console (QEMU's stdout) may be fed here: QEMU's stderr
// carries text a device's peer chose (an ERROR's payload), which must never
// be read as a marker or a TAP line.

/** 'skipped': a TAP test whose plan was 1..0 (skip-all); it ran but proved nothing, so it is not a pass. */
export type TestStatus = 'pass' | 'fail' | 'timeout' | 'skipped' | 'not run';

export interface TestResult {
  name: string;
  status: TestStatus;
  planned?: number;
  ok: number;
  notOk: number;
  rc?: number;
  startedAt?: number;
  durationMs?: number;
  /** The failing TAP lines and the diagnostics that follow them. */
  failures: string[];
  /** TAP comments that are not markers, e.g. "# mmio_read_rtt_ns p50=..". */
  comments: string[];
  /** Every line the test printed between its markers. */
  output?: string[];
  /** Guest-measured duration, when the runner reports it (ns=). */
  guestNs?: number;
  /** RTL cycles the device ran during the test, when the host measured them. */
  rtlCycles?: bigint;
  /** The last transaction the broker relayed, for failure reports. */
  lastTransaction?: string;
  /** What followed a TAP plan, e.g. the reason of "1..0 # SKIP no hardware". */
  planReason?: string;
  /** The program printed "Bail out!". */
  bailedOut?: boolean;
  /** Kernel reports (kernelReport) that appeared on the console during the test. */
  kernelReports?: string[];
}

export type ConsoleEvent =
  | { kind: 'ready' }
  | { kind: 'guest-error'; text: string }
  | { kind: 'test-begin'; test: TestResult }
  | { kind: 'test-end'; test: TestResult }
  /** mismatch: the guest's counts disagree with the test-end markers the host read in this boot. */
  | { kind: 'suite-end'; passed: number; failed: number; mismatch?: string }
  /** A kernel report line (kernelReport); test: the test running then. */
  | { kind: 'kernel-report'; text: string; test?: string };

// The first line of each kernel report the runner fails a run on, after the
// printk timestamp. KASAN ("BUG: KASAN: slab-use-after-free in ..."), lockdep
// ("WARNING: possible circular locking dependency detected", "WARNING:
// possible recursive locking detected", "INFO: possible irq lock inversion
// dependency detected", "INFO: trying to register non-static key"), "BUG:
// sleeping function called from invalid context", DMA-API debugging
// ("DMA-API: cosim_gpu 0000:00:03.0: device driver failed to check map
// error", or it turning itself off), and any other splat: "WARNING: CPU: 0
// PID: 1 at ...", "BUG: ...", "kernel BUG at ...", "Oops: ...", "general
// protection fault", "UBSAN: ...", "ODEBUG: ..." (object debugging). The
// DMA-API's informational lines ("DMA-API: preallocated 65536 debug
// entries") do not match: a report names a driver and a device.
const KERNEL_REPORT = /^(?:BUG: |WARNING: |INFO: (?:possible |trying to register |task \S+ blocked |rcu_\w+ detected stall)|kernel BUG at |Oops(?:: |\b)|general protection fault|UBSAN: |ODEBUG: |DMA-API: \S+ \S+: |DMA-API: .*(?:disabl|out of memory))/;
// A printk timestamp, when CONFIG_PRINTK_TIME is on: "[   12.345678] ".
const PRINTK_TIME = /\[\s*\d+\.\d+\]\s?/;

/**
 * The kernel report a console line starts (KERNEL_REPORT), as its text
 * without the timestamp, or undefined. A report may also follow other text on
 * the line (the kernel printed in the middle of a test's line): then it is
 * found after its timestamp.
 */
export function kernelReport(line: string): string | undefined {
  const text = line.replace(/\r/g, '').trim();
  const start = text.replace(new RegExp(`^${PRINTK_TIME.source}`), '');
  if (KERNEL_REPORT.test(start)) return start;
  const stamps = new RegExp(PRINTK_TIME.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = stamps.exec(text))) {
    const rest = text.slice(m.index + m[0].length);
    if (KERNEL_REPORT.test(rest)) return rest;
  }
  return undefined;
}

// A marker starts its line: run-suite prints each at the start of one (it
// ends a test's unterminated last line first). The 8250 console adds only a
// carriage return before each newline, removed below; anything else before a
// marker (a kernel message, a test's or a device's text) makes it not one.
const MARKER = /^# cosim-(guest-ready|guest-error|test-begin|test-end|suite-end)\b ?(.*)$/;

/**
 * The directive of a TAP result line's tail (after "ok"/"not ok"): TODO or
 * SKIP, in any case ("# skipped" too), only as the first word after the
 * first "#" that follows whitespace (TAP 13/14; an escaped "\\#" never
 * does). A "# TODO" further on, after a reason, is text.
 */
export function tapDirective(tail: string): 'TODO' | 'SKIP' | undefined {
  const m = tail.match(/(?:^|\s)#\s*(.*)$/);
  const d = m?.[1].match(/^(TODO|SKIP)\S*(?:\s|$)/i);
  return d ? (d[1].toUpperCase() as 'TODO' | 'SKIP') : undefined;
}

export class ConsoleParser {
  readonly tests: TestResult[] = [];
  private current?: TestResult;
  private lastFailure = false;

  /**
   * resultModes: how each test's result is read; 'exit' tests pass on exit
   * status 0 alone, 'tap' tests (the default) also need their TAP plan met
   * with no 'not ok'.
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly resultModes: ReadonlyMap<string, 'tap' | 'exit'> = new Map(),
  ) {}

  /** Feeds one console line; returns the event it completes, if any. */
  line(raw: string): ConsoleEvent | undefined {
    const line = raw.replace(/\r/g, '').trimEnd();
    const m = line.match(MARKER);
    if (m) return this.marker(m[1], m[2].trim());
    const t = this.current;
    const report = kernelReport(line);
    if (report) {
      if (t) (t.kernelReports ??= []).push(report);
      t?.output?.push(line);
      return { kind: 'kernel-report', text: report, test: t?.name };
    }
    if (!t) return undefined;
    t.output?.push(line);
    const text = line.trimStart();
    let r: RegExpMatchArray | null;
    if ((r = text.match(/^1\.\.(\d+)(.*)$/))) {
      t.planned = Number(r[1]);
      t.planReason = r[2].replace(/^\s*#\s*/, '').trim() || undefined;
    } else if ((r = text.match(/^(not )?ok\b(.*)$/))) {
      // Per TAP only "not ok ... # TODO" (a known bug) is not a failure; SKIP belongs on "ok" lines.
      if (!r[1] || tapDirective(r[2]) === 'TODO') {
        t.ok++;
        this.lastFailure = false;
      } else {
        t.notOk++;
        t.failures.push(text);
        this.lastFailure = true;
      }
    } else if (/^Bail out!/.test(text)) {
      // The program gave up: whatever its exit status and counts say, it did not pass.
      t.bailedOut = true;
      t.failures.push(text);
      this.lastFailure = true;
    } else if (text.startsWith('#')) {
      if (this.lastFailure) t.failures.push(text);
      else t.comments.push(text);
    }
    return undefined;
  }

  private marker(kind: string, rest: string): ConsoleEvent | undefined {
    switch (kind) {
      case 'guest-ready':
        return { kind: 'ready' };
      case 'guest-error':
        return { kind: 'guest-error', text: rest };
      case 'test-begin': {
        this.finishCurrent('fail', 'the next test began before this one ended');
        const test: TestResult = { name: rest, status: 'fail', ok: 0, notOk: 0, failures: [], comments: [], output: [], startedAt: this.now() };
        this.tests.push(test);
        this.current = test;
        this.lastFailure = false;
        return { kind: 'test-begin', test };
      }
      case 'test-end': {
        const m = rest.match(/^(\S+)\s+rc=(-?\d+)/);
        const t = this.current;
        if (!t || (m && m[1] !== t.name)) return undefined;
        t.rc = m ? Number(m[2]) : undefined;
        const ns = rest.match(/\bns=(\d+)/);
        if (ns) t.guestNs = Number(ns[1]);
        t.durationMs = this.now() - (t.startedAt ?? this.now());
        // run-suite ends the test's last line before its end marker; an empty line when it was ended already.
        if (t.output?.at(-1) === '') t.output.pop();
        const timedOut = t.failures.some((f) => /#\s*timeout\b/i.test(f)) || t.rc === 124;
        const exitOnly = this.resultModes.get(t.name) === 'exit';
        const results = t.ok + t.notOk;
        const planOk = exitOnly || (t.planned === undefined ? results > 0 : results === t.planned);
        // TAP's skip-all ("1..0"): nothing was checked, so it is reported as skipped, never as a pass.
        const skipAll = !exitOnly && t.planned === 0 && results === 0 && !t.bailedOut;
        if (timedOut) t.status = 'timeout';
        else if (t.kernelReports?.length) {
          t.status = 'fail';
          t.failures.push(`the kernel reported during the test: ${t.kernelReports.slice(0, 3).join(' | ')}${t.kernelReports.length > 3 ? ` (and ${t.kernelReports.length - 3} more lines)` : ''}`);
        }
        else if (t.rc === 0 && skipAll) {
          t.status = 'skipped';
          t.failures.push(`skipped: its plan is 1..0${t.planReason ? ` (${t.planReason})` : ''}, no test ran`);
        } else if (t.rc === 0 && (exitOnly || (t.notOk === 0 && !t.bailedOut)) && planOk) t.status = 'pass';
        else {
          t.status = 'fail';
          if (t.notOk === 0 || exitOnly) t.failures.push(planOk ? `exit status ${t.rc}${exitOnly ? lastWords(t) : ''}` : `plan 1..${t.planned ?? '?'} but ${results} results (exit status ${t.rc})`);
        }
        this.current = undefined;
        return { kind: 'test-end', test: t };
      }
      case 'suite-end': {
        this.finishCurrent('fail', 'the suite ended before this test did');
        const p = rest.match(/^passed=(\d+)\s+failed=(\d+)/);
        const passed = Number(p?.[1] ?? NaN);
        const failed = Number(p?.[2] ?? NaN);
        // The guest counts a test as passed iff rc=0; the host must have read the same end markers.
        const ran = this.tests.filter((t) => t.status !== 'not run');
        const zero = ran.filter((t) => t.rc === 0).length;
        const mismatch =
          passed === zero && failed === ran.length - zero
            ? undefined
            : `the guest's suite-end says '${rest}' but the host read ${zero} tests with rc=0 and ${ran.length - zero} without, of ${ran.length} begun on this boot`;
        return { kind: 'suite-end', passed, failed, mismatch };
      }
    }
    return undefined;
  }

  /** Ends a test that never printed its end marker (guest hang, crash, kill). */
  finishCurrent(status: TestStatus, why: string): TestResult | undefined {
    const t = this.current;
    if (!t) return undefined;
    t.status = status;
    t.durationMs = this.now() - (t.startedAt ?? this.now());
    t.failures.push(why);
    this.current = undefined;
    return t;
  }

  get running(): TestResult | undefined {
    return this.current;
  }
}

/** The last lines an exit-status test printed, which usually say why it failed. */
function lastWords(t: TestResult): string {
  const tail = (t.output ?? []).filter((l) => l.trim()).slice(-3);
  return tail.length ? `: ${tail.join(' | ')}` : '';
}
