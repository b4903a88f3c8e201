/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmmsg: a small libdevmapper wrapper shared by the userland programs:
 * read a device's table and status, send it a target message.
 *
 * A device is named by its dm name ("ct") or by a path to its node
 * (/dev/mapper/ct, /dev/dm-3; looked up by major:minor).  Only ioctls that
 * need no udev cookie are used, so nothing here waits for udev.  Every
 * function returns 0 or a negative errno, and on failure writes why into
 * @err (@errlen bytes, always terminated), without the program's name.
 */
#ifndef USERLAND_DMMSG_H
#define USERLAND_DMMSG_H

#include <stddef.h>
#include <stdint.h>

struct dmm_target {
	uint64_t start;		/* first sector of the (only) target */
	uint64_t length;	/* its length in sectors */
	char type[64];		/* target type, e.g. "noorder" */
	char *params;		/* table or status parameters (malloc'd) */
};

/*
 * Reads the table (@status 0) or the status line (@status 1) of @dev,
 * which must hold exactly one target.  Free tgt->params with free().
 */
int dmm_target(const char *dev, int status, struct dmm_target *tgt,
	       char *err, size_t errlen);

/*
 * Sends @msg to sector 0 of @dev.  When @reply is not NULL it receives the
 * target's reply (malloc'd, "" when there is none).
 */
int dmm_message(const char *dev, const char *msg, char **reply,
		char *err, size_t errlen);

/* Whether @dev is open (mounted, or held by another device): 1, 0, -errno. */
int dmm_open_count(const char *dev, char *err, size_t errlen);

#endif /* USERLAND_DMMSG_H */
