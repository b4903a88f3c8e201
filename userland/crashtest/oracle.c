// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data-consistency oracle (stub: being written).
 */
#include <stdio.h>

#include "oracle.h"

int oracle_workload_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "crashtest %s: not implemented yet\n", argv[0]);
	return 8;
}

int oracle_verify_main(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "crashtest %s: not implemented yet\n", argv[0]);
	return 8;
}
