// The broker, the Verilated simulator and the QEMU stand-in, started together
// on private endpoints and stopped together. Used by `cosim selftest` and the
// integration tests.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { Broker } from '../broker/broker';
import { BrokerConfig, defaultSettings, DeviceOverride, runtimeDir } from '../broker/config';
import { QemuPeer } from '../peer/qemu-peer';
import { Logger } from '../util/log';
import { Proc } from './process';
import { buildSim } from './build';
import { startSim } from './sim';

export interface StackOptions {
  log: Logger;
  simBinary?: string;
  name?: string;
  requestTimeoutMs?: number;
  peerTimeoutMs?: number;
  heartbeatMs?: number;
  batch?: number;
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  devices?: Record<string, DeviceOverride>;
  simLogLevel?: string;
  echo?: (line: string) => void;
}

export interface Stack {
  broker: Broker;
  sim: Proc;
  peer: QemuPeer;
  endpoints: { qemu: string; hdl: string };
  stop(): Promise<void>;
}

/** Fresh ipc endpoints, unique per call, so concurrent runs never collide. */
export function uniqueEndpoints(): { qemu: string; hdl: string } {
  const id = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const dir = runtimeDir();
  return { qemu: `ipc://${path.join(dir, `q-${id}.sock`)}`, hdl: `ipc://${path.join(dir, `h-${id}.sock`)}` };
}

export function brokerConfig(o: Pick<StackOptions, 'requestTimeoutMs' | 'peerTimeoutMs' | 'heartbeatMs' | 'devices'>, ep = uniqueEndpoints()): BrokerConfig {
  return {
    broker: {
      ...defaultSettings(),
      qemuEndpoint: ep.qemu,
      hdlEndpoint: ep.hdl,
      requestTimeoutMs: o.requestTimeoutMs ?? 2000,
      peerTimeoutMs: o.peerTimeoutMs ?? 3000,
      heartbeatMs: o.heartbeatMs ?? 500,
    },
    devices: o.devices ?? {},
  };
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const endpoints = uniqueEndpoints();
  const broker = new Broker(brokerConfig(o, endpoints), o.log);
  await broker.start();
  const binary = o.simBinary ?? (await buildSim({ echo: o.echo }));
  const sim = startSim({
    binary,
    endpoint: endpoints.hdl,
    name: o.name,
    batch: o.batch,
    wave: o.wave,
    waveStart: o.waveStart,
    waveStop: o.waveStop,
    peerTimeoutMs: o.peerTimeoutMs ?? 3000,
    logLevel: o.simLogLevel,
    echo: o.echo,
  });
  const peer = new QemuPeer({ endpoint: endpoints.qemu, name: o.name, log: o.log, timeoutMs: (o.requestTimeoutMs ?? 2000) + 3000 });
  const stop = async () => {
    await peer.close('stack stopping').catch(() => undefined);
    await broker.stop('stack stopping');
    await sim.stop();
  };
  try {
    await Promise.race([
      peer.connect(),
      sim.exited.then(() => {
        throw new Error(`simulator ${sim.describeExit()} before the handshake:\n${sim.stderrTail.slice(-10).join('\n')}`);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { broker, sim, peer, endpoints, stop };
}
