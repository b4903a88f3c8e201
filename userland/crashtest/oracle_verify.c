// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: crashtest verify DIR ... (crashtest-oracle(8)).
 * Builds the model (oracle_gen.c), reads every piece in DIR once for the
 * durability floors (oracle_class.c), then walks DIR, classifies every
 * block it can read, counts files and names, and reports.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oracle.h"
#include "oracle_int.h"

/* File-level counters; those marked fail make the exit status 3. */
enum orc_anom {
	ORC_A_FILES, ORC_A_MISSING, ORC_A_RESURRECTED, ORC_A_OLDNAME,
	ORC_A_DUPLICATE, ORC_A_SIZE, ORC_A_BADSIZE, ORC_A_UNKNOWN,
	ORC_A_UNREADABLE, ORC_A_LOST, ORC_A_NOMETA, ORC_A_BADMETA, ORC_NR_ANOM,
};

static const struct {
	const char *name;
	int fail;		/* 1: exit 3 always; 0: only with --exact */
} orc_anom_info[ORC_NR_ANOM] = {
	[ORC_A_FILES] = { "files", 0 },
	[ORC_A_MISSING] = { "missing", 0 },
	[ORC_A_RESURRECTED] = { "resurrected", 0 },
	[ORC_A_OLDNAME] = { "oldname", 0 },
	[ORC_A_DUPLICATE] = { "duplicate", 0 },
	[ORC_A_SIZE] = { "size", 0 },
	[ORC_A_BADSIZE] = { "badsize", 1 },
	[ORC_A_UNKNOWN] = { "unknown", 1 },
	[ORC_A_UNREADABLE] = { "unreadable", 0 },
	[ORC_A_LOST] = { "lost", 0 },
	[ORC_A_NOMETA] = { "nometa", 0 },
	[ORC_A_BADMETA] = { "badmeta", 1 },
};

struct orc_note {
	char *path;
	uint64_t index;		/* UINT64_MAX: a file-level note */
	char *what;
};

struct orc_verify {
	struct orc_model m;
	int direct, verbose, json, exact;
	unsigned char *buf, *want;	/* one block each, aligned */
	uint64_t cls[ORC_NR_CLASS];
	uint64_t anom[ORC_NR_ANOM];
	uint8_t dir_found[65];
	struct orc_note *wrong, *torn, *notes;	/* first ORC_LIST_MAX (-v: all) */
	size_t nr_wrong, nr_torn, nr_notes;
	struct orc_durable dur;		/* what the floors rest on */
};

/*
 * Print a found name: bytes outside ' '..'~' (and the quote and backslash)
 * as \xNN in text, \u00NN in JSON.
 */
static void orc_put_name(const char *s, int json)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < ' ' || c > '~' || c == '\\' || c == '"')
			printf(json ? "\\u%04x" : "\\x%02x", c);
		else
			putchar(c);
	}
}

static void orc_note_add(struct orc_note **list, size_t *n, int verbose,
			 const char *path, uint64_t index, const char *fmt, ...)
{
	struct orc_note *e;
	char what[256];
	va_list ap;

	if (*n >= ORC_LIST_MAX && !verbose) {
		++*n;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	*list = orc_xrealloc(*list, (*n + 1) * sizeof(**list));
	e = &(*list)[(*n)++];
	e->path = orc_strdup(path);
	e->index = index;
	e->what = orc_strdup(what);
}

static void orc_anomaly(struct orc_verify *v, enum orc_anom a,
			const char *path, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	v->anom[a]++;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	orc_note_add(&v->notes, &v->nr_notes, v->verbose, path, UINT64_MAX,
		     "%s: %s", orc_anom_info[a].name, what);
}

/* pread up to want bytes of a block at off into buf: the bytes read. */
static size_t orc_read_block(int fd, unsigned char *buf, uint64_t bs,
			     uint64_t off, uint64_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		n = pread(fd, buf + got, bs - got, off + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/*
 * The first walk: every piece of every regular file under DIR (its d<k>
 * and lost+found too, whatever the names), for the durability floors.
 * Errors are left to the second walk.
 */
static void orc_scan_dir(struct orc_verify *v, int dirfd, int depth)
{
	uint64_t bs = v->m.o.block_size, off;
	char **names;
	struct stat st;
	size_t n, i, got;
	int fd;

	orc_read_dir(dirfd, &names, &n);
	for (i = 0; i < n; i++) {
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW))
			goto next;
		if (S_ISDIR(st.st_mode) && !depth) {
			fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY);
			if (fd >= 0) {
				orc_scan_dir(v, fd, depth + 1);
				close(fd);
			}
		} else if (S_ISREG(st.st_mode)) {
			fd = openat(dirfd, names[i], O_RDONLY | O_NOFOLLOW |
				    (v->direct ? O_DIRECT : 0));
			if (fd < 0)
				goto next;
			for (off = 0; off < (uint64_t)st.st_size; off += bs) {
				got = orc_read_block(fd, v->buf, bs, off, bs);
				orc_seen_block(&v->m, v->buf, got);
				if (got < bs)
					break;
			}
			close(fd);
		}
next:
		free(names[i]);
	}
	free(names);
}

/* Read and classify the blocks of one file; reports per file with -v. */
static void orc_verify_file(struct orc_verify *v, int dirfd, const char *name,
			    const char *rel, uint32_t id)
{
	const struct orc_file *f = &v->m.f[id];
	uint64_t bs = v->m.o.block_size, nblk, i, fc[ORC_NR_CLASS] = { 0 };
	struct stat st;
	char why[256];
	int fd, k;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW |
		    (v->direct ? O_DIRECT : 0));
	if (fd < 0) {
		orc_anomaly(v, ORC_A_UNREADABLE, rel, "open: %s",
			    strerror(errno));
		return;
	}
	if (fstat(fd, &st)) {
		orc_anomaly(v, ORC_A_UNREADABLE, rel, "fstat: %s",
			    strerror(errno));
		close(fd);
		return;
	}
	if ((uint64_t)st.st_size != f->size * bs)
		orc_anomaly(v, ORC_A_SIZE, rel, "%" PRIu64 " bytes, expected %" PRIu64,
			    (uint64_t)st.st_size, f->size * bs);
	if (st.st_size % bs || (uint64_t)st.st_size > f->max_size * bs)
		orc_anomaly(v, ORC_A_BADSIZE, rel,
			    "%" PRIu64 " bytes: %s", (uint64_t)st.st_size,
			    st.st_size % bs ? "not a multiple of the block size" :
			    "larger than the file ever was");
	nblk = ((uint64_t)st.st_size + bs - 1) / bs;
	if (nblk > f->max_size)
		nblk = f->max_size;	/* beyond: counted as badsize only */
	for (i = 0; i < nblk; i++) {
		uint64_t want = orc_min(bs, (uint64_t)st.st_size - i * bs);
		size_t got = orc_read_block(fd, v->buf, bs, i * bs, want);
		enum orc_class c;

		if (got < want) {
			c = ORC_IOERROR;
			if (v->verbose)
				orc_note_add(&v->notes, &v->nr_notes, 1, rel, i,
					     "ioerror: %s", got || !errno ?
					     "short read" : strerror(errno));
		} else {
			c = orc_classify(&v->m, id, i, v->buf, want, v->want,
					 why, sizeof(why));
			if (c == ORC_WRONG)
				orc_note_add(&v->wrong, &v->nr_wrong,
					     v->verbose, rel, i, "%s", why);
			else if (c == ORC_TORN)
				orc_note_add(&v->torn, &v->nr_torn,
					     v->verbose, rel, i, "%s", why);
		}
		errno = 0;
		v->cls[c]++;
		fc[c]++;
	}
	close(fd);
	if (v->verbose && !v->json) {
		orc_put_name(rel, 0);
		printf(": %" PRIu64 " bytes:", (uint64_t)st.st_size);
		for (k = 0; k < ORC_NR_CLASS; k++)
			printf(" %s %" PRIu64, orc_class_name[k], fc[k]);
		printf("\n");
	}
}

/* One directory of the workload: dir 0 is DIR, k is DIR/d<k>. */
static void orc_verify_dir(struct orc_verify *v, int dirfd, uint32_t dir,
			   const char *relbase)
{
	char rel[4096], **names;
	size_t n, i;
	int r;

	r = orc_read_dir(dirfd, &names, &n);
	if (r)
		orc_anomaly(v, ORC_A_UNREADABLE, relbase[0] ? relbase : ".",
			    "readdir: %s", strerror(-r));
	for (i = 0; i < n; i++) {
		const char *name = names[i];
		uint32_t id, gen, k;
		struct stat st;

		snprintf(rel, sizeof(rel), "%s%s", relbase, name);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			orc_anomaly(v, ORC_A_UNREADABLE, rel, "stat: %s",
				    strerror(errno));
			continue;
		}
		if (!dir && !strcmp(name, ORC_META) && S_ISREG(st.st_mode))
			continue;
		if (!dir && !strcmp(name, "lost+found") && S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
			char **lost;
			size_t nl = 0, j;

			if (fd >= 0) {
				orc_read_dir(fd, &lost, &nl);
				for (j = 0; j < nl; j++) {
					snprintf(rel, sizeof(rel), "lost+found/%s",
						 lost[j]);
					orc_anomaly(v, ORC_A_LOST, rel,
						    "in lost+found");
					free(lost[j]);
				}
				free(lost);
				close(fd);
			}
			continue;
		}
		k = dir ? 0 : orc_parse_dir(name);
		if (k && k <= v->m.o.dirs && S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY);
			char sub[64];

			v->dir_found[k] = 1;
			if (fd < 0) {
				orc_anomaly(v, ORC_A_UNREADABLE, rel, "open: %s",
					    strerror(errno));
				continue;
			}
			snprintf(sub, sizeof(sub), "d%" PRIu32 "/", k);
			orc_verify_dir(v, fd, k, sub);
			close(fd);
			continue;
		}
		if (orc_parse_name(name, &id, &gen) || !S_ISREG(st.st_mode)) {
			orc_anomaly(v, ORC_A_UNKNOWN, rel,
				    "not a name of the workload");
			continue;
		}
		if (id >= v->m.nr_files || gen >= v->m.f[id].nr_gens ||
		    v->m.f[id].gen_dir[gen] != dir) {
			orc_anomaly(v, ORC_A_UNKNOWN, rel,
				    "a name the workload never gave a file");
			continue;
		}
		v->anom[ORC_A_FILES]++;
		if (v->m.f[id].found++)
			orc_anomaly(v, ORC_A_DUPLICATE, rel,
				    "file %" PRIu32 " found under another name too",
				    id);
		if (!v->m.f[id].live)
			orc_anomaly(v, ORC_A_RESURRECTED, rel,
				    "file %" PRIu32 " was unlinked", id);
		else if (gen != v->m.f[id].gen)
			orc_anomaly(v, ORC_A_OLDNAME, rel,
				    "file %" PRIu32 " was renamed to gen %" PRIu32,
				    id, v->m.f[id].gen);
		orc_verify_file(v, dirfd, name, rel, id);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* What verify made of oracle.meta. */
enum orc_meta_state { ORC_META_OK, ORC_META_NONE, ORC_META_BAD, ORC_META_EIO };

/*
 * Decide the options: the command line, and oracle.meta for what it does
 * not give.  After a crash oracle.meta may hold stale data (another run's
 * block) like any other file: a meta that disagrees with a given option,
 * or is garbled, is reported (badmeta, exit 3) and the command line wins.
 * -1 only when there is no seed to be had.
 */
static int orc_verify_opts(struct orc_args *a, int dirfd,
			   enum orc_meta_state *ms, char *why, size_t wn)
{
	struct orc_opts mo = orc_defaults;
	int mgiven[ORC_NR_NUM] = { 0 }, r, i;

	why[0] = '\0';
	r = orc_meta_read(dirfd, &mo, mgiven);
	if (r == -ENOENT || r == -ENODATA) {
		*ms = ORC_META_NONE;
		snprintf(why, wn, r == -ENOENT ? "missing" :
			 "empty or all zeros");
	} else if (r == -EINVAL) {
		*ms = ORC_META_BAD;
		snprintf(why, wn, "not an oracle.meta (garbled or stale data)");
	} else if (r) {
		*ms = ORC_META_EIO;
		snprintf(why, wn, "read: %s", strerror(-r));
	} else {
		*ms = ORC_META_OK;
	}
	if (*ms != ORC_META_OK) {
		if (!a->given[ORC_O_SEED]) {
			fprintf(stderr, "crashtest verify: no --seed, and %s/%s is %s\n",
				a->dir, ORC_META, why);
			return -1;
		}
		if (*ms != ORC_META_NONE)
			fprintf(stderr, "crashtest verify: warning: %s/%s: %s\n",
				a->dir, ORC_META, why);
		return 0;
	}
	for (i = 0; i < ORC_NR_NUM; i++) {
		if (!mgiven[i])
			continue;
		if (!a->given[i]) {	/* fsync-every too: what was durable */
			*orc_field(&a->o, i) = *orc_field(&mo, i);
			continue;
		}
		if (!orc_numopts[i].state)
			continue;
		if (*orc_field(&a->o, i) != *orc_field(&mo, i) && !why[0]) {
			*ms = ORC_META_BAD;
			snprintf(why, wn, "says %s %" PRIu64 ", the command line %" PRIu64 " (a stale oracle.meta, or the wrong option)",
				 orc_numopts[i].name, *orc_field(&mo, i),
				 *orc_field(&a->o, i));
			fprintf(stderr, "crashtest verify: warning: --%s %" PRIu64 " but %s/%s says %" PRIu64 ": verifying with %" PRIu64 "\n",
				orc_numopts[i].name, *orc_field(&a->o, i),
				a->dir, ORC_META, *orc_field(&mo, i),
				*orc_field(&a->o, i));
		}
	}
	return 0;
}

/* Is there anything of a workload in DIR (when oracle.meta is missing)? */
static int orc_looks_like_workload(int dirfd)
{
	char **names;
	size_t n, i, others = 0, ours = 0;
	uint32_t id, gen;

	if (orc_read_dir(dirfd, &names, &n))
		ours = 1;	/* unreadable: let the walk report it */
	for (i = 0; i < n; i++) {
		if (!orc_parse_name(names[i], &id, &gen) ||
		    orc_parse_dir(names[i]) || !strcmp(names[i], ORC_META))
			ours++;
		else if (strcmp(names[i], "lost+found"))
			others++;
		free(names[i]);
	}
	free(names);
	return ours || !others;
}

/* How many of n noted items were kept (all with -v). */
static size_t orc_listed(const struct orc_verify *v, size_t n)
{
	return v->verbose || n < ORC_LIST_MAX ? n : ORC_LIST_MAX;
}

static void orc_json_str(const char *s)
{
	putchar('"');
	orc_put_name(s, 1);
	putchar('"');
}

/* A JSON list of blocks noted: "key": [{path, index, found}, ...]. */
static void orc_json_blocks(const struct orc_verify *v, const char *key,
			    const struct orc_note *l, size_t n)
{
	size_t i;

	printf(",\n \"%s\": [", key);
	for (i = 0; i < orc_listed(v, n); i++) {
		printf("%s\n  {\"path\": ", i ? "," : "");
		orc_json_str(l[i].path);
		printf(", \"index\": %" PRIu64 ", \"found\": ", l[i].index);
		orc_json_str(l[i].what);
		printf("}");
	}
	printf("]");
}

static void orc_report_json(const struct orc_verify *v, uint64_t total,
			    int status)
{
	size_t i;
	int k;

	printf("{\"seed\": %" PRIu64 ", \"blocks\": %" PRIu64, v->m.o.seed,
	       total);
	for (k = 0; k < ORC_NR_CLASS; k++)
		printf(", \"%s\": %" PRIu64, orc_class_name[k], v->cls[k]);
	for (k = 0; k < ORC_NR_ANOM; k++)
		printf(", \"%s\": %" PRIu64, orc_anom_info[k].name,
		       v->anom[k]);
	printf(", \"witness_op\": %" PRIu64 ", \"durable_syncs\": %" PRIu64,
	       v->dur.witness, v->dur.syncs);
	printf(", \"exact\": %s, \"exit\": %d", v->exact ? "true" : "false",
	       status);
	orc_json_blocks(v, "wrong_blocks", v->wrong, v->nr_wrong);
	orc_json_blocks(v, "torn_blocks", v->torn, v->nr_torn);
	printf(",\n \"notes\": [");
	for (i = 0; i < orc_listed(v, v->nr_notes); i++) {
		printf("%s\n  {\"path\": ", i ? "," : "");
		orc_json_str(v->notes[i].path);
		if (v->notes[i].index != UINT64_MAX)
			printf(", \"index\": %" PRIu64, v->notes[i].index);
		printf(", \"what\": ");
		orc_json_str(v->notes[i].what);
		printf("}");
	}
	printf("]}\n");
}

/* "TAG path block N: what" lines, then "TAG ... K more". */
static void orc_text_blocks(const struct orc_verify *v, const char *tag,
			    const struct orc_note *l, size_t n)
{
	size_t i;

	for (i = 0; i < orc_listed(v, n); i++) {
		printf("%s ", tag);
		orc_put_name(l[i].path, 0);
		printf(" block %" PRIu64 ": %s\n", l[i].index, l[i].what);
	}
	if (n > ORC_LIST_MAX && !v->verbose)
		printf("%s ... %zu more (-v lists all)\n", tag,
		       n - ORC_LIST_MAX);
}

static void orc_report(const struct orc_verify *v, int status)
{
	uint64_t total = 0;
	size_t i;
	int k;

	for (k = 0; k < ORC_NR_CLASS; k++)
		total += v->cls[k];
	if (v->json) {
		orc_report_json(v, total, status);
		return;
	}
	for (i = 0; i < orc_listed(v, v->nr_notes); i++) {
		printf("note ");
		orc_put_name(v->notes[i].path, 0);
		if (v->notes[i].index != UINT64_MAX)
			printf(" block %" PRIu64, v->notes[i].index);
		printf(": %s\n", v->notes[i].what);
	}
	if (v->nr_notes > ORC_LIST_MAX && !v->verbose)
		printf("note ... %zu more (-v lists all)\n",
		       v->nr_notes - ORC_LIST_MAX);
	orc_text_blocks(v, "TORN", v->torn, v->nr_torn);
	orc_text_blocks(v, "WRONG", v->wrong, v->nr_wrong);
	if (v->dur.witness)
		printf("durable: the latest data found is of op %" PRIu64 "; the %" PRIu64 " syncs before it made their data durable\n",
		       v->dur.witness, v->dur.syncs);
	printf("verify: seed %" PRIu64 ": blocks %" PRIu64, v->m.o.seed, total);
	for (k = 0; k < ORC_NR_CLASS; k++)
		printf(" %s %" PRIu64, k == ORC_WRONG ? "WRONG" :
		       k == ORC_TORN ? "TORN" : orc_class_name[k], v->cls[k]);
	printf(" |");
	for (k = 0; k < ORC_NR_ANOM; k++)
		printf(" %s %" PRIu64, orc_anom_info[k].name, v->anom[k]);
	printf(" | %s\n", status == ORC_EXIT_OK ? "ok" :
	       v->exact ? "not the exact final state" : "WRONG");
}

static int orc_verify_status(const struct orc_verify *v)
{
	int k;

	if (v->cls[ORC_WRONG])
		return ORC_EXIT_WRONG;
	for (k = 0; k < ORC_NR_ANOM; k++)
		if (k != ORC_A_FILES && v->anom[k] &&
		    (orc_anom_info[k].fail || v->exact))
			return ORC_EXIT_WRONG;
	if (v->exact && (v->cls[ORC_OLDER] || v->cls[ORC_ZEROS] ||
			 v->cls[ORC_IOERROR] || v->cls[ORC_TORN]))
		return ORC_EXIT_WRONG;
	return ORC_EXIT_OK;
}

static void orc_notes_free(const struct orc_verify *v, struct orc_note *l,
			   size_t n)
{
	size_t j;

	for (j = 0; j < orc_listed(v, n); j++) {
		free(l[j].path);
		free(l[j].what);
	}
	free(l);
}

/* After the walk: files and directories of the final state not found. */
static void orc_verify_missing(struct orc_verify *v)
{
	uint32_t i;

	for (i = 0; i < v->m.nr_files; i++) {
		char name[64];
		const struct orc_file *f = &v->m.f[i];

		if (!f->live || f->found)
			continue;
		orc_anomaly(v, ORC_A_MISSING,
			    orc_rel(name, sizeof(name), f->gen_dir[f->gen], i,
				    f->gen),
			    "file %" PRIu32 " not found", i);
	}
	for (i = 1; i <= v->m.o.dirs; i++) {
		char name[16];

		if (v->dir_found[i])
			continue;
		snprintf(name, sizeof(name), "d%" PRIu32, i);
		orc_anomaly(v, ORC_A_MISSING, name, "directory not found");
	}
}

/* The model, the floors (a first read of DIR), then the walk. */
static void orc_verify_run(struct orc_verify *v, const struct orc_opts *o,
			   int dirfd, enum orc_meta_state ms, const char *mwhy)
{
	uint32_t i;

	orc_model_build(&v->m, o);
	for (i = 0; i < v->m.nr_files; i++)
		v->m.f[i].seen = orc_zalloc(v->m.f[i].cap, sizeof(uint32_t));
	orc_scan_dir(v, dirfd, 0);
	orc_durable_floors(&v->m, &v->dur);
	if (ms == ORC_META_NONE)
		orc_anomaly(v, ORC_A_NOMETA, ORC_META, "%s", mwhy);
	else if (ms == ORC_META_BAD)
		orc_anomaly(v, ORC_A_BADMETA, ORC_META, "%s", mwhy);
	else if (ms == ORC_META_EIO)
		orc_anomaly(v, ORC_A_UNREADABLE, ORC_META, "%s", mwhy);
	orc_verify_dir(v, dirfd, 0, "");
	orc_verify_missing(v);
}

int oracle_verify_main(int argc, char **argv)
{
	struct orc_verify v;
	struct orc_args a;
	enum orc_meta_state ms;
	char mwhy[200];
	int r, dirfd, status;

	r = orc_parse_args(&a, argc, argv, 0);
	if (r)
		return r > 0 ? ORC_EXIT_OK : orc_usage("verify");
	if (orc_check_args(&a))
		return orc_usage("verify");
	dirfd = open(a.dir, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0) {
		fprintf(stderr, "crashtest verify: %s: %s\n", a.dir,
			strerror(errno));
		return ORC_EXIT_USAGE;
	}
	if (orc_verify_opts(&a, dirfd, &ms, mwhy, sizeof(mwhy))) {
		close(dirfd);
		return ORC_EXIT_USAGE;
	}
	if (ms != ORC_META_OK && !orc_looks_like_workload(dirfd)) {
		fprintf(stderr, "crashtest verify: %s is not a workload directory (no %s, no o<id>.<gen> files, no d<k> directories)\n",
			a.dir, ORC_META);
		close(dirfd);
		return ORC_EXIT_USAGE;
	}

	memset(&v, 0, sizeof(v));
	v.direct = a.direct;
	v.verbose = a.verbose;
	v.json = a.json;
	v.exact = a.exact;
	if (posix_memalign((void **)&v.buf, 4096, a.o.block_size) ||
	    posix_memalign((void **)&v.want, 4096, a.o.block_size)) {
		fprintf(stderr, "crashtest verify: out of memory\n");
		close(dirfd);
		free(v.buf);
		return ORC_EXIT_USAGE;
	}
	orc_verify_run(&v, &a.o, dirfd, ms, mwhy);
	close(dirfd);
	status = orc_verify_status(&v);
	orc_report(&v, status);
	fflush(stdout);

	orc_notes_free(&v, v.wrong, v.nr_wrong);
	orc_notes_free(&v, v.torn, v.nr_torn);
	orc_notes_free(&v, v.notes, v.nr_notes);
	free(v.buf);
	free(v.want);
	orc_model_free(&v.m);
	return status;
}
