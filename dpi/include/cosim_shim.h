/*
 * The harness-facing transport API of the DPI-C shim (dpi/shim/cosim_shim.c).
 *
 * The SV bridge calls the cosim_dpi_* functions (cosim_dpi.h); they only touch
 * in-memory queues. A simulator harness (dpi/harness/main.cpp, or any other
 * simulator's main loop) moves those queues over ZeroMQ with the calls below.
 * Everything here must be called from one thread: the one that evaluates the
 * model.
 *
 * Use: cosim_shim_open(&opts); construct the model and evaluate time 0 (the
 * SV calls cosim_dpi_announce); run the engine's host loop (cosim_model.h:
 * CosimSim::run with COSIM_RUN_STEP, then cosim_shim_transport(0), then
 * CosimSim::next to choose the wait; dpi/harness/main.cpp is the one copy of
 * it); cosim_shim_close(); return cosim_shim_exit_status().
 */
#ifndef COSIM_SHIM_H
#define COSIM_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum cosim_log_level {
    COSIM_LOG_ERROR = 0,
    COSIM_LOG_WARN = 1,
    COSIM_LOG_INFO = 2,
    COSIM_LOG_DEBUG = 3,
};

/* Exit statuses cosim_shim_exit_status() reports. */
enum cosim_shim_status {
    COSIM_EXIT_OK = 0,          /* still running, SHUTDOWN from the broker, or a local clean stop */
    COSIM_EXIT_LOCAL = 2,       /* local setup problem: bad endpoint, no announce from the RTL */
    COSIM_EXIT_BROKER_LOST = 3, /* no broker answered, or it went silent */
};

typedef struct cosim_shim_opts {
    const char *endpoint;   /* "ipc://..." or "tcp://host:port"; required */
    const char *name;       /* device name sent in HELLO; NULL = "dev0" */
    int connect_timeout_ms; /* first broker message must arrive within this; <= 0 = COSIM_DEFAULT_CONNECT_TIMEOUT_MS */
    int peer_timeout_ms;    /* silence after which the broker counts as gone; <= 0 = COSIM_DEFAULT_PEER_TIMEOUT_MS */
    int log_level;          /* enum cosim_log_level; < 0 = COSIM_LOG_INFO */
    const char *curve_server_key; /* CURVE: the broker's public key file (NAME.key); NULL = no CURVE */
    const char *curve_key;        /* CURVE: this peer's secret key file (NAME.key_secret) */
} cosim_shim_opts;

typedef struct cosim_shim_stats {
    uint64_t msgs_in, msgs_out;   /* ZeroMQ messages received / sent */
    uint64_t bytes_in, bytes_out; /* header + payload bytes */
    uint64_t bad_frames;          /* inbound frames that failed validation */
    uint64_t errors_sent;         /* ERROR messages sent */
    uint64_t errors_received;     /* ERROR messages received */
    uint64_t mmio_reads, mmio_writes;
    uint64_t dma_reads, dma_read_bytes;
    uint64_t dma_writes, dma_write_bytes; /* DMA_WRITE messages / bytes */
    uint64_t msix;
    uint64_t nic_tx_frames, nic_rx_frames, nic_tx_dropped;
    uint64_t uart_tx_bytes, uart_rx_bytes;
    uint64_t resets;
} cosim_shim_stats;

/* Create the ZeroMQ context and the DEALER socket, connect to o->endpoint.
 * Returns 0, or -1 (logged; cosim_shim_stopping() is then true). The DPI
 * functions may be called before this: they only queue. */
int cosim_shim_open(const cosim_shim_opts *o);

/* Send every queued outbound message, then drain every inbound one. If nothing
 * came in and timeout_ms > 0, wait on the socket (its ZMQ_FD) up to timeout_ms for the first
 * inbound message and drain again. Also checks the connect and peer timeouts.
 * Returns the number of inbound messages taken in (>= 0), or -1 once stopping. */
int cosim_shim_transport(int timeout_ms);

/* 1 if something latency-critical waits in the outbound queue (an MMIO read
 * completion or a DMA read request): the harness should stop clocking and call
 * cosim_shim_transport(0) now. */
int cosim_shim_urgent(void);

/* 1 if the SV said idle (cosim_dpi_idle(1)), no inbound work is queued and no
 * DMA read is outstanding: the harness may block on the socket. */
int cosim_shim_idle(void);

/* 1 if DMA reads are outstanding, no inbound work is queued and the RTL has
 * handed over nothing (DMA write beats or requests, interrupts, frames,
 * bytes) for 16 cycles: it waits for host memory, the harness may wait
 * briefly on the socket instead of clocking. */
int cosim_shim_waiting(void);

/* 1 once the shim decided to stop (SHUTDOWN, broker lost, setup failure, or
 * cosim_shim_request_stop). */
int cosim_shim_stopping(void);
const char *cosim_shim_stop_reason(void); /* "" while running */
int cosim_shim_exit_status(void);         /* enum cosim_shim_status */

/* Ask the shim to stop (signal, --max-cycles, $finish); status/reason are kept
 * if the shim already stopped for another reason. */
void cosim_shim_request_stop(int status, const char *reason);

/* Flush what is queued, send SHUTDOWN (unless the socket is gone), close the
 * socket (short bounded linger so SHUTDOWN leaves) and the context. Safe to
 * call twice. */
void cosim_shim_close(void);

void cosim_shim_get_stats(cosim_shim_stats *out);
uint64_t cosim_shim_cycle(void); /* last cycle cosim_dpi_pending reported */

/* The shim's logger: "[sim] cycle=N level: message" on stderr. */
void cosim_shim_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cosim_shim_set_log_level(int level);
/* Parses "error", "warn", "info", "debug" (or 0..3); -1 if unknown. */
int cosim_shim_parse_log_level(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* COSIM_SHIM_H */
