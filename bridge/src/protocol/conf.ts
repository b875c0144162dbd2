// The CONF payload (ACCConf): PCIe identity, BAR layout and MSI-X placement.
// Layout as documented in dpi/include/cosim_wire.h.
import { BarFlag, CONF_SIZE, NUM_BARS } from './wire';

export interface BarConf {
  size: bigint; // bytes, 0 = absent
  is64: boolean;
  prefetch: boolean;
}

export interface DeviceConf {
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number;
  subsystemId: number;
  classCode: number;
  revision: number;
  msix: { vectors: number; tableBar: number; tableOffset: bigint; pbaBar: number; pbaOffset: bigint };
  bars: BarConf[]; // always NUM_BARS entries
}

export function encodeConf(c: DeviceConf): Buffer {
  const b = Buffer.alloc(CONF_SIZE);
  b.writeUInt16LE(c.vendorId, 0);
  b.writeUInt16LE(c.deviceId, 2);
  b.writeUInt16LE(c.subsystemVendorId, 4);
  b.writeUInt16LE(c.subsystemId, 6);
  b.writeUInt32LE(c.classCode, 8);
  b.writeUInt8(c.revision, 12);
  b.writeUInt8(c.msix.tableBar, 13);
  b.writeUInt8(c.msix.pbaBar, 14);
  b.writeUInt16LE(c.msix.vectors, 16);
  b.writeBigUInt64LE(c.msix.tableOffset, 24);
  b.writeBigUInt64LE(c.msix.pbaOffset, 32);
  for (let i = 0; i < NUM_BARS; i++) {
    const bar = c.bars[i];
    b.writeBigUInt64LE(bar.size, 40 + 16 * i);
    b.writeUInt32LE((bar.is64 ? BarFlag.BIT64 : 0) | (bar.prefetch ? BarFlag.PREFETCH : 0), 48 + 16 * i);
  }
  return b;
}

export function decodeConf(b: Buffer): DeviceConf {
  if (b.length !== CONF_SIZE) throw new Error(`CONF payload is ${b.length} bytes, expected ${CONF_SIZE}`);
  const bars: BarConf[] = [];
  for (let i = 0; i < NUM_BARS; i++) {
    const flags = b.readUInt32LE(48 + 16 * i);
    bars.push({ size: b.readBigUInt64LE(40 + 16 * i), is64: (flags & BarFlag.BIT64) !== 0, prefetch: (flags & BarFlag.PREFETCH) !== 0 });
  }
  return {
    vendorId: b.readUInt16LE(0),
    deviceId: b.readUInt16LE(2),
    subsystemVendorId: b.readUInt16LE(4),
    subsystemId: b.readUInt16LE(6),
    classCode: b.readUInt32LE(8),
    revision: b.readUInt8(12),
    msix: {
      tableBar: b.readUInt8(13),
      pbaBar: b.readUInt8(14),
      vectors: b.readUInt16LE(16),
      tableOffset: b.readBigUInt64LE(24),
      pbaOffset: b.readBigUInt64LE(32),
    },
    bars,
  };
}

const isPow2 = (v: bigint) => v > 0n && (v & (v - 1n)) === 0n;

/**
 * Checks that QEMU can build this device. Returns one message per problem,
 * each naming the field, so a user fixes all of them in one go.
 */
export function validateConf(c: DeviceConf): string[] {
  const errs: string[] = [];
  const id16 = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) errs.push(`${name}: 0x${v.toString(16)} is not a 16-bit id`);
    else if (v === 0xffff) errs.push(`${name}: 0xffff is reserved (it is what an absent device reads as)`);
  };
  id16('vendorId', c.vendorId);
  id16('deviceId', c.deviceId);
  id16('subsystemVendorId', c.subsystemVendorId);
  id16('subsystemId', c.subsystemId);
  if (c.vendorId === 0) errs.push('vendorId: 0 is not a valid vendor id');
  if (c.classCode < 0 || c.classCode > 0xffffff) errs.push(`classCode: 0x${c.classCode.toString(16)} does not fit in 24 bits`);
  if (c.revision < 0 || c.revision > 0xff) errs.push(`revision: ${c.revision} does not fit in 8 bits`);
  if (c.bars.length !== NUM_BARS) errs.push(`bars: expected ${NUM_BARS} entries, got ${c.bars.length}`);
  let anyBar = false;
  c.bars.forEach((bar, i) => {
    if (bar.size === 0n) {
      if (bar.is64 || bar.prefetch) errs.push(`bars[${i}]: flags set on an absent BAR`);
      return;
    }
    anyBar = true;
    if (!isPow2(bar.size)) errs.push(`bars[${i}].size: 0x${bar.size.toString(16)} is not a power of two`);
    else if (bar.size < 16n) errs.push(`bars[${i}].size: ${bar.size} is below the PCIe minimum of 16 bytes`);
    if (!bar.is64 && bar.size > 1n << 31n) errs.push(`bars[${i}].size: 0x${bar.size.toString(16)} needs a 64-bit BAR`);
    if (bar.is64) {
      if (i === NUM_BARS - 1) errs.push(`bars[${i}].is64: BAR 5 cannot be 64-bit (it needs BAR ${i + 1} as its upper half)`);
      else if (c.bars[i + 1].size !== 0n) errs.push(`bars[${i + 1}]: must be absent, it is the upper half of 64-bit BAR ${i}`);
    }
  });
  if (!anyBar) errs.push('bars: the device has no BAR');
  const m = c.msix;
  if (m.vectors > 2048) errs.push(`msix.vectors: ${m.vectors} exceeds the PCIe maximum of 2048`);
  if (m.vectors > 0) {
    const region = (what: 'table' | 'pba', bar: number, off: bigint, size: bigint) => {
      if (bar >= NUM_BARS || c.bars[bar].size === 0n) {
        errs.push(`msix.${what}Bar: BAR ${bar} is not present`);
        return;
      }
      if (off % 8n !== 0n) errs.push(`msix.${what}Offset: 0x${off.toString(16)} is not 8-byte aligned`);
      if (off + size > c.bars[bar].size) {
        errs.push(`msix.${what}Offset: 0x${off.toString(16)}+0x${size.toString(16)} runs past the end of BAR ${bar} (size 0x${c.bars[bar].size.toString(16)})`);
      }
    };
    const tableSize = BigInt(m.vectors) * 16n;
    const pbaSize = BigInt(Math.ceil(m.vectors / 64)) * 8n;
    region('table', m.tableBar, m.tableOffset, tableSize);
    region('pba', m.pbaBar, m.pbaOffset, pbaSize);
    if (m.tableBar === m.pbaBar && m.tableOffset < m.pbaOffset + pbaSize && m.pbaOffset < m.tableOffset + tableSize) {
      errs.push(`msix.pbaOffset: PBA 0x${m.pbaOffset.toString(16)}+0x${pbaSize.toString(16)} overlaps the table 0x${m.tableOffset.toString(16)}+0x${tableSize.toString(16)}`);
    }
  }
  return errs;
}

export function formatConf(c: DeviceConf): string {
  const bars = c.bars
    .map((b, i) => (b.size ? `BAR${i}=0x${b.size.toString(16)}${b.is64 ? '/64' : ''}${b.prefetch ? '/pf' : ''}` : ''))
    .filter(Boolean)
    .join(' ');
  const hex = (v: number, w: number) => v.toString(16).padStart(w, '0');
  return `${hex(c.vendorId, 4)}:${hex(c.deviceId, 4)} class ${hex(c.classCode, 6)} rev ${c.revision} ${bars} msix=${c.msix.vectors}`;
}
