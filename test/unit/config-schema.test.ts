import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { applyOverride, ConfigError, loadConfig, parseConfig } from '../../bridge/src/broker/config';
import { EXAMPLE_CONF } from '../helpers';

const problems = (json: unknown) => {
  try {
    parseConfig(json);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail('config was accepted');
};

test('a good config is accepted, with defaults filled in', () => {
  const c = parseConfig({
    broker: { qemuEndpoint: 'tcp://127.0.0.1:5555', requestTimeoutMs: 100 },
    devices: { dev0: { vendorId: '0x1af4', deviceId: 4660, bars: { '2': { size: '0x2000', prefetch: true } }, msix: { vectors: 8, tableOffset: '0x8000' } } },
  });
  assert.equal(c.broker.qemuEndpoint, 'tcp://127.0.0.1:5555');
  assert.equal(c.broker.requestTimeoutMs, 100);
  assert.equal(c.broker.peerTimeoutMs, 5000);
  assert.match(c.broker.hdlEndpoint, /^ipc:\/\//);
});

test('an empty config is accepted', () => {
  assert.deepEqual(parseConfig({}).devices, {});
});

test('schema errors name the field', () => {
  assert.deepEqual(problems({ broker: { requestTimeoutMs: 0 } }), ['broker.requestTimeoutMs: must be >= 1']);
  assert.deepEqual(problems({ broker: { qemuEndpoint: 'http://x' } }), ['broker.qemuEndpoint: must match pattern "^(ipc://.+|tcp://.+:[0-9]+)$"']);
  assert.deepEqual(problems({ devices: { dev0: { vendorId: 'abc' } } }), ['devices.dev0.vendorId: must be an integer in range or a hex string such as "0x1f"']);
  assert.deepEqual(problems({ devices: { dev0: { vendorId: 70000 } } }), ['devices.dev0.vendorId: must be an integer in range or a hex string such as "0x1f"']);
  assert.ok(problems({ devices: { dev0: { bars: { '6': { size: 16 } } } } }).includes('devices.dev0.bars: must match pattern "^[0-5]$"'));
  assert.deepEqual(problems({ devices: { dev0: { msix: { vector: 4 } } } }), ['devices.dev0.msix.vector: unknown field']);
  assert.deepEqual(problems({ brokr: {} }), ['brokr: unknown field']);
});

test('every error is reported at once', () => {
  const p = problems({ broker: { heartbeatMs: 1, logLevel: 'loud' }, devices: { dev0: { revision: 256 } } });
  assert.equal(p.length, 3, p.join('\n'));
  assert.ok(p.some((l) => l.startsWith('broker.heartbeatMs:')));
  assert.ok(p.some((l) => l.startsWith('broker.logLevel:')));
  assert.ok(p.some((l) => l.startsWith('devices.dev0.revision:')));
});

test('an unreadable or non-JSON file is a ConfigError naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-cfg-'));
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{ "broker": ');
  assert.throws(() => loadConfig(bad), (e: Error) => e instanceof ConfigError && e.message.includes(bad) && /not valid JSON/.test(e.message));
  assert.throws(() => loadConfig(path.join(dir, 'missing.json')), /cannot read/);
  fs.rmSync(dir, { recursive: true });
});

test('overrides replace only the fields they name', () => {
  const c = applyOverride(EXAMPLE_CONF, { deviceId: '0xbeef', bars: { '2': { size: '0x4000' } }, msix: { vectors: 2 } });
  assert.equal(c.deviceId, 0xbeef);
  assert.equal(c.vendorId, EXAMPLE_CONF.vendorId);
  assert.equal(c.bars[2].size, 0x4000n);
  assert.equal(c.bars[0].size, EXAMPLE_CONF.bars[0].size);
  assert.equal(c.msix.vectors, 2);
  assert.equal(c.msix.tableOffset, EXAMPLE_CONF.msix.tableOffset);
  assert.equal(EXAMPLE_CONF.bars[2].size, 0x1000n, 'the announced conf is not mutated');
});

test('CURVE key files in a config are relative to it, and need the client keys', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-cfg-'));
  const file = path.join(dir, 'cosim.json');
  fs.writeFileSync(file, JSON.stringify({ broker: { curve: { key: 'keys/broker.key_secret', clients: ['keys/peers', '/abs/sim.key'] } } }));
  assert.deepEqual(loadConfig(file).broker.curve, { key: path.join(dir, 'keys/broker.key_secret'), clients: [path.join(dir, 'keys/peers'), '/abs/sim.key'] });
  assert.deepEqual(problems({ broker: { curve: { key: 'b.key_secret' } } }), ["broker.curve: must have required property 'clients'"]);
  assert.deepEqual(problems({ broker: { curve: { key: 'b.key_secret', clients: [] } } }), ['broker.curve.clients: must NOT have fewer than 1 items']);
  assert.deepEqual(problems({ broker: { insecure: 'yes' } }), ['broker.insecure: must be boolean']);
  fs.rmSync(dir, { recursive: true });
});
