// `cosim`: the command-line entry point.
import { Broker } from '../broker/broker';
import { ConfigError, defaultSettings, loadConfig } from '../broker/config';
import { formatConf } from '../protocol/conf';
import { InprocHdl, inprocSpec } from '../peer/inproc-hdl';
import { resolveModel } from '../model/native';
import { QemuPeer } from '../peer/qemu-peer';
import { resultTable, selftest } from '../selftest';
import * as fs from 'node:fs';
import { initProject } from '../project/init';
import { builtinNames, ProjectError, resolveProject } from '../project/project';
import { BootOptions, prepare, shell } from '../run/boot';
import { GUEST_KERNELS, GuestKernel } from '../project/guest-layer';
import { regress, regressPassed, regressTable } from '../run/regress';
import { reportTable, run, runPassed } from '../run/run';
import { compare, comparePassed, VmChoice } from '../compare/compare';
import { compareJson, compareTable, writeMarkdown } from '../compare/report';
import { commandLine, MIN_MAX_BYTES, parseSize, TraceOptions, TraceSummary, TraceWriter } from '../trace/writer';
import { repoRoot } from '../orchestrate/process';
import * as path from 'node:path';
import { mergeJunit, parseShard, Shard } from '../run/suite';
import { createLogger, LOG_LEVELS } from '../util/log';
import { MMIO_TIMEOUT_MS, PEER_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../defaults';
import { clientCurve, CurveError, CurveFiles, writeKeyPair } from '../protocol/curve';
import { bigOpt, Command, helpText, intOpt, OptSpec, parse, UsageError } from './args';
import { runTrace, TRACE } from '../trace/cli';
import { REPLAY, runReplay } from '../trace/replay-cli';

const logLevel = { type: 'string', arg: 'LEVEL', help: `log level: ${LOG_LEVELS.join(', ')}`, default: 'info' } as const;

/** --trace FILE and its size bound (docs/trace.md); `what` says what FILE holds. */
const traceOptionSpecs = (what: string): Record<string, OptSpec> => ({
  trace: { type: 'string', arg: 'FILE', help: `record into FILE every message to and from the RTL, with the RTL cycle of each and the DMA data (docs/trace.md; read it with 'cosim trace show'): ${what}` },
  'trace-max-bytes': { type: 'string', arg: 'SIZE', help: 'size bound of each trace file (bytes, or with K, M, G): recording stops there and the trace says it was truncated (default: 1G)' },
});

/** The keys of a peer that connects to a broker with CURVE keys (cosim keygen). */
const CURVE_CLIENT_OPTIONS: Record<string, OptSpec> = {
  'curve-server-key': { type: 'string', arg: 'FILE', help: "CURVE: the broker's public key file (NAME.key from 'cosim keygen'); needed by a broker with keys" },
  'curve-key': { type: 'string', arg: 'FILE', help: "CURVE: this peer's secret key file (NAME.key_secret), whose public half the broker lists" },
};

const BROKER: Command = {
  name: 'broker',
  summary: 'Run the broker: pairs QEMU-side and HDL-side peers by device name and relays MMIO, DMA, MSI-X, NIC and serial traffic.',
  usage: 'cosim broker [options]',
  options: {
    config: { type: 'string', arg: 'FILE', help: 'JSON config (schema: bridge/schema/cosim-config.schema.json); command-line options win over it' },
    'qemu-endpoint': { type: 'string', arg: 'URL', help: `ROUTER endpoint for QEMU-side peers, ipc://PATH or tcp://HOST:PORT (default: ${defaultSettings().qemuEndpoint})` },
    'hdl-endpoint': { type: 'string', arg: 'URL', help: `ROUTER endpoint for HDL-side peers (default: ${defaultSettings().hdlEndpoint})` },
    'request-timeout-ms': { type: 'string', arg: 'MS', help: `how long an MMIO or DMA read may wait for its completion before the requester gets an ERROR (default: ${REQUEST_TIMEOUT_MS})` },
    'peer-timeout-ms': { type: 'string', arg: 'MS', help: `silence after which a peer is declared gone (default: ${PEER_TIMEOUT_MS})` },
    'exit-on-peer-loss': { type: 'boolean', help: 'exit with status 3 when a peer disappears without SHUTDOWN' },
    hdl: { type: 'string', arg: 'inproc:MODEL', help: "host the RTL in this process instead of waiting for a simulator on the HDL endpoint: MODEL is a built-in project's name (example, gpu), a project folder, a top built with 'scripts/build-rtl.sh --lib --top NAME', or a libcosim-model.so path" },
    'hdl-name': { type: 'string', arg: 'NAME', help: 'device name of the in-process RTL', default: 'dev0' },
    'curve-key': { type: 'string', arg: 'FILE', help: "CURVE on both endpoints: the broker's secret key file (NAME.key_secret from 'cosim keygen')" },
    'curve-clients': { type: 'string', arg: 'LIST', help: 'CURVE: comma-separated public key files (NAME.key) or folders of them: the peers let in' },
    insecure: { type: 'boolean', help: 'allow a tcp endpoint without CURVE keys (anyone who reaches it can take a device\'s place and DMA into guest memory)' },
    ...traceOptionSpecs("every device's traffic until the broker stops"),
    'log-level': { ...logLevel, default: undefined, help: `${logLevel.help} (default: the config's, else info)` },
  },
  details: [
    'Signals: SIGINT/SIGTERM stop the broker cleanly (peers get SHUTDOWN); SIGUSR1 prints the per-channel counters.',
    'A tcp endpoint needs CURVE keys (--curve-key and --curve-clients, or broker.curve in the config) unless --insecure; with keys, every peer on both endpoints must present an allowed key.',
  ].join('\n'),
};

const KEYGEN: Command = {
  name: 'keygen',
  summary: 'Write a CURVE key pair for a broker or a peer: NAME.key (public: give it out) and NAME.key_secret (mode 0600: keep it).',
  usage: 'cosim keygen NAME [options]',
  options: {
    dir: { type: 'string', arg: 'DIR', help: 'folder to write them in', default: '.' },
    force: { type: 'boolean', help: 'replace existing files' },
  },
  details: [
    'A tcp setup: one pair for the broker, one per peer (QEMU, each simulator).',
    '  cosim keygen broker; cosim keygen qemu; cosim keygen sim',
    '  cosim broker --qemu-endpoint tcp://127.0.0.1:7000 --hdl-endpoint tcp://127.0.0.1:7001 --curve-key broker.key_secret --curve-clients qemu.key,sim.key',
    '  cosim-sim --endpoint tcp://127.0.0.1:7001 --curve-server-key broker.key --curve-key sim.key_secret',
    '  cosim run --broker tcp://127.0.0.1:7000 --curve-server-key broker.key --curve-key qemu.key_secret',
    'The files are the ones pyzmq\'s zmq.auth reads and writes.',
  ].join('\n'),
};

const CLIENT: Command = {
  name: 'client',
  summary: 'Poke the RTL by hand, acting as the QEMU side of a device.',
  usage: 'cosim client [options] (info | read BAR OFFSET [SIZE] | write BAR OFFSET VALUE [SIZE])',
  options: {
    endpoint: { type: 'string', arg: 'URL', help: `the broker's QEMU-side endpoint (default: ${defaultSettings().qemuEndpoint})` },
    name: { type: 'string', arg: 'NAME', help: 'device name to attach to', default: 'dev0' },
    'timeout-ms': { type: 'string', arg: 'MS', help: 'handshake and read timeout', default: String(MMIO_TIMEOUT_MS) },
    ...CURVE_CLIENT_OPTIONS,
    'log-level': { ...logLevel, default: 'warn' },
  },
  details: [
    'examples:',
    '  cosim client info                  print the device configuration (CONF)',
    '  cosim client read 0 0x10           4-byte read of BAR0 offset 0x10',
    '  cosim client read 0 0x10 8         8-byte read',
    '  cosim client write 0 0x10 0x5      4-byte write (posted)',
    'SIZE is 1, 2, 4 or 8 bytes (default 4). Numbers are decimal or 0x hex.',
    'A write is confirmed by a read of the same BAR behind it; a refused write exits 1 with the reason.',
  ].join('\n'),
};

const SELFTEST: Command = {
  name: 'selftest',
  summary: 'Start a broker, the Verilated example device and the QEMU stand-in; exercise every channel; print a table. Exits non-zero on any failure.',
  usage: 'cosim selftest [options]',
  options: {
    sim: { type: 'string', arg: 'PATH', help: 'simulator binary to use instead of building the example (scripts/build-rtl.sh)' },
    wave: { type: 'string', arg: 'FILE.fst', help: 'write an FST waveform of the run' },
    'wave-start': { type: 'string', arg: 'CYCLE', help: 'first cycle of the waveform window' },
    'wave-stop': { type: 'string', arg: 'CYCLE', help: 'last cycle of the waveform window' },
    batch: { type: 'string', arg: 'CYCLES', help: 'cycles the simulator runs between two message exchanges (default: the harness default)' },
    hdl: { type: 'string', arg: 'inproc:MODEL', help: "run the RTL inside the broker's process (N-API addon) instead of as a cosim-sim process, e.g. inproc:example" },
    ...traceOptionSpecs('the device traffic of the checks, each check between test marks'),
    'log-level': { ...logLevel, default: 'warn' },
  },
};

/** The built-in project each booting command runs without --project or --device. */
const DEFAULT_DEVICE = { run: 'example', regress: 'gpu', shell: 'gpu', compare: 'gpu' } as const;

/** Options every command that boots the guest takes (run, regress, shell). */
const bootOptionSpecs = (defaultDevice: string): Record<string, OptSpec> => ({
  project: { type: 'string', arg: 'DIR', help: "a device project: a folder holding a cosim.json, or the file (see 'cosim init')" },
  device: { type: 'string', arg: 'NAME', help: `a built-in project instead: ${builtinNames().join(', ')} (default: ${defaultDevice})` },
  timeout: { type: 'string', arg: 'SECONDS', help: 'per-test timeout; a hung test is killed and reported', default: '60' },
  'boot-timeout': { type: 'string', arg: 'SECONDS', help: 'time the guest may take to boot and load its driver', default: '180' },
  accel: { type: 'string', arg: 'auto|kvm|tcg', help: 'accelerator; auto uses KVM only when a probe shows a KVM vCPU really runs', default: 'auto' },
  memory: { type: 'string', arg: 'MB', help: 'guest memory (default: 512, 1024 with --kernel debug)' },
  kernel: { type: 'string', arg: 'stock|debug', help: "the guest kernel: Debian's (stock), or the debug build of the same version with KASAN, lockdep and DMA-API debugging (scripts/build-debug-kernel.sh: about 50 minutes cold)", default: 'stock' },
  cpus: { type: 'string', arg: 'N', help: "vCPUs (default: the project's qemu.cpus, else 1); more than one runs multi-threaded TCG" },
  'mmio-timeout-ms': { type: 'string', arg: 'MS', help: "QEMU's MMIO read timeout (a timed-out read returns all-ones)", default: String(MMIO_TIMEOUT_MS) },
  'qemu-arg': { type: 'string', arg: 'ARG', multiple: true, help: 'extra QEMU argument, repeatable (e.g. --qemu-arg=-d --qemu-arg=guest_errors)' },
  'kernel-arg': { type: 'string', arg: 'ARG', help: 'extra kernel command line text' },
  wave: { type: 'string', arg: 'FILE.fst', help: 'write an FST waveform of the RTL' },
  'wave-start': { type: 'string', arg: 'CYCLE', help: 'first cycle of the waveform window' },
  'wave-stop': { type: 'string', arg: 'CYCLE', help: 'last cycle of the waveform window' },
  broker: { type: 'string', arg: 'URL', help: "join a broker already running at this QEMU-side endpoint (e.g. 'cosim broker' on another host, with its RTL) instead of starting a broker and a simulator" },
  ...CURVE_CLIENT_OPTIONS,
  tcp: { type: 'boolean', help: "the run's broker listens on loopback tcp (a port it picks) with CURVE keys made for the run, instead of ipc sockets" },
  hdl: { type: 'string', arg: 'inproc[:MODEL]', help: "run the RTL inside this process (N-API addon) instead of a cosim-sim process: 'inproc' is the project's own RTL" },
  sim: { type: 'string', arg: 'PATH', help: "simulator binary to use instead of building the project's RTL (e.g. scripts/build-rtl.sh with another file list)" },
  ...traceOptionSpecs("the boot's device traffic, with a mark at each test's start and end; a second boot (regress reboots after a wedged guest) writes FILE with .boot2 before the extension"),
  quiet: { type: 'boolean', help: 'do not stream the guest console and simulator output' },
  'log-level': { ...logLevel, default: 'warn' },
});

const RUN: Command = {
  name: 'run',
  summary: 'Boot the guest in the patched QEMU against the Verilated RTL through a broker, run the guest suite and print a per-test table. Exits non-zero if any test fails.',
  usage: 'cosim run [options]',
  options: {
    tests: { type: 'string', arg: 'LIST', help: "comma-separated guest tests to run (default: the project's suite)" },
    'keep-going': { type: 'boolean', help: 'run the remaining tests after a failure (default: stop at the first)' },
    seed: { type: 'string', arg: 'N', help: 'seed for the tests that use random data (default: random, printed)' },
    ...bootOptionSpecs(DEFAULT_DEVICE.run),
  },
  details: 'Builds (or takes from the cache) the simulator, QEMU and the guest first. Console lines are prefixed [guest], simulator lines [sim].',
};

const REGRESS: Command = {
  name: 'regress',
  summary: 'Run the guest regression suite against the RTL in one boot (rebooting after a guest that wedges), with a live line per test, a table, JUnit XML and an exit code for CI.',
  usage: 'cosim regress [options]',
  options: {
    tests: { type: 'string', arg: 'LIST', help: "comma-separated tests instead of the project's suite (its testbench files are named tb:PATH)" },
    grep: { type: 'string', arg: 'REGEX', help: 'run only the tests whose name matches' },
    seed: { type: 'string', arg: 'N', help: 'seed for the tests that use random data (default: random, printed; pass it again to repeat a run)' },
    shard: { type: 'string', arg: 'I/N', help: 'run the I-th of N equal slices of the selection (a CI matrix or Slurm array runs the N slices and merges the JUnit files)' },
    junit: { type: 'string', arg: 'FILE', help: 'write JUnit XML results' },
    'skip-testbench': { type: 'boolean', help: "leave out the project's host-side testbench tests (cosim.json \"testbench\")" },
    'wave-on-fail': { type: 'string', arg: 'DIR', help: "give each failing guest test a waveform of its cycles, DIR/<test>.fst, and DIR/<test>.gtkw (the bridge's channels grouped, markers at its last transactions): the run records a trace per test (DIR/traces, unless --trace-dir) and replays the failing ones against the same RTL (cosim replay); passing tests pay for their trace alone" },
    'trace-dir': { type: 'string', arg: 'DIR', help: "write one trace per guest test, DIR/<test>.trace: everything from the start of the boot that ran it through the test's end, so it replays from cycle 0; and each boot's whole trace, DIR/session.trace (DIR/session.boot2.trace, ...) unless --trace names it (docs/trace.md)" },
    ...bootOptionSpecs(DEFAULT_DEVICE.regress),
  },
  details: 'The project\'s testbench tests run first, with no VM; then one boot runs the guest tests. A test that hangs is killed at its timeout and reported with the last transaction the broker saw; the rest of the suite still runs. Merge shard results with `cosim junit-merge`.',
};

const SHELL: Command = {
  name: 'shell',
  summary: "Boot the project's guest with its modules loaded and its setup run, and give the terminal a guest shell (lspci, setpci, devmem, dmesg, insmod, the project's programs).",
  usage: 'cosim shell [options]',
  options: {
    exec: { type: 'string', arg: "'CMD; CMD'", help: 'run these shell commands in the guest instead, print their output and exit with their status' },
    seed: { type: 'string', arg: 'N', help: 'COSIM_SEED in the guest' },
    ...bootOptionSpecs(DEFAULT_DEVICE.shell),
  },
  details: "Ctrl-A X (QEMU's serial multiplexer) or 'poweroff' ends the shell; every process ends with it. Ctrl-A H lists the other keys.",
};

const COMPARE: Command = {
  name: 'compare',
  summary: "Boot two VMs linked through the device's NIC, run the project's compare workloads and the network workloads in both, and print them side by side. Exits non-zero if an output differs or a workload fails.",
  usage: 'cosim compare [options]',
  options: {
    'b-project': { type: 'string', arg: 'DIR', help: 'VM B is a device VM running this project instead of the baseline VM (stock QEMU, virtio-net, no device)' },
    'b-device': { type: 'string', arg: 'NAME', help: 'VM B is a device VM running this built-in project' },
    'b-sim': { type: 'string', arg: 'PATH', help: "VM B is a device VM running this simulator binary (A's project)" },
    'b-define': { type: 'string', arg: 'MACRO', multiple: true, help: "VM B is a device VM with A's project built with this define too (repeatable), e.g. COSIM_BUG_COPY_SHORT" },
    'a-define': { type: 'string', arg: 'MACRO', multiple: true, help: "build A's RTL with this define too (repeatable)" },
    'a-baseline': { type: 'boolean', help: 'VM A is a baseline VM too: both run stock QEMU with virtio-net, the figures of a link without the RTL, for reference' },
    out: { type: 'string', arg: 'DIR', help: 'output folder: report.md, link.pcap, the consoles and UART logs (default: build/compare/<time>)' },
    json: { type: 'string', arg: 'FILE', help: 'write the report as JSON' },
    grep: { type: 'string', arg: 'REGEX', help: 'run only the workloads whose name matches (net:link, net:ping, net:tcp-a-to-b, net:tcp-b-to-a, and the project\'s)' },
    'keep-going': { type: 'boolean', help: 'run the remaining workloads after one differs or fails (default: stop at the first)' },
    seed: { type: 'string', arg: 'N', help: 'COSIM_SEED in both guests, and the TCP payload (default: random, printed)' },
    'no-net': { type: 'boolean', help: 'leave out the network workloads (a device without a NIC)' },
    'tcp-bytes': { type: 'string', arg: 'BYTES', help: 'bytes each TCP transfer sends', default: String(8 << 20) },
    'ping-count': { type: 'string', arg: 'N', help: 'pings each way', default: '20' },
    ...(({ broker: _b, hdl: _h, 'curve-server-key': _s, 'curve-key': _k, ...rest }) => rest)(bootOptionSpecs(DEFAULT_DEVICE.compare)),
    ...traceOptionSpecs("VM A's device traffic (each VM has its own broker), a mark at each workload's start and end; a device VM B's goes to FILE with .b before the extension"),
  },
  details: [
    'VM A is the device VM (--project/--device, default gpu). VM B is the baseline VM unless a --b-* option makes it a second device VM (an A/B of two RTL builds).',
    'The two NICs share a private Ethernet segment of QEMU dgram netdevs on loopback (A 10.77.0.1, B 10.77.0.2); no tap, bridge or root is needed.',
    "Workloads: the project's cosim.json \"compare.workloads\" (compared by exit status and stdout digest, the first differing byte located on a mismatch), then net:link, net:ping (RTT p50/p99, loss, both ways) and net:tcp-a-to-b / net:tcp-b-to-a (bulk TCP with busybox httpd and wget, checksums compared at both ends).",
    '--wave applies to VM A.',
  ].join('\n'),
};

const INIT: Command = {
  name: 'init',
  summary: 'Create a device project that works at once: RTL around cosim_bridge, a kernel module, a C and a shell guest test, a testbench test, cosim.json and a README.',
  usage: 'cosim init DIR [options]',
  options: {
    name: { type: 'string', arg: 'NAME', help: "the project's name (default: from DIR)" },
    'vendor-id': { type: 'string', arg: 'ID', help: 'PCI vendor id', default: '0x1234' },
    'device-id': { type: 'string', arg: 'ID', help: 'PCI device id', default: '0xc0f0' },
    class: { type: 'string', arg: 'CODE', help: 'PCI class code, 24 bits', default: '0x120000' },
  },
  details: 'DIR must not exist or be empty. Then: cosim regress --project DIR',
};

const JUNIT_MERGE: Command = {
  name: 'junit-merge',
  summary: 'Merge the JUnit XML files of several regress shards into one document on stdout.',
  usage: 'cosim junit-merge FILE...',
  options: {},
};

const COMMANDS = [RUN, REGRESS, SHELL, COMPARE, INIT, BROKER, CLIENT, KEYGEN, SELFTEST, JUNIT_MERGE, TRACE, REPLAY];

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: cosim <command> [options]',
    '',
    'qemu-hdl-bridge: drive Verilated PCIe device RTL from QEMU (or a stand-in) over ZeroMQ.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'cosim <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topHelp());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`cosim: unknown command '${name}'\n\n${topHelp()}`);
    return 2;
  }
  try {
    const { values, positionals } = parse(cmd, rest);
    if (values.help) {
      console.log(helpText(cmd));
      return 0;
    }
    if (cmd === BROKER) return await runBroker(values);
    if (cmd === CLIENT) return await runClient(values, positionals);
    if (cmd === RUN) return await runGuest(values);
    if (cmd === REGRESS) return await runRegress(values);
    if (cmd === JUNIT_MERGE) return junitMerge(positionals);
    if (cmd === SHELL) return await runShell(values);
    if (cmd === COMPARE) return await runCompare(values);
    if (cmd === INIT) return runInit(values, positionals);
    if (cmd === KEYGEN) return keygen(values, positionals);
    if (cmd === REPLAY) return await runReplay(values, positionals);
    if (cmd === TRACE) return runTrace(values, positionals);
    return await runSelftest(values);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof ProjectError || e instanceof CurveError) {
      console.error(e.message);
      return 2;
    }
    console.error(`cosim ${name}: ${(e as Error).message}`);
    return 1;
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** --trace, --trace-dir and --trace-max-bytes; undefined when no trace is asked for. */
function traceOptions(v: Values): TraceOptions | undefined {
  const file = str(v.trace);
  const dir = str(v['trace-dir']);
  let maxBytes: number | undefined;
  if (v['trace-max-bytes'] !== undefined) {
    try {
      maxBytes = parseSize(str(v['trace-max-bytes'])!, '--trace-max-bytes');
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (maxBytes < MIN_MAX_BYTES) throw new UsageError(`--trace-max-bytes: at least ${MIN_MAX_BYTES} bytes`);
    if (!file && !dir) throw new UsageError('--trace-max-bytes goes with --trace (or --trace-dir)');
  }
  return file || dir ? { file, dir, maxBytes } : undefined;
}

/** Opens the trace of --trace FILE, if given. */
function openTrace(t: TraceOptions | undefined, log: ReturnType<typeof createLogger>): TraceWriter | undefined {
  return t?.file ? TraceWriter.open(t.file, { command: commandLine() }, { maxBytes: t.maxBytes, log }) : undefined;
}

/** A closed trace's line on stderr: where it is, or what went wrong. True if it failed (the command exits non-zero). */
function reportTrace(s: TraceSummary | undefined): boolean {
  if (!s) return false;
  process.stderr.write(`${s.error ?? `trace ${s.file}: ${s.records} records, ${s.bytes} bytes${s.truncated ? `; truncated: ${s.truncated}` : ''}`}\n`);
  return s.error !== undefined;
}

async function runBroker(v: Values): Promise<number> {
  const cfg = loadConfig(str(v.config));
  const b = cfg.broker;
  if (v['qemu-endpoint']) b.qemuEndpoint = str(v['qemu-endpoint'])!;
  if (v['hdl-endpoint']) b.hdlEndpoint = str(v['hdl-endpoint'])!;
  if (v['request-timeout-ms']) b.requestTimeoutMs = intOpt(v['request-timeout-ms'], 'request-timeout-ms', 1);
  if (v['peer-timeout-ms']) b.peerTimeoutMs = intOpt(v['peer-timeout-ms'], 'peer-timeout-ms', 50);
  if (v['curve-key'] || v['curve-clients']) {
    if (!v['curve-key'] || !v['curve-clients']) throw new UsageError('--curve-key and --curve-clients go together');
    b.curve = { key: str(v['curve-key'])!, clients: str(v['curve-clients'])!.split(',').filter(Boolean) };
  }
  if (v.insecure) b.insecure = true;
  const log = createLogger(str(v['log-level']) ?? b.logLevel);
  let exitCode = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const trace = openTrace(traceOptions(v), log);
  const broker = new Broker(cfg, log, {
    onPeerGone: (_side, _name, reason) => {
      if (v['exit-on-peer-loss'] && !reason.startsWith('sent SHUTDOWN')) {
        exitCode = 3;
        done();
      }
    },
    trace,
  });
  // The model is built (or found) before the broker listens: a QEMU that
  // finds the socket finds the broker ready, not busy building for a minute.
  const model = inprocSpec(str(v.hdl));
  let lib: string | undefined;
  try {
    if (model !== undefined) lib = await resolveModel(model);
    await broker.start();
  } catch (e) {
    trace?.close();
    throw e;
  }
  let hdl: InprocHdl | undefined;
  if (model !== undefined && lib !== undefined) {
    try {
      hdl = new InprocHdl(lib, { broker, model, name: str(v['hdl-name']), log });
    } catch (e) {
      await broker.stop('the in-process HDL peer could not start');
      trace?.close();
      throw e;
    }
    void hdl.exited.then(() => {
      if (!exitCode && v['exit-on-peer-loss']) exitCode = 3;
      if (v['exit-on-peer-loss']) done();
    });
  }
  const stop = () => done();
  const usr1 = () => process.stderr.write(`${broker.stats.table()}\n`);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGUSR1', usr1);
  await finished;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  process.off('SIGUSR1', usr1);
  await broker.stop(exitCode ? 'a peer was lost' : 'broker stopped by signal');
  if (hdl) {
    await hdl.stop('broker stopped');
    process.stderr.write(`in-process HDL peer: ${hdl.summary()}\n`);
  }
  process.stderr.write(`${broker.stats.table()}\n`);
  if (reportTrace(trace?.close()) && !exitCode) exitCode = 1;
  return exitCode;
}

async function runClient(v: Values, pos: string[]): Promise<number> {
  const [op, ...args] = pos;
  const usage = `usage: ${CLIENT.usage}`;
  if (!op || !['info', 'read', 'write'].includes(op)) throw new UsageError(usage);
  const log = createLogger(str(v['log-level']));
  const size = (s: string | undefined) => {
    const n = s === undefined ? 4 : Number(s);
    if (![1, 2, 4, 8].includes(n)) throw new UsageError(`SIZE must be 1, 2, 4 or 8, not '${s}'`);
    return n as 1 | 2 | 4 | 8;
  };
  if (op === 'read' && (args.length < 2 || args.length > 3)) throw new UsageError(usage);
  if (op === 'write' && (args.length < 3 || args.length > 4)) throw new UsageError(usage);
  const keys = curveFiles(v);
  const peer = new QemuPeer({ endpoint: str(v.endpoint) ?? defaultSettings().qemuEndpoint, name: str(v.name), timeoutMs: intOpt(v['timeout-ms'], 'timeout-ms', 1), curve: keys && clientCurve(keys.serverKey, keys.key), log });
  try {
    const conf = await peer.connect();
    if (op === 'info') {
      console.log(formatConf(conf));
    } else if (op === 'read') {
      const value = await peer.read(Number(bigOpt(args[0], 'BAR')), bigOpt(args[1], 'OFFSET'), size(args[2]));
      console.log(`0x${value.toString(16)}`);
    } else {
      const bar = Number(bigOpt(args[0], 'BAR'));
      const writeTag = peer.write(bar, bigOpt(args[1], 'OFFSET'), bigOpt(args[2], 'VALUE'), size(args[3]));
      const refused: string[] = [];
      peer.on('unsolicited-error', (text, _code, tag) => tag === writeTag && refused.push(text));
      // A posted write has no completion; a read behind it proves it reached the device, and the
      // broker answers in order, so a refusal of the write has arrived by the time the read is answered.
      const behind = await peer.read(bar, 0n, 4).then(
        () => undefined,
        (e: Error) => e.message,
      );
      if (refused.length) throw new Error(`the write was refused: ${refused.join('; ')}`);
      if (behind !== undefined) throw new Error(`the write was sent, but the read behind it failed, so it may not have reached the device: ${behind}`);
    }
  } finally {
    await peer.close('client done');
  }
  return 0;
}

async function runSelftest(v: Values): Promise<number> {
  const log = createLogger(str(v['log-level']));
  const opt = (k: string) => (v[k] !== undefined ? intOpt(v[k], k) : undefined);
  const quietSim = str(v['log-level']) === 'warn' || str(v['log-level']) === 'error' || str(v['log-level']) === 'silent';
  const trace = openTrace(traceOptions(v), log);
  let out: Awaited<ReturnType<typeof selftest>>;
  try {
    out = await selftest({
      log,
      simBinary: str(v.sim),
      wave: str(v.wave),
      waveStart: opt('wave-start'),
      waveStop: opt('wave-stop'),
      batch: opt('batch'),
      hdl: str(v.hdl),
      echo: quietSim ? () => undefined : undefined,
      trace,
    });
  } finally {
    trace?.close();
  }
  const { results, simCyclesLine } = out;
  console.log(resultTable(results));
  if (simCyclesLine) console.log(`simulator: ${simCyclesLine.replace(/^\[sim\]\s*/, '')}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed ? `selftest: ${failed} of ${results.length} checks FAILED` : `selftest: all ${results.length} checks passed`);
  const traceFailed = reportTrace(trace?.close());
  return failed || traceFailed ? 1 : 0;
}

/** Parses BOOT_OPTIONS; the abort signal follows SIGINT/SIGTERM until release(). */
function bootOptions(v: Values, defaultSeed: boolean, defaultDevice: string): BootOptions & { release: () => void } {
  const log = createLogger(str(v['log-level']));
  const accel = str(v.accel);
  if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') throw new UsageError(`--accel: '${accel}' is not auto, kvm or tcg`);
  let project;
  try {
    project = resolveProject({ project: str(v.project), device: str(v.device), defaultDevice });
  } catch (e) {
    if (e instanceof ProjectError) throw e;
    throw new UsageError((e as Error).message);
  }
  const opt = (k: string) => (v[k] !== undefined ? intOpt(v[k], k) : undefined);
  const kernel = str(v.kernel) ?? 'stock';
  if (!(GUEST_KERNELS as readonly string[]).includes(kernel)) throw new UsageError(`--kernel: '${kernel}' is not ${GUEST_KERNELS.join(' or ')}`);
  const seed = opt('seed') ?? (defaultSeed ? Math.floor(Math.random() * 0x7fffffff) + 1 : undefined);
  const trace = traceOptions(v);
  if (trace && v.broker) throw new UsageError("--trace is recorded by the run's own broker: with --broker, give that broker --trace");
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    log,
    project,
    seed,
    testTimeoutS: intOpt(v.timeout, 'timeout', 1),
    bootTimeoutS: intOpt(v['boot-timeout'], 'boot-timeout', 1),
    accel,
    // KASAN's shadow and quarantine and lockdep's tables want more than the stock kernel.
    memoryMb: intOpt(v.memory ?? (kernel === 'debug' ? '1024' : '512'), 'memory', 64),
    kernel: kernel as GuestKernel,
    cpus: opt('cpus'),
    mmioTimeoutMs: intOpt(v['mmio-timeout-ms'], 'mmio-timeout-ms', 10),
    qemuArgs: (v['qemu-arg'] as string[] | undefined) ?? [],
    kernelArgs: str(v['kernel-arg']),
    wave: str(v.wave),
    waveStart: opt('wave-start'),
    waveStop: opt('wave-stop'),
    hdl: str(v.hdl),
    sim: str(v.sim),
    brokerEndpoint: str(v.broker),
    brokerCurve: brokerCurve(v),
    tcp: Boolean(v.tcp),
    trace,
    echo: v.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`),
    progress: (l) => process.stderr.write(`${l}\n`),
    signal: abort.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function runGuest(v: Values): Promise<number> {
  const o = bootOptions(v, true, DEFAULT_DEVICE.run);
  try {
    const report = await run({ ...o, tests: str(v.tests)?.split(',').map((t) => t.trim()).filter(Boolean), keepGoing: Boolean(v['keep-going']) });
    console.log(reportTable(report));
    console.log(`seed ${o.seed}`);
    if (o.signal?.aborted) return 130;
    return runPassed(report) ? 0 : 1;
  } finally {
    o.release();
  }
}

async function runRegress(v: Values): Promise<number> {
  let grep: RegExp | undefined;
  let shard: Shard | undefined;
  try {
    grep = v.grep !== undefined ? new RegExp(str(v.grep)!) : undefined;
    shard = v.shard !== undefined ? parseShard(str(v.shard)!) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const o = bootOptions(v, true, DEFAULT_DEVICE.regress);
  try {
    const report = await regress({ ...o, seed: o.seed!, tests: str(v.tests)?.split(',').map((t) => t.trim()).filter(Boolean), grep, shard, junit: str(v.junit), skipTestbench: Boolean(v['skip-testbench']), waveOnFail: str(v['wave-on-fail']) });
    console.log(regressTable(report));
    if (o.signal?.aborted) return 130;
    return regressPassed(report) ? 0 : 1;
  } finally {
    o.release();
  }
}

/** --curve-server-key and --curve-key, which go together. */
function curveFiles(v: Values): CurveFiles | undefined {
  const serverKey = str(v['curve-server-key']);
  const key = str(v['curve-key']);
  if (!serverKey && !key) return undefined;
  if (!serverKey || !key) throw new UsageError('--curve-server-key and --curve-key go together');
  // Read now, so a bad file is reported before anything starts.
  clientCurve(serverKey, key);
  return { serverKey: path.resolve(serverKey), key: path.resolve(key) };
}

function brokerCurve(v: Values): CurveFiles | undefined {
  const keys = curveFiles(v);
  if (keys && !v.broker) throw new UsageError('--curve-server-key and --curve-key are for --broker URL (a run\'s own broker on tcp makes its keys: --tcp)');
  if (v.tcp && v.broker) throw new UsageError('--tcp is for the run\'s own broker; with --broker, the URL says the transport');
  return keys;
}

function keygen(v: Values, pos: string[]): number {
  if (pos.length !== 1) throw new UsageError(`usage: ${KEYGEN.usage}`);
  const { publicFile, secretFile, pair } = writeKeyPair(str(v.dir)!, pos[0], Boolean(v.force));
  console.log(`public key ${pair.publicKey}\n  ${publicFile}\n  ${secretFile} (secret, mode 600)`);
  return 0;
}

function junitMerge(files: string[]): number {
  if (files.length === 0) throw new UsageError(`usage: ${JUNIT_MERGE.usage}`);
  process.stdout.write(mergeJunit(files.map((f) => fs.readFileSync(f, 'utf8'))));
  return 0;
}

async function runShell(v: Values): Promise<number> {
  const o = bootOptions(v, false, DEFAULT_DEVICE.shell);
  const exec = str(v.exec);
  try {
    const env = await prepare(o);
    // The shell owns the terminal, and --exec prints only the commands' output:
    // the console and simulator chatter stay off both (--log-level debug logs it).
    o.echo = (l) => o.log.debug(l);
    const r = await shell(env, o, exec, (l) => console.log(l));
    for (const p of r.problems) console.error(`cosim shell: ${p}`);
    if (o.signal?.aborted) return 130;
    // A trace that could not be written fails the command, whatever the commands' status.
    if (o.trace && r.problems.some((p) => p.startsWith('trace '))) return r.rc || 1;
    return r.rc;
  } finally {
    o.release();
  }
}

async function runCompare(v: Values): Promise<number> {
  let grep: RegExp | undefined;
  try {
    grep = v.grep !== undefined ? new RegExp(str(v.grep)!) : undefined;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const o = bootOptions(v, true, DEFAULT_DEVICE.compare);
  const list = (k: string) => (v[k] as string[] | undefined) ?? [];
  const bDevice = v['b-project'] !== undefined || v['b-device'] !== undefined || v['b-sim'] !== undefined || list('b-define').length > 0;
  let bProject = o.project;
  if (v['b-project'] !== undefined || v['b-device'] !== undefined) {
    try {
      bProject = resolveProject({ project: str(v['b-project']), device: str(v['b-device']) });
    } catch (e) {
      if (e instanceof ProjectError) throw e;
      throw new UsageError((e as Error).message.replace(/--(project|device)/g, '--b-$1'));
    }
  }
  const a: VmChoice = v['a-baseline'] ? { baseline: true, project: o.project, defines: [] } : { project: o.project, sim: o.sim, defines: list('a-define') };
  const b: VmChoice = bDevice ? { project: bProject, sim: str(v['b-sim']), defines: list('b-define') } : { baseline: true, project: o.project, defines: [] };
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = path.resolve(str(v.out) ?? path.join(repoRoot, 'build', 'compare', stamp));
  try {
    const report = await compare({
      ...o,
      a,
      b,
      seed: o.seed!,
      outDir,
      grep,
      keepGoing: Boolean(v['keep-going']),
      net: !v['no-net'],
      tcpBytes: intOpt(v['tcp-bytes'], 'tcp-bytes', 1),
      pingCount: intOpt(v['ping-count'], 'ping-count', 1),
    });
    writeMarkdown(report);
    if (v.json) fs.writeFileSync(str(v.json)!, compareJson(report));
    console.log(compareTable(report));
    if (o.signal?.aborted) return 130;
    return comparePassed(report) ? 0 : 1;
  } finally {
    o.release();
  }
}

function runInit(v: Values, pos: string[]): number {
  if (pos.length !== 1) throw new UsageError(`usage: ${INIT.usage}`);
  const id = (k: string) => Number(bigOpt(str(v[k]), `--${k}`));
  const files = initProject(pos[0], { name: str(v.name), vendorId: id('vendor-id'), deviceId: id('device-id'), classCode: id('class') });
  console.log(`created ${pos[0]}: ${files.join(', ')}`);
  console.log(`next: npx cosim regress --project ${pos[0]}`);
  return 0;
}
