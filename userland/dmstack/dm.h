/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmstack: the device-mapper side (dm.c holds every libdevmapper call).
 * Every function returns 0 or a negative errno; @reason, when given,
 * receives why it failed (the kernel's reason when there is one).
 */
#ifndef DMSTACK_DM_H
#define DMSTACK_DM_H

#include <stdint.h>

#include "spec.h"

struct dmd_info {
	char name[DMS_DEV_LEN];
	char uuid[DMS_UUID_LEN];
	uint32_t major, minor;
	int open_count;
	int exists;
	int live_table;
};

void dmd_init(void);
int dmd_info(const char *name, struct dmd_info *info);
int dmd_list(struct dmd_info **devs, int *nr);
int dmd_create(const struct dms_dev *d, char *reason, size_t len);
int dmd_remove(const char *name, int deferred, char *reason, size_t len);
int dmd_table(const char *name, int status, char *target, size_t tlen,
	      uint64_t *length, char **params);
int dmd_message(const char *name, const char *msg, char **reply,
		char *reason, size_t len);

#endif /* DMSTACK_DM_H */
