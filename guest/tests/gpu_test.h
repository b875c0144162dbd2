/*
 * gpu_test.h - shared by the GPU test programs (gpu_*.c): start-up (TAP plan,
 * device check, fresh ring, seed), checks whose failure messages name the
 * command, the offset and the expected/actual values, and VRAM staging.
 * Built with cosim_test.c and libcosimgpu.a (guest/lib/) into every program.
 */
#ifndef GPU_TEST_H
#define GPU_TEST_H

#include <stddef.h>
#include <stdint.h>
#include "cosim_test.h"
#include "cosimgpu.h"

#define T_WAIT_MS	30000		/* per fence wait */
#define T_RING		256		/* ring size every test starts with */

extern int gfd;				/* the device */
extern uint64_t gseed;			/* $COSIM_SEED or 1 */
extern struct cgpu_rng grng;		/* seeded with gseed */

/*
 * tap_plan(plan), opens the device, checks it is the GPU (1234:c0de with
 * COSIM_CAP_GPU) and resets it (a fresh T_RING-entry ring), prints
 * "# seed=N". On failure every planned test fails with the reason and it
 * returns -1 (then `return tap_done();`).
 */
int gpu_start(int plan);

/* Compares bytes; on a mismatch *desc gets "first wrong byte at offset N: got
 * 0x.. want 0x.. (K wrong bytes)". Returns the number of wrong bytes. */
size_t diff_bytes(const void *got, const void *want, size_t len, char *desc, size_t desclen);
/* tap_ok when equal, else tap_fail "WHAT: first wrong byte at offset ..." */
int check_bytes(const void *got, const void *want, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* tap_ok when got == want, else "WHAT: got 0x.. want 0x.." */
int check_u64(uint64_t got, uint64_t want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* tap_ok when rc == 0, else "WHAT: <strerror> (<ring state>)" */
int check_rc(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Submit + wait. 0 or -errno; on failure prints a "# ..." diagnostic with the
 * ring's error state, naming `what`. */
int run(const union cgpu_cmd *cmds, unsigned n, const char *what);
int run1(union cgpu_cmd c, const char *what);

/* VRAM through a guest staging buffer (COPY), up to STAGE_SIZE bytes. */
#define STAGE_SIZE	(COSIM_GPU_VRAM_SIZE + 4096)
extern struct cgpu_buf gstage;		/* allocated on first use */
int vram_write(uint64_t off, const void *src, size_t len);
int vram_read(uint64_t off, void *dst, size_t len);

/* Allocates a DMA buffer or bails out (TAP "Bail out!"). */
void must_alloc(size_t size, struct cgpu_buf *b);
/* BAR0 register access that bails out on an ioctl error. */
uint64_t reg(uint32_t off);
void reg_set(uint32_t off, uint64_t v);
/* Counts of the 4 vectors. */
void irq_snapshot(uint64_t counts[4]);
/* Polls STATUS until the driver recorded a halted ring (error vector), at most ms. */
int wait_halted(unsigned ms, struct cosim_gpu_status *st);


/* ---- device lifetime (gpu_unbind, gpu_revoke, gpu_dma_lifetime) ---- */
#define DRV_SYSFS	"/sys/bus/pci/drivers/cosim_gpu"
/* Writes val to a sysfs file: 0 or -errno. */
int sysfs_write(const char *path, const char *val);
/* Unbinds / binds PCI device `pci_name` (cosim_info.pci_name) from/to cosim_gpu. */
int gpu_unbind_dev(const char *pci_name);
int gpu_bind_dev(const char *pci_name);
/* Waits until cgpu_default_path() exists (present 1) or not (0): 0 or -ETIMEDOUT. */
int wait_devnode(int present, unsigned ms);
/*
 * /sys/class/cosim/<node>/dma_bufs of the device behind cgpu_default_path():
 * the driver's DMA buffers with memory still allocated (ids not freed, or
 * freed but still mapped) and their bytes. 0 or -errno.
 */
int dma_bufs(uint64_t *count, uint64_t *bytes);

/*
 * The kernel log. klog_mark writes "cosim-test: TAG" to /dev/kmsg; klog_check
 * scans the lines after the last such mark for reports of kernel bugs (BUG,
 * WARNING, Oops, general protection, Call Trace, KASAN, UBSAN, DMA-API,
 * SLUB poison/redzone errors, list corruption, refcount_t, lockdep) and
 * returns how many it found, the first in `first` (or -errno). tap_ok on
 * klog_clean(TAG, what) prints the first such line in the failure.
 */
int klog_mark(const char *tag);
int klog_check(const char *tag, char *first, size_t len);
int klog_clean(const char *tag, const char *what);
#endif

/*
 * One DISPATCH checked against a CPU reference: A (and B) get `count` random
 * int32 from grng, loaded into VRAM (A at 0, B at 0x40000, C at 0x80000, or
 * C = B when inplace; REDUCE_SUM's C at 0x80008), C's window is pre-filled
 * with a guard, the kernel runs, C is read back and compared element by
 * element, and the guard past COUNT (to the end of the 32-byte line and one
 * more line) must be intact. Prints one TAP line naming the first wrong
 * element with its inputs.
 */
#define KERNEL_MAX_COUNT 65536
int check_kernel(unsigned kernel, uint32_t count, int32_t alpha, int inplace);
