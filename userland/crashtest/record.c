// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest record: run a workload on a dm-noorder device with its write
 * log on, and keep what explore needs: DIR/base.img (the device before the
 * workload, sparse), DIR/log (every write, flush, FUA and discard the
 * workload caused, in submission order, with the data) and DIR/meta.
 *
 *   drain            the device's cache reaches the device below
 *   base.img         the device's contents, all-zero 4 KiB blocks skipped
 *   log clear, log on <limit>, log path
 *   a reader thread drains the debugfs log file into DIR/log
 *   CMD runs (environment: CRASHTEST_DEV, CRASHTEST_DIR, CRASHTEST_SEED)
 *   log off, the reader reads the rest, DIR/meta is written
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"
#include "dm_status.h"
#include "dmmsg.h"
#include "explore.h"
#include "log.h"
#include "meta.h"

#define CT_DEFAULT_LIMIT_MB	256
#define CT_NOORDER_CACHE_MB	64	/* dm-noorder's default cache_mb */
#define CT_DEBUGFS		"/sys/kernel/debug"

struct ct_reader {
	int in, out;		/* the debugfs log file, DIR/log */
	int stop;		/* set once the log is off: read to the end */
	int err;		/* errno of a failed read or write */
	int overflow;		/* the log hit its limit (ENOSPC) */
	uint64_t bytes;
	pthread_t thread;
};

static void *ct_reader_main(void *arg)
{
	struct ct_reader *r = arg;
	struct timespec nap = { 0, 2 * 1000 * 1000 };
	static char buf[1 << 20];
	ssize_t n;
	int stopping, ret;

	for (;;) {
		stopping = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
		n = read(r->in, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSPC)
				r->overflow = 1;
			else
				r->err = errno;
			return NULL;
		}
		if (n) {
			ret = ct_pwrite_all(r->out, buf, n, r->bytes);
			if (ret) {
				r->err = -ret;
				return NULL;
			}
			r->bytes += n;
			continue;
		}
		if (stopping)
			return NULL;
		nanosleep(&nap, NULL);
	}
}

/* The debugfs mount point; mounts it on /sys/kernel/debug if need be. */
static int ct_debugfs(char *mnt, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64];
	FILE *fp;

	fp = fopen("/proc/self/mounts", "r");
	if (fp) {
		while (fscanf(fp, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
			if (!strcmp(type, "debugfs")) {
				fclose(fp);
				snprintf(mnt, len, "%s", dir);
				return 0;
			}
		}
		fclose(fp);
	}
	if (mount("none", CT_DEBUGFS, "debugfs", 0, NULL)) {
		ct_err("record: debugfs is not mounted, and mounting it failed (%s): mount it (mount -t debugfs none %s)",
		       strerror(errno), CT_DEBUGFS);
		return -ENOENT;
	}
	ct_err("record: mounted debugfs on %s", CT_DEBUGFS);
	snprintf(mnt, len, "%s", CT_DEBUGFS);
	return 0;
}

/* The word @n (0-based) of @s, into @out. */
static int ct_word(const char *s, int n, char *out, size_t len)
{
	size_t l;

	for (;;) {
		s += strspn(s, " ");
		if (!*s)
			return -1;
		l = strcspn(s, " ");
		if (!n--) {
			snprintf(out, len, "%.*s", (int)l, s);
			return 0;
		}
		s += l;
	}
}

/* Copies @dev into @path (sparse); its size and CRC. */
static int ct_copy_device(const char *dev, const char *path, uint64_t size,
			  uint32_t *crc)
{
	static const uint8_t zero[4096];
	uint64_t off = 0, len, b;
	uint8_t *buf = NULL;
	int in, out = -1, ret = -1;
	ssize_t n;

	in = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (in < 0)
		in = open(dev, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ct_err("record: %s: %s", dev, strerror(errno));
		return -1;
	}
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || ftruncate(out, size)) {
		ct_err("record: %s: %s", path, strerror(errno));
		goto out;
	}
	if (posix_memalign((void **)&buf, 4096, 1 << 20)) {
		ct_err("record: out of memory");
		goto out;
	}
	*crc = 0;
	while (off < size) {
		len = size - off < (1 << 20) ? size - off : (1 << 20);
		n = pread(in, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ct_err("record: %s: reading at byte %llu: %s", dev,
			       (unsigned long long)off,
			       n < 0 ? strerror(errno) : "unexpected end of device");
			goto out;
		}
		*crc = ct_crc32c(*crc, buf, n);
		for (b = 0; b < (uint64_t)n; b += 4096) {
			len = n - b < 4096 ? n - b : 4096;
			if (!memcmp(buf + b, zero, len))
				continue;
			if (ct_pwrite_all(out, buf + b, len, off + b)) {
				ct_err("record: %s: %s", path, strerror(errno));
				goto out;
			}
		}
		off += n;
	}
	if (fsync(out)) {
		ct_err("record: %s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(buf);
	if (out >= 0)
		close(out);
	close(in);
	return ret;
}

static int ct_msg(const char *dev, const char *msg, char **reply)
{
	char err[512];

	if (dmm_message(dev, msg, reply, err, sizeof(err))) {
		ct_err("record: %s", err);
		return -1;
	}
	return 0;
}

static void ct_record_usage(FILE *fp)
{
	fprintf(fp,
		"usage: crashtest record -d DEV -o DIR [--limit-mb N] [--seed N] [--force]\n"
		"                        -- CMD [ARGS...]\n"
		"Runs CMD with dm-noorder's write log on for DEV (a noorder device) and\n"
		"saves DIR/base.img, DIR/log and DIR/meta for crashtest explore.\n"
		"CMD gets CRASHTEST_DEV, CRASHTEST_DIR and CRASHTEST_SEED.  See crashtest(8).\n");
}

static char *ct_join_quoted(char **argv)
{
	size_t len = 1, i;
	char q[4096 * 4 + 3], *s;

	for (i = 0; argv[i]; i++) {
		ct_shell_quote(argv[i], q, sizeof(q));
		len += strlen(q) + 1;
	}
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; argv[i]; i++) {
		ct_shell_quote(argv[i], q, sizeof(q));
		if (i)
			strcat(s, " ");
		strcat(s, q);
	}
	for (i = 0; s[i]; i++)
		if (s[i] == '\n')
			s[i] = ' ';
	return s;
}

/* One record: what the steps of ct_record_main share. */
struct ct_rec {
	const char *dev, *dir;
	char **cmd;		/* the workload: CMD ARGS..., NULL-terminated */
	uint64_t limit, seed;
	int force;
	struct dmm_target tbl, sts;
	struct ct_reader rd;
	struct ct_meta m;
	struct ct_log log;
	char mnt[PATH_MAX];	/* debugfs; then the table line for meta */
	char path[PATH_MAX];	/* DIR/log once the reader runs */
	char *reply;		/* the reply to "log path" */
	int reader_started, log_on;
	double t0;		/* when the workload started */
};

/*
 * The options into @r; the seed drawn when none was given.  Returns 0 to go
 * on, or 1 with the exit status in *@status.
 */
static int ct_record_args(int argc, char **argv, struct ct_rec *r,
			  int *status)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "limit-mb", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, have_seed = 0;

	*status = CT_EXIT_ERROR;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:o:s:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			r->dev = optarg;
			break;
		case 'o':
			r->dir = optarg;
			break;
		case 'l':
			if (ct_parse_u64(optarg, &r->limit) || !r->limit ||
			    r->limit > (1 << 20)) {
				ct_err("record: --limit-mb wants 1 to 1048576 (MiB), not \"%s\"",
				       optarg);
				return 1;
			}
			break;
		case 's':
			if (ct_parse_u64(optarg, &r->seed)) {
				ct_err("record: --seed wants a number, not \"%s\"", optarg);
				return 1;
			}
			have_seed = 1;
			break;
		case 'f':
			r->force = 1;
			break;
		case 'h':
			ct_record_usage(stdout);
			*status = CT_EXIT_OK;
			return 1;
		default:
			ct_record_usage(stderr);
			return 1;
		}
	}
	if (!r->dev || !r->dir || optind >= argc) {
		ct_err(!r->dev ? "record: which device? (-d /dev/mapper/NAME)" :
		       !r->dir ? "record: where to? (-o DIR)" :
		       "record: which workload? (-- CMD ARGS...)");
		ct_record_usage(stderr);
		return 1;
	}
	r->cmd = argv + optind;
	if (!have_seed) {
		if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) !=
		    sizeof(r->seed))
			r->seed = time(NULL) ^ getpid();
		r->seed &= 0xffffffffULL;
	}
	return 0;
}

/* The device: one noorder target, live; its flush mode and cache size. */
static int ct_record_device(struct ct_rec *r)
{
	const char *dev = r->dev;
	char err[512], word[64];
	uint64_t v;
	int i;

	if (dmm_target(dev, 0, &r->tbl, err, sizeof(err))) {
		ct_err("record: %s", err);
		return -1;
	}
	if (strcmp(r->tbl.type, "noorder")) {
		ct_err("record: %s is a \"%s\" device, not noorder: crashtest records through dm-noorder's write log",
		       dev, r->tbl.type);
		return -1;
	}
	if (dmm_target(dev, 1, &r->sts, err, sizeof(err))) {
		ct_err("record: %s", err);
		return -1;
	}
	if (ct_word(r->sts.params, NORD_STATUS_flush, word, sizeof(word)) ||
	    (strcmp(word, "honor") && strcmp(word, "ignore"))) {
		ct_err("record: %s: cannot read the flush mode in its status \"%s\" (a different dm-noorder version?)",
		       dev, r->sts.params);
		return -1;
	}
	r->m.flush = !strcmp(word, "honor") ? CT_FLUSH_HONOR : CT_FLUSH_IGNORE;
	if (!ct_word(r->sts.params, NORD_STATUS_crash_state, word, sizeof(word)) &&
	    strcmp(word, "live")) {
		ct_err("record: %s is %s: revive it first (dmsetup message %s 0 revive)",
		       dev, word, dev);
		return -1;
	}
	r->m.cache_mb = CT_NOORDER_CACHE_MB;
	for (i = 3; !ct_word(r->tbl.params, i, word, sizeof(word)); i++) {
		if (!strcmp(word, "cache_mb") &&
		    !ct_word(r->tbl.params, i + 1, word, sizeof(word)) &&
		    !ct_parse_u64(word, &v))
			r->m.cache_mb = v;
	}
	if (dmm_open_count(dev, err, sizeof(err)) > 0)
		ct_err("record: warning: %s is open (mounted?): the base image is what the device holds now, and the workload must start from it",
		       dev);
	if (ct_debugfs(r->mnt, sizeof(r->mnt)))
		return -1;
	return 0;
}

/* The output directory, refused when it holds a record unless --force. */
static int ct_record_outdir(struct ct_rec *r)
{
	char path[PATH_MAX];
	struct stat st;

	if (mkdir(r->dir, 0755) && errno != EEXIST) {
		ct_err("record: %s: %s", r->dir, strerror(errno));
		return -1;
	}
	if (stat(r->dir, &st) || !S_ISDIR(st.st_mode)) {
		ct_err("record: %s: not a directory", r->dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/meta", r->dir);
	if (!r->force && !access(path, F_OK)) {
		ct_err("record: %s already holds a record (--force to replace it)",
		       r->dir);
		return -1;
	}
	unlink(path);
	return 0;
}

/* The base image, after everything cached reached the device below. */
static int ct_record_base(struct ct_rec *r)
{
	char path[PATH_MAX];
	int fd;

	fd = open(r->dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		ct_err("record: %s: %s", r->dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (ct_msg(r->dev, "drain", NULL))
		return -1;
	r->m.dev_sectors = r->tbl.length;
	r->m.base_bytes = r->tbl.length * 512;
	snprintf(path, sizeof(path), "%s/base.img", r->dir);
	return ct_copy_device(r->dev, path, r->m.base_bytes, &r->m.base_crc);
}

/* The log on, and a reader thread draining it into DIR/log. */
static int ct_record_log_start(struct ct_rec *r)
{
	char msg[64], *path = r->path;
	size_t len = sizeof(r->path);
	int ret;

	snprintf(msg, sizeof(msg), "log on %llu", (unsigned long long)r->limit);
	if (ct_msg(r->dev, "log clear", NULL) || ct_msg(r->dev, msg, NULL))
		return -1;
	r->log_on = 1;
	if (ct_msg(r->dev, "log path", &r->reply))
		return -1;
	if ((size_t)snprintf(path, len, "%s/%s", r->mnt, r->reply) >= len) {
		ct_err("record: the log path %s/%s is too long", r->mnt, r->reply);
		return -1;
	}
	r->rd.in = open(path, O_RDONLY | O_CLOEXEC);
	if (r->rd.in < 0) {
		ct_err("record: the log file %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, len, "%s/log", r->dir);
	r->rd.out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (r->rd.out < 0) {
		ct_err("record: %s: %s", path, strerror(errno));
		return -1;
	}
	ret = pthread_create(&r->rd.thread, NULL, ct_reader_main, &r->rd);
	if (ret) {
		ct_err("record: cannot start the log reader: %s", strerror(ret));
		return -1;
	}
	r->reader_started = 1;
	return 0;
}

/*
 * CMD, with SIGINT and SIGQUIT ignored here while it runs; its exit status
 * (128 + signal when killed, -1 when it could not be forked) into meta.
 */
static void ct_record_run(struct ct_rec *r)
{
	struct sigaction ign = { 0 }, old_int, old_quit;
	char env_seed[32];
	int wstatus;
	pid_t pid;

	r->t0 = ct_now();
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	snprintf(env_seed, sizeof(env_seed), "%llu", (unsigned long long)r->seed);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		setenv("CRASHTEST_DEV", r->dev, 1);
		setenv("CRASHTEST_DIR", r->dir, 1);
		setenv("CRASHTEST_SEED", env_seed, 1);
		execvp(r->cmd[0], r->cmd);
		ct_err("record: %s: %s", r->cmd[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		ct_err("record: fork: %s", strerror(errno));
		r->m.workload_status = -1;
	} else {
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		r->m.workload_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
				       128 + WTERMSIG(wstatus);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
}

/* The log off; the reader reads the rest; DIR/log complete and synced. */
static int ct_record_log_stop(struct ct_rec *r)
{
	if (ct_msg(r->dev, "log off", NULL))
		return -1;
	r->log_on = 0;
	__atomic_store_n(&r->rd.stop, 1, __ATOMIC_RELEASE);
	pthread_join(r->rd.thread, NULL);
	r->reader_started = 0;
	if (r->rd.overflow) {
		ct_err("record: the log overflowed: more than %llu MiB of log records waited to be read (--limit-mb %llu); the record is incomplete. Record again with a larger --limit-mb, or a smaller workload",
		       (unsigned long long)r->limit, (unsigned long long)r->limit);
		return -1;
	}
	if (r->rd.err) {
		ct_err("record: the log: %s", strerror(r->rd.err));
		return -1;
	}
	if (fsync(r->rd.out)) {
		ct_err("record: %s: %s", r->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Checks what we read, and describes it in DIR/meta. */
static int ct_record_meta(struct ct_rec *r)
{
	struct ct_meta *m = &r->m;
	char err[512], path[PATH_MAX], tbuf[64];
	time_t now;
	int ret;

	if (ct_log_open(r->path, m->dev_sectors, &r->log, err, sizeof(err))) {
		ct_err("record: the log read from %s is not valid (a dm-noorder bug?): %s",
		       r->dev, err);
		return -1;
	}
	m->device = (char *)r->dev;
	snprintf(r->mnt, sizeof(r->mnt), "%llu %llu %s %s",
		 (unsigned long long)r->tbl.start,
		 (unsigned long long)r->tbl.length, r->tbl.type, r->tbl.params);
	m->table = r->mnt;
	m->command = ct_join_quoted(r->cmd);
	now = time(NULL);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	m->created = tbuf;
	m->seed = r->seed;
	ct_meta_set_log(m, &r->log);
	snprintf(path, sizeof(path), "%s/meta", r->dir);
	ret = ct_meta_write(path, m, err, sizeof(err));
	free(m->command);
	m->command = NULL;
	m->created = NULL;
	if (ret) {
		ct_err("record: %s", err);
		return -1;
	}
	return 0;
}

/* The summary line; an error when the workload failed. */
static int ct_record_report(struct ct_rec *r)
{
	const struct ct_log *log = &r->log;
	int ws = r->m.workload_status;

	printf("crashtest record %s: %zu records (%llu writes, %llu MiB; %llu flushes, %llu FUA, %llu discards) in %.1f s, flush %s, seed %llu\n",
	       r->dir, log->nr_ops, (unsigned long long)log->writes,
	       (unsigned long long)(log->write_bytes >> 20),
	       (unsigned long long)log->flushes, (unsigned long long)log->fuas,
	       (unsigned long long)log->discards, ct_now() - r->t0,
	       ct_flush_name(r->m.flush), (unsigned long long)r->seed);
	if (ws) {
		ct_err("record: the workload failed (%s %lld); the record is complete but describes a failed run",
		       ws > 128 ? "killed by signal" : "exit status",
		       (long long)(ws > 128 ? ws - 128 : ws));
		return -1;
	}
	return 0;
}

/* Stops the reader and the log if still on; closes and frees. */
static void ct_record_cleanup(struct ct_rec *r)
{
	char err[512];

	if (r->reader_started) {
		__atomic_store_n(&r->rd.stop, 1, __ATOMIC_RELEASE);
		pthread_join(r->rd.thread, NULL);
	}
	if (r->log_on)
		dmm_message(r->dev, "log off", NULL, err, sizeof(err));
	if (r->rd.in >= 0)
		close(r->rd.in);
	if (r->rd.out >= 0)
		close(r->rd.out);
	ct_log_close(&r->log);
	free(r->reply);
	free(r->tbl.params);
	free(r->sts.params);
}

int ct_record_main(int argc, char **argv)
{
	struct ct_rec r = {
		.limit = CT_DEFAULT_LIMIT_MB,
		.rd = { .in = -1, .out = -1 },
	};
	int status;

	if (ct_record_args(argc, argv, &r, &status))
		return status;
	status = CT_EXIT_ERROR;
	if (ct_record_device(&r) || ct_record_outdir(&r) ||
	    ct_record_base(&r) || ct_record_log_start(&r))
		goto out;
	ct_record_run(&r);
	if (ct_record_log_stop(&r) || ct_record_meta(&r) ||
	    ct_record_report(&r))
		goto out;
	status = CT_EXIT_OK;
out:
	ct_record_cleanup(&r);
	return status;
}
