/*
 * cosim-pcie: a PCIe device whose behaviour comes from RTL in a simulator.
 *
 * QEMU talks to the qemu-hdl-bridge broker over one ZeroMQ DEALER socket; the
 * broker relays to the simulator (a DPI-C shim in front of Verilated RTL). The
 * wire protocol (a 40-byte little-endian header frame plus an optional payload
 * frame) is defined once, in hw/misc/cosim_wire.h, which is a verbatim copy of
 * the project's dpi/include/cosim_wire.h.
 *
 *   -device cosim-pcie,endpoint=ipc:///tmp/q.sock[,name=dev0][,timeout-ms=MS]
 *           [,peer-timeout-ms=MS][,netdev=NET][,chardev=CHR]
 *
 * realize() says HELLO and INIT and waits (up to timeout-ms) for the CONF that
 * gives the PCI identity, the BARs and the MSI-X layout. From then on one I/O
 * thread owns the socket (ZeroMQ sockets are single-threaded):
 *  - every outbound message goes through a queue it drains, in order, so a
 *    read never passes an earlier posted write;
 *  - an MMIO read takes a request slot, queues MMIO_READ and waits on the
 *    slot's condition WITHOUT the BQL, so the main loop (QMP, chardevs,
 *    timers) and the other vCPUs run on, and reads from several vCPUs are in
 *    flight at once. Its deadline holds whatever else arrives meanwhile;
 *  - the I/O thread completes slots without the BQL and takes the BQL per
 *    message (per 64 KiB chunk of a DMA read) to serve DMA, MSI-X, INTx, NIC
 *    and serial, so RTL that needs a DMA before it answers a read cannot
 *    deadlock;
 *  - liveness: any traffic proves the broker alive, a PING goes out when it
 *    is quiet; after peer-timeout-ms of silence (or a SHUTDOWN) the broker is
 *    gone, waiting reads fail at once and new ones return all-ones at once;
 *    HELLO + INIT are repeated until a broker answers with the same CONF.
 * A failed read returns all-ones, as a PCIe completion timeout does, and the
 * error names the transaction.
 *
 * Copyright (c) 2025 The qemu-hdl-bridge authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <poll.h>
#include "qemu/log.h"
#include "qemu/units.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/notify.h"
#include "qemu/event_notifier.h"
#include "qemu/queue.h"
#include "qemu/rcu.h"
#include "qemu/thread.h"
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
#include "system/qtest.h"
#include "hw/core/cpu.h"
/* QEMU 10.1 moved the memory API header. */
#if __has_include("system/memory.h")
#include "system/memory.h"
#else
#include "exec/memory.h"
#endif
#include "qom/object.h"
#include "hw/misc/cosim_wire.h"
#include "hw/misc/cosim_curve.h"
#include "hw/misc/cosim_defaults.h"
#include "trace.h"

#include <zmq.h>

/* QEMU 10.1 made class_init's data argument const. */
#if QEMU_VERSION_MAJOR > 10 || (QEMU_VERSION_MAJOR == 10 && QEMU_VERSION_MINOR >= 1)
#define COSIM_CLASS_DATA const void *
#else
#define COSIM_CLASS_DATA void *
#endif

/* QEMU 10.2 renamed the chardev frontend CharBackend to CharFrontend. */
#if QEMU_VERSION_MAJOR < 10 || (QEMU_VERSION_MAJOR == 10 && QEMU_VERSION_MINOR < 2)
typedef CharBackend CharFrontend;
#endif

#define TYPE_COSIM_PCIE "cosim-pcie"
OBJECT_DECLARE_SIMPLE_TYPE(CosimPCIeState, COSIM_PCIE)

/* Chunk size for DMA read completions and serial bytes. */
#define COSIM_CHUNK COSIM_MAX_PAYLOAD
/* MMIO reads in flight at once: one per vCPU, plus the main loop's. */
#define COSIM_READ_SLOTS 64
/*
 * Outbound messages QEMU queues before it refuses more: beyond this the
 * broker is not keeping up, and posted writes are dropped with a report.
 */
#define COSIM_OUTQ_MAX 4096
/* Below this many queued messages the NIC and chardev take input again. */
#define COSIM_OUTQ_LOW 1024
/* ZeroMQ's own queues, both ways: bounded, so nothing piles up unseen. */
#define COSIM_HWM 1024
/* A connection still down this long after it closed is connected afresh. */
#define COSIM_RECONNECT_MS 1000
/* Linger on close so that SHUTDOWN still reaches the broker. */
#define COSIM_CLOSE_LINGER_MS 200
/* Reports of one kind per window, then only counted. */
#define COSIM_REPORTS_PER_WINDOW 10
#define COSIM_REPORT_WINDOW_MS 10000
/* Bytes from the RTL's UART held while the chardev is not writable. */
#define COSIM_CHR_BUF_MAX (1 * MiB)

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
    uint64_t intx;
    uint64_t nic_tx;
    uint64_t nic_rx;
    uint64_t nic_dropped;
    uint64_t serial_tx_bytes;
    uint64_t serial_rx_bytes;
    uint64_t serial_dropped;
    uint64_t bad_frames;
    uint64_t send_errors;
    uint64_t errors_received;
    uint64_t peer_lost;
    uint64_t reconnects;
} CosimStats;

/* A received message: the decoded header and the payload frame, if any. */
typedef struct CosimMsg {
    cosim_hdr h;
    zmq_msg_t payload;
    bool has_payload;
} CosimMsg;

/* A message waiting for the I/O thread to send it. */
typedef struct CosimOut {
    QSIMPLEQ_ENTRY(CosimOut) next;
    cosim_hdr h;
    uint8_t payload[];
} CosimOut;

/* One MMIO read in flight; tag % COSIM_READ_SLOTS is its index. */
typedef struct CosimSlot {
    QemuCond cond;
    uint32_t tag;           /* 0: free */
    bool done;
    bool failed;
    uint64_t val;
    uint64_t cycle;
    size_t len;             /* bytes the completion carried */
    char why[192];          /* why it failed, for the waiter's report */
} CosimSlot;

/* A rate limit for one kind of report. */
typedef struct CosimRate {
    int64_t window_start;
    unsigned shown;
    uint64_t suppressed;
} CosimRate;

struct CosimPCIeState {
    PCIDevice parent_obj;

    /* properties */
    char *endpoint;
    char *name;
    char *curve_server_key; /* CURVE: the broker's public key file */
    char *curve_key;        /* CURVE: this device's secret key file */
    uint32_t timeout_ms;
    uint32_t peer_timeout_ms;
    NICConf nic_conf;
    CharFrontend chr;

    /* ZeroMQ: the socket belongs to the I/O thread once it runs */
    void *zctx;
    void *zsock;
    void *zmon;             /* connects, disconnects, handshake failures */
    /*
     * I/O thread: the last call on zsock (zmon) was a receive that found
     * nothing, so it took in every queued command and the socket's ZMQ_FD
     * turns readable for the next message: a poll() on the descriptors is
     * the whole wait, without zmq_poll's ZMQ_EVENTS calls before and after
     * (system calls on every MMIO read). Any other call on it clears it.
     */
    bool zquiet, mon_quiet;
    QemuThread io_thread;
    bool io_running;
    bool stopping;          /* atomic: the I/O thread must end */
    EventNotifier wake;     /* outbound queue grew, or stop */
    bool wake_ok;
    Notifier exit_notifier;
    bool exit_notifier_set;

    /* under lock: the outbound queue, the read slots, the link state */
    QemuMutex lock;
    QSIMPLEQ_HEAD(, CosimOut) outq;
    unsigned outq_len;
    CosimSlot slot[COSIM_READ_SLOTS];
    uint32_t tag_seq;
    bool gone;              /* no live broker: reads fail at once */
    char gone_why[128];

    /* I/O thread only */
    int64_t last_rx_ms;
    int64_t last_ping_ms;
    int64_t next_hello_ms;
    uint32_t hello_tag;     /* INIT tag of the re-handshake in progress */
    bool link_down;         /* DISCONNECTED, and no CONNECTED since */
    int64_t link_down_ms;   /* when, or when last connected afresh */

    QemuMutex rate_lock;    /* reports come from every thread */
    CosimRate rate_bad, rate_lost, rate_error, rate_drop;
    uint8_t *dma_buf;       /* COSIM_CHUNK bytes */

    /* from CONF */
    cosim_conf conf;
    CosimBar bar[COSIM_NUM_BARS];
    bool msix_ok;

    /* under the BQL */
    NICState *nic;
    QEMUBH *resume_bh;      /* the queue drained: NIC and chardev input again */
    bool input_blocked;     /* under lock: NIC/chardev input waits for room */
    GByteArray *chr_out;    /* RTL UART bytes the chardev has not taken yet */
    guint chr_watch;
    uint8_t cfg_state;      /* last CFG_STATE sent */
    bool cfg_state_sent;

    CosimStats stats;       /* counters: qatomic_inc from any thread */
};

/* ------------------------------------------------------------- reports */

static int64_t cosim_now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/*
 * true if one more report of this kind may be shown now; after a quiet
 * window the count of those that were not is shown with the next one.
 */
static bool cosim_rate_ok(CosimPCIeState *s, CosimRate *r,
                          uint64_t *suppressed)
{
    int64_t now = cosim_now_ms();
    bool ok = true;

    qemu_mutex_lock(&s->rate_lock);
    if (now - r->window_start >= COSIM_REPORT_WINDOW_MS) {
        r->window_start = now;
        r->shown = 0;
    }
    if (r->shown >= COSIM_REPORTS_PER_WINDOW) {
        r->suppressed++;
        ok = false;
    } else {
        r->shown++;
        *suppressed = r->suppressed;
        r->suppressed = 0;
    }
    qemu_mutex_unlock(&s->rate_lock);
    return ok;
}

/* Any thread; never with s->lock held. */
#define cosim_report(s, rate, fmt, ...) do {                                 \
        uint64_t quiet_;                                                      \
        if (cosim_rate_ok((s), (rate), &quiet_)) {                            \
            error_report("cosim-pcie %s: " fmt "%s", (s)->name,               \
                         ## __VA_ARGS__, quiet_ ? " (and earlier reports "    \
                         "of this kind were suppressed)" : "");               \
        }                                                                     \
    } while (0)

/* A payload as text for a report: never NULL, at most 200 bytes. */
static const char *cosim_text(const CosimMsg *m, char *buf, size_t size)
{
    size_t n = m->has_payload ? MIN(zmq_msg_size((zmq_msg_t *)&m->payload),
                                    size - 1) : 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char c = ((const char *)zmq_msg_data((zmq_msg_t *)&m->payload))[i];
        buf[i] = g_ascii_isprint(c) ? c : '?';
    }
    buf[n] = 0;
    return n ? buf : "no text";
}

/* ------------------------------------------------------------------ wire */

/*
 * Send one message now (realize and the I/O thread only): the header frame,
 * then the payload frame iff h->payload_len > 0. Returns 0, or -1 with
 * errno EAGAIN when ZeroMQ has no room or no connected peer (ZMQ_IMMEDIATE).
 */
static int cosim_send_now(CosimPCIeState *s, const cosim_hdr *h,
                          const void *payload, int flags)
{
    uint8_t buf[COSIM_HDR_SIZE];
    int rc;

    cosim_hdr_encode(buf, h);
    s->zquiet = false;
    rc = zmq_send(s->zsock, buf, sizeof(buf),
                  flags | (h->payload_len ? ZMQ_SNDMORE : 0));
    if (rc >= 0 && h->payload_len) {
        /* The first frame went out: the second always has room. */
        rc = zmq_send(s->zsock, payload, h->payload_len, 0);
    }
    if (rc < 0) {
        int err = zmq_errno();

        if (err != EAGAIN) {
            qatomic_inc(&s->stats.send_errors);
            cosim_report(s, &s->rate_error, "sending %s tag %u to %s failed: "
                         "%s", cosim_type_name(h->type), h->tag, s->endpoint,
                         zmq_strerror(err));
        }
        errno = err;
        return -1;
    }
    return 0;
}

static void cosim_hdr_simple(cosim_hdr *h, uint8_t type, uint32_t tag)
{
    cosim_hdr_init(h, type);
    h->tag = tag;
}

/* A tag for a message no one waits on; never 0 (under lock). */
static uint32_t cosim_next_tag_locked(CosimPCIeState *s)
{
    return ++s->tag_seq ? s->tag_seq : ++s->tag_seq;
}

typedef enum CosimPost {
    COSIM_POSTED,
    COSIM_POST_GONE,        /* no broker would take it */
    COSIM_POST_FULL,        /* the queue is full: input waits for room */
} CosimPost;

/*
 * Queue one message for the I/O thread (any thread), with a fresh tag if
 * asked (taken under the same lock). A refused message is the caller's to
 * report or fail.
 */
static CosimPost cosim_post(CosimPCIeState *s, const cosim_hdr *h,
                            const void *payload, bool fresh_tag)
{
    CosimOut *o = g_malloc(sizeof(*o) + h->payload_len);
    CosimPost r = COSIM_POSTED;

    o->h = *h;
    if (h->payload_len) {
        memcpy(o->payload, payload, h->payload_len);
    }
    qemu_mutex_lock(&s->lock);
    if (s->gone) {
        r = COSIM_POST_GONE;
    } else if (s->outq_len >= COSIM_OUTQ_MAX) {
        r = COSIM_POST_FULL;
        s->input_blocked = true;
    } else {
        if (fresh_tag) {
            o->h.tag = cosim_next_tag_locked(s);
        }
        QSIMPLEQ_INSERT_TAIL(&s->outq, o, next);
        s->outq_len++;
    }
    qemu_mutex_unlock(&s->lock);
    if (r != COSIM_POSTED) {
        g_free(o);
        return r;
    }
    event_notifier_set(&s->wake);
    return r;
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
    qatomic_inc(&s->stats.bad_frames);
    trace_cosim_pcie_bad_frame(s->name, why, h->type, h->tag);
    cosim_report(s, &s->rate_bad, "bad frame from the broker at %s: %s "
                 "(frames=%zu header=%zu bytes magic=0x%08x version=%u "
                 "type=0x%02x(%s) flags=0x%x tag=%u index=%u reserved=%u "
                 "address=0x%" PRIx64 " length=%u payload_len=%u "
                 "payload=%zu bytes cycle=%" PRIu64 ")",
                 s->endpoint, why, frames, hdr_len, h->magic, h->version,
                 h->type, cosim_type_name(h->type), h->flags, h->tag,
                 h->index, h->reserved, h->address, h->length,
                 h->payload_len, payload_len, h->cycle);
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
        s->zquiet = zmq_errno() == EAGAIN;
        zmq_msg_close(&hdr);
        return 0;
    }
    s->zquiet = false;
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
 * Wait until deadline for the next well-formed message (realize only, before
 * the I/O thread runs). Returns 1 with *m filled, 0 at the deadline, -1 if
 * zmq_poll failed.
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

/* ------------------------------------------------------ link and slots */

/* Fail every read in flight (under lock). */
static void cosim_fail_slots_locked(CosimPCIeState *s, const char *why)
{
    unsigned i;

    for (i = 0; i < COSIM_READ_SLOTS; i++) {
        CosimSlot *sl = &s->slot[i];

        if (sl->tag && !sl->done) {
            sl->done = true;
            sl->failed = true;
            g_strlcpy(sl->why, why, sizeof(sl->why));
            qemu_cond_broadcast(&sl->cond);
        }
    }
}

/*
 * The broker is gone (silence, SHUTDOWN, a refused re-handshake): reads in
 * flight fail now, later ones at once; queued messages are dropped, since
 * a new broker would not know what they belong to. I/O thread only.
 */
static void cosim_set_gone(CosimPCIeState *s, const char *why)
{
    CosimOut *o;
    bool was;

    qemu_mutex_lock(&s->lock);
    was = s->gone;
    s->gone = true;
    g_strlcpy(s->gone_why, why, sizeof(s->gone_why));
    qemu_mutex_unlock(&s->lock);
    /* Reported before the waiting reads wake, so their reports follow it. */
    if (!was) {
        qatomic_inc(&s->stats.peer_lost);
        trace_cosim_pcie_peer_lost(s->name, why);
        cosim_report(s, &s->rate_lost, "the broker at %s is gone (%s); MMIO "
                     "reads return all-ones and writes are dropped until it "
                     "is back", s->endpoint, why);
        s->next_hello_ms = cosim_now_ms();
    }
    /* An RTL that is gone, or a new one, must not leave INTA# asserted. */
    bql_lock();
    pci_set_irq(PCI_DEVICE(s), 0);
    bql_unlock();
    qemu_mutex_lock(&s->lock);
    cosim_fail_slots_locked(s, why);
    while ((o = QSIMPLEQ_FIRST(&s->outq))) {
        QSIMPLEQ_REMOVE_HEAD(&s->outq, next);
        g_free(o);
    }
    s->outq_len = 0;
    qemu_mutex_unlock(&s->lock);
    qemu_bh_schedule(s->resume_bh);
}

/* Take a free read slot for a new tag; NULL if all are busy (under lock). */
static CosimSlot *cosim_slot_take_locked(CosimPCIeState *s)
{
    unsigned tries;

    for (tries = 0; tries < COSIM_READ_SLOTS; tries++) {
        uint32_t tag = ++s->tag_seq;
        CosimSlot *sl;

        if (tag == 0) {
            tag = s->tag_seq = COSIM_READ_SLOTS;
        }
        sl = &s->slot[tag % COSIM_READ_SLOTS];
        if (!sl->tag) {
            sl->tag = tag;
            sl->done = sl->failed = false;
            sl->len = 0;
            sl->why[0] = 0;
            return sl;
        }
    }
    return NULL;
}

/* The slot a completion answers, or NULL (under lock). */
static CosimSlot *cosim_slot_find_locked(CosimPCIeState *s, uint32_t tag)
{
    CosimSlot *sl = &s->slot[tag % COSIM_READ_SLOTS];

    return tag && sl->tag == tag && !sl->done ? sl : NULL;
}

static uint32_t cosim_next_tag(CosimPCIeState *s)
{
    uint32_t tag;

    qemu_mutex_lock(&s->lock);
    tag = cosim_next_tag_locked(s);
    qemu_mutex_unlock(&s->lock);
    return tag;
}

static void cosim_flush_out(CosimPCIeState *s);

/*
 * Send everything queued, waiting for room at most until deadline or a
 * stop. I/O thread only. false: something is still queued.
 */
static bool cosim_drain_out(CosimPCIeState *s, int64_t deadline)
{
    for (;;) {
        zmq_pollitem_t item = { .socket = s->zsock, .events = ZMQ_POLLOUT };
        bool queued;

        cosim_flush_out(s);
        qemu_mutex_lock(&s->lock);
        queued = s->outq_len > 0;
        qemu_mutex_unlock(&s->lock);
        if (!queued) {
            return true;
        }
        if (cosim_now_ms() >= deadline) {
            return false;
        }
        zmq_poll(&item, 1, 10);
    }
}

/*
 * Send now, after everything queued (a completion never passes a posted
 * write), waiting for room at most until deadline or a stop. I/O thread
 * only. false: not sent.
 */
static bool cosim_send_ordered(CosimPCIeState *s, const cosim_hdr *h,
                               const void *payload, int64_t deadline)
{
    for (;;) {
        zmq_pollitem_t item = { .socket = s->zsock, .events = ZMQ_POLLOUT };

        if (cosim_drain_out(s, deadline) &&
            cosim_send_now(s, h, payload, ZMQ_DONTWAIT) == 0) {
            return true;
        }
        if (qatomic_read(&s->stopping) || cosim_now_ms() >= deadline) {
            return false;
        }
        zmq_poll(&item, 1, 10);
    }
}

/* ---------------------------------------------- from the RTL (BQL held) */

/*
 * DMA_READ from the RTL: read guest memory, answer in <= 64 KiB chunks. The
 * BQL is taken per chunk, so a 16 MiB read never holds it for long.
 * I/O thread, without the BQL.
 */
static void cosim_dma_read(CosimPCIeState *s, const cosim_hdr *req)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint64_t addr = req->address;
    uint32_t left = req->length;
    int64_t deadline = cosim_now_ms() + s->timeout_ms;
    cosim_hdr h;

    qatomic_inc(&s->stats.dma_reads);
    trace_cosim_pcie_dma_read(s->name, req->tag, req->address, req->length);
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
        MemTxResult r;

        bql_lock();
        r = pci_dma_read(pdev, addr, s->dma_buf, n);
        bql_unlock();
        if (r != MEMTX_OK) {
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
        if (!cosim_send_ordered(s, &h, s->dma_buf, deadline)) {
            cosim_set_gone(s, "it takes no DMA read completion");
            return;
        }
        qatomic_add(&s->stats.dma_read_bytes, n);
    }
    return;

fail:
    qatomic_inc(&s->stats.dma_errors);
    cosim_hdr_init(&h, COSIM_DMA_READ_CPL);
    h.tag = req->tag;
    h.address = addr;
    h.flags = COSIM_F_LAST | COSIM_F_ERROR;
    cosim_send_ordered(s, &h, NULL, deadline);
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
    qatomic_inc(&s->stats.dma_writes);
    trace_cosim_pcie_dma_write(s->name, m->h.address, len);
    if (pci_dma_write(PCI_DEVICE(s), m->h.address, cosim_msg_data(m), len)
        != MEMTX_OK) {
        qatomic_inc(&s->stats.dma_errors);
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: DMA write 0x%" PRIx64
                      "+%zu failed (bus mastering off or unassigned "
                      "address): dropped\n", m->h.address, len);
        return;
    }
    qatomic_add(&s->stats.dma_write_bytes, len);
}

static void cosim_msix(CosimPCIeState *s, const cosim_hdr *h)
{
    if (!s->msix_ok || h->index >= s->conf.msix_vectors) {
        cosim_bad_frame(s, h, "MSI-X vector out of range", 1, COSIM_HDR_SIZE,
                        h->payload_len);
        return;
    }
    qatomic_inc(&s->stats.msix);
    trace_cosim_pcie_msix(s->name, h->index);
    msix_notify(PCI_DEVICE(s), h->index);
}

/* INTX from the RTL: the level of INTA#. */
static void cosim_intx(CosimPCIeState *s, const cosim_hdr *h)
{
    if (h->index > 1) {
        cosim_bad_frame(s, h, "INTX level must be 0 or 1", 1, COSIM_HDR_SIZE,
                        h->payload_len);
        return;
    }
    qatomic_inc(&s->stats.intx);
    trace_cosim_pcie_intx(s->name, h->index);
    pci_set_irq(PCI_DEVICE(s), h->index);
}

static void cosim_nic_from_hdl(CosimPCIeState *s, CosimMsg *m)
{
    size_t len = cosim_msg_len(m);

    if (len == 0 || len > COSIM_MAX_NIC_FRAME) {
        cosim_bad_frame(s, &m->h, "NIC_FRAME must carry 1..16384 bytes",
                        m->has_payload ? 2 : 1, COSIM_HDR_SIZE, len);
        return;
    }
    trace_cosim_pcie_nic_tx(s->name, len);
    if (!s->nic) {
        qatomic_inc(&s->stats.nic_dropped);
        qemu_log_mask(LOG_UNIMP, "cosim-pcie: NIC_FRAME of %zu bytes from "
                      "the RTL but the device has no netdev: dropped\n", len);
        return;
    }
    qatomic_inc(&s->stats.nic_tx);
    qemu_send_packet(qemu_get_queue(s->nic), cosim_msg_data(m), len);
}

/* ------------------------------------------------- serial to the chardev */

static gboolean cosim_chr_writable(void *do_not_use, GIOCondition cond,
                                   void *opaque);

/* The chardev will take nothing (closed, or an error): drop what waits. */
static void cosim_chr_drop(CosimPCIeState *s)
{
    qatomic_add(&s->stats.serial_dropped, s->chr_out->len);
    g_byte_array_set_size(s->chr_out, 0);
}

/* Hand the chardev what it takes now; wait for it to be writable (BQL). */
static void cosim_chr_flush(CosimPCIeState *s)
{
    while (s->chr_out->len) {
        int n = qemu_chr_fe_write(&s->chr, s->chr_out->data,
                                  s->chr_out->len);

        if (n < 0 && errno != EAGAIN) {
            cosim_chr_drop(s);
            return;
        }
        if (n <= 0) {
            break;
        }
        g_byte_array_remove_range(s->chr_out, 0, n);
    }
    if (s->chr_out->len && !s->chr_watch) {
        s->chr_watch = qemu_chr_fe_add_watch(&s->chr, G_IO_OUT | G_IO_HUP,
                                             cosim_chr_writable, s);
        if (!s->chr_watch) {
            cosim_chr_drop(s);
        }
    }
}

static gboolean cosim_chr_writable(void *do_not_use, GIOCondition cond,
                                   void *opaque)
{
    CosimPCIeState *s = opaque;

    s->chr_watch = 0;
    if (cond & (G_IO_HUP | G_IO_ERR)) {
        cosim_chr_drop(s);
    } else {
        cosim_chr_flush(s);
    }
    return G_SOURCE_REMOVE;
}

static void cosim_serial_from_hdl(CosimPCIeState *s, CosimMsg *m)
{
    size_t len = cosim_msg_len(m);

    if (!len) {
        return;
    }
    qatomic_add(&s->stats.serial_rx_bytes, len);
    trace_cosim_pcie_serial_tx(s->name, len);
    if (!qemu_chr_fe_backend_connected(&s->chr)) {
        return;
    }
    if (s->chr_out->len + len > COSIM_CHR_BUF_MAX) {
        qatomic_add(&s->stats.serial_dropped, len);
        cosim_report(s, &s->rate_drop, "the chardev takes no more bytes: "
                     "%zu bytes of the RTL's UART dropped", len);
        return;
    }
    g_byte_array_append(s->chr_out, cosim_msg_data(m), len);
    cosim_chr_flush(s);
}

/* ------------------------------------------------ to the RTL (any thread) */

/* Guest -> RTL frames from the netdev backend: refused while the queue is full. */
/* Input from the NIC or chardev waits while the queue is full (not while gone). */
static bool cosim_input_full(CosimPCIeState *s)
{
    bool full;

    qemu_mutex_lock(&s->lock);
    full = !s->gone && s->outq_len >= COSIM_OUTQ_LOW;
    if (full) {
        s->input_blocked = true;
    }
    qemu_mutex_unlock(&s->lock);
    return full;
}

static bool cosim_nic_can_receive(NetClientState *nc)
{
    return !cosim_input_full(qemu_get_nic_opaque(nc));
}

static ssize_t cosim_nic_receive(NetClientState *nc, const uint8_t *buf,
                                 size_t size)
{
    CosimPCIeState *s = qemu_get_nic_opaque(nc);
    cosim_hdr h;

    if (size == 0 || size > COSIM_MAX_NIC_FRAME) {
        qatomic_inc(&s->stats.nic_dropped);
        warn_report_once("cosim-pcie: dropping a %zu-byte frame from netdev "
                         "(the NIC channel carries 1..%u bytes)", size,
                         COSIM_MAX_NIC_FRAME);
        return size;
    }
    cosim_hdr_init(&h, COSIM_NIC_FRAME);
    h.payload_len = size;
    switch (cosim_post(s, &h, buf, false)) {
    case COSIM_POST_FULL:
        /* Keep it: qemu_flush_queued_packets resends it later. */
        return 0;
    case COSIM_POST_GONE:
        /* No broker: a frame on a link that is down is lost. */
        qatomic_inc(&s->stats.nic_dropped);
        return size;
    case COSIM_POSTED:
        break;
    }
    qatomic_inc(&s->stats.nic_rx);
    trace_cosim_pcie_nic_rx(s->name, size);
    return size;
}

static int cosim_chr_can_read(void *opaque)
{
    return cosim_input_full(opaque) ? 0 : 4096;
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
    if (cosim_post(s, &h, buf, false) == COSIM_POSTED) {
        qatomic_add(&s->stats.serial_tx_bytes, size);
        trace_cosim_pcie_serial_rx(s->name, size);
    } else {
        qatomic_add(&s->stats.serial_dropped, size);
    }
}

/* The queue drained: let the NIC and chardev hand over what they held (BQL). */
static void cosim_resume_bh(void *opaque)
{
    CosimPCIeState *s = opaque;
    bool blocked;

    qemu_mutex_lock(&s->lock);
    blocked = s->input_blocked;
    s->input_blocked = false;
    qemu_mutex_unlock(&s->lock);
    if (!blocked) {
        return;
    }
    if (s->nic) {
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
    if (qemu_chr_fe_backend_connected(&s->chr)) {
        qemu_chr_fe_accept_input(&s->chr);
    }
}

/* The PCI config bits the RTL may care about, as CFG_STATE sends them. */
static uint8_t cosim_cfg_bits(CosimPCIeState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint16_t cmd = pci_get_word(pdev->config + PCI_COMMAND);
    uint8_t bits = 0;

    if (s->msix_ok && msix_enabled(pdev)) {
        bits |= COSIM_CFG_MSIX_ENABLE;
    }
    /* Not msix_function_masked: QEMU sets that while MSI-X is off, too. */
    if (s->msix_ok &&
        (pci_get_word(pdev->config + pdev->msix_cap + PCI_MSIX_FLAGS) &
         PCI_MSIX_FLAGS_MASKALL)) {
        bits |= COSIM_CFG_MSIX_MASKED;
    }
    if (cmd & PCI_COMMAND_MASTER) {
        bits |= COSIM_CFG_BUS_MASTER;
    }
    if (cmd & PCI_COMMAND_INTX_DISABLE) {
        bits |= COSIM_CFG_INTX_DISABLE;
    }
    return bits;
}

/* Tell the RTL the config state if it changed (or always, with force). */
static void cosim_send_cfg_state(CosimPCIeState *s, bool force)
{
    uint8_t bits = cosim_cfg_bits(s);
    cosim_hdr h;

    if (!force && s->cfg_state_sent && bits == s->cfg_state) {
        return;
    }
    cosim_hdr_init(&h, COSIM_CFG_STATE);
    h.index = bits;
    if (cosim_post(s, &h, NULL, true) == COSIM_POSTED) {
        s->cfg_state = bits;
        s->cfg_state_sent = true;
        trace_cosim_pcie_cfg_state(s->name, bits);
    }
}

static void cosim_config_write(PCIDevice *pdev, uint32_t addr, uint32_t val,
                               int len)
{
    CosimPCIeState *s = COSIM_PCIE(pdev);

    pci_default_write_config(pdev, addr, val, len);
    if (s->msix_ok) {
        msix_write_config(pdev, addr, val, len);
    }
    cosim_send_cfg_state(s, false);
}

/* ------------------------------------------------------------ I/O thread */

/*
 * A CONF after the broker came back: the same device, or refused with the
 * first field that differs (the BARs stay as they are).
 */
static void cosim_rehandshake_conf(CosimPCIeState *s, CosimMsg *m)
{
    cosim_conf c;
    const char *field = NULL;
    char what[64];
    unsigned i;

    qemu_mutex_lock(&s->lock);
    if (!s->gone || !s->hello_tag || m->h.tag != s->hello_tag) {
        qemu_mutex_unlock(&s->lock);
        cosim_bad_frame(s, &m->h, "CONF for no INIT in progress", 2,
                        COSIM_HDR_SIZE, cosim_msg_len(m));
        return;
    }
    qemu_mutex_unlock(&s->lock);
    if (cosim_conf_decode(&c, cosim_msg_data(m), cosim_msg_len(m)) != 0) {
        cosim_bad_frame(s, &m->h, "CONF of the wrong size", 2,
                        COSIM_HDR_SIZE, cosim_msg_len(m));
        return;
    }
#define COSIM_SAME(f) do { if (!field && c.f != s->conf.f) field = #f; } while (0)
    COSIM_SAME(vendor_id);
    COSIM_SAME(device_id);
    COSIM_SAME(subsys_vendor_id);
    COSIM_SAME(subsys_id);
    COSIM_SAME(class_code);
    COSIM_SAME(revision);
    COSIM_SAME(msix_vectors);
    COSIM_SAME(msix_table_bar);
    COSIM_SAME(msix_table_offset);
    COSIM_SAME(msix_pba_bar);
    COSIM_SAME(msix_pba_offset);
#undef COSIM_SAME
    for (i = 0; !field && i < COSIM_NUM_BARS; i++) {
        if (c.bar[i].size != s->conf.bar[i].size ||
            c.bar[i].flags != s->conf.bar[i].flags) {
            snprintf(what, sizeof(what), "bar[%u] (size 0x%" PRIx64
                     " flags 0x%x, was 0x%" PRIx64 " flags 0x%x)", i,
                     c.bar[i].size, c.bar[i].flags, s->conf.bar[i].size,
                     s->conf.bar[i].flags);
            field = what;
        }
    }
    if (field) {
        cosim_report(s, &s->rate_lost, "the broker at %s is back, but its "
                     "CONF differs in %s; refused: the device keeps its "
                     "BARs and stays offline", s->endpoint, field);
        return;
    }
    qemu_mutex_lock(&s->lock);
    s->gone = false;
    qemu_mutex_unlock(&s->lock);
    qatomic_inc(&s->stats.reconnects);
    trace_cosim_pcie_reconnected(s->name);
    info_report("cosim-pcie %s: the broker at %s is back with the same "
                "CONF; the device is online again", s->name, s->endpoint);
    bql_lock();
    cosim_send_cfg_state(s, true);
    bql_unlock();
    qemu_mutex_lock(&s->lock);
    s->input_blocked = true;
    qemu_mutex_unlock(&s->lock);
    qemu_bh_schedule(s->resume_bh);
}

/* Complete the read a completion or ERROR answers; false if none waits. */
static bool cosim_complete_read(CosimPCIeState *s, CosimMsg *m)
{
    CosimSlot *sl;
    char text[200];

    qemu_mutex_lock(&s->lock);
    sl = cosim_slot_find_locked(s, m->h.tag);
    if (!sl) {
        qemu_mutex_unlock(&s->lock);
        return false;
    }
    sl->cycle = m->h.cycle;
    if (m->h.type == COSIM_ERROR) {
        qatomic_inc(&s->stats.errors_received);
        sl->failed = true;
        snprintf(sl->why, sizeof(sl->why), "the broker answered error %u: "
                 "%s", m->h.index, cosim_text(m, text, sizeof(text)));
    } else if (m->h.flags & COSIM_F_ERROR) {
        sl->failed = true;
        snprintf(sl->why, sizeof(sl->why), "the device answered with an "
                 "error at cycle %" PRIu64, m->h.cycle);
    } else {
        const uint8_t *p = cosim_msg_data(m);
        size_t i, len = cosim_msg_len(m);

        sl->val = 0;
        sl->len = len;
        for (i = 0; i < len && i < 8; i++) {
            sl->val |= (uint64_t)p[i] << (8 * i);
        }
    }
    sl->done = true;
    qemu_cond_broadcast(&sl->cond);
    qemu_mutex_unlock(&s->lock);
    return true;
}

static void cosim_io_handle(CosimPCIeState *s, CosimMsg *m)
{
    const cosim_hdr *h = &m->h;
    char text[200];
    cosim_hdr r;

    s->last_rx_ms = cosim_now_ms();
    switch (h->type) {
    case COSIM_PING:
        cosim_hdr_simple(&r, COSIM_PONG, h->tag);
        cosim_send_now(s, &r, NULL, ZMQ_DONTWAIT);
        return;
    case COSIM_PONG:
    case COSIM_HELLO:
        return;
    case COSIM_CONF:
        cosim_rehandshake_conf(s, m);
        return;
    case COSIM_MMIO_READ_CPL:
        if (!cosim_complete_read(s, m)) {
            cosim_bad_frame(s, h, "MMIO_READ_CPL for no pending read (late, "
                            "after a timeout?)", m->has_payload ? 2 : 1,
                            COSIM_HDR_SIZE, cosim_msg_len(m));
        }
        return;
    case COSIM_ERROR:
        if (cosim_complete_read(s, m)) {
            return;
        }
        qatomic_inc(&s->stats.errors_received);
        cosim_report(s, &s->rate_error, "the broker at %s reports error %u "
                     "(tag %u address 0x%" PRIx64 " length %u): %s",
                     s->endpoint, h->index, h->tag, h->address, h->length,
                     cosim_text(m, text, sizeof(text)));
        return;
    case COSIM_SHUTDOWN: {
        char why[220];

        snprintf(why, sizeof(why), "it shut down: %s",
                 cosim_text(m, text, sizeof(text)));
        cosim_set_gone(s, why);
        return;
    }
    case COSIM_DMA_READ:
        cosim_dma_read(s, h);
        return;
    }

    bql_lock();
    switch (h->type) {
    case COSIM_DMA_WRITE:
        cosim_dma_write(s, m);
        break;
    case COSIM_MSIX:
        cosim_msix(s, h);
        break;
    case COSIM_INTX:
        cosim_intx(s, h);
        break;
    case COSIM_NIC_FRAME:
        cosim_nic_from_hdl(s, m);
        break;
    case COSIM_SERIAL:
        cosim_serial_from_hdl(s, m);
        break;
    default:
        cosim_bad_frame(s, h, "message type not valid towards QEMU",
                        m->has_payload ? 2 : 1, COSIM_HDR_SIZE,
                        cosim_msg_len(m));
        break;
    }
    bql_unlock();
}

/* Send what is queued, in order, until ZeroMQ has no room. */
static void cosim_flush_out(CosimPCIeState *s)
{
    bool resume = false;

    for (;;) {
        CosimOut *o;

        qemu_mutex_lock(&s->lock);
        o = QSIMPLEQ_FIRST(&s->outq);
        if (o) {
            QSIMPLEQ_REMOVE_HEAD(&s->outq, next);
            s->outq_len--;
        }
        resume = s->outq_len < COSIM_OUTQ_LOW && s->input_blocked;
        qemu_mutex_unlock(&s->lock);
        if (!o) {
            break;
        }
        if (cosim_send_now(s, &o->h, o->payload, ZMQ_DONTWAIT) < 0 &&
            errno == EAGAIN) {
            /* No room (or no peer): put it back, poll for POLLOUT. */
            qemu_mutex_lock(&s->lock);
            QSIMPLEQ_INSERT_HEAD(&s->outq, o, next);
            s->outq_len++;
            qemu_mutex_unlock(&s->lock);
            break;
        }
        g_free(o);
    }
    if (resume) {
        qemu_bh_schedule(s->resume_bh);
    }
}

static bool cosim_readable(CosimPCIeState *s)
{
    uint32_t events = 0;
    size_t len = sizeof(events);

    s->zquiet = false;
    return zmq_getsockopt(s->zsock, ZMQ_EVENTS, &events, &len) == 0 &&
           (events & ZMQ_POLLIN);
}

/* PING when quiet, declare the broker gone when silent, say HELLO when gone. */
static int cosim_liveness(CosimPCIeState *s)
{
    int64_t now = cosim_now_ms();
    int64_t quiet = now - s->last_rx_ms;
    int64_t ping_every = MAX(s->peer_timeout_ms / 4, 10);
    bool gone;
    cosim_hdr h;

    qemu_mutex_lock(&s->lock);
    gone = s->gone;
    qemu_mutex_unlock(&s->lock);
    if (!gone) {
        /* Silence only counts if nothing waits unread (this thread may have been busy). */
        if (quiet >= s->peer_timeout_ms && cosim_readable(s)) {
            return 0;
        }
        if (quiet >= s->peer_timeout_ms) {
            char why[64];

            snprintf(why, sizeof(why), "silent for %" PRId64 " ms", quiet);
            cosim_set_gone(s, why);
            return 10;
        }
        if (quiet >= ping_every && now - s->last_ping_ms >= ping_every) {
            cosim_hdr_simple(&h, COSIM_PING, cosim_next_tag(s));
            cosim_send_now(s, &h, NULL, ZMQ_DONTWAIT);
            s->last_ping_ms = now;
        }
        return MIN(ping_every, s->peer_timeout_ms - quiet);
    }
    /*
     * ZeroMQ reconnects by itself after a connection error, but never after
     * a protocol error, such as a frame over ZMQ_MAXMSGSIZE: that connection
     * is dropped for good and the device would stay offline (found by
     * test/fuzz/qemu-fuzz.ts). Still down a while after it closed: connect
     * afresh. Only then, so a connection that came back is never cut.
     */
    if (s->link_down && now - s->link_down_ms >= COSIM_RECONNECT_MS) {
        s->zquiet = false;
        zmq_disconnect(s->zsock, s->endpoint);
        if (zmq_connect(s->zsock, s->endpoint) != 0) {
            cosim_report(s, &s->rate_lost, "cannot connect to %s again: %s",
                         s->endpoint, zmq_strerror(zmq_errno()));
        }
        s->link_down_ms = now;
    }
    if (now >= s->next_hello_ms) {
        cosim_hdr_init(&h, COSIM_HELLO);
        h.index = COSIM_ROLE_QEMU;
        h.payload_len = strlen(s->name);
        if (cosim_send_now(s, &h, s->name, ZMQ_DONTWAIT) == 0) {
            s->hello_tag = cosim_next_tag(s);
            cosim_hdr_simple(&h, COSIM_INIT, s->hello_tag);
            cosim_send_now(s, &h, NULL, ZMQ_DONTWAIT);
        }
        s->next_hello_ms = now + MAX(s->peer_timeout_ms / 2, 100);
    }
    return MAX(MIN(s->next_hello_ms - now,
                   s->link_down ? COSIM_RECONNECT_MS : INT32_MAX), 10);
}

/*
 * The connection closed (the broker process died, or restarted): gone now,
 * rather than after peer-timeout-ms, and a new broker at the same endpoint
 * is greeted as soon as the socket reconnects.
 */
static void cosim_monitor_events(CosimPCIeState *s)
{
    uint16_t event;
    uint32_t value;

    while (cosim_monitor_next(s->zmon, &event, &value) == 0) {
        const char *failed = cosim_curve_failure(event, value);

        if (event == ZMQ_EVENT_DISCONNECTED) {
            cosim_set_gone(s, "the connection closed");
            s->link_down = true;
            s->link_down_ms = cosim_now_ms();
        } else if (event == ZMQ_EVENT_CONNECTED) {
            s->link_down = false;
            s->next_hello_ms = cosim_now_ms();
        } else if (failed) {
            /* Already gone (a broker that restarted): say why it stays so. */
            bool was = qatomic_read(&s->gone);

            cosim_set_gone(s, failed);
            if (was) {
                cosim_report(s, &s->rate_lost, "the broker at %s: %s",
                             s->endpoint, failed);
            }
        }
    }
    s->mon_quiet = zmq_errno() == EAGAIN;
}

/* A socket's ZMQ_FD, or -1 (logged): the I/O thread then waits in zmq_poll. */
static int cosim_zmq_fd(CosimPCIeState *s, void *sock)
{
    int fd = -1;
    size_t len = sizeof(fd);

    if (zmq_getsockopt(sock, ZMQ_FD, &fd, &len) != 0) {
        cosim_report(s, &s->rate_error, "no ZMQ_FD for a socket of %s: %s",
                     s->endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return fd;
}

/*
 * The I/O thread's wait, up to timeout ms, for a message, a wake-up or a
 * monitor event; says which came. With everything drained (quiet), a
 * poll() on the descriptors; else, or with output waiting for room, zmq_poll,
 * which takes commands in, so the sockets are drained again after it.
 */
static void cosim_io_wait(CosimPCIeState *s, int zfd, int monfd, int timeout,
                          bool *zsig, bool *wakesig, bool *monsig)
{
    bool out_waiting;
    int rc;

    qemu_mutex_lock(&s->lock);
    out_waiting = s->outq_len > 0;
    qemu_mutex_unlock(&s->lock);
    if (!out_waiting && zfd >= 0 && monfd >= 0 && s->zquiet && s->mon_quiet) {
        struct pollfd fds[3] = {
            { .fd = zfd, .events = POLLIN },
            { .fd = event_notifier_get_fd(&s->wake), .events = POLLIN },
            { .fd = monfd, .events = POLLIN },
        };

        rc = poll(fds, 3, timeout);
        *zsig = rc > 0 && fds[0].revents;
        *wakesig = rc > 0 && fds[1].revents;
        *monsig = rc > 0 && fds[2].revents;
    } else {
        zmq_pollitem_t items[3] = {
            { .socket = s->zsock, .events = ZMQ_POLLIN },
            { .fd = event_notifier_get_fd(&s->wake), .events = ZMQ_POLLIN },
            { .socket = s->zmon, .events = ZMQ_POLLIN },
        };

        if (out_waiting) {
            items[0].events |= ZMQ_POLLOUT;
        }
        rc = zmq_poll(items, 3, timeout);
        *zsig = *monsig = true;
        *wakesig = rc > 0 && items[1].revents;
    }
    if (rc < 0 && errno != EINTR) {
        cosim_report(s, &s->rate_error, "waiting on %s failed: %s",
                     s->endpoint, strerror(errno));
        g_usleep(10000);
    }
}

static void *cosim_io_thread(void *opaque)
{
    CosimPCIeState *s = opaque;
    int zfd, monfd;
    /* What the last wait saw; nothing is drained yet at the start. */
    bool zsig = true, wakesig = false, monsig = true;

    rcu_register_thread();
    zfd = cosim_zmq_fd(s, s->zsock);
    monfd = cosim_zmq_fd(s, s->zmon);
    s->last_rx_ms = s->last_ping_ms = cosim_now_ms();
    s->zquiet = s->mon_quiet = false;
    while (!qatomic_read(&s->stopping)) {
        CosimMsg m;
        int timeout, rc;

        if (wakesig) {
            event_notifier_test_and_clear(&s->wake);
        }
        /* Before liveness: a reconnection is greeted at once. */
        if (monsig || !s->mon_quiet) {
            cosim_monitor_events(s);
        }
        timeout = cosim_liveness(s);
        cosim_flush_out(s);
        if (zsig || !s->zquiet) {
            /* A bounded batch, so that sending and liveness keep their turn. */
            for (rc = 0; rc < 256 && !qatomic_read(&s->stopping); rc++) {
                int got = cosim_recv(s, &m);

                if (got == 0) {
                    break;
                }
                if (got > 0) {
                    cosim_io_handle(s, &m);
                    cosim_msg_release(&m);
                }
            }
        }
        /* A stop whose wake-up this iteration already cleared: do not wait. */
        if (qatomic_read(&s->stopping)) {
            break;
        }
        /* Still something to take in (a full batch): do not wait. */
        cosim_io_wait(s, zfd, monfd, s->zquiet && s->mon_quiet ? timeout : 0,
                      &zsig, &wakesig, &monsig);
    }
    /* Posted writes the guest made before the end still go out. */
    cosim_drain_out(s, cosim_now_ms() + COSIM_CLOSE_LINGER_MS);
    rcu_unregister_thread();
    return NULL;
}

/* ------------------------------------------------------------------ MMIO */

static uint64_t cosim_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    CosimBar *bar = opaque;
    CosimPCIeState *s = bar->s;
    int64_t deadline;
    CosimSlot *sl;
    cosim_hdr h;
    uint64_t val = UINT64_MAX;
    bool failed, timed_out = false, locked;
    char why[sizeof(sl->why)];
    uint32_t tag;
    uint64_t cycle;

    qatomic_inc(&s->stats.mmio_reads);
    if (qemu_thread_is_self(&s->io_thread)) {
        qemu_log_mask(LOG_GUEST_ERROR, "cosim-pcie: BAR%u+0x%" HWADDR_PRIx
                      " read by the device's own DMA: returns all-ones\n",
                      bar->nr, addr);
        return val;
    }
    qemu_mutex_lock(&s->lock);
    if (s->gone) {
        g_strlcpy(why, s->gone_why, sizeof(why));
        qemu_mutex_unlock(&s->lock);
        qatomic_inc(&s->stats.read_errors);
        cosim_report(s, &s->rate_error, "MMIO read BAR%u+0x%" HWADDR_PRIx
                     " len %u: the broker at %s is gone (%s): all-ones",
                     bar->nr, addr, size, s->endpoint, why);
        return val;
    }
    sl = cosim_slot_take_locked(s);
    qemu_mutex_unlock(&s->lock);
    if (!sl) {
        qatomic_inc(&s->stats.read_errors);
        cosim_report(s, &s->rate_error, "MMIO read BAR%u+0x%" HWADDR_PRIx
                     ": %u reads already in flight: all-ones", bar->nr, addr,
                     COSIM_READ_SLOTS);
        return val;
    }
    tag = sl->tag;
    trace_cosim_pcie_mmio_read(s->name, bar->nr, addr, size, tag);

    cosim_hdr_simple(&h, COSIM_MMIO_READ, tag);
    h.index = bar->nr;
    h.address = addr;
    h.length = size;
    deadline = cosim_now_ms() + s->timeout_ms;
    if (cosim_post(s, &h, NULL, false) != COSIM_POSTED) {
        qemu_mutex_lock(&s->lock);
        sl->done = sl->failed = true;
        g_strlcpy(sl->why, "the outbound queue is full", sizeof(sl->why));
        qemu_mutex_unlock(&s->lock);
    }

    /*
     * Wait without the BQL: the I/O thread needs it to serve DMA while the
     * RTL works on this read, and the main loop and other vCPUs run on.
     * Only where this access owns the BQL: a vCPU's access, or the qtest
     * accelerator's. Another device's DMA or a monitor read keeps it
     * (bounded by timeout-ms), so no one else's critical section is cut.
     */
    locked = bql_locked() && (current_cpu || qtest_enabled());
    if (locked) {
        bql_unlock();
    }
    qemu_mutex_lock(&s->lock);
    while (!sl->done) {
        int64_t left = deadline - cosim_now_ms();

        if (left <= 0) {
            timed_out = true;
            break;
        }
        qemu_cond_timedwait(&sl->cond, &s->lock, left);
    }
    if (timed_out) {
        CosimOut *o;

        /* Not sent yet: never send it, the CPU has its all-ones already. */
        QSIMPLEQ_FOREACH(o, &s->outq, next) {
            if (o->h.type == COSIM_MMIO_READ && o->h.tag == tag) {
                QSIMPLEQ_REMOVE(&s->outq, o, CosimOut, next);
                s->outq_len--;
                g_free(o);
                break;
            }
        }
    }
    if (!sl->failed && !timed_out && sl->len != size) {
        sl->failed = true;
        snprintf(sl->why, sizeof(sl->why), "the completion carries %zu "
                 "bytes, not %u", sl->len, size);
    }
    failed = sl->failed || timed_out;
    val = sl->val;
    cycle = sl->cycle;
    g_strlcpy(why, sl->why, sizeof(why));
    sl->tag = 0;
    qemu_mutex_unlock(&s->lock);
    if (locked) {
        bql_lock();
    }

    if (timed_out) {
        qatomic_inc(&s->stats.read_timeouts);
        cosim_report(s, &s->rate_error, "MMIO read BAR%u+0x%" HWADDR_PRIx
                     " len %u tag %u timed out after %u ms (broker %s)",
                     bar->nr, addr, size, tag, s->timeout_ms, s->endpoint);
        val = UINT64_MAX;
    } else if (failed) {
        qatomic_inc(&s->stats.read_errors);
        cosim_report(s, &s->rate_error, "MMIO read BAR%u+0x%" HWADDR_PRIx
                     " len %u tag %u failed: %s (broker %s): all-ones",
                     bar->nr, addr, size, tag, why, s->endpoint);
        val = UINT64_MAX;
    }
    trace_cosim_pcie_mmio_read_done(s->name, tag, val, cycle, failed);
    return val;
}

static void cosim_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    CosimBar *bar = opaque;
    CosimPCIeState *s = bar->s;
    uint8_t data[8];
    cosim_hdr h;

    trace_cosim_pcie_mmio_write(s->name, bar->nr, addr, size, val);
    cosim_put64(data, val);
    cosim_hdr_init(&h, COSIM_MMIO_WRITE);
    h.index = bar->nr;
    h.address = addr;
    h.length = size;
    h.payload_len = size;
    switch (cosim_post(s, &h, data, true)) {
    case COSIM_POSTED:
        qatomic_inc(&s->stats.mmio_writes);
        break;
    case COSIM_POST_GONE:
        cosim_report(s, &s->rate_drop, "MMIO write BAR%u+0x%" HWADDR_PRIx
                     " len %u: the broker at %s is gone: dropped", bar->nr,
                     addr, size, s->endpoint);
        break;
    case COSIM_POST_FULL:
        qatomic_inc(&s->stats.send_errors);
        cosim_report(s, &s->rate_drop, "MMIO write BAR%u+0x%" HWADDR_PRIx
                     " len %u dropped: %u messages queued for the broker at "
                     "%s", bar->nr, addr, size, COSIM_OUTQ_MAX, s->endpoint);
        break;
    }
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

/*
 * Stop the I/O thread. It may be waiting for the BQL this thread holds, so
 * the BQL is dropped while joining.
 */
static void cosim_stop_io(CosimPCIeState *s)
{
    bool locked;

    if (!s->io_running) {
        return;
    }
    s->io_running = false;
    /* Nothing new is taken; reads in flight fail now. */
    qemu_mutex_lock(&s->lock);
    s->gone = true;
    g_strlcpy(s->gone_why, "the device is going away", sizeof(s->gone_why));
    cosim_fail_slots_locked(s, s->gone_why);
    qemu_mutex_unlock(&s->lock);
    qatomic_set(&s->stopping, true);
    event_notifier_set(&s->wake);
    if (qemu_thread_is_self(&s->io_thread)) {
        return; /* exit() on the I/O thread: it cannot join itself */
    }
    locked = bql_locked();
    if (locked) {
        bql_unlock();
    }
    qemu_thread_join(&s->io_thread);
    if (locked) {
        bql_lock();
    }
}

static void cosim_close_socket(CosimPCIeState *s, bool say_goodbye)
{
    bool alive;

    qemu_mutex_lock(&s->lock);
    alive = !s->gone;
    qemu_mutex_unlock(&s->lock);
    cosim_stop_io(s);
    if (s->zsock) {
        int linger = 0;

        if (say_goodbye && alive) {
            int timeout = COSIM_CLOSE_LINGER_MS;
            cosim_hdr h;

            zmq_setsockopt(s->zsock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
            linger = COSIM_CLOSE_LINGER_MS;
            cosim_hdr_simple(&h, COSIM_SHUTDOWN, 0);
            cosim_send_now(s, &h, NULL, 0);
        }
        zmq_setsockopt(s->zsock, ZMQ_LINGER, &linger, sizeof(linger));
        zmq_socket_monitor(s->zsock, NULL, 0);
        zmq_close(s->zsock);
        s->zsock = NULL;
    }
    if (s->zmon) {
        int linger = 0;

        zmq_setsockopt(s->zmon, ZMQ_LINGER, &linger, sizeof(linger));
        zmq_close(s->zmon);
        s->zmon = NULL;
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

/* Wait for the CONF answering INIT, answering PINGs meanwhile (realize). */
static bool cosim_handshake(CosimPCIeState *s, Error **errp)
{
    int64_t deadline = cosim_now_ms() + s->timeout_ms;
    uint32_t tag;
    cosim_hdr h;
    CosimMsg m;
    char text[200];

    cosim_hdr_init(&h, COSIM_HELLO);
    h.index = COSIM_ROLE_QEMU;
    h.payload_len = strlen(s->name);
    /* Blocks up to timeout-ms: with ZMQ_IMMEDIATE, until a broker is there. */
    if (cosim_send_now(s, &h, s->name, 0) < 0) {
        goto no_broker;
    }
    tag = cosim_next_tag(s);
    cosim_hdr_simple(&h, COSIM_INIT, tag);
    if (cosim_send_now(s, &h, NULL, 0) < 0) {
        goto no_broker;
    }

    for (;;) {
        int rc = cosim_recv_wait(s, &m, deadline);

        if (rc == 0) {
            goto no_broker;
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
                cosim_msg_release(&m);
                return false;
            }
            cosim_msg_release(&m);
            return true;
        case COSIM_ERROR:
            error_setg(errp, "cosim-pcie: the broker at %s refused device "
                       "'%s' (error %u): %s", s->endpoint, s->name, m.h.index,
                       cosim_text(&m, text, sizeof(text)));
            cosim_msg_release(&m);
            return false;
        case COSIM_SHUTDOWN:
            error_setg(errp, "cosim-pcie: the broker at %s shut down during "
                       "the handshake", s->endpoint);
            cosim_msg_release(&m);
            return false;
        case COSIM_PING:
            cosim_hdr_simple(&h, COSIM_PONG, m.h.tag);
            cosim_send_now(s, &h, NULL, 0);
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

no_broker:
    {
        uint16_t event;
        uint32_t value;

        while (cosim_monitor_next(s->zmon, &event, &value) == 0) {
            const char *failed = cosim_curve_failure(event, value);

            if (failed) {
                error_setg(errp, "cosim-pcie: the broker at %s: %s "
                           "(device '%s')", s->endpoint, failed, s->name);
                return false;
            }
        }
    }
    error_setg(errp, "cosim-pcie: no broker answered at %s within %u ms "
               "(device '%s'; is `cosim broker` running with "
               "--qemu-endpoint %s?)", s->endpoint, s->timeout_ms, s->name,
               s->endpoint);
    return false;
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
    /* INTA#, driven by the RTL's INTX messages (for pci=nomsi guests). */
    pci_conf[PCI_INTERRUPT_PIN] = 1;

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
         * The RTL may DMA to other devices of this guest while one of our
         * accesses is in flight.
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
    .can_receive = cosim_nic_can_receive,
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
    CosimOut *o;

    if (s->exit_notifier_set) {
        qemu_remove_exit_notifier(&s->exit_notifier);
        s->exit_notifier_set = false;
    }
    cosim_close_socket(s, true);
    if (s->resume_bh) {
        qemu_bh_delete(s->resume_bh);
        s->resume_bh = NULL;
    }
    if (s->chr_watch) {
        g_source_remove(s->chr_watch);
        s->chr_watch = 0;
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
    while ((o = QSIMPLEQ_FIRST(&s->outq))) {
        QSIMPLEQ_REMOVE_HEAD(&s->outq, next);
        g_free(o);
    }
    s->outq_len = 0;
    if (s->wake_ok) {
        event_notifier_cleanup(&s->wake);
        s->wake_ok = false;
    }
    g_free(s->dma_buf);
    s->dma_buf = NULL;
}

static void cosim_realize(PCIDevice *pdev, Error **errp)
{
    CosimPCIeState *s = COSIM_PCIE(pdev);
    int one = 1, zero = 0, hwm = COSIM_HWM, sndtimeo;
    int64_t maxmsg = COSIM_HDR_SIZE > COSIM_MAX_PAYLOAD ? COSIM_HDR_SIZE :
                     COSIM_MAX_PAYLOAD;
    g_autofree char *monitor = NULL;
    char why[256];
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
    if (s->peer_timeout_ms < 50 || s->peer_timeout_ms > INT32_MAX) {
        error_setg(errp, "cosim-pcie: peer-timeout-ms must be 50..%d",
                   INT32_MAX);
        return;
    }
    s->dma_buf = g_malloc(COSIM_CHUNK);
    if (event_notifier_init(&s->wake, false) < 0) {
        error_setg(errp, "cosim-pcie: cannot create an event notifier");
        goto fail;
    }
    s->wake_ok = true;
    s->chr_out = g_byte_array_new();

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
    /* Nothing queues for a broker that is not connected. */
    zmq_setsockopt(s->zsock, ZMQ_IMMEDIATE, &one, sizeof(one));
    zmq_setsockopt(s->zsock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
    zmq_setsockopt(s->zsock, ZMQ_IPV6, &one, sizeof(one));
    if ((s->curve_server_key || s->curve_key) &&
        cosim_curve_client(s->zsock, s->curve_server_key, s->curve_key, why,
                           sizeof(why)) != 0) {
        error_setg(errp, "cosim-pcie: %s", why);
        goto fail;
    }
    monitor = g_strdup_printf("inproc://cosim-pcie-monitor-%p", (void *)s);
    s->zmon = zmq_socket(s->zctx, ZMQ_PAIR);
    if (!s->zmon ||
        zmq_socket_monitor(s->zsock, monitor, ZMQ_EVENT_CONNECTED |
                           ZMQ_EVENT_DISCONNECTED |
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        zmq_connect(s->zmon, monitor) != 0) {
        error_setg(errp, "cosim-pcie: cannot monitor the ZeroMQ socket: %s",
                   zmq_strerror(zmq_errno()));
        goto fail;
    }
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

    s->resume_bh = qemu_bh_new_guarded(cosim_resume_bh, s,
                                       &DEVICE(pdev)->mem_reentrancy_guard);
    qemu_thread_create(&s->io_thread, "cosim-pcie-io", cosim_io_thread, s,
                       QEMU_THREAD_JOINABLE);
    s->io_running = true;
    cosim_send_cfg_state(s, true);

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
    cosim_hdr h;

    cosim_msix_use_all(s);
    pci_set_irq(PCI_DEVICE(s), 0);
    if (s->io_running) {
        cosim_hdr_init(&h, COSIM_RESET);
        cosim_post(s, &h, NULL, true);
        cosim_send_cfg_state(s, true);
    }
}

/* ----------------------------------------------------------- class_init */

static const Property cosim_properties[] = {
    DEFINE_PROP_STRING("endpoint", CosimPCIeState, endpoint),
    DEFINE_PROP_STRING("name", CosimPCIeState, name),
    DEFINE_PROP_STRING("curve-server-key", CosimPCIeState, curve_server_key),
    DEFINE_PROP_STRING("curve-key", CosimPCIeState, curve_key),
    DEFINE_PROP_UINT32("timeout-ms", CosimPCIeState, timeout_ms,
                       COSIM_DEFAULT_MMIO_TIMEOUT_MS),
    DEFINE_PROP_UINT32("peer-timeout-ms", CosimPCIeState, peer_timeout_ms,
                       COSIM_DEFAULT_DEVICE_PEER_TIMEOUT_MS),
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
    unsigned i;

    /*
     * Hybrid devices manage this bit themselves: set here, so that the
     * config space is sized for PCIe; cleared in realize on a PCI bus.
     */
    PCI_DEVICE(obj)->cap_present |= QEMU_PCI_CAP_EXPRESS;
    s->name = g_strdup("dev0");
    qemu_mutex_init(&s->lock);
    qemu_mutex_init(&s->rate_lock);
    QSIMPLEQ_INIT(&s->outq);
    for (i = 0; i < COSIM_READ_SLOTS; i++) {
        qemu_cond_init(&s->slot[i].cond);
    }
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
    cosim_add_stat(s, "stat-intx", &s->stats.intx);
    cosim_add_stat(s, "stat-nic-tx", &s->stats.nic_tx);
    cosim_add_stat(s, "stat-nic-rx", &s->stats.nic_rx);
    cosim_add_stat(s, "stat-nic-dropped", &s->stats.nic_dropped);
    cosim_add_stat(s, "stat-serial-tx-bytes", &s->stats.serial_tx_bytes);
    cosim_add_stat(s, "stat-serial-rx-bytes", &s->stats.serial_rx_bytes);
    cosim_add_stat(s, "stat-serial-dropped", &s->stats.serial_dropped);
    cosim_add_stat(s, "stat-bad-frames", &s->stats.bad_frames);
    cosim_add_stat(s, "stat-send-errors", &s->stats.send_errors);
    cosim_add_stat(s, "stat-errors-received", &s->stats.errors_received);
    cosim_add_stat(s, "stat-peer-lost", &s->stats.peer_lost);
    cosim_add_stat(s, "stat-reconnects", &s->stats.reconnects);
}

static void cosim_instance_finalize(Object *obj)
{
    CosimPCIeState *s = COSIM_PCIE(obj);
    unsigned i;

    for (i = 0; i < COSIM_READ_SLOTS; i++) {
        qemu_cond_destroy(&s->slot[i].cond);
    }
    qemu_mutex_destroy(&s->lock);
    qemu_mutex_destroy(&s->rate_lock);
    if (s->chr_out) {
        g_byte_array_free(s->chr_out, true);
    }
}

static void cosim_class_init(ObjectClass *klass, COSIM_CLASS_DATA data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = cosim_realize;
    k->exit = cosim_exit;
    k->config_write = cosim_config_write;
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
        .instance_finalize = cosim_instance_finalize,
        .class_init = cosim_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { INTERFACE_CONVENTIONAL_PCI_DEVICE },
            { },
        },
    },
};

DEFINE_TYPES(cosim_types)
