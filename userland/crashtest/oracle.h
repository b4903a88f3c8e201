/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest's data-consistency oracle: a seeded workload whose blocks
 * name their own file, offset and version, and a verifier that
 * classifies every block it finds after a crash (crashtest-oracle(8)).
 */
#ifndef CRASHTEST_ORACLE_H
#define CRASHTEST_ORACLE_H

/*
 * argv[0] is the subcommand name ("workload" / "verify"); the return
 * value is the process exit status.
 */
int oracle_workload_main(int argc, char **argv);
int oracle_verify_main(int argc, char **argv);

#endif /* CRASHTEST_ORACLE_H */
