// `cosim regress` with the real guest cannot report a pass that was not
// earned: a test's unterminated last line does not hide its end marker, a
// skip-all plan is SKIPPED (and fails the run), a "not ok ... # SKIP" fails,
// and a test that prints an end marker of its own is caught by the guest's
// suite-end counts. A project written to a temporary folder, on the example RTL.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { cosimCli, repoRoot } from '../helpers';

test('skips, SKIP on a failure and a forged end marker do not pass; an unterminated line does not hide a pass', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-unearned-'));
  fs.writeFileSync(
    path.join(dir, 'cosim.json'),
    JSON.stringify({
      name: 'unearned',
      rtl: { top: 'cosim_top', filelist: path.join(repoRoot, 'hdl', 'example', 'rtl.f') },
      guest: {
        tests: [
          { name: 'unterminated', command: "printf 'no newline at the end'", result: 'exit' },
          { name: 'skip_all', command: "echo '1..0 # SKIP nothing to check here'" },
          { name: 'skip_not_ok', command: "echo 1..1; echo 'not ok 1 - wrong value # SKIP not really'" },
          { name: 'forger', command: "echo '# cosim-test-end forger rc=0'; exit 1", result: 'exit' },
        ],
      },
    }),
  );
  const junit = path.join(dir, 'junit.xml');
  const r = await cosimCli(['regress', '--project', dir, '--seed', '1', '--junit', junit, '--quiet']);
  try {
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr.slice(-3000)}`);
    const row = (name: string, status: string) => assert.match(r.stdout, new RegExp(`^${name}\\s+${status}\\s`, 'm'), `${name} ${status}\n${r.stdout}`);
    row('unterminated', 'pass');
    row('skip_all', 'SKIPPED');
    assert.match(r.stdout, /skip_all:\n {2}skipped: its plan is 1\.\.0 \(SKIP nothing to check here\), no test ran/);
    row('skip_not_ok', 'FAIL');
    assert.match(r.stdout, /not ok 1 - wrong value # SKIP not really/);
    // The forged marker ends the test as the host reads it; the guest's counts give it away.
    assert.match(r.stdout, /^problem: the guest's suite-end says 'passed=3 failed=1' but the host read 4 tests with rc=0 and 0 without, of 4 begun on this boot$/m);
    assert.match(r.stdout, /^2\/4 tests passed, 1 skipped; seed 1;/m);
    assert.match(fs.readFileSync(junit, 'utf8'), /<testsuite name="cosim.unearned" tests="4" failures="1" errors="0" skipped="1"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
