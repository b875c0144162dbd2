// cosim.json: validation with the file and the field named, paths made
// absolute, the built-in projects found by their descriptors.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { builtinNames, loadProject, ProjectError, resolveProject } from '../../bridge/src/project/project';
import { checkTestNames, suiteTests } from '../../bridge/src/run/boot';

/** A project folder holding `files` (path -> content) and a cosim.json of `descriptor`. */
function project(descriptor: unknown, files: Record<string, string> = { 'top.sv': 'module top(input clk, input rst_n); endmodule\n' }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-proj-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  fs.writeFileSync(path.join(dir, 'cosim.json'), typeof descriptor === 'string' ? descriptor : JSON.stringify(descriptor));
  return dir;
}

const problems = (dir: string) => {
  try {
    loadProject(dir);
  } catch (e) {
    assert.ok(e instanceof ProjectError, String(e));
    assert.equal(e.file, path.join(dir, 'cosim.json'), 'the error names the file');
    return e.problems;
  }
  assert.fail('descriptor was accepted');
};

const minimal = { name: 'mydev', rtl: { top: 'top', sources: ['top.sv'] } };

test('a minimal descriptor loads with absolute paths and defaults', () => {
  const dir = project(minimal);
  const p = loadProject(dir);
  assert.equal(p.name, 'mydev');
  assert.equal(p.dir, dir);
  assert.deepEqual(p.rtl.sources, [path.join(dir, 'top.sv')]);
  assert.deepEqual(p.guest.tests, []);
  assert.equal(p.builtin, false);
  assert.deepEqual(loadProject(path.join(dir, 'cosim.json')), p, 'the file itself works as well as its folder');
});

test('tests and programs: shorthand strings and defaults', () => {
  const dir = project(
    { ...minimal, guest: { programs: ['t/a.c', { name: 'b', sources: ['t/b.c'] }, { binary: 't/s.sh' }], tests: ['a', { name: 'smoke', command: 's.sh -v', result: 'exit', timeout: 5 }] } },
    { 'top.sv': '', 't/a.c': '', 't/b.c': '', 't/s.sh': '' },
  );
  const p = loadProject(dir);
  assert.deepEqual(p.guest.programs.map((x) => x.name), ['a', 'b', 's.sh']);
  assert.deepEqual(p.guest.tests, [
    { name: 'a', command: 'a', result: 'tap' },
    { name: 'smoke', command: 's.sh -v', timeoutS: 5, result: 'exit' },
  ]);
  assert.deepEqual(suiteTests(p), ['a', 'smoke']);
  checkTestNames(p, ['smoke', 'b']);
  assert.throws(() => checkTestNames(p, ['nope']), /--tests: nope is not a test or program of project 'mydev' \(tests: a, smoke\)/);
});

test('schema errors name the field and what was expected', () => {
  assert.deepEqual(problems(project({ name: 'Bad Name', rtl: { top: 'top', sources: ['top.sv'] } })), ['name: must match pattern "^[a-z][a-z0-9_-]{0,31}$"']);
  assert.deepEqual(problems(project({ name: 'x', rtl: { top: 'top' } })), ['rtl: needs exactly one of "filelist" and "sources"']);
  assert.deepEqual(problems(project({ name: 'x', rtl: { top: 'top', sources: ['top.sv'], filelist: 'a.f' } })), ['rtl: needs exactly one of "filelist" and "sources"']);
  assert.deepEqual(problems(project({ ...minimal, guest: { tests: [{ name: 't', result: 'junit' }] } })), [
    'guest.tests.0.result: must be one of "tap", "exit"',
    'guest.tests.0: must be a test name or {"name": ..., "command": ..., "timeout": ..., "result": "tap"|"exit"}',
  ]);
  assert.deepEqual(problems(project({ ...minimal, qemu: { memory: 16 } })), ['qemu.memory: must be >= 64']);
  assert.deepEqual(problems(project({ ...minimal, rtl: { ...minimal.rtl, color: 'red' } })), ['rtl.color: unknown field']);
  assert.deepEqual(problems(project({ ...minimal, broker: { vendorId: 'sixty' } })), ['broker.vendorId: must be an integer in range or a hex string such as "0x1f"']);
});

test('missing files are named with where they were looked for', () => {
  const dir = project({ ...minimal, guest: { modules: [{ path: 'driver' }], programs: ['t/missing.c'], files: [{ source: 'data.bin', dest: '/etc/data.bin' }] } });
  assert.deepEqual(problems(dir), [
    `guest.modules.0.path: driver not found (looked for ${path.join(dir, 'driver')})`,
    `guest.programs.0: t/missing.c not found (looked for ${path.join(dir, 't/missing.c')})`,
    `guest.files.0.source: data.bin not found (looked for ${path.join(dir, 'data.bin')})`,
  ]);
  const noKbuild = project({ ...minimal, guest: { modules: [{ path: 'driver' }] } }, { 'top.sv': '', 'driver/x.c': '' });
  assert.deepEqual(problems(noKbuild), ['guest.modules.0.path: driver has no Kbuild or Makefile']);
});

test('duplicate names within a project are refused', () => {
  const dir = project({ ...minimal, guest: { programs: ['a.c', 'b/a.c'], tests: ['a', 'a'] } }, { 'top.sv': '', 'a.c': '', 'b/a.c': '' });
  assert.deepEqual(problems(dir), ["guest.programs: 'a' appears twice", "guest.tests: 'a' appears twice"]);
});

test('not JSON, or no descriptor at all', () => {
  assert.match(problems(project('{ "name": '))[0], /^not valid JSON: /);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-proj-'));
  assert.throws(() => loadProject(empty), (e: Error) => e instanceof ProjectError && /no cosim\.json here .*cosim init DIR/.test(e.message));
});

test('the built-in devices are projects found by their descriptors', () => {
  assert.deepEqual(builtinNames().sort(), ['axi_test', 'example', 'gpu']);
  const gpu = resolveProject({ device: 'gpu' });
  assert.equal(gpu.builtin, true);
  assert.equal(gpu.rtl.top, 'gpu_top');
  assert.ok(suiteTests(gpu).length >= 20, suiteTests(gpu).join(' '));
  assert.equal(resolveProject({ defaultDevice: 'example' }).rtl.top, 'cosim_top');
  assert.throws(() => resolveProject({ device: 'nope' }), /--device: 'nope' is not one of axi_test, example, gpu/);
  assert.throws(() => resolveProject({ device: 'gpu', project: '.' }), /give one of them/);
});

test('a project may not take a built-in project\'s name', () => {
  const dir = project({ ...minimal, name: 'gpu' });
  assert.throws(() => resolveProject({ project: dir }), (e: Error) => e instanceof ProjectError && /name: 'gpu' is the name of the built-in project .*hdl\/gpu\/cosim\.json; choose another name/.test(e.message));
});
