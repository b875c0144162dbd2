// Shared test helpers: private endpoints per test, a quiet logger, C tools
// built on demand, the simulator binary, and a scriptable fake HDL peer.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Broker } from '../bridge/src/broker/broker';
import { DeviceConf, encodeConf } from '../bridge/src/protocol/conf';
import { message, Message, MsgType, Role } from '../bridge/src/protocol/wire';
import { repoRoot } from '../bridge/src/orchestrate/process';
import { buildQemu } from '../bridge/src/orchestrate/build';
import { resolveProject } from '../bridge/src/project/project';
import { buildProjectRtl } from '../bridge/src/project/rtl';
import { brokerConfig, Stack, StackOptions, startStack, uniqueEndpoints } from '../bridge/src/orchestrate/stack';
import { PeerLink } from '../bridge/src/peer/peer-link';
import { createLogger, Logger } from '../bridge/src/util/log';

export { repoRoot, uniqueEndpoints };

/** Silent unless COSIM_TEST_LOG names a level. */
export function testLog(): Logger {
  return createLogger(process.env.COSIM_TEST_LOG ?? 'silent', 'test');
}

/** Compiles dpi/tools/<name>.c (or another C file) into build/tools/ when stale. */
export function cTool(name: string, src = path.join(repoRoot, 'dpi', 'tools', `${name}.c`), libs: string[] = []): string {
  const out = path.join(repoRoot, 'build', 'tools', name);
  const header = path.join(repoRoot, 'dpi', 'include', 'cosim_wire.h');
  const stale = !fs.existsSync(out) || [src, header].some((f) => fs.statSync(f).mtimeMs > fs.statSync(out).mtimeMs);
  if (stale) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('gcc', ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-O2', '-Wall', '-Wextra', '-Werror', `-I${path.join(repoRoot, 'dpi', 'include')}`, '-o', out, src, ...libs], { stdio: 'inherit' });
  }
  return out;
}

/** A built-in project's simulator, built (or taken from the cache) once per test file. */
export function builtinSim(name: string, defines: string[] = []): Promise<string> {
  return buildProjectRtl(resolveProject({ device: name }), { defines, echo: () => undefined });
}

/** The example simulator. */
export function simBinary(): Promise<string> {
  return builtinSim('example');
}

export const EXAMPLE_CONF: DeviceConf = {
  vendorId: 0x1234,
  deviceId: 0xc051,
  subsystemVendorId: 0x1234,
  subsystemId: 1,
  classCode: 0x120000,
  revision: 1,
  msix: { vectors: 4, tableBar: 0, tableOffset: 0x8000n, pbaBar: 0, pbaOffset: 0x9000n },
  bars: [
    { size: 0x10000n, is64: true, prefetch: false },
    { size: 0n, is64: false, prefetch: false },
    { size: 0x1000n, is64: false, prefetch: false },
    { size: 0n, is64: false, prefetch: false },
    { size: 0n, is64: false, prefetch: false },
    { size: 0n, is64: false, prefetch: false },
  ],
};

/** A broker on private endpoints with short timeouts. */
export async function startBroker(o: Partial<StackOptions> = {}): Promise<{ broker: Broker; qemu: string; hdl: string }> {
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({ requestTimeoutMs: 300, peerTimeoutMs: 1000, heartbeatMs: 100, ...o }, ep), testLog());
  await broker.start();
  return { broker, ...ep };
}

/**
 * An HDL-side peer written in TypeScript: announces a CONF and lets the test
 * decide how to answer each message (or not to answer at all).
 */
export class FakeHdl {
  readonly link: PeerLink;
  readonly received: Message[] = [];
  onMessage: (m: Message, hdl: FakeHdl) => void = () => {};

  constructor(endpoint: string, name = 'dev0') {
    this.link = new PeerLink({ endpoint, name, role: Role.HDL, timeoutMs: 2000, peerTimeoutMs: 3000, log: testLog() });
    this.link.onMessage = (m) => {
      this.received.push(m);
      this.onMessage(m, this);
    };
  }

  async start(conf: DeviceConf = EXAMPLE_CONF): Promise<this> {
    await this.link.connect();
    this.link.send(message(MsgType.CONF, { payload: encodeConf(conf) }));
    return this;
  }

  close(): Promise<void> {
    return this.link.close('test done');
  }
}

export async function eventually(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Clocks the RTL at least `cycles` cycles past now and returns the cycle
 * counter it reached, read through `readCycle` (an MMIO read of the device's
 * cycle register). For "nothing else happened" checks: the model is clocked
 * while it has work (an idle one may stop), never by the wall clock, so a
 * sleep proves nothing; each read clocks it. And since what the RTL sends
 * (MSI-X, INTX, DMA writes, serial) is ordered before a later read's
 * completion on the same path, once this returns, anything the RTL sent up
 * to that cycle has arrived. Fails if `maxReads` reads do not get there.
 */
export async function clockRtl(readCycle: () => Promise<bigint>, cycles: bigint, maxReads = 10000): Promise<bigint> {
  const start = await readCycle();
  let now = start;
  for (let i = 0; now < start + cycles; i++) {
    if (i >= maxReads) throw new Error(`the RTL ran ${now - start} of ${cycles} cycles in ${maxReads} reads`);
    now = await readCycle();
  }
  return now;
}

/** One broker + simulator + QEMU stand-in for a whole test file. */
export async function exampleStack(o: Partial<StackOptions> = {}): Promise<Stack> {
  return stackOn(await simBinary(), o);
}

/** The GPU front-end simulator (hdl/gpu/). */
export function gpuSimBinary(): Promise<string> {
  return builtinSim('gpu');
}

/** exampleStack() with the GPU front-end as the device. */
export async function gpuStack(o: Partial<StackOptions> = {}): Promise<Stack> {
  return stackOn(await gpuSimBinary(), o);
}

function stackOn(binary: string, o: Partial<StackOptions>): Promise<Stack> {
  return startStack({ log: testLog(), simBinary: binary, echo: process.env.COSIM_TEST_LOG ? undefined : () => undefined, ...o });
}

let qemu: Promise<string> | undefined;
/** The patched QEMU (scripts/build-qemu.sh), built or taken from the cache once per file. */
export function qemuBinary(): Promise<string> {
  qemu ??= buildQemu(() => undefined);
  return qemu;
}

/** Runs the cosim CLI; resolves with its exit code and output. */
export function cosimCli(args: string[], onStderrLine?: (line: string, pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => {
      stderr += d;
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onStderrLine?.(l, c.pid!);
    });
    c.on('close', (code) => resolve({ code, stdout, stderr, pid: c.pid! }));
  });
}

/** PIDs of every descendant of pid whose executable is named exe. */
export function descendants(pid: number, exe: string): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      try {
        if (path.basename(fs.readlinkSync(`/proc/${c}/exe`)) === exe) out.push(c);
      } catch {
        // gone
      }
      walk(c);
    }
  };
  walk(pid);
  return out;
}
