/* gpu_errors - error injection and recovery through the driver: a bad
 * opcode halts the ring at that command (ERR_CODE BAD_OPCODE, ERR_ADDR the
 * ring entry, HEAD one past it), the error interrupt wakes the fence waiter
 * with EIO, later commands do not run, new submissions are refused;
 * COSIM_GPU_RESET_RESUME continues after the failing command; a misaligned
 * fence address and a kernel operand past VRAM are BAD_ARG; a COPY from a
 * bus address with no memory is a DMA error; a soft reset recovers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 16
#define NOWHERE (1ull << 46)	/* no RAM or device decodes this guest address */

static struct cgpu_buf buf;

/* Submits c[0..n) + fence, expects the wait to fail with EIO and the driver to
 * have recorded `code`; returns the status for more checks. */
static int expect_error(const union cgpu_cmd *c, unsigned n, unsigned code, const char *what,
			struct cosim_gpu_status *st, uint64_t *seq_out)
{
	uint64_t seq = 0, i0[4], i1[4];
	int rc, wrc;

	irq_snapshot(i0);
	rc = cgpu_submit(gfd, c, n, 0, &seq);
	wrc = rc ? rc : cgpu_wait(gfd, seq, T_WAIT_MS);
	usleep(10000);
	irq_snapshot(i1);
	cgpu_status(gfd, st);
	if (seq_out)
		*seq_out = seq;
	if (wrc == -EIO && (st->flags & COSIM_GPU_ST_HALTED) && st->err_code == code &&
	    i1[COSIM_GPU_VEC_ERROR] == i0[COSIM_GPU_VEC_ERROR] + 1)
		return tap_ok(1, "%s: fence wait fails with EIO, ERR_CODE %s, one error interrupt", what,
			      cgpu_err_name(code));
	{
		char why[256];

		snprintf(why, sizeof(why), "wait %s, driver flags 0x%x, ERR_CODE %u (%s) want %u (%s), error interrupts +%llu",
			 wrc ? strerror(-wrc) : "succeeded", st->flags, st->err_code, cgpu_err_name(st->err_code),
			 code, cgpu_err_name(code),
			 (unsigned long long)(i1[COSIM_GPU_VEC_ERROR] - i0[COSIM_GPU_VEC_ERROR]));
		tap_fail(why, "%s: fence wait fails with EIO, ERR_CODE %s, one error interrupt", what,
			 cgpu_err_name(code));
		tap_diag("%s: %s", what, why);
	}
	return 0;
}

static int works(const char *after)
{
	volatile uint32_t *w = (volatile uint32_t *)((char *)buf.ptr + 0x800);
	uint32_t v = (uint32_t)cgpu_rng_next(&grng);
	int rc;

	*w = 0;
	rc = run1(cgpu_fill(buf.bus + 0x800, 4, v, 0), after);
	if (!rc && *w != v)
		rc = -EPROTO;
	return check_rc(rc, "after %s a FILL runs again (0x%08x)", after, *w);
}

int main(void)
{
	struct cosim_gpu_status st;
	volatile uint64_t *m;
	uint64_t seq = 0, entry;
	union cgpu_cmd c[4];
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4096, &buf);
	m = buf.ptr;
	memset(buf.ptr, 0, 4096);

	/* 1-6: bad opcode at entry 1 of a fresh ring */
	c[0] = cgpu_nop(0);
	c[1] = cgpu_raw(0xee, 0);
	c[2] = cgpu_fence(buf.bus + 8, 1, 0);
	expect_error(c, 3, COSIM_GPU_ERR_BAD_OPCODE, "NOP, opcode 0xee, WRITE_FENCE", &st, &seq);
	entry = st.ring_bus + 1 * COSIM_GPU_CMD_SIZE;
	check_u64(st.err_addr, entry, "BAD_OPCODE: ERR_ADDR = the guest address of ring entry 1");
	check_u64(st.err_head, 2, "BAD_OPCODE: RING_HEAD one past the failing entry");
	usleep(20000);
	check_u64(m[1], 0, "the WRITE_FENCE after the bad command did not run");
	rc = cgpu_submit(gfd, c, 1, 0, NULL);
	tap_ok(rc == -EIO, "a new submission is refused with EIO while halted (%s)", rc ? strerror(-rc) : "accepted");
	/* resume: the device skips the failing command and runs the rest */
	rc = cgpu_resume(gfd);
	if (!rc)
		rc = cgpu_wait(gfd, seq, T_WAIT_MS);
	tap_ok(!rc && m[1] == 1, "RESUME (CLEAR_ERROR): the commands after the bad one run, fence %llu completes (%s, fence word %llu)",
	       (unsigned long long)seq, rc ? strerror(-rc) : "ok", (unsigned long long)m[1]);

	/* 7-9: BAD_ARG: a misaligned fence address; a kernel operand past VRAM */
	c[0] = cgpu_fence(buf.bus + 0x104, 5, 0);
	expect_error(c, 1, COSIM_GPU_ERR_BAD_ARG, "WRITE_FENCE to an address 4 bytes off alignment", &st, NULL);
	check_u64(st.err_addr, st.ring_bus + ((st.err_head + st.ring_entries - 1) % st.ring_entries) * COSIM_GPU_CMD_SIZE,
		  "BAD_ARG: ERR_ADDR = the failing ring entry");
	check_rc(cgpu_reset(gfd, 0), "soft reset after BAD_ARG");
	c[0] = cgpu_dispatch(COSIM_GPU_KERNEL_VADD, 64, COSIM_GPU_VRAM_SIZE - 128, 0, 0, 0, 0);
	expect_error(c, 1, COSIM_GPU_ERR_BAD_ARG, "DISPATCH VADD with A's range past the end of VRAM", &st, NULL);
	check_rc(cgpu_reset(gfd, 0), "soft reset after a bad DISPATCH");

	/* 12-14: DMA error: a COPY from a guest address nothing decodes */
	c[0] = cgpu_copy(NOWHERE + 0x123, buf.bus + 0x400, 100, 0);
	expect_error(c, 1, COSIM_GPU_ERR_DMA, "COPY from guest address 0x400000000123 (no memory there)", &st, NULL);
	check_u64(st.err_addr, NOWHERE + 0x123, "DMA: ERR_ADDR = the start of the chunk that failed");
	check_rc(cgpu_reset(gfd, 0), "soft reset after a DMA error");
	/* 15-16 */
	works("a DMA error and a soft reset");
	cgpu_status(gfd, &st);
	tap_ok(st.errors >= 4 && !(st.flags & COSIM_GPU_ST_HALTED) && st.err_code == COSIM_GPU_ERR_DMA,
	       "driver counted the errors (%llu) and kept the last (%s), ring running again",
	       (unsigned long long)st.errors, cgpu_err_name(st.err_code));
	return tap_done();
}
