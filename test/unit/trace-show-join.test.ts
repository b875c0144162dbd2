// cosim trace show: each completion joined to its request with the latency in
// cycles and microseconds, an MSI-X to the DMA write before it, and the filters.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { encodeConf } from '../../bridge/src/protocol/conf';
import { Flag, message, MsgType } from '../../bridge/src/protocol/wire';
import { parseTrace } from '../../bridge/src/trace/format';
import { parseChannels, parseRange, showTrace, ShowOptions } from '../../bridge/src/trace/show';
import { EXAMPLE_CONF, repoRoot } from '../helpers';
import { buildTrace, FixtureRecord } from '../trace-fixture';

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const page = Buffer.alloc(4096, 0x11);
page.write('deadbeef', 'hex');

/** A small session of dev0: the numbers in the comments are the seq (#N) show prints. */
const SESSION: FixtureRecord[] = [
  { from: message(MsgType.CONF, { payload: encodeConf(EXAMPLE_CONF) }) }, // #0
  { mark: { test: 'regs', event: 'begin' } },
  { to: message(MsgType.MMIO_READ, { tag: 7, index: 0, address: 0x10n, length: 4 }), timeUs: 2000 }, // #1
  { delivered: [100n] },
  { from: message(MsgType.MMIO_READ_CPL, { tag: 7, index: 0, address: 0x10n, length: 4, cycle: 109n, payload: u32(0xc051) }), timeUs: 2003 }, // #2
  { to: message(MsgType.MMIO_WRITE, { tag: 8, index: 2, address: 0x20n, length: 4, payload: u32(1) }) }, // #3
  { mark: { test: 'regs', event: 'end', status: 'pass' } },
  { mark: { test: 'copy', event: 'begin' } },
  { from: message(MsgType.DMA_READ, { tag: 3, address: 0x12340000n, length: 8192, cycle: 130n }), timeUs: 2010 }, // #4
  { delivered: [112n] },
  { to: message(MsgType.DMA_READ_CPL, { tag: 3, address: 0x12340000n, length: 4096, payload: page }) }, // #5
  { to: message(MsgType.DMA_READ_CPL, { tag: 3, address: 0x12341000n, length: 4096, flags: Flag.LAST, payload: page }), timeUs: 2035 }, // #6
  { delivered: [140n, 171n] },
  { from: message(MsgType.DMA_WRITE, { address: 0x22000000n, length: 4096, cycle: 400n, payload: page }) }, // #7
  { from: message(MsgType.MSIX, { index: 1, cycle: 412n }) }, // #8
  { from: message(MsgType.DMA_WRITE, { address: 0x23000000n, length: 64, cycle: 500n, payload: page.subarray(0, 64) }) }, // #9
  { from: message(MsgType.MSIX, { index: 2, cycle: 530n }) }, // #10
  { note: 'guest program exited' },
  { mark: { test: 'copy', event: 'end', status: 'pass' } },
  { to: message(MsgType.MMIO_READ, { tag: 9, index: 0, address: 0x8n, length: 8 }) }, // #11, never answered, no stamp
];

const trace = (records = SESSION, devices = ['dev0']) => parseTrace(buildTrace(undefined, { devices, records }), 'session.cstrace');
const show = (o: ShowOptions = {}, t = trace()) => showTrace(t, o);
/** The message lines, by their seq. */
const txnLines = (lines: string[]) => lines.join('\n').split('\n').filter((l) => /^\s+#\d+ /.test(l));
const seqs = (lines: string[]) => txnLines(lines).map((l) => Number(/#(\d+)/.exec(l)![1]));
const line = (lines: string[], seq: number) => txnLines(lines).find((l) => l.trimStart().startsWith(`#${seq} `)) ?? assert.fail(`no line #${seq}`);

test('an MMIO read completion names its read and the latency in cycles and microseconds', () => {
  const out = show();
  const cpl = line(out, 2);
  assert.match(cpl, /^\s+#2\s+109\s+\d+\s+dev->\s+mmio\s+MMIO_READ_CPL\s+7\s+BAR0\+0x10\s+4\s+-\s+0x0000c051\s+latency 9 cyc \/ 3 us \(MMIO_READ #1\)$/);
  assert.match(line(out, 1), /#1\s+100\s+\d+\s+->dev\s+mmio\s+MMIO_READ\s+7\s+BAR0\+0x10\s+4\s+-$/);
  assert.match(line(out, 3), /->dev\s+mmio\s+MMIO_WRITE\s+8\s+BAR2\+0x20\s+4\s+-\s+0x00000001$/);
});

test('the last DMA read completion chunk carries the latency; earlier chunks name their read', () => {
  const out = show();
  assert.match(line(out, 5), /140 .*DMA_READ_CPL\s+3\s+0x12340000\s+4096\s+-\s+de ad be ef 11 11 11 11 \.\. \(4096 B\)\s+chunk of DMA_READ #4$/);
  assert.match(line(out, 6), /171 .*DMA_READ_CPL\s+3\s+0x12341000\s+4096\s+LAST\s+.*latency 41 cyc \/ 25 us \(DMA_READ #4\)$/);
});

test('an MSI-X names the DMA write recorded just before it', () => {
  const out = show();
  assert.match(line(out, 8), /dev->\s+msix\s+MSIX\s+0\s+vector 1\s+0\s+-\s+after DMA_WRITE #7 0x22000000 \+4096 \(12 cyc earlier\)$/);
  assert.match(line(out, 10), /vector 2 .*after DMA_WRITE #9 0x23000000 \+64 \(30 cyc earlier\)$/);
});

test('header, test marks, notes and footer', () => {
  const out = show().join('\n').split('\n');
  assert.match(out[0], /^trace session\.cstrace: device dev0; recorded 2026-01-02T03:04:05\.000Z by test/);
  assert.equal(out[1], 'CONF: 1234:c051 class 120000 rev 1 BAR0=0x10000/64 BAR2=0x1000 msix=4');
  assert.equal(out[2], 'tests: regs, copy');
  assert.match(out[3], /^\s+seq\s+cycle\s+time_us\s+dir\s+chan\s+type\s+tag\s+where\s+len\s+flags\s+data$/);
  const i = (s: string) => out.indexOf(s);
  assert.ok(i('--- test regs begin ---') > 0 && i('--- test regs begin ---') < i('--- test regs end: pass ---'));
  assert.ok(i('--- test copy begin ---') < i('# note: guest program exited'));
  assert.ok(i('# note: guest program exited') < i('--- test copy end: pass ---'));
  const foot = out.slice(-4);
  assert.deepEqual(foot, [
    '12 of 12 messages of dev0 shown: mmio 4 (->dev 3, dev-> 1), dma 5 (->dev 2, dev-> 3), msix 2 (dev-> 2), control 1 (dev-> 1)',
    'never answered: MMIO_READ #11 tag 9',
    '1 message(s) to the device without a DELIVERED stamp (cycle shown as -)',
    'trace complete (END after 22 records)',
  ]);
  assert.match(line(show(), 11), /^\s+#11\s+-\s/);
});

test('filters: channel, test, tag, address, cycles, limit; joins still see every message', () => {
  assert.deepEqual(seqs(show({ channels: parseChannels(['msix']) })), [8, 10]);
  assert.match(line(show({ channels: parseChannels(['msix']) }), 8), /after DMA_WRITE #7/);
  assert.deepEqual(seqs(show({ channels: parseChannels(['mmio,msix', 'control']) })), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(seqs(show({ test: 'regs' })), [1, 2, 3]);
  assert.ok(!show({ test: 'regs' }).join('\n').includes('copy begin'));
  assert.deepEqual(seqs(show({ test: 'copy' })), [4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(seqs(show({ tag: 3 })), [4, 5, 6]);
  assert.match(line(show({ tag: 7, channels: parseChannels(['mmio']) }), 2), /latency 9 cyc/);
  // BAR offsets for MMIO (any BAR), host addresses for DMA; a message matches when a byte it touches is inside.
  assert.deepEqual(seqs(show({ addr: parseRange('0x13:0x13', '--addr') })), [1, 2]);
  assert.deepEqual(seqs(show({ addr: parseRange('0x0:0x1f', '--addr') })), [1, 2, 11]);
  assert.deepEqual(seqs(show({ addr: parseRange('0x12341800', '--addr') })), [4, 6]);
  assert.deepEqual(seqs(show({ addr: parseRange(`${0x22000000}:${0x23000000}`, '--addr') })), [7, 9]);
  // Cycles: inclusive, a message without a cycle is left out.
  assert.deepEqual(seqs(show({ cycles: parseRange('100:140', '--cycles') })), [1, 2, 3, 4, 5]);
  assert.deepEqual(seqs(show({ cycles: parseRange('0:99999', '--cycles') })).includes(11), false);
  const limited = show({ limit: 2 });
  assert.deepEqual(seqs(limited), [0, 1]);
  assert.match(limited.join('\n'), /2 of 12 messages of dev0 shown \(--limit 2 reached\)/);
  assert.match(show({ tag: 3 }).join('\n'), /^3 of 12 messages of dev0 shown: dma 3 \(->dev 2, dev-> 1\)$/m);
});

test('--json: one object per line with the same fields', () => {
  const objs = show({ json: true }).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(objs[0].kind, 'header');
  assert.deepEqual(objs[0].tests, ['regs', 'copy']);
  assert.equal(objs.at(-1)!.kind, 'footer');
  assert.equal(objs.at(-1)!.complete, true);
  const txns = objs.filter((o) => o.kind === 'txn');
  assert.equal(txns.length, 12);
  const cpl = txns.find((o) => o.seq === 2)!;
  assert.deepEqual(
    { cycle: cpl.cycle, dir: cpl.dir, channel: cpl.channel, type: cpl.type, tag: cpl.tag, where: cpl.where, length: cpl.length, data: cpl.data, test: cpl.test, request: cpl.request },
    { cycle: 109, dir: 'dev->', channel: 'mmio', type: 'MMIO_READ_CPL', tag: 7, where: 'BAR0+0x10', length: 4, data: '0x0000c051', test: 'regs', request: { seq: 1, type: 'MMIO_READ', final: true, latencyCycles: 9, latencyUs: 3 } },
  );
  assert.deepEqual(txns.find((o) => o.seq === 8)!.afterDma, { seq: 7, address: '0x22000000', length: 4096, cycles: 12 });
  assert.deepEqual(txns.find((o) => o.seq === 6)!.flags, ['LAST']);
  assert.equal(txns.find((o) => o.seq === 11)!.cycle, null);
  assert.deepEqual(
    objs.filter((o) => o.kind === 'mark').map((o) => `${o.test} ${o.event}`),
    ['regs begin', 'regs end', 'copy begin', 'copy end'],
  );
});

test('several devices: each has its own tags and numbering; --device picks one', () => {
  const records: FixtureRecord[] = [
    { to: message(MsgType.MMIO_READ, { tag: 1, length: 4 }) },
    { to: message(MsgType.MMIO_READ, { tag: 1, length: 4 }), dev: 'gpu1' },
    { delivered: [50n], dev: 'gpu1' },
    { delivered: [10n] },
    { from: message(MsgType.MMIO_READ_CPL, { tag: 1, length: 4, cycle: 60n, payload: u32(2) }), dev: 'gpu1' },
    { from: message(MsgType.MMIO_READ_CPL, { tag: 1, length: 4, cycle: 15n, payload: u32(1) }) },
  ];
  const t = trace(records, ['gpu0', 'gpu1']);
  assert.throws(() => show({}, t), /the trace holds 2 devices \(gpu0, gpu1\): name one with --device NAME/);
  assert.match(line(show({ device: 'gpu0' }, t), 1), /15 .*0x00000001\s+latency 5 cyc/);
  assert.match(line(show({ device: 'gpu1' }, t), 1), /60 .*0x00000002\s+latency 10 cyc/);
  assert.match(show({ device: 'gpu1' }, t)[0], /device gpu1 \(also in the trace: gpu0\)/);
});

test('an ERROR answering a read is joined to it', () => {
  const t = trace([
    { to: message(MsgType.MMIO_READ, { tag: 4, index: 0, address: 0x40n, length: 4 }), timeUs: 5000 },
    { from: message(MsgType.ERROR, { tag: 4, index: 6, address: 0x40n, length: 4, payload: Buffer.from('MMIO read timeout') }), timeUs: 7000 },
  ]);
  assert.match(line(show({}, t), 1), /control\s+ERROR\s+4\s+TIMEOUT\s+4\s+-\s+"MMIO read timeout"\s+latency \? cyc \/ 2000 us \(fails MMIO_READ #0\)$/);
});

test('the CLI prints the same lines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-show-'));
  const file = path.join(dir, 's.cstrace');
  buildTrace(file, { devices: ['dev0'], records: SESSION });
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'trace', 'show', file, '--channel', 'dma', '--channel', 'msix', '--cycles', '0x80:412'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(seqs([r.stdout]), [4, 5, 6, 7, 8]);
  assert.match(r.stdout, /latency 41 cyc \/ 25 us \(DMA_READ #4\)/);
  fs.rmSync(dir, { recursive: true });
});
