// Building the Verilated simulator (cached by scripts/build-rtl.sh) and
// starting it against a broker.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Proc, repoRoot } from './process';

export interface BuildOptions {
  top?: string;
  filelist?: string;
  echo?: (line: string) => void;
}

/** Builds (or finds cached) the simulator binary and returns its path. */
export async function buildSim(opts: BuildOptions = {}): Promise<string> {
  const args = [path.join(repoRoot, 'scripts', 'build-rtl.sh')];
  if (opts.top) args.push('--top', opts.top);
  if (opts.filelist) args.push('--filelist', opts.filelist);
  const p = new Proc('build-rtl', 'bash', args, { echo: opts.echo ?? ((l) => process.stderr.write(`[build-rtl] ${l}\n`)), cwd: repoRoot });
  const exit = await p.exited;
  const bin = p.stdoutLines.at(-1)?.trim();
  if (exit.code !== 0 || !bin || !fs.existsSync(bin)) {
    throw new Error(`building the RTL simulator failed (${p.describeExit()}):\n${p.stderrTail.slice(-15).join('\n')}`);
  }
  return bin;
}

export interface SimOptions {
  binary: string;
  endpoint: string;
  name?: string;
  batch?: number;
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  peerTimeoutMs?: number;
  logLevel?: string;
  echo?: (line: string) => void;
}

export function startSim(o: SimOptions): Proc {
  const args = ['--endpoint', o.endpoint, '--name', o.name ?? 'dev0'];
  if (o.batch !== undefined) args.push('--batch', String(o.batch));
  if (o.wave) args.push('--wave', o.wave);
  if (o.waveStart !== undefined) args.push('--wave-start', String(o.waveStart));
  if (o.waveStop !== undefined) args.push('--wave-stop', String(o.waveStop));
  if (o.peerTimeoutMs !== undefined) args.push('--peer-timeout-ms', String(o.peerTimeoutMs));
  if (o.logLevel) args.push('--log-level', o.logLevel);
  return new Proc('sim', o.binary, args, { echo: o.echo });
}
