// The patched QEMU's cosim-pcie device against the real broker and the
// Verilated example device, driven through qtest (no guest kernel needed).
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { EX } from '../../bridge/src/example-device';
import { Proc } from '../../bridge/src/orchestrate/process';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { simBinary, startBroker } from '../helpers';
import { BAR0, BAR2, qemuBinary, Qtest } from './qtest';

const TIMEOUT_MS = 1500;
const ALL_ONES_32 = 0xffffffffn;

function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cosim-pcie with the real broker and the example RTL', () => {
  let broker: Broker;
  let sim: Proc;
  let q: Qtest;
  let udpIn: number;
  const udp = dgram.createSocket('udp4');
  const frames: Buffer[] = [];
  const serialPath = path.join(os.tmpdir(), `cosim-serial-${process.pid}.sock`);
  let serial: net.Socket;
  let serialBytes = Buffer.alloc(0);

  before(async () => {
    const b = await startBroker({ requestTimeoutMs: 1000, peerTimeoutMs: 1000, heartbeatMs: 200 });
    broker = b.broker;
    sim = startSim({ binary: await simBinary(), endpoint: b.hdl, peerTimeoutMs: 3000, echo: () => undefined });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    udp.on('message', (m) => frames.push(m));
    udpIn = await freeUdpPort();
    fs.rmSync(serialPath, { force: true });
    q = new Qtest(qemuBinary()!, [
      '-netdev', `socket,id=n0,udp=127.0.0.1:${udp.address().port},localaddr=127.0.0.1:${udpIn}`,
      '-chardev', `socket,id=c0,path=${serialPath},server=on,wait=off`,
      '-device', `cosim-pcie,id=cosim0,addr=5.0,endpoint=${b.qemu},timeout-ms=${TIMEOUT_MS},netdev=n0,chardev=c0`,
    ]);
    await q.cmd('outl 0xcf8 0x80000000'); // answered once realize (the handshake) is done
    await q.mapBars();
    serial = net.connect(serialPath);
    serial.on('data', (d) => (serialBytes = Buffer.concat([serialBytes, d])));
    serial.on('error', () => undefined);
  });

  after(async () => {
    serial?.destroy();
    udp.close();
    await q?.stop();
    await broker?.stop('test done');
    await sim?.stop();
    fs.rmSync(serialPath, { force: true });
  });

  test('config space carries the identity from CONF, as a PCIe endpoint with MSI-X', async () => {
    assert.equal(await q.cfgRead(0x00), 0xc0511234);
    assert.equal((await q.cfgRead(0x08)) >>> 0, 0x12000001); // class 12/00/00, revision 1
    assert.equal(await q.cfgRead(0x2c), 0x00011234); // subsystem 1234:0001
    const caps = await q.capabilities();
    assert.ok(caps.has(0x10), 'PCIe capability');
    assert.ok(caps.has(0x11), 'MSI-X capability');
    const msix = await q.cfgRead(caps.get(0x11)!);
    assert.equal(((msix >>> 16) & 0x7ff) + 1, EX.VECTORS);
    assert.equal(await q.cfgRead(caps.get(0x11)! + 4), 0x8000); // table BAR0+0x8000
    assert.equal(await q.cfgRead(caps.get(0x11)! + 8), 0x9000); // PBA BAR0+0x9000
    // BAR sizing: 64 KiB 64-bit BAR0, 4 KiB BAR2.
    assert.equal(await q.cfgRead(0x10), (Number(BAR0) | 0x4) >>> 0);
    assert.equal(await q.cfgRead(0x18), Number(BAR2));
  });

  test('MMIO reads of every size reach the RTL', async () => {
    assert.equal(await q.readl(BAR0), 0xc051e001n);
    assert.equal(await q.readl(BAR0 + 4n), 0x00010000n);
    assert.equal(await q.readq(BAR0), EX.ID_VALUE);
    assert.equal(await q.readw(BAR0 + 2n), 0xc051n);
    assert.equal(await q.readb(BAR0 + 6n), 0x01n);
  });

  test('posted writes are seen by the next read (SCRATCH, REGFILE, BAR2 RAM)', async () => {
    await q.writeq(BAR0 + BigInt(EX.SCRATCH), 0x1122334455667788n);
    assert.equal(await q.readq(BAR0 + BigInt(EX.SCRATCH)), 0x1122334455667788n);
    await q.writeb(BAR0 + BigInt(EX.SCRATCH) + 1n, 0xaa);
    await q.writew(BAR0 + BigInt(EX.SCRATCH) + 2n, 0xbbcc);
    assert.equal(await q.readq(BAR0 + BigInt(EX.SCRATCH)), 0x11223344bbccaa88n);
    for (let i = 0; i < 16; i++) await q.writeq(BAR0 + BigInt(EX.REGFILE + 8 * i), BigInt(1000 + i));
    for (let i = 15; i >= 0; i--) assert.equal(await q.readq(BAR0 + BigInt(EX.REGFILE + 8 * i)), BigInt(1000 + i));
    await q.writel(BAR2 + 0x10n, 0xdeadbeef);
    assert.equal(await q.readl(BAR2 + 0x10n), 0xdeadbeefn);
  });

  test('the MSI-X table and PBA are served by QEMU, not the RTL', async () => {
    const before = await q.stat('cosim0', 'mmio-reads');
    await q.writel(BAR0 + 0x8010n, 0x12345678); // vector 1 address low
    assert.equal(await q.readl(BAR0 + 0x8010n), 0x12345678n);
    assert.equal(await q.readl(BAR0 + 0x801cn), 1n); // vector 1 masked after reset
    assert.equal(await q.readl(BAR0 + 0x9000n), 0n); // PBA
    assert.equal(await q.stat('cosim0', 'mmio-reads'), before);
  });

  test('an MSI-X from the RTL reaches the address the guest programmed', async () => {
    const caps = await q.capabilities();
    const cap = caps.get(0x11)!;
    const target = 0x100000n; // plain RAM: the MSI write lands there
    await q.writel(target, 0);
    await q.writel(BAR0 + 0x8020n, Number(target)); // vector 2
    await q.writel(BAR0 + 0x8024n, 0);
    await q.writel(BAR0 + 0x8028n, 0xabcd0002);
    await q.writel(BAR0 + 0x802cn, 0); // unmask
    const ctl = await q.cfgRead(cap);
    await q.cfgWrite32(cap, (ctl | 0x80000000) & ~0x40000000); // MSI-X enable, function unmasked
    const n0 = await q.stat('cosim0', 'msix');
    await q.writeq(BAR0 + BigInt(EX.MSIX_TRIGGER), 2);
    await until('the MSI write', 3000, async () => ((await q.readl(target)) === 0xabcd0002n ? true : undefined));
    assert.equal(await q.stat('cosim0', 'msix'), n0 + 1);
  });

  test('DMA copies through guest memory, more than 64 KiB, while MMIO reads poll', async () => {
    const len = 100_000;
    const src = 0x200000n;
    const dst = 0x400000n;
    const data = Buffer.alloc(len);
    for (let i = 0; i < len; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    await q.memWrite(src, data);
    await q.memWrite(dst, Buffer.alloc(len));
    await q.writeq(BAR0 + BigInt(EX.DMA_SRC), src);
    await q.writeq(BAR0 + BigInt(EX.DMA_DST), dst);
    await q.writeq(BAR0 + BigInt(EX.DMA_LEN), len);
    await q.writeq(BAR0 + BigInt(EX.DMA_CTRL), EX.CTRL_START);
    const status = await until('DMA done', 20000, async () => {
      const s = await q.readq(BAR0 + BigInt(EX.DMA_STATUS));
      return s & BigInt(EX.STATUS_DONE) ? s : undefined;
    });
    assert.equal(status & BigInt(EX.STATUS_ERROR), 0n);
    assert.ok((await q.memRead(dst, len)).equals(data), 'destination equals source');
    assert.ok((await q.stat('cosim0', 'dma-read-bytes')) >= len);
    assert.ok((await q.stat('cosim0', 'dma-write-bytes')) >= len);
  });

  test('NIC frames go guest-side netdev -> RTL -> back out of the netdev', async () => {
    const frame = Buffer.alloc(200);
    frame.fill(0xff, 0, 6);
    frame.write('525400123456', 6, 'hex');
    frame.writeUInt16BE(0x88b5, 12);
    for (let i = 14; i < frame.length; i++) frame[i] = i & 0xff;
    frames.length = 0;
    udp.send(frame, udpIn, '127.0.0.1');
    const back = await until('the looped-back frame', 5000, async () => frames[0]);
    assert.ok(back.equals(frame));
    assert.ok((await q.stat('cosim0', 'nic-rx')) >= 1);
    assert.ok((await q.stat('cosim0', 'nic-tx')) >= 1);
  });

  test('serial bytes go chardev -> RTL -> echoed back to the chardev', async () => {
    serialBytes = Buffer.alloc(0);
    serial.write('hello, rtl\n');
    await until('the echo', 5000, async () => (serialBytes.toString().includes('hello, rtl\n') ? true : undefined));
  });

  test('a device reset reaches the RTL (the cycle counter restarts)', async () => {
    // The RTL is clocked while it has work, not by the wall clock (an idle
    // model may stop), so sleeping would add no cycles. Each read clocks it: the
    // cost of one read, in cycles, is the step between two. Read until the
    // counter is 100 such steps past zero, so the few reads' worth of cycles a
    // reset and one read take cannot reach it: b < a then shows a restart.
    const cycle = () => q.readq(BAR0 + BigInt(EX.CYCLE));
    const a0 = await cycle();
    let a = await cycle();
    const step = a - a0;
    assert.ok(step > 0n, `the counter runs (${a0} then ${a})`);
    for (let i = 0; i < 200 && a < 100n * step; i++) a = await cycle();
    assert.ok(a >= 100n * step, `cycle ${a} after 200 reads of ${step} cycles`);
    await q.qmp('system_reset');
    await q.mapBars(); // the reset cleared the BARs and the command register
    const b = await q.readq(BAR0 + BigInt(EX.CYCLE));
    assert.ok(b < a, `cycle ${b} after reset vs ${a} before`);
    assert.equal(await q.readl(BAR0), 0xc051e001n);
  });

  test('no bad frames were seen', async () => {
    assert.equal(await q.stat('cosim0', 'bad-frames'), 0);
    assert.equal(await q.stat('cosim0', 'read-timeouts'), 0);
  });

  test('when the simulator dies, reads return all-ones in time and QEMU stays up', async () => {
    // "In time": QEMU's own timeout-ms (or the broker's answer, sooner) ends
    // the read. READ_BOUND_MS catches a read that neither ends, with a margin of
    // several seconds for a loaded machine, far from the never it guards against.
    const READ_BOUND_MS = TIMEOUT_MS + 5000;
    sim.child.kill('SIGKILL');
    await sim.exited;
    const t0 = Date.now();
    assert.equal(await q.readl(BAR0), ALL_ONES_32);
    const ms = Date.now() - t0;
    assert.ok(ms <= READ_BOUND_MS, `read took ${ms} ms, timeout-ms is ${TIMEOUT_MS}`);
    assert.equal(await q.readl(BAR0 + 8n), ALL_ONES_32);
    assert.equal(await q.cfgRead(0x00), 0xc0511234, 'QEMU still answers');
    assert.ok(q.running);
    assert.ok((await q.stat('cosim0', 'read-errors')) + (await q.stat('cosim0', 'read-timeouts')) >= 2);
    assert.ok(q.stderr.some((l) => /cosim-pcie dev0: MMIO read BAR0\+0x0 len 4 tag \d+ failed: .*hdl peer 'dev0'/.test(l)), q.stderr.join('\n'));
  });
});
