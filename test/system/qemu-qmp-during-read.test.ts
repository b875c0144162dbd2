// A guest read that the RTL takes 2 s to answer does not freeze the VM: QMP
// answers meanwhile (cosim-pcie waits without the BQL).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Broker } from '../../bridge/src/broker/broker';
import { brokerConfig, uniqueEndpoints } from '../../bridge/src/orchestrate/stack';
import { message, MsgType } from '../../bridge/src/protocol/wire';
import { cosimCli, FakeHdl, repoRoot, testLog } from '../helpers';
import { qmp } from '../qemu/qtest';

const SLOW_MS = 2000;
/** The bound the issue sets for a main loop that never waits on the RTL. */
const QMP_BOUND_MS = 100;

test('QMP query-status answers while a vCPU read waits 2 s for the RTL', async (t) => {
  const ep = uniqueEndpoints();
  const broker = new Broker(brokerConfig({ requestTimeoutMs: 10000, heartbeatMs: 500, peerTimeoutMs: 5000 }, ep), testLog());
  await broker.start();
  const hdl = await new FakeHdl(ep.hdl).start();
  let pending = false;
  hdl.onMessage = (m) => {
    if (m.type !== MsgType.MMIO_READ) return;
    const answer = () => hdl.link.send(message(MsgType.MMIO_READ_CPL, { tag: m.tag, index: m.index, address: m.address, length: m.length, payload: Buffer.alloc(m.length, 0x5a) }));
    if (m.address !== 0x8n) return answer();
    pending = true;
    setTimeout(() => {
      pending = false;
      answer();
    }, SLOW_MS);
  };
  const qmpPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosim-qmp-')), 'qmp.sock');
  const samples: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      if (pending && fs.existsSync(qmpPath)) {
        const t0 = Date.now();
        const st = (await qmp(qmpPath, 'query-status')) as { status: string };
        if (pending) samples.push(Date.now() - t0);
        assert.equal(st.status, 'running');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const script = [
    'for d in /sys/bus/pci/devices/*; do [ "$(cat $d/device)" = 0xc051 ] && dev=$d; done',
    'setpci -s ${dev##*/} COMMAND=0x2:0x2',
    'bar=$(cut -d" " -f1 $dev/resource | head -n1)',
    'devmem $((bar + 8)) 32',
  ].join('; ');
  try {
    const r = await cosimCli(['shell', '--project', path.join(repoRoot, 'test', 'projects', 'bare'), '--broker', ep.qemu, '--qemu-arg=-qmp', `--qemu-arg=unix:${qmpPath},server=on,wait=off`, '--exec', script]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr.slice(-2000)}`);
    assert.equal(r.stdout.trim(), '0x5A5A5A5A', 'the slow read completed with its data');
  } finally {
    sampling = false;
    await sampler;
    await hdl.close();
    await broker.stop('done');
  }
  t.diagnostic(`query-status while the read waited: ${samples.join(', ')} ms`);
  assert.ok(samples.length >= 5, `${samples.length} samples during the wait`);
  assert.ok(Math.max(...samples) < QMP_BOUND_MS, `slowest ${Math.max(...samples)} ms`);
});
