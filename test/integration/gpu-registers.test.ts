// GPU front-end registers through the broker: identity, every access size,
// read-only and write-1-to-clear behaviour, the doorbell page, the VRAM
// window, soft reset, and errors outside the register window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPU_BAR, GPU_BAR_INFO, GPU_CONST, GPU_FIELD, GPU_IDENTITY, GPU_MSIX, GPU_REG, GPU_RESET } from '../../bridge/src/gpu/regs';
import { useGpu } from '../gpu-fixture';

const g = useGpu({ init: false });

const R = GPU_BAR.REGS;

test('the device announces the identity and BARs of the register map', () => {
  const c = g.s.peer.conf!;
  assert.equal(c.vendorId, GPU_IDENTITY.vendorId);
  assert.equal(c.deviceId, GPU_IDENTITY.deviceId);
  assert.equal(c.classCode, GPU_IDENTITY.classCode);
  assert.equal(c.revision, GPU_IDENTITY.revision);
  for (const [name, idx] of Object.entries(GPU_BAR)) {
    const info = GPU_BAR_INFO[name as keyof typeof GPU_BAR_INFO];
    assert.equal(c.bars[idx].size, BigInt(info.size), `BAR${idx} size`);
    assert.equal(c.bars[idx].is64, info.is64, `BAR${idx} 64-bit`);
    assert.equal(c.bars[idx].prefetch, info.prefetch, `BAR${idx} prefetch`);
  }
  assert.equal(c.msix.vectors, GPU_MSIX.vectors);
  assert.equal(c.msix.tableOffset, BigInt(GPU_MSIX.tableOffset));
  assert.equal(c.msix.pbaOffset, BigInt(GPU_MSIX.pbaOffset));
});

test('ID, VERSION and CAPS read their constant values at every size', async () => {
  for (const reg of ['ID', 'VERSION', 'CAPS'] as const) {
    const v = GPU_RESET[reg];
    assert.equal(await g.drv.read(reg), v, reg);
    assert.equal(await g.s.peer.read(R, GPU_REG[reg] + 4, 4), v >> 32n, `${reg} upper half`);
    assert.equal(await g.s.peer.read(R, GPU_REG[reg] + 2, 2), (v >> 16n) & 0xffffn, `${reg} bytes 2..3`);
    assert.equal(await g.s.peer.read(R, GPU_REG[reg] + 1, 1), (v >> 8n) & 0xffn, `${reg} byte 1`);
  }
  const caps = await g.drv.read('CAPS');
  assert.equal(Number((caps >> BigInt(GPU_FIELD.CAPS_LANES.lsb)) & 0xffn), GPU_CONST.LANES);
  g.drv.write('ID', 0);
  assert.equal(await g.drv.read('ID'), GPU_RESET.ID, 'ID ignores writes');
});

test('SCRATCH takes 1, 2, 4 and 8-byte writes on every lane', async () => {
  g.drv.write('SCRATCH', 0x0123456789abcdefn);
  assert.equal(await g.drv.read('SCRATCH'), 0x0123456789abcdefn);
  g.s.peer.write(R, GPU_REG.SCRATCH + 3, 0xaa, 1);
  g.s.peer.write(R, GPU_REG.SCRATCH + 4, 0xbbcc, 2);
  assert.equal(await g.drv.read('SCRATCH'), 0x0123bbccaaabcdefn);
  g.s.peer.write(R, GPU_REG.SCRATCH + 4, 0x11223344, 4);
  assert.equal(await g.s.peer.read(R, GPU_REG.SCRATCH + 4, 4), 0x11223344n);
});

test('CYCLE counts up', async () => {
  const a = await g.drv.read('CYCLE');
  const b = await g.drv.read('CYCLE');
  assert.ok(b > a, `${a} then ${b}`);
});

test('the doorbell page reads 0 and ignores writes outside the doorbell', async () => {
  assert.equal(await g.s.peer.read(GPU_BAR.DOORBELL, 0x800, 8), 0n);
  g.s.peer.write(GPU_BAR.DOORBELL, 0x800, 5, 4);
  assert.equal(await g.s.peer.read(GPU_BAR.DOORBELL, GPU_REG.DOORBELL, 4), 0n);
});

test('VRAM is readable and writable through BAR4 at every size', async () => {
  const V = GPU_BAR.VRAM;
  g.s.peer.write(V, 0x100, 0x1122334455667788n, 8);
  assert.equal(await g.s.peer.read(V, 0x100, 8), 0x1122334455667788n);
  g.s.peer.write(V, 0x101, 0xee, 1);
  g.s.peer.write(V, 0x106, 0xdddd, 2);
  assert.equal(await g.s.peer.read(V, 0x100, 8), 0xdddd33445566ee88n);
  assert.equal(await g.s.peer.read(V, 0x104, 4), 0xdddd3344n);
  const top = GPU_CONST.VRAM_SIZE - 8;
  g.s.peer.write(V, top, 0xfeedn, 8);
  assert.equal(await g.s.peer.read(V, top, 8), 0xfeedn, 'last word of VRAM');
});

test('INT_STATUS is write-1-to-clear and INT_MASK read/write', async () => {
  g.drv.write('INT_MASK', 0x5);
  assert.equal(await g.drv.read('INT_MASK'), 0x5n);
  g.drv.write('INT_STATUS', 0x1f);
  assert.equal(await g.drv.read('INT_STATUS'), 0n);
  g.drv.write('INT_MASK', 0);
});

test('RING_BASE drops its low 6 bits; RING_SIZE is refused while the ring is enabled', async () => {
  g.drv.write('RING_CTRL', 0);
  g.drv.write('RING_BASE', 0x12345ffn);
  assert.equal(await g.drv.read('RING_BASE'), 0x12345c0n);
  g.drv.write('RING_SIZE', 8);
  g.drv.write('RING_CTRL', 1);
  g.drv.write('RING_SIZE', 32);
  assert.equal(await g.drv.read('RING_SIZE'), 8n);
  assert.equal(await g.drv.read('RING_CTRL'), 1n);
  g.drv.write('RING_CTRL', 0);
});

test('BAR0 offsets past the register window answer an error; the device keeps working', async () => {
  await assert.rejects(g.s.peer.read(R, GPU_CONST.REG_WINDOW, 8), /error/);
  await assert.rejects(g.s.peer.read(R, 0xa000, 4), /error/);
  assert.equal(await g.drv.read('ID'), GPU_RESET.ID);
});

test('soft reset returns every register to its reset value, but VRAM keeps its contents', async () => {
  g.drv.write('SCRATCH', 0xdead);
  g.drv.write('FENCE_ADDR', 0x4000);
  g.drv.write('UART_CTRL', 1);
  g.s.peer.write(GPU_BAR.VRAM, 0x2000, 0xabcdn, 8);
  await g.drv.softReset();
  for (const reg of ['SCRATCH', 'FENCE_ADDR', 'UART_CTRL', 'RING_BASE', 'RING_SIZE', 'INT_STATUS', 'ERR_CODE', 'CMD_COUNT'] as const) {
    assert.equal(await g.drv.read(reg), GPU_RESET[reg], reg);
  }
  assert.equal(await g.s.peer.read(GPU_BAR.VRAM, 0x2000, 8), 0xabcdn);
  assert.ok((await g.drv.read('CYCLE')) > 0n, 'CYCLE keeps counting');
});
