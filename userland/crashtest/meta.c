// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: DIR/meta, the description of a record.
 *
 *   crashtest-record 1
 *   device /dev/mapper/ct
 *   device_sectors 131072
 *   table 0 131072 noorder 1:0 0 2 flush honor
 *   flush honor
 *   ...
 *   log_crc32c 0x1c291ca3
 *
 * Every key is required once, except the informational device, table,
 * command and created.  Unknown keys, repeated keys, bad numbers and a
 * missing final newline are errors: a damaged file is refused rather than
 * half-read.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "meta.h"

enum ct_meta_kind { CT_MK_STR, CT_MK_U64, CT_MK_I64, CT_MK_CRC, CT_MK_FLUSH };

struct ct_meta_key {
	const char *name;
	enum ct_meta_kind kind;
	size_t off;
	int required;
};

#define CT_MK(n, k, f, r) { n, k, offsetof(struct ct_meta, f), r }

static const struct ct_meta_key ct_meta_keys[] = {
	CT_MK("device", CT_MK_STR, device, 0),
	CT_MK("device_sectors", CT_MK_U64, dev_sectors, 1),
	CT_MK("table", CT_MK_STR, table, 0),
	CT_MK("flush", CT_MK_FLUSH, flush, 1),
	CT_MK("cache_mb", CT_MK_U64, cache_mb, 1),
	CT_MK("seed", CT_MK_U64, seed, 1),
	CT_MK("command", CT_MK_STR, command, 0),
	CT_MK("workload_status", CT_MK_I64, workload_status, 1),
	CT_MK("created", CT_MK_STR, created, 0),
	CT_MK("records", CT_MK_U64, records, 1),
	CT_MK("writes", CT_MK_U64, writes, 1),
	CT_MK("flushes", CT_MK_U64, flushes, 1),
	CT_MK("fuas", CT_MK_U64, fuas, 1),
	CT_MK("discards", CT_MK_U64, discards, 1),
	CT_MK("marks", CT_MK_U64, marks, 1),
	CT_MK("write_bytes", CT_MK_U64, write_bytes, 1),
	CT_MK("log_bytes", CT_MK_U64, log_bytes, 1),
	CT_MK("log_crc32c", CT_MK_CRC, log_crc, 1),
	CT_MK("base_bytes", CT_MK_U64, base_bytes, 1),
	CT_MK("base_crc32c", CT_MK_CRC, base_crc, 1),
};

#define CT_NR_KEYS (sizeof(ct_meta_keys) / sizeof(ct_meta_keys[0]))

const char *ct_flush_name(int flush)
{
	switch (flush) {
	case CT_FLUSH_HONOR:
		return "honor";
	case CT_FLUSH_IGNORE:
		return "ignore";
	}
	return "unknown";
}

int ct_meta_write(const char *path, const struct ct_meta *m, char *err,
		  size_t errlen)
{
	const struct ct_meta_key *k;
	const void *f;
	FILE *fp;
	size_t i;

	fp = fopen(path, "w");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(fp, "crashtest-record %d\n", CT_META_VERSION);
	for (i = 0; i < CT_NR_KEYS; i++) {
		k = &ct_meta_keys[i];
		f = (const char *)m + k->off;
		switch (k->kind) {
		case CT_MK_STR:
			if (*(char *const *)f)
				fprintf(fp, "%s %s\n", k->name, *(char *const *)f);
			break;
		case CT_MK_U64:
			fprintf(fp, "%s %llu\n", k->name,
				(unsigned long long)*(const uint64_t *)f);
			break;
		case CT_MK_I64:
			fprintf(fp, "%s %lld\n", k->name,
				(long long)*(const int64_t *)f);
			break;
		case CT_MK_CRC:
			fprintf(fp, "%s 0x%08x\n", k->name, *(const uint32_t *)f);
			break;
		case CT_MK_FLUSH:
			fprintf(fp, "%s %s\n", k->name, ct_flush_name(*(const int *)f));
			break;
		}
	}
	if (fflush(fp) || ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(fp);
		return -EIO;
	}
	if (fclose(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int ct_meta_value(const struct ct_meta_key *k, const char *v,
			 struct ct_meta *m)
{
	void *f = (char *)m + k->off;
	uint64_t u;
	char *end;

	switch (k->kind) {
	case CT_MK_STR:
		if (strchr(v, '\r'))
			return -EINVAL;
		*(char **)f = strdup(v);
		return *(char **)f ? 0 : -ENOMEM;
	case CT_MK_U64:
		return ct_parse_u64(v, (uint64_t *)f);
	case CT_MK_I64:
		if (*v == '-') {
			if (ct_parse_u64(v + 1, &u) || u > INT64_MAX)
				return -EINVAL;
			*(int64_t *)f = -(int64_t)u;
			return 0;
		}
		if (ct_parse_u64(v, &u) || u > INT64_MAX)
			return -EINVAL;
		*(int64_t *)f = u;
		return 0;
	case CT_MK_CRC:
		if (strncmp(v, "0x", 2) || strlen(v) != 10 ||
		    strspn(v + 2, "0123456789abcdef") != 8)
			return -EINVAL;
		*(uint32_t *)f = strtoul(v + 2, &end, 16);
		return 0;
	case CT_MK_FLUSH:
		if (!strcmp(v, "honor"))
			*(int *)f = CT_FLUSH_HONOR;
		else if (!strcmp(v, "ignore"))
			*(int *)f = CT_FLUSH_IGNORE;
		else if (!strcmp(v, "unknown"))
			*(int *)f = CT_FLUSH_UNKNOWN;
		else
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int ct_meta_read(const char *path, struct ct_meta *m, char *err,
		 size_t errlen)
{
	unsigned char seen[CT_NR_KEYS] = { 0 };
	char *line = NULL, *sp;
	size_t cap = 0, i;
	unsigned int lineno = 0;
	uint64_t version;
	ssize_t n;
	FILE *fp;
	int ret = -EINVAL;

	memset(m, 0, sizeof(*m));
	m->flush = CT_FLUSH_UNKNOWN;
	fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (!n || line[n - 1] != '\n') {
			snprintf(err, errlen,
				 "%s: line %u: truncated (no end of line)", path,
				 lineno);
			goto out;
		}
		line[n - 1] = 0;
		if ((size_t)(n - 1) != strlen(line)) {
			snprintf(err, errlen, "%s: line %u: a NUL byte: not a crashtest meta file",
				 path, lineno);
			goto out;
		}
		if (lineno == 1) {
			if (strncmp(line, "crashtest-record ", 17) ||
			    ct_parse_u64(line + 17, &version)) {
				snprintf(err, errlen,
					 "%s: not a crashtest meta file (the first line is not \"crashtest-record <version>\")",
					 path);
				goto out;
			}
			if (version != CT_META_VERSION) {
				snprintf(err, errlen,
					 "%s: meta format version %llu (this crashtest reads version %d)",
					 path, (unsigned long long)version, CT_META_VERSION);
				goto out;
			}
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		sp = strchr(line, ' ');
		if (!sp) {
			snprintf(err, errlen, "%s: line %u: \"%.40s\" is not \"key value\"",
				 path, lineno, line);
			goto out;
		}
		*sp++ = 0;
		for (i = 0; i < CT_NR_KEYS; i++)
			if (!strcmp(line, ct_meta_keys[i].name))
				break;
		if (i == CT_NR_KEYS) {
			snprintf(err, errlen, "%s: line %u: unknown key \"%.40s\"",
				 path, lineno, line);
			goto out;
		}
		if (seen[i]++) {
			snprintf(err, errlen, "%s: line %u: %s given twice", path,
				 lineno, line);
			goto out;
		}
		ret = ct_meta_value(&ct_meta_keys[i], sp, m);
		if (ret) {
			snprintf(err, errlen, "%s: line %u: bad value \"%.40s\" for %s",
				 path, lineno, sp, line);
			if (ret != -ENOMEM)
				ret = -EINVAL;
			goto out;
		}
		ret = -EINVAL;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -EIO;
		goto out;
	}
	if (!lineno) {
		snprintf(err, errlen, "%s: empty file: not a crashtest meta file",
			 path);
		goto out;
	}
	for (i = 0; i < CT_NR_KEYS; i++) {
		if (ct_meta_keys[i].required && !seen[i]) {
			snprintf(err, errlen, "%s: %s is missing (truncated file?)",
				 path, ct_meta_keys[i].name);
			goto out;
		}
	}
	if (!m->dev_sectors || m->dev_sectors > (UINT64_MAX >> 9)) {
		snprintf(err, errlen, "%s: device_sectors %llu is not a device size",
			 path, (unsigned long long)m->dev_sectors);
		goto out;
	}
	if (m->base_bytes != m->dev_sectors * 512) {
		snprintf(err, errlen, "%s: base_bytes %llu is not device_sectors * 512",
			 path, (unsigned long long)m->base_bytes);
		goto out;
	}
	if (m->cache_mb > (1ULL << 40)) {
		snprintf(err, errlen, "%s: cache_mb %llu is out of range", path,
			 (unsigned long long)m->cache_mb);
		goto out;
	}
	ret = 0;
out:
	free(line);
	fclose(fp);
	if (ret)
		ct_meta_free(m);
	return ret;
}

int ct_meta_match_log(const struct ct_meta *m, const struct ct_log *log,
		      char *err, size_t errlen)
{
	if (m->log_bytes != log->size) {
		snprintf(err, errlen,
			 "the log has %zu bytes, the meta file says %llu (truncated or replaced log?)",
			 log->size, (unsigned long long)m->log_bytes);
		return -EINVAL;
	}
	if (m->log_crc != log->crc) {
		snprintf(err, errlen,
			 "the log's CRC-32C is 0x%08x, the meta file says 0x%08x: the log was modified or corrupted",
			 log->crc, m->log_crc);
		return -EINVAL;
	}
	if (m->records != log->nr_ops || m->writes != log->writes ||
	    m->flushes != log->flushes || m->fuas != log->fuas ||
	    m->discards != log->discards || m->marks != log->marks ||
	    m->write_bytes != log->write_bytes) {
		snprintf(err, errlen,
			 "the log's record counts differ from the meta file's (records %zu/%llu, writes %llu/%llu, flushes %llu/%llu)",
			 log->nr_ops, (unsigned long long)m->records,
			 (unsigned long long)log->writes,
			 (unsigned long long)m->writes,
			 (unsigned long long)log->flushes,
			 (unsigned long long)m->flushes);
		return -EINVAL;
	}
	return 0;
}

void ct_meta_free(struct ct_meta *m)
{
	free(m->device);
	free(m->table);
	free(m->command);
	free(m->created);
	memset(m, 0, sizeof(*m));
	m->flush = CT_FLUSH_UNKNOWN;
}

void ct_meta_set_log(struct ct_meta *m, const struct ct_log *log)
{
	m->records = log->nr_ops;
	m->writes = log->writes;
	m->flushes = log->flushes;
	m->fuas = log->fuas;
	m->discards = log->discards;
	m->marks = log->marks;
	m->write_bytes = log->write_bytes;
	m->log_bytes = log->size;
	m->log_crc = log->crc;
}
