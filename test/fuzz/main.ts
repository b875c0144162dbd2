// `npm run fuzz [-- OPTIONS]`: the three fuzzers, one after another.
//
//   --frames N      frames per fuzzer (default 20000; the long run is 1000000).
//                   For the shim it is libFuzzer's -runs (inputs of several frames each).
//   --only LIST     broker,shim,qemu (default: all three)
//   --seed N        the PRNG seed of the broker and QEMU fuzzers, libFuzzer's -seed
//   --qemu BINARY   the patched QEMU (default $COSIM_QEMU or build/qemu/current);
//                   repeatable: the QEMU fuzzer runs against each
//   --all-qemu      against every built version (build/qemu/current-<version>)
//   --crash-dir DIR where crashing inputs go (default build/fuzz/crashes/<fuzzer>/)
//   --quiet         no progress lines, only the end lines
//
// Each fuzzer prints frames per second as it goes and ends on its count:
//   fuzz broker: 20000 frames, 0 crashes, 41234 frames/s
// The exit status is 1 if any fuzzer found a crash or a failed check.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { endLine, fuzzOptions, FuzzResult } from './common';
import { fuzzBroker } from './broker-fuzz';
import { fuzzQemu } from './qemu-fuzz';
import { fuzzShim } from './shim-fuzz';
import { srcRoot } from './frames';

const FUZZERS = ['broker', 'shim', 'qemu'] as const;

function usage(msg?: string): never {
  if (msg) console.error(`fuzz: ${msg}`);
  console.error('usage: npm run fuzz -- [--frames N] [--only broker,shim,qemu] [--seed N] [--qemu BINARY]... [--all-qemu] [--crash-dir DIR] [--quiet]');
  process.exit(2);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const o = fuzzOptions();
  let only: string[] = [...FUZZERS];
  const qemus: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? usage(`${a} needs a value`);
    const num = () => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < 0) usage(`${a}: not a whole number`);
      return v;
    };
    if (a === '--frames') o.frames = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--only') {
      only = val().split(',').map((s) => s.trim()).filter(Boolean);
      for (const f of only) if (!(FUZZERS as readonly string[]).includes(f)) usage(`--only: '${f}' is not one of ${FUZZERS.join(', ')}`);
    } else if (a === '--qemu') qemus.push(path.resolve(val()));
    else if (a === '--all-qemu') {
      const dir = path.join(srcRoot(), 'build', 'qemu');
      const built = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^current-\d+\.\d+\.\d+$/.test(n)).sort() : [];
      if (!built.length) usage(`--all-qemu: no build/qemu/current-<version> (scripts/build-qemu.sh builds them)`);
      qemus.push(...built.map((n) => path.join(dir, n)));
    }
    else if (a === '--crash-dir') o.crashDir = path.resolve(val());
    else if (a === '--quiet') o.progressMs = 0;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  if (!qemus.length) qemus.push(process.env.COSIM_QEMU ?? path.join(srcRoot(), 'build', 'qemu', 'current'));
  console.log(`fuzz: ${only.join(', ')}; ${o.frames} frames each; seed ${o.seed}; crashes go to ${o.crashDir}`);
  const results: FuzzResult[] = [];
  for (const f of only) {
    if (f === 'broker') results.push(await fuzzBroker(o));
    else if (f === 'shim') results.push(await fuzzShim(o));
    else {
      for (const q of qemus) {
        if (!fs.existsSync(q)) usage(`no QEMU at ${q} (scripts/build-qemu.sh builds it)`);
        results.push(await fuzzQemu({ ...o, qemu: fs.realpathSync(q) }));
      }
    }
  }
  console.log('\nfuzz: summary');
  for (const r of results) {
    console.log(`  ${endLine(r)}${r.mix ? ` [${r.mix}]` : ''}${r.target ? ` (${r.target})` : ''}`);
    for (const n of r.crashNotes.slice(0, 5)) console.log(`    crash: ${n.split('\n').slice(0, 3).join(' | ')}`);
    if (r.crashNotes.length > 5) console.log(`    ... and ${r.crashNotes.length - 5} more`);
    for (const f of r.crashFiles) console.log(`    crash saved: ${path.relative(process.cwd(), f)}`);
    for (const f of r.failures) console.log(`    FAILED: ${f}`);
  }
  const bad = results.some((r) => r.crashes || r.failures.length);
  process.exit(bad ? 1 : 0);
}

main().catch((e) => {
  console.error(`fuzz: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
