// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the blkorder program: a synthetic pair of traces (an upper
 * dm device and the virtio disk below it, two CPU files each) written into
 * a temporary directory, read back in every output format; then bad
 * arguments and bad files, each with its exit status and message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <linux/blktrace_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#ifndef BLKORDER_BIN
#define BLKORDER_BIN "../../userland/blkorder/blkorder"
#endif

#define TCA(c)		((uint32_t)BLK_TC_ ## c << BLK_TC_SHIFT)
#define A_WRITE		TCA(WRITE)
#define A_FLUSH		(TCA(WRITE) | TCA(FLUSH) | TCA(SYNC))

#define DEV_DM0		((253u << 20) | 0)
#define DEV_VDA		((254u << 20) | 0)

static char dir[64];
static char out[65536], err[65536];

static void put(FILE *f, uint64_t t, uint32_t act, uint64_t sector,
		uint32_t bytes, uint32_t dev, uint32_t cpu)
{
	struct blk_io_trace b;

	memset(&b, 0, sizeof(b));
	b.magic = BLK_IO_TRACE_MAGIC | BLK_IO_TRACE_VERSION;
	b.time = t;
	b.sector = sector;
	b.bytes = bytes;
	b.action = act;
	b.device = dev;
	b.cpu = cpu;
	assert_int_equal(fwrite(&b, sizeof(b), 1, f), 1);
}

static FILE *open_in(const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	return f;
}

/*
 * dm-0 (upper, at Q): W0 and W1, a flush that makes them durable, then W2
 * (an ordering point) and W3.  vda (lower, 2048 sectors further on):
 * queued in that order, dispatched W2, W0, W1, W3: W2 reached the disk
 * before two writes the flush had declared durable.
 */
static void write_traces(void)
{
	static const uint64_t up[] = { 0, 8, 16, 24 };
	static const int lower_order[] = { 2, 0, 1, 3 };
	FILE *d0 = open_in("dm-0.blktrace.0"), *d1 = open_in("dm-0.blktrace.1");
	FILE *v0 = open_in("vda.blktrace.0"), *v1 = open_in("vda.blktrace.1");
	int i;

	put(d0, 10, BLK_TA_QUEUE | A_WRITE, up[0], 4096, DEV_DM0, 0);
	put(d1, 11, BLK_TA_QUEUE | A_WRITE, up[1], 4096, DEV_DM0, 1);
	put(d0, 12, BLK_TA_COMPLETE | A_WRITE, up[0], 4096, DEV_DM0, 0);
	put(d1, 13, BLK_TA_COMPLETE | A_WRITE, up[1], 4096, DEV_DM0, 1);
	put(d0, 14, BLK_TA_QUEUE | A_FLUSH, 0, 0, DEV_DM0, 0);
	put(d0, 15, BLK_TA_COMPLETE | A_FLUSH, 0, 0, DEV_DM0, 0);
	put(d1, 16, BLK_TA_QUEUE | A_WRITE, up[2], 4096, DEV_DM0, 1);
	put(d1, 17, BLK_TA_QUEUE | A_WRITE, up[3], 4096, DEV_DM0, 1);
	put(d0, 18, BLK_TA_COMPLETE | A_WRITE, up[2], 4096, DEV_DM0, 0);
	put(d0, 19, BLK_TA_COMPLETE | A_WRITE, up[3], 4096, DEV_DM0, 0);
	for (i = 0; i < 4; i++)
		put(i & 1 ? v1 : v0, 20 + i, BLK_TA_QUEUE | A_WRITE,
		    2048 + up[i], 4096, DEV_VDA, i & 1);
	for (i = 0; i < 4; i++)
		put(i & 1 ? v0 : v1, 30 + i, BLK_TA_ISSUE | A_WRITE,
		    2048 + up[lower_order[i]], 4096, DEV_VDA, !(i & 1));
	for (i = 0; i < 4; i++)
		put(v0, 40 + i, BLK_TA_COMPLETE | A_WRITE,
		    2048 + up[lower_order[i]], 4096, DEV_VDA, 0);
	fclose(d0);
	fclose(d1);
	fclose(v0);
	fclose(v1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_blkorder.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	write_traces();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs blkorder ARGS in the trace directory; its exit status. */
static int run(const char *args)
{
	char cmd[1024], o[128], e[128];
	int st;

	snprintf(o, sizeof(o), "%s/.out", dir);
	snprintf(e, sizeof(e), "%s/.err", dir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", dir,
		 BLKORDER_BIN, args, o, e);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return WEXITSTATUS(st);
}

static void has(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("\"%s\" not found in:\n%s", what, text);
}

static void test_kv(void **state)
{
	(void)state;
	assert_int_equal(run("-k -u dm-0 -l vda -o 2048 dm-0 vda"), 0);
	assert_string_equal(err, "");
	has(out, "dm-0 devno 253,0\n");
	has(out, "dm-0 files 2\n");
	has(out, "dm-0 records 10\n");
	has(out, "dm-0 issue Q\n");
	has(out, "dm-0 writes 4\n");
	has(out, "dm-0 write_bytes 16384\n");
	has(out, "dm-0 flushes 1\n");
	has(out, "dm-0 ordering_points 1\n");
	has(out, "dm-0 max_inflight_writes 2\n");
	has(out, "dm-0 completions 5\n");
	has(out, "dm-0 ev_Q 5\n");
	has(out, "dm-0 ev_C 5\n");
	has(out, "vda issue D\n");
	has(out, "vda writes 4\n");
	has(out, "vda ev_Q 4\n");
	has(out, "vda ev_D 4\n");
	has(out, "order upper dm-0\n");
	has(out, "order lower vda\n");
	has(out, "order lower_offset 2048\n");
	has(out, "order upper_writes 4\n");
	has(out, "order lower_writes 4\n");
	has(out, "order matched 4\n");
	has(out, "order unseen 0\n");
	has(out, "order extra_sectors 0\n");
	has(out, "order in_order 3\n");
	has(out, "order reordered 1\n");
	has(out, "order inversions 2\n");
	has(out, "order durable 2\n");
	has(out, "order violations 1\n");
	has(out, "order first_violation 2\n");
	has(out, "order reordered_pct 25.0\n");

	/* at Q the lower device got them in order */
	assert_int_equal(run("-k -u dm-0 -l vda -o 2048 --lower-issue Q dm-0 vda"), 0);
	has(out, "order lower_issue Q\n");
	has(out, "order reordered 0\n");
	has(out, "order violations 0\n");

	/* -e sets both */
	assert_int_equal(run("-k -e Q -u dm-0 -l vda -o 2048 dm-0 vda"), 0);
	has(out, "vda issue Q\n");
	has(out, "order lower_issue Q\n");
	has(out, "order reordered 0\n");
	assert_int_equal(run("-k -e D --upper-issue Q -u dm-0 -l vda -o 2048 dm-0 vda"), 0);
	assert_string_equal(err, "");
	has(out, "order upper_issue Q\n");
	has(out, "order lower_issue D\n");

	/* devices by number; a wrong offset matches nothing */
	assert_int_equal(run("-k -u 253,0 -l 254:0 dm-0 vda"), 0);
	has(out, "order matched 0\n");
	has(out, "order unseen 4\n");
	has(out, "order extra_sectors 32\n");
}

static void test_text_json_dir(void **state)
{
	(void)state;
	assert_int_equal(run("-D . -u dm-0 -l vda -o 2048"), 0);
	has(out, "dm-0 (253,0): 10 records in 2 files, 0.000000 s, requests counted at Q\n");
	has(out, "vda (254,0): 12 records in 2 files");
	has(out, "order dm-0 (Q) -> vda (D), lower offset 2048 sectors, matched in units of 8 sectors\n");
	has(out, "  reordered                     1  (25.0%)\n");
	has(out, "  ordering violations           1  (first: upper write 2, sector 16)\n");

	assert_int_equal(run("-j -u dm-0 -l vda -o 2048 dm-0 vda"), 0);
	has(out, "{\"devices\":[{\"name\":\"dm-0\",\"devno\":\"253,0\",\"files\":2,\"records\":10,\"issue\":\"Q\",");
	has(out, "\"order\":{\"upper\":\"dm-0\",\"lower\":\"vda\",\"upper_issue\":\"Q\",\"lower_issue\":\"D\",\"lower_offset\":2048");
	has(out, "\"violations\":1,\"reordered_pct\":25.0,\"first_violation\":2}}\n");

	assert_int_equal(run("-j vda"), 0);
	has(out, "\"order\":null}\n");

	/* one file, and standard input */
	assert_int_equal(run("-k dm-0.blktrace.1"), 0);
	has(out, "dm-0 files 1\n");
	has(out, "dm-0 writes 3\n");
	assert_int_equal(run("-k - < dm-0.blktrace.1"), 0);
	has(out, "stdin writes 3\n");

	/* --check: exit 3 when the order a flush promised was broken */
	assert_int_equal(run("--check -u dm-0 -l vda -o 2048 dm-0 vda"), 3);
	assert_string_equal(err, "blkorder: 1 ordering violation between dm-0 and vda\n");
	assert_int_equal(run("--check -u dm-0 -l vda -o 2048 --lower-issue Q dm-0 vda"), 0);
}

static void test_bad_arguments(void **state)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{ "", "blkorder: no TRACE given" },
		{ "-u dm-0 dm-0 vda", "blkorder: --upper and --lower go together\n" },
		{ "-l vda dm-0 vda", "blkorder: --upper and --lower go together\n" },
		{ "-u dm-0 -l sdz dm-0 vda", "blkorder: --lower sdz: no such device in the traces (there are: dm-0 vda)\n" },
		{ "-u 8,0 -l vda dm-0 vda", "blkorder: --upper 8,0: no such device in the traces (there are: dm-0 vda)\n" },
		{ "-u dm-0 -l 253:0 dm-0 vda", "blkorder: --upper and --lower name the same device (dm-0)\n" },
		{ "-u dm-0 -l vda -o -5 dm-0 vda", "blkorder: --lower-offset -5: expected a number of 512-byte sectors\n" },
		{ "-u dm-0 -l vda -o 12x dm-0 vda", "blkorder: --lower-offset 12x: expected a number of 512-byte sectors\n" },
		{ "-e X dm-0", "blkorder: --issue X: expected Q, D or auto\n" },
		{ "-e C dm-0", "blkorder: --issue C: expected Q, D or auto\n" },
		{ "--upper-issue G -u dm-0 -l vda dm-0 vda", "blkorder: --upper-issue G: expected Q, D or auto\n" },
		{ "--check dm-0 vda", "blkorder: --check needs --upper and --lower\n" },
		{ "-o 8 dm-0 vda", "blkorder: --lower-offset, --upper-issue and --lower-issue need --upper and --lower\n" },
		{ "--lower-issue Q dm-0 vda", "blkorder: --lower-offset, --upper-issue and --lower-issue need --upper and --lower\n" },
		{ "--frobnicate dm-0", "unrecognized option '--frobnicate'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = run(cases[i].args);

		if (st != 2)
			fail_msg("blkorder %s: exit status %d, expected 2", cases[i].args, st);
		has(err, cases[i].msg);
		assert_string_equal(out, "");
	}
}

static void test_bad_files(void **state)
{
	char cmd[512];
	FILE *f;

	(void)state;
	assert_int_equal(run("nosuch"), 1);
	assert_string_equal(err, "blkorder: nosuch: no such file, and no trace files nosuch.blktrace.N\n");
	assert_int_equal(run("nosuchdir/x"), 1);
	assert_string_equal(err, "blkorder: nosuchdir/x: no such file, and no trace files nosuchdir/x.blktrace.N\n");
	assert_int_equal(run("-D nosuchdir"), 1);
	assert_string_equal(err, "blkorder: nosuchdir: cannot open directory: No such file or directory\n");
	assert_int_equal(run("-D /proc/self"), 1);
	assert_string_equal(err, "blkorder: /proc/self: no blktrace files (NAME.blktrace.N) in it\n");
	assert_int_equal(run(". dm-0"), 1);
	assert_string_equal(err, "blkorder: .: is a directory (give it with -D)\n");

	/* corrupt: a text file under a trace name */
	snprintf(cmd, sizeof(cmd), "mkdir '%s/bad' && cp '%s'/vda.* '%s'/dm-0.* '%s/bad/' && "
		 "echo 'Q WS 2048 + 8' > '%s/bad/vda.blktrace.1'", dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run("-D bad -u dm-0 -l vda"), 1);
	assert_string_equal(err, "blkorder: bad/vda.blktrace.1: record 0 at offset 0: bad magic 0x53572051 (not a blktrace file, or corrupt)\n");
	assert_string_equal(out, "");

	/* truncated: the last record cut short */
	snprintf(cmd, sizeof(cmd), "cp '%s/vda.blktrace.1' '%s/bad/' && truncate -s -5 '%s/bad/vda.blktrace.1'",
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run("bad/vda"), 1);
	assert_string_equal(err, "blkorder: bad/vda.blktrace.1: truncated: record 3 at offset 144 has 43 of its 48 bytes (a trace cut short? --allow-truncated reads the records before it)\n");
	assert_int_equal(run("-k --allow-truncated bad/vda"), 0);
	assert_string_equal(err, "blkorder: warning: bad/vda.blktrace.1: last record cut short at offset 187; using the 3 records before it\n");
	has(out, "vda records 11\n");

	/* empty files are what idle CPUs leave: a warning */
	f = open_in("idle.blktrace.0");
	fclose(f);
	f = open_in("idle.blktrace.1");
	fclose(f);
	assert_int_equal(run("-k idle"), 0);
	assert_string_equal(err, "blkorder: warning: idle: no trace records in 2 files\n");
	has(out, "idle devno -\n");
	has(out, "idle records 0\n");
	has(out, "idle writes 0\n");
	assert_int_equal(run("-k -u idle -l vda idle vda"), 0);
	has(out, "order upper_writes 0\n");
	has(out, "order extra_sectors 32\n");

	/* a device with no D events counted at D */
	assert_int_equal(run("-k -e D dm-0"), 0);
	assert_string_equal(err, "blkorder: warning: dm-0 has no D events: its requests are not counted (try --issue Q)\n");
	has(out, "dm-0 writes 0\n");
}

int main(void)
{
	const struct CMUnitTest blkorder_cli[] = {
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_text_json_dir),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(blkorder_cli, setup, teardown);
}
