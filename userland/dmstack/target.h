/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dmstack: what it knows of the project's targets beyond their tables:
 * their status lines split into named fields, and the crash message each
 * takes.  Nothing here talks to device-mapper.
 */
#ifndef DMSTACK_TARGET_H
#define DMSTACK_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define DMS_ST_MAX_FIELDS	24
#define DMS_CRASH_MSG_LEN	128

struct dms_field {
	const char *name;
	const char *val;
};

/*
 * A status line as named fields, in the kernel's order; for faultinj
 * also its rules, each as { id, times fired }.  The values point into
 * @buf, a copy of the line.
 */
struct dms_status {
	char *buf;
	int nr;
	struct dms_field f[DMS_ST_MAX_FIELDS];
	int nr_rules;
	struct dms_field *rules;
};

/*
 * Splits @line, the status of a @target device, into named fields:
 * 1 when parsed, 0 when dmstack has no parser for @target (the line is
 * shown raw), -EINVAL when the line does not have the layout of its
 * target (garbled, or another version of the module), -ENOMEM.  Free
 * with dms_status_free() whatever it returned.
 */
int dms_status_parse(const char *target, const char *line,
		     struct dms_status *st);
void dms_status_free(struct dms_status *st);
/* The value of field @name, or NULL. */
const char *dms_status_get(const struct dms_status *st, const char *name);

/*
 * A crash request: "crash NAME [after N] | [keep none|all|prefix N|random
 * PPM] [seed N]".  @type says which target the words need: DMS_FAULTINJ
 * for "after", DMS_NOORDER for keep and seed, DMS_NR_TYPES for none.
 */
struct dms_crash {
	enum dms_type type;
	int has_after, has_keep, has_seed;
	uint64_t after;
	char keep[8];		/* none, all, prefix, random */
	uint64_t keep_n;
	uint64_t seed;
};

int dms_crash_parse(int argc, char **argv, struct dms_crash *cr, char *err,
		    size_t len);
/* The message for a layer of @type ("crash ..."); -EINVAL if it cannot take it. */
int dms_crash_msg(const struct dms_crash *cr, enum dms_type type, char *buf,
		  size_t len, char *err, size_t elen);

#endif /* DMSTACK_TARGET_H */
