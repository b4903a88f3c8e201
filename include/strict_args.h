/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table-argument reading shared by the targets.
 *
 * dm core's dm_read_arg_group() reads the group's count with
 * sscanf("%u"), which wraps: "4294967296" and "18446744073709551616" read
 * as 0 and pass any range that starts at 0, so a table line with such a
 * count loads as if it had no features.  strict_read_arg_group() first
 * requires the count to be a decimal that fits an unsigned int, then lets
 * dm core check the range and the number of arguments left.
 */
#ifndef STRICT_ARGS_H
#define STRICT_ARGS_H

#include <linux/device-mapper.h>
#include <linux/kernel.h>

static inline int strict_read_arg_group(const struct dm_arg *arg,
					struct dm_arg_set *as,
					unsigned int *value, char **error)
{
	unsigned int v;

	if (as->argc && kstrtouint(as->argv[0], 10, &v)) {
		*error = arg->error;
		return -EINVAL;
	}
	return dm_read_arg_group(arg, as, value, error);
}

#endif /* STRICT_ARGS_H */
