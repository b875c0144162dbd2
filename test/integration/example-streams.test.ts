// NIC frames and serial bytes in both directions (the example loops them back).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { ethFrame, withTimeout } from '../../bridge/src/example-ops';
import { Stack } from '../../bridge/src/orchestrate/stack';
import { eventually, exampleStack } from '../helpers';

let s: Stack;
before(async () => (s = await exampleStack()));
after(async () => s?.stop());

for (const len of [60, 1514, 61, 9000]) {
  test(`a ${len}-byte NIC frame goes to the RTL and comes back intact`, async () => {
    const frame = ethFrame(len, len);
    const ev = once(s.peer, 'nic');
    s.peer.sendFrame(frame);
    const [got] = await withTimeout(ev, 5000, `frame of ${len} bytes`);
    assert.ok((got as Buffer).equals(frame), `got ${(got as Buffer).length} bytes`);
  });
}

test('back-to-back frames keep their order and boundaries', async () => {
  const frames = [60, 1514, 64, 1000, 60].map((len, i) => ethFrame(len, 100 + i));
  const got: Buffer[] = [];
  const on = (f: Buffer) => got.push(f);
  s.peer.on('nic', on);
  frames.forEach((f) => s.peer.sendFrame(f));
  await eventually(() => got.length === frames.length, 5000, 'all frames back');
  s.peer.off('nic', on);
  got.forEach((f, i) => assert.ok(f.equals(frames[i]), `frame ${i}`));
  const counted = await s.peer.read(EX.BAR, EX.NIC_FRAMES, 8);
  assert.ok(counted >= BigInt(frames.length), `NIC_FRAMES = ${counted}`);
});

test('serial bytes are echoed in order, including every byte value', async () => {
  const text = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const got: Buffer[] = [];
  const on = (b: Buffer) => got.push(b);
  s.peer.on('serial', on);
  s.peer.sendSerial(text);
  await eventually(() => Buffer.concat(got).length >= text.length, 5000, 'echo of 256 bytes');
  s.peer.off('serial', on);
  assert.ok(Buffer.concat(got).equals(text));
});
