/* gpu_unbind_race - remove racing with everything a program does: three
 * worker processes loop on open, DMA_ALLOC + mmap, a BAR0 mapping, loads and
 * stores through both, DMA_FREE of the mapped buffer, a FILL into it, a
 * fence wait, munmap and close, while the device is unbound and bound again
 * ROUNDS times. A worker may see ENOENT/ENODEV and SIGBUS (caught); it must
 * never read back a wrong value from a mapping that did not fault, and must
 * not crash. Afterwards the device runs commands and the kernel log is
 * clean (boot with slub_debug=FZP, or a KASAN/lockdep kernel). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "gpu_test.h"

#define ROUNDS 4
#define WORKERS 3
#define PLAN (ROUNDS + 3)
#define TAG "gpu_unbind_race"
#define BUFSZ (64 * 1024)

struct shared {
	volatile int stop;
	volatile unsigned long iters[WORKERS], sigbus[WORKERS], enodev[WORKERS];
};

static struct shared *sh;
static sigjmp_buf jb;
static void *volatile map_buf, *volatile map_regs;
static volatile int wfd = -1;		/* the worker's file: survives siglongjmp */

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* 0 when every value read back was right; 1 on a wrong value. */
static int worker(int w)
{
	struct sigaction sa;
	uint64_t seq;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	while (!sh->stop) {
		if (sigsetjmp(jb, 1)) {
			sh->sigbus[w]++;
			goto cleanup;
		}
		wfd = cgpu_open(NULL);
		if (wfd < 0) {
			wfd = -1;
			usleep(2000);
			continue;
		}
		{
			struct cgpu_buf b;
			volatile uint64_t *p, *r;
			struct cosim_dma_free f;
			union cgpu_cmd c;
			uint64_t pat = 0x5eed000000000000ull | ((uint64_t)w << 32) | sh->iters[w];
			int fd = wfd;

			if (cgpu_buf_alloc(fd, BUFSZ, &b)) {
				sh->enodev[w]++;
				goto cleanup;
			}
			map_buf = b.ptr;
			map_regs = (void *)cgpu_map_bar(fd, COSIM_GPU_BAR_REGS, 4096);
			p = b.ptr;
			r = map_regs;
			p[0] = pat;
			p[BUFSZ / 8 - 1] = ~pat;
			if (p[0] != pat || p[BUFSZ / 8 - 1] != ~pat)
				return 1;
			if (r && r[COSIM_GPU_REG_ID / 8] != COSIM_GPU_REG_ID_RESET)
				return 1;
			f = (struct cosim_dma_free){ .id = b.id };
			ioctl(fd, COSIM_IOC_DMA_FREE, &f);	/* the mapping keeps it */
			c = cgpu_fill(b.bus, 4096, 0x77777777, 0);
			if (!cgpu_submit(fd, &c, 1, 0, &seq) && !cgpu_wait(fd, seq, 2000) &&
			    p[1] != 0x7777777777777777ull)
				return 1;
			p[2] = pat;
			if (p[2] != pat)
				return 1;
		}
cleanup:
		if (map_buf)
			munmap(map_buf, BUFSZ);
		if (map_regs)
			munmap(map_regs, 4096);
		map_buf = map_regs = NULL;
		if (wfd >= 0)
			close(wfd);
		wfd = -1;
		sh->iters[w]++;
	}
	return 0;
}

int main(void)
{
	struct cosim_info info;
	struct cgpu_buf b = { 0 };
	pid_t pid[WORKERS];
	int i, rc, bad = 0, status;
	unsigned long it = 0, sb = 0;

	if (gpu_start(PLAN))
		return tap_done();
	klog_mark(TAG);
	cgpu_info(gfd, &info);
	close(gfd);
	gfd = -1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_bail("mmap: %s", strerror(errno));
	memset((void *)sh, 0, sizeof(*sh));
	fflush(stdout);
	for (i = 0; i < WORKERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(worker(i));
	}
	usleep(300000);
	for (i = 0; i < ROUNDS; i++) {
		rc = gpu_unbind_dev(info.pci_name);
		usleep(100000 + 50000 * i);
		rc = rc ? rc : gpu_bind_dev(info.pci_name);
		rc = rc ? rc : wait_devnode(1, 5000);
		check_rc(rc, "round %d: unbind and bind %s while %d workers use it", i + 1, info.pci_name,
			 WORKERS);
		usleep(200000);
	}
	sh->stop = 1;
	for (i = 0; i < WORKERS; i++) {
		status = -1;
		if (pid[i] > 0)
			waitpid(pid[i], &status, 0);
		if (!(pid[i] > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			bad++;
			tap_diag("worker %d: %s %d", i, WIFSIGNALED(status) ? "killed by signal" : "exit",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		it += sh->iters[i];
		sb += sh->sigbus[i];
	}
	tap_ok(!bad && it > 0, "%d workers exited cleanly, no wrong value read (%lu iterations, %lu SIGBUS caught)",
	       WORKERS, it, sb);
	gfd = cgpu_open(NULL);
	rc = gfd < 0 ? gfd : cgpu_reset(gfd, T_RING);
	rc = rc ? rc : cgpu_buf_alloc(gfd, 4096, &b);
	if (!rc) {
		memset(b.ptr, 0, 8);
		rc = run1(cgpu_fill(b.bus, 8, 0x600d600d, 0), "FILL after the races");
	}
	tap_ok(!rc && *(volatile uint32_t *)b.ptr == 0x600d600d, "the device runs commands afterwards (%s)",
	       rc ? strerror(-rc) : "ok");
	klog_clean(TAG, "kernel log clean (no BUG/WARNING/Oops/poison)");
	return tap_done();
}
