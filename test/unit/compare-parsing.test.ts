// What cosim compare reads back: the link capture (classic pcap from QEMU's
// filter-dump) and busybox ping's output.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { readPcap, summarizePcap } from '../../bridge/src/compare/pcap';
import { percentile, pingStats } from '../../bridge/src/compare/workloads';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-pcap-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An Ethernet frame: broadcast, ethertype, and for IPv4 the protocol byte at offset 23. */
function frame(ethertype: number, ipProto = 0, len = 60): Buffer {
  const f = Buffer.alloc(len);
  f.fill(0xff, 0, 6);
  f.writeUInt16BE(ethertype, 12);
  f[23] = ipProto;
  return f;
}

function pcap(frames: Buffer[], cutLast = 0): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const recs = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1000 + i, 0);
    r.writeUInt32LE(500, 4);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  const all = Buffer.concat([head, ...recs]);
  return all.subarray(0, all.length - cutLast);
}

test('the capture is counted by kind: ARP, ICMP, TCP, UDP and the rest', () => {
  const file = path.join(tmp, 'link.pcap');
  fs.writeFileSync(file, pcap([frame(0x0806), frame(0x0800, 1), frame(0x0800, 6, 1514), frame(0x0800, 6), frame(0x0800, 17), frame(0x86dd)]));
  const frames = readPcap(file);
  assert.equal(frames.length, 6);
  assert.equal(frames[0].tsUs, 1000 * 1e6 + 500);
  assert.deepEqual(summarizePcap(frames), { frames: 6, bytes: 60 * 5 + 1514, arp: 1, icmp: 1, tcp: 2, udp: 1, other: 1 });
});

test('a record cut short by a writer that is still running is left out; a missing capture has no frames', () => {
  const file = path.join(tmp, 'cut.pcap');
  fs.writeFileSync(file, pcap([frame(0x0800, 1), frame(0x0800, 6)], 10));
  assert.equal(readPcap(file).length, 1);
  assert.deepEqual(readPcap(path.join(tmp, 'none.pcap')), []);
});

test('a file that is not a pcap is refused with its magic number', () => {
  const file = path.join(tmp, 'bad.pcap');
  fs.writeFileSync(file, Buffer.alloc(40, 0x41));
  assert.throws(() => readPcap(file), /bad\.pcap: not a pcap file \(magic 0x41414141\)/);
});

test("busybox ping's replies and summary give RTTs and loss", () => {
  const out = [
    'PING 10.77.0.2 (10.77.0.2): 56 data bytes',
    '64 bytes from 10.77.0.2: seq=0 ttl=64 time=14.760 ms',
    '64 bytes from 10.77.0.2: seq=2 ttl=64 time=12.100 ms',
    '',
    '--- 10.77.0.2 ping statistics ---',
    '3 packets transmitted, 2 packets received, 33% packet loss',
    'round-trip min/avg/max = 12.100/13.430/14.760 ms',
  ];
  assert.deepEqual(pingStats(out), { sent: 3, received: 2, rttMs: [14.76, 12.1] });
  assert.equal(pingStats(['PING 10.77.0.2 (10.77.0.2): 56 data bytes']), undefined);
});

test('percentiles are nearest-rank', () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile([7], 99), 7);
});
