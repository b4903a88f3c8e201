/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: crash states of a recorded log.
 *
 * A crash point p (0 <= p <= number of records) is "the power failed after
 * the first p records had been submitted".  A state is a crash point, a
 * model of what the device may have lost, and a draw:
 *
 *   honor   the device honours FLUSH and FUA.  Every write before the
 *           last boundary at or before p persisted (a FLUSH record is a
 *           boundary at its place; a FUA write is a boundary right after
 *           itself); the writes after it are uncertain.
 *   ignore  the device ignores them and has a volatile cache of "window"
 *           bytes: every write older than the last window bytes of writes
 *           before p persisted; those within the window are uncertain.
 *
 * Draw k = 0 keeps every uncertain write (the prefix state: everything
 * submitted reached the disk).  Draw k > 0 keeps a seeded choice of them:
 * a prefix (FIFO destage), a random subset, or a random subset applied in
 * a seeded permuted order (reordering: it matters where kept writes
 * overlap).  Every random choice is a hash of (seed, p, k, write), so the
 * two models see the same draws: a write kept by ignore's draw is kept by
 * honor's if it is uncertain there too.
 *
 * A state is named by its id, "<model>:<p>:<k>", plus ":s<seed>" and
 * ":w<window>" when they differ from the record's; the id alone rebuilds
 * the state (ct_state_build), in explore and in replay alike.
 */
#ifndef CRASHTEST_STATE_H
#define CRASHTEST_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

enum ct_model { CT_MODEL_HONOR = 0, CT_MODEL_IGNORE = 1 };

enum ct_draw { CT_DRAW_ALL, CT_DRAW_PREFIX, CT_DRAW_SUBSET, CT_DRAW_REORDER };

struct ct_state_id {
	int model;		/* enum ct_model */
	uint64_t point;		/* crash after this many records */
	uint64_t k;		/* draw; 0 keeps every uncertain write */
	int has_seed;		/* seed given in the id (else the record's) */
	int has_window;		/* window given in the id (else the record's) */
	uint64_t seed;
	uint64_t window;	/* bytes */
};

/* What the generator derives once from a log. */
struct ct_space {
	const struct ct_log *log;
	uint64_t seed;		/* defaults: the record's seed ... */
	uint64_t window;	/* ... and cache size in bytes */
	size_t nr_points;	/* nr_ops + 1 */
	size_t nr_writes;
	uint32_t *wcount;	/* [p]: writes among the first p records */
	uint32_t *durable;	/* [p]: writes before the last boundary in them */
	uint32_t *wop;		/* write j -> its record */
	uint64_t *wsum;		/* [j]: bytes of writes 0..j-1 */
	uint32_t *cand;		/* crash points right after a write or flush */
	size_t nr_cand;
	uint32_t *prefix;	/* epoch prefixes: 0, after each boundary, the end */
	size_t nr_prefix;
};

struct ct_state {
	struct ct_state_id id;
	uint32_t *order;	/* the writes applied, in order */
	size_t nr;
	size_t cap;
	size_t nr_durable;	/* order[0..nr_durable): persisted for sure */
	size_t nr_uncertain;	/* writes that may or may not have persisted */
	int draw;		/* enum ct_draw */
};

int ct_space_init(struct ct_space *sp, const struct ct_log *log,
		  uint64_t seed, uint64_t window, char *err, size_t errlen);
void ct_space_free(struct ct_space *sp);

/* Builds the state @id names (st is reused across calls; zero it first). */
int ct_state_build(const struct ct_space *sp, const struct ct_state_id *id,
		   struct ct_state *st, char *err, size_t errlen);
void ct_state_free(struct ct_state *st);

/* "kept 3 of 7 uncertain writes (subset)" */
void ct_state_describe(const struct ct_state *st, char *buf, size_t len);

/* Id text <-> struct.  Format leaves out seed/window equal to the space's. */
int ct_id_parse(const char *s, struct ct_state_id *id, char *err,
		size_t errlen);
void ct_id_format(const struct ct_space *sp, const struct ct_state_id *id,
		  char *buf, size_t len);

const char *ct_model_name(int model);
int ct_model_parse(const char *s);

/*
 * The exploration order.  Draw d = 0, 1, 2...: even draws take the next
 * epoch prefix (k = 0) while any are left, the others a crash point picked
 * by a seeded hash among those right after a write or flush, with the next
 * unused k of that point.  Each draw yields one id per model, in the order
 * of @models.  The sequence depends only on the log, the seed and the
 * models: two runs that differ in the model alone visit the same crash
 * points with the same draws.
 */
struct ct_gen {
	const struct ct_space *sp;
	int models[2];
	int nr_models;
	int has_seed, has_window;	/* carried into every id */
	uint64_t seed, window;
	uint64_t draw;
	size_t next_prefix;
	uint32_t *prefix_order;	/* prefixes: the end, the start, then shuffled */
	uint64_t *kcount;	/* per crash point: draws made there */
	struct ct_state_id cur;
	int cur_model;		/* models[] index of the next id of cur */
};

int ct_gen_init(struct ct_gen *g, const struct ct_space *sp,
		const int *models, int nr_models, const struct ct_state_id *params);
/* The next id; 0, or -ENOENT when there is nothing left (no writes). */
int ct_gen_next(struct ct_gen *g, struct ct_state_id *id);
void ct_gen_free(struct ct_gen *g);

#endif /* CRASHTEST_STATE_H */
