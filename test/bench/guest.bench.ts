// The guest's costs under TCG, each against a baseline measured in the same
// run with the same QEMU, kernel and base initramfs but no device:
//  - boot: `cosim run`'s boot to the first guest test, against the bare
//    kernel's boot to its init (init replaced by /bin/true); the bzImage's
//    boot too, for what the PVH entry (vmlinux) saves. Medians of --rounds.
//  - host CPU while the guest idles: QEMU, broker and simulator of `cosim
//    shell` while the guest sleeps, against QEMU alone with a guest whose
//    init only sleeps.
//  - the MMIO read p50 the guest sees (its mmio_latency test, direct mmap),
//    against a direct C-to-C ZeroMQ round trip.
// Run: npm run bench:guest   (also part of npm run bench)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { buildGuest, buildQemu } from '../../bridge/src/orchestrate/build';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { KERNEL_ARGS } from '../../bridge/src/run/boot';
import { cEchoRtt, median } from './rtt';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'idle-s': { type: 'string', default: '10' } } });
const rounds = Number(values.rounds);
const idleS = Number(values['idle-s']);
const quiet = () => undefined;
const cosim = path.join(repoRoot, 'bin', 'cosim');

/** The bare guest: our QEMU, kernel and base initramfs, `init` as its init, no device. */
function bareQemu(qemu: string, kernel: string, initrd: string, init: string, onLine: (l: string) => void): Proc {
  const args = ['-accel', 'tcg', '-M', 'q35', '-m', '512', '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot'];
  return new Proc('qemu', qemu, [...args, '-kernel', kernel, '-initrd', initrd, '-append', [...KERNEL_ARGS, init].join(' ')], { echo: quiet, stdout: onLine });
}

/** Seconds from QEMU's start to the kernel running /bin/true as init (its panic when that init exits: quiet hides the rest). */
async function kernelBoot(qemu: string, kernel: string, initrd: string): Promise<number> {
  const t0 = Date.now();
  let at: number | undefined;
  const p = bareQemu(qemu, kernel, initrd, 'rdinit=/bin/true', (l) => {
    if (at === undefined && /Kernel panic/.test(l)) at = Date.now() - t0;
  });
  const timer = setTimeout(() => void p.stop(), 120_000);
  await p.exited; // panic=-1 -no-reboot: init exits, the kernel panics, QEMU ends
  clearTimeout(timer);
  if (at === undefined) throw new Error(`${kernel}: the kernel never ran its init (${p.describeExit()})`);
  return at / 1000;
}

/** `cosim run --device example --tests regs`: its "boot to first test". */
async function firstTest(): Promise<number> {
  const p = new Proc('cosim', process.execPath, [cosim, 'run', '--device', 'example', '--tests', 'regs', '--accel', 'tcg'], { echo: quiet });
  const exit = await p.exited;
  const m = p.stdoutLines.join('\n').match(/boot to first test ([\d.]+) s/);
  if (!m || exit.code !== 0) throw new Error(`cosim run failed (${p.describeExit()}): ${p.stdoutLines.slice(-5).join(' | ')}`);
  return Number(m[1]);
}

/** The example's mmio_latency test in the guest: p50 of its direct-mmap reads, in µs. */
async function guestMmioP50(): Promise<number> {
  const p = new Proc('cosim', process.execPath, [cosim, 'run', '--device', 'example', '--tests', 'mmio_latency', '--accel', 'tcg'], { echo: quiet });
  const exit = await p.exited;
  const m = p.stdoutLines.join('\n').match(/mmio_read_rtt_ns_direct p50=(\d+)/);
  if (!m || exit.code !== 0) throw new Error(`cosim run --tests mmio_latency failed (${p.describeExit()}): ${p.stdoutLines.slice(-5).join(' | ')}`);
  return Number(m[1]) / 1000;
}

/** CPU seconds (user + system) used so far by a process and its descendants still alive. */
function cpuSeconds(pid: number): number {
  const hz = 100; // USER_HZ: Linux reports /proc times in 1/100 s on every architecture
  let total = 0;
  const walk = (p: number) => {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      return;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) / hz;
    for (const t of fs.readdirSync(`/proc/${p}/task`)) {
      let kids = '';
      try {
        kids = fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of kids.trim().split(/\s+/).filter(Boolean)) walk(Number(c));
    }
  };
  walk(pid);
  return total;
}

/** Share of one core `pid` (with its children) uses over idleS seconds, once `ready` resolved. */
async function idleCpu(pid: number, ready: Promise<void>): Promise<number> {
  await ready;
  await new Promise((r) => setTimeout(r, 2000)); // the boot's tail settles
  const a = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, idleS * 1000));
  return (cpuSeconds(pid) - a) / idleS;
}

/** Both idle guests are measured from this long after their start (plus idleCpu's settling). */
const IDLE_FROM_MS = 8000;

async function idleBare(qemu: string, kernel: string, initrd: string): Promise<number> {
  let up!: () => void;
  const ready = new Promise<void>((r) => (up = r));
  // Kernel arguments after -- go to init: /bin/sleep N.
  const p = bareQemu(qemu, kernel, initrd, `rdinit=/bin/sleep -- ${idleS + 30}`, () => undefined);
  setTimeout(up, IDLE_FROM_MS); // no console once quiet: give the boot a fixed time
  try {
    return await idleCpu(p.child.pid!, ready);
  } finally {
    await p.stop();
  }
}

async function idleCosim(): Promise<number> {
  let up!: () => void;
  const ready = new Promise<void>((r) => (up = r));
  const p = new Proc('cosim', process.execPath, [cosim, 'shell', '--device', 'example', '--accel', 'tcg', '--exec', `echo IDLE-START; sleep ${idleS + 30}`], {
    echo: quiet,
    stdout: (l) => {
      if (l.includes('IDLE-START')) up();
    },
  });
  // The same window after start as QEMU alone: a guest still settles a while after its boot.
  const from = new Promise((r) => setTimeout(r, IDLE_FROM_MS));
  try {
    return await idleCpu(p.child.pid!, Promise.all([ready, from]).then(() => undefined));
  } finally {
    await p.stop();
  }
}

async function main(): Promise<void> {
  const qemu = await buildQemu(quiet);
  const guest = await buildGuest(quiet);
  const vmlinux = path.join(guest, 'vmlinux');
  const initrd = path.join(guest, 'initramfs.cpio.lz4');
  const bare: number[] = [];
  const bz: number[] = [];
  const full: number[] = [];
  await firstTest(); // builds the example's layer and the model outside the timed rounds
  for (let i = 0; i < rounds; i++) {
    bare.push(await kernelBoot(qemu, vmlinux, initrd));
    bz.push(await kernelBoot(qemu, path.join(guest, 'vmlinuz'), initrd));
    full.push(await firstTest());
  }
  const base = median(bare);
  const row = (what: string, xs: number[]) => [what, `${median(xs).toFixed(2)} s`, `${(median(xs) / base).toFixed(2)}x`, ''];
  const cpuBase = await idleBare(qemu, vmlinux, initrd);
  const cpuCosim = await idleCosim();
  const pct = (x: number) => `${(x * 100).toFixed(1)}% of a core`;
  const rtt = (await cEchoRtt(5000)).p50;
  const mmio = await guestMmioP50();
  console.log(`The guest under TCG, same run (boot: medians of ${rounds} rounds; CPU: ${idleS} s of an idle guest; MMIO: the guest's mmio_latency test):\n`);
  console.log(
    formatTable([
      ['what', 'measured', '/ baseline', 'target'],
      row('boot: kernel (vmlinux, PVH entry) to its init (baseline)', bare),
      row('boot: kernel (bzImage, its own xz decompressor) to its init', bz),
      [...row('boot: cosim run, QEMU start to the first guest test', full).slice(0, 3), '<= 3 s'],
      ['idle guest: QEMU alone, host CPU (baseline)', pct(cpuBase), '1.00x', ''],
      ['idle guest: QEMU + broker + cosim-sim, host CPU', pct(cpuCosim), cpuBase > 0 ? `${(cpuCosim / cpuBase).toFixed(2)}x` : '-', '<= 2% of a core'],
      ['C DEALER -> C ROUTER echo p50 (baseline)', `${rtt.toFixed(1)} us`, '1.00x', ''],
      ['guest MMIO read p50 (mmio_latency, direct mmap)', `${mmio.toFixed(1)} us`, `${(mmio / rtt).toFixed(2)}x`, '<= 100 us'],
    ]),
  );
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
