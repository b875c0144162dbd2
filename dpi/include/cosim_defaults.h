/*
 * qemu-hdl-bridge defaults shared by every side: the C peers (the DPI shim,
 * the cosim-sim harness, cosim-pcie) include this header, and
 * bridge/src/defaults.ts mirrors it for the broker and the TypeScript peers
 * (test/unit/defaults.test.ts fails if the two drift apart). The QEMU patch
 * carries a verbatim copy as include/hw/misc/cosim_defaults.h.
 */
#ifndef COSIM_DEFAULTS_H
#define COSIM_DEFAULTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Silence after which a peer counts the broker as gone, and the broker a peer. */
#define COSIM_DEFAULT_PEER_TIMEOUT_MS 5000
/* A peer's wait for the broker's first answer. */
#define COSIM_DEFAULT_CONNECT_TIMEOUT_MS 5000
/* cosim-pcie: the handshake's wait in realize, and each MMIO read's. */
#define COSIM_DEFAULT_MMIO_TIMEOUT_MS 5000
/* cosim-pcie: silence after which the broker counts as gone (it PINGs a quiet link at a quarter of it). */
#define COSIM_DEFAULT_DEVICE_PEER_TIMEOUT_MS 3000

/*
 * The broker's default endpoint for one side ("qemu" or "hdl"):
 * ipc://$XDG_RUNTIME_DIR/cosim-$UID/SIDE.sock, with $TMPDIR, then /tmp, when
 * it is unset, as the broker (bridge/src/defaults.ts) has it.
 */
static inline void cosim_default_endpoint(const char *side, char *buf, size_t n)
{
    const char *dir = getenv("XDG_RUNTIME_DIR");
    size_t len;

    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    snprintf(buf, n, "ipc://%.*s/cosim-%u/%s.sock", (int)len, dir, (unsigned)getuid(), side);
}

#endif
