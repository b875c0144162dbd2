// The GPU front-end's NIC: TX frames from descriptors reach the stand-in's
// NIC channel; frames from the stand-in land in posted RX buffers, with
// length and status written back and the NIC vector raised.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ethFrame, withTimeout } from '../../bridge/src/example-ops';
import { DESC_STATUS, GpuNic } from '../../bridge/src/gpu/driver';
import { GPU_CONST, GPU_FIELD, GPU_VEC } from '../../bridge/src/gpu/regs';
import { eventually } from '../helpers';
import { useGpu } from '../gpu-fixture';

let nic: GpuNic;
const g = useGpu({}, (f) => {
  nic = new GpuNic(f.drv, { txBase: 0x200000n, txEntries: 8, rxBase: 0x210000n, rxEntries: 8 });
  nic.init();
});

const nicIrqs = () => g.s.peer.msixCounts.get(GPU_VEC.NIC) ?? 0;

for (const [len, addr] of [[60, 0x300000n], [1514, 0x301003n], [61, 0x302005n]] as const) {
  test(`TX: a ${len}-byte frame at 0x${addr.toString(16)} reaches the host NIC`, async () => {
    const frame = ethFrame(len, len);
    g.s.peer.memory.write(addr, frame);
    const irqs = nicIrqs();
    const got = once(g.s.peer, 'nic');
    const i = nic.send(addr, len);
    const [f] = await withTimeout(got, 5000, `frame of ${len} bytes`);
    assert.ok((f as Buffer).equals(frame), `got ${(f as Buffer).length} bytes`);
    const d = await nic.waitDesc('tx', i);
    assert.equal(d.status, DESC_STATUS.DONE);
    assert.equal(d.len, len);
    await eventually(() => nicIrqs() > irqs, 2000, 'NIC interrupt');
  });
}

test('TX: several frames queued at once go out in order', async () => {
  const frames = [64, 100, 1500, 60, 200].map((len, i) => ethFrame(len, 50 + i));
  const got: Buffer[] = [];
  const on = (f: Buffer) => got.push(f);
  g.s.peer.on('nic', on);
  frames.forEach((f, i) => g.s.peer.memory.write(0x310000n + BigInt(i * 0x800), f));
  const idx = frames.map((f, i) => nic.send(0x310000n + BigInt(i * 0x800), f.length));
  await eventually(() => got.length === frames.length, 5000, 'all frames');
  g.s.peer.off('nic', on);
  got.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i}`));
  await nic.waitDesc('tx', idx.at(-1)!);
  assert.ok((await g.drv.read('NIC_TX_FRAMES')) >= 8n);
});

test('TX: a descriptor with a bad length completes with ERROR and sends nothing', async () => {
  const i = nic.send(0x300000n, GPU_CONST.NIC_MAX_FRAME + 1);
  const d = await nic.waitDesc('tx', i);
  assert.equal(d.status, DESC_STATUS.DONE | DESC_STATUS.ERROR);
});

test('RX: a frame from the host lands in the posted buffer', async () => {
  const irqs = nicIrqs();
  const i = nic.postRx(0x400003n, 2048);
  await g.drv.read('NIC_RX_TAIL'); // the posted buffer is known before the frame arrives
  const frame = ethFrame(1000, 9);
  g.s.peer.sendFrame(frame);
  const d = await nic.waitDesc('rx', i);
  assert.equal(d.status, DESC_STATUS.DONE);
  assert.equal(d.len, frame.length);
  assert.ok(g.s.peer.memory.read(0x400003n, frame.length).equals(frame));
  assert.equal(Number(await g.drv.read('NIC_RX_HEAD')), nic.rxTail);
  await eventually(() => nicIrqs() > irqs, 2000, 'NIC interrupt');
  assert.notEqual((await g.drv.read('INT_STATUS')) & (1n << BigInt(GPU_FIELD.INT_STATUS_NIC_RX.lsb)), 0n);
});

test('RX: frames fill buffers in order; a short buffer gets the frame cut (TRUNC)', async () => {
  const idx = [nic.postRx(0x410000n, 2048), nic.postRx(0x411000n, 100)];
  await g.drv.read('NIC_RX_TAIL');
  const frames = [ethFrame(300, 1), ethFrame(500, 2)];
  frames.forEach((f) => g.s.peer.sendFrame(f));
  const d0 = await nic.waitDesc('rx', idx[0]);
  const d1 = await nic.waitDesc('rx', idx[1]);
  assert.equal(d0.len, 300);
  assert.ok(g.s.peer.memory.read(0x410000n, 300).equals(frames[0]));
  assert.equal(d1.status, DESC_STATUS.DONE | DESC_STATUS.TRUNC);
  assert.equal(d1.len, 100);
  assert.ok(g.s.peer.memory.read(0x411000n, 100).equals(frames[1].subarray(0, 100)));
});

test('RX: without a posted buffer, or longer than NIC_MAX_FRAME, a frame is dropped and counted', async () => {
  const drops = await g.drv.read('NIC_RX_DROPS');
  g.s.peer.sendFrame(ethFrame(200, 3));
  g.s.peer.sendFrame(ethFrame(GPU_CONST.NIC_MAX_FRAME + 8, 4));
  await g.drv.until(async () => (await g.drv.read('NIC_RX_DROPS')) === drops + 2n, 'two drops');
  // The NIC still works.
  const i = nic.postRx(0x420000n, 2048);
  await g.drv.read('NIC_RX_TAIL');
  g.s.peer.sendFrame(ethFrame(64, 5));
  assert.equal((await nic.waitDesc('rx', i)).len, 64);
});
