// CURVE on the broker's endpoints: a peer with an allowed key gets in; a key
// the broker does not list, no key, or the wrong broker key is refused, and
// both sides say why. A tcp endpoint without keys is refused unless insecure.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { clientCurve, runKeys, writeKeyPair } from '../../bridge/src/protocol/curve';
import { PeerLink } from '../../bridge/src/peer/peer-link';
import { Role } from '../../bridge/src/protocol/wire';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { eventually, testLog } from '../helpers';
import { brokerWith } from './bounded';

const keys = runKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-curve-')), ['qemu', 'hdl']);
const stranger = writeKeyPair(path.dirname(keys.broker.key), 'stranger');
after(() => keys.remove());

const tcp = { qemuEndpoint: 'tcp://127.0.0.1:*', hdlEndpoint: 'tcp://127.0.0.1:*' };

function link(endpoint: string, curve?: ReturnType<typeof clientCurve>): PeerLink {
  return new PeerLink({ endpoint, name: 'dev0', role: Role.QEMU, timeoutMs: 1500, curve, log: testLog() });
}

async function brokerLogging(settings: Parameters<typeof brokerWith>[0]) {
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => lines.push((JSON.parse(s) as { msg: string }).msg) });
  return { b: await brokerWith(settings, log), lines };
}

test('a peer with an allowed key says HELLO over tcp', async () => {
  const { b } = await brokerLogging({ ...tcp, curve: keys.broker });
  const l = link(b.qemu, clientCurve(keys.peer.qemu.serverKey, keys.peer.qemu.key));
  try {
    assert.match(b.qemu, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    await l.connect();
  } finally {
    await l.close();
    await b.broker.stop();
  }
});

test('a key the broker does not list is refused, and both sides say so', async () => {
  const { b, lines } = await brokerLogging({ ...tcp, curve: keys.broker });
  const l = link(b.qemu, clientCurve(keys.peer.qemu.serverKey, stranger.secretFile));
  try {
    await assert.rejects(l.connect(), new RegExp(`refused this peer's CURVE key ${stranger.pair.publicKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(status 400\\)`));
    await eventually(() => lines.some((m) => m.includes(`refused a peer: CURVE key ${stranger.pair.publicKey} is not one of the broker's allowed client keys`)), 2000, 'the broker logs the refused key');
  } finally {
    await l.close();
    await b.broker.stop();
  }
});

test('a peer without keys is told the broker wants them', async () => {
  const { b } = await brokerLogging({ ...tcp, curve: keys.broker, insecure: false });
  const l = link(b.hdl);
  try {
    await assert.rejects(l.connect(), /ERR_ZMTP_MECHANISM_MISMATCH \(the broker wants CURVE keys/);
  } finally {
    await l.close();
    await b.broker.stop();
  }
});

test('a peer with the wrong broker key is told to check it; the broker logs the failed handshakes once', async () => {
  const { b, lines } = await brokerLogging({ ...tcp, curve: keys.broker });
  const l = link(b.qemu, clientCurve(stranger.publicFile, keys.peer.qemu.key));
  try {
    await assert.rejects(l.connect(), /closed the connection during the CURVE handshake \d+ time\(s\): is the server key .* the broker's public key\?/);
    const failed = lines.filter((m) => m.includes('CURVE handshake on the qemu endpoint failed: ERR_ZMTP_CRYPTOGRAPHIC'));
    assert.equal(failed.length, 1, lines.join('\n'));
  } finally {
    await l.close();
    await b.broker.stop();
  }
});

test('keys apply to ipc endpoints too', async () => {
  const { b } = await brokerLogging({ curve: keys.broker });
  const l = link(b.qemu);
  try {
    assert.match(b.qemu, /^ipc:\/\//);
    await assert.rejects(l.connect(), /the broker wants CURVE keys/);
  } finally {
    await l.close();
    await b.broker.stop();
  }
});

test('a tcp endpoint without keys is refused unless insecure, which warns', async () => {
  const refused = new Broker(brokerConfig({}, { ...uniqueEndpoints(), qemu: 'tcp://127.0.0.1:*' }), testLog());
  await assert.rejects(refused.start(), /qemu endpoint tcp:\/\/127\.0\.0\.1:\*: tcp without CURVE keys is refused: anyone who reaches .* can take a device's place and DMA into guest memory\. .* or pass --insecure/);
  const { b, lines } = await brokerLogging({ ...tcp, insecure: true });
  const l = link(b.qemu);
  try {
    await l.connect();
    assert.equal(lines.filter((m) => m.startsWith('insecure: tcp without CURVE keys')).length, 2, lines.join('\n'));
  } finally {
    await l.close();
    await b.broker.stop();
  }
});
