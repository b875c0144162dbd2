// `cosim client write` is posted: a write the broker refuses comes back as an
// ERROR with the write's tag. The command must exit non-zero and say why,
// not 0 as if the write had landed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { FakeHdl, repoRoot, startBroker } from '../helpers';

function client(endpoint: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cosim'), 'client', '--endpoint', endpoint, '--log-level', 'silent', ...args]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a refused write exits non-zero with the refusal; an accepted one exits 0', async () => {
  const b = await startBroker({ requestTimeoutMs: 2000 });
  const dev = await new FakeHdl(b.hdl).start();
  dev.onMessage = (m, h) => m.type === MsgType.MMIO_READ && h.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, payload: Buffer.alloc(m.length) }));
  try {
    const refused = await client(b.qemu, 'write', '0', '0x20000', '0x5');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /the write was refused: .*0x20000/);
    const ok = await client(b.qemu, 'write', '0', '0x8', '0x5');
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(dev.received.some((m) => m.type === MsgType.MMIO_WRITE && m.address === 0x8n), 'the accepted write reached the device');
  } finally {
    await dev.close();
    await b.broker.stop();
  }
});
