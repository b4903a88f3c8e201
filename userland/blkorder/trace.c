// SPDX-License-Identifier: GPL-2.0-only
/*
 * blkorder: reading blktrace's binary per-CPU files.
 *
 * A file is a sequence of records: a struct blk_io_trace (48 bytes, in the
 * byte order of the traced machine) followed by pdu_len bytes of payload
 * (a remap, a process name, a message, a cgroup id...).  The layout and
 * the constants are the kernel's UAPI header <linux/blktrace_api.h>.
 */
#include <errno.h>
#include <byteswap.h>
#include <inttypes.h>
#include <linux/blktrace_api.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

_Static_assert(sizeof(struct blk_io_trace) == BO_REC_SIZE,
	       "struct blk_io_trace is not 48 bytes");

#define BO_MAGIC_MASK	0xffffff00u

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void swap_rec(struct blk_io_trace *b)
{
	b->magic = bswap_32(b->magic);
	b->sequence = bswap_32(b->sequence);
	b->time = bswap_64(b->time);
	b->sector = bswap_64(b->sector);
	b->bytes = bswap_32(b->bytes);
	b->action = bswap_32(b->action);
	b->pid = bswap_32(b->pid);
	b->device = bswap_32(b->device);
	b->cpu = bswap_32(b->cpu);
	b->error = bswap_16(b->error);
	b->pdu_len = bswap_16(b->pdu_len);
}

static int push_rec(struct bo_trace *t, const struct bo_rec *r)
{
	if (t->nr == t->alloc) {
		size_t n = t->alloc ? t->alloc * 2 : 4096;
		struct bo_rec *p;

		if (n > SIZE_MAX / sizeof(*p))
			return -1;
		p = realloc(t->rec, n * sizeof(*p));
		if (!p)
			return -1;
		t->rec = p;
		t->alloc = n;
	}
	t->rec[t->nr++] = *r;
	return 0;
}

/*
 * The magic word says the byte order: 0x65617407 read as is, or its byte
 * swap.  Returns 0 (native), 1 (swapped) or -1 (neither).
 */
static int magic_order(uint32_t magic)
{
	if ((magic & BO_MAGIC_MASK) == BLK_IO_TRACE_MAGIC)
		return 0;
	if ((bswap_32(magic) & BO_MAGIC_MASK) == BLK_IO_TRACE_MAGIC)
		return 1;
	return -1;
}

int bo_read_stream(FILE *f, const char *name, uint16_t src, uint32_t file,
		   unsigned int flags, struct bo_trace *t,
		   struct bo_file_info *info, char *err, size_t errlen)
{
	static char pdu[65536];
	struct bo_file_info dummy;
	struct blk_io_trace b;
	uint64_t off = 0, n = 0;
	int order = -1;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	for (;; n++) {
		struct bo_rec r;
		size_t got;
		int o;

		got = fread(&b, 1, sizeof(b), f);
		if (got == 0 && !ferror(f))
			break;
		/* a short piece of text is not a cut-short record */
		if (got < sizeof(b) && got >= sizeof(b.magic) && !ferror(f) &&
		    magic_order(b.magic) < 0) {
			set_err(err, errlen,
				"%s: record %" PRIu64 " at offset %" PRIu64
				": bad magic 0x%08x (not a blktrace file, or corrupt)",
				name, n, off, b.magic);
			return -1;
		}
		if (got < sizeof(b)) {
			if (ferror(f)) {
				set_err(err, errlen, "%s: read error at offset %" PRIu64 ": %s",
					name, off + got, strerror(errno));
				return -1;
			}
			if (flags & BO_ALLOW_TRUNCATED) {
				info->truncated = 1;
				info->bytes = off + got;
				break;
			}
			set_err(err, errlen,
				"%s: truncated: record %" PRIu64 " at offset %" PRIu64
				" has %zu of its %d bytes (a trace cut short? --allow-truncated reads the records before it)",
				name, n, off, got, BO_REC_SIZE);
			return -1;
		}
		o = magic_order(b.magic);
		if (o < 0) {
			set_err(err, errlen,
				"%s: record %" PRIu64 " at offset %" PRIu64
				": bad magic 0x%08x (not a blktrace file, or corrupt)",
				name, n, off, b.magic);
			return -1;
		}
		if (order < 0)
			order = o;
		if (o != order) {
			set_err(err, errlen,
				"%s: record %" PRIu64 " at offset %" PRIu64
				": byte order differs from the first record (corrupt)",
				name, n, off);
			return -1;
		}
		if (o)
			swap_rec(&b);
		if ((b.magic & 0xff) != BLK_IO_TRACE_VERSION) {
			set_err(err, errlen,
				"%s: record %" PRIu64 " at offset %" PRIu64
				": blk_io_trace version %u, only version %u is known",
				name, n, off, b.magic & 0xff, BLK_IO_TRACE_VERSION);
			return -1;
		}
		if (b.pdu_len) {
			got = fread(pdu, 1, b.pdu_len, f);
			if (got < b.pdu_len) {
				if (ferror(f)) {
					set_err(err, errlen, "%s: read error at offset %" PRIu64 ": %s",
						name, off + sizeof(b) + got, strerror(errno));
					return -1;
				}
				if (flags & BO_ALLOW_TRUNCATED) {
					info->truncated = 1;
					info->bytes = off + sizeof(b) + got;
					break;
				}
				set_err(err, errlen,
					"%s: record %" PRIu64 " at offset %" PRIu64
					": pdu_len %u runs past the end of the file (%zu bytes left; corrupt or cut short)",
					name, n, off, b.pdu_len, got);
				return -1;
			}
		}
		memset(&r, 0, sizeof(r));
		r.time = b.time;
		r.sector = b.sector;
		r.bytes = b.bytes;
		r.action = b.action;
		r.device = b.device;
		r.pid = b.pid;
		r.cpu = b.cpu;
		r.error = b.error;
		r.src = src;
		r.file = file;
		r.idx = n;
		if (push_rec(t, &r)) {
			set_err(err, errlen, "%s: out of memory after %zu records",
				name, t->nr);
			return -1;
		}
		off += sizeof(b) + b.pdu_len;
		info->records++;
		info->bytes = off;
	}
	info->swapped = order == 1;
	return 0;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct bo_rec *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	return 0;
}

void bo_trace_sort(struct bo_trace *t)
{
	if (t->nr > 1)
		qsort(t->rec, t->nr, sizeof(*t->rec), cmp_rec);
}

void bo_trace_free(struct bo_trace *t)
{
	free(t->rec);
	memset(t, 0, sizeof(*t));
}
