// The device map is bounded (broker.maxDevices): a HELLO for one device more
// is refused, naming the limit, and a device both of whose peers left frees
// its slot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerLink } from '../../bridge/src/peer/peer-link';
import { Role } from '../../bridge/src/protocol/wire';
import { testLog } from '../helpers';
import { brokerWith } from './bounded';

test('a HELLO past maxDevices is refused until a device is freed', async () => {
  const b = await brokerWith({ maxDevices: 2 });
  const link = (name: string) => new PeerLink({ endpoint: b.qemu, name, role: Role.QEMU, timeoutMs: 2000, log: testLog() });
  const [a, c, d, again] = [link('a'), link('c'), link('d'), link('d')];
  try {
    await a.connect();
    await c.connect();
    await assert.rejects(d.connect(), /HELLO for device 'd' refused: the broker already serves 2 devices \(broker\.maxDevices\)/);
    await a.close();
    await again.connect();
  } finally {
    for (const l of [a, c, d, again]) await l.close();
    await b.broker.stop();
  }
});
