// A project kept outside this repository, changing no file of it: RTL from
// third-party AXI IP in Verilog-2001, no kernel module, a shell-script test
// that uses setpci and devmem (test/projects/axi-ram, copied elsewhere).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cosimCli, repoRoot } from '../helpers';

test('a project copied out of the repository passes its testbench and guest tests', async (t) => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-outside-')), 'axi-ram');
  fs.cpSync(path.join(repoRoot, 'test', 'projects', 'axi-ram'), dir, { recursive: true });
  const r = await cosimCli(['regress', '--project', dir, '--seed', '1', '--quiet']);
  t.diagnostic(r.stdout.trim().split('\n').at(-1) ?? '');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-3000)}`);
  assert.match(r.stdout, /^tb:tb\/axi_ram\.test\.ts\s+pass\s/m);
  assert.match(r.stdout, /^ram\s+pass\s/m);
});
