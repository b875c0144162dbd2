/* fault_hang - a test that never finishes. Not in any suite: the host's
 * failure tests use it to check that a hung test is killed at its timeout,
 * reported with the last transaction the broker saw, and that the suite goes on. */
#include <stdio.h>
#include <unistd.h>
#include "cosim_test.h"

int main(void)
{
	int fd = cosim_open();

	tap_plan(1);
	if (fd >= 0)
		(void)rd64(fd, REG_ID); /* leave a transaction for the report */
	fflush(stdout);
	for (;;)
		pause();
}
