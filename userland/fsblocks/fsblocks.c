// SPDX-License-Identifier: GPL-2.0-only
/*
 * fsblocks: the block-type map of an ext2/ext3/ext4 file system, printed
 * or loaded into a dm-faultinj device for type-aware fault injection.
 *
 *   fsblocks [-b BYTES] [-t TYPE[,TYPE...]] [-s] DEVICE-OR-IMAGE
 *   fsblocks --load DMDEV [-t TYPE[,TYPE...]] [-s] DEVICE-OR-IMAGE
 *
 * Exit status: 0 ok, 1 usage or file-system error, 2 device-mapper error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsblocks.h"

#define FSB_EXIT_OK	0
#define FSB_EXIT_FS	1
#define FSB_EXIT_DM	2

/* Conflicts printed before we only count them. */
#define FSB_MAX_CONFLICTS	20

/* Room for one "types load" message of FSB_MSG_MAX_EXTENTS extents. */
#define FSB_MSG_SIZE	16384

struct fsb_opts {
	unsigned int unit;	/* -b, 0 for the file system block size */
	unsigned int mask;	/* -t, bits 1 << type */
	int summary;		/* -s */
	const char *load;	/* --load DMDEV */
	const char *path;
};

struct fsb_conflicts {
	const char *path;
	unsigned long nr;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-b BYTES] [-t TYPE[,TYPE...]] [-s] DEVICE-OR-IMAGE\n"
		"       %s --load DMDEV [-t TYPE[,TYPE...]] [-s] DEVICE-OR-IMAGE\n"
		"\n"
		"Prints \"<start> <len> <type>\" for every extent of typed blocks of an\n"
		"ext2/ext3/ext4 file system, or loads them into a dm-faultinj device.\n"
		"\n"
		"  -b, --block-size BYTES  print in units of BYTES (512..fs block size)\n"
		"  -t, --types LIST        only these types (comma separated)\n"
		"  -s, --summary           per-type extent and block counts instead\n"
		"  -L, --load DMDEV        send the map to the faultinj device DMDEV\n"
		"  -h, --help              this text\n"
		"\n"
		"Types: super gdt resgdt bbitmap ibitmap itable journal indirect dir\n"
		"       xattr data\n",
		FSB_PROG, FSB_PROG);
}

static int parse_unit(const char *arg, unsigned int *unit)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || val < 512 || val > 65536 ||
	    (val & (val - 1)))
		return -1;
	*unit = val;
	return 0;
}

static int parse_args(int argc, char **argv, struct fsb_opts *o)
{
	static const struct option longopts[] = {
		{ "block-size",	required_argument,	NULL, 'b' },
		{ "types",	required_argument,	NULL, 't' },
		{ "summary",	no_argument,		NULL, 's' },
		{ "load",	required_argument,	NULL, 'L' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->mask = FSB_ALL_TYPES;
	while ((c = getopt_long(argc, argv, "b:t:sL:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (parse_unit(optarg, &o->unit)) {
				fprintf(stderr, "%s: -b %s: expected a power of two from 512 to 65536\n",
					FSB_PROG, optarg);
				return -1;
			}
			break;
		case 't':
			if (fsb_types_parse(optarg, &o->mask)) {
				fprintf(stderr, "%s: -t %s: unknown or empty type; types are super gdt resgdt bbitmap ibitmap itable journal indirect dir xattr data\n",
					FSB_PROG, optarg);
				return -1;
			}
			break;
		case 's':
			o->summary = 1;
			break;
		case 'L':
			o->load = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(FSB_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: expected one DEVICE-OR-IMAGE\n", FSB_PROG);
		usage(stderr);
		return -1;
	}
	if (o->load && o->unit) {
		fprintf(stderr, "%s: -b cannot be used with --load: the unit is the device's block_size\n",
			FSB_PROG);
		return -1;
	}
	o->path = argv[optind];
	return 0;
}

static void report_conflict(void *arg, uint64_t start, uint64_t len,
			    enum fsb_type kept, unsigned int dropped)
{
	struct fsb_conflicts *c = arg;
	int t;

	if (c->nr++ >= FSB_MAX_CONFLICTS)
		return;
	fprintf(stderr, "%s: %s: ", FSB_PROG, c->path);
	if (len == 1)
		fprintf(stderr, "block %" PRIu64, start);
	else
		fprintf(stderr, "blocks %" PRIu64 "-%" PRIu64, start,
			start + len - 1);
	fprintf(stderr, " claimed as %s", fsb_type_name(kept));
	for (t = 0; t < FSB_NR_TYPES; t++)
		if (dropped & (1u << t))
			fprintf(stderr, " and %s", fsb_type_name(t));
	fprintf(stderr, "; kept %s\n", fsb_type_name(kept));
}

static void print_summary(const struct fsb_map *map, unsigned int mask)
{
	uint64_t extents[FSB_NR_TYPES], blocks[FSB_NR_TYPES];
	uint64_t total_extents = 0, total_blocks = 0;
	int t;

	fsb_map_count(map, extents, blocks);
	for (t = 0; t < FSB_NR_TYPES; t++) {
		if (!(mask & (1u << t)))
			continue;
		printf("%s %" PRIu64 " %" PRIu64 "\n", fsb_type_name(t),
		       extents[t], blocks[t]);
		total_extents += extents[t];
		total_blocks += blocks[t];
	}
	printf("total %" PRIu64 " %" PRIu64 "\n", total_extents, total_blocks);
}

static void print_map(const struct fsb_map *map)
{
	size_t i;

	for (i = 0; i < map->nr; i++)
		printf("%" PRIu64 " %" PRIu64 " %s\n", map->ext[i].start,
		       map->ext[i].len, fsb_type_name(map->ext[i].type));
}

/*
 * Compares the device's "types list" reply ("<type> <extents> <blocks>"
 * per line) with what we sent.  A target that does not reply is only
 * warned about.
 */
static int verify_load(const char *dev, const struct fsb_map *map)
{
	uint64_t extents[FSB_NR_TYPES], blocks[FSB_NR_TYPES];
	uint64_t got[FSB_NR_TYPES] = { 0 };
	unsigned long long e, b;
	char *reply, *line, *save = NULL;
	char name[32];
	int t, ret = 0;

	if (fsb_dm_message(dev, "types list", &reply))
		return -1;
	fsb_map_count(map, extents, blocks);
	if (!reply) {
		if (map->nr)
			fprintf(stderr, "%s: %s: no reply to \"types list\"; the load is not verified\n",
				FSB_PROG, dev);
		return 0;
	}
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		t = -EINVAL;
		if (sscanf(line, "%31s %llu %llu", name, &e, &b) == 3)
			t = fsb_type_parse(name);
		if (t < 0) {
			fprintf(stderr, "%s: %s: unexpected \"types list\" line \"%s\"\n",
				FSB_PROG, dev, line);
			ret = -1;
			continue;
		}
		got[t] = b;
	}
	for (t = 0; t < FSB_NR_TYPES; t++) {
		if (got[t] == blocks[t])
			continue;
		fprintf(stderr, "%s: %s: the device holds %" PRIu64 " %s blocks, %" PRIu64 " were sent\n",
			FSB_PROG, dev, got[t], fsb_type_name(t), blocks[t]);
		ret = -1;
	}
	free(reply);
	return ret;
}

static int send_map(const char *dev, const struct fsb_map *map,
		    unsigned int *messages)
{
	char *buf;
	size_t pos = 0;
	int n, ret = -1;

	buf = malloc(FSB_MSG_SIZE);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", FSB_PROG);
		return -1;
	}
	*messages = 0;
	if (fsb_dm_message(dev, "types clear", NULL))
		goto out;
	while ((n = fsb_msg_build(map, &pos, FSB_MSG_MAX_EXTENTS, buf,
				  FSB_MSG_SIZE)) > 0) {
		if (fsb_dm_message(dev, buf, NULL))
			goto out_clear;
		++*messages;
	}
	if (n < 0) {
		fprintf(stderr, "%s: cannot build a types message: %s\n",
			FSB_PROG, strerror(-n));
		goto out_clear;
	}
	ret = 0;
	goto out;

out_clear:
	if (!fsb_dm_message(dev, "types clear", NULL))
		fprintf(stderr, "%s: %s: load aborted, the device's types map is cleared\n",
			FSB_PROG, dev);
out:
	free(buf);
	return ret;
}

static int load_map(const struct fsb_opts *o, struct fsb_map *map,
		    const struct fsb_fs_info *info,
		    const struct fsb_dm_target *tgt)
{
	uint64_t blocks = 0;
	unsigned int messages, types = 0, seen = 0;
	size_t i;
	int ret;

	if (tgt->block_size > info->block_size) {
		fprintf(stderr, "%s: %s: the device's block_size is %u bytes, larger than the %u-byte blocks of %s; one device block would hold blocks of several types. Create the device with \"block_size %u\" (table: faultinj <dev> <offset> 2 block_size %u)\n",
			FSB_PROG, o->load, tgt->block_size, info->block_size,
			o->path, info->block_size, info->block_size);
		return FSB_EXIT_DM;
	}
	if (info->blocks_count > tgt->sectors / (info->block_size / 512)) {
		fprintf(stderr, "%s: %s: the device has %" PRIu64 " sectors, smaller than the file system on %s (%" PRIu64 " blocks of %u bytes); wrong device?\n",
			FSB_PROG, o->load, tgt->sectors, o->path,
			info->blocks_count, info->block_size);
		return FSB_EXIT_DM;
	}
	ret = fsb_map_convert(map, info->block_size, tgt->block_size);
	if (ret) {
		fprintf(stderr, "%s: %s: cannot convert the map to %u-byte blocks: %s\n",
			FSB_PROG, o->load, tgt->block_size, strerror(-ret));
		return FSB_EXIT_DM;
	}
	if (send_map(o->load, map, &messages) || verify_load(o->load, map))
		return FSB_EXIT_DM;

	for (i = 0; i < map->nr; i++) {
		blocks += map->ext[i].len;
		seen |= 1u << map->ext[i].type;
	}
	for (; seen; seen &= seen - 1)
		types++;
	printf("%s: loaded %zu extents, %" PRIu64 " blocks of %u bytes, %u types, into %s in %u load messages\n",
	       FSB_PROG, map->nr, blocks, tgt->block_size, types, o->load,
	       messages);
	if (o->summary)
		print_summary(map, o->mask);
	return FSB_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct fsb_conflicts conflicts = { 0 };
	struct fsb_dm_target tgt;
	struct fsb_fs_info info;
	struct fsb_opts o;
	struct fsb_map map;
	int ret, status = FSB_EXIT_FS;

	if (parse_args(argc, argv, &o))
		return FSB_EXIT_FS;

	/* Check the device before the scan, which can take a while. */
	if (o.load && fsb_dm_inspect(o.load, &tgt))
		return FSB_EXIT_DM;

	fsb_map_init(&map);
	if (fsb_scan(o.path, &map, &info))
		goto out;
	conflicts.path = o.path;
	ret = fsb_map_finish(&map, report_conflict, &conflicts);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", FSB_PROG, o.path, strerror(-ret));
		goto out;
	}
	if (conflicts.nr > FSB_MAX_CONFLICTS)
		fprintf(stderr, "%s: %s: %lu conflicting ranges in all\n",
			FSB_PROG, o.path, conflicts.nr);
	fsb_map_filter(&map, o.mask);

	if (o.load) {
		status = load_map(&o, &map, &info, &tgt);
		if (status)
			goto out;
	} else {
		if (o.unit && o.unit > info.block_size) {
			fprintf(stderr, "%s: %s: -b %u is larger than the file system block size %u; a unit would hold blocks of several types\n",
				FSB_PROG, o.path, o.unit, info.block_size);
			goto out;
		}
		ret = fsb_map_convert(&map, info.block_size,
				      o.unit ? o.unit : info.block_size);
		if (ret) {
			fprintf(stderr, "%s: %s: cannot convert to %u-byte units: %s\n",
				FSB_PROG, o.path, o.unit, strerror(-ret));
			goto out;
		}
		if (o.summary)
			print_summary(&map, o.mask);
		else
			print_map(&map);
	}
	status = FSB_EXIT_OK;
	if (info.problems) {
		fprintf(stderr, "%s: %s: %lu problems (see above): the map is incomplete\n",
			FSB_PROG, o.path, info.problems);
		status = FSB_EXIT_FS;
	}
out:
	fsb_map_free(&map);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: writing the output: %s\n", FSB_PROG,
			strerror(errno));
		if (!status)
			status = FSB_EXIT_FS;
	}
	return status;
}
