// SPDX-License-Identifier: GPL-2.0-only
/*
 * fsblocks: every libdevmapper call of the program.
 *
 * Only ioctls that need no udev cookie are used (info, table, target
 * message), so nothing here waits for udev; libdevmapper itself honours
 * DM_DISABLE_UDEV.  libdm returns 1 for success: each function below turns
 * that into 0 / -1 once, after printing what failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>

#include <libdevmapper.h>

#include "fsblocks.h"

#define FSB_DM_TARGET	"faultinj"
#define FSB_DM_DEFAULT_BLOCK_SIZE	4096

static void fsb_dm_log(int level, const char *file, int line, int dm_errno,
		       const char *f, ...)
	__attribute__((format(printf, 5, 6)));

/* libdm's errors, with our prefix; its chatter below LOG_ERR is dropped. */
static void fsb_dm_log(int level, const char *file, int line, int dm_errno,
		       const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	if ((level & 7) > LOG_ERR)
		return;
	fprintf(stderr, "%s: device-mapper: ", FSB_PROG);
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Creates a task of @type aimed at @dev: a dm name, or a path to the
 * device node (/dev/mapper/NAME, /dev/dm-N), found by its number.
 */
static struct dm_task *fsb_dm_task(int type, const char *dev)
{
	struct dm_task *dmt;
	struct stat st;
	int by_number = 0;

	if (strchr(dev, '/')) {
		if (stat(dev, &st)) {
			fprintf(stderr, "%s: %s: %s\n", FSB_PROG, dev,
				strerror(errno));
			return NULL;
		}
		if (!S_ISBLK(st.st_mode)) {
			fprintf(stderr, "%s: %s: not a block device\n",
				FSB_PROG, dev);
			return NULL;
		}
		by_number = 1;
	}
	dm_log_with_errno_init(fsb_dm_log);
	dmt = dm_task_create(type);
	if (!dmt) {
		fprintf(stderr, "%s: %s: cannot create a device-mapper task (is device-mapper available?)\n",
			FSB_PROG, dev);
		return NULL;
	}
	if (by_number ? !dm_task_set_major_minor(dmt, major(st.st_rdev),
						 minor(st.st_rdev), 0) :
			!dm_task_set_name(dmt, dev)) {
		fprintf(stderr, "%s: %s: cannot name the device-mapper device\n",
			FSB_PROG, dev);
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/* Checks that @dev exists and has a live table. */
static int fsb_dm_exists(const char *dev)
{
	struct dm_task *dmt;
	struct dm_info info;
	int ret = -1;

	dmt = fsb_dm_task(DM_DEVICE_INFO, dev);
	if (!dmt)
		return -1;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info)) {
		fprintf(stderr, "%s: %s: cannot query the device-mapper device\n",
			FSB_PROG, dev);
		goto out;
	}
	if (!info.exists) {
		fprintf(stderr, "%s: %s: no such device-mapper device\n",
			FSB_PROG, dev);
		goto out;
	}
	if (!info.live_table) {
		fprintf(stderr, "%s: %s: the device has no active table\n",
			FSB_PROG, dev);
		goto out;
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

/*
 * Finds block_size in a faultinj table line:
 * "<dev> <offset> [<#features> [seed <n>] [block_size <bytes>]]".
 */
static int fsb_dm_parse_params(const char *dev, const char *params,
			       unsigned int *block_size)
{
	char *copy, *tok, *save = NULL, *end;
	unsigned long val;
	int i, ret = -1;

	*block_size = FSB_DM_DEFAULT_BLOCK_SIZE;
	copy = strdup(params);
	if (!copy)
		return -1;
	/* Skip <dev>, <offset> and <#features>. */
	tok = strtok_r(copy, " ", &save);
	for (i = 0; tok && i < 2; i++)
		tok = strtok_r(NULL, " ", &save);
	for (; tok; tok = strtok_r(NULL, " ", &save)) {
		if (strcmp(tok, "block_size"))
			continue;
		tok = strtok_r(NULL, " ", &save);
		errno = 0;
		val = tok ? strtoul(tok, &end, 10) : 0;
		if (!tok || errno || *end || val < 512 || val > 65536 ||
		    (val & (val - 1))) {
			fprintf(stderr, "%s: %s: cannot read block_size in its table \"%s\"\n",
				FSB_PROG, dev, params);
			goto out;
		}
		*block_size = val;
		break;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

int fsb_dm_inspect(const char *dev, struct fsb_dm_target *tgt)
{
	struct dm_task *dmt;
	uint64_t start, length;
	char *type, *params;
	void *next;
	int ret = -1;

	if (fsb_dm_exists(dev))
		return -1;
	dmt = fsb_dm_task(DM_DEVICE_TABLE, dev);
	if (!dmt)
		return -1;
	if (!dm_task_run(dmt)) {
		fprintf(stderr, "%s: %s: cannot read the device's table\n",
			FSB_PROG, dev);
		goto out;
	}
	next = dm_get_next_target(dmt, NULL, &start, &length, &type, &params);
	if (!type) {
		fprintf(stderr, "%s: %s: the device's table is empty\n",
			FSB_PROG, dev);
		goto out;
	}
	if (next || start) {
		fprintf(stderr, "%s: %s: the table has several targets; expected one %s target\n",
			FSB_PROG, dev, FSB_DM_TARGET);
		goto out;
	}
	if (strcmp(type, FSB_DM_TARGET)) {
		fprintf(stderr, "%s: %s: the target is \"%s\", not \"%s\"\n",
			FSB_PROG, dev, type, FSB_DM_TARGET);
		goto out;
	}
	tgt->sectors = length;
	ret = fsb_dm_parse_params(dev, params ? params : "", &tgt->block_size);
out:
	dm_task_destroy(dmt);
	return ret;
}

/*
 * Sends @msg to sector 0 of @dev.  If @response is not NULL it receives
 * the target's reply (malloc'd, NULL when there is none).
 */
int fsb_dm_message(const char *dev, const char *msg, char **response)
{
	struct dm_task *dmt;
	const char *reply;
	int ret = -1;

	if (response)
		*response = NULL;
	dmt = fsb_dm_task(DM_DEVICE_TARGET_MSG, dev);
	if (!dmt)
		return -1;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg)) {
		fprintf(stderr, "%s: %s: cannot build the message\n", FSB_PROG,
			dev);
		goto out;
	}
	if (!dm_task_run(dmt)) {
		fprintf(stderr, "%s: %s: the target refused the message \"%.40s%s\"\n",
			FSB_PROG, dev, msg, strlen(msg) > 40 ? "..." : "");
		goto out;
	}
	reply = dm_task_get_message_response(dmt);
	if (response && reply && *reply) {
		*response = strdup(reply);
		if (!*response) {
			fprintf(stderr, "%s: out of memory\n", FSB_PROG);
			goto out;
		}
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}
