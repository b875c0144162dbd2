// A run whose tests all passed but beside which something went wrong (a
// killed simulator, a lost peer, a guest error) did not earn its pass:
// `cosim regress` and `cosim run` answer the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestResult } from '../../bridge/src/run/console';
import { regressPassed, RegressReport } from '../../bridge/src/run/regress';
import { runPassed } from '../../bridge/src/run/run';

const passed: TestResult = { name: 'regs', status: 'pass', ok: 1, notOk: 0, failures: [], comments: [] };
const regress = (problems: string[]): RegressReport => ({ tests: [passed], boots: 1, problems, wallMs: 1, accel: 'tcg', seed: 1 });

test('a problem beside passing tests fails cosim regress, as it fails cosim run', () => {
  for (const problem of ["simulator killed by SIGKILL during the run: ", "hdl peer 'dev0' lost: no PONG", 'guest: modprobe failed']) {
    assert.equal(regressPassed(regress([problem])), false, problem);
    assert.equal(runPassed({ ...regress([problem]), complete: true }), false, problem);
  }
  assert.equal(regressPassed(regress([])), true);
  assert.equal(runPassed({ ...regress([]), complete: true }), true);
});
