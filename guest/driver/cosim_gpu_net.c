// SPDX-License-Identifier: GPL-2.0
/*
 * cosim_gpu_net - the GPU front-end's NIC (docs/gpu.md, "NIC") as a Linux
 * network interface, ethN, registered at probe when CAPS has the NIC bit.
 *
 * While the interface is up the driver owns the NIC: its rings live in
 * coherent memory allocated at ndo_open, frames are copied in and out of
 * fixed 2048-byte buffers (one per descriptor, so any frame fits and no
 * mapping is done per packet), and NAPI runs on the NIC vector. In
 * co-simulation every MMIO access costs about half a millisecond, so the
 * per-packet path touches registers only to hand descriptors over
 * (NIC_TX_TAIL per burst of frames, NIC_RX_TAIL per poll); completions are
 * read from the descriptors' STATUS words in guest memory.
 *
 * The GPU's soft reset (the reset ioctl, the close of a file with DMA
 * buffers) clears the NIC's registers too: gpu_hw_init() calls
 * cosim_net_reset_prepare() before it and cosim_net_reset_done() after it,
 * which restart the rings so that GPU programs do not take the network down.
 *
 * Locking: cd->gpu.lock serializes ndo_open/ndo_stop with soft resets (it is
 * taken under RTNL, never the other way round) and covers hw_up; NAPI and
 * the TX queue are stopped by whoever holds it before the rings change.
 */
#include "cosim_gpu.h"

#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/skbuff.h>
#include <linux/interrupt.h>
#include <linux/dma-mapping.h>
#include <linux/u64_stats_sync.h>
#include <linux/spinlock.h>
#include <linux/delay.h>
#include <linux/jiffies.h>

#define NET_RING		64	/* descriptors per ring, a power of two */
#define NET_MASK		(NET_RING - 1)
#define NET_BUF			COSIM_GPU_NIC_MAX_FRAME	/* bytes per buffer */
#define NET_DESC_BYTES		(2 * NET_RING * sizeof(struct cosim_gpu_nic_desc))
#define NET_BUF_BYTES		(2 * NET_RING * NET_BUF)
#define NET_STOP_TIMEOUT_MS	500

#define NET_INT_CAUSES	(COSIM_GPU_INT_MASK_NIC_RX_MASK | COSIM_GPU_INT_MASK_NIC_TX_MASK)

struct cosim_net {
	struct cosim_dev *cd;
	struct net_device *ndev;
	struct napi_struct napi;
	bool hw_up;		/* rings allocated and given to the NIC; cd->gpu.lock */

	/* allocated at ndo_open, freed at ndo_stop */
	struct cosim_gpu_nic_desc *tx_desc, *rx_desc;	/* one block: TX ring, RX ring */
	dma_addr_t desc_bus;
	u8 *buf;		/* NET_RING TX buffers, then NET_RING RX buffers */
	dma_addr_t buf_bus;

	u32 tx_tail;		/* next TX descriptor to fill: written by xmit */
	u32 tx_clean;		/* oldest TX descriptor not reclaimed: written by NAPI */
	u32 rx_next;		/* next RX descriptor the device fills: NAPI */

	/* one writer each: NAPI (or a reset/stop with NAPI disabled) ... */
	struct u64_stats_sync napi_sync;
	u64_stats_t rx_packets, rx_bytes, rx_errors, rx_length_errors, rx_dropped;
	u64_stats_t tx_packets, tx_bytes, tx_errors;
	/* ... and xmit (or a reset/stop with the queue disabled) */
	struct u64_stats_sync xmit_sync;
	u64_stats_t tx_dropped;

	/*
	 * NIC_RX_DROPS restarts at 0 with every soft reset: what it counted
	 * while the interface was up is kept in drops_acc, and the register
	 * is read against drops_base only while drops_live.
	 */
	spinlock_t drops_lock;
	bool drops_live;
	u64 drops_base, drops_acc;
};

static struct cosim_net *cosim_net_of(struct cosim_dev *cd)
{
	return cd->netdev ? netdev_priv(cd->netdev) : NULL;
}

static u32 tx_free(const struct cosim_net *n)
{
	return NET_MASK - ((n->tx_tail - READ_ONCE(n->tx_clean)) & NET_MASK);
}

/* ------------------------------------------------------------------ */
/* NIC_RX_DROPS as rx_missed_errors                                   */

/* Called with cd->gpu.lock held, before the register is cleared or left. */
static void drops_fold(struct cosim_net *n)
{
	u64 r;

	spin_lock_bh(&n->drops_lock);
	if (n->drops_live) {
		r = gpu_rd(n->cd, COSIM_GPU_REG_NIC_RX_DROPS);
		if (r != ~0ull && r >= n->drops_base)
			n->drops_acc += r - n->drops_base;
		n->drops_live = false;
	}
	spin_unlock_bh(&n->drops_lock);
}

static void drops_start(struct cosim_net *n)
{
	u64 r = gpu_rd(n->cd, COSIM_GPU_REG_NIC_RX_DROPS);

	spin_lock_bh(&n->drops_lock);
	n->drops_base = r;
	n->drops_live = r != ~0ull;
	spin_unlock_bh(&n->drops_lock);
}

static u64 drops_read(struct cosim_net *n)
{
	u64 v, r;

	spin_lock_bh(&n->drops_lock);
	v = n->drops_acc;
	if (n->drops_live) {
		r = gpu_rd(n->cd, COSIM_GPU_REG_NIC_RX_DROPS);
		if (r != ~0ull && r >= n->drops_base)
			v += r - n->drops_base;
	}
	spin_unlock_bh(&n->drops_lock);
	return v;
}

/* ------------------------------------------------------------------ */
/* rings                                                              */

static int rings_alloc(struct cosim_net *n)
{
	struct device *dev = &n->cd->pdev->dev;

	n->tx_desc = dma_alloc_coherent(dev, NET_DESC_BYTES, &n->desc_bus, GFP_KERNEL);
	if (!n->tx_desc)
		return -ENOMEM;
	n->rx_desc = n->tx_desc + NET_RING;
	n->buf = dma_alloc_coherent(dev, NET_BUF_BYTES, &n->buf_bus, GFP_KERNEL);
	if (!n->buf) {
		dma_free_coherent(dev, NET_DESC_BYTES, n->tx_desc, n->desc_bus);
		n->tx_desc = n->rx_desc = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void rings_free(struct cosim_net *n)
{
	struct device *dev = &n->cd->pdev->dev;

	dma_free_coherent(dev, NET_BUF_BYTES, n->buf, n->buf_bus);
	dma_free_coherent(dev, NET_DESC_BYTES, n->tx_desc, n->desc_bus);
	n->buf = NULL;
	n->tx_desc = n->rx_desc = NULL;
}

/* Every buffer in its descriptor for good; TX empty, every RX buffer empty. */
static void rings_init(struct cosim_net *n)
{
	unsigned int i;

	memset(n->tx_desc, 0, NET_DESC_BYTES);
	for (i = 0; i < NET_RING; i++) {
		n->tx_desc[i].addr = n->buf_bus + (u64)i * NET_BUF;
		n->rx_desc[i].addr = n->buf_bus + (u64)(NET_RING + i) * NET_BUF;
		n->rx_desc[i].len = NET_BUF;
	}
	n->tx_tail = 0;
	WRITE_ONCE(n->tx_clean, 0);
	n->rx_next = 0;
}

/*
 * Gives the rings to the NIC and enables it. Called with cd->gpu.lock held,
 * the rings initialized and the NIC disabled (after a reset or at open).
 */
static void hw_start(struct cosim_net *n)
{
	struct cosim_dev *cd = n->cd;
	u64 mask;

	/* BASE and SIZE writes also set HEAD and TAIL to 0. */
	gpu_wr(cd, COSIM_GPU_REG_NIC_TX_BASE, n->desc_bus);
	gpu_wr(cd, COSIM_GPU_REG_NIC_TX_SIZE, NET_RING);
	gpu_wr(cd, COSIM_GPU_REG_NIC_RX_BASE, n->desc_bus + NET_RING * sizeof(struct cosim_gpu_nic_desc));
	gpu_wr(cd, COSIM_GPU_REG_NIC_RX_SIZE, NET_RING);
	/* All the buffers a ring can hold: HEAD == TAIL would mean none. */
	gpu_wr(cd, COSIM_GPU_REG_NIC_RX_TAIL, NET_RING - 1);
	mask = gpu_rd(cd, COSIM_GPU_REG_INT_MASK);
	if (mask != ~0ull && (mask & NET_INT_CAUSES))
		gpu_wr(cd, COSIM_GPU_REG_INT_MASK, mask & ~NET_INT_CAUSES);
	gpu_wr(cd, COSIM_GPU_REG_NIC_CTRL,
	       COSIM_GPU_NIC_CTRL_TX_EN_MASK | COSIM_GPU_NIC_CTRL_RX_EN_MASK);
	drops_start(n);
}

/*
 * Disables the NIC and waits until it no longer writes into the rings.
 * Called with cd->gpu.lock held and hw_up already false.
 */
static void hw_stop(struct cosim_net *n)
{
	struct cosim_dev *cd = n->cd;
	unsigned long deadline = jiffies + msecs_to_jiffies(NET_STOP_TIMEOUT_MS);
	u64 st;

	drops_fold(n);
	gpu_wr(cd, COSIM_GPU_REG_NIC_CTRL, 0);
	/* The descriptor in progress still completes; then the NIC takes no other. */
	for (;;) {
		st = gpu_rd(cd, COSIM_GPU_REG_NIC_STATUS);
		if (st != ~0ull && !(st & (COSIM_GPU_NIC_STATUS_TX_BUSY_MASK |
					   COSIM_GPU_NIC_STATUS_RX_BUSY_MASK)))
			break;
		if (time_after(jiffies, deadline)) {
			/* Its DMA must end before the rings are freed: a soft reset drains it. */
			netdev_warn(n->ndev, "NIC still busy (NIC_STATUS 0x%llx) after %d ms: soft reset of the GPU\n",
				    st, NET_STOP_TIMEOUT_MS);
			gpu_hw_init(cd, cd->gpu.entries, GPU_RESET_TIMEOUT_MS);
			return;
		}
		usleep_range(50, 200);
	}
	/* A later NIC_CTRL write (user space) must not find our freed rings. */
	gpu_wr(cd, COSIM_GPU_REG_NIC_TX_SIZE, 0);
	gpu_wr(cd, COSIM_GPU_REG_NIC_RX_SIZE, 0);
}

/*
 * With NAPI and the queue stopped and the NIC idle: counts what the rings
 * still hold. TX descriptors the NIC completed were sent; the others are
 * dropped. Received frames not yet passed up are dropped.
 */
static void rings_drain(struct cosim_net *n)
{
	u32 i, st, pkts = 0, bytes = 0, errs = 0, txdrop = 0, rxdrop = 0;

	for (i = n->tx_clean; i != n->tx_tail; i = (i + 1) & NET_MASK) {
		st = READ_ONCE(n->tx_desc[i].status);
		if (!(st & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK)) {
			txdrop++;
		} else if (st & COSIM_GPU_NIC_DESC_STATUS_ERROR_MASK) {
			errs++;
		} else {
			pkts++;
			bytes += READ_ONCE(n->tx_desc[i].len);
		}
	}
	for (i = n->rx_next; rxdrop < NET_RING; i = (i + 1) & NET_MASK, rxdrop++)
		if (!(READ_ONCE(n->rx_desc[i].status) & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK))
			break;

	u64_stats_update_begin(&n->napi_sync);
	u64_stats_add(&n->tx_packets, pkts);
	u64_stats_add(&n->tx_bytes, bytes);
	u64_stats_add(&n->tx_errors, errs);
	u64_stats_add(&n->rx_dropped, rxdrop);
	u64_stats_update_end(&n->napi_sync);
	u64_stats_update_begin(&n->xmit_sync);
	u64_stats_add(&n->tx_dropped, txdrop);
	u64_stats_update_end(&n->xmit_sync);
	if (txdrop || rxdrop)
		netdev_dbg(n->ndev, "rings restarted: %u TX frame(s) not sent, %u received frame(s) dropped\n",
			   txdrop, rxdrop);
}

/* Process context: with BHs off, the poll runs at local_bh_enable, not at the next softirq. */
static void napi_kick(struct cosim_net *n)
{
	local_bh_disable();
	napi_schedule(&n->napi);
	local_bh_enable();
}

/* ------------------------------------------------------------------ */
/* NAPI                                                               */

/* Reclaims the TX descriptors the NIC completed and wakes a stopped queue. */
static void napi_tx(struct cosim_net *n)
{
	u32 clean = n->tx_clean, tail = smp_load_acquire(&n->tx_tail);
	u32 st, pkts = 0, bytes = 0, errs = 0;

	while (clean != tail) {
		st = READ_ONCE(n->tx_desc[clean].status);
		if (!(st & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK))
			break;
		dma_rmb();	/* LEN after STATUS: both come in the same write-back */
		if (st & COSIM_GPU_NIC_DESC_STATUS_ERROR_MASK) {
			errs++;
		} else {
			pkts++;
			bytes += READ_ONCE(n->tx_desc[clean].len);
		}
		clean = (clean + 1) & NET_MASK;
	}
	if (clean == n->tx_clean)
		return;
	u64_stats_update_begin(&n->napi_sync);
	u64_stats_add(&n->tx_packets, pkts);
	u64_stats_add(&n->tx_bytes, bytes);
	u64_stats_add(&n->tx_errors, errs);
	u64_stats_update_end(&n->napi_sync);
	WRITE_ONCE(n->tx_clean, clean);
	/* Pairs with xmit's barrier between stopping the queue and looking at tx_clean again. */
	smp_mb();
	if (netif_queue_stopped(n->ndev) && tx_free(n))
		netif_wake_queue(n->ndev);
}

/* Passes up to `budget` received frames and hands their buffers back. */
static int napi_rx(struct cosim_net *n, int budget)
{
	struct net_device *ndev = n->ndev;
	u32 i = n->rx_next, st, len;
	u32 pkts = 0, bytes = 0, errs = 0, lerrs = 0, drops = 0;
	struct cosim_gpu_nic_desc *d;
	struct sk_buff *skb;
	int work = 0;

	while (work < budget) {
		d = &n->rx_desc[i];
		st = READ_ONCE(d->status);
		if (!(st & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK))
			break;
		dma_rmb();	/* the frame and LEN were written before STATUS */
		len = READ_ONCE(d->len);
		if (st & (COSIM_GPU_NIC_DESC_STATUS_ERROR_MASK | COSIM_GPU_NIC_DESC_STATUS_TRUNC_MASK) ||
		    len < ETH_HLEN || len > NET_BUF) {
			errs++;
			if (!(st & COSIM_GPU_NIC_DESC_STATUS_ERROR_MASK))
				lerrs++;
		} else {
			skb = napi_alloc_skb(&n->napi, len);
			if (skb) {
				skb_put_data(skb, n->buf + (size_t)(NET_RING + i) * NET_BUF, len);
				skb->protocol = eth_type_trans(skb, ndev);
				napi_gro_receive(&n->napi, skb);
				pkts++;
				bytes += len;
			} else {
				drops++;
			}
		}
		d->len = NET_BUF;
		WRITE_ONCE(d->status, 0);
		i = (i + 1) & NET_MASK;
		work++;
	}
	if (!work)
		return 0;
	n->rx_next = i;
	u64_stats_update_begin(&n->napi_sync);
	u64_stats_add(&n->rx_packets, pkts);
	u64_stats_add(&n->rx_bytes, bytes);
	u64_stats_add(&n->rx_errors, errs);
	u64_stats_add(&n->rx_length_errors, lerrs);
	u64_stats_add(&n->rx_dropped, drops);
	u64_stats_update_end(&n->napi_sync);
	/* The reposted descriptors before the tail that gives them back; one MMIO per poll. */
	dma_wmb();
	gpu_wr(n->cd, COSIM_GPU_REG_NIC_RX_TAIL, (i + NET_RING - 1) & NET_MASK);
	return work;
}

/* Work left in the rings (guest memory only). */
static bool napi_pending(struct cosim_net *n)
{
	u32 clean = n->tx_clean;

	if (READ_ONCE(n->rx_desc[n->rx_next].status) & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK)
		return true;
	return clean != smp_load_acquire(&n->tx_tail) &&
	       (READ_ONCE(n->tx_desc[clean].status) & COSIM_GPU_NIC_DESC_STATUS_DONE_MASK);
}

static int cosim_net_poll(struct napi_struct *napi, int budget)
{
	struct cosim_net *n = container_of(napi, struct cosim_net, napi);
	int work;

	napi_tx(n);
	work = napi_rx(n, budget);
	/*
	 * The NIC vector is an edge: a descriptor completed after the scan
	 * above and before NAPI is complete may have its interrupt merged
	 * into this poll. Look once more, now that the next interrupt
	 * schedules NAPI again.
	 */
	if (work < budget && napi_complete_done(napi, work) && napi_pending(n))
		napi_schedule(napi);
	return work;
}

/* The NIC vector fired (MSI-X vector 2, or NIC_RX/NIC_TX on the INTx line): any context. */
void cosim_net_irq(struct cosim_dev *cd)
{
	struct net_device *ndev = READ_ONCE(cd->netdev);

	/* NAPI not enabled (yet, or any more) ignores the request. */
	if (ndev && netif_running(ndev))
		napi_schedule(&((struct cosim_net *)netdev_priv(ndev))->napi);
}

/* ------------------------------------------------------------------ */
/* net_device_ops                                                     */

static void tx_flush(struct cosim_net *n)
{
	/* The descriptors and frames before the tail that hands them over. */
	dma_wmb();
	gpu_wr(n->cd, COSIM_GPU_REG_NIC_TX_TAIL, n->tx_tail);
}

static netdev_tx_t cosim_net_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct cosim_net *n = netdev_priv(ndev);
	u32 i = n->tx_tail, len = skb->len;
	struct cosim_gpu_nic_desc *d;
	u8 *buf;

	if (unlikely(len > NET_BUF)) {
		dev_kfree_skb_any(skb);
		u64_stats_update_begin(&n->xmit_sync);
		u64_stats_inc(&n->tx_dropped);
		u64_stats_update_end(&n->xmit_sync);
		goto out;
	}
	if (unlikely(!tx_free(n))) {
		/* Not reached: the queue stops when the ring fills. */
		netif_stop_queue(ndev);
		tx_flush(n);
		return NETDEV_TX_BUSY;
	}
	buf = n->buf + (size_t)i * NET_BUF;
	skb_copy_bits(skb, 0, buf, len);
	if (len < ETH_ZLEN) {
		memset(buf + len, 0, ETH_ZLEN - len);
		len = ETH_ZLEN;
	}
	d = &n->tx_desc[i];
	d->len = len;
	d->status = 0;
	/* NAPI reads the descriptor only once it sees the new tail. */
	smp_store_release(&n->tx_tail, (i + 1) & NET_MASK);
	dev_consume_skb_any(skb);

	if (!tx_free(n)) {
		netif_stop_queue(ndev);
		/* The stop before the second look; pairs with napi_tx's barrier. */
		smp_mb();
		if (tx_free(n))
			netif_start_queue(ndev);
	}
out:
	/* One NIC_TX_TAIL write per burst the stack hands us. */
	if (!netdev_xmit_more() || netif_queue_stopped(ndev))
		tx_flush(n);
	return NETDEV_TX_OK;
}

static int cosim_net_open(struct net_device *ndev)
{
	struct cosim_net *n = netdev_priv(ndev);
	struct cosim_gpu *g = &n->cd->gpu;
	int ret;

	ret = rings_alloc(n);
	if (ret)
		return ret;
	rings_init(n);
	/* Under the lock a soft reset takes: it finds the NIC either untouched or fully ours. */
	mutex_lock(&g->lock);
	hw_start(n);
	napi_enable(&n->napi);
	netif_carrier_on(ndev);
	netif_start_queue(ndev);
	n->hw_up = true;
	mutex_unlock(&g->lock);
	/* Frames that arrived before NAPI was enabled sent an interrupt it did not take. */
	napi_kick(n);
	return 0;
}

static int cosim_net_stop(struct net_device *ndev)
{
	struct cosim_net *n = netdev_priv(ndev);
	struct cosim_gpu *g = &n->cd->gpu;

	mutex_lock(&g->lock);
	n->hw_up = false;
	/* NAPI first: its TX reclaim could wake the queue again. */
	napi_disable(&n->napi);
	netif_tx_disable(ndev);
	netif_carrier_off(ndev);
	hw_stop(n);
	mutex_unlock(&g->lock);
	rings_drain(n);
	rings_free(n);
	return 0;
}

static void cosim_net_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s)
{
	struct cosim_net *n = netdev_priv(ndev);
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&n->napi_sync);
		s->rx_packets = u64_stats_read(&n->rx_packets);
		s->rx_bytes = u64_stats_read(&n->rx_bytes);
		s->rx_errors = u64_stats_read(&n->rx_errors);
		s->rx_length_errors = u64_stats_read(&n->rx_length_errors);
		s->rx_dropped = u64_stats_read(&n->rx_dropped);
		s->tx_packets = u64_stats_read(&n->tx_packets);
		s->tx_bytes = u64_stats_read(&n->tx_bytes);
		s->tx_errors = u64_stats_read(&n->tx_errors);
	} while (u64_stats_fetch_retry(&n->napi_sync, start));
	do {
		start = u64_stats_fetch_begin(&n->xmit_sync);
		s->tx_dropped = u64_stats_read(&n->tx_dropped);
	} while (u64_stats_fetch_retry(&n->xmit_sync, start));
	/* No buffer posted, RX disabled, or longer than NIC_MAX_FRAME: one MMIO read. */
	s->rx_missed_errors = drops_read(n);
}

static const struct net_device_ops cosim_net_ops = {
	.ndo_open		= cosim_net_open,
	.ndo_stop		= cosim_net_stop,
	.ndo_start_xmit		= cosim_net_xmit,
	.ndo_get_stats64	= cosim_net_get_stats64,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_set_mac_address	= eth_mac_addr,
};

/* ------------------------------------------------------------------ */
/* soft reset of the GPU (gpu_hw_init, cd->gpu.lock held)             */

void cosim_net_reset_prepare(struct cosim_dev *cd)
{
	struct cosim_net *n = cosim_net_of(cd);

	if (!n || !n->hw_up)
		return;
	napi_disable(&n->napi);
	netif_tx_disable(n->ndev);
	drops_fold(n);
}

void cosim_net_reset_done(struct cosim_dev *cd)
{
	struct cosim_net *n = cosim_net_of(cd);

	if (!n || !n->hw_up)
		return;
	/* The reset stopped the NIC's DMA: what the rings hold is final. */
	rings_drain(n);
	rings_init(n);
	hw_start(n);
	napi_enable(&n->napi);
	netif_tx_wake_all_queues(n->ndev);
	napi_kick(n);
}

/*
 * True while the interface is up: the NIC's rings are the driver's, no
 * user-space buffer is in them. Called with cd->gpu.lock held.
 */
bool cosim_net_owns_nic(struct cosim_dev *cd)
{
	struct cosim_net *n = cosim_net_of(cd);

	return n && n->hw_up;
}

/* ------------------------------------------------------------------ */
/* probe / remove                                                     */

int cosim_net_probe(struct cosim_dev *cd)
{
	struct device *dev = &cd->pdev->dev;
	struct net_device *ndev;
	struct cosim_net *n;
	u64 caps;
	int ret;

	caps = gpu_rd(cd, COSIM_GPU_REG_CAPS);
	if (caps == ~0ull || !(caps & COSIM_GPU_CAPS_NIC_MASK))
		return 0;
	/* NAPI runs on the NIC vector: MSI-X, or the INTx line's NIC causes. */
	if (cd->nvec <= COSIM_GPU_VEC_NIC ||
	    (cd->irq_mode != COSIM_IRQ_MODE_MSIX && cd->irq_mode != COSIM_IRQ_MODE_INTX)) {
		dev_warn(dev, "cosim%d: no NIC interrupt (%u vector(s)): no network interface\n",
			 cd->minor, cd->nvec);
		return 0;
	}

	ndev = alloc_etherdev(sizeof(*n));	/* "eth%d", ether_setup */
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, dev);
	n = netdev_priv(ndev);
	n->cd = cd;
	n->ndev = ndev;
	u64_stats_init(&n->napi_sync);
	u64_stats_init(&n->xmit_sync);
	spin_lock_init(&n->drops_lock);
	ndev->netdev_ops = &cosim_net_ops;
	/* A VLAN-tagged frame of max_mtu still fits a buffer and NIC_MAX_FRAME. */
	ndev->max_mtu = NET_BUF - ETH_HLEN - VLAN_HLEN;
	eth_hw_addr_random(ndev);	/* the NIC has no MAC address register */
	netif_napi_add(ndev, &n->napi, cosim_net_poll);	/* weight NAPI_POLL_WEIGHT (64) */
	netif_carrier_off(ndev);

	/* Before registration: the interface may be opened as soon as it is registered. */
	WRITE_ONCE(cd->netdev, ndev);
	ret = register_netdev(ndev);
	if (ret) {
		dev_err(dev, "cosim%d: register_netdev failed (%d)\n", cd->minor, ret);
		WRITE_ONCE(cd->netdev, NULL);
		cosim_sync_irqs(cd);	/* no NIC vector handler still looks at ndev */
		free_netdev(ndev);
		return ret;
	}
	netdev_info(ndev, "cosim%d's NIC, MAC %pM (random), %d-descriptor rings\n",
		    cd->minor, ndev->dev_addr, NET_RING);
	return 0;
}

/* First thing of remove: ndo_stop frees the rings while the device still works. */
void cosim_net_remove(struct cosim_dev *cd)
{
	if (cd->netdev)
		unregister_netdev(cd->netdev);
}

/* After the vectors are freed: no handler can look at the net_device any more. */
void cosim_net_free(struct cosim_dev *cd)
{
	struct net_device *ndev = cd->netdev;

	if (!ndev)
		return;
	WRITE_ONCE(cd->netdev, NULL);
	free_netdev(ndev);
}
