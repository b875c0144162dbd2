// A ZeroMQ socket with one reader loop and serialized senders: zeromq.js
// allows a single pending send() and receive() per socket.
import * as fs from 'node:fs';
import * as zmq from 'zeromq';
import { HDR_SIZE, MAX_PAYLOAD } from './wire';

/**
 * The largest frame the protocol allows: a header frame, or a payload frame
 * of at most MAX_PAYLOAD bytes. ZeroMQ's maxMessageSize (ZMQ_MAXMSGSIZE)
 * applies per frame, so this is the limit for every socket; cosim-pcie and the
 * DPI shim derive the same value from cosim_wire.h.
 */
export const MAX_FRAME = Math.max(HDR_SIZE, MAX_PAYLOAD);

const bytesOf = (frames: Buffer[]) => frames.reduce((n, f) => n + f.length, 0);

/**
 * One destination's outgoing messages, in order. On a socket with
 * sendTimeout -1 (a DEALER) send() waits at the high-water mark. On a ROUTER
 * with sendTimeout 0 and mandatory, send() never waits: EAGAIN means this
 * peer's ZeroMQ pipe is full, so its messages wait here and are retried,
 * while the queues of other peers on the same socket go on sending. Bounded
 * by `limitBytes`: send() refuses a message that would pass it.
 */
export class SendQueue {
  private readonly queue: Buffer[][] = [];
  private bytes = 0;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: zmq.Dealer | zmq.Router,
    private readonly onError: (err: Error, frames: Buffer[]) => void,
    readonly limitBytes = Infinity,
  ) {}

  /** Queues one message; false (and nothing queued) if it would pass the bound (an empty queue takes any). */
  send(frames: Buffer[]): boolean {
    const n = bytesOf(frames);
    if (this.queue.length > 0 && this.bytes + n > this.limitBytes) return false;
    this.queue.push(frames);
    this.bytes += n;
    if (!this.pumping) void this.pump();
    return true;
  }

  /** Drops everything queued (the destination is gone). */
  clear(): void {
    this.queue.length = 0;
    this.bytes = 0;
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  drained(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    let retryMs = 1;
    while (this.queue.length > 0) {
      const frames = this.queue[0];
      try {
        if (this.socket.closed) throw new Error('socket closed');
        await this.socket.send(frames);
        retryMs = 1;
      } catch (err) {
        if ((err as { code?: string }).code === 'EAGAIN' && !this.socket.closed) {
          // ZeroMQ tells no one when a full pipe drains: poll, backing off.
          await new Promise((r) => setTimeout(r, retryMs));
          retryMs = Math.min(retryMs * 2, 50);
          continue;
        }
        this.onError(err as Error, frames);
      }
      // onError may have cleared the queue.
      if (this.queue[0] === frames) {
        this.queue.shift();
        this.bytes -= bytesOf(frames);
      }
    }
    this.pumping = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}

/** The ipc:// socket file's directory must exist before bind. */
export function ipcPath(endpoint: string): string | undefined {
  return endpoint.startsWith('ipc://') ? endpoint.slice('ipc://'.length) : undefined;
}

/**
 * The folder of an ipc:// socket must be ours and writable by us alone:
 * whoever can write it can put their own socket in its place, or connect to
 * ours and, on the HDL side, DMA into guest memory.
 */
export function checkIpcDir(dir: string, what: string): void {
  const st = fs.statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${what}: the socket folder ${dir} belongs to user ${st.uid}, not to us (${uid}); use a folder of your own`);
  if (st.mode & 0o022) throw new Error(`${what}: the socket folder ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); use one only you can write (chmod go-w, or the default under $XDG_RUNTIME_DIR)`);
}

export function checkEndpoint(endpoint: string, what: string): void {
  const p = ipcPath(endpoint);
  if (p !== undefined) {
    // Linux sun_path is 108 bytes including the NUL.
    if (p.length === 0 || p.length > 107) throw new Error(`${what}: ipc path '${p}' must be 1..107 characters`);
  } else if (!/^tcp:\/\/[^:]+:(\d+|\*)$/.test(endpoint) && !endpoint.startsWith('inproc://')) {
    throw new Error(`${what}: '${endpoint}' is not ipc://PATH or tcp://HOST:PORT (PORT * for any free port, when binding)`);
  }
}
