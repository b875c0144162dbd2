/* mmio_soak - reads the ID register back to back for a few seconds and checks
 * every value. Not in the default suite: the failure tests run it while they
 * kill the simulator, to see what a guest sees when its device dies (reads
 * that complete with all-ones after QEMU's MMIO timeout, never a hang). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cosim_test.h"

#define SOAK_SECONDS 8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	double t0, slowest = 0;
	unsigned long reads = 0;
	uint64_t v = 0;
	int fd, rc = 0;

	tap_plan(1);
	fd = cosim_open();
	if (fd < 0) {
		tap_fail(strerror(errno), "open %s", cosim_path());
		return tap_done();
	}
	t0 = now_s();
	while (now_s() - t0 < SOAK_SECONDS) {
		double r0 = now_s();

		rc = cosim_read(fd, 0, REG_ID, 8, &v);
		if (now_s() - r0 > slowest)
			slowest = now_s() - r0;
		if (rc || v != EXAMPLE_ID)
			break;
		reads++;
	}
	tap_diag("%lu good reads, slowest %.3f s", reads, slowest);
	if (rc)
		tap_fail(strerror(-rc), "ID read %lu", reads + 1);
	else
		tap_ok(v == EXAMPLE_ID, "ID read %lu returned 0x%016llx", reads + (v != EXAMPLE_ID),
		       (unsigned long long)v);
	return tap_done();
}
