// SPDX-License-Identifier: GPL-2.0
/*
 * cosim_gpu - guest driver for the qemu-hdl-bridge PCIe devices (`-device
 * cosim-pcie`), whose behaviour comes from Verilated RTL: the example device
 * (1234:c051, docs/example-device.md) and the GPU front-end (1234:c0de,
 * docs/gpu.md). The id table gives each its capability flags (COSIM_CAP_*).
 *
 * Exposes each bound device as /dev/cosimN with the ioctl ABI of
 * include/cosim_gpu_uapi.h: register access to every BAR, coherent DMA
 * buffers (mmap-able), per-vector interrupt counting and waiting, and
 * device info. Per-vector counters are also in
 * /sys/class/cosim/cosimN/irq_counts.
 *
 * Interrupts are MSI-X, one Linux irq per vector. Without MSI-X (pci=nomsi,
 * or allocation failed) the driver falls back to the shared INTx line: the
 * device then latches each cause in a status register (example device:
 * IRQ_STATUS, bit V = vector V; GPU: INT_STATUS) and holds INTx up until it
 * is cleared, and the handler turns the bits it clears into the same
 * per-vector counts and wake-ups, so everything above works in both modes.
 *
 * With COSIM_CAP_GPU the driver also owns the command ring (submission,
 * fences woken by the completion vector, error recording on the error
 * vector, soft reset and resume): /sys/class/cosim/cosimN/gpu_state and the
 * COSIM_GPU_IOC_* ioctls. A GPU with a NIC is also a network interface
 * (ethN, cosim_gpu_net.c).
 *
 * Probe order (each step undone in reverse on error and on remove):
 *   pci_enable_device -> dma_set_mask_and_coherent(64, else 32) ->
 *   pci_set_master -> pci_request_regions -> pci_iomap(each BAR) ->
 *   pci_alloc_irq_vectors(MSI-X, all) + request_irq(each)
 *     [or INTx: one shared request_irq, causes from the status register] ->
 *   [GPU: ring + fence memory, soft reset, ring programmed and enabled] ->
 *   cdev + device -> [GPU with a NIC: network interface registered].
 *
 * Lifetime and memory safety (cosim_gpu.h, struct cosim_dev):
 * - the cdev's parent is the class device embedded in cosim_dev, whose
 *   release frees it: an open file keeps both alive until after its release;
 * - every file operation, page fault and buffer free runs in an SRCU read
 *   section and fails (ENODEV, SIGBUS) once remove has set `dead`; remove
 *   then waits for those already running (synchronize_srcu), quiesces the
 *   device, zaps every user mapping of the device's files (BARs and DMA
 *   buffers: a later access faults with SIGBUS) and frees all DMA memory,
 *   that of files still open included;
 * - mappings are filled in by the fault handlers (vmf_insert_pfn), never
 *   at mmap time, so a mapping made while remove runs cannot escape the zap;
 * - a DMA buffer's memory is freed when its id is gone (DMA_FREE, close) and
 *   so is its last mapping (a reference per VMA), and only after the device
 *   can no longer reach it (the GPU's ring drained or reset, a NIC user
 *   space enabled stopped; the example device's DMA engine idle).
 */
/* First: it sets pr_fmt for every printk below. */
#include "cosim_gpu.h"

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/dma-mapping.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/refcount.h>
#include <linux/list.h>
#include <linux/vmalloc.h>
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/version.h>
#include <linux/delay.h>
#include <linux/sched/signal.h>

#define CLASS_NAME	"cosim"
#define COSIM_MAX_DEVS	64

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in newer kernels. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

/* driver_data: the device's COSIM_CAP_* flags */
static const struct pci_device_id cosim_ids[] = {
	{ PCI_DEVICE(0x1234, 0xc051), .driver_data = 0 },
	{ PCI_DEVICE(COSIM_GPU_VENDOR_ID, COSIM_GPU_DEVICE_ID), .driver_data = COSIM_CAP_GPU },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, cosim_ids);

static unsigned int ring_entries = 256;
module_param(ring_entries, uint, 0444);
MODULE_PARM_DESC(ring_entries, "GPU command ring entries at probe (power of two, 2..4096; default 256)");

/* Example device (docs/example-device.md): INTx causes, one bit per vector. */
#define EX_REG_IRQ_STATUS	0x060
#define EX_REG_DMA_STATUS	0x040
#define EX_DMA_STATUS_BUSY	(1ull << 0)
#define EX_VECTORS		4

#define GPU_INT_CAUSES	(COSIM_GPU_INT_STATUS_CMD_DONE_MASK | COSIM_GPU_INT_STATUS_ERROR_MASK | \
			 COSIM_GPU_INT_STATUS_NIC_RX_MASK | COSIM_GPU_INT_STATUS_NIC_TX_MASK | \
			 COSIM_GPU_INT_STATUS_UART_RX_MASK)

#define GPU_RING_MAX		COSIM_GPU_RING_MAX_ENTRIES
#define GPU_CMD			COSIM_GPU_CMD_SIZE
#define GPU_SUBMIT_TIMEOUT_MS	10000
/* Before a DMA buffer is freed: how long the GPU's ring may take to drain. */
#define GPU_DRAIN_TIMEOUT_MS	5000
#define NIC_STOP_TIMEOUT_MS	500
#define EX_DMA_IDLE_TIMEOUT_MS	2000
/* Pages a fault maps at once (from the faulting one on, inside the VMA). */
#define FAULT_AROUND_PAGES	16

/*
 * A DMA buffer. `users` counts its id (until DMA_FREE or close) and every
 * VMA that maps it; when it drops to 0 the memory is freed (after the
 * device is made unable to reach it). `ref` keeps the structure: one for
 * the users, one while the memory is allocated (on cd->bufs), so that
 * remove can free the memory of buffers still in use.
 */
struct cosim_buf {
	struct kref ref;
	refcount_t users;
	struct cosim_dev *cd;
	struct list_head fnode;		/* cf->bufs, while the id is valid (cf->lock) */
	struct list_head dnode;		/* cd->bufs, while the memory is allocated (cd->buf_lock) */
	u32 id;
	size_t size;
	void *cpu;
	dma_addr_t bus;
};

struct cosim_file {
	struct cosim_dev *cd;
	struct file *filp;
	struct list_head node;		/* cd->files */
	struct mutex lock;		/* protects bufs, next_id */
	struct list_head bufs;
	u32 next_id;
};

static dev_t cosim_devt;
static struct class *cosim_class;
static DEFINE_IDA(cosim_minors);

/* ------------------------------------------------------------------ */
/* lifetime                                                           */

/*
 * The last reference to the class device is gone: no file, mapping or
 * buffer refers to cd any more, and remove (or a failed probe) has freed
 * every DMA allocation.
 */
static void cosim_dev_release(struct device *dev)
{
	struct cosim_dev *cd = container_of(dev, struct cosim_dev, dev);

	if (cd->srcu_ready)
		cleanup_srcu_struct(&cd->srcu);
	if (cd->pdev)
		pci_dev_put(cd->pdev);
	kfree(cd);
}

static void cosim_dev_put(struct cosim_dev *cd)
{
	put_device(&cd->dev);
}

static bool cosim_dead(const struct cosim_dev *cd)
{
	return READ_ONCE(cd->dead);
}

/* ------------------------------------------------------------------ */
/* interrupts                                                         */

static void gpu_check_error(struct cosim_dev *cd);

/* Vector v fired (its MSI-X, or its cause seen on the INTx line). */
static irqreturn_t cosim_vec_fired(struct cosim_vec *v)
{
	struct cosim_dev *cd = v->cd;

	atomic64_inc(&v->count);
	wake_up_all(&v->wq);
	if (is_gpu(cd)) {
		/* Completion: the fence memory says what is done; no MMIO here. */
		if (v->index == COSIM_GPU_VEC_COMPLETION)
			wake_up_all(&cd->gpu.wq);
		/* Error: the registers are read in the thread (MMIO may be slow). */
		else if (v->index == COSIM_GPU_VEC_ERROR)
			return IRQ_WAKE_THREAD;
		else if (v->index == COSIM_GPU_VEC_NIC)
			cosim_net_irq(cd);
	}
	return IRQ_HANDLED;
}

static irqreturn_t cosim_irq(int irq, void *data)
{
	return cosim_vec_fired(data);
}

static irqreturn_t cosim_irq_thread(int irq, void *data)
{
	struct cosim_vec *v = data;

	gpu_check_error(v->cd);
	return IRQ_HANDLED;
}

/* The INT_STATUS / IRQ_STATUS bits that stand for vector `vec`. */
static u64 cosim_intx_causes(const struct cosim_dev *cd, unsigned int vec)
{
	if (!is_gpu(cd))
		return 1ull << vec;
	switch (vec) {
	case COSIM_GPU_VEC_COMPLETION:	return COSIM_GPU_INT_STATUS_CMD_DONE_MASK;
	case COSIM_GPU_VEC_ERROR:	return COSIM_GPU_INT_STATUS_ERROR_MASK;
	case COSIM_GPU_VEC_NIC:		return COSIM_GPU_INT_STATUS_NIC_RX_MASK | COSIM_GPU_INT_STATUS_NIC_TX_MASK;
	case COSIM_GPU_VEC_UART:	return COSIM_GPU_INT_STATUS_UART_RX_MASK;
	}
	return 0;
}

/*
 * Reads and clears the causes that hold INTx up; 0 if there are none (the
 * line is shared: another device's interrupt) or the device did not answer.
 * GPU: causes masked by INT_MASK do not assert INTx; they stay recorded for
 * whoever masked them. The read back makes the clear reach the device before
 * the interrupt is acknowledged: the device lowers INTx before it answers
 * that read (docs/protocol.md), so the line does not fire again for nothing.
 */
static u64 cosim_intx_take(struct cosim_dev *cd)
{
	void __iomem *reg = cd->bar[0] + (is_gpu(cd) ? COSIM_GPU_REG_INT_STATUS : EX_REG_IRQ_STATUS);
	u64 st = readq(reg);

	if (st == ~0ull)
		return 0;
	if (is_gpu(cd))
		st &= GPU_INT_CAUSES & ~readq(cd->bar[COSIM_GPU_BAR_REGS] + COSIM_GPU_REG_INT_MASK);
	else
		st &= GENMASK_ULL(EX_VECTORS - 1, 0);
	if (!st)
		return 0;
	writeq(st, reg);
	readq(reg);
	return st;
}

/* Hard handler of the shared INTx line: MMIO here, as the line stays up until the cause is cleared. */
static irqreturn_t cosim_intx(int irq, void *data)
{
	struct cosim_dev *cd = data;
	irqreturn_t ret = IRQ_HANDLED;
	unsigned int i;
	u64 st;

	st = cosim_intx_take(cd);
	if (!st)
		return IRQ_NONE;
	for (i = 0; i < cd->nvec; i++)
		if ((st & cosim_intx_causes(cd, i)) && cosim_vec_fired(&cd->vec[i]) == IRQ_WAKE_THREAD)
			ret = IRQ_WAKE_THREAD;
	return ret;
}

static irqreturn_t cosim_intx_thread(int irq, void *data)
{
	gpu_check_error(data);
	return IRQ_HANDLED;
}

/* No cause may hold the line up once our handler is gone (it may be shared). */
static void cosim_intx_quiet(struct cosim_dev *cd)
{
	if (!cd->bar[0])
		return;
	if (is_gpu(cd))
		writeq(GPU_INT_CAUSES, cd->bar[COSIM_GPU_BAR_REGS] + COSIM_GPU_REG_INT_MASK);
	else
		writeq(GENMASK_ULL(EX_VECTORS - 1, 0), cd->bar[0] + EX_REG_IRQ_STATUS);
}

/*
 * INTx: one shared line for every cause. The device knows a fixed set of
 * vectors (the same as its MSI-X ones); each gets its counter as with MSI-X.
 */
static int cosim_setup_intx(struct cosim_dev *cd)
{
	struct pci_dev *pdev = cd->pdev;
	int irq = pci_irq_vector(pdev, 0), ret;

	if (irq < 0)
		return irq;
	if (!cd->bar[0]) {
		dev_warn(&pdev->dev, "INTx without BAR0: interrupts not handled\n");
		return 0;
	}
	cd->nvec = is_gpu(cd) ? COSIM_GPU_MSIX_VECTORS : EX_VECTORS;
	/* Example device: causes left by an earlier driver instance are not ours to count. */
	if (!is_gpu(cd))
		cosim_intx_quiet(cd);
	snprintf(cd->vec[0].name, sizeof(cd->vec[0].name), "cosim%d-intx", cd->minor);
	ret = request_threaded_irq(irq, cosim_intx, is_gpu(cd) ? cosim_intx_thread : NULL,
				   IRQF_SHARED, cd->vec[0].name, cd);
	if (ret) {
		dev_err(&pdev->dev, "request_irq for INTx (irq %d) failed (%d)\n", irq, ret);
		cd->nvec = 0;
		return ret;
	}
	cd->intx_irq = irq;
	return 0;
}

/* No handler of cd's runs any more once this returns (they may still start). */
void cosim_sync_irqs(struct cosim_dev *cd)
{
	unsigned int i;

	if (cd->intx_irq >= 0)
		synchronize_irq(cd->intx_irq);
	for (i = 0; i < cd->nvec; i++)
		if (cd->vec[i].irq >= 0)
			synchronize_irq(cd->vec[i].irq);
}

static void cosim_free_irqs(struct cosim_dev *cd)
{
	unsigned int i;

	if (cd->intx_irq >= 0) {
		free_irq(cd->intx_irq, cd);
		cd->intx_irq = -1;
		cosim_intx_quiet(cd);
	}
	for (i = 0; i < cd->nvec; i++) {
		if (cd->vec[i].irq >= 0)
			free_irq(cd->vec[i].irq, &cd->vec[i]);
		cd->vec[i].irq = -1;
	}
	if (cd->irq_mode != COSIM_IRQ_MODE_NONE)
		pci_free_irq_vectors(cd->pdev);
	cd->irq_mode = COSIM_IRQ_MODE_NONE;
}

static int cosim_setup_irqs(struct cosim_dev *cd)
{
	struct pci_dev *pdev = cd->pdev;
	int nvec = 0, want, i, ret;

	cd->intx_irq = -1;
	for (i = 0; i < COSIM_MAX_VECTORS; i++) {
		cd->vec[i].cd = cd;
		cd->vec[i].index = i;
		cd->vec[i].irq = -1;
		atomic64_set(&cd->vec[i].count, 0);
		init_waitqueue_head(&cd->vec[i].wq);
	}

	want = pci_msix_vec_count(pdev);
	if (want > 0) {
		want = min(want, COSIM_MAX_VECTORS);
		nvec = pci_alloc_irq_vectors(pdev, want, want, PCI_IRQ_MSIX);
		if (nvec > 0)
			cd->irq_mode = COSIM_IRQ_MODE_MSIX;
		else
			dev_warn(&pdev->dev, "MSI-X with %d vectors failed (%d), trying MSI/INTx\n",
				 want, nvec);
	} else {
		dev_warn(&pdev->dev, "device has no MSI-X capability, trying MSI/INTx\n");
	}
	if (cd->irq_mode == COSIM_IRQ_MODE_NONE) {
		nvec = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI | PCI_IRQ_INTX);
		if (nvec < 0) {
			dev_warn(&pdev->dev, "no interrupt available (%d)\n", nvec);
			return 0;	/* register access and DMA still work */
		}
		cd->irq_mode = pdev->msi_enabled ? COSIM_IRQ_MODE_MSI : COSIM_IRQ_MODE_INTX;
		if (cd->irq_mode == COSIM_IRQ_MODE_INTX) {
			ret = cosim_setup_intx(cd);
			if (ret)
				cosim_free_irqs(cd);
			return ret;
		}
	}
	cd->nvec = nvec;

	for (i = 0; i < nvec; i++) {
		struct cosim_vec *v = &cd->vec[i];
		int irq = pci_irq_vector(pdev, i);

		if (irq < 0) {
			ret = irq;
			goto err;
		}
		snprintf(v->name, sizeof(v->name), "cosim%d-v%d", cd->minor, i);
		if (is_gpu(cd) && i == COSIM_GPU_VEC_ERROR)
			ret = request_threaded_irq(irq, cosim_irq, cosim_irq_thread, IRQF_ONESHOT,
						   v->name, v);
		else
			ret = request_irq(irq, cosim_irq, 0, v->name, v);
		if (ret)
			goto err;
		v->irq = irq;
	}
	return 0;
err:
	dev_err(&pdev->dev, "request_irq for vector %d failed (%d)\n", i, ret);
	cosim_free_irqs(cd);
	return ret;
}

/* ------------------------------------------------------------------ */
/* GPU front-end: command ring, fences, errors, reset                 */

static const char *gpu_err_name(u32 code)
{
	static const char * const names[] = {
		[COSIM_GPU_ERR_NONE] = "NONE",
		[COSIM_GPU_ERR_BAD_OPCODE] = "BAD_OPCODE",
		[COSIM_GPU_ERR_RING_OVERRUN] = "RING_OVERRUN",
		[COSIM_GPU_ERR_DMA] = "DMA",
		[COSIM_GPU_ERR_BAD_ARG] = "BAD_ARG",
		[COSIM_GPU_ERR_RING_CONFIG] = "RING_CONFIG",
	};

	return code < ARRAY_SIZE(names) && names[code] ? names[code] : "unknown";
}

static u64 gpu_completed(struct cosim_gpu *g)
{
	return READ_ONCE(*g->fence);
}

/*
 * If the device is halted, records its error (first time since the last
 * reset/resume), clears INT_STATUS.ERROR and wakes the fence waiters.
 * Returns true if it is halted. Sleeps (MMIO reads); called with g->lock
 * held (so that a reset cannot run between the reads and the recording) and
 * the BARs mapped.
 */
static bool gpu_check_error_locked(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;
	u64 st, code, addr, head;
	bool fresh = false;

	if (!is_gpu(cd) || !g->fence)
		return false;
	st = gpu_rd(cd, COSIM_GPU_REG_STATUS);
	if (st == ~0ull || !(st & COSIM_GPU_STATUS_HALTED_MASK))
		return false;	/* all-ones: the device did not answer */
	code = gpu_rd(cd, COSIM_GPU_REG_ERR_CODE) & COSIM_GPU_ERR_CODE_CODE_MASK;
	addr = gpu_rd(cd, COSIM_GPU_REG_ERR_ADDR);
	head = gpu_rd(cd, COSIM_GPU_REG_RING_HEAD);
	gpu_wr(cd, COSIM_GPU_REG_INT_STATUS, COSIM_GPU_INT_STATUS_ERROR_MASK);

	mutex_lock(&g->err_lock);
	/* A new error, or one after the error was cleared behind our back. */
	if (!g->halted || code != g->err_code || addr != g->err_addr || head != g->err_head) {
		g->halted = true;
		g->err_code = code;
		g->err_addr = addr;
		g->err_head = head;
		g->err_completed = gpu_completed(g);
		g->errors++;
		fresh = true;
	}
	mutex_unlock(&g->err_lock);
	if (fresh)
		dev_warn(&cd->pdev->dev,
			 "cosim%d: command ring halted: ERR_CODE %llu (%s) ERR_ADDR 0x%llx RING_HEAD %llu (failing entry %llu), fence %llu of %lld\n",
			 cd->minor, code, gpu_err_name(code), addr, head,
			 (head + g->entries - 1) % max(g->entries, 1u),
			 gpu_completed(g), (long long)atomic64_read(&g->seq));
	wake_up_all(&g->wq);
	return true;
}

/* The error vector's thread, and waits that time out. */
static void gpu_check_error(struct cosim_dev *cd)
{
	if (!is_gpu(cd))
		return;
	mutex_lock(&cd->gpu.lock);
	gpu_check_error_locked(cd);
	mutex_unlock(&cd->gpu.lock);
}

/* Waits for STATUS.RESETTING to clear. */
static int gpu_wait_reset_done(struct cosim_dev *cd, unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	u64 st;

	for (;;) {
		st = gpu_rd(cd, COSIM_GPU_REG_STATUS);
		if (st == ~0ull) {
			dev_err(&cd->pdev->dev, "cosim%d: STATUS reads all-ones during soft reset\n",
				cd->minor);
			return -EIO;
		}
		if (!(st & COSIM_GPU_STATUS_RESETTING_MASK))
			return 0;
		if (time_after(jiffies, deadline)) {
			dev_err(&cd->pdev->dev, "cosim%d: STATUS.RESETTING still set after %u ms\n",
				cd->minor, timeout_ms);
			return -ETIMEDOUT;
		}
		usleep_range(20, 100);
	}
}

/* The body of gpu_hw_init, without the network interface. */
static int gpu_hw_reset(struct cosim_dev *cd, u32 entries, unsigned int timeout_ms)
{
	struct cosim_gpu *g = &cd->gpu;
	u64 st, done, seq;
	int ret;

	g->enabled = false;
	gpu_wr(cd, COSIM_GPU_REG_SOFT_RESET, COSIM_GPU_SOFT_RESET_RESET_MASK);
	ret = gpu_wait_reset_done(cd, timeout_ms);
	if (ret)
		return ret;

	/* Nothing runs now: what did not complete never will. */
	mutex_lock(&g->err_lock);
	done = gpu_completed(g);
	seq = atomic64_read(&g->seq);
	if (seq > done) {
		g->lost_lo = done;
		g->lost_hi = seq;
	}
	g->halted = false;
	g->resets++;
	mutex_unlock(&g->err_lock);

	g->entries = entries;
	g->tail = 0;
	g->head = 0;
	memset(g->ring, 0, (size_t)GPU_RING_MAX * GPU_CMD);
	gpu_wr(cd, COSIM_GPU_REG_RING_BASE, g->ring_bus);
	gpu_wr(cd, COSIM_GPU_REG_RING_SIZE, entries);
	gpu_wr(cd, COSIM_GPU_REG_FENCE_ADDR, g->fence_bus);
	gpu_wr(cd, COSIM_GPU_REG_INT_MASK, 0);
	gpu_wr(cd, COSIM_GPU_REG_RING_CTRL, COSIM_GPU_RING_CTRL_ENABLE_MASK);
	st = gpu_rd(cd, COSIM_GPU_REG_STATUS);
	wake_up_all(&g->wq);
	if (st == ~0ull || !(st & COSIM_GPU_STATUS_ENABLED_MASK) ||
	    (st & COSIM_GPU_STATUS_HALTED_MASK)) {
		dev_err(&cd->pdev->dev,
			"cosim%d: command ring did not come up: STATUS 0x%llx ERR_CODE %llu\n",
			cd->minor, st, gpu_rd(cd, COSIM_GPU_REG_ERR_CODE));
		return -EIO;
	}
	g->enabled = true;
	return 0;
}

/*
 * Soft reset, then the ring: RING_BASE/RING_SIZE/FENCE_ADDR, INT_MASK 0,
 * RING_CTRL.ENABLE. Work not completed is lost (its waiters get EIO).
 * Called with g->lock held. Every soft reset but gpu_quiesce's (remove and
 * a failed probe, when no interface is up) comes through here: the reset
 * clears the NIC's registers too, so an interface that is up stops around
 * it and starts again on fresh rings, whatever the outcome of the reset.
 */
int gpu_hw_init(struct cosim_dev *cd, u32 entries, unsigned int timeout_ms)
{
	int ret;

	cosim_net_reset_prepare(cd);
	ret = gpu_hw_reset(cd, entries, timeout_ms);
	cosim_net_reset_done(cd);
	return ret;
}

static u32 gpu_room(const struct cosim_gpu *g)
{
	return g->entries - 1 - ((g->tail - g->head + g->entries) & (g->entries - 1));
}

static void gpu_doorbell(struct cosim_dev *cd)
{
	/* The entries must be in memory before the device is told about them. */
	wmb();
	iowrite32(cd->gpu.tail, cd->bar[COSIM_GPU_BAR_DOORBELL] + COSIM_GPU_REG_DOORBELL);
}

/* Polls RING_HEAD until there is room. Called with g->lock held. */
static int gpu_wait_room(struct cosim_dev *cd, unsigned long deadline)
{
	struct cosim_gpu *g = &cd->gpu;
	unsigned int delay = 10, n = 0;
	u64 head;

	for (;;) {
		head = gpu_rd(cd, COSIM_GPU_REG_RING_HEAD);
		if (head == ~0ull) {
			dev_err(&cd->pdev->dev, "cosim%d: RING_HEAD reads all-ones\n", cd->minor);
			return -EIO;
		}
		g->head = head & (g->entries - 1);
		if (gpu_room(g))
			return 0;
		if (READ_ONCE(g->halted) || (++n % 8 == 0 && gpu_check_error_locked(cd)))
			return -EIO;
		if (cosim_dead(cd))
			return -ENODEV;
		if (signal_pending(current))
			return -EINTR;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(delay, delay * 2);
		delay = min(delay * 2, 1000u);
	}
}

/* Writes one entry at the tail, waiting for room (publishing what is pending). */
static int gpu_put(struct cosim_dev *cd, const void *cmd, bool *pending, unsigned long deadline)
{
	struct cosim_gpu *g = &cd->gpu;
	int ret;

	if (!gpu_room(g)) {
		if (*pending)
			gpu_doorbell(cd);
		*pending = false;
		ret = gpu_wait_room(cd, deadline);
		if (ret)
			return ret;
	}
	memcpy(g->ring + (size_t)g->tail * GPU_CMD, cmd, GPU_CMD);
	g->tail = (g->tail + 1) & (g->entries - 1);
	*pending = true;
	return 0;
}

static long gpu_submit(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_gpu *g = &cd->gpu;
	struct cosim_gpu_cmd_write_fence fence;
	struct cosim_gpu_submit s;
	unsigned long deadline;
	bool pending = false;
	u8 *cmds = NULL;
	long ret = 0;
	u32 i;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	s.submitted = 0;
	s.seq = atomic64_read(&g->seq);
	if (s.flags & ~(COSIM_GPU_SUBMIT_NO_FENCE | COSIM_GPU_SUBMIT_FENCE_NO_IRQ) ||
	    s.count > COSIM_GPU_SUBMIT_MAX)
		return -EINVAL;
	if (s.count) {
		cmds = kvmalloc_array(s.count, GPU_CMD, GFP_KERNEL);
		if (!cmds)
			return -ENOMEM;
		if (copy_from_user(cmds, u64_to_user_ptr(s.cmds), (size_t)s.count * GPU_CMD)) {
			ret = -EFAULT;
			goto out_free;
		}
	}
	/* FENCE_ADDR belongs to the driver's sequence numbers. */
	for (i = 0; i < s.count; i++) {
		const struct cosim_gpu_cmd_write_fence *f = (const void *)(cmds + (size_t)i * GPU_CMD);

		if (f->opcode == COSIM_GPU_OP_WRITE_FENCE && f->addr == 0 &&
		    !(f->flags & COSIM_GPU_CMD_FLAGS_DST_VRAM_MASK)) {
			ret = -EINVAL;
			goto out_free;
		}
	}

	deadline = jiffies + msecs_to_jiffies(s.timeout_ms ? s.timeout_ms : GPU_SUBMIT_TIMEOUT_MS);
	if (mutex_lock_interruptible(&g->lock)) {
		ret = -EINTR;
		goto out_free;
	}
	if (!g->enabled || READ_ONCE(g->halted)) {
		ret = -EIO;
		goto out_unlock;
	}
	for (i = 0; i < s.count; i++) {
		ret = gpu_put(cd, cmds + (size_t)i * GPU_CMD, &pending, deadline);
		if (ret)
			break;
		s.submitted++;
	}
	if (!ret && !(s.flags & COSIM_GPU_SUBMIT_NO_FENCE)) {
		memset(&fence, 0, sizeof(fence));
		fence.opcode = COSIM_GPU_OP_WRITE_FENCE;
		fence.flags = (s.flags & COSIM_GPU_SUBMIT_FENCE_NO_IRQ) ? 0 : COSIM_GPU_CMD_FLAGS_IRQ_MASK;
		fence.addr = 0;	/* FENCE_ADDR */
		fence.value = atomic64_read(&g->seq) + 1;
		ret = gpu_put(cd, &fence, &pending, deadline);
		if (!ret)
			atomic64_set(&g->seq, fence.value);
	}
	if (pending)
		gpu_doorbell(cd);
	s.seq = atomic64_read(&g->seq);
out_unlock:
	mutex_unlock(&g->lock);
out_free:
	kvfree(cmds);
	if (copy_to_user(arg, &s, sizeof(s)) && !ret)
		ret = -EFAULT;
	return ret;
}

/* 0: seq completed; -EIO: it never will (halted, lost to a reset); 1: pending. */
static int gpu_fence_state(struct cosim_gpu *g, u64 seq)
{
	if (seq > READ_ONCE(g->lost_lo) && seq <= READ_ONCE(g->lost_hi))
		return -EIO;
	if (gpu_completed(g) >= seq)
		return 0;
	return READ_ONCE(g->halted) ? -EIO : 1;
}

/* In the ioctl's SRCU read section: remove waits for it (it wakes us). */
static long gpu_wait_fence(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_gpu *g = &cd->gpu;
	struct cosim_gpu_wait w;
	unsigned long deadline;
	long ret, left;
	bool poll;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (w.flags & ~COSIM_GPU_WAIT_POLL)
		return -EINVAL;
	if (w.seq > (u64)atomic64_read(&g->seq))
		return -EINVAL;
	poll = (w.flags & COSIM_GPU_WAIT_POLL) || g->poll;
	deadline = jiffies + msecs_to_jiffies(w.timeout_ms);
	for (;;) {
		ret = gpu_fence_state(g, w.seq);
		if (ret <= 0)
			break;
		if (cosim_dead(cd)) {
			ret = -ENODEV;
			break;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0) {
			/* The error vector may be masked: look at the device once. */
			gpu_check_error(cd);
			ret = gpu_fence_state(g, w.seq);
			if (ret > 0)
				ret = -ETIMEDOUT;
			break;
		}
		if (poll)
			left = min(left, (long)msecs_to_jiffies(1));
		left = wait_event_interruptible_timeout(g->wq,
				gpu_fence_state(g, w.seq) <= 0 || cosim_dead(cd), left);
		if (left < 0) {
			ret = left;	/* -ERESTARTSYS */
			break;
		}
	}
	rmb();	/* the data before the fence, for whoever reads it next */
	w.completed = gpu_completed(g);
	if (copy_to_user(arg, &w, sizeof(w)) && ret >= 0)
		return -EFAULT;
	return ret;
}

static void gpu_fill_status(struct cosim_dev *cd, struct cosim_gpu_status *st, bool read_hw)
{
	struct cosim_gpu *g = &cd->gpu;

	memset(st, 0, sizeof(*st));
	st->caps = cd->caps;
	if (!is_gpu(cd))
		return;
	if (read_hw) {
		st->ring_head = gpu_rd(cd, COSIM_GPU_REG_RING_HEAD);
		st->hw_status = gpu_rd(cd, COSIM_GPU_REG_STATUS);
	}
	st->ring_bus = g->ring_bus;
	st->ring_entries = g->entries;
	st->ring_tail = g->tail;
	st->fence_bus = g->fence_bus;
	st->seq_submitted = atomic64_read(&g->seq);
	st->seq_completed = gpu_completed(g);
	mutex_lock(&g->err_lock);
	st->flags = (g->enabled ? COSIM_GPU_ST_ENABLED : 0) | (g->halted ? COSIM_GPU_ST_HALTED : 0);
	st->err_code = g->err_code;
	st->err_head = g->err_head;
	st->err_addr = g->err_addr;
	st->err_completed = g->err_completed;
	st->errors = g->errors;
	st->resets = g->resets;
	st->resumes = g->resumes;
	mutex_unlock(&g->err_lock);
}

static long gpu_status(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_gpu_status st;

	gpu_fill_status(cd, &st, true);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long gpu_reset(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_gpu *g = &cd->gpu;
	struct cosim_gpu_reset r;
	long ret;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if ((r.flags & ~COSIM_GPU_RESET_RESUME) || r.pad)
		return -EINVAL;
	if (r.ring_entries && (r.ring_entries < COSIM_GPU_RING_MIN_ENTRIES ||
			       r.ring_entries > GPU_RING_MAX || !is_power_of_2(r.ring_entries) ||
			       (r.flags & COSIM_GPU_RESET_RESUME)))
		return -EINVAL;
	if (mutex_lock_interruptible(&g->lock))
		return -EINTR;
	if (r.flags & COSIM_GPU_RESET_RESUME) {
		gpu_wr(cd, COSIM_GPU_REG_RING_CTRL,
		       COSIM_GPU_RING_CTRL_ENABLE_MASK | COSIM_GPU_RING_CTRL_CLEAR_ERROR_MASK);
		mutex_lock(&g->err_lock);
		g->halted = false;
		g->resumes++;
		mutex_unlock(&g->err_lock);
		ret = 0;
	} else {
		ret = gpu_hw_init(cd, r.ring_entries ? r.ring_entries : g->entries,
				  r.timeout_ms ? r.timeout_ms : GPU_RESET_TIMEOUT_MS);
	}
	mutex_unlock(&g->lock);
	return ret;
}

/* Before the vectors are requested: their handlers use these. */
static void gpu_early_init(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;

	mutex_init(&g->lock);
	mutex_init(&g->err_lock);
	init_waitqueue_head(&g->wq);
	atomic64_set(&g->seq, 0);
}

static int gpu_probe(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;
	struct device *dev = &cd->pdev->dev;
	u64 id;
	int ret;

	if (!cd->bar[COSIM_GPU_BAR_REGS] ||
	    pci_resource_len(cd->pdev, COSIM_GPU_BAR_REGS) < COSIM_GPU_REG_WINDOW ||
	    !cd->bar[COSIM_GPU_BAR_DOORBELL]) {
		dev_err(dev, "GPU without a register BAR%d or doorbell BAR%d\n",
			COSIM_GPU_BAR_REGS, COSIM_GPU_BAR_DOORBELL);
		return -ENODEV;
	}
	id = gpu_rd(cd, COSIM_GPU_REG_ID);
	if (id != COSIM_GPU_REG_ID_RESET) {
		dev_err(dev, "GPU ID register reads 0x%016llx, want 0x%016llx\n",
			id, COSIM_GPU_REG_ID_RESET);
		return -ENODEV;
	}
	if (ring_entries < COSIM_GPU_RING_MIN_ENTRIES || ring_entries > GPU_RING_MAX ||
	    !is_power_of_2(ring_entries)) {
		dev_warn(dev, "ring_entries=%u is not a power of two in %d..%d: using 256\n",
			 ring_entries, COSIM_GPU_RING_MIN_ENTRIES, GPU_RING_MAX);
		ring_entries = 256;
	}
	g->poll = cd->nvec <= COSIM_GPU_VEC_ERROR;
	if (g->poll)
		dev_warn(dev, "GPU with %u interrupt vector(s): fence waits poll\n", cd->nvec);

	g->ring = dma_alloc_coherent(dev, (size_t)GPU_RING_MAX * GPU_CMD, &g->ring_bus, GFP_KERNEL);
	if (!g->ring)
		return -ENOMEM;
	g->fence = dma_alloc_coherent(dev, PAGE_SIZE, &g->fence_bus, GFP_KERNEL);
	if (!g->fence) {
		ret = -ENOMEM;
		goto err_ring;
	}
	WRITE_ONCE(*g->fence, 0);
	mutex_lock(&g->lock);
	ret = gpu_hw_init(cd, ring_entries, GPU_RESET_TIMEOUT_MS);
	mutex_unlock(&g->lock);
	if (ret)
		goto err_fence;
	g->resets = 0;	/* the probe's reset is not counted */
	return 0;

err_fence:
	dma_free_coherent(dev, PAGE_SIZE, g->fence, g->fence_bus);
	g->fence = NULL;
err_ring:
	dma_free_coherent(dev, (size_t)GPU_RING_MAX * GPU_CMD, g->ring, g->ring_bus);
	g->ring = NULL;
	return ret;
}

/* Stops the device's DMA and interrupts (BARs and vectors still there). */
static void gpu_quiesce(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;

	mutex_lock(&g->lock);
	g->enabled = false;
	gpu_wr(cd, COSIM_GPU_REG_RING_CTRL, 0);
	gpu_wr(cd, COSIM_GPU_REG_SOFT_RESET, COSIM_GPU_SOFT_RESET_RESET_MASK);
	gpu_wait_reset_done(cd, GPU_RESET_TIMEOUT_MS);
	gpu_wr(cd, COSIM_GPU_REG_INT_MASK, COSIM_GPU_INT_MASK_CMD_DONE_MASK |
	       COSIM_GPU_INT_MASK_ERROR_MASK | COSIM_GPU_INT_MASK_NIC_RX_MASK |
	       COSIM_GPU_INT_MASK_NIC_TX_MASK | COSIM_GPU_INT_MASK_UART_RX_MASK);
	mutex_unlock(&g->lock);
}

/*
 * Frees the ring and the fence memory: after gpu_quiesce, the vectors and
 * every file operation (remove waited for them; later ones see `dead`).
 */
static void gpu_free(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;

	if (g->ring)
		dma_free_coherent(&cd->pdev->dev, (size_t)GPU_RING_MAX * GPU_CMD, g->ring, g->ring_bus);
	g->ring = NULL;
	if (g->fence)
		dma_free_coherent(&cd->pdev->dev, PAGE_SIZE, g->fence, g->fence_bus);
	g->fence = NULL;
}

/*
 * Before a DMA buffer is freed while the device lives on: makes sure the
 * GPU cannot reach it. The command ring must be empty and idle: a running
 * ring is waited for (GPU_DRAIN_TIMEOUT_MS); one that is halted or disabled
 * with entries left (they would run on resume), or that does not drain in
 * time, is soft-reset (its pending work is lost: waits return EIO). A NIC
 * that user space enabled (the interface is down) may write any buffer: it
 * is disabled and waited for (or the GPU is soft-reset). Called in an SRCU
 * read section, device not dead. 0, -ENODEV (remove started: it frees the
 * buffer), -EBUSY (the device could not be made idle: keep the memory).
 */
static int gpu_quiesce_dma(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;
	unsigned long deadline = jiffies + msecs_to_jiffies(GPU_DRAIN_TIMEOUT_MS);
	unsigned int delay = 20;
	bool reset = false;
	int ret = 0;
	u64 st, v;

	mutex_lock(&g->lock);
	for (;;) {
		st = gpu_rd(cd, COSIM_GPU_REG_STATUS);
		if (st == ~0ull)
			goto out;	/* the device does not answer: no DMA either */
		if (!(st & COSIM_GPU_STATUS_RESETTING_MASK) &&
		    (st & COSIM_GPU_STATUS_RING_EMPTY_MASK) && !(st & COSIM_GPU_STATUS_BUSY_MASK))
			break;
		if (!(st & COSIM_GPU_STATUS_RESETTING_MASK) &&
		    ((st & COSIM_GPU_STATUS_HALTED_MASK) || !(st & COSIM_GPU_STATUS_ENABLED_MASK))) {
			reset = true;
			break;
		}
		if (cosim_dead(cd)) {
			ret = -ENODEV;
			goto out;
		}
		if (time_after(jiffies, deadline)) {
			dev_warn(&cd->pdev->dev,
				 "cosim%d: command ring not idle after %d ms (STATUS 0x%llx) before a DMA buffer is freed: soft reset\n",
				 cd->minor, GPU_DRAIN_TIMEOUT_MS, st);
			reset = true;
			break;
		}
		usleep_range(delay, delay * 2);
		delay = min(delay * 2, 1000u);
	}
	if (!reset && !cosim_net_owns_nic(cd)) {
		v = gpu_rd(cd, COSIM_GPU_REG_NIC_CTRL);
		if (v != ~0ull && (v & (COSIM_GPU_NIC_CTRL_TX_EN_MASK | COSIM_GPU_NIC_CTRL_RX_EN_MASK)))
			gpu_wr(cd, COSIM_GPU_REG_NIC_CTRL, 0);
		else if (!(st & COSIM_GPU_STATUS_NIC_BUSY_MASK))
			goto out;
		deadline = jiffies + msecs_to_jiffies(NIC_STOP_TIMEOUT_MS);
		for (;;) {
			v = gpu_rd(cd, COSIM_GPU_REG_NIC_STATUS);
			if (v == ~0ull || !(v & (COSIM_GPU_NIC_STATUS_TX_BUSY_MASK |
						COSIM_GPU_NIC_STATUS_RX_BUSY_MASK)))
				break;
			if (time_after(jiffies, deadline)) {
				reset = true;
				break;
			}
			usleep_range(50, 200);
		}
	}
	if (reset && gpu_hw_init(cd, g->entries, GPU_RESET_TIMEOUT_MS))
		ret = -EBUSY;
out:
	mutex_unlock(&g->lock);
	return ret;
}

/*
 * Example device: its DMA engine (DMA_STATUS.BUSY) must be idle. `removing`:
 * called by remove (do not give up on `dead`). 0, -ENODEV, -EBUSY.
 */
static int ex_quiesce_dma(struct cosim_dev *cd, bool removing)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(EX_DMA_IDLE_TIMEOUT_MS);
	u64 st;

	if (!cd->bar[0] || pci_resource_len(cd->pdev, 0) < EX_REG_DMA_STATUS + 8)
		return 0;
	for (;;) {
		st = readq(cd->bar[0] + EX_REG_DMA_STATUS);
		if (st == ~0ull || !(st & EX_DMA_STATUS_BUSY))
			return 0;
		if (!removing && cosim_dead(cd))
			return -ENODEV;
		if (time_after(jiffies, deadline)) {
			dev_warn(&cd->pdev->dev, "cosim%d: DMA engine still busy after %d ms\n",
				 cd->minor, EX_DMA_IDLE_TIMEOUT_MS);
			return -EBUSY;
		}
		usleep_range(50, 200);
	}
}

static int cosim_quiesce_dma(struct cosim_dev *cd)
{
	return is_gpu(cd) ? gpu_quiesce_dma(cd) : ex_quiesce_dma(cd, false);
}

/* ------------------------------------------------------------------ */
/* sysfs: /sys/class/cosim/cosimN/{irq_counts,irq_mode}               */

static ssize_t irq_counts_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct cosim_dev *cd = dev_get_drvdata(dev);
	unsigned int i;
	int n = 0;

	for (i = 0; i < cd->nvec; i++)
		n += sysfs_emit_at(buf, n, "%u %llu\n", i,
				   (unsigned long long)atomic64_read(&cd->vec[i].count));
	return n;
}
static DEVICE_ATTR_RO(irq_counts);

static ssize_t irq_mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	static const char * const names[] = { "none", "msix", "msi", "intx" };
	struct cosim_dev *cd = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s %u\n", names[cd->irq_mode], cd->nvec);
}
static DEVICE_ATTR_RO(irq_mode);

/* GPU only: the ring and error state, one "key value" per line. */
static ssize_t gpu_state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct cosim_dev *cd = dev_get_drvdata(dev);
	struct cosim_gpu_status st;

	gpu_fill_status(cd, &st, false);	/* no MMIO from sysfs */
	return sysfs_emit(buf,
			  "enabled %u\nhalted %u\nring_entries %u\nring_tail %u\n"
			  "seq_submitted %llu\nseq_completed %llu\n"
			  "errors %llu\nlast_error %u %s addr 0x%llx head %u\n"
			  "resets %llu\nresumes %llu\n",
			  !!(st.flags & COSIM_GPU_ST_ENABLED), !!(st.flags & COSIM_GPU_ST_HALTED),
			  st.ring_entries, st.ring_tail,
			  st.seq_submitted, st.seq_completed, st.errors,
			  st.err_code, gpu_err_name(st.err_code), st.err_addr, st.err_head,
			  st.resets, st.resumes);
}
static DEVICE_ATTR_RO(gpu_state);

/* DMA buffers whose memory is allocated: ids not freed, or freed but mapped. */
static ssize_t dma_bufs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct cosim_dev *cd = dev_get_drvdata(dev);
	u64 n, bytes;

	mutex_lock(&cd->buf_lock);
	n = cd->buf_count;
	bytes = cd->buf_bytes;
	mutex_unlock(&cd->buf_lock);
	return sysfs_emit(buf, "buffers %llu\nbytes %llu\n", n, bytes);
}
static DEVICE_ATTR_RO(dma_bufs);

static struct attribute *cosim_attrs[] = {
	&dev_attr_irq_counts.attr,
	&dev_attr_irq_mode.attr,
	&dev_attr_gpu_state.attr,
	&dev_attr_dma_bufs.attr,
	NULL,
};

static umode_t cosim_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct cosim_dev *cd = dev_get_drvdata(kobj_to_dev(kobj));

	if (attr == &dev_attr_gpu_state.attr && !is_gpu(cd))
		return 0;
	return attr->mode;
}

static const struct attribute_group cosim_group = {
	.attrs = cosim_attrs,
	.is_visible = cosim_attr_visible,
};

static const struct attribute_group *cosim_groups[] = {
	&cosim_group,
	NULL,
};

/* ------------------------------------------------------------------ */
/* file operations                                                    */

static int cosim_open(struct inode *inode, struct file *filp)
{
	/* chrdev_open holds the cdev, and the cdev holds cd (its parent). */
	struct cosim_dev *cd = container_of(inode->i_cdev, struct cosim_dev, cdev);
	struct cosim_file *cf;
	int idx, ret = 0;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	cf->cd = cd;
	cf->filp = filp;
	mutex_init(&cf->lock);
	INIT_LIST_HEAD(&cf->bufs);
	cf->next_id = 1;

	idx = srcu_read_lock(&cd->srcu);
	if (cosim_dead(cd)) {
		ret = -ENODEV;
	} else {
		get_device(&cd->dev);
		/* Inside the read section: remove, past synchronize_srcu, sees the file. */
		mutex_lock(&cd->files_lock);
		list_add_tail(&cf->node, &cd->files);
		mutex_unlock(&cd->files_lock);
		filp->private_data = cf;
	}
	srcu_read_unlock(&cd->srcu, idx);
	if (ret)
		kfree(cf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* DMA buffers                                                        */

static void cosim_buf_kfree(struct kref *ref)
{
	kfree(container_of(ref, struct cosim_buf, ref));
}

/*
 * The buffer's last user is gone: free its memory once the device cannot
 * reach it (`quiesced`: the caller made sure already). After remove started
 * the memory is remove's to free (it stops the device first). A device that
 * cannot be made idle keeps the memory until remove.
 */
static void cosim_buf_free_mem(struct cosim_buf *b, bool quiesced)
{
	struct cosim_dev *cd = b->cd;
	int idx, ret;
	void *cpu;

	idx = srcu_read_lock(&cd->srcu);
	ret = cosim_dead(cd) ? -ENODEV : quiesced ? 0 : cosim_quiesce_dma(cd);
	if (ret) {
		if (ret != -ENODEV)
			dev_warn(&cd->pdev->dev,
				 "cosim%d: the device did not go idle: a freed DMA buffer of %zu bytes is kept until remove\n",
				 cd->minor, b->size);
		srcu_read_unlock(&cd->srcu, idx);
		return;
	}
	mutex_lock(&cd->buf_lock);
	list_del_init(&b->dnode);
	cd->buf_count--;
	cd->buf_bytes -= b->size;
	cpu = b->cpu;
	b->cpu = NULL;
	mutex_unlock(&cd->buf_lock);
	dma_free_coherent(&cd->pdev->dev, b->size, cpu, b->bus);
	srcu_read_unlock(&cd->srcu, idx);
	kref_put(&b->ref, cosim_buf_kfree);	/* the memory's reference */
}

static void cosim_buf_get(struct cosim_buf *b)
{
	refcount_inc(&b->users);
}

static void cosim_buf_put(struct cosim_buf *b, bool quiesced)
{
	if (!refcount_dec_and_test(&b->users))
		return;
	cosim_buf_free_mem(b, quiesced);
	kref_put(&b->ref, cosim_buf_kfree);	/* the users' reference */
}

/* Remove, with the device stopped and every mapping zapped: all DMA memory goes. */
static void cosim_free_bufs(struct cosim_dev *cd)
{
	struct cosim_buf *b, *tmp;

	mutex_lock(&cd->buf_lock);
	list_for_each_entry_safe(b, tmp, &cd->bufs, dnode) {
		list_del_init(&b->dnode);
		cd->buf_count--;
		cd->buf_bytes -= b->size;
		dma_free_coherent(&cd->pdev->dev, b->size, b->cpu, b->bus);
		b->cpu = NULL;
		kref_put(&b->ref, cosim_buf_kfree);
	}
	mutex_unlock(&cd->buf_lock);
}

static int cosim_release(struct inode *inode, struct file *filp)
{
	struct cosim_file *cf = filp->private_data;
	struct cosim_dev *cd = cf->cd;
	struct cosim_buf *b, *tmp;
	bool quiesced = false;
	int idx;

	mutex_lock(&cd->files_lock);
	list_del(&cf->node);
	mutex_unlock(&cd->files_lock);

	/*
	 * No mapping of this file is left (a VMA holds its file), so every
	 * buffer whose id is still here goes now. GPU: commands in the ring
	 * and NIC descriptors may point into them; stop the device (soft
	 * reset, ring set up again) first.
	 */
	if (!list_empty(&cf->bufs)) {
		idx = srcu_read_lock(&cd->srcu);
		if (!cosim_dead(cd)) {
			if (is_gpu(cd)) {
				mutex_lock(&cd->gpu.lock);
				if (gpu_hw_init(cd, cd->gpu.entries, GPU_RESET_TIMEOUT_MS))
					dev_err(&cd->pdev->dev,
						"cosim%d: soft reset before freeing a closed file's DMA buffers failed\n",
						cd->minor);
				else
					quiesced = true;
				mutex_unlock(&cd->gpu.lock);
			} else {
				quiesced = !ex_quiesce_dma(cd, false);
			}
		}
		srcu_read_unlock(&cd->srcu, idx);
	}
	list_for_each_entry_safe(b, tmp, &cf->bufs, fnode) {
		list_del(&b->fnode);
		cosim_buf_put(b, quiesced);
	}
	cosim_dev_put(cd);
	kfree(cf);
	return 0;
}

/* Returns the mapped address of [off, off+size) in BAR `bar`, or NULL. */
static void __iomem *cosim_reg_addr(struct cosim_dev *cd, u32 bar, u64 off, u32 size)
{
	if (bar >= COSIM_NUM_BARS || !cd->bar[bar])
		return NULL;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return NULL;
	/*
	 * No alignment rule: an unaligned access goes to the device as the
	 * CPU issues it (the bridge has defined behaviour for them).
	 */
	if (off >= pci_resource_len(cd->pdev, bar) ||
	    size > pci_resource_len(cd->pdev, bar) - off)
		return NULL;
	if (size == 8 && !(pci_resource_flags(cd->pdev, bar) & IORESOURCE_MEM))
		return NULL;
	return cd->bar[bar] + off;
}

static long cosim_reg_read(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_reg r;
	void __iomem *a;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	a = cosim_reg_addr(cd, r.bar, r.offset, r.size);
	if (!a)
		return -EINVAL;
	switch (r.size) {
	case 1: r.value = ioread8(a); break;
	case 2: r.value = ioread16(a); break;
	case 4: r.value = ioread32(a); break;
	default: r.value = readq(a); break;
	}
	return copy_to_user(arg, &r, sizeof(r)) ? -EFAULT : 0;
}

static long cosim_reg_write(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_reg r;
	void __iomem *a;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	a = cosim_reg_addr(cd, r.bar, r.offset, r.size);
	if (!a)
		return -EINVAL;
	switch (r.size) {
	case 1: iowrite8(r.value, a); break;
	case 2: iowrite16(r.value, a); break;
	case 4: iowrite32(r.value, a); break;
	default: writeq(r.value, a); break;
	}
	return 0;
}

static long cosim_info(struct cosim_dev *cd, void __user *arg)
{
	struct pci_dev *pdev = cd->pdev;
	struct cosim_info info;
	int i;

	memset(&info, 0, sizeof(info));
	info.uapi_version = COSIM_UAPI_VERSION;
	info.vendor = pdev->vendor;
	info.device = pdev->device;
	info.subsystem_vendor = pdev->subsystem_vendor;
	info.subsystem_device = pdev->subsystem_device;
	info.class_code = pdev->class;
	info.revision = pdev->revision;
	info.irq_mode = cd->irq_mode;
	info.num_vectors = cd->nvec;
	for (i = 0; i < COSIM_NUM_BARS; i++) {
		unsigned long fl = pci_resource_flags(pdev, i);

		if (!cd->bar[i])
			continue;
		info.bar_mask |= 1u << i;
		info.bar_len[i] = pci_resource_len(pdev, i);
		info.bar_start[i] = pci_resource_start(pdev, i);
		info.bar_flags[i] = ((fl & IORESOURCE_MEM) ? COSIM_BAR_MEM : 0) |
				    ((fl & IORESOURCE_MEM_64) ? COSIM_BAR_64BIT : 0) |
				    ((fl & IORESOURCE_PREFETCH) ? COSIM_BAR_PREFETCH : 0);
	}
	strscpy(info.pci_name, pci_name(pdev), sizeof(info.pci_name));
	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long cosim_dma_alloc(struct cosim_file *cf, void __user *arg)
{
	struct cosim_dev *cd = cf->cd;
	struct cosim_dma_alloc req;
	struct cosim_buf *b;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.size == 0 || req.size > COSIM_DMA_MAX_SIZE || req.pad)
		return -EINVAL;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->size = PAGE_ALIGN(req.size);
	b->cpu = dma_alloc_coherent(&cd->pdev->dev, b->size, &b->bus, GFP_KERNEL);
	if (!b->cpu) {
		kfree(b);
		return -ENOMEM;
	}
	b->cd = cd;
	kref_init(&b->ref);		/* the users' */
	kref_get(&b->ref);		/* the memory's */
	refcount_set(&b->users, 1);	/* the id */
	INIT_LIST_HEAD(&b->fnode);
	/* In the ioctl's read section: remove sees it and frees it. */
	mutex_lock(&cd->buf_lock);
	list_add_tail(&b->dnode, &cd->bufs);
	cd->buf_count++;
	cd->buf_bytes += b->size;
	mutex_unlock(&cd->buf_lock);

	mutex_lock(&cf->lock);
	if (cf->next_id >= COSIM_MMAP_BAR_BASE) {
		mutex_unlock(&cf->lock);
		cosim_buf_put(b, true);	/* the device never learnt of it */
		return -ENOSPC;
	}
	b->id = cf->next_id++;
	list_add_tail(&b->fnode, &cf->bufs);
	mutex_unlock(&cf->lock);

	req.size = b->size;
	req.bus_addr = b->bus;
	req.mmap_offset = COSIM_MMAP_DMA(b->id);
	req.id = b->id;
	req.pad = 0;
	if (copy_to_user(arg, &req, sizeof(req))) {
		mutex_lock(&cf->lock);
		list_del(&b->fnode);
		mutex_unlock(&cf->lock);
		cosim_buf_put(b, true);
		return -EFAULT;
	}
	return 0;
}

/* Called with cf->lock held. */
static struct cosim_buf *cosim_find_buf(struct cosim_file *cf, u32 id)
{
	struct cosim_buf *b;

	list_for_each_entry(b, &cf->bufs, fnode)
		if (b->id == id)
			return b;
	return NULL;
}

/*
 * Drops the id. The memory goes with the buffer's last mapping (at once if
 * it is not mapped), once the device cannot reach it.
 */
static long cosim_dma_free(struct cosim_file *cf, void __user *arg)
{
	struct cosim_dma_free req;
	struct cosim_buf *b;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.pad)
		return -EINVAL;
	mutex_lock(&cf->lock);
	b = cosim_find_buf(cf, req.id);
	if (b)
		list_del(&b->fnode);
	mutex_unlock(&cf->lock);
	if (!b)
		return -EINVAL;
	cosim_buf_put(b, false);
	return 0;
}

static long cosim_wait_irq(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_irq_wait w;
	struct cosim_vec *v;
	long left;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (w.vector >= cd->nvec)
		return -EINVAL;
	v = &cd->vec[w.vector];
	if (w.after == COSIM_WAIT_NEXT)
		w.after = atomic64_read(&v->count);

	left = wait_event_interruptible_timeout(v->wq,
			(u64)atomic64_read(&v->count) > w.after || READ_ONCE(cd->dead),
			msecs_to_jiffies(w.timeout_ms));
	w.count = atomic64_read(&v->count);
	if (left < 0)
		return left;	/* -ERESTARTSYS */
	if (copy_to_user(arg, &w, sizeof(w)))
		return -EFAULT;
	if (w.count > w.after)
		return 0;
	return READ_ONCE(cd->dead) ? -ENODEV : -ETIMEDOUT;
}

static long cosim_irq_counts(struct cosim_dev *cd, void __user *arg)
{
	struct cosim_irq_counts c;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.num_vectors = cd->nvec;
	for (i = 0; i < cd->nvec; i++)
		c.count[i] = atomic64_read(&cd->vec[i].count);
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long cosim_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct cosim_file *cf = filp->private_data;
	struct cosim_dev *cd = cf->cd;
	void __user *uarg = (void __user *)arg;
	long ret;
	int idx;

	if ((cmd == COSIM_GPU_IOC_SUBMIT || cmd == COSIM_GPU_IOC_WAIT_FENCE ||
	     cmd == COSIM_GPU_IOC_RESET) && !is_gpu(cd))
		return -ENOTTY;

	/*
	 * Waits too run in the read section: remove sets `dead`, wakes them
	 * and waits for them to leave before it frees what they look at.
	 */
	idx = srcu_read_lock(&cd->srcu);
	if (cosim_dead(cd)) {
		srcu_read_unlock(&cd->srcu, idx);
		return -ENODEV;
	}
	switch (cmd) {
	case COSIM_IOC_INFO:		ret = cosim_info(cd, uarg); break;
	case COSIM_IOC_REG_READ:	ret = cosim_reg_read(cd, uarg); break;
	case COSIM_IOC_REG_WRITE:	ret = cosim_reg_write(cd, uarg); break;
	case COSIM_IOC_DMA_ALLOC:	ret = cosim_dma_alloc(cf, uarg); break;
	case COSIM_IOC_DMA_FREE:	ret = cosim_dma_free(cf, uarg); break;
	case COSIM_IOC_WAIT_IRQ:	ret = cosim_wait_irq(cd, uarg); break;
	case COSIM_IOC_IRQ_COUNTS:	ret = cosim_irq_counts(cd, uarg); break;
	case COSIM_GPU_IOC_SUBMIT:	ret = gpu_submit(cd, uarg); break;
	case COSIM_GPU_IOC_WAIT_FENCE:	ret = gpu_wait_fence(cd, uarg); break;
	case COSIM_GPU_IOC_STATUS:	ret = gpu_status(cd, uarg); break;
	case COSIM_GPU_IOC_RESET:	ret = gpu_reset(cd, uarg); break;
	default:			ret = -ENOTTY; break;
	}
	srcu_read_unlock(&cd->srcu, idx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* mmap: BARs and DMA buffers, filled in by the fault handlers        */

static void cosim_vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * Maps up to FAULT_AROUND_PAGES pages from the faulting one on (inside the
 * VMA and the object of `npages` pages whose page i is pfn(ctx, i)).
 */
static vm_fault_t cosim_fault_pfns(struct vm_fault *vmf, unsigned long npages,
				   unsigned long (*pfn)(void *ctx, unsigned long pg), void *ctx)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK, pg = vmf->pgoff;
	vm_fault_t ret;
	unsigned int i;

	if (pg >= npages)
		return VM_FAULT_SIGBUS;
	ret = vmf_insert_pfn(vma, addr, pfn(ctx, pg));
	if (ret != VM_FAULT_NOPAGE)
		return ret;
	for (i = 1; i < FAULT_AROUND_PAGES; i++) {
		addr += PAGE_SIZE;
		pg++;
		if (addr >= vma->vm_end || pg >= npages)
			break;
		if (vmf_insert_pfn(vma, addr, pfn(ctx, pg)) != VM_FAULT_NOPAGE)
			break;
	}
	return VM_FAULT_NOPAGE;
}

static unsigned long cosim_bar_pfn(void *ctx, unsigned long pg)
{
	struct cosim_barmap *bm = ctx;

	return (pci_resource_start(bm->cd->pdev, bm->bar) >> PAGE_SHIFT) + pg;
}

static vm_fault_t cosim_bar_fault(struct vm_fault *vmf)
{
	struct cosim_barmap *bm = vmf->vma->vm_private_data;
	struct cosim_dev *cd = bm->cd;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	idx = srcu_read_lock(&cd->srcu);
	if (!cosim_dead(cd)) {
		resource_size_t start = pci_resource_start(cd->pdev, bm->bar);
		unsigned long npages = PAGE_ALIGN(offset_in_page(start) +
						  pci_resource_len(cd->pdev, bm->bar)) >> PAGE_SHIFT;

		ret = cosim_fault_pfns(vmf, npages, cosim_bar_pfn, bm);
	}
	srcu_read_unlock(&cd->srcu, idx);
	return ret;
}

static const struct vm_operations_struct cosim_bar_vm_ops = {
	.fault = cosim_bar_fault,
};

/* The pfn of page `pg` of a coherent buffer (linear map, or remapped by the DMA layer). */
static unsigned long cosim_buf_pfn(void *ctx, unsigned long pg)
{
	struct cosim_buf *b = ctx;
	void *va = b->cpu + (pg << PAGE_SHIFT);

	return is_vmalloc_addr(va) ? vmalloc_to_pfn(va) : PHYS_PFN(virt_to_phys(va));
}

static vm_fault_t cosim_buf_fault(struct vm_fault *vmf)
{
	struct cosim_buf *b = vmf->vma->vm_private_data;
	struct cosim_dev *cd = b->cd;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	/* This VMA is a user: the memory stays until remove frees it (after `dead`). */
	idx = srcu_read_lock(&cd->srcu);
	if (!cosim_dead(cd) && b->cpu)
		ret = cosim_fault_pfns(vmf, b->size >> PAGE_SHIFT, cosim_buf_pfn, b);
	srcu_read_unlock(&cd->srcu, idx);
	return ret;
}

/* fork, split, mremap: one more user */
static void cosim_buf_vm_open(struct vm_area_struct *vma)
{
	cosim_buf_get(vma->vm_private_data);
}

static void cosim_buf_vm_close(struct vm_area_struct *vma)
{
	cosim_buf_put(vma->vm_private_data, false);
}

static const struct vm_operations_struct cosim_buf_vm_ops = {
	.open = cosim_buf_vm_open,
	.close = cosim_buf_vm_close,
	.fault = cosim_buf_fault,
};

static int cosim_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct cosim_file *cf = filp->private_data;
	struct cosim_dev *cd = cf->cd;
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 id = vma->vm_pgoff >> (COSIM_MMAP_SHIFT - PAGE_SHIFT);
	unsigned long pgoff = vma->vm_pgoff & ((1ul << (COSIM_MMAP_SHIFT - PAGE_SHIFT)) - 1);
	u64 off = (u64)pgoff << PAGE_SHIFT;
	int idx, ret = -EINVAL;

	/* Pfn mappings cannot be copied on write: MAP_SHARED only. */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	idx = srcu_read_lock(&cd->srcu);
	if (cosim_dead(cd)) {
		ret = -ENODEV;
		goto out;
	}
	if (id >= COSIM_MMAP_BAR_BASE) {
		u64 bar = id - COSIM_MMAP_BAR_BASE;
		resource_size_t start, blen;

		if (bar >= COSIM_NUM_BARS || !cd->bar[bar] ||
		    !(pci_resource_flags(cd->pdev, bar) & IORESOURCE_MEM))
			goto out;
		start = pci_resource_start(cd->pdev, bar);
		blen = PAGE_ALIGN(offset_in_page(start) + pci_resource_len(cd->pdev, bar));
		if (off >= blen || len > blen - off)
			goto out;
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		vma->vm_ops = &cosim_bar_vm_ops;
		vma->vm_private_data = &cd->barmap[bar];
	} else {
		struct cosim_buf *b;

		mutex_lock(&cf->lock);
		b = cosim_find_buf(cf, (u32)id);
		if (b && off < b->size && len <= b->size - off) {
			cosim_buf_get(b);	/* this VMA's */
			vma->vm_ops = &cosim_buf_vm_ops;
			vma->vm_private_data = b;
		} else {
			b = NULL;
		}
		mutex_unlock(&cf->lock);
		if (!b)
			goto out;
	}
	vma->vm_pgoff = pgoff;	/* page offset in the BAR / buffer: vmf->pgoff */
	cosim_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	ret = 0;
out:
	srcu_read_unlock(&cd->srcu, idx);
	return ret;
}

/*
 * Remove, past synchronize_srcu: no fault fills a mapping in any more, so
 * zapping every mapping of every open file leaves none to the device's
 * BARs or DMA memory; later accesses fault and get SIGBUS.
 */
static void cosim_revoke_mappings(struct cosim_dev *cd)
{
	struct cosim_file *cf;

	mutex_lock(&cd->files_lock);
	list_for_each_entry(cf, &cd->files, node)
		unmap_mapping_range(cf->filp->f_mapping, 0, 0, 1);
	mutex_unlock(&cd->files_lock);
}

static const struct file_operations cosim_fops = {
	.owner		= THIS_MODULE,
	.open		= cosim_open,
	.release	= cosim_release,
	.unlocked_ioctl	= cosim_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= cosim_mmap,
	.llseek		= noop_llseek,
};

/* ------------------------------------------------------------------ */
/* PCI driver                                                         */

static void cosim_unmap_bars(struct cosim_dev *cd)
{
	int i;

	for (i = 0; i < COSIM_NUM_BARS; i++) {
		if (cd->bar[i])
			pci_iounmap(cd->pdev, cd->bar[i]);
		cd->bar[i] = NULL;
	}
}

static int cosim_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct cosim_dev *cd;
	int i, ret;

	cd = kzalloc(sizeof(*cd), GFP_KERNEL);
	if (!cd)
		return -ENOMEM;
	ret = init_srcu_struct(&cd->srcu);
	if (ret) {
		kfree(cd);
		return ret;
	}
	cd->srcu_ready = true;
	/* From here on cd is freed by put_device (cosim_dev_release). */
	device_initialize(&cd->dev);
	cd->dev.release = cosim_dev_release;
	mutex_init(&cd->files_lock);
	INIT_LIST_HEAD(&cd->files);
	mutex_init(&cd->buf_lock);
	INIT_LIST_HEAD(&cd->bufs);
	for (i = 0; i < COSIM_NUM_BARS; i++) {
		cd->barmap[i].cd = cd;
		cd->barmap[i].bar = i;
	}
	cd->pdev = pci_dev_get(pdev);
	cd->caps = id->driver_data;
	if (is_gpu(cd))
		gpu_early_init(cd);
	cd->minor = ida_alloc_max(&cosim_minors, COSIM_MAX_DEVS - 1, GFP_KERNEL);
	if (cd->minor < 0) {
		ret = cd->minor;
		dev_err(&pdev->dev, "more than %d devices\n", COSIM_MAX_DEVS);
		goto err_put;
	}

	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "pci_enable_device failed (%d)\n", ret);
		goto err_minor;
	}

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err(&pdev->dev, "no usable DMA mask (%d)\n", ret);
		goto err_disable;
	}

	pci_set_master(pdev);

	ret = pci_request_regions(pdev, DRV_NAME);
	if (ret) {
		dev_err(&pdev->dev, "pci_request_regions failed (%d)\n", ret);
		goto err_master;
	}

	for (i = 0; i < COSIM_NUM_BARS; i++) {
		if (!pci_resource_len(pdev, i))
			continue;
		cd->bar[i] = pci_iomap(pdev, i, 0);
		if (!cd->bar[i]) {
			dev_err(&pdev->dev, "pci_iomap BAR%d failed\n", i);
			ret = -ENOMEM;
			goto err_unmap;
		}
	}

	ret = cosim_setup_irqs(cd);
	if (ret)
		goto err_unmap;

	if (is_gpu(cd)) {
		ret = gpu_probe(cd);
		if (ret)
			goto err_irqs_only;
	}

	pci_set_drvdata(pdev, cd);
	/*
	 * /dev/cosimN: the cdev's parent is cd->dev (cdev_device_add), so the
	 * cdev, which an open file holds until after its release, keeps cd.
	 */
	cdev_init(&cd->cdev, &cosim_fops);
	cd->cdev.owner = THIS_MODULE;
	cd->dev.devt = MKDEV(MAJOR(cosim_devt), cd->minor);
	cd->dev.class = cosim_class;
	cd->dev.parent = &pdev->dev;
	cd->dev.groups = cosim_groups;
	dev_set_drvdata(&cd->dev, cd);
	ret = dev_set_name(&cd->dev, "cosim%d", cd->minor);
	if (!ret)
		ret = cdev_device_add(&cd->cdev, &cd->dev);
	if (ret) {
		dev_err(&pdev->dev, "cdev_device_add failed (%d)\n", ret);
		goto err_irqs;
	}

	for (i = 0; i < COSIM_NUM_BARS; i++)
		if (cd->bar[i])
			dev_info(&pdev->dev, "cosim%d: BAR%d %pR\n", cd->minor, i, &pdev->resource[i]);
	dev_info(&pdev->dev, "cosim%d: %04x:%04x rev %u, %u %s vector(s)%s\n",
		 cd->minor, pdev->vendor, pdev->device, pdev->revision, cd->nvec,
		 cd->irq_mode == COSIM_IRQ_MODE_MSIX ? "MSI-X" :
		 cd->irq_mode == COSIM_IRQ_MODE_MSI ? "MSI" :
		 cd->irq_mode == COSIM_IRQ_MODE_INTX ? "INTx" : "no",
		 cd->irq_mode == COSIM_IRQ_MODE_INTX ? " on one shared line" : "");
	/* The GPU works without its network interface: a failure is only logged. */
	if (is_gpu(cd) && cosim_net_probe(cd))
		dev_warn(&pdev->dev, "cosim%d: no network interface for the NIC\n", cd->minor);
	return 0;

err_irqs:
	pci_set_drvdata(pdev, NULL);
	if (is_gpu(cd))
		gpu_quiesce(cd);
err_irqs_only:
	cosim_free_irqs(cd);
	if (is_gpu(cd))
		gpu_free(cd);
err_unmap:
	cosim_unmap_bars(cd);
	pci_release_regions(pdev);
err_master:
	pci_clear_master(pdev);
err_disable:
	pci_disable_device(pdev);
err_minor:
	ida_free(&cosim_minors, cd->minor);
err_put:
	cosim_dev_put(cd);
	return ret;
}

static void cosim_remove(struct pci_dev *pdev)
{
	struct cosim_dev *cd = pci_get_drvdata(pdev);
	unsigned int i;

	/* ndo_stop (if it was up) frees the NIC's rings while the device still works. */
	cosim_net_remove(cd);
	/* Every file operation, fault and buffer free from now on fails or leaves the work to us. */
	WRITE_ONCE(cd->dead, true);
	for (i = 0; i < cd->nvec; i++)
		wake_up_all(&cd->vec[i].wq);
	if (is_gpu(cd))
		wake_up_all(&cd->gpu.wq);
	/* ... and those still running (woken waiters included) are over. */
	synchronize_srcu(&cd->srcu);

	cdev_device_del(&cd->cdev, &cd->dev);	/* /dev/cosimN and sysfs go; open files stay */
	/* No DMA into the ring, the fence or any buffer; then none at all. */
	if (is_gpu(cd))
		gpu_quiesce(cd);
	else
		ex_quiesce_dma(cd, true);
	pci_clear_master(pdev);
	/* BAR and DMA mappings of files still open now fault (SIGBUS). */
	cosim_revoke_mappings(cd);
	pci_set_drvdata(pdev, NULL);
	cosim_free_irqs(cd);
	cosim_net_free(cd);	/* the NIC vector's handler was the last to look at it */
	cosim_free_bufs(cd);	/* those of open files too */
	if (is_gpu(cd))
		gpu_free(cd);
	cosim_unmap_bars(cd);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
	ida_free(&cosim_minors, cd->minor);
	dev_info(&pdev->dev, "removed\n");
	/* Open files (and through them their mappings) keep cd until they are closed. */
	cosim_dev_put(cd);
}

static struct pci_driver cosim_pci_driver = {
	.name		= DRV_NAME,
	.id_table	= cosim_ids,
	.probe		= cosim_probe,
	.remove		= cosim_remove,
};

static int __init cosim_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&cosim_devt, 0, COSIM_MAX_DEVS, CLASS_NAME);
	if (ret)
		return ret;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
	cosim_class = class_create(THIS_MODULE, CLASS_NAME);
#else
	cosim_class = class_create(CLASS_NAME);
#endif
	if (IS_ERR(cosim_class)) {
		ret = PTR_ERR(cosim_class);
		goto err_region;
	}
	ret = pci_register_driver(&cosim_pci_driver);
	if (ret)
		goto err_class;
	pr_info("loaded (uapi %d)\n", COSIM_UAPI_VERSION);
	return 0;

err_class:
	class_destroy(cosim_class);
err_region:
	unregister_chrdev_region(cosim_devt, COSIM_MAX_DEVS);
	return ret;
}

static void __exit cosim_exit(void)
{
	pci_unregister_driver(&cosim_pci_driver);
	class_destroy(cosim_class);
	unregister_chrdev_region(cosim_devt, COSIM_MAX_DEVS);
	ida_destroy(&cosim_minors);
	pr_info("unloaded\n");
}

module_init(cosim_init);
module_exit(cosim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("qemu-hdl-bridge co-simulation PCIe devices (cosim-pcie: example 1234:c051, GPU front-end 1234:c0de)");
MODULE_AUTHOR("qemu-hdl-bridge");
