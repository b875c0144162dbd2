/*
 * qemu-hdl-bridge DPI-C shim, ZeroMQ transport (cosim_shim.h).
 *
 * Moves the queue layer's messages (cosim_queue.c) over one ZeroMQ DEALER
 * socket to the broker, wire protocol v1 (cosim_wire.h): sends the outbound
 * FIFO, hands every inbound multipart message to cosim_q_push, and watches
 * the broker's liveness. The cosim-sim harness (dpi/harness/main.cpp) links
 * both halves; the N-API model library links only the queue layer.
 *
 * Single-threaded by design: the model's eval thread calls everything.
 */
#define _POSIX_C_SOURCE 200809L

#include "cosim_curve.h"
#include "cosim_defaults.h"
#include "cosim_queue.h"
#include "cosim_shim.h"
#include "cosim_wire.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#define LOGE(...) cosim_shim_log(COSIM_LOG_ERROR, __VA_ARGS__)
#define LOGI(...) cosim_shim_log(COSIM_LOG_INFO, __VA_ARGS__)

static struct {
    char endpoint[512];
    int connect_timeout_ms, peer_timeout_ms;

    /* socket */
    void *ctx, *sock;
    void *mon; /* handshake failures, with CURVE keys */
    int fd;    /* the socket's ZMQ_FD: readable once a command (such as "a message came") is queued */
    /*
     * The last call on the socket was a receive that found nothing: it took
     * in every queued command, so ZMQ_FD turns readable for the next
     * message and a poll() on it is the whole check. A send may take in
     * commands too, so sending clears it.
     */
    int quiet;
    int open;

    /* liveness */
    uint64_t open_ms, hello_sent_ms, last_rx_ms;
    int hello_sent, connected;
} S = {
    .connect_timeout_ms = COSIM_DEFAULT_CONNECT_TIMEOUT_MS,
    .peer_timeout_ms = COSIM_DEFAULT_PEER_TIMEOUT_MS,
};

static void stop_with(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void stop_with(int status, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    cosim_shim_request_stop(status, reason);
}

/* Send as much of the FIFO as the socket takes. Returns messages sent. */
static int send_queued(void)
{
    int sent = 0;
    if (!S.open)
        return 0;
    uint8_t hb[COSIM_HDR_SIZE];
    const uint8_t *payload;
    uint32_t plen;
    while (cosim_q_out_peek(hb, &payload, &plen)) {
        int more = plen ? ZMQ_SNDMORE : 0;
        S.quiet = 0;
        if (zmq_send(S.sock, hb, COSIM_HDR_SIZE, ZMQ_DONTWAIT | more) < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break; /* high-water mark: keep it, retry next step */
            LOGE("zmq_send(%s) failed: %s", cosim_type_name(hb[6]), zmq_strerror(errno));
            break;
        }
        if (more && zmq_send(S.sock, payload, plen, ZMQ_DONTWAIT) < 0) {
            /* libzmq rolls the partial multipart message back */
            if (errno != EAGAIN && errno != EINTR)
                LOGE("zmq_send(%s payload) failed: %s", cosim_type_name(hb[6]), zmq_strerror(errno));
            break;
        }
        if (hb[6] == COSIM_HELLO && !S.hello_sent) {
            S.hello_sent = 1;
            S.hello_sent_ms = now_ms();
        }
        cosim_q_out_pop();
        sent++;
    }
    return sent;
}

/* Receive every waiting message. Returns how many (valid or not) came in. */
static int drain_inbound(void)
{
    int got = 0;
    if (!S.open)
        return 0;
    for (;;) {
        zmq_msg_t part[2];
        size_t nframes = 0;
        int more = 1, err = 0;
        zmq_msg_init(&part[0]);
        zmq_msg_init(&part[1]);
        while (more) {
            zmq_msg_t tmp, *m = nframes < 2 ? &part[nframes] : &tmp;
            if (nframes >= 2)
                zmq_msg_init(&tmp);
            int rc = zmq_msg_recv(m, S.sock, nframes == 0 ? ZMQ_DONTWAIT : 0);
            if (rc < 0) {
                if (nframes >= 2)
                    zmq_msg_close(&tmp);
                if (nframes == 0 && (errno == EAGAIN || errno == EINTR)) {
                    S.quiet = errno == EAGAIN;
                    err = 1;
                    break;
                }
                if (nframes == 0) {
                    LOGE("zmq_msg_recv failed: %s", zmq_strerror(errno));
                    err = 1;
                    break;
                }
                if (errno == EINTR)
                    continue; /* rest of the message is there: retry */
                LOGE("zmq_msg_recv failed mid-message: %s", zmq_strerror(errno));
                err = 2;
                break;
            }
            more = zmq_msg_more(m);
            if (nframes >= 2)
                zmq_msg_close(&tmp);
            nframes++;
        }
        if (err == 1) {
            zmq_msg_close(&part[0]);
            zmq_msg_close(&part[1]);
            break;
        }
        got++;
        S.quiet = 0;
        S.last_rx_ms = now_ms();
        if (!S.connected) { /* any inbound message proves a broker is there */
            S.connected = 1;
            LOGI("broker at %s answered", S.endpoint);
        }
        size_t plen = nframes >= 2 ? zmq_msg_size(&part[1]) : 0;
        const uint8_t *pb = nframes >= 2 ? (const uint8_t *)zmq_msg_data(&part[1]) : NULL;
        cosim_q_push((const uint8_t *)zmq_msg_data(&part[0]), zmq_msg_size(&part[0]), pb, plen, nframes, err == 2);
        zmq_msg_close(&part[0]);
        zmq_msg_close(&part[1]);
        if (cosim_shim_stopping())
            break;
    }
    return got;
}

/* ------------------------------------------------------------------------ */
/* transport API                                                             */

static void close_sockets(void)
{
    if (S.mon)
        zmq_close(S.mon);
    zmq_close(S.sock);
    zmq_ctx_term(S.ctx);
    S.mon = S.sock = S.ctx = NULL;
}

/* CURVE keys, and a monitor that tells a refused key from a silent broker. */
static int open_curve(const cosim_shim_opts *o, char *why, size_t n)
{
    if (cosim_curve_client(S.sock, o->curve_server_key, o->curve_key, why, n) != 0)
        return -1;
    S.mon = zmq_socket(S.ctx, ZMQ_PAIR);
    if (!S.mon ||
        zmq_socket_monitor(S.sock, "inproc://cosim-shim-monitor",
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0 ||
        zmq_connect(S.mon, "inproc://cosim-shim-monitor") != 0) {
        snprintf(why, n, "cannot monitor the ZeroMQ socket: %s", zmq_strerror(errno));
        return -1;
    }
    LOGI("CURVE: broker key from %s, own key from %s", o->curve_server_key, o->curve_key);
    return 0;
}

int cosim_shim_open(const cosim_shim_opts *o)
{
    if (S.open)
        return 0;
    if (!o || !o->endpoint || !*o->endpoint) {
        stop_with(COSIM_EXIT_LOCAL, "no endpoint given");
        return -1;
    }
    snprintf(S.endpoint, sizeof S.endpoint, "%s", o->endpoint);
    cosim_q_set_name(o->name);
    S.connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : COSIM_DEFAULT_CONNECT_TIMEOUT_MS;
    S.peer_timeout_ms = o->peer_timeout_ms > 0 ? o->peer_timeout_ms : COSIM_DEFAULT_PEER_TIMEOUT_MS;
    if (o->log_level >= 0)
        cosim_shim_set_log_level(o->log_level);

    S.ctx = zmq_ctx_new();
    if (!S.ctx) {
        stop_with(COSIM_EXIT_LOCAL, "zmq_ctx_new failed: %s", zmq_strerror(errno));
        return -1;
    }
    zmq_ctx_set(S.ctx, ZMQ_IO_THREADS, 1);
    S.sock = zmq_socket(S.ctx, ZMQ_DEALER);
    if (!S.sock) {
        stop_with(COSIM_EXIT_LOCAL, "zmq_socket failed: %s", zmq_strerror(errno));
        zmq_ctx_term(S.ctx);
        S.ctx = NULL;
        return -1;
    }
    int linger = 0, hwm = 100000;
    /* The largest frame the protocol allows (ZMQ_MAXMSGSIZE is per frame), as
     * cosim-pcie and the broker set it: ZeroMQ drops the connection of a
     * sender of anything larger before it is buffered. */
    int64_t maxmsg = COSIM_HDR_SIZE > COSIM_MAX_PAYLOAD ? COSIM_HDR_SIZE : COSIM_MAX_PAYLOAD;
    zmq_setsockopt(S.sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(S.sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(S.sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(S.sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    char why[512];
    if ((o->curve_server_key || o->curve_key) && open_curve(o, why, sizeof why) != 0) {
        stop_with(COSIM_EXIT_LOCAL, "%s", why);
        close_sockets();
        return -1;
    }
    if (zmq_connect(S.sock, S.endpoint) != 0) {
        stop_with(COSIM_EXIT_LOCAL, "cannot connect to %s: %s", S.endpoint, zmq_strerror(errno));
        close_sockets();
        return -1;
    }
    size_t fd_len = sizeof S.fd;
    if (zmq_getsockopt(S.sock, ZMQ_FD, &S.fd, &fd_len) != 0) {
        stop_with(COSIM_EXIT_LOCAL, "cannot get the ZeroMQ socket's file descriptor: %s", zmq_strerror(errno));
        close_sockets();
        return -1;
    }
    S.quiet = 0;
    S.open = 1;
    S.open_ms = now_ms();
    LOGI("connecting to broker at %s as '%s' (connect timeout %d ms, peer timeout %d ms)", S.endpoint, cosim_q_name(),
         S.connect_timeout_ms, S.peer_timeout_ms);
    return 0;
}

static void check_timeouts(void)
{
    if (cosim_shim_stopping() || !S.open)
        return;
    uint64_t now = now_ms();
    uint16_t event;
    uint32_t value;
    while (S.mon && cosim_monitor_next(S.mon, &event, &value) == 0) {
        const char *failed = cosim_curve_failure(event, value);
        if (failed) {
            stop_with(COSIM_EXIT_BROKER_LOST, "%s (broker %s)", failed, S.endpoint);
            return;
        }
    }
    if (!S.connected) {
        if (!S.hello_sent) {
            if (now - S.open_ms > (uint64_t)S.connect_timeout_ms)
                stop_with(COSIM_EXIT_LOCAL,
                          "the RTL did not call cosim_dpi_announce within %d ms (is the SV bridge endpoint in the design?)",
                          S.connect_timeout_ms);
            return;
        }
        if (now - S.hello_sent_ms > (uint64_t)S.connect_timeout_ms)
            stop_with(COSIM_EXIT_BROKER_LOST, "no broker answered at %s within %d ms", S.endpoint,
                      S.connect_timeout_ms);
        return;
    }
    if (now - S.last_rx_ms > (uint64_t)S.peer_timeout_ms)
        stop_with(COSIM_EXIT_BROKER_LOST, "broker at %s went silent for %llu ms", S.endpoint,
                  (unsigned long long)(now - S.last_rx_ms));
}

/* poll() on ZMQ_FD: > 0 once a command is queued (only meaningful while S.quiet). */
static int fd_readable(long ms)
{
    struct pollfd p = {.fd = S.fd, .events = POLLIN, .revents = 0};
    int rc = poll(&p, 1, (int)ms);
    if (rc < 0 && errno != EINTR)
        LOGE("poll on the ZeroMQ socket failed: %s", strerror(errno));
    return rc;
}

int cosim_shim_transport(int timeout_ms)
{
    if (cosim_shim_stopping() || !S.open)
        return -1;
    cosim_q_flush();
    send_queued();
    /*
     * A quiet socket is asked with one poll() on ZMQ_FD instead of a receive
     * that fails (libzmq checks its command queue with two system calls):
     * the host calls this after every batch, several times per MMIO read.
     */
    int got = 0;
    if (!S.quiet || (timeout_ms <= 0 && fd_readable(0) > 0))
        got = drain_inbound();
    if (got)
        send_queued(); /* PONGs, ERROR replies */
    if (!got && timeout_ms > 0 && !cosim_shim_stopping()) {
        /* Wake up in time to notice a connect/peer timeout. */
        uint64_t now = now_ms();
        uint64_t deadline;
        if (S.connected)
            deadline = S.last_rx_ms + (uint64_t)S.peer_timeout_ms + 1;
        else if (S.hello_sent)
            deadline = S.hello_sent_ms + (uint64_t)S.connect_timeout_ms + 1;
        else
            deadline = S.open_ms + (uint64_t)S.connect_timeout_ms + 1;
        uint64_t until = now + (uint64_t)timeout_ms;
        if (deadline < until)
            until = deadline > now ? deadline : now;
        /*
         * Wait on ZMQ_FD, not zmq_poll (which asks ZMQ_EVENTS before and
         * after, more system calls on every MMIO read). The socket is quiet
         * here, so a message makes the descriptor readable; a wake-up for
         * another command (a connection event) waits again for the rest.
         */
        while (!got && S.quiet && !cosim_shim_stopping() && fd_readable((long)(until - now)) > 0) {
            got = drain_inbound();
            now = now_ms();
            if (now >= until)
                break;
        }
        if (got)
            send_queued();
    }
    check_timeouts();
    return cosim_shim_stopping() ? -1 : got;
}


void cosim_shim_close(void)
{
    if (!S.open)
        return;
    if (!cosim_shim_stopping() || cosim_shim_exit_status() != COSIM_EXIT_BROKER_LOST) {
        cosim_q_flush();
        cosim_hdr h;
        cosim_hdr_init(&h, COSIM_SHUTDOWN);
        cosim_q_enqueue(&h, NULL, 0);
        send_queued();
        /* Linger briefly so SHUTDOWN leaves; bounded so a dead broker
         * cannot hold the process. */
        int linger = 250;
        zmq_setsockopt(S.sock, ZMQ_LINGER, &linger, sizeof linger);
    }
    close_sockets();
    S.open = 0;
    cosim_q_out_clear();
}

