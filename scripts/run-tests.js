#!/usr/bin/env node
// Runs every compiled test file with node's test runner, one file at a time:
// the integration tests each start a simulator, and the machine may have only
// two cores. Order: unit, broker, rtl, integration, qemu, system: fast first.
//
// test/qemu runs once per supported QEMU version (scripts/build-qemu.sh
// --list-versions): first against build/qemu/current (10.0.2, the default),
// then again with COSIM_QEMU set to build/qemu/current-<version> for every
// other version (10.2.2); a version without a build is reported and skipped.
// With COSIM_QEMU set, test/qemu runs once, against that binary only.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
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
// tsc never deletes its output: a test whose source was deleted or renamed
// would still run from dist/ (and could pass or fail for code that is gone).
for (const f of files.splice(0)) {
  const source = path.join(root, path.relative(path.join(root, 'dist'), f)).replace(/\.js$/, '.ts');
  if (fs.existsSync(source)) files.push(f);
  else console.log(`run-tests: skipping ${path.relative(root, f)}: stale, its source ${path.relative(root, source)} no longer exists`);
}
const group = (f) => path.basename(path.dirname(f));
const rank = (f) => {
  const i = order.indexOf(group(f));
  return i < 0 ? order.length : i;
};
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
const only = process.argv.slice(2);
// test/debug-kernel needs the debug guest kernel (about 50 minutes to build
// cold): `npm run test:debug-kernel` runs it (`run-tests.js debug-kernel`), plain `npm test` never.
const optIn = ['debug-kernel'];
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files.filter((f) => !optIn.includes(group(f)));
if (selected.length === 0) {
  console.error('run-tests: no test files found (was the TypeScript build run?)');
  process.exit(1);
}
// A hung test fails at this limit instead of hanging the run (and CI).
const perTestMs = Number(process.env.COSIM_TEST_TIMEOUT_MS || 600000);
// And a test file whose tests are done but that left a handle open (a socket,
// a timer, a child) must not keep its process, and the run, alive: node ends
// it once its tests have finished (--test-force-exit, Node >= 20.14).
const [major, minor] = process.versions.node.split('.').map(Number);
const forceExit = major > 20 || (major === 20 && minor >= 14) ? ['--test-force-exit'] : [];
if (!forceExit.length) console.log(`run-tests: node ${process.version} has no --test-force-exit: a test file that leaves a handle open can hang the run`);
// Totals over every group, for one closing line ("N passed, N failed"). A file
// that fails outside its tests (a timeout, a crash while loading) counts no
// test as failed, so such files are counted apart.
const totals = { passed: 0, failed: 0, files: new Set() };
/** Runs one group with node's test runner, its output streamed; resolves to its exit status. */
const run = (list, env) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...forceExit, `--test-timeout=${perTestMs}`, '--test-reporter=spec', ...list], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
      env: { ...process.env, ...env },
    });
    let partial = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop();
      for (const l of lines) {
        const m = /^\u2139 (pass|fail) (\d+)$/.exec(l);
        if (m) totals[m[1] === 'pass' ? 'passed' : 'failed'] += Number(m[2]);
        const file = /^\u2716 (\S+\.test\.js) \(/.exec(l);
        if (file) totals.files.add(path.relative(root, file[1]));
      }
    });
    child.on('close', (code) => resolve(code ?? 1));
  });

/** "10.2.2" from `qemu-system-x86_64 --version`, or undefined. */
function qemuVersionOf(binary) {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return /version (\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1];
}

/** The QEMU binaries test/qemu runs against: [{ label, binary, env }]. */
function qemuRuns() {
  if (process.env.COSIM_QEMU) return [{ binary: process.env.COSIM_QEMU, env: {} }];
  const table = spawnSync('bash', [path.join(root, 'scripts', 'build-qemu.sh'), '--list-versions'], { encoding: 'utf8' });
  const versions = (table.stdout ?? '').split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  if (table.status !== 0 || versions.length === 0) {
    console.error('run-tests: scripts/build-qemu.sh --list-versions failed; test/qemu runs against build/qemu/current only');
    return [{ binary: path.join(root, 'build', 'qemu', 'current'), env: {} }];
  }
  // The first version is the default: build/qemu/current, what qtest.ts takes without COSIM_QEMU.
  return versions.map((v, i) =>
    i === 0
      ? { want: v, binary: path.join(root, 'build', 'qemu', 'current'), env: {} }
      : { want: v, binary: path.join(root, 'build', 'qemu', `current-${v}`), env: { COSIM_QEMU: path.join(root, 'build', 'qemu', `current-${v}`) } },
  );
}

const qemuFiles = selected.filter((f) => group(f) === 'qemu');
const before = selected.filter((f) => rank(f) < order.indexOf('qemu'));
const after = selected.filter((f) => rank(f) > order.indexOf('qemu'));
async function main() {
  const results = [];
  let status = 0;
  if (before.length) status = await run(before, {});
  if (qemuFiles.length) {
    for (const q of qemuRuns()) {
      const name = q.want ? `QEMU ${q.want}` : 'QEMU';
      if (!fs.existsSync(q.binary)) {
        if (q.env.COSIM_QEMU && q.want) {
          console.log(`\nrun-tests: test/qemu against ${name}: SKIPPED, no build at ${q.binary} (scripts/build-qemu.sh --qemu ${q.want}; npm test's setup builds it)\n`);
          results.push(`test/qemu on ${name}: skipped (not built)`);
          continue;
        }
        // The default binary missing: let the tests fail and say so.
      }
      const real = fs.existsSync(q.binary) ? fs.realpathSync(q.binary) : q.binary;
      const got = fs.existsSync(real) ? qemuVersionOf(real) : undefined;
      console.log(`\nrun-tests: test/qemu against QEMU ${got ?? '(unknown version)'}: ${real}\n`);
      const s = await run(qemuFiles, q.env);
      results.push(`test/qemu on QEMU ${got ?? '?'} (${path.relative(root, q.binary) || q.binary}): ${s === 0 ? 'pass' : 'FAIL'}`);
      status ||= s;
    }
  }
  if (after.length) {
    const s = await run(after, {});
    status ||= s;
  }
  if (results.length) console.log(`\nrun-tests:\n${results.map((r) => `  ${r}`).join('\n')}`);
  const files = totals.files.size ? `; ${totals.files.size} test file(s) failed outside their tests: ${[...totals.files].join(', ')}` : '';
  console.log(`\nrun-tests: ${totals.passed} passed, ${totals.failed} failed${files}`);
  process.exit(status || (totals.failed || totals.files.size ? 1 : 0));
}

main();
