/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosim_gpu internals shared by the module's files: the device as the driver
 * keeps it (cosim_gpu_main.c) and the GPU's network interface
 * (cosim_gpu_net.c). Not an ABI: user space uses cosim_gpu_uapi.h.
 */
#ifndef COSIM_GPU_H
#define COSIM_GPU_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/types.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/atomic.h>

#include "cosim_gpu_uapi.h"
#include "cosim_gpu_regs.h"

#define DRV_NAME		"cosim_gpu"
#define GPU_RESET_TIMEOUT_MS	2000

struct net_device;

/* The GPU front-end's command ring as the driver keeps it. */
struct cosim_gpu {
	/* serializes submit, reset and resume (ring tail and programming) */
	struct mutex lock;
	void *ring;			/* GPU_RING_MAX entries allocated, `entries` used */
	dma_addr_t ring_bus;
	u32 entries;
	u32 tail;			/* next entry the driver writes */
	u32 head;			/* last RING_HEAD read */
	bool enabled;
	u64 *fence;			/* fence memory: the device writes sequence numbers here */
	dma_addr_t fence_bus;
	atomic64_t seq;			/* last sequence number submitted */
	wait_queue_head_t wq;		/* fence waiters: completion/error vectors, reset */
	bool poll;			/* no completion/error vectors: waiters poll */
	/* error state, written by the error thread and by reset/resume */
	struct mutex err_lock;
	bool halted;
	u32 err_code, err_head;
	u64 err_addr, err_completed;
	u64 errors, resets, resumes;
	/* sequence numbers (lost_lo, lost_hi] were lost to the last soft reset */
	u64 lost_lo, lost_hi;
};

struct cosim_vec {
	struct cosim_dev *cd;
	unsigned int index;
	int irq;			/* Linux irq number, -1 if not requested */
	atomic64_t count;
	wait_queue_head_t wq;
	char name[32];
};

/* What a BAR mapping's vm_private_data points to. */
struct cosim_barmap {
	struct cosim_dev *cd;
	unsigned int bar;
};

/*
 * Lifetime: `dev` (/dev/cosimN in the class) carries the reference count;
 * its release frees the structure. The cdev's parent is `dev`, so an open
 * file (which holds the cdev until after its release) keeps it alive, and
 * so does every open file (cosim_file) and through it every mapping.
 *
 * Remove: `dead` is set, then synchronize_srcu(&srcu) waits for every file
 * operation, fault and buffer free that started before (each runs inside an
 * SRCU read section and gives up when it sees `dead`); after that nothing
 * but remove touches the hardware, the DMA memory or the BAR mappings.
 */
struct cosim_dev {
	struct device dev;
	struct cdev cdev;
	struct srcu_struct srcu;
	bool srcu_ready;
	struct pci_dev *pdev;
	u32 caps;			/* COSIM_CAP_* from the id table */
	bool dead;			/* remove started: every call fails with ENODEV */
	int minor;
	/* open files (struct cosim_file), for remove to revoke their mappings */
	struct mutex files_lock;
	struct list_head files;
	/* DMA buffers whose memory is allocated (struct cosim_buf), and their size */
	struct mutex buf_lock;
	struct list_head bufs;
	u64 buf_count, buf_bytes;
	void __iomem *bar[COSIM_NUM_BARS];
	struct cosim_barmap barmap[COSIM_NUM_BARS];
	u8 irq_mode;
	unsigned int nvec;		/* MSI-X vectors, or INTx causes (per-vector counters) */
	int intx_irq;			/* INTx mode: the Linux irq of the line, else -1 */
	struct cosim_vec vec[COSIM_MAX_VECTORS];
	struct cosim_gpu gpu;		/* COSIM_CAP_GPU only */
	struct net_device *netdev;	/* GPU with a NIC: its network interface, or NULL */
};

static inline bool is_gpu(const struct cosim_dev *cd)
{
	return cd->caps & COSIM_CAP_GPU;
}

static inline u64 gpu_rd(struct cosim_dev *cd, u32 off)
{
	return readq(cd->bar[COSIM_GPU_BAR_REGS] + off);
}

static inline void gpu_wr(struct cosim_dev *cd, u32 off, u64 val)
{
	writeq(val, cd->bar[COSIM_GPU_BAR_REGS] + off);
}

/* cosim_gpu_main.c */
int gpu_hw_init(struct cosim_dev *cd, u32 entries, unsigned int timeout_ms);
void cosim_sync_irqs(struct cosim_dev *cd);

/* cosim_gpu_net.c: the NIC as a Linux network interface */
int cosim_net_probe(struct cosim_dev *cd);
void cosim_net_remove(struct cosim_dev *cd);
void cosim_net_free(struct cosim_dev *cd);
void cosim_net_irq(struct cosim_dev *cd);
void cosim_net_reset_prepare(struct cosim_dev *cd);
void cosim_net_reset_done(struct cosim_dev *cd);
bool cosim_net_owns_nic(struct cosim_dev *cd);

#endif /* COSIM_GPU_H */
