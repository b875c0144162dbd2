/* msix - every vector fires once per MSIX_TRIGGER write, on the right vector:
 * as MSI-X, or (booted with pci=nomsi) as INTx with the cause in IRQ_STATUS,
 * which the driver clears and counts per vector. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cosim_test.h"

#define PLAN (3 + 2 * EXAMPLE_VECTORS)

int main(void)
{
	struct cosim_info info;
	struct cosim_irq_counts before, after;
	unsigned v, i;
	int fd, rc;

	tap_plan(PLAN);
	fd = cosim_open();
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot open %s: %s", cosim_path(), strerror(errno));
		tap_fail_rest(why);
		return tap_done();
	}
	if (cosim_info(fd, &info))
		tap_bail("COSIM_IOC_INFO: %s", strerror(errno));
	tap_ok(info.irq_mode == cgpu_irq_mode_expected(), "interrupts are %s (irq_mode %s)",
	       cgpu_irq_mode_name(cgpu_irq_mode_expected()), cgpu_irq_mode_name(info.irq_mode));
	tap_ok(info.num_vectors == EXAMPLE_VECTORS, "%d vectors (got %u)", EXAMPLE_VECTORS, info.num_vectors);
	/* The config state QEMU reports (CFG_STATE) reaches the RTL: MSI-X as the
	 * driver set it up, bus mastering on (pci_set_master), no INTx pending. */
	{
		uint64_t cfg = rd64(fd, REG_CFG_STATE);
		int msix = info.irq_mode == COSIM_IRQ_MODE_MSIX;

		tap_ok(!!(cfg & CFG_STATE_MSIX_ENABLE) == msix && (cfg & CFG_STATE_BUS_MASTER) &&
		       !(cfg & CFG_STATE_INTX) && (msix || !(cfg & CFG_STATE_INTX_DISABLE)),
		       "the device sees MSI-X %s, bus master on, no INTx pending (CFG_STATE 0x%llx)",
		       msix ? "on" : "off, INTx enabled", (unsigned long long)cfg);
	}

	for (v = 0; v < EXAMPLE_VECTORS; v++) {
		uint64_t count = 0;
		int others = 0;

		if (v >= info.num_vectors) {
			tap_fail("vector not allocated", "vector %u interrupt", v);
			tap_fail("vector not allocated", "vector %u counted exactly once", v);
			continue;
		}
		if (cosim_irq_counts(fd, &before))
			tap_bail("COSIM_IOC_IRQ_COUNTS: %s", strerror(errno));
		wr64(fd, REG_MSIX_TRIGGER, v);
		rc = cosim_wait_irq(fd, v, before.count[v], 5000, &count);
		if (rc)
			tap_fail(strerror(-rc), "vector %u interrupt after MSIX_TRIGGER=%u", v, v);
		else
			tap_ok(1, "vector %u interrupt after MSIX_TRIGGER=%u", v, v);
		usleep(20000);	/* let a duplicate or a wrong vector show up */
		if (cosim_irq_counts(fd, &after))
			tap_bail("COSIM_IOC_IRQ_COUNTS: %s", strerror(errno));
		for (i = 0; i < info.num_vectors; i++)
			if (i != v && after.count[i] != before.count[i])
				others++;
		tap_ok(after.count[v] == before.count[v] + 1 && !others,
		       "vector %u counted exactly once (%llu -> %llu, %d other vector(s) changed)",
		       v, (unsigned long long)before.count[v], (unsigned long long)after.count[v], others);
	}
	close(fd);
	return tap_done();
}
