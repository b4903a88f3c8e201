/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: a record directory (DIR/meta, DIR/log, DIR/base.img), loaded
 * and cross-checked for explore, replay and info.
 */
#ifndef CRASHTEST_REC_H
#define CRASHTEST_REC_H

#include "apply.h"
#include "log.h"
#include "meta.h"
#include "state.h"

struct ct_rec {
	char *dir;
	struct ct_meta meta;
	struct ct_log log;
	struct ct_base base;
	struct ct_space sp;
	int have_base;
};

/*
 * Loads @dir: the meta file, the log (checked against the meta's sizes,
 * counts and CRC) and, with @with_base, the base image (size and CRC).
 * @seed and @window (when has_*) replace the record's defaults.
 * Prints what is wrong and returns -errno on failure.
 */
int ct_rec_load(struct ct_rec *r, const char *dir, int with_base);
void ct_rec_free(struct ct_rec *r);

#endif /* CRASHTEST_REC_H */
