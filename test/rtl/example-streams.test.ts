// The example device's NIC loopback and UART echo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { ethFrame } from '../../bridge/src/example-ops';
import { useDut } from '../../bridge/src/testbench';

const dut = useDut('example', { logLevel: 'error' });

for (const len of [60, 61, 1514, 9000]) {
  test(`a ${len}-byte NIC frame loops back unchanged`, async () => {
    const f = ethFrame(len, len);
    dut().sendFrame(f);
    assert.ok((await dut().nextFrame()).equals(f));
  });
}

test('frames sent back to back come back in order', async () => {
  const frames = [64, 128, 256, 512].map((n) => ethFrame(n, n + 1));
  const from = dut().frames.length;
  for (const f of frames) dut().sendFrame(f);
  await dut().until(() => dut().frames.length === from + frames.length);
  frames.forEach((f, i) => assert.ok(dut().frames[from + i].equals(f), `frame ${i}`));
  assert.equal(await dut().mmio.read64(EX.BAR, EX.NIC_FRAMES), BigInt(from + frames.length));
});

test('UART bytes are echoed', async () => {
  dut().sendSerial('hello from the testbench\n');
  assert.equal((await dut().serialBytes(25)).toString(), 'hello from the testbench\n');
  assert.equal(await dut().mmio.read64(EX.BAR, EX.UART_BYTES), 25n);
});
