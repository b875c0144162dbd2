// cosim-pcie with CURVE keys on a keyed broker over tcp: with its key the
// device comes up and MMIO reaches the RTL; with a key the broker does not
// list, or none, QEMU stops at realize and says which.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { Proc } from '../../bridge/src/orchestrate/process';
import { runKeys, writeKeyPair } from '../../bridge/src/protocol/curve';
import { simBinary, testLog } from '../helpers';
import { BAR0, qemuBinary, Qtest } from './qtest';

describe('cosim-pcie with CURVE keys', () => {
  const keys = runKeys(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-curve-')), ['qemu', 'sim']);
  const stranger = writeKeyPair(path.dirname(keys.broker.key), 'stranger');
  let broker: Broker;
  let sim: Proc;

  before(async () => {
    broker = new Broker(brokerConfig({ curve: keys.broker }, uniqueEndpoints('tcp')), testLog());
    await broker.start();
    sim = startSim({ binary: await simBinary(), endpoint: broker.endpoints.hdl, curve: keys.peer.sim });
  });

  after(async () => {
    await broker.stop();
    await sim.stop();
    keys.remove();
  });

  const device = (key: string | undefined) => ['-device', `cosim-pcie,addr=5.0,endpoint=${broker.endpoints.qemu},timeout-ms=2000${key ? `,curve-server-key=${keys.peer.qemu.serverKey},curve-key=${key}` : ''}`];

  test('with its key the device comes up and MMIO reaches the RTL', async () => {
    const q = new Qtest(qemuBinary()!, device(keys.peer.qemu.key));
    try {
      await q.cmd('outl 0xcf8 0x80000000');
      await q.mapBars();
      assert.equal(await q.readl(BAR0), 0xc051e001n);
    } finally {
      await q.stop();
    }
  });

  test('a key the broker does not list stops QEMU at realize, saying so', async () => {
    const q = new Qtest(qemuBinary()!, device(stranger.secretFile), { qmp: false });
    assert.equal(await q.exited, 1);
    assert.ok(q.stderr.some((l) => l.includes(`cosim-pcie: the broker at ${broker.endpoints.qemu}: the broker refused this peer's CURVE key`)), q.stderr.join('\n'));
  });

  test('no key on a broker that wants one stops QEMU at realize, saying so', async () => {
    const q = new Qtest(qemuBinary()!, device(undefined), { qmp: false });
    assert.equal(await q.exited, 1);
    assert.ok(q.stderr.some((l) => l.includes('CURVE on one side only')), q.stderr.join('\n'));
  });

  test('a public key file where the secret one belongs is refused', async () => {
    const q = new Qtest(qemuBinary()!, device(stranger.publicFile), { qmp: false });
    assert.equal(await q.exited, 1);
    assert.ok(q.stderr.some((l) => l.includes(`cosim-pcie: CURVE key file ${stranger.publicFile} has no secret-key`)), q.stderr.join('\n'));
  });
});
