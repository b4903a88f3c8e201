// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data-consistency oracle (crashtest-oracle(8)).
 *
 *   crashtest workload DIR --seed N [--files F] [--max-blocks B] ...
 *   crashtest verify DIR [--seed N ...] [--exact] [--json] [-v]
 *
 * The workload is a pure function of (seed, options): a generator that
 * keeps a model of every file (its id, name, size and the version of each
 * of its blocks) emits one operation at a time, and the workload only
 * carries each one out on DIR.  Every block it writes names its run,
 * file id, block index and version in a header (with a crc32) and holds
 * a payload derived from those four numbers.  verify runs the same
 * generator without touching the disk, walks DIR and classifies every
 * block it can read against the model:
 *
 *   correct   the version the file held at the end of the workload (or at
 *             its unlink), or zeros where that version is a hole
 *   older     a lower version the workload did write for that block
 *   zeros     all zero where data was expected
 *   ioerror   the read failed
 *   WRONG     anything else: another file's or another index's block, a
 *             version never written, a bad crc, another run, garbage
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "oracle.h"

#define ORC_EXIT_OK	0
#define ORC_EXIT_FAIL	1	/* workload: an operation failed */
#define ORC_EXIT_WRONG	3	/* verify: wrong data (crashtest's checker code) */
#define ORC_EXIT_USAGE	8	/* bad arguments, DIR missing, not a workload */

#define ORC_MAGIC	0x424f5443u	/* "CTOB" little-endian */
#define ORC_HDR_VERSION	1
#define ORC_HDR_SIZE	128	/* binary header (40 bytes) + text line */
#define ORC_TEXT_OFF	40
#define ORC_META	"oracle.meta"
#define ORC_META_HEAD	"crashtest-oracle 1"
#define ORC_MAX_RUN	8	/* blocks per write operation, at most */
#define ORC_LIST_MAX	10	/* WRONG blocks and anomalies listed (not -v) */

/* ---- crc32 (IEEE 802.3, as zlib's crc32()) ---------------------------- */

static uint32_t orc_crc_table[256];

static void orc_crc_init(void)
{
	uint32_t c;
	int i, k;

	if (orc_crc_table[1])
		return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		orc_crc_table[i] = c;
	}
}

static uint32_t orc_crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	orc_crc_init();
	while (n--)
		c = orc_crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- the generator's random numbers: splitmix64 ----------------------- */

static uint64_t orc_sm64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0. */
static uint64_t orc_below(uint64_t *s, uint64_t n)
{
	return orc_sm64(s) % n;
}

static uint64_t orc_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- options ------------------------------------------------------------ */

/* What the expected state depends on: the generator's whole input. */
struct orc_opts {
	uint64_t seed;
	uint64_t files;		/* live files at most */
	uint64_t max_blocks;	/* file size limit, in blocks */
	uint64_t ops;
	uint64_t block_size;
	uint64_t dirs;		/* subdirectories d1..dN beside DIR itself */
	uint64_t fsync_every;	/* workload only: not part of the state */
};

static const struct orc_opts orc_defaults = {
	.seed = 0, .files = 8, .max_blocks = 16, .ops = 200,
	.block_size = 4096, .dirs = 2, .fsync_every = 0,
};

enum {
	ORC_O_SEED, ORC_O_FILES, ORC_O_MAXB, ORC_O_OPS, ORC_O_BS, ORC_O_DIRS,
	ORC_O_FSYNC, ORC_NR_NUM,
};

/* The numeric options: name, field, range. */
static const struct orc_numopt {
	const char *name;
	size_t off;
	uint64_t min, max;
	int state;		/* recorded in oracle.meta and checked */
} orc_numopts[ORC_NR_NUM] = {
	[ORC_O_SEED]  = { "seed", offsetof(struct orc_opts, seed), 0, UINT64_MAX, 1 },
	[ORC_O_FILES] = { "files", offsetof(struct orc_opts, files), 1, 100000, 1 },
	[ORC_O_MAXB]  = { "max-blocks", offsetof(struct orc_opts, max_blocks), 1, 1u << 20, 1 },
	[ORC_O_OPS]   = { "ops", offsetof(struct orc_opts, ops), 0, 10000000, 1 },
	[ORC_O_BS]    = { "block-size", offsetof(struct orc_opts, block_size), 512, 1u << 20, 1 },
	[ORC_O_DIRS]  = { "dirs", offsetof(struct orc_opts, dirs), 0, 64, 1 },
	[ORC_O_FSYNC] = { "fsync-every", offsetof(struct orc_opts, fsync_every), 0, 10000000, 0 },
};

static uint64_t *orc_field(struct orc_opts *o, int i)
{
	return (uint64_t *)((char *)o + orc_numopts[i].off);
}

/* Strict decimal: no sign, no junk, no overflow. */
static int orc_parse_u64(const char *s, uint64_t *v)
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

static int orc_set_num(const char *cmd, struct orc_opts *o, int i,
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

enum orc_kind {
	ORC_CREATE, ORC_OVERWRITE, ORC_APPEND, ORC_EXTEND, ORC_TRUNCATE,
	ORC_RENAME, ORC_UNLINK, ORC_FSYNC, ORC_FDATASYNC, ORC_SYNC,
	ORC_DIRFSYNC, ORC_NR_KINDS,
};

static const char *const orc_kind_name[ORC_NR_KINDS] = {
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

/* One file id: what the workload did to it, up to now. */
struct orc_file {
	int live;		/* exists (not unlinked) */
	uint32_t gen;		/* current name: o<id>.<gen> */
	uint32_t nr_gens;	/* names it has had: gens 0..nr_gens-1 */
	uint8_t *gen_dir;	/* the directory of each name */
	uint64_t size;		/* blocks */
	uint64_t max_size;	/* the largest size it ever had, blocks */
	uint64_t cap;		/* entries in cur[] and max[] */
	uint32_t *cur;		/* version each block holds now, 0 = hole */
	uint32_t *max;		/* highest version ever written there */
	uint32_t found;		/* verify: names found for it */
};

struct orc_model {
	struct orc_opts o;
	uint64_t rng;
	struct orc_file *f;	/* indexed by id */
	uint32_t nr_files, cap_files;
	uint32_t *live;		/* ids of the live files, in a fixed order */
	uint32_t nr_live;
	uint64_t nr_ops;	/* generated so far */
	uint64_t count[ORC_NR_KINDS];
	uint64_t blocks_written;
};

/* One operation, as generated (the model already reflects it). */
struct orc_op {
	enum orc_kind kind;
	uint32_t id;
	uint32_t gen, dir;		/* the file's name before the op */
	uint32_t new_gen, new_dir;	/* rename */
	uint64_t start, count;		/* blocks written */
	uint64_t old_size, new_size;	/* blocks */
	int by_truncate;		/* extend: ftruncate instead of a write */
};

static void *orc_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "crashtest: out of memory\n");
		exit(ORC_EXIT_USAGE);
	}
	return p;
}

static void orc_model_init(struct orc_model *m, const struct orc_opts *o)
{
	memset(m, 0, sizeof(*m));
	m->o = *o;
	m->rng = o->seed ^ 0x6f7261636c65ULL;	/* "oracle" */
}

static void orc_model_free(struct orc_model *m)
{
	uint32_t i;

	for (i = 0; i < m->nr_files; i++) {
		free(m->f[i].gen_dir);
		free(m->f[i].cur);
		free(m->f[i].max);
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
static void orc_next(struct orc_model *m, struct orc_op *op)
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
static void orc_model_build(struct orc_model *m, const struct orc_opts *o)
{
	struct orc_op op;

	orc_model_init(m, o);
	while (m->nr_ops < o->ops)
		orc_next(m, &op);
}

/* ---- self-describing blocks -------------------------------------------- */

static void orc_put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void orc_put64(unsigned char *p, uint64_t v)
{
	orc_put32(p, v);
	orc_put32(p + 4, v >> 32);
}

static uint32_t orc_get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t orc_get64(const unsigned char *p)
{
	return orc_get32(p) | (uint64_t)orc_get32(p + 4) << 32;
}

/*
 * The block (run, id, index, version) of size bs:
 *   0 magic "CTOB"   4 crc32 (of the block with this field 0)   8 run
 *  16 file id   20 version   24 index (u64)   32 block size   36 format 1
 *  40 a text line naming the same, zero-padded to 128
 * 128 payload: splitmix64 of a hash of the four numbers
 * All fields little-endian.
 */
static void orc_block_fill(unsigned char *b, uint64_t bs, uint64_t run,
			   uint32_t id, uint64_t index, uint32_t version)
{
	uint64_t s, v, i;

	memset(b, 0, ORC_HDR_SIZE);
	orc_put32(b, ORC_MAGIC);
	orc_put64(b + 8, run);
	orc_put32(b + 16, id);
	orc_put32(b + 20, version);
	orc_put64(b + 24, index);
	orc_put32(b + 32, bs);
	orc_put32(b + 36, ORC_HDR_VERSION);
	snprintf((char *)b + ORC_TEXT_OFF, ORC_HDR_SIZE - ORC_TEXT_OFF,
		 "crashtest-oracle file %" PRIu32 " block %" PRIu64 " version %" PRIu32 "\n",
		 id, index, version);
	s = run * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id << 40 ^
	    index * 0xc2b2ae3d27d4eb4fULL ^ version;
	for (i = ORC_HDR_SIZE; i < bs; i += 8) {
		v = orc_sm64(&s);
		orc_put64(b + i, v);
	}
	orc_put32(b + 4, orc_crc32(b, bs));
}

static int orc_all_zero(const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* ---- small helpers --------------------------------------------------------- */

static void orc_dir_path(char *buf, size_t n, const char *root, uint32_t dir)
{
	if (dir)
		snprintf(buf, n, "%s/d%" PRIu32, root, dir);
	else
		snprintf(buf, n, "%s", root);
}

static void orc_file_path(char *buf, size_t n, const char *root,
			  uint32_t dir, uint32_t id, uint32_t gen)
{
	if (dir)
		snprintf(buf, n, "%s/d%" PRIu32 "/o%" PRIu32 ".%" PRIu32,
			 root, dir, id, gen);
	else
		snprintf(buf, n, "%s/o%" PRIu32 ".%" PRIu32, root, id, gen);
}

/* "o<id>.<gen>" in canonical decimal (no leading zeros); 0 when it parses. */
static int orc_parse_name(const char *s, uint32_t *id, uint32_t *gen)
{
	const char *p = s + 1;
	uint64_t v[2];
	int i;

	if (*s != 'o')
		return -1;
	for (i = 0; i < 2; i++) {
		const char *d = p;

		v[i] = 0;
		while (*p >= '0' && *p <= '9') {
			v[i] = v[i] * 10 + (*p++ - '0');
			if (v[i] > UINT32_MAX)
				return -1;
		}
		if (p == d || (*d == '0' && p - d > 1))
			return -1;
		if (*p != (i ? '\0' : '.'))
			return -1;
		p++;
	}
	*id = v[0];
	*gen = v[1];
	return 0;
}

/* "d<k>", 1 <= k <= 64, canonical: k, else 0. */
static uint32_t orc_parse_dir(const char *s)
{
	uint64_t v;

	if (s[0] != 'd' || s[1] == '0' || orc_parse_u64(s + 1, &v) ||
	    !v || v > 64)
		return 0;
	return v;
}

static const char *orc_meta_text(const struct orc_opts *o, char *buf, size_t n)
{
	size_t len;
	int i;

	len = snprintf(buf, n, "%s\n", ORC_META_HEAD);
	for (i = 0; i < ORC_NR_NUM && len < n; i++)
		len += snprintf(buf + len, n - len, "%s %" PRIu64 "\n",
				orc_numopts[i].name,
				*orc_field((struct orc_opts *)o, i));
	return buf;
}

/*
 * Parse oracle.meta.  0: read into *o and *given (which options it has);
 * -ENOENT: missing; -ENODATA: empty or all zeros (its data never
 * written); -EINVAL: not an oracle.meta (garbled, stale); -errno.
 */
static int orc_meta_read(int dirfd, struct orc_opts *o, int *given)
{
	char buf[1024], *line, *save = NULL;
	ssize_t n;
	int fd, first = 1, i;

	fd = openat(dirfd, ORC_META, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	i = errno;
	close(fd);
	if (n < 0)
		return -i;
	if (orc_all_zero((unsigned char *)buf, n))
		return -ENODATA;
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n)
		return -EINVAL;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint64_t v;

		if (first) {
			if (strcmp(line, ORC_META_HEAD))
				return -EINVAL;
			first = 0;
			continue;
		}
		if (!sp || orc_parse_u64(sp + 1, &v))
			return -EINVAL;
		*sp = '\0';
		for (i = 0; i < ORC_NR_NUM; i++)
			if (!strcmp(line, orc_numopts[i].name))
				break;
		if (i == ORC_NR_NUM || v < orc_numopts[i].min ||
		    v > orc_numopts[i].max)
			return -EINVAL;
		*orc_field(o, i) = v;
		given[i] = 1;
	}
	if (first || !given[ORC_O_SEED])
		return -EINVAL;
	return 0;
}

/* ---- argument parsing, shared ------------------------------------------- */

struct orc_args {
	const char *cmd;
	const char *dir;
	struct orc_opts o;
	int given[ORC_NR_NUM];
	int direct, verbose, json, exact, dry_run;
};

static int orc_usage(const char *cmd)
{
	if (!strcmp(cmd, "workload"))
		fprintf(stderr,
			"usage: crashtest workload DIR --seed N [--files F] [--max-blocks B] [--ops K]\n"
			"         [--fsync-every M] [--block-size BYTES] [--dirs D] [--direct] [--dry-run] [-v]\n");
	else
		fprintf(stderr,
			"usage: crashtest verify DIR [--seed N] [--files F] [--max-blocks B] [--ops K]\n"
			"         [--block-size BYTES] [--dirs D] [--direct] [--exact] [--json] [-v]\n");
	return ORC_EXIT_USAGE;
}

#define ORC_OPTVAL	256	/* long option values of the numeric options */

static int orc_parse_args(struct orc_args *a, int argc, char **argv,
			  int workload)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, ORC_OPTVAL + ORC_O_SEED },
		{ "files", required_argument, NULL, ORC_OPTVAL + ORC_O_FILES },
		{ "max-blocks", required_argument, NULL, ORC_OPTVAL + ORC_O_MAXB },
		{ "ops", required_argument, NULL, ORC_OPTVAL + ORC_O_OPS },
		{ "block-size", required_argument, NULL, ORC_OPTVAL + ORC_O_BS },
		{ "dirs", required_argument, NULL, ORC_OPTVAL + ORC_O_DIRS },
		{ "fsync-every", required_argument, NULL, ORC_OPTVAL + ORC_O_FSYNC },
		{ "direct", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "exact", no_argument, NULL, 'x' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	memset(a, 0, sizeof(*a));
	a->cmd = workload ? "workload" : "verify";
	a->o = orc_defaults;
	optind = 0;	/* full reset: the entry points may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lopts, NULL)) != -1) {
		i = c - ORC_OPTVAL;
		if (i >= 0 && i < ORC_NR_NUM) {
			if (a->given[i]) {
				fprintf(stderr, "crashtest %s: --%s given twice\n",
					a->cmd, orc_numopts[i].name);
				return -1;
			}
			if (orc_set_num(a->cmd, &a->o, i, optarg))
				return -1;
			a->given[i] = 1;
			continue;
		}
		switch (c) {
		case 'D':
			a->direct = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'j':
		case 'x':
			if (workload) {
				fprintf(stderr, "crashtest workload: --%s is an option of verify\n",
					c == 'j' ? "json" : "exact");
				return -1;
			}
			if (c == 'j')
				a->json = 1;
			else
				a->exact = 1;
			break;
		case 'n':
			if (!workload) {
				fprintf(stderr, "crashtest verify: --dry-run is an option of workload\n");
				return -1;
			}
			a->dry_run = 1;
			break;
		case 'h':
			orc_usage(a->cmd);
			return 1;
		case ':':
			fprintf(stderr, "crashtest %s: %s needs a value\n",
				a->cmd, argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < ORC_OPTVAL)
				fprintf(stderr, "crashtest %s: unknown option '-%c'\n",
					a->cmd, optopt);
			else
				fprintf(stderr, "crashtest %s: unknown option '%s'\n",
					a->cmd, argv[optind - 1]);
			return -1;
		}
	}
	for (i = optind; i < argc; i++) {
		if (a->dir) {
			fprintf(stderr, "crashtest %s: unexpected argument '%s' (DIR is '%s')\n",
				a->cmd, argv[i], a->dir);
			return -1;
		}
		a->dir = argv[i];
	}
	return 0;
}

static int orc_check_args(struct orc_args *a)
{
	if (!a->dir && a->dry_run)
		return 0;
	if (!a->dir || !*a->dir) {
		fprintf(stderr, "crashtest %s: no DIR given\n", a->cmd);
		return -1;
	}
	if (a->o.block_size < ORC_HDR_SIZE) {
		fprintf(stderr, "crashtest %s: block size too small\n", a->cmd);
		return -1;
	}
	if (strlen(a->dir) > 3000) {
		fprintf(stderr, "crashtest %s: DIR path too long\n", a->cmd);
		return -1;
	}
	return 0;
}

/* ---- the workload ---------------------------------------------------------- */

struct orc_exec {
	const char *root;
	const struct orc_opts *o;
	int direct, verbose;
	unsigned char *buf;	/* ORC_MAX_RUN blocks, 4 KiB aligned */
	uint64_t fsyncs;	/* from --fsync-every */
};

static int orc_fail(const struct orc_model *m, const struct orc_op *op,
		    const char *what, const char *path)
{
	fprintf(stderr, "crashtest workload: op %" PRIu64 " (%s of file %" PRIu32 "): %s %s: %s\n",
		m->nr_ops, orc_kind_name[op->kind], op->id, what, path,
		strerror(errno));
	return -1;
}

/* pwrite the blocks [start, start+count) of the op's file at their version. */
static int orc_exec_write(struct orc_exec *x, const struct orc_model *m,
			  const struct orc_op *op, int fd, const char *path)
{
	const struct orc_file *f = &m->f[op->id];
	uint64_t bs = x->o->block_size, i, done = 0, len = op->count * bs;
	ssize_t n;

	for (i = 0; i < op->count; i++)
		orc_block_fill(x->buf + i * bs, bs, x->o->seed, op->id,
			       op->start + i, f->cur[op->start + i]);
	while (done < len) {
		n = pwrite(fd, x->buf + done, len - done,
			   op->start * bs + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return orc_fail(m, op, "write", path);
		}
		done += n;
	}
	return 0;
}

static int orc_fsync_path(const struct orc_model *m, const struct orc_op *op,
			  const char *path, int data_only, int dir)
{
	int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
	int r;

	if (fd < 0)
		return orc_fail(m, op, "open", path);
	r = data_only ? fdatasync(fd) : fsync(fd);
	if (r) {
		orc_fail(m, op, data_only ? "fdatasync" : "fsync", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int orc_exec_op(struct orc_exec *x, const struct orc_model *m,
		       const struct orc_op *op)
{
	char path[4096], path2[4096];
	int fd, flags = x->direct ? O_DIRECT : 0, r = 0;
	uint64_t bs = x->o->block_size;

	orc_file_path(path, sizeof(path), x->root, op->dir, op->id, op->gen);
	switch (op->kind) {
	case ORC_CREATE:
	case ORC_OVERWRITE:
	case ORC_APPEND:
	case ORC_EXTEND:
	case ORC_TRUNCATE:
		if (op->kind == ORC_CREATE)
			flags |= O_CREAT | O_EXCL;
		fd = open(path, O_WRONLY | flags, 0644);
		if (fd < 0)
			return orc_fail(m, op, "open", path);
		if (op->count)
			r = orc_exec_write(x, m, op, fd, path);
		else if (op->kind == ORC_EXTEND || op->kind == ORC_TRUNCATE)
			if (ftruncate(fd, op->new_size * bs))
				r = orc_fail(m, op, "ftruncate", path);
		if (close(fd) && !r)
			r = orc_fail(m, op, "close", path);
		return r;
	case ORC_RENAME:
		orc_file_path(path2, sizeof(path2), x->root, op->new_dir,
			      op->id, op->new_gen);
		if (rename(path, path2))
			return orc_fail(m, op, "rename to", path2);
		return 0;
	case ORC_UNLINK:
		if (unlink(path))
			return orc_fail(m, op, "unlink", path);
		return 0;
	case ORC_FSYNC:
	case ORC_FDATASYNC:
		return orc_fsync_path(m, op, path, op->kind == ORC_FDATASYNC, 0);
	case ORC_SYNC:
		sync();
		return 0;
	case ORC_DIRFSYNC:
		orc_dir_path(path, sizeof(path), x->root, op->dir);
		return orc_fsync_path(m, op, path, 0, 1);
	default:
		return 0;
	}
}

/* --fsync-every: fsync what the op touched (the directory after unlink). */
static int orc_exec_cadence(struct orc_exec *x, const struct orc_model *m,
			    const struct orc_op *op)
{
	char path[4096];

	if (op->kind == ORC_SYNC)
		return 0;
	if (op->kind == ORC_UNLINK || op->kind == ORC_DIRFSYNC)
		orc_dir_path(path, sizeof(path), x->root, op->dir);
	else
		orc_file_path(path, sizeof(path), x->root, op->new_dir,
			      op->id, op->new_gen);
	x->fsyncs++;
	return orc_fsync_path(m, op, path, 0,
			      op->kind == ORC_UNLINK || op->kind == ORC_DIRFSYNC);
}

/* "o<id>.<gen>" or "d<k>/o<id>.<gen>", relative to DIR. */
static const char *orc_rel(char *buf, size_t n, uint32_t dir, uint32_t id,
			   uint32_t gen)
{
	orc_file_path(buf, n, "", dir, id, gen);
	return buf + 1;
}

static void orc_print_op(const struct orc_model *m, const struct orc_op *op)
{
	char a[64], b[64];

	printf("op %" PRIu64 ": %s", m->nr_ops, orc_kind_name[op->kind]);
	if (op->kind == ORC_DIRFSYNC) {
		if (op->dir)
			printf(" d%" PRIu32, op->dir);
		else
			printf(" .");
	} else if (op->kind != ORC_SYNC) {
		printf(" %s", orc_rel(a, sizeof(a), op->dir, op->id, op->gen));
	}
	if (op->kind == ORC_RENAME)
		printf(" -> %s", orc_rel(b, sizeof(b), op->new_dir, op->id,
					 op->new_gen));
	if (op->count == 1)
		printf(" block %" PRIu64, op->start);
	else if (op->count)
		printf(" blocks %" PRIu64 "-%" PRIu64, op->start,
		       op->start + op->count - 1);
	if (op->old_size != op->new_size)
		printf(" size %" PRIu64 " -> %" PRIu64, op->old_size,
		       op->new_size);
	printf("\n");
}

/* DIR must be new or empty (lost+found aside); created when missing. */
static int orc_workload_dir(const char *dir)
{
	struct dirent *de;
	char parent[4096], *slash;
	DIR *d;
	int fd, bad = 0;

	if (mkdir(dir, 0755) == 0) {
		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			strcpy(parent, ".");
		fd = open(parent, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		return 0;
	}
	if (errno != EEXIST) {
		fprintf(stderr, "crashtest workload: cannot create %s: %s\n",
			dir, strerror(errno));
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "crashtest workload: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "lost+found"))
			continue;
		bad = 1;
		break;
	}
	closedir(d);
	if (bad) {
		fprintf(stderr, "crashtest workload: %s is not empty (the workload needs a new or empty directory)\n",
			dir);
		return -1;
	}
	return 0;
}

/* oracle.meta and the subdirectories, made durable before the first op. */
static int orc_workload_setup(const char *dir, const struct orc_opts *o)
{
	char path[4096], text[1024];
	uint64_t i;
	size_t len;
	int fd;

	orc_meta_text(o, text, sizeof(text));
	len = strlen(text);
	snprintf(path, sizeof(path), "%s/%s", dir, ORC_META);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		fprintf(stderr, "crashtest workload: %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (i = 1; i <= o->dirs; i++) {
		orc_dir_path(path, sizeof(path), dir, i);
		if (mkdir(path, 0755)) {
			fprintf(stderr, "crashtest workload: mkdir %s: %s\n",
				path, strerror(errno));
			return -1;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd)) {
		fprintf(stderr, "crashtest workload: fsync %s: %s\n", dir,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void orc_workload_summary(const struct orc_model *m,
				 const struct orc_exec *x, int dry)
{
	uint64_t data = 0, i, j;
	int k;

	for (i = 0; i < m->nr_files; i++)
		if (m->f[i].live)
			for (j = 0; j < m->f[i].size; j++)
				data += m->f[i].cur[j] != 0;
	printf("workload%s: seed %" PRIu64 ": %" PRIu64 " ops:", dry ? " (dry run)" : "",
	       m->o.seed, m->nr_ops);
	for (k = 0; k < ORC_NR_KINDS; k++)
		printf(" %s %" PRIu64, orc_kind_name[k], m->count[k]);
	if (x && x->fsyncs)
		printf(" (+%" PRIu64 " fsync from --fsync-every)", x->fsyncs);
	printf("; %" PRIu64 " blocks written; %" PRIu32 " files live, %" PRIu32 " unlinked, %" PRIu64 " data blocks\n",
	       m->blocks_written, m->nr_live, m->nr_files - m->nr_live, data);
}

int oracle_workload_main(int argc, char **argv)
{
	struct orc_model m;
	struct orc_exec x;
	struct orc_args a;
	struct orc_op op;
	int r;

	r = orc_parse_args(&a, argc, argv, 1);
	if (r)
		return r > 0 ? ORC_EXIT_OK : orc_usage("workload");
	if (orc_check_args(&a))
		return orc_usage("workload");
	if (!a.given[ORC_O_SEED]) {
		fprintf(stderr, "crashtest workload: --seed is required (the seed is the whole workload)\n");
		return orc_usage("workload");
	}
	memset(&x, 0, sizeof(x));
	x.root = a.dir;
	x.o = &a.o;
	x.direct = a.direct;
	x.verbose = a.verbose || a.dry_run;
	if (!a.dry_run) {
		if (orc_workload_dir(a.dir) || orc_workload_setup(a.dir, &a.o))
			return ORC_EXIT_USAGE;
		if (posix_memalign((void **)&x.buf, 4096,
				   ORC_MAX_RUN * a.o.block_size)) {
			fprintf(stderr, "crashtest workload: out of memory\n");
			return ORC_EXIT_USAGE;
		}
	}
	orc_model_init(&m, &a.o);
	r = 0;
	while (m.nr_ops < a.o.ops) {
		orc_next(&m, &op);
		if (x.verbose)
			orc_print_op(&m, &op);
		if (a.dry_run)
			continue;
		r = orc_exec_op(&x, &m, &op);
		if (!r && a.o.fsync_every && m.nr_ops % a.o.fsync_every == 0)
			r = orc_exec_cadence(&x, &m, &op);
		if (r)
			break;
	}
	fflush(stdout);
	if (!r)
		orc_workload_summary(&m, &x, a.dry_run);
	free(x.buf);
	orc_model_free(&m);
	return r ? ORC_EXIT_FAIL : ORC_EXIT_OK;
}

/* ---- verify ----------------------------------------------------------------- */

enum orc_class {
	ORC_CORRECT, ORC_OLDER, ORC_ZEROS, ORC_IOERROR, ORC_WRONG, ORC_NR_CLASS,
};

static const char *const orc_class_name[ORC_NR_CLASS] = {
	"correct", "older", "zeros", "ioerror", "wrong",
};

/* File-level counters; those marked fail make the exit status 3. */
enum orc_anom {
	ORC_A_FILES, ORC_A_MISSING, ORC_A_RESURRECTED, ORC_A_OLDNAME,
	ORC_A_DUPLICATE, ORC_A_SIZE, ORC_A_BADSIZE, ORC_A_UNKNOWN,
	ORC_A_UNREADABLE, ORC_A_LOST, ORC_A_NOMETA, ORC_A_BADMETA, ORC_NR_ANOM,
};

static const struct {
	const char *name;
	int fail;		/* 1: exit 3 always; 0: only with --exact */
} orc_anom_info[ORC_NR_ANOM] = {
	[ORC_A_FILES] = { "files", 0 },
	[ORC_A_MISSING] = { "missing", 0 },
	[ORC_A_RESURRECTED] = { "resurrected", 0 },
	[ORC_A_OLDNAME] = { "oldname", 0 },
	[ORC_A_DUPLICATE] = { "duplicate", 0 },
	[ORC_A_SIZE] = { "size", 0 },
	[ORC_A_BADSIZE] = { "badsize", 1 },
	[ORC_A_UNKNOWN] = { "unknown", 1 },
	[ORC_A_UNREADABLE] = { "unreadable", 0 },
	[ORC_A_LOST] = { "lost", 0 },
	[ORC_A_NOMETA] = { "nometa", 0 },
	[ORC_A_BADMETA] = { "badmeta", 1 },
};

struct orc_note {
	char *path;
	uint64_t index;		/* UINT64_MAX: a file-level note */
	char *what;
};

struct orc_verify {
	struct orc_model m;
	int direct, verbose, json, exact;
	unsigned char *buf, *want;	/* one block each, aligned */
	uint64_t cls[ORC_NR_CLASS];
	uint64_t anom[ORC_NR_ANOM];
	uint8_t dir_found[65];
	struct orc_note *wrong, *notes;	/* first ORC_LIST_MAX (all with -v) */
	size_t nr_wrong, nr_notes;
};

/*
 * Print a found name: bytes outside ' '..'~' (and the quote and backslash)
 * as \xNN in text, \u00NN in JSON.
 */
static void orc_put_name(const char *s, int json)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < ' ' || c > '~' || c == '\\' || c == '"')
			printf(json ? "\\u%04x" : "\\x%02x", c);
		else
			putchar(c);
	}
}

static char *orc_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(orc_xrealloc(NULL, n), s, n);
}

static void orc_note_add(struct orc_note **list, size_t *n, int verbose,
			 const char *path, uint64_t index, const char *fmt, ...)
{
	struct orc_note *e;
	char what[256];
	va_list ap;

	if (*n >= ORC_LIST_MAX && !verbose) {
		++*n;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	*list = orc_xrealloc(*list, (*n + 1) * sizeof(**list));
	e = &(*list)[(*n)++];
	e->path = orc_strdup(path);
	e->index = index;
	e->what = orc_strdup(what);
}

static void orc_anomaly(struct orc_verify *v, enum orc_anom a,
			const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	v->anom[a]++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	orc_note_add(&v->notes, &v->nr_notes, v->verbose, path, UINT64_MAX,
		     "%s: %s", orc_anom_info[a].name, what);
}

/*
 * Classify one block of file id (f) at index, n bytes read (n < bs only
 * for a partial last block).  *why gets a description for WRONG.
 */
static enum orc_class orc_classify(struct orc_verify *v, uint32_t id,
				   uint64_t index, const unsigned char *b,
				   size_t n, char *why, size_t wn)
{
	const struct orc_file *f = &v->m.f[id];
	uint64_t bs = v->m.o.block_size, hidx, hrun;
	uint32_t cur = index < f->cap ? f->cur[index] : 0;
	uint32_t max = index < f->cap ? f->max[index] : 0;
	uint32_t hid, hver, ver;

	if (orc_all_zero(b, n))
		return cur ? ORC_ZEROS : ORC_CORRECT;
	if (n < bs) {
		/* A partial block: only a prefix can be compared. */
		for (ver = max; ver; ver--) {
			orc_block_fill(v->want, bs, v->m.o.seed, id, index, ver);
			if (!memcmp(v->want, b, n))
				return ver == cur ? ORC_CORRECT : ORC_OLDER;
		}
		snprintf(why, wn, "partial block (%zu bytes) that is no version of this block", n);
		return ORC_WRONG;
	}
	if (orc_get32(b) != ORC_MAGIC) {
		snprintf(why, wn, "garbage (no block header)");
		return ORC_WRONG;
	}
	hrun = orc_get64(b + 8);
	hid = orc_get32(b + 16);
	hver = orc_get32(b + 20);
	hidx = orc_get64(b + 24);
	if (orc_get32(b + 32) != bs || orc_get32(b + 36) != ORC_HDR_VERSION) {
		snprintf(why, wn, "header of another block size or format (%" PRIu32 ", %" PRIu32 ")",
			 orc_get32(b + 32), orc_get32(b + 36));
		return ORC_WRONG;
	}
	memcpy(v->want, b, bs);
	orc_put32(v->want + 4, 0);
	if (orc_crc32(v->want, bs) != orc_get32(b + 4)) {
		snprintf(why, wn, "bad crc (claims file %" PRIu32 " block %" PRIu64 " version %" PRIu32 ")",
			 hid, hidx, hver);
		return ORC_WRONG;
	}
	orc_block_fill(v->want, bs, hrun, hid, hidx, hver);
	if (memcmp(v->want, b, bs)) {
		snprintf(why, wn, "payload differs from file %" PRIu32 " block %" PRIu64 " version %" PRIu32,
			 hid, hidx, hver);
		return ORC_WRONG;
	}
	if (hrun != v->m.o.seed) {
		snprintf(why, wn, "block of another run (seed %" PRIu64 ", file %" PRIu32 " block %" PRIu64 ")",
			 hrun, hid, hidx);
		return ORC_WRONG;
	}
	if (hid != id) {
		snprintf(why, wn, "file %" PRIu32 "'s block %" PRIu64 " version %" PRIu32,
			 hid, hidx, hver);
		return ORC_WRONG;
	}
	if (hidx != index) {
		snprintf(why, wn, "block %" PRIu64 " version %" PRIu32 " of the same file",
			 hidx, hver);
		return ORC_WRONG;
	}
	if (!hver || hver > max) {
		snprintf(why, wn, "version %" PRIu32 " never written (highest %" PRIu32 ")",
			 hver, max);
		return ORC_WRONG;
	}
	return hver == cur ? ORC_CORRECT : ORC_OLDER;
}

/* Read and classify the blocks of one file; reports per file with -v. */
static void orc_verify_file(struct orc_verify *v, int dirfd, const char *name,
			    const char *rel, uint32_t id)
{
	const struct orc_file *f = &v->m.f[id];
	uint64_t bs = v->m.o.block_size, nblk, i, fc[ORC_NR_CLASS] = { 0 };
	struct stat st;
	char why[256];
	int fd, k;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
		    (v->direct ? O_DIRECT : 0));
	if (fd < 0) {
		orc_anomaly(v, ORC_A_UNREADABLE, rel, "open: %s",
			    strerror(errno));
		return;
	}
	if (fstat(fd, &st)) {
		orc_anomaly(v, ORC_A_UNREADABLE, rel, "fstat: %s",
			    strerror(errno));
		close(fd);
		return;
	}
	if ((uint64_t)st.st_size != f->size * bs)
		orc_anomaly(v, ORC_A_SIZE, rel, "%" PRIu64 " bytes, expected %" PRIu64,
			    (uint64_t)st.st_size, f->size * bs);
	if (st.st_size % bs || (uint64_t)st.st_size > f->max_size * bs)
		orc_anomaly(v, ORC_A_BADSIZE, rel,
			    "%" PRIu64 " bytes: %s", (uint64_t)st.st_size,
			    st.st_size % bs ? "not a multiple of the block size" :
			    "larger than the file ever was");
	nblk = ((uint64_t)st.st_size + bs - 1) / bs;
	if (nblk > f->max_size)
		nblk = f->max_size;	/* beyond: counted as badsize only */
	for (i = 0; i < nblk; i++) {
		uint64_t want = orc_min(bs, (uint64_t)st.st_size - i * bs);
		size_t got = 0;
		enum orc_class c;
		ssize_t n;

		while (got < want) {
			n = pread(fd, v->buf + got, bs - got, i * bs + got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += n;
		}
		if (got < want) {
			c = ORC_IOERROR;
			if (v->verbose)
				orc_note_add(&v->notes, &v->nr_notes, 1, rel, i,
					     "ioerror: %s", got || !errno ?
					     "short read" : strerror(errno));
		} else {
			c = orc_classify(v, id, i, v->buf, want, why,
					 sizeof(why));
			if (c == ORC_WRONG)
				orc_note_add(&v->wrong, &v->nr_wrong,
					     v->verbose, rel, i, "%s", why);
		}
		errno = 0;
		v->cls[c]++;
		fc[c]++;
	}
	close(fd);
	if (v->verbose && !v->json) {
		orc_put_name(rel, 0);
		printf(": %" PRIu64 " bytes:", (uint64_t)st.st_size);
		for (k = 0; k < ORC_NR_CLASS; k++)
			printf(" %s %" PRIu64, orc_class_name[k], fc[k]);
		printf("\n");
	}
}

static int orc_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of an open directory (minus . and ..); -errno. */
static int orc_read_dir(int dirfd, char ***names, size_t *n)
{
	struct dirent *de;
	int fd = dup(dirfd), err;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	rewinddir(d);	/* the dup shares the offset of an earlier walk */
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		*names = orc_xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = orc_strdup(de->d_name);
		errno = 0;
	}
	err = -errno;
	closedir(d);
	qsort(*names, *n, sizeof(**names), orc_name_cmp);
	return err;
}

/* One directory of the workload: dir 0 is DIR, k is DIR/d<k>. */
static void orc_verify_dir(struct orc_verify *v, int dirfd, uint32_t dir,
			   const char *relbase)
{
	char rel[4096], **names;
	size_t n, i;
	int r;

	r = orc_read_dir(dirfd, &names, &n);
	if (r)
		orc_anomaly(v, ORC_A_UNREADABLE, relbase[0] ? relbase : ".",
			    "readdir: %s", strerror(-r));
	for (i = 0; i < n; i++) {
		const char *name = names[i];
		uint32_t id, gen, k;
		struct stat st;

		snprintf(rel, sizeof(rel), "%s%s", relbase, name);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			orc_anomaly(v, ORC_A_UNREADABLE, rel, "stat: %s",
				    strerror(errno));
			continue;
		}
		if (!dir && !strcmp(name, ORC_META) && S_ISREG(st.st_mode))
			continue;
		if (!dir && !strcmp(name, "lost+found") && S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
			char **lost;
			size_t nl = 0, j;

			if (fd >= 0) {
				orc_read_dir(fd, &lost, &nl);
				for (j = 0; j < nl; j++) {
					snprintf(rel, sizeof(rel), "lost+found/%s",
						 lost[j]);
					orc_anomaly(v, ORC_A_LOST, rel,
						    "in lost+found");
					free(lost[j]);
				}
				free(lost);
				close(fd);
			}
			continue;
		}
		k = dir ? 0 : orc_parse_dir(name);
		if (k && k <= v->m.o.dirs && S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
			char sub[64];

			v->dir_found[k] = 1;
			if (fd < 0) {
				orc_anomaly(v, ORC_A_UNREADABLE, rel, "open: %s",
					    strerror(errno));
				continue;
			}
			snprintf(sub, sizeof(sub), "d%" PRIu32 "/", k);
			orc_verify_dir(v, fd, k, sub);
			close(fd);
			continue;
		}
		if (orc_parse_name(name, &id, &gen) || !S_ISREG(st.st_mode)) {
			orc_anomaly(v, ORC_A_UNKNOWN, rel,
				    "not a name of the workload");
			continue;
		}
		if (id >= v->m.nr_files || gen >= v->m.f[id].nr_gens ||
		    v->m.f[id].gen_dir[gen] != dir) {
			orc_anomaly(v, ORC_A_UNKNOWN, rel,
				    "a name the workload never gave a file");
			continue;
		}
		v->anom[ORC_A_FILES]++;
		if (v->m.f[id].found++)
			orc_anomaly(v, ORC_A_DUPLICATE, rel,
				    "file %" PRIu32 " found under another name too",
				    id);
		if (!v->m.f[id].live)
			orc_anomaly(v, ORC_A_RESURRECTED, rel,
				    "file %" PRIu32 " was unlinked", id);
		else if (gen != v->m.f[id].gen)
			orc_anomaly(v, ORC_A_OLDNAME, rel,
				    "file %" PRIu32 " was renamed to gen %" PRIu32,
				    id, v->m.f[id].gen);
		orc_verify_file(v, dirfd, name, rel, id);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* What verify made of oracle.meta. */
enum orc_meta_state { ORC_META_OK, ORC_META_NONE, ORC_META_BAD, ORC_META_EIO };

/*
 * Decide the options: the command line, and oracle.meta for what it does
 * not give.  After a crash oracle.meta may hold stale data (another run's
 * block) like any other file: a meta that disagrees with a given option,
 * or is garbled, is reported (badmeta, exit 3) and the command line wins.
 * -1 only when there is no seed to be had.
 */
static int orc_verify_opts(struct orc_args *a, int dirfd,
			   enum orc_meta_state *ms, char *why, size_t wn)
{
	struct orc_opts mo = orc_defaults;
	int mgiven[ORC_NR_NUM] = { 0 }, r, i;

	why[0] = '\0';
	r = orc_meta_read(dirfd, &mo, mgiven);
	if (r == -ENOENT || r == -ENODATA) {
		*ms = ORC_META_NONE;
		snprintf(why, wn, r == -ENOENT ? "missing" :
			 "empty or all zeros");
	} else if (r == -EINVAL) {
		*ms = ORC_META_BAD;
		snprintf(why, wn, "not an oracle.meta (garbled or stale data)");
	} else if (r) {
		*ms = ORC_META_EIO;
		snprintf(why, wn, "read: %s", strerror(-r));
	} else {
		*ms = ORC_META_OK;
	}
	if (*ms != ORC_META_OK) {
		if (!a->given[ORC_O_SEED]) {
			fprintf(stderr, "crashtest verify: no --seed, and %s/%s is %s\n",
				a->dir, ORC_META, why);
			return -1;
		}
		if (*ms != ORC_META_NONE)
			fprintf(stderr, "crashtest verify: warning: %s/%s: %s\n",
				a->dir, ORC_META, why);
		return 0;
	}
	for (i = 0; i < ORC_NR_NUM; i++) {
		if (!orc_numopts[i].state || !mgiven[i])
			continue;
		if (!a->given[i]) {
			*orc_field(&a->o, i) = *orc_field(&mo, i);
			continue;
		}
		if (*orc_field(&a->o, i) != *orc_field(&mo, i) && !why[0]) {
			*ms = ORC_META_BAD;
			snprintf(why, wn, "says %s %" PRIu64 ", the command line %" PRIu64 " (a stale oracle.meta, or the wrong option)",
				 orc_numopts[i].name, *orc_field(&mo, i),
				 *orc_field(&a->o, i));
			fprintf(stderr, "crashtest verify: warning: --%s %" PRIu64 " but %s/%s says %" PRIu64 ": verifying with %" PRIu64 "\n",
				orc_numopts[i].name, *orc_field(&a->o, i),
				a->dir, ORC_META, *orc_field(&mo, i),
				*orc_field(&a->o, i));
		}
	}
	return 0;
}

/* Is there anything of a workload in DIR (when oracle.meta is missing)? */
static int orc_looks_like_workload(int dirfd)
{
	char **names;
	size_t n, i, others = 0, ours = 0;
	uint32_t id, gen;

	if (orc_read_dir(dirfd, &names, &n))
		ours = 1;	/* unreadable: let the walk report it */
	for (i = 0; i < n; i++) {
		if (!orc_parse_name(names[i], &id, &gen) ||
		    orc_parse_dir(names[i]) || !strcmp(names[i], ORC_META))
			ours++;
		else if (strcmp(names[i], "lost+found"))
			others++;
		free(names[i]);
	}
	free(names);
	return ours || !others;
}

/* How many of n noted items were kept (all with -v). */
static size_t orc_listed(const struct orc_verify *v, size_t n)
{
	return v->verbose || n < ORC_LIST_MAX ? n : ORC_LIST_MAX;
}

static void orc_json_str(const char *s)
{
	putchar('"');
	orc_put_name(s, 1);
	putchar('"');
}

static void orc_report(struct orc_verify *v, int status)
{
	uint64_t total = 0;
	size_t i;
	int k;

	for (k = 0; k < ORC_NR_CLASS; k++)
		total += v->cls[k];
	if (v->json) {
		printf("{\"seed\": %" PRIu64 ", \"blocks\": %" PRIu64, v->m.o.seed,
		       total);
		for (k = 0; k < ORC_NR_CLASS; k++)
			printf(", \"%s\": %" PRIu64, orc_class_name[k], v->cls[k]);
		for (k = 0; k < ORC_NR_ANOM; k++)
			printf(", \"%s\": %" PRIu64, orc_anom_info[k].name,
			       v->anom[k]);
		printf(", \"exact\": %s, \"exit\": %d,\n \"wrong_blocks\": [",
		       v->exact ? "true" : "false", status);
		for (i = 0; i < orc_listed(v, v->nr_wrong); i++) {
			printf("%s\n  {\"path\": ", i ? "," : "");
			orc_json_str(v->wrong[i].path);
			printf(", \"index\": %" PRIu64 ", \"found\": ",
			       v->wrong[i].index);
			orc_json_str(v->wrong[i].what);
			printf("}");
		}
		printf("],\n \"notes\": [");
		for (i = 0; i < orc_listed(v, v->nr_notes); i++) {
			printf("%s\n  {\"path\": ", i ? "," : "");
			orc_json_str(v->notes[i].path);
			if (v->notes[i].index != UINT64_MAX)
				printf(", \"index\": %" PRIu64, v->notes[i].index);
			printf(", \"what\": ");
			orc_json_str(v->notes[i].what);
			printf("}");
		}
		printf("]}\n");
		return;
	}
	for (i = 0; i < orc_listed(v, v->nr_notes); i++) {
		printf("note ");
		orc_put_name(v->notes[i].path, 0);
		if (v->notes[i].index != UINT64_MAX)
			printf(" block %" PRIu64, v->notes[i].index);
		printf(": %s\n", v->notes[i].what);
	}
	if (v->nr_notes > ORC_LIST_MAX && !v->verbose)
		printf("note ... %zu more (-v lists all)\n",
		       v->nr_notes - ORC_LIST_MAX);
	for (i = 0; i < orc_listed(v, v->nr_wrong); i++) {
		printf("WRONG ");
		orc_put_name(v->wrong[i].path, 0);
		printf(" block %" PRIu64 ": %s\n", v->wrong[i].index,
		       v->wrong[i].what);
	}
	if (v->nr_wrong > ORC_LIST_MAX && !v->verbose)
		printf("WRONG ... %zu more (-v lists all)\n",
		       v->nr_wrong - ORC_LIST_MAX);
	printf("verify: seed %" PRIu64 ": blocks %" PRIu64, v->m.o.seed, total);
	for (k = 0; k < ORC_NR_CLASS; k++)
		printf(" %s %" PRIu64, k == ORC_WRONG ? "WRONG" : orc_class_name[k],
		       v->cls[k]);
	printf(" |");
	for (k = 0; k < ORC_NR_ANOM; k++)
		printf(" %s %" PRIu64, orc_anom_info[k].name, v->anom[k]);
	printf(" | %s\n", status == ORC_EXIT_OK ? "ok" :
	       v->exact ? "not the exact final state" : "WRONG");
}

static int orc_verify_status(const struct orc_verify *v)
{
	int k;

	if (v->cls[ORC_WRONG])
		return ORC_EXIT_WRONG;
	for (k = 0; k < ORC_NR_ANOM; k++)
		if (k != ORC_A_FILES && v->anom[k] &&
		    (orc_anom_info[k].fail || v->exact))
			return ORC_EXIT_WRONG;
	if (v->exact && (v->cls[ORC_OLDER] || v->cls[ORC_ZEROS] ||
			 v->cls[ORC_IOERROR]))
		return ORC_EXIT_WRONG;
	return ORC_EXIT_OK;
}

int oracle_verify_main(int argc, char **argv)
{
	struct orc_verify v;
	struct orc_args a;
	enum orc_meta_state ms;
	char mwhy[200];
	int r, dirfd, status;
	uint32_t i;
	size_t j;

	r = orc_parse_args(&a, argc, argv, 0);
	if (r)
		return r > 0 ? ORC_EXIT_OK : orc_usage("verify");
	if (orc_check_args(&a))
		return orc_usage("verify");
	dirfd = open(a.dir, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0) {
		fprintf(stderr, "crashtest verify: %s: %s\n", a.dir,
			strerror(errno));
		return ORC_EXIT_USAGE;
	}
	if (orc_verify_opts(&a, dirfd, &ms, mwhy, sizeof(mwhy))) {
		close(dirfd);
		return ORC_EXIT_USAGE;
	}
	if (ms != ORC_META_OK && !orc_looks_like_workload(dirfd)) {
		fprintf(stderr, "crashtest verify: %s is not a workload directory (no %s, no o<id>.<gen> files, no d<k> directories)\n",
			a.dir, ORC_META);
		close(dirfd);
		return ORC_EXIT_USAGE;
	}

	memset(&v, 0, sizeof(v));
	v.direct = a.direct;
	v.verbose = a.verbose;
	v.json = a.json;
	v.exact = a.exact;
	if (posix_memalign((void **)&v.buf, 4096, a.o.block_size) ||
	    posix_memalign((void **)&v.want, 4096, a.o.block_size)) {
		fprintf(stderr, "crashtest verify: out of memory\n");
		close(dirfd);
		free(v.buf);
		return ORC_EXIT_USAGE;
	}
	orc_model_build(&v.m, &a.o);
	if (ms == ORC_META_NONE)
		orc_anomaly(&v, ORC_A_NOMETA, ORC_META, "%s", mwhy);
	else if (ms == ORC_META_BAD)
		orc_anomaly(&v, ORC_A_BADMETA, ORC_META, "%s", mwhy);
	else if (ms == ORC_META_EIO)
		orc_anomaly(&v, ORC_A_UNREADABLE, ORC_META, "%s", mwhy);
	orc_verify_dir(&v, dirfd, 0, "");
	close(dirfd);

	for (i = 0; i < v.m.nr_files; i++) {
		char name[64];
		const struct orc_file *f = &v.m.f[i];

		if (!f->live || f->found)
			continue;
		orc_anomaly(&v, ORC_A_MISSING,
			    orc_rel(name, sizeof(name), f->gen_dir[f->gen], i,
				    f->gen),
			    "file %" PRIu32 " not found", i);
	}
	for (i = 1; i <= v.m.o.dirs; i++) {
		char name[16];

		if (v.dir_found[i])
			continue;
		snprintf(name, sizeof(name), "d%" PRIu32, i);
		orc_anomaly(&v, ORC_A_MISSING, name, "directory not found");
	}
	status = orc_verify_status(&v);
	orc_report(&v, status);
	fflush(stdout);

	for (j = 0; j < orc_listed(&v, v.nr_wrong); j++) {
		free(v.wrong[j].path);
		free(v.wrong[j].what);
	}
	for (j = 0; j < orc_listed(&v, v.nr_notes); j++) {
		free(v.notes[j].path);
		free(v.notes[j].what);
	}
	free(v.wrong);
	free(v.notes);
	free(v.buf);
	free(v.want);
	orc_model_free(&v.m);
	return status;
}
