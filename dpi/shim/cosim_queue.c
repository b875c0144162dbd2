/*
 * qemu-hdl-bridge DPI-C shim, queue layer (cosim_queue.h).
 *
 * The SV bridge endpoint calls the cosim_dpi_* functions (cosim_dpi.h); they
 * only move data between in-memory queues. A transport moves whole wire
 * messages in (cosim_q_push) and out (cosim_q_out_peek/pop): the ZeroMQ one
 * in cosim_shim.c for the cosim-sim harness, or the N-API addon through
 * dpi/model/model_api.cpp. Nothing here knows how bytes travel.
 *
 * Single-threaded by design: the model's eval thread calls everything.
 *
 * Ordering: every outbound message goes through ONE FIFO, and the DMA write
 * coalescing buffer is flushed into it before any other message is queued, so
 * an MSI-X or an MMIO read completion never passes an earlier DMA write.
 */
#define _POSIX_C_SOURCE 200809L

#include "cosim_dpi.h"
#include "cosim_queue.h"
#include "cosim_shim.h"
#include "cosim_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "[sim] cycle=? error: out of memory (%zu bytes)\n", n);
        abort(); /* nothing sane to do without memory */
    }
    return p;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) {
        fprintf(stderr, "[sim] cycle=? error: out of memory\n");
        abort();
    }
    return p;
}

/* Growable byte buffer. */
typedef struct bytebuf {
    uint8_t *data;
    size_t len, cap;
} bytebuf;

static void bb_reserve(bytebuf *b, size_t need)
{
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    uint8_t *p = (uint8_t *)realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "[sim] cycle=? error: out of memory\n");
        abort();
    }
    b->data = p;
    b->cap = cap;
}

static void bb_free(bytebuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------ */
/* state                                                                     */

typedef struct outmsg {
    struct outmsg *next;
    cosim_hdr hdr;
    uint8_t *payload; /* hdr.payload_len bytes, owned */
} outmsg;

typedef struct mmio_req {
    struct mmio_req *next;
    int is_write;
    uint32_t tag;
    int bar;
    uint64_t addr;
    int len;
    uint64_t wdata;
} mmio_req;

typedef struct dma_rd {
    struct dma_rd *next; /* request order */
    uint32_t tag;
    int axi_id;
    uint64_t addr;       /* first byte (the AR address) */
    uint32_t len;        /* bytes the burst covers */
    int beats, beat_bytes;
    uint8_t *buf;        /* len bytes */
    uint64_t received;   /* bytes received so far */
    int complete, error;
    int next_beat;       /* delivery progress */
    uint64_t cycle;      /* cycle of the request */
} dma_rd;

typedef struct nic_frame {
    struct nic_frame *next;
    uint8_t *data;
    uint32_t len;
    uint32_t off;
} nic_frame;

#define ABANDONED_MAX 256u
#define INFLIGHT_MAX 4096
#define UART_TX_MAX (1u << 20)
#define UART_RX_MAX (16u << 20)
static struct {
    /* options */
    char name[COSIM_MAX_NAME + 1];
    int log_level;

    /* stop */
    int stopping, exit_status;
    char stop_reason[512];

    /* time */
    uint64_t cycle;
    int sv_idle;
    uint64_t last_traffic; /* the last cycle the RTL handed the shim anything */

    /* announce */
    cosim_conf conf;
    int announced;

    /* outbound FIFO */
    outmsg *out_head, *out_tail;
    size_t out_count;
    int out_urgent; /* MMIO_READ_CPL / DMA_READ messages queued */

    /* DMA write coalescing */
    uint8_t *wr_buf; /* COSIM_MAX_PAYLOAD */
    uint64_t wr_start;
    uint32_t wr_len;
    uint64_t wr_cycle; /* of the last byte taken in */

    /* UART TX coalescing */
    bytebuf uart_tx;
    int uart_tx_drop_warned;

    /* NIC TX accumulation */
    bytebuf nic_tx;
    int nic_tx_oversize;

    /* inbound MMIO */
    mmio_req *mmio_head, *mmio_tail;
    size_t mmio_count;
    mmio_req *inflight_head, *inflight_tail; /* popped, waiting for *_done */
    size_t inflight_count;

    /* DMA reads */
    dma_rd *rd_head, *rd_tail;
    size_t rd_outstanding; /* not complete yet */
    size_t rd_count;
    dma_rd *rd_cur;        /* burst being delivered */
    int rd_ready_dirty;
    int rd_ready;
    uint32_t next_tag;
    /* The DMA_READ being gathered (READ_MERGE_CYCLES): tag 0 when none. */
    uint32_t rq_tag;
    uint64_t rq_addr, rq_end;
    uint64_t rq_cycle; /* of its first burst: the message's cycle */
    uint64_t rq_last;  /* of its last burst */
    uint32_t abandoned[ABANDONED_MAX];
    unsigned abandoned_n, abandoned_pos;

    /* NIC RX */
    nic_frame *nic_head, *nic_tail;
    size_t nic_count;

    /* UART RX */
    bytebuf uart_rx;
    size_t uart_rx_off;

    /* reset */
    unsigned reset_count;

    /* PCI config state: a level, not a queue; only the latest CFG_STATE counts */
    uint16_t cfg_state;
    int cfg_new;

    /* delivery stamps (HELLO with COSIM_F_TRACE): the cycle each inbound
     * message came in, as DELIVERED's payload (little-endian u64s) */
    int stamping;
    bytebuf stamps;

    cosim_shim_stats st;
} S = {
    .log_level = COSIM_LOG_INFO,
    .next_tag = 1,
};


/* ------------------------------------------------------------------------ */
/* logging                                                                   */

static const char *level_name(int l)
{
    switch (l) {
    case COSIM_LOG_ERROR: return "error";
    case COSIM_LOG_WARN: return "warn";
    case COSIM_LOG_INFO: return "info";
    default: return "debug";
    }
}

void cosim_shim_log(int level, const char *fmt, ...)
{
    if (level > S.log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[sim] cycle=%llu %s: %s\n", (unsigned long long)S.cycle, level_name(level), msg);
}

#define LOGE(...) cosim_shim_log(COSIM_LOG_ERROR, __VA_ARGS__)
#define LOGW(...) cosim_shim_log(COSIM_LOG_WARN, __VA_ARGS__)
#define LOGI(...) cosim_shim_log(COSIM_LOG_INFO, __VA_ARGS__)
#define LOGD(...) \
    do { if (S.log_level >= COSIM_LOG_DEBUG) cosim_shim_log(COSIM_LOG_DEBUG, __VA_ARGS__); } while (0)

void cosim_shim_set_log_level(int level)
{
    if (level < COSIM_LOG_ERROR)
        level = COSIM_LOG_ERROR;
    if (level > COSIM_LOG_DEBUG)
        level = COSIM_LOG_DEBUG;
    S.log_level = level;
}

int cosim_shim_parse_log_level(const char *s)
{
    if (!s)
        return -1;
    if (!strcmp(s, "error") || !strcmp(s, "0")) return COSIM_LOG_ERROR;
    if (!strcmp(s, "warn") || !strcmp(s, "warning") || !strcmp(s, "1")) return COSIM_LOG_WARN;
    if (!strcmp(s, "info") || !strcmp(s, "2")) return COSIM_LOG_INFO;
    if (!strcmp(s, "debug") || !strcmp(s, "3")) return COSIM_LOG_DEBUG;
    return -1;
}

/* Printable copy of a text payload (for logs). */
static void printable(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < dstsz; i++) {
        uint8_t c = src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
    }
    dst[j] = 0;
}

/* ------------------------------------------------------------------------ */
/* stop                                                                      */

static void stop_with(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void stop_with(int status, const char *fmt, ...)
{
    if (S.stopping)
        return;
    S.stopping = 1;
    S.exit_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(S.stop_reason, sizeof S.stop_reason, fmt, ap);
    va_end(ap);
    cosim_shim_log(status ? COSIM_LOG_ERROR : COSIM_LOG_INFO, "stopping: %s", S.stop_reason);
}

void cosim_shim_request_stop(int status, const char *reason)
{
    stop_with(status, "%s", reason ? reason : "stop requested");
}

int cosim_shim_stopping(void) { return S.stopping; }
const char *cosim_shim_stop_reason(void) { return S.stop_reason; }
int cosim_shim_exit_status(void) { return S.exit_status; }
uint64_t cosim_shim_cycle(void) { return S.cycle; }

void cosim_shim_get_stats(cosim_shim_stats *out)
{
    if (out)
        *out = S.st;
}

/* ------------------------------------------------------------------------ */
/* outbound FIFO                                                             */

static int is_urgent_type(uint8_t t) { return t == COSIM_MMIO_READ_CPL || t == COSIM_DMA_READ; }

/* Queue as-is (no DMA write flush), stamped `cycle`: used by the flush itself. */
static void enqueue_raw(cosim_hdr *h, const void *payload, uint32_t plen, uint64_t cycle)
{
    outmsg *m = (outmsg *)xmalloc(sizeof *m);
    m->next = NULL;
    m->hdr = *h;
    m->hdr.payload_len = plen;
    m->hdr.cycle = cycle;
    m->payload = NULL;
    if (plen) {
        m->payload = (uint8_t *)xmalloc(plen);
        memcpy(m->payload, payload, plen);
    }
    if (S.out_tail)
        S.out_tail->next = m;
    else
        S.out_head = m;
    S.out_tail = m;
    S.out_count++;
    if (is_urgent_type(h->type))
        S.out_urgent++;
}

static void flush_dma_write(void)
{
    if (!S.wr_len)
        return;
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_DMA_WRITE);
    h.address = S.wr_start;
    h.length = S.wr_len;
    /* The cycle of its last beat, not of the flush: a transport's timing
     * must not show in what the RTL did (a replay compares cycles). */
    enqueue_raw(&h, S.wr_buf, S.wr_len, S.wr_cycle);
    S.st.dma_writes++;
    S.st.dma_write_bytes += S.wr_len;
    S.wr_len = 0;
}

/* The DMA_READ gathered so far goes out, behind the DMA write bytes taken
 * in until now: those that came before its first burst must not be passed
 * by it, and those that came after may pass it (a posted write may pass a
 * read request, in PCIe as in AXI, where read and write channels are not
 * ordered at all). */
static void close_read_request(void)
{
    if (!S.rq_tag)
        return;
    flush_dma_write();
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_DMA_READ);
    h.tag = S.rq_tag;
    h.address = S.rq_addr;
    h.length = (uint32_t)(S.rq_end - S.rq_addr);
    enqueue_raw(&h, NULL, 0, S.rq_cycle);
    S.rq_tag = 0;
}

/* Queue in order behind every earlier DMA write and read request. */
static void enqueue(cosim_hdr *h, const void *payload, uint32_t plen)
{
    close_read_request();
    flush_dma_write();
    enqueue_raw(h, payload, plen, S.cycle);
}

static void send_error(uint16_t code, uint32_t tag, uint64_t addr, uint32_t length, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void send_error(uint16_t code, uint32_t tag, uint64_t addr, uint32_t length, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof text)
        n = (int)sizeof text - 1;
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_ERROR);
    h.index = code;
    h.tag = tag;
    h.address = addr;
    h.length = length;
    enqueue(&h, text, (uint32_t)n);
    S.st.errors_sent++;
}

static void flush_uart_tx(void)
{
    size_t off = 0;
    while (off < S.uart_tx.len) {
        size_t n = S.uart_tx.len - off;
        if (n > COSIM_MAX_PAYLOAD)
            n = COSIM_MAX_PAYLOAD;
        cosim_hdr h;
        cosim_hdr_init(&h, COSIM_SERIAL);
        h.length = (uint32_t)n;
        /* Taken at transport time: it must not cut a read request short,
         * which would make the requests depend on the transport's timing. */
        flush_dma_write();
        enqueue_raw(&h, S.uart_tx.data + off, (uint32_t)n, S.cycle);
        off += n;
    }
    S.uart_tx.len = 0;
    S.uart_tx_drop_warned = 0;
}

/* Queues the pending delivery stamps as one DELIVERED. Not behind the
 * coalesced DMA write: a stamp orders nothing. */
static void flush_stamps(void)
{
    if (!S.stamps.len)
        return;
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_DELIVERED);
    h.length = (uint32_t)(S.stamps.len / 8);
    enqueue_raw(&h, S.stamps.data, (uint32_t)S.stamps.len, S.cycle);
    S.stamps.len = 0;
}

static void stamp(void)
{
    bb_reserve(&S.stamps, S.stamps.len + 8);
    cosim_put64(S.stamps.data + S.stamps.len, S.cycle);
    S.stamps.len += 8;
    if (S.stamps.len == 8u * COSIM_MAX_STAMPS)
        flush_stamps();
}

static void free_outmsg(outmsg *m)
{
    free(m->payload);
    free(m);
}

/* Send as much of the FIFO as the socket takes. Returns messages sent. */
/* ------------------------------------------------------------------------ */
/* DMA read bookkeeping                                                      */

static void rd_mark_dirty(void) { S.rd_ready_dirty = 1; }

static int tag_abandoned(uint32_t tag)
{
    for (unsigned i = 0; i < S.abandoned_n; i++)
        if (S.abandoned[i] == tag)
            return 1;
    return 0;
}

static void rd_complete(dma_rd *r, int error)
{
    if (r->complete)
        return;
    r->complete = 1;
    r->error = error;
    if (error)
        memset(r->buf, 0xFF, r->len);
    if (S.rd_outstanding)
        S.rd_outstanding--;
    rd_mark_dirty();
}

/* One DMA_READ may stand for several bursts (READ_MERGE_CYCLES): they share
 * its tag and complete together. */
static void rd_complete_request(uint32_t tag, int error)
{
    for (dma_rd *r = S.rd_head; r; r = r->next)
        if (r->tag == tag)
            rd_complete(r, error);
}

/* The bytes the request `tag` covers, over its bursts not complete yet;
 * 0 if it has none (an unknown tag, or one already answered). */
static int rd_request_span(uint32_t tag, uint64_t *start, uint64_t *end)
{
    *start = UINT64_MAX;
    *end = 0;
    for (dma_rd *r = S.rd_head; r; r = r->next) {
        if (r->tag != tag || r->complete)
            continue;
        if (r->addr < *start)
            *start = r->addr;
        if (r->addr + r->len > *end)
            *end = r->addr + r->len;
    }
    return *end != 0;
}

static void rd_unlink_free(dma_rd *r)
{
    dma_rd **pp = &S.rd_head;
    dma_rd *prev = NULL;
    while (*pp && *pp != r) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = r->next;
        if (S.rd_tail == r)
            S.rd_tail = prev;
        S.rd_count--;
    }
    if (S.rd_cur == r)
        S.rd_cur = NULL;
    free(r->buf);
    free(r);
    rd_mark_dirty();
}

/* Next burst whose beats may go out: the oldest complete request that has no
 * older incomplete request with the same AXI ID. */
static dma_rd *rd_next_deliverable(void)
{
    if (S.rd_cur)
        return S.rd_cur;
    for (dma_rd *r = S.rd_head; r; r = r->next) {
        if (!r->complete)
            continue;
        int blocked = 0;
        for (dma_rd *q = S.rd_head; q != r; q = q->next)
            if (q->axi_id == r->axi_id) { /* older, same ID, not delivered yet */
                blocked = 1;
                break;
            }
        if (!blocked)
            return r;
    }
    return NULL;
}

static int rd_ready(void)
{
    if (S.rd_ready_dirty) {
        S.rd_ready = rd_next_deliverable() != NULL;
        S.rd_ready_dirty = 0;
    }
    return S.rd_ready;
}

/* Host reset: every outstanding DMA read completes with an error now (its
 * beats still go out, with error set, so the SV bridge can count them off and
 * drop them); the host's late completions for those tags are ignored quietly. */
static void fail_all_reads(const char *why)
{
    size_t n = 0;
    S.rq_tag = 0; /* not sent: nobody will answer it */
    for (dma_rd *r = S.rd_head; r; r = r->next) {
        if (r->complete)
            continue;
        if (!tag_abandoned(r->tag)) {
            S.abandoned[S.abandoned_pos] = r->tag;
            S.abandoned_pos = (S.abandoned_pos + 1) % ABANDONED_MAX;
            if (S.abandoned_n < ABANDONED_MAX)
                S.abandoned_n++;
        }
        rd_complete(r, 1);
        n++;
    }
    if (n)
        LOGI("%s: failed %zu outstanding DMA read(s)", why, n);
}

/* ------------------------------------------------------------------------ */
/* inbound                                                                   */

static int bad_frame(const cosim_hdr *h, int decoded, size_t nframes, size_t hdr_bytes, uint16_t code,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Count, log with the decoded fields, and answer with ERROR (never an ERROR to
 * an ERROR). Always returns 0. */
static int bad_frame(const cosim_hdr *h, int decoded, size_t nframes, size_t hdr_bytes, uint16_t code,
                     const char *fmt, ...)
{
    char what[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    S.st.bad_frames++;
    LOGE("bad frame from broker: %s (frames=%zu header_bytes=%zu magic=0x%08x version=%u type=0x%02x(%s) "
         "flags=0x%02x tag=%u index=%u reserved=%u address=0x%llx length=%u payload_len=%u)",
         what, nframes, hdr_bytes, h->magic, h->version, h->type, cosim_type_name(h->type), h->flags, h->tag,
         h->index, h->reserved, (unsigned long long)h->address, h->length, h->payload_len);
    if (!(decoded && h->type == COSIM_ERROR))
        send_error(code, h->tag, h->address, h->length, "%s", what);
    return 0;
}

static void on_mmio(const cosim_hdr *h, const uint8_t *p, size_t plen)
{
    int is_write = h->type == COSIM_MMIO_WRITE;
    uint32_t len = h->length;
    const char *what = is_write ? "MMIO write" : "MMIO read";
    if (len != 1 && len != 2 && len != 4 && len != 8) {
        bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_MALFORMED,
                  "%s tag %u: length %u is not 1, 2, 4 or 8", what, h->tag, len);
        return;
    }
    if (h->index >= COSIM_NUM_BARS) {
        bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_MALFORMED, "%s tag %u: BAR %u does not exist",
                  what, h->tag, h->index);
        return;
    }
    if (h->address % len) {
        bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_MALFORMED,
                  "%s tag %u: address 0x%llx is not aligned to its length %u", what, h->tag,
                  (unsigned long long)h->address, len);
        return;
    }
    if (is_write && plen != len) {
        bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_MALFORMED,
                  "MMIO write tag %u: payload is %zu bytes, length says %u", h->tag, plen, len);
        return;
    }
    if (!is_write && plen) {
        bad_frame(h, 1, 2, COSIM_HDR_SIZE, COSIM_E_MALFORMED, "MMIO read tag %u carries a %zu-byte payload",
                  h->tag, plen);
        return;
    }
    mmio_req *m = (mmio_req *)xcalloc(1, sizeof *m);
    m->is_write = is_write;
    m->tag = h->tag;
    m->bar = h->index;
    m->addr = h->address;
    m->len = (int)len;
    if (is_write)
        for (uint32_t i = 0; i < len; i++)
            m->wdata |= (uint64_t)p[i] << (8 * i);
    if (S.mmio_tail)
        S.mmio_tail->next = m;
    else
        S.mmio_head = m;
    S.mmio_tail = m;
    S.mmio_count++;
    if (is_write)
        S.st.mmio_writes++;
    else
        S.st.mmio_reads++;
    LOGD("%s tag=%u bar=%d addr=0x%llx len=%u data=0x%llx", what, m->tag, m->bar, (unsigned long long)m->addr,
         len, (unsigned long long)m->wdata);
}

static void on_dma_cpl(const cosim_hdr *h, const uint8_t *p, size_t plen)
{
    uint64_t start, end;
    if (!rd_request_span(h->tag, &start, &end)) {
        if (tag_abandoned(h->tag)) {
            LOGD("DMA_READ_CPL for tag %u, failed at a device reset: ignored", h->tag);
            return;
        }
        S.st.bad_frames++;
        LOGE("DMA_READ_CPL for unknown tag %u (address=0x%llx length=%u payload=%zu flags=0x%x): dropped",
             h->tag, (unsigned long long)h->address, h->length, plen, h->flags);
        send_error(COSIM_E_UNEXPECTED, h->tag, h->address, h->length, "DMA_READ_CPL for unknown DMA read tag %u",
                   h->tag);
        return;
    }
    if (h->flags & COSIM_F_ERROR) {
        LOGW("DMA read tag %u (0x%llx +%llu) completed with an error: the RTL gets error beats", h->tag,
             (unsigned long long)start, (unsigned long long)(end - start));
        rd_complete_request(h->tag, 1);
        return;
    }
    if (plen) {
        if (h->address < start || h->address > end || plen > end - h->address) {
            S.st.bad_frames++;
            LOGE("DMA_READ_CPL tag %u chunk 0x%llx +%zu lies outside the request 0x%llx +%llu: dropped", h->tag,
                 (unsigned long long)h->address, plen, (unsigned long long)start,
                 (unsigned long long)(end - start));
            send_error(COSIM_E_MALFORMED, h->tag, h->address, h->length,
                       "DMA_READ_CPL tag %u chunk 0x%llx +%zu outside the request 0x%llx +%llu", h->tag,
                       (unsigned long long)h->address, plen, (unsigned long long)start,
                       (unsigned long long)(end - start));
            return;
        }
        /* Each burst of the request takes its part of the chunk. */
        for (dma_rd *r = S.rd_head; r; r = r->next) {
            if (r->tag != h->tag || r->complete)
                continue;
            uint64_t lo = h->address > r->addr ? h->address : r->addr;
            uint64_t hi = h->address + plen < r->addr + r->len ? h->address + plen : r->addr + r->len;
            if (lo < hi) {
                memcpy(r->buf + (lo - r->addr), p + (lo - h->address), hi - lo);
                r->received += hi - lo;
            }
        }
        S.st.dma_read_bytes += plen;
    }
    if (h->flags & COSIM_F_LAST) {
        uint64_t received = 0;
        for (dma_rd *r = S.rd_head; r; r = r->next)
            if (r->tag == h->tag && !r->complete)
                received += r->received;
        if (received != end - start) {
            LOGE("DMA read tag %u (0x%llx +%llu) completed with %llu bytes: failing it", h->tag,
                 (unsigned long long)start, (unsigned long long)(end - start), (unsigned long long)received);
            rd_complete_request(h->tag, 1);
        } else {
            LOGD("DMA read tag %u complete (%llu bytes)", h->tag, (unsigned long long)received);
            rd_complete_request(h->tag, 0);
        }
    }
}

static void on_nic(const cosim_hdr *h, const uint8_t *p, size_t plen)
{
    if (!plen) {
        LOGW("empty NIC_FRAME from broker: ignored");
        return;
    }
    if (plen > COSIM_MAX_NIC_FRAME) {
        bad_frame(h, 1, 2, COSIM_HDR_SIZE, COSIM_E_TOO_LARGE, "NIC_FRAME of %zu bytes exceeds %u", plen,
                  COSIM_MAX_NIC_FRAME);
        return;
    }
    nic_frame *f = (nic_frame *)xcalloc(1, sizeof *f);
    f->data = (uint8_t *)xmalloc(plen);
    memcpy(f->data, p, plen);
    f->len = (uint32_t)plen;
    if (S.nic_tail)
        S.nic_tail->next = f;
    else
        S.nic_head = f;
    S.nic_tail = f;
    S.nic_count++;
    S.st.nic_rx_frames++;
}

static void on_serial(const uint8_t *p, size_t plen)
{
    if (!plen || !p)
        return;
    size_t avail = S.uart_rx.len - S.uart_rx_off;
    if (avail + plen > UART_RX_MAX) {
        LOGW("UART RX backlog over %u bytes: dropping %zu bytes", UART_RX_MAX, plen);
        return;
    }
    if (S.uart_rx_off && S.uart_rx_off == S.uart_rx.len) {
        S.uart_rx.len = 0;
        S.uart_rx_off = 0;
    } else if (S.uart_rx_off > 65536) {
        memmove(S.uart_rx.data, S.uart_rx.data + S.uart_rx_off, avail);
        S.uart_rx.len = avail;
        S.uart_rx_off = 0;
    }
    bb_reserve(&S.uart_rx, S.uart_rx.len + plen);
    memcpy(S.uart_rx.data + S.uart_rx.len, p, plen);
    S.uart_rx.len += plen;
}

static void on_message(const cosim_hdr *h, const uint8_t *p, size_t plen)
{
    LOGD("received %s tag=%u index=%u addr=0x%llx len=%u flags=0x%x payload=%zu", cosim_type_name(h->type), h->tag,
         h->index, (unsigned long long)h->address, h->length, h->flags, plen);
    switch (h->type) {
    case COSIM_HELLO: {
        int trace = !!(h->flags & COSIM_F_TRACE);
        LOGD("HELLO from broker (index %u, flags 0x%x)", h->index, h->flags);
        if (trace != S.stamping)
            LOGI("delivery stamps %s", trace ? "on (the broker traces)" : "off");
        S.stamping = trace;
        break;
    }
    case COSIM_PING: {
        cosim_hdr r;
        cosim_hdr_init(&r, COSIM_PONG);
        r.tag = h->tag;
        enqueue(&r, NULL, 0);
        break;
    }
    case COSIM_PONG:
        break;
    case COSIM_SHUTDOWN: {
        char text[256];
        printable(text, sizeof text, p, plen);
        stop_with(COSIM_EXIT_OK, "broker sent SHUTDOWN%s%s", plen ? ": " : "", text);
        break;
    }
    case COSIM_ERROR: {
        char text[512];
        printable(text, sizeof text, p, plen);
        S.st.errors_received++;
        LOGE("ERROR from broker: code=%u tag=%u address=0x%llx length=%u flags=0x%x cycle=%llu: %s", h->index,
             h->tag, (unsigned long long)h->address, h->length, h->flags, (unsigned long long)h->cycle, text);
        uint64_t start, end;
        if (rd_request_span(h->tag, &start, &end)) {
            LOGE("failing DMA read tag %u (0x%llx +%llu): the RTL gets error beats", h->tag,
                 (unsigned long long)start, (unsigned long long)(end - start));
            rd_complete_request(h->tag, 1);
        }
        break;
    }
    case COSIM_MMIO_READ:
    case COSIM_MMIO_WRITE:
        on_mmio(h, p, plen);
        break;
    case COSIM_DMA_READ_CPL:
        on_dma_cpl(h, p, plen);
        break;
    case COSIM_NIC_FRAME:
        on_nic(h, p, plen);
        break;
    case COSIM_SERIAL:
        on_serial(p, plen);
        break;
    case COSIM_RESET:
        S.reset_count++;
        S.st.resets++;
        LOGI("device reset requested by the host");
        fail_all_reads("device reset");
        break;
    case COSIM_CFG_STATE:
        if (h->index & ~COSIM_CFG_ALL) {
            bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_MALFORMED, "CFG_STATE with reserved bits 0x%x set",
                      h->index & ~COSIM_CFG_ALL);
            break;
        }
        S.cfg_state = h->index;
        S.cfg_new = 1;
        LOGD("PCI config state: MSI-X %s%s, bus master %s, INTx %s", h->index & COSIM_CFG_MSIX_ENABLE ? "on" : "off",
             h->index & COSIM_CFG_MSIX_MASKED ? " (masked)" : "", h->index & COSIM_CFG_BUS_MASTER ? "on" : "off",
             h->index & COSIM_CFG_INTX_DISABLE ? "disabled" : "enabled");
        break;
    case COSIM_CONF:
        LOGI("CONF from broker ignored (the HDL side announces its own)");
        break;
    default:
        bad_frame(h, 1, plen ? 2 : 1, COSIM_HDR_SIZE, COSIM_E_UNEXPECTED, "%s is not valid towards the HDL side",
                  cosim_type_name(h->type));
        break;
    }
}


/* ------------------------------------------------------------------------ */
/* transport-facing API (cosim_queue.h)                                      */

int cosim_q_push(const uint8_t *hb, size_t hlen, const uint8_t *pb, size_t plen, size_t nframes, int truncated)
{
    cosim_hdr h;
    int dec = cosim_hdr_decode(&h, hb, hlen);
    S.st.msgs_in++;
    S.st.bytes_in += hlen + plen;
    if (!pb)
        plen = 0;
    /* Before any check: the broker matches stamps to what it sent, in order. */
    if (S.stamping && !(dec == COSIM_DEC_OK && !cosim_stamped_type(h.type)))
        stamp();
    if (truncated)
        return bad_frame(&h, dec == COSIM_DEC_OK, nframes, hlen, COSIM_E_MALFORMED, "message truncated by a receive error");
    if (dec == COSIM_DEC_SHORT)
        return bad_frame(&h, 0, nframes, hlen, COSIM_E_MALFORMED, "header frame is %zu bytes, expected %u", hlen,
                         COSIM_HDR_SIZE);
    if (dec == COSIM_DEC_MAGIC)
        return bad_frame(&h, 0, nframes, hlen, COSIM_E_MALFORMED, "bad magic 0x%08x (expected 0x%08x)", h.magic,
                         COSIM_MAGIC);
    if (dec == COSIM_DEC_VERSION)
        return bad_frame(&h, 0, nframes, hlen, COSIM_E_VERSION, "protocol version %u not supported, this shim speaks %u",
                         h.version, COSIM_VERSION);
    if (dec == COSIM_DEC_TYPE)
        return bad_frame(&h, 0, nframes, hlen, COSIM_E_MALFORMED, "unknown message type 0x%02x", h.type);
    if (dec == COSIM_DEC_PAYLOAD)
        return bad_frame(&h, 1, nframes, hlen, COSIM_E_TOO_LARGE, "payload_len %u exceeds %u", h.payload_len,
                         COSIM_MAX_PAYLOAD);
    if (dec != COSIM_DEC_OK)
        return bad_frame(&h, 0, nframes, hlen, COSIM_E_MALFORMED, "header decode failed (%d)", dec);
    if (nframes < 1 || nframes > 2)
        return bad_frame(&h, 1, nframes, hlen, COSIM_E_MALFORMED, "message has %zu frames, expected 1 or 2", nframes);
    if (h.reserved != 0)
        return bad_frame(&h, 1, nframes, hlen, COSIM_E_MALFORMED, "reserved field is %u, must be 0", h.reserved);
    if (h.payload_len == 0 && nframes != 1)
        return bad_frame(&h, 1, nframes, hlen, COSIM_E_MALFORMED,
                         "payload_len is 0 but a %zu-byte payload frame follows", plen);
    if (h.payload_len > 0 && (nframes != 2 || plen != h.payload_len))
        return bad_frame(&h, 1, nframes, hlen, COSIM_E_MALFORMED,
                         "payload_len is %u but the payload frame has %zu bytes", h.payload_len,
                         nframes == 2 ? plen : (size_t)0);
    on_message(&h, pb, plen);
    return 1;
}

int cosim_q_out_peek(uint8_t hdr[COSIM_HDR_SIZE], const uint8_t **payload, uint32_t *payload_len)
{
    flush_stamps();
    outmsg *m = S.out_head;
    if (!m)
        return 0;
    cosim_hdr_encode(hdr, &m->hdr);
    *payload = m->payload;
    *payload_len = m->hdr.payload_len;
    return 1;
}

void cosim_q_out_pop(void)
{
    outmsg *m = S.out_head;
    if (!m)
        return;
    LOGD("sent %s tag=%u index=%u addr=0x%llx len=%u payload=%u", cosim_type_name(m->hdr.type), m->hdr.tag,
         m->hdr.index, (unsigned long long)m->hdr.address, m->hdr.length, m->hdr.payload_len);
    S.st.msgs_out++;
    S.st.bytes_out += COSIM_HDR_SIZE + m->hdr.payload_len;
    if (is_urgent_type(m->hdr.type) && S.out_urgent)
        S.out_urgent--;
    S.out_head = m->next;
    if (!S.out_head)
        S.out_tail = NULL;
    S.out_count--;
    free_outmsg(m);
}

size_t cosim_q_out_count(void) { return S.out_count; }

int cosim_q_out_pending(void) { return S.out_count > 0 || S.uart_tx.len > 0; }

void cosim_q_out_clear(void)
{
    while (S.out_head) {
        outmsg *m = S.out_head;
        S.out_head = m->next;
        free_outmsg(m);
    }
    S.out_tail = NULL;
    S.out_count = 0;
    S.out_urgent = 0;
    S.stamps.len = 0;
}

void cosim_q_flush(void)
{
    flush_uart_tx();
    flush_dma_write();
    flush_stamps();
}

void cosim_q_enqueue(const cosim_hdr *h, const void *payload, uint32_t payload_len)
{
    cosim_hdr c = *h;
    enqueue(&c, payload, payload_len);
}

void cosim_q_set_name(const char *name)
{
    snprintf(S.name, sizeof S.name, "%s", (name && *name) ? name : "dev0");
}

const char *cosim_q_name(void) { return S.name[0] ? S.name : "dev0"; }

int cosim_q_announced(void) { return S.announced; }

static void free_lists(void)
{
    cosim_q_out_clear();
    while (S.mmio_head) {
        mmio_req *m = S.mmio_head;
        S.mmio_head = m->next;
        free(m);
    }
    while (S.inflight_head) {
        mmio_req *m = S.inflight_head;
        S.inflight_head = m->next;
        free(m);
    }
    while (S.rd_head) {
        dma_rd *r = S.rd_head;
        S.rd_head = r->next;
        free(r->buf);
        free(r);
    }
    while (S.nic_head) {
        nic_frame *f = S.nic_head;
        S.nic_head = f->next;
        free(f->data);
        free(f);
    }
    bb_free(&S.uart_tx);
    bb_free(&S.nic_tx);
    bb_free(&S.uart_rx);
    bb_free(&S.stamps);
    free(S.wr_buf);
}

void cosim_q_reset(void)
{
    char name[sizeof S.name];
    int level = S.log_level;
    memcpy(name, S.name, sizeof name);
    free_lists();
    memset(&S, 0, sizeof S);
    S.log_level = level;
    S.next_tag = 1;
    memcpy(S.name, name, sizeof name);
}

static int inbound_work(void)
{
    return S.mmio_head != NULL || rd_ready() || S.nic_head != NULL || S.uart_rx_off < S.uart_rx.len ||
           S.reset_count > 0 || S.cfg_new;
}

int cosim_shim_urgent(void) { return S.out_urgent > 0; }

/* A DMA write still being coalesced is output too: the design is not idle
 * until a transport took it (and the RTL's next message is not held up by
 * an idle wait). */
int cosim_shim_idle(void)
{
    return S.sv_idle && !inbound_work() && S.rd_outstanding == 0 && S.out_head == NULL && S.wr_len == 0;
}

/* The RTL still makes progress while it hands over DMA write beats,
 * requests or interrupts; it waits on its reads only once it has been
 * quiet this long (a gap of a few clocks inside a burst is not a wait). */
#define QUIET_CYCLES 16

/* Contiguous bursts the RTL asks for within this many cycles of each other
 * go out as one DMA_READ of up to COSIM_MAX_PAYLOAD bytes: a copy engine's
 * back-to-back bursts then cost the broker and the host one round trip, not
 * one each. The request leaves this many cycles after its last burst (a
 * cycle count, so the same RTL always makes the same requests), well before
 * the design counts as waiting on it (QUIET_CYCLES). */
#define READ_MERGE_CYCLES 8
_Static_assert(READ_MERGE_CYCLES < QUIET_CYCLES, "a gathered read request leaves before the design waits on it");

static void traffic(void) { S.last_traffic = S.cycle; }

int cosim_shim_waiting(void)
{
    return S.rd_outstanding > 0 && !inbound_work() && S.cycle - S.last_traffic >= QUIET_CYCLES;
}

/* ------------------------------------------------------------------------ */
/* DPI functions (cosim_dpi.h)                                               */

void cosim_dpi_bar(int bar, long long size, int flags)
{
    if (bar < 0 || bar >= (int)COSIM_NUM_BARS) {
        LOGE("cosim_dpi_bar: BAR %d out of range 0..%u: ignored", bar, COSIM_NUM_BARS - 1);
        return;
    }
    S.conf.bar[bar].size = (uint64_t)size;
    S.conf.bar[bar].flags = (uint32_t)flags;
}

void cosim_dpi_announce(int vendor_id, int device_id, int subsys_vendor_id, int subsys_id, int class_code,
                        int revision, int msix_vectors, int msix_table_bar, long long msix_table_offset,
                        int msix_pba_bar, long long msix_pba_offset)
{
    if (S.announced) {
        LOGW("cosim_dpi_announce called again: ignored");
        return;
    }
    if (!S.wr_buf)
        S.wr_buf = (uint8_t *)xmalloc(COSIM_MAX_PAYLOAD);
    S.announced = 1;
    S.conf.vendor_id = (uint16_t)vendor_id;
    S.conf.device_id = (uint16_t)device_id;
    S.conf.subsys_vendor_id = (uint16_t)subsys_vendor_id;
    S.conf.subsys_id = (uint16_t)subsys_id;
    S.conf.class_code = (uint32_t)class_code & 0xFFFFFFu;
    S.conf.revision = (uint8_t)revision;
    S.conf.msix_vectors = (uint16_t)msix_vectors;
    S.conf.msix_table_bar = (uint8_t)msix_table_bar;
    S.conf.msix_table_offset = (uint64_t)msix_table_offset;
    S.conf.msix_pba_bar = (uint8_t)msix_pba_bar;
    S.conf.msix_pba_offset = (uint64_t)msix_pba_offset;

    const char *name = S.name[0] ? S.name : "dev0";
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_HELLO);
    h.index = COSIM_ROLE_HDL;
    h.length = (uint32_t)strlen(name);
    enqueue(&h, name, (uint32_t)strlen(name));

    uint8_t conf[COSIM_CONF_SIZE];
    cosim_conf_encode(conf, &S.conf);
    cosim_hdr_init(&h, COSIM_CONF);
    h.length = COSIM_CONF_SIZE;
    enqueue(&h, conf, COSIM_CONF_SIZE);
    LOGI("announced %04x:%04x class %06x rev %u, %u MSI-X vectors, BAR0 %llu bytes", S.conf.vendor_id,
         S.conf.device_id, S.conf.class_code, S.conf.revision, S.conf.msix_vectors,
         (unsigned long long)S.conf.bar[0].size);
}

int cosim_dpi_pending(long long cycle)
{
    S.cycle = (uint64_t)cycle;
    if (S.rq_tag && S.cycle - S.rq_last >= READ_MERGE_CYCLES)
        close_read_request();
    int m = 0;
    if (S.mmio_head)
        m |= COSIM_PEND_MMIO;
    if (S.rd_head && rd_ready())
        m |= COSIM_PEND_DMA_R;
    if (S.nic_head)
        m |= COSIM_PEND_NIC_RX;
    if (S.uart_rx_off < S.uart_rx.len)
        m |= COSIM_PEND_UART_RX;
    if (S.reset_count)
        m |= COSIM_PEND_RESET;
    if (S.cfg_new)
        m |= COSIM_PEND_CFG;
    return m;
}

void cosim_dpi_idle(int idle) { S.sv_idle = idle != 0; }

int cosim_dpi_mmio_pop(int *is_write, int *tag, int *bar, long long *addr, int *len, long long *wdata)
{
    mmio_req *m = S.mmio_head;
    if (!m)
        return 0;
    S.mmio_head = m->next;
    if (!S.mmio_head)
        S.mmio_tail = NULL;
    S.mmio_count--;
    *is_write = m->is_write;
    *tag = (int)m->tag;
    *bar = m->bar;
    *addr = (long long)m->addr;
    *len = m->len;
    *wdata = (long long)m->wdata;
    /* keep it until *_done so the completion can name BAR/address/length */
    m->next = NULL;
    if (S.inflight_count >= INFLIGHT_MAX) {
        mmio_req *old = S.inflight_head;
        LOGW("%zu MMIO accesses without *_done; forgetting tag %u", S.inflight_count, old->tag);
        S.inflight_head = old->next;
        if (!S.inflight_head)
            S.inflight_tail = NULL;
        S.inflight_count--;
        free(old);
    }
    if (S.inflight_tail)
        S.inflight_tail->next = m;
    else
        S.inflight_head = m;
    S.inflight_tail = m;
    S.inflight_count++;
    return 1;
}

static mmio_req *inflight_take(uint32_t tag, int is_write)
{
    mmio_req *prev = NULL;
    for (mmio_req *m = S.inflight_head; m; prev = m, m = m->next) {
        if (m->tag == tag && m->is_write == is_write) {
            if (prev)
                prev->next = m->next;
            else
                S.inflight_head = m->next;
            if (S.inflight_tail == m)
                S.inflight_tail = prev;
            S.inflight_count--;
            return m;
        }
    }
    return NULL;
}

void cosim_dpi_mmio_read_done(int tag, long long rdata, int error)
{
    mmio_req *m = inflight_take((uint32_t)tag, 0);
    if (!m) {
        LOGE("cosim_dpi_mmio_read_done: no MMIO read with tag %u in flight: dropped", (unsigned)tag);
        return;
    }
    uint8_t p[8];
    for (int i = 0; i < m->len; i++)
        p[i] = error ? 0xFF : (uint8_t)((uint64_t)rdata >> (8 * i));
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_MMIO_READ_CPL);
    h.tag = m->tag;
    h.index = (uint16_t)m->bar;
    h.address = m->addr;
    h.length = (uint32_t)m->len;
    if (error) {
        h.flags = COSIM_F_ERROR;
        LOGW("MMIO read BAR%d+0x%llx len %d (tag %u) got an AXI error response", m->bar,
             (unsigned long long)m->addr, m->len, m->tag);
    }
    enqueue(&h, p, (uint32_t)m->len);
    free(m);
}

void cosim_dpi_mmio_write_done(int tag, int error)
{
    mmio_req *m = inflight_take((uint32_t)tag, 1);
    if (!m) {
        if (error)
            LOGE("cosim_dpi_mmio_write_done: error for unknown MMIO write tag %u", (unsigned)tag);
        else
            LOGW("cosim_dpi_mmio_write_done: no MMIO write with tag %u in flight", (unsigned)tag);
        return;
    }
    if (error) {
        LOGW("MMIO write BAR%d+0x%llx len %d (tag %u) got an AXI error response", m->bar,
             (unsigned long long)m->addr, m->len, m->tag);
        send_error(COSIM_E_DEVICE, m->tag, m->addr, (uint32_t)m->len,
                   "MMIO write to BAR%d+0x%llx (%d bytes, tag %u) got an AXI error response from the RTL", m->bar,
                   (unsigned long long)m->addr, m->len, m->tag);
    }
    free(m);
}

static uint32_t new_tag(void)
{
    uint32_t t = S.next_tag++;
    if (!S.next_tag)
        S.next_tag = 1;
    return t;
}

void cosim_dpi_dma_read(int axi_id, long long addr, int beats, int beat_bytes)
{
    traffic();
    dma_rd *r = (dma_rd *)xcalloc(1, sizeof *r);
    r->axi_id = axi_id;
    r->addr = (uint64_t)addr;
    r->beats = beats;
    r->beat_bytes = beat_bytes;
    r->cycle = S.cycle;
    int bad = 0;
    if (beats < 1 || beats > 256) {
        LOGE("DMA read (axi id %d, 0x%llx): %d beats is outside 1..256: answering with error beats", axi_id,
             (unsigned long long)r->addr, beats);
        r->beats = beats < 1 ? 1 : 256;
        bad = 1;
    }
    if (beat_bytes != 1 && beat_bytes != 2 && beat_bytes != 4 && beat_bytes != 8) {
        LOGE("DMA read (axi id %d, 0x%llx): beat size %d is not 1, 2, 4 or 8: answering with error beats", axi_id,
             (unsigned long long)r->addr, beat_bytes);
        r->beat_bytes = 8;
        bad = 1;
    }
    uint64_t bb = (uint64_t)r->beat_bytes;
    uint64_t end = (r->addr & ~(bb - 1)) + (uint64_t)r->beats * bb;
    r->len = (uint32_t)(end - r->addr); /* <= 256 * 8, well under COSIM_MAX_DMA_LEN */
    r->buf = (uint8_t *)xcalloc(1, r->len);
    if (S.rd_tail)
        S.rd_tail->next = r;
    else
        S.rd_head = r;
    S.rd_tail = r;
    S.rd_count++;
    S.rd_outstanding++;
    S.st.dma_reads++;
    rd_mark_dirty();
    if (bad) {
        r->tag = new_tag();
        rd_complete(r, 1);
        return;
    }
    if (S.rq_tag && r->addr == S.rq_end && S.cycle - S.rq_last < READ_MERGE_CYCLES &&
        S.rq_end - S.rq_addr + r->len <= COSIM_MAX_PAYLOAD) {
        S.rq_end += r->len;
    } else {
        close_read_request();
        S.rq_tag = new_tag();
        S.rq_addr = r->addr;
        S.rq_end = r->addr + r->len;
        S.rq_cycle = S.cycle;
    }
    S.rq_last = S.cycle;
    r->tag = S.rq_tag;
    LOGD("DMA read tag %u axi id %d 0x%llx +%u (%d x %d)", r->tag, axi_id, (unsigned long long)r->addr, r->len,
         r->beats, r->beat_bytes);
}

int cosim_dpi_dma_rbeat(int *axi_id, long long *data, int *last, int *error)
{
    if (!S.rd_head)
        return 0;
    dma_rd *r = rd_next_deliverable();
    if (!r)
        return 0;
    S.rd_cur = r;
    uint64_t bb = (uint64_t)r->beat_bytes;
    int i = r->next_beat;
    uint64_t beat_addr = i == 0 ? r->addr : (r->addr & ~(bb - 1)) + (uint64_t)i * bb;
    uint64_t beat_end = (beat_addr | (bb - 1)) + 1;
    uint64_t d = 0;
    for (uint64_t a = beat_addr; a < beat_end; a++) {
        uint64_t off = a - r->addr;
        if (off < r->len)
            d |= (uint64_t)r->buf[off] << (8 * (a % 8));
    }
    *axi_id = r->axi_id;
    *data = (long long)d;
    *error = r->error;
    r->next_beat++;
    *last = r->next_beat >= r->beats;
    if (*last)
        rd_unlink_free(r); /* also clears rd_cur */
    return 1;
}

void cosim_dpi_dma_wbeat(long long addr, long long data, int strb, int last)
{
    traffic();
    if (!S.wr_buf)
        S.wr_buf = (uint8_t *)xmalloc(COSIM_MAX_PAYLOAD);
    uint64_t base = (uint64_t)addr & ~(uint64_t)7;
    for (int lane = 0; lane < 8; lane++) {
        if (!(strb & (1 << lane)))
            continue;
        uint64_t a = base + (uint64_t)lane;
        uint8_t byte = (uint8_t)((uint64_t)data >> (8 * lane));
        if (S.wr_len && (a != S.wr_start + S.wr_len || S.wr_len >= COSIM_MAX_PAYLOAD))
            flush_dma_write();
        if (!S.wr_len)
            S.wr_start = a;
        S.wr_buf[S.wr_len++] = byte;
        S.wr_cycle = S.cycle;
    }
    /* Not flushed at WLAST: the next burst of a copy usually continues
     * where this one ended, and one message for both halves the broker's
     * work. Any other message, a gap, the payload limit and every
     * transport flush it, so nothing overtakes it and nothing waits. */
    (void)last;
}

void cosim_dpi_msix(int vector)
{
    traffic();
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_MSIX);
    h.index = (uint16_t)vector;
    enqueue(&h, NULL, 0);
    S.st.msix++;
    LOGD("MSI-X vector %d", vector);
}

void cosim_dpi_intx(int level)
{
    traffic();
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_INTX);
    h.index = level ? 1 : 0;
    enqueue(&h, NULL, 0); /* behind every earlier DMA write, like an MSI-X */
    LOGD("INTx level %d", level ? 1 : 0);
}

void cosim_dpi_nic_tx(long long data, int keep, int last)
{
    traffic();
    for (int lane = 0; lane < 8; lane++) {
        if (!(keep & (1 << lane)))
            continue;
        if (S.nic_tx.len >= COSIM_MAX_NIC_FRAME) {
            S.nic_tx_oversize = 1;
            break;
        }
        bb_reserve(&S.nic_tx, S.nic_tx.len + 1);
        S.nic_tx.data[S.nic_tx.len++] = (uint8_t)((uint64_t)data >> (8 * lane));
    }
    if (!last)
        return;
    if (S.nic_tx_oversize) {
        S.st.nic_tx_dropped++;
        LOGE("NIC TX frame over %u bytes dropped", COSIM_MAX_NIC_FRAME);
        send_error(COSIM_E_TOO_LARGE, 0, 0, COSIM_MAX_NIC_FRAME, "NIC TX frame over %u bytes dropped by the HDL shim",
                   COSIM_MAX_NIC_FRAME);
    } else if (S.nic_tx.len == 0) {
        LOGW("empty NIC TX frame (no keep bits) dropped");
    } else {
        cosim_hdr h;
        cosim_hdr_init(&h, COSIM_NIC_FRAME);
        h.length = (uint32_t)S.nic_tx.len;
        enqueue(&h, S.nic_tx.data, (uint32_t)S.nic_tx.len);
        S.st.nic_tx_frames++;
    }
    S.nic_tx.len = 0;
    S.nic_tx_oversize = 0;
}

int cosim_dpi_nic_rx(long long *data, int *keep, int *last)
{
    nic_frame *f = S.nic_head;
    if (!f)
        return 0;
    uint32_t n = f->len - f->off;
    if (n > 8)
        n = 8;
    uint64_t d = 0;
    for (uint32_t i = 0; i < n; i++)
        d |= (uint64_t)f->data[f->off + i] << (8 * i);
    *data = (long long)d;
    *keep = (int)((1u << n) - 1u);
    f->off += n;
    *last = f->off >= f->len;
    if (*last) {
        S.nic_head = f->next;
        if (!S.nic_head)
            S.nic_tail = NULL;
        S.nic_count--;
        free(f->data);
        free(f);
    }
    return 1;
}

void cosim_dpi_uart_tx(int ch)
{
    traffic();
    if (S.uart_tx.len >= UART_TX_MAX) {
        if (!S.uart_tx_drop_warned)
            LOGW("UART TX backlog over %u bytes: dropping", UART_TX_MAX);
        S.uart_tx_drop_warned = 1;
        return;
    }
    bb_reserve(&S.uart_tx, S.uart_tx.len + 1);
    S.uart_tx.data[S.uart_tx.len++] = (uint8_t)ch;
    S.st.uart_tx_bytes++;
}

int cosim_dpi_uart_rx(int *ch)
{
    if (S.uart_rx_off >= S.uart_rx.len)
        return 0;
    *ch = S.uart_rx.data[S.uart_rx_off++];
    S.st.uart_rx_bytes++;
    if (S.uart_rx_off == S.uart_rx.len) {
        S.uart_rx.len = 0;
        S.uart_rx_off = 0;
    }
    return 1;
}

int cosim_dpi_reset_pop(void)
{
    if (!S.reset_count)
        return 0;
    S.reset_count--;
    return 1;
}

int cosim_dpi_cfg_pop(int *state)
{
    if (!S.cfg_new)
        return 0;
    S.cfg_new = 0;
    *state = S.cfg_state;
    return 1;
}

/* Not called anywhere on the hot path; frees the queues at exit. */
__attribute__((destructor)) static void cosim_q_free_all(void) { free_lists(); }
