#!/usr/bin/env node
// Runs every compiled test file with node's test runner, one file at a time:
// the integration tests each start a simulator, and the machine may have only
// two cores. Order: unit, broker, rtl, integration, qemu, system: fast first.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const order = ['unit', 'broker', 'rtl', 'integration', 'qemu', 'system'];
const files = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.test.js')) files.push(p);
  }
};
walk(path.join(root, 'dist', 'test'));
const rank = (f) => {
  const i = order.indexOf(path.basename(path.dirname(f)));
  return i < 0 ? order.length : i;
};
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error('run-tests: no test files found (was the TypeScript build run?)');
  process.exit(1);
}
// A hung test fails at this limit instead of hanging the run (and CI).
const perTestMs = Number(process.env.COSIM_TEST_TIMEOUT_MS || 600000);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', `--test-timeout=${perTestMs}`, '--test-reporter=spec', ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
