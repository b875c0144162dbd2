// cosim-pcie never crashes and never waits longer than it must: frames with
// no payload where text is expected, a broker that shuts down, goes silent,
// comes back (with the same CONF or another), a stream of traffic around an
// unanswered read, and the PCI config state sent to the RTL.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { eventually, EXAMPLE_CONF } from '../helpers';
import { FakeBroker, le } from './fake-broker';
import { BAR0, qemuBinary, Qtest } from './qtest';

const TIMEOUT_MS = 3000;
const PEER_TIMEOUT_MS = 600;
/** QEMU's read timer cannot fire before timeout-ms; this slack is timer granularity only. */
const TIMER_SLACK_MS = 50;

/** Writes a 16-bit config register in the upper half of its dword (MSI-X control). */
async function cfgWriteHigh16(q: Qtest, reg: number, v: number): Promise<void> {
  const low = (await q.cfgRead(reg)) & 0xffff;
  await q.cfgWrite32(reg, ((v << 16) | low) >>> 0);
}

describe('cosim-pcie with a broker that misbehaves', () => {
  const fb = new FakeBroker();
  let q: Qtest;

  const uartSock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-uart-')), 'uart.sock');

  before(async () => {
    await fb.start();
    q = new Qtest(qemuBinary(), [
      '-trace', 'cosim_pcie_mmio_read',
      '-chardev', `socket,id=uart0,path=${uartSock},server=on,wait=off`,
      '-device', `cosim-pcie,id=cosim0,addr=5.0,endpoint=${fb.endpoint},name=rob0,timeout-ms=${TIMEOUT_MS},peer-timeout-ms=${PEER_TIMEOUT_MS},chardev=uart0`,
    ]);
    await q.cmd('outl 0xcf8 0x80000000');
    await q.mapBars();
  });

  after(async () => {
    await q?.stop();
    fb.close();
  });

  /** QEMU's stderr is read apart from its qtest answers: a line may trail the access that caused it. */
  const sawOnStderr = (re: RegExp) => eventually(() => q.stderr.some((l) => re.test(l)), 2000, `${re} on QEMU's stderr:\n${q.stderr.join('\n')}`);

  const readStats = async () => ({ timeouts: await q.stat('cosim0', 'read-timeouts'), errors: await q.stat('cosim0', 'read-errors') });

  /** A read that fails "at once": by an error or a lost broker, counted as a read error, not by timeout-ms. */
  const readFailsAtOnce = async (off: bigint, why: RegExp) => {
    const before = await readStats();
    assert.equal(await q.readl(BAR0 + off), 0xffffffffn);
    assert.deepEqual(await readStats(), { timeouts: before.timeouts, errors: before.errors + 1 }, 'failed by an error, not by the timeout');
    await sawOnStderr(why);
  };

  test('config writes reach the RTL as CFG_STATE: bus master, MSI-X enable and mask, INTx disable', async () => {
    const first = await fb.next((m) => m.type === MsgType.CFG_STATE);
    assert.equal(first.index & 0x1, 0, 'MSI-X starts disabled');
    const cmd = (await q.cfgRead(0x04)) & 0xffff;
    await q.cfgWrite32(0x04, cmd | 0x4 | 0x400);
    const bm = await fb.next((m) => m.type === MsgType.CFG_STATE && (m.index & 0xc) === 0xc);
    assert.ok(bm, 'INTx disabled with bus mastering on');
    const cap = (await q.capabilities()).get(0x11)!;
    await cfgWriteHigh16(q, cap, 0x8000 | 0x4000);
    const masked = await fb.next((m) => m.type === MsgType.CFG_STATE && (m.index & 0x3) === 0x3);
    assert.ok(masked);
    await cfgWriteHigh16(q, cap, 0x8000);
    const on = await fb.next((m) => m.type === MsgType.CFG_STATE && (m.index & 0x3) === 0x1);
    assert.ok(on);
    await q.cfgWrite32(0x04, cmd | 0x4);
  });

  test('MMIO reads are trace events (-trace cosim_pcie_*)', async () => {
    fb.onRead = (m) => fb.complete(m, le(0x1n, m.length));
    await q.readl(BAR0 + 0x30n);
    await sawOnStderr(/cosim_pcie_mmio_read rob0 BAR0\+0x30 len 4 tag \d+/);
  });

  test('a chardev that does not read never blocks the device: bytes wait, then the excess is dropped and counted', async () => {
    const client = net.connect(uartSock);
    await new Promise((r) => client.once('connect', r));
    client.pause();
    const chunk = Buffer.alloc(60000, 0x41);
    for (let i = 0; i < 40; i++) fb.send(message(MsgType.SERIAL, { payload: chunk }));
    fb.onRead = (m) => fb.complete(m, le(0x2n, m.length));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && (await q.stat('cosim0', 'serial-rx-bytes')) < 40 * chunk.length) await new Promise((r) => setTimeout(r, 50));
    // Reads go on while the chardev is full: the completion's value came back,
    // where a blocked device would time the read out (all-ones, counted).
    const before = await readStats();
    assert.equal(await q.readl(BAR0 + 0x38n), 0x2n);
    assert.deepEqual(await readStats(), before, 'the read completed, neither timed out nor failed');
    assert.ok((await q.stat('cosim0', 'serial-dropped')) > 0, 'past the buffer, bytes are dropped and counted');
    let got = 0;
    client.on('data', (d: Buffer) => (got += d.length));
    client.resume();
    while (Date.now() < deadline && got < 1024 * 1024) await new Promise((r) => setTimeout(r, 50));
    assert.ok(got >= 1024 * 1024, `${got} bytes reached the chardev once it read again`);
    client.destroy();
  });

  test('an INTX level is taken, and a bad one is a counted bad frame', async () => {
    const bad0 = await q.stat('cosim0', 'bad-frames');
    fb.send(message(MsgType.INTX, { index: 1 }));
    fb.send(message(MsgType.INTX, { index: 0 }));
    fb.send(message(MsgType.INTX, { index: 7 }));
    fb.onRead = (m) => fb.complete(m, le(0x77n, m.length));
    assert.equal(await q.readl(BAR0), 0x77n);
    assert.equal(await q.stat('cosim0', 'intx'), 2);
    assert.equal(await q.stat('cosim0', 'bad-frames'), bad0 + 1);
  });

  test('an ERROR with no payload for a waiting read: all-ones at once, named, QEMU stays up', async () => {
    fb.onRead = (m) => fb.send(message(MsgType.ERROR, { tag: m.tag, index: 3, address: m.address, length: m.length }));
    await readFailsAtOnce(0x10n, /MMIO read BAR0\+0x10 len 4 tag \d+ failed: the broker answered error 3: no text/);
    fb.send(message(MsgType.ERROR, { tag: 424242, index: 5 }));
    fb.onRead = (m) => fb.complete(m, le(0x55n, m.length));
    assert.equal(await q.readl(BAR0 + 0x8n), 0x55n);
    await sawOnStderr(/reports error 5 \(tag 424242 .*\): no text/);
  });

  test('a deadline holds while other traffic keeps arriving', async () => {
    // The deadline must not move with traffic. A read whose deadline traffic
    // pushed back would not end while the flood goes on: FLOOD_BOUND_MS, three
    // times timeout-ms, names that failure instead of the runner's timeout,
    // with room for a loaded machine.
    const FLOOD_BOUND_MS = 3 * TIMEOUT_MS;
    fb.onRead = () => undefined;
    const before = await readStats();
    const flood = setInterval(() => fb.send(message(MsgType.SERIAL, { payload: Buffer.from('x') })), 5);
    const stop = setTimeout(() => clearInterval(flood), FLOOD_BOUND_MS);
    const t0 = Date.now();
    try {
      assert.equal(await q.readl(BAR0 + 0x18n), 0xffffffffn);
    } finally {
      clearInterval(flood);
      clearTimeout(stop);
    }
    const ms = Date.now() - t0;
    assert.equal((await readStats()).timeouts, before.timeouts + 1, 'ended by its timeout');
    assert.ok(ms >= TIMEOUT_MS - TIMER_SLACK_MS, `gave up after ${ms} ms, before timeout-ms`);
    assert.ok(ms < FLOOD_BOUND_MS, `the read took ${ms} ms with traffic arriving: the deadline moved`);
  });

  test('a SHUTDOWN with no payload: QEMU stays up, reads fail at once, then the same broker is greeted again', async () => {
    fb.got.length = 0;
    fb.send(message(MsgType.SHUTDOWN));
    await fb.next((m) => m.type === MsgType.INIT);
    // The CONF answering that INIT brings the device back; a read in the
    // window before it may fail at once, never hang.
    fb.onRead = (m) => fb.complete(m, le(0x99n, m.length));
    const deadline = Date.now() + 5000;
    let v = 0n;
    while (Date.now() < deadline && (v = await q.readl(BAR0 + 0x8n)) !== 0x99n) await new Promise((r) => setTimeout(r, 50));
    assert.equal(v, 0x99n);
    await sawOnStderr(/the broker at .* is gone \(it shut down: no text\)/);
    await sawOnStderr(/is back with the same CONF; the device is online again/);
    assert.ok(await q.stat('cosim0', 'reconnects') >= 1);
  });

  test('a silent broker is declared gone after peer-timeout-ms: the waiting read fails then, not at timeout-ms', async () => {
    fb.onRead = () => undefined;
    fb.answerPings = false;
    const lost0 = await q.stat('cosim0', 'peer-lost');
    const before = await readStats();
    assert.equal(await q.readl(BAR0 + 0x20n), 0xffffffffn);
    // Failed by the broker's loss (peer-timeout-ms), not by timeout-ms.
    assert.deepEqual(await readStats(), { timeouts: before.timeouts, errors: before.errors + 1 });
    assert.equal(await q.stat('cosim0', 'peer-lost'), lost0 + 1);
    await sawOnStderr(/the broker at .* is gone \(silent for \d+ ms\)/);
    await readFailsAtOnce(0x28n, /MMIO read BAR0\+0x28|is gone/);
  });

  test('a broker that comes back with another CONF is refused, naming the field; the device stays offline', async () => {
    fb.conf = { ...EXAMPLE_CONF, deviceId: 0xbeef };
    fb.answerPings = true;
    fb.got.length = 0;
    // The last test left the device gone, but it greets the broker again every
    // peer-timeout-ms/2 and may be back (the same CONF) by now: a SHUTDOWN makes
    // it greet at once, whichever state it is in.
    fb.send(message(MsgType.SHUTDOWN, { payload: Buffer.from('restarting') }));
    await fb.next((m) => m.type === MsgType.INIT);
    await sawOnStderr(/the broker at .* is back, but its CONF differs in device_id; refused: the device keeps its BARs and stays offline/);
    assert.equal(await q.readl(BAR0), 0xffffffffn);
    fb.conf = EXAMPLE_CONF;
    fb.onRead = (m) => fb.complete(m, le(0x42n, m.length));
    const deadline = Date.now() + 5000;
    let v = 0n;
    while (Date.now() < deadline && (v = await q.readl(BAR0)) !== 0x42n) await new Promise((r) => setTimeout(r, 50));
    assert.equal(v, 0x42n, 'back online once the CONF matches again');
    assert.ok(q.running);
  });
});
