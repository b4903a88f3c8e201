/* SPDX-License-Identifier: GPL-2.0-only */
/* crashtest: the subcommands (argv[0] is the subcommand's name). */
#ifndef CRASHTEST_EXPLORE_H
#define CRASHTEST_EXPLORE_H

int ct_explore_main(int argc, char **argv);
int ct_replay_main(int argc, char **argv);
int ct_record_main(int argc, char **argv);
int ct_info_main(int argc, char **argv);

#endif /* CRASHTEST_EXPLORE_H */
