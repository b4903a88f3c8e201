/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: the record's metadata file, DIR/meta (text, one "key value"
 * per line after the line "crashtest-record <version>").
 */
#ifndef CRASHTEST_META_H
#define CRASHTEST_META_H

#include <stdint.h>

#include "log.h"

#define CT_META_VERSION	1

enum ct_flush { CT_FLUSH_UNKNOWN = -1, CT_FLUSH_HONOR = 0, CT_FLUSH_IGNORE = 1 };

struct ct_meta {
	char *device;		/* the device recorded (path as given) */
	char *table;		/* its table line: start length noorder params */
	char *command;		/* the workload, shell-quoted */
	char *created;		/* UTC time of the record */
	uint64_t dev_sectors;
	int flush;		/* enum ct_flush: the device's mode */
	uint64_t cache_mb;	/* the device's cache size */
	uint64_t seed;
	int64_t workload_status;	/* exit status; 128+N: killed by signal N */
	uint64_t records, writes, flushes, fuas, discards, marks;
	uint64_t write_bytes;
	uint64_t log_bytes;
	uint32_t log_crc;
	uint64_t base_bytes;
	uint32_t base_crc;
};

int ct_meta_write(const char *path, const struct ct_meta *m, char *err,
		  size_t errlen);

/* Reads and validates @path; unknown or repeated keys are errors. */
int ct_meta_read(const char *path, struct ct_meta *m, char *err,
		 size_t errlen);

/* Whether the parsed @log is the one @m describes (sizes, counts, CRC). */
int ct_meta_match_log(const struct ct_meta *m, const struct ct_log *log,
		      char *err, size_t errlen);

/* Copies the log's counts, size and checksum into @m. */
void ct_meta_set_log(struct ct_meta *m, const struct ct_log *log);

void ct_meta_free(struct ct_meta *m);

const char *ct_flush_name(int flush);

#endif /* CRASHTEST_META_H */
