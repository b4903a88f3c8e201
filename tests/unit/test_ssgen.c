// SPDX-License-Identifier: GPL-2.0-only
/*
 * ssgen (tests/vm/ssgen.c), the dm-subsist cases' data tool: crc32c against
 * published vectors (the check value of "123456789", RFC 3720's iSCSI
 * vectors), the digest's hex byte order, incremental updates, collisions
 * for many seeds and sizes, the deterministic block stream, and the
 * program's commands and bad arguments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define SSGEN_LIB
#include "ssgen.c"

/* RFC 3720, B.4: an iSCSI read command PDU. */
static const unsigned char iscsi[48] = {
	0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
	0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_crc32c_vectors(void **state)
{
	unsigned char buf[48];
	int i;

	(void)state;
	assert_int_equal(ssgen_crc32c("123456789", 9), 0xe3069283);
	assert_int_equal(ssgen_crc32c("", 0), 0);
	/* RFC 3720, B.4 */
	memset(buf, 0, 32);
	assert_int_equal(ssgen_crc32c(buf, 32), 0x8a9136aa);
	memset(buf, 0xff, 32);
	assert_int_equal(ssgen_crc32c(buf, 32), 0x62a8ab43);
	for (i = 0; i < 32; i++)
		buf[i] = i;
	assert_int_equal(ssgen_crc32c(buf, 32), 0x46dd794e);
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	assert_int_equal(ssgen_crc32c(buf, 32), 0x113fdb5c);
	assert_int_equal(ssgen_crc32c(iscsi, 48), 0xd9963a56);
}

static void test_hex_order(void **state)
{
	char hex[9];

	(void)state;
	ssgen_hex(0x12345678, hex);
	assert_string_equal(hex, "78563412");
	ssgen_hex(0xe3069283, hex);
	assert_string_equal(hex, "839206e3");
	ssgen_hex(0, hex);
	assert_string_equal(hex, "00000000");
}

static void test_incremental(void **state)
{
	unsigned char buf[10000];
	uint32_t crc;
	size_t cut;

	(void)state;
	ssgen_fill(42, buf, sizeof(buf));
	for (cut = 0; cut <= sizeof(buf); cut += 777) {
		crc = ssgen_crc_update(~0u, buf, cut);
		crc = ssgen_crc_update(crc, buf + cut, sizeof(buf) - cut);
		assert_int_equal(~crc, ssgen_crc32c(buf, sizeof(buf)));
	}
}

static void test_collide(void **state)
{
	static const size_t sizes[] = { 8, 9, 512, 1024, 4096, 65536 };
	unsigned char *a = malloc(65536), *b = malloc(65536);
	uint64_t seed;
	size_t i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (seed = 0; seed < 40; seed++) {
			assert_int_equal(ssgen_collide(seed, a, b, sizes[i]), 0);
			assert_int_equal(ssgen_crc32c(a, sizes[i]),
					 ssgen_crc32c(b, sizes[i]));
			assert_memory_not_equal(a, b, sizes[i]);
		}
	}
	/* Any target, not only another block's CRC. */
	for (seed = 0; seed < 200; seed++) {
		uint64_t s = seed;
		uint32_t want = (uint32_t)ssgen_next(&s);

		ssgen_fill(seed, a, 4096);
		assert_int_equal(ssgen_force_crc(a, 4096, want), 0);
		assert_int_equal(ssgen_crc32c(a, 4096), want);
	}
	assert_int_equal(ssgen_collide(1, a, b, 7), -1);
	assert_int_equal(ssgen_force_crc(a, 3, 0), -1);
	free(a);
	free(b);
}

static void test_fill(void **state)
{
	unsigned char x[4099], y[4099], z[4099];

	(void)state;
	ssgen_fill(5, x, sizeof(x));
	ssgen_fill(5, y, sizeof(y));
	ssgen_fill(6, z, sizeof(z));
	assert_memory_equal(x, y, sizeof(x));
	assert_memory_not_equal(x, z, sizeof(x));
	/* A shorter request is a prefix of a longer one. */
	ssgen_fill(5, y, 100);
	assert_memory_equal(x, y, 100);
}

/* Run ssgen_main in a child with stdout into @out; its exit status. */
static int run(char *out, size_t outlen, int argc, ...)
{
	char *argv[8];
	int fd[2], st, i;
	ssize_t n;
	size_t got = 0;
	va_list ap;
	pid_t pid;

	va_start(ap, argc);
	argv[0] = "ssgen";
	for (i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	argv[argc] = NULL;
	va_end(ap);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fd[1], 1);
		if (!freopen("/dev/null", "w", stderr))
			_exit(99);
		close(fd[0]);
		fflush(NULL);
		_exit(ssgen_main(argc, argv) | (fflush(stdout) ? 64 : 0));
	}
	close(fd[1]);
	while (got + 1 < outlen && (n = read(fd[0], out + got, outlen - got - 1)) > 0)
		got += n;
	out[got] = 0;
	close(fd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_program(void **state)
{
	char dir[] = "/tmp/ssgen-test.XXXXXX", a[64], b[64], f[64], out[4096];
	char ha[9], exp[32];
	unsigned char buf[8192];
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(f, sizeof(f), "%s/f", dir);

	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs("123456789", fp);
	fclose(fp);
	assert_int_equal(run(out, sizeof(out), 3, "crc32c", f), 0);
	assert_string_equal(out, "839206e3\n");

	assert_int_equal(run(out, sizeof(out), 5, "collide", "9", a, b), 0);
	assert_int_equal(strlen(out), 18);
	assert_memory_equal(out, out + 9, 8);
	assert_int_equal(run(out, sizeof(out), 4, "cmp", a, b), 1);
	assert_int_equal(run(out, sizeof(out), 4, "cmp", a, a), 0);
	assert_int_equal(run(out, sizeof(out), 6, "collide", "9", a, b, "512"), 0);

	/* block: 8192 bytes, then per-block digests of them. */
	assert_int_equal(run((char *)buf, sizeof(buf), 4, "block", "3", "100"), 0);
	ssgen_fill(3, buf + 200, 100);
	assert_memory_equal(buf, buf + 200, 100);
	ssgen_fill(3, buf, 8192);
	fp = fopen(f, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, 8192, fp), 8192);
	fclose(fp);
	assert_int_equal(run(out, sizeof(out), 4, "blocks", "4096", f), 0);
	ssgen_hex(ssgen_crc32c(buf, 4096), ha);
	strcpy(exp, ha);
	strcat(exp, "\n");
	ssgen_hex(ssgen_crc32c(buf + 4096, 4096), ha);
	strcat(exp, ha);
	strcat(exp, "\n");
	assert_string_equal(out, exp);

	/* nonzero: 8192 random bytes then a zero block and 100 bytes of one. */
	fp = fopen(f, "a");
	assert_non_null(fp);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(fwrite(buf, 1, 4096, fp), 4096);
	buf[99] = 1;
	assert_int_equal(fwrite(buf, 1, 100, fp), 100);
	fclose(fp);
	assert_int_equal(run(out, sizeof(out), 4, "nonzero", "4096", f), 0);
	assert_string_equal(out, "3\n");
	assert_int_equal(run(out, sizeof(out), 4, "nonzero", "512", f), 0);
	assert_string_equal(out, "17\n");
	assert_int_equal(run(out, sizeof(out), 4, "nonzero", "x", f), 2);

	/* Bad arguments: usage (2) or a clear failure (1), never a crash. */
	assert_int_equal(run(out, sizeof(out), 1), 2);
	assert_int_equal(run(out, sizeof(out), 2, "frobnicate"), 2);
	assert_int_equal(run(out, sizeof(out), 2, "crc32c"), 2);
	assert_int_equal(run(out, sizeof(out), 3, "crc32c", "/nonexistent/x"), 1);
	assert_int_equal(run(out, sizeof(out), 4, "block", "x", "10"), 2);
	assert_int_equal(run(out, sizeof(out), 4, "block", "1", "0"), 2);
	assert_int_equal(run(out, sizeof(out), 4, "block", "1", "-5"), 2);
	assert_int_equal(run(out, sizeof(out), 4, "block", "1", "99999999999"), 2);
	assert_int_equal(run(out, sizeof(out), 6, "collide", "1", a, b, "4"), 2);
	assert_int_equal(run(out, sizeof(out), 5, "collide", "1", a, "/nonexistent/b"), 1);
	assert_int_equal(run(out, sizeof(out), 4, "blocks", "0", f), 2);
	assert_int_equal(run(out, sizeof(out), 4, "cmp", a, "/nonexistent"), 2);

	unlink(a);
	unlink(b);
	unlink(f);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_hex_order),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_collide),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
