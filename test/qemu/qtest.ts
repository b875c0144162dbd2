// Drives the patched QEMU without a guest: `-accel qtest -qtest stdio` for
// port I/O and physical memory accesses (readl/writel/b64read...), plus a QMP
// socket for qom-get (the device's stat-* counters), system_reset and quit.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { repoRoot } from '../../bridge/src/orchestrate/process';

/**
 * build/qemu/current (QEMU 10.0.2: scripts/build-qemu.sh, run by npm test's
 * setup), or $COSIM_QEMU (scripts/run-tests.js sets it to
 * build/qemu/current-10.2.2 for the second run of test/qemu).
 */
export function qemuBinary(): string {
  const p = process.env.COSIM_QEMU ?? path.join(repoRoot, 'build', 'qemu', 'current');
  if (!fs.existsSync(p)) throw new Error(`no patched QEMU at ${p}: run scripts/build-qemu.sh (npm test's setup does), or set COSIM_QEMU`);
  return fs.realpathSync(p);
}

/** The version of a QEMU binary ("10.2.2", from `--version`); "unknown" when there is none. */
export function qemuVersion(binary?: string): string {
  let b = binary;
  try {
    b ??= qemuBinary();
  } catch {
    return 'unknown';
  }
  const r = spawnSync(b, ['--version'], { encoding: 'utf8' });
  return /version (\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}

/** Where the test puts the device and its BARs. */
export const SLOT = 5;
export const BAR0 = 0xfe000000n;
export const BAR2 = 0xfe010000n;

export class Qtest {
  readonly child: ChildProcess;
  readonly stderr: string[] = [];
  readonly qmpPath: string;
  private pending: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  private closed?: Error;
  readonly exited: Promise<number | null>;

  constructor(binary: string, extra: string[], opts: { qmp?: boolean } = {}) {
    this.qmpPath = path.join(os.tmpdir(), `cosim-qmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}.sock`);
    const args = ['-M', 'q35', '-accel', 'qtest', '-qtest', 'stdio', '-qtest-log', '/dev/null', '-display', 'none', '-nodefaults', '-m', '128M'];
    if (opts.qmp !== false) args.push('-qmp', `unix:${this.qmpPath},server=on,wait=off`);
    this.child = spawn(binary, [...args, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (l) => {
      if (/^(OK|FAIL|ERR)/.test(l)) this.pending.shift()?.resolve(l);
    });
    readline.createInterface({ input: this.child.stderr! }).on('line', (l) => {
      this.stderr.push(l);
      if (process.env.COSIM_TEST_LOG) process.stderr.write(`[qemu] ${l}\n`);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.closed = new Error(`QEMU exited (${code}): ${this.stderr.slice(-5).join(' | ')}`);
        for (const p of this.pending.splice(0)) p.reject(this.closed);
        fs.rmSync(this.qmpPath, { force: true });
        resolve(code);
      });
    });
    this.child.stdin!.on('error', () => undefined);
  }

  get running(): boolean {
    return this.closed === undefined;
  }

  cmd(line: string): Promise<string> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin!.write(line + '\n');
    }).then((l) => {
      const r = l as string;
      if (!r.startsWith('OK')) throw new Error(`qtest '${line.slice(0, 60)}': ${r}`);
      return r;
    });
  }

  private async value(line: string): Promise<bigint> {
    const r = await this.cmd(line);
    return BigInt(r.split(' ')[1]);
  }

  readb = (a: bigint) => this.value(`readb 0x${a.toString(16)}`);
  readw = (a: bigint) => this.value(`readw 0x${a.toString(16)}`);
  readl = (a: bigint) => this.value(`readl 0x${a.toString(16)}`);
  readq = (a: bigint) => this.value(`readq 0x${a.toString(16)}`);
  writeb = (a: bigint, v: bigint | number) => this.cmd(`writeb 0x${a.toString(16)} 0x${v.toString(16)}`);
  writew = (a: bigint, v: bigint | number) => this.cmd(`writew 0x${a.toString(16)} 0x${v.toString(16)}`);
  writel = (a: bigint, v: bigint | number) => this.cmd(`writel 0x${a.toString(16)} 0x${v.toString(16)}`);
  writeq = (a: bigint, v: bigint | number) => this.cmd(`writeq 0x${a.toString(16)} 0x${v.toString(16)}`);

  async memWrite(a: bigint, data: Buffer): Promise<void> {
    await this.cmd(`b64write 0x${a.toString(16)} 0x${data.length.toString(16)} ${data.toString('base64')}`);
  }

  async memRead(a: bigint, len: number): Promise<Buffer> {
    const r = await this.cmd(`b64read 0x${a.toString(16)} 0x${len.toString(16)}`);
    return Buffer.from(r.split(' ')[1], 'base64');
  }

  /** Config space of bus 0, device SLOT, through the 0xcf8/0xcfc ports. */
  async cfgRead(reg: number, slot = SLOT): Promise<number> {
    await this.cmd(`outl 0xcf8 0x${((0x80000000 | (slot << 11) | (reg & 0xfc)) >>> 0).toString(16)}`);
    const v = Number(await this.value('inl 0xcfc'));
    return (v >>> (8 * (reg & 3))) >>> 0;
  }

  async cfgWrite32(reg: number, v: number, slot = SLOT): Promise<void> {
    await this.cmd(`outl 0xcf8 0x${((0x80000000 | (slot << 11) | reg) >>> 0).toString(16)}`);
    await this.cmd(`outl 0xcfc 0x${(v >>> 0).toString(16)}`);
  }

  /** Capability ids in the standard list, with their offsets. */
  async capabilities(): Promise<Map<number, number>> {
    const caps = new Map<number, number>();
    let p = (await this.cfgRead(0x34)) & 0xfc;
    for (let n = 0; p && n < 48; n++) {
      const w = await this.cfgRead(p);
      caps.set(w & 0xff, p);
      p = (w >>> 8) & 0xfc;
    }
    return caps;
  }

  /** What the firmware would do: place BAR0 (64-bit) and BAR2, enable memory + bus mastering. */
  async mapBars(): Promise<void> {
    await this.cfgWrite32(0x10, Number(BAR0 & 0xffffffffn));
    await this.cfgWrite32(0x14, Number(BAR0 >> 32n));
    await this.cfgWrite32(0x18, Number(BAR2));
    await this.cfgWrite32(0x04, 0x6);
  }

  qmp(execute: string, args?: object): Promise<unknown> {
    return qmp(this.qmpPath, execute, args);
  }

  async stat(id: string, name: string): Promise<number> {
    return Number(await this.qmp('qom-get', { path: `/machine/peripheral/${id}`, property: `stat-${name}` }));
  }

  async stop(): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** One QMP command on a fresh connection to the socket at `path`. */
export async function qmp(path: string, execute: string, args?: object): Promise<unknown> {
  const sock = net.connect(path);
  const rl = readline.createInterface({ input: sock });
  const lines: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  rl.on('line', (l) => {
    const m = JSON.parse(l);
    if ('event' in m) return;
    const w = waiters.shift();
    if (w) w(m);
    else lines.push(m);
  });
  const next = () =>
    new Promise<unknown>((resolve, reject) => {
      if (lines.length) return resolve(lines.shift());
      waiters.push(resolve);
      sock.once('error', reject);
    });
  await next(); // greeting
  sock.write(JSON.stringify({ execute: 'qmp_capabilities' }) + '\n');
  await next();
  sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
  const r = (await next()) as { return?: unknown; error?: { desc: string } };
  sock.destroy();
  if (r.error) throw new Error(`QMP ${execute}: ${r.error.desc}`);
  return r.return;
}
