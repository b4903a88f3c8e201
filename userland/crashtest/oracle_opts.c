// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: names and paths, oracle.meta and the command
 * lines of workload and verify (crashtest-oracle(8)).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oracle_int.h"

/*
 * oracle.meta's first line.  "crashtest-oracle 1" (older crashtest) has
 * no format line and means block format 1; "crashtest-oracle 2" names
 * the format in a "format" line like the other options.
 */
#define ORC_META_HEAD1	"crashtest-oracle 1"
#define ORC_META_HEAD	"crashtest-oracle 2"

void orc_dir_path(char *buf, size_t n, const char *root, uint32_t dir)
{
	if (dir)
		snprintf(buf, n, "%s/d%" PRIu32, root, dir);
	else
		snprintf(buf, n, "%s", root);
}

void orc_file_path(char *buf, size_t n, const char *root,
			  uint32_t dir, uint32_t id, uint32_t gen)
{
	if (dir)
		snprintf(buf, n, "%s/d%" PRIu32 "/o%" PRIu32 ".%" PRIu32,
			 root, dir, id, gen);
	else
		snprintf(buf, n, "%s/o%" PRIu32 ".%" PRIu32, root, id, gen);
}

/* "o<id>.<gen>" in canonical decimal (no leading zeros); 0 when it parses. */
int orc_parse_name(const char *s, uint32_t *id, uint32_t *gen)
{
	const char *p = s + 1;
	uint64_t v[2];
	int i;

	if (*s != 'o')
		return -1;
	for (i = 0; i < 2; i++) {
		const char *d = p;

		v[i] = 0;
		while (*p >= '0' && *p <= '9') {
			v[i] = v[i] * 10 + (*p++ - '0');
			if (v[i] > UINT32_MAX)
				return -1;
		}
		if (p == d || (*d == '0' && p - d > 1))
			return -1;
		if (*p != (i ? '\0' : '.'))
			return -1;
		p++;
	}
	*id = v[0];
	*gen = v[1];
	return 0;
}

/* "d<k>", 1 <= k <= 64, canonical: k, else 0. */
uint32_t orc_parse_dir(const char *s)
{
	uint64_t v;

	if (s[0] != 'd' || s[1] == '0' || orc_parse_u64(s + 1, &v) ||
	    !v || v > 64)
		return 0;
	return v;
}

/* oracle.meta of o; format 1 as older crashtest wrote it. */
const char *orc_meta_text(const struct orc_opts *o, char *buf, size_t n)
{
	int v1 = o->format == ORC_FMT_BLOCK;
	size_t len;
	int i;

	len = snprintf(buf, n, "%s\n", v1 ? ORC_META_HEAD1 : ORC_META_HEAD);
	for (i = 0; i < ORC_NR_NUM && len < n; i++)
		if (!v1 || i != ORC_O_FORMAT)
			len += snprintf(buf + len, n - len, "%s %" PRIu64 "\n",
					orc_numopts[i].name,
					*orc_field((struct orc_opts *)o, i));
	return buf;
}

/*
 * Parse oracle.meta.  0: read into *o and *given (which options it has);
 * -ENOENT: missing; -ENODATA: empty or all zeros (its data never
 * written); -EINVAL: not an oracle.meta (garbled, stale); -errno.
 */
int orc_meta_read(int dirfd, struct orc_opts *o, int *given)
{
	char buf[1024], *line, *save = NULL;
	ssize_t n;
	int fd, first = 1, i;

	fd = openat(dirfd, ORC_META, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	i = errno;
	close(fd);
	if (n < 0)
		return -i;
	if (orc_all_zero((unsigned char *)buf, n))
		return -ENODATA;
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n)
		return -EINVAL;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint64_t v;

		if (first) {
			if (!strcmp(line, ORC_META_HEAD1)) {
				o->format = ORC_FMT_BLOCK;
				given[ORC_O_FORMAT] = 1;
			} else if (strcmp(line, ORC_META_HEAD)) {
				return -EINVAL;
			}
			first = 0;
			continue;
		}
		if (!sp || orc_parse_u64(sp + 1, &v))
			return -EINVAL;
		*sp = '\0';
		for (i = 0; i < ORC_NR_NUM; i++)
			if (!strcmp(line, orc_numopts[i].name))
				break;
		if (i == ORC_NR_NUM || v < orc_numopts[i].min ||
		    v > orc_numopts[i].max)
			return -EINVAL;
		*orc_field(o, i) = v;
		given[i] = 1;
	}
	if (first || !given[ORC_O_SEED])
		return -EINVAL;
	return 0;
}

/* ---- argument parsing, shared ------------------------------------------- */

int orc_usage(const char *cmd)
{
	if (!strcmp(cmd, "workload"))
		fprintf(stderr,
			"usage: crashtest workload DIR --seed N [--files F] [--max-blocks B] [--ops K]\n"
			"         [--fsync-every M] [--block-size BYTES] [--dirs D] [--format 1|2] [--direct]\n"
			"         [--dry-run] [-v]\n");
	else
		fprintf(stderr,
			"usage: crashtest verify DIR [--seed N] [--files F] [--max-blocks B] [--ops K]\n"
			"         [--block-size BYTES] [--dirs D] [--format 1|2] [--fsync-every M] [--direct]\n"
			"         [--exact] [--json] [-v]\n");
	return ORC_EXIT_USAGE;
}

#define ORC_OPTVAL	256	/* long option values of the numeric options */

int orc_parse_args(struct orc_args *a, int argc, char **argv,
			  int workload)
{
	static const struct option lopts[] = {
		{ "seed", required_argument, NULL, ORC_OPTVAL + ORC_O_SEED },
		{ "files", required_argument, NULL, ORC_OPTVAL + ORC_O_FILES },
		{ "max-blocks", required_argument, NULL, ORC_OPTVAL + ORC_O_MAXB },
		{ "ops", required_argument, NULL, ORC_OPTVAL + ORC_O_OPS },
		{ "block-size", required_argument, NULL, ORC_OPTVAL + ORC_O_BS },
		{ "dirs", required_argument, NULL, ORC_OPTVAL + ORC_O_DIRS },
		{ "fsync-every", required_argument, NULL, ORC_OPTVAL + ORC_O_FSYNC },
		{ "format", required_argument, NULL, ORC_OPTVAL + ORC_O_FORMAT },
		{ "direct", no_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "exact", no_argument, NULL, 'x' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	memset(a, 0, sizeof(*a));
	a->cmd = workload ? "workload" : "verify";
	a->o = orc_defaults;
	optind = 0;	/* full reset: the entry points may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", lopts, NULL)) != -1) {
		i = c - ORC_OPTVAL;
		if (i >= 0 && i < ORC_NR_NUM) {
			if (a->given[i]) {
				fprintf(stderr, "crashtest %s: --%s given twice\n",
					a->cmd, orc_numopts[i].name);
				return -1;
			}
			if (orc_set_num(a->cmd, &a->o, i, optarg))
				return -1;
			a->given[i] = 1;
			continue;
		}
		switch (c) {
		case 'D':
			a->direct = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'j':
		case 'x':
			if (workload) {
				fprintf(stderr, "crashtest workload: --%s is an option of verify\n",
					c == 'j' ? "json" : "exact");
				return -1;
			}
			if (c == 'j')
				a->json = 1;
			else
				a->exact = 1;
			break;
		case 'n':
			if (!workload) {
				fprintf(stderr, "crashtest verify: --dry-run is an option of workload\n");
				return -1;
			}
			a->dry_run = 1;
			break;
		case 'h':
			orc_usage(a->cmd);
			return 1;
		case ':':
			fprintf(stderr, "crashtest %s: %s needs a value\n",
				a->cmd, argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < ORC_OPTVAL)
				fprintf(stderr, "crashtest %s: unknown option '-%c'\n",
					a->cmd, optopt);
			else
				fprintf(stderr, "crashtest %s: unknown option '%s'\n",
					a->cmd, argv[optind - 1]);
			return -1;
		}
	}
	for (i = optind; i < argc; i++) {
		if (a->dir) {
			fprintf(stderr, "crashtest %s: unexpected argument '%s' (DIR is '%s')\n",
				a->cmd, argv[i], a->dir);
			return -1;
		}
		a->dir = argv[i];
	}
	return 0;
}

int orc_check_args(struct orc_args *a)
{
	if (!a->dir && a->dry_run)
		return 0;
	if (!a->dir || !*a->dir) {
		fprintf(stderr, "crashtest %s: no DIR given\n", a->cmd);
		return -1;
	}
	if (a->o.block_size < ORC_HDR_SIZE) {
		fprintf(stderr, "crashtest %s: block size too small\n", a->cmd);
		return -1;
	}
	if (strlen(a->dir) > 3000) {
		fprintf(stderr, "crashtest %s: DIR path too long\n", a->cmd);
		return -1;
	}
	return 0;
}

/* "o<id>.<gen>" or "d<k>/o<id>.<gen>", relative to DIR. */
const char *orc_rel(char *buf, size_t n, uint32_t dir, uint32_t id,
			   uint32_t gen)
{
	orc_file_path(buf, n, "", dir, id, gen);
	return buf + 1;
}

static int orc_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of an open directory (minus . and ..); -errno. */
int orc_read_dir(int dirfd, char ***names, size_t *n)
{
	struct dirent *de;
	int fd = dup(dirfd), err;
	DIR *d;

	*names = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	rewinddir(d);	/* the dup shares the offset of an earlier walk */
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		*names = orc_xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = orc_strdup(de->d_name);
		errno = 0;
	}
	err = -errno;
	closedir(d);
	qsort(*names, *n, sizeof(**names), orc_name_cmp);
	return err;
}

