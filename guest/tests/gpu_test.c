/* gpu_test.c - see gpu_test.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>

#include "gpu_test.h"

int gfd = -1;
uint64_t gseed = 1;
struct cgpu_rng grng;
struct cgpu_buf gstage;

int gpu_start(int plan)
{
	struct cosim_info info;
	char why[256];
	int rc;

	tap_plan(plan);
	gseed = cgpu_env_seed(1);
	cgpu_rng_seed(&grng, gseed);
	tap_diag("seed=%llu", (unsigned long long)gseed);
	gfd = cgpu_open(NULL);
	if (gfd < 0) {
		snprintf(why, sizeof(why), "cannot open %s: %s", cgpu_default_path(), strerror(-gfd));
		goto fail;
	}
	rc = cgpu_info(gfd, &info);
	if (rc) {
		snprintf(why, sizeof(why), "COSIM_IOC_INFO: %s", strerror(-rc));
		goto fail;
	}
	if (info.vendor != COSIM_GPU_VENDOR_ID || info.device != COSIM_GPU_DEVICE_ID ||
	    cgpu_is_gpu(gfd) != 1) {
		snprintf(why, sizeof(why), "%s is %04x:%04x, not the GPU %04x:%04x", cgpu_default_path(),
			 info.vendor, info.device, COSIM_GPU_VENDOR_ID, COSIM_GPU_DEVICE_ID);
		goto fail;
	}
	rc = cgpu_reset(gfd, T_RING);
	if (rc) {
		snprintf(why, sizeof(why), "COSIM_GPU_IOC_RESET: %s", strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	tap_fail_rest(why);
	return -1;
}

size_t diff_bytes(const void *got_, const void *want_, size_t len, char *desc, size_t desclen)
{
	const uint8_t *got = got_, *want = want_;
	size_t i, bad = 0, first = 0;

	for (i = 0; i < len; i++)
		if (got[i] != want[i] && !bad++)
			first = i;
	if (bad && desc)
		snprintf(desc, desclen, "first wrong byte at offset %zu: got 0x%02x want 0x%02x (%zu wrong byte%s of %zu)",
			 first, got[first], want[first], bad, bad == 1 ? "" : "s", len);
	return bad;
}

int check_bytes(const void *got, const void *want, size_t len, const char *fmt, ...)
{
	char what[256], desc[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!diff_bytes(got, want, len, desc, sizeof(desc)))
		return tap_ok(1, "%s", what);
	tap_fail(desc, "%s", what);
	tap_diag("%s: %s", what, desc);
	return 0;
}

int check_u64(uint64_t got, uint64_t want, const char *fmt, ...)
{
	char what[256], desc[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (got == want)
		return tap_ok(1, "%s", what);
	snprintf(desc, sizeof(desc), "got 0x%llx want 0x%llx", (unsigned long long)got,
		 (unsigned long long)want);
	tap_fail(desc, "%s", what);
	tap_diag("%s: %s", what, desc);
	return 0;
}

int check_rc(int rc, const char *fmt, ...)
{
	char what[256], desc[300], state[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!rc)
		return tap_ok(1, "%s", what);
	snprintf(desc, sizeof(desc), "%s (%s)", strerror(-rc), cgpu_describe(gfd, state, sizeof(state)));
	tap_fail(desc, "%s", what);
	tap_diag("%s: %s", what, desc);
	return 0;
}

int run(const union cgpu_cmd *cmds, unsigned n, const char *what)
{
	char state[200];
	uint64_t seq = 0;
	int rc = cgpu_submit(gfd, cmds, n, 0, &seq);

	if (rc) {
		tap_diag("%s: submit of %u command(s) failed: %s (%s)", what, n, strerror(-rc),
			 cgpu_describe(gfd, state, sizeof(state)));
		return rc;
	}
	rc = cgpu_wait(gfd, seq, T_WAIT_MS);
	if (rc)
		tap_diag("%s: fence %llu: %s (%s)", what, (unsigned long long)seq, strerror(-rc),
			 cgpu_describe(gfd, state, sizeof(state)));
	return rc;
}

int run1(union cgpu_cmd c, const char *what)
{
	return run(&c, 1, what);
}

static int stage(void)
{
	if (gstage.ptr)
		return 0;
	return cgpu_buf_alloc(gfd, STAGE_SIZE, &gstage);
}

int vram_write(uint64_t off, const void *src, size_t len)
{
	int rc = stage();

	if (rc)
		return rc;
	if (len > STAGE_SIZE)
		return -EINVAL;
	memcpy(gstage.ptr, src, len);
	return run1(cgpu_copy(gstage.bus, off, (uint32_t)len, CGPU_DST_VRAM), "COPY guest->VRAM (staging)");
}

int vram_read(uint64_t off, void *dst, size_t len)
{
	int rc = stage();

	if (rc)
		return rc;
	if (len > STAGE_SIZE)
		return -EINVAL;
	rc = run1(cgpu_copy(off, gstage.bus, (uint32_t)len, CGPU_SRC_VRAM), "COPY VRAM->guest (staging)");
	if (!rc)
		memcpy(dst, gstage.ptr, len);
	return rc;
}

void must_alloc(size_t size, struct cgpu_buf *b)
{
	int rc = cgpu_buf_alloc(gfd, size, b);

	if (rc)
		tap_bail("DMA buffer of %zu bytes: %s", size, strerror(-rc));
}

uint64_t reg(uint32_t off)
{
	uint64_t v = 0;
	int rc = cgpu_rd(gfd, off, &v);

	if (rc)
		tap_bail("read BAR0+0x%x: %s", off, strerror(-rc));
	return v;
}

void reg_set(uint32_t off, uint64_t v)
{
	int rc = cgpu_wr(gfd, off, v);

	if (rc)
		tap_bail("write BAR0+0x%x: %s", off, strerror(-rc));
}

void irq_snapshot(uint64_t counts[4])
{
	int rc = cgpu_irq_counts(gfd, counts, 4);

	if (rc < 0)
		tap_bail("COSIM_IOC_IRQ_COUNTS: %s", strerror(-rc));
}

int wait_halted(unsigned ms, struct cosim_gpu_status *st)
{
	uint64_t deadline = cgpu_now_ns() + (uint64_t)ms * 1000000ull;
	int rc;

	for (;;) {
		rc = cgpu_status(gfd, st);
		if (rc)
			return rc;
		if (st->flags & COSIM_GPU_ST_HALTED)
			return 0;
		if (cgpu_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

static const char *kernel_name(unsigned k)
{
	return k == COSIM_GPU_KERNEL_VADD ? "VADD" : k == COSIM_GPU_KERNEL_SAXPY ? "SAXPY" :
	       k == COSIM_GPU_KERNEL_REDUCE_SUM ? "REDUCE_SUM" : "kernel?";
}

int check_kernel(unsigned kernel, uint32_t count, int32_t alpha, int inplace)
{
	static int32_t a[KERNEL_MAX_COUNT + 16], b[KERNEL_MAX_COUNT + 16], want[KERNEL_MAX_COUNT + 16],
		got[KERNEL_MAX_COUNT + 16];
	const uint64_t va = 0, vb = 0x40000, vc = inplace ? vb : 0x80000, vr = 0x80008;
	const uint32_t guard = 0xdeadbeef;
	/* elements checked: count, rounded up to the line, plus one more line */
	uint32_t span = ((count + COSIM_GPU_LANES - 1) / COSIM_GPU_LANES + 1) * COSIM_GPU_LANES;
	char what[160];
	uint32_t i;
	int rc;

	if (count > KERNEL_MAX_COUNT)
		count = KERNEL_MAX_COUNT;
	if (kernel == COSIM_GPU_KERNEL_SAXPY)
		snprintf(what, sizeof(what), "DISPATCH SAXPY count %u alpha %d%s", count, alpha,
			 inplace ? " in place (C = B)" : "");
	else
		snprintf(what, sizeof(what), "DISPATCH %s count %u", kernel_name(kernel), count);
	for (i = 0; i < count; i++) {
		a[i] = (int32_t)cgpu_rng_next(&grng);
		b[i] = (int32_t)cgpu_rng_next(&grng);
	}
	rc = vram_write(va, a, (size_t)count * 4 + 4);
	if (!rc && kernel != COSIM_GPU_KERNEL_REDUCE_SUM) {
		/* B, then the guard past it (in place: the guard is C's) */
		for (i = count; i < span; i++)
			b[i] = (int32_t)guard;
		rc = vram_write(vb, b, (size_t)span * 4);
		if (!rc && !inplace) {
			for (i = 0; i < span; i++)
				want[i] = (int32_t)guard;
			rc = vram_write(vc, want, (size_t)span * 4);
		}
	} else if (!rc) {
		for (i = 0; i < 4; i++)
			want[i] = (int32_t)guard;
		rc = vram_write(vr, want, 16);
	}
	if (!rc)
		rc = run1(cgpu_dispatch(kernel, count, va, vb,
					kernel == COSIM_GPU_KERNEL_REDUCE_SUM ? vr : vc, alpha, 0), what);
	if (rc) {
		tap_fail(strerror(-rc), "%s", what);
		return 0;
	}
	if (kernel == COSIM_GPU_KERNEL_REDUCE_SUM) {
		int64_t sum = 0, g64 = 0;
		uint32_t after = 0;

		cgpu_ref_dispatch(kernel, count, a, b, &sum, alpha);
		rc = vram_read(vr, got, 16);
		memcpy(&g64, got, 8);
		memcpy(&after, &got[2], 4);
		if (rc) {
			tap_fail(strerror(-rc), "%s: reading C back", what);
			return 0;
		}
		if (g64 != sum || after != guard) {
			char why[160];

			snprintf(why, sizeof(why), "%s: got %lld (0x%llx) want %lld (0x%llx); guard after C 0x%08x",
				 g64 != sum ? "wrong sum" : "guard overwritten", (long long)g64,
				 (unsigned long long)g64, (long long)sum, (unsigned long long)sum, after);
			tap_fail(why, "%s", what);
			tap_diag("%s: %s", what, why);
			return 0;
		}
		return tap_ok(1, "%s = %lld", what, (long long)sum);
	}
	cgpu_ref_dispatch(kernel, count, a, b, want, alpha);
	for (i = count; i < span; i++)
		want[i] = (int32_t)guard;
	rc = vram_read(vc, got, (size_t)span * 4);
	if (rc) {
		tap_fail(strerror(-rc), "%s: reading C back", what);
		return 0;
	}
	for (i = 0; i < span; i++) {
		if (got[i] != want[i]) {
			char why[200];

			if (i < count)
				snprintf(why, sizeof(why),
					 "first wrong element C[%u] (VRAM 0x%llx): got 0x%08x want 0x%08x (A=0x%08x B=0x%08x)",
					 i, (unsigned long long)vc + 4ull * i, (uint32_t)got[i], (uint32_t)want[i],
					 (uint32_t)a[i], (uint32_t)b[i]);
			else
				snprintf(why, sizeof(why),
					 "element C[%u] past COUNT %u was written (VRAM 0x%llx): got 0x%08x want the guard 0x%08x",
					 i, count, (unsigned long long)vc + 4ull * i, (uint32_t)got[i], guard);
			tap_fail(why, "%s", what);
			tap_diag("%s: %s", what, why);
			return 0;
		}
	}
	return tap_ok(1, "%s", what);
}

/* ---- device lifetime ---- */

int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int gpu_unbind_dev(const char *pci_name)
{
	return sysfs_write(DRV_SYSFS "/unbind", pci_name);
}

int gpu_bind_dev(const char *pci_name)
{
	return sysfs_write(DRV_SYSFS "/bind", pci_name);
}

int wait_devnode(int present, unsigned ms)
{
	unsigned i;

	for (i = 0; i <= ms / 10; i++) {
		if ((access(cgpu_default_path(), F_OK) == 0) == present)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

int dma_bufs(uint64_t *count, uint64_t *bytes)
{
	const char *node = strrchr(cgpu_default_path(), '/');
	unsigned long long c = 0, b = 0;
	char path[128], line[128];
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/cosim/%s/dma_bufs", node ? node + 1 : "cosim0");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		got += sscanf(line, "buffers %llu", &c) == 1;
		got += sscanf(line, "bytes %llu", &b) == 1;
	}
	fclose(f);
	if (got != 2)
		return -EPROTO;
	*count = c;
	*bytes = b;
	return 0;
}

int klog_mark(const char *tag)
{
	char line[160];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "<6>cosim-test: %s\n", tag);
	if (write(fd, line, strlen(line)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int klog_check(const char *tag, char *first, size_t len)
{
	static const char *const bad[] = {
		"BUG", "WARNING", "Oops", "general protection", "Call Trace", "KASAN", "UBSAN",
		"DMA-API", "Poison overwritten", "Redzone", "list_add corruption",
		"list_del corruption", "refcount_t", "possible circular locking",
		"possible recursive locking", "suspicious RCU usage", "kernel BUG",
	};
	char mark[160], *buf, *p, *line, *end;
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n, found = 0;
	size_t i;

	if (first && len)
		first[0] = 0;
	if (size <= 0)
		return -errno;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return -ENOMEM;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		n = -errno;
		free(buf);
		return n;
	}
	buf[n] = 0;
	snprintf(mark, sizeof(mark), "cosim-test: %s", tag);
	/* after the last mark (all of the log if there is none) */
	for (p = buf, line = buf; (p = strstr(p, mark)); p++)
		line = p;
	for (; *line; line = end + (*end != 0)) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (memmem(line, (size_t)(end - line), bad[i], strlen(bad[i]))) {
				if (!found++ && first && len)
					snprintf(first, len, "%.*s", (int)(end - line), line);
				break;
			}
		}
	}
	free(buf);
	return found;
}

int klog_clean(const char *tag, const char *what)
{
	char first[200];
	int n = klog_check(tag, first, sizeof(first));

	if (n < 0) {
		tap_fail(strerror(-n), "%s", what);
		return 0;
	}
	if (n) {
		char why[260];

		snprintf(why, sizeof(why), "%d line(s), first: %s", n, first);
		tap_fail(why, "%s", what);
		return 0;
	}
	return tap_ok(1, "%s", what);
}
