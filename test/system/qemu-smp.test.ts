// Several vCPUs under multi-threaded TCG: MMIO reads from every CPU in
// flight at once while the RTL does DMA (guest/tests/mmio_smp.c).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test('-smp 4 under MTTCG: concurrent reads from every vCPU while the device copies by DMA', async (t) => {
  const r = await cosimCli(['run', '--device', 'example', '--cpus', '4', '--tests', 'mmio_smp,regs,dma', '--quiet', '--keep-going']);
  t.diagnostic(r.stdout.trim().split('\n').slice(-3).join(' | '));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.match(r.stdout, /^mmio_smp\s+pass\s+6\/6\s/m, 'four readers, the copies and the summary');
});
