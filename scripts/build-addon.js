#!/usr/bin/env node
// Builds the N-API addon (binding.gyp -> build/Release/cosim_addon.node) with
// node-gyp: npm's `install` script, and a step of scripts/setup.sh.
//
//   node scripts/build-addon.js [--force]
//
// Skipped when the addon is newer than its sources. Uses `node-gyp configure
// build`, never `rebuild`/`clean`: node-gyp's clean deletes the whole build/
// directory, which also holds the cached RTL builds (build/rtl/).
// Node's headers: when this Node has them installed beside it (Debian's
// nodejs puts them in /usr/include/node), --nodedir points there, so nothing
// is downloaded; otherwise node-gyp uses its own cache.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const product = path.join(root, 'build', 'Release', 'cosim_addon.node');
const sources = ['binding.gyp', 'dpi/napi/addon.cc', 'dpi/include/cosim_model.h', 'dpi/include/cosim_shim.h', 'scripts/build-addon.js'].map((f) => path.join(root, f));
const say = (s) => process.stderr.write(`[build-addon] ${s}\n`);

function fresh() {
  if (!fs.existsSync(product)) return false;
  const t = fs.statSync(product).mtimeMs;
  return sources.every((f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs <= t);
}

function nodeGyp() {
  // npm sets this for lifecycle scripts; otherwise node-gyp on PATH, else npm's bundled copy.
  const candidates = [process.env.npm_config_node_gyp];
  const npmDir = path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm');
  candidates.push(path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not installed locally
  }
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, c];
  const onPath = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return [onPath];
  return undefined;
}

function main() {
  if (!process.argv.includes('--force') && fresh()) return 0;
  const gyp = nodeGyp();
  if (!gyp) {
    say('node-gyp not found (it ships with npm); install npm or run `npm i -g node-gyp`');
    return 1;
  }
  const prefix = path.resolve(path.dirname(fs.realpathSync(process.execPath)), '..');
  const args = [];
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${prefix}`);
  }
  say(`building build/Release/cosim_addon.node (${args.join(' ') || 'node-gyp header cache'})`);
  const t0 = Date.now();
  for (const step of [['configure', ...args], ['build', '-j', '2', ...args]]) {
    const r = spawnSync(gyp[0], [...gyp.slice(1), ...step, '--loglevel=warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) {
      say(`node-gyp ${step[0]} failed (${r.error ? r.error.message : `exit ${r.status}`})`);
      return 1;
    }
  }
  if (!fs.existsSync(product)) {
    say(`node-gyp finished but ${product} is missing`);
    return 1;
  }
  fs.utimesSync(product, new Date(), new Date());
  say(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

process.exit(main());
