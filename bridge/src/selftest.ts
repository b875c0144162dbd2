// `cosim selftest`: the broker, the Verilated example device and the QEMU
// stand-in, every channel exercised and checked, one table printed.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { formatTable } from './broker/stats';
import { EX } from './example-device';
import { dmaCopy, ethFrame, firstDiff, pattern, percentile, withTimeout } from './example-ops';
import { startInprocStack, startStack, StackOptions } from './orchestrate/stack';
import { inprocSpec } from './peer/inproc-hdl';
import { AccessSize, QemuPeer } from './peer/qemu-peer';
import { EVENT_WAIT_MS } from './defaults';
import { TraceWriter } from './trace/writer';

export interface CheckResult {
  channel: string;
  check: string;
  ops: number;
  ok: boolean;
  latenciesUs: number[];
  detail?: string;
}

type Check = { channel: string; check: string; run: (peer: QemuPeer, lat: number[]) => Promise<number> };

const hex = (v: bigint) => `0x${v.toString(16)}`;

async function timed<T>(lat: number[], fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  lat.push((performance.now() - t0) * 1000);
  return r;
}

function expectEq(got: bigint, want: bigint, what: string): void {
  if (got !== want) throw new Error(`${what}: read ${hex(got)}, expected ${hex(want)}`);
}

async function dmaCheck(peer: QemuPeer, lat: number[], len: number, src: bigint, dst: bigint, seed: number): Promise<number> {
  const data = pattern(len, seed);
  peer.memory.write(src, data);
  peer.memory.write(dst, Buffer.alloc(len + 16, 0xee).subarray(0, len));
  const status = await timed(lat, () => dmaCopy(peer, src, dst, len));
  if (status & BigInt(EX.STATUS_ERROR)) throw new Error(`DMA copy of ${len} bytes reported an error (status ${hex(status)})`);
  const got = peer.memory.read(dst, len);
  const d = firstDiff(got, data);
  if (d >= 0) throw new Error(`DMA copy of ${len} bytes ${hex(src)} -> ${hex(dst)}: first wrong byte at offset ${d} (got 0x${got[d]?.toString(16)}, want 0x${data[d]?.toString(16)})`);
  const guard = peer.memory.read(dst + BigInt(len), 1)[0];
  if (guard !== 0) throw new Error(`DMA copy of ${len} bytes wrote past its end (byte at dst+len is 0x${guard.toString(16)})`);
  return 1;
}

export const CHECKS: Check[] = [
  {
    channel: 'mmio',
    check: 'read ID, write/read every size',
    run: async (peer, lat) => {
      expectEq(await timed(lat, () => peer.read(EX.BAR, EX.ID, 8)), EX.ID_VALUE, 'ID register');
      let ops = 1;
      for (const size of [1, 2, 4, 8] as AccessSize[]) {
        for (let lane = 0; lane < 8; lane += size) {
          const value = BigInt.asUintN(size * 8, 0x8877665544332211n * BigInt(lane + size) + 0x0102030405060708n);
          const off = EX.REGFILE + 8 * (size - 1) + lane;
          peer.write(EX.BAR, off, value, size);
          expectEq(await timed(lat, () => peer.read(EX.BAR, off, size)), value, `BAR0+${hex(BigInt(off))} size ${size}`);
          ops += 2;
        }
      }
      return ops;
    },
  },
  {
    channel: 'mmio',
    check: 'read after 16 posted writes',
    run: async (peer, lat) => {
      for (let i = 0; i < 16; i++) peer.write(EX.BAR, EX.REGFILE + 8 * i, 0x1000n + BigInt(i), 8);
      for (let i = 0; i < 16; i++) expectEq(await timed(lat, () => peer.read(EX.BAR, EX.REGFILE + 8 * i, 8)), 0x1000n + BigInt(i), `REGFILE[${i}] after posted writes`);
      return 32;
    },
  },
  {
    channel: 'mmio',
    check: 'BAR2 RAM bytes',
    run: async (peer, lat) => {
      const data = pattern(64, 7);
      for (let i = 0; i < 64; i++) peer.write(EX.RAM_BAR, 0x100 + i, data[i], 1);
      for (let i = 0; i < 64; i += 8) expectEq(await timed(lat, () => peer.read(EX.RAM_BAR, 0x100 + i, 8)), data.readBigUInt64LE(i), `BAR2+${hex(BigInt(0x100 + i))}`);
      return 72;
    },
  },
  { channel: 'dma', check: 'copy 1 byte, unaligned', run: (peer, lat) => dmaCheck(peer, lat, 1, 0x10003n, 0x20005n, 1) },
  { channel: 'dma', check: 'copy 4 KiB', run: (peer, lat) => dmaCheck(peer, lat, 4096, 0x100000n, 0x200000n, 2) },
  { channel: 'dma', check: 'copy 1 MiB, unaligned', run: (peer, lat) => dmaCheck(peer, lat, 1 << 20, 0x1000001n, 0x2000007n, 3) },
  {
    channel: 'msix',
    check: `every vector (${EX.VECTORS})`,
    run: async (peer, lat) => {
      for (let v = 0; v < EX.VECTORS; v++) {
        const got = await timed(lat, async () => {
          const ev = once(peer, 'msix');
          peer.write(EX.BAR, EX.MSIX_TRIGGER, v, 8);
          return (await withTimeout(ev, EVENT_WAIT_MS, `MSI-X vector ${v}`))[0] as number;
        });
        if (got !== v) throw new Error(`MSI-X: triggered vector ${v}, received ${got}`);
      }
      return EX.VECTORS;
    },
  },
  {
    channel: 'msix',
    check: 'after DMA completion',
    run: async (peer, lat) => {
      peer.memory.write(0x300000n, pattern(256, 9));
      await timed(lat, () => dmaCopy(peer, 0x300000n, 0x310000n, 256, { vector: 2 }));
      return 1;
    },
  },
  {
    channel: 'intx',
    check: `MSI-X off: every vector asserts, IRQ_STATUS clears`,
    run: async (peer, lat) => {
      peer.setConfigState({ msixEnable: false });
      try {
        for (let v = 0; v < EX.VECTORS; v++) {
          const level = await timed(lat, async () => {
            const ev = once(peer, 'intx');
            peer.write(EX.BAR, EX.MSIX_TRIGGER, v, 8);
            return (await withTimeout(ev, EVENT_WAIT_MS, `INTx after vector ${v}`))[0] as number;
          });
          const st = await peer.read(EX.BAR, EX.IRQ_STATUS, 8);
          if (level !== 1 || st !== 1n << BigInt(v)) throw new Error(`INTx: vector ${v} gave level ${level}, IRQ_STATUS ${hex(st)}`);
          peer.write(EX.BAR, EX.IRQ_STATUS, st, 8);
          // The INTX=0 is sent before the completion of any later read.
          await peer.read(EX.BAR, EX.IRQ_STATUS, 8);
          if (peer.intx !== 0) throw new Error(`INTx: still asserted after clearing IRQ_STATUS bit ${v}`);
        }
      } finally {
        peer.setConfigState({ msixEnable: true });
      }
      return EX.VECTORS;
    },
  },
  {
    channel: 'nic',
    check: 'loopback 60 and 1514 bytes',
    run: async (peer, lat) => {
      for (const len of [60, 1514, 60, 1514]) {
        const frame = ethFrame(len, len);
        const got = await timed(lat, async () => {
          const ev = once(peer, 'nic');
          peer.sendFrame(frame);
          return (await withTimeout(ev, EVENT_WAIT_MS, `NIC frame of ${len} bytes`))[0] as Buffer;
        });
        if (!got.equals(frame)) throw new Error(`NIC: sent ${len} bytes, got back ${got.length} bytes, first difference at ${firstDiff(got, frame)}`);
      }
      return 4;
    },
  },
  {
    channel: 'serial',
    check: 'echo',
    run: async (peer, lat) => {
      const text = 'hello from the host\n';
      const received: Buffer[] = [];
      const onSerial = (b: Buffer) => received.push(b);
      peer.on('serial', onSerial);
      try {
        const t0 = performance.now();
        peer.sendSerial(text);
        const deadline = Date.now() + EVENT_WAIT_MS;
        while (Buffer.concat(received).length < text.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
        lat.push((performance.now() - t0) * 1000);
      } finally {
        peer.off('serial', onSerial);
      }
      const got = Buffer.concat(received).toString();
      if (got !== text) throw new Error(`serial: sent ${JSON.stringify(text)}, echoed ${JSON.stringify(got)}`);
      return text.length;
    },
  },
];

/** Runs the checks in order; with a trace, each check is a test between marks ("mmio: BAR2 RAM bytes"). */
export async function runChecks(peer: QemuPeer, checks = CHECKS, trace?: TraceWriter): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const c of checks) {
    const lat: number[] = [];
    const name = `${c.channel}: ${c.check}`;
    trace?.mark(name, 'begin');
    try {
      const ops = await c.run(peer, lat);
      results.push({ channel: c.channel, check: c.check, ops, ok: true, latenciesUs: lat });
    } catch (e) {
      results.push({ channel: c.channel, check: c.check, ops: lat.length, ok: false, latenciesUs: lat, detail: (e as Error).message });
    }
    trace?.mark(name, 'end', results.at(-1)!.ok ? 'pass' : 'fail');
  }
  return results;
}

export function resultTable(results: CheckResult[]): string {
  const rows = [['channel', 'check', 'ops', 'result', 'p50 latency']];
  for (const r of results) {
    const p50 = percentile(r.latenciesUs, 50);
    rows.push([r.channel, r.check, String(r.ops), r.ok ? 'pass' : 'FAIL', Number.isNaN(p50) ? '-' : p50 >= 10000 ? `${(p50 / 1000).toFixed(1)} ms` : `${p50.toFixed(0)} us`]);
  }
  const failures = results.filter((r) => !r.ok).map((r) => `FAIL ${r.channel} / ${r.check}: ${r.detail}`);
  return [formatTable(rows), ...failures].join('\n');
}

export async function selftest(o: StackOptions & { hdl?: string }): Promise<{ results: CheckResult[]; simCyclesLine?: string }> {
  const model = inprocSpec(o.hdl);
  if (model !== undefined) {
    const stack = await startInprocStack({ ...o, model });
    let results: CheckResult[];
    try {
      results = await runChecks(stack.peer, CHECKS, o.trace);
    } finally {
      await stack.stop();
    }
    return { results, simCyclesLine: `in-process ${stack.hdl.summary()}` };
  }
  const stack = await startStack(o);
  let results: CheckResult[];
  try {
    results = await runChecks(stack.peer, CHECKS, o.trace);
  } finally {
    await stack.stop();
  }
  if (stack.sim.exit?.code !== 0) {
    results.push({ channel: 'control', check: 'simulator clean exit', ops: 1, ok: false, latenciesUs: [], detail: `simulator ${stack.sim.describeExit()}` });
  }
  return { results, simCyclesLine: stack.sim.stderrTail.at(-1) };
}
