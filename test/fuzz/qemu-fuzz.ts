// The cosim-pcie fuzzer: a fake broker (test/qemu/fake-broker.ts, a ZeroMQ
// ROUTER) completes the handshake with a live QEMU under qtest, then sends
// it random, mutated and truncated frames in batches, each batch followed by
// a PING whose PONG proves QEMU took everything before it. A QEMU that dies
// (or stops answering) is a crash: the batch is saved to the crash folder,
// replayed frame by frame against a fresh QEMU to find the one frame that
// kills it, and fuzzing goes on with a new QEMU. Every few thousand frames
// and at the end, QEMU must still answer qtest and QMP; at the end the
// device must still complete an MMIO read.
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { EXAMPLE_CONF } from '../helpers';
import { FakeBroker, le } from '../qemu/fake-broker';
import { BAR0, Qtest } from '../qemu/qtest';
import { endLine, FuzzOptions, FuzzResult, Progress, rate } from './common';
import { FrameFuzzer, Frames, loadCorpus, Rng, saveCrash } from './frames';

export interface QemuFuzzOptions extends FuzzOptions {
  /** The patched QEMU binary. */
  qemu: string;
}

/** What the fake broker answers an MMIO read of BAR0+off with. */
const answer = (off: bigint) => 0x5a000000n | (off & 0xffffn);

/** One QEMU with cosim-pcie on its own fake broker. */
class Target {
  readonly fb = new FakeBroker();
  q!: Qtest;
  signal: NodeJS.Signals | null = null;
  private readonly udp = dgram.createSocket('udp4');
  private pingTag = 0xe0000000;

  constructor(private readonly binary: string) {}

  async start(): Promise<void> {
    await this.fb.start();
    this.fb.conf = EXAMPLE_CONF;
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    this.udp.on('message', () => undefined);
    this.q = new Qtest(this.binary, [
      '-action', 'shutdown=pause',
      '-netdev', `socket,id=n0,udp=127.0.0.1:${this.udp.address().port},localaddr=127.0.0.1:0`,
      '-chardev', 'null,id=c0',
      // peer-timeout-ms 2000: after a lost connection (a frame over
      // ZMQ_MAXMSGSIZE drops it) QEMU says HELLO again within a second.
      '-device', `cosim-pcie,id=cosim0,addr=5.0,endpoint=${this.fb.endpoint},name=fz0,timeout-ms=3000,peer-timeout-ms=2000,netdev=n0,chardev=c0`,
    ]);
    this.q.child.on('exit', (_code, signal) => (this.signal = signal));
    await this.q.cmd('outl 0xcf8 0x80000000'); // answered once realize (the handshake) is done
    await this.q.mapBars();
    this.fb.onRead = (m) => this.fb.complete(m, le(answer(m.address), m.length));
  }

  get alive(): boolean {
    return this.q.running;
  }

  /** Sends one message's frames (in order behind the earlier ones). */
  send(frames: Frames): void {
    this.fb.sendFrames(frames);
  }

  /**
   * Resolves true once QEMU answered a PING sent after everything before it
   * (PINGs are repeated: a PONG QEMU could not send at once is dropped);
   * false if QEMU died or said nothing within timeoutMs.
   */
  async sync(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.alive && Date.now() < deadline) {
      const tag = this.pingTag++ >>> 0;
      this.fb.send(message(MsgType.PING, { tag }));
      const ok = await Promise.race([
        this.fb.next((m) => m.type === MsgType.PONG && m.tag === tag, Math.min(250, Math.max(deadline - Date.now(), 1))).then(
          () => true,
          () => false,
        ),
        this.q.exited.then(() => false),
      ]);
      // What QEMU sent meanwhile (DMA read completions, ERRORs...) is not kept.
      this.fb.got.length = 0;
      if (ok) return true;
    }
    return false;
  }

  /** QEMU answers qtest and QMP. */
  async responsive(): Promise<string | undefined> {
    try {
      await this.q.memWrite(0x100000n, Buffer.from('cosim'));
      const back = await this.q.memRead(0x100000n, 5);
      if (back.toString() !== 'cosim') return `qtest memory read-back gave '${back.toString()}'`;
      const st = (await this.q.qmp('query-status')) as { status?: string };
      if (!st || typeof st.status !== 'string') return `QMP query-status gave ${JSON.stringify(st)}`;
      return undefined;
    } catch (e) {
      return `QEMU does not answer: ${(e as Error).message}`;
    }
  }

  /**
   * The device still works: BARs mapped again (fuzzed DMA may have written
   * PCI config space), the broker link back (a fuzzed SHUTDOWN makes it
   * reconnect), and an MMIO read completes with the fake broker's answer.
   */
  async deviceWorks(ms = 15000): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    let last = '';
    while (Date.now() < deadline && this.alive) {
      try {
        await this.q.qmp('cont').catch(() => undefined); // a fuzzed DMA may have shut the machine down (paused)
        await this.q.mapBars();
        const v = await this.q.readl(BAR0 + 0x10n);
        if (v === answer(0x10n)) return undefined;
        last = `read BAR0+0x10 gave 0x${v.toString(16)}`;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return `cosim-pcie does not complete an MMIO read ${ms / 1000} s after fuzzing (${last || 'QEMU is gone'})`;
  }

  /** How QEMU ended, with its last words. */
  death(): string {
    const how = this.signal ? `killed by ${this.signal}` : `exited`;
    return `QEMU ${how}: ${this.q.stderr.slice(-8).join(' | ')}`;
  }

  private stopped = false;
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.q?.stop();
    this.fb.close();
    this.udp.close();
  }
}

/** Replays frames one at a time against a fresh QEMU; the first one it dies of, or undefined. */
async function isolate(binary: string, frames: Frames[]): Promise<{ frame: Frames; death: string } | undefined> {
  const t = new Target(binary);
  try {
    await t.start();
    for (const f of frames) {
      t.send(f);
      if (!(await t.sync(20000))) return { frame: f, death: t.alive ? 'QEMU stopped answering' : t.death() };
    }
    return undefined;
  } finally {
    await t.stop();
  }
}

export async function fuzzQemu(o: QemuFuzzOptions): Promise<FuzzResult> {
  const name = 'qemu';
  const crashDir = `${o.crashDir}/qemu`;
  const rng = new Rng(o.seed);
  const corpus = loadCorpus('qemu');
  // A frame over 64 KiB costs a dropped connection and a reconnect (a
  // second or so): one in 2000 of them goes through, the rest are cut.
  const fz = new FrameFuzzer(rng, corpus, { oversizeOneIn: 2000 });
  // Inputs that once broke it go first, as they are.
  const replay = corpus.filter((c) => c.name.startsWith('corpus/')).map((c) => c.messages);
  const result: FuzzResult = { fuzzer: name, frames: 0, crashes: 0, crashFiles: [], crashNotes: [], failures: [], ms: 0, framesPerSecond: 0 };
  const progress = new Progress(name, o);
  const version = /version (\d+\.\d+\.\d+)/.exec(spawnSync(o.qemu, ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
  result.target = `QEMU ${version}, ${o.qemu}`;
  o.print(`fuzz qemu: against ${result.target}`);

  let t = new Target(o.qemu);
  await t.start();
  const t0 = Date.now();
  let round = 0;
  try {
    while (result.frames < o.frames || replay.length) {
      const batch: Frames[] = replay.shift() ?? [];
      if (!batch.length) for (let n = Math.min(1 + rng.int(64), o.frames - result.frames); n > 0; n--) batch.push(fz.next());
      for (const f of batch) t.send(f);
      result.frames += batch.length;
      const ok = await t.sync(30000);
      if (!ok) {
        result.crashes++;
        const death = t.alive ? 'QEMU stopped answering PING for 30 s' : t.death();
        const file = saveCrash(crashDir, batch, `cosim-pcie fuzzer, ${o.qemu}, seed ${o.seed}, round ${round}: ${death}`);
        result.crashFiles.push(file);
        result.crashNotes.push(death);
        o.print(`fuzz qemu: CRASH: ${death}; the batch of ${batch.length} frames is saved to ${file}`);
        await t.stop();
        const one = batch.length > 1 ? await isolate(o.qemu, batch).catch(() => undefined) : undefined;
        if (one) {
          const f1 = saveCrash(crashDir, [one.frame], `cosim-pcie fuzzer, ${o.qemu}: this one frame: ${one.death}`);
          result.crashFiles.push(f1);
          o.print(`fuzz qemu: the frame that does it alone: ${f1}`);
        }
        if (result.crashes >= 5) break;
        t = new Target(o.qemu);
        await t.start();
        continue;
      }
      if (++round % 100 === 0) {
        const p = await t.responsive();
        if (p && result.failures.length < 10) result.failures.push(`after ${result.frames} frames: ${p}`);
      }
      progress.tick(result.frames, result.crashes);
    }
    result.ms = Date.now() - t0;
    if (t.alive) {
      const p = (await t.responsive()) ?? (await t.deviceWorks());
      if (p) result.failures.push(p);
    }
  } finally {
    await t.stop();
  }
  result.framesPerSecond = rate(result.frames, result.ms);
  result.mix = `${fz.stats.random} random, ${fz.stats.mutated} mutated, ${fz.stats.truncated} truncated; ${fz.stats.oversize} with a frame over 64 KiB`;
  o.print(endLine(result));
  return result;
}
