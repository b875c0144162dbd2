/* cosim-pattern SEED BYTES - writes BYTES pseudo-random bytes derived from
 * SEED to stdout: the payload of `cosim compare`'s TCP transfers, the same in
 * every VM for a given --seed (busybox has no seeded generator). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t x, left;
	uint8_t buf[65536];
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: cosim-pattern SEED BYTES\n");
		return 2;
	}
	x = strtoull(argv[1], &end, 0) * 0x9e3779b97f4a7c15ull + 1;
	if (*end) {
		fprintf(stderr, "cosim-pattern: bad SEED '%s'\n", argv[1]);
		return 2;
	}
	left = strtoull(argv[2], &end, 0);
	if (*end) {
		fprintf(stderr, "cosim-pattern: bad BYTES '%s'\n", argv[2]);
		return 2;
	}
	while (left) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf), i, off = 0;

		for (i = 0; i < n; i += 8) {	/* xorshift64* */
			uint64_t v;

			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			v = x * 0x2545f4914f6cdd1dull;
			memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
		}
		while (off < n) {
			ssize_t w = write(1, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				perror("cosim-pattern: write");
				return 1;
			}
			off += (size_t)w;
		}
		left -= n;
	}
	return 0;
}
