// Device projects: a folder with a cosim.json (bridge/schema/cosim-project.schema.json)
// that names a design's RTL, its guest part, QEMU options and broker
// overrides. Every command takes one; the built-in designs are projects too,
// found by their descriptors under hdl/ (the only table of devices).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import configSchema from '../../schema/cosim-config.schema.json';
import schema from '../../schema/cosim-project.schema.json';
import { DeviceOverride, readJsonFile, schemaProblems } from '../broker/config';
import { repoRoot } from '../orchestrate/process';

export const DESCRIPTOR = 'cosim.json';

export interface ProjectModule {
  /** A Kbuild folder or a .ko file (absolute). */
  path: string;
  kind: 'source' | 'prebuilt';
  /** The module's name in the guest (file name without .ko). */
  name: string;
  params: string;
  load: boolean;
}

export interface ProjectProgram {
  name: string;
  /** C sources (absolute), or undefined for a prebuilt binary. */
  sources?: string[];
  binary?: string;
}

export interface ProjectTest {
  name: string;
  command: string;
  timeoutS?: number;
  result: 'tap' | 'exit';
}

export interface CompareWorkload {
  name: string;
  command: string;
  timeoutS?: number;
}

export interface ProjectGuest {
  modules: ProjectModule[];
  cflags: string[];
  includeDirs: string[];
  library: string[];
  programs: ProjectProgram[];
  files: { source: string; dest: string; mode?: number }[];
  setup: string[];
  tests: ProjectTest[];
}

/** A loaded descriptor with every path made absolute and every default filled in. */
export interface Project {
  name: string;
  description?: string;
  /** The folder holding the descriptor. */
  dir: string;
  /** The descriptor's path. */
  file: string;
  builtin: boolean;
  rtl: {
    top: string;
    filelist?: string;
    sources?: string[];
    includeDirs: string[];
    defines: string[];
    verilatorFlags: string[];
    plusargs: string[];
  };
  guest: ProjectGuest;
  /** Host-side testbench test files (absolute). */
  testbench: string[];
  qemu: { memoryMb?: number; cpus?: number; args: string[]; kernelArgs?: string };
  broker?: DeviceOverride;
  /** What `cosim compare` runs in both VMs. */
  compare: CompareWorkload[];
}

export class ProjectError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ProjectError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(configSchema);
const validate = ajv.compile(schema);

const ONE_OF: [RegExp, string][] = [
  [/^rtl$/, 'needs exactly one of "filelist" and "sources"'],
  [/^guest\.programs\.\d+$/, 'must be a C source path ending in .c, {"sources": [...]} or {"binary": PATH}'],
  [/^guest\.tests\.\d+$/, 'must be a test name or {"name": ..., "command": ..., "timeout": ..., "result": "tap"|"exit"}'],
];
function oneOfText(field: string): string | undefined {
  return ONE_OF.find(([re]) => re.test(field))?.[1];
}

type Raw = {
  name: string;
  description?: string;
  rtl: { top: string; filelist?: string; sources?: string[]; includeDirs?: string[]; defines?: string[]; verilatorFlags?: string[]; plusargs?: string[] };
  guest?: {
    modules?: { path: string; params?: string; load?: boolean }[];
    cflags?: string[];
    includeDirs?: string[];
    library?: string[];
    programs?: (string | { name?: string; sources: string[] } | { name?: string; binary: string })[];
    files?: { source: string; dest: string; mode?: string }[];
    setup?: string[];
    tests?: (string | { name: string; command?: string; timeout?: number; result?: 'tap' | 'exit' })[];
  };
  testbench?: string[];
  qemu?: { memory?: number; cpus?: number; args?: string[]; kernelArgs?: string };
  broker?: DeviceOverride;
  compare?: { workloads?: { name: string; command: string; timeout?: number }[] };
};

/** The descriptor of a folder, or the file itself. */
export function descriptorPath(spec: string): string {
  const p = path.resolve(spec);
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return path.join(p, DESCRIPTOR);
  return p;
}

export function loadProject(spec: string): Project {
  const file = descriptorPath(spec);
  const missing = `no ${DESCRIPTOR} here (a device project is a folder holding one; 'cosim init DIR' creates one)`;
  return parseProject(readJsonFile(file, (t) => new ProjectError(file, [t]), missing), file);
}

export function parseProject(json: unknown, file: string): Project {
  if (!validate(json)) throw new ProjectError(file, schemaProblems(validate.errors ?? [], oneOfText));
  const raw = json as Raw;
  const dir = path.dirname(file);
  const problems: string[] = [];
  const abs = (field: string, p: string, kind: 'file' | 'dir' | 'any' = 'file') => {
    const a = path.resolve(dir, p);
    if (!fs.existsSync(a)) problems.push(`${field}: ${p} not found (looked for ${a})`);
    else if (kind === 'file' && !fs.statSync(a).isFile()) problems.push(`${field}: ${p} is not a file`);
    else if (kind === 'dir' && !fs.statSync(a).isDirectory()) problems.push(`${field}: ${p} is not a folder`);
    return a;
  };
  const list = (field: string, ps: string[] | undefined, kind: 'file' | 'dir' = 'file') => (ps ?? []).map((p, i) => abs(`${field}.${i}`, p, kind));

  const rtl = raw.rtl;
  const g = raw.guest ?? {};
  const modules: ProjectModule[] = (g.modules ?? []).map((m, i) => {
    const p = abs(`guest.modules.${i}.path`, m.path, 'any');
    const prebuilt = p.endsWith('.ko');
    if (!prebuilt && fs.existsSync(p) && !fs.statSync(p).isDirectory()) problems.push(`guest.modules.${i}.path: ${m.path} is neither a folder with a Kbuild nor a .ko file`);
    if (!prebuilt && fs.existsSync(p) && fs.statSync(p).isDirectory() && !['Kbuild', 'Makefile'].some((f) => fs.existsSync(path.join(p, f)))) {
      problems.push(`guest.modules.${i}.path: ${m.path} has no Kbuild or Makefile`);
    }
    return { path: p, kind: prebuilt ? 'prebuilt' : 'source', name: prebuilt ? path.basename(p, '.ko') : '', params: m.params ?? '', load: m.load ?? true };
  });
  const programs: ProjectProgram[] = (g.programs ?? []).map((p, i) => {
    const field = `guest.programs.${i}`;
    if (typeof p === 'string') return { name: path.basename(p, '.c'), sources: [abs(field, p)] };
    if ('binary' in p) return { name: p.name ?? path.basename(p.binary), binary: abs(`${field}.binary`, p.binary) };
    return { name: p.name ?? path.basename(p.sources[0], '.c'), sources: list(`${field}.sources`, p.sources) };
  });
  dupes('guest.programs', programs.map((p) => p.name), problems);
  const tests: ProjectTest[] = (g.tests ?? []).map((t) =>
    typeof t === 'string' ? { name: t, command: t, result: 'tap' } : { name: t.name, command: t.command ?? t.name, timeoutS: t.timeout, result: t.result ?? 'tap' },
  );
  dupes('guest.tests', tests.map((t) => t.name), problems);
  const files = (g.files ?? []).map((f, i) => ({ source: abs(`guest.files.${i}.source`, f.source), dest: f.dest, mode: f.mode !== undefined ? parseInt(f.mode, 8) : undefined }));
  dupes('guest.files', files.map((f) => f.dest), problems);

  const project: Project = {
    name: raw.name,
    description: raw.description,
    dir,
    file,
    builtin: isBuiltinPath(file),
    rtl: {
      top: rtl.top,
      filelist: rtl.filelist !== undefined ? abs('rtl.filelist', rtl.filelist) : undefined,
      sources: rtl.sources !== undefined ? list('rtl.sources', rtl.sources) : undefined,
      includeDirs: list('rtl.includeDirs', rtl.includeDirs, 'dir'),
      defines: rtl.defines ?? [],
      verilatorFlags: rtl.verilatorFlags ?? [],
      plusargs: rtl.plusargs ?? [],
    },
    guest: {
      modules,
      cflags: g.cflags ?? [],
      includeDirs: list('guest.includeDirs', g.includeDirs, 'dir'),
      library: list('guest.library', g.library),
      programs,
      files,
      setup: g.setup ?? [],
      tests,
    },
    testbench: list('testbench', raw.testbench),
    qemu: { memoryMb: raw.qemu?.memory, cpus: raw.qemu?.cpus, args: raw.qemu?.args ?? [], kernelArgs: raw.qemu?.kernelArgs },
    broker: raw.broker,
    compare: (raw.compare?.workloads ?? []).map((w) => ({ name: w.name, command: w.command, timeoutS: w.timeout })),
  };
  dupes('compare.workloads', project.compare.map((w) => w.name), problems);
  if (problems.length) throw new ProjectError(file, problems);
  return project;
}

function dupes(field: string, names: string[], problems: string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) problems.push(`${field}: '${n}' appears twice`);
    seen.add(n);
  }
}

/** Where the built-in projects live: one folder per design under hdl/. */
const BUILTIN_ROOT = path.join(repoRoot, 'hdl');

function isBuiltinPath(file: string): boolean {
  return path.dirname(path.dirname(file)) === BUILTIN_ROOT;
}

/** The built-in projects by name (hdl/<folder>/cosim.json). Two with one name are refused. */
export function builtinProjects(): Map<string, string> {
  const found = new Map<string, string>();
  for (const d of fs.readdirSync(BUILTIN_ROOT).sort()) {
    const file = path.join(BUILTIN_ROOT, d, DESCRIPTOR);
    if (!fs.existsSync(file)) continue;
    const name = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name ?? d;
    const other = found.get(name);
    if (other) throw new ProjectError(file, [`name: '${name}' is also the name of ${other}; project names must be unique`]);
    found.set(name, file);
  }
  return found;
}

export function builtinNames(): string[] {
  return [...builtinProjects().keys()].sort();
}

/**
 * The project a command works on: `--project DIR` (a folder or a cosim.json)
 * or `--device NAME` (a built-in project), never both.
 */
export function resolveProject(o: { project?: string; device?: string; defaultDevice?: string }): Project {
  if (o.project !== undefined && o.device !== undefined) throw new Error('--project and --device name the same thing: give one of them');
  if (o.project !== undefined) {
    const p = loadProject(o.project);
    const same = builtinProjects().get(p.name);
    if (same && same !== p.file) throw new ProjectError(p.file, [`name: '${p.name}' is the name of the built-in project ${same}; choose another name`]);
    return p;
  }
  const name = o.device ?? o.defaultDevice;
  if (name === undefined) throw new Error('no project: give --project DIR or --device NAME');
  const file = builtinProjects().get(name);
  if (!file) throw new Error(`--device: '${name}' is not one of ${builtinNames().join(', ')} (or give --project DIR)`);
  return loadProject(file);
}
