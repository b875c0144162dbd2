// A TypeScript stand-in for QEMU's cosim-pcie device: handshake, MMIO, DMA
// served from a simulated host memory, MSI-X, INTx and the PCI config state
// (CFG_STATE), NIC frames and serial bytes.
import { EventEmitter } from 'node:events';
import { decodeConf, DeviceConf } from '../protocol/conf';
import { CfgState, message, Message, MsgType, Role } from '../protocol/wire';
import { Logger } from '../util/log';
import { HostMemory } from './host-memory';
import { AccessSize, HostEvents, HostSide, mmioReadRequest, mmioReadValue, mmioWhat, mmioWriteRequest } from './host-side';
import { PeerLink } from './peer-link';
import { ClientCurve } from '../protocol/curve';
import { MMIO_TIMEOUT_MS } from '../defaults';

export type { AccessSize } from './host-side';

export interface QemuPeerOptions {
  endpoint: string;
  name?: string;
  /** MMIO read / handshake timeout. */
  timeoutMs?: number;
  peerTimeoutMs?: number;
  curve?: ClientCurve;
  memory?: HostMemory;
  log: Logger;
}

export interface QemuPeerEvents extends HostEvents {
  /**
   * An ERROR no request was waiting for (a refused posted write, a bad
   * CFG_STATE). Not 'error': EventEmitter throws an 'error' nobody listens
   * to, and that throw, in the link's receive loop, would end the link.
   */
  'unsolicited-error': [text: string, code: number, tag: number];
  lost: [reason: string];
}

export interface UnsolicitedError {
  text: string;
  code: number;
  /** The tag of the message it answers (a posted write's, say). */
  tag: number;
}

export class QemuPeer extends EventEmitter<QemuPeerEvents> {
  readonly link: PeerLink;
  /** DMA, MSI-X, NIC and serial handling, shared with the testbench. */
  readonly host: HostSide;
  conf?: DeviceConf;
  /** How many unsolicited ERRORs arrived (each also logged and emitted), and the last of them. */
  unsolicitedErrors = 0;
  lastError?: UnsolicitedError;

  constructor(opts: QemuPeerOptions) {
    super();
    this.link = new PeerLink({
      endpoint: opts.endpoint,
      name: opts.name ?? 'dev0',
      role: Role.QEMU,
      timeoutMs: opts.timeoutMs ?? MMIO_TIMEOUT_MS,
      peerTimeoutMs: opts.peerTimeoutMs,
      curve: opts.curve,
      log: opts.log,
    });
    this.host = new HostSide({ send: (m) => this.link.send(m), emit: (ev, ...args) => (this.emit as (e: string, ...a: unknown[]) => boolean)(ev, ...args), log: opts.log, memory: opts.memory });
    this.link.onMessage = (m) => this.handle(m);
    this.link.onLost = (reason) => this.emit('lost', reason);
  }

  get memory(): HostMemory {
    return this.host.memory;
  }
  get msixCounts(): Map<number, number> {
    return this.host.msixCounts;
  }
  /** The device's INTx level (last INTX message; 0 before any). */
  get intx(): number {
    return this.host.intx;
  }
  get dmaReads(): number {
    return this.host.dmaReads;
  }
  get dmaWrites(): number {
    return this.host.dmaWrites;
  }
  get dmaWriteBytes(): number {
    return this.host.dmaWriteBytes;
  }

  /** HELLO, then INIT: resolves with the device configuration (CONF). */
  async connect(): Promise<DeviceConf> {
    await this.link.connect();
    const reply = await this.link.request(message(MsgType.INIT, { tag: this.link.allocTag() }), `INIT for device '${this.link.opts.name}'`);
    this.conf = decodeConf(reply.payload);
    return this.conf;
  }

  async read(bar: number, offset: bigint | number, size: AccessSize = 4): Promise<bigint> {
    const tag = this.link.allocTag();
    const what = mmioWhat('read', bar, BigInt(offset), size, tag);
    return mmioReadValue(await this.link.request(mmioReadRequest(tag, bar, offset, size), what), size, what);
  }

  /**
   * Posted: returns once queued, with the write's tag (a refusal comes back
   * as an 'unsolicited-error' with that tag). A later read on the same device sees it.
   */
  write(bar: number, offset: bigint | number, value: bigint | number, size: AccessSize = 4): number {
    const tag = this.link.allocTag();
    this.link.send(mmioWriteRequest(tag, bar, offset, value, size));
    return tag;
  }

  sendFrame(frame: Buffer): void {
    this.link.send(message(MsgType.NIC_FRAME, { payload: frame }));
  }

  sendSerial(bytes: Buffer | string): void {
    this.link.send(message(MsgType.SERIAL, { payload: Buffer.from(bytes) }));
  }

  reset(): void {
    this.link.send(message(MsgType.RESET));
  }

  /** Sends CFG_STATE, as QEMU does after a config write (fields not given keep their last value). */
  setConfigState(c: Partial<CfgState>): CfgState {
    return this.host.setConfigState(c);
  }

  close(reason?: string): Promise<void> {
    return this.link.close(reason);
  }

  private handle(m: Message): void {
    if (this.host.handle(m)) return;
    if (m.type === MsgType.ERROR) {
      // PeerLink has logged it; keep it for whoever asks later, and tell any listener.
      this.lastError = { text: m.payload.toString(), code: m.index, tag: m.tag };
      this.unsolicitedErrors++;
      this.emit('unsolicited-error', this.lastError.text, m.index, m.tag);
      return;
    }
    this.link.log.warn({ type: MsgType[m.type] }, 'unexpected message for the QEMU side');
  }
}
