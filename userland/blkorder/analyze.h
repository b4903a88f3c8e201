/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * blkorder: what a device's trace says (counts, flushes, FUAs, ordering
 * points) and how the write order of an upper device compares with what
 * its lower device saw.
 */
#ifndef BLKORDER_ANALYZE_H
#define BLKORDER_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* Trace events, by blkparse's letters. */
enum bo_ev {
	BO_EV_Q, BO_EV_M, BO_EV_F, BO_EV_G, BO_EV_S, BO_EV_R, BO_EV_D,
	BO_EV_C, BO_EV_P, BO_EV_U, BO_EV_UT, BO_EV_I, BO_EV_X, BO_EV_B,
	BO_EV_A, BO_EV_ABORT, BO_EV_DRV, BO_EV_NOTE, BO_EV_UNKNOWN,
	BO_NR_EV
};

/* What a request is, from its category bits and length. */
enum bo_kind {
	BO_K_READ,	/* not a write, carries data */
	BO_K_WRITE,	/* a write that carries data (maybe PREFLUSH, FUA) */
	BO_K_FLUSH,	/* no data, FLUSH: an empty (pre)flush */
	BO_K_DISCARD,	/* discard or secure erase */
	BO_K_NONE,	/* no data and no flush */
};

const char *bo_ev_name(int ev);
int bo_ev_parse(const char *s);
int bo_rec_event(const struct bo_rec *r);
int bo_rec_kind(const struct bo_rec *r);

/* Per device, counted at its issue event (Q or D). */
struct bo_stats {
	uint64_t reads, read_bytes;
	uint64_t writes, write_bytes;
	uint64_t flushes;		/* empty flushes */
	uint64_t preflush_writes;	/* writes with REQ_PREFLUSH */
	uint64_t fua_writes;		/* writes with REQ_FUA */
	uint64_t sync_writes, meta_writes;
	uint64_t discards, discard_bytes;
	uint64_t other;			/* no data, no flush */
	uint64_t ordering_points;
	uint64_t max_inflight_writes;
	uint64_t completions;		/* C events matched to an issue */
	uint64_t unmatched_completions;	/* C events of data with no issue */
	uint64_t errors;		/* completions with an error */
	uint64_t first_ns, last_ns;	/* first and last record */
};

struct bo_dev {
	char name[64];
	uint32_t devno;
	uint16_t src;
	size_t *idx;		/* its records in the sorted trace */
	size_t nr;
	uint64_t ev[BO_NR_EV];
	int issue;		/* BO_EV_Q or BO_EV_D */
	struct bo_stats st;
};

#define BO_NEVER	UINT64_MAX

/* Flags of a write. */
#define BO_W_PREFLUSH	1u
#define BO_W_FUA	2u
#define BO_W_OP		4u	/* it is an ordering point */

/* A data write, at the device's issue event, in issue order. */
struct bo_write {
	uint64_t issue_ns;
	uint64_t done_ns;	/* completion, BO_NEVER if none */
	/*
	 * When the device declared it durable: its own completion with FUA,
	 * the completion of a flush issued after it completed, or of a
	 * preflush write issued after it completed.  BO_NEVER if not.
	 */
	uint64_t durable_ns;
	int64_t durable_by;	/* that preflush write's index, or -1 */
	uint64_t sector;
	uint32_t sectors;
	uint32_t flags;
};

struct bo_writes {
	struct bo_write *w;
	size_t nr, alloc;
};

/*
 * Counts @d's records of @t (d->idx, d->nr) at the issue event d->issue
 * into d->st and d->ev; appends the device's data writes to @w when it is
 * not NULL.  Returns 0, or -1 when out of memory.
 */
int bo_dev_analyze(const struct bo_trace *t, struct bo_dev *d,
		   struct bo_writes *w);

void bo_writes_free(struct bo_writes *w);

/* An upper device's writes compared with what its lower device saw. */
struct bo_order {
	uint64_t upper_writes, lower_writes;
	uint64_t matched;	/* upper writes that reached below themselves */
	uint64_t partial;	/* ... of which only a part did */
	uint64_t absorbed;	/* upper writes only newer data of reached below */
	uint64_t unseen;	/* upper writes never seen below */
	uint64_t extra_sectors;	/* lower sectors no upper write explains */
	uint64_t in_order;	/* longest run of matched kept in upper order */
	uint64_t reordered;	/* matched - in_order */
	uint64_t inversions;	/* pairs of matched seen below in the other order */
	uint64_t durable;	/* upper writes the upper device made durable */
	uint64_t violations;	/* see bo_order_compare() */
	int64_t first_violation;	/* its upper write index, or -1 */
	unsigned int unit;	/* matching granularity, sectors */
	uint64_t units;		/* units written above and below */
};

/* Matching needs about 40 bytes per unit written above or below. */
#define BO_MAX_UNITS	(1ull << 25)

/*
 * Matches the upper writes @up to the lower writes @lo (lower sector =
 * upper sector + @offset), unit by unit (the largest power of two that
 * divides every sector and length): a lower write of a unit carries the
 * newest upper write of that unit issued before it and not yet carried;
 * older ones not yet carried were overwritten on the way (a write-back
 * cache keeps only the newest data) and are absorbed by it.  Then, with
 * the position of an upper write below = the first lower write that
 * carried any of it:
 *   reordered   = matched writes not in a longest subsequence that keeps
 *                 the upper order (the fewest writes to move to restore it)
 *   inversions  = pairs of matched writes seen below in the other order
 *   violations  = writes W (matched or absorbed) whose data, or newer,
 *                 reached the lower device before all of a write E did,
 *                 where the upper device had declared E durable before W
 *                 was issued (or W's own preflush covered E): the order a
 *                 flush or FUA promised was not kept
 * Returns 0; -1 when out of memory; -2 when more than @max_units units
 * were written above and below together (o->units says how many).
 */
int bo_order_compare(const struct bo_writes *up, const struct bo_writes *lo,
		     uint64_t offset, uint64_t max_units, struct bo_order *o);

#endif
