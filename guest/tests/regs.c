/* regs - register access smoke test: identity, SCRATCH at every size, REGFILE,
 * BAR2 RAM, and the driver's bounds checks (EINVAL). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cosim_test.h"

#define PLAN 20

static void expect_einval(int rc, const char *what)
{
	if (rc == -EINVAL)
		tap_ok(1, "%s refused with EINVAL", what);
	else
		tap_fail(rc ? strerror(-rc) : "accepted", "%s refused with EINVAL", what);
}

int main(void)
{
	struct cosim_info info;
	uint64_t v, v2, bar0_len;
	int fd, rc, i;

	tap_plan(PLAN);
	fd = cosim_open();
	if (fd < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot open %s: %s", cosim_path(), strerror(errno));
		tap_fail_rest(why);
		return tap_done();
	}

	rc = cosim_info(fd, &info);
	if (rc) {
		tap_fail(strerror(-rc), "COSIM_IOC_INFO");
		tap_fail_rest("no device info");
		return tap_done();
	}
	tap_diag("%s %04x:%04x class %06x rev %u, %u vector(s), BARs 0x%x: %llu/%llu/%llu bytes",
		 info.pci_name, info.vendor, info.device, info.class_code, info.revision,
		 info.num_vectors, info.bar_mask, (unsigned long long)info.bar_len[0],
		 (unsigned long long)info.bar_len[1], (unsigned long long)info.bar_len[2]);
	/* 1 */
	tap_ok(info.uapi_version == COSIM_UAPI_VERSION && info.vendor == EXAMPLE_VENDOR &&
	       info.device == EXAMPLE_DEVICE && info.class_code == EXAMPLE_CLASS,
	       "device info: 1234:c051 class 120000 (got %04x:%04x class %06x)",
	       info.vendor, info.device, info.class_code);
	/* 2 */
	bar0_len = info.bar_len[0];
	tap_ok(bar0_len == 0x10000 && info.bar_len[2] == 0x1000 && (info.bar_mask & 5) == 5,
	       "BAR0 64 KiB, BAR2 4 KiB (got 0x%llx, 0x%llx)",
	       (unsigned long long)bar0_len, (unsigned long long)info.bar_len[2]);

	/* 3-5: identity */
	rc = cosim_read(fd, 0, REG_ID, 8, &v);
	tap_ok(!rc && v == EXAMPLE_ID, "ID as 8-byte read = 0x%016llx (got 0x%016llx%s%s)",
	       EXAMPLE_ID, (unsigned long long)v, rc ? ", " : "", rc ? strerror(-rc) : "");
	rc = cosim_read(fd, 0, REG_ID, 4, &v);
	tap_ok(!rc && v == (EXAMPLE_ID & 0xffffffffu), "ID low half as 4-byte read (got 0x%08llx)",
	       (unsigned long long)v);
	rc = cosim_read(fd, 0, REG_ID + 4, 4, &v);
	tap_ok(!rc && v == (EXAMPLE_ID >> 32), "ID high half as 4-byte read (got 0x%08llx)",
	       (unsigned long long)v);

	/* 6-9: SCRATCH at sizes 8, 4, 2, 1 */
	{
		static const unsigned sizes[] = { 8, 4, 2, 1 };
		static const uint64_t pat[] = { 0x0123456789abcdefull, 0xdeadbeef, 0xa55a, 0x3c };

		for (i = 0; i < 4; i++) {
			unsigned s = sizes[i];

			v = 0;
			rc = cosim_write(fd, 0, REG_SCRATCH, s, pat[i]);
			if (!rc)
				rc = cosim_read(fd, 0, REG_SCRATCH, s, &v);
			tap_ok(!rc && v == pat[i], "SCRATCH %u-byte write/read 0x%llx (got 0x%llx%s%s)",
			       s, (unsigned long long)pat[i], (unsigned long long)v,
			       rc ? ", " : "", rc ? strerror(-rc) : "");
		}
	}

	/* 10: CYCLE advances */
	v = v2 = 0;
	rc = cosim_read(fd, 0, REG_CYCLE, 8, &v);
	usleep(1000);
	if (!rc)
		rc = cosim_read(fd, 0, REG_CYCLE, 8, &v2);
	tap_ok(!rc && v2 > v, "CYCLE advances between reads (%llu -> %llu)",
	       (unsigned long long)v, (unsigned long long)v2);

	/* 11: REGFILE */
	{
		int bad = 0;

		for (i = 0; i < REG_REGFILE_COUNT; i++)
			if (cosim_write(fd, 0, REG_REGFILE + 8 * i, 8,
					0x1111111111111111ull * (i + 1) ^ ((uint64_t)i << 56)))
				bad++;
		for (i = 0; i < REG_REGFILE_COUNT; i++) {
			uint64_t want = 0x1111111111111111ull * (i + 1) ^ ((uint64_t)i << 56);

			if (cosim_read(fd, 0, REG_REGFILE + 8 * i, 8, &v) || v != want) {
				if (!bad)
					tap_diag("REGFILE[%d] = 0x%016llx, want 0x%016llx", i,
						 (unsigned long long)v, (unsigned long long)want);
				bad++;
			}
		}
		tap_ok(!bad, "REGFILE 16 x 64-bit write/read back (%d mismatches)", bad);
	}

	/* 12-13: BAR2 RAM */
	v = 0;
	rc = cosim_write(fd, 2, 0xff8, 8, 0xfeedfacecafef00dull);
	if (!rc)
		rc = cosim_read(fd, 2, 0xff8, 8, &v);
	tap_ok(!rc && v == 0xfeedfacecafef00dull, "BAR2 RAM last qword write/read (got 0x%llx%s%s)",
	       (unsigned long long)v, rc ? ", " : "", rc ? strerror(-rc) : "");
	v = 0;
	rc = cosim_write(fd, 2, 0x100, 4, 0x600dcafe);
	if (!rc)
		rc = cosim_read(fd, 2, 0x100, 4, &v);
	tap_ok(!rc && v == 0x600dcafe, "BAR2 RAM dword write/read (got 0x%llx%s%s)",
	       (unsigned long long)v, rc ? ", " : "", rc ? strerror(-rc) : "");

	/* 14-20: bounds checks */
	expect_einval(cosim_read(fd, 0, bar0_len, 4, &v), "read at BAR0 length");
	expect_einval(cosim_read(fd, 0, bar0_len - 4, 8, &v), "8-byte read straddling BAR0 end");
	expect_einval(cosim_write(fd, 0, bar0_len + 0x1000, 8, 0), "write beyond BAR0");
	expect_einval(cosim_read(fd, 0, REG_SCRATCH, 3, &v), "3-byte access");
	expect_einval(cosim_write(fd, 2, 0x1000, 1, 0), "write at BAR2 length");
	expect_einval(cosim_read(fd, 1, 0, 4, &v), "absent BAR1");
	expect_einval(cosim_read(fd, 6, 0, 4, &v), "BAR index 6");

	close(fd);
	return tap_done();
}
