/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-faultinj: the target's logic that does not touch bios — rule grammar,
 * the block-type map, scope boundaries, triggers and corruption patterns.
 * It builds in the kernel and, through tests/unit/kshim.h, on the host,
 * where the unit tests exercise it.
 */
#ifndef FI_CORE_H
#define FI_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/rcupdate.h>
#else
#include "kshim.h"
#endif

#define FI_MAX_RULES		256
#define FI_MAX_TYPES		16
#define FI_TYPE_NAME_MAX	15
#define FI_PPM			1000000U

enum fi_op {
	FI_OP_READ,
	FI_OP_WRITE,		/* data writes, discards, write-zeroes */
	FI_OP_FLUSH,		/* empty REQ_PREFLUSH bios */
	FI_OP_ANY,		/* rules only: matches all three */
};

enum fi_action {
	FI_ACT_DROP,
	FI_ACT_ERROR,
	FI_ACT_CORRUPT,
};

enum fi_corrupt_kind {
	FI_CORRUPT_ZERO,
	FI_CORRUPT_RANDOM,
	FI_CORRUPT_FLIP,
	FI_CORRUPT_BYTE,
	FI_CORRUPT_FLIP_RANDOM,	/* "flip random": one seeded bit per block */
};

/* What a corrupt rule does to the data; copied into per-bio state. */
struct fi_pattern {
	u8 kind;		/* enum fi_corrupt_kind */
	u8 val;			/* FLIP: bit number; BYTE: the byte */
	u32 off;		/* FLIP, BYTE: byte offset inside each block */
	u64 stream;		/* RANDOM, FLIP_RANDOM: stream of this firing */
};

struct fi_rule {
	u32 id;
	u8 op;			/* enum fi_op */
	u8 action;		/* enum fi_action */
	struct fi_pattern pat;	/* action == FI_ACT_CORRUPT */
	bool has_range;
	u64 start;		/* sector range [start, start + count) */
	u64 count;
	int type;		/* index in struct fi_typenames, or -1 */
	u32 prob;		/* ppm */
	u64 after;
	u64 times;		/* 0: unlimited */
	atomic64_t matched;	/* I/Os that matched op and scope */
	atomic64_t fired;
};

/* What the rules that can apply to one kind of I/O have in common. */
struct fi_opsum {
	bool unranged;		/* one has no sector range */
	bool typed;		/* one has a type scope */
	u64 lo, hi;		/* hull of their sector ranges */
};

/* Rules that apply to one I/O, as a bitmap of ruleset indexes. */
#define FI_CAND_WORDS	(FI_MAX_RULES / 64)

/* An immutable, id-sorted snapshot of the rules, replaced under RCU. */
struct fi_ruleset {
	struct rcu_head rcu;
	unsigned int n;
	struct fi_opsum sum[FI_OP_ANY];	/* by enum fi_op, ANY excluded */
	struct fi_rule *r[];
};

/* Interned type names; append-only, so an index stays valid. */
struct fi_typenames {
	unsigned int n;
	char name[FI_MAX_TYPES][FI_TYPE_NAME_MAX + 1];
};

struct fi_extent {
	u64 start;		/* in blocks */
	u64 len;
	u32 type;
};

/* An immutable, start-sorted, non-overlapping map, replaced under RCU. */
struct fi_typemap {
	struct rcu_head rcu;
	unsigned int n;
	struct fi_extent e[];
};

/* Geometry the parsers check ranges against. */
struct fi_geom {
	u64 sectors;		/* length of the target */
	u32 block_size;		/* bytes, power of two */
	unsigned int block_shift;	/* log2(block_size / 512) */
};

int fi_parse_u64(const char *s, u64 *v);
int fi_parse_u32(const char *s, u32 *v);

int fi_type_lookup(const struct fi_typenames *tn, const char *name);
int fi_type_intern(struct fi_typenames *tn, const char *name,
		   const char **err);

int fi_rule_parse(struct fi_rule *r, unsigned int argc, char **argv,
		  const struct fi_geom *g, struct fi_typenames *tn,
		  const char **err);
int fi_rule_format(const struct fi_rule *r, const struct fi_typenames *tn,
		   char *buf, size_t len);

int fi_ruleset_with(const struct fi_ruleset *old, struct fi_rule *add,
		    u32 del_id, struct fi_ruleset **out, const char **err);
const struct fi_rule *fi_ruleset_find(const struct fi_ruleset *rs, u32 id);

int fi_typemap_load(const struct fi_typemap *old, unsigned int argc,
		    char **argv, const struct fi_geom *g,
		    struct fi_typenames *tn, struct fi_typemap **out,
		    const char **err);
int fi_typemap_find(const struct fi_typemap *m, u64 block, u64 *end);

unsigned int fi_scan(const struct fi_ruleset *rs, const struct fi_typemap *m,
		     const struct fi_geom *g, enum fi_op op, bool data,
		     u64 sector, unsigned int *nr_sectors, u64 *cand);
bool fi_rule_trigger(struct fi_rule *r, u64 seed, u64 *firing);

u64 fi_mix64(u64 x);
void fi_corrupt_buf(const struct fi_pattern *p, u8 *buf, u64 pos, u32 len,
		    u32 block_size);

#endif /* FI_CORE_H */
