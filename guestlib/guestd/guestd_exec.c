/* SPDX-License-Identifier: MIT */
/*
 * guestexec in the guest: run commands for host callers and stream their
 * output back, read and write files, say who the guest is.
 *
 * Commands are sessions in one table, found by a random 64-bit handle, so
 * that a host program may read a command's output on one channel while it
 * writes its stdin or kills it on another. A session belongs to the channel
 * that started it and dies with it (its process group is killed). Every
 * session is reference-counted: a call holds a reference while it uses the
 * session's descriptors, and the last reference closes them.
 *
 * Everything a call brings comes from the region: argv and env are copied
 * into private memory before they are parsed, and what guestd reads from a
 * command goes straight into the caller's arena slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include "guestd_exec.h"
#include "log.h"
#include "spawn_exec.h"
#include "vmrpc/vmrpc.h"

#define GX_ARGC_MAX 4096u
#define GX_ENVC_MAX 1024u
#define GX_PIPE_SIZE (1 << 20) /* fewer, larger reads for a fast producer */

struct gx_sess {
	struct gx_sess *next;
	uint64_t handle;
	uint32_t owner;       /* the channel that started it */
	pid_t pid;            /* also its process group: it runs in a new session */
	int pidfd;
	int out_fd, err_fd, in_fd; /* our pipe ends, -1 once closed */
	uint64_t deadline_ns; /* 0: no timeout */
	siginfo_t si;         /* once exited */
	bool exited;          /* reaped: pid and group may be reused, never signal them */
	bool timed_out;
	bool gone;            /* no longer found by its handle */
	bool reading, writing;
	int refs;
	int first;            /* stream to look at first: take turns */
	char name[64];        /* for the log */
};

static pthread_mutex_t gx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gx_sess *gx_list;
static unsigned gx_count;
static const struct gdconf *gx_conf;

void gx_init(const struct gdconf *conf)
{
	gx_conf = conf;
	signal(SIGPIPE, SIG_IGN); /* a command that closed its stdin: EPIPE */
}

int gx_chan_init(struct gx_chan *gc, uint32_t index)
{
	gc->index = index;
	gc->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return gc->cancel_fd < 0 ? -errno : 0;
}

void gx_chan_cancel(struct gx_chan *gc)
{
	uint64_t one = 1;

	if (write(gc->cancel_fd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
}

static uint64_t gx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- sessions --------------------------------------------------------- */

/* Under gx_lock: reap the command if it exited. */
static void gx_reap_locked(struct gx_sess *s)
{
	siginfo_t si = { 0 };

	if (s->exited)
		return;
	if (waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
		s->si = si;
		s->exited = true;
	}
}

static void gx_free(struct gx_sess *s)
{
	siginfo_t si;

	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	if (s->in_fd >= 0)
		close(s->in_fd);
	if (!s->exited) {
		/* Not reaped, so the group still exists: nobody else has it. */
		kill(-s->pid, SIGKILL);
		waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED);
	}
	close(s->pidfd);
	free(s);
}

/* Under gx_lock: unlink s if it is gone and unused; returns it to free. */
static struct gx_sess *gx_unlink_locked(struct gx_sess *s)
{
	struct gx_sess **pp;

	if (!s->gone || s->refs)
		return NULL;
	for (pp = &gx_list; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			gx_count--;
			return s;
		}
	}
	return NULL;
}

static struct gx_sess *gx_get(uint64_t handle)
{
	struct gx_sess *s;

	pthread_mutex_lock(&gx_lock);
	for (s = gx_list; s; s = s->next)
		if (s->handle == handle && !s->gone)
			break;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&gx_lock);
	return s;
}

static void gx_put(struct gx_sess *s)
{
	struct gx_sess *dead;

	pthread_mutex_lock(&gx_lock);
	s->refs--;
	dead = gx_unlink_locked(s);
	pthread_mutex_unlock(&gx_lock);
	if (dead)
		gx_free(dead);
}

/* Take the session's reader (or writer) role: one at a time. */
static int gx_take(struct gx_sess *s, bool *role)
{
	int err = 0;

	pthread_mutex_lock(&gx_lock);
	if (*role)
		err = -EBUSY;
	else
		*role = true;
	pthread_mutex_unlock(&gx_lock);
	return err;
}

static void gx_drop(bool *role)
{
	pthread_mutex_lock(&gx_lock);
	*role = false;
	pthread_mutex_unlock(&gx_lock);
}

static void gx_fill_status(const struct gx_sess *s, struct guestexec_exec_status *st)
{
	memset(st, 0, sizeof(*st));
	st->exited = true;
	st->timed_out = s->timed_out;
	if (s->si.si_code == CLD_EXITED) {
		st->code = s->si.si_status;
	} else {
		st->code = -1;
		st->signal = s->si.si_status;
	}
}

/* Under gx_lock: kill a command whose time is up. */
static void gx_check_deadline_locked(struct gx_sess *s, uint64_t now)
{
	if (s->deadline_ns && now >= s->deadline_ns && !s->exited && !s->timed_out) {
		kill(-s->pid, SIGKILL);
		s->timed_out = true;
		log_info("command '%s' (pid %d) timed out: killed", s->name, s->pid);
	}
}

int gx_enforce_timeouts(void)
{
	uint64_t now = gx_now_ns(), next = 0;

	pthread_mutex_lock(&gx_lock);
	for (struct gx_sess *s = gx_list; s; s = s->next) {
		gx_check_deadline_locked(s, now);
		if (s->deadline_ns && !s->timed_out && !s->exited &&
		    (!next || s->deadline_ns < next))
			next = s->deadline_ns;
	}
	pthread_mutex_unlock(&gx_lock);
	return next ? (int)((next - now) / 1000000u + 1) : -1;
}

static void gx_kill_where(bool all, uint32_t owner)
{
	struct gx_sess *s, *next, *dead = NULL;

	pthread_mutex_lock(&gx_lock);
	for (s = gx_list; s; s = s->next) {
		if (s->gone || (!all && s->owner != owner))
			continue;
		s->gone = true;
		if (!s->exited)
			kill(-s->pid, SIGKILL);
		log_info("command '%s' (pid %d) killed: %s", s->name, s->pid,
			 all ? "guestd stops" : "its host caller is gone");
	}
	for (s = gx_list; s; s = next) {
		next = s->next;
		if (gx_unlink_locked(s)) {
			s->next = dead;
			dead = s;
		}
	}
	pthread_mutex_unlock(&gx_lock);
	for (; dead; dead = next) {
		next = dead->next;
		gx_free(dead);
	}
}

void gx_chan_release(struct gx_chan *gc)
{
	uint64_t n;

	gx_kill_where(false, gc->index);
	if (read(gc->cancel_fd, &n, sizeof(n)) < 0) {
		/* not signalled: nothing to drain */
	}
}

void gx_shutdown(void)
{
	gx_kill_where(true, 0);
}

/* ---- exec_start --------------------------------------------------------- */

/* A name: the first executable file in the policy's path. */
static int gx_resolve(const char *name, char *buf, size_t size)
{
	const char *p = gx_conf->path;

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

static bool gx_exec_allowed(const char *name, const char *path)
{
	char *real;
	bool ok = gx_conf->exec_any;

	if (ok)
		return true;
	real = realpath(path, NULL);
	for (size_t i = 0; i < gx_conf->n_exec && !ok; i++) {
		const char *e = gx_conf->exec[i];

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
static char **gx_build_env(char **caller, uint32_t n_caller, char *path_entry)
{
	static char home[] = "HOME=/";
	size_t max = n_caller + gx_conf->n_env + 2, n = 0;
	char **envp = calloc(max + 1, sizeof(*envp));

	if (!envp)
		return NULL;
	for (uint32_t i = 0; i < n_caller; i++)
		if (strchr(caller[i], '=') && caller[i][0] != '=' &&
		    !gx_env_has(envp, n, caller[i]))
			envp[n++] = caller[i];
	for (size_t i = 0; i < gx_conf->n_env; i++)
		if (!gx_env_has(envp, n, gx_conf->env[i]))
			envp[n++] = gx_conf->env[i];
	if (!gx_env_has(envp, n, path_entry))
		envp[n++] = path_entry;
	if (!gx_env_has(envp, n, home))
		envp[n++] = home;
	return envp;
}

/* What the child needs: its stdio and directory; its user is the policy's. */
struct gx_child {
	int in, out, err;
	const char *cwd;
};

/* In the child, its signals reset (spawn_exec): a session of its own, so
 * that a kill reaches the whole command; stdio; the policy's user; the
 * directory. */
static int gx_child_setup(void *arg)
{
	const struct gx_child *c = arg;

	setsid();
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->err, 2) < 0)
		return 1;
	if (gx_conf->have_user &&
	    (setgroups(0, NULL) < 0 || setgid(gx_conf->gid) < 0 || setuid(gx_conf->uid) < 0))
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
static int gx_spawn(struct gx_sess *s, const char *path, char **argv, char **envp,
		    const char *cwd, uint32_t flags)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct gx_child child = { .cwd = cwd };
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

static int32_t gx_exec_start(void *ctx, const void *argv_wire, uint32_t argv_len, uint32_t argc,
			     const void *env_wire, uint32_t env_len, const char *cwd,
			     uint32_t flags, uint32_t timeout_ms, uint64_t *handle)
{
	struct gx_chan *gc = ctx;
	char **argv = NULL, **env = NULL, **envp = NULL;
	char path[PATH_MAX], *path_entry = NULL;
	struct gx_sess *s = NULL;
	uint32_t n_env = 0;
	int err;

	if (!gx_conf->exec_any && !gx_conf->n_exec) {
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
	err = gx_resolve(argv[0], path, sizeof(path));
	/* Refused whether or not it exists: a caller learns nothing about
	 * commands it may not run. */
	if (!gx_exec_allowed(argv[0], err == 0 ? path : argv[0])) {
		log_warn("channel %u: exec of '%s' refused: not allowed by guestd.conf",
			 gc->index, argv[0]);
		err = -VMRPC_EDENIED;
		goto out;
	}
	if (err < 0)
		goto out;
	if (asprintf(&path_entry, "PATH=%s", gx_conf->path) < 0) {
		path_entry = NULL;
		err = -ENOMEM;
		goto out;
	}
	envp = gx_build_env(env, n_env, path_entry);
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
	pthread_mutex_lock(&gx_lock);
	if (gx_count >= gx_conf->max_commands) {
		pthread_mutex_unlock(&gx_lock);
		log_warn("channel %u: exec of '%s' refused: %u commands running (max-commands)",
			 gc->index, argv[0], gx_count);
		err = -EAGAIN;
		goto out;
	}
	gx_count++;
	pthread_mutex_unlock(&gx_lock);
	err = gx_spawn(s, path, argv, envp, *cwd ? cwd : "/", flags);
	if (err < 0) {
		pthread_mutex_lock(&gx_lock);
		gx_count--;
		pthread_mutex_unlock(&gx_lock);
		log_info("channel %u: exec of '%s' failed: %s", gc->index, argv[0],
			 vmrpc_strerror(err));
		goto out;
	}
	if (timeout_ms)
		s->deadline_ns = gx_now_ns() + (uint64_t)timeout_ms * 1000000u;
	log_info("channel %u: exec '%s' as pid %d", gc->index, path, s->pid);
	*handle = s->handle;
	pthread_mutex_lock(&gx_lock);
	s->next = gx_list;
	gx_list = s;
	pthread_mutex_unlock(&gx_lock);
	s = NULL;
out:
	free(s);
	free(envp);
	free(path_entry);
	free(argv);
	free(env);
	return err;
}

/* ---- exec_read, exec_write, exec_kill, exec_wait ------------------------ */

/* Read what one of the outputs has, taking turns: > 0 bytes (and the
 * stream), 0 when neither had anything; an output at EOF is closed. */
static int64_t gx_read_some(struct gx_sess *s, void *buf, uint64_t count, int32_t *stream)
{
	for (int k = 0; k < 2; k++) {
		int which = (s->first + k) % 2;
		int *fd = which == 0 ? &s->out_fd : &s->err_fd;
		ssize_t n;

		if (*fd < 0)
			continue;
		n = read(*fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count);
		if (n > 0) {
			*stream = which == 0 ? GUESTEXEC_STREAM_STDOUT : GUESTEXEC_STREAM_STDERR;
			s->first = !which;
			return n;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(*fd);
			*fd = -1;
		}
	}
	return 0;
}

/* Wait until an output is readable, the command exits, the channel is
 * cancelled or end_ns (0: never) passes: 0, -ECANCELED or -ETIMEDOUT. */
static int gx_poll(struct gx_sess *s, struct gx_chan *gc, uint64_t end_ns)
{
	struct pollfd p[4];
	int n = 0, timeout = -1;
	uint64_t now = gx_now_ns(), until = end_ns;

	pthread_mutex_lock(&gx_lock);
	gx_check_deadline_locked(s, now);
	if (s->deadline_ns && !s->timed_out && (!until || s->deadline_ns < until))
		until = s->deadline_ns;
	pthread_mutex_unlock(&gx_lock);
	if (end_ns && now >= end_ns)
		return -ETIMEDOUT;
	if (until)
		timeout = (int)((until - now + 999999) / 1000000);
	p[n++] = (struct pollfd){ .fd = gc->cancel_fd, .events = POLLIN };
	if (s->out_fd >= 0)
		p[n++] = (struct pollfd){ .fd = s->out_fd, .events = POLLIN };
	if (s->err_fd >= 0)
		p[n++] = (struct pollfd){ .fd = s->err_fd, .events = POLLIN };
	if (!s->exited)
		p[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
	if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
		return -errno;
	return p[0].revents ? -ECANCELED : 0;
}

/* Read (or discard) output until there is some, or the command is done. */
static int64_t gx_pump(struct gx_sess *s, struct gx_chan *gc, void *buf, uint64_t count,
		       int32_t wait_ms, int32_t *stream, struct guestexec_exec_status *st)
{
	uint64_t end = wait_ms >= 0 ? gx_now_ns() + (uint64_t)wait_ms * 1000000u : 0;
	char scratch[65536];
	int64_t n;
	int err;

	if (end == 0 && wait_ms >= 0)
		end = 1;
	for (;;) {
		n = gx_read_some(s, buf ? buf : scratch, buf ? count : sizeof(scratch), stream);
		if (n > 0 && buf)
			return n;
		if (n > 0)
			continue;
		pthread_mutex_lock(&gx_lock);
		gx_reap_locked(s);
		if (s->exited && s->out_fd < 0 && s->err_fd < 0) {
			gx_fill_status(s, st);
			s->gone = true;
			pthread_mutex_unlock(&gx_lock);
			log_info("channel %u: command '%s' (pid %d) %s %d%s", gc->index, s->name,
				 s->pid, st->signal ? "killed by signal" : "exited with status",
				 st->signal ? st->signal : st->code,
				 st->timed_out ? " (timed out)" : "");
			return 0;
		}
		pthread_mutex_unlock(&gx_lock);
		err = gx_poll(s, gc, end);
		if (err < 0)
			return err;
	}
}

static int64_t gx_exec_read(void *ctx, uint64_t handle, void *buf, uint64_t count,
			    int32_t wait_ms, int32_t *stream, struct guestexec_exec_status *st)
{
	struct gx_sess *s;
	int64_t ret;

	if (count == 0)
		return -EINVAL;
	s = gx_get(handle);
	if (!s)
		return -ESRCH;
	ret = gx_take(s, &s->reading);
	if (ret == 0) {
		*stream = 0;
		memset(st, 0, sizeof(*st));
		ret = gx_pump(s, ctx, buf, count, wait_ms, stream, st);
		gx_drop(&s->reading);
	}
	gx_put(s);
	return ret;
}

static int32_t gx_exec_wait(void *ctx, uint64_t handle, int32_t wait_ms,
			    struct guestexec_exec_status *st)
{
	struct gx_sess *s = gx_get(handle);
	int32_t stream;
	int64_t ret;

	if (!s)
		return -ESRCH;
	ret = gx_take(s, &s->reading);
	if (ret == 0) {
		memset(st, 0, sizeof(*st));
		ret = gx_pump(s, ctx, NULL, 0, wait_ms, &stream, st);
		gx_drop(&s->reading);
	}
	gx_put(s);
	return (int32_t)ret;
}

static int64_t gx_exec_write(void *ctx, uint64_t handle, const void *buf, uint64_t count)
{
	struct gx_chan *gc = ctx;
	struct gx_sess *s = gx_get(handle);
	uint64_t done = 0;
	int64_t ret = 0;

	if (!s)
		return -ESRCH;
	if (gx_take(s, &s->writing) < 0) {
		gx_put(s);
		return -EBUSY;
	}
	if (s->in_fd < 0) {
		ret = -EPIPE; /* no stdin pipe, or closed */
	} else if (count == 0) {
		close(s->in_fd);
		s->in_fd = -1;
	} else {
		while (done < count) {
			struct pollfd p[2] = { { .fd = s->in_fd, .events = POLLOUT },
					       { .fd = gc->cancel_fd, .events = POLLIN } };
			ssize_t n = write(s->in_fd, (const char *)buf + done, count - done);

			if (n > 0) {
				done += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				ret = -errno;
				break;
			}
			if (poll(p, 2, -1) > 0 && p[1].revents) {
				ret = -ECANCELED;
				break;
			}
		}
		if (done)
			ret = (int64_t)done;
	}
	gx_drop(&s->writing);
	gx_put(s);
	return ret;
}

static int32_t gx_exec_kill(void *ctx, uint64_t handle, int32_t sig)
{
	struct gx_sess *s;
	int err = 0;

	if (sig < 0 || sig > SIGRTMAX)
		return -EINVAL;
	s = gx_get(handle);
	if (!s)
		return -ESRCH;
	pthread_mutex_lock(&gx_lock);
	gx_reap_locked(s);
	if (!s->exited && kill(-s->pid, sig) < 0)
		err = -errno;
	pthread_mutex_unlock(&gx_lock);
	gx_put(s);
	return err;
}

/* ---- files ---------------------------------------------------------------- */

/* Open path only if it lies beneath one of the allowed directories, with
 * the kernel resolving it beneath that directory (no "..", no symlink out). */
static int gx_open_beneath(char *const *dirs, size_t n, const char *path, int flags,
			   unsigned mode)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dirs[i]);
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel;
		int dfd, fd;

		if (len == 1) /* "/" */
			rel = path + 1;
		else if (!strncmp(path, dirs[i], len) && path[len] == '/')
			rel = path + len + 1;
		else
			continue;
		if (!*rel)
			return -EISDIR;
		dfd = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
		if (fd < 0)
			fd = errno == EXDEV ? -VMRPC_EDENIED : -errno;
		close(dfd);
		return fd;
	}
	return -VMRPC_EDENIED;
}

static int64_t gx_file_read(void *ctx, const char *path, uint64_t offset, void *buf,
			    uint64_t count)
{
	struct gx_chan *gc = ctx;
	int fd = gx_open_beneath(gx_conf->file_read, gx_conf->n_file_read, path, O_RDONLY, 0);
	ssize_t n;

	if (fd == -VMRPC_EDENIED)
		log_warn("channel %u: file_read of %s refused by guestd.conf", gc->index, path);
	if (fd < 0)
		return fd;
	n = pread(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count, (off_t)offset);
	close(fd);
	return n < 0 ? -errno : n;
}

static int64_t gx_file_write(void *ctx, const char *path, uint64_t offset, const void *buf,
			     uint64_t count, uint32_t flags, uint32_t mode)
{
	struct gx_chan *gc = ctx;
	int oflags = O_WRONLY | (flags & GUESTEXEC_FILE_CREATE ? O_CREAT : 0) |
		     (flags & GUESTEXEC_FILE_TRUNCATE ? O_TRUNC : 0) |
		     (flags & GUESTEXEC_FILE_APPEND ? O_APPEND : 0);
	int fd;
	ssize_t n;

	if (flags & ~(GUESTEXEC_FILE_CREATE | GUESTEXEC_FILE_TRUNCATE | GUESTEXEC_FILE_APPEND) ||
	    mode > 07777)
		return -EINVAL;
	fd = gx_open_beneath(gx_conf->file_write, gx_conf->n_file_write, path, oflags,
			     mode ? mode : 0644);
	if (fd == -VMRPC_EDENIED)
		log_warn("channel %u: file_write of %s refused by guestd.conf", gc->index, path);
	if (fd < 0)
		return fd;
	n = flags & GUESTEXEC_FILE_APPEND ? write(fd, buf, (size_t)count)
					  : pwrite(fd, buf, (size_t)count, (off_t)offset);
	close(fd);
	return n < 0 ? -errno : n;
}

/* ---- identity ------------------------------------------------------------ */

static void gx_os_name(char *buf, size_t size)
{
	char line[512];
	FILE *f = fopen("/etc/os-release", "re");

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;
		size_t n;

		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		snprintf(buf, size, "%s", v);
		break;
	}
	fclose(f);
}

static int32_t gx_identity(void *ctx, char *os, size_t os_size, char *kernel,
			   size_t kernel_size, char *hostname, size_t hostname_size,
			   char *machine, size_t machine_size)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	gx_os_name(os, os_size);
	snprintf(kernel, kernel_size, "%s %s", u.sysname, u.release);
	snprintf(hostname, hostname_size, "%s", u.nodename);
	snprintf(machine, machine_size, "%s", u.machine);
	return 0;
}

const struct guestexec_ops gx_ops = {
	.identity = gx_identity,
	.exec_start = gx_exec_start,
	.exec_read = gx_exec_read,
	.exec_write = gx_exec_write,
	.exec_kill = gx_exec_kill,
	.exec_wait = gx_exec_wait,
	.file_read = gx_file_read,
	.file_write = gx_file_write,
};
