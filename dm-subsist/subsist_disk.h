/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-subsist: the metadata device's format.  Little-endian, 4 KiB blocks:
 *
 *   block 0, 1        superblocks; the valid one with the higher seq wins
 *   2 ...             checkpoint slot 0 (ckpt_blocks blocks)
 *   2 + ckpt_blocks   checkpoint slot 1
 *   2 + 2*ckpt_blocks the log, to the end of the device
 *
 * A checkpoint holds every map entry (le32: 0 = unmapped, else physical
 * block + 1; vdisk v's block l is entry v * vblocks + l) followed by the
 * index key of every physical block (le32, 0 = none).  A superblock names
 * the current checkpoint and the sequence number of the first log block
 * written after it.  The log holds batches of records, one batch per
 * commit; a batch counts only if all its blocks are valid, so a commit is
 * atomic whatever subset of its writes reached the device.
 */
#ifndef DM_SUBSIST_DISK_H
#define DM_SUBSIST_DISK_H

#include <linux/types.h>

#define SS_META_BLOCK		4096
#define SS_SB_MAGIC		0x54535353	/* "SSST" */
#define SS_LOG_MAGIC		0x474c5353	/* "SSLG" */
#define SS_META_VERSION		1
#define SS_MIN_LOG_BLOCKS	64

struct ss_disk_sb {
	__le32 magic;
	__le32 crc;		/* crc32c of the block with crc = 0 */
	__le32 version;
	__le32 block_size;	/* data block size, bytes */
	__le64 seq;		/* increases with every superblock write */
	__le64 uuid;		/* random, set when the pool is created */
	__le64 vdisk_sectors;
	__le32 nr_vdisks;
	__le32 nr_blocks;	/* physical data blocks */
	__le32 hash;		/* 0 crc32c, 1 xxhash64, 2 sha256 */
	__le32 merge;		/* 0 data, 1 all */
	__le32 ckpt_slot;	/* 0 or 1 */
	__le32 ckpt_crc;	/* crc32c of the whole checkpoint */
	__le64 ckpt_blocks;	/* size of one checkpoint slot */
	__le64 log_seq;		/* seq of the first log block after it */
} __packed;

struct ss_disk_rec {
	__le32 lblock;		/* global logical block */
	__le32 pblock;		/* 0 = unmapped, else physical block + 1 */
	__le32 key;		/* the physical block's index key */
	__le32 reserved;
} __packed;

struct ss_disk_log {
	__le32 magic;
	__le32 crc;		/* crc32c of the block with crc = 0 */
	__le64 uuid;		/* the superblock's */
	__le64 seq;		/* this block's sequence number */
	__le64 batch;		/* seq of the batch's first block */
	__le32 batch_len;	/* blocks in the batch */
	__le32 nr_recs;		/* records in this block */
	struct ss_disk_rec recs[];
} __packed;

#define SS_RECS_PER_BLOCK \
	((SS_META_BLOCK - sizeof(struct ss_disk_log)) / sizeof(struct ss_disk_rec))

#endif
