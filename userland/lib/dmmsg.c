// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmmsg: table, status and target messages through libdevmapper (see
 * dmmsg.h).  libdm prints its own errors; here they are kept (the last
 * one) and folded into the caller's message instead.  libdm returns 1 for
 * success: each function turns that into 0 / -errno once.
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

#include "dmmsg.h"

static char dmm_last[256];	/* libdm's last error message */

static void dmm_log(int level, const char *file, int line, int dm_errno,
		    const char *f, ...)
	__attribute__((format(printf, 5, 6)));

static void dmm_log(int level, const char *file, int line, int dm_errno,
		    const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno;
	if ((level & 7) > LOG_ERR)
		return;
	va_start(ap, f);
	vsnprintf(dmm_last, sizeof(dmm_last), f, ap);
	va_end(ap);
}

static void dmm_fail(char *err, size_t errlen, const char *dev,
		     const char *what)
{
	if (dmm_last[0])
		snprintf(err, errlen, "%s: %s (%s)", dev, what, dmm_last);
	else
		snprintf(err, errlen, "%s: %s", dev, what);
}

/* A task of @type aimed at @dev (a dm name, or a path to its node). */
static struct dm_task *dmm_task(int type, const char *dev, char *err,
				size_t errlen, int *ret)
{
	struct dm_task *dmt;
	struct stat st;
	int by_number = 0;

	if (strchr(dev, '/')) {
		if (stat(dev, &st)) {
			*ret = -errno;
			snprintf(err, errlen, "%s: %s", dev, strerror(errno));
			return NULL;
		}
		if (!S_ISBLK(st.st_mode)) {
			*ret = -ENOTBLK;
			snprintf(err, errlen, "%s: not a block device", dev);
			return NULL;
		}
		by_number = 1;
	}
	dmm_last[0] = 0;
	dm_log_with_errno_init(dmm_log);
	dmt = dm_task_create(type);
	if (!dmt) {
		*ret = -ENOMEM;
		snprintf(err, errlen,
			 "%s: cannot create a device-mapper task (is device-mapper available?)",
			 dev);
		return NULL;
	}
	if (by_number ? !dm_task_set_major_minor(dmt, major(st.st_rdev),
						 minor(st.st_rdev), 0) :
			!dm_task_set_name(dmt, dev)) {
		*ret = -EINVAL;
		dmm_fail(err, errlen, dev, "cannot name the device-mapper device");
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

static int dmm_info(const char *dev, struct dm_info *info, char *err,
		    size_t errlen)
{
	struct dm_task *dmt;
	struct stat st;
	int ret = -ENODEV;

	dmt = dmm_task(DM_DEVICE_INFO, dev, err, errlen, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, info)) {
		dmm_fail(err, errlen, dev,
			 "not a device-mapper device, or device-mapper is not available");
		goto out;
	}
	if (!info->exists) {
		snprintf(err, errlen, "%s: no such device-mapper device", dev);
		if (strchr(dev, '/') && !stat(dev, &st) &&
		    !dm_is_dm_major(major(st.st_rdev)))
			snprintf(err, errlen, "%s: not a device-mapper device", dev);
		goto out;
	}
	if (!info->live_table) {
		snprintf(err, errlen, "%s: the device has no active table", dev);
		goto out;
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

int dmm_open_count(const char *dev, char *err, size_t errlen)
{
	struct dm_info info;
	int ret;

	ret = dmm_info(dev, &info, err, errlen);
	if (ret)
		return ret;
	return info.open_count > 0;
}

int dmm_target(const char *dev, int status, struct dmm_target *tgt,
	       char *err, size_t errlen)
{
	struct dm_task *dmt;
	struct dm_info info;
	uint64_t start, length;
	char *type = NULL, *params = NULL;
	void *next;
	int ret;

	memset(tgt, 0, sizeof(*tgt));
	ret = dmm_info(dev, &info, err, errlen);
	if (ret)
		return ret;
	ret = -EIO;
	dmt = dmm_task(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, dev, err,
		       errlen, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_run(dmt)) {
		dmm_fail(err, errlen, dev, status ? "cannot read the device's status" :
			 "cannot read the device's table");
		goto out;
	}
	next = dm_get_next_target(dmt, NULL, &start, &length, &type, &params);
	if (!type) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: the device's table is empty", dev);
		goto out;
	}
	if (next || start) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: the table has several targets; expected one",
			 dev);
		goto out;
	}
	tgt->start = start;
	tgt->length = length;
	snprintf(tgt->type, sizeof(tgt->type), "%s", type);
	tgt->params = strdup(params ? params : "");
	if (!tgt->params) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

int dmm_message(const char *dev, const char *msg, char **reply, char *err,
		size_t errlen)
{
	struct dm_task *dmt;
	const char *r;
	int ret = -EIO;

	if (reply)
		*reply = NULL;
	dmt = dmm_task(DM_DEVICE_TARGET_MSG, dev, err, errlen, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg)) {
		ret = -ENOMEM;
		dmm_fail(err, errlen, dev, "cannot build the message");
		goto out;
	}
	if (!dm_task_run(dmt)) {
		char what[128];

		snprintf(what, sizeof(what), "the target refused the message \"%.60s\"",
			 msg);
		dmm_fail(err, errlen, dev, what);
		goto out;
	}
	if (reply) {
		r = dm_task_get_message_response(dmt);
		*reply = strdup(r ? r : "");
		if (!*reply) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}
