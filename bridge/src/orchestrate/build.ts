// The cached build scripts (scripts/build-*.sh) print their product's path as
// the last stdout line and their progress on stderr.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Proc, repoRoot } from './process';

export type Echo = (line: string) => void;

export async function runBuild(script: string, args: string[] = [], echo?: Echo): Promise<string> {
  const label = script.replace(/\.sh$/, '');
  const p = new Proc(label, 'bash', [path.join(repoRoot, 'scripts', script), ...args], { echo: echo ?? ((l) => process.stderr.write(`[${label}] ${l}\n`)), cwd: repoRoot });
  const exit = await p.exited;
  const product = p.stdoutLines.at(-1)?.trim();
  if (exit.code !== 0 || !product || !fs.existsSync(product)) {
    throw new Error(`scripts/${script} failed (${p.describeExit()}):\n${p.stderrTail.slice(-15).join('\n')}`);
  }
  return product;
}

/** The patched qemu-system-x86_64 (scripts/build-qemu.sh). */
export function buildQemu(echo?: Echo): Promise<string> {
  return runBuild('build-qemu.sh', [], echo);
}

/** A directory with vmlinuz, vmlinux and initramfs.cpio.lz4 (scripts/build-guest.sh). */
export function buildGuest(echo?: Echo): Promise<string> {
  return runBuild('build-guest.sh', [], echo);
}

/**
 * The debug guest kernel (scripts/build-debug-kernel.sh): a directory with
 * vmlinuz, kernel.config, modules.cpio.gz and build-info.txt, whose headers=
 * is the built tree. About 50 minutes cold on 2 cores, seconds when cached.
 */
export function buildDebugKernel(echo?: Echo): Promise<string> {
  return runBuild('build-debug-kernel.sh', [], echo);
}
