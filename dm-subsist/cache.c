// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: the read cache of shared blocks.  Filled from completed
 * whole-block vdisk reads, consulted by reads and by the worker's
 * compares; cache_lock nests inside p->lock.
 */

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

#include "subsist.h"
#include "dm_status.h"
#include "strict_args.h"
#include "subsist_hint.h"

#define DM_MSG_PREFIX "subsist"

/* ---- the read cache ------------------------------------------------- */

static struct ss_centry *ss_centry_find(struct ss_pool *p, u32 b)
{
	struct ss_centry *e;

	lockdep_assert_held(&p->cache_lock);
	hlist_for_each_entry(e, &p->chash[hash_32(b, 32) & p->chash_mask], node)
		if (e->block == b)
			return e;
	return NULL;
}

void ss_cache_invalidate(struct ss_pool *p, u32 b)
{
	struct ss_centry *e;
	unsigned long flags;

	if (!p->prm.cache_blocks)
		return;
	spin_lock_irqsave(&p->cache_lock, flags);
	e = ss_centry_find(p, b);
	if (e) {
		hlist_del_init(&e->node);
		e->valid = false;
		list_move_tail(&e->lru, &p->clru);
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
}

void ss_cache_drop(struct ss_pool *p)
{
	struct ss_centry *e;
	unsigned long flags;

	spin_lock_irqsave(&p->cache_lock, flags);
	list_for_each_entry(e, &p->clru, lru) {
		if (e->valid)
			hlist_del_init(&e->node);
		e->valid = false;
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
}

/* Copies a cached block into @dst; false on a miss. */
bool ss_cache_get(struct ss_pool *p, u32 b, void *dst)
{
	struct ss_centry *e;
	unsigned long flags;

	if (!p->prm.cache_blocks)
		return false;
	spin_lock_irqsave(&p->cache_lock, flags);
	e = ss_centry_find(p, b);
	if (e) {
		memcpy(dst, page_address(e->page), p->prm.block_size);
		list_move(&e->lru, &p->clru);
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
	return e;
}

/* Serves a whole-block read from the cache; false on a miss. */
bool ss_cache_read(struct ss_pool *p, u32 b, struct bio *bio)
{
	struct ss_centry *e;
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned long flags;
	unsigned int done = 0;

	spin_lock_irqsave(&p->cache_lock, flags);
	e = ss_centry_find(p, b);
	if (e) {
		bio_for_each_segment(bv, bio, it) {
			memcpy_to_bvec(&bv, page_address(e->page) + done);
			done += bv.bv_len;
		}
		list_move(&e->lru, &p->clru);
		p->chits++;
	} else {
		p->cmisses++;
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
	return e;
}

static struct ss_centry *ss_centry_alloc(void)
{
	struct ss_centry *e = kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_NOWARN);

	if (!e)
		return NULL;
	e->page = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
	if (!e->page) {
		kfree(e);
		return NULL;
	}
	INIT_HLIST_NODE(&e->node);
	e->valid = false;
	return e;
}

static void ss_centry_free(struct ss_centry *e)
{
	__free_page(e->page);
	kfree(e);
}

void ss_cache_fill(struct ss_pool *p, u32 b, struct bio *bio,
		   struct bvec_iter start)
{
	struct ss_centry *e, *fresh = NULL;
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned long flags;
	unsigned int done = 0;

	/*
	 * The cache grows a block at a time up to cache_blocks, as reads
	 * fill it (from end_io, so without sleeping or reclaim): a large
	 * cache_blocks costs nothing until it is used.  When no memory is to
	 * be had, the least recently used block is reused, or nothing is
	 * cached.
	 */
	if (READ_ONCE(p->cache_n) < p->prm.cache_blocks)
		fresh = ss_centry_alloc();
	spin_lock_irqsave(&p->cache_lock, flags);
	if (ss_centry_find(p, b))
		goto out;
	if (fresh && p->cache_n < p->prm.cache_blocks) {
		e = fresh;
		fresh = NULL;
		p->cache_n++;
		list_add_tail(&e->lru, &p->clru);
	} else if (!list_empty(&p->clru)) {
		e = list_last_entry(&p->clru, struct ss_centry, lru);
		if (e->valid)
			hlist_del_init(&e->node);
	} else {
		goto out;
	}
	__bio_for_each_segment(bv, bio, it, start) {
		memcpy_from_bvec(page_address(e->page) + done, &bv);
		done += bv.bv_len;
	}
	e->block = b;
	e->valid = true;
	hlist_add_head(&e->node, &p->chash[hash_32(b, 32) & p->chash_mask]);
	list_move(&e->lru, &p->clru);
out:
	spin_unlock_irqrestore(&p->cache_lock, flags);
	if (fresh)
		ss_centry_free(fresh);
}

void ss_cache_exit(struct ss_pool *p)
{
	struct ss_centry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &p->clru, lru) {
		list_del(&e->lru);
		ss_centry_free(e);
	}
	p->cache_n = 0;
	kvfree(p->chash);
}

/* The cache's hash table; its blocks come as reads fill it. */
int ss_cache_init(struct ss_pool *p)
{
	unsigned int i, nh;

	INIT_LIST_HEAD(&p->clru);
	p->cache_n = 0;
	if (!p->prm.cache_blocks)
		return 0;
	nh = roundup_pow_of_two(max(p->prm.cache_blocks / 2, 16U));
	p->chash_mask = nh - 1;
	p->chash = kvcalloc(nh, sizeof(*p->chash),
			    GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!p->chash)
		return -ENOMEM;
	for (i = 0; i < nh; i++)
		INIT_HLIST_HEAD(&p->chash[i]);
	return 0;
}
