// What the three fuzzers share: options, progress lines, the result and its
// end line ("fuzz broker: 20000 frames, 0 crashes, 41234 frames/s").
import * as path from 'node:path';
import { srcRoot } from './frames';

export interface FuzzOptions {
  /** Frames (messages) to send; for the shim, libFuzzer inputs to run (-runs). */
  frames: number;
  seed: number;
  /** Where crashing inputs are saved; one folder per fuzzer below it. */
  crashDir: string;
  /** Progress and end lines (stdout by default). */
  print: (line: string) => void;
  /** Milliseconds between two progress lines; 0: none. */
  progressMs: number;
}

export interface FuzzResult {
  fuzzer: string;
  /** Messages the target decoded. */
  frames: number;
  /** The shim's libFuzzer inputs (each is several frames). */
  inputs?: number;
  crashes: number;
  /** Saved crashing inputs. */
  crashFiles: string[];
  /** What each crash was (a stack, a sanitizer's summary). */
  crashNotes: string[];
  /** Checks that failed after the run (the target alive but not working). */
  failures: string[];
  ms: number;
  framesPerSecond: number;
  /** What was fuzzed, when it is worth naming (the QEMU binary and version). */
  target?: string;
  /** random / mutated / truncated frames. */
  mix?: string;
}

export function defaultCrashDir(): string {
  return path.join(srcRoot(), 'build', 'fuzz', 'crashes');
}

export function fuzzOptions(o: Partial<FuzzOptions> = {}): FuzzOptions {
  return {
    frames: 20000,
    seed: Date.now() % 1_000_000,
    crashDir: defaultCrashDir(),
    print: (l) => console.log(l),
    progressMs: 5000,
    ...o,
  };
}

export function rate(frames: number, ms: number): number {
  return ms > 0 ? Math.round((frames * 1000) / ms) : frames;
}

/** Prints "fuzz NAME: n/N frames, c crashes, r frames/s" every progressMs. */
export class Progress {
  private last = Date.now();
  readonly t0 = Date.now();
  constructor(
    private readonly name: string,
    private readonly o: FuzzOptions,
  ) {}
  tick(frames: number, crashes: number): void {
    if (!this.o.progressMs) return;
    const now = Date.now();
    if (now - this.last < this.o.progressMs) return;
    this.last = now;
    this.o.print(`fuzz ${this.name}: ${frames}/${this.o.frames} frames, ${crashes} crashes, ${rate(frames, now - this.t0)} frames/s`);
  }
}

/** The end line: the count a run ends on. */
export function endLine(r: FuzzResult): string {
  const inputs = r.inputs !== undefined ? ` (${r.inputs} inputs)` : '';
  const failed = r.failures.length ? `, ${r.failures.length} failed checks` : '';
  return `fuzz ${r.fuzzer}: ${r.frames} frames${inputs}, ${r.crashes} crashes${failed}, ${r.framesPerSecond} frames/s`;
}
