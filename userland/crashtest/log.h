/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: dm-noorder's write log (include/noorder_log.h), parsed and
 * validated.  The log file is mapped read-only; a WRITE's data stays in
 * the mapping and is found by its offset.
 */
#ifndef CRASHTEST_LOG_H
#define CRASHTEST_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "noorder_log.h"

/* One record of the log, in submission order (ops[i] has seq i). */
struct ct_op {
	uint64_t sector;	/* first sector; MARK: the mark's value */
	uint64_t nr_sectors;	/* WRITE, DISCARD: length in sectors */
	uint64_t data_off;	/* WRITE: offset of its data in the log file */
	uint32_t flags;		/* NOORDER_LOG_FUA, _META, _SYNC */
	uint16_t type;		/* enum noorder_log_type */
};

struct ct_log {
	const uint8_t *map;	/* the whole log file (NULL when empty) */
	size_t size;		/* its length in bytes */
	int mapped;		/* map came from mmap() (ct_log_close unmaps) */
	struct ct_op *ops;
	size_t nr_ops;
	/* Counts by type; fuas counts WRITE records with NOORDER_LOG_FUA. */
	uint64_t writes, flushes, fuas, discards, marks;
	uint64_t write_bytes;	/* data bytes of all WRITE records */
	uint32_t crc;		/* CRC-32C of the whole file */
};

/*
 * Parses @len bytes at @buf (kept, not copied: it must outlive @log).
 * @dev_sectors, when not 0, bounds every record's range.  On error,
 * returns -EINVAL (or -ENOMEM) and says in @err which record is wrong and
 * how (byte offset, seq).
 */
int ct_log_parse(const uint8_t *buf, size_t len, uint64_t dev_sectors,
		 struct ct_log *log, char *err, size_t errlen);

/* Maps and parses the file at @path (errors name the file). */
int ct_log_open(const char *path, uint64_t dev_sectors, struct ct_log *log,
		char *err, size_t errlen);

void ct_log_close(struct ct_log *log);

/* "write", "flush", "discard", "mark" or "?". */
const char *ct_op_name(unsigned int type);

/* Fills a record header (little-endian) for tests and tools. */
void ct_log_rec_fill(struct noorder_log_rec *rec, unsigned int type,
		     uint32_t flags, uint64_t seq, uint64_t sector,
		     uint64_t nr_sectors);

#endif /* CRASHTEST_LOG_H */
