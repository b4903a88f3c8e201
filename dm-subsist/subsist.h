/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-subsist: in-memory structures shared by the targets (subsist.c) and
 * the persistent metadata (meta.c).  The on-disk format is in
 * subsist_disk.h.
 */
#ifndef DM_SUBSIST_H
#define DM_SUBSIST_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

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

struct ss_pool {
	struct list_head list;		/* on ss_pools, under ss_mutex */
	unsigned int refs;		/* tables using the pool, ss_mutex */
	struct mapped_device *md;	/* the pool's dm device */
	char name[16];			/* "major:minor" of @md */

	/* Parameters, fixed for the pool's life. */
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

	/* Persistent metadata (meta.c); commit_mutex nests outside lock. */
	struct mutex commit_mutex;
	struct work_struct commit_work;
	struct delayed_work periodic;
	struct ss_meta *mt;
};

/* meta.c */
int ss_meta_open(struct ss_pool *p, char **error);
void ss_meta_close(struct ss_pool *p);
int ss_commit(struct ss_pool *p, bool now);
size_t ss_meta_memory(struct ss_pool *p);

/* subsist.c, for meta.c */
void ss_defer_frees(struct ss_pool *p, u32 head, u32 tail, u32 nr);
int ss_rebuild(struct ss_pool *p);

#endif
