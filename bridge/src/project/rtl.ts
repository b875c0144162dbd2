// A project's RTL through scripts/build-rtl.sh: the simulator (cosim-sim) or
// the model library the N-API addon loads, cached by the script.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Echo, runBuild } from '../orchestrate/build';
import { repoRoot } from '../orchestrate/process';
import { Project } from './project';

export interface RtlBuildOptions {
  /** The model library (libcosim-model.so) instead of the simulator. */
  lib?: boolean;
  /** Defines on top of the project's, e.g. to build a planted-bug variant. */
  defines?: string[];
  echo?: Echo;
}

/** build-rtl.sh's arguments for a project. */
export function rtlBuildArgs(project: Project, o: RtlBuildOptions = {}): string[] {
  const r = project.rtl;
  const args = ['--top', r.top, '--filelist', r.filelist ?? sourcesList(project)];
  if (o.lib) args.push('--lib');
  for (const d of r.includeDirs) args.push('--incdir', d);
  for (const d of [...r.defines, ...(o.defines ?? [])]) args.push('--define', d);
  for (const f of r.verilatorFlags) args.push('--vflag', f);
  return args;
}

/** `rtl.sources` as a file list of absolute paths, written once per content. */
function sourcesList(project: Project): string {
  const text = `# generated from ${project.file} (rtl.sources)\n${project.rtl.sources!.join('\n')}\n`;
  const file = path.join(repoRoot, 'build', 'projects', project.name, `rtl-${crypto.createHash('sha256').update(text).digest('hex').slice(0, 12)}.f`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return file;
}

const built = new Map<string, Promise<string>>();

/** Builds (or takes from the cache) the project's simulator or model library; one build per process and spec. */
export function buildProjectRtl(project: Project, o: RtlBuildOptions = {}): Promise<string> {
  const args = rtlBuildArgs(project, o);
  const key = args.join('\0');
  let p = built.get(key);
  if (!p) {
    p = runBuild('build-rtl.sh', args, o.echo).catch((e: Error) => {
      built.delete(key);
      throw new Error(`project '${project.name}' (${project.file}): ${e.message}`);
    });
    built.set(key, p);
  }
  return p;
}
