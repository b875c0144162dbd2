// The broker binds an ipc:// endpoint only in a folder that is ours and that
// no one else can write: another user could otherwise replace the socket or
// connect to the HDL side and DMA into guest memory.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig } from '../../bridge/src/orchestrate/stack';
import { testLog, uniqueEndpoints } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-ipcdir-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function brokerIn(dir: string): Broker {
  const ep = uniqueEndpoints();
  return new Broker(brokerConfig({}, { qemu: `ipc://${path.join(dir, 'q.sock')}`, hdl: ep.hdl }), testLog());
}

test('a socket folder that others can write is refused, with the folder and its mode', async () => {
  const dir = path.join(tmp, 'open');
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o777);
  const b = brokerIn(dir);
  await assert.rejects(b.start(), new RegExp(`qemu endpoint ipc://${dir}/q.sock: the socket folder ${dir} is writable by others \\(mode 777\\)`));
  await b.stop();
  assert.ok(!fs.existsSync(path.join(dir, 'q.sock')), 'nothing was bound there');
});

test("a socket folder of another user is refused", { skip: process.getuid?.() !== 0 ? 'needs root to give a folder to another user (chown)' : false }, async () => {
  const dir = path.join(tmp, 'theirs');
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, 65534, 65534);
  const b = brokerIn(dir);
  await assert.rejects(b.start(), new RegExp(`the socket folder ${dir} belongs to user 65534, not to us \\(0\\)`));
  await b.stop();
});

test('a private folder of ours, made by the broker or already there, is used', async () => {
  const made = path.join(tmp, 'made', 'sub');
  const b = brokerIn(made);
  await b.start();
  assert.equal(fs.statSync(made).mode & 0o777, 0o700);
  await b.stop();
});
