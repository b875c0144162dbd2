// `cosim init`: the project written from bridge/templates/init.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../../bridge/src/orchestrate/process';
import { initProject } from '../../bridge/src/project/init';
import { loadProject } from '../../bridge/src/project/project';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-init-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const EXPECTED = [
  '.gitignore',
  'README.md',
  'cosim.json',
  'driver/Kbuild',
  'driver/Makefile',
  'driver/my_dev.c',
  'driver/my_dev_uapi.h',
  'rtl/my_dev_dev.sv',
  'rtl/my_dev_dma.sv',
  'rtl/my_dev_top.sv',
  'rtl/rtl.f',
  'tb/my_dev.test.ts',
  'tests/my_dev_test.c',
  'tests/smoke.sh',
];

test('a project is written with every placeholder filled in', () => {
  const dir = path.join(tmp, 'p1');
  const files = initProject(dir, { name: 'my-dev', vendorId: 0x1af4, deviceId: 0xbe, classCode: 0xff0000 });
  assert.deepEqual([...files].sort(), EXPECTED);
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.ok(!text.includes('{{'), `${f} still has a placeholder: ${text.match(/.*\{\{.*/)?.[0]}`);
    assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, f.endsWith('.sh') ? 0o755 : 0o644, `${f}'s mode`);
  }
  const top = fs.readFileSync(path.join(dir, 'rtl/my_dev_top.sv'), 'utf8');
  assert.match(top, /module my_dev_top \(/);
  assert.match(top, /16'h1af4;/);
  assert.match(top, /16'h00be;/);
  assert.match(top, /24'hff0000/);
  assert.match(fs.readFileSync(path.join(dir, 'driver/my_dev_uapi.h'), 'utf8'), /#define MY_DEV_VENDOR_ID\s+0x1af4\n/);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'cosim.json'), 'utf8'));
  assert.equal(json.$schema, path.join(repoRoot, 'bridge', 'schema', 'cosim-project.schema.json'));
  assert.ok(fs.existsSync(json.$schema));
});

test('the written cosim.json loads as a project', () => {
  const dir = path.join(tmp, 'p2');
  initProject(dir, { name: 'loads' });
  const p = loadProject(dir);
  assert.equal(p.name, 'loads');
  assert.equal(p.rtl.top, 'loads_top');
  assert.equal(p.rtl.filelist, path.join(dir, 'rtl', 'rtl.f'));
  assert.deepEqual(p.guest.modules.map((m) => m.path), [path.join(dir, 'driver')]);
  assert.deepEqual(p.guest.tests.map((t) => [t.name, t.command, t.result]), [
    ['loads_test', 'loads_test', 'tap'],
    ['smoke', 'smoke.sh', 'exit'],
  ]);
  assert.deepEqual(p.testbench, [path.join(dir, 'tb', 'loads.test.ts')]);
});

test('an existing folder that is not empty is refused, and left alone', () => {
  const dir = path.join(tmp, 'full');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
  assert.throws(() => initProject(dir, { name: 'full' }), /is not empty: cosim init writes only into a new or empty folder/);
  assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
  const file = path.join(tmp, 'a-file');
  fs.writeFileSync(file, '');
  assert.throws(() => initProject(file, { name: 'x' }), /exists and is not a folder/);
  fs.mkdirSync(path.join(tmp, 'empty'));
  assert.ok(initProject(path.join(tmp, 'empty'), { name: 'empty' }).includes('cosim.json'), 'an empty folder is fine');
});

test('bad ids are refused before anything is written', () => {
  const dir = path.join(tmp, 'ids');
  assert.throws(() => initProject(dir, { vendorId: 0xffff }), /vendor id 0xffff is not in 0\.\.0xfffe/);
  assert.throws(() => initProject(dir, { deviceId: 0x10000 }), /device id 0x10000 is not in 0\.\.0xfffe/);
  assert.throws(() => initProject(dir, { deviceId: -1 }), /device id -1 /);
  assert.throws(() => initProject(dir, { vendorId: 1.5 }), /vendor id 1\.5 /);
  assert.throws(() => initProject(dir, { classCode: 0x1000000 }), /class code 0x1000000 is not a 24-bit value/);
  assert.equal(fs.existsSync(dir), false);
});

test('the name comes from the folder unless given, and must fit the pattern', () => {
  const dir = path.join(tmp, 'My Device.v2');
  initProject(dir);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'cosim.json'), 'utf8'));
  assert.equal(json.name, 'my-device-v2');
  assert.equal(json.rtl.top, 'my_device_v2_top');
  assert.match(fs.readFileSync(path.join(dir, 'rtl/my_device_v2_top.sv'), 'utf8'), /16'h1234;[^]*16'hc0f0;[^]*24'h120000/);
  assert.throws(() => initProject(path.join(tmp, '42'), {}), /cannot make a project name out of the folder name '42': give one with --name/);
  assert.throws(() => initProject(path.join(tmp, 'n'), { name: 'Bad Name' }), /project name 'Bad Name' is not valid/);
  assert.throws(() => initProject(path.join(tmp, 'n'), { name: 'gpu' }), /taken by a built-in project/);
});
