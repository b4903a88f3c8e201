// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: the vdisk target ("subsist <pool_dev> <index>") and its I/O
 * path: the fast paths in map (reads, writes to planned blocks,
 * discards), the worker's slow path (compares and merges, read-modify-
 * write, waiting for space) and completion.
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

/* ---- data helpers ----------------------------------------------------- */

/* Hashes @nr whole blocks of @bio from @it on into @keys; advances @it. */
static void ss_hash_bio(struct ss_pool *p, struct shash_desc *desc,
			struct bio *bio, struct bvec_iter *it, unsigned int nr,
			u64 *keys)
{
	u8 digest[SHA256_DIGEST_SIZE];
	unsigned int i;

	desc->tfm = p->tfm;
	for (i = 0; i < nr; i++) {
		struct bio_vec bv = bio_iter_iovec(bio, *it);
		unsigned int left = p->prm.block_size;
		void *a;

		if (bv.bv_len >= left) {
			/* The common case: a block in one segment. */
			a = bvec_kmap_local(&bv);
			crypto_shash_digest(desc, a, left, digest);
			kunmap_local(a);
			bio_advance_iter_single(bio, it, left);
		} else {
			crypto_shash_init(desc);
			while (left) {
				unsigned int n;

				bv = bio_iter_iovec(bio, *it);
				n = min(bv.bv_len, left);
				a = bvec_kmap_local(&bv);
				crypto_shash_update(desc, a, n);
				kunmap_local(a);
				bio_advance_iter_single(bio, it, n);
				left -= n;
			}
			crypto_shash_final(desc, digest);
		}
		keys[i] = ss_key64(p, digest);
	}
}

static bool ss_bio_equals(struct bio *bio, const u8 *buf, unsigned int len)
{
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned int done = 0;
	bool eq = true;

	bio_for_each_segment(bv, bio, it) {
		unsigned int n = min(bv.bv_len, len - done);
		void *a = bvec_kmap_local(&bv);

		eq = !memcmp(a, buf + done, n);
		kunmap_local(a);
		done += n;
		if (!eq || done == len)
			break;
	}
	return eq;
}

static void ss_bio_copy(struct bio *bio, u8 *buf)
{
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned int done = 0;

	bio_for_each_segment(bv, bio, it) {
		memcpy_from_bvec(buf + done, &bv);
		done += bv.bv_len;
	}
}

/*
 * Sends @bio to the data device of the pool's table at @sector (see the
 * I/O path in subsist.h); with no pool table bound, nowhere: EIO.
 */
static int ss_remap(struct ss_vc *vc, struct bio *bio, sector_t sector)
{
	struct block_device *data = READ_ONCE(vc->pool->data);

	if (unlikely(!data))
		return DM_MAPIO_KILL;
	bio_set_dev(bio, data);
	bio->bi_iter.bi_sector = sector;
	return DM_MAPIO_REMAPPED;
}

/* One block of the worker's, on the data device. */
static int ss_block_io(struct ss_vc *vc, blk_opf_t opf, u32 b,
		       struct page *page)
{
	struct ss_pool *p = vc->pool;
	struct block_device *data = READ_ONCE(p->data);
	struct bio *bio;
	int r;

	if (!data)
		return -EIO;
	bio = bio_alloc(data, 1, opf, GFP_NOIO);
	bio->bi_iter.bi_sector = (sector_t)b << p->prm.sec_shift;
	__bio_add_page(bio, page, p->prm.block_size, 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	return r;
}

/* Reads physical block @b, from the cache if it is there. */
static int ss_read_block(struct ss_vc *vc, u32 b, struct page *page)
{
	if (ss_cache_get(vc->pool, b, page_address(page)))
		return 0;
	return ss_block_io(vc, REQ_OP_READ, b, page);
}

/* ---- completion ------------------------------------------------------- */

static void ss_wait_commit(struct ss_pool *p, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	bio_list_add(&p->commit_waiters, bio);
	spin_unlock_irqrestore(&p->lock, flags);
	queue_work(p->wq, &p->commit_work);
}

/* A data write to @nr blocks from @b for logical blocks from @g ended. */
static void ss_write_done(struct ss_pool *p, unsigned int v, u32 g, u32 b,
			  u32 nr, bool inplace, bool ok, int epoch)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&p->lock, flags);
	for (i = 0; i < nr; i++) {
		u32 x = b + i;

		p->mask[x] &= ~SS_PENDING;
		if (!ok) {
			/* The block's content is unknown now. */
			if (p->key[x])
				__ss_index_del(p, x);
			if (!inplace)
				__ss_ref_drop(p, x, v);
		} else if (inplace) {
			__ss_dirty(p, g + i);	/* its key changed */
		} else {
			__ss_set_map(p, v, g + i, x);
		}
	}
	__ss_flush_frees(p);
	if (epoch >= 0)
		__ss_io_end(p, epoch);
	spin_unlock_irqrestore(&p->lock, flags);
	if (wq_has_sleeper(&p->wait))
		wake_up_all(&p->wait);
}

static void ss_complete(struct ss_pool *p, struct bio *bio, blk_status_t st)
{
	if (!st && p->mt && (bio->bi_opf & REQ_FUA)) {
		ss_wait_commit(p, bio);
		return;
	}
	bio->bi_status = st;
	bio_endio(bio);
}

/* ---- the slow path: merges, read-modify-write, waiting for space ------ */

/*
 * Makes freed blocks reusable: commits them (meta_dev), waits for the I/O
 * that holds them back.  The pool is never suspended here: its suspend
 * waits for the vdisk bio this runs for.
 */
static void ss_reclaim(struct ss_pool *p)
{
	if (p->mt)
		ss_commit(p, false);
	wait_event_timeout(p->wait, READ_ONCE(p->nr_free) ||
			   !READ_ONCE(p->nr_deferred), HZ / 2);
}

/*
 * Writes one block for logical block @g of vdisk @v: in place when that
 * is allowed, else to a new block.  The data is @page or, when @page is
 * NULL, the bio.
 */
static blk_status_t ss_write_block(struct ss_vc *vc, struct bio *bio,
				   struct page *page, u64 k, bool can_index)
{
	struct ss_pool *p = vc->pool;
	unsigned int v = vc->index;
	struct ss_bio *pb = dm_per_bio_data(bio, vc->ti->per_io_data_size);
	bool idx, inplace, waited = false;
	unsigned long flags;
	struct bio *wb;
	int epoch = -1, r;
	u32 cur, b;

	spin_lock_irqsave(&p->lock, flags);
	idx = can_index && __ss_indexable(p, bio->bi_opf & REQ_META, k, true);
	for (;;) {
		cur = p->map[pb->g];
		inplace = cur && __ss_inplace_ok(p, cur - 1, v);
		if (inplace) {
			b = cur - 1;
			if (p->key[b])
				__ss_index_del(p, b);
			epoch = __ss_io_begin(p);
			break;
		}
		if (__ss_alloc(p, 1, &b)) {
			p->mask[b] = BIT(v);
			if (cur && ss_shared(p, cur - 1))
				p->vd[v].cow++;
			break;
		}
		if (waited || (!p->nr_pend && !p->nr_deferred)) {
			p->nospc++;
			p->mode = SS_MODE_NOSPC;
			spin_unlock_irqrestore(&p->lock, flags);
			DMERR_LIMIT("%s: out of data space", p->name);
			return BLK_STS_NOSPC;
		}
		spin_unlock_irqrestore(&p->lock, flags);
		ss_reclaim(p);
		waited = true;
		spin_lock_irqsave(&p->lock, flags);
	}
	p->mask[b] |= SS_PENDING;
	if (idx)
		__ss_index_add(p, b, ss_ikey(k));
	p->vd[v].writes++;
	if (bio->bi_opf & REQ_META)
		p->meta_writes++;
	spin_unlock_irqrestore(&p->lock, flags);

	/*
	 * p->data is bound: a pool table is replaced only with the pool
	 * suspended, and so its vdisks, with their bios, this one among them.
	 */
	if (page) {
		wb = bio_alloc(p->data, 1, REQ_OP_WRITE, GFP_NOIO);
		__bio_add_page(wb, page, p->prm.block_size, 0);
	} else {
		wb = bio_alloc_clone(p->data, bio, GFP_NOIO, &p->bs);
	}
	wb->bi_opf = REQ_OP_WRITE | (bio->bi_opf & (REQ_META | REQ_PRIO |
						    REQ_SYNC));
	if (!p->mt)
		wb->bi_opf |= bio->bi_opf & REQ_FUA;
	wb->bi_iter.bi_sector = (sector_t)b << p->prm.sec_shift;
	r = submit_bio_wait(wb);
	bio_put(wb);
	ss_write_done(p, v, pb->g, b, 1, inplace, !r, epoch);
	return errno_to_blk_status(r);
}

/* Waits until candidate @b (pinned by us) has its data on disk. */
static bool ss_candidate_ready(struct ss_pool *p, u32 b, u32 key)
{
	unsigned long flags;
	bool ok;

	wait_event(p->wait, !(READ_ONCE(p->mask[b]) & SS_PENDING));
	spin_lock_irqsave(&p->lock, flags);
	ok = p->key[b] == key && !(p->mask[b] & SS_PENDING);
	spin_unlock_irqrestore(&p->lock, flags);
	return ok;
}

/*
 * A candidate with the write's key held other data: a true collision of
 * the key, or (@stale) a block whose data no longer has the key it is
 * indexed under, which is taken out of the index so that no later write
 * reads and compares it again.
 */
static void __ss_compare_failed(struct ss_pool *p, u32 b, u32 key, bool stale)
{
	lockdep_assert_held(&p->lock);

	if (!stale) {
		p->collisions++;
		return;
	}
	p->stale_keys++;
	__ss_index_del(p, b);
}

/* A whole-block write whose hash matched: compare, merge or write. */
static blk_status_t ss_merge_or_write(struct ss_vc *vc, struct bio *bio,
				      struct ss_bio *pb)
{
	struct ss_pool *p = vc->pool;
	struct shash_desc *desc = (struct shash_desc *)pb->desc;
	unsigned int v = vc->index, ntried = 0;
	bool can_index = p->prm.merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
	unsigned long flags;
	struct page *page;
	u32 tried[4], b, key = 0;
	u64 k = 0, bk;
	blk_status_t st;
	bool read, stale;

	if (can_index) {
		struct bvec_iter it = bio->bi_iter;

		if (pb->hashed)
			k = pb->key0;
		else
			ss_hash_bio(p, desc, bio, &it, 1, &k);
		key = ss_ikey(k);
	}
	page = mempool_alloc(&p->page_pool, GFP_NOIO);
	while (can_index && ntried < ARRAY_SIZE(tried)) {
		bool same;

		spin_lock_irqsave(&p->lock, flags);
		b = SS_NIL;
		if (__ss_indexable(p, bio->bi_opf & REQ_META, k, false))
			b = __ss_candidate(p, key, v, tried, ntried);
		if (b == SS_NIL) {
			spin_unlock_irqrestore(&p->lock, flags);
			break;
		}
		__ss_ref_add(p, b, v);	/* pins it: no free, no overwrite */
		spin_unlock_irqrestore(&p->lock, flags);
		tried[ntried++] = b;

		read = ss_candidate_ready(p, b, key) &&
		       !ss_read_block(vc, b, page);
		same = read &&
		       ss_bio_equals(bio, page_address(page), p->prm.block_size);
		/* Keys equal, data not: a collision, or a stale key? */
		stale = read && !same &&
			!ss_digest(p, desc, page_address(page), &bk) &&
			ss_ikey(bk) != key;

		spin_lock_irqsave(&p->lock, flags);
		if (same) {
			__ss_indexable(p, bio->bi_opf & REQ_META, k, true);
			__ss_set_map(p, v, pb->g, b);	/* the pin stays */
			p->merges++;
			p->vd[v].merged++;
			p->vd[v].writes++;
			__ss_flush_frees(p);
			spin_unlock_irqrestore(&p->lock, flags);
			mempool_free(page, &p->page_pool);
			return BLK_STS_OK;
		}
		if (read && p->key[b] == key)
			__ss_compare_failed(p, b, key, stale);
		__ss_ref_drop(p, b, v);
		__ss_flush_frees(p);
		spin_unlock_irqrestore(&p->lock, flags);
	}
	mempool_free(page, &p->page_pool);
	st = ss_write_block(vc, bio, NULL, k, can_index);
	return st;
}

/* A write of part of a block: read the block, overlay, write it whole. */
static blk_status_t ss_rmw(struct ss_vc *vc, struct bio *bio,
			   struct ss_bio *pb)
{
	struct ss_pool *p = vc->pool;
	struct shash_desc *desc = (struct shash_desc *)pb->desc;
	unsigned int off = (bio->bi_iter.bi_sector & (ss_bsec(p) - 1)) <<
			   SECTOR_SHIFT;
	bool can_index = p->prm.merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
	unsigned long flags;
	struct page *page;
	blk_status_t st;
	int epoch = -1, r = 0;
	u32 cur;
	u64 k = 0;

	page = mempool_alloc(&p->page_pool, GFP_NOIO);
	spin_lock_irqsave(&p->lock, flags);
	cur = p->map[pb->g];
	if (cur)
		epoch = __ss_io_begin(p);
	spin_unlock_irqrestore(&p->lock, flags);
	if (cur) {
		r = ss_read_block(vc, cur - 1, page);
		spin_lock_irqsave(&p->lock, flags);
		__ss_io_end(p, epoch);
		spin_unlock_irqrestore(&p->lock, flags);
	} else {
		memset(page_address(page), 0, p->prm.block_size);
	}
	if (r) {
		st = errno_to_blk_status(r);
		goto out;
	}
	ss_bio_copy(bio, (u8 *)page_address(page) + off);
	if (can_index && ss_digest(p, desc, page_address(page), &k))
		can_index = false;
	st = ss_write_block(vc, bio, page, k, can_index);
out:
	mempool_free(page, &p->page_pool);
	return st;
}

static void ss_slow_write(struct work_struct *work)
{
	struct ss_bio *pb = container_of(work, struct ss_bio, work);
	struct ss_vc *vc = pb->vc;
	struct ss_pool *p = vc->pool;
	struct bio *bio = dm_bio_from_per_bio_data(pb,
						   vc->ti->per_io_data_size);
	blk_status_t st;

	if (pb->partial) {
		mutex_lock(&p->rmw_mutex);
		st = ss_rmw(vc, bio, pb);
		mutex_unlock(&p->rmw_mutex);
	} else {
		st = ss_merge_or_write(vc, bio, pb);
	}
	ss_complete(p, bio, st);
}

static int ss_defer_write(struct ss_vc *vc, struct bio *bio,
			  struct ss_bio *pb, bool partial)
{
	pb->partial = partial;
	INIT_WORK(&pb->work, ss_slow_write);
	queue_work(vc->pool->wq, &pb->work);
	return DM_MAPIO_SUBMITTED;
}

/* ---- the fast paths --------------------------------------------------- */

static int ss_map_read(struct ss_vc *vc, struct bio *bio, struct ss_bio *pb)
{
	struct ss_pool *p = vc->pool;
	sector_t s = bio->bi_iter.bi_sector;
	unsigned int bsec = ss_bsec(p), off = s & (bsec - 1);
	u32 g = vc->base + (s >> p->prm.sec_shift);
	u32 nblk = DIV_ROUND_UP(off + bio_sectors(bio), bsec);
	unsigned long flags;
	u32 first, k, b;

	spin_lock_irqsave(&p->lock, flags);
	p->vd[vc->index].reads++;
	first = p->map[g];
	for (k = 1; k < nblk; k++) {
		u32 e = p->map[g + k];

		if (first ? e != first + k : e)
			break;
	}
	if (!first) {
		spin_unlock_irqrestore(&p->lock, flags);
		if (k < nblk)
			dm_accept_partial_bio(bio, k * bsec - off);
		zero_fill_bio(bio);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	b = first - 1;
	if (p->prm.cache_blocks && ss_shared(p, b)) {
		k = 1;
		if (!off && bio_sectors(bio) >= bsec) {
			if (nblk > 1)
				dm_accept_partial_bio(bio, bsec);
			if (ss_cache_read(p, b, bio)) {
				spin_unlock_irqrestore(&p->lock, flags);
				bio_endio(bio);
				return DM_MAPIO_SUBMITTED;
			}
			pb->cache_fill = true;
			nblk = 1;
		}
	}
	pb->epoch = __ss_io_begin(p);
	spin_unlock_irqrestore(&p->lock, flags);
	if (k < nblk)
		dm_accept_partial_bio(bio, k * bsec - off);
	pb->kind = SS_IO_READ;
	pb->pblock = b;
	pb->iter = bio->bi_iter;
	return ss_remap(vc, bio, ((sector_t)b << p->prm.sec_shift) + off);
}

/* Gives back new blocks reserved by ss_map_write() but not written. */
static void __ss_unreserve(struct ss_pool *p, u32 b, u32 nr)
{
	u32 i;

	lockdep_assert_held(&p->lock);
	for (i = 0; i < nr; i++) {
		p->mask[b + i] = 0;
		set_bit(b + i, p->free_bm);
	}
	p->nr_free += nr;
}

/*
 * Whole blocks: where they go is planned under the lock first (in place,
 * or a new contiguous run: an overwrite whose old blocks are scattered
 * gets a new run, so that sequential I/O stays sequential), then only the
 * blocks that will be written are hashed, then the index is consulted.
 */
/* Blocks hashed at a time by ss_trim_write(): their keys are on the stack. */
#define SS_HASH_CHUNK	16

/* Where a whole-block write goes, as ss_plan_write() chose it. */
struct ss_wplan {
	u32 first;			/* map entry of the first block (0: none) */
	u32 start;			/* first new block, when !inplace */
	u32 k;				/* blocks planned */
	bool inplace;
};

/* Physical block of the @i-th block of the plan. */
static inline u32 ss_wplan_block(const struct ss_wplan *w, u32 i)
{
	return w->inplace ? w->first - 1 + i : w->start + i;
}

/*
 * Plan: the first @nr blocks at pb->g go in place (as far as they may) or
 * to a new contiguous run, reserved and marked PENDING.  0 blocks: no
 * space now.
 */
static u32 __ss_plan_write(struct ss_pool *p, unsigned int v,
			   struct ss_bio *pb, u32 nr, struct ss_wplan *w)
{
	u32 i, k = 0;

	lockdep_assert_held(&p->lock);
	w->first = p->map[pb->g];
	w->start = 0;
	if (w->first && __ss_inplace_ok(p, w->first - 1, v))
		for (k = 1; k < nr; k++)
			if (p->map[pb->g + k] != w->first + k ||
			    !__ss_inplace_ok(p, w->first - 1 + k, v))
				break;
	w->inplace = k == nr;
	if (!w->inplace) {
		u32 want = nr, n;

		if (!k)	/* up to the next block that could go in place */
			for (want = 1; want < nr; want++) {
				u32 e = p->map[pb->g + want];

				if (e && __ss_inplace_ok(p, e - 1, v))
					break;
			}
		n = __ss_alloc(p, want, &w->start);
		if (n) {
			k = n;
			for (i = 0; i < k; i++)
				p->mask[w->start + i] = BIT(v) | SS_PENDING;
		} else if (k) {
			w->inplace = true;
		} else {
			return 0;
		}
	}
	if (w->inplace)
		for (i = 0; i < k; i++)
			p->mask[w->first - 1 + i] |= SS_PENDING;
	w->k = k;
	return k;
}

/* Gives back blocks @from.. of the plan: they are not written now. */
static void __ss_plan_cut(struct ss_pool *p, struct ss_wplan *w, u32 from)
{
	u32 j;

	lockdep_assert_held(&p->lock);
	for (j = from; j < w->k; j++) {
		if (w->inplace)
			p->mask[w->first - 1 + j] &= ~SS_PENDING;
		else
			__ss_unreserve(p, w->start + j, 1);
	}
	w->k = from;
}

/* Takes block @i of the plan for the write: index, copy-on-write count. */
static void __ss_plan_take(struct ss_pool *p, unsigned int v, struct ss_bio *pb,
			   const struct ss_wplan *w, u32 i, bool index, u64 key)
{
	u32 b = ss_wplan_block(w, i);
	u32 old = p->map[pb->g + i];

	lockdep_assert_held(&p->lock);
	if (w->inplace && p->key[b])
		__ss_index_del(p, b);
	if (!w->inplace && old && ss_shared(p, old - 1))
		p->vd[v].cow++;
	if (index)
		__ss_index_add(p, b, ss_ikey(key));
}

/* Commit: the bio writes the blocks kept; counted in the trim's last lock. */
static void __ss_write_commit(struct ss_pool *p, unsigned int v,
			      struct ss_bio *pb, const struct ss_wplan *w,
			      bool meta)
{
	lockdep_assert_held(&p->lock);
	pb->epoch = w->inplace ? __ss_io_begin(p) : -1;
	p->vd[v].writes++;
	if (meta)
		p->meta_writes++;
}

/*
 * Trim: hashes the planned blocks a chunk at a time and cuts the plan
 * before the first block that another vdisk may already hold (it goes to
 * the worker, to be compared); takes the blocks before it and, in the
 * same locked step as the last of them, commits.  Returns the blocks kept;
 * with none, pb->key0 holds the first block's key.
 */
static u32 ss_trim_write(struct ss_vc *vc, struct bio *bio, struct ss_bio *pb,
			 struct ss_wplan *w, bool can_index)
{
	struct ss_pool *p = vc->pool;
	struct shash_desc *desc = (struct shash_desc *)pb->desc;
	bool meta = bio->bi_opf & REQ_META;
	struct bvec_iter it = bio->bi_iter;
	u64 keys[SS_HASH_CHUNK];
	unsigned int v = vc->index;
	unsigned long flags;
	u32 c, i, n;

	for (c = 0; c < w->k; c += n) {
		/* Nothing to hash: take them all in one locked step. */
		n = can_index ? min_t(u32, w->k - c, SS_HASH_CHUNK) : w->k - c;
		if (can_index)
			ss_hash_bio(p, desc, bio, &it, n, keys);
		spin_lock_irqsave(&p->lock, flags);
		for (i = 0; can_index && i < n; i++)
			if (__ss_indexable(p, meta, keys[i], false) &&
			    __ss_candidate(p, ss_ikey(keys[i]), v, NULL, 0) !=
			    SS_NIL)
				break;
		if (can_index && i < n) {
			/* Another vdisk may hold block c + i: cut there. */
			__ss_plan_cut(p, w, c + i);
			if (!w->k)
				pb->key0 = keys[0];
			n = i;
		}
		for (i = 0; i < n; i++)
			__ss_plan_take(p, v, pb, w, c + i, can_index &&
				       __ss_indexable(p, meta, keys[i], true),
				       can_index ? keys[i] : 0);
		if (w->k && c + n == w->k)
			__ss_write_commit(p, v, pb, w, meta);
		spin_unlock_irqrestore(&p->lock, flags);
	}
	return w->k;
}

/*
 * A whole-block write: plan where its blocks go, trim the plan before a
 * block that may merge, commit the rest in place of the bio.  What cannot
 * go on the fast path (a sub-block write, no space, a first block that
 * may merge) goes to the worker.
 */
static int ss_map_write(struct ss_vc *vc, struct bio *bio, struct ss_bio *pb)
{
	struct ss_pool *p = vc->pool;
	unsigned int v = vc->index;
	sector_t s = bio->bi_iter.bi_sector;
	unsigned int bsec = ss_bsec(p), off = s & (bsec - 1);
	unsigned int len = bio_sectors(bio);
	bool can_index = p->prm.merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
	struct ss_wplan w;
	unsigned long flags;
	u32 k;

	pb->g = vc->base + (s >> p->prm.sec_shift);
	if (off || len < bsec) {
		if (off + len > bsec)
			dm_accept_partial_bio(bio, bsec - off);
		return ss_defer_write(vc, bio, pb, true);
	}

	spin_lock_irqsave(&p->lock, flags);
	k = __ss_plan_write(p, v, pb, min_t(u32, len >> p->prm.sec_shift, SS_RUN),
			    &w);
	spin_unlock_irqrestore(&p->lock, flags);
	if (!k) {
		/* Wait for space (or fail) in the worker. */
		if (len > bsec)
			dm_accept_partial_bio(bio, bsec);
		return ss_defer_write(vc, bio, pb, false);
	}

	k = ss_trim_write(vc, bio, pb, &w, can_index);
	if (!k) {
		wake_up_all(&p->wait);
		pb->hashed = can_index;
		if (len > bsec)
			dm_accept_partial_bio(bio, bsec);
		return ss_defer_write(vc, bio, pb, false);
	}

	/* The bio writes the k blocks kept (committed by the trim). */
	if (k << p->prm.sec_shift < len)
		dm_accept_partial_bio(bio, k << p->prm.sec_shift);
	pb->kind = w.inplace ? SS_IO_INPLACE : SS_IO_NEW;
	pb->pblock = ss_wplan_block(&w, 0);
	pb->nr = k;
	if (p->mt && (bio->bi_opf & REQ_FUA)) {
		pb->fua = true;
		bio->bi_opf &= ~REQ_FUA;
	}
	return ss_remap(vc, bio, (sector_t)pb->pblock << p->prm.sec_shift);
}

static int ss_map_discard(struct ss_vc *vc, struct bio *bio)
{
	struct ss_pool *p = vc->pool;
	unsigned int v = vc->index;
	sector_t s = bio->bi_iter.bi_sector;
	u64 l = DIV_ROUND_UP_SECTOR_T(s, ss_bsec(p));
	u64 end = (s + bio_sectors(bio)) >> p->prm.sec_shift;
	unsigned long flags;
	unsigned int n;

	while (l < end) {
		spin_lock_irqsave(&p->lock, flags);
		for (n = 0; n < SS_DISCARD_BATCH && l < end; n++, l++) {
			u32 g = vc->base + l;

			if (!p->map[g])
				continue;
			__ss_set_map(p, v, g, SS_NIL);
			p->vd[v].discarded++;
		}
		__ss_flush_frees(p);
		spin_unlock_irqrestore(&p->lock, flags);
	}
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

/* merge none: vdisk i is the i-th slice of the data device. */
static int ss_map_none(struct ss_vc *vc, struct bio *bio)
{
	struct ss_pool *p = vc->pool;

	if (bio_op(bio) == REQ_OP_DISCARD) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (!bio_sectors(bio))
		return ss_remap(vc, bio, 0);
	return ss_remap(vc, bio, bio->bi_iter.bi_sector +
			((sector_t)vc->base << p->prm.sec_shift));
}

static int subsist_map(struct dm_target *ti, struct bio *bio)
{
	struct ss_vc *vc = ti->private;
	struct ss_pool *p = vc->pool;
	struct ss_bio *pb = dm_per_bio_data(bio, ti->per_io_data_size);

	pb->vc = vc;
	pb->kind = SS_IO_NONE;
	pb->epoch = -1;
	pb->fua = false;
	pb->partial = false;
	pb->hashed = false;
	pb->cache_fill = false;

	/* No pool table (another target in the pool device): nowhere to go. */
	if (unlikely(!READ_ONCE(p->data)))
		return DM_MAPIO_KILL;
	if (p->prm.merge == SS_MERGE_NONE)
		return ss_map_none(vc, bio);
	if (bio->bi_opf & REQ_PREFLUSH) {
		if (!p->mt)
			return ss_remap(vc, bio, 0);
		ss_wait_commit(p, bio);
		return DM_MAPIO_SUBMITTED;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return ss_map_read(vc, bio, pb);
	case REQ_OP_WRITE:
		if (READ_ONCE(p->mode) == SS_MODE_RO)
			return DM_MAPIO_KILL;
		return ss_map_write(vc, bio, pb);
	case REQ_OP_DISCARD:
		return ss_map_discard(vc, bio);
	default:
		return DM_MAPIO_KILL;
	}
}

static int subsist_end_io(struct dm_target *ti, struct bio *bio,
			  blk_status_t *error)
{
	struct ss_bio *pb = dm_per_bio_data(bio, ti->per_io_data_size);
	struct ss_vc *vc = pb->vc;
	struct ss_pool *p;
	unsigned long flags;
	enum ss_io kind = pb->kind;

	if (!vc || kind == SS_IO_NONE)
		return DM_ENDIO_DONE;
	p = vc->pool;
	pb->kind = SS_IO_NONE;
	switch (kind) {
	case SS_IO_READ:
		if (!*error && pb->cache_fill)
			ss_cache_fill(p, pb->pblock, bio, pb->iter);
		spin_lock_irqsave(&p->lock, flags);
		__ss_io_end(p, pb->epoch);
		spin_unlock_irqrestore(&p->lock, flags);
		break;
	case SS_IO_NEW:
	case SS_IO_INPLACE:
		ss_write_done(p, vc->index, pb->g, pb->pblock, pb->nr,
			      kind == SS_IO_INPLACE, !*error, pb->epoch);
		if (!*error && pb->fua) {
			ss_wait_commit(p, bio);
			return DM_ENDIO_INCOMPLETE;
		}
		break;
	default:
		break;
	}
	return DM_ENDIO_DONE;
}

/* ---- vdisk table ------------------------------------------------------ */

static void subsist_dtr(struct dm_target *ti)
{
	struct ss_vc *vc = ti->private;

	if (vc->pool) {
		mutex_lock(&ss_mutex);
		list_del(&vc->list);
		if (!--vc->pool->vd[vc->index].users)
			vc->pool->vd[vc->index].owner = NULL;
		ss_pool_put(vc->pool);
		mutex_unlock(&ss_mutex);
	}
	if (vc->pool_dev)
		dm_put_device(ti, vc->pool_dev);
	kfree(vc);
}

/*
 * Construct a vdisk:
 *   subsist <pool_dev> <vdisk_index>
 */
static int subsist_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct mapped_device *pool_md;
	struct ss_pool *p;
	struct ss_vdisk *vd;
	struct ss_vc *vc;
	u64 n;
	int r;

	if (argc != 2) {
		ti->error = "Need <pool_dev> <vdisk_index>";
		return -EINVAL;
	}
	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = vc;
	vc->ti = ti;
	if (ss_parse_u64(argv[1], &n) || n >= SS_MAX_VDISKS) {
		ti->error = "Invalid vdisk_index";
		r = -EINVAL;
		goto bad;
	}
	vc->index = n;
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table),
			  &vc->pool_dev);
	if (r) {
		ti->error = "Pool device lookup failed";
		goto bad;
	}
	pool_md = dm_get_md(vc->pool_dev->bdev->bd_dev);
	if (!pool_md) {
		ti->error = "pool_dev is not a device-mapper device";
		r = -EINVAL;
		goto bad;
	}
	r = -EINVAL;
	mutex_lock(&ss_mutex);
	p = ss_pool_lookup(pool_md);
	dm_put(pool_md);
	if (!p) {
		ti->error = "pool_dev is not an active subsist-pool";
	} else if (vc->index >= p->prm.nr_vdisks) {
		ti->error = "vdisk_index is not below the pool's nr_vdisks";
	} else if (ti->len > p->prm.vdisk_sectors) {
		ti->error = "vdisk table is longer than the pool's vdisk_sectors";
	} else if (p->vd[vc->index].owner && p->vd[vc->index].owner != md) {
		ti->error = "vdisk_index is in use by another device";
		r = -EBUSY;
	} else if (!ss_pool_vdisk_may_bind(p, md)) {
		ti->error = "The pool is suspended: resume it first";
		r = -EBUSY;
	} else {
		vd = &p->vd[vc->index];
		vd->owner = md;
		vd->users++;
		p->refs++;
		vc->pool = p;
		vc->base = vc->index * p->prm.vblocks;
		vc->devt = disk_devt(dm_disk(md));
		list_add(&vc->list, &ss_vdisks);
		r = 0;
	}
	mutex_unlock(&ss_mutex);
	if (r)
		goto bad;

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct ss_bio) + p->desc_size;
	/*
	 * A write's data is hashed at map time, then compared, written and
	 * indexed under that key: it must not change in flight (without
	 * this, ext4 redirtied pages under writeback and left the index
	 * with keys of data the block did not hold).
	 */
	ti->needs_stable_writes = true;
	return 0;

bad:
	subsist_dtr(ti);
	return r;
}

static void ss_vdisk_emit_info(unsigned int index, const struct ss_vdisk *vd,
			       char *result, unsigned int maxlen)
{
	static const unsigned char kinds[] = { STATUS_SUBSIST_VDISK(DMST_KIND) };
	struct dm_status_val v[SV_STATUS_NR] = { };
	unsigned int sz = 0;

	BUILD_BUG_ON(ARRAY_SIZE(kinds) != SV_STATUS_NR);
	v[SV_STATUS_index].a = index;
	v[SV_STATUS_mapped].a = vd->mapped;
	v[SV_STATUS_shared].a = vd->shared;
	v[SV_STATUS_reads].a = vd->reads;
	v[SV_STATUS_writes].a = vd->writes;
	v[SV_STATUS_merged].a = vd->merged;
	v[SV_STATUS_cow].a = vd->cow;
	v[SV_STATUS_discarded].a = vd->discarded;
	dm_status_emit(result, maxlen, &sz, kinds, v, SV_STATUS_NR);
}

static void subsist_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result,
			   unsigned int maxlen)
{
	struct ss_vc *vc = ti->private;
	struct ss_pool *p = vc->pool;
	unsigned int sz = 0;
	struct ss_vdisk vd;

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock_irq(&p->lock);
		vd = p->vd[vc->index];
		spin_unlock_irq(&p->lock);
		if (p->prm.merge == SS_MERGE_NONE)
			vd.mapped = p->prm.vblocks;
		ss_vdisk_emit_info(vc->index, &vd, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %u", vc->pool_dev->name, vc->index);
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int subsist_message(struct dm_target *ti, unsigned int argc,
			   char **argv, char *result, unsigned int maxlen)
{
	struct ss_vc *vc = ti->private;

	DMWARN("%s: vdisk %u takes no messages (send them to the pool)",
	       vc->pool->name, vc->index);
	return -EINVAL;
}

static int subsist_iterate_devices(struct dm_target *ti,
				   iterate_devices_callout_fn fn, void *data)
{
	struct ss_vc *vc = ti->private;
	sector_t len = min_t(sector_t, ti->len,
			     bdev_nr_sectors(vc->pool_dev->bdev));

	/* A vdisk may be larger than the pool (that is the point). */
	return fn(ti, vc->pool_dev, 0, len, data);
}

static void subsist_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct ss_vc *vc = ti->private;
	unsigned int bs = vc->pool->prm.block_size;

	limits->physical_block_size = max(limits->physical_block_size, bs);
	limits->io_min = max(limits->io_min, bs);
	limits->discard_granularity = bs;
	limits->max_discard_sectors = 1U << 17;
	limits->max_hw_discard_sectors = 1U << 17;
}


/* ---- the target ----------------------------------------------------- */

struct target_type subsist_target = {
	.name = "subsist",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = subsist_ctr,
	.dtr = subsist_dtr,
	.map = subsist_map,
	.end_io = subsist_end_io,
	.status = subsist_status,
	.message = subsist_message,
	.iterate_devices = subsist_iterate_devices,
	.io_hints = subsist_io_hints,
};
