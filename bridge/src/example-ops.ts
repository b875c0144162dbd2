// Operations on the example device through a QEMU peer, shared by
// `cosim selftest` and the integration tests.
import { once } from 'node:events';
import { EX } from './example-device';
import { QemuPeer } from './peer/qemu-peer';
import { DMA_COPY_WAIT_MS } from './defaults';

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

/** Copies len bytes of host memory from src to dst with the device's DMA engine. */
export async function dmaCopy(peer: QemuPeer, src: bigint, dst: bigint, len: number, opts: { vector?: number; timeoutMs?: number } = {}): Promise<bigint> {
  peer.write(EX.BAR, EX.DMA_SRC, src, 8);
  peer.write(EX.BAR, EX.DMA_DST, dst, 8);
  peer.write(EX.BAR, EX.DMA_LEN, len, 8);
  const irq = opts.vector !== undefined ? EX.CTRL_IRQ | (opts.vector << 8) : 0;
  const msix = opts.vector !== undefined ? once(peer, 'msix') : undefined;
  peer.write(EX.BAR, EX.DMA_CTRL, EX.CTRL_START | irq, 8);
  const waitMs = opts.timeoutMs ?? DMA_COPY_WAIT_MS;
  const deadline = Date.now() + waitMs;
  // With an interrupt, its arrival ends the wait (no poll interval added to the copy's time).
  if (msix) await withTimeout(msix, waitMs, `MSI-X vector ${opts.vector} after a DMA copy 0x${src.toString(16)} -> 0x${dst.toString(16)} len ${len}`);
  for (;;) {
    const status = await peer.read(EX.BAR, EX.DMA_STATUS, 8);
    if ((status & BigInt(EX.STATUS_BUSY)) === 0n && (status & BigInt(EX.STATUS_DONE)) !== 0n) return status;
    if (Date.now() > deadline) {
      throw new Error(`DMA copy 0x${src.toString(16)} -> 0x${dst.toString(16)} len ${len}: not done within ${waitMs} ms (status 0x${status.toString(16)})`);
    }
    await new Promise((r) => setTimeout(r, len > 65536 ? 20 : 1));
  }
}

/** Deterministic pseudo-random bytes, so a failing compare is reproducible. */
export function pattern(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Index of the first differing byte, or -1. */
export function firstDiff(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

export function ethFrame(len: number, seed: number): Buffer {
  const f = pattern(len, seed);
  Buffer.from([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5]).copy(f, 0); // local MACs, experimental ethertype
  return f;
}
