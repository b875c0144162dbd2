/* gpu_reset - soft reset through the driver (COSIM_GPU_IOC_RESET): every
 * register returns to its reset value but CYCLE, VRAM keeps its contents, a
 * reset in the middle of a 1 MiB copy drains and recovers, a fence waiter
 * blocked across the reset is woken with EIO (its work is lost), and the
 * sequence numbers go on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "gpu_test.h"

#define PLAN 12
#define MIB (1u << 20)

int main(void)
{
	struct cgpu_buf a, b;
	struct cosim_gpu_status st0, st1;
	uint64_t cyc0, cyc1, v = 0, seq = 0, seq2 = 0;
	union cgpu_cmd c;
	int rc, wrc, bad = 0, status = 0;
	pid_t pid;
	static const struct { uint32_t reg; uint64_t set; const char *name; } regs[] = {
		{ COSIM_GPU_REG_SCRATCH, 0xdead, "SCRATCH" },
		{ COSIM_GPU_REG_UART_CTRL, 1, "UART_CTRL" },
		{ COSIM_GPU_REG_NIC_CTRL, 0, "NIC_CTRL" },	/* set after the rings */
		{ COSIM_GPU_REG_NIC_TX_SIZE, 8, "NIC_TX_SIZE" },
		{ COSIM_GPU_REG_NIC_RX_BASE, 0x10000, "NIC_RX_BASE" },
	};
	unsigned i;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(MIB, &a);
	must_alloc(MIB, &b);
	cgpu_rng_fill(&grng, a.ptr, MIB);

	/* 1-5: registers, VRAM, CYCLE, the driver's counter */
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].set)
			reg_set(regs[i].reg, regs[i].set);
	run(NULL, 0, "a fence before the reset");	/* CMD_COUNT, LAST_FENCE not 0 */
	cgpu_reg_write(gfd, COSIM_GPU_BAR_VRAM, 0x2000, 8, 0xabcdef0123456789ull);
	cgpu_status(gfd, &st0);
	cyc0 = reg(COSIM_GPU_REG_CYCLE);
	rc = cgpu_reset(gfd, 0);
	cyc1 = reg(COSIM_GPU_REG_CYCLE);
	check_rc(rc, "COSIM_GPU_IOC_RESET");
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint64_t r = reg(regs[i].reg);

		if (r != 0 && !bad++)
			tap_diag("%s after soft reset: got 0x%llx want 0", regs[i].name, (unsigned long long)r);
	}
	if (reg(COSIM_GPU_REG_CMD_COUNT) != 0 && !bad++)
		tap_diag("CMD_COUNT after soft reset: got %llu want 0", (unsigned long long)reg(COSIM_GPU_REG_CMD_COUNT));
	if (reg(COSIM_GPU_REG_LAST_FENCE) != 0 && !bad++)
		tap_diag("LAST_FENCE after soft reset: got %llu want 0", (unsigned long long)reg(COSIM_GPU_REG_LAST_FENCE));
	if (reg(COSIM_GPU_REG_ERR_CODE) != 0 && !bad++)
		tap_diag("ERR_CODE after soft reset: got %llu want 0", (unsigned long long)reg(COSIM_GPU_REG_ERR_CODE));
	tap_ok(!bad, "SCRATCH, UART_CTRL, NIC registers, CMD_COUNT, LAST_FENCE, ERR_CODE back to 0 (%d wrong)", bad);
	cgpu_reg_read(gfd, COSIM_GPU_BAR_VRAM, 0x2000, 8, &v);
	check_u64(v, 0xabcdef0123456789ull, "VRAM keeps its contents across the soft reset");
	tap_ok(cyc1 > cyc0, "CYCLE keeps counting across the soft reset (%llu -> %llu)", (unsigned long long)cyc0,
	       (unsigned long long)cyc1);
	cgpu_status(gfd, &st1);
	tap_ok(st1.resets == st0.resets + 1 && (st1.flags & COSIM_GPU_ST_ENABLED),
	       "driver counted the reset (%llu -> %llu), ring enabled again", (unsigned long long)st0.resets,
	       (unsigned long long)st1.resets);

	/* 6-8: reset in the middle of a 1 MiB copy */
	c = cgpu_copy(a.bus, b.bus, MIB, 0);
	rc = cgpu_submit(gfd, &c, 1, 0, &seq);
	if (!rc)
		rc = cgpu_reset(gfd, 0);
	check_rc(rc, "soft reset right after submitting a 1 MiB COPY");
	wrc = cgpu_wait(gfd, seq, T_WAIT_MS);
	tap_ok(wrc == -EIO || wrc == 0, "its fence %llu: EIO (lost to the reset) or done before it (%s)",
	       (unsigned long long)seq, wrc ? strerror(-wrc) : "done");
	v = reg(COSIM_GPU_REG_STATUS);
	tap_ok(!(v & (COSIM_GPU_STATUS_BUSY_MASK | COSIM_GPU_STATUS_RESETTING_MASK | COSIM_GPU_STATUS_HALTED_MASK)) &&
	       (v & COSIM_GPU_STATUS_ENABLED_MASK),
	       "after it STATUS is enabled, not busy, resetting or halted (0x%llx)", (unsigned long long)v);

	/* 9-10: a waiter blocked across a reset gets EIO. Stop the ring so the work
	 * cannot run, submit, wait in a child, reset in the parent. */
	reg_set(COSIM_GPU_REG_RING_CTRL, 0);
	c = cgpu_fill(b.bus, 64, 0x01020304, 0);
	rc = cgpu_submit(gfd, &c, 1, 0, &seq);
	pid = rc ? -1 : fork();
	if (pid == 0) {
		int r = cgpu_wait(gfd, seq, 10000);

		_exit(r == -EIO ? 0 : r == 0 ? 1 : r == -ETIMEDOUT ? 2 : 3);
	}
	usleep(300000);
	rc = rc ? rc : cgpu_reset(gfd, 0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(!rc && pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a fence waiter blocked across the reset wakes with EIO (%s, child exit %d: 0 EIO, 1 done, 2 ETIMEDOUT)",
	       rc ? strerror(-rc) : "reset ok", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	wrc = cgpu_wait(gfd, seq, 0);
	tap_ok(wrc == -EIO, "later waits for that lost fence %llu fail with EIO too (%s)", (unsigned long long)seq,
	       wrc ? strerror(-wrc) : "succeeded");

	/* 11-12: the sequence goes on */
	rc = cgpu_submit(gfd, NULL, 0, 0, &seq2);
	tap_ok(!rc && seq2 == seq + 1, "the next fence gets sequence number %llu (%llu)", (unsigned long long)seq + 1,
	       (unsigned long long)seq2);
	check_rc(rc ? rc : cgpu_wait(gfd, seq2, T_WAIT_MS), "and completes");
	return tap_done();
}
