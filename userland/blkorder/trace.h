/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * blkorder: reading blktrace's binary output (struct blk_io_trace records,
 * as the kernel writes them into the per-CPU relay files that blktrace
 * saves as <name>.blktrace.<cpu>).
 */
#ifndef BLKORDER_TRACE_H
#define BLKORDER_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BO_PROG "blkorder"

/* sizeof(struct blk_io_trace): the fixed part of every record. */
#define BO_REC_SIZE	48

/* One record, in host byte order, with where it came from. */
struct bo_rec {
	uint64_t time;		/* ns, the kernel's ktime_get() */
	uint64_t sector;
	uint32_t bytes;
	uint32_t action;	/* BLK_TA_* | BLK_TC_ACT(categories) */
	uint32_t device;	/* kernel dev_t: major << 20 | minor */
	uint32_t pid;
	uint32_t cpu;
	uint16_t error;
	uint16_t src;		/* which trace (TRACE argument) */
	uint32_t file;		/* file number, for a stable order */
	uint64_t idx;		/* record number in its file */
};

struct bo_trace {
	struct bo_rec *rec;
	size_t nr, alloc;
};

/* What bo_read_stream() found in one file. */
struct bo_file_info {
	uint64_t records;	/* all records, notes included */
	uint64_t bytes;		/* bytes read */
	int swapped;		/* written on a machine of the other byte order */
	int truncated;		/* the last record was cut short (allowed) */
};

/* Flags of bo_read_stream(). */
#define BO_ALLOW_TRUNCATED	1	/* a cut-short last record is a warning */

#define BO_ERR_SIZE	256

/*
 * Appends the records of the stream @f (a blktrace per-CPU file, or the
 * output of "blktrace -o -") to @t.  @name is used in messages.  Returns
 * 0, or -1 with a message in @err: bad magic, unknown version, a record
 * or its payload cut short, a read error, out of memory.  An empty file is
 * not an error (blktrace leaves one for every idle CPU).  On error the
 * records read before stay in @t.
 */
int bo_read_stream(FILE *f, const char *name, uint16_t src, uint32_t file,
		   unsigned int flags, struct bo_trace *t,
		   struct bo_file_info *info, char *err, size_t errlen);

/* Sorts the records by time; ties keep the order of the files. */
void bo_trace_sort(struct bo_trace *t);
void bo_trace_free(struct bo_trace *t);

/* major and minor of a kernel dev_t (not the glibc one) */
#define BO_MAJOR(dev)	((unsigned int)((dev) >> 20))
#define BO_MINOR(dev)	((unsigned int)((dev) & ((1u << 20) - 1)))

#endif
