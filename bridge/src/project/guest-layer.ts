// A project's guest layer: its kernel modules (built against the guest
// kernel's headers), programs (static, for the guest), files, setup and test
// table, packed as a second initramfs archive after the shared base
// (scripts/build-guest.sh). The kernel unpacks both into one root, so
// the base is built once and each project adds only its own part. Cached in
// build/projects/<name>/<hash>/ by a hash of every input.
//
// With the debug kernel (--kernel debug, scripts/build-debug-kernel.sh) the
// image boots that kernel instead, the modules are built against its tree,
// and its /lib/modules index goes between the base and the layer.
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDebugKernel, buildGuest, Echo } from '../orchestrate/build';
import { repoRoot } from '../orchestrate/process';
import { Project } from './project';

/** Which kernel the guest boots: Debian's (stock) or the debug build of the same version. */
export type GuestKernel = 'stock' | 'debug';
export const GUEST_KERNELS: readonly GuestKernel[] = ['stock', 'debug'];

export interface GuestImage {
  kernel: string;
  /** The kernel's folder (build-info.txt, kernel.config): the base's for stock. */
  kernelDir?: string;
  /** The base archive followed by the project's layer. */
  initrd: string;
  /** The base image folder (build-info.txt, kernel.config). */
  base: string;
}

export class GuestBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestBuildError';
  }
}

interface Cmd {
  code: number;
  out: string;
}

function sh(cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<Cmd> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const exit = (err as { code?: unknown } | null)?.code;
      // A string code (ENOENT, ...) means the command could not start at all.
      resolve({ code: err ? (typeof exit === 'number' ? exit : 127) : 0, out: `${stdout}${stderr}${typeof exit === 'string' ? err!.message : ''}` });
    });
  });
}

/** The compiler's diagnostics, without the make chatter around them. */
function errorLines(out: string): string {
  const lines = out.split('\n');
  const errs = lines.filter((l) => /error|undefined reference|No such file|fatal|\*\*\*/i.test(l));
  return (errs.length ? errs : lines.slice(-15)).slice(0, 25).join('\n');
}

export function readBuildInfo(base: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const l of fs.readFileSync(path.join(base, 'build-info.txt'), 'utf8').split('\n')) {
    const i = l.indexOf('=');
    if (i > 0) info[l.slice(0, i)] = l.slice(i + 1);
  }
  return info;
}

function filesUnder(p: string): string[] {
  if (!fs.existsSync(p)) return [];
  if (fs.statSync(p).isFile()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .filter((e) => !/\.(o|ko|mod|mod\.c|cmd|swp)$|^(Module\.symvers|modules\.order)$|^\./.test(e.name))
    .flatMap((e) => filesUnder(path.join(p, e.name)))
    .sort();
}

function layerHash(project: Project, baseHash: string, gcc: string): string {
  const g = project.guest;
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify({ baseHash, gcc, guest: g, builder: fs.readFileSync(__filename, 'utf8') }));
  const inputs = [
    ...g.modules.flatMap((m) => filesUnder(m.path)),
    ...g.includeDirs.flatMap((d) => filesUnder(d)),
    ...g.library,
    ...g.programs.flatMap((p) => p.sources ?? [p.binary!]),
    ...g.files.map((f) => f.source),
  ];
  for (const f of inputs) h.update(`${f}\0`).update(fs.readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Builds (or takes from the cache) the base image, the debug kernel when asked for, and the project's layer. */
export async function buildGuestImage(project: Project, echo: Echo, kernel: GuestKernel = 'stock'): Promise<GuestImage> {
  const base = await buildGuest(echo);
  const kernelDir = kernel === 'debug' ? await buildDebugKernel(echo) : base;
  const info = readBuildInfo(kernelDir);
  const baseHash = readBuildInfo(base).hash ?? path.basename(base);
  const gcc = (await sh('gcc', ['--version'])).out.split('\n')[0];
  const hash = layerHash(project, kernel === 'debug' ? `${baseHash}+debug-${info.hash ?? path.basename(kernelDir)}` : baseHash, gcc);
  const outRoot = path.join(repoRoot, 'build', 'projects', project.name);
  const out = path.join(outRoot, hash);
  // vmlinux: the kernel already decompressed, which QEMU starts at its PVH
  // entry; the bzImage's decompressor would cost seconds under TCG.
  const elf = path.join(kernelDir, 'vmlinux');
  const kernelFile = fs.existsSync(elf) ? elf : path.join(kernelDir, 'vmlinuz');
  const image = { kernel: kernelFile, kernelDir, initrd: path.join(out, 'initramfs.cpio.lz4'), base };
  if (fs.existsSync(image.initrd)) return image;

  fs.mkdirSync(outRoot, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(outRoot, `.tmp-${hash}-`));
  try {
    const t0 = Date.now();
    echo(`building the guest layer of '${project.name}' (${hash}${kernel === 'debug' ? ', debug kernel' : ''})`);
    const root = path.join(tmp, 'root');
    await assembleLayer(project, info, tmp, root);
    const layer = path.join(tmp, 'layer.cpio.lz4');
    const pack = await sh('sh', ['-c', `find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --reproducible --owner=0:0 --quiet | lz4 -l -9 -q > '${layer}'`], root);
    if (pack.code !== 0) throw new GuestBuildError(`packing the guest layer failed: ${pack.out}`);
    fs.mkdirSync(path.join(tmp, 'out'));
    const kernelLayer = kernel === 'debug' ? [fs.readFileSync(path.join(kernelDir, 'modules.cpio.gz'))] : [];
    fs.writeFileSync(path.join(tmp, 'out', 'initramfs.cpio.lz4'), Buffer.concat([fs.readFileSync(path.join(base, 'initramfs.cpio.lz4')), ...kernelLayer, fs.readFileSync(layer)]));
    fs.writeFileSync(path.join(tmp, 'out', 'layer.txt'), `project=${project.name}\ndescriptor=${project.file}\nbase=${base}\nkernel=${kernel} ${kernelDir}\n`);
    try {
      fs.renameSync(path.join(tmp, 'out'), out);
    } catch (e) {
      if (!fs.existsSync(image.initrd)) throw e; // another build published the same hash first
    }
    echo(`built the guest layer of '${project.name}' in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return image;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function assembleLayer(project: Project, info: Record<string, string>, tmp: string, root: string): Promise<void> {
  const g = project.guest;
  const P = path.join(root, 'cosim', 'project');
  for (const d of [P, path.join(root, 'cosim', 'bin'), path.join(root, 'cosim', 'modules'), path.join(P, 'setup.d'), path.join(P, 'tests')]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(P, 'name'), `${project.name}\n`);

  // Modules, in load order.
  const manifest: string[] = [];
  for (const [i, m] of g.modules.entries()) {
    const kos = m.kind === 'prebuilt' ? [m.path] : await buildModule(m.path, path.join(tmp, `module-${i}`), info, g.includeDirs);
    for (const ko of kos) {
      await checkVermagic(ko, info.kernel_abi);
      const file = path.basename(ko);
      fs.copyFileSync(ko, path.join(root, 'cosim', 'modules', file));
      if (m.load) manifest.push(`${file}${m.params ? ` ${m.params}` : ''}`);
    }
  }
  fs.writeFileSync(path.join(P, 'modules'), manifest.map((l) => `${l}\n`).join(''));

  // Programs: the library once, then each program linked with it.
  const cflags = ['-O2', '-Wall', '-Wextra', ...g.includeDirs.map((d) => `-I${d}`), ...g.cflags];
  const objs: string[] = [];
  for (const [i, src] of g.library.entries()) {
    const o = path.join(tmp, `lib-${i}.o`);
    const r = await sh('gcc', [...cflags, '-c', '-o', o, src]);
    if (r.code !== 0) throw new GuestBuildError(`guest.library: ${src} failed to build:\n${errorLines(r.out)}`);
    objs.push(o);
  }
  for (const p of g.programs) {
    const dest = path.join(root, 'cosim', 'bin', p.name);
    if (p.binary) {
      fs.copyFileSync(p.binary, dest);
      fs.chmodSync(dest, 0o755);
      continue;
    }
    const r = await sh('gcc', ['-static', '-s', ...cflags, '-o', dest, ...p.sources!, ...objs]);
    if (r.code !== 0) throw new GuestBuildError(`guest program '${p.name}' failed to build:\n${errorLines(r.out)}`);
  }

  for (const f of g.files) {
    const dest = path.join(root, f.dest);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(f.source, dest);
    fs.chmodSync(dest, f.mode ?? (fs.statSync(f.source).mode & 0o111 ? 0o755 : 0o644));
  }
  g.setup.forEach((cmd, i) => fs.writeFileSync(path.join(P, 'setup.d', String(i).padStart(3, '0')), `${cmd}\n`));
  fs.writeFileSync(path.join(P, 'suite'), g.tests.map((t) => `${t.name}\n`).join(''));
  for (const t of g.tests) {
    const d = path.join(P, 'tests', t.name);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'command'), `${t.command}\n`);
    if (t.timeoutS !== undefined) fs.writeFileSync(path.join(d, 'timeout'), `${t.timeoutS}\n`);
  }
}

/** Builds a Kbuild folder in a copy (the source folder stays clean); returns its .ko files. */
async function buildModule(src: string, dir: string, info: Record<string, string>, includeDirs: string[]): Promise<string[]> {
  fs.cpSync(src, dir, { recursive: true, dereference: true, filter: (f) => !/\.(o|ko|mod|mod\.c|cmd)$/.test(f) });
  const kdir = info.headers;
  if (!kdir || !fs.existsSync(path.join(kdir, 'Makefile'))) throw new GuestBuildError(`no guest kernel headers at '${kdir}' (scripts/build-guest.sh installs them; scripts/build-debug-kernel.sh builds the debug kernel's tree)`);
  const r = await sh('make', ['-C', kdir, `M=${dir}`, 'modules', `KCFLAGS=${includeDirs.map((d) => `-I${d}`).join(' ')}`]);
  if (r.code !== 0) throw new GuestBuildError(`kernel module ${src} failed to build against ${kdir}:\n${errorLines(r.out)}`);
  const kos = fs.readdirSync(dir).filter((f) => f.endsWith('.ko')).sort();
  if (kos.length === 0) throw new GuestBuildError(`kernel module ${src}: the build made no .ko file (does its Kbuild set obj-m?)`);
  return kos.map((k) => path.join(dir, k));
}

async function checkVermagic(ko: string, release: string | undefined): Promise<void> {
  const r = await sh('modinfo', ['-F', 'vermagic', ko]);
  const vermagic = r.out.trim();
  if (r.code !== 0) throw new GuestBuildError(`${ko}: not a kernel module (${vermagic})`);
  if (release && !vermagic.startsWith(`${release} `)) throw new GuestBuildError(`${ko}: built for kernel '${vermagic.split(' ')[0]}', the guest runs ${release}`);
}
