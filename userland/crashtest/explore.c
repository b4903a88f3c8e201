// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest explore: build crash states from a record, check each, count.
 *
 * Every worker thread owns one working image (a sparse copy of the base
 * on tmpfs).  For each state it takes the next id from the generator,
 * folds the state's writes into pieces, skips the state if an identical
 * image was already checked under the same model, writes the pieces,
 * stamps the file's mtime with a sentinel, runs the checker, and brings
 * the image back to the base: if the file's mtime, size and inode are
 * untouched the checker wrote nothing and rewriting the base over the
 * pieces suffices; otherwise the whole image is compared with the base
 * (through a read-only mapping, allocated ranges only) and what differs
 * is rewritten.  The generator, the duplicate sets and the counters are
 * shared under one lock; images and checks run in parallel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "check.h"
#include "ct.h"
#include "explore.h"
#include "rec.h"
#include "state.h"

#define CT_DUP_LIMIT	2000	/* consecutive duplicate draws: exhausted */
#define CT_SENTINEL_SEC	1	/* the mtime a working image gets before a check */

/* A set of 64-bit signatures (open addressing; 0 is stored apart). */
struct ct_sigset {
	uint64_t *v;
	size_t cap, nr;
	int has_zero;
};

static int ct_sigset_add(struct ct_sigset *s, uint64_t sig)
{
	size_t i, cap;
	uint64_t *old;

	if (!sig) {
		if (s->has_zero)
			return 0;
		s->has_zero = 1;
		return 1;
	}
	if ((s->nr + 1) * 2 > s->cap) {
		old = s->v;
		cap = s->cap;
		s->cap = cap ? cap * 2 : 1024;
		s->v = calloc(s->cap, sizeof(*s->v));
		if (!s->v) {
			s->v = old;
			s->cap = cap;
			return -ENOMEM;
		}
		s->nr = 0;
		for (i = 0; i < cap; i++)
			if (old[i])
				ct_sigset_add(s, old[i]);
		free(old);
	}
	for (i = sig & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == sig)
			return 0;
	s->v[i] = sig;
	s->nr++;
	return 1;
}

struct ct_fail {
	uint64_t index;		/* order in which the state was started */
	char id[96];
	int cls;
	char detail[256];
};

struct ct_explore {
	/* options */
	const char *dir;
	uint64_t max_states;	/* 0: no limit */
	double budget;		/* seconds; 0: none */
	int jobs;
	int models[2];
	int nr_models;
	struct ct_state_id params;	/* has_seed/seed, has_window/window */
	struct ct_checker ck;
	const char *results_path;
	const char *keep_logs;
	const char *workparent;
	unsigned int show;
	int quiet;
	int paranoid;		/* full compare after each state: must find nothing */

	struct ct_rec rec;
	char workdir[PATH_MAX];
	double t0;

	/* lock guards everything below */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct ct_gen gen;
	struct ct_sigset seen[2];
	uint64_t dup_run;	/* consecutive duplicates */
	uint64_t dups;
	uint64_t started, done;
	uint64_t restores_full, restores_quick;
	double t_build, t_apply, t_check, t_restore;	/* worker seconds */
	int exhausted, stop, running;
	uint64_t counts[2][CT_NR_CLASSES];
	struct ct_fail *fails;
	size_t nr_fails, cap_fails;
	FILE *results;
	int fatal;
	char fatal_msg[600];
};

struct ct_worker {
	struct ct_explore *ex;
	int idx;
	pthread_t thread;
	char img[PATH_MAX];
	char out[PATH_MAX];
	int fd;
	const uint8_t *map;
	ino_t ino;
	struct ct_state st;
	struct ct_pieces pieces;
	struct ct_cover cover;
};

static volatile sig_atomic_t ct_interrupted;

static void ct_on_signal(int sig)
{
	ct_interrupted = sig;
}

/*
 * Whether a checker killed by  died of our own interruption: SIGINT,
 * SIGTERM or SIGHUP sent to our process group can reach a command in the
 * instant before it leaves the group.  Waits up to 0.2 s for the handler.
 */
static int ct_signalled(int sig)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int i;

	if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
		return 0;
	for (i = 0; i < 20 && !ct_interrupted; i++)
		nanosleep(&nap, NULL);
	return ct_interrupted != 0;
}

static const char *const ct_class_keys[CT_NR_CLASSES] = {
	"clean", "repaired", "unrecoverable", "mount_failed", "wrong_data",
	"checker_crashed",
};

static void ct_fatal(struct ct_explore *ex, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the first fatal error and stops everything (lock held). */
static void ct_fatal(struct ct_explore *ex, const char *fmt, ...)
{
	va_list ap;

	if (!ex->fatal) {
		ex->fatal = 1;
		va_start(ap, fmt);
		vsnprintf(ex->fatal_msg, sizeof(ex->fatal_msg), fmt, ap);
		va_end(ap);
	}
	ex->stop = 1;
}

/* (Re)creates the worker's image: a sparse copy of the base. */
static int ct_worker_image(struct ct_worker *w)
{
	struct ct_explore *ex = w->ex;
	struct stat st;
	int ret;

	if (w->map)
		munmap((void *)w->map, ex->rec.base.size);
	w->map = NULL;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->img);
	w->fd = open(w->img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	ret = ct_image_copy_base(w->fd, &ex->rec.base, 0);
	if (ret)
		return ret;
	if (fstat(w->fd, &st))
		return -errno;
	w->ino = st.st_ino;
	w->map = mmap(NULL, ex->rec.base.size, PROT_READ, MAP_SHARED, w->fd, 0);
	if (w->map == MAP_FAILED) {
		w->map = NULL;
		return -errno;
	}
	return 0;
}

/* Takes the next new state into w->st / w->pieces (lock held). */
static int ct_next_state(struct ct_worker *w, uint64_t *index)
{
	struct ct_explore *ex = w->ex;
	struct ct_state_id id;
	char err[256];
	int ret;

	for (;;) {
		if (ex->stop || ex->exhausted)
			return -ENOENT;
		if (ex->max_states && ex->started >= ex->max_states)
			return -ENOENT;
		if (ct_gen_next(&ex->gen, &id)) {
			ex->exhausted = 1;
			return -ENOENT;
		}
		ret = ct_state_build(&ex->rec.sp, &id, &w->st, err, sizeof(err));
		if (ret) {
			ct_fatal(ex, "%s", err);
			return ret;
		}
		ret = ct_pieces_build(&ex->rec.sp, &w->st, &w->cover, &w->pieces);
		if (ret) {
			ct_fatal(ex, "out of memory building a state");
			return ret;
		}
		ret = ct_sigset_add(&ex->seen[id.model], w->pieces.sig);
		if (ret < 0) {
			ct_fatal(ex, "out of memory for the set of states seen");
			return ret;
		}
		if (ret) {
			ex->dup_run = 0;
			*index = ex->started++;
			return 0;
		}
		ex->dups++;
		if (++ex->dup_run >= CT_DUP_LIMIT * (uint64_t)ex->nr_models) {
			ex->exhausted = 1;
			return -ENOENT;
		}
	}
}

/* Brings the image back to the base after a check. */
static int ct_worker_restore(struct ct_worker *w, int *full)
{
	struct ct_explore *ex = w->ex;
	uint64_t fixed;
	struct stat st;

	*full = 0;
	if (stat(w->img, &st) || st.st_ino != w->ino) {
		/* Removed or replaced by the checker: start again. */
		*full = 1;
		return ct_worker_image(w);
	}
	if ((uint64_t)st.st_size != ex->rec.base.size) {
		if (ftruncate(w->fd, ex->rec.base.size))
			return -errno;
		*full = 1;
	}
	if (st.st_mtim.tv_sec != CT_SENTINEL_SEC || st.st_mtim.tv_nsec)
		*full = 1;
	if (!*full)
		return ct_pieces_undo(w->fd, &ex->rec.base, &w->pieces);
	return ct_image_restore(w->fd, w->map, &ex->rec.base, &fixed);
}

static void ct_keep_log(struct ct_worker *w, const char *id)
{
	char path[PATH_MAX], buf[65536];
	int in, out;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s.log", w->ex->keep_logs, id);
	in = open(w->out, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		close(out);
	}
	close(in);
}

static void ct_record_result(struct ct_worker *w, uint64_t index,
			     const char *id, int cls, const char *detail)
{
	struct ct_explore *ex = w->ex;
	char desc[160];
	struct ct_fail *f;

	ex->done++;
	ex->counts[w->st.id.model][cls]++;
	if (ex->results) {
		ct_state_describe(&w->st, desc, sizeof(desc));
		fprintf(ex->results, "%s %s %s; %s\n", id, ct_class_keys[cls],
			detail, desc);
	}
	if (cls == CT_CLEAN)
		return;
	if (ex->nr_fails == ex->cap_fails) {
		ex->cap_fails = ex->cap_fails ? ex->cap_fails * 2 : 64;
		f = realloc(ex->fails, ex->cap_fails * sizeof(*f));
		if (!f) {
			ct_fatal(ex, "out of memory");
			return;
		}
		ex->fails = f;
	}
	f = &ex->fails[ex->nr_fails++];
	f->index = index;
	f->cls = cls;
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->detail, sizeof(f->detail), "%.255s", detail);
}

static void *ct_worker_main(void *arg)
{
	struct ct_worker *w = arg;
	struct ct_explore *ex = w->ex;
	struct timespec ts[2] = { { CT_SENTINEL_SEC, 0 }, { CT_SENTINEL_SEC, 0 } };
	struct ct_check_ctx ctx;
	char id[96], detail[512];
	uint64_t index, fixed;
	int ret, cls, full, fd;
	double t0, t1, t2, t3;

	ret = ct_worker_image(w);
	pthread_mutex_lock(&ex->lock);
	if (ret)
		ct_fatal(ex, "%s: cannot create the working image: %s", w->img,
			 strerror(-ret));
	for (;;) {
		t0 = ct_now();
		if (ct_next_state(w, &index))
			break;
		ex->t_build += ct_now() - t0;
		ct_id_format(&ex->rec.sp, &w->st.id, id, sizeof(id));
		pthread_mutex_unlock(&ex->lock);

		t0 = ct_now();
		ret = ct_pieces_apply(w->fd, &w->pieces);
		if (!ret && futimens(w->fd, ts))
			ret = -errno;
		fd = open(w->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		if (ret) {
			pthread_mutex_lock(&ex->lock);
			ct_fatal(ex, "%s: cannot write state %s: %s%s", w->img, id,
				 strerror(-ret), ret == -ENOSPC ?
				 " (give --workdir a file system with more room, or fewer -j)" : "");
			break;
		}
		ctx.img = w->img;
		ctx.id = id;
		ctx.dir = ex->dir;
		ctx.out = w->out;
		ctx.worker = w->idx;
		ctx.term_sig = 0;
		t1 = ct_now();
		cls = ct_check(&ex->ck, &ctx, detail, sizeof(detail));
		t2 = ct_now();
		if (cls == CT_CHECKER_CRASHED && ct_signalled(ctx.term_sig))
			cls = -EINTR;
		if (cls >= 0 && cls != CT_CLEAN && ex->keep_logs)
			ct_keep_log(w, id);
		ret = ct_worker_restore(w, &full);
		if (!ret && ex->paranoid) {
			ret = ct_image_restore(w->fd, w->map, &ex->rec.base, &fixed);
			if (!ret && fixed)
				ret = -EILSEQ;
		}
		t3 = ct_now();
		pthread_mutex_lock(&ex->lock);
		ex->t_apply += t1 - t0;
		ex->t_check += t2 - t1;
		ex->t_restore += t3 - t2;
		if (cls == -EINTR) {
			ex->started--;
			break;
		}
		if (full)
			ex->restores_full++;
		else
			ex->restores_quick++;
		if (cls < 0) {
			ct_fatal(ex, "state %s: %s", id, detail);
			break;
		}
		if (ret) {
			ct_fatal(ex, "%s: cannot restore the working image after state %s: %s",
				 w->img, id, ret == -EILSEQ ?
				 "the restore left bytes different from the base" :
				 strerror(-ret));
			break;
		}
		ct_record_result(w, index, id, cls, detail);
	}
	ex->running--;
	pthread_cond_broadcast(&ex->idle);
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

static void ct_progress(struct ct_explore *ex, int final)
{
	double el = ct_now() - ex->t0, frac = 0, f;
	uint64_t done, fails;
	char bar[41];
	int i, n;

	pthread_mutex_lock(&ex->lock);
	done = ex->done;
	fails = ex->nr_fails;
	pthread_mutex_unlock(&ex->lock);
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	if (ex->max_states)
		frac = (double)done / ex->max_states;
	if (ex->budget) {
		f = el / ex->budget;
		if (f > frac)
			frac = f;
	}
	if (frac > 1)
		frac = 1;
	n = (int)(frac * 40);
	for (i = 0; i < 40; i++)
		bar[i] = i < n ? '#' : '.';
	bar[40] = 0;
	fprintf(stderr, "\r[%s] %3d%%  %llu states, %llu not clean, %.0f/min, %.0f s\033[K",
		bar, (int)(frac * 100), (unsigned long long)done,
		(unsigned long long)fails, el > 0 ? done * 60 / el : 0, el);
}

static int ct_fail_cmp(const void *a, const void *b)
{
	const struct ct_fail *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static void ct_summary(struct ct_explore *ex, double el)
{
	const struct ct_rec *r = &ex->rec;
	uint64_t tot[2] = { 0, 0 };
	size_t i, n;
	int c, m;

	printf("crashtest explore %s: %llu states checked in %.1f s (%.0f per minute), %d worker%s\n",
	       ex->dir, (unsigned long long)ex->done, el,
	       el > 0 ? ex->done * 60 / el : 0.0, ex->jobs, ex->jobs > 1 ? "s" : "");
	printf("  log: %zu records: %llu writes (%llu FUA), %llu flushes, %llu discards; %zu crash points, %zu epoch prefixes\n",
	       r->log.nr_ops, (unsigned long long)r->log.writes,
	       (unsigned long long)r->log.fuas, (unsigned long long)r->log.flushes,
	       (unsigned long long)r->log.discards, r->sp.nr_cand, r->sp.nr_prefix);
	printf("  seed %llu, ignore window %llu bytes, checker %s; %llu duplicate states skipped%s\n",
	       (unsigned long long)(ex->params.has_seed ? ex->params.seed : r->sp.seed),
	       (unsigned long long)(ex->params.has_window ? ex->params.window : r->sp.window),
	       ex->ck.e2fsck ? "e2fsck" : ex->ck.cmd, (unsigned long long)ex->dups,
	       ex->exhausted ? " (every distinct state was found)" : "");
	printf("  restores: %llu by the state's own pieces, %llu by a full compare\n",
	       (unsigned long long)ex->restores_quick,
	       (unsigned long long)ex->restores_full);
	if (ex->done)
		printf("  per state (worker time): build %.2f ms, apply %.2f ms, check %.2f ms, restore %.2f ms\n",
		       ex->t_build * 1e3 / ex->done, ex->t_apply * 1e3 / ex->done,
		       ex->t_check * 1e3 / ex->done, ex->t_restore * 1e3 / ex->done);
	printf("\n");
	printf("%-18s", "class");
	for (m = 0; m < ex->nr_models; m++)
		printf(" %8s", ct_model_name(ex->models[m]));
	printf("\n");
	for (c = 0; c < CT_NR_CLASSES; c++) {
		printf("%-18s", ct_class_names[c]);
		for (m = 0; m < ex->nr_models; m++) {
			printf(" %8llu",
			       (unsigned long long)ex->counts[ex->models[m]][c]);
			tot[m] += ex->counts[ex->models[m]][c];
		}
		printf("\n");
	}
	printf("%-18s", "total");
	for (m = 0; m < ex->nr_models; m++)
		printf(" %8llu", (unsigned long long)tot[m]);
	printf("\n");
	if (!ex->nr_fails)
		return;
	qsort(ex->fails, ex->nr_fails, sizeof(*ex->fails), ct_fail_cmp);
	n = ex->show && ex->show < ex->nr_fails ? ex->show : ex->nr_fails;
	printf("\nnot clean: %zu state%s", ex->nr_fails, ex->nr_fails > 1 ? "s" : "");
	if (n < ex->nr_fails)
		printf(", the first %zu%s", n,
		       ex->results_path ? " (all in the results file)" :
		       " (--show 0 or --results FILE for all)");
	printf("\n");
	for (i = 0; i < n; i++)
		printf("  %-24s %-16s %s\n", ex->fails[i].id,
		       ct_class_names[ex->fails[i].cls], ex->fails[i].detail);
}

static void ct_explore_usage(FILE *fp)
{
	fprintf(fp,
		"usage: crashtest explore DIR [-n STATES] [-t SECONDS] [-j JOBS] [-s SEED]\n"
		"         [--flush honor|ignore|both] [--window BYTES]\n"
		"         [--check e2fsck|'CMD'] [--timeout SECONDS] [--results FILE]\n"
		"         [--keep-logs DIR] [--workdir DIR] [--show N] [-q]\n"
		"Builds crash states from the record in DIR, checks each, prints a summary.\n"
		"Default: -n 1000 (when no -t), -j <cpus>, the record's seed and flush mode,\n"
		"--check e2fsck, --timeout 60.  See crashtest(8).\n");
}

static int ct_make_workdir(struct ct_explore *ex)
{
	const char *parent = ex->workparent;
	struct statvfs vfs;
	uint64_t need;

	if (!parent) {
		parent = getenv("TMPDIR");
		if (!access("/dev/shm", W_OK | X_OK))
			parent = "/dev/shm";
		else if (!parent)
			parent = "/tmp";
	}
	snprintf(ex->workdir, sizeof(ex->workdir), "%s/crashtest.XXXXXX", parent);
	if (!mkdtemp(ex->workdir)) {
		ct_err("%s: cannot make a working directory: %s", parent,
		       strerror(errno));
		ex->workdir[0] = 0;
		return -errno;
	}
	need = (ex->rec.base.data_bytes + ex->rec.log.write_bytes) * ex->jobs;
	if (!statvfs(ex->workdir, &vfs) &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
		ct_err("warning: %s has %llu MiB free; %d working images may need up to %llu MiB",
		       parent, (unsigned long long)vfs.f_bavail * vfs.f_frsize >> 20,
		       ex->jobs, (unsigned long long)need >> 20);
	return 0;
}

static void ct_remove_workdir(struct ct_explore *ex, struct ct_worker *w)
{
	int i;

	if (!ex->workdir[0])
		return;
	for (i = 0; w && i < ex->jobs; i++) {
		unlink(w[i].img);
		unlink(w[i].out);
	}
	if (rmdir(ex->workdir))
		ct_err("warning: cannot remove %s: %s", ex->workdir,
		       strerror(errno));
}

enum {
	OPT_FLUSH = 256, OPT_WINDOW, OPT_CHECK, OPT_TIMEOUT, OPT_RESULTS,
	OPT_KEEP_LOGS, OPT_WORKDIR, OPT_SHOW, OPT_PARANOID,
};

static const struct option ct_explore_opts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "time", required_argument, NULL, 't' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "seed", required_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "flush", required_argument, NULL, OPT_FLUSH },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "check", required_argument, NULL, OPT_CHECK },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "results", required_argument, NULL, OPT_RESULTS },
	{ "keep-logs", required_argument, NULL, OPT_KEEP_LOGS },
	{ "workdir", required_argument, NULL, OPT_WORKDIR },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "paranoid", no_argument, NULL, OPT_PARANOID },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The options that take a number or a size; usage for any other. */
static int ct_explore_opt_num(struct ct_explore *ex, int c)
{
	uint64_t v;

	switch (c) {
	case 'n':
		if (ct_parse_u64(optarg, &ex->max_states) || !ex->max_states) {
			ct_err("explore: -n wants a number of states > 0, not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		break;
	case 't':
		if (ct_parse_u64(optarg, &v) || !v || v > 1000000) {
			ct_err("explore: -t wants a number of seconds > 0, not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		ex->budget = v;
		break;
	case 'j':
		if (ct_parse_u64(optarg, &v) || !v || v > 64) {
			ct_err("explore: -j wants 1 to 64 workers, not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		ex->jobs = v;
		break;
	case 's':
		if (ct_parse_u64(optarg, &ex->params.seed)) {
			ct_err("explore: -s wants a number, not \"%s\"", optarg);
			return -EINVAL;
		}
		ex->params.has_seed = 1;
		break;
	case OPT_WINDOW:
		if (ct_parse_size(optarg, &ex->params.window)) {
			ct_err("explore: --window wants bytes (a K, M or G suffix is fine), not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		ex->params.has_window = 1;
		break;
	case OPT_TIMEOUT:
		if (ct_parse_u64(optarg, &v) || v > 86400) {
			ct_err("explore: --timeout wants seconds (0: none), not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		ex->ck.timeout = v;
		break;
	case OPT_SHOW:
		if (ct_parse_u64(optarg, &v) || v > UINT32_MAX) {
			ct_err("explore: --show wants a number, not \"%s\"", optarg);
			return -EINVAL;
		}
		ex->show = v;
		break;
	default:
		ct_explore_usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* One option @c (its argument in optarg); --flush's word into *@flush. */
static int ct_explore_opt(struct ct_explore *ex, int c, const char **flush)
{
	switch (c) {
	case 'q':
		ex->quiet = 1;
		break;
	case OPT_FLUSH:
		if (strcmp(optarg, "honor") && strcmp(optarg, "ignore") &&
		    strcmp(optarg, "both")) {
			ct_err("explore: --flush wants honor, ignore or both, not \"%s\"",
			       optarg);
			return -EINVAL;
		}
		*flush = optarg;
		break;
	case OPT_CHECK:
		if (!*optarg) {
			ct_err("explore: --check wants e2fsck or a command");
			return -EINVAL;
		}
		ex->ck.e2fsck = !strcmp(optarg, "e2fsck");
		ex->ck.cmd = ex->ck.e2fsck ? NULL : optarg;
		break;
	case OPT_RESULTS:
		ex->results_path = optarg;
		break;
	case OPT_KEEP_LOGS:
		ex->keep_logs = optarg;
		break;
	case OPT_WORKDIR:
		ex->workparent = optarg;
		break;
	case OPT_PARANOID:
		ex->paranoid = 1;
		break;
	case 'h':
		ct_explore_usage(stdout);
		exit(CT_EXIT_OK);
	default:
		return ct_explore_opt_num(ex, c);
	}
	return 0;
}

static int ct_explore_args(struct ct_explore *ex, int argc, char **argv)
{
	const char *flush = NULL;
	long ncpu;
	int c;

	ex->show = 20;
	ex->ck.e2fsck = 1;
	ex->ck.timeout = 60;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:t:j:s:qh", ct_explore_opts,
				NULL)) != -1) {
		if (ct_explore_opt(ex, c, &flush))
			return -EINVAL;
	}
	if (argc - optind != 1) {
		ct_err(argc - optind ? "explore: one record directory, please" :
		       "explore: which record? (crashtest explore DIR)");
		ct_explore_usage(stderr);
		return -EINVAL;
	}
	ex->dir = argv[optind];
	if (!ex->max_states && !ex->budget)
		ex->max_states = 1000;
	if (!ex->jobs) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		ex->jobs = ncpu > 0 ? (ncpu > 64 ? 64 : ncpu) : 1;
	}
	ex->nr_models = 1;
	if (flush && !strcmp(flush, "both")) {
		ex->models[0] = CT_MODEL_HONOR;
		ex->models[1] = CT_MODEL_IGNORE;
		ex->nr_models = 2;
	} else if (flush) {
		ex->models[0] = ct_model_parse(flush);
	} else {
		ex->models[0] = -1;	/* the record's, once it is loaded */
	}
	return 0;
}

/* The checker, the --keep-logs folder and the --results file. */
static int ct_explore_open(struct ct_explore *ex)
{
	char err[512];

	if (ct_checker_init(&ex->ck, err, sizeof(err))) {
		ct_err("explore: %s", err);
		return -1;
	}
	if (ex->keep_logs && access(ex->keep_logs, W_OK | X_OK)) {
		ct_err("explore: --keep-logs %s: %s", ex->keep_logs,
		       strerror(errno));
		return -1;
	}
	if (ex->results_path) {
		ex->results = fopen(ex->results_path, "w");
		if (!ex->results) {
			ct_err("explore: %s: %s", ex->results_path,
			       strerror(errno));
			return -1;
		}
		setvbuf(ex->results, NULL, _IOLBF, 0);
	}
	return 0;
}

/* The handlers ct_explore_start() replaced, for ct_explore_restore(). */
struct ct_sigsave {
	struct sigaction intr, term, hup;
};

/*
 * SIGINT, SIGTERM and SIGHUP caught by this thread; the workers started
 * (ex->jobs: how many did).
 */
static void ct_explore_start(struct ct_explore *ex, struct ct_worker *w,
			     struct ct_sigsave *old)
{
	struct sigaction sa = { 0 };
	sigset_t block, prev;
	int i, ret;

	sa.sa_handler = ct_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old->intr);
	sigaction(SIGTERM, &sa, &old->term);
	sigaction(SIGHUP, &sa, &old->hup);
	/* Workers leave signals to this thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &prev);

	ex->t0 = ct_now();
	for (i = 0; i < ex->jobs; i++) {
		w[i].ex = ex;
		w[i].idx = i;
		w[i].fd = -1;
		snprintf(w[i].img, sizeof(w[i].img), "%s/w%d.img", ex->workdir, i);
		snprintf(w[i].out, sizeof(w[i].out), "%s/w%d.out", ex->workdir, i);
		if (ct_cover_init(&w[i].cover, ex->rec.meta.dev_sectors)) {
			ct_err("explore: out of memory");
			break;
		}
		pthread_mutex_lock(&ex->lock);
		ex->running++;
		pthread_mutex_unlock(&ex->lock);
		ret = pthread_create(&w[i].thread, NULL, ct_worker_main, &w[i]);
		if (ret) {
			pthread_mutex_lock(&ex->lock);
			ex->running--;
			ct_fatal(ex, "cannot start a worker: %s", strerror(ret));
			pthread_mutex_unlock(&ex->lock);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &prev, NULL);
	ex->jobs = i;
}

/*
 * Until every worker is done: stops them at the time budget, on a signal
 * or a fatal error; progress on a terminal.  Returns the seconds taken.
 */
static double ct_explore_wait(struct ct_explore *ex, int tty)
{
	double last = 0, el;

	pthread_mutex_lock(&ex->lock);
	while (ex->running) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ex->idle, &ex->lock, &ts);
		el = ct_now() - ex->t0;
		if (ex->budget && el >= ex->budget)
			ex->stop = 1;
		if (ct_interrupted && !ex->stop) {
			ex->stop = 1;
			pthread_mutex_unlock(&ex->lock);
			ct_check_kill_all();
			pthread_mutex_lock(&ex->lock);
		}
		if (ex->fatal) {
			pthread_mutex_unlock(&ex->lock);
			ct_check_kill_all();
			pthread_mutex_lock(&ex->lock);
		}
		pthread_mutex_unlock(&ex->lock);
		ct_check_reap_timeouts();
		if (tty && el - last >= 0.2) {
			ct_progress(ex, 0);
			last = el;
		}
		pthread_mutex_lock(&ex->lock);
	}
	pthread_mutex_unlock(&ex->lock);
	return ct_now() - ex->t0;
}

static void ct_explore_restore(const struct ct_sigsave *old)
{
	sigaction(SIGINT, &old->intr, NULL);
	sigaction(SIGTERM, &old->term, NULL);
	sigaction(SIGHUP, &old->hup, NULL);
}

/* The summary and the exit status of a run that took @el seconds. */
static int ct_explore_report(struct ct_explore *ex, double el)
{
	int status;

	if (ex->fatal) {
		ct_err("explore: %s", ex->fatal_msg);
		if (ex->done)
			ct_summary(ex, el);
		status = CT_EXIT_ERROR;
	} else {
		ct_summary(ex, el);
		status = ex->nr_fails ? CT_EXIT_FAILING : CT_EXIT_OK;
		if (ct_interrupted) {
			ct_err("explore: interrupted after %llu states",
			       (unsigned long long)ex->done);
			status = 128 + ct_interrupted;
		}
	}
	if (!ex->done && !ex->fatal && !ct_interrupted)
		ct_err("explore: no state was checked");
	return status;
}

/* The workers' images and states, the working directory, the results. */
static void ct_explore_free_workers(struct ct_explore *ex, struct ct_worker *w)
{
	int i;

	for (i = 0; i < ex->jobs; i++) {
		if (w[i].map)
			munmap((void *)w[i].map, ex->rec.base.size);
		if (w[i].fd >= 0)
			close(w[i].fd);
		ct_state_free(&w[i].st);
		ct_pieces_free(&w[i].pieces);
		ct_cover_free(&w[i].cover);
	}
	ct_remove_workdir(ex, w);
	free(w);
	free(ex->fails);
	free(ex->seen[0].v);
	free(ex->seen[1].v);
	pthread_mutex_destroy(&ex->lock);
	pthread_cond_destroy(&ex->idle);
}

int ct_explore_main(int argc, char **argv)
{
	struct ct_explore ex = { 0 };
	struct ct_worker *w = NULL;
	struct ct_sigsave old;
	int i, status = CT_EXIT_ERROR, tty;
	double el;

	if (ct_explore_args(&ex, argc, argv))
		return CT_EXIT_ERROR;
	if (ct_rec_load(&ex.rec, ex.dir, 1))
		return CT_EXIT_ERROR;
	if (ex.models[0] < 0)
		ex.models[0] = ex.rec.meta.flush == CT_FLUSH_IGNORE ?
			       CT_MODEL_IGNORE : CT_MODEL_HONOR;
	if (ct_explore_open(&ex))
		goto out_rec;
	if (ct_gen_init(&ex.gen, &ex.rec.sp, ex.models, ex.nr_models,
			&ex.params)) {
		ct_err("explore: out of memory");
		goto out_rec;
	}
	if (ct_make_workdir(&ex))
		goto out_gen;
	w = calloc(ex.jobs, sizeof(*w));
	if (!w) {
		ct_err("explore: out of memory");
		goto out_gen;
	}
	pthread_mutex_init(&ex.lock, NULL);
	pthread_cond_init(&ex.idle, NULL);

	ct_explore_start(&ex, w, &old);
	tty = isatty(2) && !ex.quiet;
	el = ct_explore_wait(&ex, tty);
	for (i = 0; i < ex.jobs; i++)
		pthread_join(w[i].thread, NULL);
	if (tty)
		ct_progress(&ex, 1);
	ct_explore_restore(&old);

	status = ct_explore_report(&ex, el);
	ct_explore_free_workers(&ex, w);
out_gen:
	ct_gen_free(&ex.gen);
out_rec:
	if (ex.results && fclose(ex.results)) {
		ct_err("explore: %s: %s", ex.results_path, strerror(errno));
		status = CT_EXIT_ERROR;
	}
	ct_checker_free(&ex.ck);
	ct_rec_free(&ex.rec);
	return status;
}
