// Starting the Verilated simulator against a broker.
import { Broker } from '../broker/broker';
import { InprocHdl, inprocSpec } from '../peer/inproc-hdl';
import { Logger } from '../util/log';
import { CurveFiles } from '../protocol/curve';
import { Proc } from './process';

export interface SimOptions {
  binary: string;
  endpoint: string;
  name?: string;
  batch?: number;
  wave?: string;
  waveStart?: number;
  waveStop?: number;
  peerTimeoutMs?: number;
  logLevel?: string;
  /** CURVE keys, for a broker that has them. */
  curve?: CurveFiles;
  /** Plusargs for the RTL ($test$plusargs / $value$plusargs). */
  plusargs?: string[];
  echo?: (line: string) => void;
}

export function startSim(o: SimOptions): Proc {
  const args = ['--endpoint', o.endpoint, '--name', o.name ?? 'dev0'];
  if (o.batch !== undefined) args.push('--batch', String(o.batch));
  if (o.wave) args.push('--wave', o.wave);
  if (o.waveStart !== undefined) args.push('--wave-start', String(o.waveStart));
  if (o.waveStop !== undefined) args.push('--wave-stop', String(o.waveStop));
  if (o.peerTimeoutMs !== undefined) args.push('--peer-timeout-ms', String(o.peerTimeoutMs));
  if (o.logLevel) args.push('--log-level', o.logLevel);
  if (o.curve) args.push('--curve-server-key', o.curve.serverKey, '--curve-key', o.curve.key);
  args.push(...(o.plusargs ?? []));
  return new Proc('sim', o.binary, args, { echo: o.echo });
}

/** The HDL side of a run, whichever way it is hosted (what `cosim run` needs of it). */
export interface HdlSide {
  exited: Promise<unknown>;
  stderrTail: string[];
  describeExit(): string;
  stop(graceMs?: number): Promise<unknown>;
}

/**
 * Starts the HDL side: a cosim-sim process (o.binary) on the broker's HDL
 * endpoint, or, with o.hdl = 'inproc:MODEL', the model inside this process
 * attached to o.broker (InprocHdl).
 */
export async function startHdl(o: Partial<SimOptions> & { hdl?: string; broker: Broker; log: Logger }): Promise<HdlSide> {
  const model = inprocSpec(o.hdl);
  if (model === undefined) {
    if (!o.binary || !o.endpoint) throw new Error('startHdl: a simulator binary and endpoint are needed without --hdl inproc:');
    return startSim({ ...o, binary: o.binary, endpoint: o.endpoint });
  }
  const hdl = await InprocHdl.start({ broker: o.broker, model, name: o.name, log: o.log, batch: o.batch, wave: o.wave, waveStart: o.waveStart, waveStop: o.waveStop, logLevel: o.logLevel, plusargs: o.plusargs });
  const tail: string[] = [];
  const exited = hdl.exited.then(() => {
    tail.push(`[sim] ${hdl.summary()}`);
  });
  return {
    exited,
    stderrTail: tail,
    describeExit: () => (hdl.stopReason ? `in-process model stopped: ${hdl.stopReason}` : 'running in-process'),
    stop: () => hdl.stop('stopping').then(() => exited),
  };
}
