// Register map and helpers for the AXI test device (hdl/test/axi_test_dev.sv),
// shared by the test/rtl/bridge-axi-*.test.ts files.
import { Dut } from '../../bridge/src/testbench';

export const T = {
  BAR: 0,
  ID: 0x000,
  STALL: 0x008,
  CYCLE: 0x010,
  DEV_STALLS: 0x018,
  AR_STALLS: 0x020,
  AW_STALLS: 0x028,
  W_STALLS: 0x030,
  MSIX_STALLS: 0x038,
  RD_ADDR: 0x040,
  RD_CFG: 0x048,
  RD_CTRL: 0x050,
  RD_STATUS: 0x058,
  WR_ADDR: 0x080,
  WR_CFG: 0x088,
  WR_STRB: 0x090,
  WR_CTRL: 0x098,
  WR_STATUS: 0x0a0,
  WR_SEED: 0x0a8,
  MSIX: 0x0b0,
  RD_DATA: 0x1000,
  RD_INFO: 0x3000,
  ID_VALUE: 0x0000_7e57_a710_0001n,
  LOG_N: 1024,
} as const;

/** Stall channels (STALL register bits). */
export const Ch = {
  MMIO_AW: 0,
  MMIO_W: 1,
  MMIO_AR: 2,
  MMIO_B: 3,
  MMIO_R: 4,
  DMA_R: 5,
  DMA_B: 6,
  DMA_AR: 7,
  DMA_AW: 8,
  DMA_W: 9,
  NIC_RX: 10,
  UART_RX: 11,
  MSIX: 12,
} as const;
export const ALL_CHANNELS = (1 << 13) - 1;

/** Stalls the channels in mask about threshold/256 of the cycles, LFSR seeded with seed. */
export function setStalls(dut: Dut, mask: number, threshold: number, seed = 0x1234_5678): void {
  dut.mmio.write64(T.BAR, T.STALL, (BigInt(seed) << 32n) | (BigInt(threshold & 0xff) << 16n) | BigInt(mask & 0xffff));
}

export interface Bursts {
  addr: bigint;
  /** Beats per burst, 1..256. */
  beats: number;
  /** Bytes per beat: 1, 2, 4 or 8. */
  size: 1 | 2 | 4 | 8;
  /** Number of bursts, 1..256. */
  count: number;
  /** Bytes between burst start addresses. */
  stride: number;
}

const log2 = (n: number) => Math.log2(n);

function cfg(b: Bursts, idField: number): bigint {
  return (BigInt(b.stride) << 32n) | (BigInt(idField & 0xf) << 20n) | (BigInt(b.count - 1) << 12n) | (BigInt(log2(b.size)) << 8n) | BigInt(b.beats - 1);
}

/** Starts the read generator: IDs cycle over 0..ids-1. */
export function startReads(dut: Dut, b: Bursts, ids = 1): void {
  dut.mmio.write64(T.BAR, T.RD_ADDR, b.addr);
  dut.mmio.write64(T.BAR, T.RD_CFG, cfg(b, ids - 1));
  dut.mmio.write64(T.BAR, T.RD_CTRL, 1);
}

export interface WriteOpts {
  id?: number;
  strbMask?: number;
  seed?: number;
  /** MSI-X vector raised right after each burst's last W beat. */
  msixEach?: number;
  /** MSI-X vector raised after the last B response. */
  msixEnd?: number;
}

/** Starts the write generator. */
export function startWrites(dut: Dut, b: Bursts, o: WriteOpts = {}): void {
  dut.mmio.write64(T.BAR, T.WR_ADDR, b.addr);
  dut.mmio.write64(T.BAR, T.WR_CFG, cfg(b, o.id ?? 0));
  dut.mmio.write64(T.BAR, T.WR_STRB, o.strbMask ?? 0xff);
  dut.mmio.write64(T.BAR, T.WR_SEED, o.seed ?? 0);
  const vec = o.msixEach ?? o.msixEnd ?? 0;
  dut.mmio.write64(T.BAR, T.WR_CTRL, 1 | (o.msixEach !== undefined ? 2 : 0) | (o.msixEnd !== undefined ? 4 : 0) | (vec << 8));
}

export interface Status {
  busy: boolean;
  done: boolean;
  error: boolean;
  /** RD: beats received; WR: B responses. */
  count: number;
  /** RD: bursts received; WR: W beats sent. */
  count2: number;
}

export async function status(dut: Dut, reg: number): Promise<Status> {
  const v = await dut.mmio.read64(T.BAR, reg);
  return { busy: (v & 1n) !== 0n, done: (v & 2n) !== 0n, error: (v & 4n) !== 0n, count: Number((v >> 16n) & 0xffffn), count2: Number((v >> 32n) & 0xffffn) };
}

/** Polls a status register until done (the device clocks meanwhile). */
export async function waitDone(dut: Dut, reg: number, maxCycles = 2_000_000): Promise<Status> {
  const start = dut.cycle;
  for (;;) {
    const s = await status(dut, reg);
    if (s.done && !s.busy) return s;
    if (dut.cycle - start > BigInt(maxCycles)) throw new Error(`engine at 0x${reg.toString(16)} not done after ${maxCycles} cycles: ${JSON.stringify(s)}`);
    await dut.run(200);
  }
}

export interface Beat {
  data: bigint;
  id: number;
  last: boolean;
  resp: number;
  /** Beat number within its burst. */
  n: number;
}

/** The read generator's log: the first `count` R beats in arrival order. */
export async function readLog(dut: Dut, count: number): Promise<Beat[]> {
  const out: Beat[] = [];
  for (let i = 0; i < count; i++) {
    const data = await dut.mmio.read64(T.BAR, T.RD_DATA + 8 * i);
    const info = Number(await dut.mmio.read64(T.BAR, T.RD_INFO + 8 * i));
    out.push({ data, id: info & 0xf, last: (info & 0x10) !== 0, resp: (info >> 5) & 3, n: (info >> 8) & 0xff });
  }
  return out;
}

/** The byte the write generator puts at host address a (seed from WR_SEED). */
export function wbyte(a: bigint, seed = 0): number {
  const x = Number(a & 0xffffn);
  return (x & 0xff) ^ (((x >> 8) & 0xf) << 4 | ((x >> 12) & 0xf)) ^ seed;
}

/**
 * The bytes an INCR burst covers (AXI: the first beat from its address to the
 * end of its size-aligned container, later beats whole), with their lanes.
 */
export function burstBytes(addr: bigint, beats: number, size: number): { addr: bigint; lane: number; beat: number }[] {
  const out: { addr: bigint; lane: number; beat: number }[] = [];
  const sz = BigInt(size);
  let a = addr;
  for (let k = 0; k < beats; k++) {
    const end = (a & ~(sz - 1n)) + sz;
    for (let x = a; x < end; x++) out.push({ addr: x, lane: Number(x & 7n), beat: k });
    a = end;
  }
  return out;
}
