// A guest booted with pci=nomsi: no MSI-X, so the driver falls back to INTx,
// which the RTL drives as a level and QEMU raises with pci_set_irq.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('pci=nomsi: the example smoke suite passes through INTx', async (t) => {
  const r = await cosimCli(['run', '--device', 'example', '--kernel-arg', 'pci=nomsi', '--quiet', '--keep-going']);
  t.diagnostic(r.stdout.trim().split('\n').at(-2) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  const mode = await cosimCli(['shell', '--device', 'example', '--kernel-arg', 'pci=nomsi', '--exec', 'cat /sys/class/cosim/cosim0/irq_mode']);
  assert.equal(mode.code, 0, mode.stderr.slice(-2000));
  assert.match(mode.stdout, /^intx \d+$/m, 'the driver fell back to INTx');
});
