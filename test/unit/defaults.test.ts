// The defaults every side shares are defined once in C (cosim_defaults.h) and
// mirrored in bridge/src/defaults.ts; the simulator and the broker agree on
// the default endpoint, wherever $XDG_RUNTIME_DIR points.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as D from '../../bridge/src/defaults';
import { defaultSettings } from '../../bridge/src/broker/config';
import { repoRoot, simBinary } from '../helpers';

const cValue = (name: string, file = 'cosim_defaults.h') => {
  const header = fs.readFileSync(path.join(repoRoot, 'dpi', 'include', file), 'utf8');
  const m = new RegExp(`#define ${name} (\\d+)`).exec(header);
  assert.ok(m, `${name} not found in ${file}`);
  return Number(m[1]);
};

test('the shared timeouts match the C header', () => {
  assert.equal(D.PEER_TIMEOUT_MS, cValue('COSIM_DEFAULT_PEER_TIMEOUT_MS'));
  assert.equal(D.CONNECT_TIMEOUT_MS, cValue('COSIM_DEFAULT_CONNECT_TIMEOUT_MS'));
  assert.equal(D.MMIO_TIMEOUT_MS, cValue('COSIM_DEFAULT_MMIO_TIMEOUT_MS'));
  assert.equal(D.DEVICE_PEER_TIMEOUT_MS, cValue('COSIM_DEFAULT_DEVICE_PEER_TIMEOUT_MS'));
});

test("a host loop's defaults match the engine's", () => {
  assert.equal(D.RESET_CYCLES, cValue('COSIM_MODEL_RESET_CYCLES', 'cosim_model.h'));
  assert.equal(D.BATCH_CYCLES, cValue('COSIM_MODEL_BATCH_CYCLES', 'cosim_model.h'));
  assert.equal(D.DMA_WAIT_MS, cValue('COSIM_MODEL_DMA_WAIT_MS', 'cosim_model.h'));
});

test("the broker's request timeout stays below QEMU's MMIO timeout, and a peer waits longer than the broker", () => {
  for (const mmio of [10, 1000, D.MMIO_TIMEOUT_MS, 60000]) assert.ok(D.requestTimeoutFor(mmio) < mmio || mmio <= 100, `mmio ${mmio}`);
  assert.ok(D.peerWaitFor(D.REQUEST_TIMEOUT_MS) > D.REQUEST_TIMEOUT_MS);
  assert.ok(D.RUN_BROKER.heartbeatMs < D.RUN_BROKER.peerTimeoutMs / 2);
  assert.ok(D.HEARTBEAT_MS < D.PEER_TIMEOUT_MS / 2);
});

test('the simulator and the broker agree on the default endpoint', async () => {
  const sim = await simBinary();
  for (const env of [{ XDG_RUNTIME_DIR: '/run/user/4242' }, { XDG_RUNTIME_DIR: '', TMPDIR: '/var/tmp/x/' }]) {
    const { COSIM_HDL_ENDPOINT: _, ...base } = process.env;
    const help = execFileSync(sim, ['--help'], { env: { ...base, ...env }, encoding: 'utf8' });
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      assert.ok(help.includes(defaultSettings().hdlEndpoint), `${JSON.stringify(env)}: ${defaultSettings().hdlEndpoint} not in:\n${help}`);
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }
});
