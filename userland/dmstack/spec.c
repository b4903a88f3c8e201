// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmstack: the stack grammar and the table of every layer.
 *
 *   SPEC   := LAYER { ('|' | newline) LAYER }
 *   LAYER  := TYPE { WORD }		WORD := key=value | flag | path
 *
 * '#' starts a comment that ends with the line.  The bottom layer is
 * "disk <path>" or a source with no device below ("zero size=<n>",
 * "error size=<n>"); subsist, which exports several devices, must be on
 * top.  Sizes and offsets are sectors, or bytes with a K/M/G/T suffix.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

enum dms_kind {
	DMS_K_NUM,	/* decimal number in [min, max] */
	DMS_K_SIZE,	/* sectors or K/M/G/T bytes */
	DMS_K_WORD,	/* one of "a|b|c" */
	DMS_K_FLAG,	/* bare word, or =1/0, yes/no, on/off */
	DMS_K_PATH,	/* a device path */
};

struct dms_optdef {
	const char *key;
	enum dms_kind kind;
	const char *words;
	uint64_t min, max;
};

#define DMS_U32		0xffffffffULL
#define DMS_U64		UINT64_MAX
#define DMS_PLACE	{ "offset", DMS_K_SIZE, NULL, 0, 0 }, \
			{ "size", DMS_K_SIZE, NULL, 0, 0 }

static const struct dms_optdef dms_opts_disk[] = { DMS_PLACE, { NULL } };
static const struct dms_optdef dms_opts_source[] = {
	{ "size", DMS_K_SIZE, NULL, 0, 0 }, { NULL }
};

static const struct dms_optdef dms_opts_faultinj[] = {
	DMS_PLACE,
	{ "seed", DMS_K_NUM, NULL, 0, DMS_U64 },
	{ "block_size", DMS_K_NUM, NULL, 0, DMS_U32 },
	{ NULL }
};

static const struct dms_optdef dms_opts_flakey[] = {
	DMS_PLACE,
	{ "up", DMS_K_NUM, NULL, 0, DMS_U32 },
	{ "down", DMS_K_NUM, NULL, 0, DMS_U32 },
	{ "drop_writes", DMS_K_FLAG, NULL, 0, 0 },
	{ "error_writes", DMS_K_FLAG, NULL, 0, 0 },
	{ NULL }
};

static const struct dms_optdef dms_opts_delay[] = {
	DMS_PLACE,
	{ "ms", DMS_K_NUM, NULL, 0, DMS_U32 },
	{ "write_ms", DMS_K_NUM, NULL, 0, DMS_U32 },
	{ NULL }
};

static const struct dms_optdef dms_opts_noorder[] = {
	DMS_PLACE,
	{ "flush", DMS_K_WORD, "ignore|honor", 0, 0 },
	{ "order", DMS_K_WORD, "fifo|random|reverse", 0, 0 },
	{ "seed", DMS_K_NUM, NULL, 0, DMS_U64 },
	/* The kernel's limits (dm-noorder/nord_internal.h), checked before it. */
	{ "cache_mb", DMS_K_NUM, NULL, 1, 1048576 },
	{ "destage_ms", DMS_K_NUM, NULL, 0, 3600000 },
	{ NULL }
};

static const struct dms_optdef dms_opts_subsist[] = {
	DMS_PLACE,
	/* The kernel's limits (dm-subsist/pool_target.c), checked before it. */
	{ "vdisks", DMS_K_NUM, NULL, 1, DMS_MAX_VDISKS },
	{ "vdisk_size", DMS_K_SIZE, NULL, 0, 0 },
	{ "block_size", DMS_K_WORD, "512|1024|2048|4096", 0, 0 },
	{ "hash", DMS_K_WORD, "crc32c|xxhash64|sha256", 0, 0 },
	{ "merge", DMS_K_WORD, "data|all|none", 0, 0 },
	{ "cache_blocks", DMS_K_NUM, NULL, 0, 1048576 },
	{ "meta_dev", DMS_K_PATH, NULL, 0, 0 },
	{ NULL }
};

#define DMS_F_SOURCE	1	/* no device below: bottom only */
#define DMS_F_TOP	2	/* exports several devices: top only */

struct dms_typedef {
	const char *name;
	const struct dms_optdef *opts;
	const char *required;	/* option that must be given, or NULL */
	unsigned int flags;
};

static const struct dms_typedef dms_types[DMS_NR_TYPES] = {
	[DMS_DISK] = { "disk", dms_opts_disk, NULL, DMS_F_SOURCE },
	[DMS_ZERO] = { "zero", dms_opts_source, "size", DMS_F_SOURCE },
	[DMS_ERROR] = { "error", dms_opts_source, "size", DMS_F_SOURCE },
	[DMS_LINEAR] = { "linear", dms_opts_disk, NULL, 0 },
	[DMS_FAULTINJ] = { "faultinj", dms_opts_faultinj, NULL, 0 },
	[DMS_FLAKEY] = { "flakey", dms_opts_flakey, "up", 0 },
	[DMS_DELAY] = { "delay", dms_opts_delay, "ms", 0 },
	[DMS_NOORDER] = { "noorder", dms_opts_noorder, NULL, 0 },
	[DMS_SUBSIST] = { "subsist", dms_opts_subsist, "vdisks", DMS_F_TOP },
};

const char *dms_type_name(enum dms_type type)
{
	return type < DMS_NR_TYPES ? dms_types[type].name : "?";
}

int dms_type_lookup(const char *word)
{
	int i;

	for (i = 0; i < DMS_NR_TYPES; i++)
		if (!strcmp(word, dms_types[i].name))
			return i;
	return -1;
}

const char *dms_known_types(void)
{
	return "disk, zero, error, linear, faultinj, flakey, delay, noorder, subsist";
}

/* A decimal number with nothing else around it. */
static int dms_parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*val = v;
	return 0;
}

/* "<n>" or "<n>s" sectors, "<n>K|M|G|T" bytes (a multiple of 512). */
int dms_parse_size(const char *s, uint64_t *sectors)
{
	char num[32];
	size_t n = strlen(s);
	unsigned int shift = 0;
	uint64_t v;
	char last;

	if (!n || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	last = num[n - 1];
	if (!isdigit((unsigned char)last)) {
		switch (last) {
		case 's': case 'S':
			shift = 0;
			break;
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		case 't': case 'T':
			shift = 40;
			break;
		default:
			return -EINVAL;
		}
		num[n - 1] = '\0';
	}
	if (dms_parse_u64(num, &v))
		return -EINVAL;
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
		if (v % 512)
			return -EINVAL;
		v /= 512;
	}
	*sectors = v;
	return 0;
}

int dms_name_valid(const char *name, char *err, size_t len)
{
	const char *p;

	if (!*name) {
		snprintf(err, len, "the stack name is empty");
		return -EINVAL;
	}
	if (strlen(name) > DMS_NAME_MAX) {
		snprintf(err, len, "the stack name '%.20s...' is longer than %d characters",
			 name, DMS_NAME_MAX);
		return -EINVAL;
	}
	if (name[0] == '-' || !strcmp(name, ".") || !strcmp(name, "..")) {
		snprintf(err, len, "invalid stack name '%s'", name);
		return -EINVAL;
	}
	for (p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("_.+-", *p)) {
			snprintf(err, len, "invalid stack name '%s': only letters, digits and _ . + - are allowed",
				 name);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- parser ------------------------------------------------------------ */

struct dms_parser {
	struct dms_spec *spec;
	char *err;
	size_t len;
	int multiline;		/* prefix errors with the line */
	int line;		/* current line */
	int nr_words;		/* words of the layer being read */
	int layer_line;
	char words[DMS_MAX_OPTS + 2][DMS_PATH_LEN + 40];
};

static int dms_perr(struct dms_parser *p, int line, int idx, const char *type,
		    const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int dms_perr(struct dms_parser *p, int line, int idx, const char *type,
		    const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	p->err[0] = '\0';
	if (p->multiline && line)
		n += snprintf(p->err + n, p->len - n, "line %d: ", line);
	if (idx >= 0 && n < p->len)
		n += snprintf(p->err + n, p->len - n, type ? "layer %d (%s): " :
			      "layer %d: ", idx, type);
	if (n < p->len) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct dms_optdef *dms_optdef_find(enum dms_type type,
						const char *key)
{
	const struct dms_optdef *d;

	for (d = dms_types[type].opts; d->key; d++)
		if (!strcmp(d->key, key))
			return d;
	return NULL;
}

static void dms_opt_keys(enum dms_type type, char *buf, size_t len)
{
	const struct dms_optdef *d;
	size_t n = 0;

	buf[0] = '\0';
	for (d = dms_types[type].opts; d->key && n < len; d++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", d->key);
}

/* Checks one value against its definition; normalises flags to 1/0. */
static int dms_opt_check(struct dms_parser *p, int idx,
			 const struct dms_optdef *d, struct dms_opt *o)
{
	const char *tname = dms_types[p->spec->layers[idx].type].name;
	int line = p->spec->layers[idx].line;
	uint64_t v;
	const char *w;
	size_t n;

	switch (d->kind) {
	case DMS_K_NUM:
		if (dms_parse_u64(o->val, &v))
			return dms_perr(p, line, idx, tname, "%s=%s: not a number",
					o->key, o->val);
		if (v < d->min || v > d->max)
			return dms_perr(p, line, idx, tname,
					"%s=%s: out of range (%llu-%llu)",
					o->key, o->val,
					(unsigned long long)d->min,
					(unsigned long long)d->max);
		break;
	case DMS_K_SIZE:
		if (dms_parse_size(o->val, &v))
			return dms_perr(p, line, idx, tname,
					"%s=%s: not a size (sectors, or bytes with a K, M, G or T suffix, a multiple of 512)",
					o->key, o->val);
		if (!v && strcmp(o->key, "offset"))
			return dms_perr(p, line, idx, tname, "%s=%s: must not be 0",
					o->key, o->val);
		break;
	case DMS_K_WORD:
		n = strlen(o->val);
		for (w = d->words; w; w = strchr(w, '|'), w = w ? w + 1 : w)
			if (!strncmp(w, o->val, n) && (w[n] == '|' || !w[n]))
				return 0;
		return dms_perr(p, line, idx, tname, "%s=%s: must be one of %s",
				o->key, o->val, d->words);
	case DMS_K_FLAG:
		if (o->bare || !strcmp(o->val, "1") || !strcmp(o->val, "yes") ||
		    !strcmp(o->val, "on"))
			strcpy(o->val, "1");
		else if (!strcmp(o->val, "0") || !strcmp(o->val, "no") ||
			 !strcmp(o->val, "off"))
			strcpy(o->val, "0");
		else
			return dms_perr(p, line, idx, tname,
					"%s=%s: a flag takes no value, or 1/0, yes/no, on/off",
					o->key, o->val);
		break;
	case DMS_K_PATH:
		if (o->val[0] != '/')
			return dms_perr(p, line, idx, tname,
					"%s=%s: must be an absolute device path",
					o->key, o->val);
		break;
	}
	return 0;
}

/* Turns the words read so far into the next layer. */
static int dms_end_layer(struct dms_parser *p)
{
	struct dms_spec *spec = p->spec;
	int idx = spec->nr, i, j, t;
	const struct dms_optdef *d;
	struct dms_layer *l;
	struct dms_opt *o;
	char keys[256];
	char *eq, *w;

	if (idx >= DMS_MAX_LAYERS)
		return dms_perr(p, p->layer_line, -1, NULL,
				"too many layers (at most %d)", DMS_MAX_LAYERS);
	t = dms_type_lookup(p->words[0]);
	if (t < 0)
		return dms_perr(p, p->layer_line, idx, NULL,
				"unknown layer '%s' (known: %s)", p->words[0],
				dms_known_types());
	l = &spec->layers[idx];
	memset(l, 0, sizeof(*l));
	l->type = t;
	l->line = p->layer_line;
	spec->nr++;
	for (i = 1; i < p->nr_words; i++) {
		w = p->words[i];
		eq = strchr(w, '=');
		if (!eq && t == DMS_DISK && !l->path[0]) {
			if (strlen(w) >= sizeof(l->path))
				return dms_perr(p, l->line, idx, "disk",
						"device path too long");
			strcpy(l->path, w);
			continue;
		}
		if (eq == w)
			return dms_perr(p, l->line, idx, dms_type_name(t),
					"'%s': an option needs a name before '='", w);
		if (eq)
			*eq = '\0';
		d = dms_optdef_find(t, w);
		if (!d) {
			dms_opt_keys(t, keys, sizeof(keys));
			if (t == DMS_DISK && !eq)
				return dms_perr(p, l->line, idx, "disk",
						"unexpected word '%s' after the device path", w);
			return dms_perr(p, l->line, idx, dms_type_name(t),
					"unknown option '%s' (known: %s)", w, keys);
		}
		for (j = 0; j < l->nr_opts; j++)
			if (!strcmp(l->opts[j].key, w))
				return dms_perr(p, l->line, idx, dms_type_name(t),
						"option '%s' given twice", w);
		if (l->nr_opts >= DMS_MAX_OPTS)
			return dms_perr(p, l->line, idx, dms_type_name(t),
					"too many options");
		o = &l->opts[l->nr_opts++];
		strcpy(o->key, d->key);
		if (!eq) {
			if (d->kind != DMS_K_FLAG)
				return dms_perr(p, l->line, idx, dms_type_name(t),
						"option '%s' needs a value (%s=...)", w, w);
			o->bare = 1;
		} else {
			if (!eq[1])
				return dms_perr(p, l->line, idx, dms_type_name(t),
						"option '%s' has no value after '='", w);
			if (strlen(eq + 1) >= sizeof(o->val))
				return dms_perr(p, l->line, idx, dms_type_name(t),
						"value of '%s' too long", w);
			strcpy(o->val, eq + 1);
		}
		if (dms_opt_check(p, idx, d, o))
			return -EINVAL;
	}
	if (t == DMS_DISK && !l->path[0])
		return dms_perr(p, l->line, idx, "disk",
				"needs a device path: disk /dev/<device>");
	if (dms_types[t].required) {
		for (j = 0; j < l->nr_opts; j++)
			if (!strcmp(l->opts[j].key, dms_types[t].required))
				break;
		if (j == l->nr_opts)
			return dms_perr(p, l->line, idx, dms_type_name(t),
					"needs %s=<value>", dms_types[t].required);
	}
	p->nr_words = 0;
	return 0;
}

static int dms_add_word(struct dms_parser *p, const char *w, size_t n)
{
	if (!p->nr_words)
		p->layer_line = p->line;
	if (p->nr_words >= (int)(sizeof(p->words) / sizeof(p->words[0])))
		return dms_perr(p, p->line, p->spec->nr, NULL,
				"too many words (at most %d options)", DMS_MAX_OPTS);
	if (n >= sizeof(p->words[0]))
		return dms_perr(p, p->line, p->spec->nr, NULL,
				"word '%.20s...' too long", w);
	memcpy(p->words[p->nr_words], w, n);
	p->words[p->nr_words][n] = '\0';
	p->nr_words++;
	return 0;
}

/* Placement rules that need the whole stack. */
static int dms_check_order(struct dms_parser *p)
{
	struct dms_spec *spec = p->spec;
	int i;

	if (!spec->nr)
		return dms_perr(p, 0, -1, NULL,
				"empty spec: give at least 'disk <path> | <layer>' or 'zero size=<n>'");
	for (i = 0; i < spec->nr; i++) {
		struct dms_layer *l = &spec->layers[i];
		unsigned int f = dms_types[l->type].flags;

		if (!i && !(f & DMS_F_SOURCE))
			return dms_perr(p, l->line, i, dms_type_name(l->type),
					"has no device below: the bottom layer must be disk, zero or error");
		if (i && (f & DMS_F_SOURCE))
			return dms_perr(p, l->line, i, dms_type_name(l->type),
					"can only be the bottom layer");
		if ((f & DMS_F_TOP) && i != spec->nr - 1)
			return dms_perr(p, l->line, i, dms_type_name(l->type),
					"must be the top layer (it exports several devices)");
	}
	if (spec->nr == 1 && spec->layers[0].type == DMS_DISK)
		return dms_perr(p, spec->layers[0].line, -1, NULL,
				"nothing to create: add a layer above the disk");
	return 0;
}

int dms_spec_parse(const char *text, struct dms_spec *spec, char *err,
		   size_t len)
{
	struct dms_parser *p;
	const char *s = text, *w, *nl;
	int pipe = 0, ret = 0;

	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, len, "out of memory");
		return -ENOMEM;
	}
	memset(spec, 0, sizeof(*spec));
	p->spec = spec;
	p->err = err;
	p->len = len;
	p->line = 1;
	nl = strchr(text, '\n');
	p->multiline = nl && nl[strspn(nl, " \t\r\n")];
	while (*s && !ret) {
		if (*s == '#') {
			s += strcspn(s, "\n");
		} else if (*s == '\n') {
			if (p->nr_words) {
				ret = dms_end_layer(p);
				pipe = 0;
			}
			p->line++;
			s++;
		} else if (*s == '|') {
			if (p->nr_words)
				ret = dms_end_layer(p);
			else if (pipe || !spec->nr)
				ret = dms_perr(p, p->line, -1, NULL,
					       "empty layer before '|'");
			pipe = 1;
			s++;
		} else if (isspace((unsigned char)*s)) {
			s++;
		} else {
			w = s;
			s += strcspn(s, " \t\r\n\v\f|#");
			ret = dms_add_word(p, w, s - w);
		}
	}
	if (!ret && p->nr_words)
		ret = dms_end_layer(p);
	else if (!ret && pipe)
		ret = dms_perr(p, p->line, -1, NULL,
			       "the spec ends with '|': a layer is missing after it");
	if (!ret)
		ret = dms_check_order(p);
	free(p);
	return ret;
}

/* ---- tables ---------------------------------------------------------- */

static const char *dms_opt(const struct dms_layer *l, const char *key)
{
	int i;

	for (i = 0; i < l->nr_opts; i++)
		if (!strcmp(l->opts[i].key, key))
			return l->opts[i].val;
	return NULL;
}

static uint64_t dms_opt_size(const struct dms_layer *l, const char *key,
			     uint64_t dflt)
{
	const char *v = dms_opt(l, key);
	uint64_t s;

	return v && !dms_parse_size(v, &s) ? s : dflt;
}

/* Appends " key val" for each of @keys the layer has; counts the words. */
static size_t dms_features(const struct dms_layer *l, const char *const *keys,
			   char *buf, size_t len, int *nr)
{
	size_t n = 0;
	const char *v;

	buf[0] = '\0';
	*nr = 0;
	for (; *keys; keys++) {
		v = dms_opt(l, *keys);
		if (!v || n >= len)
			continue;
		n += snprintf(buf + n, len - n, " %s %s", *keys, v);
		*nr += 2;
	}
	return n;
}

static int dms_emit(char *buf, size_t len, const char *dev, uint64_t offset,
		    const char *extra, int nr, const char *features)
{
	int n;

	if (nr)
		n = snprintf(buf, len, "%s %llu%s %d%s", dev,
			     (unsigned long long)offset, extra, nr, features);
	else
		n = snprintf(buf, len, "%s %llu%s", dev,
			     (unsigned long long)offset, extra);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int dms_table_linear(const struct dms_layer *l, const char *dev,
		     uint64_t offset, char *buf, size_t len)
{
	(void)l;
	return dms_emit(buf, len, dev, offset, "", 0, "");
}

int dms_table_faultinj(const struct dms_layer *l, const char *dev,
		       uint64_t offset, char *buf, size_t len)
{
	static const char *const keys[] = { "seed", "block_size", NULL };
	char feat[256];
	int nr;

	dms_features(l, keys, feat, sizeof(feat), &nr);
	return dms_emit(buf, len, dev, offset, "", nr, feat);
}

int dms_table_flakey(const struct dms_layer *l, const char *dev,
		     uint64_t offset, char *buf, size_t len)
{
	const char *down = dms_opt(l, "down"), *v;
	char extra[64], feat[64] = "";
	int nr = 0;

	snprintf(extra, sizeof(extra), " %s %s", dms_opt(l, "up"),
		 down ? down : "0");
	v = dms_opt(l, "drop_writes");
	if (v && !strcmp(v, "1")) {
		strcat(feat, " drop_writes");
		nr++;
	}
	v = dms_opt(l, "error_writes");
	if (v && !strcmp(v, "1")) {
		strcat(feat, " error_writes");
		nr++;
	}
	return dms_emit(buf, len, dev, offset, extra, nr, feat);
}

int dms_table_delay(const struct dms_layer *l, const char *dev,
		    uint64_t offset, char *buf, size_t len)
{
	const char *wms = dms_opt(l, "write_ms");
	char extra[DMS_PATH_LEN + 64];

	if (wms)
		snprintf(extra, sizeof(extra), " %s %s %llu %s",
			 dms_opt(l, "ms"), dev, (unsigned long long)offset, wms);
	else
		snprintf(extra, sizeof(extra), " %s", dms_opt(l, "ms"));
	return dms_emit(buf, len, dev, offset, extra, 0, "");
}

int dms_table_noorder(const struct dms_layer *l, const char *dev,
		      uint64_t offset, char *buf, size_t len)
{
	static const char *const keys[] = {
		"flush", "order", "seed", "cache_mb", "destage_ms", NULL
	};
	char feat[256];
	int nr;

	dms_features(l, keys, feat, sizeof(feat), &nr);
	return dms_emit(buf, len, dev, offset, "", nr, feat);
}

/*
 * The size of each vdisk in sectors: vdisk_size, else the whole device
 * (thin-style overcommit: merged blocks take no space), or with merge
 * none, where vdisk i owns blocks [i*vblocks, (i+1)*vblocks), the device
 * cut into nr_vdisks equal parts (whole blocks).  0 when it cannot be.
 */
uint64_t dms_subsist_vdisk_sectors(const struct dms_layer *l,
				   uint64_t dev_sectors)
{
	const char *merge = dms_opt(l, "merge"), *bs = dms_opt(l, "block_size");
	uint64_t bsec = (bs ? strtoull(bs, NULL, 10) : 4096) / 512;
	uint64_t nv = strtoull(dms_opt(l, "vdisks"), NULL, 10);

	if (dms_opt(l, "vdisk_size"))
		return dms_opt_size(l, "vdisk_size", 0);
	if (merge && !strcmp(merge, "none"))
		return nv ? dev_sectors / nv / bsec * bsec : 0;
	return dev_sectors / bsec * bsec;
}

/* "<data_dev> <nr_vdisks> <vdisk_sectors> [<#f> <features>]" */
int dms_table_subsist_pool(const struct dms_layer *l, const char *dev,
			   uint64_t dev_sectors, char *buf, size_t len)
{
	static const char *const keys[] = {
		"block_size", "hash", "merge", "cache_blocks", "meta_dev", NULL
	};
	char feat[DMS_PATH_LEN + 128];
	uint64_t vsize = dms_subsist_vdisk_sectors(l, dev_sectors);
	int nr, n;

	dms_features(l, keys, feat, sizeof(feat), &nr);
	if (nr)
		n = snprintf(buf, len, "%s %s %llu %d%s", dev, dms_opt(l, "vdisks"),
			     (unsigned long long)vsize, nr, feat);
	else
		n = snprintf(buf, len, "%s %s %llu", dev, dms_opt(l, "vdisks"),
			     (unsigned long long)vsize);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- plan -------------------------------------------------------------- */

static int dms_plan_err(char *err, size_t len, int idx,
			const struct dms_layer *l, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int dms_plan_err(char *err, size_t len, int idx,
			const struct dms_layer *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, len, "layer %d (%s): ", idx, dms_type_name(l->type));
	if (n >= 0 && (size_t)n < len) {
		va_start(ap, fmt);
		vsnprintf(err + n, len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static struct dms_dev *dms_plan_dev(struct dms_plan *plan, int idx,
				    const struct dms_layer *l, const char *name,
				    const char *suffix, const char *uuid_suffix,
				    int vdisk)
{
	struct dms_dev *d = &plan->devs[plan->nr++];

	memset(d, 0, sizeof(*d));
	d->layer = idx;
	d->type = l->type;
	d->vdisk = vdisk;
	snprintf(d->name, sizeof(d->name), "%s-%s", name, suffix);
	snprintf(d->uuid, sizeof(d->uuid), DMS_UUID_PREFIX "%s-%02d-%s", name,
		 idx, uuid_suffix);
	return d;
}

/*
 * What dm-subsist would refuse in the pool's table, said in dmstack's
 * words: vdisk_size a multiple of the block size, and with merge none
 * room for every vdisk.
 */
static int dms_plan_subsist_check(const struct dms_layer *l, uint64_t size,
				  char *err, size_t len, int idx)
{
	const char *merge = dms_opt(l, "merge"), *bs = dms_opt(l, "block_size");
	uint64_t bytes = bs ? strtoull(bs, NULL, 10) : 4096;
	uint64_t nv = strtoull(dms_opt(l, "vdisks"), NULL, 10);
	uint64_t vs = dms_subsist_vdisk_sectors(l, size);
	int none = merge && !strcmp(merge, "none");

	if (size < bytes / 512)
		return dms_plan_err(err, len, idx, l,
				    "the device below (%llu sectors) is smaller than one %llu-byte block",
				    (unsigned long long)size,
				    (unsigned long long)bytes);
	if (!vs)
		return dms_plan_err(err, len, idx, l,
				    "the device below (%llu sectors) holds less than one %llu-byte block per vdisk",
				    (unsigned long long)size,
				    (unsigned long long)bytes);
	if (vs % (bytes / 512))
		return dms_plan_err(err, len, idx, l,
				    "vdisk_size %llu sectors is not a multiple of the block size (%llu bytes)",
				    (unsigned long long)vs,
				    (unsigned long long)bytes);
	if (none && vs > size / nv)
		return dms_plan_err(err, len, idx, l,
				    "merge=none: %llu vdisks of %llu sectors do not fit in the device below (%llu sectors)",
				    (unsigned long long)nv,
				    (unsigned long long)vs,
				    (unsigned long long)size);
	if (none && dms_opt(l, "meta_dev"))
		return dms_plan_err(err, len, idx, l,
				    "merge=none takes no meta_dev (its layout is fixed)");
	if (none && dms_opt(l, "cache_blocks") &&
	    strcmp(dms_opt(l, "cache_blocks"), "0"))
		return dms_plan_err(err, len, idx, l,
				    "merge=none takes no cache_blocks (nothing is shared)");
	/* Block numbers are 32 bits, 0xffffffff the end of a chain. */
	if (vs / (bytes / 512) * nv >= 0xffffffffULL)
		return dms_plan_err(err, len, idx, l,
				    "vdisks x vdisk_size is 2^32 blocks or more: use a larger block_size or smaller vdisks");
	if (size / (bytes / 512) >= 0xffffffffULL)
		return dms_plan_err(err, len, idx, l,
				    "the device below has 2^32 blocks or more: use a larger block_size");
	return 0;
}

/* What the steps of dms_plan_build() share. */
struct dms_planner {
	const char *name;
	struct dms_plan *plan;
	int used[DMS_NR_TYPES];	/* layers of each type so far */
	char below[DMS_PATH_LEN + DMS_DEV_LEN];	/* the device below */
	uint64_t base;		/* where on it the next layer's range starts */
	uint64_t avail;		/* its sectors from there */
	char *err;
	size_t len;
};

/* Layer 0: a disk (a range of it), or a zero or error device. */
static int dms_plan_bottom(struct dms_planner *p, const struct dms_layer *l,
			   uint64_t disk_sectors)
{
	struct dms_dev *d;
	uint64_t off;

	if (l->type == DMS_DISK) {
		off = dms_opt_size(l, "offset", 0);
		if (off >= disk_sectors)
			return dms_plan_err(p->err, p->len, 0, l,
					    "offset %llu is past the end of %s (%llu sectors)",
					    (unsigned long long)off, l->path,
					    (unsigned long long)disk_sectors);
		p->avail = dms_opt_size(l, "size", disk_sectors - off);
		if (p->avail > disk_sectors - off)
			return dms_plan_err(p->err, p->len, 0, l,
					    "offset %llu + size %llu is past the end of %s (%llu sectors)",
					    (unsigned long long)off,
					    (unsigned long long)p->avail,
					    l->path,
					    (unsigned long long)disk_sectors);
		snprintf(p->below, sizeof(p->below), "%s", l->path);
		p->base = off;
		return 0;
	}
	p->avail = dms_opt_size(l, "size", 0);
	d = dms_plan_dev(p->plan, 0, l, p->name, dms_type_name(l->type),
			 dms_type_name(l->type), -1);
	d->length = p->avail;
	snprintf(d->target, sizeof(d->target), "%s", dms_type_name(l->type));
	p->used[l->type] = 1;
	snprintf(p->below, sizeof(p->below), "/dev/mapper/%s", d->name);
	return 0;
}

/* Layer @i, subsist: the pool over the device below, and its vdisks. */
static int dms_plan_subsist(struct dms_planner *p, int i,
			    const struct dms_layer *l, uint64_t off,
			    uint64_t size)
{
	char suffix[40], usuffix[40];
	struct dms_dev *d;
	int v, nv, ret;

	if (p->base + off)
		return dms_plan_err(p->err, p->len, i, l,
				    "subsist-pool takes no offset: it needs a device that starts at sector 0 of the device below");
	ret = dms_plan_subsist_check(l, size, p->err, p->len, i);
	if (ret)
		return ret;
	d = dms_plan_dev(p->plan, i, l, p->name, "pool", "subsist", -1);
	d->length = size;
	strcpy(d->target, "subsist-pool");
	ret = dms_table_subsist_pool(l, p->below, size, d->params,
				     sizeof(d->params));
	if (ret)
		return dms_plan_err(p->err, p->len, i, l, "table line too long");
	nv = atoi(dms_opt(l, "vdisks"));
	for (v = 0; v < nv; v++) {
		snprintf(suffix, sizeof(suffix), "%d", v);
		snprintf(usuffix, sizeof(usuffix), "subsist-%d", v);
		d = dms_plan_dev(p->plan, i, l, p->name, suffix, usuffix, v);
		d->length = dms_subsist_vdisk_sectors(l, size);
		strcpy(d->target, "subsist");
		snprintf(d->params, sizeof(d->params),
			 "/dev/mapper/%s-pool %d", p->name, v);
	}
	return 0;
}

/* The table parameters of a one-device layer over @below from @start. */
static int dms_plan_params(const struct dms_layer *l, const char *below,
			   uint64_t start, char *params, size_t plen)
{
	switch (l->type) {
	case DMS_LINEAR:
		return dms_table_linear(l, below, start, params, plen);
	case DMS_FAULTINJ:
		return dms_table_faultinj(l, below, start, params, plen);
	case DMS_FLAKEY:
		return dms_table_flakey(l, below, start, params, plen);
	case DMS_DELAY:
		return dms_table_delay(l, below, start, params, plen);
	case DMS_NOORDER:
		return dms_table_noorder(l, below, start, params, plen);
	default:
		return -EINVAL;
	}
}

/*
 * Layer @i (1 and up) over the device below: its range checked, its
 * device(s) added.  Returns 0, 1 after a subsist layer (the top), or an
 * error.
 */
static int dms_plan_layer(struct dms_planner *p, int i,
			  const struct dms_layer *l)
{
	uint64_t off, size;
	char suffix[40];
	struct dms_dev *d;
	int ret;

	off = dms_opt_size(l, "offset", 0);
	if (off >= p->avail)
		return dms_plan_err(p->err, p->len, i, l,
				    "offset %llu is past the end of the device below (%llu sectors)",
				    (unsigned long long)off,
				    (unsigned long long)p->avail);
	size = dms_opt_size(l, "size", p->avail - off);
	if (size > p->avail - off)
		return dms_plan_err(p->err, p->len, i, l,
				    "offset %llu + size %llu is past the end of the device below (%llu sectors)",
				    (unsigned long long)off,
				    (unsigned long long)size,
				    (unsigned long long)p->avail);
	p->used[l->type]++;
	if (l->type == DMS_SUBSIST) {
		ret = dms_plan_subsist(p, i, l, off, size);
		return ret ? ret : 1;
	}
	if (p->used[l->type] > 1)
		snprintf(suffix, sizeof(suffix), "%s%d",
			 dms_type_name(l->type), p->used[l->type]);
	else
		snprintf(suffix, sizeof(suffix), "%s", dms_type_name(l->type));
	d = dms_plan_dev(p->plan, i, l, p->name, suffix,
			 dms_type_name(l->type), -1);
	d->length = size;
	snprintf(d->target, sizeof(d->target), "%s", dms_type_name(l->type));
	ret = dms_plan_params(l, p->below, p->base + off, d->params,
			      sizeof(d->params));
	if (ret)
		return dms_plan_err(p->err, p->len, i, l, "table line too long");
	snprintf(p->below, sizeof(p->below), "/dev/mapper/%s", d->name);
	p->base = 0;
	p->avail = size;
	return 0;
}

int dms_plan_build(const struct dms_spec *spec, const char *name,
		   uint64_t disk_sectors, struct dms_plan *plan, char *err,
		   size_t len)
{
	struct dms_planner p = {
		.name = name, .plan = plan, .err = err, .len = len,
	};
	int i, ret;

	memset(plan, 0, sizeof(*plan));
	if (dms_name_valid(name, err, len))
		return -EINVAL;
	ret = dms_plan_bottom(&p, &spec->layers[0], disk_sectors);
	if (ret)
		return ret;
	for (i = 1; i < spec->nr; i++) {
		ret = dms_plan_layer(&p, i, &spec->layers[i]);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	return 0;
}

/*
 * "DMSTACK-<name>-<nn>-<type>[-<i>]": the name may hold '-', so the
 * suffix is matched from the right.
 */
int dms_uuid_parse(const char *uuid, char *name, size_t name_len,
		   int *layer, enum dms_type *type, int *vdisk)
{
	size_t plen = strlen(DMS_UUID_PREFIX);
	const char *rest, *p, *t;
	char tname[32];
	size_t tl;
	int nn, t_idx, v;

	if (strncmp(uuid, DMS_UUID_PREFIX, plen))
		return -EINVAL;
	rest = uuid + plen;
	for (p = rest + strlen(rest); p > rest; p--) {
		if (p[-1] != '-' || !isdigit((unsigned char)p[0]) ||
		    !isdigit((unsigned char)p[1]) || p[2] != '-')
			continue;
		t = p + 3;
		tl = strcspn(t, "-");
		if (!tl || tl >= sizeof(tname))
			continue;
		memcpy(tname, t, tl);
		tname[tl] = '\0';
		t_idx = dms_type_lookup(tname);
		if (t_idx < 0)
			continue;
		v = -1;
		if (t[tl]) {
			const char *vs = t + tl + 1;
			char *end;

			if (t_idx != DMS_SUBSIST || !isdigit((unsigned char)*vs))
				continue;
			v = strtol(vs, &end, 10);
			if (*end)
				continue;
		}
		nn = (p[0] - '0') * 10 + (p[1] - '0');
		if ((size_t)(p - 1 - rest) >= name_len || p - 1 == rest)
			return -EINVAL;
		memcpy(name, rest, p - 1 - rest);
		name[p - 1 - rest] = '\0';
		*layer = nn;
		*type = t_idx;
		*vdisk = v;
		return 0;
	}
	return -EINVAL;
}
