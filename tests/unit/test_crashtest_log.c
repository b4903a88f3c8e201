// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: the log parser (userland/crashtest/log.c) and the meta file
 * (meta.c) on good, truncated and corrupt input, plus a seeded fuzz of
 * byte flips that must end in a clean error or a valid parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <endian.h>
#include <cmocka.h>

#include "test_crashtest_lib.h"

#define DEV_SECTORS	4096

/* write(8) flush write-fua(4) discard mark write(1) */
static void sample_log(struct tlog *t)
{
	struct noorder_log_rec rec;

	tlog_write(t, 16, 8, NOORDER_LOG_META);
	tlog_flush(t);
	tlog_write(t, 100, 4, NOORDER_LOG_FUA | NOORDER_LOG_SYNC);
	ct_log_rec_fill(&rec, NOORDER_LOG_DISCARD, 0, t->seq++, 200, 64);
	tlog_put(t, &rec, sizeof(rec));
	ct_log_rec_fill(&rec, NOORDER_LOG_MARK, 0, t->seq++, 7, 0);
	tlog_put(t, &rec, sizeof(rec));
	tlog_write(t, DEV_SECTORS - 1, 1, 0);
}

static void test_good(void **state)
{
	struct tlog t = { 0 };
	struct ct_log log;
	char err[256] = "";

	(void)state;
	sample_log(&t);
	assert_int_equal(ct_log_parse(t.buf, t.len, DEV_SECTORS, &log, err,
				      sizeof(err)), 0);
	assert_int_equal(log.nr_ops, 6);
	assert_int_equal(log.writes, 3);
	assert_int_equal(log.flushes, 1);
	assert_int_equal(log.fuas, 1);
	assert_int_equal(log.discards, 1);
	assert_int_equal(log.marks, 1);
	assert_int_equal(log.write_bytes, 13 * 512);
	assert_int_equal(log.ops[0].type, NOORDER_LOG_WRITE);
	assert_int_equal(log.ops[0].sector, 16);
	assert_int_equal(log.ops[0].nr_sectors, 8);
	assert_int_equal(log.ops[0].flags, NOORDER_LOG_META);
	assert_int_equal(log.ops[0].data_off, NOORDER_LOG_REC_SIZE);
	/* The data of record 0, sector 19, is where data_off says. */
	assert_int_equal(log.map[log.ops[0].data_off + 3 * 512 + 10],
			 tlog_byte(0, 19, 10));
	assert_int_equal(log.ops[2].flags, NOORDER_LOG_FUA | NOORDER_LOG_SYNC);
	assert_int_equal(log.ops[3].type, NOORDER_LOG_DISCARD);
	assert_int_equal(log.ops[3].nr_sectors, 64);
	assert_int_equal(log.ops[4].type, NOORDER_LOG_MARK);
	assert_int_equal(log.ops[4].sector, 7);
	assert_int_equal(log.crc, ct_crc32c(0, t.buf, t.len));
	free(log.ops);
	/* An empty log is a valid log of nothing. */
	assert_int_equal(ct_log_parse(NULL, 0, DEV_SECTORS, &log, err,
				      sizeof(err)), 0);
	assert_int_equal(log.nr_ops, 0);
	tlog_free(&t);
}

static void test_crc32c(void **state)
{
	(void)state;
	/* The standard check value of CRC-32C. */
	assert_int_equal(ct_crc32c(0, "123456789", 9), 0xe3069283);
	/* Chained equals whole. */
	assert_int_equal(ct_crc32c(ct_crc32c(0, "12345", 5), "6789", 4),
			 0xe3069283);
}

/* Every cut of the log inside a record is "truncated", never a crash. */
static void test_truncated(void **state)
{
	struct tlog t = { 0 };
	struct ct_log log;
	char err[256];
	size_t cut, ends[16], nr_ends = 0, off = 0, i;
	int at_end;

	(void)state;
	sample_log(&t);
	/* Record boundaries. */
	while (off < t.len) {
		struct noorder_log_rec r;

		ends[nr_ends++] = off;
		memcpy(&r, t.buf + off, sizeof(r));
		off += sizeof(r) + le64toh(r.data_len);
	}
	ends[nr_ends++] = t.len;
	for (cut = 0; cut <= t.len; cut++) {
		at_end = 0;
		for (i = 0; i < nr_ends; i++)
			at_end |= ends[i] == cut;
		err[0] = 0;
		if (at_end) {
			assert_int_equal(ct_log_parse(t.buf, cut, DEV_SECTORS, &log,
						      err, sizeof(err)), 0);
			free(log.ops);
			continue;
		}
		assert_int_equal(ct_log_parse(t.buf, cut, DEV_SECTORS, &log, err,
					      sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "truncated log"));
		assert_null(log.ops);
	}
	tlog_free(&t);
}

struct corruption {
	size_t field;		/* offset in the header of record @rec */
	size_t size;		/* 2, 4 or 8 */
	uint64_t value;
	const char *msg;	/* expected in the error */
};

static void poke(uint8_t *p, size_t size, uint64_t v)
{
	uint16_t v16 = htole16(v);
	uint32_t v32 = htole32(v);
	uint64_t v64 = htole64(v);

	memcpy(p, size == 2 ? (void *)&v16 : size == 4 ? (void *)&v32 :
	       (void *)&v64, size);
}

static void test_corrupt(void **state)
{
	static const struct corruption cases[] = {
		{ offsetof(struct noorder_log_rec, magic), 4, 0x12345678, "bad magic" },
		{ offsetof(struct noorder_log_rec, version), 2, 2, "version 2" },
		{ offsetof(struct noorder_log_rec, type), 2, 0, "unknown record type 0" },
		{ offsetof(struct noorder_log_rec, type), 2, 9, "unknown record type 9" },
		{ offsetof(struct noorder_log_rec, flags), 4, 0x80, "unknown flags" },
		{ offsetof(struct noorder_log_rec, reserved), 4, 1, "reserved" },
		{ offsetof(struct noorder_log_rec, seq), 8, 3, "sequence number 3, expected 2" },
		{ offsetof(struct noorder_log_rec, nr_sectors), 8, 5, "carries 2048 data bytes" },
		{ offsetof(struct noorder_log_rec, nr_sectors), 8, 0, "write of 0 sectors" },
		{ offsetof(struct noorder_log_rec, data_len), 8, 1 << 30, "carries" },
		{ offsetof(struct noorder_log_rec, sector), 8, DEV_SECTORS - 2, "beyond the device" },
		{ offsetof(struct noorder_log_rec, sector), 8, ~0ULL, "beyond the device" },
	};
	struct tlog t = { 0 };
	struct ct_log log;
	char err[256];
	size_t i, rec2;

	(void)state;
	sample_log(&t);
	rec2 = 2 * NOORDER_LOG_REC_SIZE + 8 * 512;	/* the FUA write */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *b = malloc(t.len);

		memcpy(b, t.buf, t.len);
		poke(b + rec2 + cases[i].field, cases[i].size, cases[i].value);
		err[0] = 0;
		assert_int_equal(ct_log_parse(b, t.len, DEV_SECTORS, &log, err,
					      sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].msg);
		assert_non_null(strstr(err, "record 2"));
		free(b);
	}
	/* A flush with sectors, a mark with data. */
	{
		struct tlog u = { 0 };
		struct noorder_log_rec r;

		ct_log_rec_fill(&r, NOORDER_LOG_FLUSH, 0, 0, 0, 3);
		tlog_put(&u, &r, sizeof(r));
		assert_int_equal(ct_log_parse(u.buf, u.len, DEV_SECTORS, &log, err,
					      sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "flush record with 3 sectors"));
		tlog_free(&u);
		ct_log_rec_fill(&r, NOORDER_LOG_MARK, 0, 0, 1, 0);
		r.data_len = htole64(512);
		tlog_put(&u, &r, sizeof(r));
		assert_int_equal(ct_log_parse(u.buf, u.len, DEV_SECTORS, &log, err,
					      sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "mark record"));
		tlog_free(&u);
	}
	tlog_free(&t);
}

/* Seeded byte flips: a clean error or a valid parse, never a crash. */
static void test_fuzz(void **state)
{
	struct tlog t = { 0 };
	struct ct_log log;
	char err[256];
	uint64_t seed = 12345, h;
	int i, j, ok = 0, bad = 0;

	(void)state;
	sample_log(&t);
	for (i = 0; i < 5000; i++) {
		uint8_t *b = malloc(t.len);
		size_t len = t.len;

		memcpy(b, t.buf, t.len);
		for (j = 0; j < 1 + i % 4; j++) {
			h = ct_hash4(seed, i, j, 0);
			b[h % t.len] ^= (uint8_t)(h >> 32) | 1;
		}
		if (i % 2) {	/* flip a header byte */
			h = ct_hash4(seed, i, 77, 0);
			b[(h % 6) * NOORDER_LOG_REC_SIZE % t.len + (h >> 40) % NOORDER_LOG_REC_SIZE] ^= 0x10;
		}
		if (i % 5 == 0)
			len = ct_hash4(seed, i, 99, 0) % (t.len + 1);
		err[0] = 0;
		if (ct_log_parse(b, len, DEV_SECTORS, &log, err, sizeof(err))) {
			assert_true(strlen(err) > 10);
			bad++;
		} else {
			/* Whatever parsed must be in range. */
			for (j = 0; j < (int)log.nr_ops; j++) {
				if (log.ops[j].type == NOORDER_LOG_WRITE)
					assert_true(log.ops[j].sector +
						    log.ops[j].nr_sectors <= DEV_SECTORS);
			}
			free(log.ops);
			ok++;
		}
		free(b);
	}
	print_message("# fuzz (seed %llu): %d parsed, %d refused\n",
		      (unsigned long long)seed, ok, bad);
	assert_true(bad > 1000 && ok > 100);
	tlog_free(&t);
}

/* ---- meta ---- */

static char tmpdir[] = "/tmp/ct-log-XXXXXX";

static void meta_sample(struct ct_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->device = "/dev/mapper/ct";
	m->table = "0 8192 noorder 7:0 0 2 flush honor";
	m->command = "sh -c 'echo hi'";
	m->created = "2026-01-01T00:00:00Z";
	m->dev_sectors = 8192;
	m->flush = CT_FLUSH_HONOR;
	m->cache_mb = 64;
	m->seed = 42;
	m->workload_status = 0;
	m->records = 6;
	m->writes = 3;
	m->flushes = 1;
	m->fuas = 1;
	m->discards = 1;
	m->marks = 1;
	m->write_bytes = 13 * 512;
	m->log_bytes = 1000;
	m->log_crc = 0xdeadbeef;
	m->base_bytes = 8192 * 512;
	m->base_crc = 0x01020304;
}

static void test_meta_roundtrip(void **state)
{
	struct ct_meta m, r;
	char path[256], err[512];

	(void)state;
	meta_sample(&m);
	snprintf(path, sizeof(path), "%s/meta", tmpdir);
	assert_int_equal(ct_meta_write(path, &m, err, sizeof(err)), 0);
	assert_int_equal(ct_meta_read(path, &r, err, sizeof(err)), 0);
	assert_string_equal(r.device, m.device);
	assert_string_equal(r.table, m.table);
	assert_string_equal(r.command, m.command);
	assert_int_equal(r.dev_sectors, 8192);
	assert_int_equal(r.flush, CT_FLUSH_HONOR);
	assert_int_equal(r.cache_mb, 64);
	assert_int_equal(r.seed, 42);
	assert_int_equal(r.log_crc, 0xdeadbeef);
	assert_int_equal(r.base_crc, 0x01020304);
	assert_int_equal(r.write_bytes, 13 * 512);
	ct_meta_free(&r);
}

/* Rewrites the sample with @from replaced by @to; expects @msg. */
static void meta_bad(const char *from, const char *to, const char *msg)
{
	struct ct_meta m, r;
	char path[256], err[512];
	uint8_t *b, *p;
	size_t n = 0;
	FILE *fp;

	meta_sample(&m);
	snprintf(path, sizeof(path), "%s/meta", tmpdir);
	assert_int_equal(ct_meta_write(path, &m, err, sizeof(err)), 0);
	b = read_file(path, &n);
	assert_non_null(b);
	b[n] = 0;
	p = (uint8_t *)strstr((char *)b, from);
	assert_non_null(p);
	fp = fopen(path, "w");
	fwrite(b, 1, p - b, fp);
	fputs(to, fp);
	fputs((char *)p + strlen(from), fp);
	fclose(fp);
	free(b);
	err[0] = 0;
	if (!ct_meta_read(path, &r, err, sizeof(err)))
		fail_msg("\"%s\" -> \"%s\" was accepted", from, to);
	if (!strstr(err, msg))
		fail_msg("\"%s\" -> \"%s\": \"%s\" lacks \"%s\"", from, to, err, msg);
}

static void test_meta_bad(void **state)
{
	char path[256], err[512];
	struct ct_meta r;

	(void)state;
	meta_bad("crashtest-record 1", "crashtest-record 7", "version 7");
	meta_bad("crashtest-record 1", "hello", "not a crashtest meta file");
	meta_bad("seed 42\n", "", "seed is missing");
	meta_bad("seed 42\n", "seed 42\nseed 43\n", "seed given twice");
	meta_bad("seed 42", "seed -1", "bad value");
	meta_bad("seed 42", "seed 42x", "bad value");
	meta_bad("\nflush honor", "\nflush sometimes", "bad value");
	meta_bad("log_crc32c 0xdeadbeef", "log_crc32c 0xdeadbee", "bad value");
	meta_bad("cache_mb 64\n", "cache_mb 64\ncolour blue\n", "unknown key");
	meta_bad("cache_mb 64\n", "cache_mb\n", "is not \"key value\"");
	meta_bad("base_bytes 4194304", "base_bytes 4194305", "base_bytes");
	meta_bad("device_sectors 8192", "device_sectors 0", "not a device size");
	meta_bad("base_crc32c 0x01020304\n", "base_crc32c 0x01020304", "truncated");
	/* A NUL byte, an empty file, no file. */
	snprintf(path, sizeof(path), "%s/meta", tmpdir);
	write_file(path, "crashtest-record 1\nseed 4\0002\n", 29);
	assert_true(ct_meta_read(path, &r, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "NUL"));
	write_file(path, "", 0);
	assert_true(ct_meta_read(path, &r, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "empty"));
	snprintf(path, sizeof(path), "%s/nosuch", tmpdir);
	assert_true(ct_meta_read(path, &r, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "No such file"));
}

static void test_meta_match(void **state)
{
	struct tlog t = { 0 };
	struct ct_log log;
	struct ct_meta m;
	char err[512];

	(void)state;
	sample_log(&t);
	assert_int_equal(ct_log_parse(t.buf, t.len, DEV_SECTORS, &log, err,
				      sizeof(err)), 0);
	meta_sample(&m);
	m.log_bytes = t.len;
	m.log_crc = log.crc;
	assert_int_equal(ct_meta_match_log(&m, &log, err, sizeof(err)), 0);
	m.log_crc ^= 1;
	assert_int_equal(ct_meta_match_log(&m, &log, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "modified or corrupted"));
	m.log_crc ^= 1;
	m.log_bytes++;
	assert_int_equal(ct_meta_match_log(&m, &log, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "truncated or replaced"));
	m.log_bytes--;
	m.flushes = 2;
	assert_int_equal(ct_meta_match_log(&m, &log, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "counts differ"));
	free(log.ops);
	tlog_free(&t);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return run("rm -rf %s", tmpdir) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_meta_roundtrip),
		cmocka_unit_test(test_meta_bad),
		cmocka_unit_test(test_meta_match),
	};

	return cmocka_run_group_tests_name("crashtest log and meta", tests,
					   setup, teardown);
}
