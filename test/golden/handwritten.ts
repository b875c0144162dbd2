// Golden vectors typed by hand from docs/protocol.md, byte by byte, with the
// fields each one must decode to. No codec made these bytes (the vectors in
// vectors.json are the TypeScript encoder's output), so they hold both codecs
// to the documented layout rather than to each other:
//   header, little-endian: magic u32 @0 | version u16 @4 | type u8 @6 |
//   flags u8 @7 | tag u32 @8 | index u16 @12 | reserved u16 @14 |
//   address u64 @16 | length u32 @24 | payload_len u32 @28 | cycle u64 @32
//   CONF payload (136 bytes): see docs/protocol.md, "CONF payload".
// Field values are picked so that every byte of a multi-byte field differs,
// which catches a swapped byte order or a field read at the wrong offset.
import type { DeviceConf } from '../../bridge/src/protocol/conf';

export interface HandVector {
  name: string;
  /** Header frame + payload frame, as one hex string (spaces and comments stripped). */
  bytes: string;
  fields: { type: number; flags: number; tag: number; index: number; address: bigint; length: number; cycle: bigint; payload: string };
  conf?: DeviceConf;
}

/** Joins hand-typed hex lines; anything after '#' on a line is a comment. */
const hex = (s: string) => s.split('\n').map((l) => l.replace(/#.*/, '')).join('').replace(/\s+/g, '');
const CSIM_V1 = '43 53 49 4d  01 00'; // magic 0x4D495343 = bytes "CSIM", version 1

export const HANDWRITTEN: HandVector[] = [
  {
    name: 'hand_hello_qemu',
    bytes: hex(`${CSIM_V1}
      01 00                     # type HELLO, flags 0
      01 00 00 00               # tag 1
      01 00 00 00               # index = role 1 (QEMU), reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      04 00 00 00               # payload_len 4
      00 00 00 00 00 00 00 00   # cycle 0
      64 65 76 30               # payload "dev0"`),
    fields: { type: 0x01, flags: 0, tag: 1, index: 1, address: 0n, length: 0, cycle: 0n, payload: '64657630' },
  },
  {
    name: 'hand_hello_hdl',
    bytes: hex(`${CSIM_V1}
      01 00                     # type HELLO, flags 0
      01 00 00 00               # tag 1
      02 00 00 00               # index = role 2 (HDL), reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      07 00 00 00               # payload_len 7
      10 00 00 00 00 00 00 00   # cycle 16 (the HDL side's clock)
      67 70 75 2d 61 2e 30      # payload "gpu-a.0"`),
    fields: { type: 0x01, flags: 0, tag: 1, index: 2, address: 0n, length: 0, cycle: 16n, payload: '6770752d612e30' },
  },
  {
    name: 'hand_init',
    bytes: hex(`${CSIM_V1}
      02 00                     # type INIT, flags 0
      04 03 02 01               # tag 0x01020304
      00 00 00 00               # index 0, reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      00 00 00 00               # payload_len 0: no payload frame
      00 00 00 00 00 00 00 00   # cycle 0`),
    fields: { type: 0x02, flags: 0, tag: 0x01020304, index: 0, address: 0n, length: 0, cycle: 0n, payload: '' },
  },
  {
    name: 'hand_conf',
    bytes: hex(`${CSIM_V1}
      03 00                     # type CONF, flags 0
      04 03 02 01               # tag 0x01020304 (the INIT's)
      00 00 00 00               # index 0, reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      88 00 00 00               # payload_len 136
      00 00 00 00 00 00 00 00   # cycle 0
      # CONF payload
      34 12  51 c0  f4 1a  02 11   # @0 vendor 0x1234, @2 device 0xc051, @4 subsystem vendor 0x1af4, @6 subsystem 0x1102
      01 02 12 00                  # @8 class code 0x120201 (base 0x12, sub 0x02, prog-if 0x01)
      07  02  04  00               # @12 revision 7, @13 MSI-X table BAR 2, @14 PBA BAR 4, @15 0
      05 01  00 00 00 00 00 00     # @16 MSI-X vectors 0x105, @18..23 0
      00 30 00 00 00 00 00 00      # @24 MSI-X table offset 0x3000
      00 08 00 00 01 00 00 00      # @32 MSI-X PBA offset 0x100000800
      00 00 01 00 00 00 00 00  01 00 00 00  00 00 00 00   # BAR0 @40: 0x10000 bytes, flags 64-bit
      00 00 00 00 00 00 00 00  00 00 00 00  00 00 00 00   # BAR1 @56: absent (upper half of BAR0)
      00 10 00 00 00 00 00 00  00 00 00 00  00 00 00 00   # BAR2 @72: 0x1000 bytes, 32-bit
      00 00 00 00 00 00 00 00  00 00 00 00  00 00 00 00   # BAR3 @88: absent
      00 00 00 00 02 00 00 00  03 00 00 00  00 00 00 00   # BAR4 @104: 0x200000000 bytes, 64-bit prefetchable
      00 00 00 00 00 00 00 00  00 00 00 00  00 00 00 00   # BAR5 @120: absent (upper half of BAR4)`),
    fields: { type: 0x03, flags: 0, tag: 0x01020304, index: 0, address: 0n, length: 0, cycle: 0n, payload: '' /* filled in below */ },
    conf: {
      vendorId: 0x1234,
      deviceId: 0xc051,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1102,
      classCode: 0x120201,
      revision: 7,
      msix: { vectors: 0x105, tableBar: 2, tableOffset: 0x3000n, pbaBar: 4, pbaOffset: 0x100000800n },
      bars: [
        { size: 0x10000n, is64: true, prefetch: false },
        { size: 0n, is64: false, prefetch: false },
        { size: 0x1000n, is64: false, prefetch: false },
        { size: 0n, is64: false, prefetch: false },
        { size: 0x200000000n, is64: true, prefetch: true },
        { size: 0n, is64: false, prefetch: false },
      ],
    },
  },
  {
    name: 'hand_mmio_read',
    bytes: hex(`${CSIM_V1}
      10 00                     # type MMIO_READ, flags 0
      0d 0c 0b 0a               # tag 0x0a0b0c0d
      02 00 00 00               # index = BAR 2, reserved 0
      f8 01 00 00 00 00 00 00   # address = offset 0x1f8 (aligned to 8)
      08 00 00 00               # length 8
      00 00 00 00               # payload_len 0
      00 00 00 00 00 00 00 00   # cycle 0 (QEMU side)`),
    fields: { type: 0x10, flags: 0, tag: 0x0a0b0c0d, index: 2, address: 0x1f8n, length: 8, cycle: 0n, payload: '' },
  },
  {
    name: 'hand_mmio_read_cpl',
    bytes: hex(`${CSIM_V1}
      11 00                     # type MMIO_READ_CPL, flags 0
      0d 0c 0b 0a               # tag 0x0a0b0c0d (the read's)
      02 00 00 00               # index = BAR 2, reserved 0
      f8 01 00 00 00 00 00 00   # address 0x1f8
      08 00 00 00               # length 8
      08 00 00 00               # payload_len 8
      08 07 06 05 04 03 02 01   # cycle 0x0102030405060708
      88 77 66 55 44 33 22 11   # payload: the value 0x1122334455667788, little-endian`),
    fields: { type: 0x11, flags: 0, tag: 0x0a0b0c0d, index: 2, address: 0x1f8n, length: 8, cycle: 0x0102030405060708n, payload: '8877665544332211' },
  },
  {
    name: 'hand_mmio_write',
    bytes: hex(`${CSIM_V1}
      12 00                     # type MMIO_WRITE, flags 0
      2a 00 00 00               # tag 42
      00 00 00 00               # index = BAR 0, reserved 0
      06 00 00 00 00 00 00 00   # address 0x6 (aligned to 2)
      02 00 00 00               # length 2
      02 00 00 00               # payload_len 2
      00 00 00 00 00 00 00 00   # cycle 0
      cd ab                     # payload: 0xabcd`),
    fields: { type: 0x12, flags: 0, tag: 42, index: 0, address: 6n, length: 2, cycle: 0n, payload: 'cdab' },
  },
  {
    name: 'hand_dma_read',
    bytes: hex(`${CSIM_V1}
      20 00                     # type DMA_READ, flags 0
      03 00 00 80               # tag 0x80000003 (chosen by the HDL side)
      00 00 00 00               # index 0, reserved 0
      00 10 32 54 76 00 00 00   # address 0x7654321000
      00 00 10 00               # length 0x100000 (1 MiB)
      00 00 00 00               # payload_len 0
      e8 03 00 00 00 00 00 00   # cycle 1000`),
    fields: { type: 0x20, flags: 0, tag: 0x80000003, index: 0, address: 0x7654321000n, length: 0x100000, cycle: 1000n, payload: '' },
  },
  {
    name: 'hand_dma_read_cpl_last',
    bytes: hex(`${CSIM_V1}
      21 01                     # type DMA_READ_CPL, flags LAST
      03 00 00 80               # tag 0x80000003 (the request's)
      00 00 00 00               # index 0, reserved 0
      00 00 33 54 76 00 00 00   # address 0x7654330000 (this chunk's)
      06 00 00 00               # length 6 (chunk length)
      06 00 00 00               # payload_len 6
      00 00 00 00 00 00 00 00   # cycle 0
      a0 a1 a2 a3 a4 a5         # payload`),
    fields: { type: 0x21, flags: 1, tag: 0x80000003, index: 0, address: 0x7654330000n, length: 6, cycle: 0n, payload: 'a0a1a2a3a4a5' },
  },
  {
    name: 'hand_dma_write',
    bytes: hex(`${CSIM_V1}
      22 00                     # type DMA_WRITE, flags 0
      00 00 00 00               # tag 0 (posted)
      00 00 00 00               # index 0, reserved 0
      80 67 45 23 01 00 00 00   # address 0x123456780
      11 00 00 00               # length 17
      11 00 00 00               # payload_len 17
      c1 b2 a3 00 00 00 00 00   # cycle 0xa3b2c1
      00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 5a   # payload, 17 bytes`),
    fields: { type: 0x22, flags: 0, tag: 0, index: 0, address: 0x123456780n, length: 17, cycle: 0xa3b2c1n, payload: '00112233445566778899aabbccddeeff5a' },
  },
  {
    name: 'hand_msix',
    bytes: hex(`${CSIM_V1}
      30 00                     # type MSIX, flags 0
      00 00 00 00               # tag 0
      03 01 00 00               # index = vector 0x103, reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      00 00 00 00               # payload_len 0
      92 10 00 00 00 00 00 00   # cycle 0x1092`),
    fields: { type: 0x30, flags: 0, tag: 0, index: 0x103, address: 0n, length: 0, cycle: 0x1092n, payload: '' },
  },
  {
    name: 'hand_intx',
    bytes: hex(`${CSIM_V1}
      31 00                     # type INTX, flags 0
      00 00 00 00               # tag 0
      01 00 00 00               # index = level 1 (asserted), reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      00 00 00 00               # payload_len 0
      0e 14 00 00 00 00 00 00   # cycle 5134`),
    fields: { type: 0x31, flags: 0, tag: 0, index: 1, address: 0n, length: 0, cycle: 5134n, payload: '' },
  },
  {
    name: 'hand_cfg_state',
    bytes: hex(`${CSIM_V1}
      65 00                     # type CFG_STATE, flags 0
      0c 00 00 00               # tag 12
      0d 00 00 00               # index = MSIX_ENABLE | BUS_MASTER | INTX_DISABLE (0xd), reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      00 00 00 00               # payload_len 0
      00 00 00 00 00 00 00 00   # cycle 0`),
    fields: { type: 0x65, flags: 0, tag: 12, index: 0xd, address: 0n, length: 0, cycle: 0n, payload: '' },
  },
  {
    name: 'hand_delivered',
    bytes: hex(`${CSIM_V1}
      66 00                     # type DELIVERED, flags 0
      00 00 00 00               # tag 0
      00 00 00 00               # index 0, reserved 0
      00 00 00 00 00 00 00 00   # address 0
      02 00 00 00               # length = 2 stamps
      10 00 00 00               # payload_len 16 (8 per stamp)
      08 07 06 05 04 03 02 01   # cycle 0x0102030405060708
      ff 00 00 00 00 00 00 00   # stamp 0: cycle 255
      00 01 02 03 04 05 06 07   # stamp 1: cycle 0x0706050403020100`),
    fields: { type: 0x66, flags: 0, tag: 0, index: 0, address: 0n, length: 2, cycle: 0x0102030405060708n, payload: 'ff00000000000000' + '0001020304050607' },
  },
  {
    name: 'hand_hello_broker_trace',
    bytes: hex(`${CSIM_V1}
      01 04                     # type HELLO, flags TRACE (0x04): send DELIVERED stamps
      01 00 00 00               # tag 1
      00 00 00 00               # index 0 (the broker has no role), reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      06 00 00 00               # payload_len 6
      00 00 00 00 00 00 00 00   # cycle 0
      62 72 6f 6b 65 72         # payload "broker"`),
    fields: { type: 0x01, flags: 0x04, tag: 1, index: 0, address: 0n, length: 0, cycle: 0n, payload: '62726f6b6572' },
  },
  {
    name: 'hand_error_timeout',
    bytes: hex(`${CSIM_V1}
      61 00                     # type ERROR, flags 0
      0d 0c 0b 0a               # tag 0x0a0b0c0d (the failed read's)
      06 00 00 00               # index = code 6 TIMEOUT, reserved 0
      f8 01 00 00 00 00 00 00   # address 0x1f8 (the failed read's)
      08 00 00 00               # length 8
      07 00 00 00               # payload_len 7
      00 00 00 00 00 00 00 00   # cycle 0
      74 69 6d 65 6f 75 74      # payload "timeout" (UTF-8)`),
    fields: { type: 0x61, flags: 0, tag: 0x0a0b0c0d, index: 6, address: 0x1f8n, length: 8, cycle: 0n, payload: '74696d656f7574' },
  },
  {
    name: 'hand_ping',
    bytes: hex(`${CSIM_V1}
      63 00                     # type PING, flags 0
      ef be ad de               # tag 0xdeadbeef
      00 00 00 00               # index 0, reserved 0
      00 00 00 00 00 00 00 00   # address 0
      00 00 00 00               # length 0
      00 00 00 00               # payload_len 0
      00 00 00 00 00 00 00 00   # cycle 0`),
    fields: { type: 0x63, flags: 0, tag: 0xdeadbeef, index: 0, address: 0n, length: 0, cycle: 0n, payload: '' },
  },
];

// The CONF vector's payload is everything after its 40-byte header.
for (const v of HANDWRITTEN) if (v.name === 'hand_conf') v.fields.payload = v.bytes.slice(80);
