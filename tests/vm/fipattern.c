// SPDX-License-Identifier: GPL-2.0-only
/*
 * fipattern: which of a rule's matching I/Os dm-faultinj fires on, from
 * the target's own decision code (dm-faultinj/fi_core.c, built for the
 * host through tests/unit/kshim.h), so that a case can check a seeded
 * fault pattern exactly.
 *
 *   fipattern SEED N RULE...
 *
 * parses RULE as "rule add" does (e.g. "1 write drop prob 400000"), feeds
 * it N matching I/Os under SEED and prints one line: a character per I/O,
 * "o" where the rule fires and "N" where it does not, then a space and
 * the number fired.  Exit status 2 on bad arguments.
 */
#include "fi_core.h"

int main(int argc, char **argv)
{
	static const struct fi_geom geom = {
		.sectors = 1ULL << 40, .block_size = 4096, .block_shift = 3,
	};
	struct fi_typenames tn = { 0 };
	struct fi_rule r;
	const char *err = NULL;
	u64 seed, n, i, firing, fired = 0;

	if (argc < 4 || fi_parse_u64(argv[1], &seed) ||
	    fi_parse_u64(argv[2], &n) || n > 1000000) {
		fprintf(stderr, "usage: fipattern SEED N(<=1000000) RULE...\n");
		return 2;
	}
	if (fi_rule_parse(&r, argc - 3, argv + 3, &geom, &tn, &err)) {
		fprintf(stderr, "fipattern: %s\n", err ? err : "bad rule");
		return 2;
	}
	for (i = 0; i < n; i++) {
		bool f = fi_rule_trigger(&r, seed, &firing);

		putchar(f ? 'o' : 'N');
		fired += f;
	}
	printf(" %llu\n", (unsigned long long)fired);
	return 0;
}
