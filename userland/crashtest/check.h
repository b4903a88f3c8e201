/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: running a checker on a state image and classifying the state.
 *
 * The e2fsck preset: "e2fsck -E journal_only -y" (replay the journal, as
 * a mount would), then "e2fsck -fn": exit 0 is clean.  Otherwise
 * "e2fsck -fy", then "e2fsck -fn" again: 0 is repaired, anything else
 * unrecoverable.  Any step killed by a signal, exiting with 8 or more
 * (operational error, usage, cancelled, library error), or running past
 * the timeout: checker crashed.
 *
 * A custom checker is "/bin/sh -c CMD" with every "{}" in CMD replaced by
 * the image's path and the environment CRASHTEST_IMG (the image),
 * CRASHTEST_ID (the state's id), CRASHTEST_DIR (the record) and
 * CRASHTEST_WORKER (0..jobs-1).  Its exit status is the class: 0 clean,
 * 1 repaired, 2 mount failed, 3 wrong data, 4 unrecoverable; anything
 * else, a signal or the timeout: checker crashed.  Exit 126 or 127 (the
 * shell could not run the command) stops the exploration instead.
 */
#ifndef CRASHTEST_CHECK_H
#define CRASHTEST_CHECK_H

#include <stddef.h>

enum ct_class {
	CT_CLEAN,
	CT_REPAIRED,
	CT_UNRECOVERABLE,
	CT_MOUNT_FAILED,
	CT_WRONG_DATA,
	CT_CHECKER_CRASHED,
	CT_NR_CLASSES
};

extern const char *const ct_class_names[CT_NR_CLASSES];

struct ct_checker {
	int e2fsck;		/* the preset */
	char *e2fsck_path;	/* found in PATH by ct_checker_init */
	const char *cmd;	/* else this shell command */
	unsigned int timeout;	/* seconds per command; 0: none */
};

struct ct_check_ctx {
	const char *img;	/* the state image */
	const char *id;		/* its id */
	const char *dir;	/* the record */
	const char *out;	/* the checker's output is appended here */
	int worker;
	int term_sig;		/* out: the signal that ended the last command, or 0 */
};

/* Finds e2fsck for the preset; 0 or -ENOENT (err says so). */
int ct_checker_init(struct ct_checker *ck, char *err, size_t errlen);
void ct_checker_free(struct ct_checker *ck);

/*
 * Runs the checker on ctx->img.  Returns the class (>= 0) with what each
 * command returned in @detail, or a negative errno when the checker
 * cannot be run at all (@detail says why).
 */
int ct_check(const struct ct_checker *ck, struct ct_check_ctx *ctx,
	     char *detail, size_t len);

/* Kills (the process group of) every command past its timeout. */
void ct_check_reap_timeouts(void);
/* Kills every running command; ct_check returns checker crashed. */
void ct_check_kill_all(void);

#endif /* CRASHTEST_CHECK_H */
