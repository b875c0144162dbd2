// The PCIe host's side of a device, independent of how messages travel:
// MMIO request encoding and completion decoding, DMA served from a HostMemory
// in <= 64 KiB chunks, MSI-X counting, the INTx level and the PCI config
// state the host tells the device (CFG_STATE), NIC frames and serial bytes. QemuPeer
// uses it over a ZeroMQ PeerLink; the TypeScript testbench (Dut) uses it over
// the N-API model addon.
import { CfgState, encodeCfgState, ErrorCode, Flag, MAX_PAYLOAD, message, Message, MsgType } from '../protocol/wire';
import { Logger } from '../util/log';
import { HostMemory } from './host-memory';
import { PeerError } from './peer-link';

export type AccessSize = 1 | 2 | 4 | 8;

/** What the host side reports; QemuPeer and Dut emit these as events. */
export interface HostEvents {
  msix: [vector: number, cycle: bigint];
  /** The device's INTx pin changed (INTX message). */
  intx: [level: number, cycle: bigint];
  nic: [frame: Buffer];
  serial: [bytes: Buffer];
}

export interface HostSideOptions {
  /** Sends one message towards the device. */
  send: (m: Message) => void;
  /** Reports an event (the owner's EventEmitter.emit). */
  emit: <K extends keyof HostEvents>(event: K, ...args: HostEvents[K]) => void;
  log: Logger;
  memory?: HostMemory;
}

export function mmioWhat(kind: 'read' | 'write', bar: number, offset: bigint, size: number, tag: number): string {
  return `MMIO ${kind} BAR${bar}+0x${offset.toString(16)} len ${size} tag ${tag}`;
}

export function mmioReadRequest(tag: number, bar: number, offset: bigint | number, size: AccessSize): Message {
  return message(MsgType.MMIO_READ, { tag, index: bar, address: BigInt(offset), length: size });
}

export function mmioWriteRequest(tag: number, bar: number, offset: bigint | number, value: bigint | number, size: AccessSize): Message {
  const payload = Buffer.alloc(size);
  let v = BigInt.asUintN(size * 8, BigInt(value));
  for (let i = 0; i < size; i++, v >>= 8n) payload[i] = Number(v & 0xffn);
  return message(MsgType.MMIO_WRITE, { tag, index: bar, address: BigInt(offset), length: size, payload });
}

/** The value an MMIO read completion carries; throws PeerError for an error completion. */
export function mmioReadValue(cpl: Message, size: AccessSize, what: string): bigint {
  if (cpl.flags & Flag.ERROR) throw new PeerError(`${what}: the device answered with an error (cycle ${cpl.cycle})`, ErrorCode.DEVICE);
  if (cpl.payload.length !== size) throw new PeerError(`${what}: completion carries ${cpl.payload.length} bytes`, ErrorCode.MALFORMED);
  let v = 0n;
  for (let i = cpl.payload.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(cpl.payload[i]);
  return v;
}

/** What the SV bridge assumes before the first CFG_STATE (docs/protocol.md). */
export const DEFAULT_CFG_STATE: CfgState = { msixEnable: true, msixMasked: false, busMaster: true, intxDisable: false };

export class HostSide {
  readonly memory: HostMemory;
  readonly msixCounts = new Map<number, number>();
  /** The INTx level the device last reported (0 until an INTX says otherwise). */
  intx = 0;
  /** INTX messages received (both edges). */
  intxChanges = 0;
  /** The config state last sent with setConfigState (the bridge's default before). */
  cfgState: CfgState = { ...DEFAULT_CFG_STATE };
  dmaReads = 0;
  /** DMA_WRITE messages, and the bytes they carried. */
  dmaWrites = 0;
  dmaWriteBytes = 0;
  /**
   * While true, DMA read requests are not answered at once but wait in
   * heldReads until completeDmaRead(): lets a test answer reads late, out of
   * order, or with an error.
   */
  holdDmaReads = false;
  readonly heldReads: Message[] = [];

  constructor(private readonly o: HostSideOptions) {
    this.memory = o.memory ?? new HostMemory();
  }

  /** Handles a device-to-host message; false if it is not a host-side one. */
  handle(m: Message): boolean {
    switch (m.type) {
      case MsgType.DMA_READ:
        this.dmaReads++;
        if (this.holdDmaReads) this.heldReads.push(m);
        else this.serveDmaRead(m);
        return true;
      case MsgType.DMA_WRITE:
        this.dmaWrites++;
        this.dmaWrite(m);
        return true;
      case MsgType.MSIX:
        this.msixCounts.set(m.index, (this.msixCounts.get(m.index) ?? 0) + 1);
        this.o.emit('msix', m.index, m.cycle);
        return true;
      case MsgType.INTX:
        this.intx = m.index;
        this.intxChanges++;
        this.o.emit('intx', m.index, m.cycle);
        return true;
      case MsgType.NIC_FRAME:
        this.o.emit('nic', m.payload);
        return true;
      case MsgType.SERIAL:
        this.o.emit('serial', m.payload);
        return true;
      default:
        return false;
    }
  }

  /**
   * Tells the device the PCI config state, as QEMU does after a config write:
   * the fields given replace those of the last state sent, the rest stay.
   * Returns the whole state sent.
   */
  setConfigState(c: Partial<CfgState>): CfgState {
    this.cfgState = { ...this.cfgState, ...c };
    this.o.send(message(MsgType.CFG_STATE, { index: encodeCfgState(this.cfgState) }));
    return { ...this.cfgState };
  }

  /** Answers a held DMA read (by tag): from host memory, or with an error completion. */
  completeDmaRead(tag: number, opts: { error?: boolean } = {}): void {
    const i = this.heldReads.findIndex((r) => r.tag === tag);
    if (i < 0) throw new Error(`no held DMA read with tag ${tag} (held: ${this.heldReads.map((r) => r.tag).join(', ') || 'none'})`);
    const [m] = this.heldReads.splice(i, 1);
    if (opts.error) this.o.send(message(MsgType.DMA_READ_CPL, { tag: m.tag, address: m.address, length: 0, flags: Flag.LAST | Flag.ERROR }));
    else this.serveDmaRead(m);
  }

  private serveDmaRead(m: Message): void {
    if (!this.memory.contains(m.address, m.length)) {
      this.o.log.warn({ tag: m.tag, address: `0x${m.address.toString(16)}`, length: m.length, cycle: m.cycle.toString() }, 'DMA read outside host memory: answered with an error');
      this.o.send(message(MsgType.DMA_READ_CPL, { tag: m.tag, address: m.address, length: 0, flags: Flag.LAST | Flag.ERROR }));
      return;
    }
    for (let off = 0; off < m.length; off += MAX_PAYLOAD) {
      const n = Math.min(MAX_PAYLOAD, m.length - off);
      const address = m.address + BigInt(off);
      const last = off + n >= m.length ? Flag.LAST : 0;
      this.o.send(message(MsgType.DMA_READ_CPL, { tag: m.tag, address, length: n, flags: last, payload: this.memory.read(address, n) }));
    }
  }

  private dmaWrite(m: Message): void {
    if (!this.memory.contains(m.address, m.payload.length)) {
      this.o.log.warn({ address: `0x${m.address.toString(16)}`, length: m.payload.length, cycle: m.cycle.toString() }, 'DMA write outside host memory: dropped');
      return;
    }
    this.memory.write(m.address, m.payload);
    this.dmaWriteBytes += m.payload.length;
  }
}
