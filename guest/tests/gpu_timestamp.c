/* gpu_timestamp - TIMESTAMP writes the CYCLE counter (8 bytes) to guest
 * memory or VRAM; values increase in command order and lie between CYCLE
 * reads before and after. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gpu_test.h"

#define PLAN 4

int main(void)
{
	struct cgpu_buf buf;
	volatile uint64_t *m;
	uint64_t c0, c1, t3 = 0;
	union cgpu_cmd c[5];
	int rc;

	if (gpu_start(PLAN))
		return tap_done();
	must_alloc(4096, &buf);
	m = buf.ptr;
	memset(buf.ptr, 0, 4096);
	c0 = reg(COSIM_GPU_REG_CYCLE);
	c[0] = cgpu_timestamp(buf.bus + 0x100, 0);
	c[1] = cgpu_nop(0);
	c[2] = cgpu_timestamp(buf.bus + 0x108, 0);
	c[3] = cgpu_fill(buf.bus + 0x200, 4096 - 0x200, 0, 0);
	c[4] = cgpu_timestamp(0x8000, CGPU_DST_VRAM);
	rc = run(c, 5, "TIMESTAMPs");
	c1 = reg(COSIM_GPU_REG_CYCLE);
	cgpu_reg_read(gfd, COSIM_GPU_BAR_VRAM, 0x8000, 8, &t3);
	check_rc(rc, "TIMESTAMP guest, NOP, TIMESTAMP guest, FILL, TIMESTAMP VRAM complete");
	tap_ok(m[0x100 / 8] > c0 && m[0x108 / 8] > m[0x100 / 8] && t3 > m[0x108 / 8] && c1 > t3,
	       "CYCLE before %llu < t1 %llu < t2 %llu < t3 (VRAM) %llu < CYCLE after %llu",
	       (unsigned long long)c0, (unsigned long long)m[0x100 / 8], (unsigned long long)m[0x108 / 8],
	       (unsigned long long)t3, (unsigned long long)c1);
	tap_ok(m[0x0f8 / 8] == 0 && m[0x110 / 8] == 0, "TIMESTAMP writes 8 bytes only (neighbours 0x%llx 0x%llx)",
	       (unsigned long long)m[0x0f8 / 8], (unsigned long long)m[0x110 / 8]);
	tap_ok(t3 - m[0x108 / 8] >= (4096 - 0x200) / 8,
	       "the FILL of %d bytes between t2 and t3 took at least %d cycles (%llu)", 4096 - 0x200,
	       (4096 - 0x200) / 8, (unsigned long long)(t3 - m[0x108 / 8]));
	return tap_done();
}
