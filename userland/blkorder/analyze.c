// SPDX-License-Identifier: GPL-2.0-only
/*
 * blkorder: counts per device, ordering points, and the comparison of an
 * upper device's write order with its lower device's.
 */
#include <linux/blktrace_api.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze.h"

#define TC(c)	((uint32_t)BLK_TC_ ## c << BLK_TC_SHIFT)

static const char *const ev_names[BO_NR_EV] = {
	[BO_EV_Q] = "Q", [BO_EV_M] = "M", [BO_EV_F] = "F", [BO_EV_G] = "G",
	[BO_EV_S] = "S", [BO_EV_R] = "R", [BO_EV_D] = "D", [BO_EV_C] = "C",
	[BO_EV_P] = "P", [BO_EV_U] = "U", [BO_EV_UT] = "UT", [BO_EV_I] = "I",
	[BO_EV_X] = "X", [BO_EV_B] = "B", [BO_EV_A] = "A",
	[BO_EV_ABORT] = "abort", [BO_EV_DRV] = "drv", [BO_EV_NOTE] = "note",
	[BO_EV_UNKNOWN] = "unknown",
};

const char *bo_ev_name(int ev)
{
	if (ev < 0 || ev >= BO_NR_EV)
		return "?";
	return ev_names[ev];
}

int bo_ev_parse(const char *s)
{
	int ev;

	for (ev = 0; ev < BO_NR_EV; ev++)
		if (!strcasecmp(s, ev_names[ev]))
			return ev;
	return -1;
}

int bo_rec_event(const struct bo_rec *r)
{
	unsigned int code = r->action & 0xff;	/* without __BLK_TA_CGROUP */

	if (r->action & TC(NOTIFY))
		return BO_EV_NOTE;
	/* __BLK_TA_QUEUE (1) .. __BLK_TA_DRV_DATA (17), in enum bo_ev order */
	if (code >= __BLK_TA_QUEUE && code <= __BLK_TA_DRV_DATA)
		return BO_EV_Q + (int)(code - __BLK_TA_QUEUE);
	return BO_EV_UNKNOWN;
}

int bo_rec_kind(const struct bo_rec *r)
{
	if (r->action & TC(DISCARD))
		return BO_K_DISCARD;
	if (!r->bytes)
		return (r->action & TC(FLUSH)) ? BO_K_FLUSH : BO_K_NONE;
	if (r->action & TC(WRITE))
		return BO_K_WRITE;
	return BO_K_READ;
}

/* ---- growable arrays ---------------------------------------------------- */

static int grow(void **p, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc ? *alloc : 64;
	void *q;

	if (need <= *alloc)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			return -1;
		n *= 2;
	}
	q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*alloc = n;
	return 0;
}

struct idxvec {
	size_t *v;
	size_t nr, alloc;
};

static int idx_push(struct idxvec *x, size_t i)
{
	if (grow((void **)&x->v, &x->alloc, x->nr + 1, sizeof(*x->v)))
		return -1;
	x->v[x->nr++] = i;
	return 0;
}

/* ---- requests in flight ----------------------------------------------- */

#define OT_BUCKETS	65536u
#define OT_NONE		UINT32_MAX
/*
 * Above this many requests in flight, a completion that does not start
 * where a request starts is not searched for by a full scan.
 */
#define OT_SCAN_MAX	4096u

struct out {
	uint64_t sector, end;	/* [sector, end) in sectors */
	uint64_t seq;		/* issue order, oldest first on ties */
	int64_t widx;		/* index in the write list, or -1 */
	size_t *cover;		/* writes it makes durable when it completes */
	size_t ncover;
	uint32_t next;		/* bucket chain, or free list */
	uint8_t kind;
	uint8_t fua;
	uint8_t requeued;
	uint8_t live;
};

struct otab {
	struct out *e;
	size_t nr, alloc;
	uint32_t free;
	uint32_t *bucket;
	struct idxvec flushq;	/* flushes in flight, oldest first */
	struct idxvec flushseq;	/* ... and their seq (slots are reused) */
	size_t flush_head;
	size_t live;
	uint64_t seq;
};

static uint32_t ot_hash(uint64_t sector)
{
	return (uint32_t)((sector * 0x9e3779b97f4a7c15ull) >> 48) & (OT_BUCKETS - 1);
}

static int ot_init(struct otab *o)
{
	memset(o, 0, sizeof(*o));
	o->free = OT_NONE;
	o->bucket = malloc(OT_BUCKETS * sizeof(*o->bucket));
	if (!o->bucket)
		return -1;
	memset(o->bucket, 0xff, OT_BUCKETS * sizeof(*o->bucket));
	return 0;
}

static void ot_free(struct otab *o)
{
	size_t i;

	for (i = 0; i < o->nr; i++)
		free(o->e[i].cover);
	free(o->e);
	free(o->bucket);
	free(o->flushq.v);
	free(o->flushseq.v);
}

static void ot_link(struct otab *o, uint32_t i)
{
	uint32_t h = ot_hash(o->e[i].sector);

	o->e[i].next = o->bucket[h];
	o->bucket[h] = i;
}

static void ot_unlink(struct otab *o, uint32_t i)
{
	uint32_t *p = &o->bucket[ot_hash(o->e[i].sector)];

	while (*p != OT_NONE && *p != i)
		p = &o->e[*p].next;
	if (*p == i)
		*p = o->e[i].next;
}

/* Adds a request; flushes go to the flush queue, the rest to the hash. */
static int ot_add(struct otab *o, const struct out *in, uint32_t *idx)
{
	uint32_t i;

	if (o->free != OT_NONE) {
		i = o->free;
		o->free = o->e[i].next;
	} else {
		if (o->nr >= OT_NONE - 1 ||
		    grow((void **)&o->e, &o->alloc, o->nr + 1, sizeof(*o->e)))
			return -1;
		i = (uint32_t)o->nr++;
	}
	o->e[i] = *in;
	o->e[i].seq = o->seq++;
	o->e[i].live = 1;
	o->e[i].next = OT_NONE;
	if (in->kind == BO_K_FLUSH) {
		if (idx_push(&o->flushq, i) ||
		    idx_push(&o->flushseq, o->e[i].seq))
			return -1;
	} else {
		ot_link(o, i);
	}
	o->live++;
	*idx = i;
	return 0;
}

/* Forgets a request (its cover list has been used or handed on). */
static void ot_del(struct otab *o, uint32_t i)
{
	if (o->e[i].kind != BO_K_FLUSH)
		ot_unlink(o, i);
	free(o->e[i].cover);
	o->e[i].cover = NULL;
	o->e[i].live = 0;
	o->e[i].next = o->free;
	o->free = i;
	o->live--;
}

/* The oldest live request of @kind starting at @sector. */
static uint32_t ot_find(struct otab *o, uint64_t sector, int kind)
{
	uint32_t i, best = OT_NONE;

	for (i = o->bucket[ot_hash(sector)]; i != OT_NONE; i = o->e[i].next)
		if (o->e[i].sector == sector && o->e[i].kind == kind &&
		    (best == OT_NONE || o->e[i].seq < o->e[best].seq))
			best = i;
	return best;
}

/* The oldest live request of @kind containing @sector (a full scan). */
static uint32_t ot_find_containing(struct otab *o, uint64_t sector, int kind)
{
	uint32_t best = OT_NONE;
	size_t i;

	if (o->live > OT_SCAN_MAX)
		return OT_NONE;
	for (i = 0; i < o->nr; i++) {
		struct out *e = &o->e[i];

		if (e->live && e->kind == kind && e->kind != BO_K_FLUSH &&
		    e->sector <= sector && sector < e->end &&
		    (best == OT_NONE || e->seq < o->e[best].seq))
			best = (uint32_t)i;
	}
	return best;
}

/* Slot k of the flush queue still names the flush it was queued for. */
static int flushq_live(const struct otab *o, size_t k)
{
	const struct out *e = &o->e[o->flushq.v[k]];

	return e->live && e->kind == BO_K_FLUSH && e->seq == o->flushseq.v[k];
}

/* The oldest flush in flight; with @requeued, the oldest requeued one. */
static uint32_t ot_flush_head(struct otab *o, int requeued)
{
	size_t k;

	while (o->flush_head < o->flushq.nr &&
	       !flushq_live(o, o->flush_head))
		o->flush_head++;
	for (k = o->flush_head; k < o->flushq.nr; k++) {
		uint32_t i = (uint32_t)o->flushq.v[k];

		if (!flushq_live(o, k))
			continue;
		if (!requeued || o->e[i].requeued)
			return i;
	}
	return OT_NONE;
}

/* ---- one device ---------------------------------------------------------- */

struct dstate {
	struct bo_dev *d;
	struct bo_writes *w;	/* NULL: counts only */
	struct bo_writes own;	/* when the caller wants none */
	struct otab ot;
	struct idxvec pending;	/* completed writes not yet durable */
	int new_durable;	/* something became durable since the last OP */
	uint64_t inflight_writes;
};

static int write_push(struct bo_writes *w, const struct bo_write *x)
{
	if (grow((void **)&w->w, &w->alloc, w->nr + 1, sizeof(*w->w)))
		return -1;
	w->w[w->nr++] = *x;
	return 0;
}

static void mark_durable(struct dstate *s, const struct out *e, uint64_t ns)
{
	size_t k;

	for (k = 0; k < e->ncover; k++) {
		struct bo_write *x = &s->w->w[e->cover[k]];

		if (x->durable_ns == BO_NEVER)
			x->durable_ns = ns;
	}
}

/* Hands the pending (completed, not durable) writes to request @e. */
static void take_pending(struct dstate *s, struct out *e)
{
	e->cover = s->pending.v;
	e->ncover = s->pending.nr;
	memset(&s->pending, 0, sizeof(s->pending));
}

static int do_issue(struct dstate *s, const struct bo_rec *r)
{
	struct bo_stats *st = &s->d->st;
	int kind = bo_rec_kind(r);
	struct out e;
	uint32_t i;

	memset(&e, 0, sizeof(e));
	e.sector = r->sector;
	e.end = r->sector + r->bytes / 512;
	e.kind = (uint8_t)kind;
	e.widx = -1;

	/* A requeued request issued again is the same request. */
	if (kind == BO_K_FLUSH) {
		i = ot_flush_head(&s->ot, 1);
		if (i != OT_NONE) {
			s->ot.e[i].requeued = 0;
			return 0;
		}
	} else {
		i = ot_find(&s->ot, e.sector, kind);
		if (i != OT_NONE && s->ot.e[i].requeued &&
		    s->ot.e[i].end == e.end) {
			s->ot.e[i].requeued = 0;
			return 0;
		}
	}

	switch (kind) {
	case BO_K_READ:
		st->reads++;
		st->read_bytes += r->bytes;
		break;
	case BO_K_DISCARD:
		st->discards++;
		st->discard_bytes += r->bytes;
		break;
	case BO_K_NONE:
		st->other++;
		return 0;	/* nothing to complete */
	case BO_K_FLUSH:
		st->flushes++;
		if (s->pending.nr)
			take_pending(s, &e);
		break;
	case BO_K_WRITE: {
		struct bo_write x;
		int preflush = !!(r->action & TC(FLUSH));

		memset(&x, 0, sizeof(x));
		x.issue_ns = r->time;
		x.done_ns = BO_NEVER;
		x.durable_ns = BO_NEVER;
		x.durable_by = -1;
		x.sector = r->sector;
		x.sectors = r->bytes / 512;
		st->writes++;
		st->write_bytes += r->bytes;
		if (preflush) {
			st->preflush_writes++;
			x.flags |= BO_W_PREFLUSH;
		}
		if (r->action & TC(FUA)) {
			st->fua_writes++;
			x.flags |= BO_W_FUA;
			e.fua = 1;
		}
		if (r->action & TC(SYNC))
			st->sync_writes++;
		if (r->action & TC(META))
			st->meta_writes++;
		/*
		 * An ordering point: something became durable since the last
		 * one (a flush or FUA completed), or this write's own preflush
		 * orders writes that completed before it was issued.
		 */
		if (s->new_durable || (preflush && s->pending.nr)) {
			st->ordering_points++;
			x.flags |= BO_W_OP;
			s->new_durable = 0;
		}
		if (preflush && s->pending.nr) {
			size_t k;

			for (k = 0; k < s->pending.nr; k++)
				s->w->w[s->pending.v[k]].durable_by = s->w->nr;
			take_pending(s, &e);
		}
		e.widx = s->w->nr;
		if (write_push(s->w, &x))
			return -1;
		if (++s->inflight_writes > st->max_inflight_writes)
			st->max_inflight_writes = s->inflight_writes;
		break;
	}
	}
	return ot_add(&s->ot, &e, &i);
}

/* Request @i completed (all of it) at @ns with status @error. */
static int complete(struct dstate *s, uint32_t i, uint64_t ns, int error)
{
	struct out *e = &s->ot.e[i];

	s->d->st.completions++;
	if (e->kind == BO_K_WRITE) {
		struct bo_write *x = &s->w->w[e->widx];

		s->inflight_writes--;
		x->done_ns = ns;
		if (!error) {
			if (e->fua) {
				if (x->durable_ns == BO_NEVER)
					x->durable_ns = ns;
				s->new_durable = 1;
			} else if (idx_push(&s->pending, e->widx)) {
				return -1;
			}
		}
	}
	if (!error && e->ncover) {
		mark_durable(s, e, ns);
		/* A preflush write's cover was already its own ordering point. */
		if (e->kind == BO_K_FLUSH)
			s->new_durable = 1;
	}
	ot_del(&s->ot, i);
	return 0;
}

static int do_complete(struct dstate *s, const struct bo_rec *r)
{
	int kind = bo_rec_kind(r);
	uint64_t sec = r->sector, end = r->sector + r->bytes / 512;
	int matched = 0;
	uint32_t i;

	if (r->error)
		s->d->st.errors++;
	if (kind == BO_K_FLUSH) {
		i = ot_flush_head(&s->ot, 0);
		return i == OT_NONE ? 0 : complete(s, i, r->time, r->error);
	}
	if (kind == BO_K_NONE)
		return 0;
	/* One completion may cover several requests (bios merged below). */
	while (sec < end) {
		struct out *e;

		i = ot_find(&s->ot, sec, kind);
		if (i == OT_NONE)
			break;
		e = &s->ot.e[i];
		matched = 1;
		if (e->end <= end) {
			sec = e->end;
			if (complete(s, i, r->time, r->error))
				return -1;
			continue;
		}
		/* The first part of a larger request (a split). */
		ot_unlink(&s->ot, i);
		e->sector = end;
		ot_link(&s->ot, i);
		break;
	}
	if (!matched) {
		/* The remainder of a request trimmed after a split. */
		i = ot_find_containing(&s->ot, sec, kind);
		if (i != OT_NONE && s->ot.e[i].end <= end) {
			matched = 1;
			if (complete(s, i, r->time, r->error))
				return -1;
		}
	}
	if (!matched)
		s->d->st.unmatched_completions++;
	return 0;
}

static void do_requeue(struct dstate *s, const struct bo_rec *r)
{
	int kind = bo_rec_kind(r);
	uint32_t i;

	if (kind == BO_K_FLUSH)
		i = ot_flush_head(&s->ot, 0);
	else
		i = ot_find(&s->ot, r->sector, kind);
	if (i != OT_NONE)
		s->ot.e[i].requeued = 1;
}

int bo_dev_analyze(const struct bo_trace *t, struct bo_dev *d,
		   struct bo_writes *w)
{
	struct dstate s;
	size_t k;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	memset(&d->st, 0, sizeof(d->st));
	memset(d->ev, 0, sizeof(d->ev));
	s.d = d;
	s.w = w ? w : &s.own;
	if (ot_init(&s.ot))
		return -1;
	for (k = 0; k < d->nr; k++) {
		const struct bo_rec *r = &t->rec[d->idx[k]];
		int ev = bo_rec_event(r);

		if (!k)
			d->st.first_ns = r->time;
		d->st.last_ns = r->time;
		d->ev[ev]++;
		if (ev == d->issue)
			ret = do_issue(&s, r);
		else if (ev == BO_EV_C)
			ret = do_complete(&s, r);
		else if (ev == BO_EV_R && d->issue == BO_EV_D)
			do_requeue(&s, r);
		if (ret)
			break;
	}
	ot_free(&s.ot);
	free(s.pending.v);
	bo_writes_free(&s.own);
	return ret;
}

void bo_writes_free(struct bo_writes *w)
{
	free(w->w);
	memset(w, 0, sizeof(*w));
}

/* ---- upper vs lower ------------------------------------------------------- */

struct unit_ref {
	uint64_t unit;
	uint64_t w;		/* upper write index */
};

struct run {
	uint64_t unit;
	size_t first;		/* in the sorted unit_ref array */
	size_t n, used;
};

static int cmp_unit_ref(const void *pa, const void *pb)
{
	const struct unit_ref *a = pa, *b = pb;

	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return 0;
}

static struct run *find_run(struct run *runs, size_t n, uint64_t unit)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (runs[mid].unit < unit)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && runs[lo].unit == unit ? &runs[lo] : NULL;
}

struct posidx {
	uint64_t pos;		/* lower write index */
	uint64_t w;		/* upper write index */
};

static int cmp_posidx(const void *pa, const void *pb)
{
	const struct posidx *a = pa, *b = pb;

	if (a->pos != b->pos)
		return a->pos < b->pos ? -1 : 1;
	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return 0;
}

struct durable {
	uint64_t ns;
	uint64_t w;
};

static int cmp_durable(const void *pa, const void *pb)
{
	const struct durable *a = pa, *b = pb;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return 0;
}

/* The largest power of two (up to 2^20 sectors) dividing every extent. */
static unsigned int match_unit(const struct bo_writes *up,
			       const struct bo_writes *lo, uint64_t offset)
{
	uint64_t v = offset;
	size_t i;

	for (i = 0; i < up->nr; i++)
		v |= (up->w[i].sector + offset) | up->w[i].sectors;
	for (i = 0; i < lo->nr; i++)
		v |= lo->w[i].sector | lo->w[i].sectors;
	v |= 1ull << 20;
	return (unsigned int)(v & (~v + 1));
}

/* What the steps of bo_order_compare() share. */
struct ocmp {
	const struct bo_writes *up, *lo;
	uint64_t offset;
	unsigned int g;		/* the matching unit, sectors */
	struct unit_ref *refs;	/* every unit of every upper write */
	size_t nrefs;
	struct run *runs;	/* refs by unit */
	size_t nruns;
	/*
	 * Per upper write: first lower write that carried some of it (cpos),
	 * first and last that carried or absorbed some of it (first, last),
	 * and how many of its units were carried.
	 */
	uint64_t *cpos, *first, *last, *carried;
};

/* Every unit of every upper write, sorted by unit then write; its runs. */
static int oc_runs(struct ocmp *c)
{
	const struct bo_writes *up = c->up;
	size_t i, j, k;

	c->refs = calloc(c->nrefs + 1, sizeof(*c->refs));
	if (!c->refs)
		return -1;
	for (i = 0, k = 0; i < up->nr; i++) {
		uint64_t u = (up->w[i].sector + c->offset) / c->g;
		uint64_t n = up->w[i].sectors / c->g;

		for (j = 0; j < n; j++, k++) {
			c->refs[k].unit = u + j;
			c->refs[k].w = i;
		}
	}
	if (c->nrefs)
		qsort(c->refs, c->nrefs, sizeof(*c->refs), cmp_unit_ref);
	for (k = 0; k < c->nrefs; k++)
		if (!k || c->refs[k - 1].unit != c->refs[k].unit)
			c->nruns++;
	c->runs = calloc(c->nruns + 1, sizeof(*c->runs));
	if (!c->runs)
		return -1;
	for (k = 0, c->nruns = 0; k < c->nrefs; k++) {
		struct run *runs = c->runs;

		if (!c->nruns || runs[c->nruns - 1].unit != c->refs[k].unit) {
			runs[c->nruns].unit = c->refs[k].unit;
			runs[c->nruns].first = k;
			c->nruns++;
		}
		runs[c->nruns - 1].n++;
	}
	return 0;
}

/*
 * Unit @u of lower write @j: carries the newest upper version issued
 * before it, absorbs the older ones not yet carried; extra when none.
 */
static void oc_carry_unit(struct ocmp *c, size_t j, uint64_t u,
			  struct bo_order *o)
{
	const struct bo_writes *up = c->up, *lo = c->lo;
	struct run *r = find_run(c->runs, c->nruns, u);
	size_t newest;

	/* the newest version issued before this lower write */
	if (!r || r->used == r->n ||
	    up->w[c->refs[r->first + r->used].w].issue_ns > lo->w[j].issue_ns) {
		o->extra_sectors += c->g;
		return;
	}
	newest = r->used;
	while (newest + 1 < r->n &&
	       up->w[c->refs[r->first + newest + 1].w].issue_ns <=
	       lo->w[j].issue_ns)
		newest++;
	for (; r->used <= newest; r->used++) {
		uint64_t w = c->refs[r->first + r->used].w;

		if (c->first[w] == BO_NEVER)
			c->first[w] = j;
		c->last[w] = j;
		if (r->used == newest) {
			c->carried[w]++;
			if (c->cpos[w] == BO_NEVER)
				c->cpos[w] = j;
		}
	}
}

/* Which lower writes carried or absorbed each upper write. */
static int oc_carry(struct ocmp *c, struct bo_order *o)
{
	const struct bo_writes *up = c->up, *lo = c->lo;
	size_t i, j;

	c->cpos = malloc((up->nr + 1) * sizeof(*c->cpos));
	c->first = malloc((up->nr + 1) * sizeof(*c->first));
	c->last = calloc(up->nr + 1, sizeof(*c->last));
	c->carried = calloc(up->nr + 1, sizeof(*c->carried));
	if (!c->cpos || !c->first || !c->last || !c->carried)
		return -1;
	for (i = 0; i < up->nr; i++)
		c->cpos[i] = c->first[i] = BO_NEVER;

	for (j = 0; j < lo->nr; j++) {
		uint64_t u = lo->w[j].sector / c->g;
		uint64_t n = lo->w[j].sectors / c->g, m;

		for (m = 0; m < n; m++)
			oc_carry_unit(c, j, u + m, o);
	}
	return 0;
}

/*
 * Unseen, absorbed, matched and partial writes; of the matched, the
 * longest subsequence in upper order, in the order seen below.
 */
static int oc_in_order(struct ocmp *c, struct bo_order *o)
{
	const struct bo_writes *up = c->up;
	struct posidx *seq;
	uint64_t *tails = NULL;
	size_t nseq = 0, i, k;
	int ret = -1;

	seq = malloc((up->nr + 1) * sizeof(*seq));
	if (!seq)
		return -1;
	for (i = 0; i < up->nr; i++) {
		if (c->first[i] == BO_NEVER) {
			o->unseen++;
			continue;
		}
		if (c->cpos[i] == BO_NEVER) {
			o->absorbed++;
			continue;
		}
		o->matched++;
		if (c->carried[i] < up->w[i].sectors / c->g)
			o->partial++;
		seq[nseq].pos = c->cpos[i];
		seq[nseq].w = i;
		nseq++;
	}

	/* Longest subsequence in upper order, in the order seen below. */
	qsort(seq, nseq, sizeof(*seq), cmp_posidx);
	tails = malloc((nseq + 1) * sizeof(*tails));
	if (!tails)
		goto out;
	for (k = 0; k < nseq; k++) {
		size_t lo_i = 0, hi_i = o->in_order;

		while (lo_i < hi_i) {
			size_t mid = lo_i + (hi_i - lo_i) / 2;

			if (tails[mid] < seq[k].w)
				lo_i = mid + 1;
			else
				hi_i = mid;
		}
		tails[lo_i] = seq[k].w;
		if (lo_i == o->in_order)
			o->in_order++;
	}
	o->reordered = o->matched - o->in_order;
	ret = 0;
out:
	free(seq);
	free(tails);
	return ret;
}

/* Inversions: a Fenwick tree over lower positions. */
static int oc_inversions(struct ocmp *c, struct bo_order *o)
{
	const struct bo_writes *up = c->up, *lo = c->lo;
	uint64_t *bit;
	size_t i, k;

	bit = calloc(lo->nr + 1, sizeof(*bit));
	if (!bit)
		return -1;
	for (i = 0, k = 0; i < up->nr; i++) {
		uint64_t le = 0, p;

		if (c->cpos[i] == BO_NEVER)
			continue;
		for (p = c->cpos[i] + 1; p; p -= p & (~p + 1))
			le += bit[p];
		o->inversions += k - le;
		for (p = c->cpos[i] + 1; p <= lo->nr; p += p & (~p + 1))
			bit[p]++;
		k++;
	}
	free(bit);
	return 0;
}

/*
 * Upper writes in the order they became durable (@dur, @ndur), and per
 * write the last lower position of those its own preflush covered
 * (@ownmax).
 */
static void oc_durable(struct ocmp *c, struct durable *dur, size_t *ndur,
		       int64_t *ownmax, struct bo_order *o)
{
	const struct bo_writes *up = c->up;
	size_t i;

	for (i = 0; i < up->nr; i++)
		ownmax[i] = -1;
	for (i = 0; i < up->nr; i++) {
		const struct bo_write *x = &up->w[i];

		if (x->durable_ns == BO_NEVER)
			continue;
		o->durable++;
		if (c->first[i] == BO_NEVER)
			continue;
		dur[*ndur].ns = x->durable_ns;
		dur[*ndur].w = i;
		(*ndur)++;
		if (x->durable_by >= 0 && (size_t)x->durable_by < up->nr &&
		    ownmax[x->durable_by] < (int64_t)c->last[i])
			ownmax[x->durable_by] = c->last[i];
	}
	qsort(dur, *ndur, sizeof(*dur), cmp_durable);
}

/* Violations of what the upper device declared durable. */
static int oc_violations(struct ocmp *c, struct bo_order *o)
{
	const struct bo_writes *up = c->up;
	struct durable *dur;
	int64_t *ownmax, maxpos = -1;
	size_t ndur = 0, i, k;
	int ret = -1;

	dur = malloc((up->nr + 1) * sizeof(*dur));
	ownmax = malloc((up->nr + 1) * sizeof(*ownmax));
	if (!dur || !ownmax)
		goto out;
	oc_durable(c, dur, &ndur, ownmax, o);
	for (i = 0, k = 0; i < up->nr; i++) {
		int64_t m;

		while (k < ndur && dur[k].ns <= up->w[i].issue_ns) {
			if ((int64_t)c->last[dur[k].w] > maxpos)
				maxpos = c->last[dur[k].w];
			k++;
		}
		if (c->first[i] == BO_NEVER)
			continue;
		m = maxpos > ownmax[i] ? maxpos : ownmax[i];
		if (m > (int64_t)c->first[i]) {
			if (!o->violations)
				o->first_violation = i;
			o->violations++;
		}
	}
	ret = 0;
out:
	free(dur);
	free(ownmax);
	return ret;
}

int bo_order_compare(const struct bo_writes *up, const struct bo_writes *lo,
		     uint64_t offset, uint64_t max_units, struct bo_order *o)
{
	struct ocmp c = { .up = up, .lo = lo, .offset = offset };
	size_t i;
	int ret = -1;

	memset(o, 0, sizeof(*o));
	o->first_violation = -1;
	o->upper_writes = up->nr;
	o->lower_writes = lo->nr;
	c.g = match_unit(up, lo, offset);
	o->unit = c.g;

	/* The work and memory grow with the units written: bound them. */
	for (i = 0; i < up->nr; i++)
		o->units += up->w[i].sectors / c.g;
	c.nrefs = o->units;
	for (i = 0; i < lo->nr; i++)
		o->units += lo->w[i].sectors / c.g;
	if (o->units > max_units || c.nrefs > SIZE_MAX / sizeof(*c.runs))
		return -2;

	if (!oc_runs(&c) && !oc_carry(&c, o) && !oc_in_order(&c, o) &&
	    !oc_inversions(&c, o) && !oc_violations(&c, o))
		ret = 0;
	free(c.refs);
	free(c.runs);
	free(c.cpos);
	free(c.first);
	free(c.last);
	free(c.carried);
	return ret;
}
