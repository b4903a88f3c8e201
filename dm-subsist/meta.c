// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: persistent, crash-consistent metadata on a meta_dev.
 *
 * The maps are kept in memory; every change marks its map entry dirty.  A
 * commit (on a vdisk FLUSH or FUA write, every second when anything is
 * dirty, on suspend, and when space runs out) takes the dirty entries'
 * values in one step under the pool lock, flushes the data device (so
 * every data write those values point at is durable), then writes them
 * as one batch of log blocks with FUA.  Blocks freed before the commit
 * are handed to the allocator only after it, so a committed map never
 * points at a block that was reused.  When the log is full, the whole
 * map is written to the other checkpoint slot instead and a new
 * superblock starts a new log.  See subsist_disk.h for the format.
 */

#include <linux/bio.h>
#include <linux/crc32c.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "subsist.h"
#include "subsist_disk.h"

#define DM_MSG_PREFIX "subsist"

struct ss_meta {
	u64 uuid;
	u64 ckpt_blocks, log_start, log_blocks;
	u64 sb_seq;			/* of the current superblock */
	unsigned int ckpt_slot;
	u64 log_seq0;			/* first log seq after the checkpoint */
	u64 next_seq;			/* next log block's seq */
};

static u64 ss_ckpt_start(struct ss_meta *mt, unsigned int slot)
{
	return 2 + slot * mt->ckpt_blocks;
}

/* Reads or writes @nr metadata blocks from @block; @buf is page-aligned. */
static int ss_meta_io(struct ss_pool *p, blk_opf_t opf, u64 block, void *buf,
		      u64 nr)
{
	BUILD_BUG_ON(PAGE_SIZE != SS_META_BLOCK);
	/* The format of subsist_disk.h: these sizes are on disk. */
	BUILD_BUG_ON(sizeof(struct ss_disk_sb) != 80);
	BUILD_BUG_ON(sizeof(struct ss_disk_rec) != 16);
	BUILD_BUG_ON(sizeof(struct ss_disk_log) != 40);
	BUILD_BUG_ON(SS_RECS_PER_BLOCK != 253);
	while (nr) {
		unsigned int i, n = min_t(u64, nr, BIO_MAX_VECS);
		struct bio *bio = bio_alloc(p->meta, n, opf, GFP_NOIO);
		int r;

		bio->bi_iter.bi_sector = block << (PAGE_SHIFT - SECTOR_SHIFT);
		for (i = 0; i < n; i++, buf += PAGE_SIZE)
			__bio_add_page(bio, is_vmalloc_addr(buf) ?
				       vmalloc_to_page(buf) : virt_to_page(buf),
				       PAGE_SIZE, 0);
		r = submit_bio_wait(bio);
		bio_put(bio);
		if (r)
			return r;
		block += n;
		nr -= n;
	}
	return 0;
}

static u32 ss_block_crc(void *block, __le32 *field)
{
	u32 crc;

	*field = 0;
	crc = crc32c(~0U, block, SS_META_BLOCK);
	return crc;
}

static void ss_fill_sb(struct ss_pool *p, struct ss_disk_sb *sb, u64 seq,
		       unsigned int slot, u32 ckpt_crc, u64 log_seq)
{
	struct ss_meta *mt = p->mt;

	memset(sb, 0, SS_META_BLOCK);
	sb->magic = cpu_to_le32(SS_SB_MAGIC);
	sb->version = cpu_to_le32(SS_META_VERSION);
	sb->block_size = cpu_to_le32(p->block_size);
	sb->seq = cpu_to_le64(seq);
	sb->uuid = cpu_to_le64(mt->uuid);
	sb->vdisk_sectors = cpu_to_le64(p->vdisk_sectors);
	sb->nr_vdisks = cpu_to_le32(p->nr_vdisks);
	sb->nr_blocks = cpu_to_le32(p->nr_blocks);
	sb->hash = cpu_to_le32(p->hash);
	sb->merge = cpu_to_le32(p->merge);
	sb->ckpt_slot = cpu_to_le32(slot);
	sb->ckpt_crc = cpu_to_le32(ckpt_crc);
	sb->ckpt_blocks = cpu_to_le64(mt->ckpt_blocks);
	sb->log_seq = cpu_to_le64(log_seq);
	sb->crc = cpu_to_le32(ss_block_crc(sb, &sb->crc));
}

/* Fills a checkpoint image from the maps; caller holds p->lock. */
static void __ss_fill_ckpt(struct ss_pool *p, __le32 *buf)
{
	u64 i;
	u32 b;

	lockdep_assert_held(&p->lock);
	for (i = 0; i < p->nr_lblocks; i++)
		buf[i] = cpu_to_le32(p->map[i]);
	for (b = 0; b < p->nr_blocks; b++)
		buf[p->nr_lblocks + b] = cpu_to_le32((p->mask[b] & SS_VMASK) ?
						     p->key[b] : 0);
}

/* Writes checkpoint @buf to the free slot, then a superblock naming it. */
static int ss_write_ckpt(struct ss_pool *p, void *buf, void *sbbuf)
{
	struct ss_meta *mt = p->mt;
	unsigned int slot = !mt->ckpt_slot;
	u32 crc = crc32c(~0U, buf, mt->ckpt_blocks * SS_META_BLOCK);
	int r;

	r = ss_meta_io(p, REQ_OP_WRITE, ss_ckpt_start(mt, slot), buf,
		       mt->ckpt_blocks);
	if (!r)
		r = blkdev_issue_flush(p->meta);
	if (r)
		return r;
	ss_fill_sb(p, sbbuf, mt->sb_seq + 1, slot, crc, mt->next_seq);
	r = ss_meta_io(p, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC,
		       (mt->sb_seq + 1) & 1, sbbuf, 1);
	if (r)
		return r;
	mt->sb_seq++;
	mt->ckpt_slot = slot;
	mt->log_seq0 = mt->next_seq;
	return 0;
}

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

/*
 * Commits the dirty map entries.  Its I/O goes straight to the devices
 * of the pool's tables (p->data, p->meta), never through the pool's dm
 * device: the commit at postsuspend runs while that device is suspended,
 * and I/O sent through it would wait for the resume.  So that nothing
 * reaches the data device while the pool is suspended, a commit asked
 * for in the background (@now false: the worker, the periodic commit, a
 * vdisk flush) waits for the resume: it returns -EAGAIN and leaves the
 * flushes waiting for it queued (the resume commits).  With no pool table
 * bound (another target loaded into the pool device) nothing can be
 * written: -ENODEV, and the waiting flushes fail.
 */
int ss_commit(struct ss_pool *p, bool now)
{
	struct ss_meta *mt = p->mt;
	struct bio_list waiters;
	u32 ph, pt, pn;
	void *buf = NULL, *sbbuf = NULL;
	u64 cap, n = 0, nblk, left;
	bool ckpt;
	int r = 0;

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
	sbbuf = kmalloc(SS_META_BLOCK, GFP_NOIO);
	if (!sbbuf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		cap = READ_ONCE(p->nr_dirty) + 64;
		nblk = DIV_ROUND_UP(cap, SS_RECS_PER_BLOCK);
		left = mt->log_blocks - (mt->next_seq - mt->log_seq0);
		ckpt = nblk > left;
		buf = vzalloc((ckpt ? mt->ckpt_blocks : nblk) * SS_META_BLOCK);
		if (!buf) {
			r = -ENOMEM;	/* the waiters wait for the next one */
			goto out;
		}
		spin_lock_irq(&p->lock);
		if (p->mode == SS_MODE_RO) {
			bio_list_merge(&waiters, &p->commit_waiters);
			bio_list_init(&p->commit_waiters);
			spin_unlock_irq(&p->lock);
			r = -EIO;
			goto out;
		}
		if (ckpt || p->nr_dirty <= cap)
			break;
		spin_unlock_irq(&p->lock);
		vfree(buf);
	}

	/* One instant: these values, these frees, these waiters. */
	bio_list_merge(&waiters, &p->commit_waiters);
	bio_list_init(&p->commit_waiters);
	if (ckpt) {
		__ss_fill_ckpt(p, buf);
	} else {
		u64 g;

		for_each_set_bit(g, p->dirty, p->nr_lblocks) {
			struct ss_disk_log *lb = buf + (n / SS_RECS_PER_BLOCK) *
							SS_META_BLOCK;
			struct ss_disk_rec *rec = &lb->recs[n % SS_RECS_PER_BLOCK];
			u32 e = p->map[g];

			rec->lblock = cpu_to_le32(g);
			rec->pblock = cpu_to_le32(e);
			rec->key = cpu_to_le32(e ? p->key[e - 1] : 0);
			n++;
		}
	}
	bitmap_zero(p->dirty, p->nr_lblocks);
	p->nr_dirty = 0;
	ph = p->pend_head;
	pt = p->pend_tail;
	pn = p->nr_pend;
	p->pend_head = SS_NIL;
	p->pend_tail = SS_NIL;
	p->nr_pend = 0;
	spin_unlock_irq(&p->lock);

	/* The data the maps point at first, then the maps. */
	r = blkdev_issue_flush(p->data);
	if (r)
		goto fail;
	if (ckpt) {
		r = ss_write_ckpt(p, buf, sbbuf);
	} else if (n) {
		u64 i;

		nblk = DIV_ROUND_UP(n, SS_RECS_PER_BLOCK);
		for (i = 0; i < nblk; i++) {
			struct ss_disk_log *lb = buf + i * SS_META_BLOCK;

			lb->magic = cpu_to_le32(SS_LOG_MAGIC);
			lb->uuid = cpu_to_le64(mt->uuid);
			lb->seq = cpu_to_le64(mt->next_seq + i);
			lb->batch = cpu_to_le64(mt->next_seq);
			lb->batch_len = cpu_to_le32(nblk);
			lb->nr_recs = cpu_to_le32(min_t(u64, n - i * SS_RECS_PER_BLOCK,
							SS_RECS_PER_BLOCK));
			lb->crc = cpu_to_le32(ss_block_crc(lb, &lb->crc));
		}
		r = ss_meta_io(p, REQ_OP_WRITE | REQ_FUA | REQ_SYNC,
			       mt->log_start + (mt->next_seq - mt->log_seq0),
			       buf, nblk);
		if (!r)
			mt->next_seq += nblk;
	}
	if (r)
		goto fail;
	spin_lock_irq(&p->lock);
	p->commits++;
	spin_unlock_irq(&p->lock);
	if (pn)
		ss_defer_frees(p, ph, pt, pn);
	goto out;

fail:
	ss_fail(p, r);
out:
	mutex_unlock(&p->commit_mutex);
	vfree(buf);
	kfree(sbbuf);
	ss_end_waiters(&waiters, r ? BLK_STS_IOERR : BLK_STS_OK);
	return r;
}

/* ---- loading ---------------------------------------------------------- */

enum ss_sb_state { SS_SB_ZERO, SS_SB_VALID, SS_SB_BAD };

static enum ss_sb_state ss_check_sb(struct ss_disk_sb *sb)
{
	u32 crc = le32_to_cpu(sb->crc);

	if (!memchr_inv(sb, 0, SS_META_BLOCK))
		return SS_SB_ZERO;
	if (le32_to_cpu(sb->magic) != SS_SB_MAGIC ||
	    le32_to_cpu(sb->version) != SS_META_VERSION ||
	    ss_block_crc(sb, &sb->crc) != crc)
		return SS_SB_BAD;
	sb->crc = cpu_to_le32(crc);
	return SS_SB_VALID;
}

static int ss_sb_matches(struct ss_pool *p, struct ss_disk_sb *sb)
{
	return le32_to_cpu(sb->block_size) == p->block_size &&
	       le64_to_cpu(sb->vdisk_sectors) == p->vdisk_sectors &&
	       le32_to_cpu(sb->nr_vdisks) == p->nr_vdisks &&
	       le32_to_cpu(sb->nr_blocks) == p->nr_blocks &&
	       le32_to_cpu(sb->hash) == p->hash &&
	       le32_to_cpu(sb->merge) == p->merge &&
	       le64_to_cpu(sb->ckpt_blocks) == p->mt->ckpt_blocks;
}

static bool ss_log_block_ok(struct ss_meta *mt, struct ss_disk_log *lb,
			    u64 seq, u64 batch)
{
	u32 crc = le32_to_cpu(lb->crc);

	if (le32_to_cpu(lb->magic) != SS_LOG_MAGIC ||
	    le64_to_cpu(lb->uuid) != mt->uuid ||
	    le64_to_cpu(lb->seq) != seq || le64_to_cpu(lb->batch) != batch ||
	    le32_to_cpu(lb->nr_recs) > SS_RECS_PER_BLOCK ||
	    ss_block_crc(lb, &lb->crc) != crc)
		return false;
	lb->crc = cpu_to_le32(crc);
	return true;
}

/* Applies the complete batches of the log after the checkpoint. */
static int ss_replay(struct ss_pool *p, char **error)
{
	struct ss_meta *mt = p->mt;
	u64 seq = mt->log_seq0, used = 0, batches = 0, recs = 0;
	void *first = kmalloc(SS_META_BLOCK, GFP_KERNEL);
	void *buf = NULL;
	int r = 0;

	if (!first) {
		*error = "Cannot allocate memory to read the log";
		return -ENOMEM;
	}
	while (used < mt->log_blocks) {
		u64 len, i;

		if (ss_meta_io(p, REQ_OP_READ, mt->log_start + used, first, 1) ||
		    !ss_log_block_ok(mt, first, seq, seq))
			break;
		len = le32_to_cpu(((struct ss_disk_log *)first)->batch_len);
		if (!len || len > mt->log_blocks - used)
			break;
		buf = vmalloc(len * SS_META_BLOCK);
		if (!buf) {
			*error = "Cannot allocate memory to read the log";
			r = -ENOMEM;
			goto out;
		}
		/* A batch counts only if every one of its blocks is valid. */
		if (ss_meta_io(p, REQ_OP_READ, mt->log_start + used, buf, len))
			break;
		for (i = 0; i < len; i++)
			if (!ss_log_block_ok(mt, buf + i * SS_META_BLOCK,
					     seq + i, seq))
				goto end;
		for (i = 0; i < len; i++) {
			struct ss_disk_log *lb = buf + i * SS_META_BLOCK;
			unsigned int j, nr = le32_to_cpu(lb->nr_recs);

			for (j = 0; j < nr; j++) {
				u64 g = le32_to_cpu(lb->recs[j].lblock);
				u32 e = le32_to_cpu(lb->recs[j].pblock);

				if (g >= p->nr_lblocks || e > p->nr_blocks) {
					*error = "Metadata log record out of range (corrupt meta_dev)";
					r = -EUCLEAN;
					goto out;
				}
				p->map[g] = e;
				if (e)
					p->key[e - 1] = le32_to_cpu(lb->recs[j].key);
			}
			recs += nr;
		}
		vfree(buf);
		buf = NULL;
		batches++;
		used += len;
		seq += len;
	}
end:
	mt->next_seq = seq;
	DMINFO("%s: replayed %llu log batches (%llu records)", p->name,
	       batches, recs);
out:
	vfree(buf);
	kfree(first);
	return r;
}

static int ss_format(struct ss_pool *p, void *sbbuf)
{
	struct ss_meta *mt = p->mt;
	void *buf = vzalloc(mt->ckpt_blocks * SS_META_BLOCK);
	u32 crc;
	int r;

	if (!buf)
		return -ENOMEM;
	get_random_bytes(&mt->uuid, sizeof(mt->uuid));
	crc = crc32c(~0U, buf, mt->ckpt_blocks * SS_META_BLOCK);
	r = ss_meta_io(p, REQ_OP_WRITE, ss_ckpt_start(mt, 0), buf,
		       mt->ckpt_blocks);
	vfree(buf);
	if (!r)
		r = blkdev_issue_flush(p->meta);
	if (r)
		return r;
	mt->sb_seq = 1;
	mt->ckpt_slot = 0;
	mt->log_seq0 = 1;
	mt->next_seq = 1;
	ss_fill_sb(p, sbbuf, 1, 0, crc, 1);
	r = ss_meta_io(p, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC, 1,
		       sbbuf, 1);
	if (!r)
		DMINFO("%s: new pool on the metadata device", p->name);
	return r;
}

/* Loads the checkpoint named by @sb into map[] and key[]. */
static int ss_load_ckpt(struct ss_pool *p, struct ss_disk_sb *sb,
			char **error)
{
	struct ss_meta *mt = p->mt;
	unsigned int slot = le32_to_cpu(sb->ckpt_slot);
	__le32 *buf;
	u64 i;
	u32 b;
	int r;

	if (slot > 1) {
		*error = "Superblock names a checkpoint slot that does not exist (corrupt meta_dev)";
		return -EUCLEAN;
	}
	buf = vmalloc(mt->ckpt_blocks * SS_META_BLOCK);
	if (!buf) {
		*error = "Cannot allocate memory to read the checkpoint";
		return -ENOMEM;
	}
	r = ss_meta_io(p, REQ_OP_READ, ss_ckpt_start(mt, slot), buf,
		       mt->ckpt_blocks);
	if (r) {
		*error = "Cannot read the checkpoint from meta_dev";
		goto out;
	}
	if (crc32c(~0U, buf, mt->ckpt_blocks * SS_META_BLOCK) !=
	    le32_to_cpu(sb->ckpt_crc)) {
		*error = "Checkpoint checksum mismatch (corrupt meta_dev)";
		r = -EUCLEAN;
		goto out;
	}
	for (i = 0; i < p->nr_lblocks; i++) {
		p->map[i] = le32_to_cpu(buf[i]);
		if (p->map[i] > p->nr_blocks) {
			*error = "Checkpoint entry out of range (corrupt meta_dev)";
			r = -EUCLEAN;
			goto out;
		}
	}
	for (b = 0; b < p->nr_blocks; b++)
		p->key[b] = le32_to_cpu(buf[p->nr_lblocks + b]);
	mt->ckpt_slot = slot;
	mt->sb_seq = le64_to_cpu(sb->seq);
	mt->log_seq0 = le64_to_cpu(sb->log_seq);
	mt->uuid = le64_to_cpu(sb->uuid);
out:
	vfree(buf);
	return r;
}

int ss_meta_open(struct ss_pool *p, char **error)
{
	struct ss_disk_sb *sb[2] = { }, *best = NULL;
	enum ss_sb_state st[2];
	u64 meta_blocks = bdev_nr_sectors(p->meta) >> (PAGE_SHIFT - SECTOR_SHIFT);
	struct ss_meta *mt;
	unsigned int i;
	int r;

	mt = kzalloc(sizeof(*mt), GFP_KERNEL);
	if (!mt) {
		*error = "Cannot allocate metadata state";
		return -ENOMEM;
	}
	p->mt = mt;
	mt->ckpt_blocks = DIV_ROUND_UP((p->nr_lblocks + p->nr_blocks) * 4,
				       SS_META_BLOCK);
	mt->log_start = 2 + 2 * mt->ckpt_blocks;
	if (meta_blocks < mt->log_start + SS_MIN_LOG_BLOCKS) {
		DMERR("%s: meta_dev has %llu sectors; this pool needs at least %llu",
		      p->name, meta_blocks << 3,
		      (mt->log_start + SS_MIN_LOG_BLOCKS) << 3);
		*error = "meta_dev is too small (the kernel log says how large it must be)";
		r = -ENOSPC;
		goto bad;
	}
	mt->log_blocks = meta_blocks - mt->log_start;
	p->dirty = kvcalloc(BITS_TO_LONGS(p->nr_lblocks), sizeof(long),
			    GFP_KERNEL);
	sb[0] = kmalloc(SS_META_BLOCK, GFP_KERNEL);
	sb[1] = kmalloc(SS_META_BLOCK, GFP_KERNEL);
	if (!p->dirty || !sb[0] || !sb[1]) {
		*error = "Cannot allocate metadata state";
		r = -ENOMEM;
		goto bad;
	}
	for (i = 0; i < 2; i++) {
		r = ss_meta_io(p, REQ_OP_READ, i, sb[i], 1);
		if (r) {
			*error = "Cannot read the superblocks from meta_dev";
			goto bad;
		}
		st[i] = ss_check_sb(sb[i]);
		if (st[i] == SS_SB_VALID &&
		    (!best || le64_to_cpu(sb[i]->seq) > le64_to_cpu(best->seq)))
			best = sb[i];
	}
	if (st[0] == SS_SB_ZERO && st[1] == SS_SB_ZERO) {
		r = ss_format(p, sb[0]);
		if (r)
			*error = "Cannot write a new pool to meta_dev";
		goto done;
	}
	if (!best) {
		*error = "meta_dev holds neither a subsist pool nor zeroes in its first 8 KiB (corrupt superblocks?)";
		r = -EUCLEAN;
		goto bad;
	}
	if (!ss_sb_matches(p, best)) {
		DMERR("%s: meta_dev is for %u vdisks of %llu sectors, blocks of %u bytes, %u data blocks, hash %u, merge %u",
		      p->name, le32_to_cpu(best->nr_vdisks),
		      le64_to_cpu(best->vdisk_sectors),
		      le32_to_cpu(best->block_size),
		      le32_to_cpu(best->nr_blocks), le32_to_cpu(best->hash),
		      le32_to_cpu(best->merge));
		*error = "meta_dev holds a pool with other parameters (the kernel log lists them)";
		r = -EINVAL;
		goto bad;
	}
	r = ss_load_ckpt(p, best, error);
	if (!r)
		r = ss_replay(p, error);
	if (r)
		goto bad;
	r = ss_rebuild(p);
	if (r) {
		*error = "Metadata maps a block twice within one vdisk (corrupt meta_dev)";
		goto bad;
	}
done:
	kfree(sb[0]);
	kfree(sb[1]);
	if (r)
		goto bad_nofree;
	return 0;
bad:
	kfree(sb[0]);
	kfree(sb[1]);
bad_nofree:
	ss_meta_close(p);
	return r;
}

void ss_meta_close(struct ss_pool *p)
{
	kvfree(p->dirty);
	p->dirty = NULL;
	kfree(p->mt);
	p->mt = NULL;
}

size_t ss_meta_memory(struct ss_pool *p)
{
	return sizeof(struct ss_meta) +
	       BITS_TO_LONGS(p->nr_lblocks) * sizeof(long);
}
