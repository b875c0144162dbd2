// The DPI shim's socket refuses frames larger than the protocol allows
// (ZMQ_MAXMSGSIZE, the value cosim-pcie and the broker use): ZeroMQ drops the
// connection before the frame reaches the shim's decoder, and the simulator
// goes on (its DEALER reconnects).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zmq from 'zeromq';
import { startSim } from '../../bridge/src/orchestrate/sim';
import { MAX_FRAME } from '../../bridge/src/protocol/link';
import { decode, encode, Message, message, MsgType } from '../../bridge/src/protocol/wire';
import { eventually, simBinary, uniqueEndpoints } from '../helpers';

/** Time for the handshake and for ZeroMQ to drop the connection: generous. */
const BOUND_MS = 10000;

test('an oversize frame from the broker drops the connection, not the simulator', async () => {
  const endpoint = uniqueEndpoints().hdl;
  const router = new zmq.Router({ linger: 0 });
  let disconnects = 0;
  router.events.on('disconnect', () => disconnects++);
  await router.bind(endpoint);
  const got: Message[] = [];
  let shim: Buffer | undefined;
  void (async () => {
    for await (const [id, ...frames] of router) {
      shim ??= id;
      const m = decode(frames);
      got.push(m);
      if (m.type === MsgType.HELLO) await router.send([id, ...encode(message(MsgType.HELLO, { tag: m.tag, payload: Buffer.from('broker') }))]);
    }
  })().catch(() => undefined);
  const sim = startSim({ binary: await simBinary(), endpoint, name: 'dev0', peerTimeoutMs: 60000, echo: () => undefined });
  try {
    await eventually(() => got.some((m) => m.type === MsgType.CONF), BOUND_MS, 'the simulator announced its CONF');
    const [header] = encode(message(MsgType.SERIAL, { payload: Buffer.alloc(1) }));
    header.writeUInt32LE(MAX_FRAME + 1, 28);
    await router.send([shim!, header, Buffer.alloc(MAX_FRAME + 1)]);
    await eventually(() => disconnects > 0, BOUND_MS, 'ZeroMQ dropped the connection');
    assert.deepEqual(got.filter((m) => m.type === MsgType.ERROR).map((m) => m.payload.toString()), [], 'the frame never reached the decoder');
    assert.equal(sim.child.exitCode, null, `the simulator runs on: ${sim.stderrTail.join('\n')}`);
    assert.ok(!sim.stderrTail.some((l) => l.includes('bad frame')), sim.stderrTail.join('\n'));
  } finally {
    await sim.stop();
    router.close();
  }
});
