// The bridge endpoint's AXI4 slave (DMA) with INCR bursts of every length and
// beat size, driven by the AXI test device (hdl/test/axi_test_dev.sv).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pattern } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';
import { burstBytes, readLog, startReads, startWrites, T, waitDone, wbyte } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error' });

test('the test device answers its ID register', async () => {
  assert.equal(await dut().mmio.read64(T.BAR, T.ID), T.ID_VALUE);
});

for (const beats of [1, 2, 16, 256]) {
  test(`a ${beats}-beat read burst returns host memory beat by beat, RLAST on the last`, async () => {
    const addr = 0x10000n;
    const data = pattern(8 * beats, beats);
    dut().memory.write(addr, data);
    startReads(dut(), { addr, beats, size: 8, count: 1, stride: 0 });
    const st = await waitDone(dut(), T.RD_STATUS);
    assert.equal(st.error, false);
    assert.equal(st.count, beats);
    const log = await readLog(dut(), beats);
    log.forEach((b, i) => {
      assert.equal(b.data, data.readBigUInt64LE(8 * i), `beat ${i}`);
      assert.equal(b.last, i === beats - 1, `RLAST on beat ${i}`);
      assert.equal(b.n, i);
      assert.equal(b.resp, 0);
    });
  });
}

for (const size of [1, 2, 4] as const) {
  test(`narrow ${size}-byte read beats carry each byte on its address lane`, async () => {
    const addr = 0x20000n + BigInt(size === 1 ? 3 : size === 2 ? 6 : 4);
    const beats = 12;
    const data = pattern(256, 40 + size);
    dut().memory.write(0x20000n, data);
    startReads(dut(), { addr, beats, size, count: 1, stride: 0 });
    await waitDone(dut(), T.RD_STATUS);
    const log = await readLog(dut(), beats);
    for (const b of burstBytes(addr, beats, size)) {
      const got = Number((log[b.beat].data >> BigInt(8 * b.lane)) & 0xffn);
      assert.equal(got, data[Number(b.addr - 0x20000n)], `byte at 0x${b.addr.toString(16)} (beat ${b.beat}, lane ${b.lane})`);
    }
  });
}

for (const beats of [1, 3, 16, 256]) {
  test(`${beats}-beat write bursts land in host memory and nowhere else`, async () => {
    const addr = 0x40000n;
    const count = 4;
    const stride = 0x1000;
    for (let i = 0; i < count; i++) dut().memory.write(addr + BigInt(i * stride) - 8n, Buffer.alloc(8 * beats + 16, 0xee));
    startWrites(dut(), { addr, beats, size: 8, count, stride }, { seed: beats & 0xff });
    const st = await waitDone(dut(), T.WR_STATUS);
    assert.equal(st.error, false, 'BRESP OKAY and BID = AWID');
    assert.equal(st.count, count, 'one B per burst');
    assert.equal(st.count2, count * beats, 'W beats');
    for (let i = 0; i < count; i++) {
      const base = addr + BigInt(i * stride);
      const got = dut().memory.read(base - 8n, 8 * beats + 16);
      for (let j = 0; j < got.length; j++) {
        const a = base - 8n + BigInt(j);
        const inside = j >= 8 && j < 8 + 8 * beats;
        assert.equal(got[j], inside ? wbyte(a, beats & 0xff) : 0xee, `burst ${i} byte at 0x${a.toString(16)}`);
      }
    }
  });
}
