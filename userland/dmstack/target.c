// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmstack: the status lines of the project's targets as named fields,
 * and their crash messages.
 *
 * A status line is checked word by word against its target's layout
 * (docs/dm-faultinj.rst, docs/dm-noorder.rst, docs/dm-subsist.rst):
 * a line that does not match (garbled, cut short, another version of the
 * module) is refused, and the caller shows it raw rather than naming
 * the wrong numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_status.h"
#include "target.h"

/* A status word's name and shape (include/dm_status.h). */
struct dms_wdef {
	const char *name;
	enum dm_status_kind kind;
	const char *words;
};

static const struct dms_wdef dms_fi_words[] = {
	STATUS_FAULTINJ(DMST_DEF)
	{ NULL }
};

static const struct dms_wdef dms_no_words[] = {
	STATUS_NOORDER(DMST_DEF)
	{ NULL }
};

/* subsist-pool: its usage word "<used>/<total>" is two fields here. */
static const struct dms_wdef dms_sp_words[] = {
	STATUS_SUBSIST_POOL(DMST_DEF)
	{ NULL }
};

static const struct dms_wdef dms_sv_words[] = {
	STATUS_SUBSIST_VDISK(DMST_DEF)
	{ NULL }
};

/* A decimal number that fits in a u64, nothing else around it. */
static int dms_is_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return 0;
	if (val)
		*val = v;
	return 1;
}

static int dms_in_words(const char *s, const char *words)
{
	size_t n = strlen(s);
	const char *w;

	for (w = words; w; w = strchr(w, '|'), w = w ? w + 1 : NULL)
		if (!strncmp(w, s, n) && (w[n] == '|' || !w[n]))
			return n > 0;
	return 0;
}

static int dms_word_ok(const struct dms_wdef *d, const char *s)
{
	switch (d->kind) {
	case DMST_NUM:
		return dms_is_u64(s, NULL);
	case DMST_WORD:
		return dms_in_words(s, d->words);
	case DMST_FI_CRASH:
		if (!strcmp(s, "live") || !strcmp(s, "crashed"))
			return 1;
		return !strncmp(s, "armed:", 6) && dms_is_u64(s + 6, NULL);
	case DMST_RATIO: {
		const char *dot = strchr(s, '.');
		char whole[24];

		if (!dot || (size_t)(dot - s) >= sizeof(whole) ||
		    strlen(dot + 1) != 2 || !isdigit((unsigned char)dot[1]) ||
		    !isdigit((unsigned char)dot[2]))
			return 0;
		memcpy(whole, s, dot - s);
		whole[dot - s] = '\0';
		return dms_is_u64(whole, NULL);
	}
	case DMST_USED_TOTAL: {
		const char *slash = strchr(s, '/');
		char used[24];

		if (!slash || (size_t)(slash - s) >= sizeof(used))
			return 0;
		memcpy(used, s, slash - s);
		used[slash - s] = '\0';
		return dms_is_u64(used, NULL) && dms_is_u64(slash + 1, NULL);
	}
	case DMST_NUM_DASH:
		return !strcmp(s, "-") || dms_is_u64(s, NULL);
	case DMST_HINTS:
		if (!strcmp(s, "off"))
			return 1;
		return !strncmp(s, "on:", 3) && dms_is_u64(s + 3, NULL);
	}
	return 0;
}

/* Splits st->buf into words, in place; returns how many, or -ENOMEM. */
static int dms_split(struct dms_status *st, char ***words)
{
	char **w = NULL, **tmp, *p = st->buf;
	int n = 0, cap = 0;

	for (;;) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		if (n >= cap) {
			cap = cap ? 2 * cap : 32;
			tmp = realloc(w, cap * sizeof(*w));
			if (!tmp) {
				free(w);
				return -ENOMEM;
			}
			w = tmp;
		}
		w[n++] = p;
		p += strcspn(p, " \t\n");
		if (*p)
			*p++ = '\0';
	}
	*words = w;
	return n;
}

/*
 * The fixed fields of @defs from @w: how many words they took (st->nr
 * fields; a USED_TOTAL word is two, used and total), -EINVAL unless each
 * word fits.
 */
static int dms_fixed(struct dms_status *st, const struct dms_wdef *defs,
		     char **w, int n)
{
	int i, j = 0;

	for (i = 0; defs[i].name; i++) {
		if (i >= n || j + 2 > DMS_ST_MAX_FIELDS ||
		    !dms_word_ok(&defs[i], w[i]))
			return -EINVAL;
		if (defs[i].kind == DMST_USED_TOTAL) {
			char *slash = strchr(w[i], '/');

			*slash = '\0';
			st->f[j].name = "used";
			st->f[j++].val = w[i];
			st->f[j].name = "total";
			st->f[j++].val = slash + 1;
			continue;
		}
		st->f[j].name = defs[i].name;
		st->f[j++].val = w[i];
	}
	st->nr = j;
	return i;
}

/* "<fixed fields> <nr_rules> [<id>:<fired>]..." */
static int dms_parse_faultinj(struct dms_status *st, char **w, int n)
{
	uint64_t nr_rules;
	char *c;
	int i, nf;

	nf = dms_fixed(st, dms_fi_words, w, n);
	if (nf < 0)
		return -EINVAL;
	dms_is_u64(w[FI_STATUS_nr_rules], &nr_rules);
	if (nr_rules != (uint64_t)(n - nf))
		return -EINVAL;
	if (n > nf) {
		st->rules = calloc(n - nf, sizeof(*st->rules));
		if (!st->rules)
			return -ENOMEM;
	}
	for (i = nf; i < n; i++) {
		c = strchr(w[i], ':');
		if (!c)
			return -EINVAL;
		*c = '\0';
		if (!dms_is_u64(w[i], NULL) || !dms_is_u64(c + 1, NULL))
			return -EINVAL;
		st->rules[st->nr_rules].name = w[i];
		st->rules[st->nr_rules].val = c + 1;
		st->nr_rules++;
	}
	return 0;
}

/* Exactly the fixed fields of @defs, nothing after them. */
static int dms_parse_fixed(struct dms_status *st, const struct dms_wdef *defs,
			   char **w, int n)
{
	return dms_fixed(st, defs, w, n) == n ? 0 : -EINVAL;
}

static int dms_parse_noorder(struct dms_status *st, char **w, int n)
{
	return dms_parse_fixed(st, dms_no_words, w, n);
}

static int dms_parse_subsist_pool(struct dms_status *st, char **w, int n)
{
	return dms_parse_fixed(st, dms_sp_words, w, n);
}

static int dms_parse_subsist(struct dms_status *st, char **w, int n)
{
	return dms_parse_fixed(st, dms_sv_words, w, n);
}

int dms_status_parse(const char *target, const char *line,
		     struct dms_status *st)
{
	int (*parse)(struct dms_status *st, char **w, int n);
	char **w = NULL;
	int n, ret;

	memset(st, 0, sizeof(*st));
	if (!strcmp(target, "faultinj"))
		parse = dms_parse_faultinj;
	else if (!strcmp(target, "noorder"))
		parse = dms_parse_noorder;
	else if (!strcmp(target, "subsist-pool"))
		parse = dms_parse_subsist_pool;
	else if (!strcmp(target, "subsist"))
		parse = dms_parse_subsist;
	else
		return 0;
	st->buf = strdup(line);
	if (!st->buf)
		return -ENOMEM;
	n = dms_split(st, &w);
	if (n < 0)
		return n;
	ret = parse(st, w, n);
	free(w);
	if (ret) {
		/* Nothing half-parsed is left for the caller to print. */
		st->nr = 0;
		st->nr_rules = 0;
		return ret;
	}
	return 1;
}

void dms_status_free(struct dms_status *st)
{
	free(st->buf);
	free(st->rules);
	memset(st, 0, sizeof(*st));
}

const char *dms_status_get(const struct dms_status *st, const char *name)
{
	int i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(st->f[i].name, name))
			return st->f[i].val;
	return NULL;
}

/* ---- crash ------------------------------------------------------------- */

static int dms_crash_num(const char *what, const char *s, uint64_t max,
			 uint64_t *val, char *err, size_t len)
{
	if (!s) {
		snprintf(err, len, "crash: %s needs a number", what);
		return -EINVAL;
	}
	if (!dms_is_u64(s, val)) {
		snprintf(err, len, "crash: %s %s: not a number", what, s);
		return -EINVAL;
	}
	if (*val > max) {
		snprintf(err, len, "crash: %s %s: must be a number 0-%llu",
			 what, s, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

int dms_crash_parse(int argc, char **argv, struct dms_crash *cr, char *err,
		    size_t len)
{
	const char *a, *next;
	int i;

	memset(cr, 0, sizeof(*cr));
	cr->type = DMS_NR_TYPES;
	for (i = 0; i < argc; i++) {
		a = argv[i];
		next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "after")) {
			if (cr->has_after)
				goto twice;
			if (dms_crash_num("after", next, INT64_MAX, &cr->after,
					  err, len))
				return -EINVAL;
			cr->has_after = 1;
			i++;
		} else if (!strcmp(a, "seed")) {
			if (cr->has_seed)
				goto twice;
			if (dms_crash_num("seed", next, UINT64_MAX, &cr->seed,
					  err, len))
				return -EINVAL;
			cr->has_seed = 1;
			i++;
		} else if (!strcmp(a, "keep")) {
			if (cr->has_keep)
				goto twice;
			if (!next || !dms_in_words(next, "none|all|prefix|random")) {
				snprintf(err, len, "crash: keep takes none, all, prefix <n> or random <ppm>%s%s",
					 next ? ", not " : "", next ? next : "");
				return -EINVAL;
			}
			snprintf(cr->keep, sizeof(cr->keep), "%s", next);
			i++;
			if (!strcmp(next, "prefix") &&
			    dms_crash_num("keep prefix", i + 1 < argc ?
					  argv[i + 1] : NULL, UINT64_MAX,
					  &cr->keep_n, err, len))
				return -EINVAL;
			if (!strcmp(next, "random") &&
			    dms_crash_num("keep random", i + 1 < argc ?
					  argv[i + 1] : NULL, 1000000,
					  &cr->keep_n, err, len))
				return -EINVAL;
			if (!strcmp(next, "prefix") || !strcmp(next, "random"))
				i++;
			cr->has_keep = 1;
		} else {
			snprintf(err, len, "crash: unexpected '%s' (crash NAME [--layer LAYER] [after N | keep none|all|prefix N|random PPM] [seed N])",
				 a);
			return -EINVAL;
		}
	}
	if (cr->has_after && (cr->has_keep || cr->has_seed)) {
		snprintf(err, len, "crash: 'after' is faultinj's, 'keep' and 'seed' are noorder's: not both");
		return -EINVAL;
	}
	if (cr->has_after)
		cr->type = DMS_FAULTINJ;
	else if (cr->has_keep || cr->has_seed)
		cr->type = DMS_NOORDER;
	return 0;
twice:
	snprintf(err, len, "crash: '%s' given twice", a);
	return -EINVAL;
}

int dms_crash_msg(const struct dms_crash *cr, enum dms_type type, char *buf,
		  size_t len, char *err, size_t elen)
{
	size_t n;

	if (type != DMS_FAULTINJ && type != DMS_NOORDER) {
		snprintf(err, elen, "a %s layer cannot crash (faultinj and noorder can)",
			 dms_type_name(type));
		return -EINVAL;
	}
	if (cr->type != DMS_NR_TYPES && cr->type != type) {
		snprintf(err, elen, "%s for a %s layer, this one is %s",
			 cr->has_after ? "'after' is" : "'keep' and 'seed' are",
			 dms_type_name(cr->type), dms_type_name(type));
		return -EINVAL;
	}
	n = snprintf(buf, len, "crash");
	if (cr->has_after && n < len)
		n += snprintf(buf + n, len - n, " after %llu",
			      (unsigned long long)cr->after);
	if (cr->has_keep && n < len)
		n += snprintf(buf + n, len - n, " keep %s", cr->keep);
	if (cr->has_keep && (!strcmp(cr->keep, "prefix") ||
			     !strcmp(cr->keep, "random")) && n < len)
		n += snprintf(buf + n, len - n, " %llu",
			      (unsigned long long)cr->keep_n);
	if (cr->has_seed && n < len)
		n += snprintf(buf + n, len - n, " seed %llu",
			      (unsigned long long)cr->seed);
	if (n >= len) {
		snprintf(err, elen, "crash message too long");
		return -ENAMETOOLONG;
	}
	return 0;
}
