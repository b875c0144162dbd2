/*
 * libFuzzer harness for the DPI shim's inbound decoder, cosim_q_push
 * (dpi/shim/cosim_queue.c): every message the broker sends the RTL goes
 * through it. Built by test/fuzz/shim-fuzz.ts with
 *   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
 * and run by `npm run fuzz` (seeded from the golden vectors in test/golden/).
 *
 * One input is a sequence of messages, each as the ZeroMQ transport would
 * hand it over, plus a control byte that plays the transport and the RTL:
 *
 *   ctl                  1 byte
 *   [hdr_len]            1 byte, only if ctl & CTL_HDR_LEN (else 40)
 *   header               hdr_len bytes (fewer if the input ends: a short header)
 *   payload              the header's payload_len bytes (its bytes 28..31 if
 *                        present, else 0), cut at the end of the input
 *
 *   ctl bits 0-1 (CTL_FRAMES): 0 = as the transport sees it (a payload frame
 *                iff there are payload bytes), 1 = a payload frame even when
 *                empty, 2 = 3 + (ctl >> 6) frames, 3 = truncated (a receive
 *                error mid-message)
 *   ctl bit 2 (CTL_HDR_LEN): the header length byte follows
 *   ctl bit 3 (CTL_DMA_READ): before the push the RTL starts a DMA read
 *                (AXI id ctl>>4 & 3, at the header's address, beats and beat
 *                size from its length field), so completions find a tag
 *   ctl bit 4 (CTL_RTL): after the push the RTL takes everything queued for
 *                it (MMIO accesses, answered; DMA read beats, NIC, UART,
 *                resets, config state) and the outbound FIFO is drained
 *   ctl bit 5 (CTL_ERR): the RTL answers those MMIO accesses with an error
 *
 * After every push the outbound FIFO must hold only well-formed messages,
 * and an ERROR must never be answered with an ERROR. Every input starts
 * from a fresh shim (cosim_q_reset), so a crash reproduces from its file.
 *
 * Counts: with COSIM_FUZZ_STATS=FILE, the number of inputs and of messages
 * pushed is written to FILE at exit ("inputs N frames N").
 */
#include "cosim_dpi.h"
#include "cosim_queue.h"
#include "cosim_shim.h"
#include "cosim_wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    CTL_FRAMES = 0x03,
    CTL_HDR_LEN = 0x04,
    CTL_DMA_READ = 0x08,
    CTL_RTL = 0x10,
    CTL_ERR = 0x20,
};

static unsigned long long n_inputs, n_frames;

static void write_stats(void)
{
    const char *path = getenv("COSIM_FUZZ_STATS");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "inputs %llu frames %llu\n", n_inputs, n_frames);
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cosim_shim_set_log_level(COSIM_LOG_ERROR);
    atexit(write_stats);
    return 0;
}

/* A message the shim queued for the broker must decode like any other. */
static void check_outbound(void)
{
    uint8_t hdr[COSIM_HDR_SIZE];
    const uint8_t *p = NULL;
    uint32_t plen = 0;
    while (cosim_q_out_peek(hdr, &p, &plen)) {
        cosim_hdr h;
        int dec = cosim_hdr_decode(&h, hdr, sizeof hdr);
        if (dec != COSIM_DEC_OK || h.reserved != 0 || h.payload_len != plen || (plen && !p) ||
            (h.type == COSIM_DELIVERED && !cosim_delivered_ok(&h))) {
            fprintf(stderr, "fuzz_q_push: the shim queued a malformed message: decode %d type 0x%02x payload_len %u/%u\n",
                    dec, h.type, h.payload_len, plen);
            abort();
        }
        if (plen) {
            /* Touch every byte, so that ASan sees a short buffer. */
            volatile uint8_t sum = 0;
            for (uint32_t i = 0; i < plen; i++)
                sum ^= p[i];
            (void)sum;
        }
        cosim_q_out_pop();
    }
}

/* The RTL side: takes everything queued for it, as the SV bridge would. */
static void run_rtl(int error)
{
    int is_write, tag, bar, len, axi_id, last, err, keep, ch, state;
    long long addr, wdata, data;
    for (int i = 0; i < 4096 && cosim_dpi_mmio_pop(&is_write, &tag, &bar, &addr, &len, &wdata); i++) {
        if (is_write)
            cosim_dpi_mmio_write_done(tag, error);
        else
            cosim_dpi_mmio_read_done(tag, (long long)0x0123456789abcdefULL, error);
    }
    for (int i = 0; i < 1 << 16 && cosim_dpi_dma_rbeat(&axi_id, &data, &last, &err); i++)
        ;
    for (int i = 0; i < 1 << 16 && cosim_dpi_nic_rx(&data, &keep, &last); i++)
        ;
    for (int i = 0; i < 1 << 16 && cosim_dpi_uart_rx(&ch); i++)
        ;
    while (cosim_dpi_reset_pop())
        ;
    cosim_dpi_cfg_pop(&state);
    (void)cosim_dpi_pending(0);
    cosim_q_flush();
    check_outbound();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t empty[1];
    size_t off = 0;
    uint64_t cycle = 0;
    n_inputs++;
    cosim_q_reset();
    cosim_q_set_name("fuzz");
    while (off < size) {
        uint8_t ctl = data[off++];
        size_t hlen = COSIM_HDR_SIZE;
        if (ctl & CTL_HDR_LEN) {
            if (off >= size)
                break;
            hlen = data[off++];
        }
        if (hlen > size - off)
            hlen = size - off;
        const uint8_t *hb = data + off;
        off += hlen;
        size_t plen = hlen >= 32 ? cosim_get32(hb + 28) : 0;
        if (plen > size - off)
            plen = size - off;
        const uint8_t *pb = plen ? data + off : NULL;
        off += plen;

        size_t nframes = plen ? 2 : 1;
        int truncated = 0;
        switch (ctl & CTL_FRAMES) {
        case 1:
            nframes = 2;
            if (!pb)
                pb = empty;
            break;
        case 2:
            nframes = 3 + (ctl >> 6);
            if (!pb)
                pb = empty;
            break;
        case 3:
            truncated = 1;
            break;
        }

        if ((ctl & CTL_DMA_READ) && hlen >= 28) {
            uint32_t length = cosim_get32(hb + 24);
            int beats = (int)(length & 0x1ff); /* 0 and >256 are refused by the shim: exercised too */
            int beat_bytes = (int)((length >> 9) & 0xf);
            cosim_dpi_dma_read((ctl >> 4) & 3, (long long)cosim_get64(hb + 16), beats, beat_bytes);
        }

        cosim_hdr h;
        int dec = cosim_hdr_decode(&h, hb, hlen);
        check_outbound();
        n_frames++;
        cosim_q_push(hb, hlen, pb, plen, nframes, truncated);
        if (dec == COSIM_DEC_OK && h.type == COSIM_ERROR && cosim_q_out_count() != 0) {
            fprintf(stderr, "fuzz_q_push: the shim answered an ERROR with a message\n");
            abort();
        }
        (void)cosim_dpi_pending((long long)++cycle);
        if (ctl & CTL_RTL)
            run_rtl(!!(ctl & CTL_ERR));
        else
            check_outbound();
    }
    run_rtl(0);
    cosim_q_reset();
    return 0;
}
