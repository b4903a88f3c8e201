// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: record a workload's writes once through dm-noorder's log,
 * then explore the crash states they allow (crashtest(8)).
 *
 *   crashtest record  -d DEV -o DIR [...] -- CMD ARGS...
 *   crashtest explore DIR [-n N] [-t SEC] [-j JOBS] [--flush ...] [--check ...]
 *   crashtest replay  DIR ID -o IMG
 *   crashtest info    DIR [-r]
 *   crashtest workload / verify    the data oracle (crashtest-oracle(8))
 */
#include <stdio.h>
#include <string.h>

#include "ct.h"
#include "explore.h"
#include "oracle.h"

static void ct_usage(FILE *fp)
{
	fprintf(fp,
		"usage: crashtest <command> [options]\n"
		"  record -d DEV -o DIR [--limit-mb N] [--seed N] [--force] -- CMD ARGS...\n"
		"          run CMD on a dm-noorder device with its write log on; save\n"
		"          the base image, the log and the metadata in DIR\n"
		"  explore DIR [-n STATES] [-t SECONDS] [-j JOBS] [-s SEED]\n"
		"          [--flush honor|ignore|both] [--window BYTES]\n"
		"          [--check e2fsck|'CMD'] [--timeout S] [--results FILE] ...\n"
		"          build crash states from the record, check and classify them\n"
		"  replay DIR ID -o IMG      rebuild one state exactly\n"
		"  info DIR [-r]             check a record and describe it\n"
		"  workload ..., verify ...  the data oracle (crashtest-oracle(8))\n"
		"Run \"crashtest <command> --help\" for a command's options; see crashtest(8).\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		ct_usage(stderr);
		return CT_EXIT_ERROR;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		ct_usage(stdout);
		return CT_EXIT_OK;
	}
	if (!strcmp(cmd, "record"))
		return ct_record_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "explore"))
		return ct_explore_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return ct_replay_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return ct_info_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "workload"))
		return oracle_workload_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "verify"))
		return oracle_verify_main(argc - 1, argv + 1);
	ct_err("unknown command \"%s\"", cmd);
	ct_usage(stderr);
	return CT_EXIT_ERROR;
}
