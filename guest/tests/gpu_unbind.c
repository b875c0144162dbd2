/* gpu_unbind - the driver's remove path with the device in use: a fence
 * waiter blocked in COSIM_GPU_IOC_WAIT_FENCE while the PCI device is unbound
 * (sysfs) wakes with ENODEV, every later call on the open file fails with
 * ENODEV, /dev/cosim0 disappears, closing the file frees its DMA buffers;
 * binding again brings /dev/cosim0 back with a working ring. The kernel log
 * has no report of a kernel bug since the start (the last close of a removed
 * device's file used to put its cdev after the device was freed: boot with
 * slub_debug=FZP, or a KASAN kernel, to see it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "gpu_test.h"

#define PLAN 9
#define TAG "gpu_unbind"

int main(void)
{
	struct cosim_info info;
	struct cosim_gpu_status st;
	struct cgpu_buf buf;
	union cgpu_cmd c;
	uint64_t seq = 0;
	int rc, status = 0;
	pid_t pid;

	if (gpu_start(PLAN))
		return tap_done();
	klog_mark(TAG);
	cgpu_info(gfd, &info);
	must_alloc(8192, &buf);
	reg_set(COSIM_GPU_REG_RING_CTRL, 0);	/* the ring stops: the fence cannot complete */
	c = cgpu_fill(buf.bus, 64, 1, 0);
	rc = cgpu_submit(gfd, &c, 1, 0, &seq);
	pid = rc ? -1 : fork();
	if (pid == 0) {
		int r = cgpu_wait(gfd, seq, 20000);

		_exit(r == -ENODEV ? 0 : r == 0 ? 1 : r == -ETIMEDOUT ? 2 : r == -EIO ? 3 : 4);
	}
	usleep(300000);
	/* 1-2 */
	rc = rc ? rc : gpu_unbind_dev(info.pci_name);
	check_rc(rc, "unbind %s from cosim_gpu while a fence waiter is blocked", info.pci_name);
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the blocked waiter wakes with ENODEV (child exit %d: 0 ENODEV, 1 done, 2 ETIMEDOUT, 3 EIO)",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* 3-4 */
	rc = cgpu_status(gfd, &st);
	{
		int rc2 = cgpu_submit(gfd, &c, 1, 0, NULL), rc3 = cgpu_wait(gfd, seq, 0);

		tap_ok(rc == -ENODEV && rc2 == -ENODEV && rc3 == -ENODEV,
		       "STATUS, SUBMIT and WAIT_FENCE on the open file fail with ENODEV (%s, %s, %s)",
		       strerror(-rc), strerror(-rc2), strerror(-rc3));
	}
	check_rc(wait_devnode(0, 5000), "%s disappears", cgpu_default_path());
	/* 5: closing frees the buffers (the device is gone: no reset) */
	munmap(buf.ptr, buf.size);
	tap_ok(close(gfd) == 0, "closing the file of the removed device");
	/* 6-8 */
	rc = gpu_bind_dev(info.pci_name);
	check_rc(rc, "bind %s to cosim_gpu again", info.pci_name);
	check_rc(rc ? rc : wait_devnode(1, 5000), "%s reappears", cgpu_default_path());
	gfd = cgpu_open(NULL);
	if (gfd < 0) {
		tap_fail(strerror(-gfd), "the new device runs commands");
		klog_clean(TAG, "kernel log clean (no BUG/WARNING/Oops/poison)");
		return tap_done();
	}
	must_alloc(4096, &buf);
	memset(buf.ptr, 0, 64);
	rc = run1(cgpu_fill(buf.bus, 8, 0x600d600d, 0), "FILL after rebind");
	tap_ok(!rc && *(volatile uint32_t *)buf.ptr == 0x600d600d, "the new device runs commands (%s, 0x%08x)",
	       rc ? strerror(-rc) : "ok", *(volatile uint32_t *)buf.ptr);
	/* 9 */
	klog_clean(TAG, "kernel log clean (no BUG/WARNING/Oops/poison)");
	return tap_done();
}
