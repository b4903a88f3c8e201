// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of blkorder's trace reader (userland/blkorder/trace.c) and its
 * analysis (analyze.c) on synthetic blktrace files written here: good
 * traces with known counts, ordering points and write orders; truncated,
 * corrupt, wrongly versioned, byte-swapped and empty files; and seeded
 * random corruption, which must give an error or a result, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <byteswap.h>
#include <inttypes.h>
#include <linux/blktrace_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "analyze.h"
#include "trace.h"

#define DEV_DM0		((253u << 20) | 0)
#define DEV_VDA		((254u << 20) | 0)

#define TCA(c)		((uint32_t)BLK_TC_ ## c << BLK_TC_SHIFT)
/* Actions as the kernel composes them (see __blk_add_trace()). */
#define A_READ		TCA(READ)
#define A_WRITE		TCA(WRITE)
#define A_FLUSH		(TCA(WRITE) | TCA(FLUSH) | TCA(SYNC))	/* empty preflush bio */
#define A_FN		(TCA(READ) | TCA(FLUSH))		/* REQ_OP_FLUSH request */
#define A_PFUA		(TCA(WRITE) | TCA(FLUSH) | TCA(FUA) | TCA(SYNC))
#define A_FUA		(TCA(WRITE) | TCA(FUA) | TCA(SYNC))
#define A_DISCARD	(TCA(WRITE) | TCA(DISCARD))

/* ---- writing traces -------------------------------------------------------- */

struct rec {
	uint64_t time, sector;
	uint32_t bytes, action, device, cpu;
	uint16_t pdu_len;
	const void *pdu;
};

/* A blk_io_trace record; @swap writes it in the other byte order. */
static void put(FILE *f, const struct rec *r, int swap, uint32_t magic)
{
	struct blk_io_trace b;

	memset(&b, 0, sizeof(b));
	b.magic = magic ? magic : (BLK_IO_TRACE_MAGIC | BLK_IO_TRACE_VERSION);
	b.sequence = 1;
	b.time = r->time;
	b.sector = r->sector;
	b.bytes = r->bytes;
	b.action = r->action;
	b.pid = 42;
	b.device = r->device;
	b.cpu = r->cpu;
	b.pdu_len = r->pdu_len;
	if (swap) {
		b.magic = bswap_32(b.magic);
		b.sequence = bswap_32(b.sequence);
		b.time = bswap_64(b.time);
		b.sector = bswap_64(b.sector);
		b.bytes = bswap_32(b.bytes);
		b.action = bswap_32(b.action);
		b.pid = bswap_32(b.pid);
		b.device = bswap_32(b.device);
		b.cpu = bswap_32(b.cpu);
		b.pdu_len = bswap_16(b.pdu_len);
	}
	assert_int_equal(fwrite(&b, sizeof(b), 1, f), 1);
	if (r->pdu_len && r->pdu)
		assert_int_equal(fwrite(r->pdu, r->pdu_len, 1, f), 1);
}

static void ev(FILE *f, uint64_t t, uint32_t act, uint64_t sector,
	       uint32_t bytes)
{
	struct rec r = { .time = t, .sector = sector, .bytes = bytes,
			 .action = act, .device = DEV_DM0 };

	put(f, &r, 0, 0);
}

/* Reads the stream @f (rewound) into @t; returns bo_read_stream()'s value. */
static int readback(FILE *f, unsigned int flags, struct bo_trace *t,
		    struct bo_file_info *info, char *err)
{
	rewind(f);
	return bo_read_stream(f, "t", 0, 0, flags, t, info, err, BO_ERR_SIZE);
}

/* ---- the reader ---------------------------------------------------------------- */

static void test_read_good(void **state)
{
	static const char comm[16] = "kworker/0:1";
	uint64_t cgid = 7;
	struct bo_file_info info;
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	FILE *f = tmpfile();
	struct rec note = { .time = 5, .action = BLK_TN_PROCESS,
			    .device = DEV_DM0, .pdu_len = sizeof(comm),
			    .pdu = comm };
	struct rec q = { .time = 10, .sector = 2048, .bytes = 4096,
			 .action = BLK_TA_QUEUE | A_WRITE | __BLK_TA_CGROUP,
			 .device = DEV_DM0, .cpu = 1, .pdu_len = 8,
			 .pdu = &cgid };
	struct rec c = { .time = 20, .sector = 2048, .bytes = 4096,
			 .action = BLK_TA_COMPLETE | A_WRITE,
			 .device = DEV_DM0, .cpu = 1 };

	(void)state;
	put(f, &note, 0, 0);
	put(f, &q, 0, 0);
	put(f, &c, 0, 0);
	assert_int_equal(readback(f, 0, &t, &info, err), 0);
	assert_string_equal(err, "");
	assert_int_equal(info.records, 3);
	assert_int_equal(info.bytes, 3 * 48 + 16 + 8);
	assert_int_equal(info.swapped, 0);
	assert_int_equal(info.truncated, 0);
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.rec[1].time, 10);
	assert_int_equal(t.rec[1].sector, 2048);
	assert_int_equal(t.rec[1].bytes, 4096);
	assert_int_equal(t.rec[1].device, DEV_DM0);
	assert_int_equal(t.rec[1].cpu, 1);
	assert_int_equal(t.rec[1].pid, 42);
	assert_int_equal(t.rec[1].idx, 1);
	assert_int_equal(bo_rec_event(&t.rec[0]), BO_EV_NOTE);
	assert_int_equal(bo_rec_event(&t.rec[1]), BO_EV_Q);	/* cgroup bit ignored */
	assert_int_equal(bo_rec_event(&t.rec[2]), BO_EV_C);
	assert_int_equal(bo_rec_kind(&t.rec[1]), BO_K_WRITE);
	bo_trace_free(&t);
	fclose(f);
}

static void test_read_empty(void **state)
{
	struct bo_file_info info;
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	FILE *f = tmpfile();

	(void)state;
	assert_int_equal(readback(f, 0, &t, &info, err), 0);
	assert_int_equal(info.records, 0);
	assert_int_equal(info.bytes, 0);
	assert_int_equal(t.nr, 0);
	fclose(f);
}

static void test_read_truncated(void **state)
{
	struct bo_file_info info;
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	FILE *f = tmpfile();

	(void)state;
	ev(f, 1, BLK_TA_QUEUE | A_WRITE, 0, 4096);
	ev(f, 2, BLK_TA_COMPLETE | A_WRITE, 0, 4096);
	assert_int_equal(fflush(f), 0);
	assert_int_equal(ftruncate(fileno(f), 48 + 20), 0);
	assert_int_equal(readback(f, 0, &t, &info, err), -1);
	assert_string_equal(err,
		"t: truncated: record 1 at offset 48 has 20 of its 48 bytes (a trace cut short? --allow-truncated reads the records before it)");
	bo_trace_free(&t);

	/* allowed: the records before it, and a flag */
	assert_int_equal(readback(f, BO_ALLOW_TRUNCATED, &t, &info, err), 0);
	assert_int_equal(info.records, 1);
	assert_int_equal(info.truncated, 1);
	assert_int_equal(info.bytes, 68);
	assert_int_equal(t.nr, 1);
	bo_trace_free(&t);
	fclose(f);
}

static void test_read_bad_magic(void **state)
{
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	struct rec r = { .time = 2, .action = BLK_TA_QUEUE | A_READ,
			 .bytes = 512 };
	FILE *f = tmpfile();

	(void)state;
	ev(f, 1, BLK_TA_QUEUE | A_WRITE, 0, 4096);
	put(f, &r, 0, 0x12345678);
	assert_int_equal(readback(f, 0, &t, NULL, err), -1);
	assert_string_equal(err,
		"t: record 1 at offset 48: bad magic 0x12345678 (not a blktrace file, or corrupt)");
	/* the records before the error stay */
	assert_int_equal(t.nr, 1);
	bo_trace_free(&t);
	fclose(f);

	/* a text file */
	f = tmpfile();
	fputs("  8,0    1        1     0.000000000  1234  Q  WS 2048 + 8 [dd]\n", f);
	assert_int_equal(readback(f, 0, &t, NULL, err), -1);
	assert_string_equal(err,
		"t: record 0 at offset 0: bad magic 0x2c382020 (not a blktrace file, or corrupt)");
	bo_trace_free(&t);
	fclose(f);
}

static void test_read_bad_version(void **state)
{
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	struct rec r = { .time = 2, .action = BLK_TA_QUEUE | A_READ,
			 .bytes = 512 };
	FILE *f = tmpfile();

	(void)state;
	put(f, &r, 0, BLK_IO_TRACE_MAGIC | 6);
	assert_int_equal(readback(f, 0, &t, NULL, err), -1);
	assert_string_equal(err,
		"t: record 0 at offset 0: blk_io_trace version 6, only version 7 is known");
	bo_trace_free(&t);
	fclose(f);
}

static void test_read_absurd_pdu_len(void **state)
{
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	char pdu[10] = "0123456789";
	struct rec r = { .time = 2, .action = BLK_TN_MESSAGE,
			 .pdu_len = 60000 };
	FILE *f = tmpfile();

	(void)state;
	ev(f, 1, BLK_TA_QUEUE | A_WRITE, 0, 4096);
	put(f, &r, 0, 0);
	assert_int_equal(fwrite(pdu, sizeof(pdu), 1, f), 1);
	assert_int_equal(readback(f, 0, &t, NULL, err), -1);
	assert_string_equal(err,
		"t: record 1 at offset 48: pdu_len 60000 runs past the end of the file (10 bytes left; corrupt or cut short)");
	bo_trace_free(&t);
	fclose(f);

	/* a wrong pdu_len that stays inside the file lands on a bad magic */
	f = tmpfile();
	r.pdu_len = 8;
	r.pdu = pdu;
	put(f, &r, 0, 0);
	ev(f, 3, BLK_TA_QUEUE | A_WRITE, 0, 4096);
	fseek(f, 46, SEEK_SET);		/* pdu_len: the last two bytes */
	fputc(4, f);
	fputc(0, f);
	assert_int_equal(readback(f, 0, &t, NULL, err), -1);
	assert_string_equal(err,
		"t: record 1 at offset 52: bad magic 0x37363534 (not a blktrace file, or corrupt)");
	bo_trace_free(&t);
	fclose(f);
}

static void test_read_swapped(void **state)
{
	struct bo_file_info info;
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE] = "";
	struct rec r = { .time = 0x0102030405060708ull, .sector = 123456789,
			 .bytes = 8192, .action = BLK_TA_ISSUE | A_FUA,
			 .device = DEV_VDA, .cpu = 3, .pdu_len = 4,
			 .pdu = "abcd" };
	FILE *f = tmpfile();

	(void)state;
	put(f, &r, 1, 0);
	put(f, &r, 1, 0);
	assert_int_equal(readback(f, 0, &t, &info, err), 0);
	assert_int_equal(info.swapped, 1);
	assert_int_equal(t.nr, 2);
	assert_true(t.rec[0].time == 0x0102030405060708ull);
	assert_int_equal(t.rec[0].sector, 123456789);
	assert_int_equal(t.rec[0].bytes, 8192);
	assert_int_equal(t.rec[0].action, (uint32_t)(BLK_TA_ISSUE | A_FUA));
	assert_int_equal(t.rec[0].device, DEV_VDA);
	assert_int_equal(t.rec[0].cpu, 3);
	bo_trace_free(&t);
	fclose(f);

	/* byte order changing inside a file */
	f = tmpfile();
	put(f, &r, 1, 0);
	put(f, &r, 0, 0);
	assert_int_equal(readback(f, 0, &t, &info, err), -1);
	assert_string_equal(err,
		"t: record 1 at offset 52: byte order differs from the first record (corrupt)");
	bo_trace_free(&t);
	fclose(f);
}

static void test_sort_merges_cpus(void **state)
{
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE];
	FILE *a = tmpfile(), *b = tmpfile();
	uint64_t want[] = { 1, 2, 3, 3, 4, 6 };
	size_t i;

	(void)state;
	ev(a, 1, BLK_TA_QUEUE | A_WRITE, 0, 512);
	ev(a, 3, BLK_TA_QUEUE | A_WRITE, 1, 512);
	ev(a, 6, BLK_TA_QUEUE | A_WRITE, 2, 512);
	ev(b, 2, BLK_TA_QUEUE | A_WRITE, 10, 512);
	ev(b, 3, BLK_TA_QUEUE | A_WRITE, 11, 512);
	ev(b, 4, BLK_TA_QUEUE | A_WRITE, 12, 512);
	rewind(a);
	rewind(b);
	assert_int_equal(bo_read_stream(b, "b", 0, 1, 0, &t, NULL, err, sizeof(err)), 0);
	assert_int_equal(bo_read_stream(a, "a", 0, 0, 0, &t, NULL, err, sizeof(err)), 0);
	bo_trace_sort(&t);
	for (i = 0; i < 6; i++)
		assert_int_equal(t.rec[i].time, want[i]);
	/* a tie keeps file order: file 0 (a) first */
	assert_int_equal(t.rec[2].sector, 1);
	assert_int_equal(t.rec[3].sector, 11);
	bo_trace_free(&t);
	fclose(a);
	fclose(b);
}

/* ---- one device ------------------------------------------------------------------ */

/* Analyses the records of stream @f as one device counted at @issue. */
static void analyze(FILE *f, int issue, struct bo_dev *d, struct bo_writes *w)
{
	struct bo_trace t = { 0 };
	char err[BO_ERR_SIZE];
	size_t i;

	assert_int_equal(readback(f, 0, &t, NULL, err), 0);
	bo_trace_sort(&t);
	memset(d, 0, sizeof(*d));
	d->issue = issue;
	d->nr = t.nr;
	d->idx = malloc((t.nr + 1) * sizeof(size_t));
	assert_non_null(d->idx);
	for (i = 0; i < t.nr; i++)
		d->idx[i] = i;
	assert_int_equal(bo_dev_analyze(&t, d, w), 0);
	free(d->idx);
	d->idx = NULL;
	bo_trace_free(&t);
}

#define Q(t, a, s, b)	ev(f, t, BLK_TA_QUEUE | (a), s, b)
#define D(t, a, s, b)	ev(f, t, BLK_TA_ISSUE | (a), s, b)
#define C(t, a, s, b)	ev(f, t, BLK_TA_COMPLETE | (a), s, b)

static void test_counts_and_ordering_points(void **state)
{
	struct bo_writes w = { 0 };
	struct bo_dev d;
	FILE *f = tmpfile();

	(void)state;
	Q(1, A_READ, 100, 4096);
	C(2, A_READ, 100, 4096);
	Q(3, A_WRITE, 0, 4096);			/* W0 */
	C(4, A_WRITE, 0, 4096);
	Q(5, A_FLUSH, 0, 0);			/* F: W0 completed before */
	C(6, A_FLUSH, 0, 0);
	Q(7, A_WRITE | TCA(META), 8, 8192);	/* W1: ordering point 1 */
	C(8, A_WRITE, 8, 8192);
	Q(9, A_PFUA, 24, 4096);			/* W2: its preflush orders W1: OP 2 */
	C(10, A_PFUA, 24, 4096);
	Q(11, A_WRITE, 32, 4096);		/* W3: after W2's FUA: OP 3 */
	Q(12, A_WRITE, 40, 4096);		/* W4: no new durability */
	Q(13, A_READ | TCA(AHEAD), 200, 512);
	Q(14, A_DISCARD, 1000, 1 << 20);
	C(15, A_WRITE, 32, 4096);
	C(16, A_WRITE, 40, 4096);
	C(17, A_READ, 200, 512);
	C(18, A_DISCARD, 1000, 1 << 20);
	Q(19, A_FUA, 48, 512);			/* W5: FUA only, nothing new: no OP */
	C(20, A_FUA, 48, 512);
	C(21, A_WRITE, 5000, 4096);		/* never issued */
	analyze(f, BO_EV_Q, &d, &w);

	assert_int_equal(d.st.reads, 2);
	assert_int_equal(d.st.read_bytes, 4608);
	assert_int_equal(d.st.writes, 6);
	assert_int_equal(d.st.write_bytes, 4096 * 4 + 8192 + 512);
	assert_int_equal(d.st.flushes, 1);
	assert_int_equal(d.st.preflush_writes, 1);
	assert_int_equal(d.st.fua_writes, 2);
	assert_int_equal(d.st.sync_writes, 2);
	assert_int_equal(d.st.meta_writes, 1);
	assert_int_equal(d.st.discards, 1);
	assert_int_equal(d.st.discard_bytes, 1 << 20);
	assert_int_equal(d.st.ordering_points, 3);
	assert_int_equal(d.st.max_inflight_writes, 2);
	assert_int_equal(d.st.completions, 10);
	assert_int_equal(d.st.unmatched_completions, 1);
	assert_int_equal(d.st.first_ns, 1);
	assert_int_equal(d.st.last_ns, 21);
	assert_int_equal(d.ev[BO_EV_Q], 10);
	assert_int_equal(d.ev[BO_EV_C], 11);

	assert_int_equal(w.nr, 6);
	assert_int_equal(w.w[0].durable_ns, 6);		/* by F */
	assert_int_equal(w.w[0].durable_by, -1);
	assert_int_equal(w.w[1].durable_ns, 10);	/* by W2's preflush */
	assert_int_equal(w.w[1].durable_by, 2);
	assert_int_equal(w.w[1].flags, BO_W_OP);
	assert_int_equal(w.w[2].durable_ns, 10);	/* its FUA */
	assert_int_equal(w.w[2].flags, BO_W_PREFLUSH | BO_W_FUA | BO_W_OP);
	assert_int_equal(w.w[3].flags, BO_W_OP);
	assert_int_equal(w.w[3].durable_ns, BO_NEVER);
	assert_int_equal(w.w[4].flags, 0);
	assert_int_equal(w.w[4].done_ns, 16);
	assert_int_equal(w.w[5].durable_ns, 20);
	bo_writes_free(&w);
	fclose(f);
}

/*
 * A flush issued before the write completed orders nothing; a preflush
 * issued after it completed does.
 */
static void test_flush_before_completion(void **state)
{
	struct bo_writes w = { 0 };
	struct bo_dev d;
	FILE *f = tmpfile();

	(void)state;
	Q(1, A_WRITE, 0, 4096);		/* W0 */
	Q(2, A_FLUSH, 0, 0);
	C(3, A_WRITE, 0, 4096);
	C(4, A_FLUSH, 0, 0);
	Q(5, A_WRITE, 8, 4096);		/* W1: F did not cover W0: no OP */
	Q(6, A_PFUA, 16, 4096);		/* W2: its preflush covers W0: OP */
	C(7, A_WRITE, 8, 4096);
	C(8, A_PFUA, 16, 4096);
	analyze(f, BO_EV_Q, &d, &w);
	assert_int_equal(d.st.writes, 3);
	assert_int_equal(d.st.flushes, 1);
	assert_int_equal(d.st.ordering_points, 1);
	assert_int_equal(d.st.max_inflight_writes, 2);
	assert_int_equal(w.w[0].durable_ns, 8);
	assert_int_equal(w.w[0].durable_by, 2);
	assert_int_equal(w.w[1].flags, 0);
	assert_int_equal(w.w[1].durable_ns, BO_NEVER);	/* completed after W2 */
	assert_int_equal(w.w[2].flags, BO_W_PREFLUSH | BO_W_FUA | BO_W_OP);
	assert_int_equal(w.w[2].durable_ns, 8);
	bo_writes_free(&w);
	fclose(f);
}

/* At D: merged bios, a requeued request, flush requests (FN). */
static void test_issue_d(void **state)
{
	struct bo_writes w = { 0 };
	struct bo_dev d;
	FILE *f = tmpfile();

	(void)state;
	Q(1, A_WRITE, 0, 4096);
	Q(2, A_WRITE, 8, 4096);			/* merged below */
	ev(f, 3, BLK_TA_BACKMERGE | A_WRITE, 8, 4096);
	D(4, A_WRITE, 0, 8192);
	ev(f, 5, BLK_TA_REQUEUE | A_WRITE, 0, 8192);
	D(6, A_WRITE, 0, 8192);			/* the same request again */
	C(7, A_WRITE, 0, 8192);
	D(8, A_FN, 0, 0);
	C(9, A_FN, 0, 0);
	D(10, A_WRITE, 64, 4096);		/* OP */
	C(11, A_WRITE, 64, 4096);
	analyze(f, BO_EV_D, &d, &w);
	assert_int_equal(d.st.writes, 2);
	assert_int_equal(d.st.write_bytes, 8192 + 4096);
	assert_int_equal(d.st.flushes, 1);
	assert_int_equal(d.st.ordering_points, 1);
	assert_int_equal(d.st.completions, 3);
	assert_int_equal(d.st.unmatched_completions, 0);
	assert_int_equal(d.ev[BO_EV_D], 4);
	assert_int_equal(d.ev[BO_EV_R], 1);
	assert_int_equal(d.ev[BO_EV_M], 1);
	assert_int_equal(w.nr, 2);
	assert_int_equal(w.w[0].sectors, 16);
	assert_int_equal(w.w[0].durable_ns, 9);

	/* the same trace at Q: one completion covers both merged bios */
	analyze(f, BO_EV_Q, &d, NULL);
	assert_int_equal(d.st.writes, 2);
	assert_int_equal(d.st.write_bytes, 8192);
	assert_int_equal(d.st.completions, 2);
	assert_int_equal(d.st.unmatched_completions, 1);	/* 64: never queued */
	assert_int_equal(d.st.max_inflight_writes, 2);
	bo_writes_free(&w);
	fclose(f);
}

/* A request completed in two parts, and the tail of a trimmed one. */
static void test_split_completions(void **state)
{
	struct bo_writes w = { 0 };
	struct bo_dev d;
	FILE *f = tmpfile();

	(void)state;
	Q(1, A_WRITE, 0, 8192);
	C(2, A_WRITE, 0, 4096);
	C(3, A_WRITE, 8, 4096);
	Q(4, A_WRITE, 100, 8192);
	C(5, A_WRITE, 108, 4096);		/* trimmed remainder */
	analyze(f, BO_EV_Q, &d, &w);
	assert_int_equal(d.st.completions, 2);
	assert_int_equal(d.st.unmatched_completions, 0);
	assert_int_equal(w.w[0].done_ns, 3);
	assert_int_equal(w.w[1].done_ns, 5);
	bo_writes_free(&w);
	fclose(f);
}

/* ---- upper vs lower ------------------------------------------------------------------ */

static void wr(struct bo_writes *w, uint64_t t, uint64_t sector,
	       uint32_t sectors)
{
	struct bo_write x = { .issue_ns = t, .done_ns = BO_NEVER,
			      .durable_ns = BO_NEVER, .durable_by = -1,
			      .sector = sector, .sectors = sectors };

	w->w = realloc(w->w, (w->nr + 1) * sizeof(*w->w));
	assert_non_null(w->w);
	w->w[w->nr++] = x;
}

static void test_order_same(void **state)
{
	struct bo_writes up = { 0 }, lo = { 0 };
	struct bo_order o;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		wr(&up, i, (uint64_t)i * 8, 8);
		wr(&lo, 100 + i, 2048 + (uint64_t)i * 8, 8);
	}
	assert_int_equal(bo_order_compare(&up, &lo, 2048, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.upper_writes, 10);
	assert_int_equal(o.lower_writes, 10);
	assert_int_equal(o.matched, 10);
	assert_int_equal(o.unseen, 0);
	assert_int_equal(o.extra_sectors, 0);
	assert_int_equal(o.in_order, 10);
	assert_int_equal(o.reordered, 0);
	assert_int_equal(o.inversions, 0);
	assert_int_equal(o.unit, 8);

	/* without the offset nothing matches */
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.matched, 0);
	assert_int_equal(o.unseen, 10);
	assert_int_equal(o.extra_sectors, 80);
	bo_writes_free(&up);
	bo_writes_free(&lo);
}

static void test_order_reverse(void **state)
{
	struct bo_writes up = { 0 }, lo = { 0 };
	struct bo_order o;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		wr(&up, i, (uint64_t)i * 8, 8);
	for (i = 3; i >= 0; i--)
		wr(&lo, 10 - i, (uint64_t)i * 8, 8);
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.matched, 4);
	assert_int_equal(o.in_order, 1);
	assert_int_equal(o.reordered, 3);
	assert_int_equal(o.inversions, 6);
	assert_int_equal(o.violations, 0);	/* nothing was durable */
	bo_writes_free(&up);
	bo_writes_free(&lo);
}

/* Merged and split below; a block written twice above, once below. */
static void test_order_merge_split_overwrite(void **state)
{
	struct bo_writes up = { 0 }, lo = { 0 };
	struct bo_order o;

	(void)state;
	wr(&up, 1, 0, 8);	/* A */
	wr(&up, 2, 8, 8);	/* B, merged with A below */
	wr(&up, 3, 100, 16);	/* C, split in two below, tail first */
	wr(&up, 4, 0, 8);	/* A again: absorbed, one write below */
	wr(&lo, 10, 108, 8);
	wr(&lo, 11, 0, 16);
	wr(&lo, 12, 100, 8);
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.unit, 4);
	/* A's block reached below only with A2's newer data */
	assert_int_equal(o.matched, 3);
	assert_int_equal(o.absorbed, 1);
	assert_int_equal(o.partial, 0);
	assert_int_equal(o.unseen, 0);
	assert_int_equal(o.extra_sectors, 0);
	/* below: C (pos 0), B and A2 (pos 1): C moved ahead of B */
	assert_int_equal(o.in_order, 2);
	assert_int_equal(o.reordered, 1);
	assert_int_equal(o.inversions, 1);

	/* a lower write before the upper one was issued explains nothing */
	lo.w[0].issue_ns = 0;
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.extra_sectors, 8);
	assert_int_equal(o.partial, 1);
	/* B, A2 (pos 0), C (pos 1): now C arrived after A2 */
	assert_int_equal(o.reordered, 1);

	/* the lower write of block 0 between A and A2: A carried, A2 unseen */
	lo.w[1].issue_ns = 3;
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.matched, 3);
	assert_int_equal(o.absorbed, 0);
	assert_int_equal(o.unseen, 1);
	assert_int_equal(o.extra_sectors, 8);		/* C's tail too early */
	assert_int_equal(o.reordered, 0);
	bo_writes_free(&up);
	bo_writes_free(&lo);
}

static void test_order_violations(void **state)
{
	struct bo_writes up = { 0 }, lo = { 0 };
	struct bo_order o;

	(void)state;
	wr(&up, 1, 0, 8);	/* E: durable (a flush) at 10 */
	up.w[0].durable_ns = 10;
	wr(&up, 5, 8, 8);	/* X: issued before E was durable */
	wr(&up, 20, 16, 8);	/* W: issued after */
	wr(&lo, 30, 16, 8);	/* W below first */
	wr(&lo, 31, 8, 8);	/* then X */
	wr(&lo, 32, 0, 8);	/* then E */
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.reordered, 2);
	assert_int_equal(o.durable, 1);
	/* X before E is allowed; W before E is not */
	assert_int_equal(o.violations, 1);
	assert_int_equal(o.first_violation, 2);

	/* E below first, X last: only reordering, no violation */
	lo.w[0].sector = 0;
	lo.w[1].sector = 16;
	lo.w[2].sector = 8;
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.reordered, 1);
	assert_int_equal(o.violations, 0);
	assert_int_equal(o.first_violation, -1);
	bo_writes_free(&up);
	bo_writes_free(&lo);

	/* a preflush write's own cover: E ordered before P */
	wr(&up, 1, 0, 8);	/* E */
	wr(&up, 5, 8, 8);	/* P: preflush covers E */
	up.w[0].durable_by = 1;
	up.w[0].durable_ns = 9;
	up.w[1].flags = BO_W_PREFLUSH;
	wr(&lo, 30, 8, 8);
	wr(&lo, 31, 0, 8);
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.violations, 1);
	assert_int_equal(o.first_violation, 1);
	bo_writes_free(&up);
	bo_writes_free(&lo);

	/*
	 * E flushed, W after it; E's block rewritten (E2) in a cache that
	 * wrote W first and E's block only with E2's data: E was absorbed,
	 * and its promised order broken all the same.
	 */
	wr(&up, 1, 0, 8);	/* E */
	up.w[0].durable_ns = 3;
	wr(&up, 5, 8, 8);	/* W */
	wr(&up, 6, 0, 8);	/* E2 */
	wr(&lo, 30, 8, 8);
	wr(&lo, 31, 0, 8);
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.matched, 2);
	assert_int_equal(o.absorbed, 1);
	assert_int_equal(o.reordered, 0);	/* W, E2: in order */
	assert_int_equal(o.violations, 1);
	assert_int_equal(o.first_violation, 1);
	bo_writes_free(&up);
	bo_writes_free(&lo);
}

static void test_order_empty(void **state)
{
	struct bo_writes up = { 0 }, lo = { 0 };
	struct bo_order o;

	(void)state;
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.matched, 0);
	assert_int_equal(o.reordered, 0);
	wr(&lo, 1, 0, 8);
	assert_int_equal(bo_order_compare(&up, &lo, 0, BO_MAX_UNITS, &o), 0);
	assert_int_equal(o.extra_sectors, 8);
	bo_writes_free(&lo);
}

/* ---- never a crash ---------------------------------------------------------------------- */

static unsigned int seed;

static uint32_t rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/*
 * A trace with every kind of event, then seeded byte flips, cuts and
 * garbage: the reader answers 0 or -1 with a message, and whatever it
 * read analyses and compares without crashing.
 */
static void test_fuzz(void **state)
{
	static const uint32_t acts[] = {
		BLK_TA_QUEUE | A_WRITE, BLK_TA_QUEUE | A_PFUA,
		BLK_TA_QUEUE | A_FLUSH, BLK_TA_ISSUE | A_FN,
		BLK_TA_COMPLETE | A_WRITE, BLK_TA_COMPLETE | A_FN,
		BLK_TA_ISSUE | A_WRITE, BLK_TA_REQUEUE | A_WRITE,
		BLK_TA_QUEUE | A_DISCARD, BLK_TA_QUEUE | A_READ,
		BLK_TN_MESSAGE, BLK_TA_REMAP | A_WRITE,
	};
	unsigned int s0 = (unsigned int)time(NULL), round;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	(void)state;
	if (getenv("SEED"))
		s0 = (unsigned int)strtoul(getenv("SEED"), NULL, 0);
	printf("# seed: %u (SEED=%u replays it)\n", s0, s0);
	seed = s0;
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (i = 0; i < 400; i++) {
		struct rec r = {
			.time = (uint64_t)i * 10 + rnd() % 30,
			.sector = (rnd() % 64) * 8,
			.bytes = (rnd() % 4) * 4096,
			.action = acts[rnd() % (sizeof(acts) / sizeof(acts[0]))],
			.device = rnd() % 5 ? DEV_DM0 : DEV_VDA,
			.pdu_len = (uint16_t)(rnd() % 3 ? 0 : 16),
			.pdu = "0123456789abcdef",
		};

		put(f, &r, 0, 0);
	}
	fclose(f);

	for (round = 0; round < 300; round++) {
		char *copy = malloc(len + 64);
		size_t n = len, k;
		struct bo_trace t = { 0 };
		struct bo_writes up = { 0 }, lo = { 0 };
		struct bo_dev d;
		struct bo_order o;
		char err[BO_ERR_SIZE] = "";
		FILE *g;
		int ret;

		assert_non_null(copy);
		memcpy(copy, buf, len);
		switch (round % 4) {
		case 0:		/* flip bytes anywhere */
			for (k = 0; k < 1 + rnd() % 8; k++)
				copy[rnd() % n] ^= (char)(1 + rnd() % 255);
			break;
		case 1:		/* flip bytes in the fields that matter */
			for (k = 0; k < 1 + rnd() % 8; k++) {
				size_t rec = rnd() % (n / 48);

				copy[rec * 48 + 16 + rnd() % 32] ^= (char)(1 + rnd() % 255);
			}
			break;
		case 2:		/* cut anywhere */
			n = rnd() % len;
			break;
		case 3:		/* garbage */
			n = rnd() % (len + 64);
			for (k = 0; k < n; k++)
				copy[k] = (char)rnd();
			break;
		}
		g = fmemopen(copy, n ? n : 1, "rb");
		assert_non_null(g);
		if (!n)
			fgetc(g);
		ret = bo_read_stream(g, "fuzz", 0, 0, round & 1 ? BO_ALLOW_TRUNCATED : 0,
				     &t, NULL, err, sizeof(err));
		fclose(g);
		if (ret)
			assert_true(strncmp(err, "fuzz: ", 6) == 0);
		else
			assert_string_equal(err, "");
		bo_trace_sort(&t);
		memset(&d, 0, sizeof(d));
		d.nr = t.nr;
		d.idx = malloc((t.nr + 1) * sizeof(size_t));
		assert_non_null(d.idx);
		for (k = 0; k < t.nr; k++)
			d.idx[k] = k;
		d.issue = BO_EV_Q;
		assert_int_equal(bo_dev_analyze(&t, &d, &up), 0);
		d.issue = BO_EV_D;
		assert_int_equal(bo_dev_analyze(&t, &d, &lo), 0);
		ret = bo_order_compare(&up, &lo, rnd() % 16, 1u << 18, &o);
		if (ret) {
			assert_int_equal(ret, -2);
			assert_true(o.units > 1u << 18);
		} else {
			assert_true(o.matched + o.absorbed + o.unseen == o.upper_writes);
			assert_true(o.in_order <= o.matched);
			assert_true(o.violations <= o.matched + o.absorbed);
		}
		free(d.idx);
		bo_writes_free(&up);
		bo_writes_free(&lo);
		bo_trace_free(&t);
		free(copy);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest blkorder[] = {
		cmocka_unit_test(test_read_good),
		cmocka_unit_test(test_read_empty),
		cmocka_unit_test(test_read_truncated),
		cmocka_unit_test(test_read_bad_magic),
		cmocka_unit_test(test_read_bad_version),
		cmocka_unit_test(test_read_absurd_pdu_len),
		cmocka_unit_test(test_read_swapped),
		cmocka_unit_test(test_sort_merges_cpus),
		cmocka_unit_test(test_counts_and_ordering_points),
		cmocka_unit_test(test_flush_before_completion),
		cmocka_unit_test(test_issue_d),
		cmocka_unit_test(test_split_completions),
		cmocka_unit_test(test_order_same),
		cmocka_unit_test(test_order_reverse),
		cmocka_unit_test(test_order_merge_split_overwrite),
		cmocka_unit_test(test_order_violations),
		cmocka_unit_test(test_order_empty),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(blkorder, NULL, NULL);
}
