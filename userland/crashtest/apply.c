// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: the base image, pieces, and applying and undoing states (see
 * apply.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "ct.h"

#define CT_CHUNK_SHIFT	18		/* sectors per cover chunk: 128 MiB */
#define CT_CHUNK_WORDS	((1U << CT_CHUNK_SHIFT) / 64)

static const uint8_t ct_zero[CT_BLOCK];

static int ct_is_zero(const uint8_t *p, size_t len)
{
	while (len >= CT_BLOCK) {
		if (memcmp(p, ct_zero, CT_BLOCK))
			return 0;
		p += CT_BLOCK;
		len -= CT_BLOCK;
	}
	return !len || !memcmp(p, ct_zero, len);
}

static int ct_ext_add(struct ct_extent **v, size_t *nr, size_t *cap,
		      uint64_t off, uint64_t len)
{
	struct ct_extent *n;

	if (*nr && (*v)[*nr - 1].off + (*v)[*nr - 1].len == off) {
		(*v)[*nr - 1].len += len;
		return 0;
	}
	if (*nr == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		n = realloc(*v, *cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		*v = n;
	}
	(*v)[*nr].off = off;
	(*v)[(*nr)++].len = len;
	return 0;
}

/* The allocated ranges of @fd below @size (SEEK_DATA/SEEK_HOLE). */
static int ct_data_ranges(int fd, uint64_t size, struct ct_extent **v,
			  size_t *nr)
{
	size_t cap = 0;
	off_t d, h, off = 0;

	*v = NULL;
	*nr = 0;
	while ((uint64_t)off < size) {
		d = lseek(fd, off, SEEK_DATA);
		if (d < 0) {
			if (errno == ENXIO)
				break;
			if (errno == EINVAL || errno == EOPNOTSUPP) {
				/* No hole support: all of it is data. */
				d = off;
				h = size;
				goto add;
			}
			return -errno;
		}
		if ((uint64_t)d >= size)
			break;
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		if ((uint64_t)h > size)
			h = size;
add:
		if (ct_ext_add(v, nr, &cap, d, h - d))
			return -ENOMEM;
		off = h;
	}
	return 0;
}

int ct_base_open(struct ct_base *b, const char *path, uint64_t size,
		 int check_crc, uint32_t crc, char *err, size_t errlen)
{
	struct ct_extent *data = NULL;
	size_t nr_data = 0, cap = 0, i;
	uint64_t off, end, len, blk;
	struct stat st;
	int ret;

	memset(b, 0, sizeof(*b));
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0) {
		b->fd = -1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(b->fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size || !size) {
		snprintf(err, errlen,
			 "%s: %llu bytes; the record's device has %llu (truncated or replaced base image?)",
			 path, (unsigned long long)st.st_size,
			 (unsigned long long)size);
		ret = -EINVAL;
		goto fail;
	}
	b->size = size;
	b->map = mmap(NULL, size, PROT_READ, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		ret = -errno;
		snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
		goto fail;
	}
	ret = ct_data_ranges(b->fd, size, &data, &nr_data);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	/* Non-zero blocks of the data ranges; the CRC over holes and data. */
	off = 0;
	for (i = 0; i <= nr_data; i++) {
		end = i < nr_data ? data[i].off : size;
		for (; off < end; off += len) {	/* a hole: zeros */
			len = end - off < CT_BLOCK ? end - off : CT_BLOCK;
			b->crc = ct_crc32c(b->crc, ct_zero, len);
		}
		if (i == nr_data)
			break;
		end = data[i].off + data[i].len;
		for (off = data[i].off; off < end; off += blk) {
			blk = CT_BLOCK - off % CT_BLOCK;
			if (blk > end - off)
				blk = end - off;
			b->crc = ct_crc32c(b->crc, b->map + off, blk);
			if (!ct_is_zero(b->map + off, blk)) {
				ret = ct_ext_add(&b->ext, &b->nr_ext, &cap, off, blk);
				if (ret) {
					snprintf(err, errlen, "out of memory");
					goto fail;
				}
				b->data_bytes += blk;
			}
		}
	}
	free(data);
	data = NULL;
	if (check_crc && b->crc != crc) {
		snprintf(err, errlen,
			 "%s: CRC-32C 0x%08x, the meta file says 0x%08x: the base image was modified or corrupted",
			 path, b->crc, crc);
		ret = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	free(data);
	ct_base_close(b);
	return ret;
}

void ct_base_close(struct ct_base *b)
{
	if (b->map)
		munmap((void *)b->map, b->size);
	if (b->fd >= 0)
		close(b->fd);
	free(b->ext);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

int ct_cover_init(struct ct_cover *c, uint64_t dev_sectors)
{
	c->nr_chunks = (dev_sectors >> CT_CHUNK_SHIFT) + 1;
	c->chunk = calloc(c->nr_chunks, sizeof(*c->chunk));
	return c->chunk ? 0 : -ENOMEM;
}

void ct_cover_free(struct ct_cover *c)
{
	size_t i;

	for (i = 0; c->chunk && i < c->nr_chunks; i++)
		free(c->chunk[i]);
	free(c->chunk);
	memset(c, 0, sizeof(*c));
}

/* The word holding @sec's bit; allocates its chunk (NULL: no memory). */
static uint64_t *ct_cover_word(struct ct_cover *c, uint64_t sec)
{
	uint64_t ci = sec >> CT_CHUNK_SHIFT;
	uint64_t **ch = &c->chunk[ci];

	if (!*ch) {
		*ch = calloc(CT_CHUNK_WORDS, sizeof(**ch));
		if (!*ch)
			return NULL;
	}
	return &(*ch)[(sec & ((1U << CT_CHUNK_SHIFT) - 1)) / 64];
}

static int ct_piece_add(struct ct_pieces *p, uint64_t sector, uint64_t nr,
			const uint8_t *data)
{
	struct ct_piece *n;

	if (p->nr == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		n = realloc(p->v, p->cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->v = n;
	}
	p->v[p->nr].sector = sector;
	p->v[p->nr].nr = nr;
	p->v[p->nr++].data = data;
	p->sectors += nr;
	return 0;
}

static int ct_piece_cmp(const void *a, const void *b)
{
	const struct ct_piece *x = a, *y = b;

	return x->sector < y->sector ? -1 : x->sector > y->sector;
}

int ct_pieces_build(const struct ct_space *sp, const struct ct_state *st,
		    struct ct_cover *c, struct ct_pieces *out)
{
	const struct ct_log *log = sp->log;
	const struct ct_op *op;
	uint64_t sec, end, run, *w, bit, h;
	size_t i, j;
	int ret = 0;

	out->nr = 0;
	out->sectors = 0;
	/* Newest applied first: a sector already covered is taken. */
	for (i = st->nr; i-- > 0;) {
		op = &log->ops[sp->wop[st->order[i]]];
		end = op->sector + op->nr_sectors;
		for (sec = op->sector; sec < end;) {
			w = ct_cover_word(c, sec);
			if (!w) {
				ret = -ENOMEM;
				goto clear;
			}
			if (*w == ~0ULL && !(sec & 63)) {
				sec += 64;
				continue;
			}
			if (*w & (1ULL << (sec & 63))) {
				sec++;
				continue;
			}
			/* A run of uncovered sectors from sec. */
			for (run = sec; run < end; run++) {
				w = ct_cover_word(c, run);
				if (!w) {
					ret = -ENOMEM;
					goto clear;
				}
				bit = 1ULL << (run & 63);
				if (*w & bit)
					break;
				*w |= bit;
			}
			ret = ct_piece_add(out, sec, run - sec,
					   log->map + op->data_off +
					   (sec - op->sector) * 512);
			if (ret)
				goto clear;
			sec = run;
		}
	}
clear:
	for (j = 0; j < out->nr; j++) {
		for (sec = out->v[j].sector; sec < out->v[j].sector + out->v[j].nr;
		     sec++) {
			w = ct_cover_word(c, sec);
			if (w)
				*w &= ~(1ULL << (sec & 63));
		}
	}
	if (ret) {
		out->nr = 0;
		return ret;
	}
	qsort(out->v, out->nr, sizeof(*out->v), ct_piece_cmp);
	h = ct_mix64(out->nr);
	for (j = 0; j < out->nr; j++)
		h = ct_hash4(h, out->v[j].sector, out->v[j].nr,
			     out->v[j].data - log->map);
	out->sig = h;
	return 0;
}

void ct_pieces_free(struct ct_pieces *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

int ct_pieces_apply(int fd, const struct ct_pieces *p)
{
	size_t i;
	int ret;

	for (i = 0; i < p->nr; i++) {
		ret = ct_pwrite_all(fd, p->v[i].data, p->v[i].nr * 512,
				    p->v[i].sector * 512);
		if (ret)
			return ret;
	}
	return 0;
}

int ct_pieces_undo(int fd, const struct ct_base *b, const struct ct_pieces *p)
{
	size_t i;
	int ret;

	for (i = 0; i < p->nr; i++) {
		ret = ct_pwrite_all(fd, b->map + p->v[i].sector * 512,
				    p->v[i].nr * 512, p->v[i].sector * 512);
		if (ret)
			return ret;
	}
	return 0;
}

/* Compares [off, off+len) of the image with the base; rewrites what differs. */
static int ct_restore_range(int fd, const uint8_t *map, const struct ct_base *b,
			    uint64_t off, uint64_t len, uint8_t *buf,
			    uint64_t *fixed)
{
	const uint8_t *img;
	uint64_t step, o, blk, bad_start, bad_len;
	int ret;

	while (len) {
		step = len < (1U << 20) ? len : (1U << 20);
		if (map) {
			img = map + off;
		} else {
			ret = ct_pread_all(fd, buf, step, off);
			if (ret)
				return ret;
			img = buf;
		}
		if (memcmp(img, b->map + off, step)) {
			bad_len = 0;
			bad_start = 0;
			for (o = 0; o < step; o += blk) {
				blk = step - o < CT_BLOCK ? step - o : CT_BLOCK;
				if (!memcmp(img + o, b->map + off + o, blk))
					continue;
				if (bad_len && bad_start + bad_len == off + o) {
					bad_len += blk;
					continue;
				}
				if (bad_len) {
					ret = ct_pwrite_all(fd, b->map + bad_start,
							    bad_len, bad_start);
					if (ret)
						return ret;
					*fixed += bad_len;
				}
				bad_start = off + o;
				bad_len = blk;
			}
			if (bad_len) {
				ret = ct_pwrite_all(fd, b->map + bad_start, bad_len,
						    bad_start);
				if (ret)
					return ret;
				*fixed += bad_len;
			}
		}
		off += step;
		len -= step;
	}
	return 0;
}

int ct_image_restore(int fd, const uint8_t *map, const struct ct_base *b,
		     uint64_t *fixed)
{
	struct ct_extent *data = NULL;
	size_t nr_data, i, d = 0;
	uint64_t off, end, e;
	uint8_t *buf = NULL;
	int ret;

	*fixed = 0;
	if (!map) {
		buf = malloc(1U << 20);
		if (!buf)
			return -ENOMEM;
	}
	ret = ct_data_ranges(fd, b->size, &data, &nr_data);
	if (ret)
		goto out;
	for (i = 0; i < nr_data; i++) {
		ret = ct_restore_range(fd, map, b, data[i].off, data[i].len, buf,
				       fixed);
		if (ret)
			goto out;
	}
	/* The base's non-zero runs that fall in holes of the image. */
	for (i = 0; i < b->nr_ext; i++) {
		off = b->ext[i].off;
		end = off + b->ext[i].len;
		while (off < end) {
			while (d < nr_data && data[d].off + data[d].len <= off)
				d++;
			if (d < nr_data && data[d].off <= off) {
				off = data[d].off + data[d].len;
				continue;
			}
			e = d < nr_data && data[d].off < end ? data[d].off : end;
			ret = ct_pwrite_all(fd, b->map + off, e - off, off);
			if (ret)
				goto out;
			*fixed += e - off;
			off = e;
		}
	}
out:
	free(data);
	free(buf);
	return ret;
}

int ct_image_copy_base(int fd, const struct ct_base *b, int dense)
{
	uint64_t off = 0, len;
	size_t i;
	int ret;

	if (!dense) {
		if (ftruncate(fd, 0) || ftruncate(fd, b->size))
			return -errno;
		for (i = 0; i < b->nr_ext; i++) {
			ret = ct_pwrite_all(fd, b->map + b->ext[i].off,
					    b->ext[i].len, b->ext[i].off);
			if (ret)
				return ret;
		}
		return 0;
	}
	while (off < b->size) {
		len = b->size - off < (8U << 20) ? b->size - off : (8U << 20);
		ret = ct_pwrite_all(fd, b->map + off, len, off);
		if (ret)
			return ret;
		off += len;
	}
	return 0;
}
