// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of dm-subsist's engine (dm-subsist/engine.c) on the host: the
 * content index, free space and its deferred-free epochs, references and
 * maps, in-place rules, hints and the rebuild from the maps.  The pool is
 * set up as ss_pool_create()/ss_pool_arrays() (pool.c) set it up; the
 * spinlock shim (kshim.h) knows whether p->lock is held, so every
 * lockdep_assert_held() of the engine really checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "subsist.h"

/* ---- the engine's one call out, and the lockdep shim's ------------------ */

#define MAX_INVAL 4096
static u32 inval[MAX_INVAL];
static unsigned int nr_inval;

void ss_cache_invalidate(struct ss_pool *p, u32 b)
{
	(void)p;
	assert_true(nr_inval < MAX_INVAL);
	inval[nr_inval++] = b;
}

static bool lockdep_expect;		/* count misses instead of failing */
static unsigned int lockdep_misses;

void kshim_lockdep_failed(const void *lock, const char *what,
			  const char *file, int line)
{
	if (lockdep_expect) {
		lockdep_misses++;
		return;
	}
	fail_msg("lockdep: lock %p %s at %s:%d", lock, what, file, line);
}

/* ---- a pool, as pool.c builds one --------------------------------------- */

static u32 rounddown_pow2(u32 n)
{
	u32 r = 1;

	while (r * 2 <= n)
		r *= 2;
	return r;
}

static struct ss_pool *pool_new(unsigned int nr_vdisks, u32 vblocks,
				u32 nr_blocks)
{
	struct ss_pool *p = calloc(1, sizeof(*p));
	u32 nb = rounddown_pow2(max(nr_blocks / 4, 64U));

	assert_non_null(p);
	p->prm.nr_vdisks = nr_vdisks;
	p->prm.vblocks = vblocks;
	p->prm.nr_blocks = nr_blocks;
	p->prm.nr_lblocks = (u64)vblocks * nr_vdisks;
	p->prm.merge = SS_MERGE_DATA;
	p->digest_size = 4;			/* crc32c */
	p->mt = NULL;
	spin_lock_init(&p->lock);
	spin_lock_init(&p->cache_lock);
	init_waitqueue_head(&p->wait);
	ss_engine_init(p);

	/* ss_pool_arrays() */
	p->map = calloc(p->prm.nr_lblocks, sizeof(*p->map));
	p->mask = calloc(nr_blocks, sizeof(*p->mask));
	p->key = calloc(nr_blocks, sizeof(*p->key));
	p->next = malloc(nr_blocks * sizeof(*p->next));
	p->bucket = malloc(nb * sizeof(*p->bucket));
	p->free_bm = calloc(BITS_TO_LONGS(nr_blocks), sizeof(long));
	assert_true(p->map && p->mask && p->key && p->next && p->bucket &&
		    p->free_bm);
	p->bucket_mask = nb - 1;
	memset(p->next, 0xff, nr_blocks * sizeof(*p->next));
	memset(p->bucket, 0xff, nb * sizeof(*p->bucket));
	bitmap_fill(p->free_bm, nr_blocks);
	p->nr_free = nr_blocks;
	return p;
}

static void pool_free(struct ss_pool *p)
{
	spin_lock_irq(&p->lock);
	__ss_hints_clear(p);
	spin_unlock_irq(&p->lock);
	free(p->map);
	free(p->mask);
	free(p->key);
	free(p->next);
	free(p->bucket);
	free(p->free_bm);
	free(p->dirty);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	nr_inval = 0;
	lockdep_expect = false;
	lockdep_misses = 0;
	return 0;
}

#define LOCK(p)		spin_lock_irq(&(p)->lock)
#define UNLOCK(p)	spin_unlock_irq(&(p)->lock)

/* Takes a free block @b off the free space, as an allocation would. */
static void take(struct ss_pool *p, u32 b)
{
	assert_true(test_bit(b, p->free_bm));
	clear_bit(b, p->free_bm);
	p->nr_free--;
}

/* A new single reference of @v (the slow write's mask = BIT(v)). */
static u32 alloc_one(struct ss_pool *p, unsigned int v)
{
	u32 b = SS_NIL;

	assert_int_equal(__ss_alloc(p, 1, &b), 1);
	__ss_ref_add(p, b, v);
	return b;
}

/* Blocks on a next[] chain from @head, into @out; returns how many. */
static unsigned int chain(struct ss_pool *p, u32 head, u32 *out,
			  unsigned int max)
{
	unsigned int n = 0;

	for (; head != SS_NIL; head = p->next[head]) {
		assert_true(n < max);
		out[n++] = head;
	}
	return n;
}

static unsigned int count_free_bits(struct ss_pool *p)
{
	unsigned int b, n = 0;

	for (b = 0; b < p->prm.nr_blocks; b++)
		n += test_bit(b, p->free_bm);
	return n;
}

/* ---- the shims themselves ----------------------------------------------- */

static void test_hash_as_kernel(void **state)
{
	(void)state;
	/* include/linux/hash.h: val * GOLDEN_RATIO_32 >> (32 - bits). */
	assert_int_equal(hash_32(1, 32), 0x61c88647);
	assert_int_equal(hash_32(0xdeadbeef, 32) & 63, 0x9);
	/* val * GOLDEN_RATIO_64 >> (64 - bits) on 64-bit. */
	assert_int_equal(hash_64(1, 8), 0x61);
	assert_int_equal(hash_64(0x0123456789abcdefULL, 8), 0xf3);
	assert_int_equal(hash_64(U64_MAX, 8), 0x9e);
	assert_int_equal(get_unaligned_le32("\x01\x02\x03\x04"), 0x04030201);
	assert_true(get_unaligned_le64("\x01\x02\x03\x04\x05\x06\x07\x08") ==
		    0x0807060504030201ULL);
}

static void test_key64(void **state)
{
	struct ss_pool *p = pool_new(1, 8, 8);
	static const u8 d[8] = { 0x11, 0x22, 0x33, 0x44,
				 0x55, 0x66, 0x77, 0x88 };

	(void)state;
	p->digest_size = 4;
	assert_true(ss_key64(p, d) == 0x44332211ULL);
	p->digest_size = 8;
	assert_true(ss_key64(p, d) == 0x8877665544332211ULL);
	p->digest_size = 32;
	assert_true(ss_key64(p, d) == 0x8877665544332211ULL);
	assert_int_equal(ss_ikey(0x100000000ULL), 1);	/* low half 0 */
	assert_int_equal(ss_ikey(0x1234500000007ULL), 7);
	pool_free(p);
}

/* ---- lockdep: every __ss_ helper asserts p->lock ------------------------ */

static void test_lockdep_asserts(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 16);
	u32 b, skip = 0;
	unsigned int before;

	(void)state;
	lockdep_expect = true;
#define MISSES(n, call) do {					\
		before = lockdep_misses;				\
		call;							\
		assert_int_equal(lockdep_misses, before + (n));		\
	} while (0)
	MISSES(1, __ss_alloc(p, 1, &b));
	MISSES(1, __ss_ref_add(p, 3, 0));
	MISSES(1, __ss_index_add(p, 3, 42));
	MISSES(1, __ss_candidate(p, 42, 1, &skip, 1));
	MISSES(1, __ss_index_del(p, 3));
	MISSES(1, __ss_inplace_ok(p, 3, 0));
	MISSES(1, __ss_dirty(p, 0));
	MISSES(1, __ss_io_begin(p));
	/* io_end asserts, and so does the sweep it calls. */
	MISSES(2, __ss_io_end(p, 0));
	MISSES(1, __ss_flush_frees(p));
	MISSES(1, __ss_indexable(p, false, 42, false));
	MISSES(1, __ss_hints_clear(p));
	/* set_map asserts, and so does the __ss_dirty it calls. */
	MISSES(2, __ss_set_map(p, 0, 0, 3));
	assert_int_equal(p->map[0], 4);

	/* Taking a held lock (a self-deadlock in the kernel) is a miss. */
	LOCK(p);
	MISSES(1, ss_hint_add(p, 7, 1));
	/* ss_hint_add() released it: unlocking again is one more. */
	MISSES(1, UNLOCK(p));
	/* So is ss_rebuild() under the lock. */
	LOCK(p);
	MISSES(1, ss_rebuild(p));
	assert_int_equal(p->lock.held, 0);

	/* Locked, nothing fires. */
	before = lockdep_misses;
	LOCK(p);
	__ss_alloc(p, 1, &b);
	__ss_index_add(p, b, 9);
	__ss_index_del(p, b);
	__ss_io_end(p, __ss_io_begin(p));
	__ss_flush_frees(p);
	UNLOCK(p);
	assert_int_equal(lockdep_misses, before);
	lockdep_expect = false;
#undef MISSES
	pool_free(p);
}

/* ---- free space --------------------------------------------------------- */

static void test_alloc_runs_and_wrap(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 10);
	u32 s = SS_NIL;

	(void)state;
	LOCK(p);
	assert_int_equal(__ss_alloc(p, 4, &s), 4);
	assert_int_equal(s, 0);
	assert_int_equal(p->cursor, 4);
	assert_int_equal(p->nr_free, 6);
	assert_int_equal(__ss_alloc(p, 4, &s), 4);
	assert_int_equal(s, 4);
	assert_int_equal(p->cursor, 8);
	/* The run ends at the last block; the cursor wraps to 0. */
	assert_int_equal(__ss_alloc(p, 4, &s), 2);
	assert_int_equal(s, 8);
	assert_int_equal(p->cursor, 0);
	assert_int_equal(p->nr_free, 0);
	/* Full: 0, *start untouched. */
	s = 12345;
	assert_int_equal(__ss_alloc(p, 4, &s), 0);
	assert_int_equal(s, 12345);

	/* Free 1, 5, 6 and 8; from cursor 2 the first run is 5-6. */
	set_bit(1, p->free_bm);
	set_bit(5, p->free_bm);
	set_bit(6, p->free_bm);
	set_bit(8, p->free_bm);
	p->nr_free = 4;
	p->cursor = 2;
	assert_int_equal(__ss_alloc(p, 8, &s), 2);
	assert_int_equal(s, 5);
	assert_int_equal(p->cursor, 7);
	assert_int_equal(__ss_alloc(p, 8, &s), 1);
	assert_int_equal(s, 8);
	assert_int_equal(p->cursor, 9);
	/* Nothing at or after the cursor: wraps to the first free block. */
	assert_int_equal(__ss_alloc(p, 8, &s), 1);
	assert_int_equal(s, 1);
	assert_int_equal(p->cursor, 2);
	assert_int_equal(p->nr_free, 0);
	assert_int_equal(count_free_bits(p), 0);

	/* A run stops at @want. */
	set_bit(3, p->free_bm);
	set_bit(4, p->free_bm);
	set_bit(5, p->free_bm);
	p->nr_free = 3;
	assert_int_equal(__ss_alloc(p, 2, &s), 2);
	assert_int_equal(s, 3);
	assert_int_equal(p->cursor, 5);
	assert_int_equal(p->nr_free, 1);
	assert_true(test_bit(5, p->free_bm));
	UNLOCK(p);
	pool_free(p);
}

/* The bits bitmap_fill() sets past nr_blocks are never allocated. */
static void test_alloc_tail_bits(void **state)
{
	struct ss_pool *p = pool_new(1, 70, 70);
	u32 s, n, total = 0;

	(void)state;
	LOCK(p);
	while ((n = __ss_alloc(p, 64, &s))) {
		assert_true(s + n <= 70);
		total += n;
	}
	assert_int_equal(total, 70);
	assert_int_equal(p->nr_free, 0);
	UNLOCK(p);
	pool_free(p);
}

/* ---- references and maps ------------------------------------------------ */

static void test_refs_shared_counters(void **state)
{
	struct ss_pool *p = pool_new(3, 8, 16);
	u32 b = 5;

	(void)state;
	LOCK(p);
	take(p, b);
	__ss_ref_add(p, b, 0);
	assert_int_equal(p->mask[b], BIT(0));
	assert_int_equal(p->shared_blocks, 0);
	assert_false(ss_shared(p, b));
	__ss_ref_add(p, b, 1);
	assert_int_equal(p->mask[b], BIT(0) | BIT(1) | SS_ONCE);
	assert_int_equal(p->shared_blocks, 1);
	assert_int_equal(p->vd[0].shared, 1);
	assert_int_equal(p->vd[1].shared, 1);
	assert_true(ss_shared(p, b));
	__ss_ref_add(p, b, 2);
	assert_int_equal(p->shared_blocks, 1);
	assert_int_equal(p->vd[2].shared, 1);

	__ss_ref_drop(p, b, 0);
	assert_int_equal(p->mask[b], BIT(1) | BIT(2) | SS_ONCE);
	assert_int_equal(p->shared_blocks, 1);
	assert_int_equal(p->vd[0].shared, 0);
	assert_int_equal(p->vd[1].shared, 1);
	assert_int_equal(p->vd[2].shared, 1);
	__ss_ref_drop(p, b, 1);
	/* Unshared now, but SS_ONCE stays. */
	assert_int_equal(p->mask[b], BIT(2) | SS_ONCE);
	assert_int_equal(p->shared_blocks, 0);
	assert_int_equal(p->vd[1].shared, 0);
	assert_int_equal(p->vd[2].shared, 0);
	assert_int_equal(p->nr_pend, 0);
	__ss_ref_drop(p, b, 2);
	/* Last reference: onto the pending list, not free yet. */
	assert_int_equal(p->mask[b], 0);
	assert_int_equal(p->pend_head, b);
	assert_int_equal(p->pend_tail, b);
	assert_int_equal(p->nr_pend, 1);
	assert_int_equal(p->nr_free, 15);
	assert_false(test_bit(b, p->free_bm));
	assert_int_equal(nr_inval, 0);
	UNLOCK(p);
	pool_free(p);
}

static void test_set_map(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 16);
	u32 b, c, g0 = 3, g1 = 8 + 2;

	(void)state;
	p->dirty = calloc(BITS_TO_LONGS(p->prm.nr_lblocks), sizeof(long));
	LOCK(p);
	b = alloc_one(p, 0);
	__ss_set_map(p, 0, g0, b);
	assert_int_equal(p->map[g0], b + 1);
	assert_int_equal(p->vd[0].mapped, 1);
	assert_int_equal(p->mapped, 1);
	assert_int_equal(p->nr_dirty, 1);

	/* vdisk 1 merges onto b. */
	__ss_ref_add(p, b, 1);
	__ss_set_map(p, 1, g1, b);
	assert_int_equal(p->mapped, 2);
	assert_int_equal(p->vd[1].mapped, 1);
	assert_int_equal(p->shared_blocks, 1);
	assert_int_equal(p->vd[0].shared, 1);
	assert_int_equal(p->vd[1].shared, 1);
	assert_int_equal(p->nr_dirty, 2);

	/* vdisk 0 overwrites g0 with c (copy on write): b unshared. */
	c = alloc_one(p, 0);
	__ss_set_map(p, 0, g0, c);
	assert_int_equal(p->map[g0], c + 1);
	assert_int_equal(p->mapped, 2);
	assert_int_equal(p->vd[0].mapped, 1);
	assert_int_equal(p->shared_blocks, 0);
	assert_int_equal(p->vd[0].shared, 0);
	assert_int_equal(p->vd[1].shared, 0);
	assert_int_equal(p->mask[b], BIT(1) | SS_ONCE);
	assert_int_equal(p->nr_dirty, 2);	/* g0 was already dirty */

	/* vdisk 1 discards g1: b freed. */
	__ss_set_map(p, 1, g1, SS_NIL);
	assert_int_equal(p->map[g1], 0);
	assert_int_equal(p->mapped, 1);
	assert_int_equal(p->vd[1].mapped, 0);
	assert_int_equal(p->nr_pend, 1);
	assert_int_equal(p->pend_head, b);
	/* Unmapping an unmapped entry changes nothing but dirties it. */
	__ss_set_map(p, 1, 8 + 7, SS_NIL);
	assert_int_equal(p->mapped, 1);
	assert_int_equal(p->vd[1].mapped, 0);
	assert_int_equal(p->nr_dirty, 3);
	assert_true(test_bit(8 + 7, p->dirty));

	__ss_flush_frees(p);
	assert_int_equal(p->nr_free, 15);
	assert_int_equal(nr_inval, 1);
	assert_int_equal(inval[0], b);
	UNLOCK(p);
	pool_free(p);
}

/* No dirty bitmap (no meta_dev): __ss_dirty() counts nothing. */
static void test_dirty_without_meta(void **state)
{
	struct ss_pool *p = pool_new(1, 8, 8);

	(void)state;
	LOCK(p);
	__ss_dirty(p, 3);
	__ss_set_map(p, 0, 1, SS_NIL);
	assert_int_equal(p->nr_dirty, 0);
	UNLOCK(p);
	pool_free(p);
}

/* ---- freeing: the pending list and the epochs --------------------------- */

static void test_free_pending_and_flush(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 16);
	u32 a, b, c, l[4];

	(void)state;
	LOCK(p);
	a = alloc_one(p, 0);
	b = alloc_one(p, 0);
	c = alloc_one(p, 0);
	__ss_index_add(p, b, 77);
	p->mode = SS_MODE_NOSPC;
	__ss_ref_drop(p, b, 0);
	__ss_ref_drop(p, a, 0);
	assert_int_equal(p->nr_pend, 2);
	assert_int_equal(chain(p, p->pend_head, l, 4), 2);
	assert_int_equal(l[0], b);
	assert_int_equal(l[1], a);
	assert_int_equal(p->pend_tail, a);
	/* Freeing took b out of the index. */
	assert_int_equal(p->key[b], 0);
	assert_int_equal(__ss_candidate(p, 77, 1, NULL, 0), SS_NIL);
	assert_int_equal(p->bucket[hash_32(77, 32) & p->bucket_mask], SS_NIL);
	assert_int_equal(p->nr_free, 13);

	/* No meta_dev, no I/O in flight: released at once, in order. */
	__ss_flush_frees(p);
	assert_int_equal(p->nr_pend, 0);
	assert_int_equal(p->pend_head, SS_NIL);
	assert_int_equal(p->pend_tail, SS_NIL);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, 15);
	assert_true(test_bit(a, p->free_bm));
	assert_true(test_bit(b, p->free_bm));
	assert_false(test_bit(c, p->free_bm));
	assert_int_equal(p->next[a], SS_NIL);
	assert_int_equal(p->next[b], SS_NIL);
	assert_int_equal(nr_inval, 2);
	assert_int_equal(inval[0], b);
	assert_int_equal(inval[1], a);
	assert_int_equal(p->mode, SS_MODE_OK);
	assert_int_equal(p->ecur, 0);
	assert_int_equal(p->esweep, 0);
	/* Nothing pending: a no-op. */
	__ss_flush_frees(p);
	assert_int_equal(nr_inval, 2);
	/* The read-only mode is not lifted by freed space. */
	p->mode = SS_MODE_RO;
	__ss_ref_drop(p, c, 0);
	__ss_flush_frees(p);
	assert_int_equal(p->mode, SS_MODE_RO);
	assert_int_equal(p->nr_free, 16);
	UNLOCK(p);
	pool_free(p);
}

/* With a meta_dev the pending list waits for the commit (ss_defer_frees). */
static void test_free_with_meta_waits_for_commit(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 16);
	u32 a, b, head, tail, nr;

	(void)state;
	p->mt = (struct ss_meta *)p;		/* never dereferenced */
	LOCK(p);
	a = alloc_one(p, 0);
	b = alloc_one(p, 0);
	__ss_ref_drop(p, a, 0);
	__ss_ref_drop(p, b, 0);
	__ss_flush_frees(p);
	assert_int_equal(p->nr_pend, 2);
	assert_int_equal(p->nr_free, 14);
	assert_int_equal(nr_inval, 0);
	/* The commit takes the pending list, writes, then hands it over. */
	head = p->pend_head;
	tail = p->pend_tail;
	nr = p->nr_pend;
	p->pend_head = p->pend_tail = SS_NIL;
	p->nr_pend = 0;
	UNLOCK(p);
	ss_defer_frees(p, head, tail, nr);
	assert_int_equal(p->lock.held, 0);
	assert_int_equal(p->nr_free, 16);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(nr_inval, 2);
	assert_int_equal(inval[0], a);
	assert_int_equal(inval[1], b);
	pool_free(p);
}

static void test_epochs_older_io_holds(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 16);
	u32 a, b;
	int e0, e1;

	(void)state;
	LOCK(p);
	a = alloc_one(p, 0);
	b = alloc_one(p, 0);
	e0 = __ss_io_begin(p);			/* a read that may touch a */
	assert_int_equal(e0, 0);
	assert_int_equal(p->epoch[0].count, 1);
	__ss_ref_drop(p, a, 0);
	__ss_flush_frees(p);
	/* Held by e0; later I/O goes to a new epoch. */
	assert_int_equal(p->nr_deferred, 1);
	assert_int_equal(p->nr_free, 14);
	assert_int_equal(p->ecur, 1);
	assert_int_equal(p->epoch[0].head, a);
	assert_int_equal(p->epoch[0].tail, a);
	e1 = __ss_io_begin(p);
	assert_int_equal(e1, 1);
	__ss_ref_drop(p, b, 0);
	__ss_flush_frees(p);
	assert_int_equal(p->nr_deferred, 2);
	assert_int_equal(p->ecur, 2);
	assert_int_equal(p->epoch[1].head, b);

	/* The newer I/O ends first: e0 still holds a, and so b behind it. */
	__ss_io_end(p, e1);
	assert_int_equal(p->nr_deferred, 2);
	assert_int_equal(p->nr_free, 14);
	assert_int_equal(nr_inval, 0);
	assert_int_equal(p->esweep, 0);
	/* The oldest ends: both epochs are swept, in order. */
	__ss_io_end(p, e0);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, 16);
	assert_int_equal(nr_inval, 2);
	assert_int_equal(inval[0], a);
	assert_int_equal(inval[1], b);
	assert_int_equal(p->esweep, 2);
	assert_int_equal(p->ecur, 2);
	assert_int_equal(p->epoch[0].head, SS_NIL);
	assert_int_equal(p->epoch[1].head, SS_NIL);
	UNLOCK(p);
	pool_free(p);
}

static void test_epochs_in_order(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 16);
	u32 a, b;
	int e0, e1;

	(void)state;
	LOCK(p);
	a = alloc_one(p, 0);
	b = alloc_one(p, 0);
	e0 = __ss_io_begin(p);
	__ss_ref_drop(p, a, 0);
	__ss_flush_frees(p);
	e1 = __ss_io_begin(p);
	__ss_ref_drop(p, b, 0);
	__ss_flush_frees(p);
	/* e0 ends: a goes, b waits for e1. */
	__ss_io_end(p, e0);
	assert_int_equal(p->nr_deferred, 1);
	assert_int_equal(p->nr_free, 15);
	assert_int_equal(nr_inval, 1);
	assert_int_equal(inval[0], a);
	assert_int_equal(p->esweep, 1);
	__ss_io_end(p, e1);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, 16);
	assert_int_equal(nr_inval, 2);
	assert_int_equal(inval[1], b);
	UNLOCK(p);
	pool_free(p);
}

/* I/O begun after a block was freed does not hold it. */
static void test_epochs_later_io_does_not_hold(void **state)
{
	struct ss_pool *p = pool_new(1, 16, 16);
	u32 a;
	int e0, e1;

	(void)state;
	LOCK(p);
	a = alloc_one(p, 0);
	e0 = __ss_io_begin(p);
	__ss_ref_drop(p, a, 0);
	__ss_flush_frees(p);
	e1 = __ss_io_begin(p);
	assert_int_equal(e1, 1);
	__ss_io_end(p, e0);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, 16);
	assert_int_equal(nr_inval, 1);
	/* e1 still counted in the current epoch. */
	assert_int_equal(p->esweep, 1);
	assert_int_equal(p->epoch[1].count, 1);
	__ss_io_end(p, e1);
	assert_int_equal(p->epoch[1].count, 0);
	/* No I/O in flight: a free goes straight back. */
	a = alloc_one(p, 0);
	__ss_ref_drop(p, a, 0);
	__ss_flush_frees(p);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->ecur, 1);
	assert_int_equal(nr_inval, 2);
	UNLOCK(p);
	pool_free(p);
}

/* All SS_EPOCHS in use: frees pile into the last one, none is lost. */
static void test_epochs_exhausted(void **state)
{
	struct ss_pool *p = pool_new(1, 64, 64);
	int ep[48];
	u32 i, b[48];

	(void)state;
	LOCK(p);
	for (i = 0; i < 48; i++)
		b[i] = alloc_one(p, 0);
	for (i = 0; i < 48; i++) {
		ep[i] = __ss_io_begin(p);
		__ss_ref_drop(p, b[i], 0);
		__ss_flush_frees(p);
	}
	assert_int_equal(p->ecur, SS_EPOCHS - 1);
	for (i = 0; i < 48; i++)
		assert_int_equal(ep[i], i < SS_EPOCHS ? i : SS_EPOCHS - 1);
	assert_int_equal(p->epoch[SS_EPOCHS - 1].count, 48 - SS_EPOCHS + 1);
	assert_int_equal(p->nr_deferred, 48);
	assert_int_equal(p->nr_free, 16);
	/* Ending the first SS_EPOCHS - 1 releases b[0] .. b[SS_EPOCHS - 2]. */
	for (i = 0; i < SS_EPOCHS - 1; i++)
		__ss_io_end(p, ep[i]);
	assert_int_equal(p->nr_deferred, 48 - (SS_EPOCHS - 1));
	assert_int_equal(nr_inval, SS_EPOCHS - 1);
	for (i = 0; i < nr_inval; i++)
		assert_int_equal(inval[i], b[i]);
	/* The rest wait for every I/O of the last epoch. */
	for (i = SS_EPOCHS - 1; i < 47; i++)
		__ss_io_end(p, ep[i]);
	assert_int_equal(p->nr_deferred, 48 - (SS_EPOCHS - 1));
	__ss_io_end(p, ep[47]);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, 64);
	assert_int_equal(nr_inval, 48);
	for (i = 0; i < 48; i++)
		assert_int_equal(inval[i], b[i]);
	assert_int_equal(count_free_bits(p), 64);
	UNLOCK(p);
	pool_free(p);
}

/* ---- the content index -------------------------------------------------- */

static void test_index_candidate(void **state)
{
	struct ss_pool *p = pool_new(3, 16, 32);
	u32 key = 0xdeadbeef, key2, skip[2], l[8];
	u32 head = hash_32(key, 32) & p->bucket_mask;

	(void)state;
	/* The bucket is the kernel's hash_32(key, 32) & bucket_mask. */
	assert_int_equal(p->bucket_mask, 63);
	assert_int_equal(head, (u32)(key * 0x61C88647U) & 63);
	/* A different key in the same bucket. */
	for (key2 = 1; key2 == key ||
	     (hash_32(key2, 32) & p->bucket_mask) != head; key2++)
		;

	LOCK(p);
	take(p, 3);
	take(p, 7);
	take(p, 9);
	take(p, 11);
	p->mask[3] = BIT(0);
	p->mask[7] = BIT(1);
	p->mask[11] = BIT(2);
	/* 9 is indexed but unreferenced (its write failed, say). */
	__ss_index_add(p, 3, key);
	__ss_index_add(p, 9, key);
	__ss_index_add(p, 11, key2);
	__ss_index_add(p, 7, key);
	assert_int_equal(p->bucket[head], 7);
	assert_int_equal(chain(p, p->bucket[head], l, 8), 4);
	assert_int_equal(l[1], 11);
	assert_int_equal(l[2], 9);
	assert_int_equal(l[3], 3);
	assert_int_equal(p->key[7], key);

	/* Newest first; never the writer's own block. */
	assert_int_equal(__ss_candidate(p, key, 0, NULL, 0), 7);
	assert_int_equal(__ss_candidate(p, key, 1, NULL, 0), 3);
	assert_int_equal(__ss_candidate(p, key, 2, NULL, 0), 7);
	/* Another key in the bucket, or unreferenced 9: never. */
	skip[0] = 7;
	assert_int_equal(__ss_candidate(p, key, 2, skip, 1), 3);
	skip[1] = 3;
	assert_int_equal(__ss_candidate(p, key, 2, skip, 2), SS_NIL);
	assert_int_equal(__ss_candidate(p, key2, 2, NULL, 0), SS_NIL);
	assert_int_equal(__ss_candidate(p, key2, 0, NULL, 0), 11);
	assert_int_equal(__ss_candidate(p, key + 1 == key2 ? key + 2 : key + 1,
					0, NULL, 0), SS_NIL);
	/* A block both reference: a candidate for neither, one for 2. */
	p->mask[3] |= BIT(1);
	assert_int_equal(__ss_candidate(p, key, 0, skip, 1), SS_NIL);
	assert_int_equal(__ss_candidate(p, key, 1, skip, 1), SS_NIL);
	assert_int_equal(__ss_candidate(p, key, 2, skip, 1), 3);

	/* Deleting from the middle, the head, and the tail of the chain. */
	__ss_index_del(p, 9);
	assert_int_equal(p->key[9], 0);
	assert_int_equal(p->next[9], SS_NIL);
	assert_int_equal(chain(p, p->bucket[head], l, 8), 3);
	assert_int_equal(l[0], 7);
	assert_int_equal(l[1], 11);
	assert_int_equal(l[2], 3);
	__ss_index_del(p, 7);
	assert_int_equal(p->bucket[head], 11);
	__ss_index_del(p, 3);
	assert_int_equal(chain(p, p->bucket[head], l, 8), 1);
	assert_int_equal(l[0], 11);
	assert_int_equal(p->next[11], SS_NIL);
	__ss_index_del(p, 11);
	assert_int_equal(p->bucket[head], SS_NIL);
	UNLOCK(p);
	pool_free(p);
}

/* ---- in place ----------------------------------------------------------- */

static void test_inplace_rules(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 8);

	(void)state;
	LOCK(p);
	p->mask[1] = BIT(0);
	assert_true(__ss_inplace_ok(p, 1, 0));
	assert_false(__ss_inplace_ok(p, 1, 1));		/* not its block */
	p->mask[1] = BIT(0) | BIT(1) | SS_ONCE;
	assert_false(__ss_inplace_ok(p, 1, 0));		/* shared */
	p->mask[1] = BIT(0) | SS_PENDING;
	assert_false(__ss_inplace_ok(p, 1, 0));		/* write in flight */
	p->mask[1] = BIT(0) | SS_ONCE;
	assert_true(__ss_inplace_ok(p, 1, 0));		/* no meta_dev */
	p->mt = (struct ss_meta *)p;
	assert_false(__ss_inplace_ok(p, 1, 0));		/* committed maps */
	p->mask[1] = BIT(0);
	assert_true(__ss_inplace_ok(p, 1, 0));
	p->mask[1] = 0;
	assert_false(__ss_inplace_ok(p, 1, 0));
	UNLOCK(p);
	pool_free(p);
}

/* ---- hints -------------------------------------------------------------- */

static void test_hints_consumed(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 8);

	(void)state;
	LOCK(p);
	/* No hints yet: data blocks are indexable, meta blocks not. */
	assert_true(__ss_indexable(p, false, 5, true));
	assert_false(__ss_indexable(p, true, 5, true));
	assert_int_equal(p->mismatches, 0);
	UNLOCK(p);

	assert_int_equal(ss_hint_add(p, 5, 2), 0);
	assert_int_equal(p->lock.held, 0);
	assert_true(p->hints_on);
	assert_int_equal(p->nr_hints, 1);

	LOCK(p);
	assert_true(__ss_indexable(p, false, 5, false));	/* a look */
	assert_true(__ss_indexable(p, false, 5, false));
	assert_true(__ss_indexable(p, false, 5, true));	/* 2 -> 1 */
	assert_int_equal(p->nr_hints, 1);
	assert_true(__ss_indexable(p, false, 5, true));	/* 1 -> gone */
	assert_int_equal(p->nr_hints, 0);
	assert_true(list_empty(&p->hint_lru));
	/* Undeclared: not indexable; counted only when consumed. */
	assert_false(__ss_indexable(p, false, 5, false));
	assert_int_equal(p->mismatches, 0);
	assert_false(__ss_indexable(p, false, 5, true));
	assert_false(__ss_indexable(p, false, 6, true));
	assert_int_equal(p->mismatches, 2);
	/* Meta blocks: never, and not mismatches. */
	assert_false(__ss_indexable(p, true, 6, true));
	assert_int_equal(p->mismatches, 2);
	/* merge all: everything, hints or not. */
	p->prm.merge = SS_MERGE_ALL;
	assert_true(__ss_indexable(p, true, 6, true));
	assert_true(__ss_indexable(p, false, 6, true));
	assert_int_equal(p->mismatches, 2);
	p->prm.merge = SS_MERGE_DATA;
	UNLOCK(p);

	/* Declaring again adds up, capped at 0xffff. */
	assert_int_equal(ss_hint_add(p, 9, 3), 0);
	assert_int_equal(ss_hint_add(p, 9, 4), 0);
	assert_int_equal(p->nr_hints, 1);
	assert_int_equal(list_first_entry(&p->hint_lru, struct ss_hint,
					  lru)->left, 7);
	assert_int_equal(ss_hint_add(p, 9, 0xfff0), 0);
	assert_int_equal(ss_hint_add(p, 9, 0xfff0), 0);
	assert_int_equal(list_first_entry(&p->hint_lru, struct ss_hint,
					  lru)->left, 0xffff);
	LOCK(p);
	__ss_hints_clear(p);
	assert_int_equal(p->nr_hints, 0);
	assert_true(list_empty(&p->hint_lru));
	assert_false(__ss_indexable(p, false, 9, false));
	UNLOCK(p);
	pool_free(p);
}

/* Keys that land in the same hint_hash bucket chain correctly. */
static void test_hints_same_bucket(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 8);
	u64 k1 = 1, k2;

	(void)state;
	for (k2 = 2; hash_64(k2, 8) != hash_64(k1, 8); k2++)
		;
	assert_int_equal(ss_hint_add(p, k1, 1), 0);
	assert_int_equal(ss_hint_add(p, k2, 1), 0);
	LOCK(p);
	assert_true(__ss_indexable(p, false, k1, true));
	assert_false(__ss_indexable(p, false, k1, false));
	assert_true(__ss_indexable(p, false, k2, true));
	assert_int_equal(p->nr_hints, 0);
	UNLOCK(p);
	pool_free(p);
}

static void test_hints_lru_bound(void **state)
{
	struct ss_pool *p = pool_new(2, 8, 8);
	u64 k;

	(void)state;
	for (k = 0; k < SS_MAX_HINTS; k++)
		assert_int_equal(ss_hint_add(p, k, 1), 0);
	assert_int_equal(p->nr_hints, SS_MAX_HINTS);
	/* Key 0, declared again, becomes the most recent. */
	assert_int_equal(ss_hint_add(p, 0, 1), 0);
	assert_int_equal(p->nr_hints, SS_MAX_HINTS);
	/* Two more: the two least recent (1 and 2) go. */
	assert_int_equal(ss_hint_add(p, SS_MAX_HINTS, 1), 0);
	assert_int_equal(ss_hint_add(p, SS_MAX_HINTS + 1, 1), 0);
	assert_int_equal(p->nr_hints, SS_MAX_HINTS);
	LOCK(p);
	assert_true(__ss_indexable(p, false, 0, false));
	assert_false(__ss_indexable(p, false, 1, false));
	assert_false(__ss_indexable(p, false, 2, false));
	assert_true(__ss_indexable(p, false, 3, false));
	assert_true(__ss_indexable(p, false, SS_MAX_HINTS + 1, false));
	assert_int_equal(list_first_entry(&p->hint_lru, struct ss_hint,
					  lru)->key, 3);
	/* Key 0 kept its count: 1 + 1. */
	assert_true(__ss_indexable(p, false, 0, true));
	assert_true(__ss_indexable(p, false, 0, true));
	assert_false(__ss_indexable(p, false, 0, false));
	assert_int_equal(p->nr_hints, SS_MAX_HINTS - 1);
	__ss_hints_clear(p);
	assert_int_equal(p->nr_hints, 0);
	UNLOCK(p);
	pool_free(p);
}

/* ---- rebuild ------------------------------------------------------------ */

static u32 rnd_state;

static u32 rnd(u32 n)
{
	rnd_state = rnd_state * 1103515245U + 12345U;
	return (rnd_state >> 8) % n;
}

/* A block appears on its bucket's chain exactly once. */
static void assert_indexed(struct ss_pool *p, u32 b)
{
	u32 x, n = 0;

	for (x = p->bucket[hash_32(p->key[b], 32) & p->bucket_mask];
	     x != SS_NIL; x = p->next[x])
		n += x == b;
	assert_int_equal(n, 1);
}

static unsigned int nr_indexed(struct ss_pool *p)
{
	unsigned int i, n = 0;
	u32 x;

	for (i = 0; i <= p->bucket_mask; i++)
		for (x = p->bucket[i]; x != SS_NIL; x = p->next[x])
			n++;
	return n;
}

/* @q, rebuilt, has the counters and state of @p, built live. */
static void assert_same_state(struct ss_pool *p, struct ss_pool *q)
{
	unsigned int v;
	u32 b;

	assert_int_equal(q->mapped, p->mapped);
	assert_int_equal(q->shared_blocks, p->shared_blocks);
	assert_int_equal(q->nr_free, p->nr_free);
	for (v = 0; v < SS_MAX_VDISKS; v++) {
		assert_int_equal(q->vd[v].mapped, p->vd[v].mapped);
		assert_int_equal(q->vd[v].shared, p->vd[v].shared);
	}
	for (b = 0; b < p->prm.nr_blocks; b++) {
		assert_int_equal(q->mask[b] & SS_VMASK, p->mask[b] & SS_VMASK);
		/* SS_ONCE: the rebuild knows only of blocks shared now. */
		if (ss_shared(p, b))
			assert_true(q->mask[b] & SS_ONCE);
		assert_int_equal(test_bit(b, q->free_bm),
				 test_bit(b, p->free_bm));
		assert_int_equal(q->key[b], p->key[b]);
		if (q->key[b])
			assert_indexed(q, b);
	}
	assert_int_equal(nr_indexed(q), nr_indexed(p));
}

static void test_rebuild_matches_live(void **state)
{
	enum { NV = 4, VB = 32, NB = 100, OPS = 5000 };
	struct ss_pool *p = pool_new(NV, VB, NB), *q;
	unsigned int i, v, u, used, inflight = 0;
	int ep[64];
	u32 g, g2, b, l;

	(void)state;
	rnd_state = 1;
	LOCK(p);
	for (i = 0; i < OPS; i++) {
		unsigned int op = rnd(10);

		v = rnd(NV);
		l = rnd(VB);
		g = v * VB + l;
		if (op < 4) {			/* a new block */
			if (!__ss_alloc(p, 1, &b))
				continue;
			p->mask[b] = BIT(v);
			if (rnd(2))
				__ss_index_add(p, b, ss_ikey(rnd(8)));
			__ss_set_map(p, v, g, b);
		} else if (op < 7) {		/* a merge onto another's */
			u = rnd(NV);
			g2 = u * VB + rnd(VB);
			if (u == v || !p->map[g2])
				continue;
			b = p->map[g2] - 1;
			if (p->mask[b] & BIT(v))
				continue;
			__ss_ref_add(p, b, v);
			__ss_set_map(p, v, g, b);
		} else if (op < 9) {		/* a discard */
			__ss_set_map(p, v, g, SS_NIL);
		} else if (inflight < 6 && rnd(2)) {
			ep[inflight++] = __ss_io_begin(p);
		} else if (inflight) {
			u = rnd(inflight);
			__ss_io_end(p, ep[u]);
			ep[u] = ep[--inflight];
		}
		__ss_flush_frees(p);
		used = 0;
		for (b = 0; b < NB; b++)
			used += !!(p->mask[b] & SS_VMASK);
		assert_int_equal(p->nr_free + p->nr_deferred + used, NB);
	}
	while (inflight)
		__ss_io_end(p, ep[--inflight]);
	UNLOCK(p);
	assert_int_equal(p->nr_deferred, 0);
	assert_int_equal(p->nr_free, count_free_bits(p));
	/* The run really exercised sharing and freeing. */
	assert_true(p->shared_blocks > 5);
	assert_true(nr_inval > 100);
	assert_true(p->mapped > 50);

	q = pool_new(NV, VB, NB);
	memcpy(q->map, p->map, p->prm.nr_lblocks * sizeof(*p->map));
	memcpy(q->key, p->key, NB * sizeof(*p->key));
	/* Junk the rebuild must clear: a key of a free block. */
	for (b = 0; b < NB; b++)
		if (!p->mask[b]) {
			q->key[b] = 99;
			break;
		}
	assert_int_equal(ss_rebuild(q), 0);
	assert_int_equal(q->lock.held, 0);
	assert_same_state(p, q);

	/* In place, on the live pool itself: the same again. */
	memcpy(q->map, p->map, p->prm.nr_lblocks * sizeof(*p->map));
	assert_int_equal(ss_rebuild(p), 0);
	assert_same_state(q, p);
	pool_free(p);
	pool_free(q);
}

static void test_rebuild_counts(void **state)
{
	struct ss_pool *p = pool_new(3, 4, 8);

	(void)state;
	/* vdisk 0: blocks 0, 7; vdisk 1: 0, 2; vdisk 2: 0, 2 (key 5). */
	p->map[0] = 1;
	p->map[3] = 8;			/* the last block */
	p->map[4] = 1;
	p->map[5] = 3;
	p->map[8 + 1] = 1;
	p->map[8 + 2] = 3;
	p->key[2] = 5;
	p->key[6] = 5;			/* unreferenced: dropped */
	assert_int_equal(ss_rebuild(p), 0);
	assert_int_equal(p->mapped, 6);
	assert_int_equal(p->shared_blocks, 2);
	assert_int_equal(p->vd[0].mapped, 2);
	assert_int_equal(p->vd[0].shared, 1);
	assert_int_equal(p->vd[1].shared, 2);
	assert_int_equal(p->vd[2].shared, 2);
	assert_int_equal(p->mask[0], BIT(0) | BIT(1) | BIT(2) | SS_ONCE);
	assert_int_equal(p->mask[2], BIT(1) | BIT(2) | SS_ONCE);
	assert_int_equal(p->mask[7], BIT(0));
	assert_int_equal(p->nr_free, 5);
	assert_int_equal(count_free_bits(p), 5);
	assert_false(test_bit(0, p->free_bm));
	assert_false(test_bit(2, p->free_bm));
	assert_false(test_bit(7, p->free_bm));
	assert_int_equal(p->key[2], 5);
	assert_int_equal(p->key[6], 0);
	LOCK(p);
	assert_int_equal(__ss_candidate(p, 5, 0, NULL, 0), 2);
	assert_int_equal(__ss_candidate(p, 5, 1, NULL, 0), SS_NIL);
	UNLOCK(p);
	pool_free(p);
}

static void test_rebuild_euclean(void **state)
{
	struct ss_pool *p = pool_new(2, 4, 8);

	(void)state;
	/* A map entry past the data device. */
	p->map[5] = 9;
	assert_int_equal(ss_rebuild(p), -EUCLEAN);
	assert_int_equal(p->lock.held, 0);
	p->map[5] = 8;
	assert_int_equal(ss_rebuild(p), 0);
	/* One block twice in one vdisk. */
	p->map[4] = 8;
	assert_int_equal(ss_rebuild(p), -EUCLEAN);
	assert_int_equal(p->lock.held, 0);
	/* In two vdisks it is shared, fine. */
	p->map[4] = 0;
	p->map[1] = 8;
	assert_int_equal(ss_rebuild(p), 0);
	assert_int_equal(p->shared_blocks, 1);
	assert_int_equal(p->mapped, 2);
	assert_int_equal(p->nr_free, 7);
	pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hash_as_kernel, setup),
		cmocka_unit_test_setup(test_key64, setup),
		cmocka_unit_test_setup(test_lockdep_asserts, setup),
		cmocka_unit_test_setup(test_alloc_runs_and_wrap, setup),
		cmocka_unit_test_setup(test_alloc_tail_bits, setup),
		cmocka_unit_test_setup(test_refs_shared_counters, setup),
		cmocka_unit_test_setup(test_set_map, setup),
		cmocka_unit_test_setup(test_dirty_without_meta, setup),
		cmocka_unit_test_setup(test_free_pending_and_flush, setup),
		cmocka_unit_test_setup(test_free_with_meta_waits_for_commit,
				       setup),
		cmocka_unit_test_setup(test_epochs_older_io_holds, setup),
		cmocka_unit_test_setup(test_epochs_in_order, setup),
		cmocka_unit_test_setup(test_epochs_later_io_does_not_hold,
				       setup),
		cmocka_unit_test_setup(test_epochs_exhausted, setup),
		cmocka_unit_test_setup(test_index_candidate, setup),
		cmocka_unit_test_setup(test_inplace_rules, setup),
		cmocka_unit_test_setup(test_hints_consumed, setup),
		cmocka_unit_test_setup(test_hints_same_bucket, setup),
		cmocka_unit_test_setup(test_hints_lru_bound, setup),
		cmocka_unit_test_setup(test_rebuild_matches_live, setup),
		cmocka_unit_test_setup(test_rebuild_counts, setup),
		cmocka_unit_test_setup(test_rebuild_euclean, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
