// MMIO round trip through the broker, as ratios against a direct C-to-C
// ZeroMQ DEALER/ROUTER round trip measured in the same run.
// Run: npm run bench   (options: --reads N)
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { EX } from '../../bridge/src/example-device';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { eventually, simBinary } from '../helpers';
import { cEchoRtt, Rtt, rttTool, runRtt, tsClientReads } from './rtt';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '5000' } } });
const reads = Number(values.reads);
const quiet = () => undefined;

interface Row extends Rtt {
  path: string;
}

async function run(label: string, args: string[]): Promise<Row> {
  return { path: label, ...(await runRtt(args, label)) };
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
  rows.push({ path: 'C DEALER -> C ROUTER echo (baseline)', ...(await cEchoRtt(reads)) });

  await withBroker(async (b) => {
    // 2. The broker between two C peers: its own cost.
    const hdl = new Proc('hdl-echo', rttTool(), ['hdl-echo', b.hdl, 'echo'], { echo: quiet });
    await new Promise((r) => setTimeout(r, 300));
    rows.push(await run('C client -> broker -> C echo device', ['qemu-reads', b.qemu, 'echo', String(reads), '0', '0']));
    await hdl.stop();
    // 3. The broker in front of the Verilated example device.
    const s = startSim({ binary: sim, endpoint: b.hdl, name: 'rtl', echo: quiet });
    try {
      rows.push(await run('C client -> broker -> Verilated RTL', ['qemu-reads', b.qemu, 'rtl', String(reads), '0', String(EX.SCRATCH)]));
      // 4. The TypeScript stand-in for QEMU on the same path.
      rows.push({ path: 'TS QemuPeer -> broker -> Verilated RTL', ...(await tsClientReads(b.qemu, 'rtl', reads, EX.BAR, EX.SCRATCH)) });
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
