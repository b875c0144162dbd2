// `cosim replay` on traces of the example device's selftest (every channel:
// MMIO, DMA both ways, MSI-X, INTx, NIC, serial), recorded with the RTL as a
// cosim-sim process and in-process: the same RTL replays them bit for bit;
// a changed byte, another device, an unknown test, a message that never
// comes and a cut file each get the answer docs/replay.md promises; --wave
// writes an FST of the test's cycles and a .gtkw that opens on it.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { encode, message, MsgType } from '../../bridge/src/protocol/wire';
import { deviceId, Dir, encodeRecord, readTrace, RecordKind, transactions } from '../../bridge/src/trace/format';
import { FstFile } from '../../bridge/src/trace/fst';
import { fstTime } from '../../bridge/src/trace/replay';
import { cosimCli, simBinary } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-replay-'));
const simTrace = path.join(tmp, 'selftest-sim.trace');
const inprocTrace = path.join(tmp, 'selftest-inproc.trace');

test('record: the selftest through a cosim-sim process and in-process, each with --trace', async () => {
  for (const [file, extra] of [
    [simTrace, []],
    [inprocTrace, ['--hdl', 'inproc:example']],
  ] as const) {
    const r = await cosimCli(['selftest', '--trace', file, ...extra]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(readTrace(file).complete);
  }
});

test('the same RTL replays both traces with no divergence: every message at its recorded cycle', async () => {
  for (const file of [simTrace, inprocTrace]) {
    const t = readTrace(file);
    const all = transactions(t, deviceId(t)).filter((x) => x.msg.type !== MsgType.SHUTDOWN);
    const r = await cosimCli(['replay', file, '--device', 'example']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const m = /^replayed (\d+) messages \((\d+) to the device, (\d+) from it\) over (\d+) cycles in [\d.]+ s: no divergence$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    // Every message but the SHUTDOWNs and the CONF (checked before the rest).
    assert.equal(Number(m[2]), all.filter((x) => x.dir === Dir.TO_DEVICE).length, r.stdout);
    assert.equal(Number(m[3]), all.filter((x) => x.dir === Dir.FROM_DEVICE && x.msg.type !== MsgType.CONF).length, r.stdout);
    for (const type of [MsgType.DMA_WRITE, MsgType.MMIO_READ_CPL, MsgType.MSIX, MsgType.INTX, MsgType.NIC_FRAME, MsgType.SERIAL]) assert.ok(all.some((x) => x.dir === Dir.FROM_DEVICE && x.msg.type === type), MsgType[type]);
    assert.match(r.stdout, /^replayed/m);
    assert.doesNotMatch(r.stdout, /^note:/m);
  }
});

test('the same RTL named by its simulator (--sim) replays too: its top and defines come from its build folder', async () => {
  const r = await cosimCli(['replay', simTrace, '--device', 'example', '--sim', await simBinary()]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /no divergence/);
});

test('one byte of one recorded DMA write changed: divergence at that message, exit 1', async () => {
  const buf = fs.readFileSync(simTrace);
  const t = readTrace(simTrace);
  const w = transactions(t, deviceId(t)).filter((x) => x.dir === Dir.FROM_DEVICE && x.msg.type === MsgType.DMA_WRITE && x.msg.payload.length >= 16)[5];
  const bad = Buffer.from(buf);
  bad[w.offset + 16 + 40 + 9] ^= 0x5a;
  const file = path.join(tmp, 'changed.trace');
  fs.writeFileSync(file, bad);
  const r = await cosimCli(['replay', file, '--device', 'example']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const addr = (w.msg.address + 9n).toString(16);
  assert.match(r.stdout, new RegExp(`^divergence at device->host message #${w.seq} \\(cycle ${w.cycle}\\): DMA_WRITE byte at 0x${addr} differs: expected 0x${bad[w.offset + 65].toString(16).padStart(2, '0')}, got 0x${buf[w.offset + 65].toString(16).padStart(2, '0')}$`, 'm'));
  assert.match(r.stdout, /^ {2}expected: DMA_WRITE addr=0x[0-9a-f]+ len=\d+ cycle=\d+/m);
  assert.match(r.stdout, /^ {2}got: {6}DMA_WRITE /m);
});

test('--wave-last: the waveform of the cycles before the divergence, from the snapshot before them', async () => {
  const file = path.join(tmp, 'changed.trace');
  const wave = path.join(tmp, 'waves', 'last.fst');
  const r = await cosimCli(['replay', file, '--device', 'example', '--wave', wave, '--wave-last', '3000', '--snapshot-every', '2000']);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  const d = /^divergence at device->host message #\d+ \(cycle (\d+)\)/m.exec(r.stdout);
  const stop = /^replay stopped at cycle (\d+)/m.exec(r.stdout);
  const snap = /^note: waveform from the snapshot at cycle (\d+): (\d+) cycles clocked again before its window$/m.exec(r.stdout);
  const w = /^waveform: cycles (\d+)\.\.(\d+) in /m.exec(r.stdout);
  assert.ok(d && stop && snap && w, r.stdout);
  const [divergedAt, stoppedAt, snapAt, from, to] = [d[1], stop[1], snap[1], w[1], w[2]].map(BigInt);
  // The replay stops once the differing write is out: the shim coalesces a copy's
  // writes while they follow on, up to the next read request the engine makes,
  // one a chunk (16 KiB, 2048 beats). The window is the 3000 cycles up to there.
  assert.ok(stoppedAt >= divergedAt && stoppedAt - divergedAt <= 4096n + 64n, `stopped at ${stoppedAt}, divergence at ${divergedAt}`);
  assert.ok(from >= stoppedAt - 3000n - 2n && from <= stoppedAt - 3000n + 2n, `window from ${from}`);
  assert.ok(to >= stoppedAt && to <= stoppedAt + 4n, `window to ${to}`);
  // From the last snapshot at or before the window (one every 2000 cycles), not from cycle 0.
  assert.ok(snapAt <= from && from - snapAt <= 2000n + 1000n, `snapshot at ${snapAt}, window from ${from}`);
  assert.ok(divergedAt < 5000n || snapAt > 0n, 'a snapshot past cycle 0 was used');
  const fst = new FstFile(wave);
  assert.ok(fst.header.startTime <= 2n * from + 8n && fst.header.startTime >= 2n * from - 8n, `FST starts at ${fst.header.startTime}`);
  assert.ok(fst.header.endTime >= fstTime(divergedAt), `FST ends at ${fst.header.endTime}, before the divergence`);
  assert.match(fs.readFileSync(wave.replace(/\.fst$/, '.gtkw'), 'utf8'), /^\[markername\] [A-Z]divergence at #\d+$/m);
});

test('a trace of another device: the CONF fields that differ are named, exit 2', async () => {
  const r = await cosimCli(['replay', simTrace, '--hdl', 'inproc:axi_test']);
  assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /CONF differs from the trace: deviceId 0xc051 \(trace\) vs 0x[0-9a-f]+ \(RTL\)/);
});

test('an unknown --test lists the tests of the trace, exit 2', async () => {
  const r = await cosimCli(['replay', simTrace, '--device', 'example', '--test', 'no such test']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no test 'no such test' in the trace; its tests: mmio: read ID, write\/read every size, .*serial: echo/);
});

test('a recorded message the RTL never sends: the replay stops at the cycle limit and names it, exit 1', async () => {
  const t = readTrace(simTrace);
  const dev = deviceId(t);
  const txns = transactions(t, dev);
  const shutdown = txns.find((x) => x.dir === Dir.TO_DEVICE && x.msg.type === MsgType.SHUTDOWN)!;
  const last = txns.reduce((c, x) => (x.cycle !== undefined && x.cycle > c ? x.cycle : c), 0n);
  // An MSI-X on vector 3 just before the run ended, which the RTL had no cause to send.
  const extra = Buffer.concat(encodeRecord(RecordKind.MSG, Dir.FROM_DEVICE, dev, shutdown.timeUs, encode(message(MsgType.MSIX, { index: 3, cycle: last + 10n }))));
  const buf = fs.readFileSync(simTrace);
  const file = path.join(tmp, 'missing.trace');
  fs.writeFileSync(file, Buffer.concat([buf.subarray(0, shutdown.offset), extra, buf.subarray(shutdown.offset)]));
  const limit = last + 5000n;
  const r = await cosimCli(['replay', file, '--device', 'example', '--max-cycles', String(limit)]);
  assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^divergence at device->host message #${shutdown.seq} \\(cycle ${last + 10n}\\): device->host message #${shutdown.seq} \\(MSIX, recorded at cycle ${last + 10n}\\) never came: cycle limit ${limit} reached`, 'm'));
});

test('a cut trace: the byte offset of the record it ends in, exit 2', async () => {
  const buf = fs.readFileSync(simTrace);
  const t = readTrace(simTrace);
  const rec = t.records[Math.floor(t.records.length / 2)];
  const file = path.join(tmp, 'cut.trace');
  fs.writeFileSync(file, buf.subarray(0, rec.offset + 20));
  const r = await cosimCli(['replay', file, '--device', 'example']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`cut.trace: byte ${rec.offset}: file ends inside a \\w+ record`));
});

test('--test with --wave: an FST of the test\'s cycles and a .gtkw opening on its last transactions', async () => {
  const name = 'dma: copy 4 KiB';
  const wave = path.join(tmp, 'waves', 'copy.fst');
  const r = await cosimCli(['replay', simTrace, '--device', 'example', '--test', name, '--wave', wave]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const m = /^waveform: cycles (\d+)\.\.(\d+) in (.*); gtkwave (.*\.gtkw)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [from, to] = [BigInt(m[1]), BigInt(m[2])];
  // The window is the test's: from its first message (with a little room) to its last.
  const t = readTrace(simTrace);
  const mine = transactions(t, deviceId(t)).filter((x) => x.test === name && x.cycle !== undefined);
  const first = mine.reduce((c, x) => (x.cycle! < c ? x.cycle! : c), mine[0].cycle!);
  const lastC = mine.reduce((c, x) => (x.cycle! > c ? x.cycle! : c), 0n);
  assert.ok(from <= first && first - from < 64n, `window from ${from}, first message ${first}`);
  assert.ok(to >= lastC && to - lastC < 200n, `window to ${to}, last message ${lastC}`);
  const fst = new FstFile(wave);
  assert.ok(fst.header.startTime <= fstTime(first) && fst.header.startTime >= 2n * from - 8n, `FST starts at ${fst.header.startTime}`);
  assert.ok(fst.header.endTime >= fstTime(lastC) && fst.header.endTime <= 2n * to + 8n, `FST ends at ${fst.header.endTime}`);
  assert.equal(fst.header.timescale, -12);
  const gtkw = fs.readFileSync(m[4], 'utf8');
  assert.match(gtkw, new RegExp(`^\\[dumpfile\\] "${wave.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"$`, 'm'));
  for (const g of ['MMIO: AXI4 master', 'DMA read: AXI4 slave AR/R', 'DMA write: AXI4 slave AW/W/B', 'MSI-X, INTx', 'NIC: AXI-Stream', 'UART']) assert.ok(gtkw.includes(`-${g}`), g);
  assert.match(gtkw, /^TOP\.cosim_top\.bridge\.s_axi_awaddr\[63:0\]$/m);
  const markers = [...gtkw.matchAll(/^\[markername\] [A-Z](#\d+ (to|from) \S+.*)$/gm)];
  assert.ok(markers.length >= 8, gtkw);
  const times = /^\*[-\d.]+ (\d+) ((?:-?\d+ ?){26})$/m.exec(gtkw);
  assert.ok(times, gtkw);
  const named = times[2].trim().split(' ').map(BigInt).filter((x) => x >= 0n);
  assert.equal(named.length, markers.length);
  for (const x of named) assert.ok(x >= fst.header.startTime && x <= fst.header.endTime, `marker at ${x}`);
  assert.equal(BigInt(times[1]), fstTime(lastC), 'the primary marker is at the test\'s last transaction');
});
