// The GPU front-end's UART: bytes written to UART_TX reach the serial
// channel; bytes from the host wait in the RX FIFO, raise the UART vector
// when enabled, and are popped by UART_RX reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPU_FIELD, GPU_VEC } from '../../bridge/src/gpu/regs';
import { clockRtl, eventually } from '../helpers';
import { useGpu } from '../gpu-fixture';

const g = useGpu();

const VALID = 1n << BigInt(GPU_FIELD.UART_RX_VALID.lsb);
const uartIrqs = () => g.s.peer.msixCounts.get(GPU_VEC.UART) ?? 0;

/**
 * Cycles the RTL is clocked before a check that something did not happen:
 * far more than the GPU takes from a cause to its interrupt, DMA write or
 * FIFO push (tens of cycles), so a late one would be there by then.
 */
const QUIET_CYCLES = 2000n;
const quiet = () => clockRtl(() => g.drv.read('CYCLE'), QUIET_CYCLES);

test('UART_TX bytes reach the serial channel in order', async () => {
  const text = Buffer.from('hello from the GPU front-end\n');
  const got: Buffer[] = [];
  const on = (b: Buffer) => got.push(b);
  g.s.peer.on('serial', on);
  for (const c of text) g.drv.write('UART_TX', c, 1);
  await eventually(() => Buffer.concat(got).length >= text.length, 5000, 'serial bytes');
  g.s.peer.off('serial', on);
  assert.ok(Buffer.concat(got).equals(text));
});

test('received bytes raise the UART vector when enabled and are read back in order', async () => {
  g.drv.write('UART_CTRL', 1 << GPU_FIELD.UART_CTRL_RX_IRQ_EN.lsb);
  const irqs = uartIrqs();
  const text = Buffer.from([0, 1, 0x7f, 0x80, 0xff, 0x41]);
  g.s.peer.sendSerial(text);
  await eventually(() => uartIrqs() > irqs, 5000, 'UART interrupt');
  await g.drv.until(async () => Number(((await g.drv.read('UART_STATUS')) >> BigInt(GPU_FIELD.UART_STATUS_RX_COUNT.lsb)) & 0xffn) === text.length, 'all bytes in the FIFO');
  const got: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const v = await g.drv.read('UART_RX');
    assert.equal(v & VALID, VALID, `byte ${i} valid`);
    got.push(Number(v & 0xffn));
  }
  assert.deepEqual(got, [...text]);
  assert.equal((await g.drv.read('UART_RX')) & VALID, 0n, 'empty FIFO reads not VALID');
  assert.notEqual((await g.drv.read('INT_STATUS')) & (1n << BigInt(GPU_FIELD.INT_STATUS_UART_RX.lsb)), 0n);
});

test('with RX_IRQ_EN clear, bytes arrive without an interrupt', async () => {
  g.drv.write('UART_CTRL', 0);
  g.drv.write('INT_STATUS', 0xff);
  // Serial bytes do not queue behind MMIO: read back so the posted writes have
  // landed before the byte can, and let any interrupt already sent arrive.
  assert.equal(await g.drv.read('UART_CTRL'), 0n);
  await quiet();
  const irqs = uartIrqs();
  g.s.peer.sendSerial('x');
  await g.drv.until(async () => ((await g.drv.read('UART_STATUS')) & 1n) === 1n, 'byte received');
  await quiet();
  assert.equal(uartIrqs(), irqs);
  assert.equal((await g.drv.read('UART_RX')) & 0xffn, BigInt('x'.charCodeAt(0)));
});
