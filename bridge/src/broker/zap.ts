// The broker's side of CURVE: which client keys get in.
import * as path from 'node:path';
import * as zmq from 'zeromq';
import { z85Encode } from '../protocol/curve';
import { Logger } from '../util/log';
import { LogLimit } from './log-limit';

/**
 * The broker's ZAP handler: libzmq asks it about every CURVE handshake on the
 * sockets of `context`, and it lets in the allowed keys only. One per context
 * (ZAP's endpoint is fixed), so each broker has a context of its own.
 */
export class ZapHandler {
  private readonly socket: zmq.Reply;
  private readonly logs = new LogLimit();
  refused = 0;

  constructor(
    context: zmq.Context,
    private readonly allowed: Map<string, string>,
    private readonly log: Logger,
  ) {
    this.socket = new zmq.Reply({ context, linger: 0 });
  }

  async start(): Promise<void> {
    await this.socket.bind('inproc://zeromq.zap.01');
    void this.serve();
  }

  close(): void {
    this.socket.close();
  }

  private async serve(): Promise<void> {
    try {
      for await (const [version, requestId, domain, address, , mechanism, key] of this.socket) {
        const pub = mechanism?.toString() === 'CURVE' && key?.length === 32 ? z85Encode(key) : undefined;
        const from = this.allowed.get(pub ?? '');
        if (!from) {
          this.refused++;
          const text = pub ? `CURVE key ${pub} is not one of the broker's allowed client keys` : `mechanism ${mechanism?.toString()} is not CURVE`;
          if (this.logs.take()) this.log.warn({ endpoint: domain?.toString(), from: address?.toString() }, `refused a peer: ${text}`);
        }
        await this.socket.send([version ?? '1.0', requestId ?? '', from ? '200' : '400', from ? 'OK' : 'key not allowed', from ? path.basename(from) : '', '']);
      }
    } catch (e) {
      if (!this.socket.closed) this.log.error({ err: (e as Error).message }, 'CURVE authentication handler failed');
    }
  }
}
