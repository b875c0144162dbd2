// Simulated guest physical memory for the QEMU stand-in: sparse 4 KiB pages,
// zero until written, bounded so that a runaway DMA address is an error.
const PAGE = 4096;

export class HostMemory {
  private readonly pages = new Map<number, Buffer>();

  constructor(readonly size: bigint = 1n << 32n) {}

  contains(addr: bigint, len: number): boolean {
    return addr >= 0n && len >= 0 && addr + BigInt(len) <= this.size;
  }

  read(addr: bigint, len: number): Buffer {
    this.check(addr, len);
    const out = Buffer.alloc(len);
    this.walk(addr, len, (page, off, pos, n) => {
      const p = this.pages.get(page);
      if (p) p.copy(out, pos, off, off + n);
    });
    return out;
  }

  write(addr: bigint, data: Buffer): void {
    this.check(addr, data.length);
    this.walk(addr, data.length, (page, off, pos, n) => {
      let p = this.pages.get(page);
      if (!p) {
        p = Buffer.alloc(PAGE);
        this.pages.set(page, p);
      }
      data.copy(p, off, pos, pos + n);
    });
  }

  private check(addr: bigint, len: number): void {
    if (!this.contains(addr, len)) {
      throw new RangeError(`host memory access 0x${addr.toString(16)}+${len} outside 0..0x${this.size.toString(16)}`);
    }
  }

  private walk(addr: bigint, len: number, fn: (page: number, off: number, pos: number, n: number) => void): void {
    let pos = 0;
    while (pos < len) {
      const a = addr + BigInt(pos);
      const page = Number(a / BigInt(PAGE));
      const off = Number(a % BigInt(PAGE));
      const n = Math.min(PAGE - off, len - pos);
      fn(page, off, pos, n);
      pos += n;
    }
  }
}
