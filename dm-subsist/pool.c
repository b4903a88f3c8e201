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
 * clean shutdowns and crashes (meta.c); without one they live in memory,
 * as in the EnvyFS paper.
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
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/unaligned.h>

#include "subsist.h"
#include "dm_status.h"
#include "strict_args.h"
#include "subsist_hint.h"

#define DM_MSG_PREFIX "subsist"

static const char * const ss_hash_names[SS_NR_HASHES] = {
	"crc32c", "xxhash64", "sha256"
};
static const char * const ss_merge_names[] = { "data", "all", "none" };
static const char * const ss_mode_names[] = { "ok", "out_of_space", "read_only" };

static const char * const ss_feature_names[SS_NR_FEATURES] = {
	"block_size", "hash", "merge", "cache_blocks", "meta_dev"
};

/* ss_mutex guards the lists of pools and vdisks and each pool's refs. */
DEFINE_MUTEX(ss_mutex);
LIST_HEAD(ss_pools);
LIST_HEAD(ss_vdisks);


/* ---- commits ---------------------------------------------------------- */

static void ss_commit_work(struct work_struct *work)
{
	ss_commit(container_of(work, struct ss_pool, commit_work), false);
}

static void ss_periodic(struct work_struct *work)
{
	struct ss_pool *p = container_of(to_delayed_work(work), struct ss_pool,
					 periodic);

	if (READ_ONCE(p->nr_dirty) || READ_ONCE(p->nr_pend))
		ss_commit(p, false);
	queue_delayed_work(p->wq, &p->periodic, HZ);
}

/* ---- the pool --------------------------------------------------------- */

struct ss_pool *ss_pool_lookup(struct mapped_device *md)
{
	struct ss_pool *p;

	lockdep_assert_held(&ss_mutex);
	list_for_each_entry(p, &ss_pools, list)
		if (p->md == md)
			return p;
	return NULL;
}

static void ss_pool_destroy(struct ss_pool *p)
{
	/* The last pool table committed (ss_pool_unbind()). */
	if (p->wq) {
		if (p->mt) {
			cancel_delayed_work_sync(&p->periodic);
			cancel_work_sync(&p->commit_work);
		}
		destroy_workqueue(p->wq);
	}
	if (p->mt)
		ss_meta_close(p);
	spin_lock_irq(&p->lock);
	__ss_hints_clear(p);
	spin_unlock_irq(&p->lock);
	ss_cache_exit(p);
	bioset_exit(&p->bs);
	mempool_exit(&p->page_pool);
	kvfree(p->map);
	kvfree(p->mask);
	kvfree(p->key);
	kvfree(p->next);
	kvfree(p->bucket);
	kvfree(p->free_bm);
	if (!IS_ERR_OR_NULL(p->tfm))
		crypto_free_shash(p->tfm);
	kfree(p);
}

void ss_pool_put(struct ss_pool *p)
{
	lockdep_assert_held(&ss_mutex);
	if (--p->refs)
		return;
	list_del(&p->list);
	ss_pool_destroy(p);
}

/* The pool's arrays, sized by its devices: fail, never OOM-kill for them. */
#define SS_GFP_BIG	(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

static int ss_pool_arrays(struct ss_pool *p)
{
	u32 nb = rounddown_pow_of_two(max(p->nr_blocks / 4, 64U));

	p->map = kvcalloc(p->nr_lblocks, sizeof(*p->map), SS_GFP_BIG);
	p->mask = kvcalloc(p->nr_blocks, sizeof(*p->mask), SS_GFP_BIG);
	p->key = kvcalloc(p->nr_blocks, sizeof(*p->key), SS_GFP_BIG);
	p->next = kvmalloc_array(p->nr_blocks, sizeof(*p->next), SS_GFP_BIG);
	p->bucket = kvmalloc_array(nb, sizeof(*p->bucket), SS_GFP_BIG);
	p->free_bm = kvcalloc(BITS_TO_LONGS(p->nr_blocks), sizeof(long),
			      SS_GFP_BIG);
	if (!p->map || !p->mask || !p->key || !p->next || !p->bucket ||
	    !p->free_bm)
		return -ENOMEM;
	p->bucket_mask = nb - 1;
	memset(p->next, 0xff, p->nr_blocks * sizeof(*p->next));
	memset(p->bucket, 0xff, nb * sizeof(*p->bucket));
	bitmap_fill(p->free_bm, p->nr_blocks);
	p->nr_free = p->nr_blocks;
	return 0;
}

/* Kernel memory of the pool, without the read cache's blocks. */
static size_t ss_pool_memory(struct ss_pool *p)
{
	size_t m = sizeof(*p);

	if (p->merge == SS_MERGE_NONE)
		return m;
	m += p->nr_lblocks * sizeof(*p->map);
	m += (size_t)p->nr_blocks * (sizeof(*p->mask) + sizeof(*p->key) +
				     sizeof(*p->next));
	m += (p->bucket_mask + 1) * sizeof(*p->bucket);
	m += BITS_TO_LONGS(p->nr_blocks) * sizeof(long);
	if (p->mt)
		m += ss_meta_memory(p);
	return m;
}

/*
 * Binds pool table @pc to its pool: the engine's direct I/O (commits, the
 * metadata) uses the devices of the bound tables.  All tables of one dm
 * device share one dm_dev per device, so the block devices stay the same
 * while any of them is bound.
 */
static void ss_pool_bind(struct ss_pool *p, struct ss_pc *pc)
{
	lockdep_assert_held(&ss_mutex);
	if (p->nr_tables++)
		return;
	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->data, pc->data_dev->bdev);
	p->meta = pc->meta_dev ? pc->meta_dev->bdev : NULL;
	mutex_unlock(&p->commit_mutex);
}

/* The last pool table commits and lets go of the devices. */
static void ss_pool_unbind(struct ss_pool *p)
{
	lockdep_assert_held(&ss_mutex);
	if (--p->nr_tables)
		return;
	if (p->mt)
		ss_commit(p, true);
	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->data, NULL);
	p->meta = NULL;
	mutex_unlock(&p->commit_mutex);
}

static struct ss_pool *ss_pool_create(struct ss_pool *tmpl, struct ss_pc *pc,
				      struct mapped_device *md, char **error)
{
	struct ss_pool *p = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL);
	unsigned int i;
	int r;

	if (!p) {
		*error = "Cannot allocate the pool";
		return ERR_PTR(-ENOMEM);
	}
	p->md = md;
	p->refs = 1;
	p->nr_tables = 0;
	p->data = NULL;
	p->meta = NULL;
	p->suspended = false;
	p->mt = NULL;
	snprintf(p->name, sizeof(p->name), "%u:%u",
		 MAJOR(disk_devt(dm_disk(md))), MINOR(disk_devt(dm_disk(md))));
	spin_lock_init(&p->lock);
	spin_lock_init(&p->cache_lock);
	mutex_init(&p->rmw_mutex);
	mutex_init(&p->commit_mutex);
	init_waitqueue_head(&p->wait);
	INIT_WORK(&p->commit_work, ss_commit_work);
	INIT_DELAYED_WORK(&p->periodic, ss_periodic);
	bio_list_init(&p->commit_waiters);
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

	p->tfm = crypto_alloc_shash(ss_hash_names[p->hash], 0, 0);
	if (IS_ERR(p->tfm)) {
		r = PTR_ERR(p->tfm);
		*error = "Cannot allocate the hash (crypto API)";
		goto bad;
	}
	p->digest_size = crypto_shash_digestsize(p->tfm);
	p->desc_size = sizeof(struct shash_desc) + crypto_shash_descsize(p->tfm);
	r = mempool_init_page_pool(&p->page_pool, 4, 0);
	if (!r)
		r = bioset_init(&p->bs, 16, 0, 0);
	if (r) {
		*error = "Cannot allocate memory pools";
		goto bad;
	}
	if (p->merge != SS_MERGE_NONE) {
		r = ss_pool_arrays(p);
		if (r) {
			*error = "Cannot allocate the maps (see docs: memory)";
			goto bad;
		}
		r = ss_cache_init(p);
		if (r) {
			*error = "Cannot allocate the read cache's hash table (cache_blocks too large for this memory)";
			goto bad;
		}
	}
	p->wq = alloc_workqueue("subsist/%s", WQ_MEM_RECLAIM | WQ_UNBOUND, 0,
				p->name);
	if (!p->wq) {
		r = -ENOMEM;
		*error = "Cannot allocate a workqueue";
		goto bad;
	}
	if (pc->meta_dev) {
		/* Not yet published: the table's devices, bound below. */
		p->data = pc->data_dev->bdev;
		p->meta = pc->meta_dev->bdev;
		r = ss_meta_open(p, error);
		p->data = NULL;
		p->meta = NULL;
		if (r)
			goto bad;
		queue_delayed_work(p->wq, &p->periodic, HZ);
	}
	DMINFO("%s: pool of %u vdisks, %u blocks of %u bytes, %zu KiB of kernel memory",
	       p->name, p->nr_vdisks, p->nr_blocks, p->block_size,
	       ss_pool_memory(p) >> 10);
	return p;

bad:
	ss_pool_destroy(p);
	return ERR_PTR(r);
}

/* ---- pool table ------------------------------------------------------- */

int ss_parse_u64(const char *s, u64 *v)
{
	if (!isdigit(*s))
		return -EINVAL;
	return kstrtoull(s, 10, v) ? -EINVAL : 0;
}

static int ss_parse_feature(struct ss_pc *pc, struct ss_pool *t,
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
	struct ss_pool *t;
};

static int ss_parse_feature_cb(void *ctx, unsigned int f, const char *val,
			       struct dm_target *ti)
{
	struct ss_parse_ctx *c = ctx;

	return ss_parse_feature(c->pc, c->t, f, val, ti);
}

static int ss_parse_features(struct dm_arg_set *as, struct ss_pc *pc,
			     struct ss_pool *t, struct dm_target *ti)
{
	struct ss_parse_ctx c = { .pc = pc, .t = t };

	return strict_read_features(as, ss_feature_names, SS_NR_FEATURES,
				    "Unrecognised feature (block_size, hash, merge, cache_blocks, meta_dev)",
				    ss_parse_feature_cb, &c, pc->features,
				    &pc->nr_features, ti);
}

static bool ss_same_params(const struct ss_pool *a, const struct ss_pool *b)
{
	return a->data_devt == b->data_devt && a->meta_devt == b->meta_devt &&
	       a->nr_vdisks == b->nr_vdisks &&
	       a->vdisk_sectors == b->vdisk_sectors &&
	       a->block_size == b->block_size && a->hash == b->hash &&
	       a->merge == b->merge && a->cache_blocks == b->cache_blocks;
}

/* Checks the parameters in @t; fills in the derived sizes. */
static int ss_check_params(struct ss_pc *pc, struct ss_pool *t,
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
	/* Vdisk I/O reaches the data blocks through the pool device. */
	if (ti->len < nb << t->sec_shift) {
		ti->error = "Pool length must cover the data device (give its size)";
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
		mutex_lock(&ss_mutex);
		ss_pool_unbind(pc->pool);
		ss_pool_put(pc->pool);
		mutex_unlock(&ss_mutex);
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
	struct ss_pool *t, *p;
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
		if (!ss_same_params(p, t)) {
			mutex_unlock(&ss_mutex);
			ti->error = "This device already runs a pool with other parameters (remove its vdisks and the pool first)";
			r = -EINVAL;
			goto bad;
		}
		p->refs++;
	} else {
		list_for_each_entry(p, &ss_pools, list) {
			if (p->data_devt == t->data_devt ||
			    p->meta_devt == t->data_devt ||
			    (t->meta_devt && (p->data_devt == t->meta_devt ||
					      p->meta_devt == t->meta_devt))) {
				mutex_unlock(&ss_mutex);
				ti->error = "Data or metadata device in use by another pool";
				r = -EBUSY;
				goto bad;
			}
		}
		p = ss_pool_create(t, pc, md, &ti->error);
		if (IS_ERR(p)) {
			mutex_unlock(&ss_mutex);
			r = PTR_ERR(p);
			goto bad;
		}
		list_add(&p->list, &ss_pools);
	}
	ss_pool_bind(p, pc);
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

	if (bio->bi_opf & SS_REQ_VDISK)
		bio->bi_opf &= ~SS_REQ_VDISK;
	else if (op_is_write(bio_op(bio)) && bio_sectors(bio))
		return DM_MAPIO_KILL;
	bio_set_dev(bio, pc->data_dev->bdev);
	return DM_MAPIO_REMAPPED;
}

/*
 * dm core holds the pool device's I/O now (vdisk bios and the worker's
 * with it); the commit goes straight to the devices, and no background
 * commit runs until the resume.
 */
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
}

static void ss_pool_emit_table(struct ss_pc *pc, char *result,
			       unsigned int maxlen)
{
	struct ss_pool *p = pc->pool;
	unsigned int i, sz = 0;

	DMEMIT("%s %u %llu", pc->data_dev->name, p->nr_vdisks,
	       (unsigned long long)p->vdisk_sectors);
	if (!pc->nr_features)
		return;
	DMEMIT(" %u", 2 * pc->nr_features);
	for (i = 0; i < pc->nr_features; i++) {
		const char *n = ss_feature_names[pc->features[i]];

		switch (pc->features[i]) {
		case SS_F_BLOCK_SIZE:
			DMEMIT(" %s %u", n, p->block_size);
			break;
		case SS_F_HASH:
			DMEMIT(" %s %s", n, ss_hash_names[p->hash]);
			break;
		case SS_F_MERGE:
			DMEMIT(" %s %s", n, ss_merge_names[p->merge]);
			break;
		case SS_F_CACHE:
			DMEMIT(" %s %u", n, p->cache_blocks);
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
	if (p->merge == SS_MERGE_NONE) {
		used = p->nr_lblocks;
		mapped = p->nr_lblocks;
	} else {
		used = p->nr_blocks - p->nr_free;
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
	v[SP_STATUS_block_size].a = p->block_size;
	v[SP_STATUS_usage].a = used;
	v[SP_STATUS_usage].b = p->nr_blocks;
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
		u64 key, count = p->nr_vdisks;

		if (p->merge == SS_MERGE_NONE) {
			err = "Hints have no use with merge none";
		} else if (argc < 2 || argc > 3) {
			err = "Usage: hint <hex digest> [<count>]";
		} else if (ss_parse_digest(p, argv[1], &key)) {
			err = "Bad digest: give the pool hash's full digest in hex";
		} else if (argc == 3 && (ss_parse_u64(argv[2], &count) ||
					 !count || count > p->nr_vdisks)) {
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
	if (r < 0)
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
	if (p->merge == SS_MERGE_NONE || !len || len % p->block_size ||
	    !count || count > p->nr_vdisks)
		goto out;
	r = -ENOMEM;
	desc = kmalloc(p->desc_size, GFP_KERNEL);
	if (!desc)
		goto out;
	for (off = 0, r = 0; off < len && !r; off += p->block_size) {
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
