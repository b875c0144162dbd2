/* gpu_irq - interrupt counts per vector: one completion interrupt per
 * command with FLAGS.IRQ, none without it or with INT_MASK set (INT_STATUS
 * still records the cause, W1C clears it), no error or NIC/UART interrupts
 * meanwhile; the counters in sysfs and /proc/interrupts agree. The same
 * under MSI-X and under INTx (pci=nomsi: the driver counts the causes it
 * clears from INT_STATUS, masked ones it leaves alone). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 9
#define N 12

/* "<vector> <count>" lines of /sys/class/cosim/cosimN/irq_counts */
static int sysfs_counts(uint64_t c[4])
{
	char path[128], line[64];
	const char *dev = cgpu_default_path(), *base = strrchr(dev, '/');
	FILE *f;
	unsigned v;
	unsigned long long n;
	int got = 0;

	snprintf(path, sizeof(path), "/sys/class/cosim/%s/irq_counts", base ? base + 1 : dev);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %llu", &v, &n) == 2 && v < 4) {
			c[v] = n;
			got++;
		}
	fclose(f);
	return got;
}

int main(void)
{
	struct cgpu_buf buf;
	uint64_t i0[4], i1[4], s[4] = { 0 }, st, seq = 0;
	union cgpu_cmd c[3];
	int i, rc = 0, n;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4096, &buf);

	/* 1-2: N submissions, each ends with the driver's fence with FLAGS.IRQ */
	irq_snapshot(i0);
	for (i = 0; i < N && !rc; i++) {
		c[0] = cgpu_copy(buf.bus, buf.bus + 2048, 64, 0);
		rc = run(c, 1, "COPY + fence");
	}
	usleep(50000);	/* a late duplicate would show up */
	irq_snapshot(i1);
	check_rc(rc, "%d submissions (COPY + fence with FLAGS.IRQ), each waited for", N);
	tap_ok(i1[0] - i0[0] == N && i1[1] == i0[1] && i1[2] == i0[2] && i1[3] == i0[3],
	       "exactly %d completion interrupts (vector 0 +%llu), none on vectors 1-3 (+%llu +%llu +%llu)", N,
	       (unsigned long long)(i1[0] - i0[0]), (unsigned long long)(i1[1] - i0[1]),
	       (unsigned long long)(i1[2] - i0[2]), (unsigned long long)(i1[3] - i0[3]));

	/* 3: commands without FLAGS.IRQ (no driver fence; our own fence without IRQ) */
	memset(buf.ptr, 0, 64);
	irq_snapshot(i0);
	c[0] = cgpu_nop(0);
	c[1] = cgpu_fill(buf.bus + 8, 8, 1, 0);
	c[2] = cgpu_fence(buf.bus, 77, 0);
	rc = cgpu_submit(gfd, c, 3, COSIM_GPU_SUBMIT_NO_FENCE, NULL);
	for (i = 0; i < 5000 && !rc && *(volatile uint64_t *)buf.ptr != 77; i++)
		usleep(1000);
	usleep(20000);
	irq_snapshot(i1);
	tap_ok(!rc && *(volatile uint64_t *)buf.ptr == 77 && i1[0] == i0[0],
	       "NOP, FILL, WRITE_FENCE without FLAGS.IRQ: done, no completion interrupt (fence 0x%llx, vector 0 +%llu)",
	       (unsigned long long)*(volatile uint64_t *)buf.ptr, (unsigned long long)(i1[0] - i0[0]));

	/* 4-6: INT_MASK.CMD_DONE keeps vector 0 quiet; INT_STATUS records; W1C */
	reg_set(COSIM_GPU_REG_INT_STATUS, COSIM_GPU_INT_STATUS_CMD_DONE_MASK);
	reg_set(COSIM_GPU_REG_INT_MASK, COSIM_GPU_INT_MASK_CMD_DONE_MASK);
	irq_snapshot(i0);
	rc = cgpu_submit(gfd, NULL, 0, 0, &seq);
	if (!rc)
		rc = cgpu_wait_ex(gfd, seq, T_WAIT_MS, COSIM_GPU_WAIT_POLL, NULL);
	usleep(20000);
	irq_snapshot(i1);
	st = reg(COSIM_GPU_REG_INT_STATUS);
	tap_ok(!rc && i1[0] == i0[0], "with INT_MASK.CMD_DONE the fence completes without an interrupt (%s, vector 0 +%llu)",
	       rc ? strerror(-rc) : "ok", (unsigned long long)(i1[0] - i0[0]));
	tap_ok(st & COSIM_GPU_INT_STATUS_CMD_DONE_MASK, "INT_STATUS.CMD_DONE recorded the masked cause (0x%llx)",
	       (unsigned long long)st);
	reg_set(COSIM_GPU_REG_INT_STATUS, COSIM_GPU_INT_STATUS_CMD_DONE_MASK);
	st = reg(COSIM_GPU_REG_INT_STATUS);
	tap_ok(!(st & COSIM_GPU_INT_STATUS_CMD_DONE_MASK), "writing 1 clears INT_STATUS.CMD_DONE (0x%llx)",
	       (unsigned long long)st);
	/* 7: unmasked again */
	reg_set(COSIM_GPU_REG_INT_MASK, 0);
	irq_snapshot(i0);
	rc = run(NULL, 0, "fence after unmasking");
	irq_snapshot(i1);
	tap_ok(!rc && i1[0] == i0[0] + 1, "after clearing INT_MASK the next fence interrupts (%s, vector 0 +%llu)",
	       rc ? strerror(-rc) : "ok", (unsigned long long)(i1[0] - i0[0]));

	/* 8: sysfs */
	irq_snapshot(i0);
	n = sysfs_counts(s);
	tap_ok(n == 4 && !memcmp(s, i0, sizeof(s)),
	       "sysfs irq_counts = the ioctl's counts (%d vectors: %llu %llu %llu %llu vs %llu %llu %llu %llu)", n,
	       (unsigned long long)s[0], (unsigned long long)s[1], (unsigned long long)s[2], (unsigned long long)s[3],
	       (unsigned long long)i0[0], (unsigned long long)i0[1], (unsigned long long)i0[2], (unsigned long long)i0[3]);
	/* 9: /proc/interrupts names the vectors (INTx: the one line, which may be shared) */
	{
		FILE *f = fopen("/proc/interrupts", "r");
		char line[512];
		int found = 0, intx = cgpu_irq_mode_expected() == COSIM_IRQ_MODE_INTX;

		while (f && fgets(line, sizeof(line), f)) {
			if (!strstr(line, "cosim"))
				continue;
			if (intx && strstr(line, "-intx"))
				found = 0xf;
			for (i = 0; i < 4 && !intx; i++) {
				char name[32];

				snprintf(name, sizeof(name), "-v%d\n", i);
				if (strstr(line, name))
					found |= 1 << i;
			}
		}
		if (f)
			fclose(f);
		tap_ok(found == 0xf, "/proc/interrupts lists %s (found mask 0x%x)",
		       intx ? "the INTx line cosimN-intx" : "cosimN-v0..v3", found);
	}
	return tap_done();
}
