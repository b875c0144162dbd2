// A flood of bad frames from one peer costs the log a bounded number of
// lines (LOG_BURST per LOG_INTERVAL_MS, then one summary with the count held
// back), while the stats count every frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { LOG_BURST, LOG_INTERVAL_MS } from '../../bridge/src/broker/log-limit';
import { Role } from '../../bridge/src/protocol/wire';
import { eventually } from '../helpers';
import { brokerWith, helloPeer } from './bounded';

const FLOOD = 2000;

interface Line {
  msg: string;
  held?: number;
}

test('a bad-frame flood logs a bounded number of lines and counts every frame', async () => {
  const lines: Line[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  // The flooding peer reads nothing, PINGs included: it must not be dropped as
  // silent (one more log line) while the test waits for the last summary.
  const b = await brokerWith({ peerTimeoutMs: 60_000 }, log);
  const sock = await helloPeer(b.qemu, Role.QEMU, 'dev0');
  try {
    const t0 = Date.now();
    for (let i = 0; i < FLOOD; i++) await sock.send([Buffer.from('not a header')]);
    await eventually(() => b.broker.stats.badFrames === FLOOD, 10000, 'every bad frame counted');
    const floodMs = Date.now() - t0;
    const details = () => lines.filter((l) => l.msg.includes('header frame is 12 bytes, expected 40'));
    const held = () => lines.reduce((n, l) => n + (l.held ?? 0), 0);
    // The last summary comes with the first heartbeat after its interval ends.
    await eventually(() => details().length + held() === FLOOD, LOG_INTERVAL_MS * 5, `every bad frame logged or held (${details().length} + ${held()})`);
    assert.equal(b.broker.stats.badFrames, FLOOD);
    // At most LOG_BURST lines per interval the flood spanned, and one summary each.
    const intervals = Math.ceil(floodMs / LOG_INTERVAL_MS) + 1;
    const summaries = lines.filter((l) => l.held !== undefined);
    assert.ok(summaries.length >= 1 && summaries.length <= intervals, `${summaries.length} summaries over ${floodMs} ms`);
    assert.ok(details().length <= LOG_BURST * intervals, `${details().length} lines over ${floodMs} ms`);
    assert.match(summaries[0].msg, /^\d+ more warnings caused by qemu peer 'dev0' not logged/);
    assert.equal(lines.length, details().length + summaries.length, lines.map((l) => l.msg).join('\n'));
  } finally {
    sock.close();
    await b.broker.stop();
  }
});
