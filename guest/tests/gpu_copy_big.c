/* gpu_copy_big - big and unaligned copies: 1 MiB guest->guest, 70001 bytes
 * from an odd source to a destination 3 bytes before a page end, the whole
 * VRAM (1 MiB) in and out, every source x destination alignment (0..7 x
 * 0..7) of short copies in one submission, and 1 MiB + 4095 bytes from the
 * last byte of a page. Random data from the seed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpu_test.h"

#define MIB (1u << 20)
#define BIG (MIB + 8192)
#define PLAN 6

static struct cgpu_buf a, b;

/* Checks len bytes at dst+doff against src+soff, and `guard` bytes around. */
static void check_copy(const char *what, const uint8_t *src, const uint8_t *dst, size_t doff,
		       size_t len, uint8_t guard, size_t span)
{
	char why[200];
	size_t i, bad = 0, first = 0;
	uint8_t g = 0, w = 0;

	for (i = 0; i < span; i++) {
		uint8_t want = i >= doff && i < doff + len ? src[i - doff] : guard;

		if (dst[i] != want && !bad++) {
			first = i;
			g = dst[i];
			w = want;
		}
	}
	if (!bad) {
		tap_ok(1, "%s", what);
		return;
	}
	snprintf(why, sizeof(why), "first wrong byte at offset %ld%s: got 0x%02x want 0x%02x (%zu wrong bytes)",
		 (long)first - (long)doff, first < doff ? " (guard before)" : first >= doff + len ? " (guard after)" : "",
		 g, w, bad);
	tap_fail(why, "%s", what);
	tap_diag("%s: %s", what, why);
}

int main(void)
{
	uint8_t *A, *B;
	char what[128];
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(BIG, &a);
	must_alloc(BIG, &b);
	A = a.ptr;
	B = b.ptr;
	cgpu_rng_fill(&grng, A, BIG);

	/* 1: 1 MiB guest -> guest, page aligned */
	memset(B, 0x5a, BIG);
	rc = run1(cgpu_copy(a.bus, b.bus, MIB, 0), "COPY 1 MiB");
	snprintf(what, sizeof(what), "COPY guest->guest %u bytes (aligned)", MIB);
	if (rc)
		tap_fail(strerror(-rc), "%s", what);
	else
		check_copy(what, A, B, 0, MIB, 0x5a, BIG);

	/* 2: 70001 bytes, src+1 -> dst+4093 (crosses 18 page boundaries, odd everything) */
	memset(B, 0xc3, BIG);
	rc = run1(cgpu_copy(a.bus + 1, b.bus + 4093, 70001, 0), "COPY 70001 bytes");
	snprintf(what, sizeof(what), "COPY guest->guest 70001 bytes (src+1 -> dst+4093)");
	if (rc)
		tap_fail(strerror(-rc), "%s", what);
	else
		check_copy(what, A + 1, B, 4093, 70001, 0xc3, 4093 + 70001 + 4096);

	/* 3: all of VRAM in and back out */
	memset(B, 0, BIG);
	{
		union cgpu_cmd c[2] = {
			cgpu_copy(a.bus + 8, 0, COSIM_GPU_VRAM_SIZE, CGPU_DST_VRAM),
			cgpu_copy(0, b.bus + 3, COSIM_GPU_VRAM_SIZE, CGPU_SRC_VRAM),
		};

		rc = run(c, 2, "COPY 1 MiB guest->VRAM->guest");
	}
	snprintf(what, sizeof(what), "COPY guest->VRAM->guest of all %d bytes of VRAM (src+8, dst+3)", COSIM_GPU_VRAM_SIZE);
	if (rc)
		tap_fail(strerror(-rc), "%s", what);
	else
		check_copy(what, A + 8, B, 3, COSIM_GPU_VRAM_SIZE, 0, COSIM_GPU_VRAM_SIZE + 64);

	/* 4-5: every alignment pair, 64 copies of 13..76 bytes in one submission, guest and VRAM */
	{
		union cgpu_cmd c[128];
		int s, d, n = 0, bad = 0, vbad = 0;

		memset(B, 0xee, BIG);
		for (s = 0; s < 8; s++)
			for (d = 0; d < 8; d++) {
				int k = s * 8 + d;
				size_t len = 13 + k;

				c[n++] = cgpu_copy(a.bus + k * 256 + s, b.bus + k * 256 + d, len, 0);
				c[n++] = cgpu_copy(a.bus + k * 256 + s, 0x80000 + k * 256 + d, len, CGPU_DST_VRAM);
			}
		rc = run(c, n, "64 unaligned copies");
		if (rc) {
			tap_fail(strerror(-rc), "64 COPYs guest->guest, every src%%8 x dst%%8, 13..76 bytes");
			tap_fail(strerror(-rc), "64 COPYs guest->VRAM, every src%%8 x dst%%8, 13..76 bytes");
		} else {
			uint8_t *v = malloc(64 * 256);

			rc = vram_read(0x80000, v, 64 * 256);
			for (s = 0; s < 8; s++)
				for (d = 0; d < 8; d++) {
					int k = s * 8 + d;
					size_t len = 13 + k;
					char desc[120];

					if (memcmp(B + k * 256 + d, A + k * 256 + s, len) || B[k * 256 + d + len] != 0xee ||
					    (d && B[k * 256 + d - 1] != 0xee)) {
						if (!bad++) {
							diff_bytes(B + k * 256 + d, A + k * 256 + s, len, desc, sizeof(desc));
							tap_diag("COPY guest->guest %zu bytes src%%8=%d dst%%8=%d: %s", len, s, d,
								 memcmp(B + k * 256 + d, A + k * 256 + s, len) ? desc : "guard byte overwritten");
						}
					}
					if (!rc && memcmp(v + k * 256 + d, A + k * 256 + s, len)) {
						if (!vbad++) {
							diff_bytes(v + k * 256 + d, A + k * 256 + s, len, desc, sizeof(desc));
							tap_diag("COPY guest->VRAM %zu bytes src%%8=%d dst%%8=%d: %s", len, s, d, desc);
						}
					}
				}
			tap_ok(!bad, "64 COPYs guest->guest, every src%%8 x dst%%8, 13..76 bytes (%d wrong)", bad);
			tap_ok(!rc && !vbad, "64 COPYs guest->VRAM, every src%%8 x dst%%8, 13..76 bytes (%d wrong%s)",
			       vbad, rc ? ", read back failed" : "");
			free(v);
		}
	}

	/* 6: 1 MiB + 4095 bytes from the last byte of a page to dst+1 */
	memset(B, 0x11, BIG);
	rc = run1(cgpu_copy(a.bus + 4095, b.bus + 1, MIB + 4095, 0), "COPY 1 MiB + 4095 bytes");
	snprintf(what, sizeof(what), "COPY guest->guest %u bytes (src+4095 -> dst+1)", MIB + 4095);
	if (rc)
		tap_fail(strerror(-rc), "%s", what);
	else
		check_copy(what, A + 4095, B, 1, MIB + 4095, 0x11, MIB + 4095 + 64);
	return tap_done();
}
