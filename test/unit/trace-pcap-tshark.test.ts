// cosim trace export --pcap, read back by the real tshark with the dissector
// in bridge/wireshark/cosim.lua: the fields the dissector names are the ones
// the trace recorded. scripts/setup.sh --all-qemu (npm test) installs tshark;
// without it this test fails, saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Flag, message, MsgType } from '../../bridge/src/protocol/wire';
import { PSEUDO_SIZE } from '../../bridge/src/trace/pcapng';
import { repoRoot } from '../helpers';
import { buildTrace } from '../trace-fixture';

const LUA = path.join(repoRoot, 'bridge', 'wireshark', 'cosim.lua');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-pcap-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function tshark(pcap: string, filter: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-n', '-X', `lua_script:${LUA}`, '-r', pcap, '-Y', filter, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    // Keep the user's Wireshark profile and plugins out of it.
    env: { ...process.env, WIRESHARK_CONFIG_DIR: path.join(dir, 'wsconf'), HOME: dir },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    assert.fail('tshark is not installed: scripts/setup.sh --all-qemu (run by npm test) installs it (apt-get install tshark)');
  }
  assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /Lua|error/i, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const frame = Buffer.concat([Buffer.from('ffffffffffff020000000001', 'hex'), Buffer.from('0806', 'hex'), Buffer.alloc(46)]);
const created = '2026-01-02T03:04:05.000Z';

const trace = path.join(dir, 't.cstrace');
buildTrace(trace, {
  devices: ['gpu0'],
  meta: { created },
  records: [
    { to: message(MsgType.MMIO_READ, { tag: 5, index: 2, address: 0x10n, length: 4 }), timeUs: 1000 }, // #0
    { delivered: [1200n], timeUs: 1001 },
    { from: message(MsgType.MMIO_READ_CPL, { tag: 5, index: 2, address: 0x10n, length: 4, cycle: 1207n, payload: u32(0xc051) }), timeUs: 1010 }, // #1
    { from: message(MsgType.DMA_WRITE, { tag: 9, address: 0x12345000n, length: 16, cycle: 1500n, payload: Buffer.alloc(16, 0xab) }), timeUs: 1020 }, // #2
    { from: message(MsgType.MSIX, { tag: 10, index: 3, cycle: 1510n }), timeUs: 1021 }, // #3
    { from: message(MsgType.DMA_READ, { tag: 11, address: 0x8000n, length: 64, cycle: 1600n }), timeUs: 1030 }, // #4
    { to: message(MsgType.DMA_READ_CPL, { tag: 11, address: 0x8000n, length: 64, flags: Flag.LAST, payload: Buffer.alloc(64, 1) }), timeUs: 1040 }, // #5
    { to: message(MsgType.NIC_FRAME, { payload: frame }), timeUs: 1050 }, // #6, never stamped
    { delivered: [1650n], timeUs: 1060 },
  ],
});
const pcap = path.join(dir, 't.pcapng');

test('cosim trace export writes one packet per message', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'trace', 'export', trace, '--pcap', pcap], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /t\.pcapng: 7 packets \(gpu0\)/);
  const b = fs.readFileSync(pcap);
  assert.equal(b.readUInt32LE(0), 0x0a0d0d0a);
  assert.equal(b.readUInt32LE(8), 0x1a2b3c4d);
});

test('tshark with cosim.lua: -Y cosim.tag == 5 gives the MMIO read and its completion, with their cycles', () => {
  const rows = tshark(pcap, 'cosim.tag == 5', ['cosim.type', 'cosim.addr', 'cosim.cycle', 'cosim.dir', 'cosim.index', 'cosim.len', 'cosim.seq', 'cosim.device']);
  assert.deepEqual(rows, [
    [`0x${MsgType.MMIO_READ.toString(16)}`, '0x0000000000000010', '1200', '0', '2', '4', '0', '0'],
    [`0x${MsgType.MMIO_READ_CPL.toString(16)}`, '0x0000000000000010', '1207', '1', '2', '4', '1', '0'],
  ]);
});

test('tshark: MSI-X, DMA and flags fields, the info column and the packet times', () => {
  assert.deepEqual(tshark(pcap, 'cosim.type == 0x30', ['cosim.index', 'cosim.cycle', 'cosim.tag']), [['3', '1510', '10']]);
  assert.deepEqual(tshark(pcap, 'cosim.flags.last == 1', ['cosim.type', 'cosim.addr', 'cosim.payload_len', 'cosim.cycle']), [['0x21', '0x0000000000008000', '64', '1650']]);
  assert.deepEqual(tshark(pcap, 'cosim.addr == 0x12345000', ['cosim.type', 'cosim.payload_len', 'data.len']), [['0x22', '16', '16']]);
  // A message to the device that no DELIVERED stamp reached has no cycle field; its NIC frame is dissected as Ethernet.
  assert.deepEqual(tshark(pcap, 'cosim.type == 0x40', ['cosim.cycle', 'eth.src', 'eth.type']), [['', '02:00:00:00:00:01', '0x0806']]);
  assert.deepEqual(tshark(pcap, '!cosim.cycle', ['cosim.seq']), [['6']]);
  const info = tshark(pcap, 'cosim', ['_ws.col.Info', 'frame.time_epoch']);
  assert.equal(info.length, 7);
  assert.match(info[0][0], /^->dev MMIO_READ tag=5 BAR2\+0x10 len=4 cycle=1200$/);
  assert.match(info[1][0], /^dev-> MMIO_READ_CPL tag=5 BAR2\+0x10 len=4 cycle=1207$/);
  assert.match(info[3][0], /^dev-> MSIX tag=10 vector=3 len=0 cycle=1510$/);
  assert.match(info[5][0], /^->dev DMA_READ_CPL tag=11 addr=0x8000 len=64 \[LAST\] cycle=1650$/);
  assert.match(info[6][0], /^->dev NIC_FRAME tag=0 len=60 cycle=\? \| /);
  // Packet time = the trace's start (meta.created) + the record's time.
  const base = Date.parse(created) / 1000;
  assert.deepEqual(info.map((r) => Math.round((Number(r[1]) - base) * 1e6)), [1000, 1010, 1020, 1021, 1030, 1040, 1050]);
});

test('tshark: the value names of cosim.type come from MsgType', () => {
  const r = spawnSync('tshark', ['-n', '-X', `lua_script:${LUA}`, '-r', pcap, '-V', '-Y', 'cosim.seq == 3'], { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: path.join(dir, 'wsconf'), HOME: dir } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Type: MSIX \(0x30\)/);
  assert.match(r.stdout, /Vector: 3/);
  assert.match(r.stdout, new RegExp(`Pseudo-header length: ${PSEUDO_SIZE}`));
});
