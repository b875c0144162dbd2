// MMIO read round trip with the RTL in the broker's process (N-API addon,
// `cosim broker --hdl inproc:example`) next to the RTL in a separate cosim-sim
// process, through the same broker in the same run: one broker, two devices
// of the same example RTL ('sep' behind ZeroMQ, 'inp' in-process), each read
// by the C client and by the TypeScript stand-in. The separate process costs
// one more ZeroMQ round trip than the in-process model; the difference is
// printed against a direct C-to-C round trip measured in the same run.
// Run: npm run bench:rtl   (options: --reads N --rounds N)
import { parseArgs } from 'node:util';
import { Broker } from '../../bridge/src/broker/broker';
import { formatTable } from '../../bridge/src/broker/stats';
import { EX } from '../../bridge/src/example-device';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { InprocHdl } from '../../bridge/src/peer/inproc-hdl';
import { simBinary, testLog } from '../helpers';
import { cClientReads, cEchoRtt, median, Rtt, tsClientReads } from './rtt';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } } });
const reads = Number(values.reads);
const rounds = Number(values.rounds);
const quiet = () => undefined;

const cClient = (ep: string, name: string) => cClientReads(ep, name, reads, EX.BAR, EX.SCRATCH);
const tsClient = (ep: string, name: string) => tsClientReads(ep, name, reads, EX.BAR, EX.SCRATCH);
const CLIENTS = [['C client', cClient], ['TS QemuPeer', tsClient]] as const;

/**
 * The target for the separate simulator: +30 us over the in-process
 * model where a direct round trip took 27 us, i.e. about one extra round trip.
 */
const SEPARATE_TARGET = 1.1;

/** One round: the baseline, then each client on each device, alternating so that machine load hits all alike. */
interface Round {
  base: Rtt;
  sep: Rtt[];
  inp: Rtt[];
}

async function main(): Promise<void> {
  const ep = uniqueEndpoints();
  const log = testLog();
  const broker = new Broker(brokerConfig({ requestTimeoutMs: 5000, peerTimeoutMs: 5000, heartbeatMs: 1000 }, ep), log);
  await broker.start();
  const sim = startSim({ binary: await simBinary(), endpoint: ep.hdl, name: 'sep', echo: quiet });
  const inp = await InprocHdl.start({ broker, model: 'example', name: 'inp', log, logLevel: 'error' });
  const done: Round[] = [];
  try {
    // INIT waits (initTimeoutMs) for a device that has not announced itself yet.
    for (let r = 0; r < rounds; r++) {
      const round: Round = { base: await cEchoRtt(reads), sep: [], inp: [] };
      for (const [, fn] of CLIENTS) {
        round.sep.push(await fn(ep.qemu, 'sep'));
        round.inp.push(await fn(ep.qemu, 'inp'));
      }
      done.push(round);
    }
  } finally {
    await broker.stop('bench done');
    await inp.stop();
    await sim.stop();
  }
  console.log(`MMIO 4-byte read round trip, ${reads} reads each, one broker, same run; medians of ${rounds} rounds:\n`);
  const p50 = (f: (r: Round) => Rtt) => median(done.map((r) => f(r).p50)).toFixed(1);
  const p99 = (f: (r: Round) => Rtt) => median(done.map((r) => f(r).p99)).toFixed(1);
  const table = [['path', 'p50 us', 'p99 us', 'separate - in-process', '/ baseline']];
  table.push(['C DEALER -> C ROUTER echo (baseline)', p50((r) => r.base), p99((r) => r.base), '', '']);
  CLIENTS.forEach(([client], i) => {
    // Each round's difference against that round's own baseline.
    const extra = median(done.map((r) => r.sep[i].p50 - r.inp[i].p50));
    const ratio = median(done.map((r) => (r.sep[i].p50 - r.inp[i].p50) / r.base.p50));
    table.push([`${client} -> broker -> cosim-sim process (ZeroMQ)`, p50((r) => r.sep[i]), p99((r) => r.sep[i]), '', '']);
    table.push([`${client} -> broker -> in-process model (addon)`, p50((r) => r.inp[i]), p99((r) => r.inp[i]), `${extra.toFixed(1)} us`, `${ratio.toFixed(2)}x`]);
  });
  console.log(formatTable(table));
  console.log(`\nTarget: separate - in-process <= ${SEPARATE_TARGET}x the baseline (one more ZeroMQ round trip, and little else).`);
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
