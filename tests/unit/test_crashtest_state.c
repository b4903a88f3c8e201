// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: the crash-state generator (userland/crashtest/state.c):
 * epoch boundaries (FLUSH, FUA), the honor and ignore models, that both
 * models make the same seeded draws, ids, and determinism.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test_crashtest_lib.h"
#include "state.h"

#define DEV_SECTORS	8192

/*
 *  rec: 0 W(0)  1 W(8)  2 F  3 W(16)  4 W(24,FUA)  5 W(32)  6 MARK
 *       7 W(0)  8 F  9 W(40)          (every write 8 sectors)
 */
static void epoch_log(struct tlog *t)
{
	struct noorder_log_rec rec;

	tlog_write(t, 0, 8, 0);
	tlog_write(t, 8, 8, 0);
	tlog_flush(t);
	tlog_write(t, 16, 8, 0);
	tlog_write(t, 24, 8, NOORDER_LOG_FUA);
	tlog_write(t, 32, 8, 0);
	ct_log_rec_fill(&rec, NOORDER_LOG_MARK, 0, t->seq++, 1, 0);
	tlog_put(t, &rec, sizeof(rec));
	tlog_write(t, 0, 8, 0);
	tlog_flush(t);
	tlog_write(t, 40, 8, 0);
}

struct fixture {
	struct tlog t;
	struct ct_log log;
	struct ct_space sp;
};

static void fixture_init(struct fixture *f, void (*fill)(struct tlog *),
			 uint64_t seed, uint64_t window)
{
	char err[256];

	memset(f, 0, sizeof(*f));
	fill(&f->t);
	assert_int_equal(ct_log_parse(f->t.buf, f->t.len, DEV_SECTORS, &f->log,
				      err, sizeof(err)), 0);
	assert_int_equal(ct_space_init(&f->sp, &f->log, seed, window, err,
				       sizeof(err)), 0);
}

static void fixture_free(struct fixture *f)
{
	ct_space_free(&f->sp);
	free(f->log.ops);
	tlog_free(&f->t);
}

static void build(struct fixture *f, int model, uint64_t p, uint64_t k,
		  struct ct_state *st)
{
	struct ct_state_id id = { .model = model, .point = p, .k = k };
	char err[256];

	assert_int_equal(ct_state_build(&f->sp, &id, st, err, sizeof(err)), 0);
}

static void test_epochs(void **state)
{
	static const uint32_t wcount[] = { 0, 1, 2, 2, 3, 4, 5, 5, 6, 6, 7 };
	static const uint32_t durable[] = { 0, 0, 0, 2, 2, 4, 4, 4, 4, 6, 6 };
	static const uint32_t prefix[] = { 0, 3, 5, 9, 10 };
	static const uint32_t cand[] = { 1, 2, 3, 4, 5, 6, 8, 9, 10 };
	struct fixture f;
	size_t i;

	(void)state;
	fixture_init(&f, epoch_log, 1, 1 << 20);
	assert_int_equal(f.sp.nr_points, 11);
	for (i = 0; i < 11; i++) {
		assert_int_equal(f.sp.wcount[i], wcount[i]);
		assert_int_equal(f.sp.durable[i], durable[i]);
	}
	assert_int_equal(f.sp.nr_prefix, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(f.sp.prefix[i], prefix[i]);
	assert_int_equal(f.sp.nr_cand, 9);
	for (i = 0; i < 9; i++)
		assert_int_equal(f.sp.cand[i], cand[i]);
	fixture_free(&f);
}

/* honor: everything before the last boundary, a subset after it. */
static void test_honor(void **state)
{
	struct ct_state st = { 0 };
	struct fixture f;
	uint64_t p, k;
	size_t j;

	(void)state;
	fixture_init(&f, epoch_log, 7, 1 << 20);
	for (p = 0; p <= 10; p++) {
		build(&f, CT_MODEL_HONOR, p, 0, &st);
		assert_int_equal(st.nr, f.sp.wcount[p]);
		assert_int_equal(st.nr_durable, f.sp.durable[p]);
		for (j = 0; j < st.nr; j++)
			assert_int_equal(st.order[j], j);
		for (k = 1; k < 50; k++) {
			build(&f, CT_MODEL_HONOR, p, k, &st);
			assert_int_equal(st.nr_durable, f.sp.durable[p]);
			assert_int_equal(st.nr_uncertain,
					 f.sp.wcount[p] - f.sp.durable[p]);
			for (j = 0; j < st.nr_durable; j++)
				assert_int_equal(st.order[j], j);
			for (j = st.nr_durable; j < st.nr; j++) {
				assert_true(st.order[j] >= f.sp.durable[p]);
				assert_true(st.order[j] < f.sp.wcount[p]);
			}
		}
	}
	/* Right after the FUA write (p 5) nothing is uncertain. */
	build(&f, CT_MODEL_HONOR, 5, 3, &st);
	assert_int_equal(st.nr_uncertain, 0);
	assert_int_equal(st.nr, 4);
	/* p 8 (after the mark and W(0)): writes 4 and 5 uncertain. */
	build(&f, CT_MODEL_HONOR, 8, 1, &st);
	assert_int_equal(st.nr_durable, 4);
	assert_int_equal(st.nr_uncertain, 2);
	ct_state_free(&st);
	fixture_free(&f);
}

/* ignore: the window decides, flushes do not. */
static void test_ignore(void **state)
{
	struct ct_state st = { 0 };
	struct ct_state_id id = { .model = CT_MODEL_IGNORE, .has_window = 1 };
	struct fixture f;
	char err[256];
	uint64_t p;

	(void)state;
	fixture_init(&f, epoch_log, 7, 1 << 20);
	for (p = 0; p <= 10; p++) {
		/* A 1 MiB window holds everything: all uncertain. */
		build(&f, CT_MODEL_IGNORE, p, 1, &st);
		assert_int_equal(st.nr_durable, 0);
		assert_int_equal(st.nr_uncertain, f.sp.wcount[p]);
		/* No window: a disk without a cache, nothing uncertain. */
		id.point = p;
		id.k = 1;
		id.window = 0;
		assert_int_equal(ct_state_build(&f.sp, &id, &st, err, sizeof(err)), 0);
		assert_int_equal(st.nr_uncertain, 0);
		assert_int_equal(st.nr, f.sp.wcount[p]);
		/* 8 KiB: the last two writes (4 KiB each). */
		id.window = 8192;
		assert_int_equal(ct_state_build(&f.sp, &id, &st, err, sizeof(err)), 0);
		assert_int_equal(st.nr_uncertain, f.sp.wcount[p] < 2 ? f.sp.wcount[p] : 2);
		/* 8191 bytes: only the last one. */
		id.window = 8191;
		assert_int_equal(ct_state_build(&f.sp, &id, &st, err, sizeof(err)), 0);
		assert_int_equal(st.nr_uncertain, f.sp.wcount[p] < 1 ? 0 : 1);
	}
	ct_state_free(&st);
	fixture_free(&f);
}

/* 400 writes of 1-16 sectors, a flush every ~10, FUA now and then. */
static void big_log(struct tlog *t)
{
	uint64_t h;
	int i;

	for (i = 0; i < 400; i++) {
		h = ct_hash4(99, i, 0, 0);
		tlog_write(t, h % (DEV_SECTORS - 16), 1 + (h >> 20) % 16,
			   (h >> 30) % 17 == 0 ? NOORDER_LOG_FUA : 0);
		if ((h >> 40) % 10 == 0)
			tlog_flush(t);
	}
}

static int kept(const struct ct_state *st, uint32_t w)
{
	size_t j;

	for (j = st->nr_durable; j < st->nr; j++)
		if (st->order[j] == w)
			return 1;
	return 0;
}

/*
 * The same crash point and draw under both models: the same kind of
 * draw, and each write uncertain under both is kept by both or by neither.
 */
static void test_same_draws(void **state)
{
	struct ct_state h = { 0 }, g = { 0 };
	struct fixture f;
	uint64_t p, k;
	uint32_t w;
	int compared = 0, kinds[4] = { 0 };

	(void)state;
	fixture_init(&f, big_log, 3, 64 << 20);
	for (p = 0; p < f.sp.nr_points; p += 7) {
		for (k = 1; k <= 20; k++) {
			build(&f, CT_MODEL_HONOR, p, k, &h);
			build(&f, CT_MODEL_IGNORE, p, k, &g);
			assert_int_equal(h.draw, g.draw);
			kinds[h.draw]++;
			/* The window holds everything: all of honor's uncertain writes are ignore's too. */
			assert_true(g.nr_durable <= h.nr_durable);
			if (h.draw == CT_DRAW_PREFIX)
				continue;
			for (w = h.nr_durable; w < f.sp.wcount[p]; w++) {
				assert_int_equal(kept(&h, w), kept(&g, w));
				compared++;
			}
		}
	}
	assert_true(compared > 1000);
	assert_true(kinds[CT_DRAW_PREFIX] && kinds[CT_DRAW_SUBSET] &&
		    kinds[CT_DRAW_REORDER]);
	ct_state_free(&h);
	ct_state_free(&g);
	fixture_free(&f);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Prefix draws keep a prefix; subsets ascend; reorderings permute a subset. */
static void test_draw_kinds(void **state)
{
	struct ct_state st = { 0 };
	struct fixture f;
	uint64_t p, k;
	size_t j, n;
	uint32_t *sorted;
	int permuted = 0;

	(void)state;
	fixture_init(&f, big_log, 5, 64 << 20);
	for (p = 1; p < f.sp.nr_points; p += 13) {
		for (k = 1; k <= 16; k++) {
			build(&f, CT_MODEL_IGNORE, p, k, &st);
			n = st.nr - st.nr_durable;
			if (st.draw == CT_DRAW_PREFIX) {
				for (j = 0; j < n; j++)
					assert_int_equal(st.order[st.nr_durable + j],
							 st.nr_durable + j);
			} else if (st.draw == CT_DRAW_SUBSET) {
				for (j = st.nr_durable + 1; j < st.nr; j++)
					assert_true(st.order[j - 1] < st.order[j]);
			} else {
				sorted = malloc((n + 1) * sizeof(*sorted));
				memcpy(sorted, st.order + st.nr_durable,
				       n * sizeof(*sorted));
				qsort(sorted, n, sizeof(*sorted), cmp_u32);
				for (j = 1; j < n; j++)
					assert_true(sorted[j - 1] < sorted[j]);
				if (n > 1 && memcmp(sorted, st.order + st.nr_durable,
						    n * sizeof(*sorted)))
					permuted++;
				free(sorted);
			}
		}
	}
	assert_true(permuted > 10);
	ct_state_free(&st);
	fixture_free(&f);
}

static void test_ids(void **state)
{
	static const char *const good[] = {
		"honor:0:0", "ignore:12:3", "honor:5:7:s99", "ignore:5:7:w4096",
		"ignore:5:7:s2:w0",
	};
	static const char *const bad[] = {
		"", "honor", "honor:1", "honour:1:2", "honor:x:1", "honor:1:-1",
		"honor:1:2:", "honor::2", "honor:1:2:q5", "honor:1:2:s",
		"honor:1:2:w100", "ignore:1:2:s1:s2", "honor:1:2:3",
		"ignore:99999999999:1", "honor: 1:2",
	};
	struct ct_state_id id;
	struct fixture f;
	char err[256], buf[96];
	size_t i;

	(void)state;
	fixture_init(&f, epoch_log, 1, 1 << 20);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ct_id_parse(good[i], &id, err, sizeof(err)), 0);
		ct_id_format(&f.sp, &id, buf, sizeof(buf));
		assert_string_equal(buf, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (!ct_id_parse(bad[i], &id, err, sizeof(err)))
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(strstr(err, "bad state id"));
	}
	/* The record's own seed and window are left out. */
	assert_int_equal(ct_id_parse("ignore:3:1:s1:w1048576", &id, err,
				     sizeof(err)), 0);
	ct_id_format(&f.sp, &id, buf, sizeof(buf));
	assert_string_equal(buf, "ignore:3:1");
	/* A point past the log is refused by build, not parse. */
	assert_int_equal(ct_id_parse("honor:11:0", &id, err, sizeof(err)), 0);
	{
		struct ct_state st = { 0 };

		assert_int_equal(ct_state_build(&f.sp, &id, &st, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "beyond the log"));
		ct_state_free(&st);
	}
	fixture_free(&f);
}

/* The same id always builds the same state; the generator repeats. */
static void test_determinism(void **state)
{
	struct ct_state a = { 0 }, b = { 0 };
	struct ct_state_id ia, ib, ic, seed2 = { .has_seed = 1, .seed = 77 };
	struct ct_gen g1, g2, g3, g4;
	int honor[] = { CT_MODEL_HONOR }, ignore[] = { CT_MODEL_IGNORE };
	int both[] = { CT_MODEL_HONOR, CT_MODEL_IGNORE };
	struct fixture f;
	int i, differ = 0, prefixes = 0;

	(void)state;
	fixture_init(&f, big_log, 11, 64 << 20);
	build(&f, CT_MODEL_HONOR, 300, 4, &a);
	build(&f, CT_MODEL_IGNORE, 17, 2, &b);
	build(&f, CT_MODEL_HONOR, 300, 4, &b);
	assert_int_equal(a.nr, b.nr);
	assert_memory_equal(a.order, b.order, a.nr * sizeof(*a.order));

	assert_int_equal(ct_gen_init(&g1, &f.sp, honor, 1, NULL), 0);
	assert_int_equal(ct_gen_init(&g2, &f.sp, ignore, 1, NULL), 0);
	assert_int_equal(ct_gen_init(&g3, &f.sp, both, 2, NULL), 0);
	assert_int_equal(ct_gen_init(&g4, &f.sp, honor, 1, &seed2), 0);
	for (i = 0; i < 2000; i++) {
		assert_int_equal(ct_gen_next(&g1, &ia), 0);
		assert_int_equal(ct_gen_next(&g2, &ib), 0);
		/* Same crash points and draws under both models. */
		assert_int_equal(ia.model, CT_MODEL_HONOR);
		assert_int_equal(ib.model, CT_MODEL_IGNORE);
		assert_int_equal(ia.point, ib.point);
		assert_int_equal(ia.k, ib.k);
		/* "both" gives the pair, honor first. */
		assert_int_equal(ct_gen_next(&g3, &ic), 0);
		assert_int_equal(ic.model, CT_MODEL_HONOR);
		assert_int_equal(ic.point, ia.point);
		assert_int_equal(ic.k, ia.k);
		assert_int_equal(ct_gen_next(&g3, &ic), 0);
		assert_int_equal(ic.model, CT_MODEL_IGNORE);
		assert_int_equal(ic.point, ia.point);
		assert_int_equal(ic.k, ia.k);
		/* Another seed, another sequence (beyond the first prefixes). */
		assert_int_equal(ct_gen_next(&g4, &ic), 0);
		assert_int_equal(ic.has_seed, 1);
		assert_int_equal(ic.seed, 77);
		differ += ic.point != ia.point || ic.k != ia.k;
		if (!ia.k)
			prefixes++;
		/* The first draw is the end of the log, the third its start. */
		if (i == 0)
			assert_true(ia.point == f.sp.nr_points - 1 && !ia.k);
		if (i == 2)
			assert_true(ia.point == 0 && !ia.k);
	}
	assert_int_equal(prefixes, f.sp.nr_prefix);
	assert_true(differ > 1000);
	ct_gen_free(&g1);
	ct_gen_free(&g2);
	ct_gen_free(&g3);
	ct_gen_free(&g4);
	ct_state_free(&a);
	ct_state_free(&b);
	fixture_free(&f);
}

/* Every epoch prefix is visited once, in the first 2 * nr_prefix draws. */
static void test_gen_prefixes(void **state)
{
	int honor[] = { CT_MODEL_HONOR };
	struct ct_state_id id;
	struct ct_gen g;
	struct fixture f;
	char seen[16] = { 0 };
	size_t i;

	(void)state;
	fixture_init(&f, epoch_log, 1, 1 << 20);
	assert_int_equal(ct_gen_init(&g, &f.sp, honor, 1, NULL), 0);
	for (i = 0; i < 2 * f.sp.nr_prefix; i++) {
		assert_int_equal(ct_gen_next(&g, &id), 0);
		if (id.k)
			continue;
		assert_true(id.point < 16);
		assert_int_equal(seen[id.point], 0);
		seen[id.point] = 1;
	}
	for (i = 0; i < f.sp.nr_prefix; i++)
		assert_int_equal(seen[f.sp.prefix[i]], 1);
	ct_gen_free(&g);
	fixture_free(&f);
}

static void empty_log(struct tlog *t)
{
	(void)t;
}

/* A log without writes: the base is the only state. */
static void test_empty(void **state)
{
	int honor[] = { CT_MODEL_HONOR };
	struct ct_state_id id;
	struct ct_gen g;
	struct fixture f;

	(void)state;
	fixture_init(&f, empty_log, 1, 1 << 20);
	assert_int_equal(ct_gen_init(&g, &f.sp, honor, 1, NULL), 0);
	assert_int_equal(ct_gen_next(&g, &id), 0);
	assert_int_equal(id.point, 0);
	assert_int_equal(ct_gen_next(&g, &id), -ENOENT);
	ct_gen_free(&g);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epochs),
		cmocka_unit_test(test_honor),
		cmocka_unit_test(test_ignore),
		cmocka_unit_test(test_same_draws),
		cmocka_unit_test(test_draw_kinds),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_gen_prefixes),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests_name("crashtest states", tests, NULL, NULL);
}
