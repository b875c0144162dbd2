// The real simulator frozen, killed, or left without a broker: every wait
// ends at its timeout with the transaction named, and nothing hangs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { EX } from '../../bridge/src/example-device';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { PeerError } from '../../bridge/src/peer/peer-link';
import { ErrorCode } from '../../bridge/src/protocol/wire';
import { eventually, exampleStack, simBinary, testLog } from '../helpers';

const quiet = () => undefined;

test('a frozen simulator: the read times out naming tag, address and cycle; the device recovers', async () => {
  const s = await exampleStack({ requestTimeoutMs: 500, peerTimeoutMs: 5000 });
  try {
    await s.peer.read(EX.BAR, EX.ID, 8);
    s.sim.child.kill('SIGSTOP');
    const timeouts0 = s.broker.stats.channels.get('mmio')?.timeouts ?? 0;
    await assert.rejects(s.peer.read(EX.BAR, EX.SCRATCH, 4), (e: PeerError) => {
      assert.equal(e.code, ErrorCode.TIMEOUT);
      assert.match(e.message, /MMIO read timeout: device 'dev0' MMIO read BAR0\+0x8 len 4 tag \d+: hdl peer 'dev0' did not answer within 500 ms \(last heard \d+ ms ago at cycle [1-9]\d*\)/);
      return true;
    });
    // The broker's 500 ms timeout ended it (the text above is the broker's; the
    // peer's own, 3500 ms, would say "no answer from the broker"), counted once.
    assert.equal(s.broker.stats.channels.get('mmio')?.timeouts, timeouts0 + 1);
    s.sim.child.kill('SIGCONT');
    s.peer.write(EX.BAR, EX.SCRATCH, 0x5a5a, 4);
    assert.equal(await s.peer.read(EX.BAR, EX.SCRATCH, 4), 0x5a5an, 'served again after the stall; the late completion was dropped');
  } finally {
    s.sim.child.kill('SIGCONT');
    await s.stop();
  }
});

test('a simulator killed mid-DMA: the next read fails at once, and a restarted simulator takes over', async () => {
  const s = await exampleStack({ requestTimeoutMs: 1000, peerTimeoutMs: 600, heartbeatMs: 100 });
  try {
    s.peer.memory.write(0x100000n, Buffer.alloc(1 << 20, 1));
    s.peer.write(EX.BAR, EX.DMA_SRC, 0x100000n, 8);
    s.peer.write(EX.BAR, EX.DMA_DST, 0x300000n, 8);
    s.peer.write(EX.BAR, EX.DMA_LEN, 1 << 20, 8);
    s.peer.write(EX.BAR, EX.DMA_CTRL, EX.CTRL_START, 8);
    await eventually(() => s.peer.dmaReads > 10, 5000, 'DMA under way');
    s.sim.child.kill('SIGKILL');
    await s.sim.exited;
    // No hang: the broker answers the read (PEER_GONE or NO_PEER at once, at
    // worst TIMEOUT at its 1000 ms request timeout); it never falls through to
    // the peer's own 4000 ms timeout, whose text is "no answer from the broker".
    await assert.rejects(s.peer.read(EX.BAR, EX.DMA_STATUS, 8), (e: PeerError) => {
      assert.ok(e.code === ErrorCode.PEER_GONE || e.code === ErrorCode.NO_PEER || e.code === ErrorCode.TIMEOUT, `code ${e.code}: ${e.message}`);
      assert.match(e.message, /MMIO read BAR0\+0x40 len 8 tag \d+/);
      assert.doesNotMatch(e.message, /no answer from the broker/);
      return true;
    });
    await eventually(() => s.broker.pairedDevices().length === 0, 3000, 'broker dropped the dead simulator');
    const again = startSim({ binary: await simBinary(), endpoint: s.endpoints.hdl, echo: quiet });
    try {
      await eventually(() => s.broker.pairedDevices().includes('dev0'), 10000, 'restarted simulator joined');
      assert.equal(await s.peer.read(EX.BAR, EX.ID, 8), EX.ID_VALUE);
    } finally {
      await again.stop();
    }
  } finally {
    await s.stop();
  }
});

test('a simulator with no broker exits with a clear error within its timeout', async () => {
  // The simulator's text names the timeout it waited (its default connect
  // timeout, 5000 ms). The bound catches one that does not give up: three
  // times that, room for starting the model on a loaded machine.
  const EXIT_BOUND_MS = 15000;
  const ep = uniqueEndpoints();
  const binary = await simBinary();
  const t0 = Date.now();
  const sim = startSim({ binary, endpoint: ep.hdl, echo: quiet });
  const exit = await sim.exited;
  const ms = Date.now() - t0;
  assert.equal(exit.code, 3, sim.stderrTail.join('\n'));
  const said = /no broker answered at ipc:.* within (\d+) ms/.exec(sim.stderrTail.join('\n'));
  assert.ok(said, sim.stderrTail.join('\n'));
  assert.ok(ms >= Number(said[1]) - 50, `exited after ${ms} ms, before the ${said[1]} ms it names`);
  assert.ok(ms < EXIT_BOUND_MS, `exited after ${ms} ms`);
});

test('a simulator whose broker dies exits with a clear error', async () => {
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({ heartbeatMs: 100 }, ep), testLog());
  await broker.start();
  const sim = startSim({ binary: await simBinary(), endpoint: ep.hdl, peerTimeoutMs: 800, echo: quiet });
  try {
    const hdlPeer = () => broker['devices'].get('dev0')?.hdl;
    await eventually(() => hdlPeer() !== undefined, 10000, 'simulator joined');
    // A PONG to a heartbeat sent after the broker's HELLO shows the simulator has seen that HELLO.
    const joined = hdlPeer()!.lastSeen;
    await eventually(() => hdlPeer()!.lastSeen > joined, 5000, 'simulator answered a heartbeat');
    // Stop answering without a SHUTDOWN, as a killed broker would.
    broker['sockets'].hdl.close();
    clearInterval(broker['heartbeat']);
    const exit = await sim.exited;
    assert.equal(exit.code, 3, sim.stderrTail.join('\n'));
    assert.match(sim.stderrTail.join('\n'), /went silent/);
  } finally {
    await sim.stop();
    await broker.stop();
  }
});

test('--wave writes an FST waveform of the requested window', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-wave-'));
  const wave = path.join(dir, 'run.fst');
  const s = await exampleStack({ wave, waveStart: 0, waveStop: 100000 });
  try {
    for (let i = 0; i < 10; i++) await s.peer.read(EX.BAR, EX.CYCLE, 8);
  } finally {
    await s.stop();
  }
  assert.ok(fs.existsSync(wave), 'waveform written');
  assert.ok(fs.statSync(wave).size > 1000, `waveform has ${fs.statSync(wave).size} bytes`);
  fs.rmSync(dir, { recursive: true });
});
