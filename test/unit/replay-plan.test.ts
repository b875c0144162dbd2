// What `cosim replay` takes from a trace (planReplay), on traces built by
// hand: which messages are injected, what must come out and as which units,
// and the errors for traces it cannot replay. No model is loaded here
// (test/integration/replay-inproc.test.ts replays real traces).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceConf, encodeConf } from '../../bridge/src/protocol/conf';
import { message, Message, MsgType } from '../../bridge/src/protocol/wire';
import { HDL_JOINED, parseTrace } from '../../bridge/src/trace/format';
import { lz4Block } from '../../bridge/src/trace/fst';
import { confDiff, planReplay, ReplayInputError } from '../../bridge/src/trace/replay';
import { EXAMPLE_CONF } from '../helpers';
import { buildTrace, FixtureRecord } from '../trace-fixture';

const CONF = EXAMPLE_CONF;

const conf = (cycle = 0n): FixtureRecord => ({ from: message(MsgType.CONF, { length: 136, cycle, payload: encodeConf(CONF) }) });
const write = (cycle: bigint, address: bigint, bytes: number[]): FixtureRecord => ({ from: message(MsgType.DMA_WRITE, { address, length: bytes.length, cycle, payload: Buffer.from(bytes) }) });
const serial = (cycle: bigint, text: string): FixtureRecord => ({ from: message(MsgType.SERIAL, { length: text.length, cycle, payload: Buffer.from(text) }) });
const mmioWrite = (tag: number): Message => message(MsgType.MMIO_WRITE, { tag, address: 0x10n, length: 4, payload: Buffer.alloc(4) });
const trace = (records: FixtureRecord[], complete = true) => parseTrace(buildTrace(undefined, { devices: ['dev0'], records, complete }), 'hand.trace');

test('address-contiguous DMA writes are one unit whatever splits them; serial bytes are one stream', () => {
  const plan = planReplay(
    trace([
      conf(),
      { to: mmioWrite(1) },
      { delivered: [20n] },
      write(30n, 0x1000n, [1, 2, 3, 4]),
      serial(31n, 'ab'),
      write(32n, 0x1004n, [5, 6, 7, 8]),
      { from: message(MsgType.MSIX, { index: 2, cycle: 33n }) },
      write(34n, 0x2000n, [9, 9]),
      serial(35n, 'cd'),
    ]),
  );
  assert.equal(plan.inject.length, 1);
  assert.equal(plan.inject[0].cycle, 20n);
  assert.deepEqual(
    plan.units.map((u) => [u.parts.map((p) => MsgType[p.msg.type]).join('+'), u.cycle, u.run?.address, u.run ? [...u.run.data] : undefined]),
    [
      ['DMA_WRITE+DMA_WRITE', 32n, 0x1000n, [1, 2, 3, 4, 5, 6, 7, 8]],
      ['MSIX', 33n, undefined, undefined],
      ['DMA_WRITE', 34n, 0x2000n, [9, 9]],
    ],
  );
  assert.equal(plan.serial.data.toString(), 'abcd');
  assert.deepEqual(plan.serial.parts.map((p) => p.start), [0, 2]);
  assert.equal(plan.lastCycle, 35n);
  assert.deepEqual(plan.notes, []);
});

test('messages to the device whose stamps never came are not injected, nor compared what followed them', () => {
  const plan = planReplay(
    trace([
      conf(),
      { to: mmioWrite(1) },
      { delivered: [20n] },
      { from: message(MsgType.MSIX, { cycle: 25n }) },
      { to: mmioWrite(2) },
      { from: message(MsgType.MSIX, { index: 1, cycle: 40n }) },
      { to: mmioWrite(3) },
    ]),
  );
  assert.deepEqual(plan.inject.map((t) => t.msg.tag), [1]);
  assert.deepEqual(plan.units.map((u) => u.parts[0].msg.index), [0]);
  assert.match(plan.notes.join('\n'), /the last 2 messages to the device \(from #3, MMIO_WRITE tag=2 .*\) have no delivery stamp/);
  assert.match(plan.notes.join('\n'), /1 message from the device recorded after that point not compared/);
});

test('a trace whose HDL side never stamped is refused, naming the first message', () => {
  assert.throws(
    () => planReplay(trace([conf(), { to: mmioWrite(1) }, { from: message(MsgType.MSIX, { cycle: 25n }) }])),
    (e: unknown) => e instanceof ReplayInputError && /byte \d+: message #1 to the device \(MMIO_WRITE tag=1 .*\) has no delivery stamp, nor has any message before it/.test(e.message),
  );
});

test('stamps that go back in time are refused, naming the message', () => {
  assert.throws(
    () => planReplay(trace([conf(), { to: mmioWrite(1) }, { to: mmioWrite(2) }, { delivered: [30n, 29n] }, { from: message(MsgType.MSIX, { cycle: 35n }) }])),
    (e: unknown) => e instanceof ReplayInputError && /message #2 to the device \(MMIO_WRITE tag=2 .*\) is stamped cycle 29, before the stamp of the message before it \(cycle 30\): the stamps are out of order/.test(e.message),
  );
});

test('a trace that does not start at cycle 0 (no CONF, or a CONF later on) is refused', () => {
  assert.throws(() => planReplay(trace([{ to: mmioWrite(1) }, { delivered: [20n] }, { from: message(MsgType.MSIX, { cycle: 25n }) }])), /announced no CONF in the trace: replay needs a trace from the simulator's start \(cycle 0\)/);
  assert.throws(() => planReplay(trace([conf(500n)])), /the device's CONF \(message #0\) is at cycle 500, not 0/);
});

test('--test: an unknown test lists the trace\'s tests; a known one replays through its end mark', () => {
  const records: FixtureRecord[] = [
    conf(),
    { mark: { test: 'first', event: 'begin' } },
    { to: mmioWrite(1) },
    { delivered: [20n] },
    { from: message(MsgType.MSIX, { cycle: 25n }) },
    { mark: { test: 'first', event: 'end', status: 'pass' } },
    { mark: { test: 'second', event: 'begin' } },
    { to: mmioWrite(2) },
    { delivered: [40n] },
    { from: message(MsgType.MSIX, { index: 1, cycle: 45n }) },
    { mark: { test: 'second', event: 'end', status: 'fail' } },
  ];
  assert.throws(
    () => planReplay(trace(records), { test: 'third' }),
    (e: unknown) => e instanceof ReplayInputError && e.message === "hand.trace: no test 'third' in the trace; its tests: first, second",
  );
  const first = planReplay(trace(records), { test: 'first' });
  assert.deepEqual(first.inject.map((t) => t.msg.tag), [1]);
  assert.equal(first.units.length, 1);
  assert.deepEqual(first.testTxns.map((t) => t.seq), [1, 2]);
  const second = planReplay(trace(records), { test: 'second' });
  assert.deepEqual(second.inject.map((t) => t.msg.tag), [1, 2], 'the whole prefix is replayed');
  assert.deepEqual(second.testTxns.map((t) => t.cycle), [40n, 45n]);
  assert.throws(() => planReplay(trace([conf()]), { test: 'x' }), /its tests: none \(the trace has no test marks\)/);
});

test('a simulator that restarted: the run of the RTL that holds the test is replayed', () => {
  const plan = planReplay(
    trace([
      { note: HDL_JOINED, dev: 'dev0' },
      conf(),
      { to: mmioWrite(1) },
      { delivered: [20n] },
      { note: HDL_JOINED, dev: 'dev0' },
      conf(),
      { mark: { test: 't', event: 'begin' } },
      { to: mmioWrite(2) },
      { delivered: [18n] },
      { from: message(MsgType.MSIX, { cycle: 30n }) },
    ]),
    { test: 't' },
  );
  assert.deepEqual(plan.inject.map((t) => [t.msg.tag, t.cycle]), [[2, 18n]]);
  assert.equal(plan.conf?.txn.seq, 2);
  assert.match(plan.notes.join('\n'), /2 runs of the device's RTL .*replaying run 2/);
});

test('a SHUTDOWN to the device ends what is injected; the incomplete trace is noted', () => {
  const plan = planReplay(
    trace(
      [
        conf(),
        { to: mmioWrite(1) },
        { to: message(MsgType.SHUTDOWN, { payload: Buffer.from('bye') }) },
        { delivered: [20n] },
        { from: message(MsgType.SHUTDOWN, { payload: Buffer.from('stopping'), cycle: 21n }) },
      ],
      false,
    ),
  );
  assert.deepEqual(plan.inject.map((t) => MsgType[t.msg.type]), ['MMIO_WRITE']);
  assert.deepEqual(plan.units, []);
  assert.match(plan.notes.join('\n'), /no END record/);
});

test('confDiff names each field that differs, trace value first', () => {
  const other: DeviceConf = { ...CONF, deviceId: 0x5678, msix: { ...CONF.msix, vectors: 8 }, bars: CONF.bars.map((b, i) => (i === 3 ? { ...b, size: 0x1000n } : b)) };
  assert.deepEqual(confDiff(CONF, other), ['deviceId 0xc051 (trace) vs 0x5678 (RTL)', 'msix.vectors 4 (trace) vs 8 (RTL)', 'bars[3].size 0x0 (trace) vs 0x1000 (RTL)']);
  assert.deepEqual(confDiff(CONF, CONF), []);
});

test('LZ4 blocks (the FST hierarchy) decode, overlapping matches included; corrupt ones are refused', () => {
  // 4 literals 'abcd', then a match of 4 at offset 4; a match of 6 at offset 1 ('d' repeated); then literal 'e'.
  const block = Buffer.from([0x40, ...Buffer.from('abcd'), 4, 0, 0x02, 1, 0, 0x10, ...Buffer.from('e')]);
  assert.equal(lz4Block(block, 15).toString(), `abcdabc${'d'.repeat(7)}e`);
  assert.throws(() => lz4Block(Buffer.from([0x40, 0x61, 0x62, 0x63, 0x64, 9, 0]), 8), /match offset 9/);
});
