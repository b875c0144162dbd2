// scripts/run-tests.js: tsc never deletes its output, so dist/ can hold a
// compiled test whose source is gone. It must not run; the script says it
// skipped it. The script runs on a throwaway tree (its root is the folder above its own).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers';

test('a compiled test whose source no longer exists is skipped, with a line saying so', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-run-tests-'));
  try {
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(repoRoot, 'scripts', 'run-tests.js'), path.join(root, 'scripts', 'run-tests.js'));
    const dist = path.join(root, 'dist', 'test', 'unit');
    fs.mkdirSync(dist, { recursive: true });
    fs.mkdirSync(path.join(root, 'test', 'unit'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'kept.test.js'), "require('node:test').test('kept', () => {});\n");
    fs.writeFileSync(path.join(root, 'test', 'unit', 'kept.test.ts'), '');
    fs.writeFileSync(path.join(dist, 'deleted.test.js'), "require('node:test').test('deleted', () => { throw new Error('this test was deleted'); });\n");
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-tests.js')], { encoding: 'utf8', timeout: 60000, env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^run-tests: skipping dist\/test\/unit\/deleted\.test\.js: stale, its source test\/unit\/deleted\.test\.ts no longer exists$/m);
    assert.match(r.stdout, /run-tests: 1 passed, 0 failed/);
    assert.doesNotMatch(r.stdout, /this test was deleted/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
