// SPDX-License-Identifier: GPL-2.0-only
/*
 * ssgen: data and digests for the dm-subsist test cases (guest tool).
 *
 *   ssgen crc32c FILE|-             the digest as the kernel crypto API's
 *                                   "crc32c" shash returns it, in hex (the
 *                                   final CRC's little-endian bytes in order:
 *                                   crc 0x12345678 -> "78563412")
 *   ssgen blocks BYTES FILE|-       one crc32c digest per BYTES-sized block
 *                                   (a short last block is digested as it is)
 *   ssgen collide SEED OUT1 OUT2 [BYTES]
 *                                   two different blocks (default 4096 bytes,
 *                                   random from SEED) with equal crc32c; the
 *                                   last 4 bytes of OUT2 are solved for;
 *                                   prints both digests
 *   ssgen block SEED BYTES          BYTES of deterministic random data from
 *                                   SEED to standard output
 *   ssgen cmp A B                   0 when the files are equal, 1 when they
 *                                   differ (prints the first differing byte)
 *   ssgen nonzero BYTES FILE|-      how many BYTES-sized blocks of the file
 *                                   hold a byte other than zero
 *
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) starts from ~0 and
 * is inverted at the end, like crc32c_generic.c.  A CRC is affine over
 * GF(2) in its message bits, so a block with the same CRC as another is
 * found by solving a 32x32 linear system for the block's last 32 bits.
 *
 * The host unit test (tests/unit/test_ssgen.c) builds this file with
 * SSGEN_LIB defined, without main().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SSGEN_POLY	0x82f63b78u
#define SSGEN_MAX	(1u << 30)

static uint32_t ssgen_table[256];

static void ssgen_table_init(void)
{
	uint32_t c;
	int i, k;

	if (ssgen_table[1])
		return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ SSGEN_POLY : c >> 1;
		ssgen_table[i] = c;
	}
}

/* The raw register update (no initial or final inversion). */
static uint32_t ssgen_crc_update(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	ssgen_table_init();
	while (len--)
		crc = ssgen_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* crc32c as the kernel's shash computes it: ~update(~0, data). */
static uint32_t ssgen_crc32c(const void *data, size_t len)
{
	return ~ssgen_crc_update(~0u, data, len);
}

/* The shash digest in hex: the CRC's little-endian bytes in order. */
static void ssgen_hex(uint32_t crc, char out[9])
{
	snprintf(out, 9, "%02x%02x%02x%02x", crc & 0xff, (crc >> 8) & 0xff,
		 (crc >> 16) & 0xff, crc >> 24);
}

/* splitmix64: a deterministic stream from a 64-bit seed. */
static uint64_t ssgen_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* @len bytes of the stream of @seed; the same seed gives the same bytes. */
static void ssgen_fill(uint64_t seed, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t s = seed, v;
	size_t i, n;

	for (i = 0; i < len; i += 8) {
		v = ssgen_next(&s);
		n = len - i < 8 ? len - i : 8;
		memcpy(p + i, &v, n);
	}
}

static void ssgen_put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/*
 * Set the last 4 bytes of @buf (@len >= 4) so that crc32c(buf) == @want.
 * f(x) = crc32c(prefix || x) = f(0) ^ L(x) with L linear in the 32 bits
 * of x; solve L(x) = want ^ f(0) by Gauss-Jordan elimination over GF(2).
 * Returns 0, or -1 if the system is singular (it never is for a CRC: the
 * last 32 bits of a message map one to one onto its CRC).
 */
static int ssgen_force_crc(unsigned char *buf, size_t len, uint32_t want)
{
	uint32_t col[32], rhs, base, pre, row_mask[32], rows[32];
	unsigned char tail[4];
	int bit, r, c, piv;
	uint64_t sol;

	if (len < 4)
		return -1;
	pre = ssgen_crc_update(~0u, buf, len - 4);
	memset(tail, 0, 4);
	base = ~ssgen_crc_update(pre, tail, 4);
	for (bit = 0; bit < 32; bit++) {
		ssgen_put32(tail, 1u << bit);
		col[bit] = ~ssgen_crc_update(pre, tail, 4) ^ base;
	}
	rhs = want ^ base;
	/*
	 * Row r of the system: bit r of the CRC.  rows[r] holds, in bit c,
	 * coefficient L[r][c] = bit r of col[c]; row_mask[r] bit 0 is the
	 * right-hand side.
	 */
	for (r = 0; r < 32; r++) {
		rows[r] = 0;
		for (c = 0; c < 32; c++)
			rows[r] |= ((col[c] >> r) & 1u) << c;
		row_mask[r] = (rhs >> r) & 1u;
	}
	for (c = 0; c < 32; c++) {
		for (piv = c; piv < 32 && !((rows[piv] >> c) & 1u); piv++)
			;
		if (piv == 32)
			return -1;
		if (piv != c) {
			uint32_t t = rows[c], m = row_mask[c];

			rows[c] = rows[piv];
			row_mask[c] = row_mask[piv];
			rows[piv] = t;
			row_mask[piv] = m;
		}
		for (r = 0; r < 32; r++) {
			if (r != c && ((rows[r] >> c) & 1u)) {
				rows[r] ^= rows[c];
				row_mask[r] ^= row_mask[c];
			}
		}
	}
	sol = 0;
	for (c = 0; c < 32; c++)
		sol |= (uint64_t)row_mask[c] << c;
	ssgen_put32(buf + len - 4, (uint32_t)sol);
	return ssgen_crc32c(buf, len) == want ? 0 : -1;
}

/*
 * Two different blocks of @len bytes with equal crc32c: @a random from
 * @seed, @b random from another stream with its last 4 bytes solved for.
 */
static int ssgen_collide(uint64_t seed, unsigned char *a, unsigned char *b,
			 size_t len)
{
	uint64_t s2 = seed ^ 0x5bd1e9955bd1e995ull;

	if (len < 8)
		return -1;
	ssgen_fill(seed, a, len);
	do {
		ssgen_fill(s2++, b, len);
		if (ssgen_force_crc(b, len, ssgen_crc32c(a, len)))
			return -1;
	} while (!memcmp(a, b, len));
	return 0;
}

/* ---- the program ------------------------------------------------------- */

static int ssgen_usage(void)
{
	fprintf(stderr,
		"usage: ssgen crc32c FILE|-\n"
		"       ssgen blocks BYTES FILE|-\n"
		"       ssgen collide SEED OUT1 OUT2 [BYTES]\n"
		"       ssgen block SEED BYTES\n"
		"       ssgen cmp A B\n"
		"       ssgen nonzero BYTES FILE|-\n");
	return 2;
}

static int ssgen_num(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-';
}

/* A size argument: 1 .. SSGEN_MAX bytes. */
static int ssgen_size(const char *s, size_t *len)
{
	unsigned long long v;

	if (ssgen_num(s, &v) || !v || v > SSGEN_MAX) {
		fprintf(stderr, "ssgen: bad size '%s' (1..%u bytes)\n", s,
			SSGEN_MAX);
		return -1;
	}
	*len = v;
	return 0;
}

static int ssgen_open(const char *path)
{
	int fd;

	if (!strcmp(path, "-"))
		return 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fprintf(stderr, "ssgen: %s: %s\n", path, strerror(errno));
	return fd;
}

/* Read up to @len bytes (fewer only at the end of the file). */
static ssize_t ssgen_read(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	return done;
}

static int ssgen_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "ssgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_crc32c(int argc, char **argv)
{
	static unsigned char buf[1 << 16];
	uint32_t crc = ~0u;
	char hex[9];
	ssize_t n;
	int fd;

	if (argc != 1)
		return ssgen_usage();
	fd = ssgen_open(argv[0]);
	if (fd < 0)
		return 1;
	while ((n = ssgen_read(fd, buf, sizeof(buf))) > 0)
		crc = ssgen_crc_update(crc, buf, n);
	if (n < 0) {
		fprintf(stderr, "ssgen: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	ssgen_hex(~crc, hex);
	printf("%s\n", hex);
	return 0;
}

/*
 * Reads FILE (argv[1]) in blocks of BYTES (argv[0]) and hands each block
 * (the last may be shorter) to @fn.  Returns the command's exit status.
 */
static int ssgen_each_block(int argc, char **argv,
			    void (*fn)(const unsigned char *, size_t, void *),
			    void *ctx)
{
	unsigned char *buf;
	size_t len;
	ssize_t n;
	int fd, ret = 0;

	if (argc != 2)
		return ssgen_usage();
	if (ssgen_size(argv[0], &len))
		return 2;
	fd = ssgen_open(argv[1]);
	if (fd < 0)
		return 1;
	buf = malloc(len);
	if (!buf) {
		perror("ssgen: memory");
		return 1;
	}
	while ((n = ssgen_read(fd, buf, len)) > 0)
		fn(buf, n, ctx);
	if (n < 0) {
		fprintf(stderr, "ssgen: %s: %s\n", argv[1], strerror(errno));
		ret = 1;
	}
	free(buf);
	return ret;
}

static void print_digest(const unsigned char *buf, size_t n, void *ctx)
{
	char hex[9];

	(void)ctx;
	ssgen_hex(ssgen_crc32c(buf, n), hex);
	printf("%s\n", hex);
}

static int cmd_blocks(int argc, char **argv)
{
	return ssgen_each_block(argc, argv, print_digest, NULL);
}

static void count_nonzero(const unsigned char *buf, size_t n, void *ctx)
{
	size_t i;

	for (i = 0; i < n && !buf[i]; i++)
		;
	*(unsigned long long *)ctx += i < n;
}

static int cmd_nonzero(int argc, char **argv)
{
	unsigned long long count = 0;
	int ret = ssgen_each_block(argc, argv, count_nonzero, &count);

	if (!ret)
		printf("%llu\n", count);
	return ret;
}

static int cmd_collide(int argc, char **argv)
{
	unsigned long long seed;
	unsigned char *a, *b;
	size_t len = 4096;
	char ha[9], hb[9];
	int ret = 1;

	if (argc != 3 && argc != 4)
		return ssgen_usage();
	if (ssgen_num(argv[0], &seed)) {
		fprintf(stderr, "ssgen: bad seed '%s'\n", argv[0]);
		return 2;
	}
	if (argc == 4 && ssgen_size(argv[3], &len))
		return 2;
	if (len < 8) {
		fprintf(stderr, "ssgen: collide needs at least 8 bytes\n");
		return 2;
	}
	a = malloc(len);
	b = malloc(len);
	if (!a || !b) {
		perror("ssgen: memory");
		goto out;
	}
	if (ssgen_collide(seed, a, b, len)) {
		fprintf(stderr, "ssgen: no collision found\n");
		goto out;
	}
	if (ssgen_write_file(argv[1], a, len) || ssgen_write_file(argv[2], b, len))
		goto out;
	ssgen_hex(ssgen_crc32c(a, len), ha);
	ssgen_hex(ssgen_crc32c(b, len), hb);
	printf("%s %s\n", ha, hb);
	ret = 0;
out:
	free(a);
	free(b);
	return ret;
}

static int cmd_block(int argc, char **argv)
{
	unsigned long long seed;
	unsigned char *buf;
	size_t len;
	int ret = 0;

	if (argc != 2)
		return ssgen_usage();
	if (ssgen_num(argv[0], &seed)) {
		fprintf(stderr, "ssgen: bad seed '%s'\n", argv[0]);
		return 2;
	}
	if (ssgen_size(argv[1], &len))
		return 2;
	buf = malloc(len);
	if (!buf) {
		perror("ssgen: memory");
		return 1;
	}
	ssgen_fill(seed, buf, len);
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
		perror("ssgen: stdout");
		ret = 1;
	}
	free(buf);
	return ret;
}

static int cmd_cmp(int argc, char **argv)
{
	static unsigned char x[1 << 16], y[1 << 16];
	unsigned long long off = 0;
	ssize_t n, m, i;
	int fa, fb;

	if (argc != 2)
		return ssgen_usage();
	fa = ssgen_open(argv[0]);
	if (fa < 0)
		return 2;
	fb = ssgen_open(argv[1]);
	if (fb < 0)
		return 2;
	for (;;) {
		n = ssgen_read(fa, x, sizeof(x));
		m = ssgen_read(fb, y, sizeof(y));
		if (n < 0 || m < 0) {
			fprintf(stderr, "ssgen: read: %s\n", strerror(errno));
			return 2;
		}
		for (i = 0; i < n && i < m; i++) {
			if (x[i] != y[i]) {
				printf("differ at byte %llu: %02x %02x\n",
				       off + i, x[i], y[i]);
				return 1;
			}
		}
		if (n != m) {
			printf("differ in length after byte %llu\n",
			       off + (n < m ? n : m));
			return 1;
		}
		if (!n)
			return 0;
		off += n;
	}
}

int ssgen_main(int argc, char **argv)
{
	if (argc < 2)
		return ssgen_usage();
	if (!strcmp(argv[1], "crc32c"))
		return cmd_crc32c(argc - 2, argv + 2);
	if (!strcmp(argv[1], "blocks"))
		return cmd_blocks(argc - 2, argv + 2);
	if (!strcmp(argv[1], "collide"))
		return cmd_collide(argc - 2, argv + 2);
	if (!strcmp(argv[1], "block"))
		return cmd_block(argc - 2, argv + 2);
	if (!strcmp(argv[1], "cmp"))
		return cmd_cmp(argc - 2, argv + 2);
	if (!strcmp(argv[1], "nonzero"))
		return cmd_nonzero(argc - 2, argv + 2);
	return ssgen_usage();
}

#ifndef SSGEN_LIB
int main(int argc, char **argv)
{
	return ssgen_main(argc, argv);
}
#endif
