// Back-pressure on every ready signal: the test device stalls each ready it
// drives (and delays each valid it raises) from an LFSR; the bridge's own
// readies drop when its queues fill. Data and ordering must not change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ethFrame, pattern } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';
import { ALL_CHANNELS, Ch, readLog, setStalls, startReads, startWrites, T, waitDone, wbyte } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error', fresh: true });

test('MMIO reads and writes complete with AWREADY, WREADY, ARREADY, BVALID and RVALID stalled', async () => {
  setStalls(dut(), (1 << Ch.MMIO_AW) | (1 << Ch.MMIO_W) | (1 << Ch.MMIO_AR) | (1 << Ch.MMIO_B) | (1 << Ch.MMIO_R), 200);
  for (let i = 0; i < 32; i++) {
    const v = 0x1111_0000_0000_0000n + BigInt(i) * 0x0101_0101n;
    dut().mmio.write64(T.BAR, T.RD_ADDR, v);
    assert.equal(await dut().mmio.read64(T.BAR, T.RD_ADDR), v);
    dut().mmio.write8(T.BAR, T.RD_ADDR + (i % 8), 0xa5);
    assert.equal(await dut().mmio.read8(T.BAR, T.RD_ADDR + (i % 8)), 0xa5);
  }
  assert.ok((await dut().mmio.read64(T.BAR, T.DEV_STALLS)) > 50n, 'the bridge met stalled readies');
});

test('DMA reads on 4 IDs stay correct with RREADY stalled and ARVALID delayed', async () => {
  const bursts = 32;
  const data = pattern(bursts * 128, 5);
  dut().memory.write(0x80000n, data);
  setStalls(dut(), (1 << Ch.DMA_R) | (1 << Ch.DMA_AR), 160);
  startReads(dut(), { addr: 0x80000n, beats: 16, size: 8, count: bursts, stride: 128 }, 4);
  const st = await waitDone(dut(), T.RD_STATUS);
  assert.equal(st.error, false);
  const log = await readLog(dut(), bursts * 16);
  // Bursts of one ID arrive in order; each beat carries its own address's data.
  const seen = new Map<number, number>();
  for (const b of log) {
    const k = seen.get(b.id) ?? 0;
    const burst = Math.floor(k / 16) * 4 + b.id;
    assert.equal(b.data, data.readBigUInt64LE(burst * 128 + 8 * (k % 16)), `ID ${b.id} beat ${k}`);
    seen.set(b.id, k + 1);
  }
  assert.ok((await dut().mmio.read64(T.BAR, T.DEV_STALLS)) > 100n, 'RVALID waited on RREADY');
});

test('DMA writes stay correct with BREADY stalled, AWVALID and WVALID delayed; the bridge back-pressures AW and W', async () => {
  const bursts = 24;
  const beats = 8;
  dut().memory.write(0xc0000n, Buffer.alloc(bursts * 256, 0xee));
  setStalls(dut(), (1 << Ch.DMA_B) | (1 << Ch.DMA_W) | (1 << Ch.DMA_AW), 240);
  startWrites(dut(), { addr: 0xc0000n, beats, size: 8, count: bursts, stride: 256 }, { seed: 0x3c });
  const st = await waitDone(dut(), T.WR_STATUS);
  assert.equal(st.error, false);
  assert.equal(st.count, bursts);
  const mem = dut().memory.read(0xc0000n, bursts * 256);
  for (let j = 0; j < mem.length; j++) {
    const inside = j % 256 < beats * 8;
    assert.equal(mem[j], inside ? wbyte(0xc0000n + BigInt(j), 0x3c) : 0xee, `byte 0x${(0xc0000 + j).toString(16)}`);
  }
  // With BREADY mostly low the bridge's B queue fills: it stops taking W
  // beats and, with its AW queue full, AWs.
  assert.ok((await dut().mmio.read64(T.BAR, T.W_STALLS)) > 0n, 'WVALID waited on the bridge');
  assert.ok((await dut().mmio.read64(T.BAR, T.AW_STALLS)) > 0n, 'AWVALID waited on the bridge');
});

test('NIC frames and UART bytes loop back with RX TREADY and UART READY stalled', async () => {
  setStalls(dut(), (1 << Ch.NIC_RX) | (1 << Ch.UART_RX), 200);
  const frames = [60, 1514, 61, 9000].map((n) => ethFrame(n, n));
  for (const f of frames) dut().sendFrame(f);
  dut().sendSerial('back-pressure on the UART\n');
  await dut().until(() => dut().frames.length === frames.length, { what: 'frames looped back' });
  frames.forEach((f, i) => assert.ok(dut().frames[i].equals(f), `frame ${i} (${f.length} bytes)`));
  assert.equal((await dut().serialBytes(26)).toString(), 'back-pressure on the UART\n');
  assert.ok((await dut().mmio.read64(T.BAR, T.DEV_STALLS)) > 10n);
});

test('everything at once: every channel stalled, reads and writes interleaved', async () => {
  const rdata = pattern(64 * 64, 77);
  dut().memory.write(0x100000n, rdata);
  setStalls(dut(), ALL_CHANNELS, 128, 0xdead_beef);
  startReads(dut(), { addr: 0x100000n, beats: 8, size: 8, count: 64, stride: 64 }, 16);
  startWrites(dut(), { addr: 0x200000n, beats: 8, size: 8, count: 64, stride: 64 }, { seed: 9 });
  await waitDone(dut(), T.RD_STATUS);
  await waitDone(dut(), T.WR_STATUS);
  const log = await readLog(dut(), 512);
  const perId = new Map<number, number>();
  for (const b of log) {
    const k = perId.get(b.id) ?? 0;
    const burst = Math.floor(k / 8) * 16 + b.id;
    assert.equal(b.data, rdata.readBigUInt64LE(burst * 64 + 8 * (k % 8)));
    perId.set(b.id, k + 1);
  }
  const w = dut().memory.read(0x200000n, 64 * 64);
  for (let j = 0; j < w.length; j++) assert.equal(w[j], wbyte(0x200000n + BigInt(j), 9));
});
