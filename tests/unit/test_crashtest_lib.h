/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the crashtest unit tests: synthetic dm-noorder logs (each
 * written sector names the record and sector that wrote it), records
 * (base image, log, meta) in temporary directories, and file helpers.
 */
#ifndef TEST_CRASHTEST_LIB_H
#define TEST_CRASHTEST_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct.h"
#include "log.h"
#include "meta.h"

struct tlog {
	uint8_t *buf;
	size_t len, cap;
	uint64_t seq;
};

static inline void tlog_put(struct tlog *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->buf = realloc(t->buf, t->cap);
		if (!t->buf)
			abort();
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* The byte a sector written by record @seq holds at @i. */
static inline uint8_t tlog_byte(uint64_t seq, uint64_t sector, size_t i)
{
	return (uint8_t)(ct_mix64(seq * 1000003 + sector) >> (8 * (i & 7))) ^
	       (uint8_t)(i >> 3);
}

static inline void tlog_fill(uint8_t *p, uint64_t seq, uint64_t sector)
{
	size_t i;

	for (i = 0; i < 512; i++)
		p[i] = tlog_byte(seq, sector, i);
}

static inline uint64_t tlog_rec(struct tlog *t, unsigned int type,
				uint32_t flags, uint64_t sector, uint64_t nr)
{
	struct noorder_log_rec rec;
	uint8_t data[512];
	uint64_t s;

	ct_log_rec_fill(&rec, type, flags, t->seq, sector, nr);
	tlog_put(t, &rec, sizeof(rec));
	if (type == NOORDER_LOG_WRITE) {
		for (s = sector; s < sector + nr; s++) {
			tlog_fill(data, t->seq, s);
			tlog_put(t, data, sizeof(data));
		}
	}
	return t->seq++;
}

static inline uint64_t tlog_write(struct tlog *t, uint64_t sector,
				  uint64_t nr, uint32_t flags)
{
	return tlog_rec(t, NOORDER_LOG_WRITE, flags, sector, nr);
}

static inline uint64_t tlog_flush(struct tlog *t)
{
	return tlog_rec(t, NOORDER_LOG_FLUSH, 0, 0, 0);
}

static inline void tlog_free(struct tlog *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static inline void write_file(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "w");

	if (!fp || (n && fwrite(p, 1, n, fp) != n) || fclose(fp)) {
		fprintf(stderr, "cannot write %s\n", path);
		abort();
	}
}

static inline uint8_t *read_file(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	p = malloc(st.st_size + 1);
	if (!p || ct_pread_all(fd, p, st.st_size, 0)) {
		free(p);
		close(fd);
		return NULL;
	}
	close(fd);
	*n = st.st_size;
	return p;
}

/*
 * A base image of @sectors: sparse, with a pattern in the first quarter
 * and in a few scattered blocks, zeros elsewhere.  Returns the bytes.
 */
static inline uint8_t *make_base(uint64_t sectors)
{
	uint8_t *b = calloc(sectors, 512);
	uint64_t s;

	if (!b)
		abort();
	for (s = 0; s < sectors; s++) {
		if (s < sectors / 4 || (s % 97) == 5)
			tlog_fill(b + s * 512, 0xba5e, s);
	}
	return b;
}

/* A record directory: base.img (sparse), log and meta. */
static inline void make_record(const char *dir, const uint8_t *base,
			       uint64_t sectors, const struct tlog *t,
			       int flush, uint64_t cache_mb, uint64_t seed)
{
	struct ct_meta m = { 0 };
	struct ct_log log;
	char path[4096], err[512];
	int fd;
	uint64_t s;
	static const uint8_t zero[512];

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/base.img", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, sectors * 512))
		abort();
	for (s = 0; s < sectors; s++)
		if (memcmp(base + s * 512, zero, 512) &&
		    ct_pwrite_all(fd, base + s * 512, 512, s * 512))
			abort();
	close(fd);
	snprintf(path, sizeof(path), "%s/log", dir);
	write_file(path, t->buf, t->len);
	if (ct_log_parse(t->buf, t->len, sectors, &log, err, sizeof(err))) {
		fprintf(stderr, "bad test log: %s\n", err);
		abort();
	}
	m.device = "/dev/mapper/test";
	m.table = "0 0 noorder 7:0 0";
	m.command = "true";
	m.created = "2026-01-01T00:00:00Z";
	m.dev_sectors = sectors;
	m.flush = flush;
	m.cache_mb = cache_mb;
	m.seed = seed;
	ct_meta_set_log(&m, &log);
	m.base_bytes = sectors * 512;
	m.base_crc = ct_crc32c(0, base, sectors * 512);
	free(log.ops);
	snprintf(path, sizeof(path), "%s/meta", dir);
	if (ct_meta_write(path, &m, err, sizeof(err)))
		abort();
}

/* Runs a shell command; its exit status, or -1 if it did not exit. */
static inline int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#endif /* TEST_CRASHTEST_LIB_H */
