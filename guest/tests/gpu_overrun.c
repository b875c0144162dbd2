/* gpu_overrun - ring errors injected behind the driver's back: a doorbell
 * with a tail at RING_SIZE, a tail that passes HEAD (the driver "went round
 * the ring"), and enabling a ring whose size is not a power of two
 * (RING_CONFIG). Each halts the ring with the right ERR_CODE / ERR_ADDR and
 * the error interrupt; RING_TAIL keeps its value; a soft reset recovers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 14

static struct cgpu_buf buf;

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

/* Waits until the driver recorded the error; one TAP line. */
static void expect_halt(unsigned code, uint64_t addr, const char *what, uint64_t err_irqs_before)
{
	struct cosim_gpu_status st;
	uint64_t i1[4];
	int rc = wait_halted(5000, &st);

	irq_snapshot(i1);
	if (!rc && st.err_code == code && st.err_addr == addr && i1[COSIM_GPU_VEC_ERROR] == err_irqs_before + 1) {
		tap_ok(1, "%s: halted with ERR_CODE %s, ERR_ADDR 0x%llx, one error interrupt", what, cgpu_err_name(code),
		       (unsigned long long)addr);
	} else {
		char why[256];

		snprintf(why, sizeof(why), "%s; ERR_CODE %u (%s) want %u (%s); ERR_ADDR 0x%llx want 0x%llx; error interrupts +%llu",
			 rc ? "the driver saw no halt within 5 s" : "halted", st.err_code, cgpu_err_name(st.err_code),
			 code, cgpu_err_name(code), (unsigned long long)st.err_addr, (unsigned long long)addr,
			 (unsigned long long)(i1[COSIM_GPU_VEC_ERROR] - err_irqs_before));
		tap_fail(why, "%s: halted with ERR_CODE %s, ERR_ADDR 0x%llx, one error interrupt", what,
			 cgpu_err_name(code), (unsigned long long)addr);
		tap_diag("%s: %s", what, why);
	}
}

int main(void)
{
	struct cosim_gpu_status st;
	uint64_t i0[4], tail;
	unsigned t;
	union cgpu_cmd c[4];
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4096, &buf);

	/* 1-4: a doorbell with tail = RING_SIZE */
	rc = run(NULL, 0, "a first fence");
	tail = reg(COSIM_GPU_REG_RING_TAIL);
	irq_snapshot(i0);
	rc = cgpu_reg_write(gfd, COSIM_GPU_BAR_DOORBELL, COSIM_GPU_REG_DOORBELL, 4, T_RING);
	expect_halt(COSIM_GPU_ERR_RING_OVERRUN, T_RING, "doorbell with tail 256 in a 256-entry ring", i0[1]);
	check_u64(reg(COSIM_GPU_REG_RING_TAIL), tail, "RING_TAIL kept its value after the refused tail");
	rc = cgpu_submit(gfd, NULL, 0, 0, NULL);
	tap_ok(rc == -EIO, "submissions are refused with EIO while halted (%s)", rc ? strerror(-rc) : "accepted");
	check_rc(cgpu_reset(gfd, 0), "soft reset after RING_OVERRUN");
	works("RING_OVERRUN and a soft reset");

	/* 6-10: a tail that passes HEAD. Halt on a bad opcode at entry t+1 with
	 * entries t+2, t+3 still waiting (t = the driver's tail), clear the error
	 * with the ring disabled, then publish a tail inside the waiting entries. */
	c[0] = cgpu_nop(0);
	c[1] = cgpu_raw(0xee, 0);
	c[2] = cgpu_nop(0);
	c[3] = cgpu_nop(0);
	cgpu_status(gfd, &st);
	t = st.ring_tail;	/* far from the end of the ring: no wrap below */
	irq_snapshot(i0);
	rc = cgpu_submit(gfd, c, 4, COSIM_GPU_SUBMIT_NO_FENCE, NULL);
	expect_halt(COSIM_GPU_ERR_BAD_OPCODE, st.ring_bus + (t + 1) * COSIM_GPU_CMD_SIZE,
		    "setup: NOP, opcode 0xee, NOP, NOP", i0[1]);
	cgpu_status(gfd, &st);
	reg_set(COSIM_GPU_REG_RING_CTRL, COSIM_GPU_RING_CTRL_CLEAR_ERROR_MASK);	/* disabled, error cleared */
	tail = reg(COSIM_GPU_REG_RING_TAIL);
	tap_ok(st.ring_head == t + 2 && tail == t + 4 && reg(COSIM_GPU_REG_ERR_CODE) == 0,
	       "halted with HEAD %u, TAIL %u; CLEAR_ERROR with the ring disabled clears ERR_CODE (HEAD %u, TAIL %llu)",
	       t + 2, t + 4, st.ring_head, (unsigned long long)tail);
	irq_snapshot(i0);
	cgpu_reg_write(gfd, COSIM_GPU_BAR_DOORBELL, COSIM_GPU_REG_DOORBELL, 4, t + 3);
	expect_halt(COSIM_GPU_ERR_RING_OVERRUN, t + 3, "doorbell with a tail between HEAD and TAIL (the waiting entries)", i0[1]);
	check_u64(reg(COSIM_GPU_REG_RING_TAIL), t + 4, "RING_TAIL keeps its value");
	check_rc(cgpu_reset(gfd, 0), "soft reset after the tail passed HEAD");

	/* 11-14: RING_CONFIG: enable a ring of 12 entries */
	irq_snapshot(i0);
	reg_set(COSIM_GPU_REG_RING_CTRL, 0);
	reg_set(COSIM_GPU_REG_RING_SIZE, 12);
	reg_set(COSIM_GPU_REG_RING_CTRL, COSIM_GPU_RING_CTRL_ENABLE_MASK);
	expect_halt(COSIM_GPU_ERR_RING_CONFIG, 12, "ring enabled with RING_SIZE 12", i0[1]);
	check_rc(cgpu_reset(gfd, 0), "soft reset after RING_CONFIG");
	works("RING_CONFIG and a soft reset");
	cgpu_status(gfd, &st);
	tap_ok(st.ring_entries == T_RING && reg(COSIM_GPU_REG_RING_SIZE) == T_RING,
	       "the reset programmed the ring with %d entries again (%u, RING_SIZE %llu)", T_RING, st.ring_entries,
	       (unsigned long long)reg(COSIM_GPU_REG_RING_SIZE));
	return tap_done();
}
