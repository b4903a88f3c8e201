// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: commits, the engine's side of persistence.
 *
 * The maps are kept in memory; every change marks its map entry dirty.  A
 * commit (on a vdisk FLUSH or FUA write, every second when anything is
 * dirty, on suspend, and when space runs out) takes the dirty entries'
 * values in one step under the pool lock, flushes the data device (so
 * every data write those values point at is durable), then has meta.c
 * write them as one log batch with FUA, or a whole checkpoint when the
 * log has no room.  Blocks freed before the commit are handed to the
 * allocator only after it, so a committed map never points at a block
 * that was reused.
 *
 * Its I/O goes to the devices of the pool's tables (p->data, p->meta), as
 * all the pool's I/O does; once the pool is suspended only the commit of
 * the suspend itself (and a "commit" message) writes there.
 */

#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/vmalloc.h>

#include "subsist.h"

#define DM_MSG_PREFIX "subsist"

static void ss_fail(struct ss_pool *p, int r)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	p->mode = SS_MODE_RO;
	spin_unlock_irqrestore(&p->lock, flags);
	DMERR("%s: metadata write failed (%d): the pool is read-only; reload it to recover from the last commit",
	      p->name, r);
}

static void ss_end_waiters(struct bio_list *waiters, blk_status_t st)
{
	struct bio *bio;

	while ((bio = bio_list_pop(waiters))) {
		bio->bi_status = st;
		bio_endio(bio);
	}
}

/* What one commit takes from the pool in one instant. */
struct ss_snap {
	void *buf;			/* records or checkpoint for meta.c */
	bool ckpt;
	u64 nrecs;
	u32 ph, pt, pn;			/* the blocks it frees */
};

/*
 * Takes the dirty entries (or, when the log has no room for them, the
 * whole map), the pending frees and the waiting flushes in one locked
 * step.  0, or -ENOMEM (the waiters wait for the next commit), or -EIO
 * when the pool is read-only (the waiters, moved to @waiters, fail).
 */
static int ss_snapshot(struct ss_pool *p, struct ss_snap *sn,
		       struct bio_list *waiters)
{
	struct ss_meta *mt = p->mt;
	u64 cap, g;

	for (;;) {
		cap = READ_ONCE(p->nr_dirty) + 64;
		sn->ckpt = cap > ss_meta_log_room(mt);
		sn->buf = vzalloc(ss_meta_buf_size(mt, sn->ckpt, cap));
		if (!sn->buf)
			return -ENOMEM;
		spin_lock_irq(&p->lock);
		if (p->mode == SS_MODE_RO) {
			bio_list_merge(waiters, &p->commit_waiters);
			bio_list_init(&p->commit_waiters);
			spin_unlock_irq(&p->lock);
			return -EIO;
		}
		if (sn->ckpt || p->nr_dirty <= cap)
			break;
		spin_unlock_irq(&p->lock);
		vfree(sn->buf);
	}

	bio_list_merge(waiters, &p->commit_waiters);
	bio_list_init(&p->commit_waiters);
	sn->nrecs = 0;
	if (sn->ckpt) {
		ss_meta_fill_ckpt(mt, sn->buf, p->map, p->mask, p->key);
	} else {
		for_each_set_bit(g, p->dirty, p->prm.nr_lblocks) {
			u32 e = p->map[g];

			ss_meta_set_rec(sn->buf, sn->nrecs++, g, e,
					e ? p->key[e - 1] : 0);
		}
	}
	bitmap_zero(p->dirty, p->prm.nr_lblocks);
	p->nr_dirty = 0;
	sn->ph = p->pend_head;
	sn->pt = p->pend_tail;
	sn->pn = p->nr_pend;
	p->pend_head = SS_NIL;
	p->pend_tail = SS_NIL;
	p->nr_pend = 0;
	spin_unlock_irq(&p->lock);
	return 0;
}

/*
 * Commits the dirty map entries.  So that nothing reaches the data device
 * while the pool is suspended, a commit asked for in the background (@now
 * false: the worker, the periodic commit, a vdisk flush) waits for the
 * resume: it returns -EAGAIN and leaves the flushes waiting for it queued
 * (the resume commits).  With no pool table bound (another target loaded
 * into the pool device) nothing can be written: -ENODEV, and the waiting
 * flushes fail.
 */
int ss_commit(struct ss_pool *p, bool now)
{
	struct ss_snap sn = { };
	struct bio_list waiters;
	int r;

	bio_list_init(&waiters);
	mutex_lock(&p->commit_mutex);
	if (!p->data) {
		spin_lock_irq(&p->lock);
		bio_list_merge(&waiters, &p->commit_waiters);
		bio_list_init(&p->commit_waiters);
		spin_unlock_irq(&p->lock);
		r = -ENODEV;
		goto out;
	}
	if (p->suspended && !now) {
		r = -EAGAIN;
		goto out;
	}
	r = ss_snapshot(p, &sn, &waiters);
	if (r)
		goto out;

	/* The data the maps point at first, then the maps. */
	r = blkdev_issue_flush(p->data);
	if (!r)
		r = sn.ckpt ? ss_meta_write_ckpt(p->mt, p->meta, sn.buf) :
			      ss_meta_write_log(p->mt, p->meta, sn.buf,
						sn.nrecs);
	if (r) {
		ss_fail(p, r);
		goto out;
	}
	spin_lock_irq(&p->lock);
	p->commits++;
	spin_unlock_irq(&p->lock);
	if (sn.pn)
		ss_defer_frees(p, sn.ph, sn.pt, sn.pn);
out:
	mutex_unlock(&p->commit_mutex);
	vfree(sn.buf);
	ss_end_waiters(&waiters, r ? BLK_STS_IOERR : BLK_STS_OK);
	return r;
}

void ss_commit_work(struct work_struct *work)
{
	ss_commit(container_of(work, struct ss_pool, commit_work), false);
}

void ss_periodic(struct work_struct *work)
{
	struct ss_pool *p = container_of(to_delayed_work(work), struct ss_pool,
					 periodic);

	if (READ_ONCE(p->nr_dirty) || READ_ONCE(p->nr_pend))
		ss_commit(p, false);
	queue_delayed_work(p->wq, &p->periodic, HZ);
}
