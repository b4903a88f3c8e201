/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fsblocks: interfaces between the program's files.  map.h is the part
 * with no library dependency; this header adds the libext2fs scan (scan.c)
 * and the libdevmapper wrapper (dmmsg.c).
 */
#ifndef FSBLOCKS_H
#define FSBLOCKS_H

#include <stdint.h>

#include "map.h"

#define FSB_PROG	"fsblocks"

/* What fsb_scan() learnt about the file system besides the map. */
struct fsb_fs_info {
	unsigned int block_size;	/* bytes */
	uint64_t blocks_count;		/* file system blocks */
	unsigned long problems;		/* inodes or blocks left out */
};

/* scan.c: fills @map (unfinished); 0, or -1 after printing why. */
int fsb_scan(const char *path, struct fsb_map *map, struct fsb_fs_info *info);

/* A dm-faultinj device as its table describes it. */
struct fsb_dm_target {
	uint64_t sectors;		/* length of the device */
	unsigned int block_size;	/* unit of the types map, bytes */
};

/* dmmsg.c: each returns 0, or -1 after printing why. */
int fsb_dm_inspect(const char *dev, struct fsb_dm_target *tgt);
int fsb_dm_message(const char *dev, const char *msg, char **response);

#endif /* FSBLOCKS_H */
