// A driver for the GPU front-end written against the QEMU stand-in: what the
// guest kernel driver does, in TypeScript, for the tests (and as a model for
// guest/driver). Everything it knows about the device comes from the
// generated register map (regs.ts).
//
// Ring protocol: the driver owns TAIL, the device owns HEAD. To submit, write
// the 64-byte commands into ring entries TAIL, TAIL+1, ... (guest memory),
// then write the new TAIL to the doorbell (BAR2). At most SIZE-1 entries may
// wait; the room left is SIZE-1-((TAIL-HEAD) mod SIZE), refreshed by reading
// RING_HEAD. Completion is observed through fences: WRITE_FENCE writes its
// value to guest memory after every earlier command's writes have landed.
import { AccessSize, QemuPeer } from '../peer/qemu-peer';
import { GPU_BAR, GPU_CONST, GPU_ERR, GPU_FIELD, GPU_REG, GPU_REG_BAR, GPU_STRUCT } from './regs';

export type RegName = keyof typeof GPU_REG;
type StructName = keyof typeof GPU_STRUCT;
type Value = number | bigint;

const bit = (f: { lsb: number }): number => 1 << f.lsb;

export const CMD_FLAG = {
  IRQ: bit(GPU_FIELD.CMD_FLAGS_IRQ),
  SRC_VRAM: bit(GPU_FIELD.CMD_FLAGS_SRC_VRAM),
  DST_VRAM: bit(GPU_FIELD.CMD_FLAGS_DST_VRAM),
} as const;

export const DESC_STATUS = {
  DONE: bit(GPU_FIELD.NIC_DESC_STATUS_DONE),
  ERROR: bit(GPU_FIELD.NIC_DESC_STATUS_ERROR),
  TRUNC: bit(GPU_FIELD.NIC_DESC_STATUS_TRUNC),
} as const;

/** Lays out one struct (a command or a descriptor) from named field values; unnamed bytes are 0. */
export function encodeStruct(name: StructName, values: Record<string, Value>): Buffer {
  const s = GPU_STRUCT[name];
  const b = Buffer.alloc(s.bytes);
  const fields = s.fields as Record<string, { offset: number; size: number }>;
  const all: Record<string, Value> = 'opcode' in s ? { OPCODE: s.opcode, ...values } : values;
  for (const [k, v] of Object.entries(all)) {
    const f = fields[k];
    if (!f) throw new Error(`${name} has no field ${k}`);
    let x = BigInt.asUintN(8 * f.size, BigInt(v));
    for (let i = 0; i < f.size; i++, x >>= 8n) b[f.offset + i] = Number(x & 0xffn);
  }
  return b;
}

/** Reads one field of a struct laid out in `buf`. */
export function structField(name: StructName, buf: Buffer, field: string): bigint {
  const f = (GPU_STRUCT[name].fields as Record<string, { offset: number; size: number }>)[field];
  if (!f) throw new Error(`${name} has no field ${field}`);
  let v = 0n;
  for (let i = f.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[f.offset + i]);
  return v;
}

/** Command encoders, one 64-byte ring entry each. */
export const cmd = {
  nop: (flags = 0) => encodeStruct('CMD_NOP', { FLAGS: flags }),
  fence: (addr: Value, value: Value, flags = 0) => encodeStruct('CMD_WRITE_FENCE', { FLAGS: flags, ADDR: addr, VALUE: value }),
  copy: (src: Value, dst: Value, len: number, flags = 0) => encodeStruct('CMD_COPY', { FLAGS: flags, SRC: src, DST: dst, LEN: len }),
  fill: (dst: Value, len: number, pattern: number, flags = 0) => encodeStruct('CMD_FILL', { FLAGS: flags, DST: dst, LEN: len, PATTERN: pattern }),
  timestamp: (addr: Value, flags = 0) => encodeStruct('CMD_TIMESTAMP', { FLAGS: flags, ADDR: addr }),
  dispatch: (kernel: number, count: number, ops: { a: Value; b?: Value; c: Value; alpha?: number }, flags = 0) =>
    encodeStruct('CMD_DISPATCH', { FLAGS: flags, KERNEL: kernel, COUNT: count, A: ops.a, B: ops.b ?? 0, C: ops.c, ALPHA: ops.alpha ?? 0 }),
  raw: (opcode: number, flags = 0) => encodeStruct('CMD', { OPCODE: opcode, FLAGS: flags }),
};

export interface GpuDriverOptions {
  /** Guest address of the command ring (64-byte aligned). */
  ringBase: bigint;
  /** Ring entries, a power of two. */
  entries: number;
  /** Guest address the driver's fences land at (8-byte aligned). */
  fenceAddr: bigint;
  timeoutMs?: number;
}

export class GpuError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class GpuDriver {
  /** Next entry the driver writes (its copy of RING_TAIL). */
  tail = 0;
  /** Last RING_HEAD read from the device. */
  head = 0;
  /** Last fence value submitted by fence(). */
  seq = 0n;
  readonly timeoutMs: number;

  constructor(
    readonly peer: QemuPeer,
    readonly opts: GpuDriverOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10000;
  }

  read(reg: RegName, size: AccessSize = 8): Promise<bigint> {
    return this.peer.read(GPU_REG_BAR[reg], GPU_REG[reg], size);
  }

  write(reg: RegName, value: Value, size: AccessSize = 8): void {
    this.peer.write(GPU_REG_BAR[reg], GPU_REG[reg], value, size);
  }

  /** Soft reset, then waits until the device reports it done. */
  async softReset(): Promise<void> {
    this.write('SOFT_RESET', 1);
    await this.until(async () => (await this.read('STATUS')) & BigInt(bit(GPU_FIELD.STATUS_RESETTING)) ? false : true, 'soft reset to finish');
    this.tail = 0;
    this.head = 0;
  }

  /** Soft reset, ring and fence setup, ring enabled. */
  async init(): Promise<void> {
    await this.softReset();
    this.peer.memory.write(this.opts.fenceAddr, Buffer.alloc(8));
    this.seq = 0n;
    this.write('RING_BASE', this.opts.ringBase);
    this.write('RING_SIZE', this.opts.entries);
    this.write('FENCE_ADDR', this.opts.fenceAddr);
    this.write('RING_CTRL', bit(GPU_FIELD.RING_CTRL_ENABLE));
  }

  slotAddr(index: number): bigint {
    return this.opts.ringBase + BigInt(index * GPU_CONST.CMD_SIZE);
  }

  /** Entries the driver may still fill (from its last look at HEAD). */
  room(): number {
    const n = this.opts.entries;
    return n - 1 - ((this.tail - this.head + n) % n);
  }

  /** Writes commands into the ring and rings the doorbell; waits for room as needed. */
  async submit(...cmds: Buffer[]): Promise<void> {
    let pending = 0;
    for (const c of cmds) {
      if (this.room() === 0) {
        if (pending) this.doorbell();
        pending = 0;
        await this.until(async () => {
          this.head = Number(await this.read('RING_HEAD'));
          return this.room() > 0;
        }, 'room in the command ring');
      }
      this.peer.memory.write(this.slotAddr(this.tail), c);
      this.tail = (this.tail + 1) % this.opts.entries;
      pending++;
    }
    if (pending) this.doorbell();
  }

  /** Publishes the driver's TAIL through the doorbell page. */
  doorbell(value: Value = this.tail): void {
    this.peer.write(GPU_BAR.DOORBELL, GPU_REG.DOORBELL, value, 4);
  }

  /** The fence value at the driver's fence address (guest memory). */
  fenceValue(addr = this.opts.fenceAddr): bigint {
    return this.peer.memory.read(addr, 8).readBigUInt64LE();
  }

  /** Submits a WRITE_FENCE with the next sequence number and returns it. */
  async fence(flags = 0): Promise<bigint> {
    this.seq++;
    await this.submit(cmd.fence(0, this.seq, flags));
    return this.seq;
  }

  /** Waits until the fence at `addr` reaches `value` (sequence numbers only grow). */
  async waitFence(value: bigint, addr = this.opts.fenceAddr): Promise<void> {
    await this.until(async () => this.fenceValue(addr) >= value, `fence ${value} at 0x${addr.toString(16)}`, 1);
  }

  /** fence() + waitFence(): every command submitted so far has completed. */
  async sync(flags = 0): Promise<void> {
    await this.waitFence(await this.fence(flags));
  }

  /** Describes the device's error state (for messages). */
  async errorState(): Promise<{ halted: boolean; code: number; name: string; addr: bigint; head: number }> {
    const status = await this.read('STATUS');
    const code = Number(await this.read('ERR_CODE'));
    return {
      halted: (status & BigInt(bit(GPU_FIELD.STATUS_HALTED))) !== 0n,
      code,
      name: Object.entries(GPU_ERR).find(([, v]) => v === code)?.[0] ?? `code ${code}`,
      addr: await this.read('ERR_ADDR'),
      head: Number(await this.read('RING_HEAD')),
    };
  }

  /** Polls `pred` until it holds; on timeout the error names what was awaited and the device's error state. */
  async until(pred: () => Promise<boolean>, what: string, everyMs = 2): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (!(await pred())) {
      if (Date.now() > deadline) {
        const e = await this.errorState().catch(() => undefined);
        throw new GpuError(`${what}: not within ${this.timeoutMs} ms` + (e ? ` (device ${e.halted ? `halted on ${e.name} at 0x${e.addr.toString(16)}` : 'not halted'}, head ${e.head}, driver tail ${this.tail})` : ''));
      }
      await sleep(everyMs);
    }
  }
}

/** NIC rings as a driver keeps them: descriptors in guest memory, TAIL in the device. */
export class GpuNic {
  txTail = 0;
  rxTail = 0;

  constructor(
    readonly drv: GpuDriver,
    readonly rings: { txBase: bigint; txEntries: number; rxBase: bigint; rxEntries: number },
  ) {}

  private get mem() {
    return this.drv.peer.memory;
  }

  descAddr(base: bigint, index: number): bigint {
    return base + BigInt(index * GPU_CONST.NIC_DESC_SIZE);
  }

  init(): void {
    const d = this.drv;
    d.write('NIC_TX_BASE', this.rings.txBase);
    d.write('NIC_TX_SIZE', this.rings.txEntries);
    d.write('NIC_RX_BASE', this.rings.rxBase);
    d.write('NIC_RX_SIZE', this.rings.rxEntries);
    d.write('NIC_CTRL', bit(GPU_FIELD.NIC_CTRL_TX_EN) | bit(GPU_FIELD.NIC_CTRL_RX_EN));
    this.txTail = 0;
    this.rxTail = 0;
  }

  /** Queues one frame (already in guest memory at `addr`) for transmission; returns its descriptor index. */
  send(addr: bigint, len: number): number {
    return this.post('tx', addr, len);
  }

  /** Posts an empty receive buffer; returns its descriptor index. */
  postRx(addr: bigint, capacity: number): number {
    return this.post('rx', addr, capacity);
  }

  /** Fills the descriptor at the ring's tail and hands it to the device. */
  private post(ring: 'tx' | 'rx', addr: bigint, len: number): number {
    const tx = ring === 'tx';
    const i = tx ? this.txTail : this.rxTail;
    const next = (i + 1) % (tx ? this.rings.txEntries : this.rings.rxEntries);
    this.mem.write(this.descAddr(tx ? this.rings.txBase : this.rings.rxBase, i), encodeStruct('NIC_DESC', { ADDR: addr, LEN: len, STATUS: 0 }));
    if (tx) this.txTail = next;
    else this.rxTail = next;
    this.drv.write(tx ? 'NIC_TX_TAIL' : 'NIC_RX_TAIL', next);
    return i;
  }

  /** Waits for the device to mark a descriptor done; returns its LEN and STATUS. */
  async waitDesc(ring: 'tx' | 'rx', index: number): Promise<{ len: number; status: number }> {
    const addr = this.descAddr(ring === 'tx' ? this.rings.txBase : this.rings.rxBase, index);
    let desc: Buffer = Buffer.alloc(0);
    await this.drv.until(async () => {
      desc = this.mem.read(addr, GPU_CONST.NIC_DESC_SIZE);
      return (Number(structField('NIC_DESC', desc, 'STATUS')) & DESC_STATUS.DONE) !== 0;
    }, `NIC ${ring} descriptor ${index} done`, 1);
    return { len: Number(structField('NIC_DESC', desc, 'LEN')), status: Number(structField('NIC_DESC', desc, 'STATUS')) };
  }
}

