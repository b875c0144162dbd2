// MSI-X ordering: an interrupt never passes the DMA writes before it. The test
// device raises MSI-X right after a burst's last W handshake (before its B
// response); when the host sees the interrupt, the burst is in its memory.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useDut } from '../../bridge/src/testbench';
import { Ch, setStalls, startWrites, T, waitDone, wbyte } from './axi-test-device';

const dut = useDut('axi_test', { logLevel: 'error', fresh: true });

function burstLanded(addr: bigint, bytes: number, seed: number): boolean {
  const got = dut().memory.read(addr, bytes);
  for (let j = 0; j < bytes; j++) if (got[j] !== wbyte(addr + BigInt(j), seed)) return false;
  return true;
}

async function orderTest(stalls: boolean): Promise<void> {
  const bursts = 16;
  const beats = 32;
  const stride = 0x400;
  const base = 0x500000n;
  dut().memory.write(base, Buffer.alloc(bursts * stride, 0));
  if (stalls) setStalls(dut(), (1 << Ch.DMA_B) | (1 << Ch.DMA_W) | (1 << Ch.MSIX), 128);
  const early: string[] = [];
  dut().on('msix', (vector) => {
    // The k-th interrupt follows the k-th burst: bursts 0..k-1 must be in memory now.
    const k = dut().msix.length;
    for (let i = 0; i < k; i++) if (!burstLanded(base + BigInt(i * stride), beats * 8, 0x21)) early.push(`MSI-X #${k} (vector ${vector}) came before burst ${i} was in host memory`);
  });
  startWrites(dut(), { addr: base, beats, size: 8, count: bursts, stride }, { seed: 0x21, msixEach: 5 });
  await waitDone(dut(), T.WR_STATUS);
  await dut().until(() => dut().msix.length === bursts, { what: `${bursts} MSI-X` });
  assert.deepEqual(early, []);
  assert.ok(dut().msix.every((m) => m.vector === 5));
  assert.deepEqual(
    dut().msix.map((m) => m.cycle),
    [...dut().msix.map((m) => m.cycle)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'MSI-X cycles increase',
  );
}

test('an MSI-X raised right after each burst\'s last W beat finds that burst in host memory', () => orderTest(false));
test('the same with W, B and MSI-X handshakes stalled', () => orderTest(true));

test('the MSI-X after the last B response follows every byte of the transfer', async () => {
  dut().memory.write(0x600000n, Buffer.alloc(0x4000, 0));
  let landed: boolean | undefined;
  dut().on('msix', () => (landed ??= burstLanded(0x600000n, 0x4000, 0x42)));
  startWrites(dut(), { addr: 0x600000n, beats: 128, size: 8, count: 16, stride: 0x400 }, { seed: 0x42, msixEnd: 1 });
  const m = await dut().nextMsix(1);
  assert.equal(m.vector, 1);
  assert.equal(landed, true, 'all 16 KiB were in host memory when the MSI-X arrived');
});
