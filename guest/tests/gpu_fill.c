/* gpu_fill - FILL guest memory and VRAM with a 32-bit pattern: every start
 * alignment 0..7 with short lengths (pattern phase follows the start), a
 * 100000-byte fill across chunks, VRAM, and a 0-byte FILL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 5
#define BIG 100000

int main(void)
{
	struct cgpu_buf buf;
	union cgpu_cmd c[16];
	uint8_t *want, *got;
	uint32_t pat;
	int i, n, rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(BIG + 8192, &buf);
	want = malloc(BIG + 8192);
	got = malloc(8192);
	pat = (uint32_t)cgpu_rng_next(&grng);
	tap_diag("pattern 0x%08x", pat);

	/* 1: 8 fills, start alignment 0..7, lengths 1, 6, 11, ... 36 */
	memset(buf.ptr, 0xee, 8192);
	memset(want, 0xee, 8192);
	for (n = 0, i = 0; i < 8; i++) {
		c[n++] = cgpu_fill(buf.bus + i * 64 + i, 1 + 5 * i, pat, 0);
		cgpu_ref_fill(want + i * 64 + i, 1 + 5 * i, pat);
	}
	rc = run(c, n, "8 FILLs");
	if (rc)
		tap_fail(strerror(-rc), "FILL guest at start alignments 0..7, 1..36 bytes");
	else
		check_bytes(buf.ptr, want, 8192, "FILL guest at start alignments 0..7, 1..36 bytes (guard 0xee around)");

	/* 2: 100000 bytes from an odd address, across many chunks */
	memset(buf.ptr, 0x33, BIG + 8192);
	memset(want, 0x33, BIG + 8192);
	cgpu_ref_fill(want + 4093, BIG, ~pat);
	rc = run1(cgpu_fill(buf.bus + 4093, BIG, ~pat, 0), "FILL 100000 bytes");
	if (rc)
		tap_fail(strerror(-rc), "FILL guest %d bytes at +4093", BIG);
	else
		check_bytes(buf.ptr, want, BIG + 8192, "FILL guest %d bytes at +4093 (pattern 0x%08x)", BIG, ~pat);

	/* 3-4: VRAM, checked through BAR4 reads and through a COPY back */
	memset(want, 0x44, 4096);
	rc = vram_write(0x20000, want, 4096);
	cgpu_ref_fill(want + 5, 21, pat);
	cgpu_ref_fill(want + 1024, 3000, pat ^ 0x5a5a5a5a);
	c[0] = cgpu_fill(0x20000 + 5, 21, pat, CGPU_DST_VRAM);
	c[1] = cgpu_fill(0x20000 + 1024, 3000, pat ^ 0x5a5a5a5a, CGPU_DST_VRAM);
	if (!rc)
		rc = run(c, 2, "FILL VRAM");
	if (rc) {
		tap_fail(strerror(-rc), "FILL VRAM 21 bytes at 0x20005 (BAR4 reads)");
		tap_fail(strerror(-rc), "FILL VRAM 3000 bytes at 0x20400");
	} else {
		for (i = 0; i < 32; i += 8) {
			uint64_t v = 0;

			cgpu_reg_read(gfd, COSIM_GPU_BAR_VRAM, 0x20000 + i, 8, &v);
			memcpy(got + i, &v, 8);
		}
		check_bytes(got, want, 32, "FILL VRAM 21 bytes at 0x20005 (BAR4 reads)");
		rc = vram_read(0x20000, got, 4096);
		if (rc)
			tap_fail(strerror(-rc), "FILL VRAM 3000 bytes at 0x20400");
		else
			check_bytes(got, want, 4096, "FILL VRAM 3000 bytes at 0x20400 (and the 21 at 0x20005)");
	}

	/* 5: 0 bytes */
	memset(buf.ptr, 0x77, 64);
	memset(want, 0x77, 64);
	rc = run1(cgpu_fill(buf.bus, 0, pat, 0), "FILL 0 bytes");
	if (rc)
		tap_fail(strerror(-rc), "FILL of 0 bytes writes nothing");
	else
		check_bytes(buf.ptr, want, 64, "FILL of 0 bytes writes nothing");
	return tap_done();
}
