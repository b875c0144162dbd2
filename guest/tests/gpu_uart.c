/* gpu_uart - UART_TX bytes reach the device's serial channel: a line made
 * from the seed is written byte by byte (waiting on UART_STATUS.TX_FULL) and
 * announced as "# cosim-uart-expect <line>" so that the host can check that
 * it arrived on the QEMU chardev of the device (cosim-pcie chardev=...).
 * Also: UART_RX reads VALID clear when nothing was received, UART_CTRL is
 * read/write. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 4

int main(void)
{
	char line[96];
	uint64_t st, v;
	uint8_t byte;
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	snprintf(line, sizeof(line), "cosim-uart-check seed=%llu token=%08llx", (unsigned long long)gseed,
		 (unsigned long long)(cgpu_rng_next(&grng) & 0xffffffffull));
	/* 1 */
	rc = cgpu_uart_write(gfd, line, strlen(line), 5000);
	if (!rc)
		rc = cgpu_uart_write(gfd, "\n", 1, 5000);
	check_rc(rc, "%zu bytes written to UART_TX (waiting while TX_FULL)", strlen(line) + 1);
	printf("# cosim-uart-expect %s\n", line);
	fflush(stdout);
	/* 2 */
	st = reg(COSIM_GPU_REG_UART_STATUS);
	tap_ok(!(st & COSIM_GPU_UART_STATUS_TX_FULL_MASK), "UART_STATUS: TX not full afterwards (0x%llx)",
	       (unsigned long long)st);
	/* 3 */
	if (st & COSIM_GPU_UART_STATUS_RX_AVAIL_MASK) {
		tap_skip("the host sent bytes", "UART_RX with nothing received reads VALID clear");
		while (cgpu_uart_read(gfd, &byte) == 1)
			tap_diag("received 0x%02x", byte);
	} else {
		v = reg(COSIM_GPU_REG_UART_RX);
		tap_ok(!(v & COSIM_GPU_UART_RX_VALID_MASK), "UART_RX with nothing received reads VALID clear (0x%llx)",
		       (unsigned long long)v);
	}
	/* 4 */
	reg_set(COSIM_GPU_REG_UART_CTRL, COSIM_GPU_UART_CTRL_RX_IRQ_EN_MASK);
	v = reg(COSIM_GPU_REG_UART_CTRL);
	reg_set(COSIM_GPU_REG_UART_CTRL, 0);
	check_u64(v, COSIM_GPU_UART_CTRL_RX_IRQ_EN_MASK, "UART_CTRL.RX_IRQ_EN read/write");
	return tap_done();
}
