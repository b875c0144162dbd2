/*
 * The queue layer of the DPI-C shim (dpi/shim/cosim_queue.c): everything the
 * shim does except moving bytes. It owns the in-memory queues the SV bridge's
 * DPI calls (cosim_dpi.h) touch, validates and dispatches inbound protocol
 * messages, and keeps one ordered FIFO of outbound messages.
 *
 * A transport moves whole wire messages (cosim_wire.h: a 40-byte header and
 * an optional payload) between this layer and the broker:
 *   - dpi/shim/cosim_shim.c: ZeroMQ DEALER socket (the cosim-sim harness);
 *   - dpi/model/model_api.cpp: none at all; the N-API addon pushes and pops
 *     the frames from JavaScript (the testbench and the in-process HDL peer).
 *
 * The harness-facing queries (cosim_shim_urgent/idle/waiting/stopping, stats,
 * logging) are declared in cosim_shim.h and implemented by this layer.
 * Single-threaded: the thread that evaluates the model calls everything.
 */
#ifndef COSIM_QUEUE_H
#define COSIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "cosim_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device name for HELLO (queued by cosim_dpi_announce); NULL = "dev0". */
void cosim_q_set_name(const char *name);
const char *cosim_q_name(void);

/* 1 once the RTL called cosim_dpi_announce (HELLO + CONF are queued). */
int cosim_q_announced(void);

/*
 * One inbound message, exactly as it came off the wire: the header frame
 * (hdr_len bytes, must be COSIM_HDR_SIZE), the payload frame if any, and the
 * number of frames the transport saw (1 or 2; anything else is refused).
 * truncated != 0: the transport lost the rest of the message.
 * Validates like every receiver must (docs/protocol.md); a bad message is
 * counted, logged and answered with ERROR. Returns 1 if it was taken, 0 if
 * it was refused. After a HELLO with COSIM_F_TRACE (until a HELLO without
 * it), every message but HELLO, PING and PONG is stamped with the current
 * cycle first, taken or not (see COSIM_DELIVERED in cosim_wire.h).
 */
int cosim_q_push(const uint8_t *hdr, size_t hdr_len, const uint8_t *payload, size_t payload_len, size_t nframes,
                 int truncated);

/* The oldest outbound message, encoded: copies its header into hdr and
 * points *payload at its payload (valid until cosim_q_out_pop). Returns 1,
 * or 0 when the FIFO is empty. Pending delivery stamps are queued first, as
 * one DELIVERED behind every earlier message. */
int cosim_q_out_peek(uint8_t hdr[COSIM_HDR_SIZE], const uint8_t **payload, uint32_t *payload_len);
/* Drops the oldest outbound message (it was sent). */
void cosim_q_out_pop(void);
/* Number of messages in the outbound FIFO. */
size_t cosim_q_out_count(void);
/* Nonzero if a message is queued or UART bytes wait to be coalesced into one. */
int cosim_q_out_pending(void);
/* Drops every outbound message and pending delivery stamp (the transport is gone). */
void cosim_q_out_clear(void);

/* Moves the coalesced DMA write and UART TX bytes, then the pending delivery
 * stamps, into the FIFO; a transport calls it before sending. */
void cosim_q_flush(void);

/* Queues a message behind every earlier one (and every earlier DMA write).
 * h->payload_len and h->cycle are filled in. */
void cosim_q_enqueue(const cosim_hdr *h, const void *payload, uint32_t payload_len);

/* Frees every queue and forgets every state (stop reason, announce,
 * statistics, tags): a fresh shim for a fresh model in the same process.
 * The log level and name are kept. */
void cosim_q_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* COSIM_QUEUE_H */
