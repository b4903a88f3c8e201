// SPDX-License-Identifier: GPL-2.0-only
/*
 * failnth: systematic allocation-failure injection with the kernel's
 * per-task fail-nth (/proc/thread-self/fail-nth, CONFIG_FAULT_INJECTION):
 * for n = 1, 2, ... the n-th fault-injection point the calling thread
 * reaches inside one operation fails, until an operation completes without
 * reaching its n-th point.  Every allocation of the operation's own thread
 * is failed once, in order, whichever layer makes it.  For sleeping
 * allocations to count, failslab and fail_page_alloc must have
 * ignore-gfp-wait=N (and fail_page_alloc min-order=0); the case sets them.
 *
 *   failnth table NAME TABLE [MAX]
 *       creates the device-mapper device NAME with no table; per n: load
 *       TABLE (one line, "start len target args...") into its inactive
 *       slot with the n-th point failing, then clear that slot (the
 *       target's destructor runs); at the end NAME is removed
 *   failnth message NAME MESSAGE [UNDO] [MAX]
 *       per n: send MESSAGE to NAME's target at sector 0 with the n-th
 *       point failing; after a message that succeeded, UNDO (if not
 *       empty) is sent with no injection, so that the next n starts from
 *       the same state
 *   failnth io DEV read|write OFFSET LEN [MAX]
 *       per n: one O_DIRECT pread/pwrite of LEN bytes at OFFSET of DEV
 *       (writes: a pattern that names n) with the n-th point failing
 *
 * One line per n:  "n=N injected=0|1 result=ok|<errno name>"; then
 *   "failnth: N runs, I injected, E failed cleanly, S succeeded anyway"
 * Exit status: 0 when the sweep ended (an operation that reached no n-th
 * point) and every device could be removed; 1 otherwise; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int nth_fd = -1;

static void nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		perror("failnth: fail-nth");
		exit(1);
	}
}

/* 0 once the n-th point failed; what is left of n otherwise. */
static unsigned int nth_left(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0) {
		perror("failnth: fail-nth");
		exit(1);
	}
	return strtoul(buf, NULL, 10);
}

static int dm_simple(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);
	int ok;

	if (!dmt)
		return 0;
	ok = dm_task_set_name(dmt, name) && dm_task_run(dmt);
	dm_task_destroy(dmt);
	return ok;
}

/* Load TABLE into NAME's inactive slot; 0 or an errno. */
static int dm_load(const char *name, const char *table, unsigned int n)
{
	unsigned long long start, len;
	char ttype[64];
	int pos = 0, err = 0;
	struct dm_task *dmt;

	if (sscanf(table, "%llu %llu %63s %n", &start, &len, ttype, &pos) < 3 || !pos) {
		fprintf(stderr, "failnth: bad table line '%s'\n", table);
		exit(2);
	}
	dmt = dm_task_create(DM_DEVICE_RELOAD);
	if (!dmt || !dm_task_set_name(dmt, name) ||
	    !dm_task_add_target(dmt, start, len, ttype, table + pos)) {
		fprintf(stderr, "failnth: libdevmapper task\n");
		exit(1);
	}
	nth_set(n);
	if (!dm_task_run(dmt))
		err = dm_task_get_errno(dmt) ? dm_task_get_errno(dmt) : EIO;
	dm_task_destroy(dmt);
	return err;
}

/*
 * One operation of a sweep: performs it with the n-th point failing,
 * stores in *left what fail-nth had left right after the system call
 * (0: the failure was injected), then undoes whatever a success changed;
 * returns 0 or the errno of the operation.  *bad is set on a failure that
 * is not the operation's (an undo refused).
 */
struct op {
	const char *what;
	int (*run)(struct op *op, unsigned int n, unsigned int *left, int *bad);
	const char *name, *arg, *undo;	/* table and message */
	int fd, wr;			/* io */
	long long off;
	size_t len;
	char *buf;
};

static int sweep(struct op *op, unsigned int max)
{
	unsigned int n, left, injected = 0, clean = 0, anyway = 0;
	int err, bad = 0;

	for (n = 1; n <= max; n++) {
		err = op->run(op, n, &left, &bad);
		printf("n=%u injected=%d result=%s\n", n, !left,
		       err ? strerrorname_np(err) : "ok");
		fflush(stdout);
		if (left) {
			if (err) {
				fprintf(stderr, "failnth: the %s fails with no injection: %s\n",
					op->what, strerror(err));
				bad = 1;
			}
			break;
		}
		injected++;
		if (err)
			clean++;
		else
			anyway++;
	}
	printf("failnth: %u runs, %u injected, %u failed cleanly, %u succeeded anyway\n",
	       n > max ? max : n, injected, clean, anyway);
	if (n > max)
		fprintf(stderr, "failnth: still injecting after %u runs\n", max);
	return bad || n > max;
}

static int op_table(struct op *op, unsigned int n, unsigned int *left, int *bad)
{
	int err = dm_load(op->name, op->arg, n);

	*left = nth_left();
	nth_set(0);
	if (!err && !dm_simple(DM_DEVICE_CLEAR, op->name)) {
		fprintf(stderr, "failnth: n=%u: cannot clear %s's inactive table\n",
			n, op->name);
		*bad = 1;
	}
	return err;
}

/* Send MSG to NAME at sector 0, the n-th point failing when n > 0. */
static int dm_msg(const char *name, const char *msg, unsigned int n)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	int err = 0;

	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg)) {
		fprintf(stderr, "failnth: libdevmapper task\n");
		exit(1);
	}
	if (n)
		nth_set(n);
	if (!dm_task_run(dmt))
		err = dm_task_get_errno(dmt) ? dm_task_get_errno(dmt) : EIO;
	dm_task_destroy(dmt);
	return err;
}

static int op_message(struct op *op, unsigned int n, unsigned int *left, int *bad)
{
	int err = dm_msg(op->name, op->arg, n);

	*left = nth_left();
	nth_set(0);
	if (!err && op->undo && *op->undo && dm_msg(op->name, op->undo, 0)) {
		fprintf(stderr, "failnth: n=%u: '%s' refused after '%s'\n",
			n, op->undo, op->arg);
		*bad = 1;
	}
	return err;
}

static int op_io(struct op *op, unsigned int n, unsigned int *left, int *bad)
{
	ssize_t r;
	int err;

	(void)bad;
	if (op->wr) {
		char word[16];

		snprintf(word, sizeof(word), "%07u\n", n % 10000000);
		for (size_t i = 0; i + 8 <= op->len; i += 8)
			memcpy(op->buf + i, word, 8);
	}
	nth_set(n);
	r = op->wr ? pwrite(op->fd, op->buf, op->len, op->off) :
		     pread(op->fd, op->buf, op->len, op->off);
	err = r < 0 ? errno : 0;
	*left = nth_left();
	nth_set(0);
	if (!err && (size_t)r != op->len)
		err = EIO;
	return err;
}

static int sweep_table(const char *name, const char *table, unsigned int max)
{
	struct op op = { .what = "table", .run = op_table, .name = name, .arg = table };
	int r;

	if (!dm_simple(DM_DEVICE_CREATE, name)) {
		fprintf(stderr, "failnth: cannot create %s\n", name);
		return 1;
	}
	r = sweep(&op, max);
	if (!dm_simple(DM_DEVICE_REMOVE, name)) {
		fprintf(stderr, "failnth: cannot remove %s\n", name);
		r = 1;
	}
	return r;
}

static int sweep_io(const char *dev, int wr, long long off, size_t len,
		    unsigned int max)
{
	struct op op = { .what = wr ? "write" : "read", .run = op_io, .wr = wr,
			 .off = off, .len = len };
	int r;

	op.fd = open(dev, (wr ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (op.fd < 0) {
		perror(dev);
		return 1;
	}
	if (posix_memalign((void **)&op.buf, 4096, len)) {
		fprintf(stderr, "failnth: no memory\n");
		close(op.fd);
		return 1;
	}
	r = sweep(&op, max);
	free(op.buf);
	close(op.fd);
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: failnth table NAME TABLE [MAX]\n"
			"       failnth message NAME MESSAGE [UNDO] [MAX]\n"
			"       failnth io DEV read|write OFFSET LEN [MAX]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int max = 2000;

	if (argc < 2)
		usage();
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		perror("failnth: /proc/thread-self/fail-nth (no CONFIG_FAULT_INJECTION?)");
		return 1;
	}
	if (!strcmp(argv[1], "table") && (argc == 4 || argc == 5)) {
		if (argc == 5)
			max = strtoul(argv[4], NULL, 0);
		return sweep_table(argv[2], argv[3], max);
	}
	if (!strcmp(argv[1], "message") && argc >= 4 && argc <= 6) {
		if (argc == 6)
			max = strtoul(argv[5], NULL, 0);
		struct op op = { .what = "message", .run = op_message, .name = argv[2],
				 .arg = argv[3], .undo = argc >= 5 ? argv[4] : NULL };

		return sweep(&op, max);
	}
	if (!strcmp(argv[1], "io") && (argc == 6 || argc == 7)) {
		int wr = !strcmp(argv[3], "write");

		if (!wr && strcmp(argv[3], "read"))
			usage();
		if (argc == 7)
			max = strtoul(argv[6], NULL, 0);
		return sweep_io(argv[2], wr, strtoll(argv[4], NULL, 0),
				strtoul(argv[5], NULL, 0), max);
	}
	usage();
	return 2;
}
