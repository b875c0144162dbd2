/* gpu_reduce - DISPATCH REDUCE_SUM (the int64 at C = sum of the
 * sign-extended int32 A[i]) on random full-range data from the seed, checked
 * against the CPU; COUNT 0 writes 0; C 8-byte aligned (not 32); the 8 bytes
 * after C untouched. */
#include "gpu_test.h"

static const uint32_t counts[] = { 0, 1, 7, 8, 9, 1000, 4099, KERNEL_MAX_COUNT, 0xffffffff /* random */ };
#define N (int)(sizeof(counts) / sizeof(counts[0]))

int main(void)
{
	int i;

	if (gpu_start(N))
		return tap_done();
	for (i = 0; i < N; i++)
		check_kernel(COSIM_GPU_KERNEL_REDUCE_SUM,
			     counts[i] == 0xffffffff ? 1 + cgpu_rng_below(&grng, KERNEL_MAX_COUNT) : counts[i], 0, 0);
	return tap_done();
}
