// ZeroMQ CURVE on tcp:// endpoints: key files, the broker's list of allowed
// client keys (a ZAP handler) and each side's socket options. The key files
// are the ones pyzmq's zmq.auth writes: NAME.key holds the public key,
// NAME.key_secret both halves; dpi/include/cosim_curve.h reads the same.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zmq from 'zeromq';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const KEY_RE = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export class CurveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CurveError';
  }
}

/** Z85 (ZeroMQ RFC 32) of a key of 32 bytes: the form libzmq and the key files use. */
export function z85Encode(b: Uint8Array): string {
  if (b.length % 4 !== 0) throw new RangeError(`z85: ${b.length} bytes is not a multiple of 4`);
  let out = '';
  for (let i = 0; i < b.length; i += 4) {
    let v = ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++, v = Math.floor(v / 85)) chunk.unshift(Z85[v % 85]);
    out += chunk.join('');
  }
  return out;
}

export interface KeyPair {
  publicKey: string;
  secretKey: string;
}

/** One peer's keys on a tcp:// link: its own pair and the broker's public key. */
export interface ClientCurve extends KeyPair {
  serverKey: string;
}

/** The broker's keys and the client keys it lets in (public key -> the file it came from). */
export interface ServerCurve extends KeyPair {
  allowed: Map<string, string>;
}

export const PUBLIC_SUFFIX = '.key';
export const SECRET_SUFFIX = '.key_secret';

function certText(kind: string, pair: Partial<KeyPair> & { publicKey: string }): string {
  return [
    `#   ****  Generated on ${new Date().toISOString()} by cosim keygen  ****`,
    `#   ZeroMQ CURVE ${kind} Certificate`,
    kind === 'Public'
      ? '#   Give it to the broker (its allowed client keys) or to its peers (the broker key).'
      : '#   Keep it to yourself: whoever holds it can pass for this peer.',
    '',
    'metadata',
    'curve',
    `    public-key = "${pair.publicKey}"`,
    ...(pair.secretKey ? [`    secret-key = "${pair.secretKey}"`] : []),
    '',
  ].join('\n');
}

/** Writes DIR/NAME.key (public) and DIR/NAME.key_secret (mode 0600); never overwrites unless force. */
export function writeKeyPair(dir: string, name: string, force = false): { publicFile: string; secretFile: string; pair: KeyPair } {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new CurveError(`key name '${name}' must be letters, digits, '_', '.' or '-'`);
  const pair = zmq.curveKeyPair();
  const publicFile = path.join(dir, name + PUBLIC_SUFFIX);
  const secretFile = path.join(dir, name + SECRET_SUFFIX);
  if (!force) {
    for (const f of [publicFile, secretFile]) if (fs.existsSync(f)) throw new CurveError(`${f} exists; pass --force to replace it`);
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.rmSync(secretFile, { force: true }); // so the mode below applies to a file made afresh
  fs.writeFileSync(secretFile, certText('**Secret**', pair), { mode: 0o600 });
  fs.writeFileSync(publicFile, certText('Public', { publicKey: pair.publicKey }), { mode: 0o644 });
  return { publicFile, secretFile, pair };
}

/** The keys in a key file; a secret key file must not be readable by others. */
export function readKeyFile(file: string, needSecret: boolean): { publicKey: string; secretKey?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CurveError(`CURVE key file ${file}: ${(e as Error).message}`);
  }
  const field = (name: string) => {
    const line = text.split('\n').findIndex((l) => l.trim().startsWith(`${name} =`));
    if (line < 0) return undefined;
    const m = /=\s*"([^"]*)"/.exec(text.split('\n')[line]);
    if (!m || !KEY_RE.test(m[1])) throw new CurveError(`CURVE key file ${file}, line ${line + 1}: ${name} must be 40 Z85 characters in quotes`);
    return m[1];
  };
  const publicKey = field('public-key');
  const secretKey = field('secret-key');
  if (!publicKey) throw new CurveError(`CURVE key file ${file} has no public-key (write one with 'cosim keygen')`);
  if (needSecret) {
    if (!secretKey) throw new CurveError(`CURVE key file ${file} has no secret-key: give the ${SECRET_SUFFIX} file 'cosim keygen' wrote, not the ${PUBLIC_SUFFIX} one`);
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) throw new CurveError(`CURVE secret key file ${file} may be read by others (mode ${mode.toString(8)}): chmod 600 ${file}`);
  }
  return { publicKey, secretKey };
}

/** The public keys of files and of folders' *.key files. */
export function readAllowedKeys(entries: string[]): Map<string, string> {
  const allowed = new Map<string, string>();
  for (const entry of entries) {
    let files = [entry];
    if (fs.existsSync(entry) && fs.statSync(entry).isDirectory()) {
      files = fs.readdirSync(entry).filter((f) => f.endsWith(PUBLIC_SUFFIX)).sort().map((f) => path.join(entry, f));
      if (files.length === 0) throw new CurveError(`CURVE client key folder ${entry} holds no *${PUBLIC_SUFFIX} file`);
    }
    for (const f of files) allowed.set(readKeyFile(f, false).publicKey, f);
  }
  return allowed;
}

export function clientCurve(serverKeyFile: string, keyFile: string): ClientCurve {
  const own = readKeyFile(keyFile, true);
  return { serverKey: readKeyFile(serverKeyFile, false).publicKey, publicKey: own.publicKey, secretKey: own.secretKey! };
}

export function serverCurve(keyFile: string, clientKeys: string[]): ServerCurve {
  if (clientKeys.length === 0) throw new CurveError(`a CURVE broker key (${keyFile}) needs the client keys it lets in`);
  const own = readKeyFile(keyFile, true);
  return { publicKey: own.publicKey, secretKey: own.secretKey!, allowed: readAllowedKeys(clientKeys) };
}

export const isTcp = (endpoint: string) => endpoint.startsWith('tcp://');

/** Socket options of a peer that connects with CURVE. */
export function clientOptions(c: ClientCurve): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string } {
  return { curveServerKey: c.serverKey, curvePublicKey: c.publicKey, curveSecretKey: c.secretKey };
}

/** A peer's CURVE key files: the broker's public key and its own secret key. */
export interface CurveFiles {
  serverKey: string;
  key: string;
}

/**
 * Key pairs made for one run whose broker listens on tcp: the broker's and
 * one per peer, in a new folder only we can read. remove() deletes them.
 */
export function runKeys(parent: string, peers: string[]): { broker: { key: string; clients: string[] }; peer: Record<string, CurveFiles>; remove(): void } {
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  const dir = fs.mkdtempSync(path.join(parent, 'keys-'));
  const broker = writeKeyPair(dir, 'broker');
  const peer: Record<string, CurveFiles> = {};
  const clients: string[] = [];
  for (const name of peers) {
    const k = writeKeyPair(dir, name);
    peer[name] = { serverKey: broker.publicFile, key: k.secretFile };
    clients.push(k.publicFile);
  }
  return { broker: { key: broker.secretFile, clients }, peer, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
