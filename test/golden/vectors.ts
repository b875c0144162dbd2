// The golden vectors' expected fields (test/golden/vectors.json holds the same
// list with the CONF payload filled in).
import * as path from 'node:path';
import { message, Message } from '../../bridge/src/protocol/wire';

export interface GoldenVector {
  name: string;
  type: number;
  flags: number;
  tag: number;
  index: number;
  address: string;
  length: number;
  cycle: string;
  payload: string; // hex
}

const v = (name: string, type: number, f: Partial<GoldenVector> = {}): GoldenVector => ({
  name, type, flags: 0, tag: 0, index: 0, address: '0', length: 0, cycle: '0', payload: '', ...f,
});
const hex = (s: string) => Buffer.from(s).toString('hex');

export const GOLDEN: GoldenVector[] = [
  v('hello_qemu', 0x01, { tag: 1, index: 1, payload: hex('dev0') }),
  v('hello_hdl', 0x01, { tag: 1, index: 2, cycle: '16', payload: hex('gpu-a.0') }),
  v('init', 0x02, { tag: 2 }),
  v('conf_example', 0x03, { tag: 2 }),
  v('mmio_read', 0x10, { tag: 7, address: '16', length: 4 }),
  v('mmio_read_cpl', 0x11, { tag: 7, address: '16', length: 4, cycle: '123456', payload: 'efbeadde' }),
  v('mmio_read_cpl_error', 0x11, { flags: 2, tag: 9, index: 0, address: '4096', length: 8, cycle: '99', payload: 'ffffffffffffffff' }),
  v('mmio_write8', 0x12, { tag: 8, index: 2, address: '4088', length: 8, payload: '0807060504030201' }),
  v('dma_read', 0x20, { tag: 0x80000001, address: '20015998343868', length: 1048576, cycle: '68719476735' }),
  v('dma_read_cpl_last', 0x21, { flags: 1, tag: 0x80000001, address: '20015998343868', length: 16, payload: '000102030405060708090a0b0c0d0e0f' }),
  v('dma_read_cpl_error', 0x21, { flags: 3, tag: 5, address: '18446744073709551600', length: 0 }),
  v('dma_write', 0x22, { address: '4294967297', length: 3, cycle: '1000', payload: 'aabbcc' }),
  v('msix', 0x30, { index: 3, cycle: '4242' }),
  v('intx', 0x31, { index: 1, cycle: '5150' }),
  v('nic_frame', 0x40, { payload: '020000000001020000000002' + '88b5' + '00'.repeat(46) }),
  v('serial', 0x50, { payload: hex('hi\n') }),
  v('reset', 0x60, { tag: 11 }),
  v('error_timeout', 0x61, { tag: 7, index: 6, address: '16', length: 4, payload: hex('MMIO read timeout') }),
  v('shutdown', 0x62, { payload: hex('bye') }),
  v('ping', 0x63, { tag: 0xffffffff }),
  v('pong', 0x64, { tag: 0xffffffff }),
  v('cfg_state', 0x65, { tag: 12, index: 0x5 }),
  // Stamps 7, 0x1_0000_0001 and 2^64-1, every byte of the u64s exercised.
  v('delivered', 0x66, { length: 3, cycle: '4300', payload: '0700000000000000' + '0100000001000000' + 'ffffffffffffffff' }),
  v('hello_broker_trace', 0x01, { flags: 0x04, tag: 1, payload: hex('broker') }),
];

/** Malformed frames with the C decode result and the TS error text they must give. */
export const BAD_GOLDEN = [
  { name: 'bad_magic', cRc: 2, tsError: /bad magic/ },
  { name: 'bad_version', cRc: 3, tsError: /protocol version 2 not supported/ },
  { name: 'bad_type', cRc: 4, tsError: /unknown message type 0x7f/ },
  { name: 'short_header', cRc: 1, tsError: /header frame is 39 bytes/ },
  { name: 'oversize_payload', cRc: 5, tsError: /payload_len 65537 exceeds/ },
];

export function goldenDir(): string {
  // Compiled into dist/test/golden; the vectors live in the source tree.
  return path.resolve(__dirname, '..', '..', '..', 'test', 'golden');
}

export function goldenMessage(g: GoldenVector): Message {
  return message(g.type, {
    flags: g.flags,
    tag: g.tag,
    index: g.index,
    address: BigInt(g.address),
    length: g.length,
    cycle: BigInt(g.cycle),
    payload: Buffer.from(g.payload, 'hex'),
  });
}
