/* SPDX-License-Identifier: MIT */
/*
 * What survives an exec: the state the old image's shim writes to
 * $VMRPC_HOST_STATE in the exec wrappers, and the new image's shim reads
 * at start-up.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"
#include "vmrpc/hostcall.h"

#define PRELOAD_STATE_VAR "VMRPC_HOST_STATE"

/* "CHAN:NONCE:CWDHOST:UID:GID,GFD=HFD,GFD=HFD...>PATH" written by execve(),
 * or "none,GFD=HFD...>PATH" without a host context. Only descriptors that
 * are still open (their placeholders survived the exec, so they were not
 * close-on-exec) are mapped again. ">PATH": the working directory is the
 * host directory PATH, which the shadow is not in (preload_cwd_pending). */
void exec_state_load(void)
{
	const char *s = getenv(PRELOAD_STATE_VAR);
	unsigned long long nonce;
	unsigned chan, uid, gid;
	int cwd, n, gfd, hfd;

	if (!s)
		return;
	if (!strncmp(s, "none", 4)) {
		n = 4;
	} else if (sscanf(s, "%u:%llx:%d:%u:%u%n", &chan, &nonce, &cwd, &uid, &gid, &n) == 5) {
		preload_adopt = true;
		preload_adopt_chan = chan;
		preload_adopt_nonce = nonce;
		preload_cwd_host = cwd == 1;
		preload_host_uid = uid;
		preload_host_gid = gid;
	} else {
		return;
	}
	s += n;
	while (*s == ':' || *s == ',') {
		int k;
		if (sscanf(s + 1, "%d=%d%n", &gfd, &hfd, &k) != 2)
			break;
		if (gfd >= 0 && gfd < PRELOAD_FD_MAX && hfd >= 0 && REAL(fcntl)(gfd, F_GETFD) >= 0)
			map_fd(gfd, hfd);
		s += 1 + k;
	}
	if (*s == '>' && strlen(s + 1) < PATH_MAX) {
		strcpy(preload_cwd_want, s + 1);
		preload_cwd_host = preload_cwd_pending = true;
		/* A shadow that has been asked and could not take it up. */
		preload_cwd_lost = preload_adopt;
	}
}

/* execve() keeps the process, its channel and its shadow: the new image's
 * shim takes them up again from $VMRPC_HOST_STATE, with the host
 * descriptors whose placeholders survive the exec (not close-on-exec) and
 * the working directory. (libc's execv, execvp and execl* call execve
 * internally, where no preload reaches: they are wrapped too.) */
static char *preload_state_make(void)
{
	bool cwd = preload_cwd_host && preload_cwd_pending;
	size_t size = 128 + PATH_MAX, len;
	int n_fds = 0;
	char *s, *p;

	for (int i = 0; i < PRELOAD_FD_MAX; i++)
		if (preload_fds[i])
			n_fds++;
	/* Without a host context only stale descriptors and a working
	 * directory to take up can be left to pass on. */
	if (!preload_host && !n_fds && !cwd)
		return NULL;
	size += (size_t)n_fds * 24;
	s = malloc(size);
	if (!s)
		return NULL;
	if (preload_host)
		len = (size_t)snprintf(s, size, "%s=%u:%llx:%d:%u:%u", PRELOAD_STATE_VAR,
				       vmrpc_chan_index(preload_host->guest.chan),
				       (unsigned long long)vmrpc_chan_nonce(preload_host->guest.chan),
				       preload_cwd_host ? 1 : 0, (unsigned)preload_host_uid,
				       (unsigned)preload_host_gid);
	else
		len = (size_t)snprintf(s, size, "%s=none", PRELOAD_STATE_VAR);
	p = s + len;
	for (int i = 0; i < PRELOAD_FD_MAX; i++) {
		int hfd = host_fd(i);
		if (hfd < 0 || (REAL(fcntl)(i, F_GETFD) & FD_CLOEXEC))
			continue;
		p += snprintf(p, size - (size_t)(p - s), ",%d=%d", i, hfd);
	}
	if (cwd)
		snprintf(p, size - (size_t)(p - s), ">%s", preload_cwd_want);
	return s;
}

/* envp without any VMRPC_HOST_STATE, plus ours (malloc'd; NULL: use envp). */
static char **preload_env_with_state(char *const envp[], char *state)
{
	size_t n = 0, k = 0;
	char **e;

	while (envp && envp[n])
		n++;
	e = malloc((n + 2) * sizeof(*e));
	if (!e)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], PRELOAD_STATE_VAR "=", sizeof(PRELOAD_STATE_VAR)) != 0)
			e[k++] = envp[i];
	if (state)
		e[k++] = state;
	e[k] = NULL;
	return e;
}

typedef int (*exec_fn)(const char *, char *const[], char *const[]);

/* Call libc's next (execve or execvpe) with our state in the environment. */
static int exec_with_state(exec_fn next, const char *path, char *const argv[],
			   char *const envp[])
{
	char *state, **env;
	int r, e;

	preload_init();
	LOCK();
	state = preload_state_make();
	UNLOCK();
	env = preload_env_with_state(envp, state);
	r = next(path, argv, env ? env : envp);
	e = errno;
	free(env);
	free(state);
	errno = e;
	return r;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_with_state(REAL(execve), path, argv, envp);
}

extern char **environ;

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_with_state(REAL(execvpe), file, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}
