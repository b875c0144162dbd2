// Boot to the first guest test (TCG), against the bare kernel's boot to its
// init in the same run: the same QEMU, kernel and base initramfs, init
// replaced by /bin/true, no device. The bzImage's boot is measured too, for
// what the PVH entry (vmlinux) saves. Medians of --rounds boots.
// Run: npm run bench:boot   (also part of npm run bench)
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { buildGuest, buildQemu } from '../../bridge/src/orchestrate/build';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { KERNEL_ARGS } from '../../bridge/src/run/boot';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const quiet = () => undefined;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Seconds from QEMU's start to the kernel running /bin/true as init (its panic when that init exits: quiet hides the rest). */
async function kernelBoot(qemu: string, kernel: string, initrd: string): Promise<number> {
  const t0 = Date.now();
  let at: number | undefined;
  const tail: string[] = [];
  const p = new Proc('qemu', qemu, ['-accel', 'tcg', '-M', 'q35', '-m', '512', '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', '-kernel', kernel, '-initrd', initrd, '-append', [...KERNEL_ARGS, 'rdinit=/bin/true'].join(' ')], {
    echo: quiet,
    stdout: (l: string) => {
      tail.push(l);
      if (tail.length > 5) tail.shift();
      if (at === undefined && /Kernel panic/.test(l)) at = Date.now() - t0;
    },
  });
  const timer = setTimeout(() => void p.stop(), 120_000);
  await p.exited; // panic=-1 -no-reboot: init exits, the kernel panics, QEMU ends
  clearTimeout(timer);
  if (at === undefined) throw new Error(`${kernel}: the kernel never ran its init (${p.describeExit()}): ${tail.join(' | ')}`);
  return at / 1000;
}

/** `cosim run --device example --tests regs`: its "boot to first test". */
async function firstTest(): Promise<number> {
  const p = new Proc('cosim', process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'run', '--device', 'example', '--tests', 'regs', '--accel', 'tcg'], { echo: quiet });
  const exit = await p.exited;
  const m = p.stdoutLines.join('\n').match(/boot to first test ([\d.]+) s/);
  if (!m || exit.code !== 0) throw new Error(`cosim run failed (${p.describeExit()}): ${p.stdoutLines.slice(-5).join(' | ')}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const qemu = await buildQemu(quiet);
  const guest = await buildGuest(quiet);
  const initrd = path.join(guest, 'initramfs.cpio.lz4');
  const bare: number[] = [];
  const bz: number[] = [];
  const full: number[] = [];
  await firstTest(); // builds the example's layer and the model outside the timed rounds
  for (let i = 0; i < rounds; i++) {
    bare.push(await kernelBoot(qemu, path.join(guest, 'vmlinux'), initrd));
    bz.push(await kernelBoot(qemu, path.join(guest, 'vmlinuz'), initrd));
    full.push(await firstTest());
  }
  const base = median(bare);
  const row = (what: string, xs: number[]) => [what, median(xs).toFixed(2), `${(median(xs) / base).toFixed(2)}x`];
  console.log(`Boot under TCG, medians of ${rounds} rounds, same run:\n`);
  console.log(
    formatTable([
      ['boot', 's', '/ baseline'],
      row('kernel (vmlinux, PVH entry) to its init (baseline)', bare),
      row('kernel (bzImage, its own xz decompressor) to its init', bz),
      row('cosim run: QEMU start to the first guest test', full),
    ]),
  );
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
