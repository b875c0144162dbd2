/*
 * {{NAME_C}}_test - {{NAME}}'s guest test: drives the device through its
 * driver (/dev/{{NAME_C}}0, ioctls in driver/{{NAME_C}}_uapi.h) and prints TAP:
 *   1..N / ok 1 - what / not ok 2 - what # why
 * Exit status 0 iff every test passed. Built static for the guest by cosim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "{{NAME_C}}_uapi.h"

#define DEV_PATH "/dev/{{NAME_C}}0"
#define NTESTS 7

static int tap_n, tap_failed;

/* ok(cond, why, what...): one TAP line; `why` is printed on failure only. */
static int ok(int cond, const char *why, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond) {
		printf(" # %s", why);
		tap_failed++;
	}
	printf("\n");
	fflush(stdout);
	return cond;
}

static int reg_read(int fd, uint32_t off, uint64_t *v)
{
	struct {{NAME_C}}_reg r = { .offset = off };

	if (ioctl(fd, {{NAME_UC}}_IOC_READ_REG, &r))
		return -errno;
	*v = r.value;
	return 0;
}

static int reg_write(int fd, uint32_t off, uint64_t v)
{
	struct {{NAME_C}}_reg r = { .offset = off, .value = v };

	return ioctl(fd, {{NAME_UC}}_IOC_WRITE_REG, &r) ? -errno : 0;
}

static uint64_t irq_count(int fd, int *msix)
{
	struct {{NAME_C}}_info info = { 0 };

	if (ioctl(fd, {{NAME_UC}}_IOC_INFO, &info))
		return 0;
	*msix = info.msix;
	return info.irqs;
}

/* A DMA copy of len bytes of random data, read back and compared here. */
static void test_dma(int fd, uint32_t len)
{
	uint8_t *src = malloc(len), *dst = malloc(len);
	struct {{NAME_C}}_dma a = { .len = len };
	char why[160] = "";
	uint32_t i;

	if (!src || !dst) {
		ok(0, "out of memory", "DMA copy of %u bytes", len);
		goto out;
	}
	for (i = 0; i < len; i++)
		src[i] = (uint8_t)random();
	memset(dst, 0, len);
	a.src = (uintptr_t)src;
	a.dst = (uintptr_t)dst;
	if (ioctl(fd, {{NAME_UC}}_IOC_DMA, &a))
		snprintf(why, sizeof(why), "ioctl: %s (DMA_STATUS 0x%llx)", strerror(errno),
			 (unsigned long long)a.status);
	else if (a.status != {{NAME_UC}}_STATUS_DONE)
		snprintf(why, sizeof(why), "DMA_STATUS 0x%llx, want DONE only", (unsigned long long)a.status);
	else
		for (i = 0; i < len; i++)
			if (dst[i] != src[i]) {
				snprintf(why, sizeof(why), "first wrong byte at offset %u: got 0x%02x want 0x%02x",
					 i, dst[i], src[i]);
				break;
			}
	ok(!why[0], why, "DMA copy of %u bytes", len);
out:
	free(src);
	free(dst);
}

int main(void)
{
	uint64_t v = 0, status = 0, irqs_before, irqs_after;
	char why[160];
	int fd, msix = 0, i;

	srandom(getenv("COSIM_SEED") ? (unsigned)atoi(getenv("COSIM_SEED")) : 1);
	printf("1..%d\n", NTESTS);
	fd = open(DEV_PATH, O_RDWR);
	if (!ok(fd >= 0, strerror(errno), "open " DEV_PATH)) {
		printf("Bail out! no device: is the driver loaded (lsmod, dmesg)?\n");
		return 1;
	}

	/* 2. The ID register holds the ids the RTL was built with. */
	snprintf(why, sizeof(why), "read failed");
	if (reg_read(fd, {{NAME_UC}}_REG_ID, &v) == 0)
		snprintf(why, sizeof(why), "got 0x%016llx want 0x%016llx", (unsigned long long)v,
			 (unsigned long long){{NAME_UC}}_ID_VALUE);
	ok(v == {{NAME_UC}}_ID_VALUE, why, "ID register");

	/* 3. SCRATCH keeps what was written, every bit. */
	{
		static const uint64_t pats[] = { 0x0123456789abcdefULL, ~0ULL, 0 };
		why[0] = 0;
		for (i = 0; i < 3 && !why[0]; i++) {
			v = ~pats[i];
			if (reg_write(fd, {{NAME_UC}}_REG_SCRATCH, pats[i]) || reg_read(fd, {{NAME_UC}}_REG_SCRATCH, &v) ||
			    v != pats[i])
				snprintf(why, sizeof(why), "wrote 0x%016llx, read 0x%016llx",
					 (unsigned long long)pats[i], (unsigned long long)v);
		}
		ok(!why[0], why, "SCRATCH write/read-back");
	}

	/* 4-5. DMA copies: one beat, then the maximum (many bursts, 4 KiB crossings). */
	irqs_before = irq_count(fd, &msix);
	test_dma(fd, 8);
	test_dma(fd, {{NAME_UC}}_DMA_MAX);

	/* 6. Each copy raised its completion interrupt. */
	irqs_after = irq_count(fd, &msix);
	if (msix) {
		snprintf(why, sizeof(why), "count went from %llu to %llu", (unsigned long long)irqs_before,
			 (unsigned long long)irqs_after);
		ok(irqs_after == irqs_before + 2, why, "one MSI-X per DMA copy");
	} else {
		printf("ok %d - one MSI-X per DMA copy # SKIP the driver has no MSI-X vector\n", ++tap_n);
	}

	/* 7. The device itself refuses a length that is not a multiple of 8. */
	reg_write(fd, {{NAME_UC}}_REG_DMA_LEN, 12);
	reg_write(fd, {{NAME_UC}}_REG_DMA_CTRL, {{NAME_UC}}_CTRL_START);
	for (i = 0; i < 1000; i++)
		if (reg_read(fd, {{NAME_UC}}_REG_DMA_STATUS, &status) || !(status & {{NAME_UC}}_STATUS_BUSY))
			break;
	snprintf(why, sizeof(why), "DMA_STATUS 0x%llx", (unsigned long long)status);
	ok(status == ({{NAME_UC}}_STATUS_DONE | {{NAME_UC}}_STATUS_ERROR), why, "DMA_LEN 12 sets DMA_STATUS.error");

	close(fd);
	return tap_failed || tap_n != NTESTS;
}
