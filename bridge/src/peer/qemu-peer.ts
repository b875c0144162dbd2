// A TypeScript stand-in for QEMU's cosim-pcie device: handshake, MMIO, DMA
// served from a simulated host memory, MSI-X, NIC frames and serial bytes.
import { EventEmitter } from 'node:events';
import { decodeConf, DeviceConf } from '../protocol/conf';
import { ErrorCode, Flag, MAX_PAYLOAD, message, Message, MsgType, Role } from '../protocol/wire';
import { Logger } from '../util/log';
import { HostMemory } from './host-memory';
import { PeerError, PeerLink } from './peer-link';

export interface QemuPeerOptions {
  endpoint: string;
  name?: string;
  /** MMIO read / handshake timeout. */
  timeoutMs?: number;
  peerTimeoutMs?: number;
  memory?: HostMemory;
  log: Logger;
}

export type AccessSize = 1 | 2 | 4 | 8;

export interface QemuPeerEvents {
  msix: [vector: number, cycle: bigint];
  nic: [frame: Buffer];
  serial: [bytes: Buffer];
  error: [text: string, code: number];
  lost: [reason: string];
}

export class QemuPeer extends EventEmitter<QemuPeerEvents> {
  readonly link: PeerLink;
  readonly memory: HostMemory;
  readonly msixCounts = new Map<number, number>();
  conf?: DeviceConf;
  dmaReads = 0;
  dmaWriteBytes = 0;

  constructor(opts: QemuPeerOptions) {
    super();
    this.memory = opts.memory ?? new HostMemory();
    this.link = new PeerLink({
      endpoint: opts.endpoint,
      name: opts.name ?? 'dev0',
      role: Role.QEMU,
      timeoutMs: opts.timeoutMs ?? 5000,
      peerTimeoutMs: opts.peerTimeoutMs,
      log: opts.log,
    });
    this.link.onMessage = (m) => this.handle(m);
    this.link.onLost = (reason) => this.emit('lost', reason);
  }

  /** HELLO, then INIT: resolves with the device configuration (CONF). */
  async connect(): Promise<DeviceConf> {
    await this.link.connect();
    const reply = await this.link.request(message(MsgType.INIT, { tag: this.link.allocTag() }), `INIT for device '${this.link.opts.name}'`);
    this.conf = decodeConf(reply.payload);
    return this.conf;
  }

  async read(bar: number, offset: bigint | number, size: AccessSize = 4): Promise<bigint> {
    const address = BigInt(offset);
    const tag = this.link.allocTag();
    const what = `MMIO read BAR${bar}+0x${address.toString(16)} len ${size} tag ${tag}`;
    const cpl = await this.link.request(message(MsgType.MMIO_READ, { tag, index: bar, address, length: size }), what);
    if (cpl.flags & Flag.ERROR) throw new PeerError(`${what}: the device answered with an error (cycle ${cpl.cycle})`, ErrorCode.DEVICE);
    if (cpl.payload.length !== size) throw new PeerError(`${what}: completion carries ${cpl.payload.length} bytes`, ErrorCode.MALFORMED);
    return readLE(cpl.payload);
  }

  /** Posted: returns once queued. A later read on the same device sees it. */
  write(bar: number, offset: bigint | number, value: bigint | number, size: AccessSize = 4): void {
    const payload = Buffer.alloc(size);
    let v = BigInt.asUintN(size * 8, BigInt(value));
    for (let i = 0; i < size; i++, v >>= 8n) payload[i] = Number(v & 0xffn);
    this.link.send(message(MsgType.MMIO_WRITE, { tag: this.link.allocTag(), index: bar, address: BigInt(offset), length: size, payload }));
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

  close(reason?: string): Promise<void> {
    return this.link.close(reason);
  }

  private handle(m: Message): void {
    switch (m.type) {
      case MsgType.DMA_READ:
        return this.serveDmaRead(m);
      case MsgType.DMA_WRITE:
        return this.dmaWrite(m);
      case MsgType.MSIX:
        this.msixCounts.set(m.index, (this.msixCounts.get(m.index) ?? 0) + 1);
        this.emit('msix', m.index, m.cycle);
        return;
      case MsgType.NIC_FRAME:
        this.emit('nic', m.payload);
        return;
      case MsgType.SERIAL:
        this.emit('serial', m.payload);
        return;
      case MsgType.ERROR:
        this.emit('error', m.payload.toString(), m.index);
        return;
      default:
        this.link.log.warn({ type: MsgType[m.type] }, 'unexpected message for the QEMU side');
    }
  }

  private serveDmaRead(m: Message): void {
    this.dmaReads++;
    if (!this.memory.contains(m.address, m.length)) {
      this.link.log.warn({ tag: m.tag, address: `0x${m.address.toString(16)}`, length: m.length, cycle: m.cycle.toString() }, 'DMA read outside host memory: answered with an error');
      this.link.send(message(MsgType.DMA_READ_CPL, { tag: m.tag, address: m.address, length: 0, flags: Flag.LAST | Flag.ERROR }));
      return;
    }
    for (let off = 0; off < m.length; off += MAX_PAYLOAD) {
      const n = Math.min(MAX_PAYLOAD, m.length - off);
      const address = m.address + BigInt(off);
      const last = off + n >= m.length ? Flag.LAST : 0;
      this.link.send(message(MsgType.DMA_READ_CPL, { tag: m.tag, address, length: n, flags: last, payload: this.memory.read(address, n) }));
    }
  }

  private dmaWrite(m: Message): void {
    if (!this.memory.contains(m.address, m.payload.length)) {
      this.link.log.warn({ address: `0x${m.address.toString(16)}`, length: m.payload.length, cycle: m.cycle.toString() }, 'DMA write outside host memory: dropped');
      return;
    }
    this.memory.write(m.address, m.payload);
    this.dmaWriteBytes += m.payload.length;
  }
}

function readLE(b: Buffer): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}
