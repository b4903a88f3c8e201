// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: checkers (see check.h).
 *
 * Commands are started with posix_spawn (no fork of our large mappings),
 * each in its own process group so that a timeout or an interrupt kills
 * the whole command (a shell and what it started).  Running commands are
 * kept in a small table with their deadlines; the explore loop calls
 * ct_check_reap_timeouts() a few times a second.  A command is only
 * killed while it is in the table, and it leaves the table before it is
 * reaped, so its pid cannot have been reused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ct.h"

extern char **environ;

const char *const ct_class_names[CT_NR_CLASSES] = {
	[CT_CLEAN] = "clean",
	[CT_REPAIRED] = "repaired",
	[CT_UNRECOVERABLE] = "unrecoverable",
	[CT_MOUNT_FAILED] = "mount failed",
	[CT_WRONG_DATA] = "wrong data",
	[CT_CHECKER_CRASHED] = "checker crashed",
};

#define CT_MAX_RUNNING	256

struct ct_running {
	pid_t pid;		/* 0: free slot */
	double deadline;	/* 0: none */
	int killed;		/* 1: timed out, 2: interrupted */
};

/* ct_run_lock guards ct_run[] and ct_stopping. */
static pthread_mutex_t ct_run_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ct_running ct_run[CT_MAX_RUNNING];
static int ct_stopping;

static char *ct_which(const char *prog)
{
	static const char *const extra[] = { "/usr/sbin", "/sbin", NULL };
	const char *path = getenv("PATH"), *p, *e;
	char buf[4096];
	int i;

	for (p = path ? path : ""; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		if (e == p)
			continue;
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, prog);
		if (!access(buf, X_OK))
			return strdup(buf);
	}
	for (i = 0; extra[i]; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", extra[i], prog);
		if (!access(buf, X_OK))
			return strdup(buf);
	}
	return NULL;
}

int ct_checker_init(struct ct_checker *ck, char *err, size_t errlen)
{
	if (!ck->e2fsck)
		return 0;
	ck->e2fsck_path = ct_which("e2fsck");
	if (!ck->e2fsck_path) {
		snprintf(err, errlen,
			 "e2fsck not found in PATH, /usr/sbin or /sbin (install e2fsprogs)");
		return -ENOENT;
	}
	return 0;
}

void ct_checker_free(struct ct_checker *ck)
{
	free(ck->e2fsck_path);
	ck->e2fsck_path = NULL;
}

/* The environment of a checker: ours plus the CRASHTEST_* variables. */
static char **ct_env(struct ct_check_ctx *ctx, char *bufs[4])
{
	static const char *const names[] = {
		"CRASHTEST_IMG=", "CRASHTEST_ID=", "CRASHTEST_DIR=",
		"CRASHTEST_WORKER="
	};
	size_t n = 0, i, j, o = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 5, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++) {
		for (j = 0; j < 4; j++)
			if (!strncmp(environ[i], names[j], strlen(names[j])))
				break;
		if (j == 4)
			env[o++] = environ[i];
	}
	if (asprintf(&bufs[0], "CRASHTEST_IMG=%s", ctx->img) < 0)
		bufs[0] = NULL;
	if (asprintf(&bufs[1], "CRASHTEST_ID=%s", ctx->id) < 0)
		bufs[1] = NULL;
	if (asprintf(&bufs[2], "CRASHTEST_DIR=%s", ctx->dir ? ctx->dir : "") < 0)
		bufs[2] = NULL;
	if (asprintf(&bufs[3], "CRASHTEST_WORKER=%d", ctx->worker) < 0)
		bufs[3] = NULL;
	for (j = 0; j < 4; j++) {
		if (!bufs[j]) {
			for (i = 0; i < 4; i++)
				free(bufs[i]);
			free(env);
			return NULL;
		}
		env[o++] = bufs[j];
	}
	return env;
}

/*
 * Runs @argv with its output appended to @out; returns its wait status
 * in @status and 1 in @timed_out if it was killed for its timeout, or
 * -errno when it could not be started.
 */
static int ct_run_cmd(const char *path, char *const argv[], char *const env[],
		      struct ct_check_ctx *ctx, unsigned int timeout,
		      int *status, int *killed)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	siginfo_t si;
	int ret, slot = -1, i;
	pid_t pid;

	*killed = 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, ctx->out, O_WRONLY | O_CREAT | O_APPEND,
					 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);

	pthread_mutex_lock(&ct_run_lock);
	if (ct_stopping) {
		pthread_mutex_unlock(&ct_run_lock);
		ret = -EINTR;
		goto out;
	}
	for (i = 0; i < CT_MAX_RUNNING; i++) {
		if (!ct_run[i].pid) {
			slot = i;
			break;
		}
	}
	ret = slot < 0 ? EAGAIN : posix_spawn(&pid, path, &fa, &at, argv, env);
	if (!ret) {
		ct_run[slot].pid = pid;
		ct_run[slot].deadline = timeout ? ct_now() + timeout : 0;
		ct_run[slot].killed = 0;
	}
	pthread_mutex_unlock(&ct_run_lock);
	if (ret) {
		ret = -ret;
		goto out;
	}
	/* Wait without reaping, leave the table, then reap. */
	while (waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&ct_run_lock);
	*killed = ct_run[slot].killed;
	ct_run[slot].pid = 0;
	pthread_mutex_unlock(&ct_run_lock);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			goto out;
		}
	}
	if (WIFSIGNALED(*status))
		ctx->term_sig = WTERMSIG(*status);
	ret = 0;
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return ret;
}

void ct_check_reap_timeouts(void)
{
	double now = ct_now();
	int i;

	pthread_mutex_lock(&ct_run_lock);
	for (i = 0; i < CT_MAX_RUNNING; i++) {
		if (ct_run[i].pid && ct_run[i].deadline &&
		    now > ct_run[i].deadline && !ct_run[i].killed) {
			ct_run[i].killed = 1;
			kill(-ct_run[i].pid, SIGKILL);
		}
	}
	pthread_mutex_unlock(&ct_run_lock);
}

void ct_check_kill_all(void)
{
	int i;

	pthread_mutex_lock(&ct_run_lock);
	ct_stopping = 1;
	for (i = 0; i < CT_MAX_RUNNING; i++) {
		if (ct_run[i].pid && !ct_run[i].killed) {
			ct_run[i].killed = 2;
			kill(-ct_run[i].pid, SIGKILL);
		}
	}
	pthread_mutex_unlock(&ct_run_lock);
}

static void ct_note(const char *out, const char *fmt, const char *arg)
{
	FILE *fp = fopen(out, "a");

	if (!fp)
		return;
	fprintf(fp, fmt, arg);
	fclose(fp);
}

/* "exit 4", "signal 9", "timed out after 60 s", "interrupted". */
static void ct_status_text(int status, int killed, unsigned int timeout,
			   char *buf, size_t len)
{
	if (killed == 1)
		snprintf(buf, len, "timed out after %u s", timeout);
	else if (killed == 2)
		snprintf(buf, len, "interrupted");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
}

static int ct_e2fsck_step(const struct ct_checker *ck,
			  struct ct_check_ctx *ctx, char *const env[],
			  const char *opt1, const char *opt2, const char *name,
			  int *code, char *detail, size_t len)
{
	char *argv[] = { "e2fsck", (char *)opt1, (char *)opt2, (char *)ctx->img,
			 NULL };
	size_t n = strlen(detail);
	int status, killed, ret, c;
	char st[48];

	if (!opt2) {
		argv[2] = (char *)ctx->img;
		argv[3] = NULL;
	}
	ct_note(ctx->out, "## %s\n", name);
	ret = ct_run_cmd(ck->e2fsck_path, argv, env, ctx, ck->timeout,
			 &status, &killed);
	if (ret) {
		snprintf(detail, len, "cannot run %s: %s", ck->e2fsck_path,
			 strerror(-ret));
		return ret;
	}
	if (killed == 2)
		return -EINTR;
	ct_status_text(status, killed, ck->timeout, st, sizeof(st));
	snprintf(detail + n, len - n, "%s%s: %s", n ? ", " : "", name, st);
	/*
	 * 12 (8 | 4) is e2fsck giving up on errors it may not or cannot
	 * fix (-n aborts when a repair is needed to go on): errors, not a
	 * crash.  8 alone is an operational error; 16 and up are usage,
	 * cancellation, library errors.
	 */
	c = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	if (killed || WIFSIGNALED(status) || c >= 16 || (c & 12) == 8) {
		*code = -1;
		return 0;
	}
	*code = c & 7;
	return 0;
}

static int ct_check_e2fsck(const struct ct_checker *ck,
			   struct ct_check_ctx *ctx, char *const env[],
			   char *detail, size_t len)
{
	int code, ret;

	detail[0] = 0;
	ret = ct_e2fsck_step(ck, ctx, env, "-Ejournal_only", "-y",
			     "journal", &code, detail, len);
	if (ret)
		return ret;
	if (code < 0)
		return CT_CHECKER_CRASHED;
	ret = ct_e2fsck_step(ck, ctx, env, "-fn", NULL, "-fn", &code, detail, len);
	if (ret)
		return ret;
	if (code < 0)
		return CT_CHECKER_CRASHED;
	if (!code)
		return CT_CLEAN;
	ret = ct_e2fsck_step(ck, ctx, env, "-fy", NULL, "-fy", &code, detail, len);
	if (ret)
		return ret;
	if (code < 0)
		return CT_CHECKER_CRASHED;
	ret = ct_e2fsck_step(ck, ctx, env, "-fn", NULL, "-fn again", &code,
			     detail, len);
	if (ret)
		return ret;
	if (code < 0)
		return CT_CHECKER_CRASHED;
	return code ? CT_UNRECOVERABLE : CT_REPAIRED;
}

/* @cmd with each "{}" replaced by @img. */
static char *ct_subst(const char *cmd, const char *img)
{
	size_t n = 0, il = strlen(img);
	const char *p;
	char *s, *o;

	for (p = cmd; (p = strstr(p, "{}")); p += 2)
		n++;
	s = malloc(strlen(cmd) + n * il + 1);
	if (!s)
		return NULL;
	for (o = s, p = cmd; *p;) {
		if (p[0] == '{' && p[1] == '}') {
			memcpy(o, img, il);
			o += il;
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	return s;
}

static int ct_check_custom(const struct ct_checker *ck,
			   struct ct_check_ctx *ctx, char *const env[],
			   char *detail, size_t len)
{
	char *argv[] = { "sh", "-c", NULL, NULL };
	int status, killed, ret, code;
	char st[48];

	argv[2] = ct_subst(ck->cmd, ctx->img);
	if (!argv[2]) {
		snprintf(detail, len, "out of memory");
		return -ENOMEM;
	}
	ret = ct_run_cmd("/bin/sh", argv, env, ctx, ck->timeout, &status,
			 &killed);
	free(argv[2]);
	if (ret) {
		snprintf(detail, len, "cannot run /bin/sh: %s", strerror(-ret));
		return ret;
	}
	if (killed == 2)
		return -EINTR;
	ct_status_text(status, killed, ck->timeout, st, sizeof(st));
	snprintf(detail, len, "%s", st);
	if (killed || WIFSIGNALED(status))
		return CT_CHECKER_CRASHED;
	code = WEXITSTATUS(status);
	if (code == 126 || code == 127) {
		snprintf(detail, len,
			 "the checker command could not be run (exit %d: %s)",
			 code, code == 127 ? "command not found" :
			 "not executable");
		return -ENOEXEC;
	}
	switch (code) {
	case 0:
		return CT_CLEAN;
	case 1:
		return CT_REPAIRED;
	case 2:
		return CT_MOUNT_FAILED;
	case 3:
		return CT_WRONG_DATA;
	case 4:
		return CT_UNRECOVERABLE;
	}
	return CT_CHECKER_CRASHED;
}

int ct_check(const struct ct_checker *ck, struct ct_check_ctx *ctx,
	     char *detail, size_t len)
{
	char *bufs[4] = { NULL }, **env;
	int ret, i;

	env = ct_env(ctx, bufs);
	if (!env) {
		snprintf(detail, len, "out of memory");
		return -ENOMEM;
	}
	if (ck->e2fsck)
		ret = ct_check_e2fsck(ck, ctx, env, detail, len);
	else
		ret = ct_check_custom(ck, ctx, env, detail, len);
	for (i = 0; i < 4; i++)
		free(bufs[i]);
	free(env);
	return ret;
}
