// One boot of the whole system: the broker, the RTL (a simulator process or
// the in-process model) and the patched QEMU running the guest suite, every
// process ended on the way out. `cosim run` does one boot; `cosim regress`
// boots again after a guest that wedged.
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../broker/broker';
import { buildQemu, Echo } from '../orchestrate/build';
import { Proc } from '../orchestrate/process';
import { buildGuestImage, GuestImage, GuestKernel } from '../project/guest-layer';
import { Project } from '../project/project';
import { buildProjectRtl } from '../project/rtl';
import { startHdl } from '../orchestrate/sim';
import { brokerConfig, uniqueEndpoints } from '../orchestrate/stack';
import { CurveFiles, runKeys } from '../protocol/curve';
import { PEER_TIMEOUT_MS, requestTimeoutFor, RUN_BROKER, runtimeDir } from '../defaults';
import { ipcPath } from '../protocol/link';
import { inprocSpec } from '../peer/inproc-hdl';
import { Logger } from '../util/log';
import { ConsoleParser, TestResult } from './console';
import { commandLine, sessionTraceFile, testTraceFile, TraceOptions, TraceWriter } from '../trace/writer';

/** The test names a project's suite runs by default, in order. */
export function suiteTests(project: Project): string[] {
  return project.guest.tests.map((t) => t.name);
}

/** Tests --tests may name: the suite's, and any program of the project (run as a TAP test). */
export function checkTestNames(project: Project, names: string[], extra: string[] = []): void {
  const known = new Set([...extra, ...suiteTests(project), ...project.guest.programs.map((p) => p.name)]);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`--tests: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a test or program of project '${project.name}' (tests: ${suiteTests(project).join(', ') || 'none'})`);
}

export interface BootOptions {
  log: Logger;
  project: Project;
  /** Per guest test, enforced in the guest and (with slack) by the host. */
  testTimeoutS: number;
  bootTimeoutS: number;
  accel: 'auto' | 'kvm' | 'tcg';
  memoryMb: number;
  /** vCPUs (default: the project's qemu.cpus, else 1); more than one runs multi-threaded TCG. */
  cpus?: number;
  /** QEMU's MMIO read timeout; the broker's request timeout is kept below it. */
  mmioTimeoutMs: number;
  qemuArgs: string[];
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  /** A simulator binary to use instead of building the device's RTL. */
  sim?: string;
  /** QEMU joins a broker already running at this endpoint (its HDL side is its business): no broker or simulator is started. */
  brokerEndpoint?: string;
  /** QEMU's CURVE key files for brokerEndpoint. */
  brokerCurve?: CurveFiles;
  /** The run's own broker listens on loopback tcp, with CURVE keys made for the run, instead of ipc. */
  tcp?: boolean;
  /** 'inproc' (the project's model) or 'inproc:MODEL' hosts the RTL in this process (N-API addon) instead of a cosim-sim process. */
  hdl?: string;
  kernelArgs?: string;
  /** 'debug': the debug build of the guest's kernel (KASAN, lockdep, DMA-API debugging; scripts/build-debug-kernel.sh). Default 'stock'. */
  kernel?: GuestKernel;
  seed?: number;
  /** Console and child output ([guest] / [sim] prefixes). */
  echo: Echo;
  /** One line per finished test. */
  progress: (line: string) => void;
  /** Aborts the run (Ctrl-C). */
  signal?: AbortSignal;
  /** Record the broker's traffic (docs/trace.md): each boot's session, and with `dir` one trace per test. Not with brokerEndpoint. */
  trace?: TraceOptions;
}

/** What every boot shares: the built binaries and the accelerator. */
export interface Env {
  simBin?: string;
  qemuBin: string;
  guest: GuestImage;
  /** The --hdl spec with 'inproc' resolved to the project's model. */
  hdl?: string;
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
  const hdl = o.hdl === 'inproc' ? `inproc:${o.project.dir}` : o.hdl;
  const simBin = inprocSpec(hdl) !== undefined || o.brokerEndpoint ? undefined : (o.sim ?? (await buildProjectRtl(o.project, { echo: o.echo })));
  const qemuBin = await buildQemu(o.echo);
  const guest = await buildGuestImage(o.project, o.echo, o.kernel);
  const kvm = o.accel === 'tcg' ? { ok: false, why: 'TCG requested' } : await probeKvm(qemuBin);
  if (o.accel === 'kvm' && !kvm.ok) throw new Error(`--accel kvm: ${kvm.why}`);
  const accel = kvm.ok ? 'kvm' : 'tcg';
  o.log.info({ accel, why: kvm.why }, `accelerator: ${accel}`);
  return { simBin, qemuBin, guest, hdl, accel, accelWhy: kvm.why };
}

export interface BootReport {
  tests: TestResult[];
  complete: boolean;
  problems: string[];
  bootToFirstTestMs?: number;
  /** Set when the boot ended early: a hang, a crash, a stop after a failure. */
  stopReason?: string;
  /** Why the guest could not start the tests (a module that did not load, a failing setup command). */
  setupFailed?: string;
}

const DEVICE_NAME = 'dev0';

/** The processes of one boot: the broker, the HDL side and QEMU. */
export interface Session {
  /** This run's broker; undefined with --broker (one started elsewhere). */
  broker?: Broker;
  qemu: Proc;
  uartFile: string;
  /** Problems seen so far (a lost peer, a simulator that died). */
  problems: string[];
  /** Ends QEMU, the broker and the HDL side, in that order. */
  stop(why: string): Promise<void>;
}

/** The kernel command line every guest of ours starts with. */
export const KERNEL_ARGS = [
  'console=ttyS0',
  'panic=-1',
  'quiet',
  // The crypto self-tests are a tenth of the kernel's boot under TCG and test nothing of ours.
  'cryptomgr.notests',
];

/**
 * QEMU's arguments for a guest of ours: the machine, the kernel and
 * initramfs, the serial console on stdio. The device VM and `cosim
 * compare`'s baseline VM share them.
 */
export function guestMachineArgs(env: Pick<Env, 'guest' | 'accel'>, o: Pick<BootOptions, 'project' | 'memoryMb' | 'cpus' | 'seed' | 'kernelArgs' | 'kernel'>, guestArgs: string[], interactive = false): string[] {
  const p = o.project;
  const append = [
    ...KERNEL_ARGS,
    // The debug kernel's reports (lockdep, DMA-API, WARN) are warnings: the console shows them, and the host fails the run on them.
    ...(o.kernel === 'debug' ? ['cosim.kwarn=1'] : []),
    ...guestArgs,
    ...(o.seed !== undefined ? [`cosim.seed=${o.seed}`] : []),
    ...(p.qemu.kernelArgs ? [p.qemu.kernelArgs] : []),
    ...(o.kernelArgs ? [o.kernelArgs] : []),
  ].join(' ');
  const cpus = o.cpus ?? p.qemu.cpus ?? 1;
  return [
    ...(env.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', cpus > 1 ? 'tcg,thread=multi' : 'tcg']),
    '-M', 'q35',
    '-m', String(p.qemu.memoryMb ?? o.memoryMb),
    '-smp', String(cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-serial', interactive ? 'mon:stdio' : 'stdio', '-no-reboot',
    '-kernel', env.guest.kernel,
    '-initrd', env.guest.initrd,
    '-append', append,
  ];
}

/** Where the device's UART and NIC go; by default a file and a netdev that loops every frame back. */
export interface DeviceWiring {
  uartFile: string;
  /** QEMU arguments defining netdev 'cosim-nic' (and anything attached to it). */
  netdev: string[];
  /** The NIC's frames come back to it (cosim.nic=loop for the guest tests). */
  nicLoop: boolean;
}

/**
 * The console of a session: the serial console line by line (QEMU's stdout
 * alone), QEMU's own stderr lines (echoed as [qemu] in any case), the
 * terminal (interactive), and whether stdin is a pipe (Proc.write).
 */
export interface SessionConsole {
  line?: (l: string) => void;
  stderr?: (l: string) => void;
  interactive?: boolean;
  input?: boolean;
}

/**
 * Starts the broker, the HDL side and QEMU booting the project's guest.
 * `guestArgs` are extra kernel command line options for /init; `console`
 * gets QEMU's output line by line, or `interactive` hands it the terminal.
 */
export async function startSession(env: Env, o: BootOptions, guestArgs: string[], console: SessionConsole, wiringFor: (endpoint: string) => Promise<DeviceWiring> = loopWiring, trace?: TraceWriter): Promise<Session> {
  const problems: string[] = [];
  if (trace && o.brokerEndpoint) throw new Error(`a trace is recorded by the run's own broker; one joined with --broker records with its own --trace`);
  const backend = o.brokerEndpoint ? { qemuEndpoint: o.brokerEndpoint, qemuCurve: o.brokerCurve } : await startBackend(env, o, problems, trace);
  const qemuEndpoint = backend.qemuEndpoint;
  const curveProps = backend.qemuCurve ? `,curve-server-key=${qemuOptValue(backend.qemuCurve.serverKey)},curve-key=${qemuOptValue(backend.qemuCurve.key)}` : '';
  const wiring = await wiringFor(qemuEndpoint);
  const qemuArgs = [
    ...guestMachineArgs(env, o, [...(wiring.nicLoop ? ['cosim.nic=loop'] : []), ...guestArgs], console.interactive),
    '-chardev', `file,id=cosim-uart,path=${wiring.uartFile}`,
    ...wiring.netdev,
    '-device', `cosim-pcie,endpoint=${qemuEndpoint},name=${DEVICE_NAME},timeout-ms=${o.mmioTimeoutMs},chardev=cosim-uart,netdev=cosim-nic${curveProps}`,
    ...o.project.qemu.args,
    ...o.qemuArgs,
  ];
  o.log.debug({ qemu: env.qemuBin, args: qemuArgs }, 'starting QEMU');
  const qemu = new Proc('qemu', env.qemuBin, qemuArgs, {
    interactive: console.interactive,
    input: console.input,
    // The console gets the guest's lines alone. QEMU's stderr never reaches it: its messages quote
    // text a device's peer chose (an ERROR's payload), which must not pass for a marker or a TAP line.
    stdout: console.interactive ? undefined : console.line,
    echo: (l) => {
      if (console.interactive) process.stderr.write(`[qemu] ${l}\n`);
      else o.echo(`[qemu] ${l}`);
      console.stderr?.(l);
    },
  });
  return {
    broker: 'broker' in backend ? backend.broker : undefined,
    qemu,
    uartFile: wiring.uartFile,
    problems,
    stop: async (why) => {
      // QEMU's exit closes its connection without SHUTDOWN (QEMU does not unrealize devices on exit):
      // from here on, a lost peer is the teardown, not a problem of the run.
      if ('stopping' in backend) backend.stopping();
      await qemu.stop(2000);
      if ('stop' in backend) await backend.stop(why);
    },
  };
}

/** This run's own broker and HDL side (unless --broker names one already running). */
async function startBackend(env: Env, o: BootOptions, problems: string[], trace?: TraceWriter): Promise<{ qemuEndpoint: string; qemuCurve?: CurveFiles; broker: Broker; stopping: () => void; stop: (why: string) => Promise<void> }> {
  const keys = o.tcp ? runKeys(runtimeDir(), ['qemu', 'sim']) : undefined;
  let tearingDown = false;
  let broker: Broker;
  try {
    broker = new Broker(
      brokerConfig({ requestTimeoutMs: requestTimeoutFor(o.mmioTimeoutMs), ...RUN_BROKER, devices: o.project.broker ? { [DEVICE_NAME]: o.project.broker } : {}, curve: keys?.broker }, uniqueEndpoints(o.tcp ? 'tcp' : 'ipc')),
      o.log,
      { onPeerGone: (side, name, reason) => !tearingDown && !reason.startsWith('sent SHUTDOWN') && problems.push(`${side} peer '${name ?? '?'}' lost: ${reason}`), trace },
    );
    await broker.start();
  } catch (e) {
    keys?.remove();
    throw e;
  }
  const ep = broker.endpoints;
  const sim = await startHdl({
    curve: keys?.peer.sim,
    hdl: env.hdl,
    broker,
    log: o.log,
    binary: env.simBin,
    endpoint: ep.hdl,
    plusargs: o.project.rtl.plusargs,
    wave: o.wave,
    waveStart: o.waveStart,
    waveStop: o.waveStop,
    peerTimeoutMs: PEER_TIMEOUT_MS,
    echo: (l) => o.echo(`[sim] ${l.replace(/^\[sim\]\s*/, '')}`),
  }).catch(async (e: Error) => {
    await broker.stop('the HDL side did not start');
    keys?.remove();
    throw e;
  });
  void sim.exited.then(() => tearingDown || problems.push(`simulator ${sim.describeExit()} during the run: ${sim.stderrTail.slice(-3).join(' | ')}`));
  return {
    qemuEndpoint: ep.qemu,
    qemuCurve: keys?.peer.qemu,
    broker,
    stopping: () => (tearingDown = true),
    stop: async (why) => {
      tearingDown = true;
      await broker.stop(why);
      await sim.stop();
      keys?.remove();
      const simSummary = sim.stderrTail.find((l) => l.includes('summary:'));
      if (simSummary) o.log.info(simSummary);
    },
  };
}

/** A value in a QEMU -device option list, where a comma is written twice. */
const qemuOptValue = (v: string) => v.replace(/,/g, ',,');

/** Base64 of a shell command for cosim.exec= (the kernel command line holds 2048 bytes in all). */
export function execArg(command: string): string {
  const b64 = Buffer.from(command).toString('base64');
  if (b64.length > 1400) throw new Error(`--exec: the command is ${command.length} bytes; at most about 1000 fit on the kernel command line (put longer scripts in the project's guest.files)`);
  return `cosim.exec=${b64}`;
}

/** The trace of boot `n` (1-based) when the run records one (o.trace): opened, its header written. */
export function openSessionTrace(o: BootOptions, n: number, meta: Record<string, unknown> = {}): TraceWriter | undefined {
  if (!o.trace) return undefined;
  const file = sessionTraceFile(o.trace, n);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (o.trace.dir) fs.mkdirSync(o.trace.dir, { recursive: true });
  return TraceWriter.open(file, { command: commandLine(), session: n, project: o.project.name, seed: o.seed, ...meta }, { maxBytes: o.trace.maxBytes, log: o.log });
}

/** Closes a session's trace; a write error becomes a problem of the run. */
export function closeTrace(trace: TraceWriter | undefined, problems: string[]): void {
  const s = trace?.close();
  if (s?.error) problems.push(s.error);
}

/**
 * Boots once and runs `tests` (the project's suite if undefined).
 * stopOnFailure ends the boot at the first failing test. `bootNo` numbers
 * the boots of one run (its trace: FILE, then FILE.boot2.EXT, ...).
 */
export async function boot(env: Env, o: BootOptions, tests: string[] | undefined, stopOnFailure: boolean, bootNo = 1): Promise<BootReport> {
  // Test marks in the session's trace; with a trace folder, a trace per test cut at its end mark.
  const trace = openSessionTrace(o, bootNo, tests ? { tests } : {});
  const traceProblems: string[] = [];
  const endMark = (t: TestResult) => {
    if (!trace) return;
    trace.mark(t.name, 'end', t.status);
    if (!o.trace?.dir) return;
    const cut = trace.cut(testTraceFile(o.trace.dir, t.name));
    if (cut.error) traceProblems.push(cut.error);
  };
  const parser = new ConsoleParser(Date.now, new Map(o.project.guest.tests.map((t) => [t.name, t.result])));
  const qemuStart = Date.now();
  let bootToFirstTestMs: number | undefined;
  let cyclesAtBegin: bigint | undefined;
  let complete = false;
  let ready = false;
  let setupFailed: string | undefined;
  let stopReason: string | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const stop = (why?: string) => {
    if (why && !stopReason) stopReason = why;
    finish();
  };
  // The session's handlers run only once it exists; `session` is set before QEMU prints anything.
  // eslint-disable-next-line prefer-const
  let session: Session;
  const last = () => session.broker?.lastTransaction(DEVICE_NAME);

  let watchdog: NodeJS.Timeout | undefined;
  const arm = (seconds: number, what: string) => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      const t = parser.finishCurrent('timeout', `no progress for ${seconds} s (${what}); last transaction the broker saw: ${last() ?? 'none'}`);
      if (t) {
        t.lastTransaction = last();
        endMark(t);
        o.progress(progressLine(t));
      }
      stop(t ? `test '${t.name}' hung for ${seconds} s` : `${what}: nothing for ${seconds} s`);
    }, seconds * 1000);
  };
  const slowest = Math.max(o.testTimeoutS, ...o.project.guest.tests.map((t) => t.timeoutS ?? 0));
  const onLine = (l: string) => {
    const ev = parser.line(l);
    o.echo(`[guest] ${l.replace(/\r/g, '')}`);
    if (!ev) return;
    switch (ev.kind) {
      case 'ready':
        ready = true;
        arm(slowest + 30, 'waiting for the first test');
        break;
      case 'guest-error':
        // Before the tests, it is why none of them ran (reported with each); after, a problem of the run.
        if (!ready) setupFailed ??= ev.text;
        else session.problems.push(`guest: ${ev.text}`);
        break;
      case 'test-begin':
        bootToFirstTestMs ??= Date.now() - qemuStart;
        cyclesAtBegin = session.broker?.deviceCycle(DEVICE_NAME);
        trace?.mark(ev.test.name, 'begin');
        arm(slowest + 30, `test '${ev.test.name}'`);
        break;
      case 'test-end': {
        const end = session.broker?.deviceCycle(DEVICE_NAME);
        if (end !== undefined && cyclesAtBegin !== undefined) ev.test.rtlCycles = end - cyclesAtBegin;
        if (ev.test.status !== 'pass') ev.test.lastTransaction = last();
        endMark(ev.test);
        o.progress(progressLine(ev.test));
        arm(slowest + 30, 'waiting for the next test');
        if (ev.test.status !== 'pass' && stopOnFailure) stop(`stopped after the first failure ('${ev.test.name}'; --keep-going runs the rest)`);
        break;
      }
      case 'kernel-report':
        // Fails the run wherever it appeared: before the tests (loading the modules), during one, between two.
        session.problems.push(`guest kernel report${ev.test ? ` during '${ev.test}'` : ''}: ${ev.text}`);
        break;
      case 'suite-end':
        if (ev.mismatch) session.problems.push(ev.mismatch);
        complete = true;
        stop();
        break;
    }
  };
  // QEMU's messages during a test go with its output (JUnit's system-out), marked and never parsed.
  const onStderr = (l: string) => parser.running?.output?.push(`[qemu] ${l}`);
  try {
    session = await startSession(env, o, [`cosim.timeout=${o.testTimeoutS}`, ...(tests?.length ? [`cosim.tests=${tests.join(',')}`] : [])], { line: onLine, stderr: onStderr }, undefined, trace);
  } catch (e) {
    trace?.close();
    throw e;
  }
  const { qemu, problems } = session;
  arm(o.bootTimeoutS, 'booting the guest');
  void qemu.exited.then(() => stop(complete ? undefined : `QEMU ${qemu.describeExit()} before the suite ended`));
  const abort = () => stop('interrupted');
  o.signal?.addEventListener('abort', abort);

  try {
    await finished;
  } finally {
    clearTimeout(watchdog);
    o.signal?.removeEventListener('abort', abort);
    await session.stop(stopReason ?? 'run finished');
  }
  checkUartExpectations(parser.tests, session.uartFile);
  fs.rmSync(session.uartFile, { force: true });
  const cut = parser.finishCurrent('fail', `${stopReason ?? 'the run ended during this test'}; last transaction the broker saw: ${last() ?? 'none'}`);
  try {
    if (cut) endMark(cut);
  } finally {
    closeTrace(trace, problems);
    problems.push(...traceProblems);
  }
  if (cut) o.progress(progressLine(cut));
  if (qemu.exit?.code && !complete) problems.push(`QEMU: ${qemu.stderrTail.slice(-5).join(' | ')}`);
  const notRun = setupFailed ? `the guest could not start the tests: ${setupFailed}` : `not reached${stopReason ? `: ${stopReason}` : ''}`;
  for (const name of tests ?? suiteTests(o.project)) {
    if (!parser.tests.some((t) => t.name === name)) parser.tests.push({ name, status: setupFailed ? 'fail' : 'not run', ok: 0, notOk: 0, failures: [notRun], comments: [] });
  }
  return { tests: parser.tests, complete, problems: [...new Set(problems)], bootToFirstTestMs, stopReason, setupFailed };
}

export interface ShellReport {
  /** The exit status of --exec's commands, or of the shell session (0 after poweroff). */
  rc: number;
  problems: string[];
  setupFailed?: string;
}

/**
 * Boots the project's guest with its modules loaded and setup run, then
 * either hands the terminal a guest shell (QEMU's mon:stdio: Ctrl-A X quits)
 * or, with `exec`, runs those commands, streams their output to `out` and
 * returns their exit status.
 */
export async function shell(env: Env, o: BootOptions, exec: string | undefined, out: (line: string) => void): Promise<ShellReport> {
  let rc: number | undefined;
  let inExec = false;
  // The guest ends the output with a newline of its own: an empty line is held until we know it is not that one.
  let heldBlank = false;
  let setupFailed: string | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const onLine = (raw: string) => {
    const l = raw.replace(/\r/g, '');
    o.echo(`[guest] ${l}`);
    let m: RegExpMatchArray | null;
    if (/^# cosim-exec-begin$/.test(l)) inExec = true;
    else if ((m = l.match(/^# cosim-exec-end rc=(\d+)$/))) {
      inExec = false;
      rc = Number(m[1]);
    } else if ((m = l.match(/^# cosim-guest-error (.*)$/))) {
      setupFailed = m[1];
    } else if (inExec) {
      if (heldBlank) out('');
      heldBlank = l === '';
      if (!heldBlank) out(l);
    }
  };
  const trace = openSessionTrace(o, 1);
  let session: Session;
  try {
    session = await startSession(env, o, exec !== undefined ? [execArg(exec)] : ['cosim.shell=1'], exec !== undefined ? { line: onLine } : { interactive: true }, undefined, trace);
  } catch (e) {
    trace?.close();
    throw e;
  }
  const timer = exec !== undefined ? setTimeout(() => {
    session.problems.push(`--exec did not finish within ${o.testTimeoutS + o.bootTimeoutS} s`);
    finish();
  }, (o.testTimeoutS + o.bootTimeoutS) * 1000) : undefined;
  void session.qemu.exited.then(finish);
  const abort = () => finish();
  o.signal?.addEventListener('abort', abort);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', abort);
    await session.stop('shell ended');
    closeTrace(trace, session.problems);
    fs.rmSync(session.uartFile, { force: true });
  }
  if (setupFailed) session.problems.push(`the guest could not start: ${setupFailed}`);
  else if (exec !== undefined && rc === undefined) session.problems.push(`the guest ended before the commands did: QEMU ${session.qemu.describeExit()}`);
  return { rc: rc ?? (exec === undefined && !setupFailed && session.qemu.exit?.code === 0 ? 0 : 1), problems: [...new Set(session.problems)], setupFailed };
}

/**
 * The device's UART goes to a file (a normal chardev) and its NIC to a UDP
 * socket that sends every frame back to itself (a normal netdev), so guest
 * tests can check both channels end to end. Only loopback addresses are used.
 */
async function loopWiring(endpoint: string): Promise<DeviceWiring> {
  const port = await freeUdpPort();
  // Beside the run's ipc socket; a tcp run gets a file of its own (its port: the run's only unique name).
  const uartFile = `${ipcPath(endpoint) ?? path.join(runtimeDir(), `run-${endpoint.replace(/\W+/g, '-')}`)}.uart`;
  fs.writeFileSync(uartFile, '');
  return { uartFile, netdev: ['-netdev', dgramNetdev('cosim-nic', port, port)], nicLoop: true };
}

/** A QEMU netdev that sends its frames as UDP datagrams between two loopback ports. */
export function dgramNetdev(id: string, localPort: number, remotePort: number): string {
  return `dgram,id=${id},local.type=inet,local.host=127.0.0.1,local.port=${localPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${remotePort}`;
}

export function freeUdpPort(): Promise<number> {
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
  const status = t.status === 'pass' ? 'PASS' : t.status === 'timeout' ? 'TIMEOUT' : t.status === 'skipped' ? 'SKIPPED' : 'FAIL';
  const cycles = t.rtlCycles !== undefined ? `, ${t.rtlCycles} RTL cycles` : '';
  return `${status} ${t.name} (${((t.durationMs ?? 0) / 1000).toFixed(1)} s${cycles})${t.status === 'pass' ? '' : `: ${t.failures[0] ?? ''}`}`;
}


