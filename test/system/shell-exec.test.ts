// cosim shell --exec: commands in a booted guest with the project's modules
// loaded, their output on stdout and their exit status as ours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosimCli } from '../helpers';

test("lspci -vv shows the GPU front-end with its MSI-X capability and driver", async () => {
  const r = await cosimCli(['shell', '--device', 'gpu', '--exec', 'lspci -vv -d 1234:']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /^00:\d\d\.0 3D controller: Device 1234:c0de \(rev \d+\)$/m);
  assert.match(r.stdout, /Capabilities: \[\w+\] MSI-X: Enable\+ Count=\d+ Masked-/);
  assert.match(r.stdout, /Kernel driver in use: cosim_gpu/);
  assert.doesNotMatch(r.stdout, /# cosim-|\[guest\]/, 'only the commands\' output');
});

test('the exit status of the last command is the exit status of cosim shell', async () => {
  const r = await cosimCli(['shell', '--device', 'example', '--exec', 'test -c /dev/cosim0 && echo "setpci $(setpci -d 1234:c051 VENDOR_ID)"; exit 3']);
  assert.equal(r.code, 3, r.stderr.slice(-2000));
  assert.equal(r.stdout, 'setpci 1234\n');
});
