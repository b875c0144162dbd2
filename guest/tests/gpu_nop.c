/* gpu_nop - NOP: completes and counts (CMD_COUNT, RING_HEAD), interrupts
 * only with FLAGS.IRQ; an empty submission is just a fence. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 7
#define N 10

int main(void)
{
	union cgpu_cmd cmds[N];
	struct cosim_gpu_status st;
	uint64_t c0, c1, seq0 = 0, seq1 = 0, irq0[4], irq1[4], cnt = 0;
	int i, rc;

	if (gpu_start(PLAN))
		return tap_done();
	for (i = 0; i < N; i++)
		cmds[i] = cgpu_nop(0);
	c0 = reg(COSIM_GPU_REG_CMD_COUNT);
	/* 1 */
	check_rc(run(cmds, N, "10 NOPs"), "%d NOPs and the driver's fence complete", N);
	c1 = reg(COSIM_GPU_REG_CMD_COUNT);
	/* 2 */
	check_u64(c1 - c0, N + 1, "CMD_COUNT after %d NOPs + 1 fence (CMD_COUNT %llu -> %llu)", N,
		  (unsigned long long)c0, (unsigned long long)c1);
	/* 3 */
	cgpu_status(gfd, &st);
	tap_ok(st.ring_head == st.ring_tail && (st.hw_status & COSIM_GPU_STATUS_RING_EMPTY_MASK) &&
	       !(st.hw_status & COSIM_GPU_STATUS_BUSY_MASK),
	       "afterwards RING_HEAD == tail (%u, %u), STATUS RING_EMPTY and not BUSY (0x%x)",
	       st.ring_head, st.ring_tail, st.hw_status);

	/* 4: a NOP with FLAGS.IRQ (no fence) sends one completion interrupt */
	irq_snapshot(irq0);
	cmds[0] = cgpu_nop(CGPU_IRQ);
	rc = cgpu_submit(gfd, cmds, 1, COSIM_GPU_SUBMIT_NO_FENCE, NULL);
	if (!rc)
		rc = cgpu_wait_irq(gfd, COSIM_GPU_VEC_COMPLETION, irq0[0], 5000, &cnt);
	check_rc(rc, "NOP with FLAGS.IRQ: completion interrupt (vector %d)", COSIM_GPU_VEC_COMPLETION);
	usleep(20000);
	irq_snapshot(irq1);
	/* 5 */
	tap_ok(irq1[0] == irq0[0] + 1 && irq1[1] == irq0[1],
	       "exactly one completion interrupt, no error interrupt (vector 0: %llu -> %llu, vector 1: %llu -> %llu)",
	       (unsigned long long)irq0[0], (unsigned long long)irq1[0],
	       (unsigned long long)irq0[1], (unsigned long long)irq1[1]);

	/* 6-7: an empty submission is a fence with the next sequence number */
	rc = cgpu_submit(gfd, NULL, 0, 0, &seq0);
	if (!rc)
		rc = cgpu_submit(gfd, NULL, 0, 0, &seq1);
	tap_ok(!rc && seq1 == seq0 + 1, "two empty submissions get consecutive sequence numbers (%llu, %llu)%s%s",
	       (unsigned long long)seq0, (unsigned long long)seq1, rc ? ": " : "", rc ? strerror(-rc) : "");
	check_rc(cgpu_wait(gfd, seq1, T_WAIT_MS), "fence %llu completes", (unsigned long long)seq1);
	return tap_done();
}
