// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: the apply/undo engine (userland/crashtest/apply.c) and the
 * program on synthetic records.
 *
 * - pieces: a state's image built from pieces equals the base with the
 *   state's writes applied one by one in order; undo gives the base back,
 *   byte for byte; a full restore repairs any scribbling;
 * - the program: every state explore checked (a custom checker copies
 *   $CRASHTEST_IMG) is rebuilt byte for byte by replay; the checker's exit
 *   statuses map to the classes; e2fsck as checker on an ext4 image;
 *   bad arguments and damaged records are refused with clear errors.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "test_crashtest_lib.h"
#include "apply.h"
#include "state.h"

#ifndef CRASHTEST_BIN
#define CRASHTEST_BIN "../../userland/crashtest/crashtest"
#endif

#define DEV_SECTORS	16384	/* 8 MiB */

static char tmp[] = "/dev/shm/ct-apply-XXXXXX";

/* 600 writes, many overlapping (a small hot area), flushes and FUAs. */
static void overlap_log(struct tlog *t)
{
	uint64_t h, sec;
	int i;

	for (i = 0; i < 600; i++) {
		h = ct_hash4(4242, i, 0, 0);
		sec = (h & 1) ? h % 64 : (h >> 8) % (DEV_SECTORS - 64);
		tlog_write(t, sec, 1 + (h >> 20) % 24,
			   (h >> 32) % 23 == 0 ? NOORDER_LOG_FUA : 0);
		if ((h >> 40) % 12 == 0)
			tlog_flush(t);
	}
}

struct fx {
	struct tlog t;
	uint8_t *base;
	char dir[512];
	struct ct_log log;
	struct ct_space sp;
	struct ct_base b;
};

static void fx_init(struct fx *f, const char *name)
{
	char path[600], err[512];

	memset(f, 0, sizeof(*f));
	overlap_log(&f->t);
	f->base = make_base(DEV_SECTORS);
	snprintf(f->dir, sizeof(f->dir), "%s/%s", tmp, name);
	make_record(f->dir, f->base, DEV_SECTORS, &f->t, CT_FLUSH_HONOR, 64, 5);
	assert_int_equal(ct_log_parse(f->t.buf, f->t.len, DEV_SECTORS, &f->log,
				      err, sizeof(err)), 0);
	assert_int_equal(ct_space_init(&f->sp, &f->log, 5, 64 << 20, err,
				       sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/base.img", f->dir);
	if (ct_base_open(&f->b, path, DEV_SECTORS * 512, 1,
			 ct_crc32c(0, f->base, DEV_SECTORS * 512), err, sizeof(err)))
		fail_msg("%s", err);
}

static void fx_free(struct fx *f)
{
	ct_base_close(&f->b);
	ct_space_free(&f->sp);
	free(f->log.ops);
	free(f->base);
	tlog_free(&f->t);
}

/* The state's image the slow way: each write in order over the base. */
static uint8_t *naive(struct fx *f, const struct ct_state *st)
{
	uint8_t *img = malloc(DEV_SECTORS * 512);
	const struct ct_op *op;
	size_t i;

	memcpy(img, f->base, DEV_SECTORS * 512);
	for (i = 0; i < st->nr; i++) {
		op = &f->log.ops[f->sp.wop[st->order[i]]];
		memcpy(img + op->sector * 512, f->log.map + op->data_off,
		       op->nr_sectors * 512);
	}
	return img;
}

static uint8_t *image_of(int fd)
{
	uint8_t *img = malloc(DEV_SECTORS * 512);

	assert_int_equal(ct_pread_all(fd, img, DEV_SECTORS * 512, 0), 0);
	return img;
}

static void test_base(void **state)
{
	char path[600], err[512];
	struct ct_base b;
	uint64_t s, blocks = 0;
	struct fx f;
	int fd;

	(void)state;
	fx_init(&f, "base");
	/* Non-zero 4 KiB blocks found exactly. */
	for (s = 0; s < DEV_SECTORS; s += 8) {
		static const uint8_t zero[4096];

		blocks += !!memcmp(f.base + s * 512, zero, 4096);
	}
	assert_int_equal(f.b.data_bytes, blocks * 4096);
	assert_int_equal(f.b.crc, ct_crc32c(0, f.base, DEV_SECTORS * 512));
	/* Wrong size, wrong CRC. */
	snprintf(path, sizeof(path), "%s/base.img", f.dir);
	assert_true(ct_base_open(&b, path, DEV_SECTORS * 512 + 512, 1, 0, err,
				 sizeof(err)) < 0);
	assert_non_null(strstr(err, "truncated or replaced"));
	fd = open(path, O_WRONLY);
	assert_int_equal(ct_pwrite_all(fd, "x", 1, 777777), 0);
	close(fd);
	assert_true(ct_base_open(&b, path, DEV_SECTORS * 512, 1, f.b.crc, err,
				 sizeof(err)) < 0);
	assert_non_null(strstr(err, "modified or corrupted"));
	fx_free(&f);
}

static void test_apply_undo(void **state)
{
	int models[] = { CT_MODEL_HONOR, CT_MODEL_IGNORE };
	struct ct_pieces pc = { 0 };
	struct ct_state st = { 0 };
	struct ct_cover cover;
	struct ct_state_id id;
	struct ct_gen g;
	char path[600], err[256];
	uint8_t *want, *got;
	int fd, i, overlapping = 0;
	struct fx f;

	(void)state;
	fx_init(&f, "apply");
	assert_int_equal(ct_cover_init(&cover, DEV_SECTORS), 0);
	snprintf(path, sizeof(path), "%s/work.img", tmp);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ct_image_copy_base(fd, &f.b, 0), 0);
	got = image_of(fd);
	assert_memory_equal(got, f.base, DEV_SECTORS * 512);
	free(got);
	assert_int_equal(ct_gen_init(&g, &f.sp, models, 2, NULL), 0);
	for (i = 0; i < 150; i++) {
		assert_int_equal(ct_gen_next(&g, &id), 0);
		assert_int_equal(ct_state_build(&f.sp, &id, &st, err, sizeof(err)), 0);
		assert_int_equal(ct_pieces_build(&f.sp, &st, &cover, &pc), 0);
		/* Pieces are disjoint and sorted. */
		for (size_t j = 1; j < pc.nr; j++)
			assert_true(pc.v[j - 1].sector + pc.v[j - 1].nr <= pc.v[j].sector);
		overlapping += pc.sectors < (uint64_t)0 + st.nr;	/* folded */
		assert_int_equal(ct_pieces_apply(fd, &pc), 0);
		want = naive(&f, &st);
		got = image_of(fd);
		if (memcmp(want, got, DEV_SECTORS * 512))
			fail_msg("state %d (%s:%llu:%llu) differs from the naive image",
				 i, ct_model_name(id.model),
				 (unsigned long long)id.point,
				 (unsigned long long)id.k);
		free(want);
		free(got);
		assert_int_equal(ct_pieces_undo(fd, &f.b, &pc), 0);
		got = image_of(fd);
		assert_memory_equal(got, f.base, DEV_SECTORS * 512);
		free(got);
	}
	(void)overlapping;
	ct_gen_free(&g);
	ct_state_free(&st);
	ct_pieces_free(&pc);
	ct_cover_free(&cover);
	close(fd);
	fx_free(&f);
}

/* What a checker may do: writes anywhere, holes punched; restore undoes it. */
static void test_restore(void **state)
{
	char path[600], junk[10000];
	uint64_t fixed, h;
	const uint8_t *map;
	uint8_t *got;
	struct fx f;
	int fd, i, round;

	(void)state;
	fx_init(&f, "restore");
	snprintf(path, sizeof(path), "%s/scribble.img", tmp);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ct_image_copy_base(fd, &f.b, 0), 0);
	map = mmap(NULL, DEV_SECTORS * 512, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	for (round = 0; round < 6; round++) {
		for (i = 0; i < 40; i++) {
			h = ct_hash4(round, i, 1, 0);
			memset(junk, (int)(h >> 56) | 1, sizeof(junk));
			assert_int_equal(ct_pwrite_all(fd, junk, 1 + (h >> 32) % sizeof(junk),
						       h % (DEV_SECTORS * 512 - sizeof(junk))), 0);
			if (i % 8 == 0)
				fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					  (h >> 16) % (DEV_SECTORS * 512 / 2) & ~4095ULL,
					  65536);
		}
		assert_int_equal(ct_image_restore(fd, round & 1 ? NULL : map, &f.b,
						  &fixed), 0);
		assert_true(fixed > 0);
		got = image_of(fd);
		assert_memory_equal(got, f.base, DEV_SECTORS * 512);
		free(got);
		assert_int_equal(ct_image_restore(fd, map, &f.b, &fixed), 0);
		assert_int_equal(fixed, 0);
	}
	munmap((void *)map, DEV_SECTORS * 512);
	close(fd);
	fx_free(&f);
}

/* ---- the program ---- */

/* Runs crashtest with @args; its exit status, output in @out (if any). */
static int ct(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ct(char *out, size_t outlen, const char *fmt, ...)
{
	char args[4096], cmd[8192], path[600];
	uint8_t *o;
	size_t n = 0;
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/out.txt", tmp);
	snprintf(cmd, sizeof(cmd), "%s %s >%s 2>&1 </dev/null", CRASHTEST_BIN,
		 args, path);
	st = run("%s", cmd);
	if (out) {
		o = read_file(path, &n);
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, o ? (char *)o : "", o ? n : 0);
		out[o ? n : 0] = 0;
		free(o);
	}
	return st;
}

/* Every id of a results file, one per line. */
static char **result_ids(const char *path, size_t *nr)
{
	char line[1024], **ids = NULL;
	FILE *fp = fopen(path, "r");

	*nr = 0;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		ids = realloc(ids, (*nr + 1) * sizeof(*ids));
		ids[*nr] = strndup(line, strcspn(line, " "));
		(*nr)++;
	}
	fclose(fp);
	return ids;
}

/* Explore copies every state it checks; replay rebuilds each exactly. */
static void test_replay_equals_explore(void **state)
{
	char out[8192], res[600], copies[600], a[700], b[700];
	size_t nr, i;
	char **ids;
	struct fx f;
	int st;

	(void)state;
	fx_init(&f, "rec1");
	snprintf(res, sizeof(res), "%s/results1", tmp);
	snprintf(copies, sizeof(copies), "%s/copies", tmp);
	mkdir(copies, 0755);
	st = ct(out, sizeof(out),
		"explore %s -n 120 -j 2 --flush both --paranoid --results %s --workdir %s "
		"--check 'cp \"$CRASHTEST_IMG\" %s/\"$CRASHTEST_ID\".img'",
		f.dir, res, tmp, copies);
	if (st)
		fail_msg("explore: exit %d: %s", st, out);
	assert_non_null(strstr(out, "120 states checked"));
	ids = result_ids(res, &nr);
	assert_int_equal(nr, 120);
	for (i = 0; i < nr; i++) {
		snprintf(a, sizeof(a), "%s/%s.img", copies, ids[i]);
		snprintf(b, sizeof(b), "%s/replayed.img", tmp);
		st = ct(out, sizeof(out), "replay %s %s -o %s", f.dir, ids[i], b);
		if (st)
			fail_msg("replay %s: exit %d: %s", ids[i], st, out);
		if (run("cmp -s %s %s", a, b))
			fail_msg("state %s: replay differs from what explore checked",
				 ids[i]);
		free(ids[i]);
	}
	free(ids);
	/* The same seed explores the same ids again (any -j). */
	snprintf(a, sizeof(a), "%s/results2", tmp);
	st = ct(out, sizeof(out), "explore %s -n 120 -j 1 --flush both --results %s "
		"--check true -q", f.dir, a);
	assert_int_equal(st, 0);
	assert_int_equal(run("sort %s | cut -d' ' -f1 >%s.s && sort %s | cut -d' ' -f1 >%s.s && cmp -s %s.s %s.s",
			     res, res, a, a, res, a), 0);
	fx_free(&f);
}

static void test_classes(void **state)
{
	static const struct {
		const char *cmd;
		const char *row;
	} cases[] = {
		{ "exit 0", "clean                    20" },
		{ "exit 1", "repaired                 20" },
		{ "exit 2", "mount failed             20" },
		{ "exit 3", "wrong data               20" },
		{ "exit 4", "unrecoverable            20" },
		{ "exit 5", "checker crashed          20" },
		{ "kill -9 $$", "checker crashed          20" },
	};
	char out[16384];
	struct fx f;
	size_t i;
	int st;

	(void)state;
	fx_init(&f, "rec2");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = ct(out, sizeof(out), "explore %s -n 20 -j 2 --flush honor --check '%s'",
			f.dir, cases[i].cmd);
		assert_int_equal(st, i ? 1 : 0);
		if (!strstr(out, cases[i].row))
			fail_msg("--check '%s': no \"%s\" in:\n%s", cases[i].cmd,
				 cases[i].row, out);
	}
	/* The id and the record reach the checker; {} is the image. */
	st = ct(out, sizeof(out), "explore %s -n 5 -j 1 --check "
		"'test -f {} && test \"$CRASHTEST_IMG\" = {} && test -n \"$CRASHTEST_ID\" && test \"$CRASHTEST_DIR\" = %s'",
		f.dir, f.dir);
	if (st)
		fail_msg("checker environment: exit %d: %s", st, out);
	/* Timeout: checker crashed, says so. */
	st = ct(out, sizeof(out), "explore %s -n 2 -j 2 --timeout 1 --check 'sleep 30'",
		f.dir);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "timed out after 1 s"));
	/* A command that cannot run stops everything. */
	st = ct(out, sizeof(out), "explore %s -n 5 --check 'no-such-checker-cmd'",
		f.dir);
	assert_int_equal(st, 2);
	assert_non_null(strstr(out, "could not be run (exit 127"));
	fx_free(&f);
}

/* Damaged records and bad arguments: exit 2 and a clear message. */
static void test_badinput(void **state)
{
	static const struct {
		const char *args;
		const char *msg;
	} bad[] = {
		{ "", "usage" },
		{ "frobnicate", "unknown command" },
		{ "explore", "which record" },
		{ "explore %s %s", "one record directory" },
		{ "explore %s -n 0", "-n wants" },
		{ "explore %s -n x", "-n wants" },
		{ "explore %s -j 0", "-j wants" },
		{ "explore %s -t -5", "-t wants" },
		{ "explore %s --flush sometimes", "--flush wants" },
		{ "explore %s --window 3Q", "--window wants" },
		{ "explore %s --bogus", "unrecognized option" },
		{ "explore /nonexistent/dir", "No such file" },
		{ "explore %s/meta", "not a directory" },
		{ "replay %s", "where to" },
		{ "replay %s honor:1:1", "where to" },
		{ "replay %s honour:1:1 -o /dev/null", "bad state id" },
		{ "replay %s honor:99999:1 -o " "%s/x.img", "beyond the log" },
		{ "replay %s honor:1:1 -o /nonexistent/x.img", "No such file" },
		{ "record", "which device" },
		{ "record -d /dev/null -o %s -- true", "not a block device" },
		{ "record -d /dev/null", "where to" },
		{ "record -d /dev/null -o /tmp", "which workload" },
		{ "record -d x -o y --limit-mb 0 -- true", "--limit-mb wants" },
		{ "info", "one record directory" },
	};
	char out[8192], args[2048], path[700];
	size_t i, n = 0;
	uint8_t *log;
	struct fx f;
	int st;

	(void)state;
	fx_init(&f, "rec3");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(args, sizeof(args), bad[i].args, f.dir, f.dir);
		st = ct(out, sizeof(out), "%s", args);
		if (st != 2 || !strstr(out, bad[i].msg))
			fail_msg("crashtest %s: exit %d, \"%s\" expected in:\n%s", args,
				 st, bad[i].msg, out);
	}
	assert_int_equal(ct(out, sizeof(out), "info %s", f.dir), 0);
	assert_non_null(strstr(out, "600 writes"));

	/* The log: truncated inside a record, at a record boundary, a flipped bit. */
	snprintf(path, sizeof(path), "%s/log", f.dir);
	log = read_file(path, &n);
	assert_non_null(log);
	write_file(path, log, n - 100);
	assert_int_equal(ct(out, sizeof(out), "explore %s -n 1", f.dir), 2);
	assert_non_null(strstr(out, "truncated log"));
	write_file(path, log, n - (NOORDER_LOG_REC_SIZE + 512 * f.log.ops[f.log.nr_ops - 1].nr_sectors));
	assert_int_equal(ct(out, sizeof(out), "replay %s honor:0:0 -o %s/x.img", f.dir, tmp), 2);
	assert_non_null(strstr(out, "truncated or replaced log"));
	log[n / 2] ^= 4;
	write_file(path, log, n);
	st = ct(out, sizeof(out), "info %s", f.dir);
	assert_int_equal(st, 2);
	assert_true(strstr(out, "modified or corrupted") || strstr(out, "corrupt log"));
	log[n / 2] ^= 4;
	log[NOORDER_LOG_REC_SIZE + 512 * f.log.ops[0].nr_sectors] ^= 1;	/* magic of record 1 */
	write_file(path, log, n);
	assert_int_equal(ct(out, sizeof(out), "info %s", f.dir), 2);
	assert_non_null(strstr(out, "record 1 at byte"));
	assert_non_null(strstr(out, "bad magic"));
	log[NOORDER_LOG_REC_SIZE + 512 * f.log.ops[0].nr_sectors] ^= 1;
	write_file(path, log, n);
	assert_int_equal(ct(out, sizeof(out), "info %s", f.dir), 0);
	free(log);

	/* The meta: truncated, a changed count, missing. */
	snprintf(path, sizeof(path), "%s/meta", f.dir);
	log = read_file(path, &n);
	write_file(path, log, n / 2);
	assert_int_equal(ct(out, sizeof(out), "explore %s", f.dir), 2);
	assert_true(strstr(out, "truncated") || strstr(out, "missing"));
	assert_int_equal(run("sed -i 's/^writes 600$/writes 601/' %s", path), 0);
	write_file(path, log, n);
	assert_int_equal(run("sed -i 's/^writes 600$/writes 601/' %s", path), 0);
	assert_int_equal(ct(out, sizeof(out), "info %s", f.dir), 2);
	assert_non_null(strstr(out, "counts differ"));
	unlink(path);
	assert_int_equal(ct(out, sizeof(out), "info %s", f.dir), 2);
	assert_non_null(strstr(out, "meta: No such file"));
	write_file(path, log, n);
	free(log);

	/* The base image: one byte changed, truncated. */
	snprintf(path, sizeof(path), "%s/base.img", f.dir);
	assert_int_equal(run("printf x | dd of=%s bs=1 seek=5000 conv=notrunc status=none", path), 0);
	assert_int_equal(ct(out, sizeof(out), "explore %s", f.dir), 2);
	assert_non_null(strstr(out, "base image was modified"));
	assert_int_equal(run("truncate -s 4096 %s", path), 0);
	assert_int_equal(ct(out, sizeof(out), "replay %s honor:0:0 -o %s/x.img", f.dir, tmp), 2);
	assert_non_null(strstr(out, "truncated or replaced base image"));
	fx_free(&f);
}

/*
 * e2fsck as the checker: an ext4 image, and a log that turns it into
 * the same file system with files written by debugfs, one 4 KiB block per
 * write, a flush every 5.  The base and the full log are clean; states
 * that keep only some of the blocks mostly are not.
 */
static void test_e2fsck(void **state)
{
	char base[700], after[700], dir[700], out[16384];
	uint8_t *a, *b, *p;
	size_t na = 0, nb = 0, s;
	struct tlog t = { 0 };
	int st, writes = 0;

	(void)state;
	if (run("command -v mke2fs >/dev/null && command -v debugfs >/dev/null && command -v e2fsck >/dev/null")) {
		skip();
		return;
	}
	snprintf(base, sizeof(base), "%s/e2.base", tmp);
	snprintf(after, sizeof(after), "%s/e2.after", tmp);
	assert_int_equal(run("mke2fs -q -F -t ext4 -b 1024 -E lazy_itable_init=0 %s 16M >/dev/null 2>&1", base), 0);
	assert_int_equal(run("cp %s %s && head -c 300000 /dev/urandom >%s/e2.data && "
			     "debugfs -w %s -R 'mkdir d' >/dev/null 2>&1 && "
			     "debugfs -w %s -R 'write %s/e2.data d/f1' >/dev/null 2>&1 && "
			     "debugfs -w %s -R 'write %s/e2.data f2' >/dev/null 2>&1 && "
			     "e2fsck -fn %s >/dev/null 2>&1", base, after, tmp, after, after, tmp,
			     after, tmp, after), 0);
	a = read_file(base, &na);
	b = read_file(after, &nb);
	assert_int_equal(na, nb);
	for (s = 0; s < na / 4096; s++) {
		if (!memcmp(a + s * 4096, b + s * 4096, 4096))
			continue;
		{
			struct noorder_log_rec rec;

			ct_log_rec_fill(&rec, NOORDER_LOG_WRITE, 0, t.seq++, s * 8, 8);
			tlog_put(&t, &rec, sizeof(rec));
			tlog_put(&t, b + s * 4096, 4096);
		}
		if (++writes % 5 == 0)
			tlog_flush(&t);
	}
	assert_true(writes > 20);
	snprintf(dir, sizeof(dir), "%s/e2rec", tmp);
	make_record(dir, a, na / 512, &t, CT_FLUSH_HONOR, 64, 1);
	p = a;
	(void)p;
	st = ct(out, sizeof(out), "explore %s -n 60 -j 2 --flush both --show 0 --paranoid", dir);
	{
		char *l, *save = NULL;
		int n = 0;

		/* The summary as TAP diagnostics. */
		for (l = strtok_r(out, "\n", &save); l && n < 14;
		     l = strtok_r(NULL, "\n", &save), n++)
			print_message("# %s\n", l);
	}
	assert_int_equal(st, 1);	/* some states are not clean */
	assert_non_null(strstr(out, "60 states checked"));
	/* The end of the log (the first state) and the base are clean. */
	assert_int_equal(ct(out, sizeof(out), "replay %s honor:%zu:0 -o %s/e2.end -q", dir,
			    t.seq, tmp), 0);
	assert_int_equal(run("cmp -s %s %s/e2.end", after, tmp), 0);
	assert_null(strstr(out, "error"));
	free(a);
	free(b);
	tlog_free(&t);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(tmp))
		return 0;
	/* No /dev/shm: a disk is slower, but works. */
	memcpy(tmp, "/tmp/ct-apply-XXXXXX", sizeof("/tmp/ct-apply-XXXXXX"));
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return run("rm -rf %s", tmp) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_apply_undo),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_replay_equals_explore),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_badinput),
		cmocka_unit_test(test_e2fsck),
	};

	return cmocka_run_group_tests_name("crashtest apply, explore, replay",
					   tests, setup, teardown);
}
