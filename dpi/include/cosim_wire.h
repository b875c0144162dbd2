/*
 * qemu-hdl-bridge wire protocol, version 1: the single source for C users
 * (the QEMU device and the DPI shim). bridge/src/protocol/wire.ts mirrors it,
 * and test/protocol-constants.test.ts fails if the two drift apart.
 *
 * A message is one ZeroMQ multipart message: a 40-byte header frame, then one
 * payload frame iff header.payload_len > 0. Every field is little-endian at the
 * offset given below; the struct is never sent raw, cosim_hdr_encode/decode
 * move each field, so compiler padding and host byte order never reach the wire.
 */
#ifndef COSIM_WIRE_H
#define COSIM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define COSIM_MAGIC 0x4D495343u /* bytes "CSIM" */
#define COSIM_VERSION 1u
#define COSIM_HDR_SIZE 40u
/* Largest payload frame; longer DMA and NIC data is split into chunks. */
#define COSIM_MAX_PAYLOAD 65536u
/* Largest single DMA read request (the completion arrives in chunks). */
#define COSIM_MAX_DMA_LEN (16u * 1024u * 1024u)
/* Largest Ethernet frame carried on the NIC channel (jumbo, no FCS). */
#define COSIM_MAX_NIC_FRAME 16384u
#define COSIM_MAX_NAME 64u
/* Most delivery stamps in one DELIVERED: a u64 each, COSIM_MAX_PAYLOAD / 8. */
#define COSIM_MAX_STAMPS 8192u
#define COSIM_NUM_BARS 6u

enum cosim_msg_type {
    COSIM_HELLO = 0x01,         /* index = role, payload = device name */
    COSIM_INIT = 0x02,          /* QEMU -> broker: ask for the device config */
    COSIM_CONF = 0x03,          /* HDL -> broker (announce), broker -> QEMU */
    COSIM_MMIO_READ = 0x10,     /* QEMU -> HDL: index = BAR, address = offset */
    COSIM_MMIO_READ_CPL = 0x11, /* HDL -> QEMU: same tag, payload = data */
    COSIM_MMIO_WRITE = 0x12,    /* QEMU -> HDL, posted, payload = data */
    COSIM_DMA_READ = 0x20,      /* HDL -> QEMU: address, length */
    COSIM_DMA_READ_CPL = 0x21,  /* QEMU -> HDL: chunk at address, LAST on the final one */
    COSIM_DMA_WRITE = 0x22,     /* HDL -> QEMU, posted, payload = data at address */
    COSIM_MSIX = 0x30,          /* HDL -> QEMU: index = vector */
    COSIM_INTX = 0x31,          /* HDL -> QEMU: index = new INTx (INTA#) level, 0 or 1 */
    COSIM_NIC_FRAME = 0x40,     /* both ways: payload = one Ethernet frame */
    COSIM_SERIAL = 0x50,        /* both ways: payload = bytes */
    COSIM_RESET = 0x60,         /* QEMU -> HDL: device reset */
    COSIM_ERROR = 0x61,         /* any: tag/address = failed transaction, index = code, payload = text */
    COSIM_SHUTDOWN = 0x62,      /* any: the sender is going away / asks the peer to stop */
    COSIM_PING = 0x63,          /* broker -> peer liveness probe */
    COSIM_PONG = 0x64,          /* peer -> broker, same tag */
    COSIM_CFG_STATE = 0x65,     /* QEMU -> HDL: index = PCI config state, COSIM_CFG_* bits */
    COSIM_DELIVERED = 0x66,     /* HDL -> broker: length = N, payload = N u64 delivery stamps */
};

/* CFG_STATE index bits: the PCI config space state the RTL may act on.
 * Bits 4..15 are reserved and must be 0. */
enum cosim_cfg_bits {
    COSIM_CFG_MSIX_ENABLE = 0x1,  /* MSI-X Enable (message control bit 15) */
    COSIM_CFG_MSIX_MASKED = 0x2,  /* MSI-X Function Mask (message control bit 14) */
    COSIM_CFG_BUS_MASTER = 0x4,   /* Bus Master Enable (command register bit 2) */
    COSIM_CFG_INTX_DISABLE = 0x8, /* Interrupt Disable (command register bit 10) */
    COSIM_CFG_ALL = 0xF,
};

enum cosim_flags {
    COSIM_F_LAST = 0x01,  /* last chunk of a DMA read completion */
    COSIM_F_ERROR = 0x02, /* completion carries an error: data is all-ones */
    COSIM_F_TRACE = 0x04, /* HELLO broker -> HDL: send DELIVERED stamps */
};

enum cosim_role {
    COSIM_ROLE_QEMU = 1, /* the PCIe host side: QEMU or a stand-in */
    COSIM_ROLE_HDL = 2,  /* the device side: a simulator running RTL */
};

enum cosim_error_code {
    COSIM_E_MALFORMED = 1,   /* frame could not be decoded */
    COSIM_E_VERSION = 2,     /* unsupported protocol version */
    COSIM_E_UNEXPECTED = 3,  /* valid frame, wrong direction or state */
    COSIM_E_TOO_LARGE = 4,   /* payload or length over a limit */
    COSIM_E_UNMAPPED = 5,    /* MMIO outside every BAR */
    COSIM_E_TIMEOUT = 6,     /* the peer did not answer in time */
    COSIM_E_PEER_GONE = 7,   /* the peer disconnected or stopped answering */
    COSIM_E_NO_PEER = 8,     /* no partner with that device name */
    COSIM_E_BAD_CONF = 9,    /* CONF failed validation */
    COSIM_E_DEVICE = 10,     /* the RTL answered with an AXI error response */
};

/* Decoded header; see the offsets in cosim_hdr_encode. */
typedef struct cosim_hdr {
    uint32_t magic;
    uint16_t version;
    uint8_t type;
    uint8_t flags;
    uint32_t tag;         /* request id; completions echo it */
    uint16_t index;       /* BAR, MSI-X vector, INTx level, config bits, role or error code */
    uint16_t reserved;    /* must be 0 */
    uint64_t address;     /* BAR offset, host physical address, or 0 */
    uint32_t length;      /* access size / request length / chunk length */
    uint32_t payload_len; /* bytes in the payload frame (0 = no frame) */
    uint64_t cycle;       /* sender's clock: RTL cycle on the HDL side, else 0 */
} cosim_hdr;

/*
 * CONF payload: the PCIe identity and BAR layout (ACCConf), 136 bytes.
 *   0 u16 vendor_id          2 u16 device_id
 *   4 u16 subsys_vendor_id   6 u16 subsys_id
 *   8 u32 class_code (base << 16 | sub << 8 | prog-if)
 *  12 u8  revision          13 u8 msix_table_bar  14 u8 msix_pba_bar  15 u8 0
 *  16 u16 msix_vectors      18 u16 0              20 u32 0
 *  24 u64 msix_table_offset 32 u64 msix_pba_offset
 *  40 + 16 * n: BAR n: u64 size (0 = absent), u32 flags (COSIM_BAR_*), u32 0
 */
#define COSIM_CONF_SIZE 136u
#define COSIM_BAR_64BIT 0x1u
#define COSIM_BAR_PREFETCH 0x2u

typedef struct cosim_bar_conf {
    uint64_t size;
    uint32_t flags;
} cosim_bar_conf;

typedef struct cosim_conf {
    uint16_t vendor_id, device_id, subsys_vendor_id, subsys_id;
    uint32_t class_code;
    uint8_t revision, msix_table_bar, msix_pba_bar;
    uint16_t msix_vectors;
    uint64_t msix_table_offset, msix_pba_offset;
    cosim_bar_conf bar[COSIM_NUM_BARS];
} cosim_conf;

static inline void cosim_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void cosim_put32(uint8_t *p, uint32_t v) { cosim_put16(p, (uint16_t)v); cosim_put16(p + 2, (uint16_t)(v >> 16)); }
static inline void cosim_put64(uint8_t *p, uint64_t v) { cosim_put32(p, (uint32_t)v); cosim_put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint16_t cosim_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t cosim_get32(const uint8_t *p) { return (uint32_t)cosim_get16(p) | ((uint32_t)cosim_get16(p + 2) << 16); }
static inline uint64_t cosim_get64(const uint8_t *p) { return (uint64_t)cosim_get32(p) | ((uint64_t)cosim_get32(p + 4) << 32); }

static inline void cosim_hdr_init(cosim_hdr *h, uint8_t type)
{
    memset(h, 0, sizeof(*h));
    h->magic = COSIM_MAGIC;
    h->version = COSIM_VERSION;
    h->type = type;
}

static inline void cosim_hdr_encode(uint8_t out[COSIM_HDR_SIZE], const cosim_hdr *h)
{
    cosim_put32(out + 0, h->magic);
    cosim_put16(out + 4, h->version);
    out[6] = h->type;
    out[7] = h->flags;
    cosim_put32(out + 8, h->tag);
    cosim_put16(out + 12, h->index);
    cosim_put16(out + 14, h->reserved);
    cosim_put64(out + 16, h->address);
    cosim_put32(out + 24, h->length);
    cosim_put32(out + 28, h->payload_len);
    cosim_put64(out + 32, h->cycle);
}

/* Result of cosim_hdr_decode: 0 on success, else one of these. */
enum cosim_decode_result {
    COSIM_DEC_OK = 0,
    COSIM_DEC_SHORT = 1,    /* header frame is not COSIM_HDR_SIZE bytes */
    COSIM_DEC_MAGIC = 2,    /* wrong magic */
    COSIM_DEC_VERSION = 3,  /* another protocol version */
    COSIM_DEC_TYPE = 4,     /* unknown message type */
    COSIM_DEC_PAYLOAD = 5,  /* payload_len over COSIM_MAX_PAYLOAD */
};

static inline int cosim_type_known(uint8_t t)
{
    switch (t) {
    case COSIM_HELLO: case COSIM_INIT: case COSIM_CONF:
    case COSIM_MMIO_READ: case COSIM_MMIO_READ_CPL: case COSIM_MMIO_WRITE:
    case COSIM_DMA_READ: case COSIM_DMA_READ_CPL: case COSIM_DMA_WRITE:
    case COSIM_MSIX: case COSIM_INTX: case COSIM_NIC_FRAME: case COSIM_SERIAL:
    case COSIM_RESET: case COSIM_ERROR: case COSIM_SHUTDOWN:
    case COSIM_PING: case COSIM_PONG: case COSIM_CFG_STATE: case COSIM_DELIVERED:
        return 1;
    default:
        return 0;
    }
}

static inline int cosim_hdr_decode(cosim_hdr *h, const uint8_t *in, size_t len)
{
    memset(h, 0, sizeof(*h));
    if (len != COSIM_HDR_SIZE)
        return COSIM_DEC_SHORT;
    h->magic = cosim_get32(in + 0);
    h->version = cosim_get16(in + 4);
    h->type = in[6];
    h->flags = in[7];
    h->tag = cosim_get32(in + 8);
    h->index = cosim_get16(in + 12);
    h->reserved = cosim_get16(in + 14);
    h->address = cosim_get64(in + 16);
    h->length = cosim_get32(in + 24);
    h->payload_len = cosim_get32(in + 28);
    h->cycle = cosim_get64(in + 32);
    if (h->magic != COSIM_MAGIC)
        return COSIM_DEC_MAGIC;
    if (h->version != COSIM_VERSION)
        return COSIM_DEC_VERSION;
    if (!cosim_type_known(h->type))
        return COSIM_DEC_TYPE;
    if (h->payload_len > COSIM_MAX_PAYLOAD)
        return COSIM_DEC_PAYLOAD;
    return COSIM_DEC_OK;
}

/*
 * DELIVERED: the HDL side's delivery stamps, asked for by COSIM_F_TRACE on the
 * broker's HELLO. Each stamp is the bridge cycle (cosim_shim_cycle()) at which
 * the shim took in one message from the broker, in arrival order; every
 * message is stamped but HELLO, PING and PONG (bad frames too). payload = N
 * little-endian u64, 1 <= N <= COSIM_MAX_STAMPS, and length = N.
 * Returns 1 if the header describes a well-formed DELIVERED.
 */
static inline int cosim_delivered_ok(const cosim_hdr *h)
{
    return h->type == COSIM_DELIVERED && h->payload_len != 0 && h->payload_len % 8u == 0 &&
           h->payload_len <= COSIM_MAX_PAYLOAD && h->length == h->payload_len / 8u;
}

/* Whether the HDL side stamps an inbound message of type t (when tracing). */
static inline int cosim_stamped_type(uint8_t t)
{
    return t != COSIM_HELLO && t != COSIM_PING && t != COSIM_PONG;
}

static inline void cosim_conf_encode(uint8_t out[COSIM_CONF_SIZE], const cosim_conf *c)
{
    memset(out, 0, COSIM_CONF_SIZE);
    cosim_put16(out + 0, c->vendor_id);
    cosim_put16(out + 2, c->device_id);
    cosim_put16(out + 4, c->subsys_vendor_id);
    cosim_put16(out + 6, c->subsys_id);
    cosim_put32(out + 8, c->class_code);
    out[12] = c->revision;
    out[13] = c->msix_table_bar;
    out[14] = c->msix_pba_bar;
    cosim_put16(out + 16, c->msix_vectors);
    cosim_put64(out + 24, c->msix_table_offset);
    cosim_put64(out + 32, c->msix_pba_offset);
    for (unsigned i = 0; i < COSIM_NUM_BARS; i++) {
        cosim_put64(out + 40 + 16 * i, c->bar[i].size);
        cosim_put32(out + 48 + 16 * i, c->bar[i].flags);
    }
}

/* Returns 0, or -1 if the payload is not COSIM_CONF_SIZE bytes. */
static inline int cosim_conf_decode(cosim_conf *c, const uint8_t *in, size_t len)
{
    memset(c, 0, sizeof(*c));
    if (len != COSIM_CONF_SIZE)
        return -1;
    c->vendor_id = cosim_get16(in + 0);
    c->device_id = cosim_get16(in + 2);
    c->subsys_vendor_id = cosim_get16(in + 4);
    c->subsys_id = cosim_get16(in + 6);
    c->class_code = cosim_get32(in + 8);
    c->revision = in[12];
    c->msix_table_bar = in[13];
    c->msix_pba_bar = in[14];
    c->msix_vectors = cosim_get16(in + 16);
    c->msix_table_offset = cosim_get64(in + 24);
    c->msix_pba_offset = cosim_get64(in + 32);
    for (unsigned i = 0; i < COSIM_NUM_BARS; i++) {
        c->bar[i].size = cosim_get64(in + 40 + 16 * i);
        c->bar[i].flags = cosim_get32(in + 48 + 16 * i);
    }
    return 0;
}

static inline const char *cosim_type_name(uint8_t t)
{
    switch (t) {
    case COSIM_HELLO: return "HELLO";
    case COSIM_INIT: return "INIT";
    case COSIM_CONF: return "CONF";
    case COSIM_MMIO_READ: return "MMIO_READ";
    case COSIM_MMIO_READ_CPL: return "MMIO_READ_CPL";
    case COSIM_MMIO_WRITE: return "MMIO_WRITE";
    case COSIM_DMA_READ: return "DMA_READ";
    case COSIM_DMA_READ_CPL: return "DMA_READ_CPL";
    case COSIM_DMA_WRITE: return "DMA_WRITE";
    case COSIM_MSIX: return "MSIX";
    case COSIM_INTX: return "INTX";
    case COSIM_NIC_FRAME: return "NIC_FRAME";
    case COSIM_SERIAL: return "SERIAL";
    case COSIM_RESET: return "RESET";
    case COSIM_ERROR: return "ERROR";
    case COSIM_SHUTDOWN: return "SHUTDOWN";
    case COSIM_PING: return "PING";
    case COSIM_PONG: return "PONG";
    case COSIM_CFG_STATE: return "CFG_STATE";
    case COSIM_DELIVERED: return "DELIVERED";
    default: return "UNKNOWN";
    }
}

#ifdef __cplusplus
static_assert(sizeof(cosim_hdr) == COSIM_HDR_SIZE, "cosim_hdr is mirrored field by field");
static_assert(COSIM_MAX_STAMPS * 8u == COSIM_MAX_PAYLOAD, "one DELIVERED fills at most one payload frame");
#else
_Static_assert(sizeof(cosim_hdr) == COSIM_HDR_SIZE, "cosim_hdr is mirrored field by field");
_Static_assert(COSIM_MAX_STAMPS * 8u == COSIM_MAX_PAYLOAD, "one DELIVERED fills at most one payload frame");
#endif

#endif /* COSIM_WIRE_H */
