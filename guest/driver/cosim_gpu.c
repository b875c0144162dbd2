// SPDX-License-Identifier: GPL-2.0
/*
 * cosim_gpu - guest driver for the qemu-hdl-bridge PCIe device (`-device
 * cosim-pcie`, ids 1234:c051), whose behaviour comes from Verilated RTL.
 *
 * Exposes each bound device as /dev/cosimN with the ioctl ABI of
 * include/cosim_gpu_uapi.h: register access to every BAR, coherent DMA
 * buffers (mmap-able), per-vector MSI-X interrupt counting and waiting, and
 * device info. Per-vector counters are also in
 * /sys/class/cosim/cosimN/irq_counts.
 *
 * Probe order (each step undone in reverse on error and on remove):
 *   pci_enable_device -> dma_set_mask_and_coherent(64, else 32) ->
 *   pci_set_master -> pci_request_regions -> pci_iomap(each BAR) ->
 *   pci_alloc_irq_vectors(MSI-X, all) + request_irq(each) -> cdev + device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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

#include "cosim_gpu_uapi.h"

#define DRV_NAME	"cosim_gpu"
#define CLASS_NAME	"cosim"
#define COSIM_MAX_DEVS	64

/* PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in newer kernels. */
#ifndef PCI_IRQ_INTX
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

static const struct pci_device_id cosim_ids[] = {
	{ PCI_DEVICE(0x1234, 0xc051) },
	{ 0 }
};
MODULE_DEVICE_TABLE(pci, cosim_ids);

struct cosim_vec {
	struct cosim_dev *cd;
	unsigned int index;
	int irq;			/* Linux irq number, -1 if not requested */
	atomic64_t count;
	wait_queue_head_t wq;
	char name[32];
};

struct cosim_dev {
	struct kref ref;
	struct pci_dev *pdev;
	int minor;
	struct cdev cdev;
	struct device *chardev;
	/* held for read by every file operation, for write by remove */
	struct rw_semaphore lock;
	bool dead;
	void __iomem *bar[COSIM_NUM_BARS];
	u8 irq_mode;
	unsigned int nvec;
	struct cosim_vec vec[COSIM_MAX_VECTORS];
};

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

	pci_dev_put(cd->pdev);
	kfree(cd);
}

static void cosim_dev_put(struct cosim_dev *cd)
{
	kref_put(&cd->ref, cosim_dev_release);
}

/* ------------------------------------------------------------------ */
/* interrupts                                                         */

static irqreturn_t cosim_irq(int irq, void *data)
{
	struct cosim_vec *v = data;

	atomic64_inc(&v->count);
	wake_up_all(&v->wq);
	return IRQ_HANDLED;
}

static void cosim_free_irqs(struct cosim_dev *cd)
{
	unsigned int i;

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
		ret = request_irq(irq, cosim_irq,
				  cd->irq_mode == COSIM_IRQ_MODE_INTX ? IRQF_SHARED : 0,
				  v->name, v);
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

static struct attribute *cosim_attrs[] = {
	&dev_attr_irq_counts.attr,
	&dev_attr_irq_mode.attr,
	NULL,
};
ATTRIBUTE_GROUPS(cosim);

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
	struct cosim_buf *b, *tmp;

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

	/* Waiting must not hold off remove: it only needs the vectors. */
	if (cmd == COSIM_IOC_WAIT_IRQ || cmd == COSIM_IOC_IRQ_COUNTS) {
		down_read(&cd->lock);
		if (cd->dead) {
			up_read(&cd->lock);
			return -ENODEV;
		}
		kref_get(&cd->ref);
		up_read(&cd->lock);
		ret = cmd == COSIM_IOC_WAIT_IRQ ? cosim_wait_irq(cd, uarg)
						: cosim_irq_counts(cd, uarg);
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
	dev_info(&pdev->dev, "cosim%d: %04x:%04x rev %u, %u %s vector(s)\n",
		 cd->minor, pdev->vendor, pdev->device, pdev->revision, cd->nvec,
		 cd->irq_mode == COSIM_IRQ_MODE_MSIX ? "MSI-X" :
		 cd->irq_mode == COSIM_IRQ_MODE_MSI ? "MSI" :
		 cd->irq_mode == COSIM_IRQ_MODE_INTX ? "INTx" : "no");
	return 0;

err_cdev:
	cdev_del(&cd->cdev);
err_irqs:
	pci_set_drvdata(pdev, NULL);
	cosim_free_irqs(cd);
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
	down_write(&cd->lock);
	cd->dead = true;
	up_write(&cd->lock);
	for (i = 0; i < cd->nvec; i++)
		wake_up_all(&cd->vec[i].wq);

	device_destroy(cosim_class, MKDEV(MAJOR(cosim_devt), cd->minor));
	cdev_del(&cd->cdev);
	pci_set_drvdata(pdev, NULL);
	cosim_free_irqs(cd);
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
MODULE_DESCRIPTION("qemu-hdl-bridge co-simulation PCIe device (cosim-pcie, 1234:c051)");
MODULE_AUTHOR("qemu-hdl-bridge");
