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

#define SS_MAX_CACHE	1048576U
#define SS_DISCARD_BATCH 1024U

/*
 * The I/O path, as dm-thin's: a vdisk remaps its bios to its pool's dm
 * device (vc->pool_dev, sectors in data-device space) and the pool target
 * passes them on to the data device.  So suspending the pool holds vdisk
 * I/O in dm core, and the pool's dm device accounts for it.  The pool
 * device is a read-only handle for everyone else: its map kills writes
 * that do not carry SS_REQ_VDISK, the mark a vdisk puts on the writes it
 * sends (REQ_DRV, "for driver use": the block layer and dm clones copy
 * it, no file system or user space sets it).  The pool target clears it
 * before passing a write on.  dm core uses REQ_DRV itself for its poll
 * list of a polled bio entering a dm device, so a marked bio is not
 * polled (REQ_POLLED cleared): it completes by interrupt.
 *
 * The engine's own I/O:
 * - a candidate's compare read, a read-modify-write's read and every
 *   data write of the worker go through the pool device too, like vdisk
 *   bios (ss_block_io(), ss_write_block()): while the pool is suspended
 *   they wait in dm core, and the worker with them;
 * - the read cache is filled from completed vdisk reads: no I/O;
 * - the commit (meta.c) flushes the data device and writes the metadata
 *   straight to the devices of the pool's table (p->data, p->meta), not
 *   through the pool device: it runs at postsuspend, when I/O sent
 *   through the pool device would wait for the resume.  While the pool
 *   is suspended only that commit (and a "commit" message) writes; the
 *   periodic commit, a vdisk flush's and the worker's wait for the resume.
 */
#define SS_REQ_VDISK	REQ_DRV

static const char * const ss_hash_names[SS_NR_HASHES] = {
	"crc32c", "xxhash64", "sha256"
};
static const char * const ss_merge_names[] = { "data", "all", "none" };
static const char * const ss_mode_names[] = { "ok", "out_of_space", "read_only" };

enum ss_feature { SS_F_BLOCK_SIZE, SS_F_HASH, SS_F_MERGE, SS_F_CACHE,
		  SS_F_META, SS_NR_FEATURES };
static const char * const ss_feature_names[SS_NR_FEATURES] = {
	"block_size", "hash", "merge", "cache_blocks", "meta_dev"
};

/* ss_mutex guards the lists of pools and vdisks and each pool's refs. */
static DEFINE_MUTEX(ss_mutex);
static LIST_HEAD(ss_pools);
static LIST_HEAD(ss_vdisks);

struct ss_centry {
	struct hlist_node node;
	struct list_head lru;
	u32 block;
	bool valid;
	struct page *page;
};

struct ss_hint {
	struct hlist_node node;
	struct list_head lru;
	u64 key;
	unsigned int left;		/* vdisk writes it may still match */
};

/* Pool table context: one per table load. */
struct ss_pc {
	struct dm_target *ti;
	struct ss_pool *pool;
	struct dm_dev *data_dev, *meta_dev;
	unsigned int nr_features;
	u8 features[SS_NR_FEATURES];	/* in table order */
};

/* Vdisk table context. */
struct ss_vc {
	struct dm_target *ti;
	struct ss_pool *pool;
	struct dm_dev *pool_dev;
	unsigned int index;
	u32 base;			/* index * vblocks */
	dev_t devt;			/* of the vdisk's dm device */
	struct list_head list;		/* on ss_vdisks */
};

enum ss_io { SS_IO_NONE, SS_IO_READ, SS_IO_NEW, SS_IO_INPLACE };

/* Per-bio state of a vdisk bio. */
struct ss_bio {
	struct ss_vc *vc;
	enum ss_io kind;
	int epoch;			/* deferred-free epoch held, or -1 */
	u32 g;				/* first global logical block */
	u32 pblock, nr;			/* physical run written or read */
	bool fua;			/* commit before completing */
	bool partial;			/* sub-block write: read-modify-write */
	bool hashed;			/* keys[0] holds the first block's key */
	bool cache_fill;
	struct bvec_iter iter;		/* for filling the read cache */
	struct work_struct work;
	u64 keys[SS_RUN];
	u8 desc[] __aligned(CRYPTO_MINALIGN);	/* struct shash_desc */
};

static inline unsigned int ss_bsec(struct ss_pool *p)
{
	return 1U << p->sec_shift;
}

static inline bool ss_shared(struct ss_pool *p, u32 b)
{
	return hweight16(p->mask[b] & SS_VMASK) > 1;
}

/* ---- the content index ---------------------------------------------- */

static u64 ss_key64(struct ss_pool *p, const u8 *digest)
{
	return p->digest_size >= 8 ? get_unaligned_le64(digest) :
				     get_unaligned_le32(digest);
}

static inline u32 ss_ikey(u64 k)
{
	return (u32)k ? (u32)k : 1;
}

static u32 *ss_bucket(struct ss_pool *p, u32 key)
{
	return &p->bucket[hash_32(key, 32) & p->bucket_mask];
}

static void __ss_index_add(struct ss_pool *p, u32 b, u32 key)
{
	u32 *head = ss_bucket(p, key);

	p->key[b] = key;
	p->next[b] = *head;
	*head = b;
}

static void __ss_index_del(struct ss_pool *p, u32 b)
{
	u32 *pp = ss_bucket(p, p->key[b]);

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
static u32 __ss_candidate(struct ss_pool *p, u32 key, unsigned int v,
			  const u32 *skip, unsigned int nskip)
{
	u32 b;
	unsigned int i;

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

/* ---- the read cache ------------------------------------------------- */

static struct ss_centry *__ss_cache_find(struct ss_pool *p, u32 b)
{
	struct ss_centry *e;

	hlist_for_each_entry(e, &p->chash[hash_32(b, 32) & p->chash_mask], node)
		if (e->block == b)
			return e;
	return NULL;
}

static void ss_cache_invalidate(struct ss_pool *p, u32 b)
{
	struct ss_centry *e;
	unsigned long flags;

	if (!p->cache_blocks)
		return;
	spin_lock_irqsave(&p->cache_lock, flags);
	e = __ss_cache_find(p, b);
	if (e) {
		hlist_del_init(&e->node);
		e->valid = false;
		list_move_tail(&e->lru, &p->clru);
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
}

static void ss_cache_drop(struct ss_pool *p)
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
static bool ss_cache_get(struct ss_pool *p, u32 b, void *dst)
{
	struct ss_centry *e;
	unsigned long flags;

	if (!p->cache_blocks)
		return false;
	spin_lock_irqsave(&p->cache_lock, flags);
	e = __ss_cache_find(p, b);
	if (e) {
		memcpy(dst, page_address(e->page), p->block_size);
		list_move(&e->lru, &p->clru);
	}
	spin_unlock_irqrestore(&p->cache_lock, flags);
	return e;
}

/* Serves a whole-block read from the cache; false on a miss. */
static bool ss_cache_read(struct ss_pool *p, u32 b, struct bio *bio)
{
	struct ss_centry *e;
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned long flags;
	unsigned int done = 0;

	spin_lock_irqsave(&p->cache_lock, flags);
	e = __ss_cache_find(p, b);
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

static void ss_cache_fill(struct ss_pool *p, u32 b, struct bio *bio,
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
	if (READ_ONCE(p->cache_n) < p->cache_blocks)
		fresh = ss_centry_alloc();
	spin_lock_irqsave(&p->cache_lock, flags);
	if (__ss_cache_find(p, b))
		goto out;
	if (fresh && p->cache_n < p->cache_blocks) {
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

static void ss_cache_exit(struct ss_pool *p)
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
static int ss_cache_init(struct ss_pool *p)
{
	unsigned int i, nh;

	INIT_LIST_HEAD(&p->clru);
	p->cache_n = 0;
	if (!p->cache_blocks)
		return 0;
	nh = roundup_pow_of_two(max(p->cache_blocks / 2, 16U));
	p->chash_mask = nh - 1;
	p->chash = kvcalloc(nh, sizeof(*p->chash),
			    GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!p->chash)
		return -ENOMEM;
	for (i = 0; i < nh; i++)
		INIT_HLIST_HEAD(&p->chash[i]);
	return 0;
}

/* ---- free space ------------------------------------------------------ */

/*
 * A freed block becomes allocatable only when no read or in-place write
 * that might still touch it is in flight (the epochs below, the idea of
 * dm's deferred sets) and, with a meta_dev, when the commit that records
 * it free is on disk (meta.c calls ss_defer_frees()).
 */
static void __ss_release(struct ss_pool *p, u32 head)
{
	u32 b, nb;

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

static int __ss_io_begin(struct ss_pool *p)
{
	p->epoch[p->ecur].count++;
	return p->ecur;
}

static void __ss_io_end(struct ss_pool *p, int idx)
{
	p->epoch[idx].count--;
	__ss_sweep(p);
}

static void __ss_defer(struct ss_pool *p, u32 head, u32 tail, u32 nr)
{
	struct ss_epoch *e = &p->epoch[p->ecur];
	unsigned int nx = (p->ecur + 1) % SS_EPOCHS;

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

static void __ss_flush_frees(struct ss_pool *p)
{
	if (p->mt || !p->nr_pend)
		return;
	__ss_defer(p, p->pend_head, p->pend_tail, p->nr_pend);
	p->pend_head = SS_NIL;
	p->pend_tail = SS_NIL;
	p->nr_pend = 0;
}

/* A run of up to @want free blocks, from the allocation cursor on. */
static u32 __ss_alloc(struct ss_pool *p, u32 want, u32 *start)
{
	unsigned long b, e;

	if (!p->nr_free)
		return 0;
	b = find_next_bit(p->free_bm, p->nr_blocks, p->cursor);
	if (b >= p->nr_blocks)
		b = find_first_bit(p->free_bm, p->nr_blocks);
	if (b >= p->nr_blocks)
		return 0;
	e = find_next_zero_bit(p->free_bm, min_t(unsigned long, p->nr_blocks,
						  b + want), b);
	bitmap_clear(p->free_bm, b, e - b);
	p->nr_free -= e - b;
	p->cursor = e < p->nr_blocks ? e : 0;
	*start = b;
	return e - b;
}

/* ---- references and maps --------------------------------------------- */

static void __ss_ref_add(struct ss_pool *p, u32 b, unsigned int v)
{
	unsigned int m = p->mask[b] & SS_VMASK;

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

static void __ss_ref_drop(struct ss_pool *p, u32 b, unsigned int v)
{
	unsigned int m;

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

static void __ss_dirty(struct ss_pool *p, u32 g)
{
	if (p->dirty && !__test_and_set_bit(g, p->dirty))
		p->nr_dirty++;
}

/* Points @g at @b (whose reference @v already holds), or unmaps it. */
static void __ss_set_map(struct ss_pool *p, unsigned int v, u32 g, u32 b)
{
	u32 old = p->map[g];

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
static bool __ss_inplace_ok(struct ss_pool *p, u32 b, unsigned int v)
{
	u16 m = p->mask[b];

	return (m & SS_VMASK) == BIT(v) && !(m & SS_PENDING) &&
	       !(p->mt && (m & SS_ONCE));
}

/* ---- hints ------------------------------------------------------------ */

static struct ss_hint *__ss_hint_find(struct ss_pool *p, u64 key)
{
	struct ss_hint *h;

	hlist_for_each_entry(h, &p->hint_hash[hash_64(key, 8)], node)
		if (h->key == key)
			return h;
	return NULL;
}

static void __ss_hint_del(struct ss_pool *p, struct ss_hint *h)
{
	hlist_del(&h->node);
	list_del(&h->lru);
	p->nr_hints--;
	kfree(h);
}

static void __ss_hints_clear(struct ss_pool *p)
{
	struct ss_hint *h, *tmp;

	list_for_each_entry_safe(h, tmp, &p->hint_lru, lru)
		__ss_hint_del(p, h);
}

static int ss_hint_add(struct ss_pool *p, u64 key, unsigned int count)
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
static bool __ss_indexable(struct ss_pool *p, blk_opf_t opf, u64 k,
			   bool consume)
{
	struct ss_hint *h;

	if (p->merge == SS_MERGE_ALL)
		return true;
	if (opf & REQ_META)
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

/* ---- data helpers ----------------------------------------------------- */

static int ss_digest(struct ss_pool *p, struct shash_desc *desc,
		     const void *data, u64 *key)
{
	u8 digest[SHA256_DIGEST_SIZE];
	int r;

	desc->tfm = p->tfm;
	r = crypto_shash_digest(desc, data, p->block_size, digest);
	*key = r ? 0 : ss_key64(p, digest);
	return r;
}

/* Hashes the first @nr whole blocks of @bio into @keys. */
static void ss_hash_bio(struct ss_pool *p, struct shash_desc *desc,
			struct bio *bio, unsigned int nr, u64 *keys)
{
	u8 digest[SHA256_DIGEST_SIZE];
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned int fill = 0, i = 0;

	desc->tfm = p->tfm;
	bio_for_each_segment(bv, bio, it) {
		unsigned int off = 0;

		while (off < bv.bv_len) {
			unsigned int n = min(bv.bv_len - off,
					     p->block_size - fill);
			void *a = bvec_kmap_local(&bv);

			if (!fill && n == p->block_size) {
				/* The common case: a block in one segment. */
				crypto_shash_digest(desc, a + off, n, digest);
				kunmap_local(a);
				keys[i++] = ss_key64(p, digest);
				if (i == nr)
					return;
				off += n;
				continue;
			}

			if (!fill)
				crypto_shash_init(desc);
			crypto_shash_update(desc, a + off, n);
			kunmap_local(a);
			off += n;
			fill += n;
			if (fill < p->block_size)
				continue;
			crypto_shash_final(desc, digest);
			keys[i++] = ss_key64(p, digest);
			if (i == nr)
				return;
			fill = 0;
		}
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

/* Marks a vdisk bio for the pool device, which passes only marked writes. */
static void ss_mark(struct bio *bio)
{
	if (op_is_write(bio_op(bio)))
		bio->bi_opf = (bio->bi_opf | SS_REQ_VDISK) & ~REQ_POLLED;
}

/* Sends @bio to the pool device at data-device sector @sector. */
static int ss_remap(struct ss_vc *vc, struct bio *bio, sector_t sector)
{
	bio_set_dev(bio, vc->pool_dev->bdev);
	bio->bi_iter.bi_sector = sector;
	ss_mark(bio);
	return DM_MAPIO_REMAPPED;
}

/* One block of the worker's, through the pool device as a vdisk bio. */
static int ss_block_io(struct ss_vc *vc, blk_opf_t opf, u32 b,
		       struct page *page)
{
	struct ss_pool *p = vc->pool;
	struct bio *bio = bio_alloc(vc->pool_dev->bdev, 1, opf, GFP_NOIO);
	int r;

	bio->bi_iter.bi_sector = (sector_t)b << p->sec_shift;
	__bio_add_page(bio, page, p->block_size, 0);
	ss_mark(bio);
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
 * that holds them back.  A suspended pool does neither: wait for its
 * resume first, so that a write waiting for space stays pending instead
 * of failing with ENOSPC.
 */
static void ss_reclaim(struct ss_pool *p)
{
	do {
		wait_event(p->wait, !READ_ONCE(p->suspended));
	} while (p->mt && ss_commit(p, false) == -EAGAIN);
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
	idx = can_index && __ss_indexable(p, bio->bi_opf, k, true);
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

	if (page) {
		wb = bio_alloc(vc->pool_dev->bdev, 1, REQ_OP_WRITE, GFP_NOIO);
		__bio_add_page(wb, page, p->block_size, 0);
	} else {
		wb = bio_alloc_clone(vc->pool_dev->bdev, bio, GFP_NOIO, &p->bs);
	}
	wb->bi_opf = REQ_OP_WRITE | (bio->bi_opf & (REQ_META | REQ_PRIO |
						    REQ_SYNC));
	if (!p->mt)
		wb->bi_opf |= bio->bi_opf & REQ_FUA;
	wb->bi_iter.bi_sector = (sector_t)b << p->sec_shift;
	ss_mark(wb);
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
	bool can_index = p->merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
	unsigned long flags;
	struct page *page;
	u32 tried[4], b, key = 0;
	u64 k = 0, bk;
	blk_status_t st;
	bool read, stale;

	if (can_index) {
		if (pb->hashed)
			k = pb->keys[0];
		else
			ss_hash_bio(p, desc, bio, 1, &k);
		key = ss_ikey(k);
	}
	page = mempool_alloc(&p->page_pool, GFP_NOIO);
	while (can_index && ntried < ARRAY_SIZE(tried)) {
		bool same;

		spin_lock_irqsave(&p->lock, flags);
		b = SS_NIL;
		if (__ss_indexable(p, bio->bi_opf, k, false))
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
		       ss_bio_equals(bio, page_address(page), p->block_size);
		/* Keys equal, data not: a collision, or a stale key? */
		stale = read && !same &&
			!ss_digest(p, desc, page_address(page), &bk) &&
			ss_ikey(bk) != key;

		spin_lock_irqsave(&p->lock, flags);
		if (same) {
			__ss_indexable(p, bio->bi_opf, k, true);
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
	bool can_index = p->merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
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
		memset(page_address(page), 0, p->block_size);
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
	u32 g = vc->base + (s >> p->sec_shift);
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
	if (p->cache_blocks && ss_shared(p, b)) {
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
	return ss_remap(vc, bio, ((sector_t)b << p->sec_shift) + off);
}

/* Gives back new blocks reserved by ss_map_write() but not written. */
static void __ss_unreserve(struct ss_pool *p, u32 b, u32 nr)
{
	u32 i;

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
static int ss_map_write(struct ss_vc *vc, struct bio *bio, struct ss_bio *pb)
{
	struct ss_pool *p = vc->pool;
	unsigned int v = vc->index;
	sector_t s = bio->bi_iter.bi_sector;
	unsigned int bsec = ss_bsec(p), off = s & (bsec - 1);
	unsigned int len = bio_sectors(bio);
	bool can_index = p->merge == SS_MERGE_ALL || !(bio->bi_opf & REQ_META);
	unsigned long flags;
	u32 nr, i, k, first, start = 0;
	bool inplace;

	pb->g = vc->base + (s >> p->sec_shift);
	if (off || len < bsec) {
		if (off + len > bsec)
			dm_accept_partial_bio(bio, bsec - off);
		return ss_defer_write(vc, bio, pb, true);
	}
	nr = min_t(u32, len >> p->sec_shift, SS_RUN);

	spin_lock_irqsave(&p->lock, flags);
	first = p->map[pb->g];
	k = 0;
	if (first && __ss_inplace_ok(p, first - 1, v))
		for (k = 1; k < nr; k++)
			if (p->map[pb->g + k] != first + k ||
			    !__ss_inplace_ok(p, first - 1 + k, v))
				break;
	inplace = k == nr;
	if (!inplace) {
		u32 want = nr, n;

		if (!k)	/* up to the next block that could go in place */
			for (want = 1; want < nr; want++) {
				u32 e = p->map[pb->g + want];

				if (e && __ss_inplace_ok(p, e - 1, v))
					break;
			}
		n = __ss_alloc(p, want, &start);
		if (n) {
			k = n;
			for (i = 0; i < k; i++)
				p->mask[start + i] = BIT(v) | SS_PENDING;
		} else if (k) {
			inplace = true;
		} else {
			/* Wait for space (or fail) in the worker. */
			spin_unlock_irqrestore(&p->lock, flags);
			if (len > bsec)
				dm_accept_partial_bio(bio, bsec);
			return ss_defer_write(vc, bio, pb, false);
		}
	}
	if (inplace)
		for (i = 0; i < k; i++)
			p->mask[first - 1 + i] |= SS_PENDING;
	spin_unlock_irqrestore(&p->lock, flags);

	if (can_index)
		ss_hash_bio(p, (struct shash_desc *)pb->desc, bio, k, pb->keys);

	spin_lock_irqsave(&p->lock, flags);
	for (i = 0; can_index && i < k; i++)
		if (__ss_indexable(p, bio->bi_opf, pb->keys[i], false) &&
		    __ss_candidate(p, ss_ikey(pb->keys[i]), v, NULL, 0) !=
		    SS_NIL)
			break;
	if (can_index && i < k) {
		/* Another vdisk may hold block i: write up to it only. */
		u32 j;

		for (j = i; j < k; j++) {
			if (inplace)
				p->mask[first - 1 + j] &= ~SS_PENDING;
			else
				__ss_unreserve(p, start + j, 1);
		}
		k = i;
	}
	if (!k) {
		spin_unlock_irqrestore(&p->lock, flags);
		wake_up_all(&p->wait);
		pb->hashed = can_index;
		if (len > bsec)
			dm_accept_partial_bio(bio, bsec);
		return ss_defer_write(vc, bio, pb, false);
	}
	for (i = 0; i < k; i++) {
		u32 b = inplace ? first - 1 + i : start + i;
		u32 old = p->map[pb->g + i];

		if (inplace && p->key[b])
			__ss_index_del(p, b);
		if (!inplace && old && ss_shared(p, old - 1))
			p->vd[v].cow++;
		if (can_index && __ss_indexable(p, bio->bi_opf, pb->keys[i], true))
			__ss_index_add(p, b, ss_ikey(pb->keys[i]));
	}
	pb->epoch = inplace ? __ss_io_begin(p) : -1;
	p->vd[v].writes++;
	if (bio->bi_opf & REQ_META)
		p->meta_writes++;
	spin_unlock_irqrestore(&p->lock, flags);

	if (k << p->sec_shift < len)
		dm_accept_partial_bio(bio, k << p->sec_shift);
	pb->kind = inplace ? SS_IO_INPLACE : SS_IO_NEW;
	pb->pblock = inplace ? first - 1 : start;
	pb->nr = k;
	if (p->mt && (bio->bi_opf & REQ_FUA)) {
		pb->fua = true;
		bio->bi_opf &= ~REQ_FUA;
	}
	return ss_remap(vc, bio, (sector_t)pb->pblock << p->sec_shift);
}

static int ss_map_discard(struct ss_vc *vc, struct bio *bio)
{
	struct ss_pool *p = vc->pool;
	unsigned int v = vc->index;
	sector_t s = bio->bi_iter.bi_sector;
	u64 l = DIV_ROUND_UP_SECTOR_T(s, ss_bsec(p));
	u64 end = (s + bio_sectors(bio)) >> p->sec_shift;
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
			((sector_t)vc->base << p->sec_shift));
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
	if (p->merge == SS_MERGE_NONE)
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

/* Derives references, free space and the index from map[] and key[]. */
int ss_rebuild(struct ss_pool *p)
{
	unsigned int v;
	u32 l, b;

	memset(p->mask, 0, p->nr_blocks * sizeof(*p->mask));
	memset(p->next, 0xff, p->nr_blocks * sizeof(*p->next));
	memset(p->bucket, 0xff, (p->bucket_mask + 1) * sizeof(*p->bucket));
	memset(p->vd, 0, sizeof(p->vd));
	p->mapped = 0;
	p->shared_blocks = 0;
	for (v = 0; v < p->nr_vdisks; v++) {
		for (l = 0; l < p->vblocks; l++) {
			u32 e = p->map[(u64)v * p->vblocks + l];

			if (!e)
				continue;
			if (e > p->nr_blocks || (p->mask[e - 1] & BIT(v)))
				return -EUCLEAN;
			__ss_ref_add(p, e - 1, v);
			p->vd[v].mapped++;
			p->mapped++;
		}
	}
	bitmap_fill(p->free_bm, p->nr_blocks);
	p->nr_free = p->nr_blocks;
	for (b = 0; b < p->nr_blocks; b++) {
		u32 key = p->key[b];

		p->key[b] = 0;
		if (!p->mask[b])
			continue;
		clear_bit(b, p->free_bm);
		p->nr_free--;
		if (key)
			__ss_index_add(p, b, key);
	}
	return 0;
}

/* ---- the pool --------------------------------------------------------- */

static struct ss_pool *__ss_pool_find(struct mapped_device *md)
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

static void __ss_pool_put(struct ss_pool *p)
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

static int ss_parse_u64(const char *s, u64 *v)
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
		__ss_pool_put(pc->pool);
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
	p = __ss_pool_find(md);
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

/* ---- vdisk table ------------------------------------------------------ */

static void subsist_dtr(struct dm_target *ti)
{
	struct ss_vc *vc = ti->private;

	if (vc->pool) {
		mutex_lock(&ss_mutex);
		list_del(&vc->list);
		if (!--vc->pool->vd[vc->index].users)
			vc->pool->vd[vc->index].owner = NULL;
		__ss_pool_put(vc->pool);
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
	p = __ss_pool_find(pool_md);
	dm_put(pool_md);
	if (!p) {
		ti->error = "pool_dev is not an active subsist-pool";
	} else if (vc->index >= p->nr_vdisks) {
		ti->error = "vdisk_index is not below the pool's nr_vdisks";
	} else if (ti->len > p->vdisk_sectors) {
		ti->error = "vdisk table is longer than the pool's vdisk_sectors";
	} else if (p->vd[vc->index].owner && p->vd[vc->index].owner != md) {
		ti->error = "vdisk_index is in use by another device";
		r = -EBUSY;
	} else {
		vd = &p->vd[vc->index];
		vd->owner = md;
		vd->users++;
		p->refs++;
		vc->pool = p;
		vc->base = vc->index * p->vblocks;
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
		if (p->merge == SS_MERGE_NONE)
			vd.mapped = p->vblocks;
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
	unsigned int bs = vc->pool->block_size;

	limits->physical_block_size = max(limits->physical_block_size, bs);
	limits->io_min = max(limits->io_min, bs);
	limits->discard_granularity = bs;
	limits->max_discard_sectors = 1U << 17;
	limits->max_hw_discard_sectors = 1U << 17;
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

static struct target_type subsist_target = {
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
