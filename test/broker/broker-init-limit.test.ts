// INITs that wait for a device's HDL peer are bounded (MAX_PENDING_INITS):
// one more is refused at once; those waiting are answered when the HDL
// announces, and forgotten when their QEMU peer leaves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PENDING_INITS } from '../../bridge/src/broker/broker';
import { encode, ErrorCode, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { FakeHdl } from '../helpers';
import { brokerWith, helloPeer, nextMessage } from './bounded';

test('INITs past MAX_PENDING_INITS are refused; the waiting ones get CONF', async () => {
  const b = await brokerWith({ initTimeoutMs: 60000 });
  const qemu = await helloPeer(b.qemu, Role.QEMU, 'dev0');
  const dev = new FakeHdl(b.hdl);
  try {
    for (let tag = 1; tag <= MAX_PENDING_INITS + 1; tag++) await qemu.send(encode(message(MsgType.INIT, { tag })));
    const refused = await nextMessage(qemu);
    assert.equal(refused.type, MsgType.ERROR);
    assert.equal(refused.index, ErrorCode.UNEXPECTED);
    assert.equal(refused.tag, MAX_PENDING_INITS + 1);
    assert.match(refused.payload.toString(), new RegExp(`INIT for device 'dev0' refused: ${MAX_PENDING_INITS} INITs already wait for its HDL peer`));
    await dev.start();
    const tags = [];
    for (let i = 0; i < MAX_PENDING_INITS; i++) {
      const m = await nextMessage(qemu);
      assert.equal(m.type, MsgType.CONF);
      tags.push(m.tag);
    }
    assert.deepEqual(tags, Array.from({ length: MAX_PENDING_INITS }, (_, i) => i + 1));
  } finally {
    qemu.close();
    await dev.close();
    await b.broker.stop();
  }
});
