/* fault_panic - crashes the guest kernel (sysrq 'c'). Not in any suite: the
 * host's failure tests use it to check that `cosim regress` reboots and runs
 * the tests after it. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "cosim_test.h"

int main(void)
{
	int fd;

	tap_plan(1);
	fflush(stdout);
	sync();
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd < 0 || write(fd, "c", 1) != 1) {
		tap_fail("no /proc/sysrq-trigger", "crash the kernel");
		return tap_done();
	}
	for (;;)
		pause();
}
