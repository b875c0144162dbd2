/* gpu_vadd - DISPATCH VADD (C[i] = A[i] + B[i], int32 wrapping) on random
 * data from the seed, checked against the CPU for grid sizes around the
 * 8-lane line (1, 7, 8, 9), larger ones, the maximum here (65536) and a
 * random one; lanes past COUNT must not be written. */
#include "gpu_test.h"

static const uint32_t counts[] = { 1, 7, 8, 9, 1000, 4099, KERNEL_MAX_COUNT, 0 /* random */ };
#define N (int)(sizeof(counts) / sizeof(counts[0]))

int main(void)
{
	int i;

	if (gpu_start(N))
		return tap_done();
	for (i = 0; i < N; i++)
		check_kernel(COSIM_GPU_KERNEL_VADD, counts[i] ? counts[i] : 1 + cgpu_rng_below(&grng, KERNEL_MAX_COUNT), 0, 0);
	return tap_done();
}
