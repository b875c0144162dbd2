// DMA throughput of the example device's copy engine through the broker and
// a cosim-sim, as a ratio to the simulated bus limit of the same model
// measured in the same run: 8 bytes per beat times the cycles per second of
// the bare C++ loop of its model library. A copy moves its bytes twice
// (read, then written), as the bus limit counts them. For context, the raw
// C ZeroMQ echo with 16 messages in flight at 4 KiB and 64 KiB.
// Run: npm run bench:dma   (options: --mib N --rounds R)
import { parseArgs } from 'node:util';
import { formatTable } from '../../bridge/src/broker/stats';
import { dmaCopy, pattern } from '../../bridge/src/example-ops';
import { Proc } from '../../bridge/src/orchestrate/process';
import { uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { resolveModel } from '../../bridge/src/model/native';
import { exampleStack } from '../helpers';
import { bareRate } from './model-loop';
import { rttTool } from './rtt';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '4' }, rounds: { type: 'string', default: '3' } } });
const len = Number(values.mib) * 1024 * 1024;
const rounds = Number(values.rounds);
const quiet = () => undefined;
const BEAT_BYTES = 8;

/** Best copy rate, in bytes moved (read + written) per second. */
async function copyRate(): Promise<{ rate: number; seconds: number; dmaReads: number; dmaWrites: number }> {
  const s = await exampleStack();
  try {
    const src = 0x1000001n;
    const dst = 0x3000007n;
    s.peer.memory.write(src, pattern(len, 5));
    let best = { rate: 0, seconds: 0, dmaReads: 0, dmaWrites: 0 };
    for (let r = 0; r < rounds; r++) {
      const reads = s.peer.dmaReads;
      const writes = s.peer.dmaWrites;
      const t0 = process.hrtime.bigint();
      await dmaCopy(s.peer, src, dst, len, { vector: 1, timeoutMs: 600_000 });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (!s.peer.memory.read(dst, len).equals(pattern(len, 5))) throw new Error('the copy is wrong');
      const rate = (2 * len) / seconds;
      if (rate > best.rate) best = { rate, seconds, dmaReads: s.peer.dmaReads - reads, dmaWrites: s.peer.dmaWrites - writes };
    }
    return best;
  } finally {
    await s.stop();
  }
}

async function echoRate(size: number): Promise<number> {
  const ep = uniqueEndpoints();
  const echo = new Proc('echo', rttTool(), ['router-echo', ep.qemu], { echo: quiet });
  await new Promise((r) => setTimeout(r, 200));
  try {
    const n = Math.max(1000, Math.floor((256 * 1024 * 1024) / size));
    const p = new Proc('window', rttTool(), ['dealer-window', ep.qemu, String(size), '16', String(n)], { echo: quiet });
    await p.exited;
    const m = p.stdoutLines.join('\n').match(/mb_per_s=([\d.]+)/);
    if (!m) throw new Error(`windowed echo of ${size} bytes: no result (${p.describeExit()}): ${p.stderrTail.join('\n')}`);
    return Number(m[1]) * 1e6;
  } finally {
    await echo.stop();
  }
}

async function main(): Promise<void> {
  const lib = await resolveModel('example');
  let cycles = 0;
  for (let r = 0; r < rounds; r++) cycles = Math.max(cycles, bareRate(lib, 2_000_000));
  const limit = BEAT_BYTES * cycles;
  const copy = await copyRate();
  const e4 = await echoRate(4096);
  const e64 = await echoRate(65536);
  const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB/s`;
  console.log(`DMA copy of ${len / 1048576} MiB through the broker and cosim-sim (example device), best of ${rounds}, same run:`);
  console.log(`${copy.dmaReads} DMA read requests, ${copy.dmaWrites} DMA write messages, ${copy.seconds.toFixed(3)} s\n`);
  console.log(
    formatTable([
      ['what', 'baseline', 'measured', 'ratio', 'target'],
      [`copy: bytes moved / bus limit (${BEAT_BYTES} B x ${cycles} cycles/s)`, mb(limit), mb(copy.rate), `${(copy.rate / limit).toFixed(3)}x`, '>= 0.5x'],
      ['C ZeroMQ echo, 16 in flight, 4 KiB', '', mb(e4), '', ''],
      ['C ZeroMQ echo, 16 in flight, 64 KiB', '', mb(e64), '', ''],
    ]),
  );
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
