// MMIO round trip through the broker, as ratios against a direct C-to-C
// ZeroMQ DEALER/ROUTER round trip measured in the same run.
// Run: npm run bench   (options: --reads N)
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { EX } from '../../bridge/src/example-device';
import { percentile } from '../../bridge/src/example-ops';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { cTool, eventually, simBinary, testLog } from '../helpers';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '5000' } } });
const reads = Number(values.reads);
const quiet = () => undefined;
const rtt = () => cTool('zmq_rtt', path.join(repoRoot, 'dpi', 'tools', 'zmq_rtt.c'), ['-lzmq']);

interface Row {
  path: string;
  p50: number;
  p99: number;
}

function parseRtt(p: Proc, what: string): Row {
  const m = p.stdoutLines.join('\n').match(/p50_us=([\d.]+) p99_us=([\d.]+)/);
  if (!m) throw new Error(`${what}: no result (${p.describeExit()}): ${p.stderrTail.join('\n')}`);
  return { path: what, p50: Number(m[1]), p99: Number(m[2]) };
}

async function run(label: string, args: string[]): Promise<Row> {
  const p = new Proc('rtt', rtt(), args, { echo: quiet });
  await p.exited;
  return parseRtt(p, label);
}

async function withBroker<T>(fn: (ep: { qemu: string; hdl: string }) => Promise<T>): Promise<T> {
  const ep = uniqueEndpoints();
  const broker = new Proc('broker', process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--log-level', 'warn'], { echo: quiet });
  await new Promise((r) => setTimeout(r, 500));
  try {
    return await fn(ep);
  } finally {
    await broker.stop();
  }
}

async function main(): Promise<void> {
  const sim = await simBinary();
  const rows: Row[] = [];
  // 1. Baseline: C DEALER <-> C ROUTER echo, no broker.
  const ep = uniqueEndpoints();
  const echo = new Proc('echo', rtt(), ['router-echo', ep.qemu], { echo: quiet });
  await new Promise((r) => setTimeout(r, 200));
  rows.push(await run('C DEALER -> C ROUTER echo (baseline)', ['dealer', ep.qemu, String(reads)]));
  await echo.stop();

  await withBroker(async (b) => {
    // 2. The broker between two C peers: its own cost.
    const hdl = new Proc('hdl-echo', rtt(), ['hdl-echo', b.hdl, 'echo'], { echo: quiet });
    await new Promise((r) => setTimeout(r, 300));
    rows.push(await run('C client -> broker -> C echo device', ['qemu-reads', b.qemu, 'echo', String(reads), '0', '0']));
    await hdl.stop();
    // 3. The broker in front of the Verilated example device.
    const s = startSim({ binary: sim, endpoint: b.hdl, name: 'rtl', echo: quiet });
    try {
      rows.push(await run('C client -> broker -> Verilated RTL', ['qemu-reads', b.qemu, 'rtl', String(reads), '0', String(EX.SCRATCH)]));
      // 4. The TypeScript stand-in for QEMU on the same path.
      const peer = new QemuPeer({ endpoint: b.qemu, name: 'rtl', log: testLog() });
      await peer.connect();
      const lat: number[] = [];
      for (let i = -100; i < reads; i++) {
        const t0 = performance.now();
        await peer.read(EX.BAR, EX.SCRATCH, 4);
        if (i >= 0) lat.push((performance.now() - t0) * 1000);
      }
      await peer.close();
      rows.push({ path: 'TS QemuPeer -> broker -> Verilated RTL', p50: percentile(lat, 50), p99: percentile(lat, 99) });
    } finally {
      await s.stop();
      await eventually(() => !s.running, 5000, 'simulator stopped');
    }
  });

  const base = rows[0].p50;
  console.log(`MMIO 4-byte read round trip, ${reads} reads each, same run:\n`);
  console.log(formatTable([['path', 'p50 us', 'p99 us', 'p50 / baseline'], ...rows.map((r) => [r.path, r.p50.toFixed(1), r.p99.toFixed(1), `${(r.p50 / base).toFixed(2)}x`])]));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
