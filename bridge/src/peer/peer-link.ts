// The peer side of a broker connection: DEALER socket, HELLO, PING/PONG
// liveness, and request/response matching by tag with a timeout on each.
import * as zmq from 'zeromq';
import { checkEndpoint, MAX_FRAME, SendQueue } from '../protocol/link';
import { ClientCurve, clientOptions } from '../protocol/curve';
import { PEER_TIMEOUT_MS } from '../defaults';
import { decode, describe, encode, ErrorCode, message, Message, MsgType, Role, WireError } from '../protocol/wire';
import { Logger } from '../util/log';

export class PeerError extends Error {
  constructor(
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'PeerError';
  }
}

export interface PeerLinkOptions {
  endpoint: string;
  name: string;
  role: Role;
  /** Default wait for any answer (HELLO, CONF, completions). */
  timeoutMs: number;
  /** Silence from the broker after which it is declared gone. */
  peerTimeoutMs?: number;
  /** CURVE keys, for a broker that has them (required by one on tcp://). */
  curve?: ClientCurve;
  log: Logger;
}

interface Waiter {
  what: string;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class PeerLink {
  private readonly socket: zmq.Dealer;
  private readonly sender: SendQueue;
  private readonly waiters = new Map<string, Waiter>();
  private nextTag = 1;
  private lastHeard = Date.now();
  private watchdog?: NodeJS.Timeout;
  private closed = false;
  /** Connections the broker closed before a handshake completed: a CURVE key it cannot use. */
  private droppedHandshakes = 0;
  private handshook = false;
  badFrames = 0;
  /** Called for every message that is not an answer to a waiting request. */
  onMessage: (m: Message) => void = () => {};
  /** Called once if the broker goes away or the link fails. */
  onLost: (reason: string) => void = () => {};

  constructor(readonly opts: PeerLinkOptions) {
    checkEndpoint(opts.endpoint, 'endpoint');
    // maxMessageSize: ZeroMQ drops the connection of a broker sending a larger frame.
    this.socket = new zmq.Dealer({ ...(opts.curve && clientOptions(opts.curve)), linger: 0, sendHighWaterMark: 100000, receiveHighWaterMark: 100000, maxMessageSize: MAX_FRAME });
    this.sender = new SendQueue(this.socket, (e) => this.lost(`send failed: ${e.message}`));
  }

  get log(): Logger {
    return this.opts.log;
  }

  allocTag(): number {
    const t = this.nextTag;
    this.nextTag = (this.nextTag + 1) >>> 0 || 1;
    return t;
  }

  /** Handshake events: a refused key says so at once instead of timing out. The observer lives until the socket closes. */
  private watchHandshake(): void {
    const { endpoint: ep, curve } = this.opts;
    const ev = this.socket.events;
    ev.on('handshake', () => (this.handshook = true));
    ev.on('disconnect', () => this.handshook || this.droppedHandshakes++);
    ev.on('handshake:error:auth', (e) => this.lost(`the broker at ${ep} refused this peer's CURVE key ${curve?.publicKey ?? '(none)'} (status ${e.error.status}): add its .key file to the broker's client keys`));
    ev.on('handshake:error:protocol', (e) =>
      this.lost(`the handshake with the broker at ${ep} failed: ${e.error.code}${e.error.code === 'ERR_ZMTP_MECHANISM_MISMATCH' ? (curve ? ' (the broker has no CURVE keys)' : ' (the broker wants CURVE keys: --curve-server-key and --curve-key)') : ''}`),
    );
  }

  /** Connects and says HELLO; rejects if no broker answers within timeoutMs. */
  async connect(): Promise<void> {
    this.watchHandshake();
    this.socket.connect(this.opts.endpoint);
    void this.readLoop();
    const tag = this.allocTag();
    try {
      await this.request(
        message(MsgType.HELLO, { tag, index: this.opts.role, payload: Buffer.from(this.opts.name) }),
        `HELLO`,
        this.opts.timeoutMs,
        `no broker answered at ${this.opts.endpoint} within ${this.opts.timeoutMs} ms (is 'cosim broker' running there?)`,
      );
    } catch (e) {
      if (this.opts.curve && this.droppedHandshakes > 0 && (e as PeerError).code === ErrorCode.TIMEOUT) {
        throw new PeerError(`the broker at ${this.opts.endpoint} closed the connection during the CURVE handshake ${this.droppedHandshakes} time(s): is the server key ${this.opts.curve.serverKey} the broker's public key?`, ErrorCode.TIMEOUT);
      }
      throw e;
    }
    const limit = this.opts.peerTimeoutMs ?? PEER_TIMEOUT_MS;
    this.watchdog = setInterval(() => {
      const ago = Date.now() - this.lastHeard;
      if (ago > limit) this.lost(`broker at ${this.opts.endpoint} went silent for ${ago} ms`);
    }, Math.min(limit, 500));
    this.watchdog.unref();
  }

  send(m: Message): void {
    if (this.closed) throw new PeerError(`link to ${this.opts.endpoint} is closed`);
    this.sender.send(encode(m));
  }

  /**
   * Sends a request and resolves with the message that answers its tag. An
   * ERROR answer or the timeout rejects with a text naming the transaction.
   */
  request(m: Message, what: string, timeoutMs = this.opts.timeoutMs, timeoutText?: string): Promise<Message> {
    return new Promise((resolve, reject) => {
      const key = String(m.tag);
      if (this.waiters.has(key)) return reject(new PeerError(`${what}: tag ${m.tag} already outstanding`));
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new PeerError(timeoutText ?? `${what}: no answer from the broker at ${this.opts.endpoint} within ${timeoutMs} ms`, ErrorCode.TIMEOUT));
      }, timeoutMs);
      this.waiters.set(key, { what, resolve, reject, timer });
      try {
        this.send(m);
      } catch (e) {
        clearTimeout(timer);
        this.waiters.delete(key);
        reject(e);
      }
    });
  }

  async close(reason = 'peer closing'): Promise<void> {
    if (this.closed) return;
    try {
      this.send(message(MsgType.SHUTDOWN, { payload: Buffer.from(reason) }));
      await Promise.race([this.sender.drained(), new Promise((r) => setTimeout(r, 200))]);
    } catch {
      // already failed: nothing to tell the broker
    }
    this.shut(new PeerError(`link closed: ${reason}`));
  }

  private shut(err: Error): void {
    this.closed = true;
    clearInterval(this.watchdog);
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(new PeerError(`${w.what}: ${err.message}`, ErrorCode.PEER_GONE));
    }
    this.waiters.clear();
    this.socket.close();
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.log.error({ endpoint: this.opts.endpoint }, reason);
    this.shut(new PeerError(reason, ErrorCode.PEER_GONE));
    this.onLost(reason);
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) this.receive(frames);
    } catch (e) {
      if (!this.closed) this.lost(`receive failed: ${(e as Error).message}`);
    }
  }

  private receive(frames: Buffer[]): void {
    this.lastHeard = Date.now();
    let m: Message;
    try {
      m = decode(frames);
    } catch (e) {
      this.badFrames++;
      this.log.warn({ frame: describe((e as WireError).partial ?? {}) }, `bad frame from broker: ${(e as Error).message}`);
      return;
    }
    if (m.type === MsgType.PING) return this.send(message(MsgType.PONG, { tag: m.tag }));
    if (m.type === MsgType.SHUTDOWN) return this.lost(`broker shut down${m.payload.length ? `: ${m.payload.toString()}` : ''}`);
    const answers = m.type === MsgType.ERROR || m.type === MsgType.HELLO || m.type === MsgType.CONF || m.type === MsgType.MMIO_READ_CPL;
    const w = answers ? this.waiters.get(String(m.tag)) : undefined;
    if (!w) {
      if (m.type === MsgType.ERROR) this.log.warn({ code: ErrorCode[m.index] ?? m.index, tag: m.tag }, `broker reported: ${m.payload.toString()}`);
      this.onMessage(m);
      return;
    }
    this.waiters.delete(String(m.tag));
    clearTimeout(w.timer);
    if (m.type === MsgType.ERROR) {
      const text = m.payload.toString();
      w.reject(new PeerError(text.includes(w.what) ? text : `${w.what}: ${text}`, m.index));
    }
    else w.resolve(m);
  }
}
