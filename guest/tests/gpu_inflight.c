/* gpu_inflight - many commands in flight: 3000 commands in one submission
 * through the 256-entry ring (the driver waits for room and wraps), then an
 * 8-entry ring with 300 commands in one submission and 40 submissions in a
 * row waited for only at the end. Every copy lands, a shared word written
 * by every group ends with the last value (in-order execution), CMD_COUNT
 * counts each command exactly once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 9
#define SLOT 128

static struct cgpu_buf src, dst, word;
static struct cgpu_batch batch;

/* groups of (COPY of 24..87 bytes into slot i, FILL of the shared word with i, NOP) */
static void build(unsigned groups, unsigned first)
{
	unsigned i;

	cgpu_batch_clear(&batch);
	for (i = 0; i < groups; i++) {
		unsigned k = first + i, len = 24 + k % 64;

		cgpu_batch_add(&batch, cgpu_copy(src.bus + (uint64_t)k * SLOT, dst.bus + (uint64_t)k * SLOT + k % 8, len, 0));
		cgpu_batch_add(&batch, cgpu_fill(word.bus, 4, k, 0));
		cgpu_batch_add(&batch, cgpu_nop(0));
	}
}

/* checks slots [first, first+groups) */
static void verify(const char *what, unsigned groups, unsigned first)
{
	unsigned i, bad = 0;

	for (i = first; i < first + groups; i++) {
		unsigned len = 24 + i % 64;
		const uint8_t *s = (uint8_t *)src.ptr + (size_t)i * SLOT, *d = (uint8_t *)dst.ptr + (size_t)i * SLOT + i % 8;
		char desc[120];

		if (memcmp(s, d, len) && !bad++) {
			diff_bytes(d, s, len, desc, sizeof(desc));
			tap_diag("%s: COPY %u (%u bytes, dst slot+%u): %s", what, i, len, i % 8, desc);
		}
	}
	tap_ok(!bad, "%s: all %u copies landed (%u wrong)", what, groups, bad);
}

int main(void)
{
	struct cosim_gpu_status st;
	uint64_t c0, c1, seq = 0, first_seq = 0;
	unsigned i;
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4000 * SLOT, &src);
	must_alloc(4000 * SLOT, &dst);
	must_alloc(4096, &word);
	cgpu_rng_fill(&grng, src.ptr, src.size);
	memset(dst.ptr, 0, dst.size);

	/* 1-3: 1000 groups = 3000 commands in one submission, 256-entry ring */
	build(1000, 0);
	c0 = reg(COSIM_GPU_REG_CMD_COUNT);
	rc = run(batch.cmds, batch.n, "3000 commands");
	c1 = reg(COSIM_GPU_REG_CMD_COUNT);
	check_rc(rc, "3000 commands in one submission through a %d-entry ring", T_RING);
	verify("3000 commands", 1000, 0);
	tap_ok(*(volatile uint32_t *)word.ptr == 999 && c1 - c0 == 3001,
	       "shared word = 999 (in order), CMD_COUNT +3001 (got %u, +%llu)",
	       *(volatile uint32_t *)word.ptr, (unsigned long long)(c1 - c0));

	/* 4-6: an 8-entry ring, 100 groups in one submission */
	rc = cgpu_reset(gfd, 8);
	cgpu_status(gfd, &st);
	tap_ok(!rc && st.ring_entries == 8 && reg(COSIM_GPU_REG_RING_SIZE) == 8,
	       "reset to an 8-entry ring (%s, %u entries)", rc ? strerror(-rc) : "ok", st.ring_entries);
	build(100, 1000);
	c0 = reg(COSIM_GPU_REG_CMD_COUNT);
	rc = run(batch.cmds, batch.n, "300 commands, 8-entry ring");
	c1 = reg(COSIM_GPU_REG_CMD_COUNT);
	check_rc(rc, "300 commands in one submission through an 8-entry ring (wraps 37 times)");
	verify("8-entry ring", 100, 1000);

	/* 7-9: 40 submissions of 3 groups without waiting, then wait for the last */
	for (i = 0; i < 40 && !rc; i++) {
		build(3, 1100 + 3 * i);
		rc = cgpu_submit(gfd, batch.cmds, batch.n, 0, &seq);
		if (!i)
			first_seq = seq;
	}
	if (!rc)
		rc = cgpu_wait(gfd, seq, T_WAIT_MS);
	check_rc(rc, "40 submissions back to back (fences %llu..%llu), then one wait",
		 (unsigned long long)first_seq, (unsigned long long)seq);
	verify("40 submissions", 120, 1100);
	rc = 0;
	for (i = 0; i < 40 && !rc; i++)
		rc = cgpu_wait(gfd, first_seq + i, 0);
	tap_ok(!rc && *(volatile uint32_t *)word.ptr == 1219,
	       "every earlier fence is complete too, shared word = 1219 (%s, %u)",
	       rc ? strerror(-rc) : "ok", *(volatile uint32_t *)word.ptr);
	cgpu_reset(gfd, T_RING);
	return tap_done();
}
