// cosim replay's usage and its bad input that needs no model: exit 2 with
// the reason, before anything is built; regress --wave-on-fail's; and the
// reset length replay repeats is the simulator's.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RESET_CYCLES } from '../../bridge/src/defaults';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { repoRoot, simBinary } from '../helpers';
import { buildTrace } from '../trace-fixture';

const cosim = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), ...args], { encoding: 'utf8' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-replay-cli-'));

test('cosim replay --help describes every option; cosim --help lists replay; regress has --wave-on-fail', () => {
  const r = cosim('replay', '--help');
  assert.equal(r.status, 0, r.stderr);
  for (const o of ['--test', '--name', '--project', '--device', '--define', '--hdl', '--sim', '--wave', '--wave-from', '--wave-to', '--reset-cycles', '--max-cycles', '--log-level']) assert.match(r.stdout, new RegExp(`${o}\\b.*\\S{3,}`), o);
  assert.match(r.stdout, /^Exit status: 0 .*; 1 a divergence .*; 2 usage.*; 125 the RTL does not build/m);
  assert.match(cosim('--help').stdout, /^ {2}replay +Run a trace's device RTL/m);
  assert.match(cosim('regress', '--help').stdout, /--wave-on-fail DIR +give each failing guest test a waveform/);
});

test('bad usage and unreadable traces exit 2 before any build, naming the problem', () => {
  const file = path.join(tmp, 'tiny.trace');
  buildTrace(file, { devices: ['dev0'], records: [{ from: message(MsgType.CONF, { length: 136, payload: Buffer.alloc(136) }) }] });
  const cases: [string[], RegExp][] = [
    [[], /usage: cosim replay TRACE/],
    [[path.join(tmp, 'none.trace')], /none\.trace: cannot read the trace/],
    [[file], /name the RTL to replay: --project DIR, --device NAME, --hdl inproc:MODEL or --sim PATH/],
    [[file, '--hdl', 'inproc:example', '--define', 'X'], /--hdl names the model library itself/],
    [[file, '--device', 'example', '--log-level', 'loud'], /--log-level: 'loud' is not error, warn, info or debug/],
    [[file, '--device', 'example', '--test', 'x'], /no test 'x' in the trace; its tests: none/],
    [[file, '--device', 'example', '--sim', '/bin/true'], /\/bin\/true: not a build of scripts\/build-rtl\.sh/],
    [[file, '--device', 'example', '--max-cycles', 'soon'], /--max-cycles: 'soon' is not a cycle number/],
    [[file, '--device', 'example', '--wave-last', '1000'], /--wave-last: give the waveform file with --wave FILE\.fst/],
    [[file, '--device', 'example', '--wave', path.join(tmp, 'w.fst'), '--wave-last', '1000', '--wave-from', '5'], /--wave-last picks the window itself/],
    [[file, '--device', 'example', '--wave', path.join(tmp, 'w.fst'), '--wave-last', '0'], /--wave-last: 0 cycles make no waveform/],
    [[file, '--device', 'example', '--wave', path.join(tmp, 'w.fst'), '--wave-last', '10', '--snapshot-every', '0'], /--snapshot-every: 0 is not a number of cycles/],
  ];
  for (const [args, err] of cases) {
    const r = cosim('replay', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, err, args.join(' '));
    assert.doesNotMatch(r.stderr, /build-rtl\] building/, 'nothing was built');
  }
});

test('regress --wave-on-fail refuses what it could not replay, before booting', () => {
  let r = cosim('regress', '--device', 'example', '--wave-on-fail', path.join(tmp, 'w'), '--broker', 'ipc:///nonexistent/q.sock', '--skip-testbench');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--wave-on-fail replays the run's RTL, which a broker joined with --broker keeps to itself/);
  r = cosim('regress', '--device', 'example', '--wave-on-fail', path.join(tmp, 'w'), '--sim', '/bin/true', '--skip-testbench');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /\/bin\/true: not a build of scripts\/build-rtl\.sh/);
});

test("replay's reset length is cosim-sim's --reset-cycles default", async () => {
  const help = execFileSync(await simBinary(), ['--help'], { encoding: 'utf8' });
  assert.match(help, new RegExp(`--reset-cycles N +cycles rst_n is held low at start \\(default ${RESET_CYCLES}\\)`));
});
