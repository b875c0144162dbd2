// Which QEMU this run of test/qemu drives (scripts/run-tests.js runs the group
// once per supported version: 10.0.2 from build/qemu/current, 10.2.2 through
// COSIM_QEMU), and what that build must hold besides cosim-pcie.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../bridge/src/orchestrate/process';
import { qemuBinary, qemuVersion } from './qtest';

const version = qemuVersion();
const [major, minor] = version.split('.').map(Number);

describe(`QEMU ${version}`, () => {
  test(`the binary under test is QEMU ${version}`, (t) => {
    const bin = qemuBinary();
    t.diagnostic(`${bin} (${process.env.COSIM_QEMU ? `COSIM_QEMU=${process.env.COSIM_QEMU}` : 'build/qemu/current'})`);
    assert.match(version, /^\d+\.\d+\.\d+$/, `no version from ${bin} --version`);
    // A build of scripts/build-qemu.sh says what it was built from.
    const info = path.join(path.dirname(bin), 'build-info.txt');
    if (fs.existsSync(info)) {
      const first = fs.readFileSync(info, 'utf8').split('\n')[0];
      t.diagnostic(first);
      assert.ok(first.startsWith(`qemu ${version} `), `${info}: ${first}`);
    }
  });

  test(`QEMU ${version} lists cosim-pcie${major > 10 || (major === 10 && minor >= 1) ? " and upstream's vfio-user-pci" : ''}`, () => {
    const r = spawnSync(qemuBinary(), ['-device', 'help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /name "cosim-pcie", bus PCI/);
    // 10.1 brought the vfio-user client (hw/vfio-user, Kconfig VFIO_USER);
    // the minimal configuration must not lose it.
    if (major > 10 || (major === 10 && minor >= 1)) assert.match(r.stdout, /name "vfio-user-pci"/);
  });

  test(`the patch applies to pristine QEMU ${version}`, (t) => {
    const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'check-qemu-patch.sh'), '--qemu', version], { encoding: 'utf8' });
    if (r.status === 77) {
      t.skip(`no pristine ${version} tree (scripts/build-qemu.sh --qemu ${version} --fetch-only)`);
      return;
    }
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    t.diagnostic(r.stderr.trim().split('\n').pop() ?? '');
  });
});
