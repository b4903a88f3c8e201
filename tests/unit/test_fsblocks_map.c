// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of fsblocks: the map logic (userland/fsblocks/map.c) on its own,
 * then the program on small images made with mke2fs -F on temporary
 * files (no root needed), checked against debugfs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "map.h"

#ifndef FSBLOCKS_BIN
#define FSBLOCKS_BIN "../../userland/fsblocks/fsblocks"
#endif

/* ---- map logic ---- */

struct conflicts {
	unsigned int nr;
	uint64_t start, len;
	enum fsb_type kept;
	unsigned int dropped;
};

static void record_conflict(void *arg, uint64_t start, uint64_t len,
			    enum fsb_type kept, unsigned int dropped)
{
	struct conflicts *c = arg;

	c->nr++;
	c->start = start;
	c->len = len;
	c->kept = kept;
	c->dropped = dropped;
}

static void expect_extent(const struct fsb_map *m, size_t i, uint64_t start,
			  uint64_t len, enum fsb_type type)
{
	assert_true(i < m->nr);
	assert_int_equal(m->ext[i].start, start);
	assert_int_equal(m->ext[i].len, len);
	assert_int_equal(m->ext[i].type, type);
}

static void test_type_names(void **state)
{
	static const char *const names[] = {
		"super", "gdt", "resgdt", "bbitmap", "ibitmap", "itable",
		"journal", "indirect", "dir", "xattr", "data",
	};
	unsigned int mask;
	int t;

	(void)state;
	assert_int_equal(FSB_NR_TYPES, 11);
	for (t = 0; t < FSB_NR_TYPES; t++) {
		assert_string_equal(fsb_type_name(t), names[t]);
		assert_int_equal(fsb_type_parse(names[t]), t);
	}
	assert_int_equal(fsb_type_parse("Dir"), -EINVAL);
	assert_int_equal(fsb_type_parse(""), -EINVAL);

	assert_int_equal(fsb_types_parse("dir,data", &mask), 0);
	assert_int_equal(mask, (1u << FSB_DIR) | (1u << FSB_DATA));
	assert_int_equal(fsb_types_parse("itable", &mask), 0);
	assert_int_equal(mask, 1u << FSB_ITABLE);
	assert_int_equal(fsb_types_parse("", &mask), -EINVAL);
	assert_int_equal(fsb_types_parse("dir,", &mask), -EINVAL);
	assert_int_equal(fsb_types_parse(",dir", &mask), -EINVAL);
	assert_int_equal(fsb_types_parse("dir,,data", &mask), -EINVAL);
	assert_int_equal(fsb_types_parse("dir,inode", &mask), -EINVAL);
}

static void test_add_rejects(void **state)
{
	struct fsb_map m;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 5, 0, FSB_DATA), -EINVAL);
	assert_int_equal(fsb_map_add(&m, 5, 1, FSB_NR_TYPES), -EINVAL);
	assert_int_equal(fsb_map_add(&m, UINT64_MAX, 2, FSB_DATA), -EOVERFLOW);
	assert_int_equal(fsb_map_add(&m, UINT64_MAX - 1, 1, FSB_DATA), 0);
	assert_int_equal(m.nr, 1);
	fsb_map_free(&m);
}

static void test_add_extends(void **state)
{
	struct fsb_map m;
	uint64_t b;

	(void)state;
	fsb_map_init(&m);
	/* One block at a time, as ext2fs_block_iterate3() reports them. */
	for (b = 100; b < 100000; b++)
		assert_int_equal(fsb_map_add(&m, b, 1, FSB_DATA), 0);
	assert_int_equal(m.nr, 1);
	assert_int_equal(fsb_map_add(&m, 100000, 1, FSB_INDIRECT), 0);
	assert_int_equal(fsb_map_add(&m, 100002, 1, FSB_INDIRECT), 0);
	assert_int_equal(m.nr, 3);
	fsb_map_free(&m);
}

static void test_finish_sorts_and_coalesces(void **state)
{
	struct conflicts c = { 0 };
	struct fsb_map m;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 20, 5, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 0, 1, FSB_SUPER), 0);
	assert_int_equal(fsb_map_add(&m, 10, 10, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 1, 2, FSB_GDT), 0);
	assert_int_equal(fsb_map_add(&m, 30, 1, FSB_DIR), 0);
	assert_int_equal(fsb_map_add(&m, 25, 5, FSB_DATA), 0);
	assert_int_equal(fsb_map_finish(&m, record_conflict, &c), 0);
	assert_int_equal(c.nr, 0);
	assert_int_equal(m.nr, 4);
	expect_extent(&m, 0, 0, 1, FSB_SUPER);
	expect_extent(&m, 1, 1, 2, FSB_GDT);
	expect_extent(&m, 2, 10, 20, FSB_DATA);
	expect_extent(&m, 3, 30, 1, FSB_DIR);
	fsb_map_free(&m);
}

static void test_finish_same_type_overlap(void **state)
{
	struct conflicts c = { 0 };
	struct fsb_map m;

	(void)state;
	/* A shared xattr block is reported once per inode that uses it. */
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 7, 1, FSB_XATTR), 0);
	assert_int_equal(fsb_map_add(&m, 50, 10, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 7, 1, FSB_XATTR), 0);
	assert_int_equal(fsb_map_add(&m, 55, 10, FSB_DATA), 0);
	assert_int_equal(fsb_map_finish(&m, record_conflict, &c), 0);
	assert_int_equal(c.nr, 0);
	assert_int_equal(m.nr, 2);
	expect_extent(&m, 0, 7, 1, FSB_XATTR);
	expect_extent(&m, 1, 50, 15, FSB_DATA);
	fsb_map_free(&m);
}

static void test_finish_conflict_priority(void **state)
{
	struct conflicts c = { 0 };
	struct fsb_map m;

	(void)state;
	/* A data run over a superblock: super wins, data is split around. */
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 0, 100, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 50, 1, FSB_SUPER), 0);
	assert_int_equal(fsb_map_finish(&m, record_conflict, &c), 0);
	assert_int_equal(m.nr, 3);
	expect_extent(&m, 0, 0, 50, FSB_DATA);
	expect_extent(&m, 1, 50, 1, FSB_SUPER);
	expect_extent(&m, 2, 51, 49, FSB_DATA);
	assert_int_equal(c.nr, 1);
	assert_int_equal(c.start, 50);
	assert_int_equal(c.len, 1);
	assert_int_equal(c.kept, FSB_SUPER);
	assert_int_equal(c.dropped, 1u << FSB_DATA);
	fsb_map_free(&m);

	/* Partial overlap, reported as one range although built of two runs. */
	memset(&c, 0, sizeof(c));
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 10, 10, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 15, 3, FSB_DIR), 0);
	assert_int_equal(fsb_map_add(&m, 18, 10, FSB_DIR), 0);
	assert_int_equal(fsb_map_finish(&m, record_conflict, &c), 0);
	assert_int_equal(m.nr, 2);
	expect_extent(&m, 0, 10, 5, FSB_DATA);
	expect_extent(&m, 1, 15, 13, FSB_DIR);
	assert_int_equal(c.nr, 1);
	assert_int_equal(c.start, 15);
	assert_int_equal(c.len, 5);
	assert_int_equal(c.kept, FSB_DIR);
	fsb_map_free(&m);

	/* Three types on one block; no callback is fine. */
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 3, 1, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 3, 1, FSB_JOURNAL), 0);
	assert_int_equal(fsb_map_add(&m, 3, 1, FSB_INDIRECT), 0);
	assert_int_equal(fsb_map_finish(&m, NULL, NULL), 0);
	assert_int_equal(m.nr, 1);
	expect_extent(&m, 0, 3, 1, FSB_JOURNAL);
	fsb_map_free(&m);
}

static void test_finish_empty(void **state)
{
	struct fsb_map m;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_finish(&m, NULL, NULL), 0);
	assert_int_equal(m.nr, 0);
	fsb_map_free(&m);
}

/* Random runs against a per-block reference; the seed is printed. */
static void test_finish_random(void **state)
{
	enum { BLOCKS = 2000, RUNS = 3000 };
	int ref[BLOCKS];
	unsigned int seed = (unsigned int)time(NULL);
	struct fsb_map m;
	uint64_t s, l, b;
	size_t i;
	int t, round;

	(void)state;
	if (getenv("FSB_SEED"))
		seed = strtoul(getenv("FSB_SEED"), NULL, 0);
	print_message("# random map seed %u (FSB_SEED=%u replays it)\n", seed,
		      seed);
	srandom(seed);
	for (round = 0; round < 20; round++) {
		for (b = 0; b < BLOCKS; b++)
			ref[b] = FSB_NR_TYPES;
		fsb_map_init(&m);
		for (i = 0; i < RUNS; i++) {
			s = random() % BLOCKS;
			l = 1 + random() % (round % 2 ? 3 : 40);
			if (s + l > BLOCKS)
				l = BLOCKS - s;
			t = random() % FSB_NR_TYPES;
			assert_int_equal(fsb_map_add(&m, s, l, t), 0);
			for (b = s; b < s + l; b++)
				if (t < ref[b])
					ref[b] = t;
		}
		assert_int_equal(fsb_map_finish(&m, NULL, NULL), 0);
		b = 0;
		for (i = 0; i < m.nr; i++) {
			/* sorted, disjoint, coalesced */
			assert_true(m.ext[i].start >= b);
			if (i && m.ext[i].start == b)
				assert_int_not_equal(m.ext[i].type,
						     m.ext[i - 1].type);
			for (; b < m.ext[i].start; b++)
				assert_int_equal(ref[b], FSB_NR_TYPES);
			for (; b < m.ext[i].start + m.ext[i].len; b++)
				assert_int_equal(ref[b], m.ext[i].type);
		}
		for (; b < BLOCKS; b++)
			assert_int_equal(ref[b], FSB_NR_TYPES);
		fsb_map_free(&m);
	}
}

static void test_filter_count(void **state)
{
	uint64_t extents[FSB_NR_TYPES], blocks[FSB_NR_TYPES];
	struct fsb_map m;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 0, 1, FSB_SUPER), 0);
	assert_int_equal(fsb_map_add(&m, 1, 4, FSB_DIR), 0);
	assert_int_equal(fsb_map_add(&m, 5, 3, FSB_DATA), 0);
	assert_int_equal(fsb_map_add(&m, 9, 2, FSB_DIR), 0);
	assert_int_equal(fsb_map_finish(&m, NULL, NULL), 0);
	fsb_map_count(&m, extents, blocks);
	assert_int_equal(extents[FSB_DIR], 2);
	assert_int_equal(blocks[FSB_DIR], 6);
	assert_int_equal(extents[FSB_SUPER], 1);
	assert_int_equal(blocks[FSB_JOURNAL], 0);

	fsb_map_filter(&m, 1u << FSB_DIR);
	assert_int_equal(m.nr, 2);
	expect_extent(&m, 0, 1, 4, FSB_DIR);
	expect_extent(&m, 1, 9, 2, FSB_DIR);
	fsb_map_filter(&m, 0);
	assert_int_equal(m.nr, 0);
	fsb_map_free(&m);
}

static void test_convert(void **state)
{
	struct fsb_map m;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 0, 1, FSB_SUPER), 0);
	assert_int_equal(fsb_map_add(&m, 3, 5, FSB_DATA), 0);
	assert_int_equal(fsb_map_finish(&m, NULL, NULL), 0);

	assert_int_equal(fsb_map_convert(&m, 4096, 4096), 0);
	expect_extent(&m, 1, 3, 5, FSB_DATA);
	assert_int_equal(fsb_map_convert(&m, 4096, 1024), 0);
	expect_extent(&m, 0, 0, 4, FSB_SUPER);
	expect_extent(&m, 1, 12, 20, FSB_DATA);
	assert_int_equal(fsb_map_convert(&m, 1024, 512), 0);
	expect_extent(&m, 1, 24, 40, FSB_DATA);

	/* Coarser units would mix types in one unit: refused. */
	assert_int_equal(fsb_map_convert(&m, 1024, 4096), -EINVAL);
	assert_int_equal(fsb_map_convert(&m, 1000, 500), -EINVAL);
	assert_int_equal(fsb_map_convert(&m, 4096, 0), -EINVAL);
	expect_extent(&m, 1, 24, 40, FSB_DATA);

	/* Overflow is detected before anything changes. */
	assert_int_equal(fsb_map_add(&m, UINT64_MAX / 4, 1, FSB_DATA), 0);
	assert_int_equal(fsb_map_convert(&m, 65536, 512), -EOVERFLOW);
	expect_extent(&m, 1, 24, 40, FSB_DATA);
	fsb_map_free(&m);
}

static void test_msg_build(void **state)
{
	char buf[16384];
	struct fsb_map m;
	size_t pos = 0;
	unsigned int i;
	int n;

	(void)state;
	fsb_map_init(&m);
	assert_int_equal(fsb_map_add(&m, 0, 1, FSB_SUPER), 0);
	assert_int_equal(fsb_map_add(&m, 1, 2, FSB_GDT), 0);
	assert_int_equal(fsb_map_add(&m, 10, 300, FSB_JOURNAL), 0);
	n = fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf, sizeof(buf));
	assert_int_equal(n, 3);
	assert_string_equal(buf, "types load 0 1 super 1 2 gdt 10 300 journal");
	assert_int_equal(fsb_msg_build(&m, &pos, 200, buf, sizeof(buf)), 0);
	fsb_map_free(&m);

	/* 450 extents go out as 200 + 200 + 50. */
	fsb_map_init(&m);
	for (i = 0; i < 450; i++)
		assert_int_equal(fsb_map_add(&m, 2ULL * i + (1ULL << 40), 1,
					     FSB_DATA), 0);
	pos = 0;
	assert_int_equal(fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf,
				       sizeof(buf)), 200);
	assert_int_equal(pos, 200);
	assert_int_equal(fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf,
				       sizeof(buf)), 200);
	assert_int_equal(fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf,
				       sizeof(buf)), 50);
	assert_string_equal(buf + strlen(buf) - strlen(" 1099511628674 1 data"),
			    " 1099511628674 1 data");
	assert_int_equal(fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf,
				       sizeof(buf)), 0);

	/* A small buffer stops early, never mid-extent. */
	pos = 0;
	n = fsb_msg_build(&m, &pos, FSB_MSG_MAX_EXTENTS, buf, 60);
	assert_int_equal(n, 2);
	assert_string_equal(buf, "types load 1099511627776 1 data 1099511627778 1 data");
	assert_int_equal(fsb_msg_build(&m, &pos, 200, buf, 20), -ENOSPC);
	assert_int_equal(pos, 2);
	assert_int_equal(fsb_msg_build(&m, &pos, 0, buf, sizeof(buf)), -EINVAL);
	fsb_map_free(&m);
}

/* ---- the program on real images (no root: mke2fs -F on files) ---- */

struct image {
	char dir[64];
	char path[96];
};

/* Runs a shell command; returns its exit status, output in *out. */
static int run(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int run(char **out, const char *fmt, ...)
{
	char cmd[1024];
	size_t len = 0, cap = 4096;
	char *buf;
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf = malloc(cap);
	assert_non_null(buf);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	st = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int make_image(void **state, const char *size, const char *mkfs_args)
{
	struct image *img = calloc(1, sizeof(*img));

	if (!img)
		return -1;
	strcpy(img->dir, "/tmp/fsblocks-test.XXXXXX");
	if (!mkdtemp(img->dir))
		return -1;
	snprintf(img->path, sizeof(img->path), "%s/fs.img", img->dir);
	if (run(NULL, "truncate -s %s %s && mke2fs -q -F %s %s 2>&1",
		size, img->path, mkfs_args, img->path)) {
		fprintf(stderr, "# mke2fs %s failed\n", mkfs_args);
		return -1;
	}
	*state = img;
	return 0;
}

static int setup_ext4_4k(void **state)
{
	return make_image(state, "256M", "-t ext4 -b 4096");
}

static int setup_ext3_1k(void **state)
{
	return make_image(state, "64M", "-t ext3 -b 1024");
}

static int setup_ext2_1k(void **state)
{
	return make_image(state, "64M", "-t ext2 -b 1024");
}

static int teardown_image(void **state)
{
	struct image *img = *state;

	if (img) {
		unlink(img->path);
		rmdir(img->dir);
		free(img);
	}
	return 0;
}

/* The type fsblocks gives @block ("" if none), from its plain output. */
static const char *type_of(const char *listing, uint64_t block)
{
	static char type[16];
	unsigned long long s, l;
	const char *line;
	int n;

	for (line = listing; *line; ) {
		if (sscanf(line, "%llu %llu %15s%n", &s, &l, type, &n) != 3)
			fail_msg("bad fsblocks line: %.40s", line);
		if (block >= s && block < s + l)
			return type;
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return "";
}

static uint64_t summary_blocks(const char *summary, const char *type)
{
	char name[16];
	unsigned long long e, b;
	const char *line;

	for (line = summary; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "%15s %llu %llu", name, &e, &b) == 3 &&
		    !strcmp(name, type))
			return b;
	}
	fail_msg("no %s in summary", type);
	return 0;
}

static void test_prog_ext4_4k(void **state)
{
	struct image *img = *state;
	unsigned long long dirblk, jsize, s, l;
	char *out, *dbg, t[16];

	assert_int_equal(run(NULL, "debugfs -w -R 'mkdir d' %s 2>&1",
			     img->path), 0);
	assert_int_equal(run(&dbg, "debugfs -R 'blocks d' %s 2>/dev/null",
			     img->path), 0);
	assert_int_equal(sscanf(dbg, "%llu", &dirblk), 1);
	free(dbg);
	assert_int_equal(run(&dbg, "debugfs -R 'stat <8>' %s 2>/dev/null | sed -n 's/.*Size: \\([0-9]*\\).*/\\1/p'",
			     img->path), 0);
	assert_int_equal(sscanf(dbg, "%llu", &jsize), 1);
	free(dbg);

	assert_int_equal(run(&out, "%s %s", FSBLOCKS_BIN, img->path), 0);
	assert_string_equal(type_of(out, 0), "super");
	assert_string_equal(type_of(out, 1), "gdt");
	assert_string_equal(type_of(out, dirblk), "dir");
	free(out);

	/* mke2fs gives a 256 MiB ext4 one contiguous journal. */
	assert_int_equal(run(&out, "%s -t journal %s", FSBLOCKS_BIN,
			     img->path), 0);
	assert_int_equal(sscanf(out, "%llu %llu %15s", &s, &l, t), 3);
	assert_string_equal(t, "journal");
	assert_int_equal(l, jsize / 4096);
	assert_int_equal(strchr(out, '\n') - out + 1, strlen(out));
	free(out);

	/* -b 512: eight times the numbers. */
	assert_int_equal(run(&out, "%s -b 512 -t dir %s", FSBLOCKS_BIN,
			     img->path), 0);
	assert_string_equal(type_of(out, dirblk * 8), "dir");
	assert_string_equal(type_of(out, dirblk * 8 + 7), "dir");
	free(out);
}

static void test_prog_ext3_1k(void **state)
{
	struct image *img = *state;
	unsigned long long jsize;
	char *out, *dbg;

	assert_int_equal(run(&dbg, "debugfs -R 'stat <8>' %s 2>/dev/null | sed -n 's/.*Size: \\([0-9]*\\).*/\\1/p'",
			     img->path), 0);
	assert_int_equal(sscanf(dbg, "%llu", &jsize), 1);
	free(dbg);
	assert_int_equal(run(&out, "%s %s", FSBLOCKS_BIN, img->path), 0);
	/* 1 KiB blocks: block 0 is the boot block, the superblock is 1. */
	assert_string_equal(type_of(out, 0), "");
	assert_string_equal(type_of(out, 1), "super");
	assert_string_equal(type_of(out, 2), "gdt");
	assert_string_equal(type_of(out, 3), "resgdt");
	free(out);
	/* The journal is block-mapped: its indirect blocks are apart. */
	assert_int_equal(run(&out, "%s -s %s", FSBLOCKS_BIN, img->path), 0);
	assert_int_equal(summary_blocks(out, "journal"), jsize / 1024);
	assert_true(summary_blocks(out, "indirect") > 0);
	free(out);
}

static void test_prog_bad_input(void **state)
{
	struct image *img = *state;
	char *out;

	/* Not a file system. */
	assert_int_equal(run(&out, "head -c 1M /dev/zero > %s.z; %s %s.z 2>&1; e=$?; rm -f %s.z; exit $e",
			     img->path, FSBLOCKS_BIN, img->path, img->path), 1);
	assert_non_null(strstr(out, "Bad magic number"));
	free(out);
	/* Missing file. */
	assert_int_equal(run(&out, "%s %s.missing 2>&1", FSBLOCKS_BIN,
			     img->path), 1);
	assert_non_null(strstr(out, "No such file"));
	free(out);
	/* Truncated image. */
	assert_int_equal(run(&out, "head -c 10M %s > %s.t; %s %s.t 2>&1; e=$?; rm -f %s.t; exit $e",
			     img->path, img->path, FSBLOCKS_BIN, img->path,
			     img->path), 1);
	assert_non_null(strstr(out, "truncated"));
	free(out);
	/* Group descriptors overwritten (1 KiB blocks: GDT in block 2). */
	assert_int_equal(run(&out, "cp %s %s.g && dd if=/dev/urandom of=%s.g bs=1024 seek=2 count=1 conv=notrunc 2>/dev/null; %s %s.g 2>&1; e=$?; rm -f %s.g; exit $e",
			     img->path, img->path, img->path, FSBLOCKS_BIN,
			     img->path, img->path), 1);
	assert_non_null(strstr(out, "group descriptor"));
	free(out);
	/* Usage errors. */
	assert_int_equal(run(NULL, "%s -t nosuchtype %s 2>/dev/null",
			     FSBLOCKS_BIN, img->path), 1);
	assert_int_equal(run(NULL, "%s -b 3000 %s 2>/dev/null", FSBLOCKS_BIN,
			     img->path), 1);
	assert_int_equal(run(NULL, "%s -b 2048 %s 2>/dev/null", FSBLOCKS_BIN,
			     img->path), 1);
	/* --load to something that is not a device: a device-mapper error. */
	assert_int_equal(run(NULL, "%s --load %s %s 2>/dev/null", FSBLOCKS_BIN,
			     img->path, img->path), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_add_rejects),
		cmocka_unit_test(test_add_extends),
		cmocka_unit_test(test_finish_sorts_and_coalesces),
		cmocka_unit_test(test_finish_same_type_overlap),
		cmocka_unit_test(test_finish_conflict_priority),
		cmocka_unit_test(test_finish_empty),
		cmocka_unit_test(test_finish_random),
		cmocka_unit_test(test_filter_count),
		cmocka_unit_test(test_convert),
		cmocka_unit_test(test_msg_build),
		cmocka_unit_test_setup_teardown(test_prog_ext4_4k,
						setup_ext4_4k, teardown_image),
		cmocka_unit_test_setup_teardown(test_prog_ext3_1k,
						setup_ext3_1k, teardown_image),
		cmocka_unit_test_setup_teardown(test_prog_bad_input,
						setup_ext2_1k, teardown_image),
	};
	const char *path = getenv("PATH");
	char newpath[4096];

	/* mke2fs and debugfs live in /sbin, often not in a user's PATH. */
	snprintf(newpath, sizeof(newpath), "/usr/sbin:/sbin:%s",
		 path ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	return cmocka_run_group_tests_name("fsblocks_map", tests, NULL, NULL);
}
