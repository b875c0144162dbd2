// The two VMs of `cosim compare` and the private Ethernet segment between
// them: two QEMU dgram netdevs on loopback UDP ports, each sending to the
// other, with a filter-dump on A's end writing the link's pcap. A device VM
// is the patched QEMU with cosim-pcie, its broker and its RTL (the same
// session `cosim run` boots); a baseline VM is Debian's stock QEMU with a
// virtio-net NIC and no cosim device, booting the same kernel and image.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Proc } from '../orchestrate/process';
import { GuestImage } from '../project/guest-layer';
import { BootOptions, closeTrace, dgramNetdev, Env, freeUdpPort, guestMachineArgs, openSessionTrace, Session, startSession } from '../run/boot';
import { TraceWriter } from '../trace/writer';
import { GuestConsole } from './guest-console';

/** Debian's qemu-system-x86 (scripts/build-qemu.sh installs it): the baseline VM's QEMU, never patched. */
export const STOCK_QEMU = '/usr/bin/qemu-system-x86_64';

/** The guest's kernel command line for a VM that `cosim compare` drives. */
const SERVE = 'cosim.serve=1';

export type VmLabel = 'A' | 'B';

export interface Vm {
  label: VmLabel;
  /** "device gpu", "device gpu +define COSIM_BUG_COPY_SHORT", "baseline (stock QEMU, virtio-net)". */
  describe: string;
  baseline: boolean;
  console: GuestConsole;
  /** Files of the run, relative to the output folder. */
  files: { console: string; uart?: string };
  /** Problems seen besides the commands' results (a simulator that died, a lost peer). */
  problems: string[];
  /** A device VM's trace (--trace), for workload marks. */
  trace?: TraceWriter;
  stop(): Promise<void>;
}

export interface Link {
  /** QEMU arguments of netdev 'cosim-nic' for each end. */
  netdev: Record<VmLabel, string[]>;
  /** The capture of every frame on the link, in the output folder. */
  pcap: string;
}

export async function makeLink(outDir: string): Promise<Link> {
  const a = await freeUdpPort();
  let b = await freeUdpPort();
  while (b === a) b = await freeUdpPort();
  const pcap = path.join(outDir, 'link.pcap');
  return {
    pcap,
    netdev: {
      A: ['-netdev', dgramNetdev('cosim-nic', a, b), '-object', `filter-dump,id=link-dump,netdev=cosim-nic,file=${pcap}`],
      B: ['-netdev', dgramNetdev('cosim-nic', b, a)],
    },
  };
}

function vmConsole(label: VmLabel, describe: string, outDir: string): { console: GuestConsole; file: string } {
  const file = `${label.toLowerCase()}-console.log`;
  return { console: new GuestConsole(`VM ${label} (${describe})`, path.join(outDir, file)), file };
}

/** A device VM: broker, RTL and the patched QEMU, its NIC on the link and its UART in the output folder. */
export async function startDeviceVm(label: VmLabel, describe: string, env: Env, o: BootOptions, link: Link, outDir: string): Promise<Vm> {
  const { console, file } = vmConsole(label, describe, outDir);
  const uart = `${label.toLowerCase()}-uart.log`;
  fs.writeFileSync(path.join(outDir, uart), '');
  const trace = openSessionTrace(o, 1, { vm: label });
  let session: Session;
  try {
    session = await startSession(env, o, [SERVE], { line: (l) => console.line(l), input: true }, async () => ({
      uartFile: path.join(outDir, uart),
      netdev: link.netdev[label],
      nicLoop: false,
    }), trace);
  } catch (e) {
    trace?.close();
    throw e;
  }
  console.attach(session.qemu);
  return {
    label,
    describe,
    baseline: false,
    console,
    files: { console: file, uart },
    problems: session.problems,
    trace,
    stop: async () => {
      await session.stop('compare finished');
      closeTrace(trace, session.problems);
      console.close();
    },
  };
}

/** A baseline VM: stock QEMU, virtio-net on the link, the project's image with its setup skipped (there is no device). */
export function startBaselineVm(label: VmLabel, env: { guest: GuestImage; accel: 'kvm' | 'tcg' }, o: BootOptions, link: Link, outDir: string): Vm {
  if (!fs.existsSync(STOCK_QEMU)) throw new Error(`the baseline VM needs Debian's QEMU at ${STOCK_QEMU} (package qemu-system-x86; 'npm run setup' installs it)`);
  const describe = 'baseline: stock QEMU, virtio-net';
  const { console, file } = vmConsole(label, describe, outDir);
  const args = [
    ...guestMachineArgs(env, o, [SERVE, 'cosim.setup=0', 'cosim.modprobe=virtio_pci,virtio_net']),
    ...link.netdev[label],
    // romfile=: no iPXE option ROM, the kernel is loaded directly. One MAC per end, should both be baselines.
    '-device', `virtio-net-pci,netdev=cosim-nic,romfile=,mac=52:54:00:77:00:0${label === 'A' ? 1 : 2}`,
  ];
  o.log.debug({ qemu: STOCK_QEMU, args }, `starting baseline VM ${label}`);
  const qemu = new Proc(`qemu-${label}`, STOCK_QEMU, args, { input: true, stdout: (l) => console.line(l), echo: (l) => o.echo(`[qemu ${label}] ${l}`) });
  console.attach(qemu);
  return {
    label,
    describe,
    baseline: true,
    console,
    files: { console: file },
    problems: [],
    stop: async () => {
      await qemu.stop(2000);
      console.close();
    },
  };
}
