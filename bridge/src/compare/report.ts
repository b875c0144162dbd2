// `cosim compare`'s report: the side-by-side table on the terminal, a JSON
// document and a Markdown file in the output folder that links the capture,
// the consoles and the UART logs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatTable } from '../broker/stats';
import { CompareReport, comparePassed } from './compare';
import { Side } from './workloads';

const HEADER = ['workload', 'A', 'B', 'same?', 'A time', 'B time', 'A/B'];

function time(s: Side): string {
  return s.ms !== undefined ? `${(s.ms / 1000).toFixed(2)} s` : '-';
}

function ratio(a: Side, b: Side): string {
  return a.ms && b.ms ? `${(a.ms / b.ms).toFixed(2)}x` : '-';
}

/** Table cells stay short; the whole story is in the lines under the table. */
function cell(text: string): string {
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

function rows(r: CompareReport): string[][] {
  return [
    ...r.workloads.map((w) => [w.name, cell(w.a.text), cell(w.b.text), w.same ? 'yes' : 'NO', time(w.a), time(w.b), ratio(w.a, w.b)]),
    ...r.notRun.map((n) => [n, '-', '-', 'not run', '-', '-', '-']),
  ];
}

function linkLine(r: CompareReport): string {
  const s = r.link.summary;
  return `link: ${s.frames} frames, ${s.bytes} bytes (ICMP ${s.icmp}, TCP ${s.tcp}, ARP ${s.arp}, UDP ${s.udp}, other ${s.other})`;
}

function verdict(r: CompareReport): string {
  const diff = r.workloads.filter((w) => !w.same).length;
  const tail = `; ${r.accel.toUpperCase()}; wall ${(r.wallMs / 1000).toFixed(1)} s; seed ${r.seed}`;
  return comparePassed(r) ? `compare: all ${r.workloads.length} workloads the same${tail}` : `compare: ${diff} of ${r.workloads.length} workloads differ or failed${r.notRun.length ? `, ${r.notRun.length} not run` : ''}${tail}`;
}

export function compareTable(r: CompareReport): string {
  const lines = [`A: ${r.a.describe}`, `B: ${r.b.describe}`, formatTable([HEADER, ...rows(r)])];
  for (const w of r.workloads.filter((x) => x.detail)) lines.push(`${w.name}: ${w.detail}`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  lines.push(linkLine(r), `output: ${r.outDir} (report.md, link.pcap, consoles, UART logs)`, verdict(r));
  return lines.join('\n');
}

export function compareJson(r: CompareReport): string {
  return JSON.stringify({ passed: comparePassed(r), ...r }, null, 2);
}

/** report.md in the output folder; file links are relative to it. */
export function writeMarkdown(r: CompareReport): string {
  const file = path.join(r.outDir, 'report.md');
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const link = (label: string, f?: string) => (f ? `[${label}](${f})` : `${label}: none`);
  const md = [
    '# cosim compare',
    '',
    `- **A:** ${r.a.describe}: ${link('console', r.a.files.console)}, ${link('UART', r.a.files.uart)}`,
    `- **B:** ${r.b.describe}: ${link('console', r.b.files.console)}, ${link('UART', r.b.files.uart)}`,
    `- **Link:** [${path.basename(r.link.pcap)}](${path.basename(r.link.pcap)}) (opens in Wireshark or \`tcpdump -r\`); ${linkLine(r).replace(/^link: /, '')}`,
    `- **Seed:** ${r.seed}; ${r.accel.toUpperCase()}; wall ${(r.wallMs / 1000).toFixed(1)} s`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows(r).map((row) => `| ${row.map(esc).join(' | ')} |`),
    '',
    ...r.workloads.filter((w) => w.detail).map((w) => `- **${w.name}:** ${w.detail}`),
    ...r.problems.map((p) => `- **Problem:** ${p}`),
    '',
    `**${verdict(r)}**`,
    '',
  ].join('\n');
  fs.writeFileSync(file, md);
  return file;
}
