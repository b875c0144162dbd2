/* dma - device DMA copy between two coherent buffers, completion by interrupt
 * vector 0 (MSI-X, or INTx with pci=nomsi), for several lengths and an
 * unaligned case. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cosim_test.h"

struct dma_case {
	size_t len, src_off, dst_off;
};

static const struct dma_case cases[] = {
	{ 1, 0, 0 },
	{ 4096, 0, 0 },
	{ 65536, 0, 0 },
	{ 1000, 3, 4101 },	/* unaligned start, odd length, crosses a page */
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))
#define BUF_SIZE (65536 + 8192)
#define GUARD 0xa5
#define PLAN (2 + 3 * NCASES)

int main(void)
{
	struct cgpu_buf src, dst;
	int fd, rc, c;

	tap_plan(PLAN);
	fd = cosim_open();
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot open %s: %s", cosim_path(), strerror(errno));
		tap_fail_rest(why);
		return tap_done();
	}
	rc = cgpu_buf_alloc(fd, BUF_SIZE, &src);
	if (!tap_ok(!rc, "allocate+mmap source buffer (%d bytes)%s%s", BUF_SIZE,
		    rc ? ": " : "", rc ? strerror(-rc) : "")) {
		tap_fail_rest("no DMA buffer");
		return tap_done();
	}
	rc = cgpu_buf_alloc(fd, BUF_SIZE, &dst);
	if (!tap_ok(!rc, "allocate+mmap destination buffer (%d bytes)%s%s", BUF_SIZE,
		    rc ? ": " : "", rc ? strerror(-rc) : "")) {
		tap_fail_rest("no DMA buffer");
		return tap_done();
	}
	tap_diag("src bus 0x%llx, dst bus 0x%llx", (unsigned long long)src.bus,
		 (unsigned long long)dst.bus);

	for (c = 0; c < NCASES; c++) {
		const struct dma_case *k = &cases[c];
		unsigned char *s = src.ptr, *d = dst.ptr;
		struct cosim_irq_counts before;
		uint64_t status, count = 0;
		size_t i, bad = 0, first_bad = 0;

		for (i = 0; i < BUF_SIZE; i++)
			s[i] = (unsigned char)(i * 7 + c * 13 + 1);
		memset(d, GUARD, BUF_SIZE);
		if (cosim_irq_counts(fd, &before))
			tap_bail("COSIM_IOC_IRQ_COUNTS: %s", strerror(errno));

		wr64(fd, REG_DMA_SRC, src.bus + k->src_off);
		wr64(fd, REG_DMA_DST, dst.bus + k->dst_off);
		wr64(fd, REG_DMA_LEN, k->len);
		wr64(fd, REG_DMA_CTRL, DMA_CTRL_START | DMA_CTRL_IRQ | DMA_CTRL_VECTOR(0));

		rc = cosim_wait_irq(fd, 0, before.count[0], 10000, &count);
		if (rc)
			tap_fail(strerror(-rc), "len %zu (src+%zu dst+%zu): completion interrupt on vector 0",
				 k->len, k->src_off, k->dst_off);
		else
			tap_ok(1, "len %zu (src+%zu dst+%zu): completion interrupt on vector 0",
			       k->len, k->src_off, k->dst_off);

		status = rd64(fd, REG_DMA_STATUS);
		tap_ok((status & (DMA_STATUS_DONE | DMA_STATUS_BUSY | DMA_STATUS_ERROR)) == DMA_STATUS_DONE,
		       "len %zu: DMA_STATUS done, not busy, no error (0x%llx)", k->len,
		       (unsigned long long)status);

		for (i = 0; i < BUF_SIZE; i++) {
			int in = i >= k->dst_off && i < k->dst_off + k->len;
			unsigned char want = in ? s[i - k->dst_off + k->src_off] : GUARD;

			if (d[i] != want && !bad++)
				first_bad = i;
		}
		if (bad)
			tap_diag("first mismatch at dst+%zu: 0x%02x", first_bad, d[first_bad]);
		tap_ok(!bad, "len %zu: destination holds the source bytes, guard bytes intact (%zu bad)",
		       k->len, bad);
	}
	cgpu_buf_free(fd, &src);
	cgpu_buf_free(fd, &dst);
	close(fd);
	return tap_done();
}
