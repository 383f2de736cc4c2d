/* SPDX-License-Identifier: MIT */
/*
 * Starting commands for host callers (exec_start) and signalling them
 * (exec_kill): the policy's say (guestd.conf's exec, path, env, user,
 * max-commands), the environment, the spawn with its pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "guestd_exec.h"
#include "log.h"
#include "spawn_exec.h"
#include "vmrpc/vmrpc.h"

#define GX_ARGC_MAX 4096u
#define GX_ENVC_MAX 1024u
#define GX_PIPE_SIZE (1 << 20) /* fewer, larger reads for a fast producer */

/* A name: the first executable file in the policy's path. */
static int gx_resolve(const struct gdconf *conf, const char *name, char *buf, size_t size)
{
	const char *p = conf->path;

	if (strchr(name, '/')) {
		if (name[0] != '/')
			return -EINVAL; /* relative to what? */
		if (snprintf(buf, size, "%s", name) >= (int)size)
			return -ENAMETOOLONG;
		return access(buf, X_OK) == 0 ? 0 : -errno;
	}
	while (*p) {
		size_t n = strcspn(p, ":");

		if (n && snprintf(buf, size, "%.*s/%s", (int)n, p, name) < (int)size &&
		    access(buf, X_OK) == 0)
			return 0;
		p += n + (p[n] == ':');
	}
	return -ENOENT;
}

static bool gx_exec_allowed(const struct gdconf *conf, const char *name, const char *path)
{
	char *real;
	bool ok = conf->exec_any;

	if (ok)
		return true;
	real = realpath(path, NULL);
	for (size_t i = 0; i < conf->n_exec && !ok; i++) {
		const char *e = conf->exec[i];

		ok = e[0] == '/' ? real && !strcmp(real, e)
				 : !strchr(name, '/') && !strcmp(name, e);
	}
	free(real);
	return ok;
}

static bool gx_env_has(char *const *envp, size_t n, const char *entry)
{
	size_t len = strcspn(entry, "=");

	for (size_t i = 0; i < n; i++)
		if (!strncmp(envp[i], entry, len) && envp[i][len] == '=')
			return true;
	return false;
}

/* The caller's entries first, then the policy's, then the defaults; the
 * first of each name wins. */
static char **gx_build_env(const struct gdconf *conf, char **caller, uint32_t n_caller,
			   char *path_entry)
{
	static char home[] = "HOME=/";
	size_t max = n_caller + conf->n_env + 2, n = 0;
	char **envp = calloc(max + 1, sizeof(*envp));

	if (!envp)
		return NULL;
	for (uint32_t i = 0; i < n_caller; i++)
		if (strchr(caller[i], '=') && caller[i][0] != '=' &&
		    !gx_env_has(envp, n, caller[i]))
			envp[n++] = caller[i];
	for (size_t i = 0; i < conf->n_env; i++)
		if (!gx_env_has(envp, n, conf->env[i]))
			envp[n++] = conf->env[i];
	if (!gx_env_has(envp, n, path_entry))
		envp[n++] = path_entry;
	if (!gx_env_has(envp, n, home))
		envp[n++] = home;
	return envp;
}

/* What the child needs: its stdio, its directory, the policy (its user). */
struct gx_child {
	const struct gdconf *conf;
	int in, out, err;
	const char *cwd;
};

/* In the child, its signals reset (spawn_exec): a session of its own, so
 * that a kill reaches the whole command; stdio; the policy's user; the
 * directory. */
static int gx_child_setup(void *arg)
{
	const struct gx_child *c = arg;
	const struct gdconf *conf = c->conf;

	setsid();
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->err, 2) < 0)
		return 1;
	if (conf->have_user &&
	    (setgroups(0, NULL) < 0 || setgid(conf->gid) < 0 || setuid(conf->uid) < 0))
		return 1;
	if (chdir(c->cwd) < 0)
		return 1;
	return 0;
}

static int gx_pipe(int fds[2], bool parent_reads)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fcntl(fds[parent_reads ? 0 : 1], F_SETFL, O_NONBLOCK);
	if (parent_reads)
		fcntl(fds[1], F_SETPIPE_SZ, GX_PIPE_SIZE);
	return 0;
}

static void gx_close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* fork and exec; the command's pid, a pidfd and our pipe ends in s. */
static int gx_spawn(const struct gdconf *conf, struct gx_sess *s, const char *path, char **argv,
		    char **envp, const char *cwd, uint32_t flags)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct gx_child child = { .conf = conf, .cwd = cwd };
	int err;

	if ((flags & GUESTEXEC_STDIN_PIPE) ? (err = gx_pipe(in, false)) < 0
	    : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ? (err = -errno) < 0 : 0)
		goto fail;
	if ((err = gx_pipe(out, true)) < 0)
		goto fail;
	if (!(flags & GUESTEXEC_MERGE_STDERR) && (err = gx_pipe(errp, true)) < 0)
		goto fail;
	child.in = in[0];
	child.out = out[1];
	child.err = errp[1] >= 0 ? errp[1] : out[1];
	/* guestd killed outright takes its commands along: the forking
	 * thread serves the command's channel and ends only with it. The
	 * command gets stdin, stdout and stderr, nothing else. */
	s->pid = spawn_exec(&(struct spawn_exec){ .path = path, .argv = argv, .envp = envp,
						  .die_with_parent = true,
						  .setup = gx_child_setup, .arg = &child,
						  .close_from = 3 },
			    &s->pidfd, NULL);
	if (s->pid < 0) {
		err = s->pid;
		goto fail;
	}
	s->in_fd = in[1];
	s->out_fd = out[0];
	s->err_fd = errp[0];
	close(in[0]);
	close(out[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	return 0;
fail:
	gx_close_pair(in);
	gx_close_pair(out);
	gx_close_pair(errp);
	return err;
}

int32_t gx_exec_start(void *ctx, const void *argv_wire, uint32_t argv_len, uint32_t argc,
		      const void *env_wire, uint32_t env_len, const char *cwd, uint32_t flags,
		      uint32_t timeout_ms, uint64_t *handle)
{
	struct gx_chan *gc = ctx;
	const struct gdconf *conf = gc->gx->conf;
	struct gx_sessions *sessions = &gc->gx->sessions;
	char **argv = NULL, **env = NULL, **envp = NULL;
	char path[PATH_MAX], *path_entry = NULL;
	struct gx_sess *s = NULL;
	uint32_t n_env = 0;
	unsigned running;
	int err;

	if (!conf->exec_any && !conf->n_exec) {
		log_warn("channel %u: exec refused: guestd.conf allows no command", gc->index);
		return -VMRPC_EDENIED;
	}
	if (argc == 0 || flags & ~(GUESTEXEC_STDIN_PIPE | GUESTEXEC_MERGE_STDERR))
		return -EINVAL;
	/* vmrpc_strv_unpack() parses private copies: the host may rewrite the
	 * arena meanwhile. The environment's count is its NULs, counted in the
	 * arena: the copy is checked against it, so a host that rewrites them
	 * meanwhile only gets -EINVAL. */
	if (argc > GX_ARGC_MAX)
		return -EINVAL;
	err = vmrpc_strv_unpack(argv_wire, argv_len, argc, &argv);
	if (err < 0)
		goto out;
	for (uint32_t i = 0; i < env_len; i++)
		n_env += ((const char *)env_wire)[i] == '\0';
	if (n_env > GX_ENVC_MAX) {
		err = -EINVAL;
		goto out;
	}
	err = vmrpc_strv_unpack(env_wire, env_len, n_env, &env);
	if (err < 0)
		goto out;
	err = gx_resolve(conf, argv[0], path, sizeof(path));
	/* Refused whether or not it exists: a caller learns nothing about
	 * commands it may not run. */
	if (!gx_exec_allowed(conf, argv[0], err == 0 ? path : argv[0])) {
		log_warn("channel %u: exec of '%s' refused: not allowed by guestd.conf",
			 gc->index, argv[0]);
		err = -VMRPC_EDENIED;
		goto out;
	}
	if (err < 0)
		goto out;
	if (asprintf(&path_entry, "PATH=%s", conf->path) < 0) {
		path_entry = NULL;
		err = -ENOMEM;
		goto out;
	}
	envp = gx_build_env(conf, env, n_env, path_entry);
	s = calloc(1, sizeof(*s));
	if (!envp || !s) {
		err = -ENOMEM;
		goto out;
	}
	s->in_fd = s->out_fd = s->err_fd = -1;
	s->owner = gc->index;
	snprintf(s->name, sizeof(s->name), "%s", argv[0]);
	while (!s->handle)
		if (getrandom(&s->handle, sizeof(s->handle), 0) != sizeof(s->handle))
			s->handle = gx_now_ns() ^ ((uint64_t)getpid() << 40);
	err = gx_sessions_reserve(sessions, conf->max_commands, &running);
	if (err < 0) {
		log_warn("channel %u: exec of '%s' refused: %u commands running (max-commands)",
			 gc->index, argv[0], running);
		goto out;
	}
	err = gx_spawn(conf, s, path, argv, envp, *cwd ? cwd : "/", flags);
	if (err < 0) {
		gx_sessions_unreserve(sessions);
		log_info("channel %u: exec of '%s' failed: %s", gc->index, argv[0],
			 vmrpc_strerror(err));
		goto out;
	}
	if (timeout_ms)
		s->deadline_ns = gx_now_ns() + (uint64_t)timeout_ms * 1000000u;
	log_info("channel %u: exec '%s' as pid %d", gc->index, path, s->pid);
	*handle = s->handle;
	gx_sessions_add(sessions, s);
	s = NULL;
out:
	free(s);
	free(envp);
	free(path_entry);
	free(argv);
	free(env);
	return err;
}

int32_t gx_exec_kill(void *ctx, uint64_t handle, int32_t sig)
{
	struct gx_chan *gc = ctx;
	struct gx_sessions *sessions = &gc->gx->sessions;
	struct gx_sess *s;
	int err = 0;

	if (sig < 0 || sig > SIGRTMAX)
		return -EINVAL;
	s = gx_sess_get(sessions, handle);
	if (!s)
		return -ESRCH;
	pthread_mutex_lock(&sessions->lock);
	gx_sess_reap_locked(s);
	if (!s->exited && kill(-s->pid, sig) < 0)
		err = -errno;
	pthread_mutex_unlock(&sessions->lock);
	gx_sess_put(sessions, s);
	return err;
}
