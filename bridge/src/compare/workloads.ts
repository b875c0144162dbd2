// What `cosim compare` runs in its two VMs: a project's declared commands
// (compared by exit status and stdout digest, the first differing byte
// located on a mismatch) and the network workloads over the link (a link
// check, ping both ways, a bulk TCP transfer each way).
import { CompareWorkload } from '../project/project';
import { readPcap, summarizePcap } from './pcap';
import { Vm } from './vms';

/** One VM's side of a workload. */
export interface Side {
  ok: boolean;
  /** What the table shows: a digest, an RTT, a throughput, or what went wrong. */
  text: string;
  /** Guest-measured duration of the workload on this VM. */
  ms?: number;
  rc?: number;
  sha256?: string;
  bytes?: number;
  /** Extra figures (ping RTT, TCP throughput). */
  figures?: Record<string, number>;
}

export interface WorkloadResult {
  name: string;
  kind: 'command' | 'link' | 'ping' | 'tcp';
  a: Side;
  b: Side;
  /** Both sides succeeded and (for commands and transfers) their outputs are equal. */
  same: boolean;
  /** Why not, in one line: the first differing byte, the link that carried nothing, the VM that died. */
  detail?: string;
}

export interface Pair {
  A: Vm;
  B: Vm;
}

/** Addresses on the private link. */
export const ADDR = { A: '10.77.0.1', B: '10.77.0.2' } as const;
const PREFIX = 24;
const HTTP_PORT = 8080;
/** Slack the host gives a guest-side timeout before it calls the guest itself stuck. */
const HOST_SLACK_S = 30;

/** "# result rc=0 ns=123 bytes=70001 sha256=ab.." as the guest prints it. */
function parseResult(lines: string[]): { rc: number; ns: number; bytes: number; sha256: string } | undefined {
  for (const l of lines) {
    const m = l.match(/^# result rc=(\d+) ns=(\d+) bytes=(\d+) sha256=([0-9a-f]{64})$/);
    if (m) return { rc: Number(m[1]), ns: Number(m[2]), bytes: Number(m[3]), sha256: m[4] };
  }
  return undefined;
}

/** The shell that runs `command` with a guest-side timeout and reports its stdout's size and digest. */
function commandScript(name: string, command: string, timeoutS: number): string {
  const f = `/tmp/cmp/${name}`;
  return [
    `mkdir -p /tmp/cmp && cd /root`,
    `cat > ${f}.sh <<'COSIM_COMMAND_END'`,
    command,
    'COSIM_COMMAND_END',
    't0=$(/cosim/clock)',
    `timeout -s KILL ${timeoutS} sh ${f}.sh > ${f}.out 2> ${f}.err`,
    'rc=$?',
    't1=$(/cosim/clock)',
    `echo "# result rc=$rc ns=$((t1 - t0)) bytes=$(wc -c < ${f}.out) sha256=$(sha256sum < ${f}.out | cut -c1-64)"`,
    `tail -n 3 ${f}.err`,
  ].join('\n');
}

/** Runs a script on one VM; a VM that dies or hangs becomes a failed side naming it. */
async function onVm(vm: Vm, what: string, script: string, timeoutS: number): Promise<{ rc: number; lines: string[] } | { error: string }> {
  try {
    return await vm.console.run(what, script, timeoutS + HOST_SLACK_S);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function failed(text: string): Side {
  return { ok: false, text };
}

export async function runCommandWorkload(vms: Pair, w: CompareWorkload, timeoutS: number): Promise<WorkloadResult> {
  const t = w.timeoutS ?? timeoutS;
  const what = `workload '${w.name}'`;
  const run = async (vm: Vm): Promise<Side> => {
    const r = await onVm(vm, what, commandScript(w.name, w.command, t), t);
    if ('error' in r) return failed(r.error);
    const res = parseResult(r.lines);
    if (!res) return failed(`no result line from the guest: ${r.lines.slice(-3).join(' | ')}`);
    const ms = res.ns / 1e6;
    const base = { ms, rc: res.rc, sha256: res.sha256, bytes: res.bytes };
    if (res.rc !== 0) {
      const why = res.ns >= t * 1e9 ? `timed out after ${t} s` : `exit status ${res.rc}`;
      const err = r.lines.filter((l) => !l.startsWith('# result')).slice(-1)[0];
      return { ...base, ok: false, text: `${why}${err ? `: ${err}` : ''}` };
    }
    return { ...base, ok: true, text: `sha256 ${res.sha256.slice(0, 12)} ${res.bytes} B` };
  };
  const [a, b] = await Promise.all([run(vms.A), run(vms.B)]);
  const result: WorkloadResult = { name: w.name, kind: 'command', a, b, same: a.ok && b.ok && a.sha256 === b.sha256 };
  if (!a.ok || !b.ok) result.detail = [!a.ok && `A: ${a.text}`, !b.ok && `B: ${b.text}`].filter(Boolean).join('; ');
  else if (!result.same) result.detail = await firstDifference(vms, w.name, t);
  return result;
}

const CHUNK = 4096;

/** Where two outputs that differ by digest first differ: per-chunk digests on both VMs, then the first differing chunk's bytes. */
export async function firstDifference(vms: Pair, name: string, timeoutS: number): Promise<string> {
  const f = `/tmp/cmp/${name}.out`;
  const chunksScript = [
    `n=$(wc -c < ${f}); i=0`,
    `while [ $((i * ${CHUNK})) -lt $n ]; do`,
    `  echo "# chunk $i $(dd if=${f} bs=${CHUNK} skip=$i count=1 2>/dev/null | md5sum | cut -c1-32)"`,
    '  i=$((i + 1))',
    'done',
  ].join('\n');
  const chunks = async (vm: Vm) => {
    const r = await onVm(vm, `locating the difference in '${name}'`, chunksScript, timeoutS);
    if ('error' in r) throw new Error(r.error);
    return r.lines.map((l) => l.match(/^# chunk \d+ ([0-9a-f]{32})$/)?.[1]).filter((x): x is string => x !== undefined);
  };
  const dump = async (vm: Vm, k: number) => {
    const r = await onVm(vm, `dumping '${name}'`, `dd if=${f} bs=${CHUNK} skip=${k} count=1 2>/dev/null | od -An -v -tx1`, timeoutS);
    if ('error' in r) throw new Error(r.error);
    return r.lines.join(' ').trim().split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16));
  };
  try {
    const [ca, cb] = await Promise.all([chunks(vms.A), chunks(vms.B)]);
    let k = 0;
    while (k < ca.length && k < cb.length && ca[k] === cb[k]) k++;
    const [da, db] = await Promise.all([dump(vms.A, k), dump(vms.B, k)]);
    let j = 0;
    while (j < da.length && j < db.length && da[j] === db[j]) j++;
    const at = k * CHUNK + j;
    const byte = (d: number[]) => (j < d.length ? `0x${d[j].toString(16).padStart(2, '0')}` : 'end of output');
    return `outputs differ: first differing byte at offset ${at} (A ${byte(da)}, B ${byte(db)})`;
  } catch (e) {
    return `outputs differ (digests); the first differing byte could not be located: ${(e as Error).message}`;
  }
}

/** Brings up each VM's NIC and checks that the link carries traffic; a dead link is told apart from a slow one. */
export async function runLinkCheck(vms: Pair, pcap: string, timeoutS: number): Promise<WorkloadResult> {
  const up = async (vm: Vm): Promise<Side> => {
    const r = await onVm(vm, 'bringing up the network interface', `net-up ${ADDR[vm.label]}/${PREFIX} 2>&1`, timeoutS);
    if ('error' in r) return failed(r.error);
    const m = r.lines.map((l) => l.match(/^# cosim-net (\S+) (\S+) (\S+)$/)).find(Boolean);
    if (r.rc !== 0 || !m) return failed(`no network interface: ${r.lines.slice(-2).join(' | ') || `net-up exit status ${r.rc}`}`);
    return { ok: true, text: `${m[1]} ${m[2]} (${m[3]})` };
  };
  const [a, b] = await Promise.all([up(vms.A), up(vms.B)]);
  const result: WorkloadResult = { name: 'net:link', kind: 'link', a, b, same: false };
  if (!a.ok || !b.ok) {
    result.detail = [!a.ok && `A: ${a.text}`, !b.ok && `B: ${b.text}`].filter(Boolean).join('; ');
    return result;
  }
  const ping = await onVm(vms.A, 'the link check (ping B)', `ping -c 3 -W 3 ${ADDR.B} 2>&1`, 20);
  const got = 'error' in ping ? undefined : pingStats(ping.lines);
  if (got && got.received > 0) {
    result.same = true;
    return result;
  }
  const counters = async (vm: Vm) => {
    const r = await onVm(vm, 'reading the NIC counters', `for d in /sys/class/net/*; do [ -e $d/device ] && echo "# stats $(cat $d/statistics/tx_packets) $(cat $d/statistics/rx_packets)" && break; done`, 20);
    const m = 'error' in r ? undefined : r.lines.map((l) => l.match(/^# stats (\d+) (\d+)$/)).find(Boolean);
    return m ? { tx: Number(m[1]), rx: Number(m[2]) } : undefined;
  };
  const [ca, cb] = await Promise.all([counters(vms.A), counters(vms.B)]);
  const frames = summarizePcap(readPcap(pcap)).frames;
  const seen = `A's end of the link (link.pcap) saw ${frames} frames`;
  if (!ca || !cb) {
    result.detail = `${frames ? 'A\'s pings got no reply' : 'the link carried no packets'}; ${seen}; the NIC counters of ${ca ? 'B' : 'A'} are unreadable`;
  } else {
    const ways = `A sent ${ca.tx} frames and B received ${cb.rx}; B sent ${cb.tx} and A received ${ca.rx}; ${seen}`;
    if (ca.rx === 0 && cb.rx === 0) result.detail = `the link carried no packets: ${ways}`;
    else if (ca.rx === 0 || cb.rx === 0) result.detail = `the link carries packets one way only: ${ways}`;
    else result.detail = `frames cross the link both ways but A's pings got no reply: ${ways}`;
  }
  result.a = { ...a, ok: false };
  return result;
}

/** Busybox ping's summary and per-reply times. */
export function pingStats(lines: string[]): { sent: number; received: number; rttMs: number[] } | undefined {
  const rttMs = lines.map((l) => l.match(/ time=([\d.]+) ms/)?.[1]).filter((x): x is string => x !== undefined).map(Number);
  const sum = lines.map((l) => l.match(/(\d+) packets transmitted, (\d+) (?:packets )?received/)).find(Boolean);
  return sum ? { sent: Number(sum[1]), received: Number(sum[2]), rttMs } : undefined;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Each VM pings the other (through A's device NIC both ways): RTT p50/p99 and loss. */
export async function runPing(vms: Pair, count: number, timeoutS: number): Promise<WorkloadResult> {
  const run = async (vm: Vm): Promise<Side> => {
    const peer = ADDR[vm.label === 'A' ? 'B' : 'A'];
    const r = await onVm(vm, 'workload net:ping', `t0=$(/cosim/clock); ping -c ${count} -i 0.2 -W 5 ${peer} 2>&1; echo "# ns $(($(/cosim/clock) - t0))"`, timeoutS);
    if ('error' in r) return failed(r.error);
    const s = pingStats(r.lines);
    if (!s) return failed(`no ping summary: ${r.lines.slice(-2).join(' | ')}`);
    const ms = Number(r.lines.map((l) => l.match(/^# ns (\d+)$/)?.[1]).find(Boolean) ?? 0) / 1e6;
    const loss = s.sent ? ((s.sent - s.received) / s.sent) * 100 : 100;
    if (!s.rttMs.length) return { ok: false, ms, text: `no replies (${s.sent} sent)`, figures: { loss } };
    const sorted = [...s.rttMs].sort((x, y) => x - y);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    return { ok: s.received === s.sent, ms, text: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, loss ${loss.toFixed(0)}%`, figures: { p50, p99, loss } };
  };
  const [a, b] = await Promise.all([run(vms.A), run(vms.B)]);
  const result: WorkloadResult = { name: 'net:ping', kind: 'ping', a, b, same: a.ok && b.ok };
  if (!result.same) result.detail = [!a.ok && `A: ${a.text}`, !b.ok && `B: ${b.text}`].filter(Boolean).join('; ');
  return result;
}

/**
 * `bytes` of seeded data from one VM to the other over TCP: the sender serves
 * it with busybox httpd, the receiver fetches it with wget; both ends report
 * the data's digest and the receiver the time it took.
 */
export async function runTcp(vms: Pair, from: 'A' | 'B', bytes: number, seed: number, timeoutS: number): Promise<WorkloadResult> {
  const to = from === 'A' ? 'B' : 'A';
  const name = `net:tcp-${from.toLowerCase()}-to-${to.toLowerCase()}`;
  const serve = [
    'mkdir -p /tmp/www',
    `[ -f /tmp/www/blob ] || cosim-pattern ${seed} ${bytes} > /tmp/www/blob || exit 1`,
    'pidof httpd >/dev/null || httpd -p ' + HTTP_PORT + ' -h /tmp/www || exit 1',
    'echo "# result rc=0 ns=0 bytes=$(wc -c < /tmp/www/blob) sha256=$(sha256sum < /tmp/www/blob | cut -c1-64)"',
  ].join('\n');
  const fetch = [
    't0=$(/cosim/clock)',
    `timeout -s KILL ${timeoutS} wget -q -O /tmp/rx http://${ADDR[from]}:${HTTP_PORT}/blob 2>/tmp/rx.err`,
    'rc=$?',
    't1=$(/cosim/clock)',
    'echo "# result rc=$rc ns=$((t1 - t0)) bytes=$(wc -c < /tmp/rx 2>/dev/null || echo 0) sha256=$(sha256sum < /tmp/rx | cut -c1-64)"',
    'tail -n 2 /tmp/rx.err; rm -f /tmp/rx',
  ].join('\n');
  const side = (r: { rc: number; lines: string[] } | { error: string }, receiving: boolean): Side => {
    if ('error' in r) return failed(r.error);
    const res = parseResult(r.lines);
    if (!res) return failed(`no result line: ${r.lines.slice(-2).join(' | ')}`);
    if (res.rc !== 0) return { ok: false, rc: res.rc, text: `wget failed (exit status ${res.rc}): ${r.lines.filter((l) => !l.startsWith('#')).slice(-1)[0] ?? ''}` };
    const mib = (res.bytes / 1048576).toFixed(res.bytes % 1048576 ? 2 : 0);
    if (!receiving) return { ok: true, sha256: res.sha256, bytes: res.bytes, text: `sent ${mib} MiB, sha256 ${res.sha256.slice(0, 12)}` };
    const ms = res.ns / 1e6;
    const mbps = res.bytes / 1e6 / (ms / 1000);
    return { ok: true, ms, sha256: res.sha256, bytes: res.bytes, text: `got ${mib} MiB, sha256 ${res.sha256.slice(0, 12)}, ${mbps.toFixed(2)} MB/s`, figures: { mbPerS: mbps } };
  };
  const sender = side(await onVm(vms[from], `serving ${name}`, serve, 60), false);
  const receiver = sender.ok ? side(await onVm(vms[to], `workload ${name}`, fetch, timeoutS), true) : failed('not run: the sender could not serve the data');
  const s = from === 'A' ? { a: sender, b: receiver } : { a: receiver, b: sender };
  const result: WorkloadResult = { name, kind: 'tcp', ...s, same: sender.ok && receiver.ok && sender.sha256 === receiver.sha256 && sender.bytes === receiver.bytes };
  if (!sender.ok || !receiver.ok) result.detail = [!s.a.ok && `A: ${s.a.text}`, !s.b.ok && `B: ${s.b.text}`].filter(Boolean).join('; ');
  else if (!result.same) result.detail = `the data arrived changed: ${receiver.bytes} of ${sender.bytes} bytes, sha256 ${receiver.sha256} instead of ${sender.sha256}`;
  return result;
}
