/* gpu_compute - runs one GPU workload on inputs from the seed and writes its
 * result bytes, and nothing else, to stdout.
 *
 *   gpu_compute [--cpu] [--seed N] [--size BYTES] KERNEL
 *   gpu_compute --list
 *
 * Made for dual-VM comparison runs (cosim compare): the same command runs in
 * a VM with the GPU and in a baseline VM without it, and the host compares
 * the two streams. So both paths draw the same inputs from the same seed, the
 * CPU path computes what the device must produce (libcosimgpu's cgpu_ref_*,
 * the reference the suite's tests check against), and the only other output
 * is one line on stderr naming the path. Not a TAP test: gpu_test.c's helpers
 * print to stdout, so only libcosimgpu is used here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cosimgpu.h"

enum kind { K_COPY, K_COPY_VRAM, K_FILL, K_DISPATCH };

struct kernel {
	const char *name;
	enum kind kind;
	unsigned dispatch;	/* COSIM_GPU_KERNEL_* for K_DISPATCH */
	size_t def_size, max_size;
	unsigned unit;		/* --size must be a multiple of it */
	const char *help;
};

/* Odd offsets of up to a page: neither end is word aligned, so the copy
 * engine's byte shift and strobed first and last beats are always used. */
#define MAX_OFF		4096
/* Three int32 vectors, each on KERNEL_ALIGN, must fit in VRAM. */
#define VEC_MAX		((COSIM_GPU_VRAM_SIZE / 3) & ~(size_t)(COSIM_GPU_KERNEL_ALIGN - 1))

/*
 * Default sizes: about 70 KiB, a fraction of a second of DMA on the
 * co-simulated GPU. Odd copy and fill lengths because an engine that stops
 * one byte short (COSIM_BUG_COPY_SHORT) differs only in the last byte; 16385
 * elements leave one lane of the last 8-lane line inside COUNT. The largest
 * sizes: a DMA buffer (COSIM_DMA_MAX_SIZE) or VRAM, less the offsets.
 */
static const struct kernel kernels[] = {
	{ "copy", K_COPY, 0, 70001, COSIM_DMA_MAX_SIZE - MAX_OFF, 1,
	  "COPY guest->guest of BYTES random bytes, odd source and destination offsets" },
	{ "copy_vram", K_COPY_VRAM, 0, 70001, COSIM_GPU_VRAM_SIZE - MAX_OFF, 1,
	  "COPY guest->VRAM->guest round trip (odd offsets on all three sides)" },
	{ "fill", K_FILL, 0, 70001, COSIM_DMA_MAX_SIZE - MAX_OFF, 1,
	  "FILL of BYTES in guest memory with a random 32-bit pattern at an odd address" },
	{ "vadd", K_DISPATCH, COSIM_GPU_KERNEL_VADD, 65540, VEC_MAX, 4,
	  "DISPATCH VADD on BYTES/4 random int32 pairs; C (BYTES) is the result" },
	{ "saxpy", K_DISPATCH, COSIM_GPU_KERNEL_SAXPY, 65540, VEC_MAX, 4,
	  "DISPATCH SAXPY, random alpha, on BYTES/4 random int32 pairs; C (BYTES)" },
	{ "reduce", K_DISPATCH, COSIM_GPU_KERNEL_REDUCE_SUM, 65540, COSIM_GPU_VRAM_SIZE - 32, 4,
	  "DISPATCH REDUCE_SUM of BYTES/4 random int32; the int64 sum (8 bytes, little-endian)" },
};
#define NKERNELS (sizeof(kernels) / sizeof(kernels[0]))

struct job {
	const struct kernel *k;
	uint32_t size;			/* --size */
	uint32_t so, dof, voff;		/* copies: source, destination, VRAM offsets */
	uint32_t pattern;		/* fill */
	uint32_t count;			/* dispatch: elements */
	int32_t alpha;			/* saxpy */
	uint8_t *src;			/* copy source */
	int32_t *a, *b;			/* dispatch operands */
	size_t out_len;
};

static void fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("gpu_compute: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fail(1, "out of memory (%zu bytes)", n);
	return p;
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gpu_compute [--cpu] [--seed N] [--size BYTES] KERNEL\n"
		   "       gpu_compute --list\n"
		   "Writes KERNEL's result bytes to stdout: computed on the GPU when %s is the GPU,\n"
		   "else (or with --cpu) by the CPU reference. Seed: --seed, else $COSIM_SEED, else 1.\n"
		   "KERNEL:\n", cgpu_default_path());
	for (i = 0; i < NKERNELS; i++)
		fprintf(f, "  %-10s %s\n  %-10s --size: default %zu, at most %zu%s\n", kernels[i].name,
			kernels[i].help, "", kernels[i].def_size, kernels[i].max_size,
			kernels[i].unit > 1 ? ", a multiple of 4" : "");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static uint32_t odd_offset(struct cgpu_rng *r)
{
	return 1 + 2 * cgpu_rng_below(r, MAX_OFF / 2);
}

/* The inputs, drawn the same way on both paths. */
static void gen(struct job *j, uint64_t seed)
{
	struct cgpu_rng r;

	cgpu_rng_seed(&r, seed);
	switch (j->k->kind) {
	case K_COPY:
	case K_COPY_VRAM:
		j->so = odd_offset(&r);
		j->dof = odd_offset(&r);
		j->voff = odd_offset(&r);
		j->src = xmalloc(j->size);
		cgpu_rng_fill(&r, j->src, j->size);
		j->out_len = j->size;
		break;
	case K_FILL:
		j->dof = odd_offset(&r);
		j->pattern = (uint32_t)cgpu_rng_next(&r);
		j->out_len = j->size;
		break;
	case K_DISPATCH:
		j->count = j->size / 4;
		j->a = xmalloc(j->size);
		j->b = xmalloc(j->size);
		cgpu_rng_fill(&r, j->a, j->size);
		cgpu_rng_fill(&r, j->b, j->size);
		j->alpha = (int32_t)cgpu_rng_next(&r);
		j->out_len = j->k->dispatch == COSIM_GPU_KERNEL_REDUCE_SUM ? 8 : j->size;
		break;
	}
}

static void cpu(const struct job *j, void *out)
{
	switch (j->k->kind) {
	case K_COPY:
	case K_COPY_VRAM:
		memcpy(out, j->src, j->size);
		break;
	case K_FILL:
		cgpu_ref_fill(out, j->size, j->pattern);
		break;
	case K_DISPATCH:
		cgpu_ref_dispatch(j->k->dispatch, j->count, j->a, j->b, out, j->alpha);
		break;
	}
}

/*
 * Every byte the device should write first holds the complement of the byte
 * it should write: a byte it skips can then never match by chance, nor by
 * being left over from an earlier run with the same seed.
 */
static void poison(uint8_t *dst, const uint8_t *want, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (uint8_t)~want[i];
}

/* The same in VRAM through BAR4, independent of the copy engine under test;
 * 8-byte stores, as byte stores would cost an MMIO round trip per byte. */
static void poison_vram(int fd, uint64_t off, const uint8_t *want, size_t len)
{
	volatile uint8_t *vram = cgpu_map_bar(fd, COSIM_GPU_BAR_VRAM, COSIM_GPU_VRAM_SIZE);
	uint64_t lo = off & ~7ull, hi = (off + len + 7) & ~7ull, i;
	uint8_t *img = xmalloc(hi - lo);

	if (!vram)
		fail(1, "cannot map BAR4 (VRAM): %s", strerror(errno));
	memset(img, 0, hi - lo);
	poison(img + (off - lo), want, len);
	for (i = lo; i < hi; i += 8) {
		uint64_t v;

		memcpy(&v, img + (i - lo), 8);
		*(volatile uint64_t *)(vram + i) = v;
	}
	cgpu_unmap_bar(vram, COSIM_GPU_VRAM_SIZE);
	free(img);
}

static void must_alloc(int fd, size_t size, struct cgpu_buf *b)
{
	int rc = cgpu_buf_alloc(fd, size ? size : 1, b);

	if (rc)
		fail(1, "DMA buffer of %zu bytes: %s", size, strerror(-rc));
}

/* The device's capabilities cover the job (VRAM size, the kernel). */
static void check_caps(int fd, const struct job *j)
{
	uint64_t caps = 0;
	int rc = cgpu_rd(fd, COSIM_GPU_REG_CAPS, &caps);
	unsigned log2 = (unsigned)((caps & COSIM_GPU_CAPS_VRAM_LOG2_MASK) >> COSIM_GPU_CAPS_VRAM_LOG2_SHIFT);
	unsigned kmask = (unsigned)((caps & COSIM_GPU_CAPS_KERNELS_MASK) >> COSIM_GPU_CAPS_KERNELS_SHIFT);
	int uses_vram = j->k->kind == K_COPY_VRAM || j->k->kind == K_DISPATCH;

	if (rc)
		fail(1, "reading CAPS: %s", strerror(-rc));
	if (uses_vram && (log2 >= 64 || (1ull << log2) < COSIM_GPU_VRAM_SIZE))
		fail(1, "%s: the GPU has %llu bytes of VRAM, not %u (CAPS 0x%llx)", j->k->name,
		     log2 >= 64 ? 0ull : 1ull << log2, COSIM_GPU_VRAM_SIZE, (unsigned long long)caps);
	if (j->k->kind == K_DISPATCH && !(kmask & (1u << j->k->dispatch)))
		fail(1, "%s: the GPU does not implement kernel %u (CAPS 0x%llx)", j->k->name,
		     j->k->dispatch, (unsigned long long)caps);
}

static void gpu(const struct job *j, int fd, const uint8_t *want, uint8_t *out)
{
	struct cgpu_buf in = { 0 }, res = { 0 };
	union cgpu_cmd c[3];
	uint8_t *result;
	uint64_t moved;		/* DMA bytes, for the timeout */
	unsigned n = 0, timeout_ms;
	char state[256];
	int rc;

	check_caps(fd, j);
	switch (j->k->kind) {
	case K_COPY:
	case K_COPY_VRAM:
		must_alloc(fd, j->so + j->size, &in);
		must_alloc(fd, j->dof + j->size, &res);
		memcpy((uint8_t *)in.ptr + j->so, j->src, j->size);
		if (j->k->kind == K_COPY) {
			c[n++] = cgpu_copy(in.bus + j->so, res.bus + j->dof, j->size, 0);
			moved = 2ull * j->size;
		} else {
			poison_vram(fd, j->voff, want, j->size);
			c[n++] = cgpu_copy(in.bus + j->so, j->voff, j->size, CGPU_DST_VRAM);
			c[n++] = cgpu_copy(j->voff, res.bus + j->dof, j->size, CGPU_SRC_VRAM);
			moved = 4ull * j->size;
		}
		result = (uint8_t *)res.ptr + j->dof;
		break;
	case K_FILL:
		must_alloc(fd, j->dof + j->size, &res);
		c[n++] = cgpu_fill(res.bus + j->dof, j->size, j->pattern, 0);
		result = (uint8_t *)res.ptr + j->dof;
		moved = j->size;
		break;
	case K_DISPATCH:
	default: {
		/* VRAM: A at 0, B and C on the next lines; REDUCE_SUM's C on an
		 * 8-byte boundary that is not a line's, which the device allows. */
		uint64_t line = (j->size + COSIM_GPU_KERNEL_ALIGN - 1) & ~(uint64_t)(COSIM_GPU_KERNEL_ALIGN - 1);
		int reduce = j->k->dispatch == COSIM_GPU_KERNEL_REDUCE_SUM;
		uint64_t vc = reduce ? line + 8 : 2 * line, end = vc + j->out_len;

		/* One staging copy brings A, B and a poisoned C into VRAM. */
		must_alloc(fd, end, &in);
		must_alloc(fd, j->out_len, &res);
		memcpy(in.ptr, j->a, j->size);
		if (!reduce)
			memcpy((uint8_t *)in.ptr + line, j->b, j->size);
		poison((uint8_t *)in.ptr + vc, want, j->out_len);
		c[n++] = cgpu_copy(in.bus, 0, (uint32_t)end, CGPU_DST_VRAM);
		c[n++] = cgpu_dispatch(j->k->dispatch, j->count, 0, reduce ? 0 : line, vc, j->alpha, 0);
		c[n++] = cgpu_copy(vc, res.bus, (uint32_t)j->out_len, CGPU_SRC_VRAM);
		result = res.ptr;
		moved = end + j->out_len;
		break;
	}
	}
	poison(result, want, j->out_len);

	/* About a second per MiB of DMA under co-simulation: ten times that on
	 * top of the library's default still ends a hung device. */
	timeout_ms = CGPU_TIMEOUT_MS + (unsigned)(moved / 100);
	rc = cgpu_run(fd, c, n, timeout_ms);
	if (rc == -ETIMEDOUT)
		fail(1, "%s: the GPU did not finish within %u ms (%s)", j->k->name, timeout_ms,
		     cgpu_describe(fd, state, sizeof(state)));
	if (rc == -EIO)
		fail(1, "%s: the GPU reported an error (%s)", j->k->name, cgpu_describe(fd, state, sizeof(state)));
	if (rc)
		fail(1, "%s: %s (%s)", j->k->name, strerror(-rc), cgpu_describe(fd, state, sizeof(state)));
	memcpy(out, result, j->out_len);
	if (in.ptr)
		cgpu_buf_free(fd, &in);
	cgpu_buf_free(fd, &res);
}

static int write_all(const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(STDOUT_FILENO, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", no_argument, NULL, 'c' }, { "seed", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'n' }, { "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *path = cgpu_default_path();
	char why[300] = "";
	uint64_t seed = cgpu_env_seed(1), size = 0;
	int opt, force_cpu = 0, have_size = 0, fd = -1, rc;
	struct job j = { 0 };
	uint8_t *want, *out;
	size_t i;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			force_cpu = 1;
			break;
		case 's':
			if (parse_u64(optarg, &seed))
				fail(2, "--seed wants a number (decimal or 0x hex), not '%s'", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &size))
				fail(2, "--size wants a number of bytes, not '%s'", optarg);
			have_size = 1;
			break;
		case 'l':
			for (i = 0; i < NKERNELS; i++)
				printf("%s\n", kernels[i].name);
			return fflush(stdout) ? 1 : 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NKERNELS && !j.k; i++)
		if (!strcmp(argv[optind], kernels[i].name))
			j.k = &kernels[i];
	if (!j.k)
		fail(2, "unknown kernel '%s' (gpu_compute --list names them)", argv[optind]);
	if (!have_size)
		size = j.k->def_size;
	if (size > j.k->max_size)
		fail(2, "%s: --size %llu is over the largest, %zu bytes", j.k->name,
		     (unsigned long long)size, j.k->max_size);
	if (size % j.k->unit)
		fail(2, "%s: --size %llu is not a multiple of %u (int32 elements)", j.k->name,
		     (unsigned long long)size, j.k->unit);
	j.size = (uint32_t)size;

	/* A device that is there but cannot be used is an error, never a quiet
	 * CPU run: the comparison would then match without the GPU. */
	if (force_cpu) {
		snprintf(why, sizeof(why), "--cpu");
	} else {
		fd = cgpu_open(path);
		if (fd == -ENOENT) {
			snprintf(why, sizeof(why), "no %s", path);
		} else if (fd < 0) {
			fail(1, "cannot open %s: %s", path, strerror(-fd));
		} else {
			rc = cgpu_is_gpu(fd);
			if (rc < 0)
				fail(1, "%s: GPU status: %s", path, strerror(-rc));
			if (!rc)
				snprintf(why, sizeof(why), "%s is not the GPU", path);
		}
	}
	gen(&j, seed);
	want = xmalloc(j.out_len);
	cpu(&j, want);
	if (*why) {
		fprintf(stderr, "gpu_compute: %s %u bytes on the CPU (%s)\n", j.k->name, j.size, why);
		out = want;
	} else {
		fprintf(stderr, "gpu_compute: %s %u bytes on the GPU\n", j.k->name, j.size);
		out = xmalloc(j.out_len);
		gpu(&j, fd, want, out);
	}
	rc = write_all(out, j.out_len);
	if (rc)
		fail(1, "writing %zu bytes to stdout: %s", j.out_len, strerror(-rc));
	return 0;
}
