/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-subsist: in-memory structures shared by the files of the module.
 * From the top down (each calls only the ones below it): the pool target
 * (pool_target.c) and the vdisk target with its I/O path (vdisk.c); the
 * pool object (pool.c); commits (commit.c); the engine (engine.c) and the
 * read cache (cache.c); the metadata device (meta.c), which knows the
 * on-disk format (subsist_disk.h) and none of the others.
 */
#ifndef DM_SUBSIST_H
#define DM_SUBSIST_H

#ifdef __KERNEL__
#include <crypto/hash.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#else
#include "ss_shim.h"	/* tests/unit: the engine on the host */
#endif

#define SS_MAX_VDISKS	14
/* mask[]: bits 0-13 are the vdisks referencing a block, then two flags. */
#define SS_VMASK	0x3fffU
#define SS_PENDING	0x4000U	/* indexed, its data write is in flight */
#define SS_ONCE		0x8000U	/* has been shared since it was allocated */
#define SS_NIL		0xffffffffU	/* end of a chain or list */
#define SS_EPOCHS	32
#define SS_RUN		64	/* blocks handled by one fast-path map() call */
#define SS_MAX_HINTS	65536

enum ss_hash { SS_CRC32C, SS_XXHASH64, SS_SHA256, SS_NR_HASHES };
enum ss_merge { SS_MERGE_DATA, SS_MERGE_ALL, SS_MERGE_NONE };
enum ss_mode { SS_MODE_OK, SS_MODE_NOSPC, SS_MODE_RO };

/* Per-vdisk state, kept by the pool so it outlives vdisk table reloads. */
struct ss_vdisk {
	struct mapped_device *owner;	/* md of the active vdisk table */
	unsigned int users;		/* tables of @owner holding the index */
	u64 mapped, shared;		/* blocks mapped, of them shared */
	u64 reads, writes, merged, cow, discarded;
};

/* Blocks freed while I/O that may still touch them was in flight. */
struct ss_epoch {
	unsigned int count;		/* reads/in-place writes in flight */
	u32 head, tail;			/* freed blocks, linked by next[] */
};

/*
 * A pool's parameters: those of its table and the sizes derived from them
 * (ss_check_params() in pool_target.c).  A reloaded table must give the
 * same; the metadata device records the geometry.
 */
struct ss_params {
	dev_t data_devt, meta_devt;
	unsigned int nr_vdisks;
	unsigned int block_size, block_shift, sec_shift;
	u64 vdisk_sectors;
	u32 vblocks;			/* logical blocks per vdisk */
	u32 nr_blocks;			/* physical data blocks */
	u64 nr_lblocks;			/* nr_vdisks * vblocks */
	enum ss_hash hash;
	enum ss_merge merge;
	unsigned int cache_blocks;
};

struct ss_pool {
	struct list_head list;		/* on ss_pools, under ss_mutex */
	unsigned int refs;		/* tables using the pool, ss_mutex */
	struct mapped_device *md;	/* the pool's dm device */
	char name[16];			/* "major:minor" of @md */

	struct ss_params prm;		/* fixed for the pool's life */
	struct crypto_shash *tfm;
	unsigned int digest_size, desc_size;

	struct workqueue_struct *wq;	/* slow writes, commits */
	struct bio_set bs;		/* clones written by the worker */
	mempool_t page_pool;		/* block buffers of the worker */
	struct mutex rmw_mutex;		/* serialises read-modify-writes */
	wait_queue_head_t wait;		/* PENDING cleared, space freed */

	/* lock guards everything from here to the statistics. */
	spinlock_t lock;
	u32 *map;			/* [nr_lblocks]: 0 or pblock + 1 */
	u16 *mask;			/* [nr_blocks]: SS_VMASK | flags */
	u32 *key;			/* [nr_blocks]: index key, 0 = none */
	u32 *next;			/* [nr_blocks]: chain or free list */
	u32 *bucket;			/* [bucket_mask + 1] chain heads */
	u32 bucket_mask;
	unsigned long *free_bm;		/* allocatable blocks */
	u32 nr_free, cursor;
	u64 mapped, shared_blocks;
	struct ss_epoch epoch[SS_EPOCHS];
	unsigned int ecur, esweep;
	u32 pend_head, pend_tail, nr_pend;	/* freed, awaiting a commit */
	u32 nr_deferred;		/* freed, awaiting I/O in flight */
	unsigned long *dirty;		/* [nr_lblocks] map entries to log */
	u64 nr_dirty;
	struct bio_list commit_waiters;	/* flushes and FUA writes */
	enum ss_mode mode;
	struct ss_vdisk vd[SS_MAX_VDISKS];

	/* Hints from the layer above (merge data). */
	bool hints_on;
	struct hlist_head hint_hash[256];
	struct list_head hint_lru;
	unsigned int nr_hints;

	/* Statistics, also under lock. */
	u64 merges, collisions, mismatches, meta_writes, nospc, commits;
	u64 stale_keys;			/* candidates indexed under a stale key */

	/* Read cache of shared blocks; cache_lock nests inside lock. */
	spinlock_t cache_lock;
	unsigned int cache_n;		/* entries allocated so far */
	struct hlist_head *chash;
	unsigned int chash_mask;
	struct list_head clru;
	u64 chits, cmisses;

	/*
	 * The devices of the pool's tables (dm_get_device in the pool ctr;
	 * every table of the pool's md shares one dm_dev per device), used
	 * by the engine's own direct I/O: the commit's flush of @data and
	 * the metadata on @meta.  Set by the first pool table, NULL once the
	 * last one is gone.  commit_mutex guards them and @suspended; the
	 * hot path only tests @data for NULL (READ_ONCE).
	 */
	unsigned int nr_tables;		/* pool tables bound, ss_mutex */
	struct block_device *data, *meta;
	bool suspended;			/* between postsuspend and resume */

	/*
	 * Vdisk dm devices the pool's suspend suspended (dm_hold: each a
	 * reference), to resume with the pool; while @holding no new vdisk
	 * device binds.  ss_mutex.
	 */
	bool holding;
	unsigned int nr_held;
	struct mapped_device *held[SS_MAX_VDISKS];

	/* Commits (commit.c, meta.c); commit_mutex nests outside lock. */
	struct mutex commit_mutex;
	struct work_struct commit_work;
	struct delayed_work periodic;
	struct ss_meta *mt;
};

#define SS_MAX_CACHE	1048576U
#define SS_DISCARD_BATCH 1024U

/*
 * The I/O path.  A vdisk remaps its bios straight to the data device of
 * the pool's table (p->data, held by that table through dm_get_device, so
 * sysfs shows the pool as its holder), and the worker's compares,
 * read-modify-writes and writes go there too: one dm hop.  Suspending the
 * pool quiesces them all the way dm-thin quiesces its thin devices: the
 * pool's presuspend suspends every vdisk's dm device internally
 * (dm_internal_suspend_noflush), which holds their new bios in dm core
 * and waits for those in flight, worker's included; the resume lets them
 * go.  The commit at postsuspend, and a "commit" message, write straight
 * to the devices; the periodic commit and a vdisk flush's wait for the
 * resume.  The pool device is a read-only handle for everyone else.
 */

enum ss_feature { SS_F_BLOCK_SIZE, SS_F_HASH, SS_F_MERGE, SS_F_CACHE,
		  SS_F_META, SS_NR_FEATURES };

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

#ifdef __KERNEL__
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
	bool hashed;			/* key0 holds the first block's key */
	bool cache_fill;
	struct bvec_iter iter;		/* for filling the read cache */
	struct work_struct work;
	u64 key0;			/* for the worker, when hashed */
	u8 desc[] __aligned(CRYPTO_MINALIGN);	/* struct shash_desc */
};
#endif /* __KERNEL__ */

static inline unsigned int ss_bsec(struct ss_pool *p)
{
	return 1U << p->prm.sec_shift;
}

static inline bool ss_shared(struct ss_pool *p, u32 b)
{
	return hweight16(p->mask[b] & SS_VMASK) > 1;
}

static inline u32 ss_ikey(u64 k)
{
	return (u32)k ? (u32)k : 1;
}

/* engine.c */
u64 ss_key64(struct ss_pool *p, const u8 *digest);
void __ss_index_add(struct ss_pool *p, u32 b, u32 key);
void __ss_index_del(struct ss_pool *p, u32 b);
u32 __ss_candidate(struct ss_pool *p, u32 key, unsigned int v,
		   const u32 *skip, unsigned int nskip);
int __ss_io_begin(struct ss_pool *p);
void __ss_io_end(struct ss_pool *p, int idx);
void __ss_flush_frees(struct ss_pool *p);
u32 __ss_alloc(struct ss_pool *p, u32 want, u32 *start);
void __ss_ref_add(struct ss_pool *p, u32 b, unsigned int v);
void __ss_ref_drop(struct ss_pool *p, u32 b, unsigned int v);
void __ss_dirty(struct ss_pool *p, u32 g);
void __ss_set_map(struct ss_pool *p, unsigned int v, u32 g, u32 b);
bool __ss_inplace_ok(struct ss_pool *p, u32 b, unsigned int v);
void __ss_hints_clear(struct ss_pool *p);
int ss_hint_add(struct ss_pool *p, u64 key, unsigned int count);
void ss_defer_frees(struct ss_pool *p, u32 head, u32 tail, u32 nr);
int ss_rebuild(struct ss_pool *p);
void ss_engine_init(struct ss_pool *p);
bool __ss_indexable(struct ss_pool *p, bool meta, u64 k,
		    bool consume);

/* cache.c */
void ss_cache_invalidate(struct ss_pool *p, u32 b);
void ss_cache_drop(struct ss_pool *p);
bool ss_cache_get(struct ss_pool *p, u32 b, void *dst);
bool ss_cache_read(struct ss_pool *p, u32 b, struct bio *bio);
void ss_cache_fill(struct ss_pool *p, u32 b, struct bio *bio,
		   struct bvec_iter start);
void ss_cache_exit(struct ss_pool *p);
int ss_cache_init(struct ss_pool *p);

/* pool.c */
extern const char * const ss_hash_names[SS_NR_HASHES];
extern struct mutex ss_mutex;
extern struct list_head ss_pools, ss_vdisks;
int ss_digest(struct ss_pool *p, struct shash_desc *desc,
	      const void *data, u64 *key);
struct ss_pool *ss_pool_lookup(struct mapped_device *md);
void ss_pool_put(struct ss_pool *p);
bool ss_pool_matches(const struct ss_pool *p, const struct ss_params *prm);
struct ss_pool *ss_pool_create(const struct ss_params *prm,
			       struct block_device *meta,
			       struct mapped_device *md, char **error);
void ss_pool_bind(struct ss_pool *p, struct block_device *data,
		  struct block_device *meta);
unsigned int ss_pool_unbind(struct ss_pool *p, struct mapped_device **md);
void ss_pool_suspend_vdisks(struct ss_pool *p);
void ss_pool_resume_vdisks(struct ss_pool *p);
void ss_resume_held(struct mapped_device **md, unsigned int n);
bool ss_pool_vdisk_may_bind(struct ss_pool *p, struct mapped_device *md);

/*
 * dm core's internal suspend, exported by dm-mod (EXPORT_SYMBOL_GPL) but
 * declared in drivers/md/dm.h, which a module built outside the tree
 * cannot include; dm-thin suspends its thin devices with them.
 */
void dm_internal_suspend_noflush(struct mapped_device *md);
void dm_internal_resume(struct mapped_device *md);

/* vdisk.c */
extern struct target_type subsist_target;

/* Decimal only, no sign: kstrtoull alone takes "+1". */
static inline int ss_parse_u64(const char *s, u64 *v)
{
	if (!isdigit(*s))
		return -EINVAL;
	return kstrtoull(s, 10, v) ? -EINVAL : 0;
}

/* meta.c: the metadata device, for commit.c and pool.c */
struct ss_meta;
struct ss_meta *ss_meta_open(struct block_device *bdev,
			     const struct ss_params *prm, const char *name,
			     u32 *map, u32 *key, char **error);
void ss_meta_close(struct ss_meta *mt);
size_t ss_meta_memory(void);
u64 ss_meta_log_room(const struct ss_meta *mt);
size_t ss_meta_buf_size(const struct ss_meta *mt, bool ckpt, u64 nrecs);
void ss_meta_set_rec(void *buf, u64 n, u32 g, u32 e, u32 key);
void ss_meta_fill_ckpt(const struct ss_meta *mt, void *buf, const u32 *map,
		       const u16 *mask, const u32 *key);
int ss_meta_write_ckpt(struct ss_meta *mt, struct block_device *bdev,
		       void *buf);
int ss_meta_write_log(struct ss_meta *mt, struct block_device *bdev,
		      void *buf, u64 nrecs);

/* commit.c */
int ss_commit(struct ss_pool *p, bool now);
void ss_commit_work(struct work_struct *work);
void ss_periodic(struct work_struct *work);

#endif
