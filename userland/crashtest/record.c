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

int ct_record_main(int argc, char **argv)
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
	const char *dev = NULL, *dir = NULL;
	uint64_t limit = CT_DEFAULT_LIMIT_MB, seed = 0, v;
	int c, force = 0, have_seed = 0, status = CT_EXIT_ERROR, wstatus, ret;
	struct dmm_target tbl = { 0 }, sts = { 0 };
	struct ct_reader rd = { .in = -1, .out = -1 };
	struct ct_meta m = { 0 };
	struct ct_log log = { 0 };
	char err[512], path[PATH_MAX], mnt[PATH_MAX], word[64], msg[64];
	char *reply = NULL, tbuf[64], env_seed[32];
	struct sigaction ign = { 0 }, old_int, old_quit;
	int reader_started = 0, log_on = 0;
	double t0;
	struct stat st;
	time_t now;
	pid_t pid;
	int fd;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:o:s:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'l':
			if (ct_parse_u64(optarg, &limit) || !limit || limit > (1 << 20)) {
				ct_err("record: --limit-mb wants 1 to 1048576 (MiB), not \"%s\"",
				       optarg);
				return CT_EXIT_ERROR;
			}
			break;
		case 's':
			if (ct_parse_u64(optarg, &seed)) {
				ct_err("record: --seed wants a number, not \"%s\"", optarg);
				return CT_EXIT_ERROR;
			}
			have_seed = 1;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			ct_record_usage(stdout);
			return CT_EXIT_OK;
		default:
			ct_record_usage(stderr);
			return CT_EXIT_ERROR;
		}
	}
	if (!dev || !dir || optind >= argc) {
		ct_err(!dev ? "record: which device? (-d /dev/mapper/NAME)" :
		       !dir ? "record: where to? (-o DIR)" :
		       "record: which workload? (-- CMD ARGS...)");
		ct_record_usage(stderr);
		return CT_EXIT_ERROR;
	}
	if (!have_seed) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
			seed = time(NULL) ^ getpid();
		seed &= 0xffffffffULL;
	}

	/* The device: one noorder target, live. */
	if (dmm_target(dev, 0, &tbl, err, sizeof(err))) {
		ct_err("record: %s", err);
		return CT_EXIT_ERROR;
	}
	if (strcmp(tbl.type, "noorder")) {
		ct_err("record: %s is a \"%s\" device, not noorder: crashtest records through dm-noorder's write log",
		       dev, tbl.type);
		goto out;
	}
	if (dmm_target(dev, 1, &sts, err, sizeof(err))) {
		ct_err("record: %s", err);
		goto out;
	}
	if (ct_word(sts.params, NORD_STATUS_flush, word, sizeof(word)) ||
	    (strcmp(word, "honor") && strcmp(word, "ignore"))) {
		ct_err("record: %s: cannot read the flush mode in its status \"%s\" (a different dm-noorder version?)",
		       dev, sts.params);
		goto out;
	}
	m.flush = !strcmp(word, "honor") ? CT_FLUSH_HONOR : CT_FLUSH_IGNORE;
	if (!ct_word(sts.params, NORD_STATUS_crash_state, word, sizeof(word)) && strcmp(word, "live")) {
		ct_err("record: %s is %s: revive it first (dmsetup message %s 0 revive)",
		       dev, word, dev);
		goto out;
	}
	m.cache_mb = CT_NOORDER_CACHE_MB;
	for (c = 3; !ct_word(tbl.params, c, word, sizeof(word)); c++) {
		if (!strcmp(word, "cache_mb") &&
		    !ct_word(tbl.params, c + 1, word, sizeof(word)) &&
		    !ct_parse_u64(word, &v))
			m.cache_mb = v;
	}
	ret = dmm_open_count(dev, err, sizeof(err));
	if (ret > 0)
		ct_err("record: warning: %s is open (mounted?): the base image is what the device holds now, and the workload must start from it",
		       dev);
	if (ct_debugfs(mnt, sizeof(mnt)))
		goto out;

	/* The output directory. */
	if (mkdir(dir, 0755) && errno != EEXIST) {
		ct_err("record: %s: %s", dir, strerror(errno));
		goto out;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		ct_err("record: %s: not a directory", dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/meta", dir);
	if (!force && !access(path, F_OK)) {
		ct_err("record: %s already holds a record (--force to replace it)", dir);
		goto out;
	}
	unlink(path);

	/* The base image, after everything cached reached the device below. */
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd)) {
		ct_err("record: %s: %s", dev, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (ct_msg(dev, "drain", NULL))
		goto out;
	m.dev_sectors = tbl.length;
	m.base_bytes = tbl.length * 512;
	snprintf(path, sizeof(path), "%s/base.img", dir);
	if (ct_copy_device(dev, path, m.base_bytes, &m.base_crc))
		goto out;

	/* The log, drained by a reader thread while CMD runs. */
	snprintf(msg, sizeof(msg), "log on %llu", (unsigned long long)limit);
	if (ct_msg(dev, "log clear", NULL) || ct_msg(dev, msg, NULL))
		goto out;
	log_on = 1;
	if (ct_msg(dev, "log path", &reply))
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", mnt, reply) >= sizeof(path)) {
		ct_err("record: the log path %s/%s is too long", mnt, reply);
		goto out;
	}
	rd.in = open(path, O_RDONLY | O_CLOEXEC);
	if (rd.in < 0) {
		ct_err("record: the log file %s: %s", path, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	rd.out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (rd.out < 0) {
		ct_err("record: %s: %s", path, strerror(errno));
		goto out;
	}
	ret = pthread_create(&rd.thread, NULL, ct_reader_main, &rd);
	if (ret) {
		ct_err("record: cannot start the log reader: %s", strerror(ret));
		goto out;
	}
	reader_started = 1;

	t0 = ct_now();
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	snprintf(env_seed, sizeof(env_seed), "%llu", (unsigned long long)seed);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		setenv("CRASHTEST_DEV", dev, 1);
		setenv("CRASHTEST_DIR", dir, 1);
		setenv("CRASHTEST_SEED", env_seed, 1);
		execvp(argv[optind], argv + optind);
		ct_err("record: %s: %s", argv[optind], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		ct_err("record: fork: %s", strerror(errno));
		m.workload_status = -1;
	} else {
		while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		m.workload_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
				    128 + WTERMSIG(wstatus);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);

	if (ct_msg(dev, "log off", NULL))
		goto out;
	log_on = 0;
	__atomic_store_n(&rd.stop, 1, __ATOMIC_RELEASE);
	pthread_join(rd.thread, NULL);
	reader_started = 0;
	if (rd.overflow) {
		ct_err("record: the log overflowed: more than %llu MiB of log records waited to be read (--limit-mb %llu); the record is incomplete. Record again with a larger --limit-mb, or a smaller workload",
		       (unsigned long long)limit, (unsigned long long)limit);
		goto out;
	}
	if (rd.err) {
		ct_err("record: the log: %s", strerror(rd.err));
		goto out;
	}
	if (fsync(rd.out)) {
		ct_err("record: %s: %s", path, strerror(errno));
		goto out;
	}

	/* Check what we read, and describe it. */
	if (ct_log_open(path, m.dev_sectors, &log, err, sizeof(err))) {
		ct_err("record: the log read from %s is not valid (a dm-noorder bug?): %s",
		       dev, err);
		goto out;
	}
	m.device = (char *)dev;
	snprintf(mnt, sizeof(mnt), "%llu %llu %s %s",
		 (unsigned long long)tbl.start, (unsigned long long)tbl.length,
		 tbl.type, tbl.params);
	m.table = mnt;
	m.command = ct_join_quoted(argv + optind);
	now = time(NULL);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	m.created = tbuf;
	m.seed = seed;
	ct_meta_set_log(&m, &log);
	snprintf(path, sizeof(path), "%s/meta", dir);
	ret = ct_meta_write(path, &m, err, sizeof(err));
	free(m.command);
	if (ret) {
		ct_err("record: %s", err);
		goto out;
	}
	printf("crashtest record %s: %zu records (%llu writes, %llu MiB; %llu flushes, %llu FUA, %llu discards) in %.1f s, flush %s, seed %llu\n",
	       dir, log.nr_ops, (unsigned long long)log.writes,
	       (unsigned long long)(log.write_bytes >> 20),
	       (unsigned long long)log.flushes, (unsigned long long)log.fuas,
	       (unsigned long long)log.discards, ct_now() - t0,
	       ct_flush_name(m.flush), (unsigned long long)seed);
	if (m.workload_status) {
		ct_err("record: the workload failed (%s %lld); the record is complete but describes a failed run",
		       m.workload_status > 128 ? "killed by signal" : "exit status",
		       (long long)(m.workload_status > 128 ? m.workload_status - 128 :
				   m.workload_status));
		goto out;
	}
	status = CT_EXIT_OK;
out:
	if (reader_started) {
		__atomic_store_n(&rd.stop, 1, __ATOMIC_RELEASE);
		pthread_join(rd.thread, NULL);
	}
	if (log_on)
		dmm_message(dev, "log off", NULL, err, sizeof(err));
	if (rd.in >= 0)
		close(rd.in);
	if (rd.out >= 0)
		close(rd.out);
	ct_log_close(&log);
	free(reply);
	free(tbl.params);
	free(sts.params);
	return status;
}
