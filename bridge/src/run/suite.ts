// Test selection (--grep, --shard) and JUnit XML for `cosim regress`.
import * as os from 'node:os';
import { TestResult } from './console';

export interface Shard {
  index: number; // 1-based
  count: number;
}

export function parseShard(text: string): Shard {
  const m = text.match(/^(\d+)\/(\d+)$/);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new Error(`--shard: '${text}' is not i/n with 1 <= i <= n`);
  return { index, count };
}

/**
 * The tests this run owns: those matching grep, then every count-th of them
 * starting at index, so n shards with the same grep cover the suite exactly once.
 */
export function selectTests(all: string[], o: { grep?: RegExp; shard?: Shard } = {}): string[] {
  const matching = o.grep ? all.filter((t) => o.grep!.test(t)) : all;
  if (!o.shard) return matching;
  return matching.filter((_, i) => i % o.shard!.count === o.shard!.index - 1);
}

const esc = (s: string) =>
  s
    // XML 1.0 cannot carry most control characters, even escaped.
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export interface JunitOptions {
  suite: string;
  properties?: Record<string, string | number | undefined>;
  timestamp?: Date;
}

/**
 * Whether a run earned its pass, for `cosim run` and `cosim regress` alike:
 * it has tests, every one passed (one skipped, not run or timed out did
 * not), and nothing went wrong beside them (a killed simulator, a lost peer,
 * a guest error, guest and host counts that disagree).
 */
export function earnedPass(r: { tests: TestResult[]; problems: string[] }): boolean {
  return r.tests.length > 0 && r.tests.every((t) => t.status === 'pass') && r.problems.length === 0;
}

/** "18/20 tests passed, 1 skipped": the head of a run's closing line. */
export function passedLine(tests: TestResult[]): string {
  const skipped = tests.filter((t) => t.status === 'skipped').length;
  return `${tests.filter((t) => t.status === 'pass').length}/${tests.length} tests passed${skipped ? `, ${skipped} skipped` : ''}`;
}

export function junitXml(tests: TestResult[], o: JunitOptions): string {
  // A test that never ran is a failure: the selection asked for it. Only a
  // test that ran and skipped itself (TAP plan 1..0) is <skipped>.
  const failures = tests.filter((t) => t.status !== 'pass' && t.status !== 'skipped').length;
  const skipped = tests.filter((t) => t.status === 'skipped').length;
  const time = tests.reduce((a, t) => a + (t.durationMs ?? 0), 0) / 1000;
  const props = Object.entries(o.properties ?? {}).filter(([, v]) => v !== undefined);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cosim regress" tests="${tests.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">`,
    `  <testsuite name="${esc(o.suite)}" tests="${tests.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}" timestamp="${(o.timestamp ?? new Date()).toISOString().slice(0, 19)}" hostname="${esc(os.hostname())}">`,
  ];
  if (props.length) {
    lines.push('    <properties>', ...props.map(([k, v]) => `      <property name="${esc(k)}" value="${esc(String(v))}"/>`), '    </properties>');
  }
  for (const t of tests) {
    const open = `    <testcase classname="${esc(o.suite)}" name="${esc(t.name)}" time="${((t.durationMs ?? 0) / 1000).toFixed(3)}"`;
    const body: string[] = [];
    if (t.status === 'skipped') body.push(`      <skipped message="${esc(t.failures[0] ?? 'skipped')}"/>`);
    else if (t.status !== 'pass') {
      const message = t.failures[0] ?? t.status;
      body.push(`      <failure type="${t.status}" message="${esc(message)}">${esc(t.failures.join('\n'))}</failure>`);
    }
    if (t.output?.length) body.push(`      <system-out>${esc(t.output.join('\n'))}</system-out>`);
    lines.push(body.length ? `${open}>\n${body.join('\n')}\n    </testcase>` : `${open}/>`);
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/** Merges the <testsuite> elements of several JUnit files (one per shard) into one document. */
export function mergeJunit(docs: string[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  let time = 0;
  for (const d of docs) {
    for (const m of d.matchAll(/<testsuite\s[^>]*>[\s\S]*?<\/testsuite>|<testsuite\s[^>]*\/>/g)) {
      const attr = (name: string) => Number(m[0].match(new RegExp(`^<testsuite\\s[^>]*\\b${name}="([\\d.]+)"`))?.[1] ?? 0);
      tests += attr('tests');
      failures += attr('failures');
      skipped += attr('skipped');
      time += attr('time');
      suites.push(`  ${m[0]}`);
    }
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cosim regress" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
