// One boot of the whole system: the broker, the RTL (a simulator process or
// the in-process model) and the patched QEMU running the guest suite, every
// process ended on the way out. `cosim run` does one boot; `cosim regress`
// boots again after a guest that wedged.
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../broker/broker';
import { buildGuest, buildQemu, buildSim, Echo } from '../orchestrate/build';
import { Proc, repoRoot } from '../orchestrate/process';
import { startHdl } from '../orchestrate/sim';
import { brokerConfig, uniqueEndpoints } from '../orchestrate/stack';
import { ipcPath } from '../protocol/link';
import { inprocSpec } from '../peer/inproc-hdl';
import { Logger } from '../util/log';
import { ConsoleParser, TestResult } from './console';

/** The RTL designs the guest image has a driver and a suite for. */
export const DEVICES = {
  example: { top: 'cosim_top', filelist: 'hdl/rtl.f', suiteFile: 'guest/tests/suite.txt' },
  gpu: { top: 'gpu_top', filelist: 'hdl/gpu/rtl.f', suiteFile: 'guest/tests/suite-gpu.txt' },
} as const;
export type DeviceName = keyof typeof DEVICES;

export function parseDevice(name: string): DeviceName {
  if (!(name in DEVICES)) throw new Error(`--device: '${name}' is not one of ${Object.keys(DEVICES).join(', ')}`);
  return name as DeviceName;
}

/** The default test list of a device's guest suite, in order. */
export function suiteTests(device: DeviceName): string[] {
  const file = path.join(repoRoot, DEVICES[device].suiteFile);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export interface BootOptions {
  log: Logger;
  device: DeviceName;
  /** Per guest test, enforced in the guest and (with slack) by the host. */
  testTimeoutS: number;
  bootTimeoutS: number;
  accel: 'auto' | 'kvm' | 'tcg';
  memoryMb: number;
  /** QEMU's MMIO read timeout; the broker's request timeout is kept below it. */
  mmioTimeoutMs: number;
  qemuArgs: string[];
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  /** A simulator binary to use instead of building the device's RTL. */
  sim?: string;
  /** 'inproc:MODEL' hosts the RTL in this process (N-API addon) instead of a cosim-sim process. */
  hdl?: string;
  kernelArgs?: string;
  seed?: number;
  /** Console and child output ([guest] / [sim] prefixes). */
  echo: Echo;
  /** One line per finished test. */
  progress: (line: string) => void;
  /** Aborts the run (Ctrl-C). */
  signal?: AbortSignal;
}

/** What every boot shares: the built binaries and the accelerator. */
export interface Env {
  simBin?: string;
  qemuBin: string;
  guestDir: string;
  accel: 'kvm' | 'tcg';
  accelWhy: string;
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

export async function prepare(o: BootOptions): Promise<Env> {
  const dev = DEVICES[o.device];
  const simBin = inprocSpec(o.hdl) !== undefined ? undefined : (o.sim ?? (await buildSim({ top: dev.top, filelist: dev.filelist, echo: o.echo })));
  const qemuBin = await buildQemu(o.echo);
  const guestDir = await buildGuest(o.echo);
  const kvm = o.accel === 'tcg' ? { ok: false, why: 'TCG requested' } : await probeKvm(qemuBin);
  if (o.accel === 'kvm' && !kvm.ok) throw new Error(`--accel kvm: ${kvm.why}`);
  const accel = kvm.ok ? 'kvm' : 'tcg';
  o.log.info({ accel, why: kvm.why }, `accelerator: ${accel}`);
  return { simBin, qemuBin, guestDir, accel, accelWhy: kvm.why };
}

export interface BootReport {
  tests: TestResult[];
  complete: boolean;
  problems: string[];
  bootToFirstTestMs?: number;
  /** Set when the boot ended early: a hang, a crash, a stop after a failure. */
  stopReason?: string;
}

const DEVICE_NAME = 'dev0';
/**
 * Boots once and runs `tests` (the device's default suite if undefined).
 * stopOnFailure ends the boot at the first failing test.
 */
export async function boot(env: Env, o: BootOptions, tests: string[] | undefined, stopOnFailure: boolean): Promise<BootReport> {
  const problems: string[] = [];
  const { simBin, qemuBin, guestDir, accel } = env;

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
  const wiring = await deviceBackends(ep.qemu);
  const append = [
    'cosim.nic=loop',
    'console=ttyS0',
    'panic=-1',
    'quiet',
    `cosim.timeout=${o.testTimeoutS}`,
    // The guest runner's default suite is the example device's.
    ...(o.device === 'example' ? [] : [`cosim.suite=${o.device}`]),
    ...(o.seed !== undefined ? [`cosim.seed=${o.seed}`] : []),
    ...(tests?.length ? [`cosim.tests=${tests.join(',')}`] : []),
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
    ...wiring.qemuArgs,
    '-device', `cosim-pcie,endpoint=${ep.qemu},name=${DEVICE_NAME},timeout-ms=${o.mmioTimeoutMs},chardev=cosim-uart,netdev=cosim-nic`,
    ...o.qemuArgs,
  ];
  o.log.debug({ qemu: qemuBin, args: qemuArgs }, 'starting QEMU');
  const qemuStart = Date.now();
  let bootToFirstTestMs: number | undefined;
  let cyclesAtBegin: bigint | undefined;
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
      const t = parser.finishCurrent('timeout', `no progress for ${seconds} s (${what}); last transaction the broker saw: ${broker.lastTransaction(DEVICE_NAME) ?? 'none'}`);
      if (t) {
        t.lastTransaction = broker.lastTransaction(DEVICE_NAME);
        o.progress(progressLine(t));
      }
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
          cyclesAtBegin = broker.deviceCycle(DEVICE_NAME);
          arm(o.testTimeoutS + 30, `test '${ev.test.name}'`);
          break;
        case 'test-end': {
          const end = broker.deviceCycle(DEVICE_NAME);
          if (end !== undefined && cyclesAtBegin !== undefined) ev.test.rtlCycles = end - cyclesAtBegin;
          if (ev.test.status !== 'pass') ev.test.lastTransaction = broker.lastTransaction(DEVICE_NAME);
          o.progress(progressLine(ev.test));
          arm(o.testTimeoutS + 30, 'waiting for the next test');
          if (ev.test.status !== 'pass' && stopOnFailure) stop(`stopped after the first failure ('${ev.test.name}'; --keep-going runs the rest)`);
          break;
        }
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
  checkUartExpectations(parser.tests, wiring.uartFile);
  fs.rmSync(wiring.uartFile, { force: true });
  const cut = parser.finishCurrent('fail', `${stopReason ?? 'the run ended during this test'}; last transaction the broker saw: ${broker.lastTransaction(DEVICE_NAME) ?? 'none'}`);
  if (cut) o.progress(progressLine(cut));
  if (qemu.exit?.code && !complete) problems.push(`QEMU: ${qemu.stderrTail.slice(-5).join(' | ')}`);
  const simSummary = sim.stderrTail.find((l) => l.includes('summary:'));
  if (simSummary) o.log.info(simSummary);
  for (const name of tests ?? []) if (!parser.tests.some((t) => t.name === name)) parser.tests.push({ name, status: 'not run', ok: 0, notOk: 0, failures: [`not reached${stopReason ? `: ${stopReason}` : ''}`], comments: [] });
  return { tests: parser.tests, complete, problems: [...new Set(problems)], bootToFirstTestMs, stopReason };
}

/**
 * The device's UART goes to a file (a normal chardev) and its NIC to a UDP
 * socket that sends every frame back to itself (a normal netdev), so guest
 * tests can check both channels end to end. Only loopback addresses are used.
 */
async function deviceBackends(endpoint: string): Promise<{ qemuArgs: string[]; uartFile: string }> {
  const port = await freeUdpPort();
  const uartFile = `${ipcPath(endpoint) ?? path.join(repoRoot, 'build', 'run')}.uart`;
  fs.writeFileSync(uartFile, '');
  const at = `type=inet,host=127.0.0.1,port=${port}`;
  return {
    uartFile,
    qemuArgs: [
      '-chardev', `file,id=cosim-uart,path=${uartFile}`,
      '-netdev', `dgram,id=cosim-nic,${at.replace(/(\w+)=/g, 'local.$1=')},${at.replace(/(\w+)=/g, 'remote.$1=')}`,
    ],
  };
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/** A test that printed "# cosim-uart-expect TEXT" fails unless TEXT reached the UART's chardev. */
function checkUartExpectations(tests: TestResult[], uartFile: string): void {
  const lines = new Set((fs.existsSync(uartFile) ? fs.readFileSync(uartFile, 'utf8') : '').split(/\r?\n/));
  for (const t of tests) {
    for (const c of t.comments) {
      const m = c.match(/^# cosim-uart-expect (.*)$/);
      if (!m || lines.has(m[1])) continue;
      t.failures.push(`UART output ${JSON.stringify(m[1])} did not reach the serial chardev (${uartFile})`);
      if (t.status === 'pass') t.status = 'fail';
    }
  }
}

export function progressLine(t: TestResult): string {
  const status = t.status === 'pass' ? 'PASS' : t.status === 'timeout' ? 'TIMEOUT' : 'FAIL';
  const cycles = t.rtlCycles !== undefined ? `, ${t.rtlCycles} RTL cycles` : '';
  return `${status} ${t.name} (${((t.durationMs ?? 0) / 1000).toFixed(1)} s${cycles})${t.status === 'pass' ? '' : `: ${t.failures[0] ?? ''}`}`;
}


