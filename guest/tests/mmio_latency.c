/* mmio_latency - round-trip time of 8-byte MMIO reads of SCRATCH, through the
 * driver's ioctl and through a user mapping of BAR0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cosim_test.h"

#define N 2000
#define PLAN 2

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t ns[N];

static void report(const char *key)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < N; i++)
		sum += ns[i];
	qsort(ns, N, sizeof(ns[0]), cmp_u64);
	tap_diag("%s p50=%llu p99=%llu", key, (unsigned long long)ns[N / 2],
		 (unsigned long long)ns[N * 99 / 100]);
	tap_diag("%s_stats n=%d min=%llu mean=%llu max=%llu", key, N, (unsigned long long)ns[0],
		 (unsigned long long)(sum / N), (unsigned long long)ns[N - 1]);
}

int main(void)
{
	const uint64_t pat = 0x5eed5eed12345678ull;
	volatile uint64_t *bar0;
	int fd, i, bad = 0, rc = 0;

	tap_plan(PLAN);
	fd = cosim_open();
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot open %s: %s", cosim_path(), strerror(errno));
		tap_fail_rest(why);
		return tap_done();
	}
	wr64(fd, REG_SCRATCH, pat);
	for (i = 0; i < N; i++) {
		uint64_t v = 0, t0 = now_ns();

		rc = cosim_read(fd, 0, REG_SCRATCH, 8, &v);
		ns[i] = now_ns() - t0;
		if (rc)
			break;
		bad += v != pat;
	}
	if (rc) {
		tap_fail(strerror(-rc), "%d 8-byte reads of SCRATCH via ioctl", N);
	} else {
		report("mmio_read_rtt_ns");
		tap_ok(!bad, "%d 8-byte reads of SCRATCH via ioctl (%d wrong values)", N, bad);
	}

	bar0 = cosim_map_bar(fd, 0, 0x10000);
	if (!bar0) {
		tap_fail(strerror(errno), "%d 8-byte reads of SCRATCH via mmap of BAR0", N);
	} else {
		bad = 0;
		for (i = 0; i < N; i++) {
			uint64_t v, t0 = now_ns();

			v = bar0[REG_SCRATCH / 8];
			ns[i] = now_ns() - t0;
			bad += v != pat;
		}
		report("mmio_read_rtt_ns_direct");
		tap_ok(!bad, "%d 8-byte reads of SCRATCH via mmap of BAR0 (%d wrong values)", N, bad);
	}
	close(fd);
	return tap_done();
}
