// SPDX-License-Identifier: MIT
/* cosimgpu.c - see cosimgpu.h */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "cosimgpu.h"

/* ---- device ---- */

const char *cgpu_default_path(void)
{
	const char *p = getenv("COSIM_DEV");

	return p && *p ? p : "/dev/cosim0";
}

int cgpu_open(const char *path)
{
	int fd = open(path ? path : cgpu_default_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int cgpu_info(int fd, struct cosim_info *info)
{
	return ioctl(fd, COSIM_IOC_INFO, info) ? -errno : 0;
}

int cgpu_is_gpu(int fd)
{
	struct cosim_gpu_status st;
	int rc = cgpu_status(fd, &st);

	if (rc == -ENOTTY)
		return 0;	/* a driver without the GPU ioctls */
	return rc ? rc : !!(st.caps & COSIM_CAP_GPU);
}

int cgpu_reg_read(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t *val)
{
	struct cosim_reg r = { .bar = bar, .size = size, .offset = off };

	if (ioctl(fd, COSIM_IOC_REG_READ, &r))
		return -errno;
	*val = r.value;
	return 0;
}

int cgpu_reg_write(int fd, unsigned bar, uint64_t off, unsigned size, uint64_t val)
{
	struct cosim_reg r = { .bar = bar, .size = size, .offset = off, .value = val };

	return ioctl(fd, COSIM_IOC_REG_WRITE, &r) ? -errno : 0;
}

int cgpu_rd(int fd, uint32_t reg, uint64_t *val)
{
	return cgpu_reg_read(fd, COSIM_GPU_BAR_REGS, reg, 8, val);
}

int cgpu_wr(int fd, uint32_t reg, uint64_t val)
{
	return cgpu_reg_write(fd, COSIM_GPU_BAR_REGS, reg, 8, val);
}

volatile void *cgpu_map_bar(int fd, unsigned bar, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)COSIM_MMAP_BAR(bar));

	return p == MAP_FAILED ? NULL : p;
}

int cgpu_unmap_bar(volatile void *p, size_t len)
{
	return munmap((void *)p, len) ? -errno : 0;
}

/* ---- DMA buffers ---- */

int cgpu_buf_alloc(int fd, size_t size, struct cgpu_buf *b)
{
	struct cosim_dma_alloc a = { .size = size };
	void *p;

	if (ioctl(fd, COSIM_IOC_DMA_ALLOC, &a))
		return -errno;
	p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)a.mmap_offset);
	if (p == MAP_FAILED) {
		int e = errno;
		struct cosim_dma_free f = { .id = a.id };

		ioctl(fd, COSIM_IOC_DMA_FREE, &f);
		return -e;
	}
	b->id = a.id;
	b->size = a.size;
	b->bus = a.bus_addr;
	b->ptr = p;
	return 0;
}

int cgpu_buf_free(int fd, struct cgpu_buf *b)
{
	struct cosim_dma_free f = { .id = b->id };

	if (b->ptr)
		munmap(b->ptr, b->size);
	b->ptr = NULL;
	return ioctl(fd, COSIM_IOC_DMA_FREE, &f) ? -errno : 0;
}

/* ---- commands ---- */

static union cgpu_cmd cmd0(uint8_t opcode, unsigned flags)
{
	union cgpu_cmd c;

	memset(&c, 0, sizeof(c));
	c.hdr.opcode = opcode;
	c.hdr.flags = (uint8_t)flags;
	return c;
}

union cgpu_cmd cgpu_nop(unsigned flags)
{
	return cmd0(COSIM_GPU_OP_NOP, flags);
}

union cgpu_cmd cgpu_fence(uint64_t addr, uint64_t value, unsigned flags)
{
	union cgpu_cmd c = cmd0(COSIM_GPU_OP_WRITE_FENCE, flags);

	c.fence.addr = addr;
	c.fence.value = value;
	return c;
}

union cgpu_cmd cgpu_copy(uint64_t src, uint64_t dst, uint32_t len, unsigned flags)
{
	union cgpu_cmd c = cmd0(COSIM_GPU_OP_COPY, flags);

	c.copy.src = src;
	c.copy.dst = dst;
	c.copy.len = len;
	return c;
}

union cgpu_cmd cgpu_fill(uint64_t dst, uint32_t len, uint32_t pattern, unsigned flags)
{
	union cgpu_cmd c = cmd0(COSIM_GPU_OP_FILL, flags);

	c.fill.dst = dst;
	c.fill.len = len;
	c.fill.pattern = pattern;
	return c;
}

union cgpu_cmd cgpu_timestamp(uint64_t addr, unsigned flags)
{
	union cgpu_cmd c = cmd0(COSIM_GPU_OP_TIMESTAMP, flags);

	c.timestamp.addr = addr;
	return c;
}

union cgpu_cmd cgpu_dispatch(unsigned kernel, uint32_t count, uint64_t a, uint64_t b,
			     uint64_t c_, int32_t alpha, unsigned flags)
{
	union cgpu_cmd c = cmd0(COSIM_GPU_OP_DISPATCH, flags);

	c.dispatch.kernel = (uint8_t)kernel;
	c.dispatch.count = count;
	c.dispatch.a = a;
	c.dispatch.b = b;
	c.dispatch.c = c_;
	c.dispatch.alpha = (uint32_t)alpha;
	return c;
}

union cgpu_cmd cgpu_raw(uint8_t opcode, unsigned flags)
{
	return cmd0(opcode, flags);
}

const char *cgpu_op_name(unsigned op)
{
	static const char *const n[] = {
		[COSIM_GPU_OP_NOP] = "NOP", [COSIM_GPU_OP_WRITE_FENCE] = "WRITE_FENCE",
		[COSIM_GPU_OP_COPY] = "COPY", [COSIM_GPU_OP_FILL] = "FILL",
		[COSIM_GPU_OP_TIMESTAMP] = "TIMESTAMP", [COSIM_GPU_OP_DISPATCH] = "DISPATCH",
	};

	return op < sizeof(n) / sizeof(n[0]) && n[op] ? n[op] : "(bad opcode)";
}

const char *cgpu_err_name(unsigned code)
{
	static const char *const n[] = {
		[COSIM_GPU_ERR_NONE] = "NONE", [COSIM_GPU_ERR_BAD_OPCODE] = "BAD_OPCODE",
		[COSIM_GPU_ERR_RING_OVERRUN] = "RING_OVERRUN", [COSIM_GPU_ERR_DMA] = "DMA",
		[COSIM_GPU_ERR_BAD_ARG] = "BAD_ARG", [COSIM_GPU_ERR_RING_CONFIG] = "RING_CONFIG",
	};

	return code < sizeof(n) / sizeof(n[0]) && n[code] ? n[code] : "unknown";
}

int cgpu_batch_add(struct cgpu_batch *b, union cgpu_cmd c)
{
	if (b->n == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 64;
		union cgpu_cmd *p = realloc(b->cmds, (size_t)cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->cmds = p;
		b->cap = cap;
	}
	b->cmds[b->n++] = c;
	return 0;
}

void cgpu_batch_clear(struct cgpu_batch *b)
{
	b->n = 0;
}

void cgpu_batch_free(struct cgpu_batch *b)
{
	free(b->cmds);
	b->cmds = NULL;
	b->n = b->cap = 0;
}

/* ---- ring ---- */

int cgpu_submit_ex(int fd, struct cosim_gpu_submit *s)
{
	return ioctl(fd, COSIM_GPU_IOC_SUBMIT, s) ? -errno : 0;
}

int cgpu_submit(int fd, const union cgpu_cmd *cmds, unsigned count, unsigned flags, uint64_t *seq)
{
	struct cosim_gpu_submit s = {
		.cmds = (uint64_t)(uintptr_t)cmds, .count = count, .flags = flags,
	};
	int rc = cgpu_submit_ex(fd, &s);

	if (seq)
		*seq = s.seq;
	return rc;
}

int cgpu_wait_ex(int fd, uint64_t seq, unsigned timeout_ms, unsigned flags, uint64_t *completed)
{
	struct cosim_gpu_wait w = { .seq = seq, .timeout_ms = timeout_ms, .flags = flags };
	int rc = ioctl(fd, COSIM_GPU_IOC_WAIT_FENCE, &w) ? -errno : 0;

	if (completed)
		*completed = w.completed;
	return rc;
}

int cgpu_wait(int fd, uint64_t seq, unsigned timeout_ms)
{
	return cgpu_wait_ex(fd, seq, timeout_ms, 0, NULL);
}

int cgpu_run(int fd, const union cgpu_cmd *cmds, unsigned count, unsigned timeout_ms)
{
	uint64_t seq;
	int rc = cgpu_submit(fd, cmds, count, 0, &seq);

	return rc ? rc : cgpu_wait(fd, seq, timeout_ms ? timeout_ms : CGPU_TIMEOUT_MS);
}

int cgpu_sync(int fd, unsigned timeout_ms)
{
	return cgpu_run(fd, NULL, 0, timeout_ms);
}

int cgpu_status(int fd, struct cosim_gpu_status *st)
{
	return ioctl(fd, COSIM_GPU_IOC_STATUS, st) ? -errno : 0;
}

int cgpu_reset(int fd, unsigned ring_entries)
{
	struct cosim_gpu_reset r = { .ring_entries = ring_entries };

	return ioctl(fd, COSIM_GPU_IOC_RESET, &r) ? -errno : 0;
}

int cgpu_resume(int fd)
{
	struct cosim_gpu_reset r = { .flags = COSIM_GPU_RESET_RESUME };

	return ioctl(fd, COSIM_GPU_IOC_RESET, &r) ? -errno : 0;
}

const char *cgpu_describe(int fd, char *buf, size_t len)
{
	struct cosim_gpu_status st;
	int rc = cgpu_status(fd, &st);

	if (rc) {
		snprintf(buf, len, "no GPU status: %s", strerror(-rc));
		return buf;
	}
	if (st.flags & COSIM_GPU_ST_HALTED) {
		unsigned failing = st.ring_entries ? (st.err_head + st.ring_entries - 1) % st.ring_entries : 0;

		snprintf(buf, len,
			 "ring halted on ERR_CODE %u (%s), ERR_ADDR 0x%llx, failing entry %u; fence %llu of %llu; STATUS 0x%x",
			 st.err_code, cgpu_err_name(st.err_code), (unsigned long long)st.err_addr,
			 failing, (unsigned long long)st.seq_completed,
			 (unsigned long long)st.seq_submitted, st.hw_status);
	} else {
		snprintf(buf, len, "ring running: head %u tail %u of %u, fence %llu of %llu, STATUS 0x%x",
			 st.ring_head, st.ring_tail, st.ring_entries,
			 (unsigned long long)st.seq_completed, (unsigned long long)st.seq_submitted,
			 st.hw_status);
	}
	return buf;
}

/* ---- interrupts ---- */

int cgpu_irq_counts(int fd, uint64_t *counts, unsigned n)
{
	struct cosim_irq_counts c;
	unsigned i;

	if (ioctl(fd, COSIM_IOC_IRQ_COUNTS, &c))
		return -errno;
	for (i = 0; i < n && i < COSIM_MAX_VECTORS; i++)
		counts[i] = i < c.num_vectors ? c.count[i] : 0;
	return (int)c.num_vectors;
}

int cgpu_wait_irq(int fd, unsigned vector, uint64_t after, unsigned timeout_ms, uint64_t *count)
{
	struct cosim_irq_wait w = { .vector = vector, .timeout_ms = timeout_ms, .after = after };
	int rc = ioctl(fd, COSIM_IOC_WAIT_IRQ, &w) ? -errno : 0;

	if (count)
		*count = w.count;
	return rc;
}

int cgpu_irq_mode_expected(void)
{
	char line[4096], *tok, *save = NULL;
	FILE *f = fopen("/proc/cmdline", "r");
	int nomsi = 0;

	if (f) {
		if (fgets(line, sizeof(line), f))
			/* "pci=" takes a comma-separated list: pci=nomsi, pci=noaer,nomsi, ... */
			for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
				if (!strncmp(tok, "pci=", 4) && strstr(tok, "nomsi"))
					nomsi = 1;
		fclose(f);
	}
	return nomsi ? COSIM_IRQ_MODE_INTX : COSIM_IRQ_MODE_MSIX;
}

const char *cgpu_irq_mode_name(unsigned mode)
{
	static const char *const names[] = { "none", "msix", "msi", "intx" };

	return mode < 4 ? names[mode] : "unknown";
}

/* ---- NIC ---- */

int cgpu_nic_init(int fd, struct cgpu_nic *nic, unsigned tx_entries, unsigned rx_entries)
{
	size_t txb = (size_t)tx_entries * COSIM_GPU_NIC_DESC_SIZE;
	int rc;

	memset(nic, 0, sizeof(*nic));
	nic->fd = fd;
	rc = cgpu_buf_alloc(fd, txb + (size_t)rx_entries * COSIM_GPU_NIC_DESC_SIZE, &nic->rings);
	if (rc)
		return rc;
	memset(nic->rings.ptr, 0, nic->rings.size);
	nic->tx = nic->rings.ptr;
	nic->rx = (struct cosim_gpu_nic_desc *)((char *)nic->rings.ptr + txb);
	nic->tx_bus = nic->rings.bus;
	nic->rx_bus = nic->rings.bus + txb;
	nic->tx_entries = tx_entries;
	nic->rx_entries = rx_entries;
	if ((rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_CTRL, 0)) ||
	    (rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_TX_BASE, nic->tx_bus)) ||
	    (rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_TX_SIZE, tx_entries)) ||
	    (rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_RX_BASE, nic->rx_bus)) ||
	    (rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_RX_SIZE, rx_entries)) ||
	    (rc = cgpu_wr(fd, COSIM_GPU_REG_NIC_CTRL,
			  COSIM_GPU_NIC_CTRL_TX_EN_MASK | COSIM_GPU_NIC_CTRL_RX_EN_MASK))) {
		cgpu_buf_free(fd, &nic->rings);
		return rc;
	}
	return 0;
}

static int nic_post(struct cgpu_nic *nic, int rx, uint64_t bus, uint32_t len)
{
	unsigned n = rx ? nic->rx_entries : nic->tx_entries;
	unsigned *tail = rx ? &nic->rx_tail : &nic->tx_tail;
	volatile struct cosim_gpu_nic_desc *d = (rx ? nic->rx : nic->tx) + *tail;
	unsigned i = *tail;
	int rc;

	d->addr = bus;
	d->len = len;
	d->status = 0;
	__sync_synchronize();	/* the descriptor before the tail write */
	*tail = (i + 1) % n;
	rc = cgpu_wr(nic->fd, rx ? COSIM_GPU_REG_NIC_RX_TAIL : COSIM_GPU_REG_NIC_TX_TAIL, *tail);
	return rc ? rc : (int)i;
}

int cgpu_nic_send(struct cgpu_nic *nic, uint64_t bus, uint32_t len)
{
	return nic_post(nic, 0, bus, len);
}

int cgpu_nic_post_rx(struct cgpu_nic *nic, uint64_t bus, uint32_t capacity)
{
	return nic_post(nic, 1, bus, capacity);
}

int cgpu_nic_wait(struct cgpu_nic *nic, int rx, unsigned index, unsigned timeout_ms,
		  struct cosim_gpu_nic_desc *out)
{
	volatile struct cosim_gpu_nic_desc *d = (rx ? nic->rx : nic->tx) + index;
	uint64_t deadline = cgpu_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		if (d->status & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK) {
			__sync_synchronize();
			if (out) {
				out->addr = d->addr;
				out->len = d->len;
				out->status = d->status;
			}
			return 0;
		}
		if (cgpu_now_ns() > deadline)
			return -ETIMEDOUT;
		usleep(200);
	}
}

void cgpu_nic_fini(struct cgpu_nic *nic)
{
	cgpu_wr(nic->fd, COSIM_GPU_REG_NIC_CTRL, 0);
	if (nic->rings.ptr)
		cgpu_buf_free(nic->fd, &nic->rings);
}

/* ---- UART ---- */

int cgpu_uart_write(int fd, const void *buf, size_t len, unsigned timeout_ms)
{
	const uint8_t *p = buf;
	uint64_t deadline = cgpu_now_ns() + (uint64_t)timeout_ms * 1000000ull, st = 0;
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		for (;;) {
			if ((rc = cgpu_rd(fd, COSIM_GPU_REG_UART_STATUS, &st)))
				return rc;
			if (!(st & COSIM_GPU_UART_STATUS_TX_FULL_MASK))
				break;
			if (cgpu_now_ns() > deadline)
				return -ETIMEDOUT;
			usleep(100);
		}
		if ((rc = cgpu_reg_write(fd, COSIM_GPU_BAR_REGS, COSIM_GPU_REG_UART_TX, 1, p[i])))
			return rc;
	}
	return 0;
}

int cgpu_uart_read(int fd, uint8_t *byte)
{
	uint64_t v = 0;
	int rc = cgpu_rd(fd, COSIM_GPU_REG_UART_RX, &v);

	if (rc)
		return rc;
	if (!(v & COSIM_GPU_UART_RX_VALID_MASK))
		return 0;
	*byte = (uint8_t)(v & COSIM_GPU_UART_RX_DATA_MASK);
	return 1;
}

/* ---- CPU reference ---- */

void cgpu_ref_fill(void *dst, size_t len, uint32_t pattern)
{
	uint8_t *p = dst;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(pattern >> (8 * (i % 4)));
}

int cgpu_ref_dispatch(unsigned kernel, uint32_t count, const int32_t *a, const int32_t *b,
		      void *c, int32_t alpha)
{
	int32_t *out = c;
	int64_t sum = 0;
	uint32_t i;

	switch (kernel) {
	case COSIM_GPU_KERNEL_VADD:
		/* unsigned arithmetic: the device wraps, and signed overflow is undefined in C */
		for (i = 0; i < count; i++)
			out[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
		return 0;
	case COSIM_GPU_KERNEL_SAXPY:
		for (i = 0; i < count; i++)
			out[i] = (int32_t)((uint32_t)alpha * (uint32_t)a[i] + (uint32_t)b[i]);
		return 0;
	case COSIM_GPU_KERNEL_REDUCE_SUM:
		for (i = 0; i < count; i++)
			sum += a[i];
		memcpy(c, &sum, sizeof(sum));
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- helpers ---- */

uint64_t cgpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void cgpu_rng_seed(struct cgpu_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t cgpu_rng_next(struct cgpu_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t cgpu_rng_below(struct cgpu_rng *r, uint32_t n)
{
	return n ? (uint32_t)(cgpu_rng_next(r) % n) : 0;
}

void cgpu_rng_fill(struct cgpu_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = cgpu_rng_next(r);

		memcpy(p + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = cgpu_rng_next(r);

		memcpy(p + i, &v, len - i);
	}
}

uint64_t cgpu_env_seed(uint64_t def)
{
	const char *s = getenv("COSIM_SEED");
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoull(s, &end, 0);
	return errno || *end ? def : v;
}
