// cosim replay on a real run (issue 10, items 3 and 4): `cosim regress
// --device gpu --tests gpu_copy --trace-dir D` under QEMU, its trace
// replayed with no QEMU against the same RTL (no divergence) and against
// the COSIM_BUG_COPY_SHORT build (a divergence at the DMA write that misses
// the copy's last byte, exit 1); then `cosim regress --wave-on-fail W` on
// the buggy build: an FST whose time range holds the test's DMA writes, and
// a .gtkw that the failure report names.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { MsgType } from '../../bridge/src/protocol/wire';
import { deviceId, Dir, readTrace, transactions } from '../../bridge/src/trace/format';
import { FstFile } from '../../bridge/src/trace/fst';
import { fstTime } from '../../bridge/src/trace/replay';
import { builtinSim, cosimCli } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-replay-gpu-'));
const traces = path.join(tmp, 'traces');
const trace = path.join(traces, 'gpu_copy.trace');

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

test('regress gpu_copy --trace-dir, then its trace replayed against the same RTL: no divergence', async (t) => {
  let t0 = Date.now();
  const live = await cosimCli(['regress', '--device', 'gpu', '--tests', 'gpu_copy', '--seed', '3', '--trace-dir', traces, '--quiet']);
  const liveMs = Date.now() - t0;
  assert.equal(live.code, 0, `${live.stdout}\n${live.stderr.slice(-3000)}`);
  assert.ok(fs.existsSync(trace), fs.readdirSync(traces).join(' '));
  // The model library is built (or taken from the cache) first, so the time below is the replay's.
  assert.equal((await cosimCli(['replay', trace, '--device', 'gpu', '--max-cycles', '1'])).code, 1);
  t0 = Date.now();
  const r = await cosimCli(['replay', trace, '--device', 'gpu']);
  const replayMs = Date.now() - t0;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^replayed \d+ messages \(\d+ to the device, \d+ from it\) over \d+ cycles in [\d.]+ s: no divergence$/m);
  t.diagnostic(`gpu_copy: live regress ${secs(liveMs)} (boot included), replay ${secs(replayMs)}: ${r.stdout.trim().split('\n').at(-1)}`);
  const one = await cosimCli(['replay', trace, '--device', 'gpu', '--test', 'gpu_copy']);
  assert.equal(one.code, 0, `${one.stdout}\n${one.stderr}`);
});

test('the same trace against the COSIM_BUG_COPY_SHORT build: divergence at a DMA write short of the copy\'s last byte, exit 1', async () => {
  const r = await cosimCli(['replay', trace, '--device', 'gpu', '--define', 'COSIM_BUG_COPY_SHORT']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const m = /^divergence at device->host message #(\d+) \(cycle (\d+)\): DMA_WRITE to 0x([0-9a-f]+): the RTL wrote (\d+) of the (\d+) bytes recorded from 0x([0-9a-f]+), then /m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [wrote, recorded] = [Number(m[4]), Number(m[5])];
  assert.equal(wrote, recorded - 1, 'all but the last byte');
  assert.equal(BigInt(`0x${m[3]}`), BigInt(`0x${m[6]}`) + BigInt(wrote), 'the missing byte is the last one of the run');
  // The message named is the recorded DMA write that holds that byte.
  const tr = readTrace(trace);
  const w = transactions(tr, deviceId(tr)).find((x) => x.seq === Number(m[1]))!;
  assert.equal(w.msg.type, MsgType.DMA_WRITE);
  assert.equal(w.cycle, BigInt(m[2]));
  const last = BigInt(`0x${m[3]}`);
  assert.ok(w.msg.address <= last && last < w.msg.address + BigInt(w.msg.length));
  assert.match(r.stdout, /^ {2}expected: DMA_WRITE addr=/m);
  assert.match(r.stdout, /^ {2}got: {6}DMA_WRITE addr=.* then /m);
});

test('regress --wave-on-fail on the buggy build: an FST of the failing test\'s cycles holding its DMA writes, and a .gtkw the report names', async (t) => {
  const sim = await builtinSim('gpu', ['COSIM_BUG_COPY_SHORT']);
  const waves = path.join(tmp, 'waves');
  const t0 = Date.now();
  const r = await cosimCli(['regress', '--device', 'gpu', '--sim', sim, '--tests', 'gpu_copy', '--seed', '3', '--wave-on-fail', waves, '--quiet']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.match(r.stdout, /^gpu_copy\s+FAIL\s/m);
  const fst = path.join(waves, 'gpu_copy.fst');
  const gtkw = path.join(waves, 'gpu_copy.gtkw');
  assert.match(r.stdout, new RegExp(`^ {2}waveform: gtkwave ${gtkw.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
  assert.match(r.stdout, /^ {2}replay: cosim replay \S+gpu_copy\.trace --test gpu_copy --device gpu --sim /m);
  const made = /waveform of gpu_copy: cycles (\d+)\.\.(\d+) replayed in ([\d.]+) s/.exec(r.stderr);
  assert.ok(made, r.stderr.slice(-2000));
  t.diagnostic(`buggy gpu_copy with --wave-on-fail: ${secs(Date.now() - t0)} in all, the wave's replay ${made[3]} s, FST ${(fs.statSync(fst).size / 1e6).toFixed(0)} MB`);
  // The failing test's trace stays for cosim replay; nothing else of the run does.
  assert.deepEqual(fs.readdirSync(path.join(waves, 'traces')), ['gpu_copy.trace']);
  const tr = readTrace(path.join(waves, 'traces', 'gpu_copy.trace'));
  const mine = transactions(tr, deviceId(tr)).filter((x) => x.test === 'gpu_copy' && x.cycle !== undefined);
  const writes = mine.filter((x) => x.dir === Dir.FROM_DEVICE && x.msg.type === MsgType.DMA_WRITE);
  assert.ok(writes.length > 10, `${writes.length} DMA writes in the test`);
  const h = new FstFile(fst).header;
  const first = mine.reduce((c, x) => (x.cycle! < c ? x.cycle! : c), mine[0].cycle!);
  const lastC = mine.reduce((c, x) => (x.cycle! > c ? x.cycle! : c), 0n);
  // Its time range is the test's window: two time units per cycle, from just before its first message to just after its last.
  assert.ok(h.startTime <= fstTime(first) && fstTime(first) - h.startTime < 200n, `FST from ${h.startTime}, the test's first message at ${fstTime(first)}`);
  assert.ok(h.endTime >= fstTime(lastC) && h.endTime - fstTime(lastC) < 400n, `FST to ${h.endTime}, the test's last message at ${fstTime(lastC)}`);
  for (const w of writes) assert.ok(fstTime(w.cycle!) >= h.startTime && fstTime(w.cycle!) <= h.endTime, `DMA write #${w.seq} at cycle ${w.cycle}`);
  const text = fs.readFileSync(gtkw, 'utf8');
  assert.ok(text.includes(`[dumpfile] "${fst}"`), text.slice(0, 400));
  assert.match(text, /^-DMA write: AXI4 slave AW\/W\/B$/m);
  assert.match(text, /^TOP\.gpu_top\.bridge\.s_axi_awaddr\[63:0\]$/m);
  assert.match(text, /^\[markername\] [A-Z]#\d+ from DMA_WRITE 0x/m);
  const start = BigInt(/^\[timestart\] (\d+)$/m.exec(text)![1]);
  assert.ok(start >= h.startTime && start <= h.endTime);
});
