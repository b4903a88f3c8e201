// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: the engine.  The pool's in-memory state, with no bio in
 * sight: the content index, free space and its epochs, references and
 * maps, the hints of the layer above, and the rebuild of all of it from
 * the maps.  Every __ss_ function here is called with p->lock held.
 */

/* On the host (tests/unit/test_ss_engine.c) subsist.h brings the shims. */
#ifdef __KERNEL__
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>
#endif

#include "subsist.h"
#ifdef __KERNEL__
#include "dm_status.h"
#include "strict_args.h"
#include "subsist_hint.h"
#endif

#define DM_MSG_PREFIX "subsist"

/* ---- the content index ---------------------------------------------- */

u64 ss_key64(struct ss_pool *p, const u8 *digest)
{
	return p->digest_size >= 8 ? get_unaligned_le64(digest) :
				     get_unaligned_le32(digest);
}

static u32 *ss_bucket(struct ss_pool *p, u32 key)
{
	return &p->bucket[hash_32(key, 32) & p->bucket_mask];
}

void __ss_index_add(struct ss_pool *p, u32 b, u32 key)
{
	u32 *head = ss_bucket(p, key);

	lockdep_assert_held(&p->lock);
	p->key[b] = key;
	p->next[b] = *head;
	*head = b;
}

void __ss_index_del(struct ss_pool *p, u32 b)
{
	u32 *pp = ss_bucket(p, p->key[b]);

	lockdep_assert_held(&p->lock);
	while (*pp != SS_NIL) {
		if (*pp == b) {
			*pp = p->next[b];
			break;
		}
		pp = &p->next[*pp];
	}
	p->key[b] = 0;
	p->next[b] = SS_NIL;
}

/* A block of another vdisk that may hold the same data. */
u32 __ss_candidate(struct ss_pool *p, u32 key, unsigned int v,
		   const u32 *skip, unsigned int nskip)
{
	u32 b;
	unsigned int i;

	lockdep_assert_held(&p->lock);
	for (b = *ss_bucket(p, key); b != SS_NIL; b = p->next[b]) {
		if (p->key[b] != key || (p->mask[b] & BIT(v)) ||
		    !(p->mask[b] & SS_VMASK))
			continue;
		for (i = 0; i < nskip; i++)
			if (skip[i] == b)
				break;
		if (i == nskip)
			return b;
	}
	return SS_NIL;
}

/* ---- free space ------------------------------------------------------ */

/*
 * A freed block becomes allocatable only when no read or in-place write
 * that might still touch it is in flight (the epochs below, the idea of
 * dm's deferred sets) and, with a meta_dev, when the commit that records
 * it free is on disk (commit.c calls ss_defer_frees()).
 */
static void __ss_release(struct ss_pool *p, u32 head)
{
	u32 b, nb;

	lockdep_assert_held(&p->lock);
	for (b = head; b != SS_NIL; b = nb) {
		nb = p->next[b];
		p->next[b] = SS_NIL;
		p->mask[b] = 0;
		p->key[b] = 0;
		set_bit(b, p->free_bm);
		p->nr_free++;
		p->nr_deferred--;
		ss_cache_invalidate(p, b);
	}
	if (p->mode == SS_MODE_NOSPC)
		p->mode = SS_MODE_OK;
	if (wq_has_sleeper(&p->wait))
		wake_up_all(&p->wait);
}

static void __ss_sweep(struct ss_pool *p)
{
	lockdep_assert_held(&p->lock);

	for (;;) {
		struct ss_epoch *e = &p->epoch[p->esweep];

		if (e->count)
			return;
		if (e->head != SS_NIL) {
			__ss_release(p, e->head);
			e->head = SS_NIL;
			e->tail = SS_NIL;
		}
		if (p->esweep == p->ecur)
			return;
		p->esweep = (p->esweep + 1) % SS_EPOCHS;
	}
}

int __ss_io_begin(struct ss_pool *p)
{
	lockdep_assert_held(&p->lock);

	p->epoch[p->ecur].count++;
	return p->ecur;
}

void __ss_io_end(struct ss_pool *p, int idx)
{
	lockdep_assert_held(&p->lock);

	p->epoch[idx].count--;
	__ss_sweep(p);
}

static void __ss_defer(struct ss_pool *p, u32 head, u32 tail, u32 nr)
{
	struct ss_epoch *e = &p->epoch[p->ecur];
	unsigned int nx = (p->ecur + 1) % SS_EPOCHS;

	lockdep_assert_held(&p->lock);
	if (!nr)	/* nothing: an empty list would end the epoch's */
		return;
	if (e->head == SS_NIL)
		e->head = head;
	else
		p->next[e->tail] = head;
	e->tail = tail;
	p->nr_deferred += nr;
	/* Later I/O must not hold these blocks back: open a new epoch. */
	if (e->count && nx != p->esweep)
		p->ecur = nx;
	__ss_sweep(p);
}

void ss_defer_frees(struct ss_pool *p, u32 head, u32 tail, u32 nr)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	__ss_defer(p, head, tail, nr);
	spin_unlock_irqrestore(&p->lock, flags);
}

/*
 * Freed blocks gather on the pending list: with a meta_dev until the next
 * commit, without one until __ss_flush_frees() at the end of the locked
 * section that freed them.
 */
static void __ss_free(struct ss_pool *p, u32 b)
{
	lockdep_assert_held(&p->lock);

	if (p->key[b])
		__ss_index_del(p, b);
	p->mask[b] = 0;
	p->next[b] = SS_NIL;
	if (p->pend_head == SS_NIL)
		p->pend_head = b;
	else
		p->next[p->pend_tail] = b;
	p->pend_tail = b;
	p->nr_pend++;
}

void __ss_flush_frees(struct ss_pool *p)
{
	lockdep_assert_held(&p->lock);

	if (p->mt || !p->nr_pend)
		return;
	__ss_defer(p, p->pend_head, p->pend_tail, p->nr_pend);
	p->pend_head = SS_NIL;
	p->pend_tail = SS_NIL;
	p->nr_pend = 0;
}

/* A run of up to @want free blocks, from the allocation cursor on. */
u32 __ss_alloc(struct ss_pool *p, u32 want, u32 *start)
{
	unsigned long b, e;

	lockdep_assert_held(&p->lock);
	if (!p->nr_free)
		return 0;
	b = find_next_bit(p->free_bm, p->prm.nr_blocks, p->cursor);
	if (b >= p->prm.nr_blocks)
		b = find_first_bit(p->free_bm, p->prm.nr_blocks);
	if (b >= p->prm.nr_blocks)
		return 0;
	e = find_next_zero_bit(p->free_bm,
			       min_t(unsigned long, p->prm.nr_blocks, b + want),
			       b);
	bitmap_clear(p->free_bm, b, e - b);
	p->nr_free -= e - b;
	p->cursor = e < p->prm.nr_blocks ? e : 0;
	*start = b;
	return e - b;
}

/* ---- references and maps --------------------------------------------- */

void __ss_ref_add(struct ss_pool *p, u32 b, unsigned int v)
{
	unsigned int m = p->mask[b] & SS_VMASK;

	lockdep_assert_held(&p->lock);
	switch (hweight16(m)) {
	case 0:
		break;
	case 1:
		p->shared_blocks++;
		p->vd[__ffs(m)].shared++;
		p->vd[v].shared++;
		p->mask[b] |= SS_ONCE;
		break;
	default:
		p->vd[v].shared++;
	}
	p->mask[b] |= BIT(v);
}

void __ss_ref_drop(struct ss_pool *p, u32 b, unsigned int v)
{
	unsigned int m;

	lockdep_assert_held(&p->lock);
	p->mask[b] &= ~BIT(v);
	m = p->mask[b] & SS_VMASK;
	switch (hweight16(m)) {
	case 0:
		__ss_free(p, b);
		break;
	case 1:
		p->shared_blocks--;
		p->vd[__ffs(m)].shared--;
		p->vd[v].shared--;
		break;
	default:
		p->vd[v].shared--;
	}
}

void __ss_dirty(struct ss_pool *p, u32 g)
{
	lockdep_assert_held(&p->lock);

	if (p->dirty && !__test_and_set_bit(g, p->dirty))
		p->nr_dirty++;
}

/* Points @g at @b (whose reference @v already holds), or unmaps it. */
void __ss_set_map(struct ss_pool *p, unsigned int v, u32 g, u32 b)
{
	u32 old = p->map[g];

	lockdep_assert_held(&p->lock);
	p->map[g] = b == SS_NIL ? 0 : b + 1;
	if (old)
		__ss_ref_drop(p, old - 1, v);
	if (!old && b != SS_NIL) {
		p->vd[v].mapped++;
		p->mapped++;
	} else if (old && b == SS_NIL) {
		p->vd[v].mapped--;
		p->mapped--;
	}
	__ss_dirty(p, g);
}

/*
 * May @v overwrite block @b in place?  Only when no other vdisk references
 * it, no write to it is in flight and, with a meta_dev, no other vdisk
 * can reference it in the last committed maps either (it was never
 * shared).
 */
bool __ss_inplace_ok(struct ss_pool *p, u32 b, unsigned int v)
{
	u16 m = p->mask[b];

	lockdep_assert_held(&p->lock);
	return (m & SS_VMASK) == BIT(v) && !(m & SS_PENDING) &&
	       !(p->mt && (m & SS_ONCE));
}

/* ---- hints ------------------------------------------------------------ */

static struct ss_hint *__ss_hint_find(struct ss_pool *p, u64 key)
{
	struct ss_hint *h;

	lockdep_assert_held(&p->lock);
	hlist_for_each_entry(h, &p->hint_hash[hash_64(key, 8)], node)
		if (h->key == key)
			return h;
	return NULL;
}

static void __ss_hint_del(struct ss_pool *p, struct ss_hint *h)
{
	lockdep_assert_held(&p->lock);

	hlist_del(&h->node);
	list_del(&h->lru);
	p->nr_hints--;
	kfree(h);
}

void __ss_hints_clear(struct ss_pool *p)
{
	struct ss_hint *h, *tmp;

	lockdep_assert_held(&p->lock);
	list_for_each_entry_safe(h, tmp, &p->hint_lru, lru)
		__ss_hint_del(p, h);
}

int ss_hint_add(struct ss_pool *p, u64 key, unsigned int count)
{
	struct ss_hint *h, *n = kmalloc(sizeof(*n), GFP_KERNEL);
	unsigned long flags;

	if (!n)
		return -ENOMEM;
	spin_lock_irqsave(&p->lock, flags);
	p->hints_on = true;
	h = __ss_hint_find(p, key);
	if (h) {
		h->left = min(h->left + count, 0xffffU);
		list_move_tail(&h->lru, &p->hint_lru);
	} else {
		n->key = key;
		n->left = count;
		hlist_add_head(&n->node, &p->hint_hash[hash_64(key, 8)]);
		list_add_tail(&n->lru, &p->hint_lru);
		p->nr_hints++;
		n = NULL;
		if (p->nr_hints > SS_MAX_HINTS)
			__ss_hint_del(p, list_first_entry(&p->hint_lru,
							  struct ss_hint, lru));
	}
	spin_unlock_irqrestore(&p->lock, flags);
	kfree(n);
	return 0;
}

/*
 * May a written block with key @k be indexed (and so merged)?  With
 * @consume, a matching hint is used up and an undeclared data block is
 * counted as a mismatch.
 */
bool __ss_indexable(struct ss_pool *p, bool meta, u64 k,
		    bool consume)
{
	struct ss_hint *h;

	lockdep_assert_held(&p->lock);
	if (p->prm.merge == SS_MERGE_ALL)
		return true;
	if (meta)
		return false;
	if (!p->hints_on)
		return true;
	h = __ss_hint_find(p, k);
	if (!h) {
		if (consume)
			p->mismatches++;
		return false;
	}
	if (consume && !--h->left)
		__ss_hint_del(p, h);
	return true;
}

/* The engine's empty state: no epochs, frees or hints; an empty cache list. */
void ss_engine_init(struct ss_pool *p)
{
	unsigned int i;

	INIT_LIST_HEAD(&p->hint_lru);
	for (i = 0; i < ARRAY_SIZE(p->hint_hash); i++)
		INIT_HLIST_HEAD(&p->hint_hash[i]);
	for (i = 0; i < SS_EPOCHS; i++) {
		p->epoch[i].head = SS_NIL;
		p->epoch[i].tail = SS_NIL;
	}
	p->pend_head = SS_NIL;
	p->pend_tail = SS_NIL;
	INIT_LIST_HEAD(&p->clru);
}

/*
 * Derives references, free space and the index from map[] and key[]: at
 * load, before the pool is published (the lock only for the helpers').
 */
int ss_rebuild(struct ss_pool *p)
{
	unsigned int v;
	u32 l, b;
	int r = 0;

	spin_lock_irq(&p->lock);
	memset(p->mask, 0, p->prm.nr_blocks * sizeof(*p->mask));
	memset(p->next, 0xff, p->prm.nr_blocks * sizeof(*p->next));
	memset(p->bucket, 0xff, (p->bucket_mask + 1) * sizeof(*p->bucket));
	memset(p->vd, 0, sizeof(p->vd));
	p->mapped = 0;
	p->shared_blocks = 0;
	for (v = 0; v < p->prm.nr_vdisks; v++) {
		for (l = 0; l < p->prm.vblocks; l++) {
			u32 e = p->map[(u64)v * p->prm.vblocks + l];

			if (!e)
				continue;
			if (e > p->prm.nr_blocks || (p->mask[e - 1] & BIT(v))) {
				r = -EUCLEAN;
				goto out;
			}
			__ss_ref_add(p, e - 1, v);
			p->vd[v].mapped++;
			p->mapped++;
		}
	}
	bitmap_fill(p->free_bm, p->prm.nr_blocks);
	p->nr_free = p->prm.nr_blocks;
	for (b = 0; b < p->prm.nr_blocks; b++) {
		u32 key = p->key[b];

		p->key[b] = 0;
		if (!p->mask[b])
			continue;
		clear_bit(b, p->free_bm);
		p->nr_free--;
		if (key)
			__ss_index_add(p, b, key);
	}
out:
	spin_unlock_irq(&p->lock);
	return r;
}
