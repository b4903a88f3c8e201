/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The status lines of the project's targets ("dmsetup status", dm's
 * STATUSTYPE_INFO), written once: the fields of each target in the
 * order it prints them, and what each word looks like.
 *
 * The kernel prints a line with dm_status_emit() from values indexed by
 * the enums below, so the order on the line is this list's; dmstack and
 * crashtest read the line by the same enums and names; the field lists
 * of the shell libraries (tests/cases/lib.sh, tests/cases/subsist/ss.lib)
 * and the status sections of docs/dm-*.rst are checked against this file
 * by tests/unit/test_status_contract.c.  A new field goes at the end of
 * its list, so that readers of the fields before it by position keep
 * working.
 *
 * STATUS_<TARGET>(F) expands F(name, kind, words) for every field.
 */
#ifndef DM_STATUS_H
#define DM_STATUS_H

enum dm_status_kind {
	DMST_NUM,		/* a decimal u64 */
	DMST_WORD,		/* one of words: "a|b|c" */
	DMST_FI_CRASH,		/* live, crashed or armed:<writes left> */
	DMST_USED_TOTAL,	/* <used>/<total> */
	DMST_RATIO,		/* <n>.<two digits> */
	DMST_NUM_DASH,		/* a number, or "-" */
	DMST_HINTS,		/* off or on:<n> */
};

/* dm-faultinj; after the fields, nr_rules words "<id>:<fired>". */
#define STATUS_FAULTINJ(F)						\
	F(reads, NUM, NULL) F(writes, NUM, NULL)			\
	F(flushes, NUM, NULL) F(discards, NUM, NULL)			\
	F(dropped, NUM, NULL) F(errored, NUM, NULL)			\
	F(corrupted, NUM, NULL) F(crash_state, FI_CRASH, NULL)		\
	F(crash_dropped, NUM, NULL) F(type_extents, NUM, NULL)		\
	F(nr_rules, NUM, NULL)

/* dm-noorder */
#define STATUS_NOORDER(F)						\
	F(reads, NUM, NULL) F(writes, NUM, NULL)			\
	F(read_hits, NUM, NULL) F(cached_writes, NUM, NULL)		\
	F(cached_bytes, NUM, NULL) F(cached_blocks, NUM, NULL)		\
	F(destaged, NUM, NULL) F(flushes, NUM, NULL)			\
	F(flushes_ignored, NUM, NULL) F(fuas, NUM, NULL)		\
	F(fuas_ignored, NUM, NULL) F(discards, NUM, NULL)		\
	F(crash_kept, NUM, NULL) F(crash_dropped, NUM, NULL)		\
	F(flush, WORD, "honor|ignore")					\
	F(crash_state, WORD, "live|crashed")				\
	F(log_state, WORD, "off|on|overflow")				\
	F(log_records, NUM, NULL) F(log_bytes, NUM, NULL)		\
	F(cached_bytes_max, NUM, NULL) F(deferred, NUM, NULL)

/* dm-subsist's pool (subsist-pool) */
#define STATUS_SUBSIST_POOL(F)						\
	F(block_size, NUM, NULL) F(usage, USED_TOTAL, NULL)		\
	F(mapped, NUM, NULL) F(shared, NUM, NULL) F(saved, NUM, NULL)	\
	F(ratio, RATIO, NULL)						\
	F(cache_hits, NUM, NULL) F(cache_misses, NUM, NULL)		\
	F(merges, NUM, NULL) F(collisions, NUM, NULL)			\
	F(mismatches, NUM, NULL) F(meta_writes, NUM, NULL)		\
	F(nospc, NUM, NULL)						\
	F(mode, WORD, "ok|out_of_space|read_only")			\
	F(commits, NUM_DASH, NULL) F(hints, HINTS, NULL)		\
	F(stale_keys, NUM, NULL)

/* dm-subsist's vdisk (subsist) */
#define STATUS_SUBSIST_VDISK(F)						\
	F(index, NUM, NULL) F(mapped, NUM, NULL) F(shared, NUM, NULL)	\
	F(reads, NUM, NULL) F(writes, NUM, NULL) F(merged, NUM, NULL)	\
	F(cow, NUM, NULL) F(discarded, NUM, NULL)

/* Word indexes on a line: FI_STATUS_reads ... FI_STATUS_NR, etc. */
#define DMST_FI_IDX(n, k, w)	FI_STATUS_##n,
#define DMST_NORD_IDX(n, k, w)	NORD_STATUS_##n,
#define DMST_SP_IDX(n, k, w)	SP_STATUS_##n,
#define DMST_SV_IDX(n, k, w)	SV_STATUS_##n,
enum { STATUS_FAULTINJ(DMST_FI_IDX) FI_STATUS_NR };
enum { STATUS_NOORDER(DMST_NORD_IDX) NORD_STATUS_NR };
enum { STATUS_SUBSIST_POOL(DMST_SP_IDX) SP_STATUS_NR };
enum { STATUS_SUBSIST_VDISK(DMST_SV_IDX) SV_STATUS_NR };

/* Initialisers of tables: { "name", DMST_kind, "words" }, ... */
#define DMST_DEF(n, k, w)	{ #n, DMST_##k, w },
/* of kinds only: DMST_kind, ... */
#define DMST_KIND(n, k, w)	DMST_##k,

#ifdef __KERNEL__
#include <linux/device-mapper.h>

/*
 * One field's value: a (the number; used, or the ratio's whole part),
 * b (total, or the ratio's hundredths) and w (the word of a WORD; for
 * FI_CRASH "live" or "crashed", NULL for armed:<a>; for NUM_DASH and
 * HINTS non-NULL prints "-" and "off").
 */
struct dm_status_val {
	unsigned long long a, b;
	const char *w;
};

/* Appends the @n fields of @kinds/@v, space-separated, at *@szp. */
static inline void dm_status_emit(char *result, unsigned int maxlen,
				  unsigned int *szp,
				  const unsigned char *kinds,
				  const struct dm_status_val *v,
				  unsigned int n)
{
	unsigned int sz = *szp, i;

	for (i = 0; i < n; i++) {
		const char *sep = i ? " " : "";

		switch (kinds[i]) {
		case DMST_WORD:
			DMEMIT("%s%s", sep, v[i].w);
			break;
		case DMST_FI_CRASH:
			if (v[i].w)
				DMEMIT("%s%s", sep, v[i].w);
			else
				DMEMIT("%sarmed:%llu", sep, v[i].a);
			break;
		case DMST_USED_TOTAL:
			DMEMIT("%s%llu/%llu", sep, v[i].a, v[i].b);
			break;
		case DMST_RATIO:
			DMEMIT("%s%llu.%02llu", sep, v[i].a, v[i].b);
			break;
		case DMST_NUM_DASH:
			if (v[i].w)
				DMEMIT("%s-", sep);
			else
				DMEMIT("%s%llu", sep, v[i].a);
			break;
		case DMST_HINTS:
			if (v[i].w)
				DMEMIT("%soff", sep);
			else
				DMEMIT("%son:%llu", sep, v[i].a);
			break;
		default:
			DMEMIT("%s%llu", sep, v[i].a);
			break;
		}
	}
	*szp = sz;
}
#endif /* __KERNEL__ */

#endif /* DM_STATUS_H */
