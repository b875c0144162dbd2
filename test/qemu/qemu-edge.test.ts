// cosim-pcie against a scripted fake broker (a ZeroMQ ROUTER in this test):
// DMA serviced while an MMIO read waits, ERROR and timeout completions, bad
// frames, reset and shutdown messages; plus startup without a broker, startup
// without the device, and the patch applying to the pristine tree.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import * as zmq from 'zeromq';
import { decode, encode, ErrorCode, Flag, Message, message, MsgType } from '../../bridge/src/protocol/wire';
import { uniqueEndpoints } from '../helpers';
import { FakeBroker, le } from './fake-broker';
import { BAR0, qemuBinary, Qtest } from './qtest';

const TIMEOUT_MS = 800;
/**
 * QEMU's read timer cannot fire before timeout-ms has passed, and the test's
 * clock starts before the read is sent, so a timed-out read takes at least
 * TIMEOUT_MS less this slack (timer granularity, not load: load only makes it
 * longer). An upper bound is not needed: the stat and the text show which
 * path ended the read, and a read that never ends fails the test's timeout.
 */
const TIMER_SLACK_MS = 50;

describe('cosim-pcie against a scripted broker', () => {
  const fb = new FakeBroker();
  let q: Qtest;

  before(async () => {
    await fb.start();
    q = new Qtest(qemuBinary()!, ['-device', `cosim-pcie,id=cosim0,addr=5.0,endpoint=${fb.endpoint},name=edge0,timeout-ms=${TIMEOUT_MS}`]);
    await q.cmd('outl 0xcf8 0x80000000');
    await q.mapBars();
  });

  after(async () => {
    await q?.stop();
    fb.close();
  });

  test('HELLO names the device and the role', async () => {
    const hello = await fb.next((m) => m.type === MsgType.HELLO);
    assert.equal(hello.index, 1);
    assert.equal(hello.payload.toString(), 'edge0');
  });

  test('an MMIO read services DMA reads and writes inline before its completion', async () => {
    const host = 0x100000n;
    const pattern = Buffer.alloc(70_000);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 13) & 0xff;
    await q.memWrite(host, pattern);
    fb.onRead = async (m) => {
      // Before completing the read, the "RTL" needs guest memory: a DMA read
      // of 70000 bytes (two completion chunks) and a DMA write.
      fb.send(message(MsgType.DMA_READ, { tag: 500, address: host, length: pattern.length, cycle: 10n }));
      const chunks: Message[] = [];
      for (;;) {
        const c = await fb.next((x) => x.type === MsgType.DMA_READ_CPL && x.tag === 500);
        chunks.push(c);
        if (c.flags & Flag.LAST) break;
      }
      const got = Buffer.concat(chunks.map((c) => c.payload));
      assert.equal(chunks.length, 2);
      assert.equal(chunks[0].length, 65536);
      assert.equal(chunks[1].address, host + 65536n);
      fb.send(message(MsgType.DMA_WRITE, { address: 0x300000n, length: 4, payload: Buffer.from([1, 2, 3, 4]) }));
      fb.complete(m, got.equals(pattern) ? le(0x600dn, m.length) : le(0xbadn, m.length));
    };
    assert.equal(await q.readl(BAR0 + 0x40n), 0x600dn);
    assert.deepEqual([...(await q.memRead(0x300000n, 4))], [1, 2, 3, 4]);
  });

  test('a DMA read the bus cannot serve gets an error completion', async () => {
    fb.send(message(MsgType.DMA_READ, { tag: 501, address: 0xfffffff000000000n, length: 16 }));
    const c = await fb.next((x) => x.type === MsgType.DMA_READ_CPL && x.tag === 501);
    assert.equal(c.flags, Flag.LAST | Flag.ERROR);
  });

  test('an ERROR for the read returns all-ones at once and reports the broker text', async () => {
    fb.onRead = (m) =>
      fb.send(message(MsgType.ERROR, { tag: m.tag, index: ErrorCode.PEER_GONE, address: m.address, length: m.length, payload: Buffer.from(`MMIO read tag ${m.tag}: hdl peer 'edge0' is gone (last cycle 1234)`) }));
    const [timeouts0, errors0] = [await q.stat('cosim0', 'read-timeouts'), await q.stat('cosim0', 'read-errors')];
    assert.equal(await q.readl(BAR0 + 0x10n), 0xffffffffn);
    // Ended by the ERROR, not by timeout-ms: counted as an error, no timeout.
    assert.equal(await q.stat('cosim0', 'read-errors'), errors0 + 1);
    assert.equal(await q.stat('cosim0', 'read-timeouts'), timeouts0);
    assert.ok(q.stderr.some((l) => l.includes("hdl peer 'edge0' is gone (last cycle 1234)")), q.stderr.join('\n'));
  });

  test('an unanswered read times out with all-ones and a message naming it', async () => {
    fb.onRead = () => undefined;
    const timeouts0 = await q.stat('cosim0', 'read-timeouts');
    const t0 = Date.now();
    assert.equal(await q.readl(BAR0 + 0x18n), 0xffffffffn);
    const ms = Date.now() - t0;
    assert.ok(ms >= TIMEOUT_MS - TIMER_SLACK_MS, `gave up after ${ms} ms, before timeout-ms`);
    assert.equal(await q.stat('cosim0', 'read-timeouts'), timeouts0 + 1);
    assert.ok(q.stderr.some((l) => /MMIO read BAR0\+0x18 len 4 tag \d+ timed out after 800 ms \(broker ipc:/.test(l)), q.stderr.join('\n'));
  });

  test('a late completion and malformed frames are counted, and nothing breaks', async () => {
    fb.onRead = (m) => fb.complete(m, le(0x1234n, m.length));
    const bad0 = await q.stat('cosim0', 'bad-frames');
    const good = encode(message(MsgType.MSIX, { index: 0 }))[0];
    const badMagic = Buffer.from(good);
    badMagic.writeUInt32LE(0xdeadbeef, 0);
    const badVersion = Buffer.from(good);
    badVersion.writeUInt16LE(9, 4);
    const badType = Buffer.from(good);
    badType[6] = 0x7f;
    const reserved = Buffer.from(good);
    reserved.writeUInt16LE(1, 14);
    const lenMismatch = encode(message(MsgType.SERIAL, { payload: Buffer.from('abcd') }));
    lenMismatch[0].writeUInt32LE(9, 28);
    const noPayload = encode(message(MsgType.SERIAL, { payload: Buffer.from('abcd') }))[0];
    const threeFrames = [...encode(message(MsgType.SERIAL, { payload: Buffer.from('x') })), Buffer.from('y')];
    fb.sendFrames([Buffer.alloc(12)]);
    fb.sendFrames([badMagic]);
    fb.sendFrames([badVersion]);
    fb.sendFrames([badType]);
    fb.sendFrames([reserved]);
    fb.sendFrames(lenMismatch);
    fb.sendFrames([noPayload]);
    fb.sendFrames(threeFrames);
    fb.send(message(MsgType.MSIX, { index: 99 }));
    fb.send(message(MsgType.MMIO_READ_CPL, { tag: 999999, length: 4, payload: Buffer.alloc(4) }));
    fb.send(message(MsgType.DMA_READ, { tag: 502, address: 0x1000n, length: 0 }));
    fb.send(message(MsgType.PING, { tag: 4242 }));
    const pong = await fb.next((m) => m.type === MsgType.PONG && m.tag === 4242);
    assert.ok(pong);
    const cpl = await fb.next((x) => x.type === MsgType.DMA_READ_CPL && x.tag === 502);
    assert.equal(cpl.flags & Flag.ERROR, Flag.ERROR);
    assert.equal(await q.readl(BAR0 + 0x20n), 0x1234n);
    assert.equal(await q.stat('cosim0', 'bad-frames'), bad0 + 11);
    assert.ok(q.running);
  });

  test('writes are posted MMIO_WRITEs with the bytes little-endian', async () => {
    await q.writeq(BAR0 + 0x28n, 0x0102030405060708n);
    await q.writew(BAR0 + 0x32n, 0xbeef);
    const w8 = await fb.next((m) => m.type === MsgType.MMIO_WRITE && m.address === 0x28n);
    assert.equal(w8.length, 8);
    assert.deepEqual([...w8.payload], [8, 7, 6, 5, 4, 3, 2, 1]);
    const w2 = await fb.next((m) => m.type === MsgType.MMIO_WRITE && m.address === 0x32n);
    assert.equal(w2.index, 0);
    assert.deepEqual([...w2.payload], [0xef, 0xbe]);
  });

  test('system_reset sends RESET; quit sends SHUTDOWN', async () => {
    fb.got.length = 0;
    await q.qmp('system_reset');
    await fb.next((m) => m.type === MsgType.RESET);
    await q.qmp('quit');
    await fb.next((m) => m.type === MsgType.SHUTDOWN);
    assert.equal(await q.exited, 0);
  });
});

describe('cosim-pcie startup', () => {
  test('with no broker, QEMU exits within timeout-ms naming the endpoint', async () => {
    // The text below shows that the 1000 ms given is the timeout that fired;
    // the bound only catches a QEMU that does not exit for a long while (one
    // that waits on its 5000 ms default, say, or retries). It allows QEMU's
    // startup on a loaded two-core machine, which can take a few seconds.
    const GIVEN_MS = 1000;
    const STARTUP_ALLOWANCE_MS = 3500;
    const ep = uniqueEndpoints().qemu;
    const t0 = Date.now();
    const q = new Qtest(qemuBinary()!, ['-device', `cosim-pcie,endpoint=${ep},timeout-ms=${GIVEN_MS}`], { qmp: false });
    const code = await q.exited;
    const ms = Date.now() - t0;
    assert.equal(code, 1);
    assert.ok(ms >= GIVEN_MS - TIMER_SLACK_MS, `exited after ${ms} ms, before timeout-ms`);
    assert.ok(ms < GIVEN_MS + STARTUP_ALLOWANCE_MS, `exited after ${ms} ms, given ${GIVEN_MS} ms`);
    assert.ok(q.stderr.some((l) => l.includes(`cosim-pcie: no broker answered at ${ep} within 1000 ms`)), q.stderr.join('\n'));
  });

  test('a broker refusal is reported with its text', async () => {
    const r = new zmq.Router({ linger: 0 });
    const ep = uniqueEndpoints().qemu;
    await r.bind(ep);
    void (async () => {
      for await (const [id, ...frames] of r) {
        const m = decode(frames);
        if (m.type === MsgType.INIT) {
          await r.send([id, ...encode(message(MsgType.ERROR, { tag: m.tag, index: ErrorCode.BAD_CONF, payload: Buffer.from('device dev0: BAR0 size 0x3000 is not a power of two') }))]);
        }
      }
    })().catch(() => undefined);
    const q = new Qtest(qemuBinary()!, ['-device', `cosim-pcie,endpoint=${ep}`], { qmp: false });
    assert.equal(await q.exited, 1);
    r.close();
    assert.ok(q.stderr.some((l) => l.includes('BAR0 size 0x3000 is not a power of two')), q.stderr.join('\n'));
  });

  test('missing endpoint and bad names are refused', async () => {
    const a = new Qtest(qemuBinary()!, ['-device', 'cosim-pcie'], { qmp: false });
    assert.equal(await a.exited, 1);
    assert.ok(a.stderr.some((l) => l.includes("property 'endpoint' is required")));
    const b = new Qtest(qemuBinary()!, ['-device', 'cosim-pcie,endpoint=ipc:///nonexistent,name=bad name'], { qmp: false });
    assert.equal(await b.exited, 1);
    assert.ok(b.stderr.some((l) => l.includes("name 'bad name'")));
  });

  test('without the device, the patched QEMU starts at once', async () => {
    // No broker exists: that qtest answers at all shows nothing waits for one.
    const q = new Qtest(qemuBinary()!, [], { qmp: false });
    await q.cmd('outl 0xcf8 0x80000000');
    assert.ok(q.running);
    assert.deepEqual(q.stderr.filter((l) => l.includes('cosim')), []);
    await q.stop();
  });

  test('the device is listed, with its properties', () => {
    return new Promise<void>((resolve, reject) => {
      const p = spawn(qemuBinary()!, ['-device', 'cosim-pcie,help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', () => {
        try {
          for (const prop of ['endpoint=', 'name=', 'timeout-ms=', 'netdev=', 'chardev=']) assert.ok(out.includes(prop), prop);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  });
});

