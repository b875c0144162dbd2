// `cosim trace show FILE` and `cosim trace export FILE --pcap OUT.pcapng`.
import { Command, intOpt, UsageError } from '../cli/args';
import { deviceId, readTrace, TraceError } from './format';
import { exportPcapng } from './pcapng';
import { parseChannels, parseRange, showTrace, ShowUsageError } from './show';

export const TRACE: Command = {
  name: 'trace',
  summary: 'Read a trace file: show its messages one line each (cycle, time, channel, latency of each completion), or export them as pcapng for Wireshark.',
  usage: 'cosim trace show FILE [filters] [--json] | cosim trace export FILE --pcap OUT.pcapng',
  options: {
    device: { type: 'string', arg: 'NAME', help: 'the device to show or export, when the trace holds several (export: default every device)' },
    test: { type: 'string', arg: 'NAME', help: 'show: only the messages of this test' },
    channel: { type: 'string', arg: 'LIST', multiple: true, help: 'show: only these channels: mmio, dma, msix, intx, config, nic, serial, control (comma list, repeatable)' },
    addr: { type: 'string', arg: 'LO:HI', help: 'show: only MMIO and DMA messages touching this inclusive range: BAR offsets (MMIO), host addresses (DMA); decimal or 0x hex' },
    cycles: { type: 'string', arg: 'A:B', help: 'show: only messages whose RTL cycle lies in this inclusive range' },
    tag: { type: 'string', arg: 'N', help: 'show: only messages with this tag' },
    limit: { type: 'string', arg: 'N', help: 'show: at most N message lines' },
    json: { type: 'boolean', help: 'show: one JSON object per line (kind header, mark, note, txn, footer) instead of text' },
    pcap: { type: 'string', arg: 'OUT.pcapng', help: 'export: the pcapng file to write (link type USER0; dissector: bridge/wireshark/cosim.lua)' },
  },
  details: [
    'examples:',
    '  cosim trace show run.cstrace',
    '  cosim trace show run.cstrace --test gpu_copy --channel dma,msix',
    '  cosim trace show run.cstrace --addr 0x0:0xff --cycles 1000:2000 --json',
    '  cosim trace export run.cstrace --pcap run.pcapng',
    '  tshark -X lua_script:bridge/wireshark/cosim.lua -r run.pcapng -Y "cosim.type == 0x30"',
    'Lines come in recording order (PCIe order on each direction). A read completion names its request and the latency in cycles and us; an MSIX names the DMA_WRITE before it.',
    'Exit status: 0, or 2 for bad usage, a test or device the trace does not hold, or a file that cannot be read (the message names the byte offset). docs/trace-tools.md has the columns and the pcapng layout.',
  ].join('\n'),
};

type Values = Record<string, string | boolean | string[] | undefined>;
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

const SHOW_ONLY = ['test', 'channel', 'addr', 'cycles', 'tag', 'limit', 'json'];

export function runTrace(v: Values, pos: string[]): number {
  const [sub, file, ...extra] = pos;
  if (!sub || !['show', 'export'].includes(sub) || !file || extra.length) throw new UsageError(`usage: ${TRACE.usage}\n(see cosim trace --help)`);
  try {
    if (sub === 'export') {
      const given = SHOW_ONLY.filter((k) => v[k] !== undefined && v[k] !== false);
      if (given.length) throw new UsageError(`cosim trace export: ${given.map((k) => `--${k}`).join(', ')} belong to 'show'`);
      const out = str(v.pcap);
      if (!out) throw new UsageError('cosim trace export: --pcap OUT.pcapng is required');
      const t = readTrace(file);
      const device = str(v.device);
      if (device !== undefined) {
        try {
          deviceId(t, device);
        } catch (e) {
          throw new ShowUsageError((e as Error).message);
        }
      }
      const r = exportPcapng(t, out, device);
      console.log(`${out}: ${r.packets} packets (${r.devices.join(', ')}); open with: wireshark -X lua_script:bridge/wireshark/cosim.lua ${out}`);
      return 0;
    }
    if (v.pcap !== undefined) throw new UsageError("cosim trace show: --pcap belongs to 'export'");
    const lines = showTrace(readTrace(file), {
      device: str(v.device),
      test: str(v.test),
      channels: v.channel ? parseChannels(v.channel as string[]) : undefined,
      addr: v.addr !== undefined ? parseRange(str(v.addr)!, '--addr') : undefined,
      cycles: v.cycles !== undefined ? parseRange(str(v.cycles)!, '--cycles') : undefined,
      tag: v.tag !== undefined ? intOpt(v.tag, 'tag') : undefined,
      limit: v.limit !== undefined ? intOpt(v.limit, 'limit', 1) : undefined,
      json: Boolean(v.json),
    });
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof TraceError || e instanceof ShowUsageError) {
      console.error(`cosim trace ${sub}: ${e.message}`);
      return 2;
    }
    if (e instanceof Error && !(e instanceof UsageError) && /: cannot read the trace: /.test(e.message)) {
      console.error(`cosim trace ${sub}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
