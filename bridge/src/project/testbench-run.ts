// A project's host-side testbench tests (cosim.json "testbench"): each file
// runs under node's test runner with the TypeScript hook, and becomes one row
// of the regression, read from its TAP output like a guest test.
import * as path from 'node:path';
import { Proc } from '../orchestrate/process';
import { progressLine } from '../run/boot';
import { ConsoleParser, TestResult } from '../run/console';
import { Project } from './project';

/** The regression's name of each testbench file. */
export function testbenchNames(project: Project): string[] {
  return project.testbench.map((f) => `tb:${path.relative(project.dir, f)}`);
}

export async function runTestbench(project: Project, names: string[], o: { timeoutS: number; echo: (l: string) => void; progress: (l: string) => void }): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const [i, file] of project.testbench.entries()) {
    const name = testbenchNames(project)[i];
    if (!names.includes(name)) continue;
    const parser = new ConsoleParser();
    parser.line(`# cosim-test-begin ${name}`);
    const p = new Proc(name, process.execPath, ['--require', path.join(__dirname, 'ts-hook.js'), '--test', '--test-reporter=tap', file], {
      cwd: project.dir,
      // Under a test runner already (cosim regress from a test), node would report to it instead of printing TAP.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      echo: (l) => {
        parser.line(l);
        o.echo(`[${name}] ${l}`);
      },
    });
    const kill = setTimeout(() => {
      parser.line(`not ok - ${name} # timeout after ${o.timeoutS}s`);
      void p.stop(1000);
    }, o.timeoutS * 1000);
    const exit = await p.exited;
    clearTimeout(kill);
    parser.line(`# cosim-test-end ${name} rc=${exit.code ?? 124}`);
    const t = parser.tests[0];
    if (t.status !== 'pass' && t.failures.length === 0) t.failures.push(...p.stderrTail.slice(-5));
    o.progress(progressLine(t));
    results.push(t);
  }
  return results;
}
