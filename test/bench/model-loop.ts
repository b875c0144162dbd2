// The bare C++ loop of a model library (dpi/tools/model_loop.cpp): the
// baseline of the clock-speed and DMA benchmarks.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../bridge/src/orchestrate/process';

function modelLoop(): string {
  const src = path.join(repoRoot, 'dpi', 'tools', 'model_loop.cpp');
  const out = path.join(repoRoot, 'build', 'tools', 'model_loop');
  if (!fs.existsSync(out) || fs.statSync(src).mtimeMs > fs.statSync(out).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('g++', ['-std=c++17', '-O2', `-I${path.join(repoRoot, 'dpi', 'include')}`, '-o', out, src, '-ldl'], { stdio: 'inherit' });
  }
  return out;
}

/** Cycles per second of the bare loop clocking `lib` for `cycles` cycles after reset (an idle design). */
export function bareRate(lib: string, cycles: number): number {
  const line = execFileSync(modelLoop(), [lib, String(cycles)], { encoding: 'utf8' });
  const m = line.match(/rate=(\d+)/);
  if (!m) throw new Error(`model_loop: ${line}`);
  return Number(m[1]);
}
