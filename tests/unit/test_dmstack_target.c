// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of dmstack's status parser and crash messages
 * (userland/dmstack/target.c): dm-faultinj's, dm-noorder's and
 * dm-subsist's (pool and vdisk) status lines split into named fields, lines that are short, long or garbled
 * refused (so dmstack shows them raw), seeded mutations of good lines,
 * and the crash words turned into each target's message.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "target.h"

static const char *const no_names[] = {
	"reads", "writes", "read_hits", "cached_writes", "cached_bytes",
	"cached_blocks", "destaged", "flushes", "flushes_ignored", "fuas",
	"fuas_ignored", "discards", "crash_kept", "crash_dropped", "flush",
	"crash_state", "log_state", "log_records", "log_bytes",
	"cached_bytes_max", "deferred", NULL
};

/* A noorder line as the kernel prints it: every field different. */
#define NO_LINE	"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19"

static int parse(const char *target, const char *line, struct dms_status *st)
{
	int r = dms_status_parse(target, line, st);

	if (r < 0)
		assert_int_equal(st->nr, 0);
	return r;
}

static void test_noorder_good(void **state)
{
	static const char *const vals[] = {
		"11", "22", "3", "4", "16384", "5", "6", "7", "8", "9", "10",
		"12", "13", "14", "honor", "live", "off", "15", "17", "18", "19"
	};
	struct dms_status st;
	int i;

	(void)state;
	assert_int_equal(parse("noorder", NO_LINE, &st), 1);
	assert_int_equal(st.nr, 21);
	for (i = 0; no_names[i]; i++) {
		assert_string_equal(st.f[i].name, no_names[i]);
		assert_string_equal(st.f[i].val, vals[i]);
	}
	assert_int_equal(st.nr_rules, 0);
	assert_string_equal(dms_status_get(&st, "cached_bytes"), "16384");
	assert_string_equal(dms_status_get(&st, "crash_state"), "live");
	assert_null(dms_status_get(&st, "nr_rules"));
	assert_null(dms_status_get(&st, "mode"));
	dms_status_free(&st);

	/* The other words of the word fields; the largest u64. */
	assert_int_equal(parse("noorder",
			       "0 0 0 0 0 0 0 0 0 0 0 0 3 5 ignore crashed overflow 18446744073709551615 0 0 0",
			       &st), 1);
	assert_string_equal(dms_status_get(&st, "flush"), "ignore");
	assert_string_equal(dms_status_get(&st, "crash_state"), "crashed");
	assert_string_equal(dms_status_get(&st, "log_state"), "overflow");
	assert_string_equal(dms_status_get(&st, "log_records"), "18446744073709551615");
	assert_string_equal(dms_status_get(&st, "crash_kept"), "3");
	assert_string_equal(dms_status_get(&st, "crash_dropped"), "5");
	dms_status_free(&st);
	assert_int_equal(parse("noorder", "1 1 1 1 1 1 1 1 1 1 1 1 1 1 honor live on 1 1 1 1", &st), 1);
	assert_string_equal(dms_status_get(&st, "log_state"), "on");
	dms_status_free(&st);

	/* Blanks around and between the words (some targets end with one). */
	assert_int_equal(parse("noorder", "  " NO_LINE " \n", &st), 1);
	assert_string_equal(dms_status_get(&st, "reads"), "11");
	assert_string_equal(dms_status_get(&st, "log_bytes"), "17");
	dms_status_free(&st);
	assert_int_equal(parse("noorder",
			       "11\t22 3  4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19",
			       &st), 1);
	assert_string_equal(dms_status_get(&st, "writes"), "22");
	dms_status_free(&st);
}

static void test_noorder_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		/* 20 fields, 22 fields */
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 18 19",
		NO_LINE " 18",
		/* a word where a number goes, and the reverse */
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 honor 14 live off 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 1 live off 15 17 18 19",
		/* words not in their lists, or in another case */
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honour live off 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 HONOR live off 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor dead off 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live of 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live offf 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 live honor off 15 17 18 19",
		/* numbers that are not */
		"-1 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19",
		"11 22x 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19",
		"11 22 3 4 0x10 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 1.5 18 19",
		"11 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 18446744073709551616 17 18 19",
		"+1 22 3 4 16384 5 6 7 8 9 10 12 13 14 honor live off 15 17 18 19",
		/* faultinj's line is not noorder's */
		"1 8 0 0 1 1 1 live 0 0 3 1:1 2:1 3:1",
		NULL
	};
	struct dms_status st;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		int r = parse("noorder", bad[i], &st);

		if (r != -EINVAL)
			print_error("line '%s': got %d, want -EINVAL\n", bad[i], r);
		assert_int_equal(r, -EINVAL);
		assert_int_equal(st.nr_rules, 0);
		dms_status_free(&st);
	}
}

/* The example of docs/dm-subsist.rst, every field different. */
#define SP_LINE	"4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 off 11"
#define SV_LINE	"2 300 290 41 300 200 3 4"

static void test_subsist_good(void **state)
{
	static const char *const sp_names[] = {
		"block_size", "used", "total", "mapped", "shared", "saved",
		"ratio", "cache_hits", "cache_misses", "merges", "collisions",
		"mismatches", "meta_writes", "nospc", "mode", "commits", "hints",
		"stale_keys", NULL
	};
	static const char *const sp_vals[] = {
		"4096", "300", "65536", "900", "301", "600", "3.00", "5", "6",
		"602", "7", "8", "12", "9", "ok", "10", "off", "11"
	};
	static const char *const sv_names[] = {
		"index", "mapped", "shared", "reads", "writes", "merged", "cow",
		"discarded", NULL
	};
	struct dms_status st;
	int i;

	(void)state;
	assert_int_equal(parse("subsist-pool", SP_LINE, &st), 1);
	assert_int_equal(st.nr, 18);
	for (i = 0; sp_names[i]; i++) {
		assert_string_equal(st.f[i].name, sp_names[i]);
		assert_string_equal(st.f[i].val, sp_vals[i]);
	}
	dms_status_free(&st);
	/* The other forms of ratio, mode, commits and hints. */
	assert_int_equal(parse("subsist-pool",
			       "512 0/18446744073709551615 0 0 0 1.00 0 0 0 0 0 0 0 out_of_space - on:0 0",
			       &st), 1);
	assert_string_equal(dms_status_get(&st, "total"), "18446744073709551615");
	assert_string_equal(dms_status_get(&st, "mode"), "out_of_space");
	assert_string_equal(dms_status_get(&st, "commits"), "-");
	assert_string_equal(dms_status_get(&st, "hints"), "on:0");
	dms_status_free(&st);
	assert_int_equal(parse("subsist-pool",
			       "4096 7/8 9 0 2 1.28 0 0 0 0 0 0 0 read_only 3 on:123 0",
			       &st), 1);
	assert_string_equal(dms_status_get(&st, "ratio"), "1.28");
	assert_string_equal(dms_status_get(&st, "mode"), "read_only");
	assert_string_equal(dms_status_get(&st, "hints"), "on:123");
	dms_status_free(&st);
	assert_int_equal(parse("subsist-pool", " " SP_LINE " \n", &st), 1);
	dms_status_free(&st);

	assert_int_equal(parse("subsist", SV_LINE, &st), 1);
	assert_int_equal(st.nr, 8);
	for (i = 0; sv_names[i]; i++)
		assert_string_equal(st.f[i].name, sv_names[i]);
	assert_string_equal(dms_status_get(&st, "index"), "2");
	assert_string_equal(dms_status_get(&st, "discarded"), "4");
	assert_null(dms_status_get(&st, "used"));
	dms_status_free(&st);
}

static void test_subsist_bad(void **state)
{
	static const struct {
		const char *target, *line;
	} bad[] = {
		{ "subsist-pool", "" },
		/* used/total not split by '/', or half of it missing */
		{ "subsist-pool", "4096 300 65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 300/ 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 /65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 1/2/3 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 off 11" },
		/* one field short, one too many */
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 11" },
		{ "subsist-pool", SP_LINE " 0" },
		/* ratios that are not */
		{ "subsist-pool", "4096 300/65536 900 301 600 3 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.0 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 .00 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.000 5 6 602 7 8 12 9 ok 10 off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.x0 5 6 602 7 8 12 9 ok 10 off 11" },
		/* mode, commits, hints */
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 full 10 off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok -- off 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 on 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 on: 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 on:x 11" },
		{ "subsist-pool", "4096 300/65536 900 301 600 3.00 5 6 602 7 8 12 9 ok 10 of 11" },
		/* a vdisk's line is not the pool's, nor the reverse */
		{ "subsist-pool", SV_LINE },
		{ "subsist", SP_LINE },
		{ "subsist", "" },
		{ "subsist", "2 300 290 41 300 200 3" },
		{ "subsist", SV_LINE " 5" },
		{ "subsist", "2 300 290 41 300 200 3 x" },
		{ "subsist", "-2 300 290 41 300 200 3 4" },
		{ NULL, NULL }
	};
	struct dms_status st;
	int i;

	(void)state;
	for (i = 0; bad[i].target; i++) {
		int r = parse(bad[i].target, bad[i].line, &st);

		if (r != -EINVAL)
			print_error("%s line '%s': got %d, want -EINVAL\n",
				    bad[i].target, bad[i].line, r);
		assert_int_equal(r, -EINVAL);
		dms_status_free(&st);
	}
}

static void test_faultinj(void **state)
{
	struct dms_status st;

	(void)state;
	/* The example of docs/dm-faultinj.rst. */
	assert_int_equal(parse("faultinj", "1 8 0 0 1 1 1 live 0 0 3 1:1 2:1 3:1", &st), 1);
	assert_int_equal(st.nr, 11);
	assert_string_equal(st.f[0].name, "reads");
	assert_string_equal(st.f[1].val, "8");
	assert_string_equal(st.f[7].name, "crash_state");
	assert_string_equal(st.f[7].val, "live");
	assert_string_equal(st.f[10].name, "nr_rules");
	assert_string_equal(st.f[10].val, "3");
	assert_int_equal(st.nr_rules, 3);
	assert_string_equal(st.rules[0].name, "1");
	assert_string_equal(st.rules[0].val, "1");
	assert_string_equal(st.rules[2].name, "3");
	dms_status_free(&st);

	assert_int_equal(parse("faultinj", "0 0 0 0 0 0 0 armed:40 0 17 0", &st), 1);
	assert_string_equal(dms_status_get(&st, "crash_state"), "armed:40");
	assert_string_equal(dms_status_get(&st, "type_extents"), "17");
	assert_int_equal(st.nr_rules, 0);
	assert_null(st.rules);
	dms_status_free(&st);
	assert_int_equal(parse("faultinj", "5 6 7 8 0 0 0 crashed 12 0 1 42:1000000 ", &st), 1);
	assert_string_equal(dms_status_get(&st, "crash_dropped"), "12");
	assert_string_equal(st.rules[0].name, "42");
	assert_string_equal(st.rules[0].val, "1000000");
	dms_status_free(&st);
}

static void test_faultinj_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"1 8 0 0 1 1 1 live 0 0",		/* no nr_rules */
		"1 8 0 0 1 1 1 live 0 0 3 1:1 2:1",	/* a rule missing */
		"1 8 0 0 1 1 1 live 0 0 1 1:1 2:1",	/* one too many */
		"1 8 0 0 1 1 1 live 0 0 1 11",		/* no colon */
		"1 8 0 0 1 1 1 live 0 0 1 a:1",
		"1 8 0 0 1 1 1 live 0 0 1 1:",
		"1 8 0 0 1 1 1 live 0 0 1 :1",
		"1 8 0 0 1 1 1 live 0 0 1 1:1:1",
		"1 8 0 0 1 1 1 armed: 0 0 0",
		"1 8 0 0 1 1 1 armed:x 0 0 0",
		"1 8 0 0 1 1 1 armed:-1 0 0 0",
		"1 8 0 0 1 1 1 Live 0 0 0",
		"1 8 0 0 1 1 live 0 0 0",		/* a counter missing */
		"1 8 0 0 1 1 1 live 0 0 x",
		NO_LINE,
		NULL
	};
	struct dms_status st;
	int i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		int r = parse("faultinj", bad[i], &st);

		if (r != -EINVAL)
			print_error("line '%s': got %d, want -EINVAL\n", bad[i], r);
		assert_int_equal(r, -EINVAL);
		assert_int_equal(st.nr_rules, 0);
		dms_status_free(&st);
	}
}

static void test_other_targets(void **state)
{
	struct dms_status st;

	(void)state;
	/* No parser: 0, nothing named, shown raw by the caller. */
	assert_int_equal(dms_status_parse("linear", "", &st), 0);
	assert_int_equal(st.nr, 0);
	dms_status_free(&st);
	assert_int_equal(dms_status_parse("flakey", NO_LINE, &st), 0);
	assert_int_equal(st.nr, 0);
	dms_status_free(&st);
	assert_int_equal(dms_status_parse("noorder2", NO_LINE, &st), 0);
	dms_status_free(&st);
	/* Freeing twice is harmless. */
	dms_status_free(&st);
}

static unsigned int seed;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

/*
 * Seeded mutations of good lines: cut anywhere, a byte replaced by any
 * byte, words dropped or doubled.  The parser never reads out of bounds
 * (run under valgrind or ASan to be sure), and accepts a mutated line
 * only when it still has its target's layout.
 */
static void test_mutations(void **state)
{
	static const struct {
		const char *target, *line;
	} good[] = {
		{ "noorder", NO_LINE },
		{ "noorder", "0 0 0 0 0 0 0 0 0 0 0 0 3 5 ignore crashed overflow 1 0 0 0" },
		{ "faultinj", "1 8 0 0 1 1 1 live 0 0 3 1:1 2:1 3:1" },
		{ "faultinj", "0 0 0 0 0 0 0 armed:40 0 17 0" },
		{ "subsist-pool", SP_LINE },
		{ "subsist", SV_LINE },
	};
	const char *env = getenv("SEED");
	unsigned int s0 = env ? (unsigned int)strtoul(env, NULL, 0) : 20260;
	struct dms_status st;
	char buf[256];
	int i, k, r, accepted = 0;

	(void)state;
	printf("# seed: %u (SEED=%u replays it)\n", s0, s0);
	seed = s0;
	for (i = 0; i < 20000; i++) {
		const char *t = good[i % 6].target, *l = good[i % 6].line;
		size_t n = strlen(l), p;

		memcpy(buf, l, n + 1);
		switch (rnd() % 3) {
		case 0:
			buf[rnd() % (n + 1)] = '\0';
			break;
		case 1:
			buf[rnd() % n] = (char)(1 + rnd() % 255);
			break;
		default:
			/* Drop or double the text from one blank to another. */
			p = rnd() % n;
			k = rnd() % 2;
			{
				const char *b = strchr(l + p, ' ');
				size_t q = b ? (size_t)(b - l) : n;

				if (k)
					snprintf(buf, sizeof(buf), "%.*s%s", (int)q, l, l + p);
				else
					snprintf(buf, sizeof(buf), "%.*s%s", (int)p, l, l + q);
			}
			break;
		}
		r = parse(t, buf, &st);
		if (r != 1 && r != -EINVAL)
			print_error("seed %u, '%s': got %d\n", s0, buf, r);
		assert_true(r == 1 || r == -EINVAL);
		if (r == 1) {
			accepted++;
			/* What was accepted has the full layout. */
			assert_int_equal(st.nr, !strcmp(t, "noorder") ? 21 :
					 !strcmp(t, "faultinj") ? 11 :
					 !strcmp(t, "subsist") ? 8 : 18);
			for (k = 0; k < st.nr; k++)
				assert_non_null(st.f[k].val);
		}
		dms_status_free(&st);
	}
	printf("# %d of 20000 mutated lines still had their layout\n", accepted);
}

static void test_crash_parse(void **state)
{
	char err[256], msg[DMS_CRASH_MSG_LEN];
	struct dms_crash cr;
	char *a0[] = { NULL };
	char *a1[] = { "after", "40" };
	char *a2[] = { "keep", "random", "500000", "seed", "7" };
	char *a3[] = { "seed", "7", "keep", "prefix", "3" };
	char *a4[] = { "keep", "all" };
	char *a5[] = { "keep", "none" };
	char *a6[] = { "seed", "18446744073709551615" };
	char *a7[] = { "keep", "random", "1000000" };

	(void)state;
	assert_int_equal(dms_crash_parse(0, a0, &cr, err, sizeof(err)), 0);
	assert_int_equal(cr.type, DMS_NR_TYPES);
	assert_int_equal(dms_crash_msg(&cr, DMS_FAULTINJ, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash");
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash");

	assert_int_equal(dms_crash_parse(2, a1, &cr, err, sizeof(err)), 0);
	assert_int_equal(cr.type, DMS_FAULTINJ);
	assert_int_equal(dms_crash_msg(&cr, DMS_FAULTINJ, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash after 40");
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'after' is for a faultinj layer, this one is noorder");

	assert_int_equal(dms_crash_parse(5, a2, &cr, err, sizeof(err)), 0);
	assert_int_equal(cr.type, DMS_NOORDER);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash keep random 500000 seed 7");
	assert_int_equal(dms_crash_msg(&cr, DMS_FAULTINJ, msg, sizeof(msg), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'keep' and 'seed' are for a noorder layer, this one is faultinj");

	/* Any order in; the kernel's order out. */
	assert_int_equal(dms_crash_parse(5, a3, &cr, err, sizeof(err)), 0);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash keep prefix 3 seed 7");
	assert_int_equal(dms_crash_parse(2, a4, &cr, err, sizeof(err)), 0);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash keep all");
	assert_int_equal(dms_crash_parse(2, a5, &cr, err, sizeof(err)), 0);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash keep none");
	assert_int_equal(dms_crash_parse(2, a6, &cr, err, sizeof(err)), 0);
	assert_int_equal(cr.type, DMS_NOORDER);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash seed 18446744073709551615");
	assert_int_equal(dms_crash_parse(3, a7, &cr, err, sizeof(err)), 0);
	assert_int_equal(dms_crash_msg(&cr, DMS_NOORDER, msg, sizeof(msg), err, sizeof(err)), 0);
	assert_string_equal(msg, "crash keep random 1000000");

	/* Only faultinj and noorder crash. */
	assert_int_equal(dms_crash_parse(0, a0, &cr, err, sizeof(err)), 0);
	assert_int_equal(dms_crash_msg(&cr, DMS_LINEAR, msg, sizeof(msg), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a linear layer cannot crash (faultinj and noorder can)");
	assert_int_equal(dms_crash_msg(&cr, DMS_SUBSIST, msg, sizeof(msg), err, sizeof(err)), -EINVAL);
}

static void crash_bad(int argc, char **argv, const char *want)
{
	struct dms_crash cr;
	char err[256] = "";

	if (dms_crash_parse(argc, argv, &cr, err, sizeof(err)) != -EINVAL ||
	    !strstr(err, want))
		print_error("crash %s...: got '%s', want '%s'\n",
			    argc ? argv[0] : "", err, want);
	assert_int_equal(dms_crash_parse(argc, argv, &cr, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, want));
}

#define BAD(want, ...) do { \
		char *v[] = { __VA_ARGS__ }; \
		crash_bad(sizeof(v) / sizeof(v[0]), v, want); \
	} while (0)

static void test_crash_bad(void **state)
{
	(void)state;
	BAD("after needs a number", "after");
	BAD("after x: not a number", "after", "x");
	BAD("after -1: not a number", "after", "-1");
	BAD("after 9223372036854775808: must be a number 0-9223372036854775807",
	    "after", "9223372036854775808");
	BAD("'after' given twice", "after", "1", "after", "2");
	BAD("keep takes none, all, prefix <n> or random <ppm>", "keep");
	BAD("keep takes none, all, prefix <n> or random <ppm>, not some", "keep", "some");
	BAD("keep takes none, all", "keep", "ALL");
	BAD("keep prefix needs a number", "keep", "prefix");
	BAD("keep prefix x: not a number", "keep", "prefix", "x");
	BAD("keep random needs a number", "keep", "random");
	BAD("keep random 1000001: must be a number 0-1000000", "keep", "random", "1000001");
	BAD("keep random 1e6: not a number", "keep", "random", "1e6");
	BAD("'keep' given twice", "keep", "all", "keep", "none");
	BAD("seed needs a number", "seed");
	BAD("seed 18446744073709551616: not a number", "seed", "18446744073709551616");
	BAD("'seed' given twice", "seed", "1", "seed", "1");
	BAD("'after' is faultinj's, 'keep' and 'seed' are noorder's: not both",
	    "after", "3", "seed", "1");
	BAD("not both", "keep", "all", "after", "3");
	BAD("unexpected 'now'", "now");
	BAD("unexpected '5'", "keep", "all", "5");
	BAD("unexpected 'all'", "all");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noorder_good),
		cmocka_unit_test(test_noorder_bad),
		cmocka_unit_test(test_subsist_good),
		cmocka_unit_test(test_subsist_bad),
		cmocka_unit_test(test_faultinj),
		cmocka_unit_test(test_faultinj_bad),
		cmocka_unit_test(test_other_targets),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_crash_parse),
		cmocka_unit_test(test_crash_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
