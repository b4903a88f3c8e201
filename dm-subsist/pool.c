// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-subsist: the pool object, apart from its targets: the list of pools
 * (ss_mutex), creation from a table's parameters and devices, the
 * binding of pool tables to it, the content hash, and its destruction
 * when its last table goes.
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

const char * const ss_hash_names[SS_NR_HASHES] = {
	"crc32c", "xxhash64", "sha256"
};

/* ss_mutex guards the lists of pools and vdisks and each pool's refs. */
DEFINE_MUTEX(ss_mutex);
LIST_HEAD(ss_pools);
LIST_HEAD(ss_vdisks);

int ss_digest(struct ss_pool *p, struct shash_desc *desc,
	      const void *data, u64 *key)
{
	u8 digest[SHA256_DIGEST_SIZE];
	int r;

	desc->tfm = p->tfm;
	r = crypto_shash_digest(desc, data, p->prm.block_size, digest);
	*key = r ? 0 : ss_key64(p, digest);
	return r;
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
		ss_meta_close(p->mt);
	kvfree(p->dirty);
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
	u32 nb = rounddown_pow_of_two(max(p->prm.nr_blocks / 4, 64U));

	p->map = kvcalloc(p->prm.nr_lblocks, sizeof(*p->map), SS_GFP_BIG);
	p->mask = kvcalloc(p->prm.nr_blocks, sizeof(*p->mask), SS_GFP_BIG);
	p->key = kvcalloc(p->prm.nr_blocks, sizeof(*p->key), SS_GFP_BIG);
	p->next = kvmalloc_array(p->prm.nr_blocks, sizeof(*p->next),
				 SS_GFP_BIG);
	p->bucket = kvmalloc_array(nb, sizeof(*p->bucket), SS_GFP_BIG);
	p->free_bm = kvcalloc(BITS_TO_LONGS(p->prm.nr_blocks), sizeof(long),
			      SS_GFP_BIG);
	if (!p->map || !p->mask || !p->key || !p->next || !p->bucket ||
	    !p->free_bm)
		return -ENOMEM;
	p->bucket_mask = nb - 1;
	memset(p->next, 0xff, p->prm.nr_blocks * sizeof(*p->next));
	memset(p->bucket, 0xff, nb * sizeof(*p->bucket));
	bitmap_fill(p->free_bm, p->prm.nr_blocks);
	p->nr_free = p->prm.nr_blocks;
	return 0;
}

/* Kernel memory of the pool, without the read cache's blocks. */
static size_t ss_pool_memory(struct ss_pool *p)
{
	size_t m = sizeof(*p);

	if (p->prm.merge == SS_MERGE_NONE)
		return m;
	m += p->prm.nr_lblocks * sizeof(*p->map);
	m += (size_t)p->prm.nr_blocks * (sizeof(*p->mask) + sizeof(*p->key) +
				     sizeof(*p->next));
	m += (p->bucket_mask + 1) * sizeof(*p->bucket);
	m += BITS_TO_LONGS(p->prm.nr_blocks) * sizeof(long);
	if (p->mt)
		m += ss_meta_memory() +
		     BITS_TO_LONGS(p->prm.nr_lblocks) * sizeof(long);
	return m;
}

/*
 * Binds a pool table, with its data and metadata (or NULL) devices, to its
 * pool: the engine's direct I/O (commits, the metadata) uses the devices
 * of the bound tables.  All tables of one dm device share one dm_dev per
 * device, so the block devices stay the same while any of them is bound.
 */
void ss_pool_bind(struct ss_pool *p, struct block_device *data,
		  struct block_device *meta)
{
	lockdep_assert_held(&ss_mutex);
	if (p->nr_tables++)
		return;
	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->data, data);
	p->meta = meta;
	mutex_unlock(&p->commit_mutex);
}

/* Takes the held vdisk devices out of the pool, into @md[]. */
static unsigned int ss_pool_take_held(struct ss_pool *p,
				      struct mapped_device **md)
{
	unsigned int n = p->nr_held;

	lockdep_assert_held(&ss_mutex);
	memcpy(md, p->held, n * sizeof(*md));
	p->nr_held = 0;
	p->holding = false;
	return n;
}

/* Resumes the vdisk devices taken by ss_pool_take_held(); drops them. */
void ss_resume_held(struct mapped_device **md, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		dm_internal_resume(md[i]);
		dm_put(md[i]);
	}
}

/*
 * The last pool table commits and lets go of the devices.  Another target
 * loaded into the pool device resumes no pool: the vdisks its suspend
 * held are handed to the caller in @md[] (their number returned), to be
 * resumed once ss_mutex is dropped; they then find no pool table (EIO).
 */
unsigned int ss_pool_unbind(struct ss_pool *p, struct mapped_device **md)
{
	lockdep_assert_held(&ss_mutex);
	if (--p->nr_tables)
		return 0;
	if (p->mt)
		ss_commit(p, true);
	mutex_lock(&p->commit_mutex);
	WRITE_ONCE(p->data, NULL);
	p->meta = NULL;
	mutex_unlock(&p->commit_mutex);
	return ss_pool_take_held(p, md);
}

/*
 * Suspending the pool suspends its vdisks first, as dm-thin does with its
 * thin devices: dm core then holds their I/O, waits for what is in flight
 * (the worker's compares and writes with it) and maps the held bios again
 * after the resume.  Vdisk I/O goes straight to the data device, without a
 * second pass through the pool device.  Each vdisk's dm device is held
 * (dm_hold) until the resume.
 */
void ss_pool_suspend_vdisks(struct ss_pool *p)
{
	struct mapped_device *md[SS_MAX_VDISKS];
	unsigned int i, n;

	mutex_lock(&ss_mutex);
	if (!p->holding) {
		p->holding = true;
		for (i = 0; i < p->prm.nr_vdisks; i++) {
			struct mapped_device *o = p->vd[i].owner;

			if (o && !dm_hold(o))
				p->held[p->nr_held++] = o;
		}
	}
	n = p->nr_held;
	memcpy(md, p->held, n * sizeof(*md));
	mutex_unlock(&ss_mutex);
	for (i = 0; i < n; i++)
		dm_internal_suspend_noflush(md[i]);
}

/* Resumes what ss_pool_suspend_vdisks() suspended; nothing if nothing. */
void ss_pool_resume_vdisks(struct ss_pool *p)
{
	struct mapped_device *md[SS_MAX_VDISKS];
	unsigned int n;

	mutex_lock(&ss_mutex);
	n = ss_pool_take_held(p, md);
	mutex_unlock(&ss_mutex);
	ss_resume_held(md, n);
}

/* May vdisk table of @md bind now?  Not a new one while the pool is held. */
bool ss_pool_vdisk_may_bind(struct ss_pool *p, struct mapped_device *md)
{
	unsigned int i;

	lockdep_assert_held(&ss_mutex);
	if (!p->holding)
		return true;
	for (i = 0; i < p->nr_held; i++)
		if (p->held[i] == md)
			return true;
	return false;
}


bool ss_pool_matches(const struct ss_pool *p, const struct ss_params *prm)
{
	return p->prm.data_devt == prm->data_devt &&
	       p->prm.meta_devt == prm->meta_devt &&
	       p->prm.nr_vdisks == prm->nr_vdisks &&
	       p->prm.vdisk_sectors == prm->vdisk_sectors &&
	       p->prm.block_size == prm->block_size &&
	       p->prm.hash == prm->hash && p->prm.merge == prm->merge &&
	       p->prm.cache_blocks == prm->cache_blocks;
}

/* Loads (or formats) the metadata on @meta into the new pool's maps. */
static int ss_pool_load(struct ss_pool *p, const struct ss_params *prm,
			struct block_device *meta, char **error)
{
	struct ss_meta *mt;
	int r;

	p->dirty = kvcalloc(BITS_TO_LONGS(p->prm.nr_lblocks), sizeof(long),
			    SS_GFP_BIG);
	if (!p->dirty) {
		*error = "Cannot allocate metadata state";
		return -ENOMEM;
	}
	mt = ss_meta_open(meta, prm, p->name, p->map, p->key, error);
	if (IS_ERR(mt))
		return PTR_ERR(mt);
	p->mt = mt;
	r = ss_rebuild(p);
	if (r)
		*error = "Metadata maps a block twice within one vdisk (corrupt meta_dev)";
	return r;
}

/*
 * A new pool for parameters @prm with metadata on @meta (NULL without a
 * meta_dev), on dm device @md.  Not yet on ss_pools nor bound.
 */
struct ss_pool *ss_pool_create(const struct ss_params *prm,
			       struct block_device *meta,
			       struct mapped_device *md, char **error)
{
	struct ss_pool *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int r;

	if (!p) {
		*error = "Cannot allocate the pool";
		return ERR_PTR(-ENOMEM);
	}
	p->prm = *prm;
	p->md = md;
	p->refs = 1;
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
	ss_engine_init(p);

	p->tfm = crypto_alloc_shash(ss_hash_names[p->prm.hash], 0, 0);
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
	if (p->prm.merge != SS_MERGE_NONE) {
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
	if (meta) {
		r = ss_pool_load(p, prm, meta, error);
		if (r)
			goto bad;
		queue_delayed_work(p->wq, &p->periodic, HZ);
	}
	DMINFO("%s: pool of %u vdisks, %u blocks of %u bytes, %zu KiB of kernel memory",
	       p->name, p->prm.nr_vdisks, p->prm.nr_blocks, p->prm.block_size,
	       ss_pool_memory(p) >> 10);
	return p;

bad:
	ss_pool_destroy(p);
	return ERR_PTR(r);
}
