// Starting the Verilated simulator against a broker.
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
  return new Proc('sim', o.binary, args, { echo: o.echo });
}
