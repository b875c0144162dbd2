/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cosim_gpu_uapi.h - ioctl ABI of the cosim_gpu guest driver (/dev/cosimN).
 *
 * Shared by the kernel module (guest/driver/cosim_gpu.c) and the guest user
 * programs (guest/tests/). Every structure is made of fixed-width fields with
 * explicit padding, so the layout is the same for every compiler; the sizes are
 * encoded in the ioctl numbers, so a size change is a new ioctl.
 *
 * Errors (returned as -1 with errno by the ioctl(2) wrapper):
 *   EINVAL     bad BAR / size / offset out of the BAR / bad vector /
 *              bad buffer id / bad length
 *   ENODEV     the device was removed (unbind) while the file was open
 *   ETIMEDOUT  COSIM_IOC_WAIT_IRQ: no interrupt within timeout_ms
 *   EINTR      COSIM_IOC_WAIT_IRQ: interrupted by a signal
 *   ENOMEM     COSIM_IOC_DMA_ALLOC: dma_alloc_coherent failed
 *   EFAULT     bad user pointer
 */
#ifndef COSIM_GPU_UAPI_H
#define COSIM_GPU_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
#endif

#define COSIM_UAPI_VERSION	1

#define COSIM_DEV_PREFIX	"/dev/cosim"	/* /dev/cosim0, /dev/cosim1, ... */
#define COSIM_NUM_BARS		6
#define COSIM_MAX_VECTORS	32		/* per device */

/* COSIM_IOC_INFO: identity and resources of the device behind this file. */
struct cosim_info {
	__u32 uapi_version;	/* COSIM_UAPI_VERSION */
	__u16 vendor, device;
	__u16 subsystem_vendor, subsystem_device;
	__u32 class_code;	/* 24-bit class/subclass/prog-if, e.g. 0x120000 */
	__u8  revision;
	__u8  irq_mode;		/* COSIM_IRQ_MODE_* */
	__u16 num_vectors;	/* interrupt vectors in use (MSI-X: all the device has) */
	__u32 bar_mask;		/* bit n set: BAR n present and mapped */
	__u32 bar_flags[COSIM_NUM_BARS];	/* COSIM_BAR_* */
	__u64 bar_len[COSIM_NUM_BARS];	/* bytes, 0 if absent */
	__u64 bar_start[COSIM_NUM_BARS];	/* guest physical address */
	char  pci_name[32];	/* e.g. "0000:00:03.0" */
};
#define COSIM_IRQ_MODE_NONE	0
#define COSIM_IRQ_MODE_MSIX	1
#define COSIM_IRQ_MODE_MSI	2
#define COSIM_IRQ_MODE_INTX	3
#define COSIM_BAR_MEM		(1u << 0)	/* memory BAR (else I/O ports) */
#define COSIM_BAR_64BIT		(1u << 1)
#define COSIM_BAR_PREFETCH	(1u << 2)

/*
 * COSIM_IOC_REG_READ / COSIM_IOC_REG_WRITE: one MMIO access of `size` bytes
 * (1, 2, 4 or 8) at `offset` in BAR `bar`, as one CPU access of that size
 * (ioread8/16/32, readq). offset + size must lie inside the BAR, else EINVAL;
 * the BAR must be present; 8-byte accesses need a memory BAR. Unaligned
 * offsets are passed through (what the device does with them is its business).
 * READ fills `value`.
 */
struct cosim_reg {
	__u32 bar;
	__u32 size;
	__u64 offset;
	__u64 value;
};

/*
 * COSIM_IOC_DMA_ALLOC: allocate a coherent DMA buffer of `size` bytes (rounded
 * up to whole pages, at most COSIM_DMA_MAX_SIZE). Returns its id (>= 1), the
 * bus address to program into the device, and the offset to pass to mmap(2)
 * on the same file to map it (MAP_SHARED, length <= the rounded size).
 * Buffers belong to the open file: they are freed by COSIM_IOC_DMA_FREE or when
 * the file is closed (and no mapping of it remains).
 */
struct cosim_dma_alloc {
	__u64 size;		/* in: bytes; out: rounded-up size */
	__u64 bus_addr;		/* out: dma_addr_t for the device */
	__u64 mmap_offset;	/* out: offset argument for mmap(2) */
	__u32 id;		/* out */
	__u32 pad;
};
#define COSIM_DMA_MAX_SIZE	(4ull << 20)

/* COSIM_IOC_DMA_FREE: free buffer `id` (munmap it first). */
struct cosim_dma_free {
	__u32 id;
	__u32 pad;
};

/*
 * COSIM_IOC_WAIT_IRQ: sleep until the interrupt count of `vector` is greater
 * than `after`, at most `timeout_ms` milliseconds. Returns the current count
 * in `count` (0 return), or fails with ETIMEDOUT (count still filled in).
 * Race-free pattern: read the count (COSIM_IOC_IRQ_COUNTS or a previous
 * WAIT_IRQ), start the device, then wait with after = that count.
 * With after = COSIM_WAIT_NEXT the driver takes the count at the time of the
 * call as `after` (waits for the next interrupt; racy if it already fired).
 */
struct cosim_irq_wait {
	__u32 vector;
	__u32 timeout_ms;
	__u64 after;
	__u64 count;		/* out */
};
#define COSIM_WAIT_NEXT		(~0ull)

/* COSIM_IOC_IRQ_COUNTS: interrupts taken per vector since the driver bound. */
struct cosim_irq_counts {
	__u32 num_vectors;	/* out */
	__u32 pad;
	__u64 count[COSIM_MAX_VECTORS];	/* out, [0, num_vectors) valid */
};

/*
 * mmap(2) offsets. DMA buffer `id` at COSIM_MMAP_DMA(id) (what DMA_ALLOC
 * returns); BAR n at COSIM_MMAP_BAR(n) (memory BARs only; uncached; length at
 * most the BAR length) for direct MMIO from user space.
 */
#define COSIM_MMAP_SHIFT	32
#define COSIM_MMAP_DMA(id)	((__u64)(id) << COSIM_MMAP_SHIFT)
#define COSIM_MMAP_BAR_BASE	0x10000u	/* ids below this are DMA buffers */
#define COSIM_MMAP_BAR(n)	((__u64)(COSIM_MMAP_BAR_BASE + (n)) << COSIM_MMAP_SHIFT)

#define COSIM_IOC_MAGIC		'C'
#define COSIM_IOC_INFO		_IOR(COSIM_IOC_MAGIC, 0x00, struct cosim_info)
#define COSIM_IOC_REG_READ	_IOWR(COSIM_IOC_MAGIC, 0x01, struct cosim_reg)
#define COSIM_IOC_REG_WRITE	_IOW(COSIM_IOC_MAGIC, 0x02, struct cosim_reg)
#define COSIM_IOC_DMA_ALLOC	_IOWR(COSIM_IOC_MAGIC, 0x03, struct cosim_dma_alloc)
#define COSIM_IOC_DMA_FREE	_IOW(COSIM_IOC_MAGIC, 0x04, struct cosim_dma_free)
#define COSIM_IOC_WAIT_IRQ	_IOWR(COSIM_IOC_MAGIC, 0x05, struct cosim_irq_wait)
#define COSIM_IOC_IRQ_COUNTS	_IOR(COSIM_IOC_MAGIC, 0x06, struct cosim_irq_counts)

#endif /* COSIM_GPU_UAPI_H */
