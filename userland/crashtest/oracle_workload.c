// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: crashtest workload DIR --seed N ...
 * (crashtest-oracle(8)).  Runs the generator (oracle_gen.c) and carries
 * every operation out on DIR, writing blocks of the format of
 * oracle_fmt.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oracle.h"
#include "oracle_int.h"

struct orc_exec {
	const char *root;
	const struct orc_opts *o;
	int direct, verbose;
	unsigned char *buf;	/* ORC_MAX_RUN blocks, 4 KiB aligned */
	uint64_t fsyncs;	/* from --fsync-every */
};

static int orc_fail(const struct orc_model *m, const struct orc_op *op,
		    const char *what, const char *path)
{
	fprintf(stderr, "crashtest workload: op %" PRIu64 " (%s of file %" PRIu32 "): %s %s: %s\n",
		m->nr_ops, orc_kind_name[op->kind], op->id, what, path,
		strerror(errno));
	return -1;
}

/* pwrite the blocks [start, start+count) of the op's file at their version. */
static int orc_exec_write(struct orc_exec *x, const struct orc_model *m,
			  const struct orc_op *op, int fd, const char *path)
{
	const struct orc_file *f = &m->f[op->id];
	uint64_t bs = x->o->block_size, i, done = 0, len = op->count * bs;
	ssize_t n;

	for (i = 0; i < op->count; i++)
		orc_block_fill_fmt(x->buf + i * bs, bs, x->o->format,
				   x->o->seed, op->id, op->start + i,
				   f->cur[op->start + i]);
	while (done < len) {
		n = pwrite(fd, x->buf + done, len - done,
			   op->start * bs + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return orc_fail(m, op, "write", path);
		}
		done += n;
	}
	return 0;
}

static int orc_fsync_path(const struct orc_model *m, const struct orc_op *op,
			  const char *path, int data_only, int dir)
{
	int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
	int r;

	if (fd < 0)
		return orc_fail(m, op, "open", path);
	r = data_only ? fdatasync(fd) : fsync(fd);
	if (r) {
		orc_fail(m, op, data_only ? "fdatasync" : "fsync", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int orc_exec_op(struct orc_exec *x, const struct orc_model *m,
		       const struct orc_op *op)
{
	char path[4096], path2[4096];
	int fd, flags = x->direct ? O_DIRECT : 0, r = 0;
	uint64_t bs = x->o->block_size;

	orc_file_path(path, sizeof(path), x->root, op->dir, op->id, op->gen);
	switch (op->kind) {
	case ORC_CREATE:
	case ORC_OVERWRITE:
	case ORC_APPEND:
	case ORC_EXTEND:
	case ORC_TRUNCATE:
		if (op->kind == ORC_CREATE)
			flags |= O_CREAT | O_EXCL;
		fd = open(path, O_WRONLY | flags, 0644);
		if (fd < 0)
			return orc_fail(m, op, "open", path);
		if (op->count)
			r = orc_exec_write(x, m, op, fd, path);
		else if (op->kind == ORC_EXTEND || op->kind == ORC_TRUNCATE)
			if (ftruncate(fd, op->new_size * bs))
				r = orc_fail(m, op, "ftruncate", path);
		if (close(fd) && !r)
			r = orc_fail(m, op, "close", path);
		return r;
	case ORC_RENAME:
		orc_file_path(path2, sizeof(path2), x->root, op->new_dir,
			      op->id, op->new_gen);
		if (rename(path, path2))
			return orc_fail(m, op, "rename to", path2);
		return 0;
	case ORC_UNLINK:
		if (unlink(path))
			return orc_fail(m, op, "unlink", path);
		return 0;
	case ORC_FSYNC:
	case ORC_FDATASYNC:
		return orc_fsync_path(m, op, path, op->kind == ORC_FDATASYNC, 0);
	case ORC_SYNC:
		sync();
		return 0;
	case ORC_DIRFSYNC:
		orc_dir_path(path, sizeof(path), x->root, op->dir);
		return orc_fsync_path(m, op, path, 0, 1);
	default:
		return 0;
	}
}

/* --fsync-every: fsync what the op touched (the directory after unlink). */
static int orc_exec_cadence(struct orc_exec *x, const struct orc_model *m,
			    const struct orc_op *op)
{
	char path[4096];

	if (op->kind == ORC_SYNC)
		return 0;
	if (op->kind == ORC_UNLINK || op->kind == ORC_DIRFSYNC)
		orc_dir_path(path, sizeof(path), x->root, op->dir);
	else
		orc_file_path(path, sizeof(path), x->root, op->new_dir,
			      op->id, op->new_gen);
	x->fsyncs++;
	return orc_fsync_path(m, op, path, 0,
			      op->kind == ORC_UNLINK || op->kind == ORC_DIRFSYNC);
}

static void orc_print_op(const struct orc_model *m, const struct orc_op *op)
{
	char a[64], b[64];

	printf("op %" PRIu64 ": %s", m->nr_ops, orc_kind_name[op->kind]);
	if (op->kind == ORC_DIRFSYNC) {
		if (op->dir)
			printf(" d%" PRIu32, op->dir);
		else
			printf(" .");
	} else if (op->kind != ORC_SYNC) {
		printf(" %s", orc_rel(a, sizeof(a), op->dir, op->id, op->gen));
	}
	if (op->kind == ORC_RENAME)
		printf(" -> %s", orc_rel(b, sizeof(b), op->new_dir, op->id,
					 op->new_gen));
	if (op->count == 1)
		printf(" block %" PRIu64, op->start);
	else if (op->count)
		printf(" blocks %" PRIu64 "-%" PRIu64, op->start,
		       op->start + op->count - 1);
	if (op->old_size != op->new_size)
		printf(" size %" PRIu64 " -> %" PRIu64, op->old_size,
		       op->new_size);
	printf("\n");
}

/* DIR must be new or empty (lost+found aside); created when missing. */
static int orc_workload_dir(const char *dir)
{
	struct dirent *de;
	char parent[4096], *slash;
	DIR *d;
	int fd, bad = 0;

	if (mkdir(dir, 0755) == 0) {
		snprintf(parent, sizeof(parent), "%s", dir);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		else
			strcpy(parent, ".");
		fd = open(parent, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		return 0;
	}
	if (errno != EEXIST) {
		fprintf(stderr, "crashtest workload: cannot create %s: %s\n",
			dir, strerror(errno));
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "crashtest workload: %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "lost+found"))
			continue;
		bad = 1;
		break;
	}
	closedir(d);
	if (bad) {
		fprintf(stderr, "crashtest workload: %s is not empty (the workload needs a new or empty directory)\n",
			dir);
		return -1;
	}
	return 0;
}

/* oracle.meta and the subdirectories, made durable before the first op. */
static int orc_workload_setup(const char *dir, const struct orc_opts *o)
{
	char path[4096], text[1024];
	uint64_t i;
	size_t len;
	int fd;

	orc_meta_text(o, text, sizeof(text));
	len = strlen(text);
	snprintf(path, sizeof(path), "%s/%s", dir, ORC_META);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		fprintf(stderr, "crashtest workload: %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (i = 1; i <= o->dirs; i++) {
		orc_dir_path(path, sizeof(path), dir, i);
		if (mkdir(path, 0755)) {
			fprintf(stderr, "crashtest workload: mkdir %s: %s\n",
				path, strerror(errno));
			return -1;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd)) {
		fprintf(stderr, "crashtest workload: fsync %s: %s\n", dir,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void orc_workload_summary(const struct orc_model *m,
				 const struct orc_exec *x, int dry)
{
	uint64_t data = 0, i, j;
	int k;

	for (i = 0; i < m->nr_files; i++)
		if (m->f[i].live)
			for (j = 0; j < m->f[i].size; j++)
				data += m->f[i].cur[j] != 0;
	printf("workload%s: seed %" PRIu64 ": %" PRIu64 " ops:", dry ? " (dry run)" : "",
	       m->o.seed, m->nr_ops);
	for (k = 0; k < ORC_NR_KINDS; k++)
		printf(" %s %" PRIu64, orc_kind_name[k], m->count[k]);
	if (x && x->fsyncs)
		printf(" (+%" PRIu64 " fsync from --fsync-every)", x->fsyncs);
	printf("; %" PRIu64 " blocks written; %" PRIu32 " files live, %" PRIu32 " unlinked, %" PRIu64 " data blocks\n",
	       m->blocks_written, m->nr_live, m->nr_files - m->nr_live, data);
}

int oracle_workload_main(int argc, char **argv)
{
	struct orc_model m;
	struct orc_exec x;
	struct orc_args a;
	struct orc_op op;
	int r;

	r = orc_parse_args(&a, argc, argv, 1);
	if (r)
		return r > 0 ? ORC_EXIT_OK : orc_usage("workload");
	if (orc_check_args(&a))
		return orc_usage("workload");
	if (!a.given[ORC_O_SEED]) {
		fprintf(stderr, "crashtest workload: --seed is required (the seed is the whole workload)\n");
		return orc_usage("workload");
	}
	memset(&x, 0, sizeof(x));
	x.root = a.dir;
	x.o = &a.o;
	x.direct = a.direct;
	x.verbose = a.verbose || a.dry_run;
	if (!a.dry_run) {
		if (orc_workload_dir(a.dir) || orc_workload_setup(a.dir, &a.o))
			return ORC_EXIT_USAGE;
		if (posix_memalign((void **)&x.buf, 4096,
				   ORC_MAX_RUN * a.o.block_size)) {
			fprintf(stderr, "crashtest workload: out of memory\n");
			return ORC_EXIT_USAGE;
		}
	}
	orc_model_init(&m, &a.o);
	r = 0;
	while (m.nr_ops < a.o.ops) {
		orc_next(&m, &op);
		if (x.verbose)
			orc_print_op(&m, &op);
		if (a.dry_run)
			continue;
		r = orc_exec_op(&x, &m, &op);
		if (!r && a.o.fsync_every && m.nr_ops % a.o.fsync_every == 0)
			r = orc_exec_cadence(&x, &m, &op);
		if (r)
			break;
	}
	fflush(stdout);
	if (!r)
		orc_workload_summary(&m, &x, a.dry_run);
	free(x.buf);
	orc_model_free(&m);
	return r ? ORC_EXIT_FAIL : ORC_EXIT_OK;
}
