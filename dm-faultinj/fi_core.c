// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-faultinj: rule grammar, block-type map, scope boundaries, triggers and
 * corruption patterns.  Nothing here sees a bio, so the host unit tests
 * (tests/unit/test_fi_core.c) can run all of it.
 *
 * Callers serialise every function that builds a new ruleset or typemap
 * (the target's message mutex); the lookups run locklessly on immutable
 * snapshots.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#endif

#include "fi_core.h"

/* Upper bound on extents in one typemap (24 bytes each). */
#define FI_MAX_EXTENTS		(1U << 20)

int fi_parse_u64(const char *s, u64 *v)
{
	/* Decimal only; kstrtou64 rejects trailing junk and overflow. */
	if (!s || !*s || *s == '+')
		return -EINVAL;
	return kstrtou64(s, 10, v) ? -EINVAL : 0;
}

int fi_parse_u32(const char *s, u32 *v)
{
	u64 tmp;

	if (fi_parse_u64(s, &tmp) || tmp > U32_MAX)
		return -EINVAL;
	*v = tmp;
	return 0;
}

static bool fi_type_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > FI_TYPE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

int fi_type_lookup(const struct fi_typenames *tn, const char *name)
{
	unsigned int i;

	for (i = 0; i < tn->n; i++)
		if (!strcmp(tn->name[i], name))
			return i;
	return -1;
}

int fi_type_intern(struct fi_typenames *tn, const char *name,
		   const char **err)
{
	int t;

	if (!fi_type_name_ok(name)) {
		*err = "Type name must be 1-15 characters of [a-z0-9_]";
		return -EINVAL;
	}
	t = fi_type_lookup(tn, name);
	if (t >= 0)
		return t;
	if (tn->n >= FI_MAX_TYPES) {
		*err = "Too many distinct type names (at most 16)";
		return -ENOSPC;
	}
	strscpy(tn->name[tn->n], name, sizeof(tn->name[0]));
	return tn->n++;
}

static const char * const fi_op_names[] = {
	[FI_OP_READ] = "read",
	[FI_OP_WRITE] = "write",
	[FI_OP_FLUSH] = "flush",
	[FI_OP_ANY] = "any",
};

static const char * const fi_corrupt_names[] = {
	[FI_CORRUPT_ZERO] = "zero",
	[FI_CORRUPT_RANDOM] = "random",
	[FI_CORRUPT_FLIP] = "flip",
	[FI_CORRUPT_BYTE] = "byte",
};

static int fi_word(const char * const *names, unsigned int n, const char *s)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], s))
			return i;
	return -1;
}

/* Parse "<off> <val>" of flip/byte; val at most @max. */
static int fi_parse_off_val(struct fi_pattern *p, char **argv, u32 max,
			    const struct fi_geom *g, const char **err)
{
	u32 val;

	if (fi_parse_u32(argv[0], &p->off) || p->off >= g->block_size) {
		*err = "corrupt offset must be below block_size";
		return -EINVAL;
	}
	if (fi_parse_u32(argv[1], &val) || val > max) {
		*err = max == 7 ? "corrupt flip bit must be 0-7" :
				  "corrupt byte value must be 0-255";
		return -EINVAL;
	}
	p->val = val;
	return 0;
}

static int fi_parse_action(struct fi_rule *r, unsigned int argc, char **argv,
			   const struct fi_geom *g, unsigned int *used,
			   const char **err)
{
	int kind;

	*used = 1;
	if (!strcasecmp(argv[0], "drop")) {
		r->action = FI_ACT_DROP;
		return 0;
	}
	if (!strcasecmp(argv[0], "error")) {
		r->action = FI_ACT_ERROR;
		return 0;
	}
	if (strcasecmp(argv[0], "corrupt")) {
		*err = "Action must be drop, error or corrupt";
		return -EINVAL;
	}
	r->action = FI_ACT_CORRUPT;
	if (r->op == FI_OP_FLUSH) {
		*err = "corrupt does not apply to flush";
		return -EINVAL;
	}
	if (argc < 2) {
		*err = "corrupt needs zero, random, flip <off> <bit>|random or byte <off> <val>";
		return -EINVAL;
	}
	kind = fi_word(fi_corrupt_names, ARRAY_SIZE(fi_corrupt_names), argv[1]);
	if (kind < 0) {
		*err = "corrupt needs zero, random, flip <off> <bit>|random or byte <off> <val>";
		return -EINVAL;
	}
	r->pat.kind = kind;
	*used = 2;
	if (kind == FI_CORRUPT_ZERO || kind == FI_CORRUPT_RANDOM)
		return 0;
	if (kind == FI_CORRUPT_FLIP && argc >= 3 &&
	    !strcasecmp(argv[2], "random")) {
		r->pat.kind = FI_CORRUPT_FLIP_RANDOM;
		*used = 3;
		return 0;
	}
	if (argc < 4) {
		*err = "corrupt flip needs <offset> <bit> or random; byte needs <offset> <value>";
		return -EINVAL;
	}
	*used = 4;
	return fi_parse_off_val(&r->pat, argv + 2,
				kind == FI_CORRUPT_FLIP ? 7 : 255, g, err);
}

/*
 * rule add <id> <op> <action> [<args>] [sectors <s> <n>] [type <name>]
 *          [prob <ppm>] [after <n>] [times <k>]
 * argv starts at <id>.  On success @r is filled in (counters zeroed) and a
 * type name, if any, is interned in @tn; on failure nothing changes.
 */
int fi_rule_parse(struct fi_rule *r, unsigned int argc, char **argv,
		  const struct fi_geom *g, struct fi_typenames *tn,
		  const char **err)
{
	const char *type_name = NULL;
	bool seen_prob = false, seen_after = false, seen_times = false;
	unsigned int i, used;
	int op, ret;

	memset(r, 0, sizeof(*r));
	r->type = -1;
	r->prob = FI_PPM;
	atomic64_set(&r->matched, 0);
	atomic64_set(&r->fired, 0);

	if (argc < 3) {
		*err = "rule add needs <id> <op> <action>";
		return -EINVAL;
	}
	if (fi_parse_u32(argv[0], &r->id) || !r->id) {
		*err = "rule id must be 1-4294967295";
		return -EINVAL;
	}
	op = fi_word(fi_op_names, ARRAY_SIZE(fi_op_names), argv[1]);
	if (op < 0) {
		*err = "rule op must be read, write, flush or any";
		return -EINVAL;
	}
	r->op = op;
	ret = fi_parse_action(r, argc - 2, argv + 2, g, &used, err);
	if (ret)
		return ret;

	for (i = 2 + used; i < argc; i += 2) {
		const char *key = argv[i];

		if (i + 1 >= argc) {
			*err = "rule option without a value";
			return -EINVAL;
		}
		if (!strcasecmp(key, "sectors")) {
			if (r->has_range) {
				*err = "Duplicate option sectors";
				return -EINVAL;
			}
			if (i + 2 >= argc || fi_parse_u64(argv[i + 1], &r->start) ||
			    fi_parse_u64(argv[i + 2], &r->count)) {
				*err = "sectors needs <start> <count>";
				return -EINVAL;
			}
			if (!r->count || r->start >= g->sectors ||
			    r->count > g->sectors - r->start) {
				*err = "sectors range empty or past the device end";
				return -EINVAL;
			}
			r->has_range = true;
			i++;
		} else if (!strcasecmp(key, "type")) {
			if (type_name) {
				*err = "Duplicate option type";
				return -EINVAL;
			}
			type_name = argv[i + 1];
			if (!fi_type_name_ok(type_name)) {
				*err = "Type name must be 1-15 characters of [a-z0-9_]";
				return -EINVAL;
			}
		} else if (!strcasecmp(key, "prob")) {
			if (seen_prob || fi_parse_u32(argv[i + 1], &r->prob) ||
			    r->prob > FI_PPM) {
				*err = "prob needs a ppm value 0-1000000, once";
				return -EINVAL;
			}
			seen_prob = true;
		} else if (!strcasecmp(key, "after")) {
			if (seen_after || fi_parse_u64(argv[i + 1], &r->after)) {
				*err = "after needs a count, once";
				return -EINVAL;
			}
			seen_after = true;
		} else if (!strcasecmp(key, "times")) {
			if (seen_times || fi_parse_u64(argv[i + 1], &r->times) ||
			    !r->times) {
				*err = "times needs a count of at least 1, once";
				return -EINVAL;
			}
			seen_times = true;
		} else {
			*err = "Unknown rule option";
			return -EINVAL;
		}
	}

	if (r->op == FI_OP_FLUSH && (r->has_range || type_name)) {
		*err = "flush has no sectors: no sectors or type scope";
		return -EINVAL;
	}
	if (type_name) {
		ret = fi_type_intern(tn, type_name, err);
		if (ret < 0)
			return ret;
		r->type = ret;
	}
	return 0;
}

/* The rule as "rule add" takes it, without the words "rule add". */
int fi_rule_format(const struct fi_rule *r, const struct fi_typenames *tn,
		   char *buf, size_t len)
{
	size_t n;

	n = scnprintf(buf, len, "%u %s ", r->id, fi_op_names[r->op]);
	switch (r->action) {
	case FI_ACT_DROP:
		n += scnprintf(buf + n, len - n, "drop");
		break;
	case FI_ACT_ERROR:
		n += scnprintf(buf + n, len - n, "error");
		break;
	default:
		if (r->pat.kind == FI_CORRUPT_FLIP_RANDOM) {
			n += scnprintf(buf + n, len - n, "corrupt flip random");
			break;
		}
		n += scnprintf(buf + n, len - n, "corrupt %s",
			       fi_corrupt_names[r->pat.kind]);
		if (r->pat.kind == FI_CORRUPT_FLIP ||
		    r->pat.kind == FI_CORRUPT_BYTE)
			n += scnprintf(buf + n, len - n, " %u %u",
				       r->pat.off, r->pat.val);
		break;
	}
	if (r->has_range)
		n += scnprintf(buf + n, len - n, " sectors %llu %llu",
			       (unsigned long long)r->start,
			       (unsigned long long)r->count);
	if (r->type >= 0)
		n += scnprintf(buf + n, len - n, " type %s", tn->name[r->type]);
	if (r->prob != FI_PPM)
		n += scnprintf(buf + n, len - n, " prob %u", r->prob);
	if (r->after)
		n += scnprintf(buf + n, len - n, " after %llu",
			       (unsigned long long)r->after);
	if (r->times)
		n += scnprintf(buf + n, len - n, " times %llu",
			       (unsigned long long)r->times);
	return n;
}

const struct fi_rule *fi_ruleset_find(const struct fi_ruleset *rs, u32 id)
{
	unsigned int i;

	for (i = 0; rs && i < rs->n; i++)
		if (rs->r[i]->id == id)
			return rs->r[i];
	return NULL;
}

static bool fi_op_match(const struct fi_rule *r, enum fi_op op)
{
	return r->op == FI_OP_ANY || r->op == op;
}

static void fi_ruleset_summarise(struct fi_ruleset *rs)
{
	unsigned int i, op;

	for (op = 0; op < FI_OP_ANY; op++) {
		struct fi_opsum *s = &rs->sum[op];

		s->lo = U64_MAX;
		for (i = 0; i < rs->n; i++) {
			const struct fi_rule *r = rs->r[i];

			if (!fi_op_match(r, op))
				continue;
			s->typed |= r->type >= 0;
			if (!r->has_range) {
				s->unranged = true;
				continue;
			}
			s->lo = min(s->lo, r->start);
			s->hi = max(s->hi, r->start + r->count);
		}
	}
}

/*
 * A copy of @old with @add inserted (if not NULL) and rule @del_id left out
 * (if not 0).  The rules themselves are shared, not copied.
 */
int fi_ruleset_with(const struct fi_ruleset *old, struct fi_rule *add,
		    u32 del_id, struct fi_ruleset **out, const char **err)
{
	unsigned int i, n_old = old ? old->n : 0, n = 0;
	struct fi_ruleset *rs;

	if (add && fi_ruleset_find(old, add->id)) {
		*err = "rule id already in use";
		return -EEXIST;
	}
	if (del_id && !fi_ruleset_find(old, del_id)) {
		*err = "No rule with that id";
		return -ENOENT;
	}
	if (add && n_old >= FI_MAX_RULES) {
		*err = "Too many rules (at most 256)";
		return -ENOSPC;
	}

	rs = kzalloc(struct_size(rs, r, n_old + 1), GFP_KERNEL);
	if (!rs) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < n_old; i++) {
		struct fi_rule *cur = old->r[i];

		if (add && add->id < cur->id) {
			rs->r[n++] = add;
			add = NULL;
		}
		if (cur->id != del_id)
			rs->r[n++] = cur;
	}
	if (add)
		rs->r[n++] = add;
	rs->n = n;
	fi_ruleset_summarise(rs);
	*out = rs;
	return 0;
}

static int fi_extent_cmp(const void *a, const void *b)
{
	const struct fi_extent *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/*
 * types load <start> <len> <type> [...]: a new map holding @old's extents
 * and the given ones, sorted.  Overlaps, ranges past the end and bad names
 * are refused; on failure @tn is unchanged.
 */
int fi_typemap_load(const struct fi_typemap *old, unsigned int argc,
		    char **argv, const struct fi_geom *g,
		    struct fi_typenames *tn, struct fi_typemap **out,
		    const char **err)
{
	u64 nblocks = (g->sectors + (1ULL << g->block_shift) - 1) >>
		      g->block_shift;
	unsigned int i, k, n_old = old ? old->n : 0, n_new = argc / 3;
	struct fi_typenames scratch = *tn;
	struct fi_typemap *m;
	int ret;

	if (!argc || argc % 3) {
		*err = "types load needs <start> <len> <type> triples";
		return -EINVAL;
	}
	if (n_new > FI_MAX_EXTENTS - n_old) {
		*err = "Too many extents";
		return -ENOSPC;
	}
	m = kvmalloc(struct_size(m, e, n_old + n_new), GFP_KERNEL);
	if (!m) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	if (n_old)
		memcpy(m->e, old->e, n_old * sizeof(m->e[0]));
	for (i = 0, k = n_old; i < argc; i += 3, k++) {
		struct fi_extent *e = &m->e[k];

		if (fi_parse_u64(argv[i], &e->start) ||
		    fi_parse_u64(argv[i + 1], &e->len)) {
			*err = "types load: start and length must be numbers";
			ret = -EINVAL;
			goto out_free;
		}
		if (!e->len || e->start >= nblocks ||
		    e->len > nblocks - e->start) {
			*err = "types load: range empty or past the device end";
			ret = -EINVAL;
			goto out_free;
		}
		ret = fi_type_intern(&scratch, argv[i + 2], err);
		if (ret < 0)
			goto out_free;
		e->type = ret;
	}
	m->n = n_old + n_new;
	sort(m->e, m->n, sizeof(m->e[0]), fi_extent_cmp, NULL);
	for (i = 1; i < m->n; i++) {
		if (m->e[i].start < m->e[i - 1].start + m->e[i - 1].len) {
			*err = "types load: extents overlap";
			ret = -EINVAL;
			goto out_free;
		}
	}
	*tn = scratch;
	*out = m;
	return 0;

out_free:
	kvfree(m);
	return ret;
}

/*
 * The type of @block, or -1 if the map has none for it.  *@end is the first
 * block after @block where the answer may change.
 */
int fi_typemap_find(const struct fi_typemap *m, u64 block, u64 *end)
{
	unsigned int lo = 0, hi = m ? m->n : 0;

	/* Find the first extent starting after @block. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (m->e[mid].start <= block)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct fi_extent *e = &m->e[lo - 1];

		if (block < e->start + e->len) {
			*end = e->start + e->len;
			return e->type;
		}
	}
	*end = lo < (m ? m->n : 0) ? m->e[lo].start : U64_MAX;
	return -1;
}

/*
 * One pass over the rules for an I/O of *@nr_sectors at @sector (0 sectors
 * for a flush; @data: it carries data).  Shortens *@nr_sectors to where the
 * first rule's scope begins or ends (or the block type changes, for type
 * rules), so that every rule covers all of what is left or none of it, and
 * sets in @cand (FI_CAND_WORDS words) the rules that cover it.  Returns
 * how many.  I/O outside the hull of every rule's range costs no loop.
 */
unsigned int fi_scan(const struct fi_ruleset *rs, const struct fi_typemap *m,
		     const struct fi_geom *g, enum fi_op op, bool data,
		     u64 sector, unsigned int *nr_sectors, u64 *cand)
{
	const struct fi_opsum *s = &rs->sum[op];
	u64 end = sector + *nr_sectors, cut = end, bend;
	unsigned int i, n = 0;
	int type = -1;

	if (!s->unranged &&
	    (!*nr_sectors || end <= s->lo || sector >= s->hi))
		return 0;
	memset(cand, 0, FI_CAND_WORDS * sizeof(*cand));

	if (s->typed && *nr_sectors) {
		type = fi_typemap_find(m, sector >> g->block_shift, &bend);
		if (bend < (U64_MAX >> g->block_shift)) {
			bend <<= g->block_shift;
			if (bend > sector && bend < cut)
				cut = bend;
		}
	}

	for (i = 0; i < rs->n; i++) {
		const struct fi_rule *r = rs->r[i];

		if (!fi_op_match(r, op) ||
		    (r->action == FI_ACT_CORRUPT && !data))
			continue;
		if (r->has_range) {
			u64 rend = r->start + r->count;

			if (!*nr_sectors || rend <= sector)
				continue;
			if (r->start > sector) {
				if (r->start < cut)
					cut = r->start;
				continue;
			}
			if (rend < cut)
				cut = rend;
		} else if (r->type >= 0 && !*nr_sectors) {
			continue;
		}
		if (r->type >= 0 && r->type != type)
			continue;
		cand[i / 64] |= 1ULL << (i % 64);
		n++;
	}
	*nr_sectors = cut - sector;
	return n;
}

/* splitmix64's finaliser: a good 64-bit mix, cheap and stateless. */
u64 fi_mix64(u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Count a matching I/O and decide whether the rule fires on it.  The
 * decision for the k-th matching I/O depends only on (seed, id, k), so the
 * same seed and the same I/O sequence give the same faults, with no lock.
 * *@firing gets a value unique to this firing (for random corruption).
 */
bool fi_rule_trigger(struct fi_rule *r, u64 seed, u64 *firing)
{
	u64 k = atomic64_inc_return(&r->matched);
	u64 f;

	if (k <= r->after)
		return false;
	if (r->prob < FI_PPM) {
		u32 roll = fi_mix64(seed ^ fi_mix64(((u64)r->id << 32) ^ k)) >> 32;

		if (roll % FI_PPM >= r->prob)
			return false;
	}
	do {
		f = atomic64_read(&r->fired);
		if (r->times && f >= r->times)
			return false;
	} while ((u64)atomic64_cmpxchg(&r->fired, f, f + 1) != f);
	*firing = fi_mix64(seed ^ fi_mix64(r->id) ^ k);
	return true;
}

/*
 * Apply @p to @buf, which holds the @len bytes at byte @pos of the device.
 * The result depends only on the device position, not on how the I/O is
 * cut into segments.
 */
void fi_corrupt_buf(const struct fi_pattern *p, u8 *buf, u64 pos, u32 len,
		    u32 block_size)
{
	u64 at, w = 0, end = pos + len;
	u32 i;

	switch (p->kind) {
	case FI_CORRUPT_ZERO:
		memset(buf, 0, len);
		break;
	case FI_CORRUPT_RANDOM:
		for (i = 0; i < len; i++) {
			u64 q = pos + i;

			/* One 64-bit draw per aligned 8 bytes of the device. */
			if (!i || !(q & 7))
				w = fi_mix64(p->stream ^ (q >> 3));
			buf[i] = w >> ((q & 7) * 8);
		}
		break;
	case FI_CORRUPT_FLIP:
	case FI_CORRUPT_BYTE:
		at = (pos & ~((u64)block_size - 1)) + p->off;
		if (at < pos)
			at += block_size;
		for (; at < end; at += block_size) {
			if (p->kind == FI_CORRUPT_FLIP)
				buf[at - pos] ^= 1U << p->val;
			else
				buf[at - pos] = p->val;
		}
		break;
	case FI_CORRUPT_FLIP_RANDOM:
		/* Each block's bit comes from its number: segment-independent. */
		for (at = pos & ~((u64)block_size - 1); at < end; at += block_size) {
			u64 bit = fi_mix64(p->stream ^ fi_mix64(at)) &
				  ((u64)block_size * 8 - 1);
			u64 byte = at + bit / 8;

			if (byte >= pos && byte < end)
				buf[byte - pos] ^= 1U << (bit & 7);
		}
		break;
	}
}
