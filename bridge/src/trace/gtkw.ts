// A GTKWave save file (.gtkw) for an FST of a cosim model: the bridge
// endpoint's channels in groups (found in the FST by their port names, so
// whatever the top calls its instance), the view on a window of time, and
// named markers at given times. The format is GTKWave's own (savefile.c):
// `[dumpfile]`, `[timestart]`, `*zoom marker A..Z`, `[markername] Xlabel`,
// `@flags` then signal lines, groups as `-name` lines with begin/end flags.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FstFile, FstScope, FstVar } from './fst';

export interface GtkwMarker {
  /** FST time (two time units per clock: see fstTime in replay.ts). */
  time: bigint;
  label: string;
}

export interface GtkwOptions {
  /** The view's window, FST times (default: the whole file). */
  from?: bigint;
  to?: bigint;
  /** At most 26 (A..Z), named by their labels. */
  markers?: GtkwMarker[];
  /** The primary marker (default: the last named one). */
  primary?: GtkwMarker;
}

/** The bridge endpoint's channels, by port name, in the order GTKWave shows them. */
const GROUPS: { name: string; match: RegExp }[] = [
  { name: 'clock, reset, bridge cycle', match: /^(clk|rst_n|dev_rst_n|dev_idle|cycle)$/ },
  { name: 'MMIO: AXI4 master (host BAR accesses)', match: /^m_axi_/ },
  { name: 'DMA read: AXI4 slave AR/R', match: /^s_axi_(ar|r)/ },
  { name: 'DMA write: AXI4 slave AW/W/B', match: /^s_axi_(aw|w|b)/ },
  { name: 'MSI-X, INTx, PCI config state', match: /^(msix_|intx_level$|cfg_)/ },
  { name: 'NIC: AXI-Stream TX/RX', match: /^(s_axis_tx_|m_axis_rx_)/ },
  { name: 'UART', match: /^uart_/ },
];

/** Port names only the SV bridge endpoint (hdl/bridge/cosim_bridge.sv) has all of. */
const BRIDGE_PORTS = ['m_axi_arvalid', 's_axi_awvalid', 'msix_valid', 'uart_tx_valid', 'm_axis_rx_tvalid', 'dev_idle'];

/** The scope of the SV bridge endpoint in an FST, or undefined. */
export function bridgeScope(scopes: FstScope[]): FstScope | undefined {
  return scopes.find((s) => BRIDGE_PORTS.every((p) => s.vars.some((v) => v.name === p)));
}

// GTKWave trace flags (analyzer.h TR_*).
const TR_HEX = 0x2;
const TR_BIN = 0x8;
const TR_RJUSTIFY = 0x20;
const TR_BLANK = 0x200;
const TR_GRP_BEGIN = 0x800000;
const TR_GRP_END = 0x1000000;

const flags = (n: number) => `@${n.toString(16)}`;

/** The text of a .gtkw for `fstPath`; `savePath` is where it will live. */
export function gtkwText(fstPath: string, savePath: string, o: GtkwOptions = {}): string {
  const fst = new FstFile(fstPath);
  const scopes = fst.scopes();
  const bridge = bridgeScope(scopes);
  const from = o.from ?? fst.header.startTime;
  const to = o.to ?? fst.header.endTime;
  const span = Number(to > from ? to - from : 1n);
  // GTKWave shows 2^-zoom time units per pixel; fit the window in about 1200 pixels.
  const zoom = -Math.log2(Math.max(span, 1) / 1200);
  const markers = (o.markers ?? []).slice(-26);
  // Letters in time order, so A..Z read left to right.
  markers.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const named = Array.from({ length: 26 }, (_, i) => (markers[i] ? markers[i].time.toString() : '-1'));
  const primary = (o.primary ?? markers.at(-1))?.time.toString() ?? '-1';
  const lines = [
    '[*]',
    `[*] written by cosim for ${path.basename(fstPath)}`,
    '[*]',
    `[dumpfile] "${path.resolve(fstPath)}"`,
    `[savefile] "${path.resolve(savePath)}"`,
    `[timestart] ${from}`,
    '[size] 1600 900',
    '[pos] -1 -1',
    `*${zoom.toFixed(6)} ${primary} ${named.join(' ')}`,
    ...markers.map((m, i) => `[markername] ${String.fromCharCode(65 + i)}${m.label.replace(/[\r\n]/g, ' ')}`),
  ];
  if (bridge) {
    lines.push(`[treeopen] ${bridge.path}.`, '[sst_width] 260', '[signals_width] 340', '[sst_expanded] 1');
    let current = 0;
    const set = (n: number) => {
      if (n !== current) lines.push(flags(n));
      current = n;
    };
    for (const g of GROUPS) {
      const vars: FstVar[] = bridge.vars.filter((v) => g.match.test(v.name));
      if (!vars.length) continue;
      set(TR_GRP_BEGIN | TR_BLANK);
      lines.push(`-${g.name}`);
      for (const v of vars) {
        set(v.width > 1 ? TR_HEX | TR_RJUSTIFY : TR_BIN | TR_RJUSTIFY);
        lines.push(v.path);
      }
      set(TR_GRP_END | TR_BLANK);
      lines.push(`-${g.name}`);
    }
  } else {
    lines.push('[*] no scope with the bridge endpoint\'s ports was found: no signals listed');
  }
  lines.push('[pattern_trace] 1', '[pattern_trace] 0', '');
  return lines.join('\n');
}

/** Writes the .gtkw; returns its path. */
export function writeGtkw(fstPath: string, savePath: string, o: GtkwOptions = {}): string {
  fs.writeFileSync(savePath, gtkwText(fstPath, savePath, o));
  return savePath;
}
