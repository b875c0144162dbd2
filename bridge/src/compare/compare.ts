// `cosim compare`: two VMs booted at once and linked through A's device NIC.
// A is a device VM (the project's RTL); B is a baseline VM (stock QEMU,
// virtio-net) or a second device VM running another build of the RTL. The
// project's compare workloads and the network workloads run in both, and the
// results are compared and reported.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildGuestImage } from '../project/guest-layer';
import { Project } from '../project/project';
import { buildProjectRtl } from '../project/rtl';
import { BootOptions, prepare } from '../run/boot';
import { readPcap, summarizePcap, PcapSummary } from './pcap';
import { makeLink, startBaselineVm, startDeviceVm, Vm, VmLabel } from './vms';
import { withSuffix } from '../trace/writer';
import { Pair, runCommandWorkload, runLinkCheck, runPing, runTcp, WorkloadResult } from './workloads';

/**
 * The slowest TCP transfer --timeout is stretched for: the co-simulated NIC
 * moves about 150 kB/s under TCG, so 8 MiB takes about a minute.
 */
const TCP_SLOWEST_BYTES_PER_S = 32 * 1024;

/** How one VM is made. */
export interface VmChoice {
  /** A baseline VM (no device) instead of a device VM. */
  baseline?: boolean;
  project: Project;
  /** A simulator binary instead of building the project's RTL. */
  sim?: string;
  /** Defines on top of the project's (a planted-bug build, another configuration). */
  defines: string[];
}

export interface CompareOptions extends BootOptions {
  a: VmChoice;
  b: VmChoice;
  seed: number;
  outDir: string;
  grep?: RegExp;
  keepGoing: boolean;
  /** Leave out the network workloads (a device without a NIC). */
  net: boolean;
  tcpBytes: number;
  pingCount: number;
}

export interface CompareReport {
  a: { describe: string; files: Vm['files'] };
  b: { describe: string; files: Vm['files'] };
  seed: number;
  accel: string;
  workloads: WorkloadResult[];
  /** Workloads never reached (a stop after a failure). */
  notRun: string[];
  link: { pcap: string; summary: PcapSummary };
  problems: string[];
  wallMs: number;
  outDir: string;
}

/** The names `--grep` chooses from, in run order. */
export function workloadNames(project: Project, net: boolean): string[] {
  return [...project.compare.map((w) => w.name), ...(net ? ['net:link', 'net:ping', 'net:tcp-a-to-b', 'net:tcp-b-to-a'] : [])];
}

function describeChoice(c: VmChoice): string {
  if (c.baseline) return 'baseline: stock QEMU, virtio-net';
  return [`device ${c.project.name}`, ...c.defines.map((d) => `+define ${d}`), ...(c.sim ? [`sim ${path.basename(c.sim)}`] : [])].join(' ');
}

async function vmOptions(o: CompareOptions, c: VmChoice): Promise<BootOptions> {
  const sim = c.sim ?? (c.defines.length ? await buildProjectRtl(c.project, { defines: c.defines, echo: o.echo }) : undefined);
  // --trace: VM A's trace in FILE, a device VM B's in FILE.b.EXT (each VM has its broker).
  const trace = o.trace?.file && !c.baseline ? { ...o.trace, file: c === o.a ? o.trace.file : withSuffix(o.trace.file, '.b') } : undefined;
  return { ...o, project: c.project, sim, wave: c === o.a ? o.wave : undefined, trace };
}

async function startVm(label: VmLabel, o: CompareOptions, c: VmChoice, link: Awaited<ReturnType<typeof makeLink>>, accel?: 'kvm' | 'tcg'): Promise<{ vm: Vm; accel: 'kvm' | 'tcg' }> {
  const vo = await vmOptions(o, c);
  if (c.baseline) {
    const guest = await buildGuestImage(c.project, o.echo, o.kernel);
    const a = accel ?? (o.accel === 'kvm' ? 'kvm' : 'tcg');
    return { vm: startBaselineVm(label, { guest, accel: a }, vo, link, o.outDir), accel: a };
  }
  const env = await prepare(vo);
  return { vm: await startDeviceVm(label, describeChoice(c), env, vo, link, o.outDir), accel: env.accel };
}

export async function compare(o: CompareOptions): Promise<CompareReport> {
  const t0 = Date.now();
  const names = workloadNames(o.a.project, o.net).filter((n) => !o.grep || o.grep.test(n));
  if (!names.length) throw new Error(`compare: no workload of project '${o.a.project.name}' matches${o.grep ? ` --grep ${o.grep.source}` : ''} (workloads: ${workloadNames(o.a.project, o.net).join(', ') || 'none'})`);
  fs.mkdirSync(o.outDir, { recursive: true });
  const link = await makeLink(o.outDir);
  const vms: Partial<Pair> = {};
  const problems: string[] = [];
  const results: WorkloadResult[] = [];
  let accel = 'tcg';
  const stopAll = async () => {
    await Promise.all(
      (['A', 'B'] as const).map(async (l) => {
        const vm = vms[l];
        if (!vm) return;
        // A guest that is free to listen powers off; one stuck in a workload is ended from the host.
        if (vm.console.idle) await vm.console.run('poweroff', 'sync; poweroff -f', 10).catch(() => undefined);
        await vm.stop();
        problems.push(...vm.problems.map((p) => `VM ${l}: ${p}`));
      }),
    );
  };
  const aborted = new Promise<'aborted'>((r) => (o.signal?.aborted ? r('aborted') : o.signal?.addEventListener('abort', () => r('aborted'))));
  try {
    const a = await startVm('A', o, o.a, link);
    vms.A = a.vm;
    accel = a.accel;
    vms.B = (await startVm('B', o, o.b, link, a.accel)).vm;
    o.progress(`compare: VM A ${vms.A.describe}; VM B ${vms.B.describe}; seed ${o.seed}; output in ${o.outDir}`);
    const pair = vms as Pair;
    const booted = await Promise.race([Promise.all([pair.A.console.ready(o.bootTimeoutS), pair.B.console.ready(o.bootTimeoutS)]), aborted]);
    if (booted === 'aborted') throw new Error('interrupted');
    for (const name of names) {
      const w = o.a.project.compare.find((x) => x.name === name);
      const run = (): Promise<WorkloadResult> => {
        if (w) return runCommandWorkload(pair, w, o.testTimeoutS);
        if (name === 'net:link') return runLinkCheck(pair, link.pcap, o.testTimeoutS);
        if (name === 'net:ping') return runPing(pair, o.pingCount, o.testTimeoutS);
        return runTcp(pair, name === 'net:tcp-a-to-b' ? 'A' : 'B', o.tcpBytes, o.seed, o.testTimeoutS + Math.ceil(o.tcpBytes / TCP_SLOWEST_BYTES_PER_S));
      };
      for (const vm of [pair.A, pair.B]) vm.trace?.mark(name, 'begin');
      const linkDown = name.startsWith('net:') && name !== 'net:link' && results.some((r) => r.kind === 'link' && !r.same);
      const r = linkDown ? { name, kind: 'ping' as const, a: { ok: false, text: 'not run: no link' }, b: { ok: false, text: 'not run: no link' }, same: false, detail: 'not run: the link check failed' } : await Promise.race([run(), aborted]);
      if (r === 'aborted') throw new Error('interrupted');
      for (const vm of [pair.A, pair.B]) vm.trace?.mark(name, 'end', r.same ? 'same' : 'differs');
      results.push(r);
      o.progress(progressLine(r));
      if (!r.same && !o.keepGoing) break;
    }
  } catch (e) {
    problems.push((e as Error).message);
  } finally {
    await stopAll();
  }
  const done = new Set(results.map((r) => r.name));
  return {
    a: { describe: vms.A?.describe ?? describeChoice(o.a), files: vms.A?.files ?? { console: '' } },
    b: { describe: vms.B?.describe ?? describeChoice(o.b), files: vms.B?.files ?? { console: '' } },
    seed: o.seed,
    accel,
    workloads: results,
    notRun: names.filter((n) => !done.has(n)),
    link: { pcap: link.pcap, summary: summarizePcap(readPcap(link.pcap)) },
    problems: [...new Set(problems)],
    wallMs: Date.now() - t0,
    outDir: o.outDir,
  };
}

export function comparePassed(r: CompareReport): boolean {
  return r.workloads.length > 0 && r.workloads.every((w) => w.same) && r.notRun.length === 0 && r.problems.length === 0;
}

function progressLine(r: WorkloadResult): string {
  return `${r.same ? 'SAME' : 'DIFF'} ${r.name}: A ${r.a.text}; B ${r.b.text}${r.detail ? ` — ${r.detail}` : ''}`;
}
