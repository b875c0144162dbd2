/* gpu_revoke - unbinding the device revokes what user space mapped: a
 * program keeps /dev/cosim0 open with BAR0, a DMA buffer and a freed but
 * still mapped DMA buffer mapped, and the GPU filling the buffer, while the
 * device is unbound (sysfs). remove() quiesces the GPU, frees every DMA
 * buffer (those of open files too) and zaps the mappings: a later access to
 * any of them raises SIGBUS (caught here), mmap and ioctls fail with ENODEV,
 * munmap and close work; binding again gives a device with no buffers left
 * over that runs commands, and the kernel log stays clean. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "gpu_test.h"

#define PLAN 11
#define TAG "gpu_revoke"
#define BUFSZ (1u << 20)

static sigjmp_buf jb;
static volatile sig_atomic_t sigs;

static void on_sigbus(int sig)
{
	(void)sig;
	sigs++;
	siglongjmp(jb, 1);
}

/* 1 if reading (or writing) the 8 bytes at p raises SIGBUS, 0 if not. */
static int faults(volatile uint64_t *p, int write, uint64_t *val)
{
	sigs = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 0x1234;
		else
			*val = *p;
	}
	return sigs > 0;
}

int main(void)
{
	struct sigaction sa;
	struct cosim_info info;
	struct cgpu_buf d, e, n = { 0 };
	volatile uint64_t *regs;
	union cgpu_cmd fills[4];
	uint64_t v = 0, cnt = 0, bytes = 0, seq = 0;
	void *p;
	int rc, i, f1, f2, f3;

	if (gpu_start(PLAN))
		return tap_done();
	klog_mark(TAG);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	cgpu_info(gfd, &info);

	/* 1: BAR0 and two buffers mapped, E freed by id (kept by its mapping) */
	regs = cgpu_map_bar(gfd, COSIM_GPU_BAR_REGS, 4096);
	must_alloc(BUFSZ, &d);
	must_alloc(4096, &e);
	memset(e.ptr, 0xee, 4096);
	{
		struct cosim_dma_free fr = { .id = e.id };

		rc = ioctl(gfd, COSIM_IOC_DMA_FREE, &fr) ? -errno : 0;
	}
	tap_ok(regs && regs[COSIM_GPU_REG_ID / 8] == COSIM_GPU_REG_ID_RESET && !rc,
	       "BAR0 mapped (ID 0x%llx), buffer D mapped, buffer E mapped and freed by id (%s)",
	       regs ? (unsigned long long)regs[COSIM_GPU_REG_ID / 8] : 0ull, strerror(-rc));

	/* 2: unbind with the GPU writing into D */
	for (i = 0; i < 4; i++)
		fills[i] = cgpu_fill(d.bus, BUFSZ, 0x11111111u * (unsigned)(i + 1), 0);
	rc = cgpu_submit(gfd, fills, 4, 0, &seq);
	rc = rc ? rc : gpu_unbind_dev(info.pci_name);
	check_rc(rc, "unbind %s with BAR0, D and E mapped and 4 MiB of FILL into D submitted",
		 info.pci_name);

	/* 3-5: every mapping is revoked */
	f1 = regs ? faults(&regs[COSIM_GPU_REG_ID / 8], 0, &v) : 0;
	tap_ok(f1, "reading BAR0's mapping after unbind raises SIGBUS%s", f1 ? "" : " (it read a value)");
	f2 = faults((volatile uint64_t *)d.ptr, 1, NULL);
	f3 = faults((volatile uint64_t *)((char *)d.ptr + BUFSZ - 8), 0, &v);
	tap_ok(f2 && f3, "writing and reading D's mapping after unbind raise SIGBUS (write %s, read %s)",
	       f2 ? "SIGBUS" : "went through", f3 ? "SIGBUS" : "went through");
	f1 = faults((volatile uint64_t *)e.ptr, 0, &v);
	tap_ok(f1, "reading E's mapping (freed by id, still mapped) after unbind raises SIGBUS");

	/* 6-7: the open file is dead */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, (off_t)COSIM_MMAP_BAR(COSIM_GPU_BAR_REGS));
	rc = p == MAP_FAILED ? -errno : 0;
	if (p != MAP_FAILED)
		munmap(p, 4096);
	tap_ok(rc == -ENODEV, "mmap of BAR0 after unbind fails with ENODEV (%s)", rc ? strerror(-rc) : "mapped");
	{
		int r1 = cgpu_rd(gfd, COSIM_GPU_REG_ID, &v), r2 = cgpu_buf_alloc(gfd, 4096, &n);

		tap_ok(r1 == -ENODEV && r2 == -ENODEV, "REG_READ and DMA_ALLOC fail with ENODEV (%s, %s)",
		       strerror(-r1), strerror(-r2));
	}

	/* 8: munmap and close */
	rc = 0;
	if (regs && cgpu_unmap_bar(regs, 4096))
		rc = -errno;
	if (munmap(d.ptr, d.size) || munmap(e.ptr, e.size))
		rc = -errno;
	if (close(gfd))
		rc = -errno;
	gfd = -1;
	check_rc(rc, "munmap of the revoked mappings and close of the file");

	/* 9-10: a fresh device */
	rc = gpu_bind_dev(info.pci_name);
	rc = rc ? rc : wait_devnode(1, 5000);
	rc = rc ? rc : dma_bufs(&cnt, &bytes);
	tap_ok(!rc && cnt == 0 && bytes == 0, "bind again: %s back, no DMA buffer left (%llu, %llu bytes)%s%s",
	       cgpu_default_path(), (unsigned long long)cnt, (unsigned long long)bytes,
	       rc ? ": " : "", rc ? strerror(-rc) : "");
	gfd = cgpu_open(NULL);
	rc = gfd < 0 ? gfd : cgpu_buf_alloc(gfd, 4096, &n);
	if (!rc) {
		memset(n.ptr, 0, 64);
		rc = run1(cgpu_fill(n.bus, 8, 0x600d600d, 0), "FILL after rebind");
	}
	tap_ok(!rc && *(volatile uint32_t *)n.ptr == 0x600d600d, "the new device runs commands (%s)",
	       rc ? strerror(-rc) : "ok");
	/* 11 */
	klog_clean(TAG, "kernel log clean (no BUG/WARNING/Oops/poison)");
	return tap_done();
}
