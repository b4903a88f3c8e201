// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: a single-instance store.
 *
 * A pool target ("subsist-pool") owns one data device and exports N
 * virtual disks, each a "subsist" target.  Every vdisk has a map from its
 * logical blocks to physical blocks; a physical block records which
 * vdisks reference it.  Whole-block writes are hashed through the crypto
 * API; when a block of another vdisk has the same hash it is read and
 * compared byte for byte, and only equal data is merged (the writer's map
 * then points at the existing block and nothing is written).  Blocks are
 * never merged within one vdisk, metadata (REQ_META) is never merged with
 * "merge data", and a layer above (envyfs) can declare which blocks are
 * file data (subsist_hint_data()).  Overwriting a shared block is
 * copy-on-write; discards free blocks.  With a meta_dev the maps survive
 * clean shutdowns and crashes (commit.c, meta.c); without one they live
 * in memory, as in the EnvyFS paper.
 *
 * Documentation: docs/dm-subsist.rst.
 */


#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>

#include "subsist.h"
#include "dm_status.h"
#include "strict_args.h"
#include "subsist_hint.h"

#define DM_MSG_PREFIX "subsist"

static const char * const ss_merge_names[] = { "data", "all", "none" };
static const char * const ss_mode_names[] = { "ok", "out_of_space", "read_only" };

static const char * const ss_feature_names[SS_NR_FEATURES] = {
	"block_size", "hash", "merge", "cache_blocks", "meta_dev"
};

/* ---- pool table ------------------------------------------------------- */

static int ss_parse_feature(struct ss_pc *pc, struct ss_params *t,
			    unsigned int f, const char *val,
			    struct dm_target *ti)
{
	u64 n;
	int i;

	switch (f) {
	case SS_F_BLOCK_SIZE:
		if (ss_parse_u64(val, &n) || n < 512 || n > PAGE_SIZE ||
		    !is_power_of_2(n)) {
			ti->error = "block_size must be 512, 1024, 2048 or 4096";
			return -EINVAL;
		}
		t->block_size = n;
		return 0;
	case SS_F_HASH:
		for (i = 0; i < SS_NR_HASHES; i++)
			if (!strcasecmp(val, ss_hash_names[i])) {
				t->hash = i;
				return 0;
			}
		ti->error = "hash must be crc32c, xxhash64 or sha256";
		return -EINVAL;
	case SS_F_MERGE:
		for (i = 0; i < ARRAY_SIZE(ss_merge_names); i++)
			if (!strcasecmp(val, ss_merge_names[i])) {
				t->merge = i;
				return 0;
			}
		ti->error = "merge must be data, all or none";
		return -EINVAL;
	case SS_F_CACHE:
		if (ss_parse_u64(val, &n) || n > SS_MAX_CACHE) {
			ti->error = "cache_blocks must be 0-1048576";
			return -EINVAL;
		}
		t->cache_blocks = n;
		return 0;
	case SS_F_META:
		if (dm_get_device(ti, val, dm_table_get_mode(ti->table),
				  &pc->meta_dev)) {
			ti->error = "Metadata device lookup failed";
			return -EINVAL;
		}
		t->meta_devt = pc->meta_dev->bdev->bd_dev;
		return 0;
	default:
		return -EINVAL;
	}
}

/* What a feature's value is parsed into: the table and its parameters. */
struct ss_parse_ctx {
	struct ss_pc *pc;
	struct ss_params *t;
};

static int ss_parse_feature_cb(void *ctx, unsigned int f, const char *val,
			       struct dm_target *ti)
{
	struct ss_parse_ctx *c = ctx;

	return ss_parse_feature(c->pc, c->t, f, val, ti);
}

static int ss_parse_features(struct dm_arg_set *as, struct ss_pc *pc,
			     struct ss_params *t, struct dm_target *ti)
{
	struct ss_parse_ctx c = { .pc = pc, .t = t };

	return strict_read_features(as, ss_feature_names, SS_NR_FEATURES,
				    "Unrecognised feature (block_size, hash, merge, cache_blocks, meta_dev)",
				    ss_parse_feature_cb, &c, pc->features,
				    &pc->nr_features, ti);
}

/* Checks the parameters in @t; fills in the derived sizes. */
static int ss_check_params(struct ss_pc *pc, struct ss_params *t,
			   struct dm_target *ti)
{
	u64 data_sectors = bdev_nr_sectors(pc->data_dev->bdev);
	u64 nb;

	t->block_shift = ilog2(t->block_size);
	t->sec_shift = t->block_shift - SECTOR_SHIFT;
	if (t->vdisk_sectors & ((1U << t->sec_shift) - 1)) {
		ti->error = "vdisk_sectors must be a multiple of block_size";
		return -EINVAL;
	}
	if ((t->vdisk_sectors >> t->sec_shift) * t->nr_vdisks >= SS_NIL) {
		ti->error = "Too many logical blocks (nr_vdisks * vdisk_sectors / block_size must be below 2^32)";
		return -EINVAL;
	}
	t->vblocks = t->vdisk_sectors >> t->sec_shift;
	t->nr_lblocks = (u64)t->vblocks * t->nr_vdisks;
	nb = data_sectors >> t->sec_shift;
	if (!nb) {
		ti->error = "Data device is smaller than one block";
		return -EINVAL;
	}
	if (nb >= SS_NIL) {
		ti->error = "Data device has 2^32 blocks or more: use a larger block_size";
		return -EINVAL;
	}
	t->nr_blocks = nb;
	if (ti->len > data_sectors) {
		ti->error = "Pool length exceeds the data device";
		return -EINVAL;
	}
	if (pc->meta_dev && pc->meta_dev->bdev == pc->data_dev->bdev) {
		ti->error = "Data and metadata devices must differ";
		return -EINVAL;
	}
	if (t->merge == SS_MERGE_NONE) {
		if (t->nr_lblocks > nb) {
			ti->error = "merge none needs nr_vdisks * vdisk_sectors <= data device size";
			return -EINVAL;
		}
		if (pc->meta_dev) {
			ti->error = "meta_dev has no use with merge none (the layout is fixed)";
			return -EINVAL;
		}
		if (t->cache_blocks) {
			ti->error = "cache_blocks has no use with merge none (nothing is shared)";
			return -EINVAL;
		}
	}
	return 0;
}

static void subsist_pool_dtr(struct dm_target *ti)
{
	struct ss_pc *pc = ti->private;

	if (pc->pool) {
		struct mapped_device *md[SS_MAX_VDISKS];
		unsigned int n;

		mutex_lock(&ss_mutex);
		n = ss_pool_unbind(pc->pool, md);
		ss_pool_put(pc->pool);
		mutex_unlock(&ss_mutex);
		ss_resume_held(md, n);
	}
	if (pc->meta_dev)
		dm_put_device(ti, pc->meta_dev);
	if (pc->data_dev)
		dm_put_device(ti, pc->data_dev);
	kfree(pc);
}

/*
 * Construct a pool:
 *   subsist-pool <data_dev> <nr_vdisks> <vdisk_sectors>
 *                [<#feature args> [block_size <bytes>]
 *                 [hash crc32c|xxhash64|sha256] [merge data|all|none]
 *                 [cache_blocks <n>] [meta_dev <dev>]]
 */
static int subsist_pool_ctr(struct dm_target *ti, unsigned int argc,
			    char **argv)
{
	struct mapped_device *md = dm_table_get_md(ti->table);
	struct ss_params *t;
	struct ss_pool *p;
	struct dm_arg_set as;
	struct ss_pc *pc;
	u64 n;
	int r;

	if (argc < 3) {
		ti->error = "Need <data_dev> <nr_vdisks> <vdisk_sectors> [<#feature args> <features>...]";
		return -EINVAL;
	}
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!pc || !t) {
		kfree(pc);
		kfree(t);
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = pc;
	pc->ti = ti;
	t->block_size = 4096;
	t->hash = SS_CRC32C;
	t->merge = SS_MERGE_DATA;

	r = -EINVAL;
	if (ss_parse_u64(argv[1], &n) || !n || n > SS_MAX_VDISKS) {
		ti->error = "nr_vdisks must be 1-14";
		goto bad;
	}
	t->nr_vdisks = n;
	if (ss_parse_u64(argv[2], &n) || !n) {
		ti->error = "Invalid vdisk_sectors";
		goto bad;
	}
	t->vdisk_sectors = n;
	as.argc = argc - 3;
	as.argv = argv + 3;
	r = ss_parse_features(&as, pc, t, ti);
	if (r)
		goto bad;
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table),
			  &pc->data_dev);
	if (r) {
		ti->error = "Data device lookup failed";
		goto bad;
	}
	t->data_devt = pc->data_dev->bdev->bd_dev;
	r = ss_check_params(pc, t, ti);
	if (r)
		goto bad;

	mutex_lock(&ss_mutex);
	p = ss_pool_lookup(md);
	if (p) {
		if (!ss_pool_matches(p, t)) {
			mutex_unlock(&ss_mutex);
			ti->error = "This device already runs a pool with other parameters (remove its vdisks and the pool first)";
			r = -EINVAL;
			goto bad;
		}
		p->refs++;
	} else {
		list_for_each_entry(p, &ss_pools, list) {
			if (p->prm.data_devt == t->data_devt ||
			    p->prm.meta_devt == t->data_devt ||
			    (t->meta_devt && (p->prm.data_devt == t->meta_devt ||
					      p->prm.meta_devt == t->meta_devt))) {
				mutex_unlock(&ss_mutex);
				ti->error = "Data or metadata device in use by another pool";
				r = -EBUSY;
				goto bad;
			}
		}
		p = ss_pool_create(t, pc->meta_dev ? pc->meta_dev->bdev : NULL, md,
				   &ti->error);
		if (IS_ERR(p)) {
			mutex_unlock(&ss_mutex);
			r = PTR_ERR(p);
			goto bad;
		}
		list_add(&p->list, &ss_pools);
	}
	ss_pool_bind(p, pc->data_dev->bdev,
		     pc->meta_dev ? pc->meta_dev->bdev : NULL);
	pc->pool = p;
	mutex_unlock(&ss_mutex);
	kfree(t);
	ti->num_flush_bios = 1;
	return 0;

bad:
	kfree(t);
	subsist_pool_dtr(ti);
	return r;
}

/* Vdisk bios pass to the data device; others only read (see the top). */
static int subsist_pool_map(struct dm_target *ti, struct bio *bio)
{
	struct ss_pc *pc = ti->private;

	/* The pool device shows the data device; only vdisks write. */
	if (op_is_write(bio_op(bio)) && bio_sectors(bio))
		return DM_MAPIO_KILL;
	bio_set_dev(bio, pc->data_dev->bdev);
	return DM_MAPIO_REMAPPED;
}

/*
 * dm core holds the pool device's I/O now (vdisk bios and the worker's
 * with it); the commit goes straight to the devices, and no background
 * commit runs until the resume.
 */
/* The vdisks first: their I/O drains and then waits for the resume. */
static void subsist_pool_presuspend(struct dm_target *ti)
{
	ss_pool_suspend_vdisks(((struct ss_pc *)ti->private)->pool);
}

static void subsist_pool_presuspend_undo(struct dm_target *ti)
{
	ss_pool_resume_vdisks(((struct ss_pc *)ti->private)->pool);
}

static void subsist_pool_postsuspend(struct dm_target *ti)
{
	struct ss_pool *p = ((struct ss_pc *)ti->private)->pool;

	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->suspended, true);
	mutex_unlock(&p->commit_mutex);
	if (p->mt)
		ss_commit(p, true);
}

static void subsist_pool_resume(struct dm_target *ti)
{
	struct ss_pool *p = ((struct ss_pc *)ti->private)->pool;

	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->suspended, false);
	mutex_unlock(&p->commit_mutex);
	wake_up_all(&p->wait);
	/* Flushes that came while suspended wait for a commit. */
	spin_lock_irq(&p->lock);
	if (!bio_list_empty(&p->commit_waiters))
		queue_work(p->wq, &p->commit_work);
	spin_unlock_irq(&p->lock);
	ss_pool_resume_vdisks(p);
}

static void ss_pool_emit_table(struct ss_pc *pc, char *result,
			       unsigned int maxlen)
{
	struct ss_pool *p = pc->pool;
	unsigned int i, sz = 0;

	DMEMIT("%s %u %llu", pc->data_dev->name, p->prm.nr_vdisks,
	       (unsigned long long)p->prm.vdisk_sectors);
	if (!pc->nr_features)
		return;
	DMEMIT(" %u", 2 * pc->nr_features);
	for (i = 0; i < pc->nr_features; i++) {
		const char *n = ss_feature_names[pc->features[i]];

		switch (pc->features[i]) {
		case SS_F_BLOCK_SIZE:
			DMEMIT(" %s %u", n, p->prm.block_size);
			break;
		case SS_F_HASH:
			DMEMIT(" %s %s", n, ss_hash_names[p->prm.hash]);
			break;
		case SS_F_MERGE:
			DMEMIT(" %s %s", n, ss_merge_names[p->prm.merge]);
			break;
		case SS_F_CACHE:
			DMEMIT(" %s %u", n, p->prm.cache_blocks);
			break;
		default:
			DMEMIT(" %s %s", n, pc->meta_dev->name);
			break;
		}
	}
}

static void ss_pool_emit_info(struct ss_pool *p, char *result,
			      unsigned int maxlen)
{
	static const unsigned char kinds[] = { STATUS_SUBSIST_POOL(DMST_KIND) };
	struct dm_status_val v[SP_STATUS_NR] = { };
	u64 used, mapped, ratio;
	unsigned int sz = 0;

	BUILD_BUG_ON(ARRAY_SIZE(kinds) != SP_STATUS_NR);
	spin_lock_irq(&p->lock);
	if (p->prm.merge == SS_MERGE_NONE) {
		used = p->prm.nr_lblocks;
		mapped = p->prm.nr_lblocks;
	} else {
		used = p->prm.nr_blocks - p->nr_free;
		mapped = p->mapped;
	}
	v[SP_STATUS_shared].a = p->shared_blocks;
	v[SP_STATUS_merges].a = p->merges;
	v[SP_STATUS_collisions].a = p->collisions;
	v[SP_STATUS_mismatches].a = p->mismatches;
	v[SP_STATUS_stale_keys].a = p->stale_keys;
	v[SP_STATUS_meta_writes].a = p->meta_writes;
	v[SP_STATUS_nospc].a = p->nospc;
	v[SP_STATUS_commits].a = p->commits;
	v[SP_STATUS_mode].w = ss_mode_names[p->mode];
	v[SP_STATUS_hints].a = p->nr_hints;
	if (!p->hints_on)
		v[SP_STATUS_hints].w = "off";
	spin_unlock_irq(&p->lock);
	spin_lock_irq(&p->cache_lock);
	v[SP_STATUS_cache_hits].a = p->chits;
	v[SP_STATUS_cache_misses].a = p->cmisses;
	spin_unlock_irq(&p->cache_lock);

	ratio = used ? div64_u64(mapped * 100 + used / 2, used) : 100;
	v[SP_STATUS_block_size].a = p->prm.block_size;
	v[SP_STATUS_usage].a = used;
	v[SP_STATUS_usage].b = p->prm.nr_blocks;
	v[SP_STATUS_mapped].a = mapped;
	v[SP_STATUS_saved].a = mapped > used ? mapped - used : 0;
	v[SP_STATUS_ratio].a = div_u64(ratio, 100);
	v[SP_STATUS_ratio].b = ratio % 100;
	if (!p->mt)
		v[SP_STATUS_commits].w = "-";
	dm_status_emit(result, maxlen, &sz, kinds, v, SP_STATUS_NR);
}

static void subsist_pool_status(struct dm_target *ti, status_type_t type,
				unsigned int status_flags, char *result,
				unsigned int maxlen)
{
	struct ss_pc *pc = ti->private;

	switch (type) {
	case STATUSTYPE_INFO:
		ss_pool_emit_info(pc->pool, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		ss_pool_emit_table(pc, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int ss_parse_digest(struct ss_pool *p, const char *hex, u64 *key)
{
	u8 digest[SHA256_DIGEST_SIZE];

	if (strlen(hex) != 2 * p->digest_size ||
	    hex2bin(digest, hex, p->digest_size))
		return -EINVAL;
	*key = ss_key64(p, digest);
	return 0;
}

/*
 * A refused message says why in the kernel log: up to 100 every 5 s, so
 * that a script looping over bad messages cannot flood it.
 */
static DEFINE_RATELIMIT_STATE(ss_msg_rs, 5 * HZ, 100);

static int subsist_pool_message(struct dm_target *ti, unsigned int argc,
				char **argv, char *result, unsigned int maxlen)
{
	struct ss_pc *pc = ti->private;
	struct ss_pool *p = pc->pool;
	const char *err = "Unknown message (hint, hints, commit, cache)";
	int r = -EINVAL;

	if (!argc)
		goto out;
	if (!strcasecmp(argv[0], "hint")) {
		u64 key, count = p->prm.nr_vdisks;

		if (p->prm.merge == SS_MERGE_NONE) {
			err = "Hints have no use with merge none";
		} else if (argc < 2 || argc > 3) {
			err = "Usage: hint <hex digest> [<count>]";
		} else if (ss_parse_digest(p, argv[1], &key)) {
			err = "Bad digest: give the pool hash's full digest in hex";
		} else if (argc == 3 && (ss_parse_u64(argv[2], &count) ||
					 !count || count > p->prm.nr_vdisks)) {
			err = "count must be 1 to nr_vdisks";
		} else {
			r = ss_hint_add(p, key, count);
			err = "Cannot allocate a hint";
		}
	} else if (!strcasecmp(argv[0], "hints") && argc == 2 &&
		   (!strcasecmp(argv[1], "on") || !strcasecmp(argv[1], "off"))) {
		spin_lock_irq(&p->lock);
		p->hints_on = !strcasecmp(argv[1], "on");
		if (!p->hints_on)
			__ss_hints_clear(p);
		spin_unlock_irq(&p->lock);
		r = 0;
	} else if (!strcasecmp(argv[0], "commit") && argc == 1) {
		if (!p->mt) {
			err = "No meta_dev: nothing to commit";
		} else {
			r = ss_commit(p, true);
			err = "Commit failed: the pool is read-only";
		}
	} else if (!strcasecmp(argv[0], "cache") && argc == 2 &&
		   !strcasecmp(argv[1], "drop")) {
		ss_cache_drop(p);
		r = 0;
	}
out:
	if (r < 0 && __ratelimit(&ss_msg_rs))
		DMWARN("%s: %s: %s", p->name, argc ? argv[0] : "", err);
	return r;
}

static int subsist_pool_iterate_devices(struct dm_target *ti,
					iterate_devices_callout_fn fn,
					void *data)
{
	struct ss_pc *pc = ti->private;

	return fn(ti, pc->data_dev, 0, ti->len, data);
}

/* ---- the hint interface (include/subsist_hint.h) ---------------------- */

int subsist_hint_data(struct block_device *bdev, const void *data,
		      unsigned int len, unsigned int count)
{
	struct ss_pool *p = NULL, *q;
	struct shash_desc *desc;
	struct ss_vc *vc;
	unsigned int off;
	int r = -ENODEV;
	u64 key;

	mutex_lock(&ss_mutex);
	list_for_each_entry(q, &ss_pools, list)
		if (disk_devt(dm_disk(q->md)) == bdev->bd_dev)
			p = q;
	list_for_each_entry(vc, &ss_vdisks, list)
		if (vc->devt == bdev->bd_dev)
			p = vc->pool;
	if (!p)
		goto out;
	r = -EINVAL;
	if (p->prm.merge == SS_MERGE_NONE || !len || len % p->prm.block_size ||
	    !count || count > p->prm.nr_vdisks)
		goto out;
	r = -ENOMEM;
	desc = kmalloc(p->desc_size, GFP_KERNEL);
	if (!desc)
		goto out;
	for (off = 0, r = 0; off < len && !r; off += p->prm.block_size) {
		r = ss_digest(p, desc, data + off, &key);
		if (!r)
			r = ss_hint_add(p, key, count);
	}
	kfree(desc);
out:
	mutex_unlock(&ss_mutex);
	return r;
}
EXPORT_SYMBOL_GPL(subsist_hint_data);

/* ---- module ----------------------------------------------------------- */

static struct target_type subsist_pool_target = {
	.name = "subsist-pool",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = subsist_pool_ctr,
	.dtr = subsist_pool_dtr,
	.map = subsist_pool_map,
	.presuspend = subsist_pool_presuspend,
	.presuspend_undo = subsist_pool_presuspend_undo,
	.postsuspend = subsist_pool_postsuspend,
	.resume = subsist_pool_resume,
	.status = subsist_pool_status,
	.message = subsist_pool_message,
	.iterate_devices = subsist_pool_iterate_devices,
};

static int __init dm_subsist_init(void)
{
	int r;

	r = dm_register_target(&subsist_pool_target);
	if (r < 0) {
		DMERR("register of subsist-pool failed %d", r);
		return r;
	}
	r = dm_register_target(&subsist_target);
	if (r < 0) {
		DMERR("register of subsist failed %d", r);
		dm_unregister_target(&subsist_pool_target);
	}
	return r;
}

static void __exit dm_subsist_exit(void)
{
	dm_unregister_target(&subsist_target);
	dm_unregister_target(&subsist_pool_target);
}

module_init(dm_subsist_init);
module_exit(dm_subsist_exit);

MODULE_DESCRIPTION(DM_NAME " single-instance store: N virtual disks on one disk, identical data blocks stored once");
MODULE_AUTHOR("The dm-subsist authors");
MODULE_LICENSE("GPL");
