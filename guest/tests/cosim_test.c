/* cosim_test.c - see cosim_test.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "cosim_test.h"

static int tap_planned, tap_count, tap_failed;

void tap_plan(int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_planned = n;
	printf("1..%d\n", n);
}

static void tap_line(int ok, const char *directive, const char *reason,
		     const char *fmt, va_list ap)
{
	tap_count++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	if (reason && *reason)
		printf(" # %s%s", directive, reason);
	printf("\n");
	fflush(stdout);
}

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(cond, "", NULL, fmt, ap);
	va_end(ap);
	return cond;
}

void tap_fail(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(0, "", reason, fmt, ap);
	va_end(ap);
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(1, "SKIP ", reason, fmt, ap);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

void tap_fail_rest(const char *reason)
{
	while (tap_count < tap_planned) {
		tap_count++;
		tap_failed++;
		printf("not ok %d - not run # %s\n", tap_count, reason);
	}
	fflush(stdout);
}

int tap_done(void)
{
	if (tap_count != tap_planned)
		tap_diag("planned %d tests but ran %d", tap_planned, tap_count);
	fflush(stdout);
	return (tap_failed || tap_count != tap_planned) ? 1 : 0;
}

const char *cosim_path(void)
{
	const char *p = getenv("COSIM_DEV");

	return p && *p ? p : "/dev/cosim0";
}

int cosim_open(void)
{
	return open(cosim_path(), O_RDWR | O_CLOEXEC);
}

int cosim_info(int fd, struct cosim_info *info)
{
	return ioctl(fd, COSIM_IOC_INFO, info) ? -errno : 0;
}

int cosim_read(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct cosim_reg r = { .bar = bar, .size = size, .offset = off };

	if (ioctl(fd, COSIM_IOC_REG_READ, &r))
		return -errno;
	*val = r.value;
	return 0;
}

int cosim_write(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct cosim_reg r = { .bar = bar, .size = size, .offset = off, .value = val };

	return ioctl(fd, COSIM_IOC_REG_WRITE, &r) ? -errno : 0;
}

uint64_t rd64(int fd, uint64_t off)
{
	uint64_t v = 0;
	int rc = cosim_read(fd, 0, off, 8, &v);

	if (rc)
		tap_bail("read BAR0+0x%llx: %s", (unsigned long long)off, strerror(-rc));
	return v;
}

void wr64(int fd, uint64_t off, uint64_t val)
{
	int rc = cosim_write(fd, 0, off, 8, val);

	if (rc)
		tap_bail("write BAR0+0x%llx: %s", (unsigned long long)off, strerror(-rc));
}

int cosim_wait_irq(int fd, unsigned vector, uint64_t after, unsigned timeout_ms, uint64_t *count)
{
	struct cosim_irq_wait w = { .vector = vector, .timeout_ms = timeout_ms, .after = after };
	int rc = ioctl(fd, COSIM_IOC_WAIT_IRQ, &w) ? -errno : 0;

	if (count)
		*count = w.count;
	return rc;
}

int cosim_irq_counts(int fd, struct cosim_irq_counts *c)
{
	return ioctl(fd, COSIM_IOC_IRQ_COUNTS, c) ? -errno : 0;
}

volatile void *cosim_map_bar(int fd, unsigned bar, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)COSIM_MMAP_BAR(bar));

	return p == MAP_FAILED ? NULL : p;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
