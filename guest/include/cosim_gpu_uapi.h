/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cosim_gpu_uapi.h - ioctl ABI of the cosim_gpu guest driver (/dev/cosimN).
 *
 * Shared by the kernel module cosim_gpu.ko (guest/driver/) and the guest user
 * programs (guest/tests/). Every structure is made of fixed-width fields with
 * explicit padding, so the layout is the same for every compiler; the sizes are
 * encoded in the ioctl numbers, so a size change is a new ioctl.
 *
 * Errors (returned as -1 with errno by the ioctl(2) wrapper):
 *   EINVAL     bad BAR / size / offset out of the BAR / bad vector /
 *              bad buffer id / bad length / unknown flags / a pad field
 *              that is not 0 (every `pad` user space passes in must be 0)
 *   ENODEV     the device was removed (unbind) while the file was open
 *   ETIMEDOUT  COSIM_IOC_WAIT_IRQ: no interrupt within timeout_ms
 *   EINTR      COSIM_IOC_WAIT_IRQ: interrupted by a signal
 *   ENOMEM     COSIM_IOC_DMA_ALLOC: dma_alloc_coherent failed
 *   EFAULT     bad user pointer
 *   ENOTTY     a GPU ioctl (but COSIM_GPU_IOC_STATUS) on a device without
 *              COSIM_CAP_GPU (the example device)
 *   EIO        GPU: the command ring halted on an error (or work was lost to a reset)
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

/* 2: the GPU ioctls (COSIM_GPU_IOC_*) for 1234:c0de; version 1 calls unchanged. */
#define COSIM_UAPI_VERSION	2

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
	__u16 num_vectors;	/* interrupt vectors in use (MSI-X: all the device has; INTx:
				 * the same vectors, as causes read from the device's
				 * status register, all on one line) */
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
 * Buffers belong to the open file: their id goes with COSIM_IOC_DMA_FREE or
 * when the file is closed; the memory goes when the id and every mapping of
 * it are gone, and only once the device cannot reach it any more.
 */
struct cosim_dma_alloc {
	__u64 size;		/* in: bytes; out: rounded-up size */
	__u64 bus_addr;		/* out: dma_addr_t for the device */
	__u64 mmap_offset;	/* out: offset argument for mmap(2) */
	__u32 id;		/* out */
	__u32 pad;		/* in: 0 */
};
#define COSIM_DMA_MAX_SIZE	(4ull << 20)

/*
 * COSIM_IOC_DMA_FREE: drop buffer `id`. An unmapped buffer is freed at once;
 * a mapped one stays usable through its mappings and is freed with the last
 * of them (munmap, exit). Either way the driver first makes sure the device
 * cannot reach it (docs: guest/README.md, "DMA buffers").
 */
struct cosim_dma_free {
	__u32 id;
	__u32 pad;		/* in: 0 */
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
 * most the BAR length) for direct MMIO from user space. MAP_SHARED only.
 * When the device is removed (unbind, rmmod) every mapping is revoked: a
 * later access raises SIGBUS.
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

/* ------------------------------------------------------------------ */
/* GPU front-end (1234:c0de, hdl/gpu, docs/gpu.md)                    */
/*
 * On a device with COSIM_CAP_GPU the driver owns the command ring: it
 * allocates it (dma_alloc_coherent, up to COSIM_GPU_RING_MAX_ENTRIES entries),
 * programs RING_BASE / RING_SIZE / FENCE_ADDR after a soft reset and enables
 * it. User space submits arrays of 64-byte commands (cosim_gpu_regs.h
 * layouts); the driver copies them into the ring (waiting for room when it is
 * full), appends a WRITE_FENCE with the next sequence number to FENCE_ADDR
 * (with FLAGS.IRQ) and rings the BAR2 doorbell. Completion is the fence value
 * in memory reaching the sequence number; the completion interrupt (vector 0)
 * wakes the waiters, the error interrupt (vector 1) records ERR_CODE /
 * ERR_ADDR / RING_HEAD, marks the ring halted and wakes them with EIO.
 *
 * The other vectors (NIC 2, UART 3) are counted like any vector
 * (COSIM_IOC_WAIT_IRQ / COSIM_IOC_IRQ_COUNTS); NIC rings, UART and VRAM are
 * driven from user space through register access, DMA buffers and BAR maps.
 *
 * Closing a file that owns DMA buffers soft-resets the GPU (and sets the ring
 * up again) before the buffers are freed, because commands and NIC
 * descriptors may still point into them.
 */

/* COSIM_GPU_IOC_STATUS .caps */
#define COSIM_CAP_GPU		(1u << 0)	/* command ring, fences, GPU ioctls */

/*
 * COSIM_GPU_IOC_SUBMIT: copy `count` commands (count * 64 bytes at user
 * address `cmds`) into the ring, in order, then (unless NO_FENCE) a
 * WRITE_FENCE {ADDR 0 = FENCE_ADDR, VALUE = next sequence number, FLAGS.IRQ
 * unless FENCE_NO_IRQ}, and ring the doorbell. When the ring is full the
 * entries written so far are published and the driver polls RING_HEAD for
 * room, at most timeout_ms (0: 10 s) in all.
 * Returns 0 with `seq` = the sequence number whose fence signals that this
 * submission (and everything before it) completed; with NO_FENCE, `seq` is
 * the last sequence number submitted before. `submitted` = commands of
 * `cmds` placed in the ring (count on success; on ETIMEDOUT / EIO / EINTR the
 * first `submitted` were published and will run, no fence was appended).
 * Errors: EINVAL (count > COSIM_GPU_SUBMIT_MAX, bad flags, a WRITE_FENCE
 * to guest address 0 = FENCE_ADDR, which belongs to the driver's sequence),
 * EIO (the ring is halted: resume or reset first), ETIMEDOUT (no room in
 * time), EFAULT, EINTR, ENODEV.
 * Commands are not otherwise checked: addresses are bus addresses
 * (cosim_dma_alloc.bus_addr) or VRAM offsets, as the device takes them.
 */
struct cosim_gpu_submit {
	__u64 cmds;		/* in: user pointer to count * 64 bytes */
	__u32 count;		/* in: 0 .. COSIM_GPU_SUBMIT_MAX (0: just a fence) */
	__u32 flags;		/* in: COSIM_GPU_SUBMIT_* */
	__u32 timeout_ms;	/* in: max wait for ring room, 0 = 10000 */
	__u32 submitted;	/* out */
	__u64 seq;		/* out */
};
#define COSIM_GPU_SUBMIT_NO_FENCE	(1u << 0)	/* append no fence */
#define COSIM_GPU_SUBMIT_FENCE_NO_IRQ	(1u << 1)	/* the fence does not interrupt (wait with COSIM_GPU_WAIT_POLL) */
#define COSIM_GPU_SUBMIT_MAX		16384
#define COSIM_GPU_CMD_BYTES_UAPI	64

/*
 * COSIM_GPU_IOC_WAIT_FENCE: sleep until fence `seq` completed (the fence
 * value in memory >= seq), at most timeout_ms. Woken by the completion and
 * error interrupts; with COSIM_GPU_WAIT_POLL the fence is also checked every
 * millisecond (for fences without FLAGS.IRQ, or with INT_MASK set).
 * Returns 0; ETIMEDOUT; EIO when the ring halted on an error before seq
 * completed (COSIM_GPU_IOC_STATUS says which command) or seq was lost to a
 * soft reset; EINVAL if seq was never submitted; EINTR; ENODEV.
 * `completed` (out, also on error) = the fence value in memory.
 */
struct cosim_gpu_wait {
	__u64 seq;		/* in */
	__u32 timeout_ms;	/* in */
	__u32 flags;		/* in: COSIM_GPU_WAIT_* */
	__u64 completed;	/* out */
};
#define COSIM_GPU_WAIT_POLL		(1u << 0)

/*
 * COSIM_GPU_IOC_STATUS: the ring as the driver keeps it, a few registers read
 * now, and the last error the error interrupt recorded (kept until the next
 * error, across resets).
 */
struct cosim_gpu_status {
	__u32 caps;		/* COSIM_CAP_* (0 on the example device: then every other field is 0) */
	__u32 flags;		/* COSIM_GPU_ST_* (driver state) */
	__u64 ring_bus;		/* RING_BASE */
	__u32 ring_entries;	/* RING_SIZE */
	__u32 ring_tail;	/* the driver's tail (next entry it writes) */
	__u32 ring_head;	/* RING_HEAD, read now */
	__u32 hw_status;	/* STATUS register, read now */
	__u64 fence_bus;	/* FENCE_ADDR */
	__u64 seq_submitted;	/* last fence sequence number submitted */
	__u64 seq_completed;	/* fence value in memory */
	__u32 err_code;		/* last error: ERR_CODE (COSIM_GPU_ERR_*), 0 = none yet */
	__u32 err_head;		/* RING_HEAD then: the failing entry is err_head - 1 (mod entries) */
	__u64 err_addr;		/* ERR_ADDR then */
	__u64 err_completed;	/* fence value then */
	__u64 errors;		/* error interrupts handled with an error recorded */
	__u64 resets;		/* soft resets done by the driver (probe, ioctl, close) */
	__u64 resumes;		/* COSIM_GPU_RESET_RESUME done */
};
#define COSIM_GPU_ST_ENABLED	(1u << 0)	/* ring programmed and enabled */
#define COSIM_GPU_ST_HALTED	(1u << 1)	/* halted on an error, not yet resumed/reset */

/*
 * COSIM_GPU_IOC_RESET: recover the ring.
 * - flags 0: soft reset (SOFT_RESET, poll STATUS.RESETTING, at most
 *   timeout_ms, 0 = 2000), then RING_BASE / RING_SIZE (ring_entries, or the
 *   current size if 0) / FENCE_ADDR, INT_MASK 0, RING_CTRL.ENABLE. Work not
 *   completed is lost: waits for its sequence numbers return EIO. VRAM keeps
 *   its contents; the NIC and UART registers return to their reset values.
 * - COSIM_GPU_RESET_RESUME: RING_CTRL = ENABLE | CLEAR_ERROR: the device
 *   clears the error and continues after the failing command (which is
 *   skipped); ring_entries must be 0.
 * Errors: EINVAL (ring_entries not a power of two in 2..4096, flags, pad),
 * ETIMEDOUT (still RESETTING), EIO (the ring did not come up), ENODEV.
 */
struct cosim_gpu_reset {
	__u32 flags;		/* in: COSIM_GPU_RESET_* */
	__u32 ring_entries;	/* in: 0 = keep */
	__u32 timeout_ms;	/* in */
	__u32 pad;		/* in: 0 */
};
#define COSIM_GPU_RESET_RESUME		(1u << 0)
#define COSIM_GPU_RING_MAX_ENTRIES_UAPI	4096

#define COSIM_GPU_IOC_SUBMIT	_IOWR(COSIM_IOC_MAGIC, 0x10, struct cosim_gpu_submit)
#define COSIM_GPU_IOC_WAIT_FENCE _IOWR(COSIM_IOC_MAGIC, 0x11, struct cosim_gpu_wait)
#define COSIM_GPU_IOC_STATUS	_IOR(COSIM_IOC_MAGIC, 0x12, struct cosim_gpu_status)
#define COSIM_GPU_IOC_RESET	_IOW(COSIM_IOC_MAGIC, 0x13, struct cosim_gpu_reset)

#endif /* COSIM_GPU_UAPI_H */
