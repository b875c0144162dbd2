// Drives a guest booted with cosim.serve=1 (guest/initramfs/init) through its
// serial console: each command goes in as one "ID BASE64" line, and its output
// comes back between "# cosim-cmd-begin ID" and "# cosim-cmd-end ID rc=N".
// Every wait is bounded, and a VM that dies fails the command it was running
// with the VM's and the command's names.
import * as fs from 'node:fs';
import { Proc } from '../orchestrate/process';

export interface CommandResult {
  rc: number;
  lines: string[];
}

interface Pending {
  id: number;
  what: string;
  lines: string[];
  started: boolean;
  resolve: (r: CommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class GuestConsole {
  private nextId = 1;
  private pending?: Pending;
  private readyWaiter?: { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  private isReady = false;
  /** A command that timed out on the host: the guest may still be in it, so nothing else can run. */
  private stuck?: string;
  private proc?: Proc;
  private readonly tail: string[] = [];
  private readonly log: fs.WriteStream;

  /** vm: how errors name the VM ("VM A (device gpu)"); logFile: the whole console, for the report. */
  constructor(
    readonly vm: string,
    logFile: string,
  ) {
    this.log = fs.createWriteStream(logFile);
  }

  /** The QEMU process whose stdin and stdout are the console; its end fails whatever waits. */
  attach(proc: Proc): void {
    this.proc = proc;
    void proc.exited.then(() => this.fail((during) => `${this.vm} died${during}: QEMU ${proc.describeExit()}; ${this.lastLines()}`));
  }

  /** One line of QEMU's stdout (the guest's serial console). */
  line(raw: string): void {
    const l = raw.replace(/\r/g, '');
    this.log.write(`${l}\n`);
    this.tail.push(l);
    if (this.tail.length > 60) this.tail.shift();
    if (l === '# cosim-serve-ready') {
      this.isReady = true;
      if (this.readyWaiter) {
        clearTimeout(this.readyWaiter.timer);
        this.readyWaiter.resolve();
        this.readyWaiter = undefined;
      }
      return;
    }
    const m = l.match(/^# cosim-guest-error (.*)$/);
    if (m) return this.fail(() => `${this.vm} could not start: ${m[1]}`);
    const p = this.pending;
    if (!p) return;
    if (l === `# cosim-cmd-begin ${p.id}`) {
      p.started = true;
      return;
    }
    const end = l.match(/^# cosim-cmd-end (\d+) rc=(\d+)$/);
    if (end && Number(end[1]) === p.id) {
      // The guest ends every command's output with a newline of its own.
      if (p.lines[p.lines.length - 1] === '') p.lines.pop();
      clearTimeout(p.timer);
      this.pending = undefined;
      p.resolve({ rc: Number(end[2]), lines: p.lines });
      return;
    }
    if (p.started) p.lines.push(l);
  }

  /** Resolves when the guest's command loop runs (modules loaded, setup done). */
  ready(timeoutS: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiter = undefined;
        reject(new Error(`${this.vm} did not boot within ${timeoutS} s; ${this.lastLines()}`));
      }, timeoutS * 1000);
      this.readyWaiter = { resolve, reject, timer };
    });
  }

  /** Runs a shell script in the guest; `what` names it in errors. */
  run(what: string, script: string, timeoutS: number): Promise<CommandResult> {
    if (this.pending) return Promise.reject(new Error(`${this.vm}: '${what}' started while '${this.pending.what}' still runs`));
    if (this.stuck) return Promise.reject(new Error(`${this.vm}: cannot run ${what}: the guest never came back from ${this.stuck}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.stuck = what;
        reject(new Error(`${this.vm}: ${what} did not finish within ${timeoutS} s; ${this.lastLines()}`));
      }, timeoutS * 1000);
      this.pending = { id, what, lines: [], started: false, resolve, reject, timer };
      if (!this.proc?.write(`${id} ${Buffer.from(script).toString('base64')}\n`)) {
        clearTimeout(timer);
        this.pending = undefined;
        reject(new Error(`${this.vm}: cannot send ${what}: QEMU is not running`));
      }
    });
  }

  /** The guest's serve loop is free (not stuck in a command that timed out). */
  get idle(): boolean {
    return this.isReady && !this.pending && !this.stuck;
  }

  close(): void {
    this.log.end();
  }

  /** The kernel's own account of a crash if the console has one, else its last lines. */
  private lastLines(): string {
    const crash = this.tail.find((l) => /Kernel panic|BUG:|Oops|general protection fault/.test(l));
    if (crash) return `kernel: ${crash.replace(/^\[ *[\d.]+\] /, '')}`;
    return `last console lines: ${this.tail.filter((l) => l.trim()).slice(-4).join(' | ') || 'none'}`;
  }

  /** Fails whatever waits; why() gets " during WHAT" when a command was running. */
  private fail(why: (during: string) => string): void {
    if (this.readyWaiter) {
      clearTimeout(this.readyWaiter.timer);
      this.readyWaiter.reject(new Error(why(' while booting')));
      this.readyWaiter = undefined;
    }
    const p = this.pending;
    if (p) {
      clearTimeout(p.timer);
      this.pending = undefined;
      p.reject(new Error(why(` during ${p.what}`)));
    }
  }
}
