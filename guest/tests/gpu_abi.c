/* gpu_abi - the ioctls refuse what they do not know: a non-zero pad field
 * (cosim_dma_alloc.pad, cosim_dma_free.pad, cosim_gpu_reset.pad: the only
 * reserved fields user space passes in) and unknown flag bits (SUBMIT,
 * WAIT_FENCE, RESET) fail with EINVAL and change nothing (no buffer
 * allocated, none freed, no reset); the same calls with the fields zero work. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include "gpu_test.h"

#define PLAN 8

static int xioctl(unsigned long req, void *arg)
{
	return ioctl(gfd, req, arg) ? -errno : 0;
}

int main(void)
{
	struct cosim_dma_alloc a;
	struct cosim_dma_free f;
	struct cosim_gpu_reset r;
	struct cosim_gpu_submit s;
	struct cosim_gpu_wait w;
	struct cosim_gpu_status st0, st1;
	struct cgpu_buf b;
	uint64_t n0 = 0, n1 = 0, bytes = 0;
	int rc, rc2;

	if (gpu_start(PLAN))
		return tap_done();

	/* 1-2: DMA_ALLOC */
	rc2 = dma_bufs(&n0, &bytes);
	memset(&a, 0, sizeof(a));
	a.size = 4096;
	a.pad = 1;
	rc = xioctl(COSIM_IOC_DMA_ALLOC, &a);
	if (!rc) {
		f = (struct cosim_dma_free){ .id = a.id };
		xioctl(COSIM_IOC_DMA_FREE, &f);
	}
	rc2 = rc2 ? rc2 : dma_bufs(&n1, &bytes);
	tap_ok(rc == -EINVAL && !rc2 && n1 == n0,
	       "DMA_ALLOC with pad 1 -> %s (want EINVAL), buffers %llu -> %llu%s%s", rc ? strerror(-rc) : "ok",
	       (unsigned long long)n0, (unsigned long long)n1, rc2 ? ", dma_bufs: " : "",
	       rc2 ? strerror(-rc2) : "");
	memset(&a, 0, sizeof(a));
	a.size = 4096;
	rc = xioctl(COSIM_IOC_DMA_ALLOC, &a);
	tap_ok(!rc && a.id, "DMA_ALLOC with pad 0 -> id %u (%s)", a.id, rc ? strerror(-rc) : "ok");

	/* 3-4: DMA_FREE */
	f = (struct cosim_dma_free){ .id = a.id, .pad = 0x100 };
	rc = xioctl(COSIM_IOC_DMA_FREE, &f);
	f.pad = 0;
	rc2 = xioctl(COSIM_IOC_DMA_FREE, &f);
	tap_ok(rc == -EINVAL && rc2 == 0,
	       "DMA_FREE with pad 0x100 -> %s (want EINVAL), the buffer stays: DMA_FREE with pad 0 -> %s",
	       rc ? strerror(-rc) : "ok", rc2 ? strerror(-rc2) : "ok");
	must_alloc(4096, &b);
	memset(&s, 0, sizeof(s));
	s.flags = 1u << 7;
	rc = xioctl(COSIM_GPU_IOC_SUBMIT, &s);
	memset(&w, 0, sizeof(w));
	w.flags = 1u << 5;
	rc2 = xioctl(COSIM_GPU_IOC_WAIT_FENCE, &w);
	tap_ok(rc == -EINVAL && rc2 == -EINVAL, "SUBMIT and WAIT_FENCE with an unknown flag -> %s, %s (want EINVAL)",
	       rc ? strerror(-rc) : "ok", rc2 ? strerror(-rc2) : "ok");

	/* 5-7: RESET */
	cgpu_status(gfd, &st0);
	memset(&r, 0, sizeof(r));
	r.pad = 1;
	rc = xioctl(COSIM_GPU_IOC_RESET, &r);
	memset(&r, 0, sizeof(r));
	r.flags = 1u << 9;
	rc2 = xioctl(COSIM_GPU_IOC_RESET, &r);
	cgpu_status(gfd, &st1);
	tap_ok(rc == -EINVAL && rc2 == -EINVAL, "RESET with pad 1 -> %s, with an unknown flag -> %s (want EINVAL)",
	       rc ? strerror(-rc) : "ok", rc2 ? strerror(-rc2) : "ok");
	check_u64(st1.resets, st0.resets, "no reset done by the refused RESETs (driver's reset count)");
	memset(&r, 0, sizeof(r));
	check_rc(xioctl(COSIM_GPU_IOC_RESET, &r), "RESET with every field 0 works");

	/* 8 */
	memset(b.ptr, 0, 64);
	rc = run1(cgpu_fill(b.bus, 8, 0xab1ab1ab, 0), "FILL after the refused calls");
	tap_ok(!rc && *(volatile uint32_t *)b.ptr == 0xab1ab1ab, "the GPU runs commands (%s)",
	       rc ? strerror(-rc) : "ok");
	return tap_done();
}
