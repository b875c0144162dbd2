// The whole system: the patched QEMU boots the Debian guest, the driver binds
// the Verilated example device through the broker, and the smoke suite passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('cosim run boots the guest and the smoke suite passes', async (t) => {
  const r = await cosimCli(['run', '--quiet', '--keep-going']);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  for (const name of ['regs', 'msix', 'dma', 'mmio_latency', 'reload']) assert.match(r.stdout, new RegExp(`^${name}\\s+pass\\s`, 'm'), name);
  assert.match(r.stdout, /^5\/5 tests passed; (TCG|KVM);/m);
  if (r.stdout.includes('TCG')) t.diagnostic('ran under TCG: KVM is absent or does not work on this machine (cosim run probes it)');
});
