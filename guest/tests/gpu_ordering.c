/* gpu_ordering - fences land after the data they follow: while 64 pairs of
 * (COPY of 16 KiB, WRITE_FENCE i) run, the CPU keeps reading the fence and
 * checks that every copy up to the fence value it sees is already complete;
 * TIMESTAMPs between the copies increase; sequence numbers waited for in
 * reverse order all complete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 4
#define PAIRS 64
#define CHUNK 16384

int main(void)
{
	struct cgpu_buf src, dst, fence;
	volatile uint64_t *f;
	struct cgpu_batch b = { 0 };
	uint64_t seq = 0, seen = 0, checks = 0, seqs[50];
	uint64_t t_prev = 0, deadline;
	int i, rc, violations = 0, ts_ok = 1;
	char desc[120];

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(PAIRS * CHUNK, &src);
	must_alloc(PAIRS * CHUNK, &dst);
	must_alloc(4096, &fence);
	cgpu_rng_fill(&grng, src.ptr, src.size);
	memset(dst.ptr, 0, dst.size);
	memset(fence.ptr, 0, 4096);
	f = fence.ptr;
	for (i = 0; i < PAIRS; i++) {
		cgpu_batch_add(&b, cgpu_copy(src.bus + (uint64_t)i * CHUNK, dst.bus + (uint64_t)i * CHUNK, CHUNK, 0));
		cgpu_batch_add(&b, cgpu_timestamp(fence.bus + 64 + 8 * i, 0));
		cgpu_batch_add(&b, cgpu_fence(fence.bus, i + 1, 0));
	}
	rc = cgpu_submit(gfd, b.cmds, b.n, 0, &seq);
	deadline = cgpu_now_ns() + T_WAIT_MS * 1000000ull;
	/* 1: poll the fence while the work runs */
	while (!rc && seen < PAIRS) {
		uint64_t v = *f;
		int k;

		__sync_synchronize();
		if (v > PAIRS) {
			tap_diag("fence value %llu out of range", (unsigned long long)v);
			violations++;
			break;
		}
		for (k = (int)seen; k < (int)v; k++) {
			checks++;
			if (memcmp((uint8_t *)dst.ptr + (size_t)k * CHUNK, (uint8_t *)src.ptr + (size_t)k * CHUNK, CHUNK)) {
				if (!violations++) {
					diff_bytes((uint8_t *)dst.ptr + (size_t)k * CHUNK, (uint8_t *)src.ptr + (size_t)k * CHUNK,
						   CHUNK, desc, sizeof(desc));
					tap_diag("fence %llu visible but COPY %d (before it) incomplete: %s",
						 (unsigned long long)v, k, desc);
				}
			}
		}
		if (v == seen) {	/* no progress: halted? too slow? */
			int w = cgpu_wait(gfd, seq, 0);

			if (w == -EIO || cgpu_now_ns() > deadline) {
				rc = w == -EIO ? w : -ETIMEDOUT;
				break;
			}
		}
		seen = v;
	}
	if (!rc)
		rc = cgpu_wait(gfd, seq, T_WAIT_MS);
	tap_ok(!rc && !violations && seen == PAIRS,
	       "%d (COPY %d bytes, WRITE_FENCE i) pairs: no fence value seen before its data (%llu checks, %d violations%s%s)",
	       PAIRS, CHUNK, (unsigned long long)checks, violations, rc ? ", " : "", rc ? strerror(-rc) : "");
	/* 2: timestamps in command order */
	for (i = 0; i < PAIRS; i++) {
		uint64_t t = f[8 + i];

		if (t <= t_prev && ts_ok) {
			tap_diag("TIMESTAMP %d = %llu, not after TIMESTAMP %d = %llu", i, (unsigned long long)t,
				 i - 1, (unsigned long long)t_prev);
			ts_ok = 0;
		}
		t_prev = t;
	}
	tap_ok(ts_ok, "%d TIMESTAMPs between the copies increase", PAIRS);

	/* 3-4: sequence numbers, waited for in reverse order */
	rc = 0;
	for (i = 0; i < 50 && !rc; i++) {
		union cgpu_cmd c = cgpu_fill(dst.bus + 8 * i, 8, i, 0);

		rc = cgpu_submit(gfd, &c, 1, 0, &seqs[i]);
		if (!rc && i && seqs[i] != seqs[i - 1] + 1) {
			tap_diag("submission %d got sequence number %llu after %llu", i,
				 (unsigned long long)seqs[i], (unsigned long long)seqs[i - 1]);
			rc = -EPROTO;
		}
	}
	check_rc(rc, "50 submissions get consecutive sequence numbers");
	for (i = 49; i >= 0 && !rc; i--)
		rc = cgpu_wait(gfd, seqs[i], T_WAIT_MS);
	check_rc(rc, "waiting for them in reverse order: all complete");
	cgpu_batch_free(&b);
	return tap_done();
}
