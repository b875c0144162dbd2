/*
 * ZeroMQ CURVE for the C peers of the broker (the DPI shim and cosim-pcie):
 * reads the key files `cosim keygen` writes (NAME.key: the public key;
 * NAME.key_secret: both halves, as pyzmq's zmq.auth writes them) and gives a
 * client socket its keys. The QEMU patch carries a verbatim copy as
 * include/hw/misc/cosim_curve.h; bridge/src/protocol/curve.ts reads the same
 * files for the TypeScript side.
 */
#ifndef COSIM_CURVE_H
#define COSIM_CURVE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#define COSIM_CURVE_KEY_LEN 40 /* Z85 text of a 32-byte key */

/*
 * Copies the Z85 text of `field` ("public-key" or "secret-key") in `file`
 * into out[41]. Returns 0, or -1 with err naming the file (and the line).
 */
static inline int cosim_curve_read(const char *file, const char *field, char *out, char *err, size_t errlen)
{
    FILE *f = fopen(file, "r");
    char line[256];
    int lineno = 0;

    if (!f) {
        snprintf(err, errlen, "CURVE key file %s: %s", file, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        const char *p = line, *q;

        lineno++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, field, strlen(field)) != 0)
            continue;
        q = strchr(p, '"');
        if (!q || strlen(q + 1) < COSIM_CURVE_KEY_LEN + 1 || q[1 + COSIM_CURVE_KEY_LEN] != '"') {
            snprintf(err, errlen, "CURVE key file %s, line %d: %s must be 40 Z85 characters in quotes", file, lineno,
                     field);
            fclose(f);
            return -1;
        }
        memcpy(out, q + 1, COSIM_CURVE_KEY_LEN);
        out[COSIM_CURVE_KEY_LEN] = '\0';
        fclose(f);
        return 0;
    }
    fclose(f);
    snprintf(err, errlen, "CURVE key file %s has no %s%s", file, field,
             strcmp(field, "secret-key") == 0 ? " (give the .key_secret file `cosim keygen` wrote)" : "");
    return -1;
}

/*
 * Gives a client socket (before zmq_connect) the broker's public key from
 * server_key_file and its own pair from key_file (a .key_secret, readable by
 * its owner only). Returns 0, or -1 with err saying why.
 */
static inline int cosim_curve_client(void *sock, const char *server_key_file, const char *key_file, char *err,
                                     size_t errlen)
{
    char server[COSIM_CURVE_KEY_LEN + 1], pub[COSIM_CURVE_KEY_LEN + 1], sec[COSIM_CURVE_KEY_LEN + 1];
    struct stat st;

    if (!server_key_file || !*server_key_file || !key_file || !*key_file) {
        snprintf(err, errlen, "CURVE needs both the broker's public key file and this peer's secret key file");
        return -1;
    }
    if (cosim_curve_read(server_key_file, "public-key", server, err, errlen) != 0 ||
        cosim_curve_read(key_file, "public-key", pub, err, errlen) != 0 ||
        cosim_curve_read(key_file, "secret-key", sec, err, errlen) != 0)
        return -1;
    if (stat(key_file, &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, errlen, "CURVE secret key file %s may be read by others (mode %o): chmod 600 %s", key_file,
                 (unsigned)(st.st_mode & 0777), key_file);
        return -1;
    }
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, COSIM_CURVE_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, COSIM_CURVE_KEY_LEN + 1) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, COSIM_CURVE_KEY_LEN + 1) != 0) {
        snprintf(err, errlen, "cannot set the CURVE keys: %s (is libzmq built with CURVE?)", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/*
 * Takes the next event of a socket monitor (zmq_socket_monitor) without
 * waiting. Returns 0 with the event and its value, or -1 if none is queued.
 */
static inline int cosim_monitor_next(void *mon, uint16_t *event, uint32_t *value)
{
    zmq_msg_t ev, addr;

    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        return -1;
    }
    *event = 0;
    *value = 0;
    if (zmq_msg_size(&ev) >= 6) {
        /* Host byte order, as libzmq writes it. */
        memcpy(event, zmq_msg_data(&ev), sizeof *event);
        memcpy(value, (const char *)zmq_msg_data(&ev) + 2, sizeof *value);
    }
    if (zmq_msg_more(&ev)) {
        zmq_msg_init(&addr);
        zmq_msg_recv(&addr, mon, ZMQ_DONTWAIT);
        zmq_msg_close(&addr);
    }
    zmq_msg_close(&ev);
    return 0;
}

/* The text of a handshake failure event of a socket monitor, or NULL for other events. */
static inline const char *cosim_curve_failure(uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return value == 400 ? "the broker refused this peer's CURVE key (add its .key file to the broker's client keys)"
                            : "the broker's authentication failed";
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                   ? "CURVE on one side only (the broker and this peer must both have keys, or neither)"
                   : "the handshake with the broker failed (protocol or key error)";
    return NULL;
}

#endif
