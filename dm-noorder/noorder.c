// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-noorder: the untrusted device.
 *
 * Writes are copied into a volatile in-memory cache and acknowledged at
 * once; reads see the cached data; the cache is destaged to the device
 * below later, in FIFO, random or reverse order.  With "flush honor" a
 * FLUSH or FUA completes only when everything acknowledged before it is
 * on the device below; with "flush ignore" it is acknowledged at once and
 * only counted, as disks and hypervisors that lie do.  A "crash" message
 * persists a chosen subset of the writes not yet destaged, drops the rest
 * and fails all I/O until "revive".  A log of every write, flush and FUA
 * can be read through debugfs (include/noorder_log.h), so that crashtest
 * can record a workload once and build many crash states from it.
 *
 * This file is the target; rec.c holds the cached writes (the copies of
 * written data), log.c the log and its debugfs file, nord_internal.h
 * what they share.
 *
 * Documentation: docs/dm-noorder.rst.
 */
#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "dm_status.h"
#include "nord_internal.h"
#include "strict_args.h"

static const char * const nord_feature_names[NORD_NR_FEATURES] = {
	"flush", "order", "seed", "cache_mb", "destage_ms"
};

static const char * const nord_order_names[] = { "fifo", "random", "reverse" };

static const char * const nord_log_state_names[] = { "off", "on", "overflow" };

static struct kmem_cache *nord_blk_cache;

/* ---- the index -------------------------------------------------------- */

static struct nord_blk *__nord_blk_find(struct nord_c *c, sector_t blk)
{
	struct rb_node *n = c->blocks.rb_node;

	lockdep_assert_held(&c->lock);
	while (n) {
		struct nord_blk *b = rb_entry(n, struct nord_blk, node);

		if (blk < b->blk)
			n = n->rb_left;
		else if (blk > b->blk)
			n = n->rb_right;
		else
			return b;
	}
	return NULL;
}

/* The first node with blk >= @blk, or NULL. */
static struct nord_blk *__nord_blk_ceil(struct nord_c *c, sector_t blk)
{
	struct rb_node *n = c->blocks.rb_node;
	struct nord_blk *best = NULL;

	lockdep_assert_held(&c->lock);
	while (n) {
		struct nord_blk *b = rb_entry(n, struct nord_blk, node);

		if (blk <= b->blk) {
			best = b;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/* Finds the node of @blk, inserting one taken from @spares if new. */
static struct nord_blk *__nord_blk_get(struct nord_c *c, sector_t blk,
				       struct list_head *spares)
{
	struct rb_node **p = &c->blocks.rb_node, *parent = NULL;
	struct nord_blk *b;

	lockdep_assert_held(&c->lock);
	while (*p) {
		parent = *p;
		b = rb_entry(parent, struct nord_blk, node);
		if (blk < b->blk)
			p = &parent->rb_left;
		else if (blk > b->blk)
			p = &parent->rb_right;
		else
			return b;
	}
	b = list_first_entry_or_null(spares, struct nord_blk, link);
	if (WARN_ON_ONCE(!b))
		return NULL;
	list_del(&b->link);
	memset(b, 0, sizeof(*b));
	b->blk = blk;
	rb_link_node(&b->node, parent, p);
	rb_insert_color(&b->node, &c->blocks);
	c->nr_blks++;
	return b;
}

/* Removes @b if no sector of it is cached any more; the caller frees it. */
static bool __nord_blk_empty(struct nord_c *c, struct nord_blk *b)
{
	unsigned int i;

	lockdep_assert_held(&c->lock);
	for (i = 0; i < NORD_BLK_SECTORS; i++)
		if (b->src[i])
			return false;
	rb_erase(&b->node, &c->blocks);
	c->nr_blks--;
	return true;
}

/* Makes @rec the newest cached data of each of its sectors. */
static void __nord_index_write(struct nord_c *c, struct nord_rec *rec,
			       struct list_head *spares)
{
	sector_t s = rec->sector, end = rec->sector + rec->nr_sectors;

	lockdep_assert_held(&c->lock);
	while (s < end) {
		sector_t blk = s >> NORD_BLK_SHIFT;
		struct nord_blk *b = __nord_blk_get(c, blk, spares);

		if (!b)
			return;		/* cannot happen: one spare per block */
		for (; s < end && (s >> NORD_BLK_SHIFT) == blk; s++)
			b->src[s & (NORD_BLK_SECTORS - 1)] = rec;
	}
}

/*
 * Forgets the cached data of [@s, @end): later reads go to the device
 * below.  Nodes that become empty are put on @freed.
 */
static void __nord_index_forget(struct nord_c *c, sector_t s, sector_t end,
				struct list_head *freed)
{
	struct nord_blk *b;

	lockdep_assert_held(&c->lock);
	b = __nord_blk_ceil(c, s >> NORD_BLK_SHIFT);
	while (b && (b->blk << NORD_BLK_SHIFT) < end) {
		struct rb_node *next = rb_next(&b->node);
		sector_t first = b->blk << NORD_BLK_SHIFT;
		unsigned int i;

		for (i = 0; i < NORD_BLK_SECTORS; i++)
			if (first + i >= s && first + i < end)
				b->src[i] = NULL;
		if (__nord_blk_empty(c, b))
			list_add(&b->link, freed);
		b = next ? rb_entry(next, struct nord_blk, node) : NULL;
	}
}

static void nord_free_blks(struct nord_c *c, struct list_head *freed)
{
	struct nord_blk *b, *n;

	list_for_each_entry_safe(b, n, freed, link)
		mempool_free(b, &c->blk_pool);
}

/* ---- deferred bios ---------------------------------------------------- */

/*
 * ->map never waits for the cache.  A write that finds the cache full, or
 * cannot get memory for its copy without waiting, is put on c->deferred
 * and ->map returns DM_MAPIO_SUBMITTED; from then on, until the list is
 * empty again, every write, flush and discard joins the list behind it,
 * so that nothing overtakes it (a flush mapped later covers it).  The
 * worker maps the list in arrival order between destage batches, which
 * make the space (nord_run_deferred()).  A power cut fails the list; dm
 * waits for deferred bios before postsuspend, as for any bio in flight.
 */

/* Not a dm value: the worker could not map the bio yet, it went back. */
#define NORD_MAPIO_RETRY		(-1)
#define NORD_RETRY_MS		10	/* memory short: the worker retries */

/*
 * Defers @bio: at the head of the list when the worker had taken it off
 * (@worker), else at the tail.  Returns what ->map or the worker returns.
 */
static int __nord_defer(struct nord_c *c, struct bio *bio, bool worker)
{
	lockdep_assert_held(&c->lock);
	if (worker) {
		bio_list_add_head(&c->deferred, bio);
		return NORD_MAPIO_RETRY;
	}
	bio_list_add(&c->deferred, bio);
	c->deferring = true;
	c->st.deferred++;
	return DM_MAPIO_SUBMITTED;
}

/* Fails the deferred bios (power cut, or a dtr that finds some). */
static void nord_fail_deferred(struct nord_c *c)
{
	struct bio_list list;
	struct bio *bio;

	spin_lock(&c->lock);
	list = c->deferred;
	bio_list_init(&c->deferred);
	c->deferring = false;
	spin_unlock(&c->lock);
	while ((bio = bio_list_pop(&list)))
		bio_io_error(bio);
}

/* ---- destage ---------------------------------------------------------- */

static bool nord_run_deferred(struct nord_c *c);

static bool __nord_pending_upto(struct nord_c *c, u64 upto)
{
	struct nord_rec *first;

	lockdep_assert_held(&c->lock);
	first = list_first_entry_or_null(&c->pending, struct nord_rec, list);
	return first && first->seq <= upto;
}

static bool __nord_eligible(struct nord_c *c, struct nord_rec *rec)
{
	lockdep_assert_held(&c->lock);
	return c->pressure || rec->seq <= c->destage_upto;
}

/*
 * Chooses up to NORD_BATCH pending writes in the configured order and marks
 * in each rec->wmap the sectors it still holds the newest data of.
 */
static unsigned int __nord_pick(struct nord_c *c, struct nord_rec **batch)
{
	unsigned int n = 0, seen = 0, i;
	struct nord_rec *rec;

	lockdep_assert_held(&c->lock);
	switch (c->order) {
	case NORD_FIFO:
		list_for_each_entry(rec, &c->pending, list) {
			if (!__nord_eligible(c, rec) || n == NORD_BATCH)
				break;
			batch[n++] = rec;
		}
		break;
	case NORD_REVERSE:
		list_for_each_entry_reverse(rec, &c->pending, list) {
			if (n == NORD_BATCH)
				break;
			if (__nord_eligible(c, rec))
				batch[n++] = rec;
		}
		break;
	case NORD_RANDOM:
		/* Reservoir sample of the eligible writes, then shuffled. */
		list_for_each_entry(rec, &c->pending, list) {
			if (!__nord_eligible(c, rec))
				break;
			if (n < NORD_BATCH) {
				batch[n++] = rec;
			} else {
				i = prandom_u32_state(&c->order_rnd) % (seen + 1);
				if (i < NORD_BATCH)
					batch[i] = rec;
			}
			seen++;
		}
		for (i = n; i > 1; i--) {
			unsigned int j = prandom_u32_state(&c->order_rnd) % i;

			swap(batch[i - 1], batch[j]);
		}
		break;
	}

	for (i = 0; i < n; i++) {
		sector_t s, end;
		struct nord_blk *b = NULL;

		rec = batch[i];
		bitmap_zero(rec->wmap, rec->nr_sectors);
		end = rec->sector + rec->nr_sectors;
		for (s = rec->sector; s < end; s++) {
			if (!b || b->blk != s >> NORD_BLK_SHIFT)
				b = __nord_blk_find(c, s >> NORD_BLK_SHIFT);
			if (b && b->src[s & (NORD_BLK_SECTORS - 1)] == rec)
				__set_bit(s - rec->sector, rec->wmap);
		}
	}
	return n;
}

static void nord_destage_endio(struct bio *bio)
{
	struct nord_c *c = bio->bi_private;

	if (bio->bi_status)
		c->batch_status = bio->bi_status;
	bio_put(bio);
	if (atomic_dec_and_test(&c->batch_left))
		complete(&c->batch_done);
}

/*
 * Writes sectors [@first, @first + @len) of @rec (record-relative) to the
 * device below.  With @sync it is written at once and its status
 * returned; otherwise the bio joins the current batch.
 */
static int nord_write_run(struct nord_c *c, struct nord_rec *rec,
			  unsigned int first, unsigned int len, bool sync)
{
	size_t off = (size_t)first << SECTOR_SHIFT;
	size_t left = (size_t)len << SECTOR_SHIFT;
	unsigned int nr_vecs = DIV_ROUND_UP(offset_in_page(off) + left,
					    PAGE_SIZE);
	struct bio *bio;
	int r = 0;

	bio = bio_alloc_bioset(c->dev->bdev, nr_vecs, REQ_OP_WRITE, GFP_NOIO,
			       &c->bs);
	bio->bi_iter.bi_sector = c->start + rec->sector + first;
	while (left) {
		unsigned int poff = offset_in_page(off);
		unsigned int n = min_t(size_t, left, PAGE_SIZE - poff);

		__bio_add_page(bio, rec->pages[off >> PAGE_SHIFT], n, poff);
		off += n;
		left -= n;
	}
	if (sync) {
		r = submit_bio_wait(bio);
		bio_put(bio);
		return r;
	}
	bio->bi_private = c;
	bio->bi_end_io = nord_destage_endio;
	atomic_inc(&c->batch_left);
	submit_bio(bio);
	return 0;
}

/*
 * Destages one batch of eligible writes and waits for it.  Returns the
 * number of writes taken out of the cache.  Caller holds destage_mutex.
 */
static unsigned int nord_destage_batch(struct nord_c *c)
{
	struct nord_rec *batch[NORD_BATCH];
	struct blk_plug plug;
	LIST_HEAD(freed);
	unsigned int n, i;

	lockdep_assert_held(&c->destage_mutex);
	spin_lock(&c->lock);
	n = c->crashed ? 0 : __nord_pick(c, batch);
	spin_unlock(&c->lock);
	if (!n)
		return 0;

	atomic_set(&c->batch_left, 1);
	reinit_completion(&c->batch_done);
	c->batch_status = BLK_STS_OK;
	blk_start_plug(&plug);
	for (i = 0; i < n; i++) {
		struct nord_rec *rec = batch[i];
		unsigned int s = 0, e;

		while (s < rec->nr_sectors) {
			s = find_next_bit(rec->wmap, rec->nr_sectors, s);
			if (s >= rec->nr_sectors)
				break;
			e = find_next_zero_bit(rec->wmap, rec->nr_sectors, s);
			nord_write_run(c, rec, s, e - s, false);
			s = e;
		}
	}
	blk_finish_plug(&plug);
	if (!atomic_dec_and_test(&c->batch_left))
		wait_for_completion(&c->batch_done);

	spin_lock(&c->lock);
	if (c->batch_status) {
		c->wb_err = true;
		DMERR_LIMIT("%s: destage to the device below failed (%d): data lost",
			    nord_name(c), blk_status_to_errno(c->batch_status));
	}
	for (i = 0; i < n; i++) {
		struct nord_rec *rec = batch[i];
		struct nord_blk *b = NULL;
		unsigned int s;

		/* Each node is looked up, and tested for emptiness, once. */
		for_each_set_bit(s, rec->wmap, rec->nr_sectors) {
			sector_t sec = rec->sector + s;

			if (!b || b->blk != sec >> NORD_BLK_SHIFT) {
				if (b && __nord_blk_empty(c, b))
					list_add(&b->link, &freed);
				b = __nord_blk_find(c, sec >> NORD_BLK_SHIFT);
			}
			if (b && b->src[sec & (NORD_BLK_SECTORS - 1)] == rec)
				b->src[sec & (NORD_BLK_SECTORS - 1)] = NULL;
		}
		if (b && __nord_blk_empty(c, b))
			list_add(&b->link, &freed);
		list_del_init(&rec->list);
		c->nr_pending--;
		c->cached_bytes -= (u64)rec->nr_sectors << SECTOR_SHIFT;
		c->st.destaged++;
	}
	if (c->pressure && c->cached_bytes <= c->limit_bytes / 2)
		c->pressure = false;
	spin_unlock(&c->lock);

	nord_free_blks(c, &freed);
	for (i = 0; i < n; i++)
		nord_rec_put(batch[i]);
	return n;
}

/* Ends the FLUSH/FUA bios whose writes are all on the device below. */
static void nord_end_flush_waiters(struct nord_c *c)
{
	struct nord_bio *nb, *tmp;
	LIST_HEAD(ready);
	blk_status_t status = BLK_STS_OK;
	bool err = false;

	spin_lock(&c->lock);
	list_for_each_entry_safe(nb, tmp, &c->flush_waiters, list) {
		if (c->crashed || !__nord_pending_upto(c, nb->upto))
			list_move_tail(&nb->list, &ready);
	}
	if (!list_empty(&ready) && c->wb_err) {
		err = true;
		c->wb_err = false;
	}
	spin_unlock(&c->lock);
	if (list_empty(&ready))
		return;

	if (err || READ_ONCE(c->crashed) || blkdev_issue_flush(c->dev->bdev))
		status = BLK_STS_IOERR;
	list_for_each_entry_safe(nb, tmp, &ready, list) {
		struct bio *bio = dm_bio_from_per_bio_data(nb, sizeof(*nb));

		list_del(&nb->list);
		bio->bi_status = status;
		bio_endio(bio);
	}
}

static bool nord_destage_wanted(struct nord_c *c)
{
	bool want;

	spin_lock(&c->lock);
	want = !c->crashed && (c->pressure ||
			       __nord_pending_upto(c, c->destage_upto));
	spin_unlock(&c->lock);
	return want;
}

static void nord_worker(struct work_struct *work)
{
	struct nord_c *c = container_of(to_delayed_work(work), struct nord_c,
				      dwork);
	bool left;

	if (c->destage_ms && time_after_eq(jiffies, c->next_tick)) {
		spin_lock(&c->lock);
		c->destage_upto = c->next_seq - 1;
		spin_unlock(&c->lock);
		c->next_tick = jiffies + msecs_to_jiffies(c->destage_ms);
	}

	/* Deferred bios first, and again after each batch made room. */
	mutex_lock(&c->destage_mutex);
	left = nord_run_deferred(c);
	while (nord_destage_wanted(c)) {
		nord_destage_batch(c);
		nord_end_flush_waiters(c);
		left = nord_run_deferred(c);
	}
	nord_end_flush_waiters(c);
	mutex_unlock(&c->destage_mutex);

	if (READ_ONCE(c->suspended))
		return;
	if (left) {
		/* Nothing to destage and still no room or memory: retry. */
		queue_delayed_work(c->wq, &c->dwork,
				   msecs_to_jiffies(NORD_RETRY_MS));
	} else if (c->destage_ms) {
		long delay = (long)(c->next_tick - jiffies);

		queue_delayed_work(c->wq, &c->dwork, max(delay, 1L));
	}
}

static void nord_kick(struct nord_c *c)
{
	if (!READ_ONCE(c->suspended))
		mod_delayed_work(c->wq, &c->dwork, 0);
}

/* Persists every write cached so far and flushes the device below. */
static int nord_drain(struct nord_c *c)
{
	int r = 0;

	mutex_lock(&c->destage_mutex);
	spin_lock(&c->lock);
	if (c->crashed)
		r = -EIO;
	else
		c->destage_upto = max(c->destage_upto, c->next_seq - 1);
	spin_unlock(&c->lock);
	while (!r && nord_destage_wanted(c))
		nord_destage_batch(c);
	if (!r) {
		spin_lock(&c->lock);
		if (c->wb_err) {
			c->wb_err = false;
			r = -EIO;
		}
		spin_unlock(&c->lock);
		if (!r)
			r = blkdev_issue_flush(c->dev->bdev);
	}
	nord_end_flush_waiters(c);
	mutex_unlock(&c->destage_mutex);
	return r;
}

/* ---- the power cut ---------------------------------------------------- */

enum nord_keep {
	NORD_KEEP_NONE,
	NORD_KEEP_ALL,
	NORD_KEEP_PREFIX,
	NORD_KEEP_RANDOM,
};

struct nord_crash_policy {
	enum nord_keep keep;
	u64 n;			/* prefix length or ppm */
	u64 seed;
};

/*
 * Cuts the power: writes already destaged stay, the unpersisted ones are
 * kept or dropped by @p (kept ones written in submission order, so the
 * newest kept data of a sector wins), and all I/O fails until revive.
 */
static int nord_crash(struct nord_c *c, const struct nord_crash_policy *p)
{
	u64 kept = 0, dropped = 0, idx = 0;
	struct nord_rec *rec, *tmp;
	struct rb_node *node;
	struct rnd_state rnd;
	LIST_HEAD(victims);
	LIST_HEAD(freed);
	int r = 0;

	spin_lock(&c->lock);
	if (c->crashed) {
		spin_unlock(&c->lock);
		return -EBUSY;
	}
	c->crashed = true;	/* from here every new bio fails */
	spin_unlock(&c->lock);
	nord_fail_deferred(c);	/* as the bios being mapped */

	/* Waits for a batch in flight: its writes are persisted. */
	mutex_lock(&c->destage_mutex);
	spin_lock(&c->lock);
	list_splice_init(&c->pending, &victims);
	while ((node = rb_first(&c->blocks))) {
		struct nord_blk *b = rb_entry(node, struct nord_blk, node);

		rb_erase(node, &c->blocks);
		list_add(&b->link, &freed);
	}
	c->nr_blks = 0;
	c->nr_pending = 0;
	c->cached_bytes = 0;
	c->pressure = false;
	c->wb_err = false;
	spin_unlock(&c->lock);
	nord_free_blks(c, &freed);
	nord_end_flush_waiters(c);	/* they fail: crashed */

	prandom_seed_state(&rnd, p->seed);
	list_for_each_entry_safe(rec, tmp, &victims, list) {
		bool keep;

		switch (p->keep) {
		case NORD_KEEP_ALL:
			keep = true;
			break;
		case NORD_KEEP_PREFIX:
			keep = idx < p->n;
			break;
		case NORD_KEEP_RANDOM:
			keep = prandom_u32_state(&rnd) % 1000000 < p->n;
			break;
		default:
			keep = false;
			break;
		}
		idx++;
		if (keep) {
			int w = nord_write_run(c, rec, 0, rec->nr_sectors,
						true);

			if (w && !r)
				r = w;
			kept++;
		} else {
			dropped++;
		}
		list_del_init(&rec->list);
		nord_rec_put(rec);
	}
	if (kept) {
		int f = blkdev_issue_flush(c->dev->bdev);

		if (f && !r)
			r = f;
	}
	spin_lock(&c->lock);
	c->st.crash_kept = kept;
	c->st.crash_dropped = dropped;
	spin_unlock(&c->lock);
	mutex_unlock(&c->destage_mutex);

	DMINFO("%s: crash: %llu unpersisted writes kept, %llu dropped",
	       nord_name(c), kept, dropped);
	if (r)
		DMERR("%s: crash: writing the kept writes failed (%d)",
		      nord_name(c), r);
	return r;
}

/* ---- I/O path --------------------------------------------------------- */

static u32 nord_log_flags(struct bio *bio)
{
	u32 f = 0;

	if (bio->bi_opf & REQ_FUA)
		f |= NOORDER_LOG_FUA;
	if (bio->bi_opf & REQ_META)
		f |= NOORDER_LOG_META;
	if (bio->bi_opf & REQ_SYNC)
		f |= NOORDER_LOG_SYNC;
	return f;
}

/*
 * Allocates @nr_blks index nodes on @spares without waiting; false when
 * memory is short (what it got stays on @spares for the caller to free).
 */
static bool nord_blks_alloc(struct nord_c *c, unsigned int nr_blks,
			    struct list_head *spares)
{
	unsigned int i;

	for (i = 0; i < nr_blks; i++) {
		struct nord_blk *b;

		b = kmem_cache_alloc(nord_blk_cache,
				     GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
		if (!b)
			b = mempool_alloc(&c->blk_pool,
					  GFP_NOWAIT | __GFP_NOWARN);
		if (!b)
			return false;
		list_add(&b->link, spares);
	}
	return true;
}

/*
 * Caches a write of @bio's first @nr sectors, or defers it when the cache
 * has no room for it or memory is short (see "deferred bios").  @worker:
 * called by nord_run_deferred(), not by ->map.
 */
static int nord_map_write(struct nord_c *c, struct bio *bio, sector_t sector,
			  bool worker)
{
	unsigned int nr = min_t(unsigned int, bio_sectors(bio),
				NORD_MAX_REC_SECTORS);
	u64 bytes = (u64)nr << SECTOR_SHIFT;
	unsigned int nr_blks = ((sector + nr - 1) >> NORD_BLK_SHIFT) -
			       (sector >> NORD_BLK_SHIFT) + 1;
	LIST_HEAD(spares);
	struct nord_bio *nb = dm_per_bio_data(bio, sizeof(*nb));
	bool fua = bio->bi_opf & REQ_FUA, hold = false, kick = false, mem;
	struct nord_logent *e = NULL;
	struct nord_rec *rec = NULL;
	int r;

	if (nr < bio_sectors(bio))
		dm_accept_partial_bio(bio, nr);	/* dm sends the rest again */
	spin_lock(&c->lock);
	if (c->crashed) {
		spin_unlock(&c->lock);
		return DM_MAPIO_KILL;
	}
	if (c->deferring && !worker) {
		r = __nord_defer(c, bio, false);
		spin_unlock(&c->lock);
		return r;
	}
	if (c->cached_bytes + c->reserved_bytes + bytes > c->limit_bytes) {
		c->pressure = true;	/* destage down to half */
		r = __nord_defer(c, bio, worker);
		spin_unlock(&c->lock);
		if (!worker)
			nord_kick(c);
		return r;
	}
	c->reserved_bytes += bytes;
	spin_unlock(&c->lock);

	rec = nord_rec_alloc(c, bio, sector, nr);
	mem = rec && nord_blks_alloc(c, nr_blks, &spares);
	if (mem)
		e = nord_logent_alloc(c);

	spin_lock(&c->lock);
	c->reserved_bytes -= bytes;
	if (c->crashed) {
		r = DM_MAPIO_KILL;
		goto out_undo;
	}
	if (!mem) {
		/* Destage returns pages and records for the retry. */
		c->pressure = true;
		r = __nord_defer(c, bio, worker);
		kick = !worker;
		goto out_undo;
	}
	rec->seq = c->next_seq++;
	list_add_tail(&rec->list, &c->pending);
	c->nr_pending++;
	c->cached_bytes += bytes;
	c->cached_bytes_max = max(c->cached_bytes_max, c->cached_bytes);
	c->st.writes++;
	__nord_index_write(c, rec, &spares);
	e = __nord_log_add(c, e, NOORDER_LOG_WRITE, nord_log_flags(bio), sector,
			   nr, rec);
	if (fua) {
		c->st.fuas++;
		if (c->honor) {
			nb->upto = rec->seq;
			list_add_tail(&nb->list, &c->flush_waiters);
			c->destage_upto = max(c->destage_upto, rec->seq);
			hold = kick = true;
		} else {
			c->st.fuas_ignored++;
		}
	}
	if (!c->pressure && c->cached_bytes > c->limit_bytes / 4 * 3)
		c->pressure = kick = true;
	if (c->deferring && !worker)
		kick = true;		/* space it reserved may be free now */
	spin_unlock(&c->lock);

	kfree(e);
	nord_free_blks(c, &spares);
	if (kick)
		nord_kick(c);
	if (!hold)
		bio_endio(bio);
	return DM_MAPIO_SUBMITTED;

out_undo:
	spin_unlock(&c->lock);
	if (rec)
		nord_rec_put(rec);
	kfree(e);
	nord_free_blks(c, &spares);
	if (kick)
		nord_kick(c);
	return r;
}

static int nord_map_flush(struct nord_c *c, struct bio *bio, bool worker)
{
	struct nord_bio *nb = dm_per_bio_data(bio, sizeof(*nb));
	struct nord_logent *e = nord_logent_alloc(c);
	bool err = false;
	int r;

	spin_lock(&c->lock);
	if (c->crashed || (c->deferring && !worker)) {
		r = c->crashed ? DM_MAPIO_KILL : __nord_defer(c, bio, false);
		spin_unlock(&c->lock);
		kfree(e);
		return r;
	}
	c->st.flushes++;
	e = __nord_log_add(c, e, NOORDER_LOG_FLUSH, 0, 0, 0, NULL);
	if (!c->honor) {
		c->st.flushes_ignored++;
		r = DM_MAPIO_SUBMITTED;
	} else if (__nord_pending_upto(c, c->next_seq - 1)) {
		/* Wait for the writes before it, then flush below. */
		nb->upto = c->next_seq - 1;
		list_add_tail(&nb->list, &c->flush_waiters);
		c->destage_upto = max(c->destage_upto, nb->upto);
		r = -1;
	} else {
		err = c->wb_err;
		c->wb_err = false;
		r = err ? DM_MAPIO_KILL : DM_MAPIO_REMAPPED;
	}
	spin_unlock(&c->lock);
	kfree(e);

	if (r == -1) {
		nord_kick(c);
		return DM_MAPIO_SUBMITTED;
	}
	if (r == DM_MAPIO_SUBMITTED)
		bio_endio(bio);
	else if (r == DM_MAPIO_REMAPPED)
		bio_set_dev(bio, c->dev->bdev);
	return r;
}

static int nord_map_discard(struct nord_c *c, struct bio *bio, sector_t sector,
			    bool worker)
{
	struct nord_logent *e = nord_logent_alloc(c);
	LIST_HEAD(freed);
	int r;

	spin_lock(&c->lock);
	if (c->crashed || (c->deferring && !worker)) {
		r = c->crashed ? DM_MAPIO_KILL : __nord_defer(c, bio, false);
		spin_unlock(&c->lock);
		kfree(e);
		return r;
	}
	c->st.discards++;
	__nord_index_forget(c, sector, sector + bio_sectors(bio), &freed);
	e = __nord_log_add(c, e, NOORDER_LOG_DISCARD, 0, sector,
			   bio_sectors(bio), NULL);
	spin_unlock(&c->lock);
	kfree(e);
	nord_free_blks(c, &freed);

	bio_set_dev(bio, c->dev->bdev);
	bio->bi_iter.bi_sector = c->start + sector;
	return DM_MAPIO_REMAPPED;
}

/*
 * Serves the first run of @bio's sectors that is either all cached or all
 * uncached; dm core sends the rest of the bio again.
 */
static int nord_map_read(struct nord_c *c, struct bio *bio, sector_t sector)
{
	unsigned int nr = bio_sectors(bio), run = 0;
	struct nord_blk *b = NULL;
	struct bvec_iter iter;
	struct bio_vec bv;
	bool cached = false;
	sector_t s;

	spin_lock(&c->lock);
	if (c->crashed) {
		spin_unlock(&c->lock);
		return DM_MAPIO_KILL;
	}
	c->st.reads++;
	if (RB_EMPTY_ROOT(&c->blocks) || !nr)
		goto below;

	for (s = sector; s < sector + nr; s++) {
		bool hit;

		if (!b || b->blk != s >> NORD_BLK_SHIFT)
			b = __nord_blk_find(c, s >> NORD_BLK_SHIFT);
		hit = b && b->src[s & (NORD_BLK_SECTORS - 1)];
		if (s == sector)
			cached = hit;
		else if (hit != cached)
			break;
		run++;
	}
	if (run < nr)
		dm_accept_partial_bio(bio, run);
	if (!cached)
		goto below;

	c->st.read_hits++;
	s = sector;
	b = NULL;
	bio_for_each_segment(bv, bio, iter) {
		char *dst = bvec_kmap_local(&bv);
		unsigned int done;

		for (done = 0; done < bv.bv_len; done += SECTOR_SIZE, s++) {
			if (!b || b->blk != s >> NORD_BLK_SHIFT)
				b = __nord_blk_find(c, s >> NORD_BLK_SHIFT);
			nord_rec_read_sector(b->src[s & (NORD_BLK_SECTORS - 1)],
					     s, dst + done);
		}
		kunmap_local(dst);
	}
	spin_unlock(&c->lock);
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;

below:
	spin_unlock(&c->lock);
	bio_set_dev(bio, c->dev->bdev);
	bio->bi_iter.bi_sector = c->start + sector;
	return DM_MAPIO_REMAPPED;
}

/* Maps @bio; @worker: a deferred bio, mapped by nord_run_deferred(). */
static int nord_map_bio(struct nord_c *c, struct bio *bio, bool worker)
{
	sector_t sector = dm_target_offset(c->ti, bio->bi_iter.bi_sector);

	if (op_is_flush(bio->bi_opf) && !bio_sectors(bio))
		return nord_map_flush(c, bio, worker);

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return nord_map_read(c, bio, sector);
	case REQ_OP_WRITE:
		return nord_map_write(c, bio, sector, worker);
	case REQ_OP_DISCARD:
		return nord_map_discard(c, bio, sector, worker);
	default:
		return DM_MAPIO_KILL;
	}
}

static int noorder_map(struct dm_target *ti, struct bio *bio)
{
	return nord_map_bio(ti->private, bio, false);
}

/*
 * Maps the deferred bios in arrival order as far as the cache and memory
 * allow; true when some are left.  Caller: the worker, destage_mutex held
 * (the batches that make the space cannot run meanwhile).
 */
static bool nord_run_deferred(struct nord_c *c)
{
	struct bio *bio;

	lockdep_assert_held(&c->destage_mutex);
	for (;;) {
		spin_lock(&c->lock);
		bio = bio_list_pop(&c->deferred);
		if (!bio)
			c->deferring = false;	/* the bio before is mapped */
		spin_unlock(&c->lock);
		if (!bio)
			return false;

		switch (nord_map_bio(c, bio, true)) {
		case DM_MAPIO_REMAPPED:
			dm_submit_bio_remap(bio, NULL);
			break;
		case DM_MAPIO_KILL:
			bio_io_error(bio);
			break;
		case NORD_MAPIO_RETRY:
			return true;
		default:
			break;		/* DM_MAPIO_SUBMITTED: ended or held */
		}
	}
}

/* ---- table ------------------------------------------------------------ */

static int nord_parse_feature(void *ctx, unsigned int f, const char *val,
			      struct dm_target *ti)
{
	struct nord_c *c = ctx;

	switch (f) {
	case NORD_FEAT_FLUSH:
		if (!strcasecmp(val, "honor")) {
			c->honor = true;
		} else if (!strcasecmp(val, "ignore")) {
			c->honor = false;
		} else {
			ti->error = "flush must be honor or ignore";
			return -EINVAL;
		}
		return 0;
	case NORD_FEAT_ORDER:
		for (c->order = NORD_FIFO; c->order <= NORD_REVERSE; c->order++)
			if (!strcasecmp(val, nord_order_names[c->order]))
				return 0;
		ti->error = "order must be fifo, random or reverse";
		return -EINVAL;
	case NORD_FEAT_SEED:
		if (nord_parse_u64(val, &c->seed)) {
			ti->error = "Invalid seed";
			return -EINVAL;
		}
		return 0;
	case NORD_FEAT_CACHE_MB:
		if (nord_parse_uint(val, NORD_MAX_CACHE_MB, &c->cache_mb) ||
		    !c->cache_mb) {
			ti->error = "cache_mb must be 1-1048576";
			return -EINVAL;
		}
		return 0;
	case NORD_FEAT_DESTAGE_MS:
		if (nord_parse_uint(val, NORD_MAX_DESTAGE_MS, &c->destage_ms)) {
			ti->error = "destage_ms must be 0-3600000";
			return -EINVAL;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

static int nord_parse_features(struct dm_arg_set *as, struct nord_c *c,
			       struct dm_target *ti)
{
	return strict_read_features(as, nord_feature_names, NORD_NR_FEATURES,
				    "Unrecognised feature (flush, order, seed, cache_mb, destage_ms)",
				    nord_parse_feature, c, c->features,
				    &c->nr_features, ti);
}

static void noorder_dtr(struct dm_target *ti)
{
	struct nord_c *c = ti->private;
	struct nord_rec *rec, *tmp;
	struct rb_node *node;

	nord_log_debugfs_remove(c);	/* waits for readers */
	if (c->wq) {
		WRITE_ONCE(c->suspended, true);
		cancel_delayed_work_sync(&c->dwork);
		destroy_workqueue(c->wq);
	}
	nord_fail_deferred(c);	/* none: dm waited for them before suspend */
	if (mempool_initialized(&c->page_pool)) {
		/* Normally empty: postsuspend drained the cache. */
		list_for_each_entry_safe(rec, tmp, &c->pending, list) {
			list_del(&rec->list);
			nord_rec_put(rec);
		}
		while ((node = rb_first(&c->blocks))) {
			rb_erase(node, &c->blocks);
			mempool_free(node, &c->blk_pool);
		}
		mutex_lock(&c->log_read_mutex);
		nord_log_clear(c, NORD_LOG_OFF);
		mutex_unlock(&c->log_read_mutex);
	}
	mempool_exit(&c->rec_pool);
	bioset_exit(&c->bs);
	mempool_exit(&c->blk_pool);
	nord_pages_drop(c);
	mempool_exit(&c->page_pool);
	if (c->dev)
		dm_put_device(ti, c->dev);
	kfree(c);
}

/*
 * Construct a noorder mapping:
 *   noorder <dev> <offset> [<#feature args> [flush ignore|honor]
 *           [order fifo|random|reverse] [seed <n>] [cache_mb <n>]
 *           [destage_ms <n>]]
 */
static int noorder_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as;
	struct nord_c *c;
	u64 tmp;
	int r;

	if (argc < 2) {
		ti->error = "Need <dev> <offset> [<#feature args> <features>...]";
		return -EINVAL;
	}

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = c;
	c->ti = ti;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->pending);
	INIT_LIST_HEAD(&c->flush_waiters);
	INIT_LIST_HEAD(&c->log);
	INIT_LIST_HEAD(&c->free_pages);
	spin_lock_init(&c->free_lock);
	c->blocks = RB_ROOT;
	bio_list_init(&c->deferred);
	mutex_init(&c->destage_mutex);
	mutex_init(&c->log_read_mutex);
	init_completion(&c->batch_done);
	INIT_DELAYED_WORK(&c->dwork, nord_worker);
	c->cache_mb = NORD_DEFAULT_CACHE_MB;
	c->order = NORD_FIFO;
	c->suspended = true;

	if (nord_parse_u64(argv[1], &tmp) || tmp != (sector_t)tmp ||
	    tmp + ti->len < tmp) {
		ti->error = "Invalid device offset";
		r = -EINVAL;
		goto bad;
	}
	c->start = tmp;

	as.argc = argc - 2;
	as.argv = argv + 2;
	r = nord_parse_features(&as, c, ti);
	if (r)
		goto bad;
	c->limit_bytes = (u64)c->cache_mb << 20;
	c->max_free = c->limit_bytes >> PAGE_SHIFT;
	prandom_seed_state(&c->order_rnd, c->seed);

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &c->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}
	if (ti->len > bdev_nr_sectors(c->dev->bdev) ||
	    c->start > bdev_nr_sectors(c->dev->bdev) - ti->len) {
		ti->error = "Device is too small for the offset and length";
		r = -EINVAL;
		goto bad;
	}

	r = mempool_init_page_pool(&c->page_pool, NORD_MIN_PAGES, 0);
	if (!r)
		r = mempool_init_slab_pool(&c->blk_pool, NORD_MIN_BLKS,
					   nord_blk_cache);
	if (!r)
		r = mempool_init_kmalloc_pool(&c->rec_pool, NORD_MIN_RECS,
					      nord_rec_size(NORD_MAX_REC_SECTORS));
	if (!r)
		r = bioset_init(&c->bs, NORD_BATCH, 0, BIOSET_NEED_BVECS);
	if (r) {
		ti->error = "Cannot allocate memory pools";
		goto bad;
	}
	c->wq = alloc_ordered_workqueue("dm-noorder/%s", WQ_MEM_RECLAIM,
					dm_device_name(dm_table_get_md(ti->table)));
	if (!c->wq) {
		ti->error = "Cannot allocate workqueue";
		r = -ENOMEM;
		goto bad;
	}

	nord_log_debugfs_add(c);

	ti->num_flush_bios = 1;
	ti->flush_supported = true;	/* we are a volatile write cache */
	ti->num_discard_bios = 1;
	ti->per_io_data_size = sizeof(struct nord_bio);
	return 0;

bad:
	noorder_dtr(ti);
	return r;
}

/* ---- suspend and resume ----------------------------------------------- */

static void noorder_postsuspend(struct dm_target *ti)
{
	struct nord_c *c = ti->private;
	int r;

	WRITE_ONCE(c->suspended, true);
	cancel_delayed_work_sync(&c->dwork);
	/* A clean suspend is not a power cut: persist the cache. */
	if (!READ_ONCE(c->crashed)) {
		r = nord_drain(c);
		if (r)
			DMERR("%s: destage on suspend failed (%d)",
			      nord_name(c), r);
	}
}

static void noorder_resume(struct dm_target *ti)
{
	struct nord_c *c = ti->private;

	WRITE_ONCE(c->suspended, false);
	c->next_tick = jiffies + msecs_to_jiffies(c->destage_ms);
	if (c->destage_ms)
		queue_delayed_work(c->wq, &c->dwork,
				   msecs_to_jiffies(c->destage_ms));
}

/* ---- messages --------------------------------------------------------- */

static int nord_msg_crash(struct nord_c *c, unsigned int argc, char **argv,
			  const char **err)
{
	struct nord_crash_policy p = {
		.keep = NORD_KEEP_NONE,
		.seed = c->seed,
	};
	bool seen_keep = false, seen_seed = false;
	unsigned int i = 1;

	while (i < argc) {
		if (!strcasecmp(argv[i], "keep") && !seen_keep && i + 1 < argc) {
			const char *k = argv[i + 1];

			seen_keep = true;
			i += 2;
			if (!strcasecmp(k, "none")) {
				p.keep = NORD_KEEP_NONE;
			} else if (!strcasecmp(k, "all")) {
				p.keep = NORD_KEEP_ALL;
			} else if (!strcasecmp(k, "prefix") && i < argc &&
				   !nord_parse_u64(argv[i], &p.n)) {
				p.keep = NORD_KEEP_PREFIX;
				i++;
			} else if (!strcasecmp(k, "random") && i < argc &&
				   !nord_parse_u64(argv[i], &p.n) &&
				   p.n <= 1000000) {
				p.keep = NORD_KEEP_RANDOM;
				i++;
			} else {
				*err = "keep takes none, all, prefix <n> or random <ppm 0-1000000>";
				return -EINVAL;
			}
		} else if (!strcasecmp(argv[i], "seed") && !seen_seed &&
			   i + 1 < argc) {
			if (nord_parse_u64(argv[i + 1], &p.seed)) {
				*err = "Invalid seed";
				return -EINVAL;
			}
			seen_seed = true;
			i += 2;
		} else {
			*err = "Usage: crash [keep none|all|prefix <n>|random <ppm>] [seed <n>]";
			return -EINVAL;
		}
	}
	if (nord_crash(c, &p) == -EBUSY) {
		*err = "Already crashed (revive first)";
		return -EBUSY;
	}
	return 0;
}

/*
 * A refused message says why in the kernel log: up to 100 every 5 s, so
 * that a script looping over bad messages cannot flood it.
 */
static DEFINE_RATELIMIT_STATE(nord_msg_rs, 5 * HZ, 100);

static int noorder_message(struct dm_target *ti, unsigned int argc,
			   char **argv, char *result, unsigned int maxlen)
{
	struct nord_c *c = ti->private;
	const char *err = "Unknown message (crash, revive, drain, log)";
	int r = -EINVAL;

	if (!argc)
		goto out;
	if (!strcasecmp(argv[0], "crash")) {
		r = nord_msg_crash(c, argc, argv, &err);
	} else if (!strcasecmp(argv[0], "revive") && argc == 1) {
		spin_lock(&c->lock);
		if (c->crashed) {
			c->crashed = false;
			r = 0;
		} else {
			err = "Not crashed";
		}
		spin_unlock(&c->lock);
	} else if (!strcasecmp(argv[0], "drain") && argc == 1) {
		r = nord_drain(c);
		if (r)
			err = r == -EIO ? "Crashed or a destage write failed" :
					  "Flushing the device below failed";
	} else if (!strcasecmp(argv[0], "log")) {
		r = nord_msg_log(c, argc, argv, result, maxlen, &err);
	}
out:
	if (r < 0 && __ratelimit(&nord_msg_rs))
		DMWARN("%s: %s: %s", nord_name(c), argc ? argv[0] : "", err);
	return r;
}

/* ---- status ----------------------------------------------------------- */

static void nord_emit_table(struct nord_c *c, char *result, unsigned int maxlen)
{
	unsigned int i, sz = 0;

	DMEMIT("%s %llu", c->dev->name, (unsigned long long)c->start);
	if (!c->nr_features)
		return;
	DMEMIT(" %u", 2 * c->nr_features);
	for (i = 0; i < c->nr_features; i++) {
		const char *n = nord_feature_names[c->features[i]];

		switch (c->features[i]) {
		case NORD_FEAT_FLUSH:
			DMEMIT(" %s %s", n, c->honor ? "honor" : "ignore");
			break;
		case NORD_FEAT_ORDER:
			DMEMIT(" %s %s", n, nord_order_names[c->order]);
			break;
		case NORD_FEAT_SEED:
			DMEMIT(" %s %llu", n, (unsigned long long)c->seed);
			break;
		case NORD_FEAT_CACHE_MB:
			DMEMIT(" %s %u", n, c->cache_mb);
			break;
		default:
			DMEMIT(" %s %u", n, c->destage_ms);
			break;
		}
	}
}

static void nord_emit_info(struct nord_c *c, char *result, unsigned int maxlen)
{
	static const unsigned char kinds[] = { STATUS_NOORDER(DMST_KIND) };
	struct dm_status_val v[NORD_STATUS_NR] = { };
	unsigned int sz = 0;
	struct nord_stats st;
	bool crashed;
	enum nord_log_state ls;

	BUILD_BUG_ON(ARRAY_SIZE(kinds) != NORD_STATUS_NR);
	spin_lock(&c->lock);
	st = c->st;
	v[NORD_STATUS_cached_writes].a = c->nr_pending;
	v[NORD_STATUS_cached_bytes].a = c->cached_bytes;
	v[NORD_STATUS_cached_bytes_max].a = c->cached_bytes_max;
	v[NORD_STATUS_cached_blocks].a = c->nr_blks;
	crashed = c->crashed;
	ls = c->log_state;
	v[NORD_STATUS_log_records].a = c->log_records;
	v[NORD_STATUS_log_bytes].a = c->log_bytes;
	spin_unlock(&c->lock);

	v[NORD_STATUS_reads].a = st.reads;
	v[NORD_STATUS_writes].a = st.writes;
	v[NORD_STATUS_read_hits].a = st.read_hits;
	v[NORD_STATUS_destaged].a = st.destaged;
	v[NORD_STATUS_flushes].a = st.flushes;
	v[NORD_STATUS_flushes_ignored].a = st.flushes_ignored;
	v[NORD_STATUS_fuas].a = st.fuas;
	v[NORD_STATUS_fuas_ignored].a = st.fuas_ignored;
	v[NORD_STATUS_discards].a = st.discards;
	v[NORD_STATUS_crash_kept].a = st.crash_kept;
	v[NORD_STATUS_crash_dropped].a = st.crash_dropped;
	v[NORD_STATUS_flush].w = c->honor ? "honor" : "ignore";
	v[NORD_STATUS_crash_state].w = crashed ? "crashed" : "live";
	v[NORD_STATUS_log_state].w = nord_log_state_names[ls];
	v[NORD_STATUS_deferred].a = st.deferred;
	dm_status_emit(result, maxlen, &sz, kinds, v, NORD_STATUS_NR);
}

static void noorder_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result,
			   unsigned int maxlen)
{
	struct nord_c *c = ti->private;

	switch (type) {
	case STATUSTYPE_INFO:
		nord_emit_info(c, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		nord_emit_table(c, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int noorder_iterate_devices(struct dm_target *ti,
				   iterate_devices_callout_fn fn, void *data)
{
	struct nord_c *c = ti->private;

	return fn(ti, c->dev, c->start, ti->len, data);
}

static struct target_type noorder_target = {
	.name = "noorder",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = noorder_ctr,
	.dtr = noorder_dtr,
	.map = noorder_map,
	.postsuspend = noorder_postsuspend,
	.resume = noorder_resume,
	.status = noorder_status,
	.message = noorder_message,
	.iterate_devices = noorder_iterate_devices,
};

static int __init dm_noorder_init(void)
{
	int r;

	/* The log's record header is an ABI: crashtest reads it. */
	BUILD_BUG_ON(sizeof(struct noorder_log_rec) != NOORDER_LOG_REC_SIZE);
	nord_blk_cache = KMEM_CACHE(nord_blk, 0);
	if (!nord_blk_cache)
		return -ENOMEM;
	nord_log_debugfs_init();
	r = dm_register_target(&noorder_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		nord_log_debugfs_exit();
		kmem_cache_destroy(nord_blk_cache);
	}
	return r;
}

static void __exit dm_noorder_exit(void)
{
	dm_unregister_target(&noorder_target);
	nord_log_debugfs_exit();
	kmem_cache_destroy(nord_blk_cache);
}

module_init(dm_noorder_init);
module_exit(dm_noorder_exit);

MODULE_DESCRIPTION(DM_NAME " untrusted device: volatile write cache that reorders, may ignore flushes and keeps a subset on a power cut");
MODULE_AUTHOR("The dm-noorder authors");
MODULE_LICENSE("GPL");
