/* mmio_smp - MMIO reads from every CPU at once while the device copies by
 * DMA: one reader process pinned to each CPU reads ID and its own REGFILE
 * slot through the BAR0 mapping; meanwhile the parent runs DMA copies and
 * checks their data. With more than one vCPU, cosim-pcie must keep several
 * reads in flight and serve DMA meanwhile (run with cosim run --cpus 4). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cosim_test.h"

#define READS 400
#define COPIES 8
#define COPY_LEN 65536
#define MAX_CPUS 16

/* A reader: its result is its exit status (0 good, else the failing read + 1). */
static int reader(int fd, int cpu)
{
	volatile uint64_t *bar0 = cosim_map_bar(fd, 0, 0x1000);
	volatile uint64_t *slot;
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) || !bar0)
		return 250;
	slot = &bar0[REG_REGFILE / 8 + cpu];
	for (i = 0; i < READS; i++) {
		uint64_t want = ((uint64_t)cpu << 56) | (uint64_t)i;

		if (bar0[REG_ID / 8] != EXAMPLE_ID)
			return 1 + (i % 249);
		*slot = want;
		if (*slot != want)
			return 1 + (i % 249);
	}
	return 0;
}

int main(void)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pid_t pids[MAX_CPUS];
	struct cgpu_buf src, dst;
	int fd, rc, c, cpu, copies_ok = 0;
	uint64_t t0;

	if (ncpu > MAX_CPUS)
		ncpu = MAX_CPUS;
	if (ncpu > REG_REGFILE_COUNT)
		ncpu = REG_REGFILE_COUNT;
	tap_plan(2 + ncpu);
	tap_diag("%d CPUs online", ncpu);
	fd = cosim_open();
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot open %s: %s", cosim_path(), strerror(errno));
		tap_fail_rest(why);
		return tap_done();
	}
	if (cgpu_buf_alloc(fd, COPY_LEN, &src) || cgpu_buf_alloc(fd, COPY_LEN, &dst))
		tap_bail("cannot allocate DMA buffers");

	t0 = now_ns();
	for (cpu = 0; cpu < ncpu; cpu++) {
		pids[cpu] = fork();
		if (pids[cpu] == 0)
			_exit(reader(fd, cpu));
	}
	for (c = 0; c < COPIES; c++) {
		unsigned char *s = src.ptr, *d = dst.ptr;
		uint64_t status = 0;
		int i, spins;

		for (i = 0; i < COPY_LEN; i++)
			s[i] = (unsigned char)(i * 31 + c);
		memset(d, 0, COPY_LEN);
		wr64(fd, REG_DMA_SRC, src.bus);
		wr64(fd, REG_DMA_DST, dst.bus);
		wr64(fd, REG_DMA_LEN, COPY_LEN);
		wr64(fd, REG_DMA_CTRL, DMA_CTRL_START);
		for (spins = 0; spins < 100000; spins++) {
			status = rd64(fd, REG_DMA_STATUS);
			if (!(status & DMA_STATUS_BUSY))
				break;
		}
		if ((status & (DMA_STATUS_DONE | DMA_STATUS_ERROR)) == DMA_STATUS_DONE &&
		    !memcmp(s, d, COPY_LEN))
			copies_ok++;
		else
			tap_diag("copy %d: status 0x%llx", c, (unsigned long long)status);
	}
	tap_ok(copies_ok == COPIES, "%d of %d DMA copies of %d bytes correct while %d CPUs read",
	       copies_ok, COPIES, COPY_LEN, ncpu);
	for (cpu = 0; cpu < ncpu; cpu++) {
		int st = 0;

		waitpid(pids[cpu], &st, 0);
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
		tap_ok(rc == 0, "CPU %d: %d reads of ID and its REGFILE slot%s", cpu, 2 * READS,
		       rc == 250 ? " (could not pin or map)" : rc ? " (a wrong value)" : "");
	}
	tap_ok(1, "all done in %llu ms", (unsigned long long)((now_ns() - t0) / 1000000));
	cgpu_buf_free(fd, &src);
	cgpu_buf_free(fd, &dst);
	close(fd);
	return tap_done();
}
