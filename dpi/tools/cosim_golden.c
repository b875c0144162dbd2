/*
 * Golden-vector checker for the C side of the wire protocol. It decodes and
 * encodes with dpi/include/cosim_wire.h only, so test/unit/codec-golden.test.ts
 * can hold the C codec and the TypeScript codec to the same bytes.
 *
 *   cosim_golden decode FILE...   one canonical line per file: the header's
 *                                 fields, then payload=HEX with every payload
 *                                 byte (not a prefix), then CONF's fields,
 *                                 or DELIVERED's check (delivered_ok=0|1)
 *   cosim_golden encode TYPE FLAGS TAG INDEX ADDRESS LENGTH CYCLE [PAYLOAD_HEX]
 *                                 writes header + payload bytes to stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include "cosim_wire.h"

static int decode_file(const char *path)
{
    static uint8_t buf[COSIM_HDR_SIZE + COSIM_MAX_PAYLOAD + 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cosim_golden: cannot open %s\n", path);
        return 1;
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cosim_hdr h;
    size_t hlen = n < COSIM_HDR_SIZE ? n : COSIM_HDR_SIZE;
    int rc = cosim_hdr_decode(&h, buf, hlen);
    printf("rc=%d type=%u flags=%u tag=%u index=%u address=%llu length=%u payload_len=%u cycle=%llu",
           rc, h.type, h.flags, h.tag, h.index, (unsigned long long)h.address, h.length, h.payload_len,
           (unsigned long long)h.cycle);
    if (rc == COSIM_DEC_OK && n - COSIM_HDR_SIZE != h.payload_len)
        printf(" payload_mismatch=%zu", n - COSIM_HDR_SIZE);
    if (rc == COSIM_DEC_OK) {
        /* Every byte the file holds after the header, so that a payload which
         * differs anywhere (not only in a prefix) gives a different line. */
        printf(" payload=");
        for (size_t i = COSIM_HDR_SIZE; i < n; i++)
            printf("%02x", buf[i]);
    }
    if (rc == COSIM_DEC_OK && h.type == COSIM_DELIVERED)
        printf(" delivered_ok=%d", cosim_delivered_ok(&h) && n - COSIM_HDR_SIZE == h.payload_len);
    if (rc == COSIM_DEC_OK && h.type == COSIM_CONF) {
        cosim_conf c;
        if (cosim_conf_decode(&c, buf + COSIM_HDR_SIZE, n - COSIM_HDR_SIZE) == 0) {
            printf(" conf=%04x:%04x:%04x:%04x:%06x:%u msix=%u@%u+%llu,%u+%llu", c.vendor_id, c.device_id,
                   c.subsys_vendor_id, c.subsys_id, c.class_code, c.revision, c.msix_vectors, c.msix_table_bar,
                   (unsigned long long)c.msix_table_offset, c.msix_pba_bar, (unsigned long long)c.msix_pba_offset);
            for (unsigned i = 0; i < COSIM_NUM_BARS; i++)
                printf(" bar%u=%llu/%u", i, (unsigned long long)c.bar[i].size, c.bar[i].flags);
            /* Re-encoding must reproduce the exact payload bytes. */
            uint8_t again[COSIM_CONF_SIZE];
            cosim_conf_encode(again, &c);
            printf(" conf_reencode=%s", memcmp(again, buf + COSIM_HDR_SIZE, COSIM_CONF_SIZE) ? "differs" : "same");
        }
    }
    printf("\n");
    return 0;
}

static int encode(int argc, char **argv)
{
    if (argc < 7 || argc > 8) {
        fprintf(stderr, "usage: cosim_golden encode TYPE FLAGS TAG INDEX ADDRESS LENGTH CYCLE [PAYLOAD_HEX]\n");
        return 2;
    }
    static uint8_t payload[COSIM_MAX_PAYLOAD];
    size_t plen = 0;
    if (argc == 8) {
        const char *hex = argv[7];
        for (; hex[0] && hex[1] && plen < sizeof(payload); hex += 2) {
            unsigned v;
            if (sscanf(hex, "%2x", &v) != 1)
                return 2;
            payload[plen++] = (uint8_t)v;
        }
    }
    cosim_hdr h;
    cosim_hdr_init(&h, (uint8_t)strtoul(argv[0], NULL, 0));
    h.flags = (uint8_t)strtoul(argv[1], NULL, 0);
    h.tag = (uint32_t)strtoul(argv[2], NULL, 0);
    h.index = (uint16_t)strtoul(argv[3], NULL, 0);
    h.address = strtoull(argv[4], NULL, 0);
    h.length = (uint32_t)strtoul(argv[5], NULL, 0);
    h.cycle = strtoull(argv[6], NULL, 0);
    h.payload_len = (uint32_t)plen;
    uint8_t out[COSIM_HDR_SIZE];
    cosim_hdr_encode(out, &h);
    fwrite(out, 1, sizeof(out), stdout);
    fwrite(payload, 1, plen, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "decode")) {
        int rc = 0;
        for (int i = 2; i < argc; i++)
            rc |= decode_file(argv[i]);
        return rc;
    }
    if (argc >= 2 && !strcmp(argv[1], "encode"))
        return encode(argc - 2, argv + 2);
    fprintf(stderr, "usage: cosim_golden decode FILE... | encode TYPE FLAGS TAG INDEX ADDRESS LENGTH CYCLE [PAYLOAD_HEX]\n");
    return 2;
}
