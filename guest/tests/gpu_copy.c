/* gpu_copy - COPY in every direction (guest->guest, guest->VRAM,
 * VRAM->guest, VRAM->VRAM) with random lengths and alignments from the seed,
 * checking the destination and the guard bytes around it; VRAM is written
 * and spot-checked through a BAR4 mapping, independent of the copy engine;
 * a 0-byte COPY changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpu_test.h"

#define CASES 5			/* random cases per direction */
#define MAXLEN 20000
#define MAXLEN_VRAM 6000
#define WIN (MAXLEN + 8192)	/* guest window / VRAM window per side */
#define VSRC 0x10000		/* VRAM source window */
#define VDST 0x40000		/* VRAM destination window */
#define PLAN (4 * CASES + 2)

static struct cgpu_buf gsrc, gdst;
static volatile uint8_t *vram;
static uint8_t *want, *got;

/* Compares the whole destination window; names the offset relative to the destination. */
static void verify(const char *dir, uint32_t len, const char *where, uint64_t doff, size_t lo, size_t hi)
{
	size_t i, bad = 0, first = 0;

	for (i = lo; i < hi; i++)
		if (got[i] != want[i] && !bad++)
			first = i;
	if (!bad) {
		tap_ok(1, "COPY %s %u bytes (%s)", dir, len, where);
		return;
	}
	{
		char why[200];
		long rel = (long)first - (long)doff;

		snprintf(why, sizeof(why), "first wrong byte at offset %ld%s: got 0x%02x want 0x%02x (%zu wrong bytes)",
			 rel, rel < 0 ? " (guard before the destination)" :
			 rel >= (long)len ? " (guard after the destination)" : "",
			 got[first], want[first], bad);
		tap_fail(why, "COPY %s %u bytes (%s)", dir, len, where);
		tap_diag("COPY %s %u bytes (%s): %s", dir, len, where, why);
	}
}

/* 1, 4096, 4097, then random lengths up to max (VRAM destinations are
 * checked through BAR4, 8 bytes per MMIO read: they get shorter ones). */
static uint32_t rnd_len(int k, uint32_t max)
{
	static const uint32_t fixed[] = { 1, 4096, 4097 };

	return k < 3 ? fixed[k] : 1 + cgpu_rng_below(&grng, max);
}

/* VRAM window contents through the BAR4 mapping (8-byte loads). */
static void vram_load(uint64_t off, uint8_t *dst, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = *(volatile uint64_t *)(vram + off + i);

		memcpy(dst + i, &v, len - i < 8 ? len - i : 8);
	}
}

static void vram_store(uint64_t off, const uint8_t *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = 0;

		memcpy(&v, src + i, len - i < 8 ? len - i : 8);
		*(volatile uint64_t *)(vram + off + i) = v;
	}
}

int main(void)
{
	uint8_t *vsrc_data;
	char where[96];
	int k, rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(WIN, &gsrc);
	must_alloc(WIN, &gdst);
	want = malloc(WIN);
	got = malloc(WIN);
	vsrc_data = malloc(WIN);
	vram = cgpu_map_bar(gfd, COSIM_GPU_BAR_VRAM, COSIM_GPU_VRAM_SIZE);
	if (!vram)
		tap_bail("cannot map BAR4 (VRAM): %s", strerror(errno));
	cgpu_rng_fill(&grng, gsrc.ptr, WIN);
	cgpu_rng_fill(&grng, vsrc_data, WIN);
	vram_store(VSRC, vsrc_data, WIN);	/* VRAM source, written through BAR4 */

	for (k = 0; k < CASES; k++) {		/* guest -> guest */
		uint32_t len = rnd_len(k, MAXLEN), so = cgpu_rng_below(&grng, 4096), dof = cgpu_rng_below(&grng, 4096);
		uint8_t guard = (uint8_t)cgpu_rng_next(&grng);

		memset(gdst.ptr, guard, WIN);
		memset(want, guard, WIN);
		memcpy(want + dof, (uint8_t *)gsrc.ptr + so, len);
		snprintf(where, sizeof(where), "src+%u -> dst+%u", so, dof);
		rc = run1(cgpu_copy(gsrc.bus + so, gdst.bus + dof, len, 0), "COPY guest->guest");
		memcpy(got, gdst.ptr, WIN);
		if (rc)
			tap_fail(strerror(-rc), "COPY guest->guest %u bytes (%s)", len, where);
		else
			verify("guest->guest", len, where, dof, 0, WIN);
	}
	for (k = 0; k < CASES; k++) {		/* guest -> VRAM, checked back through BAR4 */
		uint32_t len = rnd_len(k, MAXLEN_VRAM), so = cgpu_rng_below(&grng, 4096), dof = cgpu_rng_below(&grng, 4096);
		uint8_t guard = (uint8_t)cgpu_rng_next(&grng);

		size_t lo = dof >= 64 ? (dof - 64) & ~7u : 0, hi = ((dof + len + 64 + 7) & ~7u);

		memset(want, guard, WIN);
		vram_store(VDST + lo, want + lo, hi - lo);	/* guard bytes around the destination */
		memcpy(want + dof, (uint8_t *)gsrc.ptr + so, len);
		snprintf(where, sizeof(where), "src+%u -> VRAM 0x%x", so, VDST + dof);
		rc = run1(cgpu_copy(gsrc.bus + so, VDST + dof, len, CGPU_DST_VRAM), "COPY guest->VRAM");
		if (rc) {
			tap_fail(strerror(-rc), "COPY guest->VRAM %u bytes (%s)", len, where);
			continue;
		}
		vram_load(VDST + lo, got + lo, hi - lo);
		verify("guest->VRAM", len, where, dof, lo, hi);
	}
	for (k = 0; k < CASES; k++) {		/* VRAM -> guest */
		uint32_t len = rnd_len(k, MAXLEN), so = cgpu_rng_below(&grng, 4096), dof = cgpu_rng_below(&grng, 4096);
		uint8_t guard = (uint8_t)cgpu_rng_next(&grng);

		memset(gdst.ptr, guard, WIN);
		memset(want, guard, WIN);
		memcpy(want + dof, vsrc_data + so, len);
		snprintf(where, sizeof(where), "VRAM 0x%x -> dst+%u", VSRC + so, dof);
		rc = run1(cgpu_copy(VSRC + so, gdst.bus + dof, len, CGPU_SRC_VRAM), "COPY VRAM->guest");
		memcpy(got, gdst.ptr, WIN);
		if (rc)
			tap_fail(strerror(-rc), "COPY VRAM->guest %u bytes (%s)", len, where);
		else
			verify("VRAM->guest", len, where, dof, 0, WIN);
	}
	for (k = 0; k < CASES; k++) {		/* VRAM -> VRAM */
		uint32_t len = rnd_len(k, MAXLEN_VRAM), so = cgpu_rng_below(&grng, 4096), dof = cgpu_rng_below(&grng, 4096);
		uint8_t guard = (uint8_t)cgpu_rng_next(&grng);

		size_t lo = dof >= 64 ? (dof - 64) & ~7u : 0, hi = ((dof + len + 64 + 7) & ~7u);

		memset(want, guard, WIN);
		vram_store(VDST + lo, want + lo, hi - lo);
		memcpy(want + dof, vsrc_data + so, len);
		snprintf(where, sizeof(where), "VRAM 0x%x -> VRAM 0x%x", VSRC + so, VDST + dof);
		rc = run1(cgpu_copy(VSRC + so, VDST + dof, len, CGPU_SRC_VRAM | CGPU_DST_VRAM), "COPY VRAM->VRAM");
		if (rc) {
			tap_fail(strerror(-rc), "COPY VRAM->VRAM %u bytes (%s)", len, where);
			continue;
		}
		vram_load(VDST + lo, got + lo, hi - lo);
		verify("VRAM->VRAM", len, where, dof, lo, hi);
	}

	/* a 0-byte COPY */
	memset(gdst.ptr, 0x77, 64);
	rc = run1(cgpu_copy(gsrc.bus, gdst.bus, 0, 0), "COPY 0 bytes");
	memset(want, 0x77, 64);
	if (rc)
		tap_fail(strerror(-rc), "COPY of 0 bytes completes and writes nothing");
	else
		check_bytes(gdst.ptr, want, 64, "COPY of 0 bytes completes and writes nothing");
	/* the VRAM source is intact (copies never wrote it) */
	vram_load(VSRC, got, WIN);
	check_bytes(got, vsrc_data, WIN, "VRAM source window 0x%x..0x%x unchanged by the copies", VSRC, VSRC + WIN);
	return tap_done();
}
