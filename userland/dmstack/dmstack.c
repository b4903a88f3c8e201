// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmstack: builds a stack of device-mapper targets from one line,
 * shows it, talks to its layers and removes it again.
 *
 *   dmstack create NAME 'disk /dev/vdb | faultinj seed=7 | delay ms=5'
 *   dmstack show|status|revive|remove NAME,  dmstack message NAME LAYER MSG...
 *   dmstack crash NAME [after N | keep none|all|prefix N|random PPM] [seed N]
 *
 * A stack has no state file: every device carries the dm UUID
 * DMSTACK-<NAME>-<nn>-<type>[-<vdisk>], and the commands find a stack by
 * listing the device-mapper devices.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dm.h"
#include "spec.h"
#include "target.h"

struct dms_opts {
	int dry_run;
	int json;
	int force;
	const char *file;
	const char *layer;	/* crash, revive: --layer */
};

/* One device of an existing stack, found by its UUID. */
struct dms_member {
	struct dmd_info info;
	int layer;
	enum dms_type type;
	int vdisk;
};

static int dms_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int dms_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", DMS_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void dms_usage(FILE *f)
{
	fprintf(f,
		"usage: dmstack [--dry-run] create NAME SPEC | create NAME -f FILE\n"
		"       dmstack [--json] show NAME | status NAME | list\n"
		"       dmstack [--dry-run] message NAME LAYER MSG...\n"
		"       dmstack [--dry-run] [--layer LAYER] crash NAME [after N]\n"
		"               [keep none|all|prefix N|random PPM] [seed N]\n"
		"       dmstack [--dry-run] [--layer LAYER] revive NAME\n"
		"       dmstack [--dry-run] [--force] remove NAME\n"
		"SPEC is a pipeline from the bottom up, e.g.\n"
		"  'disk /dev/vdb | faultinj seed=7 | flakey up=5 down=1'\n"
		"layers: %s (see dmstack(8))\n", dms_known_types());
}

/* ---- output helpers ----------------------------------------------------- */

static void dms_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * A number (an integer, or a decimal such as subsist's ratio "3.00")
 * stays a JSON number; anything else becomes a string.
 */
static void dms_json_val(const char *s)
{
	const char *p = s;

	if (*p && (p[0] != '0' || !p[1] || p[1] == '.')) {
		while (isdigit((unsigned char)*p))
			p++;
		if (p > s && *p == '.' && isdigit((unsigned char)p[1])) {
			for (p++; isdigit((unsigned char)*p); p++)
				;
			if (!*p && p - s < 24) {
				fputs(s, stdout);
				return;
			}
		} else if (!*p && p - s < 19) {
			fputs(s, stdout);
			return;
		}
	}
	dms_json_str(s);
}

/* Shell-quotes @s unless it is made of harmless characters only. */
static void dms_sh_quote(const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_.+-:=,@%", *p))
			break;
	if (*s && !*p) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	}
	putchar('\'');
}

/* ---- stacks ------------------------------------------------------------ */

static int dms_member_cmp(const void *a, const void *b)
{
	const struct dms_member *x = a, *y = b;

	if (x->layer != y->layer)
		return x->layer - y->layer;
	return x->vdisk - y->vdisk;
}

/*
 * The devices of stack @name, bottom up (a subsist pool before its
 * vdisks).  @name NULL: every device of every stack.
 */
static int dms_stack_load(const char *name, struct dms_member **out, int *nr)
{
	struct dmd_info *devs;
	struct dms_member *m;
	char sname[DMS_UUID_LEN];
	int i, n = 0, ndev, ret;

	*out = NULL;
	*nr = 0;
	ret = dmd_list(&devs, &ndev);
	if (ret) {
		dms_fail("cannot list the device-mapper devices: %s (is dm-mod loaded, are you root?)",
			 strerror(-ret));
		return ret;
	}
	m = calloc(ndev ? ndev : 1, sizeof(*m));
	if (!m) {
		free(devs);
		dms_fail("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < ndev; i++) {
		struct dms_member *d = &m[n];

		if (dms_uuid_parse(devs[i].uuid, sname, sizeof(sname),
				   &d->layer, &d->type, &d->vdisk))
			continue;
		if (name && strcmp(sname, name))
			continue;
		d->info = devs[i];
		n++;
	}
	free(devs);
	qsort(m, n, sizeof(*m), dms_member_cmp);
	*out = m;
	*nr = n;
	return 0;
}

static int dms_stack_need(const char *name, struct dms_member **m, int *nr)
{
	if (dms_stack_load(name, m, nr))
		return 1;
	if (!*nr) {
		free(*m);
		return dms_fail("no stack '%s' ('dmstack list' shows the stacks)",
				name);
	}
	return 0;
}

static const char *dms_member_label(const struct dms_member *m, char *buf,
				    size_t len)
{
	if (m->type == DMS_SUBSIST && m->vdisk < 0)
		snprintf(buf, len, "subsist-pool");
	else if (m->type == DMS_SUBSIST)
		snprintf(buf, len, "subsist vdisk %d", m->vdisk);
	else
		snprintf(buf, len, "%s", dms_type_name(m->type));
	return buf;
}

/* /dev/<name> of a block device number, from sysfs ("" when unknown). */
static void dms_devno_path(const char *devno, char *buf, size_t len)
{
	char path[128], line[200];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%s/dm/name", devno);
	f = fopen(path, "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "/dev/mapper/%s", line);
		}
		fclose(f);
		return;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%s/uevent", devno);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "/dev/%s", line + 8);
		}
	}
	fclose(f);
}

/* ---- create ------------------------------------------------------------ */

static char *dms_read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t n = 0, cap = 4096, r;
	char *buf, *tmp;

	if (!f) {
		dms_fail("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n + 1 < cap)
			break;
		cap *= 2;
		if (cap > (1 << 20)) {
			dms_fail("%s: too large for a spec", path);
			free(buf);
			buf = NULL;
			break;
		}
		tmp = realloc(buf, cap);
		if (!tmp)
			free(buf);
		buf = tmp;
	}
	if (buf && ferror(f)) {
		dms_fail("%s: %s", path, strerror(errno));
		free(buf);
		buf = NULL;
	} else if (buf) {
		buf[n] = '\0';
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* The size of the block device @path in sectors. */
static int dms_disk_sectors(const char *path, uint64_t *sectors)
{
	uint64_t bytes;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dms_fail("layer 0 (disk): %s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		close(fd);
		return dms_fail("layer 0 (disk): %s: not a block device", path);
	}
	if (ioctl(fd, BLKGETSIZE64, &bytes)) {
		close(fd);
		return dms_fail("layer 0 (disk): %s: cannot read its size: %s",
				path, strerror(errno));
	}
	close(fd);
	*sectors = bytes >> 9;
	return 0;
}

static const char *dms_dev_label(const struct dms_dev *d, char *buf,
				 size_t len)
{
	if (d->type == DMS_SUBSIST && d->vdisk < 0)
		snprintf(buf, len, "subsist-pool");
	else if (d->type == DMS_SUBSIST)
		snprintf(buf, len, "subsist vdisk %d", d->vdisk);
	else
		snprintf(buf, len, "%s", dms_type_name(d->type));
	return buf;
}

/* Refuses a stack name in use, or a device name a layer would take. */
static int dms_check_free(const char *name, const struct dms_plan *plan,
			  int dry_run)
{
	struct dms_member *m;
	struct dmd_info *devs;
	int i, j, n, ndev;

	if (dmd_list(&devs, &ndev)) {
		if (dry_run)
			return 0;
		return dms_fail("cannot list the device-mapper devices (is dm-mod loaded, are you root?)");
	}
	for (i = 0; i < ndev; i++) {
		for (j = 0; j < plan->nr; j++) {
			if (strcmp(devs[i].name, plan->devs[j].name))
				continue;
			free(devs);
			if (!dms_stack_load(name, &m, &n) && n) {
				free(m);
				return dms_fail("stack '%s' already exists ('dmstack show %s')",
						name, name);
			}
			return dms_fail("device '%s' already exists: layer %d of the new stack would need that name",
					plan->devs[j].name, plan->devs[j].layer);
		}
	}
	free(devs);
	if (dms_stack_load(name, &m, &n))
		return 1;
	free(m);
	if (n)
		return dms_fail("stack '%s' already exists ('dmstack show %s')",
				name, name);
	return 0;
}

static int dms_wait_node(const char *name)
{
	char path[DMS_DEV_LEN + 16];
	struct stat st;
	int i;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	for (i = 0; i < 100; i++) {
		if (!stat(path, &st) && S_ISBLK(st.st_mode))
			return 0;
		usleep(20000);
	}
	return -ENOENT;
}

static int dms_undo(const struct dms_plan *plan, int done)
{
	char reason[DMS_ERR_LEN];
	int i, ret, left = 0;

	for (i = done - 1; i >= 0; i--) {
		reason[0] = '\0';
		ret = dmd_remove(plan->devs[i].name, 0, reason, sizeof(reason));
		if (ret) {
			dms_fail("could not remove %s again: %s", plan->devs[i].name,
				 reason[0] ? reason : strerror(-ret));
			left++;
		}
	}
	if (done && !left)
		fprintf(stderr, "%s: removed the %d device%s below it again\n",
			DMS_PROG, done, done == 1 ? "" : "s");
	return left;
}

static int dms_create(const char *name, const char *text,
		      const struct dms_opts *o)
{
	char err[DMS_ERR_LEN], label[40];
	uint64_t disk = 0;
	struct dms_spec *spec;
	struct dms_plan *plan;
	int i, ret = 1;

	spec = malloc(sizeof(*spec));
	plan = malloc(sizeof(*plan));
	if (!spec || !plan) {
		dms_fail("out of memory");
		goto out;
	}
	if (dms_name_valid(name, err, sizeof(err))) {
		dms_fail("%s", err);
		goto out;
	}
	if (dms_spec_parse(text, spec, err, sizeof(err))) {
		dms_fail("%s", err);
		goto out;
	}
	if (spec->layers[0].type == DMS_DISK &&
	    dms_disk_sectors(spec->layers[0].path, &disk))
		goto out;
	if (dms_plan_build(spec, name, disk, plan, err, sizeof(err))) {
		dms_fail("%s", err);
		goto out;
	}
	if (dms_check_free(name, plan, o->dry_run))
		goto out;
	if (o->dry_run) {
		for (i = 0; i < plan->nr; i++) {
			const struct dms_dev *d = &plan->devs[i];
			char table[DMS_PARAMS_LEN + 96];

			snprintf(table, sizeof(table), "0 %llu %s%s%s",
				 (unsigned long long)d->length, d->target,
				 d->params[0] ? " " : "", d->params);
			printf("dmsetup create %s --uuid %s --table ", d->name,
			       d->uuid);
			dms_sh_quote(table);
			putchar('\n');
		}
		ret = 0;
		goto out;
	}
	for (i = 0; i < plan->nr; i++) {
		const struct dms_dev *d = &plan->devs[i];

		ret = dmd_create(d, err, sizeof(err));
		if (!ret && dms_wait_node(d->name)) {
			char r2[DMS_ERR_LEN];

			snprintf(err, sizeof(err), "/dev/mapper/%s did not appear",
				 d->name);
			dmd_remove(d->name, 0, r2, sizeof(r2));
			ret = -ENOENT;
		}
		if (ret) {
			dms_fail("layer %d (%s) failed: %s", d->layer,
				 dms_dev_label(d, label, sizeof(label)), err);
			dms_undo(plan, i);
			ret = 1;
			goto out;
		}
	}
	/* The top device, or a subsist's vdisks (its pool takes no writes). */
	for (i = 0; i < plan->nr; i++)
		if (plan->devs[i].layer == spec->nr - 1 &&
		    !(plan->devs[i].type == DMS_SUBSIST && plan->devs[i].vdisk < 0))
			printf("/dev/mapper/%s\n", plan->devs[i].name);
	ret = 0;
out:
	free(spec);
	free(plan);
	return ret;
}

/* ---- show / status / list --------------------------------------------- */

/* "<maj:min>" of the device below @m, from its table ("" if unknown). */
static void dms_lower_devno(const struct dms_member *m, char *buf, size_t len)
{
	char target[32], *params;
	uint64_t length;

	buf[0] = '\0';
	if (dmd_table(m->info.name, 0, target, sizeof(target), &length, &params))
		return;
	snprintf(buf, len, "%.*s", (int)strcspn(params, " "), params);
	free(params);
}

static int dms_show(const char *name, const struct dms_opts *o)
{
	char target[32], label[40], devno[32], path[DMS_PATH_LEN];
	struct dms_member *m;
	uint64_t length;
	char *params;
	int i, n;

	if (dms_stack_need(name, &m, &n))
		return 1;
	devno[0] = '\0';
	path[0] = '\0';
	if (m[0].layer > 0) {
		dms_lower_devno(&m[0], devno, sizeof(devno));
		dms_devno_path(devno, path, sizeof(path));
	}
	if (o->json) {
		printf("{\"stack\":");
		dms_json_str(name);
		printf(",\"layers\":[");
		if (devno[0]) {
			printf("{\"layer\":0,\"device\":");
			dms_json_str(path[0] ? path : devno);
			printf(",\"target\":\"disk\",\"devno\":");
			dms_json_str(devno);
			printf("}%s", n ? "," : "");
		}
	} else {
		printf("stack %s\n", name);
		printf("%-5s %-24s %-14s %s\n", "LAYER", "DEVICE", "TARGET",
		       "TABLE");
	}
	for (i = o->json ? 0 : n - 1; o->json ? i < n : i >= 0;
	     i += o->json ? 1 : -1) {
		if (dmd_table(m[i].info.name, 0, target, sizeof(target), &length,
			      &params)) {
			params = strdup("?");
			if (!params)
				break;
		}
		dms_member_label(&m[i], label, sizeof(label));
		if (o->json) {
			printf("{\"layer\":%d,\"device\":", m[i].layer);
			dms_json_str(m[i].info.name);
			snprintf(path, sizeof(path), "/dev/mapper/%s",
				 m[i].info.name);
			printf(",\"path\":");
			dms_json_str(path);
			printf(",\"type\":");
			dms_json_str(label);
			printf(",\"target\":");
			dms_json_str(target);
			printf(",\"devno\":\"%u:%u\",\"open_count\":%d,\"length\":%llu,\"table\":",
			       m[i].info.major, m[i].info.minor,
			       m[i].info.open_count, (unsigned long long)length);
			{
				char t[DMS_PARAMS_LEN + 96];

				snprintf(t, sizeof(t), "0 %llu %s %s",
					 (unsigned long long)length, target,
					 params);
				dms_json_str(t);
			}
			printf("}%s", i < n - 1 ? "," : "");
		} else {
			printf("%-5d %-24s %-14s 0 %llu %s %s\n", m[i].layer,
			       m[i].info.name, label, (unsigned long long)length,
			       target, params);
		}
		free(params);
	}
	if (o->json)
		printf("]}\n");
	else if (devno[0])
		printf("%-5d %-24s %-14s %s\n", 0, path[0] ? path : devno,
		       "disk", devno);
	free(m);
	return 0;
}

/*
 * The named fields of a parsed status line: " name=value..." in text,
 * JSON members in JSON; faultinj's rules as rule_fired.
 */
static void dms_print_fields(const char *target, const struct dms_status *st,
			     int json)
{
	int i;

	for (i = 0; i < st->nr; i++) {
		if (json) {
			printf("%s\"%s\":", i ? "," : "", st->f[i].name);
			dms_json_val(st->f[i].val);
		} else {
			printf(" %s=%s", st->f[i].name, st->f[i].val);
		}
	}
	if (strcmp(target, "faultinj"))
		return;
	printf(json ? ",\"rule_fired\":{" : " rule_fired=");
	for (i = 0; i < st->nr_rules; i++) {
		if (json) {
			printf("%s", i ? "," : "");
			dms_json_str(st->rules[i].name);
			putchar(':');
			dms_json_val(st->rules[i].val);
		} else {
			printf("%s%s:%s", i ? "," : "", st->rules[i].name,
			       st->rules[i].val);
		}
	}
	if (json)
		putchar('}');
	else if (!st->nr_rules)
		printf("none");
}

static int dms_status(const char *name, const struct dms_opts *o)
{
	char target[32], label[40];
	struct dms_status st;
	struct dms_member *m;
	uint64_t length;
	char *status;
	int i, n, parsed, ret = 0;

	if (dms_stack_need(name, &m, &n))
		return 1;
	if (o->json) {
		printf("{\"stack\":");
		dms_json_str(name);
		printf(",\"layers\":[");
	}
	for (i = n - 1; i >= 0; i--) {
		if (dmd_table(m[i].info.name, 1, target, sizeof(target), &length,
			      &status)) {
			dms_fail("%s: cannot read its status", m[i].info.name);
			ret = 1;
			continue;
		}
		dms_member_label(&m[i], label, sizeof(label));
		/* Garbled (< 0): shown raw, and "raw":true in JSON. */
		parsed = dms_status_parse(target, status, &st);
		if (parsed == -ENOMEM) {
			free(status);
			free(m);
			return dms_fail("out of memory");
		}
		if (o->json) {
			printf("{\"layer\":%d,\"device\":", m[i].layer);
			dms_json_str(m[i].info.name);
			printf(",\"type\":");
			dms_json_str(label);
			printf(",\"target\":");
			dms_json_str(target);
			printf(",\"status\":");
			dms_json_str(status);
			if (parsed) {
				printf(",\"fields\":{");
				if (parsed > 0)
					dms_print_fields(target, &st, 1);
				else
					printf("\"raw\":true");
				putchar('}');
			}
			printf("}%s", i ? "," : "");
		} else {
			printf("%d %s (%s):", m[i].layer, m[i].info.name, target);
			if (parsed > 0)
				dms_print_fields(target, &st, 0);
			else if (status[0])
				printf(" %s", status);
			putchar('\n');
		}
		dms_status_free(&st);
		free(status);
	}
	if (o->json)
		printf("]}\n");
	free(m);
	return ret;
}

static int dms_list(const struct dms_opts *o)
{
	char sname[DMS_UUID_LEN], prev[DMS_UUID_LEN] = "";
	struct dms_member *m;
	int i, j, k, n, layer, vdisk, first = 1;
	enum dms_type type;

	if (dms_stack_load(NULL, &m, &n))
		return 1;
	if (o->json)
		printf("[");
	/* Grouped by name: the members are sorted by layer only. */
	for (i = 0; i < n; i++) {
		dms_uuid_parse(m[i].info.uuid, sname, sizeof(sname), &layer,
			       &type, &vdisk);
		if (!strcmp(sname, prev))
			continue;
		for (j = 0; j < i; j++) {
			char other[DMS_UUID_LEN];

			dms_uuid_parse(m[j].info.uuid, other, sizeof(other),
				       &layer, &type, &vdisk);
			if (!strcmp(other, sname))
				break;
		}
		if (j < i)
			continue;
		snprintf(prev, sizeof(prev), "%s", sname);
		if (o->json) {
			printf("%s{\"stack\":", first ? "" : ",");
			dms_json_str(sname);
			printf(",\"devices\":[");
		} else {
			printf("%s:", sname);
		}
		first = 0;
		for (j = 0, k = 0; j < n; j++) {
			char other[DMS_UUID_LEN];

			dms_uuid_parse(m[j].info.uuid, other, sizeof(other),
				       &layer, &type, &vdisk);
			if (strcmp(other, sname))
				continue;
			if (o->json) {
				printf("%s", k++ ? "," : "");
				dms_json_str(m[j].info.name);
			} else {
				printf(" %s", m[j].info.name);
			}
		}
		if (o->json)
			printf("]}");
		else
			putchar('\n');
	}
	if (o->json)
		printf("]\n");
	free(m);
	return 0;
}

/* ---- message / crash ---------------------------------------------------- */

/* A layer named by its device name, its suffix, or its index. */
static const struct dms_member *dms_find_layer(const char *stack,
					       const struct dms_member *m, int n,
					       const char *layer)
{
	size_t sl = strlen(stack);
	char *end;
	long idx;
	int i;

	for (i = 0; i < n; i++) {
		const char *dn = m[i].info.name;

		if (!strcmp(dn, layer))
			return &m[i];
		if (!strncmp(dn, stack, sl) && dn[sl] == '-' &&
		    !strcmp(dn + sl + 1, layer))
			return &m[i];
	}
	/* "subsist" and "subsist-pool" name the pool (vdisks take no messages). */
	if (!strcmp(layer, "subsist") || !strcmp(layer, "subsist-pool"))
		for (i = 0; i < n; i++)
			if (m[i].type == DMS_SUBSIST && m[i].vdisk < 0)
				return &m[i];
	idx = strtol(layer, &end, 10);
	if (*layer && !*end)
		for (i = 0; i < n; i++)
			if (m[i].layer == idx && m[i].vdisk < 0)
				return &m[i];
	return NULL;
}

static int dms_send(const char *dev, const char *msg, const struct dms_opts *o)
{
	char reason[DMS_ERR_LEN] = "";
	char *reply;
	int ret;

	if (o->dry_run) {
		printf("dmsetup message %s 0 %s\n", dev, msg);
		return 0;
	}
	ret = dmd_message(dev, msg, &reply, reason, sizeof(reason));
	if (ret)
		return dms_fail("%s: message '%s' refused: %s", dev, msg,
				reason[0] ? reason : strerror(-ret));
	if (reply) {
		printf("%s%s", reply, reply[strlen(reply) - 1] == '\n' ? "" : "\n");
		free(reply);
	}
	return 0;
}

static int dms_message(const char *name, const char *layer, int argc,
		       char **argv, const struct dms_opts *o)
{
	const struct dms_member *t;
	struct dms_member *m;
	char msg[4096] = "";
	size_t len = 0;
	int i, n, ret;

	if (argc < 1)
		return dms_fail("message: no message given (dmstack message NAME LAYER MSG...)");
	for (i = 0; i < argc; i++) {
		if (len + strlen(argv[i]) + 2 > sizeof(msg))
			return dms_fail("message too long");
		len += snprintf(msg + len, sizeof(msg) - len, "%s%s",
				i ? " " : "", argv[i]);
	}
	if (dms_stack_need(name, &m, &n))
		return 1;
	t = dms_find_layer(name, m, n, layer);
	if (!t) {
		fprintf(stderr, "%s: stack '%s' has no layer '%s' (layers:", DMS_PROG,
			name, layer);
		for (i = 0; i < n; i++)
			fprintf(stderr, " %s", m[i].info.name);
		fprintf(stderr, ")\n");
		free(m);
		return 1;
	}
	ret = dms_send(t->info.name, msg, o);
	free(m);
	return ret;
}

/* A layer that can crash: faultinj or noorder (not a subsist vdisk). */
static int dms_crashable(const struct dms_member *m)
{
	return (m->type == DMS_FAULTINJ || m->type == DMS_NOORDER) &&
	       m->vdisk < 0;
}

/*
 * The layer a crash goes to: --layer, else the lowest of the type the
 * words need, else the lowest noorder (a power cut loses its volatile
 * cache, and nothing written later reaches the disk below it), else the
 * lowest faultinj.
 */
static const struct dms_member *dms_crash_layer(const char *name,
						const struct dms_member *m,
						int n, const char *layer,
						enum dms_type need)
{
	const struct dms_member *t = NULL;
	int i;

	if (layer) {
		t = dms_find_layer(name, m, n, layer);
		if (!t)
			dms_fail("stack '%s' has no layer '%s'", name, layer);
		return t;
	}
	if (need != DMS_FAULTINJ)
		for (i = 0; i < n && !t; i++)
			if (m[i].type == DMS_NOORDER && dms_crashable(&m[i]))
				t = &m[i];
	if (need != DMS_NOORDER)
		for (i = 0; i < n && !t; i++)
			if (m[i].type == DMS_FAULTINJ && dms_crashable(&m[i]))
				t = &m[i];
	if (!t && need == DMS_NR_TYPES)
		dms_fail("stack '%s' has no layer that can crash (faultinj or noorder)",
			 name);
	else if (!t)
		dms_fail("stack '%s' has no %s layer (%s)", name,
			 dms_type_name(need), need == DMS_NOORDER ?
			 "keep and seed are noorder's crash policy" :
			 "after is faultinj's");
	return t;
}

/* The parsed status of one layer; 1 when parsed, else 0 (said why). */
static int dms_layer_status(const struct dms_member *t, struct dms_status *st)
{
	char target[32], *status;
	uint64_t length;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = dmd_table(t->info.name, 1, target, sizeof(target), &length,
			&status);
	if (ret) {
		dms_fail("%s: cannot read its status: %s", t->info.name,
			 strerror(-ret));
		return 0;
	}
	ret = dms_status_parse(target, status, st);
	if (ret <= 0)
		dms_fail("%s: cannot read its status: unexpected %s status '%s'",
			 t->info.name, target, status);
	free(status);
	return ret > 0;
}

static int dms_crash(const char *name, int argc, char **argv,
		     const struct dms_opts *o)
{
	char err[DMS_ERR_LEN], msg[DMS_CRASH_MSG_LEN];
	const struct dms_member *t;
	struct dms_status st;
	struct dms_crash cr;
	struct dms_member *m;
	int n, ret;

	memset(&st, 0, sizeof(st));
	if (dms_crash_parse(argc, argv, &cr, err, sizeof(err)))
		return dms_fail("%s", err);
	if (dms_stack_need(name, &m, &n))
		return 1;
	t = dms_crash_layer(name, m, n, o->layer, cr.type);
	if (!t) {
		free(m);
		return 1;
	}
	if (dms_crash_msg(&cr, t->type, msg, sizeof(msg), err, sizeof(err))) {
		dms_fail("%s (layer %d): %s", t->info.name, t->layer, err);
		free(m);
		return 1;
	}
	ret = dms_send(t->info.name, msg, o);
	if (ret || o->dry_run) {
		free(m);
		return ret;
	}
	if (cr.has_after) {
		fprintf(stderr, "%s: %s (layer %d, faultinj) armed: the power is cut after %llu more writes\n",
			DMS_PROG, t->info.name, t->layer,
			(unsigned long long)cr.after);
	} else if (t->type == DMS_FAULTINJ) {
		fprintf(stderr, "%s: %s (layer %d, faultinj) crashed: writes are dropped until 'revive'\n",
			DMS_PROG, t->info.name, t->layer);
	} else if (dms_layer_status(t, &st)) {
		fprintf(stderr, "%s: %s (layer %d, noorder) crashed: %s of the writes not yet on the device below kept, %s dropped; all I/O fails until 'revive'\n",
			DMS_PROG, t->info.name, t->layer,
			dms_status_get(&st, "crash_kept"),
			dms_status_get(&st, "crash_dropped"));
	} else {
		ret = 1;
	}
	dms_status_free(&st);
	free(m);
	return ret;
}

/*
 * Revives the layer named by --layer, or every faultinj and noorder
 * layer whose status says crashed or armed.
 */
static int dms_revive(const char *name, const struct dms_opts *o)
{
	const struct dms_member *t;
	struct dms_status st;
	struct dms_member *m;
	const char *cs;
	int i, n, done = 0, ret = 0;

	if (dms_stack_need(name, &m, &n))
		return 1;
	if (o->layer) {
		t = dms_find_layer(name, m, n, o->layer);
		if (!t)
			ret = dms_fail("stack '%s' has no layer '%s'", name,
				       o->layer);
		else if (!dms_crashable(t))
			ret = dms_fail("%s (layer %d): a %s layer cannot crash or revive (faultinj and noorder can)",
				       t->info.name, t->layer,
				       dms_type_name(t->type));
		else
			ret = dms_send(t->info.name, "revive", o);
		free(m);
		return ret;
	}
	for (i = n - 1; i >= 0; i--) {
		if (!dms_crashable(&m[i]))
			continue;
		if (!dms_layer_status(&m[i], &st)) {
			ret = 1;
			continue;
		}
		cs = dms_status_get(&st, "crash_state");
		if (cs && strcmp(cs, "live")) {
			if (dms_send(m[i].info.name, "revive", o))
				ret = 1;
			else if (!o->dry_run)
				fprintf(stderr, "%s: %s (layer %d, %s) revived (it was %s)\n",
					DMS_PROG, m[i].info.name, m[i].layer,
					dms_type_name(m[i].type), cs);
			done++;
		}
		dms_status_free(&st);
	}
	free(m);
	if (!done && !ret)
		return dms_fail("stack '%s' has no crashed layer", name);
	return ret;
}

/* ---- remove ---------------------------------------------------------- */

/* Where the device @maj:@min is mounted ("" if it is not). */
static void dms_mountpoint(unsigned int maj, unsigned int min, char *buf,
			   size_t len)
{
	char line[4096], devno[32], mnt[1024];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	unsigned int ma, mi;

	buf[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %31s %*s %1023s", devno, mnt) != 2 ||
		    sscanf(devno, "%u:%u", &ma, &mi) != 2)
			continue;
		if (ma == maj && mi == min) {
			snprintf(buf, len, "%s", mnt);
			break;
		}
	}
	fclose(f);
}

/* How many devices of the stack hold @i open (those right above it). */
static int dms_holders(const struct dms_member *m, int n, int i)
{
	int j, h = 0;

	for (j = 0; j < n; j++) {
		if (m[i].type == DMS_SUBSIST && m[i].vdisk < 0)
			h += m[j].layer == m[i].layer && m[j].vdisk >= 0;
		else if (m[i].vdisk < 0)
			h += m[j].layer == m[i].layer + 1 &&
			     (m[j].type != DMS_SUBSIST || m[j].vdisk < 0);
	}
	return h;
}

static int dms_remove(const char *name, const struct dms_opts *o)
{
	char reason[DMS_ERR_LEN], mnt[1100];
	struct dms_member *m;
	int i, n, busy = 0, deferred = 0, ret = 0, left = 0, extra;
	struct dmd_info info;

	if (dms_stack_need(name, &m, &n))
		return 1;
	for (i = n - 1; i >= 0; i--) {
		extra = m[i].info.open_count - dms_holders(m, n, i);
		if (extra <= 0)
			continue;
		dms_mountpoint(m[i].info.major, m[i].info.minor, mnt, sizeof(mnt));
		fprintf(stderr, "%s: %s is in use (open count %d%s%s)\n",
			DMS_PROG, m[i].info.name, m[i].info.open_count,
			mnt[0] ? ", mounted on " : "", mnt);
		busy++;
	}
	if (busy && !o->force) {
		free(m);
		return dms_fail("stack '%s' not removed: nothing was changed (--force removes what it can and defers the rest)",
				name);
	}
	for (i = n - 1; i >= 0; i--) {
		extra = m[i].info.open_count - dms_holders(m, n, i);
		if (o->force && extra > 0)
			deferred = 1;
		if (o->dry_run) {
			printf("dmsetup remove%s %s\n", deferred ? " --deferred" : "",
			       m[i].info.name);
			continue;
		}
		reason[0] = '\0';
		ret = dmd_remove(m[i].info.name, deferred, reason, sizeof(reason));
		if (ret && o->force && !deferred) {
			deferred = 1;
			ret = dmd_remove(m[i].info.name, 1, reason, sizeof(reason));
		}
		if (ret) {
			dms_fail("%s: cannot remove it: %s", m[i].info.name,
				 reason[0] ? reason : strerror(-ret));
			break;
		}
	}
	if (o->dry_run) {
		free(m);
		return 0;
	}
	for (i = n - 1; i >= 0; i--) {
		if (dmd_info(m[i].info.name, &info) || !info.exists)
			continue;
		if (!left++)
			fprintf(stderr, "%s: left in place%s:", DMS_PROG,
				deferred ? " (removed when no longer open)" : "");
		fprintf(stderr, " %s", m[i].info.name);
	}
	if (left)
		fputc('\n', stderr);
	free(m);
	/* --force: what is left is deferred, as asked; said above. */
	return ret || (left && !deferred) ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct dms_opts o = { 0 };
	char *pos[8], *text;
	int npos = 0, i, ret;
	char **rest = NULL;
	int nrest = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		/* message: everything after LAYER is the message. */
		if (npos == 3 && !strcmp(pos[0], "message")) {
			rest = argv + i;
			nrest = argc - i;
			break;
		}
		if (!strcmp(a, "--")) {
			for (i++; i < argc && npos < 8; i++)
				pos[npos++] = argv[i];
			break;
		}
		if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			o.dry_run = 1;
		} else if (!strcmp(a, "--json")) {
			o.json = 1;
		} else if (!strcmp(a, "--force")) {
			o.force = 1;
		} else if (!strcmp(a, "--layer")) {
			if (++i >= argc)
				return dms_fail("%s needs a layer", a);
			o.layer = argv[i];
		} else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
			if (++i >= argc)
				return dms_fail("%s needs a file name", a);
			o.file = argv[i];
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			dms_usage(stdout);
			return 0;
		} else if (a[0] == '-' && a[1]) {
			dms_fail("unknown option '%s'", a);
			dms_usage(stderr);
			return 1;
		} else if (npos < 8) {
			pos[npos++] = argv[i];
		} else {
			return dms_fail("too many arguments");
		}
	}
	if (!npos) {
		dms_usage(stderr);
		return 1;
	}
	dmd_init();
	if (!strcmp(pos[0], "create")) {
		if (npos != (o.file ? 2 : 3))
			return dms_fail("usage: dmstack create NAME SPEC, or dmstack create NAME -f FILE");
		if (o.file) {
			text = dms_read_file(o.file);
			if (!text)
				return 1;
			ret = dms_create(pos[1], text, &o);
			free(text);
			return ret;
		}
		return dms_create(pos[1], pos[2], &o);
	}
	if (o.file)
		return dms_fail("-f is for create only");
	if (o.layer && strcmp(pos[0], "crash") && strcmp(pos[0], "revive"))
		return dms_fail("--layer is for crash and revive only (message takes the layer as its argument)");
	if (!strcmp(pos[0], "crash")) {
		if (npos < 2)
			return dms_fail("usage: dmstack crash NAME [after N] [keep none|all|prefix N|random PPM] [seed N]");
		return dms_crash(pos[1], npos - 2, pos + 2, &o);
	}
	if (!strcmp(pos[0], "list")) {
		if (npos != 1)
			return dms_fail("usage: dmstack list");
		return dms_list(&o);
	}
	if (!strcmp(pos[0], "message")) {
		if (npos != 3)
			return dms_fail("usage: dmstack message NAME LAYER MSG...");
		return dms_message(pos[1], pos[2], nrest, rest, &o);
	}
	if (npos != 2) {
		dms_usage(stderr);
		return 1;
	}
	if (!strcmp(pos[0], "show"))
		return dms_show(pos[1], &o);
	if (!strcmp(pos[0], "status"))
		return dms_status(pos[1], &o);
	if (!strcmp(pos[0], "revive"))
		return dms_revive(pos[1], &o);
	if (!strcmp(pos[0], "remove"))
		return dms_remove(pos[1], &o);
	dms_fail("unknown command '%s'", pos[0]);
	dms_usage(stderr);
	return 1;
}
