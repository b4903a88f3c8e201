// SPDX-License-Identifier: GPL-2.0-only
/*
 * The status contract (include/dm_status.h) against its copies: the
 * field lists of the shell libraries the VM cases read status by
 * (tests/cases/lib.sh FI_FIELDS and NO_FIELDS, tests/cases/subsist/ss.lib
 * SS_FIELDS and SV_FIELDS) and the status layouts in docs/dm-*.rst must
 * name the same fields in the same order.  The kernel prints, and dmstack
 * and crashtest parse, through the header itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dm_status.h"

struct def {
	const char *name;
	enum dm_status_kind kind;
	const char *words;
};

static const struct def fi_defs[] = { STATUS_FAULTINJ(DMST_DEF) { NULL } };
static const struct def no_defs[] = { STATUS_NOORDER(DMST_DEF) { NULL } };
static const struct def sp_defs[] = { STATUS_SUBSIST_POOL(DMST_DEF) { NULL } };
static const struct def sv_defs[] = { STATUS_SUBSIST_VDISK(DMST_DEF) { NULL } };

static char *slurp(const char *rel)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", TOP_DIR, rel);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The names of @d, space-separated; @doc: as the docs write them. */
static void expected(const struct def *d, int doc, char *out, size_t len)
{
	size_t o = 0;
	int i;

	out[0] = '\0';
	for (i = 0; d[i].name; i++) {
		const char *sep = i ? " " : "";

		if (doc && d[i].kind == DMST_USED_TOTAL)
			o += snprintf(out + o, len - o, "%s<used>/<total>", sep);
		else if (doc)
			o += snprintf(out + o, len - o, "%s<%s>", sep, d[i].name);
		else
			o += snprintf(out + o, len - o, "%s%s", sep, d[i].name);
		assert_true(o < len);
	}
}

/* The value of the shell assignment VAR="..." in @file. */
static void shell_list(const char *file, const char *var, char *out,
		       size_t len)
{
	char *buf = slurp(file), key[64], *p, *e;

	snprintf(key, sizeof(key), "\n%s=\"", var);
	p = strstr(buf, key);
	if (!p)
		fail_msg("%s: no %s=\"...\"", file, var);
	p += strlen(key);
	e = strchr(p, '"');
	assert_non_null(e);
	snprintf(out, len, "%.*s", (int)(e - p), p);
	free(buf);
}

static void check_shell(const char *file, const char *var,
			const struct def *d)
{
	char want[1024], got[1024];

	expected(d, 0, want, sizeof(want));
	shell_list(file, var, got, sizeof(got));
	if (strcmp(want, got))
		print_error("%s %s:\n  header: %s\n  shell:  %s\n", file, var,
			    want, got);
	assert_string_equal(want, got);
}

/*
 * The words of the @nth (0-based) literal block after a line that says
 * "positional fields" in @file, joined by single spaces.
 */
static void doc_layout(const char *file, int nth, char *out, size_t len)
{
	char *buf = slurp(file), *p = buf, *line, *nl;
	size_t o = 0;

	for (;;) {
		p = strstr(p, "positional fields");
		if (!p)
			fail_msg("%s: no layout %d after \"positional fields\"",
				 file, nth);
		p = strstr(p, "::\n");
		assert_non_null(p);
		p += 3;
		if (!nth--)
			break;
	}
	out[0] = '\0';
	for (line = p; *line; line = nl + 1) {
		char *w;

		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (!*line) {
			if (o)
				break;	/* the blank line after the block */
			continue;
		}
		if (*line != ' ')
			break;
		for (w = strtok(line, " "); w; w = strtok(NULL, " ")) {
			o += snprintf(out + o, len - o, "%s%s", o ? " " : "", w);
			assert_true(o < len);
		}
	}
	free(buf);
}

static void check_doc(const char *file, int nth, const struct def *d,
		      const char *tail)
{
	char want[1024], got[1024];

	expected(d, 1, want, sizeof(want));
	if (tail)
		strncat(want, tail, sizeof(want) - strlen(want) - 1);
	doc_layout(file, nth, got, sizeof(got));
	if (strcmp(want, got))
		print_error("%s layout %d:\n  header: %s\n  docs:   %s\n", file,
			    nth, want, got);
	assert_string_equal(want, got);
}

static void test_shell_lists(void **state)
{
	(void)state;
	check_shell("tests/cases/lib.sh", "FI_FIELDS", fi_defs);
	check_shell("tests/cases/lib.sh", "NO_FIELDS", no_defs);
	check_shell("tests/cases/subsist/ss.lib", "SS_FIELDS", sp_defs);
	check_shell("tests/cases/subsist/ss.lib", "SV_FIELDS", sv_defs);
}

static void test_docs(void **state)
{
	(void)state;
	check_doc("docs/dm-faultinj.rst", 0, fi_defs, " [<id>:<fired>]...");
	check_doc("docs/dm-noorder.rst", 0, no_defs, NULL);
	check_doc("docs/dm-subsist.rst", 0, sp_defs, NULL);
	check_doc("docs/dm-subsist.rst", 1, sv_defs, NULL);
}

/* The indexes name the place of each field, as readers use them. */
static void test_indexes(void **state)
{
	(void)state;
	assert_int_equal(FI_STATUS_NR, 11);
	assert_int_equal(FI_STATUS_crash_state, 7);
	assert_int_equal(FI_STATUS_nr_rules, 10);
	assert_int_equal(NORD_STATUS_NR, 21);
	assert_int_equal(NORD_STATUS_flush, 14);
	assert_int_equal(NORD_STATUS_crash_state, 15);
	assert_int_equal(NORD_STATUS_cached_bytes_max, 19);
	assert_int_equal(NORD_STATUS_deferred, 20);
	assert_int_equal(SP_STATUS_NR, 17);
	assert_int_equal(SP_STATUS_usage, 1);
	assert_int_equal(SV_STATUS_NR, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shell_lists),
		cmocka_unit_test(test_docs),
		cmocka_unit_test(test_indexes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
