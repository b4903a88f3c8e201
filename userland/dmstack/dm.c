// SPDX-License-Identifier: GPL-2.0-only
/*
 * dmstack: every libdevmapper call of the program.
 *
 * Devices are created with DM_DEVICE_CREATE carrying the table (libdm
 * creates, loads and resumes, and removes the device again when the load
 * fails).  Nodes in /dev/mapper: with udev running, libdm's cookies make
 * us wait until udev made them; without udev (DM_DISABLE_UDEV set, or no
 * /run/udev/control) libdm makes them itself when we call
 * dm_udev_wait()/dm_task_update_nodes(), before the next layer opens them.
 *
 * libdm prints an ioctl failure but not the kernel's reason, which only
 * reaches the kernel log: libdm's messages are captured here, and the
 * last "device-mapper: table:" line of /dev/kmsg after a failed load
 * gives the reason.  libdm returns 1 for success: each function turns
 * that into 0 / -errno once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libdevmapper.h>

#include "dm.h"

static char dmd_log_msg[512];	/* libdm's last error message */
static int dmd_log_errno;	/* and its errno */

/*
 * libdm passes no errno with "<op> ioctl on <dev> failed: <strerror>":
 * the ioctl's errno is read back from its text.
 */
static void dmd_log_ioctl_errno(const char *msg)
{
	const char *p = strstr(msg, "ioctl on ");
	int e;

	if (!p)
		return;
	p = strstr(p, " failed: ");
	if (!p)
		return;
	p += strlen(" failed: ");
	for (e = 1; e < 134; e++) {
		if (!strcmp(p, strerror(e))) {
			dmd_log_errno = e;
			return;
		}
	}
}

static void dmd_log(int level, const char *file, int line, int dm_errno,
		    const char *f, ...)
	__attribute__((format(printf, 5, 6)));

/* Keeps libdm's last error for our own message; drops its chatter. */
static void dmd_log(int level, const char *file, int line, int dm_errno,
		    const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	if ((level & 7) > LOG_ERR) {
		if (getenv("DMSTACK_DEBUG")) {
			va_start(ap, f);
			fprintf(stderr, "%s: libdm: ", DMS_PROG);
			vfprintf(stderr, f, ap);
			fputc('\n', stderr);
			va_end(ap);
		}
		return;
	}
	va_start(ap, f);
	vsnprintf(dmd_log_msg, sizeof(dmd_log_msg), f, ap);
	va_end(ap);
	if (dm_errno > 0)
		dmd_log_errno = dm_errno;
	dmd_log_ioctl_errno(dmd_log_msg);
	if (getenv("DMSTACK_DEBUG"))
		fprintf(stderr, "%s: libdm: %s\n", DMS_PROG, dmd_log_msg);
}

static void dmd_log_clear(void)
{
	dmd_log_msg[0] = '\0';
	dmd_log_errno = 0;
}

void dmd_init(void)
{
	dm_log_with_errno_init(dmd_log);
	if (getenv("DM_DISABLE_UDEV") || access("/run/udev/control", F_OK))
		dm_udev_set_sync_support(0);
}

/*
 * The errno of a failed task: the one libdm logged with the failed ioctl
 * (the task's own is that of its last step, EIO after a failed load),
 * else the task's, else EIO.
 */
static int dmd_errno(struct dm_task *dmt)
{
	int e = dmd_log_errno;

	if (e <= 0 && dmt)
		e = dm_task_get_errno(dmt);
	return e > 0 ? -e : -EIO;
}

static void dmd_reason(char *reason, size_t len, const char *what)
{
	if (!reason || !len)
		return;
	if (dmd_log_msg[0])
		snprintf(reason, len, "%s", dmd_log_msg);
	else
		snprintf(reason, len, "%s failed", what);
}

static struct dm_task *dmd_task(int type, const char *name)
{
	struct dm_task *dmt;

	dmd_log_clear();
	dmt = dm_task_create(type);
	if (!dmt)
		return NULL;
	if (name && !dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

int dmd_info(const char *name, struct dmd_info *info)
{
	struct dm_task *dmt;
	struct dm_info di;
	const char *uuid;
	int ret = -EIO;

	memset(info, 0, sizeof(*info));
	dmt = dmd_task(DM_DEVICE_INFO, name);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &di)) {
		ret = dmd_errno(dmt);
		goto out;
	}
	snprintf(info->name, sizeof(info->name), "%s", name);
	info->exists = di.exists;
	if (di.exists) {
		info->major = di.major;
		info->minor = di.minor;
		info->open_count = di.open_count;
		info->live_table = di.live_table;
		uuid = dm_task_get_uuid(dmt);
		snprintf(info->uuid, sizeof(info->uuid), "%s", uuid ? uuid : "");
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
	return ret;
}

/* Every device-mapper device, with its UUID and open count (malloc'd). */
int dmd_list(struct dmd_info **devs, int *nr)
{
	struct dm_task *dmt;
	struct dm_names *names;
	struct dmd_info *arr = NULL, *tmp;
	unsigned int next = 0;
	int n = 0, ret = -EIO;

	*devs = NULL;
	*nr = 0;
	dmt = dmd_task(DM_DEVICE_LIST, NULL);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt)) {
		ret = dmd_errno(dmt);
		goto out;
	}
	names = dm_task_get_names(dmt);
	if (!names) {
		ret = -ENOMEM;
		goto out;
	}
	if (!names->dev) {
		ret = 0;
		goto out;
	}
	do {
		names = (struct dm_names *)((char *)names + next);
		tmp = realloc(arr, (n + 1) * sizeof(*arr));
		if (!tmp) {
			ret = -ENOMEM;
			goto out;
		}
		arr = tmp;
		/* A device that went away meanwhile is skipped. */
		if (!dmd_info(names->name, &arr[n]) && arr[n].exists)
			n++;
		next = names->next;
	} while (next);
	ret = 0;
out:
	dm_task_destroy(dmt);
	if (ret) {
		free(arr);
		return ret;
	}
	*devs = arr;
	*nr = n;
	return 0;
}

/*
 * The kernel log from now on: the reason of a refused table is only
 * there.  Returns an fd positioned at the end, or -errno.
 */
static int dmd_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/*
 * The reason in the last "device-mapper: table: <maj:min>: [<target>: ]
 * <reason>[ (-Exxx)]" record since dmd_kmsg_open().
 */
static int dmd_kmsg_reason(int fd, const char *target, char *out, size_t len)
{
	char rec[2048], *msg, *nl, *p;
	size_t tl = strlen(target);
	ssize_t n;
	int found = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records overwritten */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		p = strstr(msg, "device-mapper: table: ");
		if (!p)
			continue;
		p += strlen("device-mapper: table: ");
		/* <maj:min>: */
		if (strchr(p, ':') && strstr(p, ": ")) {
			char *sep = strstr(p, ": ");

			if (sep - p < 16 && memchr(p, ':', sep - p))
				p = sep + 2;
		}
		if (!strncmp(p, target, tl) && !strncmp(p + tl, ": ", 2))
			p += tl + 2;
		snprintf(out, len, "%s", p);
		found = 1;
	}
	if (!found)
		return 0;
	/* The errno goes after it as a word: drop the kernel's "(-EINVAL)". */
	p = strrchr(out, '(');
	if (p && p > out && p[-1] == ' ' && p[1] == '-' && p[2] == 'E' &&
	    p[strlen(p) - 1] == ')')
		p[-1] = '\0';
	return 1;
}

/*
 * The last "device-mapper: <module>: ..." record since dmd_kmsg_open(),
 * without that prefix: why a target refused a message.
 */
static int dmd_kmsg_last(int fd, char *out, size_t len)
{
	static const char pfx[] = "device-mapper: ";
	char rec[2048], *msg;
	ssize_t n;
	int found = 0;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || strncmp(msg + 1, pfx, strlen(pfx)))
			continue;
		msg += 1 + strlen(pfx);
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(out, len, "%s", msg);
		found = 1;
	}
	return found;
}

/* Waits for udev (or makes the nodes ourselves) after a task that changed them. */
static void dmd_nodes(uint32_t cookie, int cookie_set)
{
	if (cookie_set)
		dm_udev_wait(cookie);
	dm_task_update_nodes();
}

int dmd_create(const struct dms_dev *d, char *reason, size_t len)
{
	char kreason[512] = "";
	struct dm_task *dmt;
	uint32_t cookie = 0;
	int cookie_set = 0, kfd, ret;

	reason[0] = '\0';
	kfd = dmd_kmsg_open();
	dmt = dmd_task(DM_DEVICE_CREATE, d->name);
	if (!dmt) {
		ret = -ENOMEM;
		snprintf(reason, len, "cannot create a device-mapper task (is device-mapper available?)");
		goto out_kmsg;
	}
	if (!dm_task_set_uuid(dmt, d->uuid) ||
	    !dm_task_add_target(dmt, 0, d->length, d->target, d->params) ||
	    !dm_task_set_add_node(dmt, DM_ADD_NODE_ON_CREATE)) {
		ret = -ENOMEM;
		snprintf(reason, len, "cannot build the device-mapper task");
		goto out;
	}
	if (!dm_task_set_cookie(dmt, &cookie, 0)) {
		ret = -EIO;
		dmd_reason(reason, len, "udev cookie");
		goto out;
	}
	cookie_set = 1;
	if (dm_task_run(dmt)) {
		ret = 0;
		goto out;
	}
	ret = dmd_errno(dmt);
	if (kfd >= 0 &&
	    dmd_kmsg_reason(kfd, d->target, kreason, sizeof(kreason)))
		snprintf(reason, len, "%s (%s)", kreason, strerror(-ret));
	else if (kfd < 0)
		snprintf(reason, len, "%s (the kernel's reason is in its log, which cannot be read: /dev/kmsg: %s)",
			 strerror(-ret), strerror(-kfd));
	else if (dmd_log_msg[0])
		snprintf(reason, len, "%s", dmd_log_msg);
	else
		snprintf(reason, len, "%s", strerror(-ret));
out:
	dmd_nodes(cookie, cookie_set);
	dm_task_destroy(dmt);
out_kmsg:
	if (kfd >= 0)
		close(kfd);
	return ret;
}

int dmd_remove(const char *name, int deferred, char *reason, size_t len)
{
	struct dm_task *dmt;
	uint32_t cookie = 0;
	int cookie_set = 0, ret = -EIO;

	dmt = dmd_task(DM_DEVICE_REMOVE, name);
	if (!dmt)
		return -ENOMEM;
	if (deferred ? !dm_task_deferred_remove(dmt) :
		       !dm_task_retry_remove(dmt))
		goto out;
	if (!dm_task_set_cookie(dmt, &cookie, 0))
		goto out;
	cookie_set = 1;
	if (!dm_task_run(dmt)) {
		ret = dmd_errno(dmt);
		dmd_reason(reason, len, "remove");
		goto out;
	}
	ret = 0;
out:
	dmd_nodes(cookie, cookie_set);
	dm_task_destroy(dmt);
	if (ret == -EIO && reason && !reason[0])
		dmd_reason(reason, len, "remove");
	return ret;
}

/* The first (only) target of the table or status of @name. */
int dmd_table(const char *name, int status, char *target, size_t tlen,
	      uint64_t *length, char **params)
{
	struct dm_task *dmt;
	uint64_t start, len = 0;
	char *type = NULL, *par = NULL;
	int ret = -EIO;

	*params = NULL;
	target[0] = '\0';
	dmt = dmd_task(status ? DM_DEVICE_STATUS : DM_DEVICE_TABLE, name);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_run(dmt)) {
		ret = dmd_errno(dmt);
		goto out;
	}
	dm_get_next_target(dmt, NULL, &start, &len, &type, &par);
	if (type)
		snprintf(target, tlen, "%s", type);
	*length = len;
	*params = strdup(par ? par : "");
	ret = *params ? 0 : -ENOMEM;
out:
	dm_task_destroy(dmt);
	return ret;
}

int dmd_message(const char *name, const char *msg, char **reply,
		char *reason, size_t len)
{
	char kreason[512];
	struct dm_task *dmt;
	const char *r;
	int ret = -EIO, kfd;

	*reply = NULL;
	kfd = dmd_kmsg_open();
	dmt = dmd_task(DM_DEVICE_TARGET_MSG, name);
	if (!dmt) {
		ret = -ENOMEM;
		goto out_kmsg;
	}
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg)) {
		snprintf(reason, len, "cannot build the message");
		goto out;
	}
	if (!dm_task_run(dmt)) {
		ret = dmd_errno(dmt);
		if (kfd >= 0 && dmd_kmsg_last(kfd, kreason, sizeof(kreason)))
			snprintf(reason, len, "%s (%s)", kreason, strerror(-ret));
		else
			snprintf(reason, len, "%s", strerror(-ret));
		goto out;
	}
	r = dm_task_get_message_response(dmt);
	if (r && *r) {
		*reply = strdup(r);
		if (!*reply) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = 0;
out:
	dm_task_destroy(dmt);
out_kmsg:
	if (kfd >= 0)
		close(kfd);
	return ret;
}
