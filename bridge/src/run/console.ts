// Parses the guest console (guest/README.md, "console protocol"): the suite
// runner's markers around each test program's TAP output.
//
//   # cosim-guest-ready
//   # cosim-test-begin NAME
//   1..N / ok 1 - ... / not ok 2 - ... # reason / # diagnostics
//   # cosim-test-end NAME rc=RC
//   # cosim-suite-end passed=P failed=F
//   # cosim-guest-error TEXT

export type TestStatus = 'pass' | 'fail' | 'timeout' | 'not run';

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
}

export type ConsoleEvent =
  | { kind: 'ready' }
  | { kind: 'guest-error'; text: string }
  | { kind: 'test-begin'; test: TestResult }
  | { kind: 'test-end'; test: TestResult }
  | { kind: 'suite-end'; passed: number; failed: number };

// The 8250 console may prefix a line with kernel output or carriage returns.
const MARKER = /# cosim-(guest-ready|guest-error|test-begin|test-end|suite-end)\b ?(.*)$/;

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
    if (!t) return undefined;
    t.output?.push(line);
    const text = line.trimStart();
    let r: RegExpMatchArray | null;
    if ((r = text.match(/^1\.\.(\d+)/))) {
      t.planned = Number(r[1]);
    } else if (/^ok\b/.test(text)) {
      t.ok++;
      this.lastFailure = false;
    } else if (/^not ok\b/.test(text)) {
      if (/#\s*(TODO|SKIP)\b/i.test(text)) t.ok++;
      else {
        t.notOk++;
        t.failures.push(text);
        this.lastFailure = true;
        return undefined;
      }
      this.lastFailure = false;
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
        const timedOut = t.failures.some((f) => /#\s*timeout\b/i.test(f)) || t.rc === 124;
        const exitOnly = this.resultModes.get(t.name) === 'exit';
        const planOk = exitOnly || (t.planned === undefined ? t.ok + t.notOk > 0 : t.ok + t.notOk === t.planned);
        if (timedOut) t.status = 'timeout';
        else if (t.rc === 0 && (exitOnly || t.notOk === 0) && planOk) t.status = 'pass';
        else {
          t.status = 'fail';
          if (t.notOk === 0 || exitOnly) t.failures.push(planOk ? `exit status ${t.rc}${exitOnly ? lastWords(t) : ''}` : `plan 1..${t.planned ?? '?'} but ${t.ok + t.notOk} results (exit status ${t.rc})`);
        }
        this.current = undefined;
        return { kind: 'test-end', test: t };
      }
      case 'suite-end': {
        this.finishCurrent('fail', 'the suite ended before this test did');
        const p = rest.match(/passed=(\d+)\s+failed=(\d+)/);
        return { kind: 'suite-end', passed: Number(p?.[1] ?? 0), failed: Number(p?.[2] ?? 0) };
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
