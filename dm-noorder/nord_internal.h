/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-noorder: what its files share.
 *
 * noorder.c is the target (index, destage, power cut, I/O path, table,
 * messages, status); rec.c holds the cached writes, the copies of written
 * data; log.c the log of writes, flushes and FUAs read through debugfs.
 * Calls go one way only: noorder.c to log.c and rec.c, log.c to rec.c.
 */
#ifndef DM_NORD_INTERNAL_H
#define DM_NORD_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/blk_types.h>
#include <linux/completion.h>
#include <linux/ctype.h>
#include <linux/device-mapper.h>
#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "noorder_log.h"

#define DM_MSG_PREFIX "noorder"

#define NORD_BLK_SHIFT		3	/* 8 sectors (4 KiB) per index node */
#define NORD_BLK_SECTORS		(1U << NORD_BLK_SHIFT)
#define NORD_MAX_REC_SECTORS	2048	/* 1 MiB: longer bios are split */
#define NORD_BATCH		64	/* writes destaged per batch */
#define NORD_MIN_PAGES		256	/* page reserve for cache copies */
#define NORD_MIN_BLKS		64	/* index node reserve */
#define NORD_MIN_RECS		16	/* record reserve (of the largest size) */
#define NORD_DEFAULT_CACHE_MB	64
#define NORD_MAX_CACHE_MB		(1U << 20)
#define NORD_DEFAULT_LOG_MB	64
#define NORD_MAX_LOG_MB		(1U << 20)
#define NORD_MAX_DESTAGE_MS	3600000

enum nord_order { NORD_FIFO, NORD_RANDOM, NORD_REVERSE };

enum nord_feature {
	NORD_FEAT_FLUSH, NORD_FEAT_ORDER, NORD_FEAT_SEED, NORD_FEAT_CACHE_MB,
	NORD_FEAT_DESTAGE_MS, NORD_NR_FEATURES
};

enum nord_log_state { NORD_LOG_OFF, NORD_LOG_ON, NORD_LOG_OVERFLOW };

/* Counters shown by status, all guarded by nord_c.lock. */
struct nord_stats {
	u64 reads;
	u64 writes;
	u64 read_hits;
	u64 destaged;
	u64 flushes;
	u64 flushes_ignored;
	u64 fuas;
	u64 fuas_ignored;
	u64 discards;
	u64 crash_kept;
	u64 crash_dropped;
	u64 deferred;		/* bios ->map left to the worker */
};

/* One cached write: an immutable copy of its data. */
struct nord_rec {
	struct list_head list;		/* nord_c.pending by seq; nord_c.lock */
	struct kref ref;		/* one for the cache, one per log entry */
	struct nord_c *c;
	bool pooled;			/* from nord_c.rec_pool, not the slab */
	u64 seq;			/* submission order among writes */
	sector_t sector;		/* first sector, relative to the target */
	unsigned int nr_sectors;
	unsigned int nr_pages;
	unsigned long *wmap;		/* sectors to destage; destage_mutex */
	struct page *pages[];		/* data from page offset 0 */
};

/* The size of a record of @nr_sectors: pages, then the bitmap wmap. */
static inline size_t nord_rec_size(unsigned int nr_sectors)
{
	struct nord_rec *rec;

	return struct_size(rec, pages,
			   DIV_ROUND_UP(nr_sectors << SECTOR_SHIFT, PAGE_SIZE)) +
	       BITS_TO_LONGS(nr_sectors) * sizeof(unsigned long);
}

/* Index node: the newest cached write of each sector of a 4 KiB block. */
struct nord_blk {
	union {
		struct rb_node node;	/* nord_c.blocks; nord_c.lock */
		struct list_head link;	/* spare, or freed from the tree */
	};
	sector_t blk;			/* relative sector >> NORD_BLK_SHIFT */
	struct nord_rec *src[NORD_BLK_SECTORS];
};

/* One logged event, waiting to be read through debugfs. */
struct nord_logent {
	struct list_head list;		/* nord_c.log; nord_c.lock */
	struct noorder_log_rec hdr;
	struct nord_rec *rec;		/* WRITE: its data, referenced */
};

/* Per-bio data: a FLUSH or FUA write waiting for destage (honor). */
struct nord_bio {
	struct list_head list;		/* nord_c.flush_waiters; nord_c.lock */
	u64 upto;			/* every write with seq <= upto */
};

struct nord_c {
	struct dm_target *ti;
	struct dm_dev *dev;
	sector_t start;

	/* table */
	bool honor;
	enum nord_order order;
	u64 seed;
	unsigned int cache_mb;
	unsigned int destage_ms;
	unsigned int nr_features;
	u8 features[NORD_NR_FEATURES];	/* enum nord_feature, in table order */

	spinlock_t lock;		/* guards everything below to "end" */
	bool crashed;
	bool pressure;			/* destage down to half the cache */
	u64 next_seq;			/* seq of the next write */
	u64 destage_upto;		/* destage every write with seq <= */
	u64 cached_bytes;		/* data held by pending writes */
	u64 cached_bytes_max;		/* its high-water mark since the ctr */
	u64 reserved_bytes;		/* promised to writers being copied */
	u64 limit_bytes;
	unsigned long nr_pending;
	unsigned long nr_blks;
	struct list_head pending;	/* writes not yet on the device below */
	struct rb_root blocks;		/* nord_blk index for reads */
	struct list_head flush_waiters;	/* nord_bio of held FLUSH/FUA bios */
	struct bio_list deferred;	/* bios for the worker to map, in order */
	bool deferring;			/* deferred, or the worker maps one */
	struct rnd_state order_rnd;	/* order random */
	struct nord_stats st;
	bool wb_err;			/* a destage write failed */
	/* log */
	enum nord_log_state log_state;
	u64 log_seq;
	u64 log_bytes;			/* headers and data not yet read */
	u64 log_records;
	u64 log_limit;
	struct list_head log;
	/* end of what lock guards */

	struct mutex destage_mutex;	/* one batch, crash or drain at a time */
	atomic_t batch_left;
	struct completion batch_done;
	blk_status_t batch_status;

	struct workqueue_struct *wq;
	struct delayed_work dwork;	/* destage: on demand and periodic */
	unsigned long next_tick;	/* jiffies of the next periodic pass */
	bool suspended;

	mempool_t page_pool;
	spinlock_t free_lock;		/* guards free_pages, nr_free */
	struct list_head free_pages;	/* destaged copies' pages, for reuse */
	unsigned long nr_free;
	unsigned long max_free;		/* the cache's size in pages */
	mempool_t blk_pool;
	mempool_t rec_pool;		/* nord_rec of NORD_MAX_REC_SECTORS */
	struct bio_set bs;

	struct mutex log_read_mutex;	/* guards log_cur and log_pos */
	struct nord_logent *log_cur;	/* entry being read */
	u64 log_pos;			/* bytes of log_cur already read */
	struct dentry *dbg_dir;
	char dbg_name[32];
};

static inline const char *nord_name(struct nord_c *c)
{
	return dm_device_name(dm_table_get_md(c->ti->table));
}

/* Decimal only; refuses junk, signs and overflow (kstrtoull's checks). */
static inline int nord_parse_u64(const char *s, u64 *v)
{
	if (!isdigit(*s))
		return -EINVAL;
	return kstrtoull(s, 10, v) ? -EINVAL : 0;
}

static inline int nord_parse_uint(const char *s, unsigned int max,
				  unsigned int *v)
{
	u64 t;

	if (nord_parse_u64(s, &t) || t > max)
		return -EINVAL;
	*v = t;
	return 0;
}

/* rec.c: cached writes */
struct nord_rec *nord_rec_alloc(struct nord_c *c, struct bio *bio,
				sector_t sector, unsigned int nr_sectors);
void nord_rec_put(struct nord_rec *rec);
void nord_rec_read_sector(struct nord_rec *rec, sector_t s, char *dst);
void nord_pages_drop(struct nord_c *c);

/* log.c: the log */
struct nord_logent *nord_logent_alloc(struct nord_c *c);
struct nord_logent *__nord_log_add(struct nord_c *c, struct nord_logent *e,
				   enum noorder_log_type type, u32 flags,
			       sector_t sector, u64 nr_sectors,
			       struct nord_rec *rec);
void nord_log_clear(struct nord_c *c, enum nord_log_state state);
int nord_msg_log(struct nord_c *c, unsigned int argc, char **argv,
		 char *result, unsigned int maxlen, const char **err);
void nord_log_debugfs_add(struct nord_c *c);
void nord_log_debugfs_remove(struct nord_c *c);
void nord_log_debugfs_init(void);
void nord_log_debugfs_exit(void);

#endif /* DM_NORD_INTERNAL_H */
