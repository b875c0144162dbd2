import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceConf, validateConf } from '../../bridge/src/protocol/conf';
import { EXAMPLE_CONF } from '../helpers';

const withConf = (f: (c: DeviceConf) => void): DeviceConf => {
  const c: DeviceConf = structuredClone(EXAMPLE_CONF);
  f(c);
  return c;
};

test('the example device configuration is valid', () => {
  assert.deepEqual(validateConf(EXAMPLE_CONF), []);
});

const cases: [string, (c: DeviceConf) => void, RegExp][] = [
  ['non-power-of-two BAR', (c) => (c.bars[2].size = 0x3000n), /^bars\[2\]\.size: 0x3000 is not a power of two/],
  ['BAR below 16 bytes', (c) => (c.bars[2].size = 8n), /^bars\[2\]\.size: 8 is below the PCIe minimum/],
  ['32-bit BAR over 2 GiB', (c) => (c.bars[2].size = 1n << 32n), /^bars\[2\]\.size: .* needs a 64-bit BAR/],
  ['64-bit BAR with its upper half in use', (c) => (c.bars[1].size = 0x1000n), /^bars\[1\]: must be absent, it is the upper half of 64-bit BAR 0/],
  ['64-bit BAR 5', (c) => (c.bars[5] = { size: 0x1000n, is64: true, prefetch: false }), /^bars\[5\]\.is64: BAR 5 cannot be 64-bit/],
  ['vendor 0xFFFF', (c) => (c.vendorId = 0xffff), /^vendorId: 0xffff is reserved/],
  ['device 0xFFFF', (c) => (c.deviceId = 0xffff), /^deviceId: 0xffff is reserved/],
  ['vendor 0', (c) => (c.vendorId = 0), /^vendorId: 0 is not a valid vendor id/],
  ['class code over 24 bits', (c) => (c.classCode = 0x1000000), /^classCode: 0x1000000 does not fit in 24 bits/],
  ['no BAR at all', (c) => c.bars.forEach((b) => (b.size = 0n, b.is64 = false)), /^bars: the device has no BAR/],
  ['MSI-X table in an absent BAR', (c) => (c.msix.tableBar = 3), /^msix\.tableBar: BAR 3 is not present/],
  ['MSI-X table outside its BAR', (c) => (c.msix.tableOffset = 0xfff8n), /^msix\.tableOffset: 0xfff8\+0x40 runs past the end of BAR 0/],
  ['MSI-X PBA outside its BAR', (c) => ((c.msix.pbaBar = 2), (c.msix.pbaOffset = 0x1000n)), /^msix\.pbaOffset: 0x1000\+0x8 runs past the end of BAR 2/],
  ['MSI-X table overlapping the PBA', (c) => (c.msix.pbaOffset = 0x8030n), /^msix\.pbaOffset: PBA 0x8030\+0x8 overlaps the table 0x8000\+0x40/],
  ['MSI-X table misaligned', (c) => (c.msix.tableOffset = 0x8004n), /^msix\.tableOffset: 0x8004 is not 8-byte aligned/],
  ['too many MSI-X vectors', (c) => (c.msix.vectors = 4096), /^msix\.vectors: 4096 exceeds the PCIe maximum of 2048/],
];

for (const [name, mutate, expected] of cases) {
  test(`refused: ${name}`, () => {
    const errs = validateConf(withConf(mutate));
    assert.ok(errs.some((e) => expected.test(e)), `expected ${expected}, got:\n${errs.join('\n')}`);
  });
}

test('all problems are reported together', () => {
  const errs = validateConf(withConf((c) => ((c.vendorId = 0xffff), (c.bars[2].size = 0x3000n), (c.msix.tableBar = 4))));
  assert.equal(errs.length, 3, errs.join('\n'));
});
