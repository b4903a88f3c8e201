/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: building state images from the base image and the log.
 *
 * A state's writes are first folded into "pieces": disjoint sector ranges,
 * each with the data that ends up there (the last write applied over it
 * wins), so a sector written a hundred times is written once.  A working
 * image is the base image plus the pieces of one state; undoing a state
 * writes the base's bytes back over its pieces, and a full restore
 * compares the whole image with the base and rewrites what differs (what
 * a checker wrote, wherever it wrote).
 */
#ifndef CRASHTEST_APPLY_H
#define CRASHTEST_APPLY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "state.h"

#define CT_BLOCK	4096	/* the unit of sparseness */

struct ct_extent {
	uint64_t off, len;	/* bytes */
};

/* The base image, mapped read-only, with its non-zero 4 KiB runs. */
struct ct_base {
	int fd;
	const uint8_t *map;
	uint64_t size;
	struct ct_extent *ext;	/* runs of non-zero blocks, ascending */
	size_t nr_ext;
	uint64_t data_bytes;	/* their total length */
	uint32_t crc;		/* CRC-32C of the whole image */
};

/*
 * Maps @path (it must be @size bytes), finds its data and computes its
 * CRC; when @check_crc, it must equal @crc.
 */
int ct_base_open(struct ct_base *b, const char *path, uint64_t size,
		 int check_crc, uint32_t crc, char *err, size_t errlen);
void ct_base_close(struct ct_base *b);

struct ct_piece {
	uint64_t sector;	/* 512-byte units */
	uint64_t nr;
	const uint8_t *data;	/* nr * 512 bytes, in the log's mapping */
};

struct ct_pieces {
	struct ct_piece *v;
	size_t nr, cap;
	uint64_t sectors;	/* sum of nr */
	uint64_t sig;		/* a hash of the pieces: equal images, equal sigs */
};

/* A sparse bitmap of a device's sectors, used while building pieces. */
struct ct_cover {
	uint64_t **chunk;
	size_t nr_chunks;
};

int ct_cover_init(struct ct_cover *c, uint64_t dev_sectors);
void ct_cover_free(struct ct_cover *c);

/* Folds @st's writes (st->order, applied in that order) into @out. */
int ct_pieces_build(const struct ct_space *sp, const struct ct_state *st,
		    struct ct_cover *c, struct ct_pieces *out);
void ct_pieces_free(struct ct_pieces *p);

/* Writes the pieces into @fd (pwrite); 0 or -errno. */
int ct_pieces_apply(int fd, const struct ct_pieces *p);
/* Writes the base's bytes back over the pieces. */
int ct_pieces_undo(int fd, const struct ct_base *b, const struct ct_pieces *p);

/*
 * Makes the image in @fd equal to the base: compares every allocated
 * range of @fd (SEEK_DATA) through @map (@fd mapped read-only, NULL to
 * read with pread) and every non-zero range of the base it lacks, and
 * rewrites what differs.  @fixed receives the bytes rewritten.
 */
int ct_image_restore(int fd, const uint8_t *map, const struct ct_base *b,
		     uint64_t *fixed);

/*
 * Fills @fd with the base: with @dense every byte (a block device),
 * else only its non-zero runs after ftruncate (a sparse file).
 */
int ct_image_copy_base(int fd, const struct ct_base *b, int dense);

#endif /* CRASHTEST_APPLY_H */
