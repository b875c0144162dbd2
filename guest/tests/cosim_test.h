/*
 * cosim_test.h - tiny helper shared by the guest test programs: TAP output
 * and wrappers around the /dev/cosimN ioctls (include/cosim_gpu_uapi.h).
 *
 * Every test program prints TAP version 12 on stdout:
 *   1..N
 *   ok 1 - description
 *   not ok 2 - description # reason
 *   # comment
 * and exits 0 when every test passed, 1 otherwise.
 * The device is $COSIM_DEV if set, else /dev/cosim0.
 */
#ifndef COSIM_TEST_H
#define COSIM_TEST_H

#include <stddef.h>
#include <stdint.h>
#include "cosim_gpu_uapi.h"
#include "cosimgpu.h"

/* Example device register map (docs/example-device.md), BAR0 offsets. */
#define REG_ID			0x000
#define REG_SCRATCH		0x008
#define REG_CYCLE		0x010
#define REG_DMA_SRC		0x020
#define REG_DMA_DST		0x028
#define REG_DMA_LEN		0x030
#define REG_DMA_CTRL		0x038
#define REG_DMA_STATUS		0x040
#define REG_MSIX_TRIGGER	0x048
#define REG_IRQ_STATUS		0x060	/* W1C: vectors raised while MSI-X was off (INTx) */
#define REG_CFG_STATE		0x068	/* RO: the host's PCI config bits as the device sees them */
#define CFG_STATE_MSIX_ENABLE	(1u << 0)
#define CFG_STATE_MSIX_MASKED	(1u << 1)
#define CFG_STATE_BUS_MASTER	(1u << 2)
#define CFG_STATE_INTX_DISABLE	(1u << 3)
#define CFG_STATE_INTX		(1u << 4)	/* the device requests INTx */
#define REG_REGFILE		0x100	/* 16 x 64-bit */
#define REG_REGFILE_COUNT	16
#define DMA_CTRL_START		(1u << 0)
#define DMA_CTRL_IRQ		(1u << 1)
#define DMA_CTRL_VECTOR(v)	((uint64_t)(v) << 8)
#define DMA_STATUS_BUSY		(1u << 0)
#define DMA_STATUS_DONE		(1u << 1)
#define DMA_STATUS_ERROR	(1u << 2)
#define EXAMPLE_ID		0x00010000C051E001ull
#define EXAMPLE_VENDOR		0x1234
#define EXAMPLE_DEVICE		0xC051
#define EXAMPLE_CLASS		0x120000
#define EXAMPLE_VECTORS		4

/* ---- TAP ---- */
void tap_plan(int n);
/* Prints "ok N - desc" or "not ok N - desc"; returns cond. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "not ok N - desc # reason" */
void tap_fail(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "Bail out! reason" and exit 1 (e.g. no device). */
void tap_bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Fails the remaining planned tests as "# skipped: reason"; no exit. */
void tap_fail_rest(const char *reason);
/* Exit code: 0 if all planned tests ran and passed, 1 otherwise. */
int tap_done(void);

/* ---- device ---- */
/* Opens $COSIM_DEV or /dev/cosim0; -1 with errno on failure. */
int cosim_open(void);
const char *cosim_path(void);
int cosim_info(int fd, struct cosim_info *info);
/* Return 0 or -errno. */
int cosim_read(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
int cosim_write(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t val);
/* BAR0 8-byte shortcuts; abort the test program with "Bail out!" on error. */
uint64_t rd64(int fd, uint64_t off);
void wr64(int fd, uint64_t off, uint64_t val);

/* DMA buffers: cgpu_buf_alloc/cgpu_buf_free from guest/lib/cosimgpu.h. */

/* 0 (and *count) or -errno (-ETIMEDOUT). */
int cosim_wait_irq(int fd, unsigned vector, uint64_t after, unsigned timeout_ms, uint64_t *count);
int cosim_irq_counts(int fd, struct cosim_irq_counts *c);
/* Maps BAR `bar` for direct MMIO; NULL on failure. */
volatile void *cosim_map_bar(int fd, unsigned bar, size_t len);

uint64_t now_ns(void);

#endif
