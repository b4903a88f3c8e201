/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fsblocks: the block-type map, independent of libext2fs and libdevmapper.
 *
 * A map collects (start, len, type) runs in any order, then
 * fsb_map_finish() sorts them, resolves overlaps by type priority and
 * coalesces adjacent runs of one type.  The result is a sorted list of
 * disjoint extents, ready to print, convert to another unit or cut into
 * "types load" messages for dm-faultinj.
 */
#ifndef FSBLOCKS_MAP_H
#define FSBLOCKS_MAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Block types.  The order is the conflict priority: when one block is
 * reported with two types, the type with the lower value is kept.  Fixed
 * metadata the geometry of the file system dictates comes first, then
 * the journal, then the mapping blocks, then what files contain.
 */
enum fsb_type {
	FSB_SUPER,
	FSB_GDT,
	FSB_RESGDT,
	FSB_BBITMAP,
	FSB_IBITMAP,
	FSB_ITABLE,
	FSB_JOURNAL,
	FSB_INDIRECT,
	FSB_DIR,
	FSB_XATTR,
	FSB_DATA,
	FSB_NR_TYPES
};

#define FSB_ALL_TYPES	((1u << FSB_NR_TYPES) - 1)

/* The dm-faultinj limit on extents per "types load" message we send. */
#define FSB_MSG_MAX_EXTENTS	200

struct fsb_extent {
	uint64_t start;
	uint64_t len;
	enum fsb_type type;
};

struct fsb_map {
	struct fsb_extent *ext;
	size_t nr;
	size_t cap;
};

/* Called by fsb_map_finish() for each range claimed by several types. */
typedef void (*fsb_conflict_fn)(void *arg, uint64_t start, uint64_t len,
				enum fsb_type kept, unsigned int dropped_mask);

const char *fsb_type_name(enum fsb_type type);
int fsb_type_parse(const char *name);
int fsb_types_parse(const char *list, unsigned int *mask);

void fsb_map_init(struct fsb_map *map);
void fsb_map_free(struct fsb_map *map);
int fsb_map_add(struct fsb_map *map, uint64_t start, uint64_t len,
		enum fsb_type type);
int fsb_map_finish(struct fsb_map *map, fsb_conflict_fn conflict, void *arg);
void fsb_map_filter(struct fsb_map *map, unsigned int mask);
int fsb_map_convert(struct fsb_map *map, unsigned int from_bytes,
		    unsigned int to_bytes);
void fsb_map_count(const struct fsb_map *map,
		   uint64_t extents[FSB_NR_TYPES], uint64_t blocks[FSB_NR_TYPES]);
int fsb_msg_build(const struct fsb_map *map, size_t *pos, size_t max_extents,
		  char *buf, size_t size);

#endif /* FSBLOCKS_MAP_H */
