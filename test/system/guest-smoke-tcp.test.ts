// The smoke suite over tcp: `cosim run --tcp` puts its broker on loopback tcp
// with CURVE keys made for the run, which QEMU and the simulator present (the
// broker refuses a peer without an allowed key), and the suite passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('cosim run --tcp: the smoke suite passes over CURVE-keyed loopback tcp', async (t) => {
  const r = await cosimCli(['run', '--tcp', '--quiet', '--keep-going', '--log-level', 'info']);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  const listening = r.stderr.split('\n').find((l) => l.includes('broker listening'));
  assert.ok(listening, r.stderr.slice(-3000));
  assert.match(listening, /tcp:\/\/127\.0\.0\.1:\d+/);
  assert.match(listening, /curveKey/);
  assert.match(listening, /clientKeys.{0,4}2/);
  assert.match(r.stdout, /^5\/5 tests passed; (TCG|KVM);/m);
});
