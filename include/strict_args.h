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
 *
 * strict_read_features() reads the whole optional group
 * "[<#feature args> <name> <value>...]" that every target's table ends
 * with: names from a fixed list, each at most once, each with one value,
 * nothing after the group.  The target parses each value in its own
 * callback and gets the names' table order back, to print the table as
 * it was given.
 */
#ifndef STRICT_ARGS_H
#define STRICT_ARGS_H

#include <linux/device-mapper.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/string.h>

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

/* Parses the value of feature @f (an index into the names); 0 or -errno. */
typedef int (*strict_feature_fn)(void *ctx, unsigned int f, const char *val,
				 struct dm_target *ti);

/*
 * @names: the @nr feature names (at most 32), matched without case;
 * @unknown: ti->error for a name not among them (it should list them);
 * @order: @nr entries, receives the features' indices in table order,
 * @nr_order their number.  Sets ti->error and returns -EINVAL on bad
 * input, or returns what @parse returned.
 */
static inline int strict_read_features(struct dm_arg_set *as,
				       const char *const *names,
				       unsigned int nr, const char *unknown,
				       strict_feature_fn parse, void *ctx,
				       u8 *order, unsigned int *nr_order,
				       struct dm_target *ti)
{
	const struct dm_arg arg = {
		0, 2 * nr, "Invalid number of feature args"
	};
	unsigned int argc, f;
	u32 seen = 0;
	int r;

	BUILD_BUG_ON(sizeof(seen) * 8 < 32);
	*nr_order = 0;
	if (!as->argc)
		return 0;
	r = strict_read_arg_group(&arg, as, &argc, &ti->error);
	if (r)
		return r;
	while (argc) {
		const char *name = dm_shift_arg(as);

		argc--;
		for (f = 0; f < nr; f++)
			if (!strcasecmp(name, names[f]))
				break;
		if (f == nr) {
			ti->error = (char *)unknown;
			return -EINVAL;
		}
		if (seen & BIT(f)) {
			ti->error = "Feature given twice";
			return -EINVAL;
		}
		if (!argc) {
			ti->error = "Feature needs a value";
			return -EINVAL;
		}
		argc--;
		r = parse(ctx, f, dm_shift_arg(as), ti);
		if (r)
			return r;
		seen |= BIT(f);
		order[(*nr_order)++] = f;
	}
	if (as->argc) {
		ti->error = "Unexpected argument after the features";
		return -EINVAL;
	}
	return 0;
}

#endif /* STRICT_ARGS_H */
