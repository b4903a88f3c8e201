// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: loading a record directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ct.h"
#include "rec.h"

int ct_rec_load(struct ct_rec *r, const char *dir, int with_base)
{
	char path[PATH_MAX], err[512];
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	r->base.fd = -1;
	if (stat(dir, &st)) {
		ct_err("%s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		ct_err("%s: not a directory (expected a record made by crashtest record)",
		       dir);
		return -ENOTDIR;
	}
	r->dir = strdup(dir);
	if (!r->dir)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/meta", dir);
	ret = ct_meta_read(path, &r->meta, err, sizeof(err));
	if (ret) {
		ct_err("%s", err);
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	ret = ct_log_open(path, r->meta.dev_sectors, &r->log, err, sizeof(err));
	if (ret) {
		ct_err("%s", err);
		goto fail;
	}
	ret = ct_meta_match_log(&r->meta, &r->log, err, sizeof(err));
	if (ret) {
		ct_err("%s: %s", path, err);
		goto fail;
	}
	if (with_base) {
		snprintf(path, sizeof(path), "%s/base.img", dir);
		ret = ct_base_open(&r->base, path, r->meta.base_bytes, 1,
				   r->meta.base_crc, err, sizeof(err));
		if (ret) {
			ct_err("%s", err);
			goto fail;
		}
		r->have_base = 1;
	}
	ret = ct_space_init(&r->sp, &r->log, r->meta.seed, r->meta.cache_mb << 20,
			    err, sizeof(err));
	if (ret) {
		ct_err("%s", err);
		goto fail;
	}
	return 0;
fail:
	ct_rec_free(r);
	return ret;
}

void ct_rec_free(struct ct_rec *r)
{
	ct_space_free(&r->sp);
	if (r->have_base)
		ct_base_close(&r->base);
	ct_log_close(&r->log);
	ct_meta_free(&r->meta);
	free(r->dir);
	memset(r, 0, sizeof(*r));
	r->base.fd = -1;
}
