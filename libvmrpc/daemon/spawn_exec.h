/* SPDX-License-Identifier: MIT */
/*
 * Starting a program from a daemon: fork, set the child up, exec, and learn
 * in the parent whether the exec happened or what failed before it, with
 * its errno (a close-on-exec report pipe: end of file means the exec
 * happened). hostd starts shadows with it (hostd/spawn.c), a shadow the host
 * programs a guest runs (hostproc), vmrpc-guestd the guest commands a host
 * caller runs.
 *
 * Every child starts from the same clean state, whatever its parent had
 * set: every signal's disposition back to the default (a daemon ignores
 * SIGPIPE, and an ignored signal stays ignored across exec: `yes | head -1`
 * must still end yes) and no signal blocked. A child that must ignore one
 * says so in its setup.
 */
#ifndef VMRPC_DAEMON_SPAWN_EXEC_H
#define VMRPC_DAEMON_SPAWN_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

/* Where a spawn failed: the steps below, or a positive code of the
 * caller's setup. */
enum spawn_exec_step {
	SPAWN_EXEC_PIPE = -1,   /* the parent's report pipe */
	SPAWN_EXEC_FORK = -2,
	SPAWN_EXEC_PARENT = -3, /* the child could not tie its life to the parent's */
	SPAWN_EXEC_EXEC = -4,   /* execve(): the program itself */
	SPAWN_EXEC_PIDFD = -5,  /* the parent's pidfd (the child was killed) */
};

struct spawn_exec_fail {
	int step; /* enum spawn_exec_step, or what setup returned */
	int err;  /* its errno */
};

struct spawn_exec {
	const char *path;   /* the program */
	char *const *argv;
	char *const *envp;
	bool search;        /* a path without '/' is looked up in PATH (execvpe) */
	/* SIGKILL the child when the thread that forked it ends (the parent
	 * process, for a single-threaded one); a child whose parent is gone
	 * already exits with 127. */
	bool die_with_parent;
	/* In the child, after the signal reset and before the exec: this
	 * child's descriptors, credentials, directory, limits. Only
	 * async-signal-safe calls: the parent may have threads. Returns 0, or
	 * a positive code of the caller's with errno saying why, which fails
	 * the spawn. NULL: nothing to set up. */
	int (*setup)(void *arg);
	void *arg;
	/* After setup, close every descriptor from this one up (the report
	 * pipe, close-on-exec, aside). -1: leave them all to close-on-exec. */
	int close_from;
};

/* Start se's program. Returns its pid once it has exec'd, and its pidfd in
 * *ret_pidfd unless that is NULL; or -errno, with the step that failed in
 * *ret_fail unless that is NULL. A child that failed has been reaped. */
int spawn_exec(const struct spawn_exec *se, int *ret_pidfd, struct spawn_exec_fail *ret_fail);

#endif /* VMRPC_DAEMON_SPAWN_EXEC_H */
