// A second HELLO under another name from the same connection moves it: the
// old device's slot is released (and reported), not leaked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerLink } from '../../bridge/src/peer/peer-link';
import { ErrorCode, message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { FakeHdl, testLog } from '../helpers';
import { brokerWith } from './bounded';

for (const role of [Role.QEMU, Role.HDL]) {
  const side = role === Role.QEMU ? 'qemu' : 'hdl';
  test(`a ${side} peer's HELLO under a new name releases the old name`, async () => {
    const b = await brokerWith({ maxDevices: 2 });
    const endpoint = role === Role.QEMU ? b.qemu : b.hdl;
    const link = (name: string) => new PeerLink({ endpoint, name, role, timeoutMs: 2000, log: testLog() });
    const mover = link('old');
    const successor = link('old');
    const links = [mover, successor];
    try {
      await mover.connect();
      // Many renames, one slot: with maxDevices 2, a leak would refuse the third.
      for (const name of ['new1', 'new2', 'new3']) {
        const answer = await mover.request(message(MsgType.HELLO, { tag: mover.allocTag(), index: role, payload: Buffer.from(name) }), `HELLO as ${name}`);
        assert.equal(answer.type, MsgType.HELLO);
      }
      assert.deepEqual(b.gone, [`${side} old: said HELLO again as 'new1'`, `${side} new1: said HELLO again as 'new2'`, `${side} new2: said HELLO again as 'new3'`]);
      await successor.connect();
      // The mover holds 'new3' only: another peer cannot take it.
      const third = link('new3');
      links.push(third);
      await assert.rejects(third.connect(), (e: Error & { code?: number }) => e.code === ErrorCode.UNEXPECTED && /already has a .* peer connected/.test(e.message));
    } finally {
      for (const l of links) await l.close();
      await b.broker.stop();
    }
  });
}

test('the device a QEMU peer moved away from pairs its HDL peer with a new QEMU peer', async () => {
  const b = await brokerWith({});
  const dev = await new FakeHdl(b.hdl, 'old').start();
  const mover = new PeerLink({ endpoint: b.qemu, name: 'old', role: Role.QEMU, timeoutMs: 2000, log: testLog() });
  const successor = new PeerLink({ endpoint: b.qemu, name: 'old', role: Role.QEMU, timeoutMs: 2000, log: testLog() });
  try {
    await mover.connect();
    await mover.request(message(MsgType.HELLO, { tag: mover.allocTag(), index: Role.QEMU, payload: Buffer.from('new') }), 'HELLO as new');
    await successor.connect();
    const conf = await successor.request(message(MsgType.INIT, { tag: successor.allocTag() }), 'INIT');
    assert.equal(conf.type, MsgType.CONF);
    assert.deepEqual(b.broker.pairedDevices(), ['old']);
  } finally {
    await successor.close();
    await mover.close();
    await dev.close();
    await b.broker.stop();
  }
});
