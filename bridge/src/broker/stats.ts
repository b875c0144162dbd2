// Per-channel counters, printed on exit and on SIGUSR1.
import { MsgType } from '../protocol/wire';

export const CHANNELS = ['mmio', 'dma', 'msix', 'intx', 'config', 'nic', 'serial', 'control'] as const;
export type Channel = (typeof CHANNELS)[number];

export function channelOf(t: MsgType): Channel {
  switch (t) {
    case MsgType.MMIO_READ:
    case MsgType.MMIO_READ_CPL:
    case MsgType.MMIO_WRITE:
      return 'mmio';
    case MsgType.DMA_READ:
    case MsgType.DMA_READ_CPL:
    case MsgType.DMA_WRITE:
      return 'dma';
    case MsgType.MSIX:
      return 'msix';
    case MsgType.INTX:
      return 'intx';
    // PCI config state: device state, not link housekeeping, so it shows in
    // "the last transaction the broker saw" like any channel but control.
    case MsgType.CFG_STATE:
      return 'config';
    case MsgType.NIC_FRAME:
      return 'nic';
    case MsgType.SERIAL:
      return 'serial';
    default:
      return 'control';
  }
}

interface Counter {
  toHdl: number;
  toQemu: number;
  bytes: number;
  errors: number;
  timeouts: number;
}

export class Stats {
  readonly channels = new Map<Channel, Counter>();
  badFrames = 0;
  /** Peers dropped because they did not read: their send queue overflowed. */
  queueOverflows = 0;

  private get(ch: Channel): Counter {
    let c = this.channels.get(ch);
    if (!c) {
      c = { toHdl: 0, toQemu: 0, bytes: 0, errors: 0, timeouts: 0 };
      this.channels.set(ch, c);
    }
    return c;
  }

  forwarded(t: MsgType, toHdl: boolean, bytes: number): void {
    const c = this.get(channelOf(t));
    if (toHdl) c.toHdl++;
    else c.toQemu++;
    c.bytes += bytes;
  }

  error(ch: Channel): void {
    this.get(ch).errors++;
  }

  timeout(ch: Channel): void {
    this.get(ch).timeouts++;
  }

  table(): string {
    const rows = [['channel', 'to HDL', 'to QEMU', 'bytes', 'errors', 'timeouts']];
    for (const ch of CHANNELS) {
      const c = this.channels.get(ch);
      if (c) rows.push([ch, String(c.toHdl), String(c.toQemu), String(c.bytes), String(c.errors), String(c.timeouts)]);
    }
    rows.push(['bad frames', '', '', '', String(this.badFrames), '']);
    rows.push(['queue overflows', '', '', '', String(this.queueOverflows), '']);
    return formatTable(rows);
  }
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
