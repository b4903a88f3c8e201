/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel interfaces the modules' pure-logic files use, for building
 * those files on the host under the unit tests.  Only what they need.
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX
#define S64_MAX		INT64_MAX
#define GFP_KERNEL	0
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define struct_size(p, member, n) \
	(sizeof(*(p)) + (size_t)(n) * sizeof((p)->member[0]))

struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

typedef struct {
	long long counter;
} atomic64_t;

static inline void atomic64_set(atomic64_t *v, long long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline long long atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST);
}

static inline long long atomic64_inc_return(atomic64_t *v)
{
	return __atomic_add_fetch(&v->counter, 1, __ATOMIC_SEQ_CST);
}

static inline long long atomic64_cmpxchg(atomic64_t *v, long long old,
					 long long new)
{
	__atomic_compare_exchange_n(&v->counter, &old, new, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return old;
}

static inline void *kzalloc(size_t n, int gfp)
{
	(void)gfp;
	return calloc(1, n);
}

static inline void *kmalloc(size_t n, int gfp)
{
	(void)gfp;
	return malloc(n);
}

#define kvmalloc	kmalloc
#define kfree		free
#define kvfree		free

/* Strict base-10 like the kernel's: no junk, no overflow, no sign. */
static inline int kstrtou64(const char *s, unsigned int base, u64 *res)
{
	unsigned long long v = 0;
	const char *p = s;

	if (base != 10 || !*p)
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (ULLONG_MAX - (unsigned int)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	*res = v;
	return 0;
}

static inline int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n >= size ? (int)size - 1 : n;
}

static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

/* ---- the dm-subsist engine's needs (dm-subsist/engine.c) -------------- */

#define BITS_PER_LONG		(8 * (int)sizeof(long))
#define BIT(nr)			(1UL << (nr))
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define min_t(type, a, b)	((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#define max_t(type, a, b)	((type)(a) > (type)(b) ? (type)(a) : (type)(b))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * Spinlocks that know whether they are held, so that lockdep_assert_held()
 * really asserts on the host: a miss calls kshim_lockdep_failed(), which
 * the test defines (fail the test, or count an expected miss).  Taking a
 * held lock is a miss too (a self-deadlock in the kernel).
 */
typedef struct {
	int held;
} spinlock_t;

void kshim_lockdep_failed(const void *lock, const char *what,
			  const char *file, int line);

#define spin_lock_init(l)	((l)->held = 0)
#define __kshim_lock(l) do {						\
		if ((l)->held)						\
			kshim_lockdep_failed((l), "already held",	\
					     __FILE__, __LINE__);	\
		(l)->held = 1;						\
	} while (0)
#define __kshim_unlock(l) do {						\
		if (!(l)->held)						\
			kshim_lockdep_failed((l), "unlocked but not held", \
					     __FILE__, __LINE__);	\
		(l)->held = 0;						\
	} while (0)
#define spin_lock(l)			__kshim_lock(l)
#define spin_unlock(l)			__kshim_unlock(l)
#define spin_lock_irq(l)		__kshim_lock(l)
#define spin_unlock_irq(l)		__kshim_unlock(l)
#define spin_lock_irqsave(l, f) \
	do { (f) = 0; __kshim_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) \
	do { (void)(f); __kshim_unlock(l); } while (0)
#define lockdep_assert_held(l) do {					\
		if (!(l)->held)						\
			kshim_lockdep_failed((l), "not held",		\
					     __FILE__, __LINE__);	\
	} while (0)

/* Wait queues: the host tests are single-threaded, nobody sleeps. */
typedef struct {
	int sleepers;
} wait_queue_head_t;

#define init_waitqueue_head(wq)	((wq)->sleepers = 0)
#define wq_has_sleeper(wq)	((wq)->sleepers != 0)
#define wake_up_all(wq)		((void)(wq))

/* Bit operations, with the kernel's results (size when nothing is found). */
static inline void set_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] |= BIT(nr % BITS_PER_LONG);
}

static inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	addr[nr / BITS_PER_LONG] &= ~BIT(nr % BITS_PER_LONG);
}

static inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] & BIT(nr % BITS_PER_LONG);
}

static inline bool __test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	bool old = test_bit(nr, addr);

	set_bit(nr, addr);
	return old;
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	for (; offset < size; offset++)
		if (test_bit(offset, addr))
			return offset;
	return size;
}

static inline unsigned long find_next_zero_bit(const unsigned long *addr,
					       unsigned long size,
					       unsigned long offset)
{
	for (; offset < size; offset++)
		if (!test_bit(offset, addr))
			return offset;
	return size;
}

#define find_first_bit(addr, size)	find_next_bit((addr), (size), 0)

static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int len)
{
	while (len--)
		clear_bit(start++, map);
}

/* As the kernel's: whole longs, so the bits past @nbits are set too. */
static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline unsigned int hweight16(unsigned int w)
{
	return __builtin_popcount(w & 0xffffU);
}

/* Undefined for 0, as the kernel's. */
static inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

/* include/linux/hash.h, the generic versions (x86 has no arch hash). */
#define GOLDEN_RATIO_32		0x61C88647
#define GOLDEN_RATIO_64		0x61C8864680B583EBull

static inline u32 hash_32(u32 val, unsigned int bits)
{
	return (u32)(val * GOLDEN_RATIO_32) >> (32 - bits);
}

static inline u32 hash_64(u64 val, unsigned int bits)
{
	return (u32)(val * GOLDEN_RATIO_64 >> (64 - bits));
}

static inline u32 get_unaligned_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 |
	       (u32)b[3] << 24;
}

static inline u64 get_unaligned_le64(const void *p)
{
	const u8 *b = p;

	return (u64)get_unaligned_le32(b) |
	       (u64)get_unaligned_le32(b + 4) << 32;
}

/* include/linux/list.h, the part the engine uses. */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#define LIST_POISON1	((void *)0x100)
#define LIST_POISON2	((void *)0x122)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void __list_del_entry(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

static inline void list_move_tail(struct list_head *list,
				  struct list_head *head)
{
	__list_del_entry(list);
	list_add_tail(list, head);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_first_entry(head, __typeof__(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_first_entry(head, __typeof__(*pos), member),	\
	     n = list_next_entry(pos, member);				\
	     &pos->member != (head);					\
	     pos = n, n = list_next_entry(n, member))

#define INIT_HLIST_HEAD(ptr)	((ptr)->first = NULL)

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	if (first)
		first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void hlist_del(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	*pprev = next;
	if (next)
		next->pprev = pprev;
	n->next = LIST_POISON1;
	n->pprev = LIST_POISON2;
}

#define hlist_entry_safe(ptr, type, member) __extension__ ({		\
		__typeof__(ptr) ____ptr = (ptr);			\
		____ptr ? container_of(____ptr, type, member) : NULL;	\
	})
#define hlist_for_each_entry(pos, head, member)				\
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)),	\
				    member);				\
	     pos;							\
	     pos = hlist_entry_safe((pos)->member.next,			\
				    __typeof__(*(pos)), member))

#endif /* KSHIM_H */
