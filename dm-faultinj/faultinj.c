// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-faultinj: drop, fail or corrupt chosen I/O, and cut the power at a
 * chosen write, for crash and fault-injection tests of what sits above.
 *
 * Rules (added by message) pick I/O by operation, sector range, block type
 * and a seeded trigger; the first rule that fires decides what happens.
 * The I/O path takes no lock: rules and the block-type map are immutable
 * snapshots published under RCU, counters are per-CPU or atomic.
 *
 * See docs/dm-faultinj.rst.
 */
#include <linux/bio.h>
#include <linux/bitops.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>

#include "dm_status.h"
#include "fi_core.h"
#include "strict_args.h"

#define DM_MSG_PREFIX "faultinj"

#define FI_DEFAULT_BLOCK_SIZE	4096
/* Largest write copied at once for corruption: one bio of BIO_MAX_VECS pages. */
#define FI_COPY_MAX_SECTORS	((BIO_MAX_VECS * PAGE_SIZE) >> SECTOR_SHIFT)

enum fi_stat {
	FI_ST_READS,
	FI_ST_WRITES,
	FI_ST_FLUSHES,
	FI_ST_DISCARDS,
	FI_ST_DROPPED,
	FI_ST_ERRORED,
	FI_ST_CORRUPTED,
	FI_ST_CRASH_DROPPED,
	FI_NR_STATS
};

struct fi_stats {
	u64 v[FI_NR_STATS];
};

enum fi_crash {
	FI_LIVE,
	FI_ARMED,		/* "crash after <n>": counting writes down */
	FI_CRASHED,		/* power cut: writes and flushes dropped */
};

enum fi_feature {
	FI_FEAT_SEED,
	FI_FEAT_BLOCK_SIZE,
	FI_NR_FEATURES
};

struct fi_c {
	struct dm_dev *dev;
	sector_t start;
	u64 seed;
	struct fi_geom geom;
	/* Features in the order the table gave them, to print them back. */
	u8 features[FI_NR_FEATURES];
	unsigned int nr_features;

	/* Read under RCU in the I/O path; replaced with @lock held. */
	struct fi_ruleset __rcu *rules;
	struct fi_typemap __rcu *types;

	/* Serialises messages; guards replacing @rules, @types and @names. */
	struct mutex lock;
	struct fi_typenames names;

	atomic_t crash;			/* enum fi_crash */
	atomic64_t crash_left;		/* writes let through while FI_ARMED */

	struct fi_stats __percpu *stats;

	/*
	 * Copies of writes to be corrupted and their pages; set up by the
	 * first rule that can corrupt a write (@lock held), before that rule
	 * is published, and kept until the target goes.
	 */
	bool copies_ready;
	struct bio_set bs;
	mempool_t page_pool;
	/* Held while one copy takes pages with blocking waits on the pool. */
	struct mutex pool_lock;
};

/* Per-bio state, in the space dm reserves with each bio. */
struct fi_bio {
	struct fi_c *fc;
	bool corrupt;			/* a read to corrupt on completion */
	struct fi_pattern pat;
	struct bvec_iter iter;		/* the read's data as it was mapped */
	u64 pos;			/* its first byte on this device */
};

static void fi_count(struct fi_c *fc, enum fi_stat s)
{
	this_cpu_inc(fc->stats->v[s]);
}

static const char *fi_name(struct dm_target *ti)
{
	return dm_device_name(dm_table_get_md(ti->table));
}

/* ---- table ---------------------------------------------------------- */

static const char *const fi_feature_names[FI_NR_FEATURES] = {
	[FI_FEAT_SEED] = "seed",
	[FI_FEAT_BLOCK_SIZE] = "block_size",
};

static int fi_parse_feature(void *ctx, unsigned int f, const char *val,
			    struct dm_target *ti)
{
	struct fi_c *fc = ctx;
	u32 bs;

	if (f == FI_FEAT_SEED) {
		if (fi_parse_u64(val, &fc->seed)) {
			ti->error = "Invalid seed";
			return -EINVAL;
		}
		return 0;
	}
	if (fi_parse_u32(val, &bs) || bs < SECTOR_SIZE || bs > 65536 ||
	    !is_power_of_2(bs)) {
		ti->error = "block_size must be a power of two, 512-65536";
		return -EINVAL;
	}
	fc->geom.block_size = bs;
	return 0;
}

static int fi_parse_features(struct dm_arg_set *as, struct fi_c *fc,
			     struct dm_target *ti)
{
	return strict_read_features(as, fi_feature_names, FI_NR_FEATURES,
				    "Unrecognised feature (seed, block_size)",
				    fi_parse_feature, fc, fc->features,
				    &fc->nr_features, ti);
}

static void fi_free_rules(struct fi_ruleset *rs)
{
	unsigned int i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++)
		kfree(rs->r[i]);
	kfree(rs);
}

static void faultinj_dtr(struct dm_target *ti)
{
	struct fi_c *fc = ti->private;

	fi_free_rules(rcu_dereference_raw(fc->rules));
	kvfree(rcu_dereference_raw(fc->types));
	if (fc->copies_ready) {
		mempool_exit(&fc->page_pool);
		bioset_exit(&fc->bs);
	}
	free_percpu(fc->stats);
	if (fc->dev)
		dm_put_device(ti, fc->dev);
	kfree(fc);
}

/*
 * Construct a faultinj mapping:
 *   faultinj <dev> <offset> [<#feature args> [seed <n>] [block_size <bytes>]]
 */
static int faultinj_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	const char *devname, *offset;
	struct fi_c *fc;
	u64 tmp;
	int r;

	if (argc < 2) {
		ti->error = "Need <dev> <offset> [<#feature args> <features>...]";
		return -EINVAL;
	}
	devname = dm_shift_arg(&as);
	offset = dm_shift_arg(&as);

	fc = kzalloc(sizeof(*fc), GFP_KERNEL);
	if (!fc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = fc;
	mutex_init(&fc->lock);
	mutex_init(&fc->pool_lock);
	atomic_set(&fc->crash, FI_LIVE);
	fc->geom.block_size = FI_DEFAULT_BLOCK_SIZE;

	if (fi_parse_u64(offset, &tmp) || tmp != (sector_t)tmp ||
	    tmp + ti->len < tmp) {
		ti->error = "Invalid device offset";
		r = -EINVAL;
		goto bad;
	}
	fc->start = tmp;

	r = fi_parse_features(&as, fc, ti);
	if (r)
		goto bad;
	fc->geom.sectors = ti->len;
	fc->geom.block_shift = ilog2(fc->geom.block_size) - SECTOR_SHIFT;

	r = dm_get_device(ti, devname, dm_table_get_mode(ti->table), &fc->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}

	fc->stats = alloc_percpu(struct fi_stats);
	if (!fc->stats) {
		ti->error = "Cannot allocate counters";
		r = -ENOMEM;
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct fi_bio);
	return 0;

bad:
	faultinj_dtr(ti);
	return r;
}

/* ---- I/O path ------------------------------------------------------- */

static enum fi_op fi_bio_op(struct bio *bio)
{
	if (bio_data_dir(bio) == READ)
		return FI_OP_READ;
	if ((bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio))
		return FI_OP_FLUSH;
	return FI_OP_WRITE;
}

static void fi_count_bio(struct fi_c *fc, struct bio *bio, enum fi_op op)
{
	if (op == FI_OP_READ)
		fi_count(fc, FI_ST_READS);
	else if (op == FI_OP_FLUSH)
		fi_count(fc, FI_ST_FLUSHES);
	else if (bio_op(bio) == REQ_OP_DISCARD ||
		 bio_op(bio) == REQ_OP_SECURE_ERASE)
		fi_count(fc, FI_ST_DISCARDS);
	else
		fi_count(fc, FI_ST_WRITES);
}

/* Is the power off for this write or flush? */
static bool fi_power_cut(struct dm_target *ti, struct fi_c *fc, enum fi_op op)
{
	int state = atomic_read(&fc->crash);

	if (likely(state == FI_LIVE))
		return false;
	if (state == FI_CRASHED)
		return true;
	if (op != FI_OP_WRITE || atomic64_dec_return(&fc->crash_left) >= 0)
		return false;
	if (atomic_cmpxchg(&fc->crash, FI_ARMED, FI_CRASHED) == FI_ARMED)
		DMINFO("%s: power cut", fi_name(ti));
	return true;
}

/*
 * Find the first rule that fires on @bio.  The bio is first cut where any
 * rule's scope begins or ends, so the rule covers all of what is left.
 * Returns the action, or -1.
 */
static int fi_pick(struct fi_c *fc, struct bio *bio, enum fi_op op,
		   sector_t sector, struct fi_pattern *pat)
{
	unsigned int w, nr = bio_sectors(bio);
	u64 cand[FI_CAND_WORDS], firing;
	const struct fi_ruleset *rs;
	int action = -1;

	rcu_read_lock();
	rs = rcu_dereference(fc->rules);
	if (!rs)
		goto out;
	if (!fi_scan(rs, rcu_dereference(fc->types), &fc->geom, op,
		     bio_has_data(bio), sector, &nr, cand))
		goto split;

	/* The candidates in id order; the first whose trigger fires wins. */
	for (w = 0; w < FI_CAND_WORDS && action < 0; w++) {
		u64 bits = cand[w];

		while (bits) {
			struct fi_rule *r = rs->r[w * 64 + __ffs64(bits)];

			bits &= bits - 1;
			if (!fi_rule_trigger(r, fc->seed, &firing))
				continue;
			action = r->action;
			if (action == FI_ACT_CORRUPT) {
				*pat = r->pat;
				pat->stream = firing;
			}
			break;
		}
	}
split:
	if (nr < bio_sectors(bio))
		dm_accept_partial_bio(bio, nr);
out:
	rcu_read_unlock();
	return action;
}

static void fi_corrupt_bio(struct fi_c *fc, struct bio *bio,
			   struct bvec_iter start, const struct fi_pattern *pat,
			   u64 pos)
{
	struct bvec_iter iter;
	struct bio_vec bv;

	__bio_for_each_segment(bv, bio, iter, start) {
		u8 *p = kmap_local_page(bv.bv_page);

		fi_corrupt_buf(pat, p + bv.bv_offset, pos, bv.bv_len,
			       fc->geom.block_size);
		flush_dcache_page(bv.bv_page);
		kunmap_local(p);
		pos += bv.bv_len;
	}
}

static void fi_free_copy(struct fi_c *fc, struct bio *copy)
{
	struct bvec_iter_all iter_all;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, copy, iter_all)
		mempool_free(bv->bv_page, &fc->page_pool);
	bio_put(copy);
}

static void fi_copy_endio(struct bio *copy)
{
	struct bio *bio = copy->bi_private;
	struct fi_bio *pb = dm_per_bio_data(bio, sizeof(struct fi_bio));

	bio->bi_status = copy->bi_status;
	fi_free_copy(pb->fc, copy);
	bio_endio(bio);
}

static struct bio *fi_alloc_copy(struct fi_c *fc, struct bio *bio, gfp_t gfp)
{
	unsigned int size = bio->bi_iter.bi_size;
	struct bio *copy;

	copy = bio_alloc_bioset(fc->dev->bdev, DIV_ROUND_UP(size, PAGE_SIZE),
				bio->bi_opf, GFP_NOIO, &fc->bs);
	while (size) {
		unsigned int len = min_t(unsigned int, size, PAGE_SIZE);
		struct page *page = mempool_alloc(&fc->page_pool, gfp);

		if (!page) {
			fi_free_copy(fc, copy);
			return NULL;
		}
		__bio_add_page(copy, page, len, 0);
		size -= len;
	}
	return copy;
}

/*
 * Corrupt a write on a copy of its data, so the writer's pages stay as they
 * were, and send the copy down in its place.
 */
static void fi_corrupt_write(struct fi_c *fc, struct bio *bio,
			     sector_t sector, const struct fi_pattern *pat)
{
	struct bio *copy;

	if (bio_sectors(bio) > FI_COPY_MAX_SECTORS)
		dm_accept_partial_bio(bio, FI_COPY_MAX_SECTORS);

	copy = fi_alloc_copy(fc, bio, GFP_NOWAIT | __GFP_NOWARN);
	if (!copy) {
		/* The pool holds one whole copy: waiting in turn is safe. */
		mutex_lock(&fc->pool_lock);
		copy = fi_alloc_copy(fc, bio, GFP_NOIO);
		mutex_unlock(&fc->pool_lock);
	}
	bio_copy_data(copy, bio);
	fi_corrupt_bio(fc, copy, copy->bi_iter, pat, (u64)sector << SECTOR_SHIFT);
	copy->bi_iter.bi_sector = fc->start + sector;
	copy->bi_ioprio = bio->bi_ioprio;
	copy->bi_private = bio;
	copy->bi_end_io = fi_copy_endio;
	submit_bio_noacct(copy);
}

static int faultinj_map(struct dm_target *ti, struct bio *bio)
{
	struct fi_c *fc = ti->private;
	struct fi_bio *pb = dm_per_bio_data(bio, sizeof(struct fi_bio));
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	enum fi_op op = fi_bio_op(bio);
	struct fi_pattern pat;
	int action;

	pb->fc = fc;
	pb->corrupt = false;

	if (op != FI_OP_READ && fi_power_cut(ti, fc, op)) {
		fi_count_bio(fc, bio, op);
		fi_count(fc, FI_ST_CRASH_DROPPED);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}

	/* Counted after fi_pick(): it may have cut @bio to a rule's scope. */
	action = fi_pick(fc, bio, op, sector, &pat);
	fi_count_bio(fc, bio, op);

	switch (action) {
	case FI_ACT_DROP:
		fi_count(fc, FI_ST_DROPPED);
		if (op == FI_OP_READ)
			zero_fill_bio(bio);
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	case FI_ACT_ERROR:
		fi_count(fc, FI_ST_ERRORED);
		return DM_MAPIO_KILL;
	case FI_ACT_CORRUPT:
		if (op == FI_OP_WRITE) {
			/* Count first: the copy may complete @bio at once. */
			fi_count(fc, FI_ST_CORRUPTED);
			fi_corrupt_write(fc, bio, sector, &pat);
			return DM_MAPIO_SUBMITTED;
		}
		pb->corrupt = true;
		pb->pat = pat;
		pb->iter = bio->bi_iter;
		pb->pos = (u64)sector << SECTOR_SHIFT;
		break;
	default:
		break;
	}

	bio_set_dev(bio, fc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = fc->start + sector;
	return DM_MAPIO_REMAPPED;
}

static int faultinj_end_io(struct dm_target *ti, struct bio *bio,
			   blk_status_t *error)
{
	struct fi_bio *pb = dm_per_bio_data(bio, sizeof(struct fi_bio));

	if (pb->corrupt && !*error) {
		fi_corrupt_bio(pb->fc, bio, pb->iter, &pb->pat, pb->pos);
		fi_count(pb->fc, FI_ST_CORRUPTED);
	}
	return DM_ENDIO_DONE;
}

/* ---- messages ------------------------------------------------------- */

static struct fi_ruleset *fi_rules(struct fi_c *fc)
{
	return rcu_dereference_protected(fc->rules, lockdep_is_held(&fc->lock));
}

static struct fi_typemap *fi_types(struct fi_c *fc)
{
	return rcu_dereference_protected(fc->types, lockdep_is_held(&fc->lock));
}

/* The pools for corrupting writes on copies: 1 MiB, only when needed. */
static int fi_copies_init(struct fi_c *fc, const char **err)
{
	int r;

	if (fc->copies_ready)
		return 0;
	r = bioset_init(&fc->bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (r) {
		*err = "Cannot allocate a bio set for copies";
		return r;
	}
	r = mempool_init_page_pool(&fc->page_pool, BIO_MAX_VECS, 0);
	if (r) {
		bioset_exit(&fc->bs);
		*err = "Cannot allocate a page pool for copies";
		return r;
	}
	fc->copies_ready = true;
	return 0;
}

static int fi_msg_rule_add(struct fi_c *fc, unsigned int argc, char **argv,
			   const char **err)
{
	struct fi_ruleset *old = fi_rules(fc), *rs;
	struct fi_rule *rule;
	int r;

	rule = kmalloc(sizeof(*rule), GFP_KERNEL);
	if (!rule) {
		*err = "Out of memory";
		return -ENOMEM;
	}
	r = fi_rule_parse(rule, argc, argv, &fc->geom, &fc->names, err);
	if (!r && rule->action == FI_ACT_CORRUPT && rule->op != FI_OP_READ)
		r = fi_copies_init(fc, err);
	if (!r)
		r = fi_ruleset_with(old, rule, 0, &rs, err);
	if (r) {
		kfree(rule);
		return r;
	}
	rcu_assign_pointer(fc->rules, rs);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

static int fi_msg_rule_del(struct fi_c *fc, const char *arg, const char **err)
{
	struct fi_ruleset *old = fi_rules(fc), *rs;
	struct fi_rule *rule;
	u32 id;
	int r;

	if (fi_parse_u32(arg, &id) || !id) {
		*err = "rule del needs a rule id";
		return -EINVAL;
	}
	rule = (struct fi_rule *)fi_ruleset_find(old, id);
	r = fi_ruleset_with(old, NULL, id, &rs, err);
	if (r)
		return r;
	rcu_assign_pointer(fc->rules, rs);
	synchronize_rcu();
	kfree(rule);
	kfree(old);
	return 0;
}

static int fi_msg_rule_list(struct fi_c *fc, char *result, unsigned int maxlen)
{
	struct fi_ruleset *rs = fi_rules(fc);
	unsigned int i, sz = 0;

	for (i = 0; rs && i < rs->n && sz < maxlen; i++) {
		struct fi_rule *r = rs->r[i];

		sz += fi_rule_format(r, &fc->names, result + sz, maxlen - sz);
		DMEMIT(" matched %llu fired %llu\n",
		       (unsigned long long)atomic64_read(&r->matched),
		       (unsigned long long)atomic64_read(&r->fired));
	}
	return 1;
}

static int fi_msg_rule(struct fi_c *fc, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen, const char **err)
{
	struct fi_ruleset *old = fi_rules(fc);

	if (argc >= 2 && !strcasecmp(argv[1], "add"))
		return fi_msg_rule_add(fc, argc - 2, argv + 2, err);
	if (argc == 3 && !strcasecmp(argv[1], "del"))
		return fi_msg_rule_del(fc, argv[2], err);
	if (argc == 2 && !strcasecmp(argv[1], "clear")) {
		RCU_INIT_POINTER(fc->rules, NULL);
		synchronize_rcu();
		fi_free_rules(old);
		return 0;
	}
	if (argc == 2 && !strcasecmp(argv[1], "list"))
		return fi_msg_rule_list(fc, result, maxlen);
	*err = "Expected rule add|del <id>|clear|list";
	return -EINVAL;
}

static int fi_msg_types(struct fi_c *fc, unsigned int argc, char **argv,
			char *result, unsigned int maxlen, const char **err)
{
	struct fi_typemap *old = fi_types(fc), *m;
	unsigned int i, t, sz = 0;
	int r;

	if (argc >= 2 && !strcasecmp(argv[1], "load")) {
		r = fi_typemap_load(old, argc - 2, argv + 2, &fc->geom,
				    &fc->names, &m, err);
		if (r)
			return r;
		rcu_assign_pointer(fc->types, m);
		if (old)
			kvfree_rcu(old, rcu);
		return 0;
	}
	if (argc == 2 && !strcasecmp(argv[1], "clear")) {
		RCU_INIT_POINTER(fc->types, NULL);
		if (old)
			kvfree_rcu(old, rcu);
		return 0;
	}
	if (argc == 2 && !strcasecmp(argv[1], "list")) {
		for (t = 0; t < fc->names.n; t++) {
			u64 extents = 0, blocks = 0;

			for (i = 0; old && i < old->n; i++) {
				if (old->e[i].type != t)
					continue;
				extents++;
				blocks += old->e[i].len;
			}
			if (extents)
				DMEMIT("%s %llu %llu\n", fc->names.name[t],
				       (unsigned long long)extents,
				       (unsigned long long)blocks);
		}
		return 1;
	}
	*err = "Expected types load <start> <len> <type>...|clear|list";
	return -EINVAL;
}

static int fi_msg_crash(struct dm_target *ti, struct fi_c *fc,
			unsigned int argc, char **argv, const char **err)
{
	u64 n;

	if (argc == 1) {
		atomic_set(&fc->crash, FI_CRASHED);
		DMINFO("%s: power cut", fi_name(ti));
		return 0;
	}
	if (argc != 3 || strcasecmp(argv[1], "after") ||
	    fi_parse_u64(argv[2], &n) || n > S64_MAX) {
		*err = "Expected crash or crash after <n>";
		return -EINVAL;
	}
	atomic64_set(&fc->crash_left, n);
	atomic_set(&fc->crash, FI_ARMED);
	DMINFO("%s: power cut after %llu more writes", fi_name(ti),
	       (unsigned long long)n);
	return 0;
}

static void fi_stats_reset(struct fi_c *fc)
{
	struct fi_ruleset *rs = fi_rules(fc);
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(fc->stats, cpu), 0, sizeof(struct fi_stats));
	for (i = 0; rs && i < rs->n; i++) {
		atomic64_set(&rs->r[i]->matched, 0);
		atomic64_set(&rs->r[i]->fired, 0);
	}
}

/*
 * A refused message says why in the kernel log: up to 100 every 5 s, so
 * that a script looping over bad messages cannot flood it.
 */
static DEFINE_RATELIMIT_STATE(fi_msg_rs, 5 * HZ, 100);

static int faultinj_message(struct dm_target *ti, unsigned int argc,
			    char **argv, char *result, unsigned int maxlen)
{
	struct fi_c *fc = ti->private;
	const char *err = "Unknown message (rule, crash, revive, types, stats)";
	int r = -EINVAL;

	mutex_lock(&fc->lock);
	if (!strcasecmp(argv[0], "rule")) {
		r = fi_msg_rule(fc, argc, argv, result, maxlen, &err);
	} else if (!strcasecmp(argv[0], "crash")) {
		r = fi_msg_crash(ti, fc, argc, argv, &err);
	} else if (!strcasecmp(argv[0], "revive")) {
		err = "revive takes no arguments";
		if (argc == 1) {
			atomic_set(&fc->crash, FI_LIVE);
			DMINFO("%s: revived", fi_name(ti));
			r = 0;
		}
	} else if (!strcasecmp(argv[0], "types")) {
		r = fi_msg_types(fc, argc, argv, result, maxlen, &err);
	} else if (!strcasecmp(argv[0], "stats")) {
		err = "Expected stats reset";
		if (argc == 2 && !strcasecmp(argv[1], "reset")) {
			fi_stats_reset(fc);
			r = 0;
		}
	}
	mutex_unlock(&fc->lock);

	if (r < 0 && __ratelimit(&fi_msg_rs))
		DMWARN("%s: %s: %s", fi_name(ti), argv[0], err);
	return r;
}

/* ---- status --------------------------------------------------------- */

static void fi_emit_table(struct fi_c *fc, char *result, unsigned int maxlen)
{
	unsigned int i, sz = 0;

	DMEMIT("%s %llu", fc->dev->name, (unsigned long long)fc->start);
	if (!fc->nr_features)
		return;
	DMEMIT(" %u", 2 * fc->nr_features);
	for (i = 0; i < fc->nr_features; i++) {
		if (fc->features[i] == FI_FEAT_SEED)
			DMEMIT(" seed %llu", (unsigned long long)fc->seed);
		else
			DMEMIT(" block_size %u", fc->geom.block_size);
	}
}

static void fi_emit_info(struct fi_c *fc, char *result, unsigned int maxlen)
{
	static const unsigned char kinds[] = { STATUS_FAULTINJ(DMST_KIND) };
	/* The counters, by their place on the status line. */
	static const unsigned char at[FI_NR_STATS] = {
		[FI_ST_READS] = FI_STATUS_reads,
		[FI_ST_WRITES] = FI_STATUS_writes,
		[FI_ST_FLUSHES] = FI_STATUS_flushes,
		[FI_ST_DISCARDS] = FI_STATUS_discards,
		[FI_ST_DROPPED] = FI_STATUS_dropped,
		[FI_ST_ERRORED] = FI_STATUS_errored,
		[FI_ST_CORRUPTED] = FI_STATUS_corrupted,
		[FI_ST_CRASH_DROPPED] = FI_STATUS_crash_dropped,
	};
	struct dm_status_val v[FI_STATUS_NR] = { };
	const struct fi_ruleset *rs;
	const struct fi_typemap *m;
	unsigned int i, sz = 0;
	int cpu;

	BUILD_BUG_ON(ARRAY_SIZE(kinds) != FI_STATUS_NR);
	for_each_possible_cpu(cpu) {
		struct fi_stats *st = per_cpu_ptr(fc->stats, cpu);

		for (i = 0; i < FI_NR_STATS; i++)
			v[at[i]].a += READ_ONCE(st->v[i]);
	}
	switch (atomic_read(&fc->crash)) {
	case FI_LIVE:
		v[FI_STATUS_crash_state].w = "live";
		break;
	case FI_ARMED:
		v[FI_STATUS_crash_state].a =
			max_t(long long, atomic64_read(&fc->crash_left), 0);
		break;
	default:
		v[FI_STATUS_crash_state].w = "crashed";
		break;
	}

	rcu_read_lock();
	rs = rcu_dereference(fc->rules);
	m = rcu_dereference(fc->types);
	v[FI_STATUS_type_extents].a = m ? m->n : 0;
	v[FI_STATUS_nr_rules].a = rs ? rs->n : 0;
	dm_status_emit(result, maxlen, &sz, kinds, v, FI_STATUS_NR);
	for (i = 0; rs && i < rs->n; i++)
		DMEMIT(" %u:%llu", rs->r[i]->id,
		       (unsigned long long)atomic64_read(&rs->r[i]->fired));
	rcu_read_unlock();
}

static void faultinj_status(struct dm_target *ti, status_type_t type,
			    unsigned int status_flags, char *result,
			    unsigned int maxlen)
{
	struct fi_c *fc = ti->private;

	switch (type) {
	case STATUSTYPE_INFO:
		fi_emit_info(fc, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		fi_emit_table(fc, result, maxlen);
		break;
	case STATUSTYPE_IMA:
		result[0] = '\0';
		break;
	}
}

static int faultinj_prepare_ioctl(struct dm_target *ti,
				  struct block_device **bdev)
{
	struct fi_c *fc = ti->private;

	*bdev = fc->dev->bdev;
	/* Only pass ioctls through when the device sizes match exactly. */
	if (fc->start || ti->len != bdev_nr_sectors(*bdev))
		return 1;
	return 0;
}

static int faultinj_iterate_devices(struct dm_target *ti,
				    iterate_devices_callout_fn fn, void *data)
{
	struct fi_c *fc = ti->private;

	return fn(ti, fc->dev, fc->start, ti->len, data);
}

static struct target_type faultinj_target = {
	.name = "faultinj",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = faultinj_ctr,
	.dtr = faultinj_dtr,
	.map = faultinj_map,
	.end_io = faultinj_end_io,
	.status = faultinj_status,
	.message = faultinj_message,
	.prepare_ioctl = faultinj_prepare_ioctl,
	.iterate_devices = faultinj_iterate_devices,
};

static int __init dm_faultinj_init(void)
{
	int r = dm_register_target(&faultinj_target);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_faultinj_exit(void)
{
	dm_unregister_target(&faultinj_target);
}

module_init(dm_faultinj_init);
module_exit(dm_faultinj_exit);

MODULE_DESCRIPTION(DM_NAME " fault injection: drop, fail or corrupt chosen I/O, emulate power cuts");
MODULE_AUTHOR("The dm-faultinj authors");
MODULE_LICENSE("GPL");
