// SPDX-License-Identifier: GPL-2.0-only
/*
 * fsblocks: collecting, resolving, converting and chunking the block-type
 * map.  Plain C, no libext2fs or libdevmapper, so it unit-tests on its own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

static const char *const fsb_type_names[FSB_NR_TYPES] = {
	[FSB_SUPER]	= "super",
	[FSB_GDT]	= "gdt",
	[FSB_RESGDT]	= "resgdt",
	[FSB_BBITMAP]	= "bbitmap",
	[FSB_IBITMAP]	= "ibitmap",
	[FSB_ITABLE]	= "itable",
	[FSB_JOURNAL]	= "journal",
	[FSB_INDIRECT]	= "indirect",
	[FSB_DIR]	= "dir",
	[FSB_XATTR]	= "xattr",
	[FSB_DATA]	= "data",
};

const char *fsb_type_name(enum fsb_type type)
{
	if ((unsigned int)type >= FSB_NR_TYPES)
		return "?";
	return fsb_type_names[type];
}

/* Returns the type called @name, or -EINVAL. */
int fsb_type_parse(const char *name)
{
	int t;

	for (t = 0; t < FSB_NR_TYPES; t++)
		if (!strcmp(name, fsb_type_names[t]))
			return t;
	return -EINVAL;
}

/* Parses "dir,data,..." into a mask of (1 << type); -EINVAL on a bad name. */
int fsb_types_parse(const char *list, unsigned int *mask)
{
	char *copy, *item, *save = NULL;
	int ret = 0, t;

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	*mask = 0;
	/* strtok_r() would skip empty items: "dir,,data" must be refused. */
	if (!*list || *list == ',' || list[strlen(list) - 1] == ',' ||
	    strstr(list, ",,")) {
		ret = -EINVAL;
		goto out;
	}
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		t = fsb_type_parse(item);
		if (t < 0) {
			ret = t;
			goto out;
		}
		*mask |= 1u << t;
	}
out:
	free(copy);
	return ret;
}

void fsb_map_init(struct fsb_map *map)
{
	map->ext = NULL;
	map->nr = 0;
	map->cap = 0;
}

void fsb_map_free(struct fsb_map *map)
{
	free(map->ext);
	fsb_map_init(map);
}

static int fsb_map_append(struct fsb_map *map, uint64_t start, uint64_t len,
			  enum fsb_type type)
{
	struct fsb_extent *last = map->nr ? &map->ext[map->nr - 1] : NULL;
	struct fsb_extent *ext;
	size_t cap;

	/* Runs usually arrive in order: extend the last one when we can. */
	if (last && last->type == type && last->start + last->len == start) {
		last->len += len;
		return 0;
	}
	if (map->nr == map->cap) {
		cap = map->cap ? map->cap * 2 : 256;
		if (cap > SIZE_MAX / sizeof(*ext))
			return -ENOMEM;
		ext = realloc(map->ext, cap * sizeof(*ext));
		if (!ext)
			return -ENOMEM;
		map->ext = ext;
		map->cap = cap;
	}
	ext = &map->ext[map->nr++];
	ext->start = start;
	ext->len = len;
	ext->type = type;
	return 0;
}

/*
 * Records that blocks [@start, @start + @len) are of @type.  Runs may come
 * in any order and may overlap; fsb_map_finish() sorts that out.
 */
int fsb_map_add(struct fsb_map *map, uint64_t start, uint64_t len,
		enum fsb_type type)
{
	if ((unsigned int)type >= FSB_NR_TYPES || !len)
		return -EINVAL;
	if (start > UINT64_MAX - len)
		return -EOVERFLOW;
	return fsb_map_append(map, start, len, type);
}

/* One end of a run, for the sweep in fsb_map_finish(). */
struct fsb_event {
	uint64_t pos;
	enum fsb_type type;
	int delta;		/* +1 where a run starts, -1 past its end */
};

static int fsb_event_cmp(const void *a, const void *b)
{
	const struct fsb_event *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return 0;
}

/* A conflict waiting to be reported, so that a long one is told once. */
struct fsb_pending {
	uint64_t start, len;
	enum fsb_type kept;
	unsigned int dropped;
};

static void fsb_pending_flush(struct fsb_pending *p, fsb_conflict_fn fn,
			      void *arg)
{
	if (p->len && fn)
		fn(arg, p->start, p->len, p->kept, p->dropped);
	p->len = 0;
}

static void fsb_pending_add(struct fsb_pending *p, uint64_t start,
			    uint64_t len, enum fsb_type kept,
			    unsigned int dropped, fsb_conflict_fn fn, void *arg)
{
	if (p->len && p->start + p->len == start && p->kept == kept &&
	    p->dropped == dropped) {
		p->len += len;
		return;
	}
	fsb_pending_flush(p, fn, arg);
	p->start = start;
	p->len = len;
	p->kept = kept;
	p->dropped = dropped;
}

/*
 * Turns the collected runs into sorted, disjoint, coalesced extents.
 * Where runs of different types overlap, the type of highest priority
 * (lowest enum value) keeps the blocks and @conflict, if not NULL, is told
 * about the range and the types that lost it.  Overlapping runs of one
 * type simply merge.  Returns 0 or -ENOMEM (the map is then unchanged).
 */
int fsb_map_finish(struct fsb_map *map, fsb_conflict_fn conflict, void *arg)
{
	unsigned int count[FSB_NR_TYPES] = { 0 };
	struct fsb_pending pending = { 0 };
	struct fsb_map out;
	struct fsb_event *ev;
	size_t nev, i, k;
	unsigned int mask;
	uint64_t pos, next;
	int t, ret;

	if (map->nr > SIZE_MAX / 2 / sizeof(*ev))
		return -ENOMEM;
	nev = map->nr * 2;
	ev = malloc((nev ? nev : 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (i = 0; i < map->nr; i++) {
		ev[2 * i].pos = map->ext[i].start;
		ev[2 * i].type = map->ext[i].type;
		ev[2 * i].delta = 1;
		ev[2 * i + 1].pos = map->ext[i].start + map->ext[i].len;
		ev[2 * i + 1].type = map->ext[i].type;
		ev[2 * i + 1].delta = -1;
	}
	qsort(ev, nev, sizeof(*ev), fsb_event_cmp);

	fsb_map_init(&out);
	for (i = 0; i < nev; ) {
		pos = ev[i].pos;
		for (; i < nev && ev[i].pos == pos; i++)
			count[ev[i].type] += ev[i].delta;
		if (i == nev)
			break;
		next = ev[i].pos;
		mask = 0;
		for (t = 0; t < FSB_NR_TYPES; t++)
			if (count[t])
				mask |= 1u << t;
		if (!mask)
			continue;
		for (k = 0; !(mask & (1u << k)); k++)
			;
		if (mask != 1u << k)
			fsb_pending_add(&pending, pos, next - pos, k,
					mask & ~(1u << k), conflict, arg);
		ret = fsb_map_append(&out, pos, next - pos, k);
		if (ret) {
			free(ev);
			fsb_map_free(&out);
			return ret;
		}
	}
	fsb_pending_flush(&pending, conflict, arg);
	free(ev);
	fsb_map_free(map);
	*map = out;
	return 0;
}

/* Keeps only the extents whose type is in @mask (bits 1 << type). */
void fsb_map_filter(struct fsb_map *map, unsigned int mask)
{
	size_t i, n = 0;

	for (i = 0; i < map->nr; i++)
		if (mask & (1u << map->ext[i].type))
			map->ext[n++] = map->ext[i];
	map->nr = n;
}

static int is_pow2(unsigned int x)
{
	return x && !(x & (x - 1));
}

/*
 * Rescales a finished map from blocks of @from_bytes to blocks of
 * @to_bytes.  Only refinement is exact, so @to_bytes must divide
 * @from_bytes: -EINVAL otherwise, -EOVERFLOW if a block number overflows.
 * The map is unchanged on error.
 */
int fsb_map_convert(struct fsb_map *map, unsigned int from_bytes,
		    unsigned int to_bytes)
{
	uint64_t ratio;
	size_t i;

	if (!is_pow2(from_bytes) || !is_pow2(to_bytes) || to_bytes > from_bytes)
		return -EINVAL;
	ratio = from_bytes / to_bytes;
	if (ratio == 1)
		return 0;
	for (i = 0; i < map->nr; i++)
		if (map->ext[i].start + map->ext[i].len > UINT64_MAX / ratio)
			return -EOVERFLOW;
	for (i = 0; i < map->nr; i++) {
		map->ext[i].start *= ratio;
		map->ext[i].len *= ratio;
	}
	return 0;
}

void fsb_map_count(const struct fsb_map *map,
		   uint64_t extents[FSB_NR_TYPES], uint64_t blocks[FSB_NR_TYPES])
{
	size_t i;

	memset(extents, 0, FSB_NR_TYPES * sizeof(*extents));
	memset(blocks, 0, FSB_NR_TYPES * sizeof(*blocks));
	for (i = 0; i < map->nr; i++) {
		extents[map->ext[i].type]++;
		blocks[map->ext[i].type] += map->ext[i].len;
	}
}

/*
 * Writes "types load <start> <len> <type>..." into @buf with the extents
 * from *@pos on, at most @max_extents of them and as many as fit in @size
 * bytes, and advances *@pos.  Returns the number of extents written, 0
 * when none are left, -ENOSPC when not even one fits, -EINVAL if
 * @max_extents is 0.
 */
int fsb_msg_build(const struct fsb_map *map, size_t *pos, size_t max_extents,
		  char *buf, size_t size)
{
	static const char verb[] = "types load";
	const struct fsb_extent *e;
	size_t used, n = 0;
	int len;

	if (!max_extents || max_extents > INT32_MAX)
		return -EINVAL;
	if (*pos >= map->nr)
		return 0;
	if (size < sizeof(verb))
		return -ENOSPC;
	memcpy(buf, verb, sizeof(verb));
	used = sizeof(verb) - 1;
	while (n < max_extents && *pos + n < map->nr) {
		e = &map->ext[*pos + n];
		len = snprintf(buf + used, size - used, " %" PRIu64 " %" PRIu64
			       " %s", e->start, e->len, fsb_type_name(e->type));
		if (len < 0 || (size_t)len >= size - used) {
			buf[used] = '\0';
			break;
		}
		used += len;
		n++;
	}
	if (!n)
		return -ENOSPC;
	*pos += n;
	return n;
}
