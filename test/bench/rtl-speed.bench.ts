// Clock speed of the TypeScript testbench: cycles per second of dut.run(n)
// against a bare C++ loop (dpi/tools/model_loop.cpp) clocking the same model
// library, measured in the same run, alternately, best of `--rounds`.
// Run: npm run bench:rtl   (options: --cycles N --rounds R)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { repoRoot } from '../../bridge/src/orchestrate/process';
import { Dut, NativeModel, resolveModel } from '../../bridge/src/testbench';

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '2000000' }, rounds: { type: 'string', default: '3' } } });
const cycles = Number(values.cycles);
const rounds = Number(values.rounds);

function modelLoop(): string {
  const src = path.join(repoRoot, 'dpi', 'tools', 'model_loop.cpp');
  const out = path.join(repoRoot, 'build', 'tools', 'model_loop');
  if (!fs.existsSync(out) || fs.statSync(src).mtimeMs > fs.statSync(out).mtimeMs) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync('g++', ['-std=c++17', '-O2', `-I${path.join(repoRoot, 'dpi', 'include')}`, '-o', out, src, '-ldl'], { stdio: 'inherit' });
  }
  return out;
}

function bare(lib: string): number {
  const line = execFileSync(modelLoop(), [lib, String(cycles)], { encoding: 'utf8' });
  const m = line.match(/rate=(\d+)/);
  if (!m) throw new Error(`model_loop: ${line}`);
  return Number(m[1]);
}

async function viaDut(lib: string): Promise<number> {
  const dut = new Dut(new NativeModel(lib, { logLevel: 'error' }));
  try {
    const t0 = process.hrtime.bigint();
    await dut.run(cycles);
    return cycles / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    dut.close();
  }
}

async function main(): Promise<void> {
  const rows: string[][] = [['model', 'bare C++ loop cycles/s', 'dut.run(n) cycles/s', 'dut.run / bare']];
  for (const name of ['example', 'axi_test']) {
    const lib = await resolveModel(name);
    let c = 0;
    let j = 0;
    for (let r = 0; r < rounds; r++) {
      c = Math.max(c, bare(lib));
      j = Math.max(j, await viaDut(lib));
    }
    rows.push([name, c.toFixed(0), j.toFixed(0), `${(j / c).toFixed(3)}`]);
  }
  console.log(`Clock speed of an idle design, ${cycles} cycles per measurement, best of ${rounds}, same run:\n`);
  console.log(formatTable(rows));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
