// `cosim run`: the broker, the Verilated RTL and the patched QEMU booting the
// guest; the guest suite's results as a table; every process ended on the way out.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../broker/broker';
import { formatTable } from '../broker/stats';
import { buildGuest, buildQemu, buildSim, Echo } from '../orchestrate/build';
import { Proc } from '../orchestrate/process';
import { startHdl } from '../orchestrate/sim';
import { inprocSpec } from '../peer/inproc-hdl';
import { brokerConfig, uniqueEndpoints } from '../orchestrate/stack';
import { Logger } from '../util/log';
import { ConsoleParser, TestResult } from './console';

export interface RunOptions {
  log: Logger;
  tests?: string[];
  /** Per guest test, enforced in the guest and (with slack) by the host. */
  testTimeoutS: number;
  bootTimeoutS: number;
  keepGoing: boolean;
  accel: 'auto' | 'kvm' | 'tcg';
  memoryMb: number;
  /** QEMU's MMIO read timeout; the broker's request timeout is kept below it. */
  mmioTimeoutMs: number;
  qemuArgs: string[];
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  /** 'inproc:MODEL' hosts the RTL in this process (N-API addon) instead of a cosim-sim process. */
  hdl?: string;
  kernelArgs?: string;
  /** Where console and child output goes ([guest] / [sim] / [qemu] prefixes). */
  echo: Echo;
  /** Aborts the run (Ctrl-C). */
  signal?: AbortSignal;
}

export interface RunReport {
  tests: TestResult[];
  complete: boolean;
  problems: string[];
  bootToFirstTestMs?: number;
  wallMs: number;
  accel: string;
  simSummary?: string;
}

/**
 * KVM counts only if QEMU can really run a vCPU under it here: /dev/kvm can
 * exist and open while the first vCPU entry still fails (nested setups that
 * refuse an MSR, for one). The probe starts a machine paused, lets it run for
 * a moment and asks whether it is still running.
 */
export async function probeKvm(qemu: string, extraArgs: string[] = []): Promise<{ ok: boolean; why: string }> {
  if (!fs.existsSync('/dev/kvm')) return { ok: false, why: '/dev/kvm does not exist' };
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { ok: false, why: '/dev/kvm is not readable and writable' };
  }
  const p = spawn(qemu, ['-accel', 'kvm', '-cpu', 'host', '-M', 'q35', '-m', '64', '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'stdio', '-S', ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => {
    p.on('close', r);
    p.on('error', (e) => {
      out += `cannot start ${qemu}: ${e.message}\n`;
      r(null);
    });
  });
  const kill = setTimeout(() => p.kill('SIGKILL'), 10000);
  p.stdin.write('cont\n');
  await new Promise((r) => setTimeout(r, 1000));
  p.stdin.write('info status\nquit\n');
  const code = await exited;
  clearTimeout(kill);
  if (code === 0 && /VM status: running/.test(out)) return { ok: true, why: 'a KVM vCPU ran' };
  const err = out.split('\n').find((l) => /error|fail|abort/i.test(l))?.trim();
  return { ok: false, why: `a KVM vCPU did not run (${err ?? `QEMU exit status ${code}`})` };
}

export async function run(o: RunOptions): Promise<RunReport> {
  const t0 = Date.now();
  const problems: string[] = [];
  const quietBuild: Echo = (l) => o.echo(l);
  const simBin = inprocSpec(o.hdl) === undefined ? await buildSim({ echo: quietBuild }) : undefined;
  const qemuBin = await buildQemu(quietBuild);
  const guestDir = await buildGuest(quietBuild);
  const kvm = o.accel === 'tcg' ? { ok: false, why: 'TCG requested' } : await probeKvm(qemuBin);
  if (o.accel === 'kvm' && !kvm.ok) throw new Error(`--accel kvm: ${kvm.why}`);
  const accel = kvm.ok ? 'kvm' : 'tcg';
  o.log.info({ accel, why: kvm.why }, `accelerator: ${accel}`);

  const ep = uniqueEndpoints();
  let tearingDown = false;
  const broker = new Broker(
    brokerConfig({ requestTimeoutMs: Math.max(100, Math.floor(o.mmioTimeoutMs * 0.6)), peerTimeoutMs: 3000, heartbeatMs: 500 }, ep),
    o.log,
    { onPeerGone: (side, name, reason) => !tearingDown && !reason.startsWith('sent SHUTDOWN') && problems.push(`${side} peer '${name ?? '?'}' lost: ${reason}`) },
  );
  await broker.start();
  const sim = await startHdl({ hdl: o.hdl, broker, log: o.log, binary: simBin, endpoint: ep.hdl, wave: o.wave, waveStart: o.waveStart, waveStop: o.waveStop, peerTimeoutMs: 5000, echo: (l) => o.echo(`[sim] ${l.replace(/^\[sim\]\s*/, '')}`) });

  const parser = new ConsoleParser();
  const append = [
    'console=ttyS0',
    'panic=-1',
    'quiet',
    `cosim.timeout=${o.testTimeoutS}`,
    ...(o.tests?.length ? [`cosim.tests=${o.tests.join(',')}`] : []),
    ...(o.kernelArgs ? [o.kernelArgs] : []),
  ].join(' ');
  const qemuArgs = [
    ...(accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg']),
    '-M', 'q35',
    '-m', String(o.memoryMb),
    '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', path.join(guestDir, 'vmlinuz'),
    '-initrd', path.join(guestDir, 'initramfs.cpio.gz'),
    '-append', append,
    '-device', `cosim-pcie,endpoint=${ep.qemu},name=dev0,timeout-ms=${o.mmioTimeoutMs}`,
    ...o.qemuArgs,
  ];
  o.log.debug({ qemu: qemuBin, args: qemuArgs }, 'starting QEMU');
  const qemuStart = Date.now();
  let bootToFirstTestMs: number | undefined;
  let complete = false;
  let stopReason: string | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const stop = (why?: string) => {
    if (why && !stopReason) stopReason = why;
    finish();
  };

  let watchdog: NodeJS.Timeout | undefined;
  const arm = (seconds: number, what: string) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      const t = parser.finishCurrent('timeout', `no progress for ${seconds} s (${what})`);
      stop(t ? `test '${t.name}' hung for ${seconds} s` : `${what}: nothing for ${seconds} s`);
    }, seconds * 1000);
  };
  arm(o.bootTimeoutS, 'booting the guest');

  const qemu = new Proc('qemu', qemuBin, qemuArgs, {
    echo: (l) => {
      const ev = parser.line(l);
      o.echo(`[guest] ${l.replace(/\r/g, '')}`);
      if (!ev) return;
      switch (ev.kind) {
        case 'ready':
          arm(o.testTimeoutS + 30, 'waiting for the first test');
          break;
        case 'guest-error':
          problems.push(`guest: ${ev.text}`);
          break;
        case 'test-begin':
          bootToFirstTestMs ??= Date.now() - qemuStart;
          arm(o.testTimeoutS + 30, `test '${ev.test.name}'`);
          break;
        case 'test-end':
          o.echo(`${ev.test.status === 'pass' ? 'PASS' : 'FAIL'} ${ev.test.name} (${((ev.test.durationMs ?? 0) / 1000).toFixed(1)} s)`);
          arm(o.testTimeoutS + 30, 'waiting for the next test');
          if (ev.test.status !== 'pass' && !o.keepGoing) stop(`stopped after the first failure ('${ev.test.name}'; --keep-going runs the rest)`);
          break;
        case 'suite-end':
          complete = true;
          stop();
          break;
      }
    },
  });
  void qemu.exited.then(() => stop(complete ? undefined : `QEMU ${qemu.describeExit()} before the suite ended`));
  void sim.exited.then(() => tearingDown || problems.push(`simulator ${sim.describeExit()} during the run: ${sim.stderrTail.slice(-3).join(' | ')}`));
  const abort = () => stop('interrupted');
  o.signal?.addEventListener('abort', abort);

  try {
    await finished;
  } finally {
    tearingDown = true;
    clearTimeout(watchdog);
    o.signal?.removeEventListener('abort', abort);
    await qemu.stop(2000);
    await broker.stop(stopReason ?? 'run finished');
    await sim.stop(3000);
  }
  parser.finishCurrent('fail', stopReason ?? 'the run ended during this test');
  if (stopReason) problems.unshift(stopReason);
  if (qemu.exit?.code && !complete) problems.push(`QEMU: ${qemu.stderrTail.slice(-5).join(' | ')}`);
  const planned = o.tests ?? [];
  for (const name of planned) if (!parser.tests.some((t) => t.name === name)) parser.tests.push({ name, status: 'not run', ok: 0, notOk: 0, failures: [], comments: [] });
  return {
    tests: parser.tests,
    complete,
    problems: [...new Set(problems)],
    bootToFirstTestMs,
    wallMs: Date.now() - t0,
    accel,
    simSummary: sim.stderrTail.find((l) => l.includes('summary:')),
  };
}

export function reportTable(r: RunReport): string {
  const rows = [['test', 'result', 'subtests', 'duration']];
  for (const t of r.tests) {
    rows.push([t.name, t.status === 'pass' ? 'pass' : t.status.toUpperCase(), `${t.ok}/${t.planned ?? t.ok + t.notOk}`, t.durationMs !== undefined ? `${(t.durationMs / 1000).toFixed(1)} s` : '-']);
  }
  const lines = [formatTable(rows)];
  for (const t of r.tests.filter((x) => x.status !== 'pass' && x.failures.length)) {
    lines.push(`${t.name}:`, ...t.failures.map((f) => `  ${f}`));
  }
  // Measurements a test reports as TAP comments ("# name key=value ...").
  for (const t of r.tests) for (const c of t.comments.filter((x) => /^# \S+ \S+=\S+/.test(x))) lines.push(`${t.name}: ${c.slice(2)}`);
  for (const p of r.problems) lines.push(`problem: ${p}`);
  const passed = r.tests.filter((t) => t.status === 'pass').length;
  lines.push(
    `${passed}/${r.tests.length} tests passed${r.complete ? '' : ', suite did not complete'}; ${r.accel.toUpperCase()}; boot to first test ${r.bootToFirstTestMs !== undefined ? `${(r.bootToFirstTestMs / 1000).toFixed(1)} s` : '-'}; wall ${(r.wallMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

export function runPassed(r: RunReport): boolean {
  return r.complete && r.tests.length > 0 && r.tests.every((t) => t.status === 'pass') && r.problems.length === 0;
}
