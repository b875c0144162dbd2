/* gpu_fence - WRITE_FENCE to guest memory and to VRAM, LAST_FENCE, the
 * driver's sequence numbers, polled fences without interrupt, and waits for
 * fences that already completed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 9

int main(void)
{
	struct cgpu_buf buf;
	struct cosim_gpu_status st;
	volatile uint64_t *mem;
	uint64_t val, seq, prev, completed = 0, irq0[4], irq1[4], t0;
	union cgpu_cmd c;
	int i, rc, ok;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4096, &buf);
	mem = buf.ptr;
	memset(buf.ptr, 0, 4096);
	val = cgpu_rng_next(&grng) | 1;

	/* 1-2: guest memory */
	rc = run1(cgpu_fence(buf.bus + 0x18, val, 0), "WRITE_FENCE guest");
	check_u64(rc ? ~0ull : mem[3], val, "WRITE_FENCE to guest 0x%llx (buffer+0x18) writes its VALUE",
		  (unsigned long long)buf.bus + 0x18);
	tap_ok(mem[2] == 0 && mem[4] == 0, "WRITE_FENCE writes 8 bytes only (neighbours 0x%llx, 0x%llx)",
	       (unsigned long long)mem[2], (unsigned long long)mem[4]);
	/* 3: LAST_FENCE is the last one: the driver's own fence after ours */
	cgpu_status(gfd, &st);
	check_u64(reg(COSIM_GPU_REG_LAST_FENCE), st.seq_submitted,
		  "LAST_FENCE = the value of the last WRITE_FENCE (the driver's sequence number)");

	/* 4: VRAM */
	rc = run1(cgpu_fence(0x3000, val ^ 0xffff, CGPU_DST_VRAM), "WRITE_FENCE VRAM");
	{
		uint64_t got = 0;

		cgpu_reg_read(gfd, COSIM_GPU_BAR_VRAM, 0x3000, 8, &got);
		check_u64(rc ? ~0ull : got, val ^ 0xffff, "WRITE_FENCE with DST_VRAM to VRAM 0x3000");
	}

	/* 5: sequence numbers grow by one and complete in order */
	ok = 1;
	prev = 0;
	for (i = 0; i < 20 && ok; i++) {
		rc = cgpu_submit(gfd, NULL, 0, 0, &seq);
		if (!rc)
			rc = cgpu_wait_ex(gfd, seq, T_WAIT_MS, 0, &completed);
		if (rc || (prev && seq != prev + 1) || completed < seq) {
			tap_diag("fence %d: seq %llu (previous %llu), completed %llu: %s", i,
				 (unsigned long long)seq, (unsigned long long)prev,
				 (unsigned long long)completed, rc ? strerror(-rc) : "wrong value");
			ok = 0;
		}
		prev = seq;
	}
	tap_ok(ok, "20 fences: sequence numbers grow by 1, each waited for completes");

	/* 6: a completed fence returns at once, also with timeout 0 */
	t0 = cgpu_now_ns();
	rc = cgpu_wait(gfd, prev, 0);
	if (!rc)
		rc = cgpu_wait(gfd, 1, 0);
	tap_ok(!rc && cgpu_now_ns() - t0 < 100000000ull,
	       "waiting for completed fences (%llu, 1) with timeout 0 returns 0 at once (%s, %llu us)",
	       (unsigned long long)prev, rc ? strerror(-rc) : "ok",
	       (unsigned long long)(cgpu_now_ns() - t0) / 1000);

	/* 7-8: a fence without FLAGS.IRQ, waited for by polling, sends no interrupt */
	irq_snapshot(irq0);
	rc = cgpu_submit(gfd, NULL, 0, COSIM_GPU_SUBMIT_FENCE_NO_IRQ, &seq);
	if (!rc)
		rc = cgpu_wait_ex(gfd, seq, T_WAIT_MS, COSIM_GPU_WAIT_POLL, &completed);
	check_rc(rc, "fence %llu without FLAGS.IRQ completes (WAIT_POLL)", (unsigned long long)seq);
	irq_snapshot(irq1);
	check_u64(irq1[0] - irq0[0], 0, "no completion interrupt for a fence without FLAGS.IRQ");

	/* 9: several user fences in one submission: the last value stays */
	memset(buf.ptr, 0, 64);
	{
		union cgpu_cmd f[3] = { cgpu_fence(buf.bus, 1, 0), cgpu_fence(buf.bus, 2, 0),
					cgpu_fence(buf.bus, 3, 0) };

		rc = run(f, 3, "3 WRITE_FENCEs to one address");
	}
	check_u64(rc ? ~0ull : mem[0], 3, "3 WRITE_FENCEs to one address in one submission leave the last value");
	(void)c;
	return tap_done();
}
