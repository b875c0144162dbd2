// MMIO through the real broker into the Verilated example device.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { pattern } from '../../bridge/src/example-ops';
import { Stack } from '../../bridge/src/orchestrate/stack';
import { AccessSize } from '../../bridge/src/peer/qemu-peer';
import { ErrorCode } from '../../bridge/src/protocol/wire';
import { PeerError } from '../../bridge/src/peer/peer-link';
import { exampleStack } from '../helpers';

let s: Stack;
before(async () => (s = await exampleStack()));
after(async () => s?.stop());

test('the handshake delivers the identity the RTL declares', () => {
  const c = s.peer.conf!;
  assert.equal(c.vendorId, 0x1234);
  assert.equal(c.deviceId, 0xc051);
  assert.equal(c.classCode, 0x120000);
  assert.equal(c.bars[0].size, 0x10000n);
  assert.ok(c.bars[0].is64);
  assert.equal(c.bars[2].size, 0x1000n);
  assert.equal(c.msix.vectors, EX.VECTORS);
});

test('ID register reads back at every size and lane', async () => {
  for (const size of [1, 2, 4, 8] as AccessSize[]) {
    for (let lane = 0; lane < 8; lane += size) {
      const want = BigInt.asUintN(size * 8, EX.ID_VALUE >> BigInt(8 * lane));
      assert.equal(await s.peer.read(EX.BAR, EX.ID + lane, size), want, `size ${size} lane ${lane}`);
    }
  }
});

test('writes of every size touch only their bytes', async () => {
  const off = EX.REGFILE + 0x40;
  s.peer.write(EX.BAR, off, 0x1111111111111111n, 8);
  s.peer.write(EX.BAR, off + 1, 0xaa, 1);
  s.peer.write(EX.BAR, off + 2, 0xbbcc, 2);
  s.peer.write(EX.BAR, off + 4, 0xddeeff00, 4);
  assert.equal(await s.peer.read(EX.BAR, off, 8), 0xddeeff00bbccaa11n);
});

test('a read after posted writes sees all of them (PCIe ordering)', async () => {
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 16; i++) s.peer.write(EX.BAR, EX.REGFILE + 8 * i, BigInt(round * 100 + i), 8);
    for (let i = 15; i >= 0; i--) assert.equal(await s.peer.read(EX.BAR, EX.REGFILE + 8 * i, 8), BigInt(round * 100 + i));
  }
});

test('BAR2 RAM keeps byte writes', async () => {
  const data = pattern(256, 42);
  for (let i = 0; i < data.length; i++) s.peer.write(EX.RAM_BAR, 0x200 + i, data[i], 1);
  for (let i = 0; i < data.length; i += 8) assert.equal(await s.peer.read(EX.RAM_BAR, 0x200 + i, 8), data.readBigUInt64LE(i), `offset ${i}`);
});

test('the cycle counter advances between reads', async () => {
  const a = await s.peer.read(EX.BAR, EX.CYCLE, 8);
  const b = await s.peer.read(EX.BAR, EX.CYCLE, 8);
  assert.ok(b > a, `${b} > ${a}`);
});

test('an AXI error response reaches the reader as a device error', async () => {
  await assert.rejects(s.peer.read(EX.BAR, EX.ERROR_WINDOW, 4), (e: PeerError) => {
    assert.equal(e.code, ErrorCode.DEVICE);
    assert.match(e.message, /MMIO read BAR0\+0x1000 len 4 tag \d+: the device answered with an error \(cycle \d+\)/);
    return true;
  });
  assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE, 'the device still answers');
});
