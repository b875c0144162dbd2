// The broker hosting the RTL in its own process (--hdl inproc:MODEL): the same
// protocol behaviour as with a cosim-sim process, through the same broker code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { EX } from '../../bridge/src/example-device';
import { dmaCopy, pattern } from '../../bridge/src/example-ops';
import { Proc } from '../../bridge/src/orchestrate/process';
import { InprocStack, startInprocStack } from '../../bridge/src/orchestrate/stack';
import { inprocSpec } from '../../bridge/src/peer/inproc-hdl';
import { QemuPeer } from '../../bridge/src/peer/qemu-peer';
import { ErrorCode } from '../../bridge/src/protocol/wire';
import { eventually, repoRoot, testLog, uniqueEndpoints } from '../helpers';

const bin = path.join(repoRoot, 'bin', 'cosim');
let s: InprocStack;
before(async () => (s = await startInprocStack({ log: testLog(), model: 'example', simLogLevel: 'error', requestTimeoutMs: 1000 })));
after(async () => s?.stop());

test('--hdl accepts inproc:MODEL (and zmq) and names its format otherwise', () => {
  assert.equal(inprocSpec('inproc:example'), 'example');
  assert.equal(inprocSpec(undefined), undefined);
  assert.equal(inprocSpec('zmq'), undefined);
  assert.throws(() => inprocSpec('example'), /expected inproc:NAME_OR_PATH/);
});

test('handshake: the QEMU side gets the CONF the in-process RTL announced', () => {
  assert.equal(s.peer.conf?.deviceId, 0xc051);
  assert.equal(s.peer.conf?.msix.vectors, EX.VECTORS);
});

test('MMIO, DMA and MSI-X through the broker to the in-process model', async () => {
  assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE);
  const data = pattern(8192, 11);
  s.peer.memory.write(0x100003n, data);
  await dmaCopy(s.peer, 0x100003n, 0x200005n, data.length, { vector: 3 });
  assert.ok(s.peer.memory.read(0x200005n, data.length).equals(data));
  assert.equal(s.peer.msixCounts.get(3), 1);
});

test('the broker validates requests for an in-process peer like any other', async () => {
  await assert.rejects(s.peer.read(EX.BAR, 0x10000n, 4), (e: Error & { code?: number }) => e.code === ErrorCode.UNMAPPED && /past the end of BAR0/.test(e.message));
  await assert.rejects(s.peer.read(EX.BAR, EX.ERROR_WINDOW, 4), /answered with an error/);
  assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE);
});

test('the in-process model answers the broker\'s heartbeats while idle', async () => {
  // Idle, with nothing but heartbeats, until the broker has heard from the
  // model later than peerTimeoutMs after the start: a model that did not
  // answer would have been dropped by then (a wait shorter than the peer
  // timeout could not tell). The bound on the wait is only a backstop.
  const { heartbeatMs, peerTimeoutMs } = s.broker.config.broker;
  const hdl = () => s.broker['devices'].get('dev0')?.hdl;
  const t0 = Date.now();
  const heard = new Set<number>();
  await eventually(() => {
    const p = hdl();
    if (p) heard.add(p.lastSeen);
    return !p || p.lastSeen > t0 + peerTimeoutMs;
  }, peerTimeoutMs + 20 * heartbeatMs, 'the idle model heard from after the peer timeout');
  assert.ok(hdl(), 'the idle model was dropped');
  assert.ok(heard.size >= 3, `heard from it ${heard.size} times in ${peerTimeoutMs} ms with heartbeats every ${heartbeatMs} ms`);
  assert.deepEqual(s.broker.pairedDevices(), ['dev0']);
  assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE);
});

test('cosim broker --hdl inproc:example serves a client and stops cleanly on SIGTERM', async () => {
  const ep = uniqueEndpoints();
  const b = new Proc('broker', process.execPath, [bin, 'broker', '--qemu-endpoint', ep.qemu, '--hdl-endpoint', ep.hdl, '--hdl', 'inproc:example', '--hdl-name', 'rtl', '--log-level', 'info'], { echo: () => undefined });
  try {
    await eventually(() => b.stderrTail.some((l) => l.includes('device announced')), 30000, 'device announced');
    const peer = new QemuPeer({ endpoint: ep.qemu, name: 'rtl', log: testLog() });
    await peer.connect();
    peer.write(EX.BAR, EX.SCRATCH, 0x5a5an, 8);
    assert.equal(await peer.read(EX.BAR, EX.SCRATCH, 8), 0x5a5an);
    await peer.close();
  } finally {
    b.child.kill('SIGTERM');
    await b.exited;
  }
  assert.equal(b.exit?.code, 0, b.stderrTail.join('\n'));
  assert.ok(b.stderrTail.some((l) => l.includes('in-process HDL peer: summary: cycles=')), 'summary printed');
});

test('cosim selftest --hdl inproc:example passes every check', () => {
  const r = spawnSync(process.execPath, [bin, 'selftest', '--hdl', 'inproc:example', '--log-level', 'error'], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /selftest: all \d+ checks passed/);
  assert.match(r.stdout, /in-process summary: cycles=\d+/);
});
