// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of dmstack's spec parser and table builder
 * (userland/dmstack/spec.c): no device-mapper needed, the plan is built
 * for a made-up disk size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "spec.h"

#define DISK	524288ULL	/* 256 MiB */

static struct dms_spec spec;
static struct dms_plan plan;
static char err[DMS_ERR_LEN];

/* Parses and plans @text over a disk of @disk sectors; 0 on success. */
static int build(const char *text, uint64_t disk)
{
	err[0] = '\0';
	if (dms_spec_parse(text, &spec, err, sizeof(err)))
		return -1;
	if (dms_plan_build(&spec, "s", disk, &plan, err, sizeof(err)))
		return -2;
	return 0;
}

/* The "0 <len> <target> <params>" line of device @i. */
static const char *line(int i)
{
	static char buf[DMS_PARAMS_LEN + 96];
	const struct dms_dev *d = &plan.devs[i];

	snprintf(buf, sizeof(buf), "0 %llu %s%s%s",
		 (unsigned long long)d->length, d->target,
		 d->params[0] ? " " : "", d->params);
	return buf;
}

static void assert_err(const char *text, int stage, const char *msg)
{
	int ret = build(text, DISK);

	if (ret != stage || !strstr(err, msg))
		print_error("spec '%s': got %d '%s', want %d '%s'\n", text, ret,
			    err, stage, msg);
	assert_int_equal(ret, stage);
	assert_non_null(strstr(err, msg));
}

static void test_sizes(void **state)
{
	uint64_t s;

	(void)state;
	assert_int_equal(dms_parse_size("2048", &s), 0);
	assert_int_equal(s, 2048);
	assert_int_equal(dms_parse_size("16s", &s), 0);
	assert_int_equal(s, 16);
	assert_int_equal(dms_parse_size("4K", &s), 0);
	assert_int_equal(s, 8);
	assert_int_equal(dms_parse_size("1k", &s), 0);
	assert_int_equal(s, 2);
	assert_int_equal(dms_parse_size("64M", &s), 0);
	assert_int_equal(s, 131072);
	assert_int_equal(dms_parse_size("2G", &s), 0);
	assert_int_equal(s, 4194304);
	assert_int_equal(dms_parse_size("1T", &s), 0);
	assert_int_equal(s, 2147483648ULL);
	assert_int_not_equal(dms_parse_size("", &s), 0);
	assert_int_not_equal(dms_parse_size("M", &s), 0);
	assert_int_not_equal(dms_parse_size("12Q", &s), 0);
	assert_int_not_equal(dms_parse_size("-1", &s), 0);
	assert_int_not_equal(dms_parse_size("1.5M", &s), 0);
	assert_int_not_equal(dms_parse_size("1 M", &s), 0);
	assert_int_not_equal(dms_parse_size("99999999999999999999", &s), 0);
	assert_int_not_equal(dms_parse_size("20000000T", &s), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(dms_name_valid("s", err, sizeof(err)), 0);
	assert_int_equal(dms_name_valid("my-stack_1.2+x", err, sizeof(err)), 0);
	assert_int_not_equal(dms_name_valid("", err, sizeof(err)), 0);
	assert_int_not_equal(dms_name_valid("a/b", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "invalid stack name 'a/b'"));
	assert_int_not_equal(dms_name_valid("a b", err, sizeof(err)), 0);
	assert_int_not_equal(dms_name_valid("-x", err, sizeof(err)), 0);
	assert_int_not_equal(dms_name_valid("..", err, sizeof(err)), 0);
	assert_int_equal(dms_name_valid("0123456789012345678901234567890123456789012345678901234567890123",
					err, sizeof(err)), 0);
	assert_int_not_equal(dms_name_valid("01234567890123456789012345678901234567890123456789012345678901234",
					    err, sizeof(err)), 0);
	assert_non_null(strstr(err, "longer than 64"));
}

static void test_two_layers(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/vdb | faultinj seed=7", DISK), 0);
	assert_int_equal(spec.nr, 2);
	assert_int_equal(plan.nr, 1);
	assert_string_equal(plan.devs[0].name, "s-faultinj");
	assert_string_equal(plan.devs[0].uuid, "DMSTACK-s-01-faultinj");
	assert_string_equal(line(0), "0 524288 faultinj /dev/vdb 0 2 seed 7");
}

static void test_offsets(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/ram0 offset=2048 | linear offset=1024 size=16M | faultinj seed=7 block_size=512", DISK), 0);
	assert_string_equal(line(0), "0 32768 linear /dev/ram0 3072");
	assert_string_equal(line(1), "0 32768 faultinj /dev/mapper/s-linear 0 4 seed 7 block_size 512");
	/* The disk's size= limits what the layer above sees. */
	assert_int_equal(build("disk /dev/x offset=1M size=1M | linear offset=1K", DISK), 0);
	assert_string_equal(line(0), "0 2046 linear /dev/x 2050");
	/* Exactly up to the end is fine. */
	assert_int_equal(build("disk /dev/x | linear offset=524287", DISK), 0);
	assert_string_equal(line(0), "0 1 linear /dev/x 524287");
	assert_int_equal(build("disk /dev/x | linear offset=4 size=524284", DISK), 0);
}

static void test_past_end(void **state)
{
	(void)state;
	assert_err("disk /dev/x | linear offset=524288", -2,
		   "layer 1 (linear): offset 524288 is past the end of the device below (524288 sectors)");
	assert_err("disk /dev/x | linear size=300M", -2,
		   "layer 1 (linear): offset 0 + size 614400 is past the end");
	assert_err("disk /dev/x | linear offset=8 size=524281", -2,
		   "past the end");
	assert_err("disk /dev/x offset=1G | linear", -2,
		   "layer 0 (disk): offset 2097152 is past the end of /dev/x (524288 sectors)");
	assert_err("disk /dev/x offset=8 size=524281 | linear", -2,
		   "layer 0 (disk): offset 8 + size 524281 is past the end of /dev/x");
	assert_err("disk /dev/x | linear size=8 | faultinj offset=8", -2,
		   "layer 2 (faultinj): offset 8 is past the end of the device below (8 sectors)");
	assert_err("zero size=8 | linear size=9", -2, "layer 1 (linear): offset 0 + size 9");
}

static void test_kernel_targets(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/x | flakey up=60 down=5 drop_writes", DISK), 0);
	assert_string_equal(line(0), "0 524288 flakey /dev/x 0 60 5 1 drop_writes");
	assert_int_equal(build("disk /dev/x | flakey up=1 error_writes=yes drop_writes=0", DISK), 0);
	assert_string_equal(line(0), "0 524288 flakey /dev/x 0 1 0 1 error_writes");
	assert_int_equal(build("disk /dev/x | flakey up=1 down=1 drop_writes=on error_writes", DISK), 0);
	assert_string_equal(line(0), "0 524288 flakey /dev/x 0 1 1 2 drop_writes error_writes");
	assert_int_equal(build("disk /dev/x | delay ms=5", DISK), 0);
	assert_string_equal(line(0), "0 524288 delay /dev/x 0 5");
	assert_int_equal(build("disk /dev/x offset=8 | delay ms=0 write_ms=10", DISK), 0);
	assert_string_equal(line(0), "0 524280 delay /dev/x 8 0 /dev/x 8 10");
	assert_int_equal(build("zero size=1M | linear", DISK), 0);
	assert_int_equal(plan.nr, 2);
	assert_string_equal(plan.devs[0].name, "s-zero");
	assert_string_equal(plan.devs[0].uuid, "DMSTACK-s-00-zero");
	assert_string_equal(line(0), "0 2048 zero");
	assert_string_equal(line(1), "0 2048 linear /dev/mapper/s-zero 0");
	assert_int_equal(build("error size=4K", DISK), 0);
	assert_int_equal(plan.nr, 1);
	assert_string_equal(line(0), "0 8 error");
}

static void test_noorder(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/x | noorder", DISK), 0);
	assert_string_equal(line(0), "0 524288 noorder /dev/x 0");
	/* Features in the grammar's order, whatever order they were given. */
	assert_int_equal(build("disk /dev/x | noorder destage_ms=10 seed=3 flush=ignore order=reverse cache_mb=64", DISK), 0);
	assert_string_equal(line(0), "0 524288 noorder /dev/x 0 10 flush ignore order reverse seed 3 cache_mb 64 destage_ms 10");
	/* The feature count is the number of words: 2 per feature. */
	assert_int_equal(build("disk /dev/x offset=8 | noorder flush=honor offset=16", DISK), 0);
	assert_string_equal(line(0), "0 524264 noorder /dev/x 24 2 flush honor");
	assert_int_equal(build("disk /dev/x | noorder order=random seed=18446744073709551615", DISK), 0);
	assert_string_equal(line(0), "0 524288 noorder /dev/x 0 4 order random seed 18446744073709551615");
	/* The kernel's limits, refused before the kernel sees them. */
	assert_int_equal(build("disk /dev/x | noorder cache_mb=1 destage_ms=0", DISK), 0);
	assert_string_equal(line(0), "0 524288 noorder /dev/x 0 4 cache_mb 1 destage_ms 0");
	assert_int_equal(build("disk /dev/x | noorder cache_mb=1048576 destage_ms=3600000", DISK), 0);
	assert_err("disk /dev/x | noorder cache_mb=0", -1, "cache_mb=0: out of range (1-1048576)");
	assert_err("disk /dev/x | noorder cache_mb=1048577", -1, "out of range (1-1048576)");
	assert_err("disk /dev/x | noorder destage_ms=3600001", -1, "destage_ms=3600001: out of range (0-3600000)");
	assert_err("disk /dev/x | noorder seed=18446744073709551616", -1, "seed=18446744073709551616: not a number");
	assert_err("disk /dev/x | noorder flush=HONOR", -1, "must be one of ignore|honor");
	assert_err("disk /dev/x | noorder keep=all", -1,
		   "unknown option 'keep' (known: offset, size, flush, order, seed, cache_mb, destage_ms)");
}

static void test_subsist(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/vdb | faultinj seed=7 | noorder flush=ignore | subsist vdisks=3 hash=crc32c", DISK), 0);
	assert_int_equal(plan.nr, 6);
	assert_string_equal(plan.devs[2].name, "s-pool");
	assert_string_equal(plan.devs[2].uuid, "DMSTACK-s-03-subsist");
	assert_string_equal(line(2), "0 524288 subsist-pool /dev/mapper/s-noorder 3 524288 2 hash crc32c");
	assert_string_equal(plan.devs[3].name, "s-0");
	assert_string_equal(plan.devs[5].name, "s-2");
	assert_string_equal(plan.devs[5].uuid, "DMSTACK-s-03-subsist-2");
	assert_int_equal(plan.devs[5].vdisk, 2);
	assert_string_equal(line(5), "0 524288 subsist /dev/mapper/s-pool 2");
	assert_int_equal(build("disk /dev/x | subsist vdisks=1 vdisk_size=1G block_size=4096 merge=all cache_blocks=128 meta_dev=/dev/y hash=sha256", DISK), 0);
	assert_string_equal(line(0), "0 524288 subsist-pool /dev/x 1 2097152 10 block_size 4096 hash sha256 merge all cache_blocks 128 meta_dev /dev/y");
	assert_string_equal(line(1), "0 2097152 subsist /dev/mapper/s-pool 0");
	assert_int_equal(build("disk /dev/x | subsist vdisks=14", DISK), 0);
	assert_int_equal(plan.nr, 15);
	assert_string_equal(plan.devs[14].name, "s-13");
	assert_string_equal(line(14), "0 524288 subsist /dev/mapper/s-pool 13");
	assert_err("disk /dev/x | subsist vdisks=0", -1, "layer 1 (subsist): vdisks=0: out of range (1-14)");
	assert_err("disk /dev/x | subsist vdisks=15", -1, "out of range (1-14)");
	assert_err("disk /dev/x | subsist", -1, "layer 1 (subsist): needs vdisks=<value>");
	assert_err("disk /dev/x | subsist vdisks=2 | linear", -1,
		   "layer 1 (subsist): must be the top layer");
	assert_err("disk /dev/x | subsist vdisks=2 hash=md5", -1,
		   "hash=md5: must be one of crc32c|xxhash64|sha256");
	assert_err("disk /dev/x | subsist vdisks=2 meta_dev=sdb", -1,
		   "meta_dev=sdb: must be an absolute device path");
	assert_err("disk /dev/x | linear | subsist vdisks=2 offset=8", -2,
		   "subsist-pool takes no offset");
}

/* vdisk_size: its default, and what the kernel would refuse. */
static void test_subsist_sizes(void **state)
{
	(void)state;
	/* merge data/all: every vdisk as large as the device (overcommit). */
	assert_int_equal(build("disk /dev/x | subsist vdisks=3 merge=all", 524289), 0);
	assert_string_equal(line(0), "0 524289 subsist-pool /dev/x 3 524288 2 merge all");
	assert_string_equal(line(3), "0 524288 subsist /dev/mapper/s-pool 2");
	/* merge none: the device in vdisks equal parts of whole blocks. */
	assert_int_equal(build("disk /dev/x | subsist vdisks=3 merge=none", DISK), 0);
	assert_string_equal(line(0), "0 524288 subsist-pool /dev/x 3 174760 2 merge none");
	assert_string_equal(line(1), "0 174760 subsist /dev/mapper/s-pool 0");
	assert_int_equal(build("disk /dev/x | subsist vdisks=3 merge=none block_size=512", DISK), 0);
	assert_string_equal(line(0), "0 524288 subsist-pool /dev/x 3 174762 4 block_size 512 merge none");
	assert_int_equal(build("disk /dev/x | subsist vdisks=2 merge=none vdisk_size=128M", DISK), 0);
	assert_string_equal(line(2), "0 262144 subsist /dev/mapper/s-pool 1");
	assert_err("disk /dev/x | subsist vdisks=2 merge=none vdisk_size=262152", -2,
		   "layer 1 (subsist): merge=none: 2 vdisks of 262152 sectors do not fit in the device below (524288 sectors)");
	assert_err("disk /dev/x | subsist vdisks=2 vdisk_size=4097", -2,
		   "vdisk_size 4097 sectors is not a multiple of the block size (4096 bytes)");
	assert_int_equal(build("disk /dev/x | subsist vdisks=2 vdisk_size=4097 block_size=512", DISK), 0);
	assert_err("disk /dev/x | subsist vdisks=2 block_size=8192", -1,
		   "block_size=8192: must be one of 512|1024|2048|4096");
	assert_err("disk /dev/x | subsist vdisks=2 cache_blocks=1048577", -1,
		   "cache_blocks=1048577: out of range (0-1048576)");
	assert_int_equal(build("disk /dev/x | subsist vdisks=2 cache_blocks=1048576", DISK), 0);
	assert_err("disk /dev/x | subsist vdisks=2 merge=none meta_dev=/dev/y", -2,
		   "merge=none takes no meta_dev");
	assert_err("disk /dev/x | subsist vdisks=2 merge=none cache_blocks=8", -2,
		   "merge=none takes no cache_blocks");
	assert_int_equal(build("disk /dev/x | subsist vdisks=2 merge=none cache_blocks=0", DISK), 0);
	assert_err("disk /dev/x | subsist vdisks=14 block_size=512 vdisk_size=160G", -2,
		   "vdisks x vdisk_size is 2^32 blocks or more");
	assert_int_equal(build("disk /dev/x | subsist vdisks=14 block_size=512 vdisk_size=140G", DISK), 0);
	assert_int_equal(build("disk /dev/x | subsist vdisks=1 block_size=512 vdisk_size=1G", 0x100000000ULL), -2);
	assert_string_equal(err, "layer 1 (subsist): the device below has 2^32 blocks or more: use a larger block_size");
	assert_int_equal(build("disk /dev/x | subsist vdisks=1", 7), -2);
	assert_string_equal(err, "layer 1 (subsist): the device below (7 sectors) is smaller than one 4096-byte block");
	assert_int_equal(build("disk /dev/x | subsist vdisks=14 merge=none", 8 * 13), -2);
	assert_string_equal(err, "layer 1 (subsist): the device below (104 sectors) holds less than one 4096-byte block per vdisk");
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_int_equal(build("disk /dev/x | faultinj | delay ms=1 | faultinj seed=2 | faultinj", DISK), 0);
	assert_string_equal(plan.devs[0].name, "s-faultinj");
	assert_string_equal(plan.devs[1].name, "s-delay");
	assert_string_equal(plan.devs[2].name, "s-faultinj2");
	assert_string_equal(plan.devs[2].uuid, "DMSTACK-s-03-faultinj");
	assert_string_equal(plan.devs[3].name, "s-faultinj3");
	assert_string_equal(line(2), "0 524288 faultinj /dev/mapper/s-delay 0 2 seed 2");
	assert_string_equal(line(3), "0 524288 faultinj /dev/mapper/s-faultinj2 0");
}

static void test_multiline(void **state)
{
	static const char text[] =
		"# a stack\n"
		"\n"
		"disk /dev/vdb   # the bottom\n"
		"faultinj seed=7\n"
		"  | linear offset=8   \n"
		"\t# a comment | with a pipe\n"
		"delay ms=1 |\n"
		"flakey up=3\n";

	(void)state;
	assert_int_equal(build(text, DISK), 0);
	assert_int_equal(spec.nr, 5);
	assert_int_equal(spec.layers[1].line, 4);
	assert_int_equal(spec.layers[4].line, 8);
	assert_string_equal(line(3), "0 524280 flakey /dev/mapper/s-delay 0 3 0");
	/* No spaces around '|' and a trailing comment are fine too. */
	assert_int_equal(build("disk /dev/x|linear|faultinj # end", DISK), 0);
	assert_int_equal(plan.nr, 2);
	assert_err("disk /dev/x\nlinear\nfaultinj bogus=1\n", -1,
		   "line 3: layer 2 (faultinj): unknown option 'bogus'");
	assert_err("disk /dev/x\n| | linear\n", -1, "line 2: empty layer before '|'");
	assert_err("# only\n  # comments\n\n", -1, "empty spec");
}

static void test_bad_specs(void **state)
{
	(void)state;
	assert_err("", -1, "empty spec");
	assert_err("   ", -1, "empty spec");
	assert_err("disk /dev/x | foo", -1,
		   "layer 1: unknown layer 'foo' (known: disk, zero, error, linear, faultinj, flakey, delay, noorder, subsist)");
	assert_err("disk /dev/x | faultinj sed=1", -1,
		   "layer 1 (faultinj): unknown option 'sed' (known: offset, size, seed, block_size)");
	assert_err("disk /dev/x | faultinj seed", -1, "option 'seed' needs a value (seed=...)");
	assert_err("disk /dev/x | faultinj seed=", -1, "option 'seed' has no value after '='");
	assert_err("disk /dev/x | faultinj =1", -1, "an option needs a name before '='");
	assert_err("disk /dev/x | faultinj seed=1 seed=2", -1, "option 'seed' given twice");
	assert_err("disk /dev/x | faultinj seed=-1", -1, "seed=-1: not a number");
	assert_err("disk /dev/x | faultinj block_size=4096x", -1, "not a number");
	assert_err("disk /dev/x | faultinj block_size=4294967296", -1, "out of range");
	assert_err("disk | linear", -1, "layer 0 (disk): needs a device path");
	assert_err("disk /dev/x /dev/y | linear", -1, "unexpected word '/dev/y'");
	assert_err("disk /dev/x", -1, "nothing to create");
	assert_err("disk /dev/x || linear", -1, "empty layer before '|'");
	assert_err("| disk /dev/x | linear", -1, "empty layer before '|'");
	assert_err("disk /dev/x | linear |", -1, "ends with '|'");
	assert_err("linear | faultinj", -1, "layer 0 (linear): has no device below");
	assert_err("disk /dev/x | zero size=1M", -1, "layer 1 (zero): can only be the bottom layer");
	assert_err("disk /dev/x | disk /dev/y", -1, "layer 1 (disk): can only be the bottom layer");
	assert_err("zero", -1, "layer 0 (zero): needs size=<value>");
	assert_err("error size=0", -1, "size=0: must not be 0");
	assert_err("zero size=1M offset=8", -1, "unknown option 'offset' (known: size)");
	assert_err("disk /dev/x | linear size=12Q", -1, "size=12Q: not a size");
	assert_err("disk /dev/x | linear size=1000b", -1, "not a size");
	assert_err("disk /dev/x | linear size=1K1", -1, "not a size");
	assert_err("disk /dev/x | flakey down=1", -1, "layer 1 (flakey): needs up=<value>");
	assert_err("disk /dev/x | flakey up=1 drop_writes=maybe", -1, "a flag takes no value");
	assert_err("disk /dev/x | delay", -1, "needs ms=<value>");
	assert_err("disk /dev/x | delay ms=1 write_ms=x", -1, "write_ms=x: not a number");
	assert_err("disk /dev/x | noorder flush=maybe", -1, "flush=maybe: must be one of ignore|honor");
	assert_err("disk /dev/x | noorder order=fif", -1, "must be one of fifo|random|reverse");
	assert_err("disk /dev/x | noorder order=fifoo", -1, "must be one of");
	assert_err("disk /dev/x | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear | linear", -1,
		   "too many layers (at most 16)");
}

static void test_name_in_plan(void **state)
{
	(void)state;
	assert_int_equal(dms_spec_parse("disk /dev/x | linear", &spec, err, sizeof(err)), 0);
	assert_int_not_equal(dms_plan_build(&spec, "a b", DISK, &plan, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "invalid stack name"));
	assert_int_equal(dms_plan_build(&spec, "my-st.ack", DISK, &plan, err, sizeof(err)), 0);
	assert_string_equal(plan.devs[0].name, "my-st.ack-linear");
	assert_string_equal(plan.devs[0].uuid, "DMSTACK-my-st.ack-01-linear");
}

static void test_uuid_parse(void **state)
{
	char name[DMS_UUID_LEN];
	enum dms_type type;
	int layer, vdisk;

	(void)state;
	assert_int_equal(dms_uuid_parse("DMSTACK-s-01-faultinj", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_string_equal(name, "s");
	assert_int_equal(layer, 1);
	assert_int_equal(type, DMS_FAULTINJ);
	assert_int_equal(vdisk, -1);
	/* A name with dashes and digits that look like a suffix. */
	assert_int_equal(dms_uuid_parse("DMSTACK-a-01-linear-02-faultinj", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_string_equal(name, "a-01-linear");
	assert_int_equal(layer, 2);
	assert_int_equal(dms_uuid_parse("DMSTACK-x-y-03-subsist-12", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_string_equal(name, "x-y");
	assert_int_equal(type, DMS_SUBSIST);
	assert_int_equal(vdisk, 12);
	assert_int_equal(dms_uuid_parse("DMSTACK-x-03-subsist", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_int_equal(vdisk, -1);
	assert_int_not_equal(dms_uuid_parse("LVM-abc", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_int_not_equal(dms_uuid_parse("DMSTACK-s-1-linear", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_int_not_equal(dms_uuid_parse("DMSTACK-s-01-bogus", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_int_not_equal(dms_uuid_parse("DMSTACK-s-01-linear-1", name, sizeof(name), &layer, &type, &vdisk), 0);
	assert_int_not_equal(dms_uuid_parse("DMSTACK--01-linear", name, sizeof(name), &layer, &type, &vdisk), 0);
	/* Every planned UUID parses back to its stack and layer. */
	assert_int_equal(build("zero size=1M | faultinj | linear | subsist vdisks=2", DISK), 0);
	for (int i = 0; i < plan.nr; i++) {
		assert_int_equal(dms_uuid_parse(plan.devs[i].uuid, name, sizeof(name), &layer, &type, &vdisk), 0);
		assert_string_equal(name, "s");
		assert_int_equal(layer, plan.devs[i].layer);
		assert_int_equal(type, plan.devs[i].type);
		assert_int_equal(vdisk, plan.devs[i].vdisk);
	}
}

static void test_table_functions(void **state)
{
	struct dms_layer l = { .type = DMS_FAULTINJ };
	char buf[64];

	(void)state;
	assert_int_equal(dms_table_linear(&l, "/dev/a", 5, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/a 5");
	assert_int_equal(dms_table_faultinj(&l, "/dev/a", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/a 0");
	/* A line that does not fit is an error, not a truncated table. */
	assert_int_not_equal(dms_table_linear(&l, "/dev/a", 5, buf, 8), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_two_layers),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_past_end),
		cmocka_unit_test(test_kernel_targets),
		cmocka_unit_test(test_noorder),
		cmocka_unit_test(test_subsist),
		cmocka_unit_test(test_subsist_sizes),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_name_in_plan),
		cmocka_unit_test(test_uuid_parse),
		cmocka_unit_test(test_table_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
