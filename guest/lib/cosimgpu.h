/* SPDX-License-Identifier: MIT */
/*
 * cosimgpu.h - user-space library for the GPU front-end (1234:c0de) behind
 * /dev/cosimN: the ioctls of cosim_gpu_uapi.h, command builders from the
 * generated layouts of cosim_gpu_regs.h, DMA buffers, NIC rings, UART, and
 * the CPU reference of the operations that compute.
 * Static library: libcosimgpu.a (guest/lib/, built by scripts/build-guest.sh).
 *
 *   int fd = cgpu_open(NULL);                        // $COSIM_DEV or /dev/cosim0
 *   struct cgpu_buf b; cgpu_buf_alloc(fd, 4096, &b); // coherent, mapped: b.ptr, b.bus
 *   union cgpu_cmd c[2] = { cgpu_fill(b.bus, 4096, 0x5a5a5a5a, 0),
 *                           cgpu_copy(b.bus, 0x1000, 4096, CGPU_DST_VRAM) };
 *   uint64_t seq; cgpu_submit(fd, c, 2, 0, &seq);    // the driver appends a fence
 *   cgpu_wait(fd, seq, 5000);                        // 0, -ETIMEDOUT, -EIO (halted)
 *
 * Every function returning int returns 0 (or a count/index >= 0) on success
 * and -errno on failure; none prints anything.
 */
#ifndef COSIMGPU_H
#define COSIMGPU_H

#include <stddef.h>
#include <stdint.h>
#include "cosim_gpu_uapi.h"
#include "cosim_gpu_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device ---- */
const char *cgpu_default_path(void);	/* $COSIM_DEV, else /dev/cosim0 */
int cgpu_open(const char *path);	/* NULL: cgpu_default_path(); fd or -errno */
int cgpu_info(int fd, struct cosim_info *info);
/* 1 if the device behind fd is the GPU (COSIM_CAP_GPU), 0 if not, -errno. */
int cgpu_is_gpu(int fd);
int cgpu_reg_read(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t *val);
int cgpu_reg_write(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t val);
/* BAR0 (REGS) 8-byte register access: cgpu_rd(fd, COSIM_GPU_REG_STATUS, &v). */
int cgpu_rd(int fd, uint32_t reg, uint64_t *val);
int cgpu_wr(int fd, uint32_t reg, uint64_t val);
/* Maps memory BAR `bar` (e.g. COSIM_GPU_BAR_VRAM) for direct access; NULL + errno. */
volatile void *cgpu_map_bar(int fd, unsigned bar, size_t len);
int cgpu_unmap_bar(volatile void *p, size_t len);

/* ---- DMA buffers: coherent, mapped into the process ---- */
struct cgpu_buf {
	uint32_t id;
	size_t size;		/* rounded up to pages */
	uint64_t bus;		/* address for commands and descriptors */
	void *ptr;		/* the CPU's view */
};
int cgpu_buf_alloc(int fd, size_t size, struct cgpu_buf *b);	/* size <= COSIM_DMA_MAX_SIZE */
/* munmap + COSIM_IOC_DMA_FREE. (The driver frees the memory only with the id
 * and the last mapping gone, and once the device cannot reach it.) */
int cgpu_buf_free(int fd, struct cgpu_buf *b);

/* ---- commands (64-byte ring entries) ---- */
union cgpu_cmd {
	struct cosim_gpu_cmd hdr;
	struct cosim_gpu_cmd_nop nop;
	struct cosim_gpu_cmd_write_fence fence;
	struct cosim_gpu_cmd_copy copy;
	struct cosim_gpu_cmd_fill fill;
	struct cosim_gpu_cmd_timestamp timestamp;
	struct cosim_gpu_cmd_dispatch dispatch;
	uint8_t bytes[COSIM_GPU_CMD_SIZE];
};
_Static_assert(sizeof(union cgpu_cmd) == COSIM_GPU_CMD_SIZE, "command size");

#define CGPU_IRQ	COSIM_GPU_CMD_FLAGS_IRQ_MASK		/* completion interrupt (vector 0) */
#define CGPU_SRC_VRAM	COSIM_GPU_CMD_FLAGS_SRC_VRAM_MASK	/* COPY: SRC is a VRAM offset */
#define CGPU_DST_VRAM	COSIM_GPU_CMD_FLAGS_DST_VRAM_MASK	/* DST / ADDR is a VRAM offset */

union cgpu_cmd cgpu_nop(unsigned flags);
/* ADDR must not be 0 (guest): FENCE_ADDR belongs to the driver. */
union cgpu_cmd cgpu_fence(uint64_t addr, uint64_t value, unsigned flags);
union cgpu_cmd cgpu_copy(uint64_t src, uint64_t dst, uint32_t len, unsigned flags);
union cgpu_cmd cgpu_fill(uint64_t dst, uint32_t len, uint32_t pattern, unsigned flags);
union cgpu_cmd cgpu_timestamp(uint64_t addr, unsigned flags);
union cgpu_cmd cgpu_dispatch(unsigned kernel, uint32_t count, uint64_t a, uint64_t b,
			     uint64_t c, int32_t alpha, unsigned flags);
union cgpu_cmd cgpu_raw(uint8_t opcode, unsigned flags);	/* any opcode, other bytes 0 */
const char *cgpu_op_name(unsigned opcode);
const char *cgpu_err_name(unsigned code);		/* ERR_CODE -> "BAD_OPCODE", ... */

/* A growable array of commands. */
struct cgpu_batch {
	union cgpu_cmd *cmds;
	unsigned n, cap;
};
int cgpu_batch_add(struct cgpu_batch *b, union cgpu_cmd c);
void cgpu_batch_clear(struct cgpu_batch *b);	/* n = 0, keeps the memory */
void cgpu_batch_free(struct cgpu_batch *b);

/* ---- ring ---- */
#define CGPU_TIMEOUT_MS	30000
/* COSIM_GPU_IOC_SUBMIT: copies the commands (+ a fence unless NO_FENCE);
 * *seq (may be NULL) = the fence that signals their completion. */
int cgpu_submit(int fd, const union cgpu_cmd *cmds, unsigned count, unsigned flags, uint64_t *seq);
int cgpu_submit_ex(int fd, struct cosim_gpu_submit *s);
/* COSIM_GPU_IOC_WAIT_FENCE: 0, -ETIMEDOUT, -EIO (halted / lost to a reset), -EINVAL. */
int cgpu_wait(int fd, uint64_t seq, unsigned timeout_ms);
int cgpu_wait_ex(int fd, uint64_t seq, unsigned timeout_ms, unsigned flags, uint64_t *completed);
/* submit + wait (CGPU_TIMEOUT_MS when timeout_ms is 0). */
int cgpu_run(int fd, const union cgpu_cmd *cmds, unsigned count, unsigned timeout_ms);
/* A fence after everything submitted so far, and wait for it. */
int cgpu_sync(int fd, unsigned timeout_ms);
int cgpu_status(int fd, struct cosim_gpu_status *st);
/* Soft reset and ring set-up again (ring_entries 0: keep the size). */
int cgpu_reset(int fd, unsigned ring_entries);
/* Clear the error and continue after the failing command. */
int cgpu_resume(int fd);
/* "halted on BAD_OPCODE at 0x... (entry 5, opcode 0xee), ..." into buf. */
const char *cgpu_describe(int fd, char *buf, size_t len);

/* ---- interrupts (per vector, COSIM_GPU_VEC_*) ---- */
int cgpu_irq_counts(int fd, uint64_t *counts, unsigned n);	/* n <= COSIM_MAX_VECTORS */
int cgpu_wait_irq(int fd, unsigned vector, uint64_t after, unsigned timeout_ms, uint64_t *count);
/*
 * The interrupt mode the driver should be in on this boot: COSIM_IRQ_MODE_INTX
 * when the kernel was booted with pci=nomsi (no MSI-X for anyone), else
 * COSIM_IRQ_MODE_MSIX. Tests compare it with cosim_info.irq_mode.
 */
int cgpu_irq_mode_expected(void);
const char *cgpu_irq_mode_name(unsigned mode);	/* "msix", "intx", ... */

/* ---- NIC: TX and RX descriptor rings in one DMA buffer ---- */
struct cgpu_nic {
	int fd;
	struct cgpu_buf rings;
	struct cosim_gpu_nic_desc *tx, *rx;
	uint64_t tx_bus, rx_bus;
	unsigned tx_entries, rx_entries, tx_tail, rx_tail;
};
/* Programs NIC_TX/RX_BASE/SIZE and enables TX and RX. */
int cgpu_nic_init(int fd, struct cgpu_nic *nic, unsigned tx_entries, unsigned rx_entries);
/* Queues a frame at bus address `bus`; returns its descriptor index. */
int cgpu_nic_send(struct cgpu_nic *nic, uint64_t bus, uint32_t len);
/* Posts an empty receive buffer; returns its descriptor index. */
int cgpu_nic_post_rx(struct cgpu_nic *nic, uint64_t bus, uint32_t capacity);
/* Polls the descriptor until STATUS.DONE; *out = its final contents. */
int cgpu_nic_wait(struct cgpu_nic *nic, int rx, unsigned index, unsigned timeout_ms,
		  struct cosim_gpu_nic_desc *out);
void cgpu_nic_fini(struct cgpu_nic *nic);	/* disables the NIC, frees the rings */

/* ---- UART ---- */
/* Writes bytes to UART_TX, waiting while UART_STATUS.TX_FULL. */
int cgpu_uart_write(int fd, const void *buf, size_t len, unsigned timeout_ms);
/* Pops one byte: 1 (and *byte) if there was one, 0 if the FIFO was empty. */
int cgpu_uart_read(int fd, uint8_t *byte);

/* ---- CPU reference: the bytes the device must produce ---- */
/* FILL: byte i of dst = byte i % 4 of pattern (the phase follows the start, not the address). */
void cgpu_ref_fill(void *dst, size_t len, uint32_t pattern);
/* DISPATCH on count elements of a (and b): VADD and SAXPY write int32 c[count],
 * REDUCE_SUM one int64 at c (any alignment). 0, or -EINVAL for an unknown kernel. */
int cgpu_ref_dispatch(unsigned kernel, uint32_t count, const int32_t *a, const int32_t *b,
		      void *c, int32_t alpha);

/* ---- helpers ---- */
uint64_t cgpu_now_ns(void);		/* CLOCK_MONOTONIC */
/* Deterministic PRNG (splitmix64) for reproducible random data. */
struct cgpu_rng {
	uint64_t s;
};
void cgpu_rng_seed(struct cgpu_rng *r, uint64_t seed);
uint64_t cgpu_rng_next(struct cgpu_rng *r);
uint32_t cgpu_rng_below(struct cgpu_rng *r, uint32_t n);	/* 0 .. n-1 */
void cgpu_rng_fill(struct cgpu_rng *r, void *buf, size_t len);
/* $COSIM_SEED (decimal or 0x hex), else `def`. */
uint64_t cgpu_env_seed(uint64_t def);

#ifdef __cplusplus
}
#endif
#endif /* COSIMGPU_H */
