/* gpu_nic - the GPU's NIC (a MAC with TX/RX descriptor rings, docs/gpu.md):
 * frames of 60, 1514 and 61 bytes from unaligned buffers are sent (each TX
 * descriptor completes with DONE and its length, NIC_TX_FRAMES and
 * NIC_TX_HEAD count them, the NIC vector fires), a bad length completes with
 * DONE|ERROR and sends nothing. RX: the MAC has no internal loopback; the
 * frames come back only if the host loops the NIC channel (QEMU netdev that
 * returns what it gets). With COSIM_NIC_LOOP=1 (kernel argument
 * cosim.nic=loop) the echoed frames must land in the posted RX buffers
 * unchanged; without it the RX check is skipped if nothing arrives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gpu_test.h"

#define PLAN 10
#define NF 3

static const uint32_t lens[NF] = { 60, 1514, 61 };
static const uint32_t offs[NF] = { 0, 0x1003, 0x2005 };

int main(void)
{
	struct cgpu_nic nic;
	struct cgpu_buf tx, rx;
	struct cosim_gpu_nic_desc d;
	uint64_t tx0, tx1, rx0, rx1, drops0, i0[4], i1[4];
	const char *loopenv = getenv("COSIM_NIC_LOOP");
	int loop = loopenv && *loopenv == '1';
	int i, rc, idx[NF], ridx[4], intx;
	struct cosim_info info;
	uint8_t *f;

	if (gpu_start(PLAN))
		return tap_done();
	intx = !cgpu_info(gfd, &info) && info.irq_mode == COSIM_IRQ_MODE_INTX;
	must_alloc(0x4000, &tx);
	must_alloc(4 * 0x1000, &rx);
	memset(rx.ptr, 0, rx.size);
	rc = cgpu_nic_init(gfd, &nic, 8, 8);
	/* 1 */
	if (!check_rc(rc, "NIC rings (8 TX, 8 RX descriptors) programmed, TX and RX enabled")) {
		tap_fail_rest("no NIC rings");
		return tap_done();
	}
	/* RX buffers first, so that looped frames find them */
	for (i = 0; i < 4; i++)
		ridx[i] = cgpu_nic_post_rx(&nic, rx.bus + (uint64_t)i * 0x1000, 2048);
	tx0 = reg(COSIM_GPU_REG_NIC_TX_FRAMES);
	rx0 = reg(COSIM_GPU_REG_NIC_RX_FRAMES);
	drops0 = reg(COSIM_GPU_REG_NIC_RX_DROPS);
	irq_snapshot(i0);

	for (i = 0; i < NF; i++) {	/* broadcast, local experimental ethertype, seeded payload */
		f = (uint8_t *)tx.ptr + offs[i];
		memset(f, 0xff, 6);
		memcpy(f + 6, "\x52\x54\x00\xc0\xde\x01", 6);
		f[12] = 0x88;
		f[13] = 0xb5;
		cgpu_rng_fill(&grng, f + 14, lens[i] - 14);
		f[14] = (uint8_t)i;
		idx[i] = cgpu_nic_send(&nic, tx.bus + offs[i], lens[i]);
	}
	/* 2-4 */
	for (i = 0; i < NF; i++) {
		rc = idx[i] < 0 ? idx[i] : cgpu_nic_wait(&nic, 0, idx[i], 5000, &d);
		tap_ok(!rc && d.status == COSIM_GPU_NIC_DESC_STATUS_DONE_MASK && d.len == lens[i],
		       "TX %u-byte frame at buffer+0x%x: descriptor %d DONE, no ERROR, LEN kept (%s, STATUS 0x%x LEN %u)",
		       lens[i], offs[i], idx[i], rc ? strerror(-rc) : "ok", rc ? 0 : d.status, rc ? 0 : d.len);
	}
	usleep(20000);
	tx1 = reg(COSIM_GPU_REG_NIC_TX_FRAMES);
	irq_snapshot(i1);
	/* 5-6 */
	tap_ok(tx1 - tx0 == NF && reg(COSIM_GPU_REG_NIC_TX_HEAD) == NF,
	       "NIC_TX_FRAMES +%d (+%llu), NIC_TX_HEAD %d (%llu)", NF, (unsigned long long)(tx1 - tx0), NF,
	       (unsigned long long)reg(COSIM_GPU_REG_NIC_TX_HEAD));
	/* With INTx the driver's handler clears INT_STATUS itself: only the count says. */
	tap_ok(i1[COSIM_GPU_VEC_NIC] > i0[COSIM_GPU_VEC_NIC] &&
	       (intx || (reg(COSIM_GPU_REG_INT_STATUS) & COSIM_GPU_INT_STATUS_NIC_TX_MASK)),
	       "NIC interrupt (vector %d +%llu)%s", COSIM_GPU_VEC_NIC,
	       (unsigned long long)(i1[COSIM_GPU_VEC_NIC] - i0[COSIM_GPU_VEC_NIC]),
	       intx ? " (INTx: the driver cleared INT_STATUS)" : " and INT_STATUS.NIC_TX");

	/* 7: a bad length */
	idx[0] = cgpu_nic_send(&nic, tx.bus, COSIM_GPU_NIC_MAX_FRAME + 1);
	rc = idx[0] < 0 ? idx[0] : cgpu_nic_wait(&nic, 0, idx[0], 5000, &d);
	tap_ok(!rc && d.status == (COSIM_GPU_NIC_DESC_STATUS_DONE_MASK | COSIM_GPU_NIC_DESC_STATUS_ERROR_MASK) &&
	       reg(COSIM_GPU_REG_NIC_TX_FRAMES) == tx1,
	       "TX of %d bytes (> NIC_MAX_FRAME): DONE|ERROR, not sent (%s, STATUS 0x%x, NIC_TX_FRAMES %llu)",
	       COSIM_GPU_NIC_MAX_FRAME + 1, rc ? strerror(-rc) : "ok", rc ? 0 : d.status,
	       (unsigned long long)reg(COSIM_GPU_REG_NIC_TX_FRAMES));

	/* 8-10: RX of the looped frames */
	rc = cgpu_nic_wait(&nic, 1, ridx[0], loop ? 5000 : 1000, &d);
	if (rc && !loop) {
		tap_skip("no NIC loop on the host: boot with cosim.nic=loop and a netdev that returns frames",
			 "RX: the %d frames come back into the posted buffers", NF);
		tap_skip("no NIC loop", "RX: NIC_RX_FRAMES counts them");
		tap_ok(reg(COSIM_GPU_REG_NIC_RX_DROPS) == drops0 && reg(COSIM_GPU_REG_NIC_RX_HEAD) == 0,
		       "RX: nothing received, nothing dropped (NIC_RX_DROPS +%llu, NIC_RX_HEAD %llu)",
		       (unsigned long long)(reg(COSIM_GPU_REG_NIC_RX_DROPS) - drops0),
		       (unsigned long long)reg(COSIM_GPU_REG_NIC_RX_HEAD));
	} else {
		int bad = 0;

		for (i = 0; i < NF; i++) {
			char desc[120];

			rc = cgpu_nic_wait(&nic, 1, ridx[i], 5000, &d);
			if (rc || d.status != COSIM_GPU_NIC_DESC_STATUS_DONE_MASK || d.len != lens[i]) {
				if (!bad++)
					tap_diag("RX descriptor %d: %s, STATUS 0x%x LEN %u (want DONE, %u)", ridx[i],
						 rc ? strerror(-rc) : "done", rc ? 0 : d.status, rc ? 0 : d.len, lens[i]);
			} else if (diff_bytes((uint8_t *)rx.ptr + (size_t)i * 0x1000, (uint8_t *)tx.ptr + offs[i],
					      lens[i], desc, sizeof(desc))) {
				if (!bad++)
					tap_diag("RX frame %d (%u bytes): %s", i, lens[i], desc);
			}
		}
		tap_ok(!bad, "RX: the %d frames came back into the posted buffers unchanged (%d wrong)", NF, bad);
		rx1 = reg(COSIM_GPU_REG_NIC_RX_FRAMES);
		tap_ok(rx1 - rx0 == NF && reg(COSIM_GPU_REG_NIC_RX_HEAD) == NF, "RX: NIC_RX_FRAMES +%d (+%llu), NIC_RX_HEAD %llu",
		       NF, (unsigned long long)(rx1 - rx0), (unsigned long long)reg(COSIM_GPU_REG_NIC_RX_HEAD));
		tap_ok(reg(COSIM_GPU_REG_NIC_RX_DROPS) == drops0, "RX: nothing dropped (NIC_RX_DROPS +%llu)",
		       (unsigned long long)(reg(COSIM_GPU_REG_NIC_RX_DROPS) - drops0));
	}
	cgpu_nic_fini(&nic);
	return tap_done();
}
