// The broker fuzzer: the real Broker, a legitimate device (a scripted HDL
// peer answering reads, the TypeScript QEMU stand-in), and attacker sockets
// on both endpoints sending random, mutated and truncated frames: some never
// say HELLO, some say it under names of their own (so that an attacker pair
// is paired and relayed), none may disturb the legitimate device.
//
// A crash: an exception inside the broker (its "internal error" or "receive
// loop failed" logs, an uncaught exception), a broker that stops answering
// PING, or a malformed frame out of the broker. Afterwards a fresh handshake
// and MMIO on a new device, and the legitimate device, must still work.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import * as zmq from 'zeromq';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { encodeConf } from '../../bridge/src/protocol/conf';
import { decode, encode, message, Message, MsgType, Role } from '../../bridge/src/protocol/wire';
import { EXAMPLE_CONF, FakeHdl, testLog } from '../helpers';
import { endLine, FuzzOptions, FuzzResult, Progress, rate } from './common';
import { FrameFuzzer, Frames, loadCorpus, Rng, saveCrash } from './frames';

/** What the scripted HDL peer answers a read of `address` with. */
export const readValue = (address: bigint, length: number): Buffer => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Number((address + BigInt(i) * 0x11n) & 0xffn) ^ 0xa5;
  return b;
};
const asBig = (b: Buffer): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
};

/** An HDL peer that answers every MMIO read with readValue() and counts writes. */
async function scriptedHdl(endpoint: string, name: string): Promise<FakeHdl> {
  const hdl = new FakeHdl(endpoint, name);
  hdl.onMessage = (m, h) => {
    if (m.type === MsgType.MMIO_READ) {
      h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: m.length, payload: readValue(m.address, m.length) }));
    }
  };
  await hdl.start(EXAMPLE_CONF);
  return hdl;
}

async function qemuPeer(endpoint: string, name: string): Promise<QemuPeer> {
  const q = new QemuPeer({ endpoint, name, timeoutMs: 3000, peerTimeoutMs: 10000, log: testLog() });
  // Unsolicited ERRORs are not this fuzzer's subject (and an 'error' event with no listener throws).
  (q as unknown as EventEmitter).on('error', () => undefined);
  await q.connect();
  return q;
}

/** Reads BAR0 at a few offsets through the broker; returns a problem, or undefined. */
async function mmioWorks(q: QemuPeer, hdl: FakeHdl, what: string): Promise<string | undefined> {
  try {
    for (const off of [0x0n, 0x18n, 0x1000n]) {
      const v = await q.read(0, off, 8);
      const want = asBig(readValue(off, 8));
      if (v !== want) return `${what}: read BAR0+0x${off.toString(16)} gave 0x${v.toString(16)}, want 0x${want.toString(16)}`;
    }
    const before = hdl.received.filter((m) => m.type === MsgType.MMIO_WRITE).length;
    q.write(0, 0x20n, 0x1234n, 4);
    await q.read(0, 0x20n, 4); // a read never passes an earlier posted write
    if (hdl.received.filter((m) => m.type === MsgType.MMIO_WRITE).length !== before + 1) return `${what}: a posted write did not reach the HDL peer before the next read`;
    return undefined;
  } catch (e) {
    return `${what}: ${(e as Error).message}`;
  }
}

/** A raw DEALER on one endpoint: sends anything, drains everything, syncs with PING/PONG. */
class Attacker {
  readonly sock = new zmq.Dealer({ linger: 0, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  private waiting?: { tag: number; resolve: () => void };
  /** Frames out of the broker that do not decode (there must be none). */
  readonly malformed: string[] = [];
  received = 0;

  constructor(
    readonly label: string,
    readonly endpoint: string,
  ) {
    this.sock.connect(endpoint);
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        this.received++;
        let m: Message;
        try {
          m = decode(frames);
        } catch (e) {
          if (this.malformed.length < 10) this.malformed.push(`${this.label}: ${(e as Error).message}`);
          continue;
        }
        if (m.type === MsgType.PONG && this.waiting && m.tag === this.waiting.tag) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve();
        }
      }
    } catch {
      /* closed */
    }
  }

  async send(frames: Frames): Promise<void> {
    await this.sock.send(frames);
  }

  /**
   * Resolves true once the broker answered a PING sent after everything
   * before it, false after timeoutMs. The PING is repeated every 200 ms: a
   * frame over the broker's size limit drops the connection (the DEALER
   * connects again by itself), and what was sent on it with it.
   */
  async sync(tag: number, timeoutMs: number): Promise<boolean> {
    const got = new Promise<void>((resolve) => (this.waiting = { tag, resolve }));
    const deadline = Date.now() + timeoutMs;
    let answered = false;
    void got.then(() => (answered = true));
    while (!answered && Date.now() < deadline) {
      await this.sock.send(encode(message(MsgType.PING, { tag })));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([got, new Promise<void>((r) => (timer = setTimeout(r, Math.min(200, Math.max(deadline - Date.now(), 1)))))]);
      clearTimeout(timer);
    }
    if (!answered) this.waiting = undefined;
    return answered;
  }

  close(): void {
    this.sock.close();
  }
}

/** Crashing batches saved per run (every crash is counted). */
const MAX_SAVED = 10;

export async function fuzzBroker(o: FuzzOptions): Promise<FuzzResult> {
  const crashDir = `${o.crashDir}/broker`;
  const rng = new Rng(o.seed);
  const corpus = loadCorpus('broker');
  const fz = new FrameFuzzer(rng, corpus);
  // Inputs that once broke it go first, as they are, from every attacker.
  const replay = corpus.filter((c) => c.name.startsWith('corpus/')).map((c) => c.messages);

  // The broker's own logs are silent except its internal errors, which are crashes.
  const internal: string[] = [];
  const log = pino(
    { level: 'error' },
    {
      write: (line: string) => {
        try {
          const r = JSON.parse(line) as { msg?: string; err?: string };
          if (/internal error|receive loop failed/.test(r.msg ?? '')) internal.push(`${r.msg}: ${r.err ?? ''}`);
        } catch {
          internal.push(line);
        }
      },
    },
  );
  const ep = uniqueEndpoints();
  const base = brokerConfig({ requestTimeoutMs: 200, peerTimeoutMs: 10000, heartbeatMs: 200 }, ep);
  const broker = new Broker({ ...base, broker: { ...base.broker, initTimeoutMs: 300 } }, log);
  const uncaught: string[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  const result: FuzzResult = { fuzzer: 'broker', frames: 0, crashes: 0, crashFiles: [], crashNotes: [], failures: [], ms: 0, framesPerSecond: 0 };
  const attackers: Attacker[] = [];
  let hdl: FakeHdl | undefined;
  let qemu: QemuPeer | undefined;
  const progress = new Progress('broker', o);
  try {
    await broker.start();
    hdl = await scriptedHdl(ep.hdl, 'dev0');
    qemu = await qemuPeer(ep.qemu, 'dev0');
    const first = await mmioWorks(qemu, hdl, 'before fuzzing');
    if (first) throw new Error(`the broker fuzzer's own setup does not work: ${first}`);

    // Attackers: anonymous ones, and pairs that say HELLO under their own names.
    for (const side of ['qemu', 'hdl'] as const) {
      const endpoint = side === 'qemu' ? ep.qemu : ep.hdl;
      const role = side === 'qemu' ? Role.QEMU : Role.HDL;
      attackers.push(new Attacker(`${side} anonymous`, endpoint));
      for (const name of ['fz0', 'fz1']) {
        const a = new Attacker(`${side} '${name}'`, endpoint);
        await a.send(encode(message(MsgType.HELLO, { tag: 1, index: role, payload: Buffer.from(name) })));
        if (side === 'hdl') await a.send(encode(message(MsgType.CONF, { payload: encodeConf(EXAMPLE_CONF) })));
        else await a.send(encode(message(MsgType.INIT, { tag: 2 })));
        attackers.push(a);
      }
    }

    const t0 = Date.now();
    let tag = 0xc0000000;
    let round = 0;
    const replays = replay.flatMap((r) => attackers.map((a) => ({ a, r })));
    while (result.frames < o.frames || replays.length) {
      const next = replays.shift();
      const a = next?.a ?? rng.pick(attackers);
      const batch: Frames[] = next?.r ?? [];
      if (!batch.length) for (let n = Math.min(1 + rng.int(64), o.frames - result.frames); n > 0; n--) batch.push(fz.next());
      const internalBefore = internal.length;
      const uncaughtBefore = uncaught.length;
      for (const f of batch) await a.send(f);
      result.frames += batch.length;
      const answered = await a.sync(tag++ >>> 0, 10000);
      const problems = [
        ...internal.slice(internalBefore),
        ...uncaught.slice(uncaughtBefore),
        ...(answered ? [] : [`the broker did not answer a PING from the ${a.label} attacker within 10 s`]),
        ...a.malformed.splice(0),
      ];
      if (problems.length) {
        result.crashes++;
        result.crashNotes.push(problems[0]);
        if (result.crashFiles.length < MAX_SAVED) {
          const file = saveCrash(crashDir, batch, `broker fuzzer, seed ${o.seed}, round ${round}, from the ${a.label} attacker:\n${problems.join('\n')}`);
          result.crashFiles.push(file);
          o.print(`fuzz broker: CRASH (${problems[0].split('\n')[0]}); frames saved to ${file}`);
        }
        if (!answered) break; // a broker that stopped answering is done for
      }
      if (++round % 200 === 0) {
        const p = await mmioWorks(qemu, hdl, `device 'dev0' during fuzzing (round ${round})`);
        if (p && result.failures.length < 10) result.failures.push(p);
      }
      progress.tick(result.frames, result.crashes);
    }
    result.ms = Date.now() - t0;

    // Afterwards: the legitimate device, and a fresh handshake on a new one.
    for (const a of attackers.splice(0)) a.close();
    const still = await mmioWorks(qemu, hdl, "device 'dev0' after fuzzing");
    if (still) result.failures.push(still);
    let freshHdl: FakeHdl | undefined;
    let freshQemu: QemuPeer | undefined;
    try {
      freshHdl = await scriptedHdl(ep.hdl, 'fresh0');
      freshQemu = await qemuPeer(ep.qemu, 'fresh0');
      const p = await mmioWorks(freshQemu, freshHdl, "a fresh device 'fresh0' after fuzzing");
      if (p) result.failures.push(p);
    } catch (e) {
      result.failures.push(`a fresh handshake after fuzzing failed: ${(e as Error).message}`);
    } finally {
      await freshQemu?.close().catch(() => undefined);
      await freshHdl?.close().catch(() => undefined);
    }
    if (uncaught.length && !result.crashes) {
      result.crashes++;
      result.crashNotes.push(`uncaught: ${uncaught[0]}`);
    }
  } finally {
    for (const a of attackers) a.close();
    await qemu?.close().catch(() => undefined);
    await hdl?.close().catch(() => undefined);
    await broker.stop();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
  result.framesPerSecond = rate(result.frames, result.ms);
  result.mix = `${fz.stats.random} random, ${fz.stats.mutated} mutated, ${fz.stats.truncated} truncated; ${fz.stats.oversize} with a frame over 64 KiB`;
  o.print(endLine(result));
  return result;
}
