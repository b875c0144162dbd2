// A ZeroMQ socket with one reader loop and one serialized sender: zeromq.js
// allows a single pending send() and receive() per socket.
import * as zmq from 'zeromq';

export class SendQueue {
  private readonly queue: Buffer[][] = [];
  private pumping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: zmq.Dealer | zmq.Router,
    private readonly onError: (err: Error, frames: Buffer[]) => void,
  ) {}

  send(frames: Buffer[]): void {
    this.queue.push(frames);
    if (!this.pumping) void this.pump();
  }

  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  drained(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0) {
      const frames = this.queue.shift()!;
      try {
        if (this.socket.closed) throw new Error('socket closed');
        await this.socket.send(frames);
      } catch (err) {
        this.onError(err as Error, frames);
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

export function checkEndpoint(endpoint: string, what: string): void {
  const p = ipcPath(endpoint);
  if (p !== undefined) {
    // Linux sun_path is 108 bytes including the NUL.
    if (p.length === 0 || p.length > 107) throw new Error(`${what}: ipc path '${p}' must be 1..107 characters`);
  } else if (!/^tcp:\/\/[^:]+:\d+$/.test(endpoint) && !endpoint.startsWith('inproc://')) {
    throw new Error(`${what}: '${endpoint}' is not ipc://PATH or tcp://HOST:PORT`);
  }
}
