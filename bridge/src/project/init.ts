// `cosim init DIR`: a new device project that works at once, written from the
// template folder bridge/templates/init, whose file names and contents carry
// {{PLACEHOLDERS}}.
import * as fs from 'node:fs';
import * as path from 'node:path';
import projectSchema from '../../schema/cosim-project.schema.json';
import { repoRoot } from '../orchestrate/process';
import { builtinNames } from './project';

export const TEMPLATE_DIR = path.join(repoRoot, 'bridge', 'templates', 'init');
const SCHEMA = path.join(repoRoot, 'bridge', 'schema', 'cosim-project.schema.json');

const NAME_RE = new RegExp(projectSchema.properties.name.pattern);

export interface InitOptions {
  name?: string;
  vendorId?: number;
  deviceId?: number;
  classCode?: number;
}

const INIT_DEFAULTS = { vendorId: 0x1234, deviceId: 0xc0f0, classCode: 0x120000 } as const;

/**
 * Creates the project in `dir` (which must not exist or be empty) and
 * returns the files written, relative to it. Throws an Error saying why
 * when it cannot; nothing is written then.
 */
export function initProject(dir: string, o: InitOptions = {}): string[] {
  const root = path.resolve(dir);
  if (fs.existsSync(root)) {
    if (!fs.statSync(root).isDirectory()) throw new Error(`${root} exists and is not a folder`);
    if (fs.readdirSync(root).length > 0) throw new Error(`${root} is not empty: cosim init writes only into a new or empty folder`);
  }
  const name = o.name ?? nameFrom(root);
  if (!NAME_RE.test(name)) {
    throw new Error(`project name '${name}' is not valid: lower case letters, digits, '_' and '-', starting with a letter, at most 32 characters`);
  }
  if (builtinNames().includes(name)) throw new Error(`project name '${name}' is taken by a built-in project; choose another (--name)`);
  const vendorId = id('vendor id', o.vendorId ?? INIT_DEFAULTS.vendorId);
  const deviceId = id('device id', o.deviceId ?? INIT_DEFAULTS.deviceId);
  const classCode = o.classCode ?? INIT_DEFAULTS.classCode;
  if (!Number.isInteger(classCode) || classCode < 0 || classCode > 0xffffff) throw new Error(`class code ${show(classCode)} is not a 24-bit value`);

  const nameC = name.replace(/-/g, '_');
  const values: Record<string, string> = {
    NAME: name,
    NAME_C: nameC,
    NAME_UC: nameC.toUpperCase(),
    VENDOR_ID: hex(vendorId, 4),
    DEVICE_ID: hex(deviceId, 4),
    CLASS: hex(classCode, 6),
    // Only ever inside a JSON string (cosim.json's "$schema").
    SCHEMA: JSON.stringify(SCHEMA).slice(1, -1),
  };
  const fill = (text: string, where: string) =>
    text.replace(/\{\{([A-Z_]+)\}\}/g, (m, key: string) => {
      const v = values[key];
      if (v === undefined) throw new Error(`template ${where}: unknown placeholder ${m}`);
      return v;
    });

  // Everything is filled in before anything is written.
  const out = templateFiles(TEMPLATE_DIR).map((rel) => {
    const src = path.join(TEMPLATE_DIR, rel);
    return {
      rel: fill(rel, rel),
      text: fill(fs.readFileSync(src, 'utf8'), rel),
      mode: fs.statSync(src).mode & 0o111 ? 0o755 : 0o644,
    };
  });
  for (const f of out) {
    const file = path.join(root, f.rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.text);
    fs.chmodSync(file, f.mode); // exact, whatever the umask
  }
  return out.map((f) => f.rel.split(path.sep).join('/'));
}

/** The folder's name made into a project name: lower case, other characters to '-'. */
function nameFrom(root: string): string {
  const base = path.basename(root);
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 32)
    .replace(/[-_]+$/, '');
  if (!NAME_RE.test(name)) throw new Error(`cannot make a project name out of the folder name '${base}': give one with --name (lower case letters, digits, '_' and '-', starting with a letter)`);
  return name;
}

function id(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xfffe) throw new Error(`${what} ${show(v)} is not in 0..0xfffe (0xffff means "no device" to PCI)`);
  return v;
}

function show(v: number): string {
  return Number.isInteger(v) && v >= 0 ? `0x${v.toString(16)}` : String(v);
}

function hex(v: number, digits: number): string {
  return v.toString(16).padStart(digits, '0');
}

/** Every file under dir, relative, sorted. */
function templateFiles(dir: string, sub = ''): string[] {
  return fs
    .readdirSync(path.join(dir, sub), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? templateFiles(dir, path.join(sub, e.name)) : [path.join(sub, e.name)]));
}
