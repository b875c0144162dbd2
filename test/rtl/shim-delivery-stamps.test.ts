// Delivery stamps (docs/protocol.md, "Delivery stamps"): once the broker's
// HELLO carries the TRACE flag, the shim's queue layer (dpi/shim/cosim_queue.c)
// sends DELIVERED messages holding the bridge cycle at which it took in every
// message but HELLO, PING and PONG, refused frames included; without the flag
// it sends none. Driven through the example device's model library, so the
// stamps are checked against the model's own bridgeCycle().
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { NativeModel, resolveModel } from '../../bridge/src/model/native';
import { checkDelivered, deliveredCycles, encode, ErrorCode, Flag, MAX_STAMPS, message, Message, MsgType } from '../../bridge/src/protocol/wire';

let m: NativeModel;

before(async () => {
  m = new NativeModel(await resolveModel('example'), { logLevel: 'error' });
  m.drain(); // HELLO, CONF
  m.run(16);
  m.setReset(false);
  m.run(16);
});
after(() => m?.close());

const hello = (flags: number) => message(MsgType.HELLO, { flags, tag: 1, payload: Buffer.from('broker') });
const write = (v: number) => message(MsgType.MMIO_WRITE, { tag: 3, index: EX.BAR, address: BigInt(EX.SCRATCH), length: 8, payload: Buffer.alloc(8, v) });
const delivered = (out: Message[]) => out.filter((x) => x.type === MsgType.DELIVERED);
const stampsOf = (out: Message[]) => delivered(out).flatMap((x) => deliveredCycles(x));

test('without a HELLO carrying TRACE the shim sends no DELIVERED', () => {
  m.push(write(1));
  m.push(message(MsgType.CFG_STATE, { index: 0x5 }));
  m.run(10);
  m.push(hello(0));
  m.push(write(2));
  m.run(10);
  m.push(message(MsgType.SERIAL, { payload: Buffer.from('x') }));
  const out = m.drain();
  assert.deepEqual(delivered(out), [], out.map((x) => MsgType[x.type]).join(' '));
});

test('after HELLO with TRACE: one stamp per message but HELLO/PING/PONG, at the bridge cycle it came in, bad frames included', () => {
  m.push(hello(Flag.TRACE));
  m.run(7);
  const want: bigint[] = [];
  const stamped = (push: () => void) => {
    want.push(m.bridgeCycle());
    push();
  };
  stamped(() => assert.ok(m.push(write(3))));
  m.push(message(MsgType.PING, { tag: 42 })); // not stamped (answered with PONG)
  m.push(message(MsgType.PONG, { tag: 43 })); // not stamped
  m.run(5);
  // Refused frames are stamped too: a misaligned read, a header too short to decode, a bad magic.
  stamped(() => m.push(message(MsgType.MMIO_READ, { tag: 9, index: EX.BAR, address: 3n, length: 4 })));
  stamped(() => assert.equal(m.pushFrames([Buffer.alloc(39)]), false));
  stamped(() => {
    const bad = encode(message(MsgType.PING))[0];
    bad[0] ^= 0xff; // a PING's type byte, but no valid header: stamped
    assert.equal(m.pushFrames([bad]), false);
  });
  m.run(3);
  stamped(() => m.push(message(MsgType.CFG_STATE, { index: 0x5 })));
  stamped(() => m.push(message(MsgType.SERIAL, { payload: Buffer.from('hi') })));
  m.run(1);
  stamped(() => m.push(message(MsgType.RESET, { tag: 5 })));
  assert.deepEqual(new Set(want).size, 4, `stamps at four distinct cycles: ${want.join(' ')}`);

  const out = m.drain();
  const d = delivered(out);
  assert.equal(d.length, 1, 'the pending stamps leave as one DELIVERED');
  assert.equal(checkDelivered(d[0]), undefined);
  assert.equal(d[0].length, want.length);
  assert.equal(d[0].payload.length, 8 * want.length);
  assert.deepEqual(stampsOf(out), want);
  assert.ok(out.some((x) => x.type === MsgType.PONG && x.tag === 42), 'the PING was answered');
  assert.equal(out.filter((x) => x.type === MsgType.ERROR && x.index === ErrorCode.MALFORMED).length, 3, 'the three bad frames were refused');
  // Nothing pending: nothing more to send.
  assert.deepEqual(delivered(m.drain()), []);
  m.run(20); // let the reset settle
  m.drain();
});

test(`stamps leave in DELIVERED messages of at most ${MAX_STAMPS}, in order; a HELLO without TRACE stops them`, () => {
  const n = MAX_STAMPS + 3;
  const c0 = m.bridgeCycle();
  for (let i = 0; i < n; i++) {
    m.push(message(MsgType.CFG_STATE, { index: 0x5 }));
    if (i === MAX_STAMPS - 1) m.run(1); // the last three come a cycle later
  }
  const out = m.drain();
  const d = delivered(out);
  assert.deepEqual(d.map((x) => x.length), [MAX_STAMPS, 3]);
  for (const x of d) assert.equal(checkDelivered(x), undefined);
  const stamps = stampsOf(out);
  assert.deepEqual(stamps, [...new Array<bigint>(MAX_STAMPS).fill(c0), c0 + 1n, c0 + 1n, c0 + 1n]);

  m.push(hello(0));
  m.push(write(4));
  m.run(4);
  m.push(message(MsgType.SERIAL, { payload: Buffer.from('z') }));
  assert.deepEqual(delivered(m.drain()), [], 'no stamps after a HELLO without TRACE');
});
