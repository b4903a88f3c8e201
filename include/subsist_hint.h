/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-subsist's hint interface for a stacking file system (envyfs).
 *
 * With "merge data", a pool that has received hints merges only the data
 * blocks the layer above declared: before writing a block of file data
 * through its N children, the layer declares the data once with
 * count = N.  A child that then writes something else (a corrupting file
 * system) does not match any hint; its block is neither indexed nor
 * merged, and is counted as a mismatch in the pool's status.
 *
 * @bdev:  a vdisk of the pool (any of them) or the pool device itself
 * @data:  the data, @len bytes, a multiple of the pool's block size; each
 *         block is declared separately
 * @count: how many vdisk writes each declaration may match (1..nr_vdisks)
 *
 * Returns 0, -ENODEV when @bdev is not a subsist device, -EINVAL for a bad
 * length or count (or a pool with "merge none"), -ENOMEM.  Process
 * context; may sleep.  Callers that must not depend on dm-subsist being
 * loaded use symbol_get(subsist_hint_data) / symbol_put().
 */
#ifndef SUBSIST_HINT_H
#define SUBSIST_HINT_H

struct block_device;

int subsist_hint_data(struct block_device *bdev, const void *data,
		      unsigned int len, unsigned int count);

#endif
