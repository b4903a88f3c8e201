// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: the workload generator (crashtest-oracle(8)).
 *
 * The workload is a pure function of (seed, options): a generator that
 * keeps a model of every file (its id, name, size and the version of each
 * of its blocks) emits one operation at a time.  The workload carries each
 * one out; verify runs the same generator without touching the disk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle_int.h"

/* ---- options ------------------------------------------------------------ */

const struct orc_opts orc_defaults = {
	.seed = 0, .files = 8, .max_blocks = 16, .ops = 200,
	.block_size = 4096, .dirs = 2, .fsync_every = 0,
	.format = ORC_FMT_PIECE,
};

/* The numeric options: name, field, range. */
const struct orc_numopt orc_numopts[ORC_NR_NUM] = {
	[ORC_O_SEED]  = { "seed", offsetof(struct orc_opts, seed), 0, UINT64_MAX, 1 },
	[ORC_O_FILES] = { "files", offsetof(struct orc_opts, files), 1, 100000, 1 },
	[ORC_O_MAXB]  = { "max-blocks", offsetof(struct orc_opts, max_blocks), 1, 1u << 20, 1 },
	[ORC_O_OPS]   = { "ops", offsetof(struct orc_opts, ops), 0, 10000000, 1 },
	[ORC_O_BS]    = { "block-size", offsetof(struct orc_opts, block_size), 512, 1u << 20, 1 },
	[ORC_O_DIRS]  = { "dirs", offsetof(struct orc_opts, dirs), 0, 64, 1 },
	[ORC_O_FSYNC] = { "fsync-every", offsetof(struct orc_opts, fsync_every), 0, 10000000, 0 },
	[ORC_O_FORMAT] = { "format", offsetof(struct orc_opts, format), 1, ORC_FMT_LAST, 1 },
};

uint64_t *orc_field(struct orc_opts *o, int i)
{
	return (uint64_t *)((char *)o + orc_numopts[i].off);
}

/* Strict decimal: no sign, no junk, no overflow. */
int orc_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

int orc_set_num(const char *cmd, struct orc_opts *o, int i,
		       const char *arg)
{
	const struct orc_numopt *n = &orc_numopts[i];
	uint64_t v;

	if (orc_parse_u64(arg, &v) || v < n->min || v > n->max) {
		fprintf(stderr, "crashtest %s: --%s '%s': expected a number from %" PRIu64 " to %" PRIu64 "\n",
			cmd, n->name, arg, n->min, n->max);
		return -1;
	}
	if (i == ORC_O_BS && (v & (v - 1))) {
		fprintf(stderr, "crashtest %s: --block-size %s: not a power of two\n",
			cmd, arg);
		return -1;
	}
	*orc_field(o, i) = v;
	return 0;
}

/* ---- the model and the generator ---------------------------------------- */

/* A number in [0, n), n > 0. */
static uint64_t orc_below(uint64_t *s, uint64_t n)
{
	return orc_sm64(s) % n;
}

uint64_t orc_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

const char *const orc_kind_name[ORC_NR_KINDS] = {
	"create", "overwrite", "append", "extend", "truncate", "rename",
	"unlink", "fsync", "fdatasync", "sync", "dirfsync",
};

/* The mix, in parts of 100. */
static const unsigned int orc_weight[ORC_NR_KINDS] = {
	[ORC_CREATE] = 12, [ORC_OVERWRITE] = 24, [ORC_APPEND] = 14,
	[ORC_EXTEND] = 6, [ORC_TRUNCATE] = 6, [ORC_RENAME] = 9,
	[ORC_UNLINK] = 5, [ORC_FSYNC] = 9, [ORC_FDATASYNC] = 6,
	[ORC_SYNC] = 3, [ORC_DIRFSYNC] = 6,
};

void *orc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "crashtest: out of memory\n");
		exit(ORC_EXIT_USAGE);
	}
	return p;
}

char *orc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(orc_xrealloc(NULL, n), s, n);
}

void orc_model_init(struct orc_model *m, const struct orc_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->o = *o;
	m->rng = o->seed ^ 0x6f7261636c65ULL;	/* "oracle" */
}

void orc_model_free(struct orc_model *m)
{
	uint32_t i;

	for (i = 0; i < m->nr_files; i++) {
		free(m->f[i].gen_dir);
		free(m->f[i].cur);
		free(m->f[i].max);
		free(m->f[i].seen);
		free(m->f[i].floor);
	}
	free(m->f);
	free(m->live);
	memset(m, 0, sizeof(*m));
}

static void orc_file_grow(struct orc_file *f, uint64_t n)
{
	uint64_t cap = f->cap;

	if (n <= cap)
		return;
	while (cap < n)
		cap = cap ? cap * 2 : 16;
	f->cur = orc_xrealloc(f->cur, cap * sizeof(*f->cur));
	f->max = orc_xrealloc(f->max, cap * sizeof(*f->max));
	memset(f->cur + f->cap, 0, (cap - f->cap) * sizeof(*f->cur));
	memset(f->max + f->cap, 0, (cap - f->cap) * sizeof(*f->max));
	f->cap = cap;
}

static void orc_file_write(struct orc_model *m, struct orc_file *f,
			   uint64_t start, uint64_t count)
{
	uint64_t i;

	orc_file_grow(f, start + count);
	for (i = start; i < start + count; i++)
		f->cur[i] = ++f->max[i];
	if (start + count > f->size)
		f->size = start + count;
	if (f->size > f->max_size)
		f->max_size = f->size;
	m->blocks_written += count;
}

static void orc_file_resize(struct orc_file *f, uint64_t size)
{
	uint64_t i;

	orc_file_grow(f, size);		/* an extension is a hole: zeros */
	for (i = size; i < f->size && i < f->cap; i++)
		f->cur[i] = 0;
	f->size = size;
	if (size > f->max_size)
		f->max_size = size;
}

static void orc_file_rename(struct orc_file *f, uint32_t dir)
{
	f->gen_dir = orc_xrealloc(f->gen_dir, f->nr_gens + 1);
	f->gen_dir[f->nr_gens] = dir;
	f->gen = f->nr_gens++;
}

static enum orc_kind orc_pick_kind(struct orc_model *m)
{
	unsigned int w[ORC_NR_KINDS], sum = 0, r;
	int k;

	if (!m->nr_live)
		return ORC_CREATE;
	for (k = 0; k < ORC_NR_KINDS; k++) {
		w[k] = orc_weight[k];
		if (k == ORC_CREATE && m->nr_live >= m->o.files)
			w[k] = 0;
		sum += w[k];
	}
	r = orc_below(&m->rng, sum);
	for (k = 0; k < ORC_NR_KINDS - 1; k++) {
		if (r < w[k])
			break;
		r -= w[k];
	}
	return k;
}

/*
 * Generate the next operation and apply it to the model.  Deterministic:
 * depends only on the model, which depends only on the options.
 */
void orc_next(struct orc_model *m, struct orc_op *op)
{
	uint64_t B = m->o.max_blocks, dirs = m->o.dirs;
	enum orc_kind k = orc_pick_kind(m);
	struct orc_file *f = NULL;
	uint32_t li = 0;

	memset(op, 0, sizeof(*op));
	if (k == ORC_CREATE) {
		if (m->nr_files == m->cap_files) {
			m->cap_files = m->cap_files ? m->cap_files * 2 : 16;
			m->f = orc_xrealloc(m->f, m->cap_files * sizeof(*m->f));
			m->live = orc_xrealloc(m->live,
					       m->cap_files * sizeof(*m->live));
		}
		op->id = m->nr_files++;
		f = &m->f[op->id];
		memset(f, 0, sizeof(*f));
		f->live = 1;
		orc_file_rename(f, orc_below(&m->rng, dirs + 1));
		m->live[m->nr_live++] = op->id;
		op->gen = op->new_gen = f->gen;
		op->dir = op->new_dir = f->gen_dir[f->gen];
		op->count = orc_below(&m->rng, orc_min(B, ORC_MAX_RUN) + 1);
		orc_file_write(m, f, 0, op->count);
		op->new_size = f->size;
		goto done;
	}
	if (k != ORC_SYNC && k != ORC_DIRFSYNC) {
		li = orc_below(&m->rng, m->nr_live);
		op->id = m->live[li];
		f = &m->f[op->id];
		op->gen = op->new_gen = f->gen;
		op->dir = op->new_dir = f->gen_dir[f->gen];
		op->old_size = op->new_size = f->size;
	}
	/* Make the kind fit the file; every chain ends (B >= 1). */
	if (k == ORC_EXTEND && f->size + 1 >= B)
		k = ORC_TRUNCATE;
	if (k == ORC_TRUNCATE && !f->size)
		k = ORC_APPEND;
	if (k == ORC_OVERWRITE && !f->size)
		k = ORC_APPEND;
	if (k == ORC_APPEND && f->size == B)
		k = ORC_OVERWRITE;

	switch (k) {
	case ORC_OVERWRITE:
		op->start = orc_below(&m->rng, f->size);
		op->count = 1 + orc_below(&m->rng,
				orc_min(f->size - op->start, ORC_MAX_RUN));
		orc_file_write(m, f, op->start, op->count);
		break;
	case ORC_APPEND:
		op->start = f->size;
		op->count = 1 + orc_below(&m->rng,
				orc_min(B - f->size, ORC_MAX_RUN));
		orc_file_write(m, f, op->start, op->count);
		break;
	case ORC_EXTEND: {
		uint64_t gap = 1 + orc_below(&m->rng,
					     orc_min(B - 1 - f->size, 4));

		op->by_truncate = orc_below(&m->rng, 2);
		if (op->by_truncate) {
			orc_file_resize(f, f->size + gap);
		} else {
			op->start = f->size + gap;
			op->count = 1 + orc_below(&m->rng,
					orc_min(B - op->start, 4));
			orc_file_resize(f, op->start);
			orc_file_write(m, f, op->start, op->count);
		}
		break;
	}
	case ORC_TRUNCATE:
		/* cut 1-4 blocks; one time in 8 to zero */
		if (!orc_below(&m->rng, 8))
			orc_file_resize(f, 0);
		else
			orc_file_resize(f, f->size - 1 - orc_below(&m->rng,
					orc_min(f->size, 4)));
		break;
	case ORC_RENAME:
		orc_file_rename(f, orc_below(&m->rng, dirs + 1));
		op->new_gen = f->gen;
		op->new_dir = f->gen_dir[f->gen];
		break;
	case ORC_UNLINK:
		f->live = 0;
		m->live[li] = m->live[--m->nr_live];
		break;
	case ORC_DIRFSYNC:
		op->dir = orc_below(&m->rng, dirs + 1);
		break;
	default:	/* fsync, fdatasync, sync */
		break;
	}
	if (f)
		op->new_size = f->size;
done:
	op->kind = k;
	m->count[k]++;
	m->nr_ops++;
}

/* Run the whole generator: the final state, without touching a disk. */
void orc_model_build(struct orc_model *m, const struct orc_opts *o)
{
	struct orc_op op;

	orc_model_init(m, o);
	while (m->nr_ops < o->ops)
		orc_next(m, &op);
}


/*
 * The file whose data the op makes durable when it returns (fsync,
 * fdatasync), or with --fsync-every the cadence fsync after it: its id;
 * -1 for none, -2 for every file (sync).
 */
int orc_op_syncs_file(const struct orc_model *m, const struct orc_op *op)
{
	int cadence = m->o.fsync_every && m->nr_ops % m->o.fsync_every == 0;

	switch (op->kind) {
	case ORC_SYNC:
		return -2;
	case ORC_FSYNC:
	case ORC_FDATASYNC:
		return op->id;
	case ORC_UNLINK:
	case ORC_DIRFSYNC:
		return -1;	/* the cadence fsyncs the directory */
	default:
		return cadence ? (int)op->id : -1;
	}
}
