/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-noorder's write log, as userland reads it.
 *
 * After "dmsetup message <dev> 0 log on [<limit_mb>]" the target records
 * every write, flush, FUA and discard it receives, in submission order.
 * "dmsetup message <dev> 0 log path" replies with the log file's path
 * relative to the debugfs mount point (usually /sys/kernel/debug), e.g.
 * "dm-noorder/253:2.1/log".
 *
 * Reading that file consumes the log: it is a byte stream of records, each
 * a struct noorder_log_rec followed by data_len bytes of data (the written
 * data of a WRITE record; nothing for the others).  A read may end inside
 * a record; the next read continues it.  read() returns 0 when everything
 * logged so far has been read (it never blocks).  When the log reached its
 * memory bound (the unread records' headers and data exceed limit_mb), the
 * target stopped logging: the records logged before that point are still
 * returned, and then read() fails with ENOSPC until "log clear" or
 * "log on".
 *
 * All fields are little-endian.  Sectors are 512-byte units relative to
 * the start of the noorder device (not of the device below it).
 */
#ifndef NOORDER_LOG_H
#define NOORDER_LOG_H

#include <linux/types.h>	/* __le16/32/64, in the kernel and in userland */

#define NOORDER_LOG_MAGIC	0x474c4f4eU	/* "NOLG" in a little-endian dump */
#define NOORDER_LOG_VERSION	1

/* noorder_log_rec.type */
enum noorder_log_type {
	NOORDER_LOG_WRITE = 1,		/* data_len bytes of data follow */
	NOORDER_LOG_FLUSH = 2,		/* an empty REQ_PREFLUSH bio */
	NOORDER_LOG_DISCARD = 3,	/* sector/nr_sectors discarded */
	NOORDER_LOG_MARK = 4,		/* "log mark <n>": sector holds n */
};

/* noorder_log_rec.flags */
#define NOORDER_LOG_FUA		(1U << 0)	/* the write had REQ_FUA */
#define NOORDER_LOG_META	(1U << 1)	/* the write had REQ_META */
#define NOORDER_LOG_SYNC	(1U << 2)	/* the write had REQ_SYNC */

struct noorder_log_rec {
	__le32 magic;		/* NOORDER_LOG_MAGIC */
	__le16 version;		/* NOORDER_LOG_VERSION */
	__le16 type;		/* enum noorder_log_type */
	__le32 flags;		/* NOORDER_LOG_* flags */
	__le32 reserved;	/* zero */
	__le64 seq;		/* 0, 1, 2... since "log on" / "log clear" */
	__le64 sector;		/* first sector (MARK: the mark's value) */
	__le64 nr_sectors;	/* length in sectors (0 for FLUSH and MARK) */
	__le64 data_len;	/* bytes following: nr_sectors * 512 for WRITE */
};

#define NOORDER_LOG_REC_SIZE	48

#endif /* NOORDER_LOG_H */
