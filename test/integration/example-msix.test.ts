import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { dmaCopy, pattern, withTimeout } from '../../bridge/src/example-ops';
import { Stack } from '../../bridge/src/orchestrate/stack';
import { exampleStack } from '../helpers';

let s: Stack;
before(async () => (s = await exampleStack()));
after(async () => s?.stop());

test('every MSI-X vector arrives', async () => {
  for (let v = 0; v < EX.VECTORS; v++) {
    const ev = once(s.peer, 'msix');
    s.peer.write(EX.BAR, EX.MSIX_TRIGGER, v, 8);
    const [vector, cycle] = await withTimeout(ev, 5000, `vector ${v}`);
    assert.equal(vector, v);
    assert.ok((cycle as bigint) > 0n, 'stamped with the RTL cycle');
  }
  assert.deepEqual([...s.peer.msixCounts.entries()].sort(), [[0, 1], [1, 1], [2, 1], [3, 1]]);
});

test('the completion interrupt comes after the DMA data it announces', async () => {
  const len = 8192;
  s.peer.memory.write(0x80000n, pattern(len, 11));
  let dataAtInterrupt: Buffer | undefined;
  s.peer.once('msix', () => (dataAtInterrupt = s.peer.memory.read(0x90000n, len)));
  await dmaCopy(s.peer, 0x80000n, 0x90000n, len, { vector: 3 });
  assert.ok(dataAtInterrupt, 'interrupt seen');
  assert.ok(dataAtInterrupt.equals(pattern(len, 11)), 'all DMA writes had landed when the MSI-X arrived');
});
