// A scripted broker for the QEMU device tests: a ZeroMQ ROUTER that answers
// the handshake and PINGs and lets each test play the rest.
import * as zmq from 'zeromq';
import { encodeConf } from '../../bridge/src/protocol/conf';
import { decode, encode, Message, message, MsgType } from '../../bridge/src/protocol/wire';
import { EXAMPLE_CONF, uniqueEndpoints } from '../helpers';

/**
 * Plays the broker + HDL for one QEMU: answers the handshake (with `conf`)
 * and PINGs, then lets the test script the rest.
 */
export class FakeBroker {
  readonly router = new zmq.Router({ linger: 0 });
  readonly endpoint: string;
  /** What INIT is answered with. */
  conf = EXAMPLE_CONF;
  /** false: PINGs go unanswered, as from a hung broker. */
  answerPings = true;
  readonly got: Message[] = [];
  peer?: Buffer;
  onRead: (m: Message) => void = (m) => this.complete(m, Buffer.alloc(m.length));
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(endpoint = uniqueEndpoints().qemu) {
    this.endpoint = endpoint;
  }

  async start(): Promise<void> {
    await this.router.bind(this.endpoint);
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      for await (const [id, ...frames] of this.router) {
        this.peer = id;
        const m = decode(frames);
        const w = this.waiters.find((x) => x.pred(m));
        if (w) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        } else {
          this.got.push(m);
        }
        if (m.type === MsgType.HELLO) this.send(message(MsgType.HELLO, { payload: Buffer.from('broker') }));
        else if (m.type === MsgType.INIT) this.send(message(MsgType.CONF, { tag: m.tag, payload: encodeConf(this.conf) }));
        else if (m.type === MsgType.PING && this.answerPings) this.send(message(MsgType.PONG, { tag: m.tag }));
        else if (m.type === MsgType.MMIO_READ) this.onRead(m);
      }
    } catch {
      /* closed */
    }
  }

  sendFrames(frames: Buffer[]): void {
    this.queue = this.queue.then(() => this.router.send([this.peer!, ...frames])).catch(() => undefined);
  }

  send(m: Message): void {
    this.sendFrames(encode(m));
  }

  complete(req: Message, data: Buffer, flags = 0): void {
    this.send(message(MsgType.MMIO_READ_CPL, { tag: req.tag, index: req.index, address: req.address, length: req.length, flags, payload: data }));
  }

  /** The first message matching pred (already received or to come); rejects after timeoutMs. */
  next(pred: (m: Message) => boolean, timeoutMs = 15000): Promise<Message> {
    const seen = this.got.find(pred);
    if (seen) {
      this.got.splice(this.got.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`the fake broker got no matching message from QEMU within ${timeoutMs} ms (${pred.toString()})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): void {
    this.router.close();
  }
}

export function le(v: bigint, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

