// SPDX-License-Identifier: GPL-2.0
/*
 * {{NAME_C}} - guest driver for {{NAME}} ({{VENDOR_ID}}:{{DEVICE_ID}}), a PCIe device whose
 * behaviour comes from RTL (rtl/) co-simulated by qemu-hdl-bridge.
 *
 * Binds by vendor/device id, maps BAR0, takes one MSI-X vector for DMA
 * completion and exposes each device as the misc device /dev/{{NAME_C}}N
 * with the ioctls of {{NAME_C}}_uapi.h: register read/write, a DMA copy
 * test, and counters.
 *
 * Lifetime: the per-device state is reference counted. Probe holds one
 * reference, released by a devres action registered before the IRQ, so it
 * drops only after the IRQ is freed; every open file holds another. Remove
 * unregisters the misc device (no new opens), then marks the device gone
 * under the lock, so an ioctl either finished before or fails with -ENODEV.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/dma-mapping.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/idr.h>

#include "{{NAME_C}}_uapi.h"

#define DRV_NAME		"{{NAME_C}}"
#define DMA_TIMEOUT_MS		5000

static DEFINE_IDA({{NAME_C}}_ida);

struct {{NAME_C}}_dev {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *regs;		/* BAR0 */
	struct miscdevice misc;
	char name[32];
	int index;
	bool msix;			/* MSI-X vector 0 signals DMA completion */
	struct mutex lock;		/* one ioctl at a time; guards gone */
	bool gone;			/* removed: the BAR is unmapped */
	struct completion dma_done;
	atomic64_t irqs;
};

static void {{NAME_C}}_free(struct kref *ref)
{
	struct {{NAME_C}}_dev *d = container_of(ref, struct {{NAME_C}}_dev, ref);

	ida_free(&{{NAME_C}}_ida, d->index);
	kfree(d);
}

static void {{NAME_C}}_put(void *data)
{
	struct {{NAME_C}}_dev *d = data;

	kref_put(&d->ref, {{NAME_C}}_free);
}

static irqreturn_t {{NAME_C}}_irq(int irq, void *data)
{
	struct {{NAME_C}}_dev *d = data;

	atomic64_inc(&d->irqs);
	complete(&d->dma_done);
	return IRQ_HANDLED;
}

/* ---- ioctls; called with d->lock held and the device present ---- */

static long {{NAME_C}}_dma(struct {{NAME_C}}_dev *d, struct {{NAME_C}}_dma __user *uarg)
{
	struct device *dev = &d->pdev->dev;
	struct {{NAME_C}}_dma a;
	dma_addr_t src_bus = 0, dst_bus = 0;
	u8 *src, *dst;
	u64 status;
	long ret = 0;
	u32 i;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.len < 8 || a.len > {{NAME_UC}}_DMA_MAX || a.len % 8)
		return -EINVAL;
	src = dma_alloc_coherent(dev, a.len, &src_bus, GFP_KERNEL);
	dst = dma_alloc_coherent(dev, a.len, &dst_bus, GFP_KERNEL);
	if (!src || !dst) {
		ret = -ENOMEM;
		goto out;
	}
	if (a.src) {
		if (copy_from_user(src, u64_to_user_ptr(a.src), a.len)) {
			ret = -EFAULT;
			goto out;
		}
	} else {
		for (i = 0; i < a.len; i++)
			src[i] = (u8)(i * 7 + (i >> 8) + 1);
	}
	/* The complement: a byte the device never wrote cannot match. */
	for (i = 0; i < a.len; i++)
		dst[i] = ~src[i];

	reinit_completion(&d->dma_done);
	writeq(src_bus, d->regs + {{NAME_UC}}_REG_DMA_SRC);
	writeq(dst_bus, d->regs + {{NAME_UC}}_REG_DMA_DST);
	writeq(a.len, d->regs + {{NAME_UC}}_REG_DMA_LEN);
	writeq({{NAME_UC}}_CTRL_START | (d->msix ? {{NAME_UC}}_CTRL_IRQ | {{NAME_UC}}_CTRL_VECTOR(0) : 0),
	       d->regs + {{NAME_UC}}_REG_DMA_CTRL);

	a.timeout_ms = a.timeout_ms ?: DMA_TIMEOUT_MS;
	if (d->msix)
		wait_for_completion_timeout(&d->dma_done, msecs_to_jiffies(a.timeout_ms));
	else
		readq_poll_timeout(d->regs + {{NAME_UC}}_REG_DMA_STATUS, status,
				   !(status & {{NAME_UC}}_STATUS_BUSY), 100, a.timeout_ms * 1000ULL);
	/* The status register is the truth; the interrupt only says when to look. */
	status = readq(d->regs + {{NAME_UC}}_REG_DMA_STATUS);
	a.status = status;
	if (status & {{NAME_UC}}_STATUS_BUSY) {
		/* Still copying: the buffers must outlive it, so they are leaked. */
		dev_err(dev, "DMA of %u bytes still busy after %u ms; leaking its buffers\n",
			a.len, a.timeout_ms);
		src = dst = NULL;
		ret = -ETIMEDOUT;
	} else if (!(status & {{NAME_UC}}_STATUS_DONE)) {
		ret = -ETIMEDOUT;
	}
	if (ret == 0) {
		for (a.mismatch = 0; a.mismatch < a.len; a.mismatch++)
			if (dst[a.mismatch] != src[a.mismatch])
				break;
		if (a.dst && copy_to_user(u64_to_user_ptr(a.dst), dst, a.len))
			ret = -EFAULT;
	}
	if (copy_to_user(uarg, &a, sizeof(a)))
		ret = -EFAULT;
out:
	if (dst)
		dma_free_coherent(dev, a.len, dst, dst_bus);
	if (src)
		dma_free_coherent(dev, a.len, src, src_bus);
	return ret;
}

static long {{NAME_C}}_ioctl_locked(struct {{NAME_C}}_dev *d, unsigned int cmd, void __user *arg)
{
	struct {{NAME_C}}_reg r;
	struct {{NAME_C}}_info info;

	switch (cmd) {
	case {{NAME_UC}}_IOC_READ_REG:
	case {{NAME_UC}}_IOC_WRITE_REG:
		if (copy_from_user(&r, arg, sizeof(r)))
			return -EFAULT;
		if (r.offset % 8 || r.offset >= {{NAME_UC}}_REGS_END || r.reserved)
			return -EINVAL;
		if (cmd == {{NAME_UC}}_IOC_WRITE_REG) {
			writeq(r.value, d->regs + r.offset);
			return 0;
		}
		r.value = readq(d->regs + r.offset);
		return copy_to_user(arg, &r, sizeof(r)) ? -EFAULT : 0;
	case {{NAME_UC}}_IOC_DMA:
		return {{NAME_C}}_dma(d, arg);
	case {{NAME_UC}}_IOC_INFO:
		memset(&info, 0, sizeof(info));
		info.irqs = atomic64_read(&d->irqs);
		info.msix = d->msix;
		return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static long {{NAME_C}}_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct {{NAME_C}}_dev *d = f->private_data;
	long ret;

	if (mutex_lock_interruptible(&d->lock))
		return -ERESTARTSYS;
	ret = d->gone ? -ENODEV : {{NAME_C}}_ioctl_locked(d, cmd, (void __user *)arg);
	mutex_unlock(&d->lock);
	return ret;
}

/* misc_open() set private_data to our miscdevice, under misc_mtx, which
 * misc_deregister() also takes: the device cannot be freed before this ref. */
static int {{NAME_C}}_open(struct inode *inode, struct file *f)
{
	struct {{NAME_C}}_dev *d = container_of(f->private_data, struct {{NAME_C}}_dev, misc);

	kref_get(&d->ref);
	f->private_data = d;
	return 0;
}

static int {{NAME_C}}_release(struct inode *inode, struct file *f)
{
	{{NAME_C}}_put(f->private_data);
	return 0;
}

static const struct file_operations {{NAME_C}}_fops = {
	.owner		= THIS_MODULE,
	.open		= {{NAME_C}}_open,
	.release	= {{NAME_C}}_release,
	.unlocked_ioctl	= {{NAME_C}}_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* ---- PCI ---- */

static int {{NAME_C}}_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct {{NAME_C}}_dev *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->index = ida_alloc(&{{NAME_C}}_ida, GFP_KERNEL);
	if (d->index < 0) {
		ret = d->index;
		kfree(d);
		return ret;
	}
	kref_init(&d->ref);
	d->pdev = pdev;
	mutex_init(&d->lock);
	init_completion(&d->dma_done);
	/* Registered first, so it runs last: after the IRQ and the BAR are released. */
	ret = devm_add_action_or_reset(dev, {{NAME_C}}_put, d);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, d);

	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable the device\n");
	ret = pcim_iomap_regions(pdev, BIT(0), DRV_NAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot map BAR0\n");
	d->regs = pcim_iomap_table(pdev)[0];
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return dev_err_probe(dev, ret, "no usable DMA mask\n");
	pci_set_master(pdev);

	/*
	 * The device signals only through MSI-X (QEMU's cosim-pcie has no INTx
	 * pin and no MSI capability), so without MSI-X the driver polls
	 * DMA_STATUS instead of falling back to an interrupt that never comes.
	 */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSIX);
	if (ret == 1) {
		ret = devm_request_irq(dev, pci_irq_vector(pdev, 0), {{NAME_C}}_irq, 0, DRV_NAME, d);
		if (ret)
			return dev_err_probe(dev, ret, "cannot request the MSI-X interrupt\n");
		d->msix = true;
	} else {
		dev_warn(dev, "no MSI-X (%d): DMA completion will be polled\n", ret);
	}

	snprintf(d->name, sizeof(d->name), DRV_NAME "%d", d->index);
	d->misc.minor = MISC_DYNAMIC_MINOR;
	d->misc.name = d->name;
	d->misc.fops = &{{NAME_C}}_fops;
	d->misc.parent = dev;
	ret = misc_register(&d->misc);
	if (ret)
		return dev_err_probe(dev, ret, "cannot register /dev/%s\n", d->name);
	dev_info(dev, "/dev/%s, ID 0x%016llx, %s\n", d->name,
		 (unsigned long long)readq(d->regs + {{NAME_UC}}_REG_ID),
		 d->msix ? "MSI-X" : "polled");
	return 0;
}

static void {{NAME_C}}_remove(struct pci_dev *pdev)
{
	struct {{NAME_C}}_dev *d = pci_get_drvdata(pdev);

	misc_deregister(&d->misc);
	mutex_lock(&d->lock);
	d->gone = true;
	mutex_unlock(&d->lock);
}

static const struct pci_device_id {{NAME_C}}_ids[] = {
	{ PCI_DEVICE({{NAME_UC}}_VENDOR_ID, {{NAME_UC}}_DEVICE_ID) },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, {{NAME_C}}_ids);

static struct pci_driver {{NAME_C}}_driver = {
	.name		= DRV_NAME,
	.id_table	= {{NAME_C}}_ids,
	.probe		= {{NAME_C}}_probe,
	.remove		= {{NAME_C}}_remove,
};
module_pci_driver({{NAME_C}}_driver);

MODULE_DESCRIPTION("{{NAME}}: qemu-hdl-bridge device driver");
MODULE_LICENSE("GPL");
