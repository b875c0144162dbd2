import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeConf, encodeConf } from '../../bridge/src/protocol/conf';
import { decode, encode, Flag, HDR_SIZE, MAX_PAYLOAD, message, MsgType } from '../../bridge/src/protocol/wire';
import { EXAMPLE_CONF } from '../helpers';

const types = Object.values(MsgType).filter((v): v is MsgType => typeof v === 'number');

test('every message type round-trips through encode/decode', () => {
  assert.equal(types.length, 20); // with INTX, CFG_STATE and DELIVERED
  for (const type of types) {
    const m = message(type, {
      flags: Flag.LAST,
      tag: 0xfedcba98,
      index: 0xbeef,
      address: 0xffff_ffff_ffff_fff0n,
      length: 0x7fffffff,
      cycle: 0x1234_5678_9abc_def0n,
      payload: Buffer.from([type, 1, 2, 3]),
    });
    const frames = encode(m);
    assert.equal(frames.length, 2);
    assert.equal(frames[0].length, HDR_SIZE);
    assert.deepEqual(decode(frames), m, MsgType[type]);
  }
});

test('a message without payload is a single frame', () => {
  const frames = encode(message(MsgType.PING, { tag: 3 }));
  assert.equal(frames.length, 1);
  assert.equal(decode(frames).payload.length, 0);
});

test('a payload of exactly MAX_PAYLOAD is accepted, one byte more is refused', () => {
  const ok = message(MsgType.DMA_WRITE, { payload: Buffer.alloc(MAX_PAYLOAD, 1) });
  assert.equal(decode(encode(ok)).payload.length, MAX_PAYLOAD);
  assert.throws(() => encode(message(MsgType.DMA_WRITE, { payload: Buffer.alloc(MAX_PAYLOAD + 1) })), /exceeds 65536/);
});

test('CONF payload round-trips', () => {
  assert.deepEqual(decodeConf(encodeConf(EXAMPLE_CONF)), EXAMPLE_CONF);
  assert.throws(() => decodeConf(Buffer.alloc(10)), /expected 136/);
});
