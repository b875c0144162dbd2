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
#include <linux/rwsem.h>
#include <linux/wait.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
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
#define EX_VECTORS		4

#define GPU_INT_CAUSES	(COSIM_GPU_INT_STATUS_CMD_DONE_MASK | COSIM_GPU_INT_STATUS_ERROR_MASK | \
			 COSIM_GPU_INT_STATUS_NIC_RX_MASK | COSIM_GPU_INT_STATUS_NIC_TX_MASK | \
			 COSIM_GPU_INT_STATUS_UART_RX_MASK)

#define GPU_RING_MAX		COSIM_GPU_RING_MAX_ENTRIES
#define GPU_CMD			COSIM_GPU_CMD_SIZE
#define GPU_SUBMIT_TIMEOUT_MS	10000

struct cosim_buf {
	struct list_head node;
	u32 id;
	size_t size;
	void *cpu;
	dma_addr_t bus;
};

struct cosim_file {
	struct cosim_dev *cd;
	struct mutex lock;		/* protects bufs, next_id */
	struct list_head bufs;
	u32 next_id;
};

static dev_t cosim_devt;
static struct class *cosim_class;
static DEFINE_IDA(cosim_minors);

/* ------------------------------------------------------------------ */
/* lifetime                                                           */

static void cosim_dev_release(struct kref *ref)
{
	struct cosim_dev *cd = container_of(ref, struct cosim_dev, ref);

	/*
	 * The GPU's fence memory outlives remove: fence waiters of files still
	 * open read it until they see the device is dead.
	 */
	if (is_gpu(cd) && cd->gpu.fence)
		dma_free_coherent(&cd->pdev->dev, PAGE_SIZE, cd->gpu.fence, cd->gpu.fence_bus);
	pci_dev_put(cd->pdev);
	kfree(cd);
}

static void cosim_dev_put(struct cosim_dev *cd)
{
	kref_put(&cd->ref, cosim_dev_release);
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
		if (READ_ONCE(cd->removing))
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

/* Called holding a reference on cd but not cd->lock (like WAIT_IRQ). */
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
		if (READ_ONCE(cd->dead)) {
			ret = -ENODEV;
			break;
		}
		left = (long)(deadline - jiffies);
		if (left <= 0) {
			/* The error vector may be masked: look at the device once. */
			down_read(&cd->lock);
			if (!cd->dead)
				gpu_check_error(cd);
			up_read(&cd->lock);
			ret = gpu_fence_state(g, w.seq);
			if (ret > 0)
				ret = -ETIMEDOUT;
			break;
		}
		if (poll)
			left = min(left, (long)msecs_to_jiffies(1));
		left = wait_event_interruptible_timeout(g->wq,
				gpu_fence_state(g, w.seq) <= 0 || READ_ONCE(cd->dead), left);
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
	if (r.flags & ~COSIM_GPU_RESET_RESUME)
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
 * Frees the ring (after the vectors are gone; submit, the only other user,
 * runs under cd->lock and stops at cd->dead). The fence memory is freed with
 * cd itself (cosim_dev_release).
 */
static void gpu_free(struct cosim_dev *cd)
{
	struct cosim_gpu *g = &cd->gpu;

	if (g->ring)
		dma_free_coherent(&cd->pdev->dev, (size_t)GPU_RING_MAX * GPU_CMD, g->ring, g->ring_bus);
	g->ring = NULL;
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

static struct attribute *cosim_attrs[] = {
	&dev_attr_irq_counts.attr,
	&dev_attr_irq_mode.attr,
	&dev_attr_gpu_state.attr,
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
	struct cosim_dev *cd = container_of(inode->i_cdev, struct cosim_dev, cdev);
	struct cosim_file *cf;

	down_read(&cd->lock);
	if (cd->dead) {
		up_read(&cd->lock);
		return -ENODEV;
	}
	kref_get(&cd->ref);
	up_read(&cd->lock);

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf) {
		cosim_dev_put(cd);
		return -ENOMEM;
	}
	cf->cd = cd;
	mutex_init(&cf->lock);
	INIT_LIST_HEAD(&cf->bufs);
	cf->next_id = 1;
	filp->private_data = cf;
	return 0;
}

static void cosim_buf_free(struct cosim_dev *cd, struct cosim_buf *b)
{
	dma_free_coherent(&cd->pdev->dev, b->size, b->cpu, b->bus);
	kfree(b);
}

static int cosim_release(struct inode *inode, struct file *filp)
{
	struct cosim_file *cf = filp->private_data;
	struct cosim_dev *cd = cf->cd;
	struct cosim_buf *b, *tmp;

	/*
	 * GPU: commands in the ring and NIC descriptors may point into this
	 * file's buffers. Stop the device (soft reset, ring set up again)
	 * before they are freed.
	 */
	if (is_gpu(cd) && !list_empty(&cf->bufs)) {
		down_read(&cd->lock);
		if (!cd->dead) {
			mutex_lock(&cd->gpu.lock);
			if (gpu_hw_init(cd, cd->gpu.entries, GPU_RESET_TIMEOUT_MS))
				dev_err(&cd->pdev->dev,
					"cosim%d: soft reset before freeing a closed file's DMA buffers failed\n",
					cd->minor);
			mutex_unlock(&cd->gpu.lock);
		}
		up_read(&cd->lock);
	}

	list_for_each_entry_safe(b, tmp, &cf->bufs, node) {
		list_del(&b->node);
		cosim_buf_free(cf->cd, b);
	}
	cosim_dev_put(cf->cd);
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
	if (req.size == 0 || req.size > COSIM_DMA_MAX_SIZE)
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

	mutex_lock(&cf->lock);
	if (cf->next_id >= COSIM_MMAP_BAR_BASE) {
		mutex_unlock(&cf->lock);
		cosim_buf_free(cd, b);
		return -ENOSPC;
	}
	b->id = cf->next_id++;
	list_add_tail(&b->node, &cf->bufs);
	mutex_unlock(&cf->lock);

	req.size = b->size;
	req.bus_addr = b->bus;
	req.mmap_offset = COSIM_MMAP_DMA(b->id);
	req.id = b->id;
	req.pad = 0;
	if (copy_to_user(arg, &req, sizeof(req))) {
		mutex_lock(&cf->lock);
		list_del(&b->node);
		mutex_unlock(&cf->lock);
		cosim_buf_free(cd, b);
		return -EFAULT;
	}
	return 0;
}

static struct cosim_buf *cosim_find_buf(struct cosim_file *cf, u32 id)
{
	struct cosim_buf *b;

	list_for_each_entry(b, &cf->bufs, node)
		if (b->id == id)
			return b;
	return NULL;
}

static long cosim_dma_free(struct cosim_file *cf, void __user *arg)
{
	struct cosim_dma_free req;
	struct cosim_buf *b;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	mutex_lock(&cf->lock);
	b = cosim_find_buf(cf, req.id);
	if (b)
		list_del(&b->node);
	mutex_unlock(&cf->lock);
	if (!b)
		return -EINVAL;
	/*
	 * A user mapping of the buffer still refers to its pages; freeing
	 * them under it would hand them to someone else. The mm core does not
	 * tell us about remaining mappings of coherent memory, so the caller
	 * must munmap first (documented in the uapi header).
	 */
	cosim_buf_free(cf->cd, b);
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

	if ((cmd == COSIM_GPU_IOC_SUBMIT || cmd == COSIM_GPU_IOC_WAIT_FENCE ||
	     cmd == COSIM_GPU_IOC_RESET) && !is_gpu(cd))
		return -ENOTTY;

	/* Waiting must not hold off remove: it only needs the vectors. */
	if (cmd == COSIM_IOC_WAIT_IRQ || cmd == COSIM_IOC_IRQ_COUNTS ||
	    cmd == COSIM_GPU_IOC_WAIT_FENCE) {
		down_read(&cd->lock);
		if (cd->dead) {
			up_read(&cd->lock);
			return -ENODEV;
		}
		kref_get(&cd->ref);
		up_read(&cd->lock);
		ret = cmd == COSIM_IOC_WAIT_IRQ ? cosim_wait_irq(cd, uarg) :
		      cmd == COSIM_GPU_IOC_WAIT_FENCE ? gpu_wait_fence(cd, uarg) :
		      cosim_irq_counts(cd, uarg);
		cosim_dev_put(cd);
		return ret;
	}

	down_read(&cd->lock);
	if (cd->dead) {
		up_read(&cd->lock);
		return -ENODEV;
	}
	switch (cmd) {
	case COSIM_IOC_INFO:		ret = cosim_info(cd, uarg); break;
	case COSIM_IOC_REG_READ:	ret = cosim_reg_read(cd, uarg); break;
	case COSIM_IOC_REG_WRITE:	ret = cosim_reg_write(cd, uarg); break;
	case COSIM_IOC_DMA_ALLOC:	ret = cosim_dma_alloc(cf, uarg); break;
	case COSIM_IOC_DMA_FREE:	ret = cosim_dma_free(cf, uarg); break;
	case COSIM_GPU_IOC_SUBMIT:	ret = gpu_submit(cd, uarg); break;
	case COSIM_GPU_IOC_STATUS:	ret = gpu_status(cd, uarg); break;
	case COSIM_GPU_IOC_RESET:	ret = gpu_reset(cd, uarg); break;
	default:			ret = -ENOTTY; break;
	}
	up_read(&cd->lock);
	return ret;
}

static int cosim_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct cosim_file *cf = filp->private_data;
	struct cosim_dev *cd = cf->cd;
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 id = vma->vm_pgoff >> (COSIM_MMAP_SHIFT - PAGE_SHIFT);
	unsigned long pgoff = vma->vm_pgoff & ((1ul << (COSIM_MMAP_SHIFT - PAGE_SHIFT)) - 1);
	int ret = -EINVAL;

	down_read(&cd->lock);
	if (cd->dead) {
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
		blen = pci_resource_len(cd->pdev, bar);
		if (((u64)pgoff << PAGE_SHIFT) >= blen)
			goto out;
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		vma->vm_pgoff = pgoff;
		ret = vm_iomap_memory(vma, start, blen);
	} else {
		struct cosim_buf *b;

		mutex_lock(&cf->lock);
		b = cosim_find_buf(cf, (u32)id);
		if (b && ((u64)pgoff << PAGE_SHIFT) < b->size &&
		    len <= b->size - ((u64)pgoff << PAGE_SHIFT)) {
			/* dma_mmap_coherent takes vm_pgoff as the page offset in the buffer */
			vma->vm_pgoff = pgoff;
			ret = dma_mmap_coherent(&cd->pdev->dev, vma, b->cpu, b->bus, b->size);
		}
		mutex_unlock(&cf->lock);
	}
out:
	up_read(&cd->lock);
	return ret;
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
	kref_init(&cd->ref);
	init_rwsem(&cd->lock);
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
	cdev_init(&cd->cdev, &cosim_fops);
	cd->cdev.owner = THIS_MODULE;
	ret = cdev_add(&cd->cdev, MKDEV(MAJOR(cosim_devt), cd->minor), 1);
	if (ret) {
		dev_err(&pdev->dev, "cdev_add failed (%d)\n", ret);
		goto err_irqs;
	}
	cd->chardev = device_create_with_groups(cosim_class, &pdev->dev,
						MKDEV(MAJOR(cosim_devt), cd->minor),
						cd, cosim_groups, "cosim%d", cd->minor);
	if (IS_ERR(cd->chardev)) {
		ret = PTR_ERR(cd->chardev);
		dev_err(&pdev->dev, "device_create failed (%d)\n", ret);
		goto err_cdev;
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

err_cdev:
	cdev_del(&cd->cdev);
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

	/* No new file operation starts; running ones finish first. */
	WRITE_ONCE(cd->removing, true);
	/* ndo_stop (if it was up) frees the NIC's rings while the device still works. */
	cosim_net_remove(cd);
	down_write(&cd->lock);
	cd->dead = true;
	up_write(&cd->lock);
	for (i = 0; i < cd->nvec; i++)
		wake_up_all(&cd->vec[i].wq);
	if (is_gpu(cd))
		wake_up_all(&cd->gpu.wq);

	device_destroy(cosim_class, MKDEV(MAJOR(cosim_devt), cd->minor));
	cdev_del(&cd->cdev);
	if (is_gpu(cd))
		gpu_quiesce(cd);	/* no DMA into the ring or freed buffers */
	pci_set_drvdata(pdev, NULL);
	cosim_free_irqs(cd);
	cosim_net_free(cd);	/* the NIC vector's handler was the last to look at it */
	if (is_gpu(cd))
		gpu_free(cd);
	cosim_unmap_bars(cd);
	pci_release_regions(pdev);
	pci_clear_master(pdev);
	pci_disable_device(pdev);
	ida_free(&cosim_minors, cd->minor);
	dev_info(&pdev->dev, "removed\n");
	/* Open files keep cd (and the pci_dev) alive until they are closed. */
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
