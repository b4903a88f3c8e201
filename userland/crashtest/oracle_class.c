// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: what one block read back is, against the
 * model (crashtest-oracle(8), CLASSES), and what fsync had made durable
 * before the crash (DURABILITY).
 *
 * A block of format 2 is read as bs / 512 pieces, each naming its run,
 * file, block, version and place.  Pieces that are each a valid piece of
 * this block of this file, of versions the workload wrote, or zero, are
 * the block's own: one version throughout is a whole block (correct or
 * older), a mix of versions or of versions and zeros is torn (the file
 * system kept some of the writes that hold it).  Anything else in any
 * piece is WRONG.  Whole or torn, a piece older than the version an fsync
 * made durable before the crash is WRONG.
 *
 * The crash point is not given to verify; it is bounded by the data
 * found: a piece of version v of a block was written by one op of the
 * generator, so the crash came after that op began, and every fsync,
 * fdatasync or sync the workload finished before it had returned, its
 * data durable.  The latest such op over all pieces found is the
 * witness; the floors are the versions those syncs made durable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle_int.h"

const char *const orc_class_name[ORC_NR_CLASS] = {
	"correct", "older", "zeros", "ioerror", "torn", "wrong",
};

static uint32_t orc_at(const uint32_t *a, const struct orc_file *f,
		       uint64_t index)
{
	return a && index < f->cap ? a[index] : 0;
}

/* ---- format 1: one header, one crc a block --------------------------------- */

static enum orc_class orc_classify_v1(const struct orc_model *m, uint32_t id,
				      uint64_t index, const unsigned char *b,
				      unsigned char *want, char *why, size_t wn)
{
	const struct orc_file *f = &m->f[id];
	uint64_t bs = m->o.block_size, hidx, hrun;
	uint32_t cur = orc_at(f->cur, f, index), max = orc_at(f->max, f, index);
	uint32_t hid, hver;

	if (orc_get32(b) != ORC_MAGIC) {
		snprintf(why, wn, "garbage (no block header)");
		return ORC_WRONG;
	}
	hrun = orc_get64(b + 8);
	hid = orc_get32(b + 16);
	hver = orc_get32(b + 20);
	hidx = orc_get64(b + 24);
	if (orc_get32(b + 32) != bs || orc_get32(b + 36) != ORC_FMT_BLOCK) {
		snprintf(why, wn, "header of another block size or format (%" PRIu32 ", %" PRIu32 ")",
			 orc_get32(b + 32), orc_get32(b + 36));
		return ORC_WRONG;
	}
	memcpy(want, b, bs);
	orc_put32(want + 4, 0);
	if (orc_crc32(want, bs) != orc_get32(b + 4)) {
		snprintf(why, wn, "bad crc (claims file %" PRIu32 " block %" PRIu64 " version %" PRIu32 ")",
			 hid, hidx, hver);
		return ORC_WRONG;
	}
	orc_block_fill_v1(want, bs, hrun, hid, hidx, hver);
	if (memcmp(want, b, bs)) {
		snprintf(why, wn, "payload differs from file %" PRIu32 " block %" PRIu64 " version %" PRIu32,
			 hid, hidx, hver);
		return ORC_WRONG;
	}
	if (hrun != m->o.seed) {
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

/* ---- format 2: piece by piece -------------------------------------------------- */

/*
 * Why piece state st (claiming *h) is not a piece of block index of file
 * id, into why; 0 when it is one (a zero piece, or a valid piece of a
 * version the workload wrote there).
 */
static int orc_piece_why(const struct orc_model *m, uint32_t id,
			 uint64_t index, enum orc_pstate st,
			 const struct orc_hdr *h, const unsigned char *p,
			 char *why, size_t wn)
{
	const struct orc_file *f = &m->f[id];
	uint32_t max = orc_at(f->max, f, index);

	switch (st) {
	case ORC_P_ZERO:
		return 0;
	case ORC_P_GARBAGE:
		snprintf(why, wn, "garbage (no block header)");
		return 1;
	case ORC_P_FORMAT:
		snprintf(why, wn, "header of another block size or format (%" PRIu32 ", %" PRIu32 ")",
			 orc_get32(p + 32), orc_get32(p + 36));
		return 1;
	case ORC_P_CRC:
		snprintf(why, wn, "bad crc (claims file %" PRIu32 " block %" PRIu64 " version %" PRIu32 ")",
			 h->id, h->index, h->version);
		return 1;
	case ORC_P_PAYLOAD:
		snprintf(why, wn, "payload differs from file %" PRIu32 " block %" PRIu64 " version %" PRIu32,
			 h->id, h->index, h->version);
		return 1;
	case ORC_P_PLACE:
		snprintf(why, wn, "piece %" PRIu32 " of file %" PRIu32 " block %" PRIu64 " version %" PRIu32 " out of place",
			 h->piece, h->id, h->index, h->version);
		return 1;
	case ORC_P_VALID:
		break;
	}
	if (h->run != m->o.seed)
		snprintf(why, wn, "block of another run (seed %" PRIu64 ", file %" PRIu32 " block %" PRIu64 ")",
			 h->run, h->id, h->index);
	else if (h->id != id)
		snprintf(why, wn, "file %" PRIu32 "'s block %" PRIu64 " version %" PRIu32,
			 h->id, h->index, h->version);
	else if (h->index != index)
		snprintf(why, wn, "block %" PRIu64 " version %" PRIu32 " of the same file",
			 h->index, h->version);
	else if (!h->version || h->version > max)
		snprintf(why, wn, "version %" PRIu32 " never written (highest %" PRIu32 ")",
			 h->version, max);
	else
		return 0;
	return 1;
}

/* The block's own pieces: versions lo..hi, zero pieces; -1 at a bad one. */
struct orc_mix {
	uint32_t lo, hi, zeros, pieces;
};

static int orc_pieces_scan(const struct orc_model *m, uint32_t id,
			   uint64_t index, const unsigned char *b,
			   struct orc_mix *x, char *why, size_t wn)
{
	uint64_t bs = m->o.block_size;
	struct orc_hdr h;
	enum orc_pstate st;
	char one[200];
	uint32_t p;

	memset(x, 0, sizeof(*x));
	x->lo = UINT32_MAX;
	x->pieces = bs / ORC_PIECE;
	for (p = 0; p < x->pieces; p++) {
		const unsigned char *q = b + (size_t)p * ORC_PIECE;

		st = orc_piece_decode(q, bs, p, &h);
		if (orc_piece_why(m, id, index, st, &h, q, one, sizeof(one))) {
			/* one piece bad among good ones: say which */
			if (p || x->pieces > 1)
				snprintf(why, wn, "%s (piece %" PRIu32 " of %" PRIu32 ")",
					 one, p, x->pieces);
			else
				snprintf(why, wn, "%s", one);
			return -1;
		}
		if (st == ORC_P_ZERO) {
			x->zeros++;
			continue;
		}
		if (h.version < x->lo)
			x->lo = h.version;
		if (h.version > x->hi)
			x->hi = h.version;
	}
	return 0;
}

static enum orc_class orc_classify_v2(const struct orc_model *m, uint32_t id,
				      uint64_t index, const unsigned char *b,
				      char *why, size_t wn)
{
	const struct orc_file *f = &m->f[id];
	uint32_t cur = orc_at(f->cur, f, index);
	uint32_t floor = orc_at(f->floor, f, index);
	struct orc_mix x;

	if (orc_pieces_scan(m, id, index, b, &x, why, wn))
		return ORC_WRONG;
	if (!x.zeros && x.lo == x.hi) {
		if (x.lo == cur)
			return ORC_CORRECT;
		if (x.lo >= floor)
			return ORC_OLDER;
		snprintf(why, wn, "version %" PRIu32 ", older than version %" PRIu32 " made durable by an fsync before the crash",
			 x.lo, floor);
		return ORC_WRONG;
	}
	/* torn: some piece is not zero, so x.hi >= x.lo >= 1 */
	if (x.lo >= floor) {
		snprintf(why, wn, "torn: pieces of versions %" PRIu32 "-%" PRIu32 ", %" PRIu32 " of %" PRIu32 " zero (durable: version %" PRIu32 ")",
			 x.lo, x.hi, x.zeros, x.pieces, floor);
		return ORC_TORN;
	}
	snprintf(why, wn, "torn: pieces of versions %" PRIu32 "-%" PRIu32 ", version %" PRIu32 " older than version %" PRIu32 " made durable by an fsync before the crash",
		 x.lo, x.hi, x.lo, floor);
	return ORC_WRONG;
}

/*
 * Classify one block of file id at index, n bytes read (n < bs only for
 * a partial last block).  scratch holds a block.  *why gets a description
 * for WRONG and TORN.
 */
enum orc_class orc_classify(const struct orc_model *m, uint32_t id,
			    uint64_t index, const unsigned char *b, size_t n,
			    unsigned char *scratch, char *why, size_t wn)
{
	const struct orc_file *f = &m->f[id];
	uint64_t bs = m->o.block_size;
	uint32_t cur = orc_at(f->cur, f, index), ver;

	if (orc_all_zero(b, n))
		return cur ? ORC_ZEROS : ORC_CORRECT;
	if (n < bs) {
		/* A partial block: only a prefix can be compared. */
		for (ver = orc_at(f->max, f, index); ver; ver--) {
			orc_block_fill_fmt(scratch, bs, m->o.format, m->o.seed,
					   id, index, ver);
			if (!memcmp(scratch, b, n))
				return ver == cur ? ORC_CORRECT : ORC_OLDER;
		}
		snprintf(why, wn, "partial block (%zu bytes) that is no version of this block", n);
		return ORC_WRONG;
	}
	if (m->o.format == ORC_FMT_BLOCK)
		return orc_classify_v1(m, id, index, b, scratch, why, wn);
	return orc_classify_v2(m, id, index, b, why, wn);
}

/* ---- durability ------------------------------------------------------------------ */

/*
 * Note the pieces of n bytes read anywhere in DIR (format 2): the highest
 * version of every (file, block) of this run found, whatever file held it.
 */
void orc_seen_block(struct orc_model *m, const unsigned char *b, size_t n)
{
	uint64_t bs = m->o.block_size;
	struct orc_hdr h;
	enum orc_pstate st;
	struct orc_file *f;
	size_t off;

	if (m->o.format != ORC_FMT_PIECE)
		return;
	for (off = 0; off + ORC_PIECE <= n; off += ORC_PIECE) {
		st = orc_piece_decode(b + off, bs, (off % bs) / ORC_PIECE, &h);
		if (st != ORC_P_VALID && st != ORC_P_PLACE)
			continue;
		if (h.run != m->o.seed || h.id >= m->nr_files)
			continue;
		f = &m->f[h.id];
		if (!f->seen || h.index >= f->cap || !h.version ||
		    h.version > f->max[h.index])
			continue;
		if (h.version > f->seen[h.index])
			f->seen[h.index] = h.version;
	}
}

void *orc_zalloc(size_t n, size_t size)
{
	return memset(orc_xrealloc(NULL, n * size), 0, n * size);
}

/* The latest op whose data is among the pieces seen; 0: none. */
static uint64_t orc_witness(const struct orc_model *m)
{
	struct orc_model t;
	struct orc_op op;
	uint64_t w = 0, i;

	orc_model_init(&t, &m->o);
	while (t.nr_ops < m->o.ops) {
		orc_next(&t, &op);
		for (i = op.start; i < op.start + op.count; i++)
			if (m->f[op.id].seen[i] == t.f[op.id].cur[i])
				w = t.nr_ops;
	}
	orc_model_free(&t);
	return w;
}

/* File t (the model at a sync) made durable: its floors in file f. */
static void orc_floor_set(struct orc_file *f, const struct orc_file *t)
{
	uint64_t b;

	for (b = 0; b < t->cap && b < f->cap; b++)
		f->floor[b] = b < t->size ? t->cur[b] : 0;
}

/*
 * The floors of every block of m: allocate seen[] before the walk that
 * calls orc_seen_block(), then call this.  Ops 1 .. witness - 1 are done;
 * each sync among them made its file's (or every file's) blocks durable
 * at the versions they had then.
 */
void orc_durable_floors(struct orc_model *m, struct orc_durable *d)
{
	struct orc_model t;
	struct orc_op op;
	uint32_t i;
	int s;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < m->nr_files; i++)
		m->f[i].floor = orc_zalloc(m->f[i].cap, sizeof(uint32_t));
	if (m->o.format != ORC_FMT_PIECE)
		return;
	d->witness = orc_witness(m);
	orc_model_init(&t, &m->o);
	while (t.nr_ops + 1 < d->witness) {
		orc_next(&t, &op);
		s = orc_op_syncs_file(&t, &op);
		if (s == -1)
			continue;
		d->syncs++;
		for (i = 0; i < t.nr_files; i++)
			if ((s == -2 && t.f[i].live) || (uint32_t)s == i)
				orc_floor_set(&m->f[i], &t.f[i]);
	}
	orc_model_free(&t);
}
