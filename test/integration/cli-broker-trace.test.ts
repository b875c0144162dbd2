// `cosim broker --trace FILE` (the RTL in-process): the trace holds the
// client's MMIO read with the cycle the RTL took it in, and the broker says
// where the trace is; with --trace /dev/full it relays all the same, then
// prints the write error and exits non-zero.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Proc } from '../../bridge/src/orchestrate/process';
import { MsgType } from '../../bridge/src/protocol/wire';
import { deviceId, Dir, readTrace, transactions } from '../../bridge/src/trace/format';
import { eventually, repoRoot, uniqueEndpoints } from '../helpers';

const bin = path.join(repoRoot, 'bin', 'cosim');

/** A broker with the example RTL in-process and --trace FILE; one client read through it; then SIGTERM. */
async function brokerRun(file: string): Promise<{ code: number | null; stderr: string[]; read: string }> {
  const ep = uniqueEndpoints();
  const b = new Proc('broker', process.execPath, [bin, 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--hdl', 'inproc:example', '--trace', file, '--log-level', 'info'], { echo: () => undefined });
  try {
    await eventually(() => b.stderrTail.some((l) => l.includes('device announced')), 60000, 'device announced');
    const r = spawnSync(process.execPath, [bin, 'client', '--endpoint', ep.qemu, '--log-level', 'silent', 'read', '0', '0x0', '8'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    b.child.kill('SIGTERM');
    const { code } = await b.exited;
    return { code, stderr: b.stderrTail, read: r.stdout.trim() };
  } finally {
    await b.stop();
  }
}

test('cosim broker --trace FILE records the device traffic, each message to the RTL with its cycle', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-trace-')), 'broker.trace');
  const r = await brokerRun(file);
  assert.equal(r.code, 0, r.stderr.join('\n'));
  assert.equal(r.read, '0x10000c051e001');
  assert.ok(r.stderr.some((l) => new RegExp(`^trace ${file}: \\d+ records, \\d+ bytes$`).test(l)), r.stderr.join('\n'));
  const t = readTrace(file);
  assert.equal(t.complete, true);
  assert.match(String(t.meta.command), /^cosim broker .*--trace /);
  const x = transactions(t, deviceId(t, 'dev0'));
  assert.equal(x[0].msg.type, MsgType.CONF, 'the announce first');
  const read = x.find((m) => m.msg.type === MsgType.MMIO_READ)!;
  assert.ok(read.cycle !== undefined && read.cycle > 0n, 'the read has the cycle the RTL took it in');
  const cpl = x.find((m) => m.msg.type === MsgType.MMIO_READ_CPL && m.msg.tag === read.msg.tag)!;
  assert.ok(cpl.cycle! > read.cycle!);
  assert.equal(cpl.msg.payload.readBigUInt64LE(0), 0x10000c051e001n);
  // Every message to the RTL is stamped but the broker's last SHUTDOWN (the RTL stops on it).
  const unstamped = x.filter((m) => m.dir === Dir.TO_DEVICE && m.cycle === undefined).map((m) => MsgType[m.msg.type]);
  assert.ok(unstamped.length <= 1 && unstamped.every((n) => n === 'SHUTDOWN'), unstamped.join(', '));
});

test('cosim broker --trace /dev/full relays, then says the trace is incomplete and exits 1', async () => {
  const r = await brokerRun('/dev/full');
  assert.equal(r.read, '0x10000c051e001');
  assert.equal(r.code, 1);
  assert.ok(r.stderr.some((l) => /^trace \/dev\/full: write failed: ENOSPC \(disk full\) after 0 bytes; the trace is incomplete$/.test(l)), r.stderr.join('\n'));
});
