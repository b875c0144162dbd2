// The simulator (the DPI shim) on a broker with CURVE keys over tcp: with its
// key it announces the device and serves MMIO; with a key the broker does not
// list it stops at once (exit 3), saying the broker refused its key.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { clientCurve, runKeys, writeKeyPair } from '../../bridge/src/protocol/curve';
import { simBinary, testLog } from '../helpers';

const keys = runKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-curve-')), ['qemu', 'sim']);
const stranger = writeKeyPair(path.dirname(keys.broker.key), 'stranger');
after(() => keys.remove());

async function keyedBroker(): Promise<Broker> {
  const broker = new Broker(brokerConfig({ curve: keys.broker }, uniqueEndpoints('tcp')), testLog());
  await broker.start();
  return broker;
}

test('a simulator with an allowed key serves MMIO over tcp', async () => {
  const broker = await keyedBroker();
  const sim = startSim({ binary: await simBinary(), endpoint: broker.endpoints.hdl, curve: keys.peer.sim });
  const q = keys.peer.qemu;
  const peer = new QemuPeer({ endpoint: broker.endpoints.qemu, curve: clientCurve(q.serverKey, q.key), log: testLog() });
  try {
    const conf = await peer.connect();
    assert.equal(conf.deviceId, 0xc051);
    assert.equal(await peer.read(0, 0n, 4), 0xc051e001n);
  } finally {
    await peer.close();
    await broker.stop();
    await sim.stop();
  }
});

test('a simulator whose key the broker does not list stops, saying so', async () => {
  const broker = await keyedBroker();
  const sim = startSim({ binary: await simBinary(), endpoint: broker.endpoints.hdl, curve: { serverKey: keys.peer.sim.serverKey, key: stranger.secretFile } });
  try {
    const exit = await sim.exited;
    assert.equal(exit.code, 3, sim.stderrTail.join('\n'));
    assert.ok(sim.stderrTail.some((l) => l.includes("the broker refused this peer's CURVE key (add its .key file to the broker's client keys) (broker tcp://127.0.0.1:")), sim.stderrTail.join('\n'));
  } finally {
    await broker.stop();
    await sim.stop();
  }
});

test('a simulator with a secret key file others may read does not start', async () => {
  const loose = writeKeyPair(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-curve-')), 'loose');
  fs.chmodSync(loose.secretFile, 0o644);
  const sim = startSim({ binary: await simBinary(), endpoint: 'tcp://127.0.0.1:1', curve: { serverKey: keys.peer.sim.serverKey, key: loose.secretFile } });
  const exit = await sim.exited;
  assert.equal(exit.code, 2, sim.stderrTail.join('\n'));
  assert.ok(sim.stderrTail.some((l) => l.includes(`CURVE secret key file ${loose.secretFile} may be read by others (mode 644): chmod 600`)), sim.stderrTail.join('\n'));
});
