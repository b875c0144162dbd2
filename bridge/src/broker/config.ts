// Broker configuration: a JSON file validated against
// bridge/schema/cosim-config.schema.json, with errors that name the field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ErrorObject } from 'ajv';
import schema from '../../schema/cosim-config.schema.json';
import { DeviceConf } from '../protocol/conf';
import { defaultEndpoint, HEARTBEAT_MS, INIT_TIMEOUT_MS, PEER_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../defaults';

type Num = number | string;
export interface DeviceOverride {
  vendorId?: Num;
  deviceId?: Num;
  subsystemVendorId?: Num;
  subsystemId?: Num;
  classCode?: Num;
  revision?: Num;
  bars?: Record<string, { size?: Num; is64?: boolean; prefetch?: boolean }>;
  msix?: { vectors?: number; tableBar?: number; tableOffset?: Num; pbaBar?: number; pbaOffset?: Num };
}

export interface BrokerSettings {
  qemuEndpoint: string;
  hdlEndpoint: string;
  requestTimeoutMs: number;
  initTimeoutMs: number;
  heartbeatMs: number;
  peerTimeoutMs: number;
  /** Devices (names given in HELLO) the broker serves at once. */
  maxDevices: number;
  /** Bytes that may wait for one peer that does not read before it is dropped. */
  sendQueueBytes: number;
  /** CURVE on both endpoints: the broker's secret key file and the client keys (files or folders) it lets in. */
  curve?: { key: string; clients: string[] };
  /** A tcp:// endpoint without curve is refused unless this is set. */
  insecure?: boolean;
  logLevel: string;
}

export interface BrokerConfig {
  broker: BrokerSettings;
  devices: Record<string, DeviceOverride>;
}

export function defaultSettings(): BrokerSettings {
  return {
    qemuEndpoint: defaultEndpoint('qemu'),
    hdlEndpoint: defaultEndpoint('hdl'),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    initTimeoutMs: INIT_TIMEOUT_MS,
    heartbeatMs: HEARTBEAT_MS,
    peerTimeoutMs: PEER_TIMEOUT_MS,
    maxDevices: 256,
    sendQueueBytes: 64 * 1024 * 1024,
    logLevel: 'info',
  };
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(schema);

function fieldOf(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(top level)' : e.instancePath.slice(1).replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') return `${at === '(top level)' ? '' : at + '.'}${String(e.params.additionalProperty)}`;
  return at;
}

/** One line per faulty field; a oneOf failure is reported once, not once per branch. */
export function schemaProblems(errors: ErrorObject[], oneOfText: (field: string) => string | undefined = () => undefined): string[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const lines = errors
    .filter((e) => e.keyword === 'oneOf' || !oneOfPaths.has(e.instancePath))
    .map((e) => {
      const field = fieldOf(e);
      if (e.keyword === 'oneOf') return `${field}: ${oneOfText(field) ?? 'must be an integer in range or a hex string such as "0x1f"'}`;
      if (e.keyword === 'additionalProperties') return `${field}: unknown field`;
      if (e.keyword === 'enum') return `${field}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      return `${field}: ${e.message ?? 'invalid'}`;
    });
  return [...new Set(lines)];
}

export function parseConfig(json: unknown, source = 'config'): BrokerConfig {
  if (!validateSchema(json)) throw new ConfigError(source, schemaProblems(validateSchema.errors ?? []));
  const raw = json as { broker?: Partial<BrokerSettings>; devices?: Record<string, DeviceOverride> };
  return { broker: { ...defaultSettings(), ...raw.broker }, devices: raw.devices ?? {} };
}

/**
 * A JSON file's contents; a file that cannot be read or parsed throws
 * problem(text), its text naming why (`missing` for a file that does not exist).
 */
export function readJsonFile(file: string, problem: (text: string) => Error, missing?: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw problem(err.code === 'ENOENT' && missing ? missing : `cannot read: ${err.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw problem(`not valid JSON: ${(e as Error).message}`);
  }
}

export function loadConfig(file: string | undefined): BrokerConfig {
  if (!file) return { broker: defaultSettings(), devices: {} };
  const cfg = parseConfig(readJsonFile(file, (t) => new ConfigError(file, [t])), file);
  const curve = cfg.broker.curve;
  if (curve) {
    const at = (f: string) => path.resolve(path.dirname(file), f);
    cfg.broker.curve = { key: at(curve.key), clients: curve.clients.map(at) };
  }
  return cfg;
}

const big = (v: Num) => BigInt(v);
const num = (v: Num) => Number(BigInt(v));

/** The RTL's announced configuration with the config file's overrides applied. */
export function applyOverride(base: DeviceConf, o: DeviceOverride | undefined): DeviceConf {
  if (!o) return base;
  const c: DeviceConf = { ...base, msix: { ...base.msix }, bars: base.bars.map((b) => ({ ...b })) };
  if (o.vendorId !== undefined) c.vendorId = num(o.vendorId);
  if (o.deviceId !== undefined) c.deviceId = num(o.deviceId);
  if (o.subsystemVendorId !== undefined) c.subsystemVendorId = num(o.subsystemVendorId);
  if (o.subsystemId !== undefined) c.subsystemId = num(o.subsystemId);
  if (o.classCode !== undefined) c.classCode = num(o.classCode);
  if (o.revision !== undefined) c.revision = num(o.revision);
  for (const [i, b] of Object.entries(o.bars ?? {})) {
    const bar = c.bars[Number(i)];
    if (b.size !== undefined) bar.size = big(b.size);
    if (b.is64 !== undefined) bar.is64 = b.is64;
    if (b.prefetch !== undefined) bar.prefetch = b.prefetch;
  }
  const m = o.msix ?? {};
  if (m.vectors !== undefined) c.msix.vectors = m.vectors;
  if (m.tableBar !== undefined) c.msix.tableBar = m.tableBar;
  if (m.tableOffset !== undefined) c.msix.tableOffset = big(m.tableOffset);
  if (m.pbaBar !== undefined) c.msix.pbaBar = m.pbaBar;
  if (m.pbaOffset !== undefined) c.msix.pbaOffset = big(m.pbaOffset);
  return c;
}
