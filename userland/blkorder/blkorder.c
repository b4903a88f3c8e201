// SPDX-License-Identifier: GPL-2.0-only
/*
 * blkorder: reads blktrace's binary per-CPU files and reports, per
 * device, reads, writes, flushes, FUAs and ordering points; given an upper
 * and a lower device, whether the lower device saw the writes in another
 * order, and whether it broke an order a flush or FUA promised.
 *
 *   blkorder [-D DIR] [options] [TRACE...]
 *   blkorder -u UPPER -l LOWER [-o SECTORS] [options] TRACE...
 *
 * Exit status: 0 ok, 1 unreadable or corrupt trace, 2 usage error,
 * 3 ordering violations found with --check.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "trace.h"

#define BO_EXIT_OK		0
#define BO_EXIT_TRACE		1
#define BO_EXIT_USAGE		2
#define BO_EXIT_VIOLATION	3

#define BO_ISSUE_AUTO	(-1)

enum bo_format { BO_TEXT, BO_KV, BO_JSON };

struct bo_opts {
	const char *dir;
	const char *upper, *lower;
	uint64_t offset;
	int issue, upper_issue, lower_issue;	/* BO_EV_Q, BO_EV_D, AUTO */
	int upper_issue_set;
	enum bo_format format;
	unsigned int flags;			/* BO_ALLOW_TRUNCATED */
	int check;
	char **traces;
	int ntraces;
};

/* One TRACE: a name and its files. */
struct bo_src {
	char *name;
	char **files;
	size_t nfiles;
	uint64_t records;
	unsigned int ndev;
};

static int bo_fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bo_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", BO_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [options] TRACE...\n"
		"       %s -D DIR [options] [TRACE...]\n"
		"       %s -u UPPER -l LOWER [-o SECTORS] [options] TRACE...\n"
		"\n"
		"Reads blktrace's binary output (NAME.blktrace.CPU files) and reports per\n"
		"device reads, writes, flushes, FUAs and ordering points; with an upper and\n"
		"a lower device, whether the lower one saw the writes in another order.\n"
		"TRACE is a blktrace output name (vdb for vdb.blktrace.*), a file, or -.\n"
		"\n"
		"  -D, --dir DIR          the traces are in DIR (blktrace -D); without\n"
		"                         TRACE, every NAME.blktrace.N in DIR\n"
		"  -u, --upper DEV        the upper device (trace name or MAJ,MIN)\n"
		"  -l, --lower DEV        the lower device it writes to\n"
		"  -o, --lower-offset N   lower sector = upper sector + N (default 0)\n"
		"  -e, --issue EV         count requests at EV: Q, D or auto (default auto:\n"
		"                         D when the device has D events, else Q)\n"
		"      --upper-issue EV   the upper device's (default Q)\n"
		"      --lower-issue EV   the lower device's (default auto)\n"
		"  -k, --kv               \"DEVICE FIELD VALUE\" lines\n"
		"  -j, --json             JSON\n"
		"      --allow-truncated  a record cut short at the end of a file is a\n"
		"                         warning (blktrace killed hard), not an error\n"
		"      --check            exit 3 when there are ordering violations\n"
		"  -h, --help             this text\n",
		BO_PROG, BO_PROG, BO_PROG);
}

static int parse_issue(const char *opt, const char *arg, int *ev)
{
	int e;

	if (!strcasecmp(arg, "auto")) {
		*ev = BO_ISSUE_AUTO;
		return 0;
	}
	e = bo_ev_parse(arg);
	if (e != BO_EV_Q && e != BO_EV_D) {
		bo_fail(0, "%s %s: expected Q, D or auto", opt, arg);
		return -1;
	}
	*ev = e;
	return 0;
}

static int parse_u64(const char *arg, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!*arg || *arg == '-' || *arg == '+')
		return -1;
	errno = 0;
	x = strtoull(arg, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

enum { OPT_UPPER_ISSUE = 256, OPT_LOWER_ISSUE, OPT_TRUNC, OPT_CHECK };

static int parse_args(int argc, char **argv, struct bo_opts *o)
{
	static const struct option longopts[] = {
		{ "dir",		required_argument,	NULL, 'D' },
		{ "upper",		required_argument,	NULL, 'u' },
		{ "lower",		required_argument,	NULL, 'l' },
		{ "lower-offset",	required_argument,	NULL, 'o' },
		{ "issue",		required_argument,	NULL, 'e' },
		{ "upper-issue",	required_argument,	NULL, OPT_UPPER_ISSUE },
		{ "lower-issue",	required_argument,	NULL, OPT_LOWER_ISSUE },
		{ "kv",			no_argument,		NULL, 'k' },
		{ "json",		no_argument,		NULL, 'j' },
		{ "allow-truncated",	no_argument,		NULL, OPT_TRUNC },
		{ "check",		no_argument,		NULL, OPT_CHECK },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	int c, lower_set = 0, issue_set = 0;

	memset(o, 0, sizeof(*o));
	o->issue = BO_ISSUE_AUTO;
	o->upper_issue = BO_EV_Q;
	o->lower_issue = BO_ISSUE_AUTO;
	while ((c = getopt_long(argc, argv, "D:u:l:o:e:kjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->dir = optarg;
			break;
		case 'u':
			o->upper = optarg;
			break;
		case 'l':
			o->lower = optarg;
			break;
		case 'o':
			if (parse_u64(optarg, &o->offset) ||
			    o->offset > (UINT64_MAX >> 10))
				return bo_fail(-1, "--lower-offset %s: expected a number of 512-byte sectors",
					       optarg);
			break;
		case 'e':
			if (parse_issue("--issue", optarg, &o->issue))
				return -1;
			issue_set = 1;
			break;
		case OPT_UPPER_ISSUE:
			if (parse_issue("--upper-issue", optarg, &o->upper_issue))
				return -1;
			o->upper_issue_set = 1;
			break;
		case OPT_LOWER_ISSUE:
			if (parse_issue("--lower-issue", optarg, &o->lower_issue))
				return -1;
			lower_set = 1;
			break;
		case 'k':
			o->format = BO_KV;
			break;
		case 'j':
			o->format = BO_JSON;
			break;
		case OPT_TRUNC:
			o->flags |= BO_ALLOW_TRUNCATED;
			break;
		case OPT_CHECK:
			o->check = 1;
			break;
		case 'h':
			usage(stdout);
			exit(BO_EXIT_OK);
		default:
			usage(stderr);
			return -1;
		}
	}
	o->traces = argv + optind;
	o->ntraces = argc - optind;
	if (!o->ntraces && !o->dir) {
		bo_fail(0, "no TRACE given (a blktrace output name such as vdb, a file, or -D DIR)");
		usage(stderr);
		return -1;
	}
	if (!o->upper != !o->lower)
		return bo_fail(-1, "--upper and --lower go together");
	if (o->check && !o->upper)
		return bo_fail(-1, "--check needs --upper and --lower");
	if (!o->upper && (o->offset || o->upper_issue_set || lower_set))
		return bo_fail(-1, "--lower-offset, --upper-issue and --lower-issue need --upper and --lower");
	/* --issue sets what the per-device options did not */
	if (issue_set && !o->upper_issue_set)
		o->upper_issue = o->issue;
	if (issue_set && !lower_set)
		o->lower_issue = o->issue;
	return 0;
}

/* ---- finding the files --------------------------------------------------- */

/* Length of the NAME in NAME.blktrace.N, or 0 when @f is not such a name. */
static size_t trace_base_len(const char *f)
{
	const char *p = strstr(f, ".blktrace.");
	const char *q;

	while (p) {
		q = p + strlen(".blktrace.");
		if (*q && strspn(q, "0123456789") == strlen(q))
			return (size_t)(p - f);
		p = strstr(p + 1, ".blktrace.");
	}
	return 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		bo_fail(0, "out of memory");
		exit(BO_EXIT_TRACE);
	}
	return p;
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (!p) {
		bo_fail(0, "out of memory");
		exit(BO_EXIT_TRACE);
	}
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void src_add_file(struct bo_src *s, char *path)
{
	char **f = realloc(s->files, (s->nfiles + 1) * sizeof(*f));

	if (!f) {
		bo_fail(0, "out of memory");
		exit(BO_EXIT_TRACE);
	}
	s->files = f;
	s->files[s->nfiles++] = path;
}

static unsigned long cpu_of(const char *path)
{
	const char *p = strrchr(path, '.');

	return p ? strtoul(p + 1, NULL, 10) : 0;
}

static int cmp_cpu(const void *a, const void *b)
{
	unsigned long x = cpu_of(*(char *const *)a);
	unsigned long y = cpu_of(*(char *const *)b);

	return x < y ? -1 : x > y;
}

/*
 * The files NAME.blktrace.N in @dir, for NAME = @base, or for every NAME
 * when @base is NULL (then one source per NAME, appended to @srcs).
 */
static int scan_dir(const char *dir, const char *base, struct bo_src **srcs,
		    size_t *nsrcs)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t first = *nsrcs, i;

	if (!d && base && (errno == ENOENT || errno == ENOTDIR))
		return 0;	/* the caller says "no such file" */
	if (!d)
		return bo_fail(-1, "%s: cannot open directory: %s", dir,
			       strerror(errno));
	while ((de = readdir(d))) {
		size_t n = trace_base_len(de->d_name);
		struct bo_src *s = NULL;

		if (!n)
			continue;
		if (base && (strlen(base) != n || strncmp(de->d_name, base, n)))
			continue;
		for (i = first; i < *nsrcs; i++)
			if (strlen((*srcs)[i].name) == n &&
			    !strncmp((*srcs)[i].name, de->d_name, n))
				s = &(*srcs)[i];
		if (!s) {
			struct bo_src *p = realloc(*srcs, (*nsrcs + 1) * sizeof(*p));

			if (!p) {
				closedir(d);
				return bo_fail(-1, "out of memory");
			}
			*srcs = p;
			s = &p[(*nsrcs)++];
			memset(s, 0, sizeof(*s));
			s->name = xstrdup(de->d_name);
			s->name[n] = '\0';
		}
		src_add_file(s, path_join(dir, de->d_name));
	}
	closedir(d);
	for (i = first; i < *nsrcs; i++)
		qsort((*srcs)[i].files, (*srcs)[i].nfiles, sizeof(char *), cmp_cpu);
	return 0;
}

static int find_sources(const struct bo_opts *o, struct bo_src **srcs,
			size_t *nsrcs)
{
	int i;

	*srcs = NULL;
	*nsrcs = 0;
	if (!o->ntraces) {
		if (scan_dir(o->dir, NULL, srcs, nsrcs))
			return -1;
		if (!*nsrcs)
			return bo_fail(-1, "%s: no blktrace files (NAME.blktrace.N) in it",
				       o->dir);
		return 0;
	}
	for (i = 0; i < o->ntraces; i++) {
		const char *t = o->traces[i];
		char *path, *slash, *dir, *base;
		struct bo_src *p;
		struct stat st;
		size_t before = *nsrcs, n;

		if (!*t)
			return bo_fail(-1, "empty TRACE name");
		if (!strcmp(t, "-")) {
			p = realloc(*srcs, (*nsrcs + 1) * sizeof(*p));
			if (!p)
				return bo_fail(-1, "out of memory");
			*srcs = p;
			memset(&p[*nsrcs], 0, sizeof(*p));
			p[*nsrcs].name = xstrdup("stdin");
			src_add_file(&p[*nsrcs], xstrdup("-"));
			(*nsrcs)++;
			continue;
		}
		path = (o->dir && t[0] != '/') ? path_join(o->dir, t) : xstrdup(t);
		/* NAME.blktrace.N files first, then a file called TRACE */
		slash = strrchr(path, '/');
		if (slash) {
			*slash = '\0';
			dir = *path ? path : "/";
			base = slash + 1;
		} else {
			dir = ".";
			base = path;
		}
		if (*base && scan_dir(dir, base, srcs, nsrcs)) {
			free(path);
			return -1;
		}
		if (slash)
			*slash = '/';
		if (*nsrcs > before) {
			free(path);
			continue;
		}
		if (stat(path, &st)) {
			bo_fail(0, "%s: no such file, and no trace files %s.blktrace.N",
				path, path);
			free(path);
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			bo_fail(0, "%s: is a directory (give it with -D)", path);
			free(path);
			return -1;
		}
		p = realloc(*srcs, (*nsrcs + 1) * sizeof(*p));
		if (!p) {
			free(path);
			return bo_fail(-1, "out of memory");
		}
		*srcs = p;
		p = &p[(*nsrcs)++];
		memset(p, 0, sizeof(*p));
		base = strrchr(path, '/');
		p->name = xstrdup(base ? base + 1 : path);
		n = trace_base_len(p->name);
		if (n)
			p->name[n] = '\0';
		src_add_file(p, path);
	}
	return 0;
}

static void free_sources(struct bo_src *srcs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < srcs[i].nfiles; j++)
			free(srcs[i].files[j]);
		free(srcs[i].files);
		free(srcs[i].name);
	}
	free(srcs);
}

static int read_sources(const struct bo_opts *o, struct bo_src *srcs,
			size_t nsrcs, struct bo_trace *t)
{
	uint32_t fileno = 0;
	size_t i, j;

	for (i = 0; i < nsrcs; i++) {
		for (j = 0; j < srcs[i].nfiles; j++, fileno++) {
			const char *path = srcs[i].files[j];
			int is_stdin = !strcmp(path, "-");
			const char *name = is_stdin ? "standard input" : path;
			struct bo_file_info info;
			char err[BO_ERR_SIZE];
			FILE *f = is_stdin ? stdin : fopen(path, "rb");
			int ret;

			if (!f)
				return bo_fail(-1, "%s: cannot open: %s", path,
					       strerror(errno));
			ret = bo_read_stream(f, name, (uint16_t)i, fileno,
					     o->flags, t, &info, err,
					     sizeof(err));
			if (!is_stdin)
				fclose(f);
			if (ret)
				return bo_fail(-1, "%s", err);
			if (info.truncated)
				fprintf(stderr, "%s: warning: %s: last record cut short at offset %" PRIu64 "; using the %" PRIu64 " records before it\n",
					BO_PROG, name, info.bytes, info.records);
			srcs[i].records += info.records;
		}
	}
	return 0;
}

/* ---- devices ---------------------------------------------------------------- */

static int build_devices(const struct bo_trace *t, struct bo_src *srcs,
			 size_t nsrcs, struct bo_dev **devs, size_t *ndevs)
{
	struct bo_dev *d = NULL;
	size_t n = 0, i, k;

	for (i = 0; i < t->nr; i++) {
		const struct bo_rec *r = &t->rec[i];

		for (k = 0; k < n; k++)
			if (d[k].src == r->src && d[k].devno == r->device)
				break;
		if (k == n) {
			struct bo_dev *p = realloc(d, (n + 1) * sizeof(*p));

			if (!p)
				goto oom;
			d = p;
			memset(&d[n], 0, sizeof(d[n]));
			d[n].src = r->src;
			d[n].devno = r->device;
			srcs[r->src].ndev++;
			n++;
		}
		d[k].nr++;
	}
	/* A trace without any record still names a device, with nothing. */
	for (i = 0; i < nsrcs; i++) {
		struct bo_dev *p;

		if (srcs[i].ndev)
			continue;
		p = realloc(d, (n + 1) * sizeof(*p));
		if (!p)
			goto oom;
		d = p;
		memset(&d[n], 0, sizeof(d[n]));
		d[n].src = (uint16_t)i;
		d[n].devno = UINT32_MAX;
		n++;
	}
	for (k = 0; k < n; k++) {
		const struct bo_src *s = &srcs[d[k].src];

		if (s->ndev > 1)
			snprintf(d[k].name, sizeof(d[k].name), "%s[%u,%u]",
				 s->name, BO_MAJOR(d[k].devno),
				 BO_MINOR(d[k].devno));
		else
			snprintf(d[k].name, sizeof(d[k].name), "%s", s->name);
		d[k].idx = malloc((d[k].nr + 1) * sizeof(size_t));
		if (!d[k].idx)
			goto oom;
		d[k].nr = 0;
	}
	for (i = 0; i < t->nr; i++) {
		for (k = 0; k < n; k++)
			if (d[k].src == t->rec[i].src &&
			    d[k].devno == t->rec[i].device)
				break;
		d[k].idx[d[k].nr++] = i;
	}
	*devs = d;
	*ndevs = n;
	return 0;
oom:
	for (k = 0; k < n; k++)
		free(d[k].idx);
	free(d);
	return bo_fail(-1, "out of memory");
}

/* A device by name or by MAJ,MIN / MAJ:MIN. */
static struct bo_dev *find_device(struct bo_dev *d, size_t n,
				  const struct bo_src *srcs, const char *opt,
				  const char *name)
{
	unsigned int maj, min;
	struct bo_dev *found = NULL;
	char c;
	size_t k;

	for (k = 0; k < n; k++)
		if (!strcmp(d[k].name, name))
			return &d[k];
	for (k = 0; k < n; k++) {
		if (strcmp(srcs[d[k].src].name, name))
			continue;
		fprintf(stderr, "%s: %s %s: the trace %s holds records of %u devices; name one:",
			BO_PROG, opt, name, name, srcs[d[k].src].ndev);
		for (; k < n; k++)
			if (!strcmp(srcs[d[k].src].name, name))
				fprintf(stderr, " %s", d[k].name);
		fprintf(stderr, "\n");
		return NULL;
	}
	if (sscanf(name, "%u,%u%c", &maj, &min, &c) == 2 ||
	    sscanf(name, "%u:%u%c", &maj, &min, &c) == 2) {
		for (k = 0; k < n; k++) {
			if (d[k].devno != UINT32_MAX &&
			    BO_MAJOR(d[k].devno) == maj &&
			    BO_MINOR(d[k].devno) == min) {
				if (found) {
					bo_fail(0, "%s %s: that device is in several traces (%s, %s): name one",
						opt, name, found->name, d[k].name);
					return NULL;
				}
				found = &d[k];
			}
		}
		if (found)
			return found;
	}
	fprintf(stderr, "%s: %s %s: no such device in the traces (there are:",
		BO_PROG, opt, name);
	for (k = 0; k < n; k++)
		fprintf(stderr, " %s", d[k].name);
	fprintf(stderr, ")\n");
	return NULL;
}

static void choose_issue(const struct bo_trace *t, struct bo_dev *d, int issue)
{
	size_t k;
	int has_d = 0;

	if (issue != BO_ISSUE_AUTO) {
		d->issue = issue;
		return;
	}
	for (k = 0; k < d->nr && !has_d; k++)
		has_d = bo_rec_event(&t->rec[d->idx[k]]) == BO_EV_D;
	d->issue = has_d ? BO_EV_D : BO_EV_Q;
}

/* ---- output ----------------------------------------------------------------- */

struct field {
	const char *name;
	size_t off;
};

#define F(x)	{ #x, offsetof(struct bo_stats, x) }
static const struct field stat_fields[] = {
	F(reads), F(read_bytes), F(writes), F(write_bytes), F(flushes),
	F(preflush_writes), F(fua_writes), F(sync_writes), F(meta_writes),
	F(discards), F(discard_bytes), F(other), F(ordering_points),
	F(max_inflight_writes), F(completions), F(unmatched_completions),
	F(errors),
};
#undef F

#define O(x)	{ #x, offsetof(struct bo_order, x) }
static const struct field order_fields[] = {
	O(upper_writes), O(lower_writes), O(matched), O(partial), O(absorbed),
	O(unseen),
	O(extra_sectors), O(in_order), O(reordered), O(inversions),
	O(durable), O(violations),
};
#undef O

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t field_val(const void *base, const struct field *f)
{
	return *(const uint64_t *)((const char *)base + f->off);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void devno_str(uint32_t devno, char *buf, size_t len)
{
	if (devno == UINT32_MAX)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u,%u", BO_MAJOR(devno), BO_MINOR(devno));
}

static double duration(const struct bo_dev *d)
{
	return d->nr ? (double)(d->st.last_ns - d->st.first_ns) / 1e9 : 0;
}

static double percent(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0;
}

static void print_text_dev(const struct bo_dev *d, const struct bo_src *s)
{
	const struct bo_stats *st = &d->st;
	char devno[32];
	int ev;

	devno_str(d->devno, devno, sizeof(devno));
	printf("%s (%s): %zu records in %zu file%s, %.6f s, requests counted at %s\n",
	       d->name, devno, d->nr, s->nfiles, s->nfiles == 1 ? "" : "s",
	       duration(d), bo_ev_name(d->issue));
	printf("  reads                %10" PRIu64 "  (%" PRIu64 " bytes)\n",
	       st->reads, st->read_bytes);
	printf("  writes               %10" PRIu64 "  (%" PRIu64 " bytes)\n",
	       st->writes, st->write_bytes);
	printf("    with preflush      %10" PRIu64 "\n", st->preflush_writes);
	printf("    with FUA           %10" PRIu64 "\n", st->fua_writes);
	printf("    sync               %10" PRIu64 "\n", st->sync_writes);
	printf("    metadata           %10" PRIu64 "\n", st->meta_writes);
	printf("  flushes (empty)      %10" PRIu64 "\n", st->flushes);
	printf("  discards             %10" PRIu64 "  (%" PRIu64 " bytes)\n",
	       st->discards, st->discard_bytes);
	if (st->other)
		printf("  other, no data       %10" PRIu64 "\n", st->other);
	printf("  ordering points      %10" PRIu64 "\n", st->ordering_points);
	printf("  max writes in flight %10" PRIu64 "\n", st->max_inflight_writes);
	printf("  completions          %10" PRIu64 "  (%" PRIu64 " unmatched, %" PRIu64 " with errors)\n",
	       st->completions, st->unmatched_completions, st->errors);
	printf("  events              ");
	for (ev = 0; ev < BO_NR_EV; ev++)
		if (d->ev[ev])
			printf(" %s %" PRIu64, bo_ev_name(ev), d->ev[ev]);
	printf("\n");
}

static void print_text_order(const struct bo_dev *u, const struct bo_dev *l,
			     uint64_t offset, const struct bo_order *o,
			     const struct bo_writes *uw)
{
	printf("order %s (%s) -> %s (%s), lower offset %" PRIu64 " sectors, matched in units of %u sector%s\n",
	       u->name, bo_ev_name(u->issue), l->name, bo_ev_name(l->issue),
	       offset, o->unit, o->unit == 1 ? "" : "s");
	printf("  upper writes         %10" PRIu64 "\n", o->upper_writes);
	printf("  lower writes         %10" PRIu64 "\n", o->lower_writes);
	printf("  seen below           %10" PRIu64 "  (%" PRIu64 " only partly)\n",
	       o->matched, o->partial);
	printf("  overwritten on the way %8" PRIu64 "  (only newer data reached below)\n",
	       o->absorbed);
	printf("  not seen below       %10" PRIu64 "\n", o->unseen);
	printf("  extra lower sectors  %10" PRIu64 "\n", o->extra_sectors);
	printf("  in upper order       %10" PRIu64 "\n", o->in_order);
	printf("  reordered            %10" PRIu64 "  (%.1f%%)\n",
	       o->reordered, percent(o->reordered, o->matched));
	printf("  inversions           %10" PRIu64 "\n", o->inversions);
	printf("  durable above        %10" PRIu64 "\n", o->durable);
	printf("  ordering violations  %10" PRIu64, o->violations);
	if (o->first_violation >= 0)
		printf("  (first: upper write %" PRId64 ", sector %" PRIu64 ")",
		       o->first_violation, uw->w[o->first_violation].sector);
	printf("\n");
}

static void print_kv_dev(const struct bo_dev *d, const struct bo_src *s)
{
	char devno[32];
	size_t i;
	int ev;

	devno_str(d->devno, devno, sizeof(devno));
	printf("%s devno %s\n", d->name, devno);
	printf("%s files %zu\n", d->name, s->nfiles);
	printf("%s records %zu\n", d->name, d->nr);
	printf("%s issue %s\n", d->name, bo_ev_name(d->issue));
	printf("%s duration_ns %" PRIu64 "\n", d->name,
	       d->nr ? d->st.last_ns - d->st.first_ns : 0);
	for (i = 0; i < NFIELDS(stat_fields); i++)
		printf("%s %s %" PRIu64 "\n", d->name, stat_fields[i].name,
		       field_val(&d->st, &stat_fields[i]));
	for (ev = 0; ev < BO_NR_EV; ev++)
		printf("%s ev_%s %" PRIu64 "\n", d->name, bo_ev_name(ev),
		       d->ev[ev]);
}

static void print_kv_order(const struct bo_dev *u, const struct bo_dev *l,
			   uint64_t offset, const struct bo_order *o)
{
	size_t i;

	printf("order upper %s\n", u->name);
	printf("order lower %s\n", l->name);
	printf("order upper_issue %s\n", bo_ev_name(u->issue));
	printf("order lower_issue %s\n", bo_ev_name(l->issue));
	printf("order lower_offset %" PRIu64 "\n", offset);
	printf("order unit %u\n", o->unit);
	for (i = 0; i < NFIELDS(order_fields); i++)
		printf("order %s %" PRIu64 "\n", order_fields[i].name,
		       field_val(o, &order_fields[i]));
	printf("order reordered_pct %.1f\n", percent(o->reordered, o->matched));
	printf("order first_violation %" PRId64 "\n", o->first_violation);
}

static void print_json(const struct bo_dev *d, size_t n,
		       const struct bo_src *srcs, const struct bo_dev *u,
		       const struct bo_dev *l, uint64_t offset,
		       const struct bo_order *o)
{
	size_t k, i;
	int ev;

	printf("{\"devices\":[");
	for (k = 0; k < n; k++) {
		char devno[32];

		devno_str(d[k].devno, devno, sizeof(devno));
		printf("%s{\"name\":", k ? "," : "");
		json_str(d[k].name);
		printf(",\"devno\":\"%s\",\"files\":%zu,\"records\":%zu,\"issue\":\"%s\",\"duration_ns\":%" PRIu64,
		       devno, srcs[d[k].src].nfiles, d[k].nr,
		       bo_ev_name(d[k].issue),
		       d[k].nr ? d[k].st.last_ns - d[k].st.first_ns : 0);
		for (i = 0; i < NFIELDS(stat_fields); i++)
			printf(",\"%s\":%" PRIu64, stat_fields[i].name,
			       field_val(&d[k].st, &stat_fields[i]));
		printf(",\"events\":{");
		for (ev = 0; ev < BO_NR_EV; ev++)
			printf("%s\"%s\":%" PRIu64, ev ? "," : "",
			       bo_ev_name(ev), d[k].ev[ev]);
		printf("}}");
	}
	printf("],\"order\":");
	if (!o) {
		printf("null}\n");
		return;
	}
	printf("{\"upper\":");
	json_str(u->name);
	printf(",\"lower\":");
	json_str(l->name);
	printf(",\"upper_issue\":\"%s\",\"lower_issue\":\"%s\",\"lower_offset\":%" PRIu64 ",\"unit\":%u",
	       bo_ev_name(u->issue), bo_ev_name(l->issue), offset, o->unit);
	for (i = 0; i < NFIELDS(order_fields); i++)
		printf(",\"%s\":%" PRIu64, order_fields[i].name,
		       field_val(o, &order_fields[i]));
	printf(",\"reordered_pct\":%.1f,\"first_violation\":%" PRId64 "}}\n",
	       percent(o->reordered, o->matched), o->first_violation);
}

/* One run of blkorder: what the steps of main() share. */
struct bo_run {
	struct bo_opts o;
	struct bo_src *srcs;
	size_t nsrcs;
	struct bo_trace t;
	struct bo_dev *devs;
	size_t ndevs;
	struct bo_dev *u, *l;	/* --upper and --lower, or NULL */
	struct bo_writes uw, lw;	/* their writes */
	struct bo_order ord;	/* u's writes against l's */
};

/* The traces read, sorted and split by device; warnings about them. */
static int load_traces(struct bo_run *r)
{
	size_t k;

	if (find_sources(&r->o, &r->srcs, &r->nsrcs))
		return -1;
	if (r->nsrcs > UINT16_MAX) {
		bo_fail(0, "too many traces (%zu)", r->nsrcs);
		return -1;
	}
	if (read_sources(&r->o, r->srcs, r->nsrcs, &r->t))
		return -1;
	bo_trace_sort(&r->t);
	if (build_devices(&r->t, r->srcs, r->nsrcs, &r->devs, &r->ndevs))
		return -1;
	for (k = 0; k < r->nsrcs; k++) {
		const struct bo_src *s = &r->srcs[k];

		if (!s->records)
			fprintf(stderr, "%s: warning: %s: no trace records in %zu file%s\n",
				BO_PROG, s->name, s->nfiles,
				s->nfiles == 1 ? "" : "s");
		/* blktrace writes one device per NAME.blktrace.N */
		if (s->ndev > 1 && strcmp(s->files[0], "-"))
			fprintf(stderr, "%s: warning: %s: records of %u devices in one blktrace output (corrupt?)\n",
				BO_PROG, s->name, s->ndev);
	}
	return 0;
}

/* The devices --upper and --lower name.  Returns 0 or an exit status. */
static int find_pair(struct bo_run *r)
{
	r->u = find_device(r->devs, r->ndevs, r->srcs, "--upper", r->o.upper);
	r->l = r->u ? find_device(r->devs, r->ndevs, r->srcs, "--lower",
				  r->o.lower) : NULL;
	if (!r->u || !r->l)
		return BO_EXIT_USAGE;
	if (r->u == r->l)
		return bo_fail(BO_EXIT_USAGE, "--upper and --lower name the same device (%s)",
			       r->u->name);
	return 0;
}

/* Each device's counts; the writes of the upper and lower ones kept. */
static int analyze_devices(struct bo_run *r)
{
	size_t k;

	for (k = 0; k < r->ndevs; k++) {
		struct bo_dev *d = &r->devs[k];
		struct bo_writes *w = NULL;
		int issue = r->o.issue;

		if (d == r->u) {
			issue = r->o.upper_issue;
			w = &r->uw;
		} else if (d == r->l) {
			issue = r->o.lower_issue;
			w = &r->lw;
		}
		choose_issue(&r->t, d, issue);
		if (bo_dev_analyze(&r->t, d, w)) {
			bo_fail(0, "%s: out of memory", d->name);
			return -1;
		}
		if (d->nr && !d->ev[d->issue])
			fprintf(stderr, "%s: warning: %s has no %s events: its requests are not counted (try --issue %s)\n",
				BO_PROG, d->name, bo_ev_name(d->issue),
				d->issue == BO_EV_D ? "Q" : "D");
	}
	return 0;
}

/* The upper device's write order against the lower device's. */
static int compare_pair(struct bo_run *r)
{
	int ret = bo_order_compare(&r->uw, &r->lw, r->o.offset, BO_MAX_UNITS,
				   &r->ord);

	if (ret == -2) {
		bo_fail(0, "%s and %s: %" PRIu64 " units of %u sectors written, more than the %llu blkorder compares",
			r->u->name, r->l->name, r->ord.units, r->ord.unit,
			(unsigned long long)BO_MAX_UNITS);
		return -1;
	}
	if (ret) {
		bo_fail(0, "out of memory comparing %s with %s",
			r->u->name, r->l->name);
		return -1;
	}
	return 0;
}

static void print_report(const struct bo_run *r)
{
	const struct bo_dev *devs = r->devs;
	size_t k;

	switch (r->o.format) {
	case BO_TEXT:
		for (k = 0; k < r->ndevs; k++)
			print_text_dev(&devs[k], &r->srcs[devs[k].src]);
		if (r->u)
			print_text_order(r->u, r->l, r->o.offset, &r->ord,
					 &r->uw);
		break;
	case BO_KV:
		for (k = 0; k < r->ndevs; k++)
			print_kv_dev(&devs[k], &r->srcs[devs[k].src]);
		if (r->u)
			print_kv_order(r->u, r->l, r->o.offset, &r->ord);
		break;
	case BO_JSON:
		print_json(devs, r->ndevs, r->srcs, r->u, r->l, r->o.offset,
			   r->u ? &r->ord : NULL);
		break;
	}
}

int main(int argc, char **argv)
{
	struct bo_run r = { 0 };
	int status = BO_EXIT_TRACE;
	size_t k;

	if (parse_args(argc, argv, &r.o))
		return BO_EXIT_USAGE;
	if (load_traces(&r))
		goto out;
	if (r.o.upper) {
		status = find_pair(&r);
		if (status)
			goto out;
		status = BO_EXIT_TRACE;
	}
	if (analyze_devices(&r) || (r.u && compare_pair(&r)))
		goto out;

	print_report(&r);
	status = BO_EXIT_OK;
	if (r.o.check && r.ord.violations) {
		fprintf(stderr, "%s: %" PRIu64 " ordering violation%s between %s and %s\n",
			BO_PROG, r.ord.violations,
			r.ord.violations == 1 ? "" : "s", r.u->name, r.l->name);
		status = BO_EXIT_VIOLATION;
	}
	if (fflush(stdout) || ferror(stdout))
		status = bo_fail(BO_EXIT_TRACE, "writing the report: %s",
				 strerror(errno));
out:
	for (k = 0; k < r.ndevs; k++)
		free(r.devs[k].idx);
	free(r.devs);
	bo_writes_free(&r.uw);
	bo_writes_free(&r.lw);
	bo_trace_free(&r.t);
	free_sources(r.srcs, r.nsrcs);
	return status;
}
