// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: parsing dm-noorder's write log.
 *
 * Everything in the file is untrusted: each record's magic, version,
 * type, flags, reserved field, sequence number (0, 1, 2... without a gap),
 * lengths and range are checked, and a record cut short by the end of the
 * file is reported as a truncated log.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct.h"
#include "log.h"

#define CT_LOG_KNOWN_FLAGS \
	(NOORDER_LOG_FUA | NOORDER_LOG_META | NOORDER_LOG_SYNC)

_Static_assert(sizeof(struct noorder_log_rec) == NOORDER_LOG_REC_SIZE,
	       "struct noorder_log_rec has the documented size");

const char *ct_op_name(unsigned int type)
{
	switch (type) {
	case NOORDER_LOG_WRITE:
		return "write";
	case NOORDER_LOG_FLUSH:
		return "flush";
	case NOORDER_LOG_DISCARD:
		return "discard";
	case NOORDER_LOG_MARK:
		return "mark";
	}
	return "?";
}

void ct_log_rec_fill(struct noorder_log_rec *rec, unsigned int type,
		     uint32_t flags, uint64_t seq, uint64_t sector,
		     uint64_t nr_sectors)
{
	memset(rec, 0, sizeof(*rec));
	rec->magic = htole32(NOORDER_LOG_MAGIC);
	rec->version = htole16(NOORDER_LOG_VERSION);
	rec->type = htole16(type);
	rec->flags = htole32(flags);
	rec->seq = htole64(seq);
	rec->sector = htole64(sector);
	rec->nr_sectors = htole64(nr_sectors);
	rec->data_len = htole64(type == NOORDER_LOG_WRITE ? nr_sectors * 512 : 0);
}

static int ct_log_bad(char *err, size_t errlen, size_t off, uint64_t seq,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int ct_log_bad(char *err, size_t errlen, size_t off, uint64_t seq,
		      const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "corrupt log: record %llu at byte %zu: %s",
		 (unsigned long long)seq, off, why);
	return -EINVAL;
}

/* Checks one record header at @off; fills @op. */
static int ct_log_check(const struct noorder_log_rec *rec, size_t off,
			uint64_t seq, uint64_t dev_sectors, struct ct_op *op,
			uint64_t *data_len, char *err, size_t errlen)
{
	uint32_t magic = le32toh(rec->magic), flags = le32toh(rec->flags);
	uint16_t version = le16toh(rec->version), type = le16toh(rec->type);
	uint64_t rseq = le64toh(rec->seq), sector = le64toh(rec->sector);
	uint64_t nr = le64toh(rec->nr_sectors), len = le64toh(rec->data_len);

	if (magic != NOORDER_LOG_MAGIC)
		return ct_log_bad(err, errlen, off, seq,
				  "bad magic 0x%08x (expected 0x%08x): not a dm-noorder log, or out of step",
				  magic, NOORDER_LOG_MAGIC);
	if (version != NOORDER_LOG_VERSION)
		return ct_log_bad(err, errlen, off, seq,
				  "log format version %u (this crashtest reads version %u)",
				  version, NOORDER_LOG_VERSION);
	if (type < NOORDER_LOG_WRITE || type > NOORDER_LOG_MARK)
		return ct_log_bad(err, errlen, off, seq, "unknown record type %u",
				  type);
	if (flags & ~CT_LOG_KNOWN_FLAGS)
		return ct_log_bad(err, errlen, off, seq, "unknown flags 0x%x",
				  flags);
	if (rec->reserved)
		return ct_log_bad(err, errlen, off, seq,
				  "reserved field is 0x%x, not zero",
				  le32toh(rec->reserved));
	if (rseq != seq)
		return ct_log_bad(err, errlen, off, seq,
				  "sequence number %llu, expected %llu (records lost or out of order)",
				  (unsigned long long)rseq,
				  (unsigned long long)seq);
	switch (type) {
	case NOORDER_LOG_WRITE:
		if (!nr || nr > (UINT64_MAX >> 9) || len != nr * 512)
			return ct_log_bad(err, errlen, off, seq,
					  "write of %llu sectors carries %llu data bytes",
					  (unsigned long long)nr,
					  (unsigned long long)len);
		break;
	case NOORDER_LOG_DISCARD:
		if (!nr || len)
			return ct_log_bad(err, errlen, off, seq,
					  "discard of %llu sectors with %llu data bytes",
					  (unsigned long long)nr,
					  (unsigned long long)len);
		break;
	default:
		if (nr || len)
			return ct_log_bad(err, errlen, off, seq,
					  "%s record with %llu sectors and %llu data bytes",
					  ct_op_name(type),
					  (unsigned long long)nr,
					  (unsigned long long)len);
		if (type == NOORDER_LOG_FLUSH && sector)
			return ct_log_bad(err, errlen, off, seq,
					  "flush record with sector %llu",
					  (unsigned long long)sector);
	}
	if (dev_sectors && type != NOORDER_LOG_MARK && type != NOORDER_LOG_FLUSH &&
	    (sector >= dev_sectors || nr > dev_sectors - sector))
		return ct_log_bad(err, errlen, off, seq,
				  "%s of sectors %llu+%llu beyond the device's %llu sectors",
				  ct_op_name(type), (unsigned long long)sector,
				  (unsigned long long)nr,
				  (unsigned long long)dev_sectors);
	op->type = type;
	op->flags = flags;
	op->sector = sector;
	op->nr_sectors = nr;
	op->data_off = off + NOORDER_LOG_REC_SIZE;
	*data_len = len;
	return 0;
}

int ct_log_parse(const uint8_t *buf, size_t len, uint64_t dev_sectors,
		 struct ct_log *log, char *err, size_t errlen)
{
	struct noorder_log_rec rec;
	size_t off = 0, cap = 0;
	uint64_t data_len = 0;
	struct ct_op *op;
	int ret;

	memset(log, 0, sizeof(*log));
	log->map = buf;
	log->size = len;
	while (off < len) {
		if (len - off < NOORDER_LOG_REC_SIZE) {
			snprintf(err, errlen,
				 "truncated log: record %zu at byte %zu is cut short (%zu of its %d header bytes)",
				 log->nr_ops, off, len - off, NOORDER_LOG_REC_SIZE);
			ret = -EINVAL;
			goto fail;
		}
		if (log->nr_ops == cap) {
			cap = cap ? cap * 2 : 1024;
			op = realloc(log->ops, cap * sizeof(*op));
			if (!op) {
				snprintf(err, errlen, "out of memory for %zu log records",
					 cap);
				ret = -ENOMEM;
				goto fail;
			}
			log->ops = op;
		}
		op = &log->ops[log->nr_ops];
		memcpy(&rec, buf + off, sizeof(rec));
		ret = ct_log_check(&rec, off, log->nr_ops, dev_sectors, op,
				   &data_len, err, errlen);
		if (ret)
			goto fail;
		if (data_len > len - off - NOORDER_LOG_REC_SIZE) {
			snprintf(err, errlen,
				 "truncated log: record %zu at byte %zu is cut short (%llu data bytes, %zu left in the file)",
				 log->nr_ops, off, (unsigned long long)data_len,
				 len - off - NOORDER_LOG_REC_SIZE);
			ret = -EINVAL;
			goto fail;
		}
		switch (op->type) {
		case NOORDER_LOG_WRITE:
			log->writes++;
			log->write_bytes += data_len;
			if (op->flags & NOORDER_LOG_FUA)
				log->fuas++;
			break;
		case NOORDER_LOG_FLUSH:
			log->flushes++;
			break;
		case NOORDER_LOG_DISCARD:
			log->discards++;
			break;
		case NOORDER_LOG_MARK:
			log->marks++;
			break;
		}
		off += NOORDER_LOG_REC_SIZE + data_len;
		log->nr_ops++;
	}
	log->crc = ct_crc32c(0, buf, len);
	return 0;
fail:
	free(log->ops);
	log->ops = NULL;
	log->nr_ops = 0;
	return ret;
}

int ct_log_open(const char *path, uint64_t dev_sectors, struct ct_log *log,
		char *err, size_t errlen)
{
	char why[400];
	struct stat st;
	void *map = NULL;
	int fd, ret;

	memset(log, 0, sizeof(*log));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			snprintf(err, errlen, "%s: cannot map: %s", path,
				 strerror(errno));
			close(fd);
			return ret;
		}
	}
	close(fd);
	ret = ct_log_parse(map, st.st_size, dev_sectors, log, why, sizeof(why));
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, why);
		if (map)
			munmap(map, st.st_size);
		memset(log, 0, sizeof(*log));
		return ret;
	}
	log->mapped = !!map;
	return 0;
}

void ct_log_close(struct ct_log *log)
{
	if (log->mapped)
		munmap((void *)log->map, log->size);
	free(log->ops);
	memset(log, 0, sizeof(*log));
}
