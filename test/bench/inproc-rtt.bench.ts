// MMIO read round trip with the RTL in the broker's process (N-API addon,
// `cosim broker --hdl inproc:example`) next to the RTL in a separate cosim-sim
// process, through the same broker in the same run: one broker, two devices
// of the same example RTL ('sep' behind ZeroMQ, 'inp' in-process), each read
// by the C client and by the TypeScript stand-in.
// Run: npm run bench:rtl   (options: --reads N)
import { parseArgs } from 'node:util';
import { Broker } from '../../bridge/src/broker/broker';
import { formatTable } from '../../bridge/src/broker/stats';
import { EX } from '../../bridge/src/example-device';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { InprocHdl } from '../../bridge/src/peer/inproc-hdl';
import { simBinary, testLog } from '../helpers';
import { cClientReads, Rtt, tsClientReads } from './rtt';

const { values } = parseArgs({ options: { reads: { type: 'string', default: '3000' } } });
const reads = Number(values.reads);
const quiet = () => undefined;

interface Row extends Rtt {
  path: string;
}

const cClient = (ep: string, name: string) => cClientReads(ep, name, reads, EX.BAR, EX.SCRATCH);
const tsClient = (ep: string, name: string) => tsClientReads(ep, name, reads, EX.BAR, EX.SCRATCH);

async function main(): Promise<void> {
  const ep = uniqueEndpoints();
  const log = testLog();
  const broker = new Broker(brokerConfig({ requestTimeoutMs: 5000, peerTimeoutMs: 5000, heartbeatMs: 1000 }, ep), log);
  await broker.start();
  const sim = startSim({ binary: await simBinary(), endpoint: ep.hdl, name: 'sep', echo: quiet });
  const inp = await InprocHdl.start({ broker, model: 'example', name: 'inp', log, logLevel: 'error' });
  const rows: Row[] = [];
  try {
    // INIT waits (initTimeoutMs) for a device that has not announced itself yet.
    for (const [client, fn] of [['C client', cClient], ['TS QemuPeer', tsClient]] as const) {
      // Alternate the two devices so machine load hits both alike.
      const sep = await fn(ep.qemu, 'sep');
      const inproc = await fn(ep.qemu, 'inp');
      rows.push({ path: `${client} -> broker -> cosim-sim process (ZeroMQ)`, ...sep });
      rows.push({ path: `${client} -> broker -> in-process model (addon)`, ...inproc });
    }
  } finally {
    await broker.stop('bench done');
    await inp.stop();
    await sim.stop();
  }
  console.log(`MMIO 4-byte read round trip, ${reads} reads each, one broker, same run:\n`);
  const table = [['path', 'p50 us', 'p99 us', 'p50 in-process / separate']];
  for (let i = 0; i < rows.length; i += 2) {
    table.push([rows[i].path, rows[i].p50.toFixed(1), rows[i].p99.toFixed(1), '']);
    table.push([rows[i + 1].path, rows[i + 1].p50.toFixed(1), rows[i + 1].p99.toFixed(1), `${(rows[i + 1].p50 / rows[i].p50).toFixed(2)}x`]);
  }
  console.log(formatTable(table));
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
