// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: crash states of a recorded log (see state.h for the models).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "state.h"

/* Salts of the independent hashes of one draw. */
#define CT_SALT_KIND	0x6b696e64ULL	/* which kind of draw */
#define CT_SALT_Q	0x71707262ULL	/* keep probability / prefix length */
#define CT_SALT_KEEP	0x6b656570ULL	/* per write: kept? */
#define CT_SALT_PERM	0x7065726dULL	/* per write: sort key of a reordering */
#define CT_SALT_PICK	0x7069636bULL	/* generator: crash point of a draw */
#define CT_SALT_SHUF	0x73687566ULL	/* generator: order of the prefixes */

const char *ct_model_name(int model)
{
	return model == CT_MODEL_IGNORE ? "ignore" : "honor";
}

int ct_model_parse(const char *s)
{
	if (!strcmp(s, "honor"))
		return CT_MODEL_HONOR;
	if (!strcmp(s, "ignore"))
		return CT_MODEL_IGNORE;
	return -1;
}

static int ct_is_boundary(const struct ct_op *op)
{
	return op->type == NOORDER_LOG_FLUSH ||
	       (op->type == NOORDER_LOG_WRITE && (op->flags & NOORDER_LOG_FUA));
}

int ct_space_init(struct ct_space *sp, const struct ct_log *log,
		  uint64_t seed, uint64_t window, char *err, size_t errlen)
{
	size_t i, w = 0, b = 0;
	const struct ct_op *op;

	memset(sp, 0, sizeof(*sp));
	if (log->nr_ops >= UINT32_MAX) {
		snprintf(err, errlen, "the log has %zu records; at most %u are supported",
			 log->nr_ops, UINT32_MAX - 1);
		return -E2BIG;
	}
	sp->log = log;
	sp->seed = seed;
	sp->window = window;
	sp->nr_points = log->nr_ops + 1;
	sp->nr_writes = log->writes;
	sp->wcount = calloc(sp->nr_points, sizeof(*sp->wcount));
	sp->durable = calloc(sp->nr_points, sizeof(*sp->durable));
	sp->wop = calloc(sp->nr_writes + 1, sizeof(*sp->wop));
	sp->wsum = calloc(sp->nr_writes + 1, sizeof(*sp->wsum));
	sp->cand = calloc(sp->nr_points, sizeof(*sp->cand));
	sp->prefix = calloc(sp->nr_points, sizeof(*sp->prefix));
	if (!sp->wcount || !sp->durable || !sp->wop || !sp->wsum || !sp->cand ||
	    !sp->prefix) {
		ct_space_free(sp);
		snprintf(err, errlen, "out of memory for %zu records", log->nr_ops);
		return -ENOMEM;
	}
	sp->prefix[sp->nr_prefix++] = 0;
	for (i = 0; i < log->nr_ops; i++) {
		op = &log->ops[i];
		if (op->type == NOORDER_LOG_WRITE) {
			sp->wop[w] = i;
			sp->wsum[w + 1] = sp->wsum[w] + op->nr_sectors * 512;
			w++;
		}
		if (ct_is_boundary(op)) {
			b = w;
			sp->prefix[sp->nr_prefix++] = i + 1;
		}
		sp->wcount[i + 1] = w;
		sp->durable[i + 1] = b;
		if (op->type == NOORDER_LOG_WRITE || op->type == NOORDER_LOG_FLUSH)
			sp->cand[sp->nr_cand++] = i + 1;
	}
	if (sp->prefix[sp->nr_prefix - 1] != log->nr_ops)
		sp->prefix[sp->nr_prefix++] = log->nr_ops;
	return 0;
}

void ct_space_free(struct ct_space *sp)
{
	free(sp->wcount);
	free(sp->durable);
	free(sp->wop);
	free(sp->wsum);
	free(sp->cand);
	free(sp->prefix);
	memset(sp, 0, sizeof(*sp));
}

/* The first uncertain write at @p under @model. */
static size_t ct_first_uncertain(const struct ct_space *sp, int model,
				 uint64_t p, uint64_t window)
{
	size_t nw = sp->wcount[p], lo, hi, mid;

	if (model == CT_MODEL_HONOR)
		return sp->durable[p];
	/* Smallest j with wsum[nw] - wsum[j] <= window. */
	lo = 0;
	hi = nw;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sp->wsum[nw] - sp->wsum[mid] <= window)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static double ct_unit(uint64_t h)
{
	return (h >> 11) * (1.0 / 9007199254740992.0);
}

struct ct_perm_ent {
	uint64_t key;
	uint32_t w;
};

static int ct_perm_cmp(const void *a, const void *b)
{
	const struct ct_perm_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->w < y->w ? -1 : x->w > y->w;
}

static int ct_state_reserve(struct ct_state *st, size_t n)
{
	uint32_t *o;

	if (n <= st->cap)
		return 0;
	o = realloc(st->order, n * sizeof(*o));
	if (!o)
		return -ENOMEM;
	st->order = o;
	st->cap = n;
	return 0;
}

int ct_state_build(const struct ct_space *sp, const struct ct_state_id *id,
		   struct ct_state *st, char *err, size_t errlen)
{
	uint64_t seed = id->has_seed ? id->seed : sp->seed;
	uint64_t window = id->has_window ? id->window : sp->window;
	uint64_t p = id->point, k = id->k, h;
	size_t nw, lo, j, n, m;
	struct ct_perm_ent *perm;
	double q;

	if (p >= sp->nr_points) {
		snprintf(err, errlen, "crash point %llu is beyond the log's %zu records",
			 (unsigned long long)p, sp->nr_points - 1);
		return -EINVAL;
	}
	if (id->model != CT_MODEL_HONOR && id->model != CT_MODEL_IGNORE) {
		snprintf(err, errlen, "unknown model %d", id->model);
		return -EINVAL;
	}
	nw = sp->wcount[p];
	lo = ct_first_uncertain(sp, id->model, p, window);
	if (ct_state_reserve(st, nw + 1)) {
		snprintf(err, errlen, "out of memory for %zu writes", nw);
		return -ENOMEM;
	}
	st->id = *id;
	st->nr_durable = lo;
	st->nr_uncertain = nw - lo;
	for (j = 0; j < lo; j++)
		st->order[j] = j;
	n = lo;
	if (!k) {
		st->draw = CT_DRAW_ALL;
		for (j = lo; j < nw; j++)
			st->order[n++] = j;
		st->nr = n;
		return 0;
	}
	h = ct_hash4(seed, CT_SALT_KIND, p, k);
	switch (h & 3) {
	case 0:
		st->draw = CT_DRAW_PREFIX;
		break;
	case 1:
		st->draw = CT_DRAW_REORDER;
		break;
	default:
		st->draw = CT_DRAW_SUBSET;
	}
	q = ct_unit(ct_hash4(seed, CT_SALT_Q, p, k));
	if (st->draw == CT_DRAW_PREFIX) {
		/* The first m uncertain writes, m uniform in [0, uncertain]. */
		m = (size_t)(q * (st->nr_uncertain + 1));
		if (m > st->nr_uncertain)
			m = st->nr_uncertain;
		for (j = lo; j < lo + m; j++)
			st->order[n++] = j;
		st->nr = n;
		return 0;
	}
	/* Each uncertain write kept with probability q. */
	for (j = lo; j < nw; j++) {
		if (ct_unit(ct_hash4(seed ^ CT_SALT_KEEP, p, k, j)) < q)
			st->order[n++] = j;
	}
	st->nr = n;
	if (st->draw != CT_DRAW_REORDER || n - lo < 2)
		return 0;
	perm = malloc((n - lo) * sizeof(*perm));
	if (!perm) {
		snprintf(err, errlen, "out of memory for %zu writes", n - lo);
		return -ENOMEM;
	}
	for (j = lo; j < n; j++) {
		perm[j - lo].w = st->order[j];
		perm[j - lo].key = ct_hash4(seed ^ CT_SALT_PERM, p, k,
					    st->order[j]);
	}
	qsort(perm, n - lo, sizeof(*perm), ct_perm_cmp);
	for (j = lo; j < n; j++)
		st->order[j] = perm[j - lo].w;
	free(perm);
	return 0;
}

void ct_state_free(struct ct_state *st)
{
	free(st->order);
	memset(st, 0, sizeof(*st));
}

void ct_state_describe(const struct ct_state *st, char *buf, size_t len)
{
	static const char *const draws[] = {
		[CT_DRAW_ALL] = "all",
		[CT_DRAW_PREFIX] = "prefix",
		[CT_DRAW_SUBSET] = "subset",
		[CT_DRAW_REORDER] = "subset, reordered",
	};

	snprintf(buf, len,
		 "%zu writes persisted, kept %zu of %zu uncertain writes (%s)",
		 st->nr_durable, st->nr - st->nr_durable, st->nr_uncertain,
		 draws[st->draw]);
}

int ct_id_parse(const char *s, struct ct_state_id *id, char *err,
		size_t errlen)
{
	char *copy, *tok, *save = NULL;
	int i = 0, ret = -EINVAL;
	uint64_t v;

	memset(id, 0, sizeof(*id));
	copy = strdup(s);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!*s || s[strlen(s) - 1] == ':' || strstr(s, "::"))
		goto bad;
	for (tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save), i++) {
		switch (i) {
		case 0:
			id->model = ct_model_parse(tok);
			if (id->model < 0)
				goto bad;
			break;
		case 1:
			if (ct_parse_u64(tok, &id->point) || id->point >= UINT32_MAX)
				goto bad;
			break;
		case 2:
			if (ct_parse_u64(tok, &id->k))
				goto bad;
			break;
		default:
			if (ct_parse_u64(tok + 1, &v))
				goto bad;
			if (tok[0] == 's' && !id->has_seed) {
				id->has_seed = 1;
				id->seed = v;
			} else if (tok[0] == 'w' && !id->has_window &&
				   id->model == CT_MODEL_IGNORE) {
				id->has_window = 1;
				id->window = v;
			} else {
				goto bad;
			}
		}
	}
	if (i < 3)
		goto bad;
	ret = 0;
	goto out;
bad:
	snprintf(err, errlen,
		 "bad state id \"%.60s\": expected <honor|ignore>:<crash point>:<draw>[:s<seed>][:w<window bytes>]",
		 s);
out:
	free(copy);
	return ret;
}

void ct_id_format(const struct ct_space *sp, const struct ct_state_id *id,
		  char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s:%" PRIu64 ":%" PRIu64, ct_model_name(id->model),
		     id->point, id->k);
	if (n < 0 || (size_t)n >= len)
		return;
	if (id->has_seed && id->seed != sp->seed)
		n += snprintf(buf + n, len - n, ":s%" PRIu64, id->seed);
	if (n < 0 || (size_t)n >= len)
		return;
	if (id->model == CT_MODEL_IGNORE && id->has_window &&
	    id->window != sp->window)
		snprintf(buf + n, len - n, ":w%" PRIu64, id->window);
}

int ct_gen_init(struct ct_gen *g, const struct ct_space *sp,
		const int *models, int nr_models, const struct ct_state_id *params)
{
	size_t i, j, n;
	uint32_t t;

	memset(g, 0, sizeof(*g));
	if (nr_models < 1 || nr_models > 2)
		return -EINVAL;
	g->sp = sp;
	memcpy(g->models, models, nr_models * sizeof(*models));
	g->nr_models = nr_models;
	if (params) {
		g->has_seed = params->has_seed;
		g->seed = params->seed;
		g->has_window = params->has_window;
		g->window = params->window;
	}
	g->kcount = calloc(sp->nr_points, sizeof(*g->kcount));
	g->prefix_order = calloc(sp->nr_prefix, sizeof(*g->prefix_order));
	if (!g->kcount || !g->prefix_order) {
		ct_gen_free(g);
		return -ENOMEM;
	}
	/* The end of the log first, then its start, then the rest shuffled. */
	n = sp->nr_prefix;
	g->prefix_order[0] = sp->prefix[n - 1];
	for (i = 1; i < n; i++)
		g->prefix_order[i] = sp->prefix[i - 1];
	for (i = n - 1; i > 2; i--) {
		j = 2 + ct_hash4(g->has_seed ? g->seed : sp->seed, CT_SALT_SHUF,
				 i, 0) % (i - 1);
		t = g->prefix_order[i];
		g->prefix_order[i] = g->prefix_order[j];
		g->prefix_order[j] = t;
	}
	g->cur_model = nr_models;	/* no draw pending */
	return 0;
}

int ct_gen_next(struct ct_gen *g, struct ct_state_id *id)
{
	const struct ct_space *sp = g->sp;
	uint64_t seed = g->has_seed ? g->seed : sp->seed, p;

	if (g->cur_model >= g->nr_models) {
		memset(&g->cur, 0, sizeof(g->cur));
		if ((!(g->draw & 1) || !sp->nr_cand) &&
		    g->next_prefix < sp->nr_prefix) {
			g->cur.point = g->prefix_order[g->next_prefix++];
			g->cur.k = 0;
		} else if (sp->nr_cand) {
			p = sp->cand[ct_hash4(seed, CT_SALT_PICK, g->draw, 0) %
				     sp->nr_cand];
			g->cur.point = p;
			g->cur.k = ++g->kcount[p];
		} else {
			return -ENOENT;
		}
		g->draw++;
		g->cur.has_seed = g->has_seed;
		g->cur.seed = g->seed;
		g->cur_model = 0;
	}
	*id = g->cur;
	id->model = g->models[g->cur_model++];
	id->has_window = id->model == CT_MODEL_IGNORE && g->has_window;
	id->window = id->has_window ? g->window : 0;
	return 0;
}

void ct_gen_free(struct ct_gen *g)
{
	free(g->kcount);
	free(g->prefix_order);
	memset(g, 0, sizeof(*g));
}
