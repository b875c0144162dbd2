// cosim trace show and export on files and selections they cannot serve: a
// cut or corrupt file names its byte offset (exit 2), an unknown test or
// device lists what the trace holds, bad ranges are usage errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { FILE_HDR_SIZE } from '../../bridge/src/trace/format';
import { repoRoot } from '../helpers';
import { buildTrace, FixtureRecord } from '../trace-fixture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-show-err-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const cosim = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), ...args], { encoding: 'utf8' });

const records: FixtureRecord[] = [
  { mark: { test: 'gpu_regs', event: 'begin' } },
  { to: message(MsgType.MMIO_READ, { tag: 1, length: 4 }) },
  { delivered: [10n] },
  { mark: { test: 'gpu_regs', event: 'end', status: 'pass' } },
  { mark: { test: 'gpu_copy', event: 'begin' } },
  { from: message(MsgType.DMA_WRITE, { address: 0x1000n, length: 16, cycle: 20n, payload: Buffer.alloc(16, 7) }) },
];
const file = (name: string, buf: Buffer) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, buf);
  return f;
};

test('a file cut inside a record: the message names the byte offset of that record, exit 2', () => {
  const whole = buildTrace(undefined, { devices: ['dev0'], records, complete: false });
  // The last record (the DMA_WRITE) starts where a trace without it ends.
  const start = buildTrace(undefined, { devices: ['dev0'], records: records.slice(0, -1), complete: false }).length;
  const f = file('cut.cstrace', whole.subarray(0, whole.length - 5));
  for (const args of [['show', f], ['export', f, '--pcap', path.join(dir, 'cut.pcapng')]]) {
    const r = cosim('trace', ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim(), `cosim trace ${args[0]}: ${f}: byte ${start}: file ends inside a MSG record (${40 + 16 - 5} of ${40 + 16} body bytes)`);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'cut.pcapng')));
});

test('a file cut inside a record header, a corrupt record kind, a file that is not a trace', () => {
  const whole = buildTrace(undefined, { devices: ['dev0'], records, complete: false });
  let r = cosim('trace', 'show', file('hdr.cstrace', Buffer.concat([whole, Buffer.alloc(7)])));
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`: byte ${whole.length}: file ends inside a record header \\(7 of 16 bytes\\)`));
  const bad = Buffer.from(whole);
  const first = FILE_HDR_SIZE + bad.readUInt32LE(12); // the first record: DEVICE
  bad.writeUInt8(99, first + 4);
  r = cosim('trace', 'show', file('kind.cstrace', bad));
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`: byte ${first + 4}: unknown record kind 99`));
  r = cosim('trace', 'show', file('junk.cstrace', Buffer.from('hello, this is not a trace')));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /: byte 0: not a cosim trace/);
  r = cosim('trace', 'show', path.join(dir, 'missing.cstrace'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing\.cstrace: cannot read the trace: ENOENT/);
});

test('a trace without END is shown, and said to be cut off', () => {
  const f = file('open.cstrace', buildTrace(undefined, { devices: ['dev0'], records, complete: false }));
  const r = cosim('trace', 'show', f);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\ntrace cut off: no END record \(the recording process stopped without closing it\)\n$/);
  const g = file('trunc.cstrace', buildTrace(undefined, { devices: ['dev0'], records, truncated: 'size limit of 1 MiB reached' }));
  assert.match(cosim('trace', 'show', g).stdout, /trace complete \(END after \d+ records; the recorder stopped early: size limit of 1 MiB reached\)/);
});

test('an unknown test lists the tests of the trace; an unknown device lists its devices', () => {
  const f = file('ok.cstrace', buildTrace(undefined, { devices: ['dev0'], records }));
  let r = cosim('trace', 'show', f, '--test', 'gpu_vadd');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), `cosim trace show: ${f}: no test 'gpu_vadd' in the trace (it holds: gpu_regs, gpu_copy)`);
  r = cosim('trace', 'show', f, '--device', 'gpu9');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), `cosim trace show: ${f}: no device 'gpu9' in the trace (it holds: dev0)`);
  r = cosim('trace', 'export', f, '--pcap', path.join(dir, 'x.pcapng'), '--device', 'gpu9');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no device 'gpu9' in the trace \(it holds: dev0\)/);
  const two = file('two.cstrace', buildTrace(undefined, { devices: ['a', 'b'], records: [] }));
  r = cosim('trace', 'show', two);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /the trace holds 2 devices \(a, b\): name one with --device NAME/);
  const none = file('nomarks.cstrace', buildTrace(undefined, { devices: ['dev0'], records: records.filter((x) => !('mark' in x)) }));
  r = cosim('trace', 'show', none, '--test', 'gpu_regs');
  assert.match(r.stderr, /no test 'gpu_regs' in the trace \(it has no test marks\)/);
});

test('bad ranges, channels and subcommands are usage errors', () => {
  const f = file('ok2.cstrace', buildTrace(undefined, { devices: ['dev0'], records }));
  const cases: [string[], RegExp][] = [
    [['--addr', '0x10-0x20'], /--addr: '0x10-0x20' is not LO:HI/],
    [['--addr', '0x20:0x10'], /--addr: '0x20:0x10' has LO above HI/],
    [['--addr', '1:2:3'], /--addr: '1:2:3' is not LO:HI/],
    [['--cycles', 'ten:20'], /--cycles: 'ten:20' is not LO:HI/],
    [['--channel', 'mmio,pcie'], /--channel: 'pcie' is not one of mmio, dma, msix, intx, config, nic, serial, control/],
    [['--tag', 'seven'], /--tag: 'seven' is not an integer >= 0/],
    [['--limit', '0'], /--limit: '0' is not an integer >= 1/],
    [['--pcap', 'x.pcapng'], /--pcap belongs to 'export'/],
  ];
  for (const [args, re] of cases) {
    const r = cosim('trace', 'show', f, ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  let r = cosim('trace', 'export', f);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--pcap OUT\.pcapng is required/);
  r = cosim('trace', 'export', f, '--pcap', path.join(dir, 'y.pcapng'), '--test', 'gpu_regs');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--test belong to 'show'/);
  for (const args of [[], ['list', f], ['show'], ['show', f, 'extra']]) {
    r = cosim('trace', ...args);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /usage: cosim trace show FILE/);
  }
  r = cosim('trace', '--help');
  assert.equal(r.status, 0);
  for (const o of ['--device', '--test', '--channel', '--addr', '--cycles', '--tag', '--limit', '--json', '--pcap']) assert.match(r.stdout, new RegExp(`${o}\\b.*\\S{3,}`));
});
