/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * {{NAME}}: the interface between the driver ({{NAME_C}}.c) and user space
 * (tests/{{NAME_C}}_test.c), plus the device's register map
 * (rtl/{{NAME_C}}_dev.sv). Change the three together.
 *
 * Each bound device is /dev/{{NAME_C}}N (N = 0, 1, ...), with these ioctls.
 */
#ifndef {{NAME_UC}}_UAPI_H
#define {{NAME_UC}}_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define {{NAME_UC}}_VENDOR_ID		0x{{VENDOR_ID}}
#define {{NAME_UC}}_DEVICE_ID		0x{{DEVICE_ID}}

/* BAR0 registers: 64-bit slots. */
#define {{NAME_UC}}_REG_ID		0x00	/* RO: 1 << 32 | VENDOR_ID << 16 | DEVICE_ID */
#define {{NAME_UC}}_REG_SCRATCH		0x08	/* RW */
#define {{NAME_UC}}_REG_DMA_SRC		0x10	/* RW: host bus address, 8-byte aligned */
#define {{NAME_UC}}_REG_DMA_DST		0x18	/* RW: host bus address, 8-byte aligned */
#define {{NAME_UC}}_REG_DMA_LEN		0x20	/* RW: bytes, multiple of 8, 8 .. DMA_MAX */
#define {{NAME_UC}}_REG_DMA_CTRL	0x28	/* RW: START | IRQ | VECTOR(v) */
#define {{NAME_UC}}_REG_DMA_STATUS	0x30	/* RO: BUSY | DONE | ERROR */
#define {{NAME_UC}}_REGS_END		0x8000	/* the MSI-X table follows */

#define {{NAME_UC}}_ID_VALUE		(1ULL << 32 | (__u64){{NAME_UC}}_VENDOR_ID << 16 | {{NAME_UC}}_DEVICE_ID)
#define {{NAME_UC}}_DMA_MAX		65536
#define {{NAME_UC}}_CTRL_START		(1U << 0)
#define {{NAME_UC}}_CTRL_IRQ		(1U << 1)
#define {{NAME_UC}}_CTRL_VECTOR(v)	((__u64)(v) << 8)
#define {{NAME_UC}}_STATUS_BUSY		(1U << 0)
#define {{NAME_UC}}_STATUS_DONE		(1U << 1)
#define {{NAME_UC}}_STATUS_ERROR	(1U << 2)

/* READ_REG / WRITE_REG: one 64-bit access to BAR0. */
struct {{NAME_C}}_reg {
	__u32 offset;		/* 8-byte aligned, below REGS_END */
	__u32 reserved;		/* 0 */
	__u64 value;		/* READ_REG: out; WRITE_REG: in */
};

/*
 * DMA: the driver allocates coherent source and destination buffers of
 * `len` bytes, fills the source (from `src`, or with a pattern of its own
 * when `src` is 0) and the destination with its complement, has the device
 * copy source to destination, and waits for the completion interrupt
 * (MSI-X vector 0), or polls DMA_STATUS when the device has no MSI-X.
 * Returns 0 when the device finished (check `status` for ERROR),
 * -ETIMEDOUT when it did not within the timeout, -EINVAL for a bad length.
 */
struct {{NAME_C}}_dma {
	__u32 len;		/* in: bytes, a multiple of 8, 8 .. DMA_MAX */
	__u32 timeout_ms;	/* in: 0 = 5000 */
	__u64 src;		/* in: user pointer to len bytes, or 0 */
	__u64 dst;		/* in: user pointer receiving the destination buffer, or 0 */
	__u64 status;		/* out: DMA_STATUS at the end */
	__u32 mismatch;		/* out: first offset where destination != source; len if none */
	__u32 reserved;		/* 0 */
};

struct {{NAME_C}}_info {
	__u64 irqs;		/* completion interrupts handled since the device was bound */
	__u32 msix;		/* 1: MSI-X vector 0 in use; 0: no MSI-X, DMA completion is polled */
	__u32 reserved;
};

#define {{NAME_UC}}_IOC_MAGIC		0xC5
#define {{NAME_UC}}_IOC_READ_REG	_IOWR({{NAME_UC}}_IOC_MAGIC, 1, struct {{NAME_C}}_reg)
#define {{NAME_UC}}_IOC_WRITE_REG	_IOW({{NAME_UC}}_IOC_MAGIC, 2, struct {{NAME_C}}_reg)
#define {{NAME_UC}}_IOC_DMA		_IOWR({{NAME_UC}}_IOC_MAGIC, 3, struct {{NAME_C}}_dma)
#define {{NAME_UC}}_IOC_INFO		_IOR({{NAME_UC}}_IOC_MAGIC, 4, struct {{NAME_C}}_info)

#endif
