// MMIO read round-trip measurements shared by the benchmarks: the C client
// (dpi/tools/zmq_rtt.c) and the TypeScript stand-in, each reading one
// register `reads` times through a broker.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from '../../bridge/src/example-ops';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { cTool, testLog } from '../helpers';

export interface Rtt {
  p50: number;
  p99: number;
}

const quiet = () => undefined;

/** The median, for figures taken over several rounds of a noisy machine. */
export const median = (xs: number[]) => percentile(xs, 50);

export const rttTool = () => cTool('zmq_rtt', path.join(repoRoot, 'dpi', 'tools', 'zmq_rtt.c'), ['-lzmq']);

/** Runs zmq_rtt with args and parses its "p50_us=.. p99_us=.." line. */
export async function runRtt(args: string[], what: string): Promise<Rtt> {
  const p = new Proc('rtt', rttTool(), args, { echo: quiet });
  await p.exited;
  const m = p.stdoutLines.join('\n').match(/p50_us=([\d.]+) p99_us=([\d.]+)/);
  if (!m) throw new Error(`${what}: no result (${p.describeExit()}): ${p.stderrTail.join('\n')}`);
  return { p50: Number(m[1]), p99: Number(m[2]) };
}

/** The baseline of the latency benchmarks: a C DEALER's round trips to a C ROUTER echo, no broker. */
export async function cEchoRtt(reads: number): Promise<Rtt> {
  const ep = uniqueEndpoints();
  const echo = new Proc('echo', rttTool(), ['router-echo', ep.qemu], { echo: quiet });
  await new Promise((r) => setTimeout(r, 200));
  try {
    return await runRtt(['dealer', ep.qemu, String(reads)], 'C DEALER -> C ROUTER echo');
  } finally {
    await echo.stop();
  }
}

/** The C QEMU-side client: HELLO, INIT, then `reads` 4-byte reads of BAR bar + off. */
export function cClientReads(endpoint: string, name: string, reads: number, bar: number, off: number): Promise<Rtt> {
  return runRtt(['qemu-reads', endpoint, name, String(reads), String(bar), String(off)], `C client reads of '${name}'`);
}

/** The TypeScript stand-in (QemuPeer): 100 warm-up reads, then `reads` timed 4-byte reads. */
export async function tsClientReads(endpoint: string, name: string, reads: number, bar: number, off: number): Promise<Rtt> {
  const peer = new QemuPeer({ endpoint, name, log: testLog() });
  await peer.connect();
  const lat: number[] = [];
  try {
    for (let i = -100; i < reads; i++) {
      const t0 = performance.now();
      await peer.read(bar, off, 4);
      if (i >= 0) lat.push((performance.now() - t0) * 1000);
    }
  } finally {
    await peer.close();
  }
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}
