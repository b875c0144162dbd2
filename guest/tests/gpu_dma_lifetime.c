/* gpu_dma_lifetime - a DMA buffer's memory lives as long as a mapping of it:
 * COSIM_IOC_DMA_FREE on a mapped buffer only drops its id (DMA_FREE again and
 * mmap of its offset fail with EINVAL), the mapping keeps working and never
 * aliases a buffer allocated later, a forked child's copy of the mapping and
 * the pieces of a partly unmapped one keep the memory too, and the memory goes
 * with the last mapping (the driver's dma_bufs count in sysfs). Before memory
 * is freed the device must not be able to reach it: a free waits for a
 * running ring to drain (the work completes), soft-resets a stopped ring with
 * entries left, and disables a NIC that user space enabled. The GPU keeps
 * working throughout and the kernel log stays clean (boot with slub_debug=FZP,
 * or a KASAN kernel, for the strongest check). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "gpu_test.h"

#define PLAN 17
#define TAG "gpu_dma_lifetime"
#define SZ (16 * 4096)

static int dma_free_id(uint32_t id)
{
	struct cosim_dma_free f = { .id = id };

	return ioctl(gfd, COSIM_IOC_DMA_FREE, &f) ? -errno : 0;
}

static void fill(void *p, size_t len, uint64_t seed)
{
	struct cgpu_rng r;

	cgpu_rng_seed(&r, seed);
	cgpu_rng_fill(&r, p, len);
}

/* tap_ok when dma_bufs counts `want` buffers. */
static int check_count(uint64_t want, const char *what)
{
	uint64_t n = 0, bytes = 0;
	int rc = dma_bufs(&n, &bytes);

	if (rc) {
		tap_fail(strerror(-rc), "%s: dma_bufs", what);
		return 0;
	}
	return tap_ok(n == want, "%s: dma_bufs counts %llu buffer(s) (%llu bytes), want %llu", what,
		      (unsigned long long)n, (unsigned long long)bytes, (unsigned long long)want);
}

int main(void)
{
	struct cgpu_buf a, b, c;
	uint64_t base = 0, bytes = 0;
	uint8_t *want = malloc(SZ);
	void *p;
	pid_t pid;
	int rc, rc2, status = 0;

	if (gpu_start(PLAN))
		return tap_done();
	klog_mark(TAG);
	if (!want)
		tap_bail("malloc");
	rc = dma_bufs(&base, &bytes);
	if (rc)
		tap_diag("dma_bufs: %s", strerror(-rc));

	/* 1-3: A mapped, filled, freed by id */
	must_alloc(SZ, &a);
	fill(want, SZ, gseed + 1);
	memcpy(a.ptr, want, SZ);
	check_rc(dma_free_id(a.id), "DMA_FREE of mapped buffer %u (%d bytes)", a.id, SZ);
	rc = dma_free_id(a.id);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, (off_t)COSIM_MMAP_DMA(a.id));
	rc2 = p == MAP_FAILED ? -errno : 0;
	if (p != MAP_FAILED)
		munmap(p, 4096);
	tap_ok(rc == -EINVAL && rc2 == -EINVAL,
	       "its id is gone: DMA_FREE again -> %s, mmap of its offset -> %s (want EINVAL, EINVAL)",
	       strerror(-rc), rc2 ? strerror(-rc2) : "mapped");
	check_count(base + 1, "the freed buffer's memory stays while it is mapped");

	/* 4-6: B allocated after A's id went: no aliasing; the GPU writes B only */
	must_alloc(SZ, &b);
	memset(b.ptr, 0x5a, SZ);
	check_bytes(a.ptr, want, SZ, "A's mapping keeps its bytes after a new buffer B is allocated and written");
	rc = run1(cgpu_fill(b.bus, SZ, 0x0b0b0b0b, 0), "FILL B");
	tap_ok(!rc && ((uint32_t *)b.ptr)[0] == 0x0b0b0b0b && ((uint32_t *)b.ptr)[SZ / 4 - 1] == 0x0b0b0b0b,
	       "the GPU fills B (%s)", rc ? strerror(-rc) : "ok");
	check_bytes(a.ptr, want, SZ, "A's mapping unchanged by the GPU's FILL of B");

	/* 7: A stays writable */
	fill(want, SZ, gseed + 2);
	memcpy(a.ptr, want, SZ);
	check_bytes(a.ptr, want, SZ, "A's mapping is still usable (written and read back after DMA_FREE)");

	/* 8-9: a forked child's copy of the mapping keeps the memory after the parent unmaps */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(300000);	/* the parent unmaps meanwhile */
		if (memcmp(a.ptr, want, SZ))
			_exit(1);
		memset(a.ptr, 0xc5, SZ);
		_exit(((uint8_t *)a.ptr)[SZ - 1] == 0xc5 ? 0 : 2);
	}
	rc = munmap(a.ptr, SZ) ? -errno : 0;
	a.ptr = NULL;
	check_rc(rc ? rc : pid < 0 ? -errno : 0, "parent unmaps A while a forked child still maps it");
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the child reads A's bytes and writes A after the parent's munmap (exit %d: 0 ok, 1 wrong bytes, 2 write lost)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* 10: the child's exit took the last mapping: A's memory is gone */
	check_count(base + 1, "A's memory freed with its last mapping (only B left)");

	/* 11-12: C freed by id, then unmapped in pieces */
	must_alloc(SZ, &c);
	fill(want, SZ, gseed + 3);
	memcpy(c.ptr, want, SZ);
	rc = dma_free_id(c.id);
	rc = rc ? rc : munmap((char *)c.ptr + 4096, SZ - 2 * 4096) ? -errno : 0;
	check_rc(rc, "DMA_FREE of C, then munmap of all but its first and last page");
	rc = !memcmp(c.ptr, want, 4096) && !memcmp((char *)c.ptr + SZ - 4096, want + SZ - 4096, 4096);
	memset(c.ptr, 1, 4096);
	memset((char *)c.ptr + SZ - 4096, 2, 4096);
	tap_ok(rc && ((uint8_t *)c.ptr)[SZ - 1] == 2,
	       "C's first and last page keep their bytes and take writes");
	munmap(c.ptr, 4096);
	munmap((char *)c.ptr + SZ - 4096, 4096);

	/* 13: B the usual way (munmap, then DMA_FREE): back where we started */
	rc = cgpu_buf_free(gfd, &b);
	if (rc)
		tap_diag("cgpu_buf_free(B): %s", strerror(-rc));
	check_count(base, "every buffer's memory freed (C with its last piece, B by munmap + DMA_FREE)");

	/* 14: a free waits for the ring to drain */
	{
		struct cosim_gpu_status st0, st1;
		union cgpu_cmd f[2];
		uint64_t seq = 0, done = 0;

		must_alloc(1 << 20, &b);
		f[0] = cgpu_fill(b.bus, 1 << 20, 0x14141414, 0);
		f[1] = cgpu_fill(b.bus, 1 << 20, 0x41414141, 0);
		cgpu_status(gfd, &st0);
		rc = cgpu_submit(gfd, f, 2, 0, &seq);
		rc = rc ? rc : cgpu_buf_free(gfd, &b);
		/* the fence as it is now, without waiting */
		rc2 = rc ? rc : cgpu_wait_ex(gfd, seq, 0, COSIM_GPU_WAIT_POLL, &done);
		cgpu_status(gfd, &st1);
		tap_ok(!rc && !rc2 && st1.resets == st0.resets,
		       "DMA_FREE of a buffer the GPU is filling (2 x 1 MiB) returns after the work completed (%s; fence %llu of %llu; resets %llu -> %llu)",
		       rc ? strerror(-rc) : rc2 ? strerror(-rc2) : "ok", (unsigned long long)done,
		       (unsigned long long)seq, (unsigned long long)st0.resets, (unsigned long long)st1.resets);
	}
	/* 15: ... and resets a stopped ring that still holds work */
	{
		struct cosim_gpu_status st0, st1;
		uint64_t seq = 0;
		union cgpu_cmd f;

		must_alloc(4096, &b);
		cgpu_status(gfd, &st0);
		reg_set(COSIM_GPU_REG_RING_CTRL, 0);	/* the ring stops: the FILL stays pending */
		f = cgpu_fill(b.bus, 4096, 0x15151515, 0);
		rc = cgpu_submit(gfd, &f, 1, 0, &seq);
		rc = rc ? rc : cgpu_buf_free(gfd, &b);
		rc2 = rc ? rc : cgpu_wait(gfd, seq, 2000);
		cgpu_status(gfd, &st1);
		must_alloc(4096, &b);
		memset(b.ptr, 0, 8);
		rc = rc ? rc : run1(cgpu_fill(b.bus, 8, 0x600d600d, 0), "FILL after the reset");
		tap_ok(!rc && rc2 == -EIO && st1.resets == st0.resets + 1 && *(volatile uint32_t *)b.ptr == 0x600d600d,
		       "DMA_FREE with the ring stopped and a FILL into the buffer pending soft-resets the GPU (resets %llu -> %llu, the FILL's fence: %s, want EIO), which then runs commands (%s)",
		       (unsigned long long)st0.resets, (unsigned long long)st1.resets,
		       rc2 ? strerror(-rc2) : "completed", rc ? strerror(-rc) : "ok");
		cgpu_buf_free(gfd, &b);
	}
	/* 16: ... and stops a NIC that user space enabled */
	{
		struct cgpu_nic nic;
		uint64_t ctrl = ~0ull;

		memset(&nic, 0, sizeof(nic));
		must_alloc(4096, &c);
		rc = cgpu_nic_init(gfd, &nic, 8, 8);
		rc = rc ? rc : cgpu_buf_free(gfd, &c);
		rc = rc ? rc : cgpu_rd(gfd, COSIM_GPU_REG_NIC_CTRL, &ctrl);
		tap_ok(!rc && ctrl == 0, "DMA_FREE while user space has the NIC enabled disables it first (NIC_CTRL 0x%llx)%s%s",
		       (unsigned long long)ctrl, rc ? ": " : "", rc ? strerror(-rc) : "");
		cgpu_nic_fini(&nic);
	}
	/* 17 */
	klog_clean(TAG, "kernel log clean (no BUG/WARNING/Oops/poison)");
	free(want);
	return tap_done();
}
