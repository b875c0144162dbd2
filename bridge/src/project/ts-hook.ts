// Loaded with `node --require` into a project's testbench tests: runs
// TypeScript test files without a build step (transpiled only, no type check)
// and lets them import this tool as 'qemu-hdl-bridge/testbench' from any
// folder on disk.
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as ts from 'typescript';

const ALIASES: Record<string, string> = {
  'qemu-hdl-bridge/testbench': path.join(__dirname, '..', 'testbench', 'index.js'),
};

type Resolve = (request: string, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolve; _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void> };
const resolve = mod._resolveFilename;
mod._resolveFilename = function (request: string, ...rest: unknown[]) {
  return resolve.call(this, ALIASES[request] ?? request, ...rest);
};
mod._extensions['.ts'] = (m, file) => {
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, inlineSourceMap: true },
  });
  m._compile(out.outputText, file);
};
