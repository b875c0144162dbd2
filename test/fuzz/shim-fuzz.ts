// The shim fuzzer: dpi/fuzz/fuzz_q_push.c, a libFuzzer harness around the
// shim's inbound decoder cosim_q_push (dpi/shim/cosim_queue.c), built with
// Debian's clang and -fsanitize=fuzzer,address,undefined, seeded from the
// golden vectors (test/golden/*.bin) and the regression inputs in
// dpi/fuzz/corpus/. libFuzzer's -runs bounds it; it stops at the first crash
// and writes the input to the crash folder.
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { endLine, FuzzOptions, FuzzResult, rate } from './common';
import { goldenDir, srcRoot } from './frames';

const FLAGS = ['-g', '-O1', '-std=c11', '-D_POSIX_C_SOURCE=200809L', '-Wall', '-Wextra', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

/** Debian 12's clang (package clang-14, or clang), or another one on PATH. */
export function findClang(): string {
  for (const c of ['clang-14', 'clang', 'clang-15', 'clang-16', 'clang-17', 'clang-18', 'clang-19']) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  throw new Error('no clang found: the shim fuzzer needs clang and its libFuzzer runtime (apt-get install clang-14 libclang-rt-14-dev; scripts/setup.sh does)');
}

/** Builds the harness when its sources, headers or compiler changed; returns its path. */
export function buildShimFuzzer(): string {
  const root = srcRoot();
  const clang = findClang();
  const sources = [path.join(root, 'dpi', 'fuzz', 'fuzz_q_push.c'), path.join(root, 'dpi', 'shim', 'cosim_queue.c')];
  const inc = path.join(root, 'dpi', 'include');
  const h = crypto.createHash('sha256');
  h.update(spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout);
  h.update(FLAGS.join(' '));
  for (const f of [...sources, ...fs.readdirSync(inc).sort().map((n) => path.join(inc, n))]) h.update(f).update(fs.readFileSync(f));
  const dir = path.join(root, 'build', 'fuzz', 'shim');
  const out = path.join(dir, `fuzz_q_push-${h.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  const r = spawnSync(clang, [...FLAGS, `-I${inc}`, ...sources, '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const hint = /cannot find|libclang_rt\.fuzzer/.test(r.stderr) ? ' (is the libFuzzer runtime installed? apt-get install libclang-rt-14-dev)' : '';
    throw new Error(`building the shim fuzzer failed${hint}:\n${r.stderr}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

/**
 * The harness's seed inputs (format in dpi/fuzz/fuzz_q_push.c): each golden
 * vector as one message, and a few sequences that reach deeper states (a DMA
 * read and its completion, MMIO accesses the RTL answers).
 */
export function writeShimSeeds(dir: string): number {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const CTL_HDR_LEN = 0x04;
  const CTL_DMA_READ = 0x08;
  const CTL_RTL = 0x10;
  const one = (bin: Buffer, ctl = 0) => (bin.length >= 40 ? Buffer.concat([Buffer.from([ctl]), bin]) : Buffer.concat([Buffer.from([ctl | CTL_HDR_LEN, bin.length]), bin]));
  const g = goldenDir();
  const golden = new Map<string, Buffer>();
  for (const f of fs.readdirSync(g).filter((n) => n.endsWith('.bin')).sort()) {
    const bin = fs.readFileSync(path.join(g, f));
    golden.set(f.replace(/\.bin$/, ''), bin);
    fs.writeFileSync(path.join(dir, `golden-${f}`), one(bin));
    fs.writeFileSync(path.join(dir, `golden-rtl-${f}`), one(bin, CTL_RTL));
  }
  // A header with the given fields, like the golden ones.
  const hdr = (type: number, f: { flags?: number; tag?: number; index?: number; address?: bigint; length?: number; payload?: Buffer }) => {
    const b = Buffer.alloc(40);
    b.writeUInt32LE(0x4d495343, 0);
    b.writeUInt16LE(1, 4);
    b[6] = type;
    b[7] = f.flags ?? 0;
    b.writeUInt32LE(f.tag ?? 0, 8);
    b.writeUInt16LE(f.index ?? 0, 12);
    b.writeBigUInt64LE(f.address ?? 0n, 16);
    b.writeUInt32LE(f.length ?? 0, 24);
    b.writeUInt32LE(f.payload?.length ?? 0, 28);
    return Buffer.concat([b, f.payload ?? Buffer.alloc(0)]);
  };
  // A DMA read of 2 beats of 8 bytes at 0x1000 (tag 1), completed in two chunks, then delivered.
  const dmaLen = 2 | (8 << 9);
  const seq = Buffer.concat([
    Buffer.from([CTL_DMA_READ]),
    hdr(0x21, { tag: 1, address: 0x1000n, length: dmaLen, payload: Buffer.alloc(8, 0x11) }),
    Buffer.from([CTL_RTL]),
    hdr(0x21, { flags: 1, tag: 1, address: 0x1008n, length: 8, payload: Buffer.alloc(8, 0x22) }),
  ]);
  fs.writeFileSync(path.join(dir, 'seq-dma-read.bin'), seq);
  // A DMA read failed by a reset, then its late completion.
  fs.writeFileSync(
    path.join(dir, 'seq-dma-reset.bin'),
    Buffer.concat([Buffer.from([CTL_DMA_READ]), hdr(0x60, { tag: 1, length: dmaLen }), Buffer.from([CTL_RTL]), hdr(0x21, { flags: 1, tag: 1, address: 0x1000n, length: 16, payload: Buffer.alloc(16, 0x33) })]),
  );
  // MMIO read and write answered by the RTL (one with an error), NIC, serial, config state.
  const mm = golden.get('mmio_read');
  const mw = golden.get('mmio_write8');
  if (mm && mw) {
    fs.writeFileSync(path.join(dir, 'seq-mmio.bin'), Buffer.concat([Buffer.from([0]), mw, Buffer.from([CTL_RTL]), mm, Buffer.from([CTL_RTL | 0x20]), mm]));
  }
  const nic = golden.get('nic_frame');
  const ser = golden.get('serial');
  const cfg = golden.get('cfg_state');
  if (nic && ser && cfg) fs.writeFileSync(path.join(dir, 'seq-streams.bin'), Buffer.concat([Buffer.from([0]), nic, Buffer.from([0]), ser, Buffer.from([CTL_RTL]), cfg]));
  // Delivery stamps: HELLO with TRACE, then messages that are stamped (a bad one too) or not (PING).
  const trace = golden.get('hello_broker_trace');
  const ping = golden.get('ping');
  if (trace && mw && ping && cfg) {
    fs.writeFileSync(path.join(dir, 'seq-trace.bin'), Buffer.concat([Buffer.from([0]), trace, Buffer.from([0]), mw, Buffer.from([0]), ping, Buffer.from([CTL_HDR_LEN, 12]), mw.subarray(0, 12), Buffer.from([CTL_RTL]), cfg]));
  }
  // Regression inputs: crashes found before, kept so they stay fixed.
  const reg = path.join(srcRoot(), 'dpi', 'fuzz', 'corpus');
  if (fs.existsSync(reg)) for (const f of fs.readdirSync(reg)) fs.copyFileSync(path.join(reg, f), path.join(dir, `regression-${f}`));
  return fs.readdirSync(dir).length;
}

export interface ShimFuzzOptions extends FuzzOptions {
  /** libFuzzer's working corpus (grows across runs); default build/fuzz/shim/corpus. A fresh temporary one with 'temp'. */
  corpus?: string;
}

export async function fuzzShim(o: ShimFuzzOptions): Promise<FuzzResult> {
  const result: FuzzResult = { fuzzer: 'shim', frames: 0, inputs: 0, crashes: 0, crashFiles: [], crashNotes: [], failures: [], ms: 0, framesPerSecond: 0 };
  const bin = buildShimFuzzer();
  const work = path.join(srcRoot(), 'build', 'fuzz', 'shim');
  const seeds = path.join(work, 'seeds');
  writeShimSeeds(seeds);
  const temp = o.corpus === 'temp' ? fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-shim-corpus-')) : undefined;
  const corpus = temp ?? o.corpus ?? path.join(work, 'corpus');
  fs.mkdirSync(corpus, { recursive: true });
  const crashDir = path.join(o.crashDir, 'shim');
  fs.mkdirSync(crashDir, { recursive: true });
  const stats = path.join(os.tmpdir(), `cosim-shim-fuzz-${process.pid}-${crypto.randomBytes(4).toString('hex')}.stats`);
  const args = [`-runs=${o.frames}`, `-seed=${o.seed || 1}`, '-close_fd_mask=2', '-print_final_stats=1', '-timeout=20', '-rss_limit_mb=4096', `-artifact_prefix=${crashDir}/`, corpus, seeds];
  const t0 = Date.now();
  let last = t0;
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, COSIM_FUZZ_STATS: stats } });
    let partial = '';
    c.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) {
        tail.push(l);
        if (tail.length > 80) tail.shift();
        const m = /^#(\d+)\s/.exec(l);
        if (m) result.inputs = Number(m[1]);
        const art = /Test unit written to (.*)$/.exec(l);
        if (art) result.crashFiles.push(path.resolve(art[1].trim()));
        const now = Date.now();
        if (m && o.progressMs && now - last >= o.progressMs) {
          last = now;
          o.print(`fuzz shim: ${result.inputs}/${o.frames} inputs, ${rate(result.inputs ?? 0, now - t0)} inputs/s`);
        }
      }
    });
    c.on('close', (code) => resolve(code));
  });
  result.ms = Date.now() - t0;
  if (fs.existsSync(stats)) {
    const m = /inputs (\d+) frames (\d+)/.exec(fs.readFileSync(stats, 'utf8'));
    if (m) {
      result.inputs = Number(m[1]);
      result.frames = Number(m[2]);
    }
    fs.rmSync(stats, { force: true });
  }
  if (code !== 0) {
    result.crashes++;
    const why = tail.filter((l) => /ERROR|SUMMARY|runtime error|fuzz_q_push:|deadly signal|timeout|out-of-memory/.test(l)).slice(0, 6);
    result.crashNotes.push(`libFuzzer exited with ${code}: ${why.join(' | ') || tail.slice(-10).join(' | ')}`);
    o.print(`fuzz shim: CRASH: ${why[0] ?? `exit ${code}`}${result.crashFiles.length ? `; input saved to ${result.crashFiles.join(', ')}` : ''}`);
  }
  if (!result.frames) result.frames = result.inputs ?? 0; // killed before its exit handler: at least one frame per input
  if (temp) fs.rmSync(temp, { recursive: true, force: true });
  result.framesPerSecond = rate(result.frames, result.ms);
  o.print(endLine(result));
  return result;
}
