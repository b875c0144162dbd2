/*
 * Round-trip baselines for the benchmarks (test/bench/mmio-rtt.bench.ts,
 * test/bench/dma-throughput.bench.ts).
 *
 *   zmq_rtt router-echo EP          ROUTER that echoes every message back
 *   zmq_rtt dealer EP N             DEALER: N round trips of a 40-byte frame,
 *                                   prints "p50_us=.. p99_us=.. n=N"
 *   zmq_rtt dealer-window EP SIZE WINDOW N
 *                                   DEALER: N echoes of a SIZE-byte message,
 *                                   WINDOW of them in flight; prints
 *                                   "mb_per_s=.. n=N" (bytes echoed per second)
 *   zmq_rtt hdl-echo EP NAME        an HDL peer in C: announces a 4 KiB BAR0 and
 *                                   completes every MMIO read at once, so the
 *                                   broker's own cost can be told from the RTL's
 *   zmq_rtt qemu-reads EP NAME N BAR OFF
 *                                   a QEMU-side peer in C: HELLO, INIT, then N
 *                                   4-byte MMIO reads through the broker; prints
 *                                   the same line as `dealer`
 *   zmq_rtt relay QEMU_EP HDL_EP    the least a relay can do, in C: two ROUTERs,
 *                                   each message forwarded to the other side's
 *                                   last peer; it answers HELLO, and INIT with
 *                                   the HDL peer's CONF, keeps SHUTDOWN, and
 *                                   checks nothing. The floor for the broker on
 *                                   the same path.
 *
 * All stop on SIGTERM or when the peer sends SHUTDOWN. A client that gets
 * no answer says so and exits 1 at once (zmq_ctx_term would wait for its
 * open socket).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zmq.h>
#include "cosim_defaults.h"
#include "cosim_wire.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *socket_at(void *ctx, int type, const char *ep, int bind)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0, timeout = 200;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if ((bind ? zmq_bind(s, ep) : zmq_connect(s, ep)) != 0) {
        fprintf(stderr, "zmq_rtt: %s %s: %s\n", bind ? "bind" : "connect", ep, zmq_strerror(zmq_errno()));
        exit(2);
    }
    return s;
}

static int router_echo(void *ctx, const char *ep)
{
    void *s = socket_at(ctx, ZMQ_ROUTER, ep, 1);
    while (!stop) {
        zmq_msg_t parts[3];
        int n = 0, more = 1;
        while (more && n < 3) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], s, 0) < 0) break;
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (more) { /* timeout (or an over-long message): drop what we have */
            for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
            if (n) zmq_msg_close(&parts[n]);
            continue;
        }
        for (int i = 0; i < n; i++)
            zmq_msg_send(&parts[i], s, i + 1 < n ? ZMQ_SNDMORE : 0);
    }
    zmq_close(s);
    return 0;
}

static int dealer(void *ctx, const char *ep, int n)
{
    void *s = socket_at(ctx, ZMQ_DEALER, ep, 0);
    uint8_t frame[COSIM_HDR_SIZE] = {0}, back[COSIM_HDR_SIZE];
    double *lat = calloc((size_t)n, sizeof *lat);
    int timeout = COSIM_DEFAULT_PEER_TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    for (int i = -100; i < n; i++) { /* 100 warm-up round trips */
        double t0 = now_us();
        zmq_send(s, frame, sizeof frame, 0);
        if (zmq_recv(s, back, sizeof back, 0) < 0) {
            fprintf(stderr, "zmq_rtt: no echo from %s within 5 s\n", ep);
            exit(1);
        }
        if (i >= 0) lat[i] = now_us() - t0;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("p50_us=%.2f p99_us=%.2f n=%d\n", lat[n / 2], lat[(int)(n * 0.99)], n);
    free(lat);
    zmq_close(s);
    return 0;
}

static int dealer_window(void *ctx, const char *ep, int size, int window, int n)
{
    void *s = socket_at(ctx, ZMQ_DEALER, ep, 0);
    uint8_t *msg = calloc((size_t)size, 1), *back = malloc((size_t)size);
    int timeout = COSIM_DEFAULT_PEER_TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int sent = 0, got = 0;
    double t0 = now_us();
    while (got < n) {
        while (sent < n && sent - got < window) {
            zmq_send(s, msg, (size_t)size, 0);
            sent++;
        }
        if (zmq_recv(s, back, (size_t)size, 0) < 0) {
            fprintf(stderr, "zmq_rtt: echo %d of %d did not come back from %s within %d ms\n", got + 1, n, ep, timeout);
            exit(1);
        }
        got++;
    }
    double secs = (now_us() - t0) / 1e6;
    printf("mb_per_s=%.1f n=%d size=%d window=%d\n", (double)n * size / secs / 1e6, n, size, window);
    free(msg);
    free(back);
    zmq_close(s);
    return 0;
}

static void send_msg(void *s, const cosim_hdr *h, const void *payload)
{
    uint8_t buf[COSIM_HDR_SIZE];
    cosim_hdr_encode(buf, h);
    zmq_send(s, buf, sizeof buf, h->payload_len ? ZMQ_SNDMORE : 0);
    if (h->payload_len) zmq_send(s, payload, h->payload_len, 0);
}

static int hdl_echo(void *ctx, const char *ep, const char *name)
{
    void *s = socket_at(ctx, ZMQ_DEALER, ep, 0);
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_HELLO);
    h.index = COSIM_ROLE_HDL;
    h.payload_len = (uint32_t)strlen(name);
    send_msg(s, &h, name);
    cosim_conf c = {0};
    c.vendor_id = 0x1234;
    c.device_id = 0xbe0c;
    c.bar[0].size = 4096;
    uint8_t conf[COSIM_CONF_SIZE];
    cosim_conf_encode(conf, &c);
    cosim_hdr_init(&h, COSIM_CONF);
    h.payload_len = COSIM_CONF_SIZE;
    send_msg(s, &h, conf);
    while (!stop) {
        uint8_t buf[COSIM_HDR_SIZE], payload[COSIM_MAX_PAYLOAD];
        int n = zmq_recv(s, buf, sizeof buf, 0);
        if (n < 0) continue;
        int more = 0;
        size_t sz = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz);
        if (more) zmq_recv(s, payload, sizeof payload, 0);
        if (cosim_hdr_decode(&h, buf, (size_t)n) != COSIM_DEC_OK) continue;
        if (h.type == COSIM_SHUTDOWN) break;
        if (h.type == COSIM_PING) {
            h.type = COSIM_PONG;
            send_msg(s, &h, NULL);
        } else if (h.type == COSIM_MMIO_READ) {
            uint8_t data[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
            h.type = COSIM_MMIO_READ_CPL;
            h.payload_len = h.length;
            send_msg(s, &h, data);
        }
    }
    zmq_close(s);
    return 0;
}

/* Receives one message, answering PINGs on the way; returns its header. */
static int recv_reply(void *s, cosim_hdr *h)
{
    for (;;) {
        uint8_t buf[COSIM_HDR_SIZE], payload[COSIM_MAX_PAYLOAD];
        int n = zmq_recv(s, buf, sizeof buf, 0);
        if (n < 0) return -1;
        int more = 0;
        size_t sz = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz);
        if (more) zmq_recv(s, payload, sizeof payload, 0);
        if (cosim_hdr_decode(h, buf, (size_t)n) != COSIM_DEC_OK) return -1;
        if (h->type != COSIM_PING) return 0;
        h->type = COSIM_PONG;
        send_msg(s, h, NULL);
    }
}

static int qemu_reads(void *ctx, const char *ep, const char *name, int n, int bar, uint64_t off)
{
    void *s = socket_at(ctx, ZMQ_DEALER, ep, 0);
    int timeout = COSIM_DEFAULT_PEER_TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    cosim_hdr h;
    cosim_hdr_init(&h, COSIM_HELLO);
    h.index = COSIM_ROLE_QEMU;
    h.payload_len = (uint32_t)strlen(name);
    send_msg(s, &h, name);
    cosim_hdr_init(&h, COSIM_INIT);
    h.tag = 1;
    send_msg(s, &h, NULL);
    while (recv_reply(s, &h) == 0 && h.type != COSIM_CONF)
        if (h.type == COSIM_ERROR) break;
    if (h.type != COSIM_CONF) {
        fprintf(stderr, "zmq_rtt: no CONF from the broker at %s\n", ep);
        exit(1);
    }
    double *lat = calloc((size_t)n, sizeof *lat);
    for (int i = -100; i < n; i++) {
        cosim_hdr r;
        cosim_hdr_init(&r, COSIM_MMIO_READ);
        r.tag = (uint32_t)(i + 1000);
        r.index = (uint16_t)bar;
        r.address = off;
        r.length = 4;
        double t0 = now_us();
        send_msg(s, &r, NULL);
        if (recv_reply(s, &h) != 0 || h.type != COSIM_MMIO_READ_CPL || h.tag != r.tag) {
            fprintf(stderr, "zmq_rtt: MMIO read tag %u: no completion (got type 0x%x)\n", r.tag, h.type);
            exit(1);
        }
        if (i >= 0) lat[i] = now_us() - t0;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("p50_us=%.2f p99_us=%.2f n=%d\n", lat[n / 2], lat[(int)(n * 0.99)], n);
    cosim_hdr_init(&h, COSIM_SHUTDOWN);
    send_msg(s, &h, NULL);
    free(lat);
    zmq_close(s);
    return 0;
}

/*
 * Receives one message from a ROUTER without waiting: its routing id and up to
 * two frames in parts; returns the frame count, 0 if none. Longer messages
 * are dropped (the broker forbids them too).
 */
static int recv_parts(void *s, zmq_msg_t parts[3])
{
    for (;;) {
        int n = 0;
        for (;;) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            int more = zmq_msg_more(&m);
            if (n < 3) parts[n] = m;
            else zmq_msg_close(&m);
            n++;
            if (!more) break;
        }
        if (n <= 3) return n;
        for (int i = 0; i < 3; i++) zmq_msg_close(&parts[i]);
    }
}

/* A header, and its payload if any, to the ROUTER peer `to`. */
static void send_msg_to(void *s, zmq_msg_t *to, const cosim_hdr *h, const void *payload)
{
    zmq_msg_t id;
    zmq_msg_init(&id);
    zmq_msg_copy(&id, to);
    zmq_msg_send(&id, s, ZMQ_SNDMORE);
    send_msg(s, h, payload);
}

static int relay(void *ctx, const char *qep, const char *hep)
{
    void *sock[2] = {socket_at(ctx, ZMQ_ROUTER, qep, 1), socket_at(ctx, ZMQ_ROUTER, hep, 1)};
    zmq_msg_t peer[2], conf; /* each side's last peer; the HDL peer's CONF */
    int have[2] = {0, 0}, have_conf = 0;
    zmq_msg_init(&peer[0]);
    zmq_msg_init(&peer[1]);
    zmq_msg_init(&conf);
    while (!stop) {
        zmq_pollitem_t it[2] = {{sock[0], 0, ZMQ_POLLIN, 0}, {sock[1], 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, 2, 200) <= 0) continue;
        for (int side = 0; side < 2; side++) { /* 0: QEMU side, 1: HDL side */
            zmq_msg_t parts[3];
            int n;
            while ((n = recv_parts(sock[side], parts)) > 0) {
                cosim_hdr h;
                int ok = n >= 2 && cosim_hdr_decode(&h, zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1])) == COSIM_DEC_OK;
                zmq_msg_copy(&peer[side], &parts[0]);
                have[side] = 1;
                if (ok && side == 1 && h.type == COSIM_CONF && n == 3) {
                    zmq_msg_copy(&conf, &parts[2]);
                    have_conf = 1;
                }
                if (ok && h.type == COSIM_HELLO) {
                    h.payload_len = 0;
                    send_msg_to(sock[side], &parts[0], &h, NULL);
                } else if (ok && side == 0 && h.type == COSIM_INIT && have_conf) {
                    h.type = COSIM_CONF;
                    h.payload_len = (uint32_t)zmq_msg_size(&conf);
                    send_msg_to(sock[0], &parts[0], &h, zmq_msg_data(&conf));
                } else if (ok && h.type != COSIM_CONF && h.type != COSIM_SHUTDOWN && have[!side]) {
                    zmq_msg_copy(&parts[0], &peer[!side]);
                    for (int i = 0; i < n; i++) zmq_msg_send(&parts[i], sock[!side], i + 1 < n ? ZMQ_SNDMORE : 0);
                }
                for (int i = 0; i < n; i++) zmq_msg_close(&parts[i]);
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        zmq_msg_close(&peer[i]);
        zmq_close(sock[i]);
    }
    zmq_msg_close(&conf);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    void *ctx = zmq_ctx_new();
    int rc = 2;
    if (argc == 3 && !strcmp(argv[1], "router-echo")) rc = router_echo(ctx, argv[2]);
    else if (argc == 4 && !strcmp(argv[1], "dealer")) rc = dealer(ctx, argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1000);
    else if (argc == 4 && !strcmp(argv[1], "hdl-echo")) rc = hdl_echo(ctx, argv[2], argv[3]);
    else if (argc == 6 && !strcmp(argv[1], "dealer-window") && atoi(argv[3]) > 0 && atoi(argv[4]) > 0 && atoi(argv[5]) > 0)
        rc = dealer_window(ctx, argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (argc == 4 && !strcmp(argv[1], "relay")) rc = relay(ctx, argv[2], argv[3]);
    else if (argc == 7 && !strcmp(argv[1], "qemu-reads"))
        rc = qemu_reads(ctx, argv[2], argv[3], atoi(argv[4]) > 0 ? atoi(argv[4]) : 1000, atoi(argv[5]), strtoull(argv[6], NULL, 0));
    else fprintf(stderr, "usage: zmq_rtt router-echo EP | dealer EP N | dealer-window EP SIZE WINDOW N | hdl-echo EP NAME |\n"
                      "       qemu-reads EP NAME N BAR OFF | relay QEMU_EP HDL_EP\n");
    zmq_ctx_term(ctx);
    return rc;
}
