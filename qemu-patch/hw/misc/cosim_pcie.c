/*
 * cosim-pcie: a PCIe device whose behaviour comes from RTL in a simulator.
 *
 * QEMU talks to the qemu-hdl-bridge broker over one ZeroMQ DEALER socket; the
 * broker relays to the simulator (a DPI-C shim in front of Verilated RTL). The
 * wire protocol (a 40-byte little-endian header frame plus an optional payload
 * frame) is defined once, in hw/misc/cosim_wire.h, which is a verbatim copy of
 * the project's dpi/include/cosim_wire.h.
 *
 *   -device cosim-pcie,endpoint=ipc:///tmp/q.sock[,name=dev0][,timeout-ms=5000]
 *           [,netdev=NET][,chardev=CHR]
 *
 * realize() says HELLO and INIT and waits (up to timeout-ms) for the CONF that
 * gives the PCI identity, the BARs and the MSI-X layout. MMIO writes are
 * posted; an MMIO read sends MMIO_READ and waits for its completion while it
 * services, inline, every other message (DMA, MSI-X, NIC, serial, PING), so
 * RTL that needs a DMA before it can answer the read cannot deadlock.
 * Everything that touches the socket runs under the BQL: the MMIO handlers
 * and the main-loop fd handler both hold it. On a timeout or an ERROR the
 * read returns all-ones, as a PCIe completion timeout does, and the error
 * names the transaction.
 *
 * Copyright (c) 2025 The qemu-hdl-bridge authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/notify.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "chardev/char-fe.h"
#include "net/net.h"
#include "migration/vmstate.h"
#include "system/system.h"
#include "exec/memory.h"
#include "qom/object.h"
#include "hw/misc/cosim_wire.h"

#include <zmq.h>

#define TYPE_COSIM_PCIE "cosim-pcie"
OBJECT_DECLARE_SIMPLE_TYPE(CosimPCIeState, COSIM_PCIE)

/* Chunk size for DMA read completions and serial bytes. */
#define COSIM_CHUNK COSIM_MAX_PAYLOAD
/* How many bad frames are reported one by one before going quiet. */
#define COSIM_BAD_FRAME_REPORTS 20
/* Deep enough that a burst of posted writes never blocks on the pipe. */
#define COSIM_HWM 100000
/* Linger on close so that SHUTDOWN still reaches the broker. */
#define COSIM_CLOSE_LINGER_MS 200

typedef struct CosimPCIeState CosimPCIeState;

/*
 * One BAR: a container, with the device's io region under it at priority -1
 * so that the MSI-X table and PBA subregions (msix_init) win where they
 * overlap.
 */
typedef struct CosimBar {
    CosimPCIeState *s;
    uint8_t nr;
    bool present;
    MemoryRegion container;
    MemoryRegion io;
} CosimBar;

typedef struct CosimStats {
    uint64_t mmio_reads;
    uint64_t mmio_writes;
    uint64_t read_timeouts;
    uint64_t read_errors;
    uint64_t dma_reads;
    uint64_t dma_read_bytes;
    uint64_t dma_writes;
    uint64_t dma_write_bytes;
    uint64_t dma_errors;
    uint64_t msix;
    uint64_t nic_tx;
    uint64_t nic_rx;
    uint64_t nic_dropped;
    uint64_t serial_tx_bytes;
    uint64_t serial_rx_bytes;
    uint64_t bad_frames;
    uint64_t send_errors;
    uint64_t errors_received;
} CosimStats;

/* A received message: the decoded header and the payload frame, if any. */
typedef struct CosimMsg {
    cosim_hdr h;
    zmq_msg_t payload;
    bool has_payload;
} CosimMsg;

struct CosimPCIeState {
    PCIDevice parent_obj;

    /* properties */
    char *endpoint;
    char *name;
    uint32_t timeout_ms;
    NICConf nic_conf;
    CharBackend chr;

    /* ZeroMQ */
    void *zctx;
    void *zsock;
    int zfd;
    bool fd_handler_set;
    QEMUBH *drain_bh;
    Notifier exit_notifier;
    bool exit_notifier_set;
    bool broker_gone;       /* the broker sent SHUTDOWN */

    /* from CONF */
    cosim_conf conf;
    CosimBar bar[COSIM_NUM_BARS];
    bool msix_ok;

    NICState *nic;
    uint32_t next_tag;
    int dispatching;        /* > 0 while servicing inbound messages */
    uint8_t *dma_buf;       /* COSIM_CHUNK bytes */

    CosimStats stats;
};

/* ------------------------------------------------------------------ wire */

static uint32_t cosim_alloc_tag(CosimPCIeState *s)
{
    if (++s->next_tag == 0) {
        s->next_tag = 1;
    }
    return s->next_tag;
}

static int64_t cosim_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/*
 * Send one message: the header frame, then the payload frame iff
 * h->payload_len > 0. Blocks at most timeout-ms when the pipe is full. After a
 * send the edge-triggered ZMQ_FD may already have been consumed, so the drain
 * bottom half re-checks ZMQ_EVENTS.
 */
static bool cosim_send(CosimPCIeState *s, const cosim_hdr *h,
                       const void *payload)
{
    uint8_t buf[COSIM_HDR_SIZE];
    int rc;

    if (!s->zsock) {
        return false;
    }
    cosim_hdr_encode(buf, h);
    rc = zmq_send(s->zsock, buf, sizeof(buf), h->payload_len ? ZMQ_SNDMORE : 0);
    if (rc >= 0 && h->payload_len) {
        rc = zmq_send(s->zsock, payload, h->payload_len, 0);
    }
    if (s->drain_bh) {
        qemu_bh_schedule(s->drain_bh);
    }
    if (rc < 0) {
        s->stats.send_errors++;
        error_report("cosim-pcie: sending %s tag %u to the broker at %s "
                     "failed: %s", cosim_type_name(h->type), h->tag,
                     s->endpoint, zmq_strerror(zmq_errno()));
        return false;
    }
    return true;
}

static bool cosim_send_simple(CosimPCIeState *s, uint8_t type, uint32_t tag)
{
    cosim_hdr h;

    cosim_hdr_init(&h, type);
    h.tag = tag;
    return cosim_send(s, &h, NULL);
}

static void cosim_msg_release(CosimMsg *m)
{
    if (m->has_payload) {
        zmq_msg_close(&m->payload);
        m->has_payload = false;
    }
}

static const uint8_t *cosim_msg_data(CosimMsg *m)
{
    return m->has_payload ? zmq_msg_data(&m->payload) : NULL;
}

static size_t cosim_msg_len(CosimMsg *m)
{
    return m->has_payload ? zmq_msg_size(&m->payload) : 0;
}

static void cosim_bad_frame(CosimPCIeState *s, const cosim_hdr *h,
                            const char *why, size_t frames, size_t hdr_len,
                            size_t payload_len)
{
    s->stats.bad_frames++;
    if (s->stats.bad_frames > COSIM_BAD_FRAME_REPORTS) {
        return;
    }
    warn_report("cosim-pcie: bad frame from the broker at %s: %s "
                "(frames=%zu header=%zu bytes magic=0x%08x version=%u "
                "type=0x%02x(%s) flags=0x%x tag=%u index=%u reserved=%u "
                "address=0x%" PRIx64 " length=%u payload_len=%u "
                "payload=%zu bytes cycle=%" PRIu64 ")%s",
                s->endpoint, why, frames, hdr_len, h->magic, h->version,
                h->type, cosim_type_name(h->type), h->flags, h->tag,
                h->index, h->reserved, h->address, h->length,
                h->payload_len, payload_len, h->cycle,
                s->stats.bad_frames == COSIM_BAD_FRAME_REPORTS ?
                "; further bad frames are only counted" : "");
}

/*
 * Receive one whole message without blocking. Returns 1 with *m filled (the
 * caller must cosim_msg_release it), 0 when nothing is queued, -1 when a
 * message arrived but was malformed (it has been logged, counted and
 * dropped).
 */
static int cosim_recv(CosimPCIeState *s, CosimMsg *m)
{
    zmq_msg_t hdr, extra;
    size_t frames = 1, hdr_len, payload_len = 0;
    const char *why = NULL;
    int rc, dec;

    memset(m, 0, sizeof(*m));
    zmq_msg_init(&hdr);
    if (zmq_msg_recv(&hdr, s->zsock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&hdr);
        return 0;
    }
    hdr_len = zmq_msg_size(&hdr);
    dec = cosim_hdr_decode(&m->h, zmq_msg_data(&hdr), hdr_len);
    if (zmq_msg_more(&hdr)) {
        zmq_msg_init(&m->payload);
        rc = zmq_msg_recv(&m->payload, s->zsock, ZMQ_DONTWAIT);
        if (rc >= 0) {
            m->has_payload = true;
            frames++;
            payload_len = zmq_msg_size(&m->payload);
            /* Anything past the payload frame is garbage: drain it. */
            while (zmq_msg_more(&m->payload)) {
                zmq_msg_init(&extra);
                rc = zmq_msg_recv(&extra, s->zsock, ZMQ_DONTWAIT);
                frames++;
                if (rc < 0 || !zmq_msg_more(&extra)) {
                    zmq_msg_close(&extra);
                    break;
                }
                zmq_msg_close(&extra);
            }
        } else {
            zmq_msg_close(&m->payload);
        }
    }
    zmq_msg_close(&hdr);

    switch (dec) {
    case COSIM_DEC_OK:
        break;
    case COSIM_DEC_SHORT:
        why = "header frame is not 40 bytes";
        break;
    case COSIM_DEC_MAGIC:
        why = "bad magic";
        break;
    case COSIM_DEC_VERSION:
        why = "unsupported protocol version";
        break;
    case COSIM_DEC_TYPE:
        why = "unknown message type";
        break;
    case COSIM_DEC_PAYLOAD:
        why = "payload_len over 65536";
        break;
    default:
        why = "undecodable header";
        break;
    }
    if (!why && m->h.reserved != 0) {
        why = "reserved field is not 0";
    } else if (!why && frames > 2) {
        why = "more than two frames";
    } else if (!why && m->h.payload_len == 0 && frames != 1) {
        why = "payload frame present but payload_len is 0";
    } else if (!why && m->h.payload_len > 0 && frames != 2) {
        why = "payload_len > 0 but no payload frame";
    } else if (!why && m->h.payload_len != payload_len) {
        why = "payload frame size differs from payload_len";
    }
    if (why) {
        cosim_bad_frame(s, &m->h, why, frames, hdr_len, payload_len);
        cosim_msg_release(m);
        return -1;
    }
    return 1;
}

/*
 * Wait until deadline (cosim_now_ms clock) for the next well-formed message.
 * Returns 1 with *m filled, 0 at the deadline, -1 if zmq_poll failed.
 */
static int cosim_recv_wait(CosimPCIeState *s, CosimMsg *m, int64_t deadline)
{
    for (;;) {
        zmq_pollitem_t item = { .socket = s->zsock, .events = ZMQ_POLLIN };
        int rc = cosim_recv(s, m);
        int64_t left;

        if (rc > 0) {
            return 1;
        }
        if (rc < 0) {
            continue;
        }
        left = deadline - cosim_now_ms();
        if (left <= 0) {
            return 0;
        }
        if (zmq_poll(&item, 1, left) < 0 && zmq_errno() != EINTR) {
            return -1;
        }
    }
}

static bool cosim_readable(CosimPCIeState *s)
{
    uint32_t events = 0;
    size_t len = sizeof(events);

    if (!s->zsock ||
        zmq_getsockopt(s->zsock, ZMQ_EVENTS, &events, &len) != 0) {
        return false;
    }
    return events & ZMQ_POLLIN;
}

/* -------------------------------------------------- DMA, IRQ, NIC, serial */

/* DMA_READ from the RTL: read guest memory, answer in <= 64 KiB chunks. */
static void cosim_dma_read(CosimPCIeState *s, const cosim_hdr *req)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t addr = req->address;
    uint32_t left = req->length;
    cosim_hdr h;

    s->stats.dma_reads++;
    if (req->payload_len != 0 || req->length == 0 ||
        req->length > COSIM_MAX_DMA_LEN ||
        req->address + req->length < req->address) {
        cosim_bad_frame(s, req, "DMA_READ length must be 1..16 MiB, "
                        "without payload and without wrapping",
                        req->payload_len ? 2 : 1, COSIM_HDR_SIZE,
                        req->payload_len);
        goto fail;
    }
    while (left) {
        uint32_t n = MIN(left, COSIM_CHUNK);

        if (pci_dma_read(pdev, addr, s->dma_buf, n) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: DMA read tag %u "
                          "0x%" PRIx64 "+%u: guest memory at 0x%" PRIx64
                          " is not readable (bus mastering off or "
                          "unassigned address)\n", req->tag, req->address,
                          req->length, addr);
            goto fail;
        }
        cosim_hdr_init(&h, COSIM_DMA_READ_CPL);
        h.tag = req->tag;
        h.address = addr;
        h.length = n;
        h.payload_len = n;
        left -= n;
        addr += n;
        h.flags = left ? 0 : COSIM_F_LAST;
        if (!cosim_send(s, &h, s->dma_buf)) {
            return;
        }
        s->stats.dma_read_bytes += n;
    }
    return;

fail:
    s->stats.dma_errors++;
    cosim_hdr_init(&h, COSIM_DMA_READ_CPL);
    h.tag = req->tag;
    h.address = addr;
    h.flags = COSIM_F_LAST | COSIM_F_ERROR;
    cosim_send(s, &h, NULL);
}

/* DMA_WRITE from the RTL: posted, the payload goes to guest memory. */
static void cosim_dma_write(CosimPCIeState *s, CosimMsg *m)
{
    size_t len = cosim_msg_len(m);

    if (len == 0 || (m->h.length && m->h.length != len)) {
        cosim_bad_frame(s, &m->h, "DMA_WRITE needs a payload of `length` "
                        "bytes", m->has_payload ? 2 : 1, COSIM_HDR_SIZE, len);
        return;
    }
    s->stats.dma_writes++;
    if (pci_dma_write(PCI_DEVICE(s), m->h.address, cosim_msg_data(m), len)
        != MEMTX_OK) {
        s->stats.dma_errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: DMA write 0x%" PRIx64
                      "+%zu failed (bus mastering off or unassigned "
                      "address): dropped\n", m->h.address, len);
        return;
    }
    s->stats.dma_write_bytes += len;
}

static void cosim_msix(CosimPCIeState *s, const cosim_hdr *h)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!s->msix_ok || h->index >= s->conf.msix_vectors) {
        cosim_bad_frame(s, h, "MSI-X vector out of range", 1, COSIM_HDR_SIZE,
                        h->payload_len);
        return;
    }
    s->stats.msix++;
    msix_notify(pdev, h->index);
}

static void cosim_nic_from_hdl(CosimPCIeState *s, CosimMsg *m)
{
    size_t len = cosim_msg_len(m);

    if (len == 0 || len > COSIM_MAX_NIC_FRAME) {
        cosim_bad_frame(s, &m->h, "NIC_FRAME must carry 1..16384 bytes",
                        m->has_payload ? 2 : 1, COSIM_HDR_SIZE, len);
        return;
    }
    if (!s->nic) {
        s->stats.nic_dropped++;
        qemu_log_mask(LOG_UNIMP, "cosim-pcie: NIC_FRAME of %zu bytes from "
                      "the RTL but the device has no netdev: dropped\n", len);
        return;
    }
    s->stats.nic_tx++;
    qemu_send_packet(qemu_get_queue(s->nic), cosim_msg_data(m), len);
}

static void cosim_serial_from_hdl(CosimPCIeState *s, CosimMsg *m)
{
    size_t len = cosim_msg_len(m);

    if (!len) {
        return;
    }
    s->stats.serial_rx_bytes += len;
    if (qemu_chr_fe_backend_connected(&s->chr)) {
        qemu_chr_fe_write_all(&s->chr, cosim_msg_data(m), len);
    }
}

/* Guest -> RTL frames from the netdev backend. */
static ssize_t cosim_nic_receive(NetClientState *nc, const uint8_t *buf,
                                 size_t size)
{
    CosimPCIeState *s = qemu_get_nic_opaque(nc);
    cosim_hdr h;

    if (size == 0 || size > COSIM_MAX_NIC_FRAME) {
        s->stats.nic_dropped++;
        warn_report_once("cosim-pcie: dropping a %zu-byte frame from netdev "
                         "(the NIC channel carries 1..%u bytes)", size,
                         COSIM_MAX_NIC_FRAME);
        return size;
    }
    cosim_hdr_init(&h, COSIM_NIC_FRAME);
    h.payload_len = size;
    if (cosim_send(s, &h, buf)) {
        s->stats.nic_rx++;
    }
    return size;
}

static int cosim_chr_can_read(void *opaque)
{
    return 4096;
}

static void cosim_chr_read(void *opaque, const uint8_t *buf, int size)
{
    CosimPCIeState *s = opaque;
    cosim_hdr h;

    if (size <= 0) {
        return;
    }
    cosim_hdr_init(&h, COSIM_SERIAL);
    h.payload_len = size;
    if (cosim_send(s, &h, buf)) {
        s->stats.serial_tx_bytes += size;
    }
}

/*
 * Service one inbound message that no MMIO read is waiting for. Runs from
 * the fd handler / bottom half, and inline from the MMIO read wait loop.
 */
static void cosim_dispatch(CosimPCIeState *s, CosimMsg *m)
{
    const cosim_hdr *h = &m->h;
    g_autofree char *text = NULL;

    s->dispatching++;
    switch (h->type) {
    case COSIM_DMA_READ:
        cosim_dma_read(s, h);
        break;
    case COSIM_DMA_WRITE:
        cosim_dma_write(s, m);
        break;
    case COSIM_MSIX:
        cosim_msix(s, h);
        break;
    case COSIM_NIC_FRAME:
        cosim_nic_from_hdl(s, m);
        break;
    case COSIM_SERIAL:
        cosim_serial_from_hdl(s, m);
        break;
    case COSIM_PING:
        cosim_send_simple(s, COSIM_PONG, h->tag);
        break;
    case COSIM_HELLO:
    case COSIM_PONG:
        break;
    case COSIM_ERROR:
        s->stats.errors_received++;
        text = g_strndup((const char *)cosim_msg_data(m), cosim_msg_len(m));
        error_report("cosim-pcie: broker %s reports error %u (tag %u "
                     "address 0x%" PRIx64 " length %u): %s", s->endpoint,
                     h->index, h->tag, h->address, h->length, text);
        break;
    case COSIM_SHUTDOWN:
        if (!s->broker_gone) {
            text = g_strndup((const char *)cosim_msg_data(m),
                             cosim_msg_len(m));
            error_report("cosim-pcie: the broker at %s shut down%s%s; MMIO "
                         "reads of device '%s' now return all-ones",
                         s->endpoint, *text ? ": " : "", text, s->name);
        }
        s->broker_gone = true;
        break;
    case COSIM_MMIO_READ_CPL:
        /* A completion that arrives after its read timed out. */
        cosim_bad_frame(s, h, "MMIO_READ_CPL for no pending read (late, "
                        "after a timeout?)", m->has_payload ? 2 : 1,
                        COSIM_HDR_SIZE, cosim_msg_len(m));
        break;
    default:
        cosim_bad_frame(s, h, "message type not valid towards QEMU",
                        m->has_payload ? 2 : 1, COSIM_HDR_SIZE,
                        cosim_msg_len(m));
        break;
    }
    s->dispatching--;
}

/*
 * Drain the socket: ZMQ_FD is edge-triggered, so read until ZMQ_EVENTS has
 * no POLLIN.
 */
static void cosim_drain(CosimPCIeState *s)
{
    CosimMsg m;
    int rc;

    if (!s->zsock) {
        return;
    }
    do {
        while ((rc = cosim_recv(s, &m)) != 0) {
            if (rc > 0) {
                cosim_dispatch(s, &m);
                cosim_msg_release(&m);
            }
            if (!s->zsock) {
                return;
            }
        }
    } while (cosim_readable(s));
}

static void cosim_fd_read(void *opaque)
{
    cosim_drain(opaque);
}

static void cosim_drain_bh(void *opaque)
{
    cosim_drain(opaque);
}

/* ------------------------------------------------------------------ MMIO */

static uint64_t cosim_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    CosimBar *bar = opaque;
    CosimPCIeState *s = bar->s;
    int64_t deadline;
    uint32_t tag;
    cosim_hdr h;
    CosimMsg m;
    uint64_t val = UINT64_MAX;
    g_autofree char *what = NULL;

    if (s->dispatching) {
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: BAR%u+0x%" HWADDR_PRIx
                      " read while servicing the RTL (DMA into its own "
                      "BAR?): returns all-ones\n", bar->nr, addr);
        return val;
    }
    s->stats.mmio_reads++;
    tag = cosim_alloc_tag(s);
    what = g_strdup_printf("MMIO read BAR%u+0x%" HWADDR_PRIx " len %u tag %u",
                           bar->nr, addr, size, tag);
    if (s->broker_gone || !s->zsock) {
        s->stats.read_errors++;
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: %s: the broker at %s "
                      "is gone: all-ones\n", what, s->endpoint);
        return val;
    }

    cosim_hdr_init(&h, COSIM_MMIO_READ);
    h.tag = tag;
    h.index = bar->nr;
    h.address = addr;
    h.length = size;
    if (!cosim_send(s, &h, NULL)) {
        s->stats.read_errors++;
        return val;
    }

    deadline = cosim_now_ms() + s->timeout_ms;
    for (;;) {
        int rc = cosim_recv_wait(s, &m, deadline);

        if (rc == 0) {
            s->stats.read_timeouts++;
            error_report("cosim-pcie: %s timed out after %u ms (broker %s)",
                         what, s->timeout_ms, s->endpoint);
            break;
        }
        if (rc < 0) {
            s->stats.read_errors++;
            error_report("cosim-pcie: %s: zmq_poll failed: %s", what,
                         zmq_strerror(zmq_errno()));
            break;
        }
        if (m.h.type == COSIM_MMIO_READ_CPL && m.h.tag == tag) {
            size_t len = cosim_msg_len(&m);

            if (m.h.flags & COSIM_F_ERROR) {
                s->stats.read_errors++;
                qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: %s: the device "
                              "answered with an error at cycle %" PRIu64
                              ": all-ones\n", what, m.h.cycle);
            } else if (len != size) {
                cosim_bad_frame(s, &m.h, "MMIO_READ_CPL size differs from "
                                "the read", 2, COSIM_HDR_SIZE, len);
                s->stats.read_errors++;
            } else {
                const uint8_t *p = cosim_msg_data(&m);
                unsigned i;

                val = 0;
                for (i = 0; i < size; i++) {
                    val |= (uint64_t)p[i] << (8 * i);
                }
            }
            cosim_msg_release(&m);
            break;
        }
        if (m.h.type == COSIM_ERROR && m.h.tag == tag) {
            g_autofree char *text =
                g_strndup((const char *)cosim_msg_data(&m), cosim_msg_len(&m));

            s->stats.errors_received++;
            s->stats.read_errors++;
            error_report("cosim-pcie: %s failed: %s (broker %s, error %u)",
                         what, *text ? text : "no text", s->endpoint,
                         m.h.index);
            cosim_msg_release(&m);
            break;
        }
        cosim_dispatch(s, &m);
        cosim_msg_release(&m);
        if (!s->zsock || s->broker_gone) {
            s->stats.read_errors++;
            error_report("cosim-pcie: %s: the broker at %s went away", what,
                         s->endpoint);
            break;
        }
    }
    /* Whatever arrived after the completion is for the main loop. */
    if (s->drain_bh) {
        qemu_bh_schedule(s->drain_bh);
    }
    return val;
}

static void cosim_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    CosimBar *bar = opaque;
    CosimPCIeState *s = bar->s;
    uint8_t data[8];
    cosim_hdr h;

    if (s->dispatching) {
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: BAR%u+0x%" HWADDR_PRIx
                      " written while servicing the RTL (DMA into its own "
                      "BAR?): dropped\n", bar->nr, addr);
        return;
    }
    if (s->broker_gone) {
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: MMIO write BAR%u+0x%"
                      HWADDR_PRIx " len %u: the broker at %s is gone: "
                      "dropped\n", bar->nr, addr, size, s->endpoint);
        return;
    }
    s->stats.mmio_writes++;
    cosim_put64(data, val);
    cosim_hdr_init(&h, COSIM_MMIO_WRITE);
    h.tag = cosim_alloc_tag(s);
    h.index = bar->nr;
    h.address = addr;
    h.length = size;
    h.payload_len = size;
    cosim_send(s, &h, data);
}

static const MemoryRegionOps cosim_mmio_ops = {
    .read = cosim_mmio_read,
    .write = cosim_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

/* --------------------------------------------------------------- realize */

static bool cosim_name_ok(const char *name)
{
    size_t n = strlen(name), i;

    if (n < 1 || n > COSIM_MAX_NAME) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("_.-", name[i])) {
            return false;
        }
    }
    return true;
}

static void cosim_close_socket(CosimPCIeState *s, bool say_goodbye)
{
    if (s->fd_handler_set) {
        qemu_set_fd_handler(s->zfd, NULL, NULL, NULL);
        s->fd_handler_set = false;
    }
    if (s->zsock) {
        int linger = 0;

        if (say_goodbye && !s->broker_gone) {
            int timeout = COSIM_CLOSE_LINGER_MS;

            zmq_setsockopt(s->zsock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
            linger = COSIM_CLOSE_LINGER_MS;
            cosim_send_simple(s, COSIM_SHUTDOWN, 0);
        }
        zmq_setsockopt(s->zsock, ZMQ_LINGER, &linger, sizeof(linger));
        zmq_close(s->zsock);
        s->zsock = NULL;
    }
    if (s->zctx) {
        zmq_ctx_term(s->zctx);
        s->zctx = NULL;
    }
}

/* At process exit devices are not unrealized: still tell the broker. */
static void cosim_exit_notify(Notifier *n, void *data)
{
    CosimPCIeState *s = container_of(n, CosimPCIeState, exit_notifier);

    cosim_close_socket(s, true);
}

/* Wait for the CONF answering INIT `tag`, answering PINGs meanwhile. */
static bool cosim_handshake(CosimPCIeState *s, Error **errp)
{
    int64_t deadline = cosim_now_ms() + s->timeout_ms;
    uint32_t tag;
    cosim_hdr h;
    CosimMsg m;
    bool ok = false;

    cosim_hdr_init(&h, COSIM_HELLO);
    h.index = COSIM_ROLE_QEMU;
    h.payload_len = strlen(s->name);
    if (!cosim_send(s, &h, s->name)) {
        error_setg(errp, "cosim-pcie: cannot send HELLO to %s", s->endpoint);
        return false;
    }
    tag = cosim_alloc_tag(s);
    if (!cosim_send_simple(s, COSIM_INIT, tag)) {
        error_setg(errp, "cosim-pcie: cannot send INIT to %s", s->endpoint);
        return false;
    }

    for (;;) {
        int rc = cosim_recv_wait(s, &m, deadline);

        if (rc == 0) {
            error_setg(errp, "cosim-pcie: no broker answered at %s within "
                       "%u ms (device '%s'; is `cosim broker` running "
                       "with --qemu-endpoint %s?)", s->endpoint,
                       s->timeout_ms, s->name, s->endpoint);
            return false;
        }
        if (rc < 0) {
            error_setg(errp, "cosim-pcie: zmq_poll on %s failed: %s",
                       s->endpoint, zmq_strerror(zmq_errno()));
            return false;
        }
        switch (m.h.type) {
        case COSIM_CONF:
            if (m.h.tag != tag) {
                cosim_bad_frame(s, &m.h, "CONF for another INIT", 2,
                                COSIM_HDR_SIZE, cosim_msg_len(&m));
                break;
            }
            if (cosim_conf_decode(&s->conf, cosim_msg_data(&m),
                                  cosim_msg_len(&m)) != 0) {
                error_setg(errp, "cosim-pcie: CONF from %s has %zu bytes, "
                           "expected %u", s->endpoint, cosim_msg_len(&m),
                           COSIM_CONF_SIZE);
            } else {
                ok = true;
            }
            cosim_msg_release(&m);
            return ok;
        case COSIM_ERROR: {
            g_autofree char *text =
                g_strndup((const char *)cosim_msg_data(&m), cosim_msg_len(&m));

            error_setg(errp, "cosim-pcie: the broker at %s refused device "
                       "'%s' (error %u): %s", s->endpoint, s->name, m.h.index,
                       text);
            cosim_msg_release(&m);
            return false;
        }
        case COSIM_SHUTDOWN:
            error_setg(errp, "cosim-pcie: the broker at %s shut down during "
                       "the handshake", s->endpoint);
            cosim_msg_release(&m);
            return false;
        case COSIM_PING:
            cosim_send_simple(s, COSIM_PONG, m.h.tag);
            break;
        case COSIM_HELLO:
            break;
        default:
            cosim_bad_frame(s, &m.h, "unexpected before CONF",
                            m.has_payload ? 2 : 1, COSIM_HDR_SIZE,
                            cosim_msg_len(&m));
            break;
        }
        cosim_msg_release(&m);
    }
}

/* The broker validates CONF; check again what would make QEMU assert. */
static bool cosim_conf_check(CosimPCIeState *s, Error **errp)
{
    const cosim_conf *c = &s->conf;
    unsigned i;

    if (c->vendor_id == 0xffff || c->device_id == 0xffff) {
        error_setg(errp, "cosim-pcie: CONF from %s: vendor/device id "
                   "%04x:%04x is invalid", s->endpoint, c->vendor_id,
                   c->device_id);
        return false;
    }
    for (i = 0; i < COSIM_NUM_BARS; i++) {
        const cosim_bar_conf *b = &c->bar[i];

        if (!b->size) {
            continue;
        }
        if (b->size < 16 || !is_power_of_2(b->size) ||
            (!(b->flags & COSIM_BAR_64BIT) && b->size > 2 * GiB)) {
            error_setg(errp, "cosim-pcie: CONF from %s: BAR%u size 0x%"
                       PRIx64 " is not a power of two in 16 B .. %s",
                       s->endpoint, i, b->size,
                       b->flags & COSIM_BAR_64BIT ? "2^63" : "2 GiB");
            return false;
        }
        if (b->flags & ~(COSIM_BAR_64BIT | COSIM_BAR_PREFETCH)) {
            error_setg(errp, "cosim-pcie: CONF from %s: BAR%u has unknown "
                       "flags 0x%x", s->endpoint, i, b->flags);
            return false;
        }
        if (b->flags & COSIM_BAR_64BIT) {
            if (i + 1 >= COSIM_NUM_BARS || c->bar[i + 1].size) {
                error_setg(errp, "cosim-pcie: CONF from %s: 64-bit BAR%u "
                           "needs BAR%u absent", s->endpoint, i, i + 1);
                return false;
            }
            i++;
        }
    }
    if (c->msix_vectors) {
        if (c->msix_vectors > PCI_MSIX_FLAGS_QSIZE + 1) {
            error_setg(errp, "cosim-pcie: CONF from %s: %u MSI-X vectors "
                       "(at most %u)", s->endpoint, c->msix_vectors,
                       PCI_MSIX_FLAGS_QSIZE + 1);
            return false;
        }
        if (c->msix_table_bar >= COSIM_NUM_BARS ||
            c->msix_pba_bar >= COSIM_NUM_BARS ||
            !c->bar[c->msix_table_bar].size ||
            !c->bar[c->msix_pba_bar].size ||
            c->msix_table_offset >= c->bar[c->msix_table_bar].size ||
            c->msix_pba_offset >= c->bar[c->msix_pba_bar].size ||
            c->msix_table_offset > UINT32_MAX ||
            c->msix_pba_offset > UINT32_MAX) {
            error_setg(errp, "cosim-pcie: CONF from %s: MSI-X table "
                       "BAR%u+0x%" PRIx64 " / PBA BAR%u+0x%" PRIx64
                       " is not inside a present BAR", s->endpoint,
                       c->msix_table_bar, c->msix_table_offset,
                       c->msix_pba_bar, c->msix_pba_offset);
            return false;
        }
    }
    return true;
}

static void cosim_msix_use_all(CosimPCIeState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned i;

    if (!s->msix_ok) {
        return;
    }
    msix_unuse_all_vectors(pdev);
    for (i = 0; i < s->conf.msix_vectors; i++) {
        msix_vector_use(pdev, i);
    }
}

static void cosim_setup_pci(CosimPCIeState *s, Error **errp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    const cosim_conf *c = &s->conf;
    uint8_t *pci_conf = pdev->config;
    unsigned i;

    pci_config_set_vendor_id(pci_conf, c->vendor_id);
    pci_config_set_device_id(pci_conf, c->device_id);
    pci_config_set_revision(pci_conf, c->revision);
    pci_config_set_class(pci_conf, c->class_code >> 8);
    pci_config_set_prog_interface(pci_conf, c->class_code & 0xff);
    pci_set_word(pci_conf + PCI_SUBSYSTEM_VENDOR_ID, c->subsys_vendor_id);
    pci_set_word(pci_conf + PCI_SUBSYSTEM_ID, c->subsys_id);
    pci_conf[PCI_INTERRUPT_PIN] = 0; /* MSI-X only */

    for (i = 0; i < COSIM_NUM_BARS; i++) {
        CosimBar *bar = &s->bar[i];
        const cosim_bar_conf *b = &c->bar[i];
        g_autofree char *cname = NULL, *iname = NULL;
        uint8_t type = PCI_BASE_ADDRESS_SPACE_MEMORY;

        bar->s = s;
        bar->nr = i;
        if (!b->size) {
            continue;
        }
        cname = g_strdup_printf("cosim-pcie-bar%u", i);
        iname = g_strdup_printf("cosim-pcie-bar%u-io", i);
        memory_region_init(&bar->container, OBJECT(s), cname, b->size);
        memory_region_init_io(&bar->io, OBJECT(s), &cosim_mmio_ops, bar,
                              iname, b->size);
        /*
         * An MMIO read services DMA inline; the RTL may DMA to other
         * devices of this guest while one of our accesses is in flight.
         */
        bar->io.disable_reentrancy_guard = true;
        memory_region_add_subregion_overlap(&bar->container, 0, &bar->io, -1);
        if (b->flags & COSIM_BAR_64BIT) {
            type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
        }
        if (b->flags & COSIM_BAR_PREFETCH) {
            type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
        }
        pci_register_bar(pdev, i, type, &bar->container);
        bar->present = true;
    }

    /*
     * A hybrid device: PCIe endpoint on an express bus (q35's pcie.0 or a
     * root port), conventional PCI elsewhere.
     */
    if (pci_bus_is_express(pci_get_bus(pdev))) {
        int rc = pcie_endpoint_cap_init(pdev, 0);

        if (rc < 0) {
            error_setg(errp, "cosim-pcie: cannot add the PCIe capability "
                       "(%d)", rc);
            return;
        }
    } else {
        pdev->cap_present &= ~QEMU_PCI_CAP_EXPRESS;
    }

    if (c->msix_vectors) {
        if (msix_init(pdev, c->msix_vectors,
                      &s->bar[c->msix_table_bar].container, c->msix_table_bar,
                      c->msix_table_offset,
                      &s->bar[c->msix_pba_bar].container, c->msix_pba_bar,
                      c->msix_pba_offset, 0, errp) < 0) {
            error_prepend(errp, "cosim-pcie: MSI-X (%u vectors, table BAR%u+"
                          "0x%" PRIx64 ", PBA BAR%u+0x%" PRIx64 "): ",
                          c->msix_vectors, c->msix_table_bar,
                          c->msix_table_offset, c->msix_pba_bar,
                          c->msix_pba_offset);
            return;
        }
        s->msix_ok = true;
        cosim_msix_use_all(s);
    }
}

static NetClientInfo cosim_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = cosim_nic_receive,
};

static void cosim_add_stat(CosimPCIeState *s, const char *name, uint64_t *v)
{
    object_property_add_uint64_ptr(OBJECT(s), name, v, OBJ_PROP_FLAG_READ);
    object_property_set_description(OBJECT(s), name,
                                    "read-only counter (qom-get)");
}

static void cosim_teardown(CosimPCIeState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (s->exit_notifier_set) {
        qemu_remove_exit_notifier(&s->exit_notifier);
        s->exit_notifier_set = false;
    }
    cosim_close_socket(s, true);
    if (s->drain_bh) {
        qemu_bh_delete(s->drain_bh);
        s->drain_bh = NULL;
    }
    qemu_chr_fe_deinit(&s->chr, false);
    if (s->nic) {
        qemu_del_nic(s->nic);
        s->nic = NULL;
    }
    if (s->msix_ok) {
        msix_uninit(pdev, &s->bar[s->conf.msix_table_bar].container,
                    &s->bar[s->conf.msix_pba_bar].container);
        s->msix_ok = false;
    }
    g_free(s->dma_buf);
    s->dma_buf = NULL;
}

static void cosim_realize(PCIDevice *pdev, Error **errp)
{
    CosimPCIeState *s = COSIM_PCIE(pdev);
    int one = 1, zero = 0, hwm = COSIM_HWM, sndtimeo;
    size_t len = sizeof(s->zfd);
    ERRP_GUARD();

    if (!s->endpoint || !*s->endpoint) {
        error_setg(errp, "cosim-pcie: property 'endpoint' is required "
                   "(e.g. endpoint=ipc:///tmp/cosim-qemu.sock)");
        return;
    }
    if (!s->name || !cosim_name_ok(s->name)) {
        error_setg(errp, "cosim-pcie: name '%s' must be 1..%u characters of "
                   "[A-Za-z0-9_.-]", s->name ? s->name : "", COSIM_MAX_NAME);
        return;
    }
    if (s->timeout_ms == 0 || s->timeout_ms > INT32_MAX) {
        error_setg(errp, "cosim-pcie: timeout-ms must be 1..%d", INT32_MAX);
        return;
    }
    s->dma_buf = g_malloc(COSIM_CHUNK);

    s->zctx = zmq_ctx_new();
    s->zsock = s->zctx ? zmq_socket(s->zctx, ZMQ_DEALER) : NULL;
    if (!s->zsock) {
        error_setg(errp, "cosim-pcie: cannot create a ZeroMQ socket: %s",
                   zmq_strerror(zmq_errno()));
        goto fail;
    }
    sndtimeo = s->timeout_ms;
    zmq_setsockopt(s->zsock, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(s->zsock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(s->zsock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(s->zsock, ZMQ_SNDTIMEO, &sndtimeo, sizeof(sndtimeo));
    zmq_setsockopt(s->zsock, ZMQ_IPV6, &one, sizeof(one));
    if (zmq_connect(s->zsock, s->endpoint) != 0) {
        error_setg(errp, "cosim-pcie: cannot connect to '%s': %s",
                   s->endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (!cosim_handshake(s, errp) || !cosim_conf_check(s, errp)) {
        goto fail;
    }
    cosim_setup_pci(s, errp);
    if (*errp) {
        goto fail;
    }

    if (s->nic_conf.peers.ncs[0]) {
        qemu_macaddr_default_if_unset(&s->nic_conf.macaddr);
        s->nic = qemu_new_nic(&cosim_net_info, &s->nic_conf,
                              object_get_typename(OBJECT(pdev)),
                              DEVICE(pdev)->id,
                              &DEVICE(pdev)->mem_reentrancy_guard, s);
        qemu_format_nic_info_str(qemu_get_queue(s->nic),
                                 s->nic_conf.macaddr.a);
    }
    if (qemu_chr_fe_backend_connected(&s->chr)) {
        qemu_chr_fe_set_handlers(&s->chr, cosim_chr_can_read, cosim_chr_read,
                                 NULL, NULL, s, NULL, true);
    }

    if (zmq_getsockopt(s->zsock, ZMQ_FD, &s->zfd, &len) != 0) {
        error_setg(errp, "cosim-pcie: ZMQ_FD: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    s->drain_bh = qemu_bh_new_guarded(cosim_drain_bh, s,
                                      &DEVICE(pdev)->mem_reentrancy_guard);
    qemu_set_fd_handler(s->zfd, cosim_fd_read, NULL, s);
    s->fd_handler_set = true;
    /* Messages may have arrived since the handshake, with the edge gone. */
    qemu_bh_schedule(s->drain_bh);

    s->exit_notifier.notify = cosim_exit_notify;
    qemu_add_exit_notifier(&s->exit_notifier);
    s->exit_notifier_set = true;

    return;

fail:
    cosim_teardown(s);
}

static void cosim_exit(PCIDevice *pdev)
{
    cosim_teardown(COSIM_PCIE(pdev));
}

/* Device reset: tell the RTL, and declare the MSI-X vectors used again. */
static void cosim_reset_hold(Object *obj, ResetType type)
{
    CosimPCIeState *s = COSIM_PCIE(obj);

    cosim_msix_use_all(s);
    if (s->zsock && !s->broker_gone) {
        cosim_send_simple(s, COSIM_RESET, cosim_alloc_tag(s));
    }
}

/* ----------------------------------------------------------- class_init */

static const Property cosim_properties[] = {
    DEFINE_PROP_STRING("endpoint", CosimPCIeState, endpoint),
    DEFINE_PROP_STRING("name", CosimPCIeState, name),
    DEFINE_PROP_UINT32("timeout-ms", CosimPCIeState, timeout_ms, 5000),
    DEFINE_NIC_PROPERTIES(CosimPCIeState, nic_conf),
    DEFINE_PROP_CHR("chardev", CosimPCIeState, chr),
};

static const VMStateDescription cosim_vmstate = {
    .name = TYPE_COSIM_PCIE,
    .unmigratable = 1, /* the RTL's state lives in another process */
};

static void cosim_instance_init(Object *obj)
{
    CosimPCIeState *s = COSIM_PCIE(obj);

    /*
     * Hybrid devices manage this bit themselves: set here, so that the
     * config space is sized for PCIe; cleared in realize on a PCI bus.
     */
    PCI_DEVICE(obj)->cap_present |= QEMU_PCI_CAP_EXPRESS;
    s->name = g_strdup("dev0");
    cosim_add_stat(s, "stat-mmio-reads", &s->stats.mmio_reads);
    cosim_add_stat(s, "stat-mmio-writes", &s->stats.mmio_writes);
    cosim_add_stat(s, "stat-read-timeouts", &s->stats.read_timeouts);
    cosim_add_stat(s, "stat-read-errors", &s->stats.read_errors);
    cosim_add_stat(s, "stat-dma-reads", &s->stats.dma_reads);
    cosim_add_stat(s, "stat-dma-read-bytes", &s->stats.dma_read_bytes);
    cosim_add_stat(s, "stat-dma-writes", &s->stats.dma_writes);
    cosim_add_stat(s, "stat-dma-write-bytes", &s->stats.dma_write_bytes);
    cosim_add_stat(s, "stat-dma-errors", &s->stats.dma_errors);
    cosim_add_stat(s, "stat-msix", &s->stats.msix);
    cosim_add_stat(s, "stat-nic-tx", &s->stats.nic_tx);
    cosim_add_stat(s, "stat-nic-rx", &s->stats.nic_rx);
    cosim_add_stat(s, "stat-nic-dropped", &s->stats.nic_dropped);
    cosim_add_stat(s, "stat-serial-tx-bytes", &s->stats.serial_tx_bytes);
    cosim_add_stat(s, "stat-serial-rx-bytes", &s->stats.serial_rx_bytes);
    cosim_add_stat(s, "stat-bad-frames", &s->stats.bad_frames);
    cosim_add_stat(s, "stat-send-errors", &s->stats.send_errors);
    cosim_add_stat(s, "stat-errors-received", &s->stats.errors_received);
}

static void cosim_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = cosim_realize;
    k->exit = cosim_exit;
    /* Placeholders: realize replaces them with the ids from CONF. */
    k->vendor_id = PCI_VENDOR_ID_QEMU;
    k->device_id = 0xc051;
    k->class_id = PCI_CLASS_OTHERS;
    rc->phases.hold = cosim_reset_hold;
    dc->desc = "PCIe device backed by RTL in a simulator (qemu-hdl-bridge)";
    dc->vmsd = &cosim_vmstate;
    device_class_set_props(dc, cosim_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo cosim_types[] = {
    {
        .name = TYPE_COSIM_PCIE,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(CosimPCIeState),
        .instance_init = cosim_instance_init,
        .class_init = cosim_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    },
};

DEFINE_TYPES(cosim_types)
