// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of dm-faultinj's logic (dm-faultinj/fi_core.c) on the host:
 * rule grammar, rulesets, the block-type map, scope boundaries, triggers
 * and corruption patterns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fi_core.h"

/* 1 GiB device, 4 KiB blocks. */
static const struct fi_geom geom = {
	.sectors = 2097152,
	.block_size = 4096,
	.block_shift = 3,
};

/* Split a line into argv in place (at most 64 words). */
static unsigned int split(char *line, char **argv)
{
	unsigned int argc = 0;
	char *tok, *save;

	for (tok = strtok_r(line, " ", &save); tok && argc < 64;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	return argc;
}

static int parse(const char *text, struct fi_rule *r, struct fi_typenames *tn,
		 const char **err)
{
	char buf[512], *argv[64];
	unsigned int argc;

	snprintf(buf, sizeof(buf), "%s", text);
	argc = split(buf, argv);
	*err = NULL;
	return fi_rule_parse(r, argc, argv, &geom, tn, err);
}

static void test_rule_roundtrip(void **state)
{
	static const char *const good[] = {
		"1 write drop",
		"2 read error",
		"3 any corrupt zero",
		"4 write corrupt random sectors 8 16",
		"5 read corrupt flip 100 7 type dir",
		"6 write corrupt byte 4095 255 sectors 0 2097152 prob 250000 after 3 times 9",
		"7 flush drop after 2",
		"8 write corrupt flip random type data prob 10",
		"4294967295 any error type itable times 1",
	};
	struct fi_typenames tn = { 0 };
	char out[512];
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		struct fi_rule r, again;
		const char *err;

		assert_int_equal(parse(good[i], &r, &tn, &err), 0);
		fi_rule_format(&r, &tn, out, sizeof(out));
		assert_string_equal(out, good[i]);
		/* What list prints is what add takes. */
		assert_int_equal(parse(out, &again, &tn, &err), 0);
	}
	assert_int_equal(tn.n, 3);
	assert_string_equal(tn.name[0], "dir");
	assert_string_equal(tn.name[1], "data");
	assert_string_equal(tn.name[2], "itable");
}

static void test_rule_case_and_defaults(void **state)
{
	struct fi_typenames tn = { 0 };
	struct fi_rule r;
	const char *err;

	(void)state;
	assert_int_equal(parse("9 WRITE Corrupt FLIP 0 0", &r, &tn, &err), 0);
	assert_int_equal(r.op, FI_OP_WRITE);
	assert_int_equal(r.action, FI_ACT_CORRUPT);
	assert_int_equal(r.pat.kind, FI_CORRUPT_FLIP);
	assert_int_equal(r.prob, FI_PPM);
	assert_int_equal(r.after, 0);
	assert_int_equal(r.times, 0);
	assert_int_equal(r.type, -1);
	assert_false(r.has_range);
}

static void test_rule_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"1",
		"1 write",
		"0 write drop",				/* id 0 */
		"4294967296 write drop",		/* id overflow */
		"-1 write drop",
		"+1 write drop",
		"1x write drop",
		"1 wrte drop",
		"1 write explode",
		"1 write corrupt",
		"1 write corrupt smash",
		"1 write corrupt flip",
		"1 write corrupt flip 1",
		"1 write corrupt flip randm",
		"1 write corrupt flip 4096 0",		/* offset = block size */
		"1 write corrupt flip 0 8",		/* bit 8 */
		"1 write corrupt byte 0 256",
		"1 flush corrupt zero",
		"1 write drop sectors",
		"1 write drop sectors 5",
		"1 write drop sectors 0 0",
		"1 write drop sectors 2097152 1",	/* past the end */
		"1 write drop sectors 2097151 2",
		"1 write drop sectors 18446744073709551615 2",
		"1 write drop sectors 1 2 sectors 3 4",
		"1 write drop prob 1000001",
		"1 write drop prob",
		"1 write drop prob 5 prob 6",
		"1 write drop times 0",
		"1 write drop after x",
		"1 write drop type",
		"1 write drop type Dir",
		"1 write drop type a-b",
		"1 write drop type abcdefghijklmnop",	/* 16 characters */
		"1 write drop type dir type dir",
		"1 write drop colour red",
		"1 flush drop sectors 0 8",
		"1 flush drop type dir",
		"1 write drop after 18446744073709551616",
	};
	struct fi_typenames tn = { 0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct fi_rule r;
		const char *err;

		if (parse(bad[i], &r, &tn, &err) == 0)
			fail_msg("accepted bad rule \"%s\"", bad[i]);
		assert_non_null(err);
	}
	/* No rejected rule left a type name behind. */
	assert_int_equal(tn.n, 0);
}

static void test_type_names_full(void **state)
{
	struct fi_typenames tn = { 0 };
	const char *err = NULL;
	char name[8];
	int i;

	(void)state;
	for (i = 0; i < FI_MAX_TYPES; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		assert_int_equal(fi_type_intern(&tn, name, &err), i);
	}
	assert_int_equal(fi_type_intern(&tn, "t3", &err), 3);
	assert_int_equal(fi_type_intern(&tn, "another", &err), -ENOSPC);
	assert_non_null(err);
}

static struct fi_rule *new_rule(u32 id, const char *rest)
{
	struct fi_rule *r = malloc(sizeof(*r));
	struct fi_typenames tn = { 0 };
	char text[256];
	const char *err;

	snprintf(text, sizeof(text), "%u %s", id, rest);
	assert_int_equal(parse(text, r, &tn, &err), 0);
	return r;
}

static void test_ruleset(void **state)
{
	struct fi_ruleset *rs = NULL, *next;
	static const u32 ids[] = { 50, 10, 30, 20, 40 };
	struct fi_rule *dup;
	const char *err;
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		assert_int_equal(fi_ruleset_with(rs, new_rule(ids[i], "write drop"),
						 0, &next, &err), 0);
		free(rs);
		rs = next;
	}
	assert_int_equal(rs->n, 5);
	for (i = 0; i < rs->n; i++)
		assert_int_equal(rs->r[i]->id, 10 * (i + 1));

	dup = new_rule(30, "read error");
	assert_int_equal(fi_ruleset_with(rs, dup, 0, &next, &err), -EEXIST);
	free(dup);
	assert_int_equal(fi_ruleset_with(rs, NULL, 31, &next, &err), -ENOENT);

	assert_int_equal(fi_ruleset_with(rs, NULL, 30, &next, &err), 0);
	assert_int_equal(next->n, 4);
	assert_null(fi_ruleset_find(next, 30));
	assert_non_null(fi_ruleset_find(next, 40));
	free((void *)fi_ruleset_find(rs, 30));
	free(rs);
	rs = next;

	for (i = 0; i < rs->n; i++)
		free(rs->r[i]);
	free(rs);
}

static void test_ruleset_limit(void **state)
{
	struct fi_ruleset *rs = NULL, *next;
	struct fi_rule *extra;
	const char *err;
	unsigned int i;

	(void)state;
	for (i = 1; i <= FI_MAX_RULES; i++) {
		assert_int_equal(fi_ruleset_with(rs, new_rule(i, "any drop"), 0,
						 &next, &err), 0);
		free(rs);
		rs = next;
	}
	extra = new_rule(FI_MAX_RULES + 1, "any drop");
	assert_int_equal(fi_ruleset_with(rs, extra, 0, &next, &err), -ENOSPC);
	free(extra);
	for (i = 0; i < rs->n; i++)
		free(rs->r[i]);
	free(rs);
}

static int load(const struct fi_typemap *old, const char *text,
		struct fi_typenames *tn, struct fi_typemap **out)
{
	char buf[1024], *argv[64];
	unsigned int argc;
	const char *err = NULL;
	int r;

	snprintf(buf, sizeof(buf), "%s", text);
	argc = split(buf, argv);
	r = fi_typemap_load(old, argc, argv, &geom, tn, out, &err);
	if (r)
		assert_non_null(err);
	return r;
}

static void test_typemap(void **state)
{
	struct fi_typenames tn = { 0 };
	struct fi_typemap *m, *m2, *bad;
	u64 end;

	(void)state;
	assert_int_equal(load(NULL, "100 10 data 0 1 super 1 1 gdt", &tn, &m), 0);
	assert_int_equal(m->n, 3);
	assert_int_equal(m->e[0].start, 0);
	assert_int_equal(m->e[2].start, 100);

	/* A second message adds to the first; overlaps are refused. */
	assert_int_equal(load(m, "50 5 dir", &tn, &m2), 0);
	assert_int_equal(load(m2, "104 1 dir", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "2 200 dir", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "262143 1 data", &tn, &bad), 0);
	free(bad);
	assert_int_equal(load(m2, "262144 1 data", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "262143 2 data", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "5 0 data", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "5 1", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "5 1 BAD", &tn, &bad), -EINVAL);
	assert_int_equal(load(m2, "5 x data", &tn, &bad), -EINVAL);
	assert_int_equal(tn.n, 4);

	assert_int_equal(fi_typemap_find(m2, 0, &end), fi_type_lookup(&tn, "super"));
	assert_int_equal(end, 1);
	assert_int_equal(fi_typemap_find(m2, 1, &end), fi_type_lookup(&tn, "gdt"));
	assert_int_equal(end, 2);
	assert_int_equal(fi_typemap_find(m2, 2, &end), -1);
	assert_int_equal(end, 50);
	assert_int_equal(fi_typemap_find(m2, 54, &end), fi_type_lookup(&tn, "dir"));
	assert_int_equal(end, 55);
	assert_int_equal(fi_typemap_find(m2, 109, &end), fi_type_lookup(&tn, "data"));
	assert_int_equal(end, 110);
	assert_int_equal(fi_typemap_find(m2, 110, &end), -1);
	assert_true(end == U64_MAX);
	assert_int_equal(fi_typemap_find(NULL, 7, &end), -1);
	free(m);
	free(m2);
}

static struct fi_ruleset *set_of(const char *const *specs, unsigned int n,
				 struct fi_typenames *tn)
{
	struct fi_ruleset *rs = NULL, *next;
	const char *err;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct fi_rule *r = malloc(sizeof(*r));

		assert_int_equal(parse(specs[i], r, tn, &err), 0);
		assert_int_equal(fi_ruleset_with(rs, r, 0, &next, &err), 0);
		free(rs);
		rs = next;
	}
	return rs;
}

static void free_set(struct fi_ruleset *rs)
{
	unsigned int i;

	for (i = 0; i < rs->n; i++)
		free(rs->r[i]);
	free(rs);
}

/* fi_scan on [sector, sector + nr): the length it keeps, the candidates. */
static unsigned int scan(const struct fi_ruleset *rs,
			 const struct fi_typemap *m, enum fi_op op, bool data,
			 u64 sector, unsigned int nr, char *ids, size_t idlen)
{
	u64 cand[FI_CAND_WORDS];
	unsigned int i, n, len = nr;
	size_t k = 0;

	n = fi_scan(rs, m, &geom, op, data, sector, &len, cand);
	ids[0] = '\0';
	for (i = 0; n && i < rs->n; i++)
		if (cand[i / 64] & (1ULL << (i % 64)))
			k += snprintf(ids + k, idlen - k, "%s%u", k ? "," : "",
				      rs->r[i]->id);
	return len;
}

static void test_scan_ranges(void **state)
{
	static const char *const specs[] = {
		"1 write drop sectors 100 50",
		"2 read error sectors 10 5",
		"3 write corrupt zero sectors 120 10",
	};
	struct fi_typenames tn = { 0 };
	struct fi_ruleset *rs = set_of(specs, 3, &tn);
	char ids[64];

	(void)state;
	/* Outside every range: nothing to do, nothing cut. */
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 0, 64, ids, 64), 64);
	assert_string_equal(ids, "");
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 150, 64, ids, 64), 64);
	assert_string_equal(ids, "");
	/* Cut where rule 1 begins; the rest is left for the next bio. */
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 96, 64, ids, 64), 4);
	assert_string_equal(ids, "");
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 100, 64, ids, 64), 20);
	assert_string_equal(ids, "1");
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 120, 64, ids, 64), 10);
	assert_string_equal(ids, "1,3");
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 130, 64, ids, 64), 20);
	assert_string_equal(ids, "1");
	/* A discard carries no data: the corrupt rule neither cuts nor applies. */
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, false, 100, 64, ids, 64), 50);
	assert_string_equal(ids, "1");
	/* Reads see only rule 2. */
	assert_int_equal(scan(rs, NULL, FI_OP_READ, true, 96, 64, ids, 64), 64);
	assert_int_equal(scan(rs, NULL, FI_OP_READ, true, 0, 64, ids, 64), 10);
	assert_int_equal(scan(rs, NULL, FI_OP_READ, true, 12, 64, ids, 64), 3);
	assert_string_equal(ids, "2");
	assert_int_equal(scan(rs, NULL, FI_OP_READ, true, 149, 1, ids, 64), 1);
	assert_string_equal(ids, "");
	/* Ranged rules never take a flush. */
	assert_int_equal(scan(rs, NULL, FI_OP_FLUSH, false, 100, 0, ids, 64), 0);
	assert_string_equal(ids, "");
	free_set(rs);
}

static void test_scan_types_and_ops(void **state)
{
	static const char *const specs[] = {
		"1 flush drop",
		"2 any error type dir",
		"3 write drop sectors 40 8",
		"4 any corrupt random",
	};
	struct fi_typenames tn = { 0 };
	struct fi_ruleset *rs = set_of(specs, 4, &tn);
	struct fi_typemap *m;
	char ids[64];

	(void)state;
	/* Blocks 4-5 are "dir": sectors 32-47. */
	assert_int_equal(load(NULL, "4 2 dir", &tn, &m), 0);
	assert_int_equal(scan(rs, m, FI_OP_WRITE, true, 24, 64, ids, 64), 8);
	assert_string_equal(ids, "4");
	assert_int_equal(scan(rs, m, FI_OP_WRITE, true, 32, 64, ids, 64), 8);
	assert_string_equal(ids, "2,4");
	assert_int_equal(scan(rs, m, FI_OP_WRITE, true, 40, 64, ids, 64), 8);
	assert_string_equal(ids, "2,3,4");
	assert_int_equal(scan(rs, m, FI_OP_WRITE, true, 48, 80, ids, 64), 80);
	assert_string_equal(ids, "4");
	assert_int_equal(scan(rs, m, FI_OP_READ, true, 36, 8, ids, 64), 8);
	assert_string_equal(ids, "2,4");
	/* No map: type rules see no type. */
	assert_int_equal(scan(rs, NULL, FI_OP_READ, true, 32, 8, ids, 64), 8);
	assert_string_equal(ids, "4");
	/* A flush: only the unscoped drop; corrupt needs data. */
	assert_int_equal(scan(rs, m, FI_OP_FLUSH, false, 0, 0, ids, 64), 0);
	assert_string_equal(ids, "1");
	free(m);
	free_set(rs);
}

static void test_scan_many_rules(void **state)
{
	struct fi_ruleset *rs = NULL, *next;
	const char *err;
	char spec[64], ids[1024];
	unsigned int i;

	(void)state;
	/* 200 rules: candidates past the first bitmap word keep id order. */
	for (i = 1; i <= 200; i++) {
		struct fi_typenames tn = { 0 };
		struct fi_rule *r = malloc(sizeof(*r));

		snprintf(spec, sizeof(spec), "%u write drop sectors %u 8",
			 i, i % 2 ? 1000 : 2000 + i * 8);
		assert_int_equal(parse(spec, r, &tn, &err), 0);
		assert_int_equal(fi_ruleset_with(rs, r, 0, &next, &err), 0);
		free(rs);
		rs = next;
	}
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 1000, 8, ids,
			      sizeof(ids)), 8);
	assert_int_equal(strlen(ids) > 0, 1);
	assert_int_equal(strncmp(ids, "1,3,5,", 6), 0);
	assert_non_null(strstr(ids, ",127,129,"));
	assert_int_equal(strcmp(ids + strlen(ids) - 4, ",199"), 0);
	assert_int_equal(scan(rs, NULL, FI_OP_WRITE, true, 3040, 8, ids,
			      sizeof(ids)), 8);
	assert_string_equal(ids, "130");
	free_set(rs);
}

static void test_trigger_after_times(void **state)
{
	struct fi_typenames tn = { 0 };
	struct fi_rule r;
	const char *err;
	unsigned int i, fired = 0;
	u64 firing;

	(void)state;
	assert_int_equal(parse("1 write drop after 3 times 2", &r, &tn, &err), 0);
	for (i = 1; i <= 10; i++) {
		bool f = fi_rule_trigger(&r, 7, &firing);

		/* I/Os 1-3 pass, 4 and 5 fire, then the budget is spent. */
		assert_int_equal(f, i == 4 || i == 5);
		fired += f;
	}
	assert_int_equal(fired, 2);
	assert_int_equal(atomic64_read(&r.matched), 10);
	assert_int_equal(atomic64_read(&r.fired), 2);
}

static unsigned int run_prob(u64 seed, u32 id, char *pattern, unsigned int n)
{
	struct fi_typenames tn = { 0 };
	unsigned int i, fired = 0;
	char text[64];
	struct fi_rule r;
	const char *err;
	u64 firing;

	snprintf(text, sizeof(text), "%u write drop prob 300000", id);
	assert_int_equal(parse(text, &r, &tn, &err), 0);
	for (i = 0; i < n; i++) {
		bool f = fi_rule_trigger(&r, seed, &firing);

		pattern[i] = f ? '1' : '0';
		fired += f;
	}
	pattern[n] = '\0';
	return fired;
}

static void test_trigger_prob_seeded(void **state)
{
	static char a[10001], b[10001], c[10001], d[10001];
	unsigned int fa;

	(void)state;
	fa = run_prob(42, 1, a, 10000);
	assert_int_equal(run_prob(42, 1, b, 10000), fa);
	assert_string_equal(a, b);		/* same seed: same faults */
	run_prob(43, 1, c, 10000);
	assert_string_not_equal(a, c);		/* another seed: others */
	run_prob(42, 2, d, 10000);
	assert_string_not_equal(a, d);		/* another rule: others */
	/*
	 * The stream is pinned: a seed saved before an upgrade must replay
	 * the same faults after it.  These are fi_mix64's decisions for
	 * seed 42, rule 1, 30%: 3,003 of 10,000, starting as below.
	 */
	assert_int_equal(fa, 3003);
	assert_memory_equal(a, "01000101000001010000111000001000"
			    "00010000011010100010000001001100", 64);
}

static void test_corrupt_zero_byte_flip(void **state)
{
	struct fi_pattern p = { 0 };
	u8 buf[3 * 4096];
	unsigned int i;

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	p.kind = FI_CORRUPT_BYTE;
	p.off = 10;
	p.val = 0x5c;
	/* The buffer holds device bytes 4096*5+100 ...: blocks 5, 6, 7, 8. */
	fi_corrupt_buf(&p, buf, 4096 * 5 + 100, sizeof(buf), 4096);
	for (i = 0; i < sizeof(buf); i++) {
		u64 pos = 4096 * 5 + 100 + i;
		u8 want = (pos % 4096 == 10) ? 0x5c : 0xaa;

		assert_int_equal(buf[i], want);
	}

	memset(buf, 0xaa, sizeof(buf));
	p.kind = FI_CORRUPT_FLIP;
	p.off = 4095;
	p.val = 0;
	fi_corrupt_buf(&p, buf, 0, sizeof(buf), 4096);
	for (i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (i % 4096 == 4095) ? 0xab : 0xaa);

	p.kind = FI_CORRUPT_ZERO;
	fi_corrupt_buf(&p, buf + 10, 10, 20, 4096);
	assert_int_equal(buf[9], 0xaa);
	for (i = 10; i < 30; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[30], 0xaa);
}

static void test_corrupt_flip_random(void **state)
{
	struct fi_pattern p = { .kind = FI_CORRUPT_FLIP_RANDOM, .stream = 5 };
	static u8 whole[4 * 4096], parts[4 * 4096], zero[4 * 4096];
	unsigned int i, b, flipped;

	(void)state;
	fi_corrupt_buf(&p, whole, 8192, sizeof(whole), 4096);
	/* Exactly one bit per block. */
	for (b = 0; b < 4; b++) {
		flipped = 0;
		for (i = 0; i < 4096; i++)
			flipped += __builtin_popcount(whole[b * 4096 + i]);
		assert_int_equal(flipped, 1);
	}
	/* The same bits whatever the segments. */
	fi_corrupt_buf(&p, parts, 8192, 5000, 4096);
	fi_corrupt_buf(&p, parts + 5000, 8192 + 5000, sizeof(parts) - 5000, 4096);
	assert_memory_equal(whole, parts, sizeof(whole));
	/* Another firing, other bits. */
	p.stream = 6;
	memset(parts, 0, sizeof(parts));
	fi_corrupt_buf(&p, parts, 8192, sizeof(parts), 4096);
	assert_memory_not_equal(whole, parts, sizeof(whole));
	assert_memory_not_equal(zero, parts, sizeof(parts));
}

static void test_corrupt_segment_independent(void **state)
{
	struct fi_pattern p = { .kind = FI_CORRUPT_RANDOM, .stream = 99 };
	static u8 whole[8192], parts[8192];
	unsigned int i, same = 0;

	(void)state;
	/* One pass, or ragged segments: the same bytes at the same places. */
	fi_corrupt_buf(&p, whole, 1000, sizeof(whole), 4096);
	fi_corrupt_buf(&p, parts, 1000, 3, 4096);
	fi_corrupt_buf(&p, parts + 3, 1003, 509, 4096);
	fi_corrupt_buf(&p, parts + 512, 1512, sizeof(parts) - 512, 4096);
	assert_memory_equal(whole, parts, sizeof(whole));
	for (i = 1; i < sizeof(whole); i++)
		same += whole[i] == whole[i - 1];
	assert_true(same < 200);		/* looks random, not constant */

	p.stream = 100;
	fi_corrupt_buf(&p, parts, 1000, sizeof(parts), 4096);
	assert_memory_not_equal(whole, parts, sizeof(whole));
}

static void test_parse_numbers(void **state)
{
	u64 v;
	u32 w;

	(void)state;
	assert_int_equal(fi_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == U64_MAX);
	assert_int_equal(fi_parse_u64("18446744073709551616", &v), -EINVAL);
	assert_int_equal(fi_parse_u64("", &v), -EINVAL);
	assert_int_equal(fi_parse_u64("12 ", &v), -EINVAL);
	assert_int_equal(fi_parse_u64("0x10", &v), -EINVAL);
	assert_int_equal(fi_parse_u32("4294967295", &w), 0);
	assert_int_equal(fi_parse_u32("4294967296", &w), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_roundtrip),
		cmocka_unit_test(test_rule_case_and_defaults),
		cmocka_unit_test(test_rule_bad),
		cmocka_unit_test(test_type_names_full),
		cmocka_unit_test(test_ruleset),
		cmocka_unit_test(test_ruleset_limit),
		cmocka_unit_test(test_typemap),
		cmocka_unit_test(test_scan_ranges),
		cmocka_unit_test(test_scan_types_and_ops),
		cmocka_unit_test(test_scan_many_rules),
		cmocka_unit_test(test_trigger_after_times),
		cmocka_unit_test(test_trigger_prob_seeded),
		cmocka_unit_test(test_corrupt_zero_byte_flip),
		cmocka_unit_test(test_corrupt_segment_independent),
		cmocka_unit_test(test_corrupt_flip_random),
		cmocka_unit_test(test_parse_numbers),
	};

	return cmocka_run_group_tests_name("fi_core", tests, NULL, NULL);
}
