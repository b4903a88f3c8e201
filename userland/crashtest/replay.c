// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest replay and info: rebuild one state; describe a record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apply.h"
#include "ct.h"
#include "explore.h"
#include "rec.h"
#include "state.h"

static void ct_replay_usage(FILE *fp)
{
	fprintf(fp,
		"usage: crashtest replay DIR ID -o IMG [-q]\n"
		"Rebuilds the crash state ID of the record in DIR into IMG (a file,\n"
		"created sparse, or a block device at least as large as the record's).\n"
		"See crashtest(8).\n");
}

/* What happened at crash point @p: the record just before it. */
static void ct_point_text(const struct ct_rec *r, uint64_t p, char *buf,
			  size_t len)
{
	const struct ct_op *op;

	if (!p) {
		snprintf(buf, len, "before the first record");
		return;
	}
	op = &r->log.ops[p - 1];
	switch (op->type) {
	case NOORDER_LOG_WRITE:
		snprintf(buf, len, "after record %" PRIu64 ", a write%s of %" PRIu64
			 " sectors at sector %" PRIu64, p - 1,
			 op->flags & NOORDER_LOG_FUA ? " (FUA)" : "",
			 op->nr_sectors, op->sector);
		break;
	case NOORDER_LOG_DISCARD:
		snprintf(buf, len, "after record %" PRIu64 ", a discard of %" PRIu64
			 " sectors at sector %" PRIu64, p - 1, op->nr_sectors,
			 op->sector);
		break;
	case NOORDER_LOG_MARK:
		snprintf(buf, len, "after record %" PRIu64 ", mark %" PRIu64, p - 1,
			 op->sector);
		break;
	default:
		snprintf(buf, len, "after record %" PRIu64 ", a flush", p - 1);
	}
}

int ct_replay_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ct_state st = { 0 };
	struct ct_pieces pieces = { 0 };
	struct ct_cover cover = { 0 };
	struct ct_state_id id;
	struct ct_rec rec;
	const char *out = NULL;
	char err[512], desc[200], where[200], idtext[96];
	struct stat sb;
	int c, quiet = 0, fd = -1, dense, ret, status = CT_EXIT_ERROR;
	uint64_t size;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			ct_replay_usage(stdout);
			return CT_EXIT_OK;
		default:
			ct_replay_usage(stderr);
			return CT_EXIT_ERROR;
		}
	}
	if (argc - optind != 2 || !out) {
		ct_err(!out ? "replay: where to? (-o IMG)" :
		       "replay: a record directory and one state id, please");
		ct_replay_usage(stderr);
		return CT_EXIT_ERROR;
	}
	if (ct_id_parse(argv[optind + 1], &id, err, sizeof(err))) {
		ct_err("replay: %s", err);
		return CT_EXIT_ERROR;
	}
	if (ct_rec_load(&rec, argv[optind], 1))
		return CT_EXIT_ERROR;
	ret = ct_state_build(&rec.sp, &id, &st, err, sizeof(err));
	if (ret) {
		ct_err("replay: %s: %s", argv[optind + 1], err);
		goto out;
	}
	if (ct_cover_init(&cover, rec.meta.dev_sectors) ||
	    ct_pieces_build(&rec.sp, &st, &cover, &pieces)) {
		ct_err("replay: out of memory");
		goto out;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &sb)) {
		ct_err("replay: %s: %s", out, strerror(errno));
		goto out;
	}
	dense = S_ISBLK(sb.st_mode);
	if (dense) {
		size = 0;
		if (lseek(fd, 0, SEEK_END) > 0)
			size = lseek(fd, 0, SEEK_END);
		if (size < rec.base.size) {
			ct_err("replay: %s: %llu bytes, the state needs %llu",
			       out, (unsigned long long)size,
			       (unsigned long long)rec.base.size);
			goto out;
		}
	} else if (!S_ISREG(sb.st_mode)) {
		ct_err("replay: %s: not a regular file or block device", out);
		goto out;
	}
	ret = ct_image_copy_base(fd, &rec.base, dense);
	if (!ret)
		ret = ct_pieces_apply(fd, &pieces);
	if (!ret && dense && fsync(fd))
		ret = -errno;
	if (ret) {
		ct_err("replay: %s: %s", out, strerror(-ret));
		goto out;
	}
	if (!quiet) {
		ct_id_format(&rec.sp, &id, idtext, sizeof(idtext));
		ct_state_describe(&st, desc, sizeof(desc));
		ct_point_text(&rec, id.point, where, sizeof(where));
		printf("%s: crash %s; %s; %llu sectors differ from the base in %zu pieces\n",
		       idtext, where, desc, (unsigned long long)pieces.sectors,
		       pieces.nr);
	}
	status = CT_EXIT_OK;
out:
	if (fd >= 0 && close(fd) && status == CT_EXIT_OK) {
		ct_err("replay: %s: %s", out, strerror(errno));
		status = CT_EXIT_ERROR;
	}
	ct_cover_free(&cover);
	ct_pieces_free(&pieces);
	ct_state_free(&st);
	ct_rec_free(&rec);
	return status;
}

static void ct_info_usage(FILE *fp)
{
	fprintf(fp,
		"usage: crashtest info DIR [-r]\n"
		"Checks the record in DIR (meta, log, base image) and describes it;\n"
		"-r also lists every log record.  See crashtest(8).\n");
}

int ct_info_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "records", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct ct_meta *m;
	const struct ct_op *op;
	struct ct_rec rec;
	int c, records = 0;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "rh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			records = 1;
			break;
		case 'h':
			ct_info_usage(stdout);
			return CT_EXIT_OK;
		default:
			ct_info_usage(stderr);
			return CT_EXIT_ERROR;
		}
	}
	if (argc - optind != 1) {
		ct_err("info: one record directory, please");
		ct_info_usage(stderr);
		return CT_EXIT_ERROR;
	}
	if (ct_rec_load(&rec, argv[optind], 1))
		return CT_EXIT_ERROR;
	m = &rec.meta;
	printf("record      %s\n", argv[optind]);
	printf("device      %s, %llu sectors (%llu MiB)\n",
	       m->device ? m->device : "?", (unsigned long long)m->dev_sectors,
	       (unsigned long long)(m->dev_sectors >> 11));
	printf("table       %s\n", m->table ? m->table : "?");
	printf("flush       %s, cache %llu MiB\n", ct_flush_name(m->flush),
	       (unsigned long long)m->cache_mb);
	printf("seed        %llu\n", (unsigned long long)m->seed);
	printf("command     %s\n", m->command ? m->command : "?");
	printf("status      %lld\n", (long long)m->workload_status);
	printf("created     %s\n", m->created ? m->created : "?");
	printf("log         %zu records: %llu writes (%llu FUA, %llu bytes), %llu flushes, %llu discards, %llu marks; %zu bytes, crc32c 0x%08x\n",
	       rec.log.nr_ops, (unsigned long long)rec.log.writes,
	       (unsigned long long)rec.log.fuas,
	       (unsigned long long)rec.log.write_bytes,
	       (unsigned long long)rec.log.flushes,
	       (unsigned long long)rec.log.discards,
	       (unsigned long long)rec.log.marks, rec.log.size, rec.log.crc);
	printf("base        %llu bytes, %llu of them in non-zero blocks, crc32c 0x%08x\n",
	       (unsigned long long)rec.base.size,
	       (unsigned long long)rec.base.data_bytes, rec.base.crc);
	printf("states      %zu crash points, %zu epoch prefixes\n", rec.sp.nr_cand,
	       rec.sp.nr_prefix);
	for (i = 0; records && i < rec.log.nr_ops; i++) {
		op = &rec.log.ops[i];
		printf("%8zu %-7s", i, ct_op_name(op->type));
		if (op->type == NOORDER_LOG_MARK)
			printf(" %" PRIu64, op->sector);
		else if (op->type != NOORDER_LOG_FLUSH)
			printf(" %" PRIu64 "+%" PRIu64, op->sector, op->nr_sectors);
		printf("%s%s%s\n", op->flags & NOORDER_LOG_FUA ? " fua" : "",
		       op->flags & NOORDER_LOG_META ? " meta" : "",
		       op->flags & NOORDER_LOG_SYNC ? " sync" : "");
	}
	ct_rec_free(&rec);
	return CT_EXIT_OK;
}
