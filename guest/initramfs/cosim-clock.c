/* cosim-clock - prints CLOCK_MONOTONIC in nanoseconds (busybox date has no %N);
 * the runner uses it for the ns= field of "# cosim-test-end". */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	return 0;
}
