/* gpu_saxpy - DISPATCH SAXPY (C[i] = ALPHA * A[i] + B[i], int32, low 32
 * bits of the product, wrapping) on random data from the seed: alpha 0, 1,
 * -1, a large one that overflows, random ones; in place (C = B) too. */
#include "gpu_test.h"

struct c_ {
	uint32_t count;
	int32_t alpha;
	int inplace;
};

int main(void)
{
	struct c_ cases[] = {
		{ 9, 0, 0 }, { 1000, 1, 0 }, { 1001, -1, 0 }, { 4096, 0x7fffffff, 0 },
		{ 17, 3, 1 }, { 30000, 0, 1 }, { 0, 0, 0 }, { 0, 0, 1 },
	};
	int i, n = (int)(sizeof(cases) / sizeof(cases[0]));

	if (gpu_start(n))
		return tap_done();
	for (i = 0; i < n; i++) {
		if (!cases[i].count) {	/* random count and alpha */
			cases[i].count = 1 + cgpu_rng_below(&grng, KERNEL_MAX_COUNT);
			cases[i].alpha = (int32_t)cgpu_rng_next(&grng);
		} else if (cases[i].count == 30000) {
			cases[i].alpha = (int32_t)cgpu_rng_next(&grng);
		}
		check_kernel(COSIM_GPU_KERNEL_SAXPY, cases[i].count, cases[i].alpha, cases[i].inplace);
	}
	return tap_done();
}
