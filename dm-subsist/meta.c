// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: the metadata device, persistence only.
 *
 * It knows the format (subsist_disk.h) and nothing of the pool: the caller
 * gives the geometry (struct ss_params), the block device and the arrays
 * to load into or the records to write, as dm-thin-metadata serves
 * dm-thin without calling it.  Loading picks the newest valid superblock,
 * reads its checkpoint into map[] and key[] and replays the complete log
 * batches after it.  A commit (commit.c) writes one batch of records with
 * FUA, or, when the log has no room for it, a whole checkpoint to the
 * other slot and a superblock naming it.
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
	struct ss_params prm;		/* the pool's geometry */
	char name[16];			/* the pool's, for the kernel log */
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
static int ss_meta_io(struct block_device *bdev, blk_opf_t opf, u64 block,
		      void *buf, u64 nr)
{
	BUILD_BUG_ON(PAGE_SIZE != SS_META_BLOCK);
	/* The format of subsist_disk.h: these sizes are on disk. */
	BUILD_BUG_ON(sizeof(struct ss_disk_sb) != 80);
	BUILD_BUG_ON(sizeof(struct ss_disk_rec) != 16);
	BUILD_BUG_ON(sizeof(struct ss_disk_log) != 40);
	BUILD_BUG_ON(SS_RECS_PER_BLOCK != 253);
	while (nr) {
		unsigned int i, n = min_t(u64, nr, BIO_MAX_VECS);
		struct bio *bio = bio_alloc(bdev, n, opf, GFP_NOIO);
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

static void ss_fill_sb(struct ss_meta *mt, struct ss_disk_sb *sb, u64 seq,
		       unsigned int slot, u32 ckpt_crc, u64 log_seq)
{
	const struct ss_params *p = &mt->prm;

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

/* ---- writing ---------------------------------------------------------- */

/* Records that fit in the log before a checkpoint must be written. */
u64 ss_meta_log_room(const struct ss_meta *mt)
{
	return (mt->log_blocks - (mt->next_seq - mt->log_seq0)) *
	       SS_RECS_PER_BLOCK;
}

/* Bytes of the buffer for a checkpoint, or for a batch of @nrecs records. */
size_t ss_meta_buf_size(const struct ss_meta *mt, bool ckpt, u64 nrecs)
{
	u64 nblk = ckpt ? mt->ckpt_blocks :
			  DIV_ROUND_UP(nrecs, SS_RECS_PER_BLOCK);

	return nblk * SS_META_BLOCK;
}

/* Sets record @n of a batch buffer: logical block @g maps to @e (0, b + 1). */
void ss_meta_set_rec(void *buf, u64 n, u32 g, u32 e, u32 key)
{
	struct ss_disk_log *lb = buf + (n / SS_RECS_PER_BLOCK) * SS_META_BLOCK;
	struct ss_disk_rec *rec = &lb->recs[n % SS_RECS_PER_BLOCK];

	rec->lblock = cpu_to_le32(g);
	rec->pblock = cpu_to_le32(e);
	rec->key = cpu_to_le32(key);
}

/*
 * Fills a checkpoint image: every map entry, then the key of every block
 * that @mask shows referenced.  The caller keeps the arrays still.
 */
void ss_meta_fill_ckpt(const struct ss_meta *mt, void *buf, const u32 *map,
		       const u16 *mask, const u32 *key)
{
	const struct ss_params *p = &mt->prm;
	__le32 *ck = buf;
	u64 i;
	u32 b;

	for (i = 0; i < p->nr_lblocks; i++)
		ck[i] = cpu_to_le32(map[i]);
	for (b = 0; b < p->nr_blocks; b++)
		ck[p->nr_lblocks + b] = cpu_to_le32((mask[b] & SS_VMASK) ?
						    key[b] : 0);
}

/* Writes checkpoint @buf to the free slot, then a superblock naming it. */
int ss_meta_write_ckpt(struct ss_meta *mt, struct block_device *bdev,
		       void *buf)
{
	unsigned int slot = !mt->ckpt_slot;
	u32 crc = crc32c(~0U, buf, mt->ckpt_blocks * SS_META_BLOCK);
	void *sbbuf = kmalloc(SS_META_BLOCK, GFP_NOIO);
	int r;

	if (!sbbuf)
		return -ENOMEM;
	r = ss_meta_io(bdev, REQ_OP_WRITE, ss_ckpt_start(mt, slot), buf,
		       mt->ckpt_blocks);
	if (!r)
		r = blkdev_issue_flush(bdev);
	if (r)
		goto out;
	ss_fill_sb(mt, sbbuf, mt->sb_seq + 1, slot, crc, mt->next_seq);
	r = ss_meta_io(bdev, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC,
		       (mt->sb_seq + 1) & 1, sbbuf, 1);
	if (r)
		goto out;
	mt->sb_seq++;
	mt->ckpt_slot = slot;
	mt->log_seq0 = mt->next_seq;
out:
	kfree(sbbuf);
	return r;
}

/* Writes the @nrecs records of @buf as the next log batch, with FUA. */
int ss_meta_write_log(struct ss_meta *mt, struct block_device *bdev,
		      void *buf, u64 nrecs)
{
	u64 i, nblk = DIV_ROUND_UP(nrecs, SS_RECS_PER_BLOCK);
	int r;

	if (!nrecs)
		return 0;
	if (nblk > mt->log_blocks - (mt->next_seq - mt->log_seq0))
		return -ENOSPC;
	for (i = 0; i < nblk; i++) {
		struct ss_disk_log *lb = buf + i * SS_META_BLOCK;

		lb->magic = cpu_to_le32(SS_LOG_MAGIC);
		lb->uuid = cpu_to_le64(mt->uuid);
		lb->seq = cpu_to_le64(mt->next_seq + i);
		lb->batch = cpu_to_le64(mt->next_seq);
		lb->batch_len = cpu_to_le32(nblk);
		lb->nr_recs = cpu_to_le32(min_t(u64,
						nrecs - i * SS_RECS_PER_BLOCK,
						SS_RECS_PER_BLOCK));
		lb->crc = cpu_to_le32(ss_block_crc(lb, &lb->crc));
	}
	r = ss_meta_io(bdev, REQ_OP_WRITE | REQ_FUA | REQ_SYNC,
		       mt->log_start + (mt->next_seq - mt->log_seq0), buf,
		       nblk);
	if (!r)
		mt->next_seq += nblk;
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

static int ss_sb_matches(struct ss_meta *mt, struct ss_disk_sb *sb)
{
	const struct ss_params *p = &mt->prm;

	return le32_to_cpu(sb->block_size) == p->block_size &&
	       le64_to_cpu(sb->vdisk_sectors) == p->vdisk_sectors &&
	       le32_to_cpu(sb->nr_vdisks) == p->nr_vdisks &&
	       le32_to_cpu(sb->nr_blocks) == p->nr_blocks &&
	       le32_to_cpu(sb->hash) == p->hash &&
	       le32_to_cpu(sb->merge) == p->merge &&
	       le64_to_cpu(sb->ckpt_blocks) == mt->ckpt_blocks;
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
static int ss_replay(struct ss_meta *mt, struct block_device *bdev, u32 *map,
		     u32 *key, char **error)
{
	const struct ss_params *p = &mt->prm;
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

		if (ss_meta_io(bdev, REQ_OP_READ, mt->log_start + used, first, 1) ||
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
		if (ss_meta_io(bdev, REQ_OP_READ, mt->log_start + used, buf, len))
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
				map[g] = e;
				if (e)
					key[e - 1] = le32_to_cpu(lb->recs[j].key);
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
	DMINFO("%s: replayed %llu log batches (%llu records)", mt->name,
	       batches, recs);
out:
	vfree(buf);
	kfree(first);
	return r;
}

static int ss_format(struct ss_meta *mt, struct block_device *bdev,
		     void *sbbuf)
{
	void *buf = vzalloc(mt->ckpt_blocks * SS_META_BLOCK);
	u32 crc;
	int r;

	if (!buf)
		return -ENOMEM;
	get_random_bytes(&mt->uuid, sizeof(mt->uuid));
	crc = crc32c(~0U, buf, mt->ckpt_blocks * SS_META_BLOCK);
	r = ss_meta_io(bdev, REQ_OP_WRITE, ss_ckpt_start(mt, 0), buf,
		       mt->ckpt_blocks);
	vfree(buf);
	if (!r)
		r = blkdev_issue_flush(bdev);
	if (r)
		return r;
	mt->sb_seq = 1;
	mt->ckpt_slot = 0;
	mt->log_seq0 = 1;
	mt->next_seq = 1;
	ss_fill_sb(mt, sbbuf, 1, 0, crc, 1);
	r = ss_meta_io(bdev, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC, 1,
		       sbbuf, 1);
	if (!r)
		DMINFO("%s: new pool on the metadata device", mt->name);
	return r;
}

/* Loads the checkpoint named by @sb into map[] and key[]. */
static int ss_load_ckpt(struct ss_meta *mt, struct block_device *bdev,
			struct ss_disk_sb *sb, u32 *map, u32 *key, char **error)
{
	const struct ss_params *p = &mt->prm;
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
	r = ss_meta_io(bdev, REQ_OP_READ, ss_ckpt_start(mt, slot), buf,
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
		map[i] = le32_to_cpu(buf[i]);
		if (map[i] > p->nr_blocks) {
			*error = "Checkpoint entry out of range (corrupt meta_dev)";
			r = -EUCLEAN;
			goto out;
		}
	}
	for (b = 0; b < p->nr_blocks; b++)
		key[b] = le32_to_cpu(buf[p->nr_lblocks + b]);
	mt->ckpt_slot = slot;
	mt->sb_seq = le64_to_cpu(sb->seq);
	mt->log_seq0 = le64_to_cpu(sb->log_seq);
	mt->uuid = le64_to_cpu(sb->uuid);
out:
	vfree(buf);
	return r;
}

/*
 * Opens the metadata on @bdev for a pool of geometry @prm named @name:
 * formats a zeroed device, or loads the newest valid state into @map and
 * @key (zeroed by the caller).  Returns the state or an ERR_PTR, with
 * *@error set.
 */
struct ss_meta *ss_meta_open(struct block_device *bdev,
			     const struct ss_params *prm, const char *name,
			     u32 *map, u32 *key, char **error)
{
	struct ss_disk_sb *sb[2] = { }, *best = NULL;
	enum ss_sb_state st[2];
	u64 meta_blocks = bdev_nr_sectors(bdev) >> (PAGE_SHIFT - SECTOR_SHIFT);
	struct ss_meta *mt;
	unsigned int i;
	int r;

	mt = kzalloc(sizeof(*mt), GFP_KERNEL);
	if (!mt) {
		*error = "Cannot allocate metadata state";
		return ERR_PTR(-ENOMEM);
	}
	mt->prm = *prm;
	strscpy(mt->name, name, sizeof(mt->name));
	mt->ckpt_blocks = DIV_ROUND_UP((prm->nr_lblocks + prm->nr_blocks) * 4,
				       SS_META_BLOCK);
	mt->log_start = 2 + 2 * mt->ckpt_blocks;
	if (meta_blocks < mt->log_start + SS_MIN_LOG_BLOCKS) {
		DMERR("%s: meta_dev has %llu sectors; this pool needs at least %llu",
		      name, meta_blocks << 3,
		      (mt->log_start + SS_MIN_LOG_BLOCKS) << 3);
		*error = "meta_dev is too small (the kernel log says how large it must be)";
		r = -ENOSPC;
		goto out;
	}
	mt->log_blocks = meta_blocks - mt->log_start;
	sb[0] = kmalloc(SS_META_BLOCK, GFP_KERNEL);
	sb[1] = kmalloc(SS_META_BLOCK, GFP_KERNEL);
	if (!sb[0] || !sb[1]) {
		*error = "Cannot allocate metadata state";
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		r = ss_meta_io(bdev, REQ_OP_READ, i, sb[i], 1);
		if (r) {
			*error = "Cannot read the superblocks from meta_dev";
			goto out;
		}
		st[i] = ss_check_sb(sb[i]);
		if (st[i] == SS_SB_VALID &&
		    (!best || le64_to_cpu(sb[i]->seq) > le64_to_cpu(best->seq)))
			best = sb[i];
	}
	if (st[0] == SS_SB_ZERO && st[1] == SS_SB_ZERO) {
		r = ss_format(mt, bdev, sb[0]);
		if (r)
			*error = "Cannot write a new pool to meta_dev";
		goto out;
	}
	if (!best) {
		*error = "meta_dev holds neither a subsist pool nor zeroes in its first 8 KiB (corrupt superblocks?)";
		r = -EUCLEAN;
		goto out;
	}
	if (!ss_sb_matches(mt, best)) {
		DMERR("%s: meta_dev is for %u vdisks of %llu sectors, blocks of %u bytes, %u data blocks, hash %u, merge %u",
		      name, le32_to_cpu(best->nr_vdisks),
		      le64_to_cpu(best->vdisk_sectors),
		      le32_to_cpu(best->block_size),
		      le32_to_cpu(best->nr_blocks), le32_to_cpu(best->hash),
		      le32_to_cpu(best->merge));
		*error = "meta_dev holds a pool with other parameters (the kernel log lists them)";
		r = -EINVAL;
		goto out;
	}
	r = ss_load_ckpt(mt, bdev, best, map, key, error);
	if (!r)
		r = ss_replay(mt, bdev, map, key, error);
out:
	kfree(sb[0]);
	kfree(sb[1]);
	if (r) {
		kfree(mt);
		return ERR_PTR(r);
	}
	return mt;
}

void ss_meta_close(struct ss_meta *mt)
{
	kfree(mt);
}

size_t ss_meta_memory(void)
{
	return sizeof(struct ss_meta);
}
