// The broker, the Verilated simulator and the QEMU stand-in, started together
// on private endpoints and stopped together. Used by `cosim selftest` and the
// integration tests.
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { Broker } from '../broker/broker';
import { BrokerConfig, BrokerSettings, defaultSettings, DeviceOverride } from '../broker/config';
import { peerWaitFor, REQUEST_TIMEOUT_MS, RUN_BROKER, runtimeDir } from '../defaults';
import { InprocHdl } from '../peer/inproc-hdl';
import { QemuPeer } from '../peer/qemu-peer';
import { Logger } from '../util/log';
import { Proc } from './process';
import { resolveProject } from '../project/project';
import { buildProjectRtl } from '../project/rtl';
import { startSim } from './sim';
import { TraceWriter } from '../trace/writer';

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
  /** The broker records into this trace (its owner closes it after stop()). */
  trace?: TraceWriter;
}

interface StackBase {
  broker: Broker;
  peer: QemuPeer;
  endpoints: { qemu: string; hdl: string };
  stop(): Promise<void>;
}

export interface Stack extends StackBase {
  sim: Proc;
}

/** The same with the RTL inside this process (InprocHdl) instead of a cosim-sim process. */
export interface InprocStack extends StackBase {
  hdl: InprocHdl;
}

/**
 * Fresh endpoints, unique per call, so concurrent runs never collide: ipc
 * sockets in our runtime folder, or loopback tcp on ports the broker picks.
 */
export function uniqueEndpoints(transport: 'ipc' | 'tcp' = 'ipc'): { qemu: string; hdl: string } {
  if (transport === 'tcp') return { qemu: 'tcp://127.0.0.1:*', hdl: 'tcp://127.0.0.1:*' };
  const id = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const dir = runtimeDir();
  return { qemu: `ipc://${path.join(dir, `q-${id}.sock`)}`, hdl: `ipc://${path.join(dir, `h-${id}.sock`)}` };
}

export function brokerConfig(o: Pick<StackOptions, 'requestTimeoutMs' | 'peerTimeoutMs' | 'heartbeatMs' | 'devices'> & { curve?: BrokerSettings['curve'] }, ep = uniqueEndpoints()): BrokerConfig {
  return {
    broker: {
      ...defaultSettings(),
      curve: o.curve,
      qemuEndpoint: ep.qemu,
      hdlEndpoint: ep.hdl,
      requestTimeoutMs: o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      peerTimeoutMs: o.peerTimeoutMs ?? RUN_BROKER.peerTimeoutMs,
      heartbeatMs: o.heartbeatMs ?? RUN_BROKER.heartbeatMs,
    },
    devices: o.devices ?? {},
  };
}

function stackPeer(o: StackOptions, endpoint: string): QemuPeer {
  return new QemuPeer({ endpoint, name: o.name, log: o.log, timeoutMs: peerWaitFor(o.requestTimeoutMs ?? REQUEST_TIMEOUT_MS) });
}

/** Connects the QEMU stand-in, failing early if the HDL side ends first; stops everything on failure. */
async function connectOrStop(peer: QemuPeer, hdlEnded: Promise<never>, stop: () => Promise<void>): Promise<void> {
  try {
    await Promise.race([peer.connect(), hdlEnded]);
  } catch (e) {
    await stop();
    throw e;
  }
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const endpoints = uniqueEndpoints();
  const broker = new Broker(brokerConfig(o, endpoints), o.log, { trace: o.trace });
  await broker.start();
  const binary = o.simBinary ?? (await buildProjectRtl(resolveProject({ device: 'example' }), { echo: o.echo }));
  const sim = startSim({
    binary,
    endpoint: endpoints.hdl,
    name: o.name,
    batch: o.batch,
    wave: o.wave,
    waveStart: o.waveStart,
    waveStop: o.waveStop,
    peerTimeoutMs: o.peerTimeoutMs ?? RUN_BROKER.peerTimeoutMs,
    logLevel: o.simLogLevel,
    echo: o.echo,
  });
  const peer = stackPeer(o, endpoints.qemu);
  const stop = async () => {
    await peer.close('stack stopping').catch(() => undefined);
    await broker.stop('stack stopping');
    await sim.stop();
  };
  const simEnded = sim.exited.then((): never => {
    throw new Error(`simulator ${sim.describeExit()} before the handshake:\n${sim.stderrTail.slice(-10).join('\n')}`);
  });
  await connectOrStop(peer, simEnded, stop);
  return { broker, sim, peer, endpoints, stop };
}

/** Broker + in-process RTL (model: see resolveModel, e.g. 'example') + QEMU stand-in. */
export async function startInprocStack(o: StackOptions & { model: string }): Promise<InprocStack> {
  const endpoints = uniqueEndpoints();
  const broker = new Broker(brokerConfig(o, endpoints), o.log, { trace: o.trace });
  await broker.start();
  let hdl: InprocHdl;
  try {
    hdl = await InprocHdl.start({ broker, model: o.model, name: o.name, log: o.log, batch: o.batch, wave: o.wave, waveStart: o.waveStart, waveStop: o.waveStop, logLevel: o.simLogLevel });
  } catch (e) {
    await broker.stop('stack stopping');
    throw e;
  }
  const peer = stackPeer(o, endpoints.qemu);
  const stop = async () => {
    await peer.close('stack stopping').catch(() => undefined);
    await broker.stop('stack stopping');
    await hdl.stop('stack stopping');
  };
  const hdlEnded = hdl.exited.then((): never => {
    throw new Error(`in-process HDL peer stopped before the handshake: ${hdl.stopReason}`);
  });
  await connectOrStop(peer, hdlEnded, stop);
  return { broker, hdl, peer, endpoints, stop };
}
