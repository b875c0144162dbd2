// Regenerates the golden vectors: node dist/test/golden/generate.js
// Only run this on purpose (a protocol version bump): the committed .bin files
// are the reference that both codecs are held to.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeConf } from '../../bridge/src/protocol/conf';
import { encode, message, MsgType } from '../../bridge/src/protocol/wire';
import { EXAMPLE_CONF } from '../helpers';
import { GOLDEN, goldenDir, goldenMessage } from './vectors';

// The example device, plus a 64-bit prefetchable BAR3 so every flag is exercised.
const exampleConf = encodeConf({ ...EXAMPLE_CONF, bars: EXAMPLE_CONF.bars.map((b, i) => (i === 3 ? { size: 0x100000000n, is64: true, prefetch: true } : b)) });

const dir = goldenDir();
for (const v of GOLDEN) {
  const m = v.name === 'conf_example' ? { ...goldenMessage(v), payload: exampleConf } : goldenMessage(v);
  fs.writeFileSync(path.join(dir, `${v.name}.bin`), Buffer.concat(encode(m)));
  if (v.name === 'conf_example') v.payload = exampleConf.toString('hex');
}
// Malformed frames: each breaks one rule of the header.
const good = Buffer.concat(encode(message(MsgType.MMIO_READ, { tag: 7, address: 0x10n, length: 4 })));
const bad: Record<string, Buffer> = {
  bad_magic: Buffer.from(good).fill(0x58, 0, 1),
  bad_version: (() => { const b = Buffer.from(good); b.writeUInt16LE(2, 4); return b; })(),
  bad_type: (() => { const b = Buffer.from(good); b[6] = 0x7f; return b; })(),
  short_header: good.subarray(0, 39),
  oversize_payload: (() => { const b = Buffer.from(good); b.writeUInt32LE(65537, 28); return b; })(),
};
for (const [name, b] of Object.entries(bad)) fs.writeFileSync(path.join(dir, `${name}.bin`), b);
fs.writeFileSync(path.join(dir, 'vectors.json'), JSON.stringify(GOLDEN, null, 2) + '\n');
console.log(`wrote ${GOLDEN.length + Object.keys(bad).length} vectors to ${dir}`);
