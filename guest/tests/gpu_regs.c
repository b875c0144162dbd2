/* gpu_regs - GPU front-end registers: identity and BARs, every access size,
 * read-only / W1C behaviour, the doorbell page, VRAM through BAR4 (ioctl and
 * mapping), the ring registers as the driver programmed them, SLVERR past
 * the register window, and the GPU ioctls' argument checks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 25

static uint64_t rd(unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	int rc = cgpu_reg_read(gfd, bar, off, size, &v);

	if (rc)
		tap_bail("read BAR%u+0x%llx size %u: %s", bar, (unsigned long long)off, size, strerror(-rc));
	return v;
}

static void wr(unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	int rc = cgpu_reg_write(gfd, bar, off, size, v);

	if (rc)
		tap_bail("write BAR%u+0x%llx size %u: %s", bar, (unsigned long long)off, size, strerror(-rc));
}

static void expect_err(int rc, int want, const char *what)
{
	if (rc == -want)
		tap_ok(1, "%s refused with %s", what, strerror(want));
	else
		tap_fail(rc ? strerror(-rc) : "accepted", "%s refused with %s", what, strerror(want));
}

int main(void)
{
	const unsigned R = COSIM_GPU_BAR_REGS, V = COSIM_GPU_BAR_VRAM, D = COSIM_GPU_BAR_DOORBELL;
	struct cosim_info info;
	struct cosim_gpu_status st;
	union cgpu_cmd c;
	uint64_t v, a, b;
	volatile uint64_t *vram;
	int rc, ok;

	if (gpu_start(PLAN))
		return tap_done();
	cgpu_info(gfd, &info);
	tap_diag("%s %04x:%04x class %06x rev %u, %u vector(s), BAR0 0x%llx BAR2 0x%llx BAR4 0x%llx",
		 info.pci_name, info.vendor, info.device, info.class_code, info.revision,
		 info.num_vectors, (unsigned long long)info.bar_len[0],
		 (unsigned long long)info.bar_len[2], (unsigned long long)info.bar_len[4]);
	/* 1-2 */
	tap_ok(info.uapi_version == COSIM_UAPI_VERSION && info.class_code == COSIM_GPU_CLASS_CODE &&
	       info.revision == COSIM_GPU_REVISION && info.subsystem_vendor == COSIM_GPU_SUBSYS_VENDOR_ID &&
	       info.subsystem_device == COSIM_GPU_SUBSYS_ID,
	       "identity: class %06x rev %u subsystem %04x:%04x (got class %06x rev %u subsystem %04x:%04x)",
	       COSIM_GPU_CLASS_CODE, COSIM_GPU_REVISION, COSIM_GPU_SUBSYS_VENDOR_ID, COSIM_GPU_SUBSYS_ID,
	       info.class_code, info.revision, info.subsystem_vendor, info.subsystem_device);
	tap_ok(info.bar_len[R] == COSIM_GPU_BAR_REGS_SIZE && info.bar_len[D] == COSIM_GPU_BAR_DOORBELL_SIZE &&
	       info.bar_len[V] == COSIM_GPU_BAR_VRAM_SIZE && (info.bar_flags[V] & COSIM_BAR_PREFETCH) &&
	       (info.bar_flags[V] & COSIM_BAR_64BIT) && (info.bar_flags[R] & COSIM_BAR_64BIT) &&
	       info.irq_mode == cgpu_irq_mode_expected() && info.num_vectors == COSIM_GPU_MSIX_VECTORS,
	       "BARs 0/2/4 of 64 KiB/4 KiB/1 MiB (VRAM 64-bit prefetchable), %d vectors by %s "
	       "(got 0x%llx/0x%llx/0x%llx flags4 0x%x, irq mode %s, %u vectors)", COSIM_GPU_MSIX_VECTORS,
	       cgpu_irq_mode_name(cgpu_irq_mode_expected()),
	       (unsigned long long)info.bar_len[R], (unsigned long long)info.bar_len[D],
	       (unsigned long long)info.bar_len[V], info.bar_flags[V], cgpu_irq_mode_name(info.irq_mode),
	       info.num_vectors);

	/* 3-6: constant registers at every size */
	check_u64(rd(R, COSIM_GPU_REG_ID, 8), COSIM_GPU_REG_ID_RESET, "ID (8-byte read)");
	ok = rd(R, COSIM_GPU_REG_ID + 4, 4) == COSIM_GPU_REG_ID_RESET >> 32 &&
	     rd(R, COSIM_GPU_REG_ID, 4) == (COSIM_GPU_REG_ID_RESET & 0xffffffff) &&
	     rd(R, COSIM_GPU_REG_ID + 2, 2) == ((COSIM_GPU_REG_ID_RESET >> 16) & 0xffff) &&
	     rd(R, COSIM_GPU_REG_ID + 7, 1) == (COSIM_GPU_REG_ID_RESET >> 56);
	tap_ok(ok, "ID at 4/2/1-byte reads (upper half 0x%llx, bytes 2..3 0x%llx, byte 7 0x%llx)",
	       (unsigned long long)rd(R, COSIM_GPU_REG_ID + 4, 4),
	       (unsigned long long)rd(R, COSIM_GPU_REG_ID + 2, 2), (unsigned long long)rd(R, COSIM_GPU_REG_ID + 7, 1));
	check_u64(rd(R, COSIM_GPU_REG_VERSION, 8), COSIM_GPU_REG_VERSION_RESET, "VERSION");
	v = rd(R, COSIM_GPU_REG_CAPS, 8);
	tap_ok(v == COSIM_GPU_REG_CAPS_RESET &&
	       ((v & COSIM_GPU_CAPS_LANES_MASK) >> COSIM_GPU_CAPS_LANES_SHIFT) == COSIM_GPU_LANES,
	       "CAPS 0x%llx: %d lanes (got 0x%llx)", COSIM_GPU_REG_CAPS_RESET, COSIM_GPU_LANES,
	       (unsigned long long)v);
	/* 7 */
	wr(R, COSIM_GPU_REG_ID, 8, 0);
	check_u64(rd(R, COSIM_GPU_REG_ID, 8), COSIM_GPU_REG_ID_RESET, "ID ignores writes");

	/* 8-9: SCRATCH */
	wr(R, COSIM_GPU_REG_SCRATCH, 8, 0x0123456789abcdefull);
	check_u64(rd(R, COSIM_GPU_REG_SCRATCH, 8), 0x0123456789abcdefull, "SCRATCH 8-byte write/read");
	wr(R, COSIM_GPU_REG_SCRATCH + 3, 1, 0xaa);
	wr(R, COSIM_GPU_REG_SCRATCH + 4, 2, 0xbbcc);
	wr(R, COSIM_GPU_REG_SCRATCH + 6, 2, 0x0123);
	check_u64(rd(R, COSIM_GPU_REG_SCRATCH, 8), 0x0123bbccaaabcdefull,
		  "SCRATCH merges 1-byte write at +3 and 2-byte writes at +4/+6");

	/* 10 */
	a = rd(R, COSIM_GPU_REG_CYCLE, 8);
	b = rd(R, COSIM_GPU_REG_CYCLE, 8);
	tap_ok(b > a, "CYCLE counts up (%llu then %llu)", (unsigned long long)a, (unsigned long long)b);

	/* 11-12: INT_MASK / INT_STATUS */
	wr(R, COSIM_GPU_REG_INT_MASK, 8, 0x15);
	check_u64(rd(R, COSIM_GPU_REG_INT_MASK, 8), 0x15, "INT_MASK read/write");
	wr(R, COSIM_GPU_REG_INT_MASK, 8, 0);
	wr(R, COSIM_GPU_REG_INT_STATUS, 8, 0x1f);
	check_u64(rd(R, COSIM_GPU_REG_INT_STATUS, 8), 0, "INT_STATUS after writing 1s to clear");

	/* 13: doorbell page */
	a = rd(D, 0x800, 8);
	wr(D, 0x800, 4, 5);
	b = rd(D, COSIM_GPU_REG_DOORBELL, 4);
	tap_ok(a == 0 && b == 0, "doorbell page reads 0 and ignores writes off the doorbell (got 0x%llx, 0x%llx)",
	       (unsigned long long)a, (unsigned long long)b);

	/* 14-16: VRAM through BAR4 */
	wr(V, 0x100, 8, 0x1122334455667788ull);
	wr(V, 0x101, 1, 0xee);
	wr(V, 0x106, 2, 0xdddd);
	check_u64(rd(V, 0x100, 8), 0xdddd33445566ee88ull, "VRAM via BAR4: 8-byte write merged with 1- and 2-byte writes");
	wr(V, COSIM_GPU_VRAM_SIZE - 8, 8, 0xfeedull);
	check_u64(rd(V, COSIM_GPU_VRAM_SIZE - 8, 8), 0xfeed, "VRAM via BAR4: last word");
	vram = cgpu_map_bar(gfd, V, 0x10000);
	if (!vram) {
		tap_fail(strerror(errno), "VRAM via a user mapping of BAR4");
	} else {
		vram[0x200 / 8] = 0xa5a5a5a5deadbeefull;
		v = rd(V, 0x200, 8);
		wr(V, 0x208, 8, 0x5a5a);
		tap_ok(v == 0xa5a5a5a5deadbeefull && vram[0x208 / 8] == 0x5a5a,
		       "VRAM via a user mapping of BAR4: store seen by the ioctl (0x%llx), ioctl write seen by a load (0x%llx)",
		       (unsigned long long)v, (unsigned long long)vram[0x208 / 8]);
		cgpu_unmap_bar(vram, 0x10000);
	}

	/* 17-18: the ring as the driver set it up */
	rc = cgpu_status(gfd, &st);
	tap_ok(!rc && (st.caps & COSIM_CAP_GPU) && (st.flags & COSIM_GPU_ST_ENABLED) &&
	       !(st.flags & COSIM_GPU_ST_HALTED) && st.ring_entries == T_RING &&
	       (st.hw_status & COSIM_GPU_STATUS_ENABLED_MASK),
	       "driver status: GPU, ring enabled with %d entries, not halted (caps 0x%x flags 0x%x entries %u STATUS 0x%x)",
	       T_RING, st.caps, st.flags, st.ring_entries, st.hw_status);
	tap_ok(rd(R, COSIM_GPU_REG_RING_BASE, 8) == st.ring_bus && rd(R, COSIM_GPU_REG_RING_SIZE, 8) == st.ring_entries &&
	       rd(R, COSIM_GPU_REG_FENCE_ADDR, 8) == st.fence_bus && rd(R, COSIM_GPU_REG_RING_CTRL, 8) == 1,
	       "RING_BASE 0x%llx, RING_SIZE %u, FENCE_ADDR 0x%llx, RING_CTRL 1 as programmed (got 0x%llx, %llu, 0x%llx, %llu)",
	       (unsigned long long)st.ring_bus, st.ring_entries, (unsigned long long)st.fence_bus,
	       (unsigned long long)rd(R, COSIM_GPU_REG_RING_BASE, 8), (unsigned long long)rd(R, COSIM_GPU_REG_RING_SIZE, 8),
	       (unsigned long long)rd(R, COSIM_GPU_REG_FENCE_ADDR, 8), (unsigned long long)rd(R, COSIM_GPU_REG_RING_CTRL, 8));
	/* 19 */
	wr(R, COSIM_GPU_REG_RING_SIZE, 8, 32);
	check_u64(rd(R, COSIM_GPU_REG_RING_SIZE, 8), T_RING, "RING_SIZE ignores writes while the ring is enabled");

	/* 20: SLVERR past the register window: all-ones, and the device still answers */
	rc = cgpu_reg_read(gfd, R, COSIM_GPU_REG_WINDOW, 8, &v);
	a = rd(R, COSIM_GPU_REG_ID, 8);
	tap_ok(!rc && v == ~0ull && a == COSIM_GPU_REG_ID_RESET,
	       "BAR0+0x%x (past the register window) reads all-ones, then ID still reads (got 0x%llx, ID 0x%llx)",
	       COSIM_GPU_REG_WINDOW, (unsigned long long)v, (unsigned long long)a);

	/* 21: UART idle */
	v = rd(R, COSIM_GPU_REG_UART_STATUS, 8);
	tap_ok(!(v & COSIM_GPU_UART_STATUS_TX_FULL_MASK), "UART_STATUS: TX not full (0x%llx)", (unsigned long long)v);

	/* 22-25: argument checks of the GPU ioctls */
	{
		struct cosim_gpu_submit s = { .flags = 0x80 };

		expect_err(cgpu_submit_ex(gfd, &s), EINVAL, "SUBMIT with unknown flags");
	}
	c = cgpu_fence(0, 1, 0);
	expect_err(cgpu_submit(gfd, &c, 1, 0, NULL), EINVAL, "SUBMIT of a WRITE_FENCE to FENCE_ADDR (ADDR 0)");
	rc = cgpu_status(gfd, &st);
	expect_err(cgpu_wait(gfd, st.seq_submitted + 1, 10), EINVAL, "WAIT_FENCE for a sequence number never submitted");
	expect_err(cgpu_reset(gfd, 12), EINVAL, "RESET with a ring of 12 entries");
	return tap_done();
}
