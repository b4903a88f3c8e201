/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What dm-subsist/subsist.h needs on the host besides kshim.h, for building
 * the engine (dm-subsist/engine.c) under the unit tests: stand-ins for the
 * kernel objects struct ss_pool embeds (the engine never touches them) and
 * the tags of the ones it points to.
 */
#ifndef SS_SHIM_H
#define SS_SHIM_H

#include <ctype.h>
#include <sys/types.h>		/* dev_t */

#include "kshim.h"

struct mutex {
	int held;
};

struct bio_list {
	void *head, *tail;
};

struct work_struct {
	void (*func)(struct work_struct *work);
};

struct delayed_work {
	struct work_struct work;
};

typedef struct {
	void *pool_data;
} mempool_t;

struct bio_set {
	void *bio_pool;
};

#define kstrtoull	kstrtou64

/* Only pointed to, or named in prototypes the engine does not call. */
struct bio;
struct block_device;
struct bvec_iter;
struct crypto_shash;
struct mapped_device;
struct page;
struct shash_desc;
struct ss_meta;
struct target_type;
struct workqueue_struct;

#endif /* SS_SHIM_H */
