// scripts/run-tests.js: a test file whose tests have finished but that left a
// handle open (here a timer) must not keep the run alive. The script runs on
// a throwaway tree: its root is the folder above its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers';

// A finished file ends in about a second; without a forced exit it would run until killed here.
const HANG_LIMIT_MS = 30000;

test('a test file that leaves a timer running does not hang the run', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-run-tests-'));
  try {
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(repoRoot, 'scripts', 'run-tests.js'), path.join(root, 'scripts', 'run-tests.js'));
    fs.mkdirSync(path.join(root, 'dist', 'test', 'unit'), { recursive: true });
    fs.mkdirSync(path.join(root, 'test', 'unit'), { recursive: true });
    fs.writeFileSync(path.join(root, 'dist', 'test', 'unit', 'leaky.test.js'), "require('node:test').test('passes, leaves a timer', () => { setInterval(() => {}, 1000); });\n");
    fs.writeFileSync(path.join(root, 'test', 'unit', 'leaky.test.ts'), '');
    // The per-test timeout stays above the limit: it is not what ends the file.
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-tests.js')], { encoding: 'utf8', timeout: HANG_LIMIT_MS, env: { ...process.env, COSIM_TEST_TIMEOUT_MS: String(HANG_LIMIT_MS * 4), NODE_TEST_CONTEXT: undefined } });
    assert.equal(r.signal, null, `run-tests was still running after ${HANG_LIMIT_MS} ms:\n${r.stdout}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /run-tests: 1 passed, 0 failed/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
