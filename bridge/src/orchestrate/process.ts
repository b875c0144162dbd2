// Child processes that never outlive us: output is prefixed line by line, and
// every child still running when we exit is killed.
import { ChildProcess, spawn } from 'node:child_process';
import { STOP_GRACE_MS } from '../defaults';
import * as path from 'node:path';
import * as readline from 'node:readline';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** The repository root (this file is dist/bridge/src/orchestrate/process.js). */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly stdoutLines: string[] = [];
  readonly stderrTail: string[] = [];
  exit?: Exit;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
    /**
     * interactive: the child shares this process's terminal (stdin and stdout); stderr is still captured.
     * input: stdin is a pipe that write() feeds. stdout: gets stdout lines instead of echo (kept apart from stderr).
     */
    opts: { echo?: (line: string) => void; stdout?: (line: string) => void; env?: NodeJS.ProcessEnv; cwd?: string; interactive?: boolean; input?: boolean } = {},
  ) {
    this.child = spawn(cmd, args, { stdio: [opts.interactive ? 'inherit' : opts.input ? 'pipe' : 'ignore', opts.interactive ? 'inherit' : 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    // A child that exits while we write must not take this process down (EPIPE).
    this.child.stdin?.on('error', () => undefined);
    live.add(this.child);
    const echo = opts.echo ?? ((line: string) => process.stderr.write(`[${label}] ${line}\n`));
    if (this.child.stdout) {
      const out = opts.stdout;
      readline.createInterface({ input: this.child.stdout }).on('line', (l) => {
        if (out) return out(l);
        this.stdoutLines.push(l);
        echo(l);
      });
    }
    readline.createInterface({ input: this.child.stderr! }).on('line', (l) => {
      this.stderrTail.push(l);
      if (this.stderrTail.length > 50) this.stderrTail.shift();
      echo(l);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.stderrTail.push(`cannot start ${cmd}: ${e.message}`);
        echo(`cannot start ${cmd}: ${e.message}`);
      });
      this.child.on('close', (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Writes to the child's stdin (opts.input); false once the child has gone. */
  write(text: string): boolean {
    const s = this.child.stdin;
    if (!s || !s.writable || !this.running) return false;
    s.write(text);
    return true;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  describeExit(): string {
    if (!this.exit) return 'running';
    return this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
  async stop(graceMs = STOP_GRACE_MS): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }
}
