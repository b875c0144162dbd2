// MMIO round trip through the broker, as ratios against a direct C-to-C
// ZeroMQ DEALER/ROUTER round trip measured in the same run. A relay in C that
// only forwards (zmq_rtt relay) gives the floor of any relay on the same path:
// twice the socket hops and thread wake-ups of the direct round trip.
// Run: npm run bench   (options: --reads N --rounds N)
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { EX } from '../../bridge/src/example-device';
import { Proc, repoRoot } from '../../bridge/src/orchestrate/process';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { eventually, simBinary } from '../helpers';
import { cEchoRtt, median, Rtt, rttTool, runRtt, tsClientReads } from './rtt';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } } });
const reads = Number(values.reads);
const roundCount = Number(values.rounds);
const quiet = () => undefined;

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
  const relayEp = uniqueEndpoints();
  const relay = new Proc('relay', rttTool(), ['relay', relayEp.qemu, relayEp.hdl], { echo: quiet });
  const peers: Proc[] = [new Proc('hdl-echo', rttTool(), ['hdl-echo', relayEp.hdl, 'echo'], { echo: quiet })];
  const cReads = (ep: string, name: string, off: number) => () => runRtt(['qemu-reads', ep, name, String(reads), '0', String(off)], name);
  const rounds: Rtt[][] = [];
  let paths: string[] = [];
  try {
    await withBroker(async (b) => {
      peers.push(new Proc('hdl-echo', rttTool(), ['hdl-echo', b.hdl, 'echo'], { echo: quiet }));
      const s = startSim({ binary: sim, endpoint: b.hdl, name: 'rtl', echo: quiet });
      try {
        await new Promise((r) => setTimeout(r, 300));
        const measured: [string, () => Promise<Rtt>][] = [
          ['C DEALER -> C ROUTER echo (baseline)', () => cEchoRtt(reads)],
          // The floor: a C relay that only forwards, between the same two C peers.
          ['C client -> C relay (forwards only) -> C echo', cReads(relayEp.qemu, 'echo', 0)],
          // The broker between the same two C peers: its own cost, above the floor.
          ['C client -> broker -> C echo device', cReads(b.qemu, 'echo', 0)],
          ['C client -> broker -> Verilated RTL', cReads(b.qemu, 'rtl', EX.SCRATCH)],
          ['TS QemuPeer -> broker -> Verilated RTL', () => tsClientReads(b.qemu, 'rtl', reads, EX.BAR, EX.SCRATCH)],
        ];
        paths = measured.map(([p]) => p);
        // Every path once per round, so that machine load hits all alike.
        for (let r = 0; r < roundCount; r++) {
          const round: Rtt[] = [];
          for (const [, measure] of measured) round.push(await measure());
          rounds.push(round);
        }
      } finally {
        await s.stop();
        await eventually(() => !s.running, 5000, 'simulator stopped');
      }
    });
  } finally {
    for (const p of peers) await p.stop();
    await relay.stop();
  }

  // Ratios are taken within each round, then the median over rounds.
  const col = (f: (r: Rtt[]) => number) => median(rounds.map(f));
  console.log(`MMIO 4-byte read round trip, ${reads} reads each, same run; medians of ${roundCount} rounds:\n`);
  const table = [['path', 'p50 us', 'p99 us', 'p50 / baseline', 'p50 / relay floor']];
  paths.forEach((p, i) =>
    table.push([
      p,
      col((r) => r[i].p50).toFixed(1),
      col((r) => r[i].p99).toFixed(1),
      `${col((r) => r[i].p50 / r[0].p50).toFixed(2)}x`,
      i === 0 ? '' : `${col((r) => r[i].p50 / r[1].p50).toFixed(2)}x`,
    ]),
  );
  console.log(formatTable(table));
  console.log('\nTarget: the broker path (C client -> broker -> C echo) <= 2.0x the baseline.');
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
