/* SPDX-License-Identifier: MIT */
/* Spawning shadows: fork, set the caller's limits, and exec a dedicated
 * binary, so that no daemon state (memory, descriptors) reaches code that
 * serves a guest. The binary starts with hostd's credentials and drops to
 * the caller's itself (vmrpc-shadow --uid/--gid) once it has loaded its
 * libraries and service modules: those need not be reachable by the
 * caller's user (a tree built in root's 0700 home), and nothing from the
 * guest is read before the drop. It gets the descriptors of shadow_proto.h
 * and a log pipe as stderr, whose other ends hostd keeps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "shadow_proto.h"
#include "spawn.h"
#include "spawn_exec.h"

#define SPAWN_ARGV_MAX (24 + 2 * 16 + 2 * 16 + 2 * 16) /* options, services, ffi, exports */

/* What a shadow's setup reports when it fails (spawn_exec.h's positive codes). */
enum { SPAWN_FAIL_SETUP = 1, SPAWN_FAIL_LIMITS, SPAWN_FAIL_CGROUP };

/* What the child needs, prepared before the fork. */
struct spawn_child {
	const struct shadow_spec *spec;
	char region_path[32]; /* /proc/self/fd/N of the region */
	int ctl_fd, log_fd;   /* the shadow's ends */
};

/* hostd checked at start that each limit can be set (server_check_limits):
 * one that cannot now fails the spawn, rather than go unapplied. */
static int spawn_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return value ? setrlimit(resource, &rl) : 0;
}

/* Move fd to 10 or above (close-on-exec unless keep): out of the way of
 * the numbers the shadow gets. */
static int spawn_high(int fd, int keep)
{
	return fd < 0 ? -1 : fcntl(fd, keep ? F_DUPFD : F_DUPFD_CLOEXEC, 10);
}

/* In the child, its signals reset (spawn_exec): the shadow's cgroup, session,
 * descriptors and limits. */
static int spawn_setup(void *arg)
{
	const struct spawn_child *c = arg;
	const struct shadow_spec *spec = c->spec;
	int devnull, fd, ctl_fd, log_fd, bell, guest_bell;

	/* First, so that whatever the shadow does is its caller's. */
	if (cgroup_group_enter(spec->cgroup) < 0)
		return SPAWN_FAIL_CGROUP;
	setsid();
	/* The shadow answers a write to a closed pipe or socket with EPIPE, as
	 * the guest's program expects, and must not die of it: it has always
	 * inherited hostd's ignored SIGPIPE, now reset with the rest. */
	signal(SIGPIPE, SIG_IGN);

	ctl_fd = spawn_high(c->ctl_fd, 1);
	log_fd = spawn_high(c->log_fd, 1);
	bell = spawn_high(spec->bell_fd, 1);
	guest_bell = spawn_high(spec->guest_bell_fd, 1);
	if (ctl_fd < 0 || log_fd < 0 || (spec->bell_fd >= 0 && bell < 0) ||
	    (spec->guest_bell_fd >= 0 && guest_bell < 0))
		return SPAWN_FAIL_SETUP;
	/* A fresh open file description: the region fd may carry hostd's
	 * flock, which must not outlive hostd in a shadow. */
	fd = open(c->region_path, O_RDWR); /* not close-on-exec: it may already be fd 3 */
	if (fd < 0 || (fd != SHADOW_FD_REGION && dup2(fd, SHADOW_FD_REGION) < 0))
		return SPAWN_FAIL_SETUP;
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(log_fd, 2) < 0 || dup2(ctl_fd, SHADOW_FD_CONTROL) < 0 ||
	    (bell >= 0 && dup2(bell, SHADOW_FD_BELL) < 0) ||
	    (bell >= 0 && guest_bell >= 0 && dup2(guest_bell, SHADOW_FD_GUEST_BELL) < 0))
		return SPAWN_FAIL_SETUP;
	/* spawn_exec closes what is above (close_from). */

	if (spawn_limit(RLIMIT_NOFILE, spec->limits->nofile) < 0 ||
	    spawn_limit(RLIMIT_AS, spec->limits->as_bytes) < 0 ||
	    spawn_limit(RLIMIT_NPROC, spec->limits->nproc) < 0)
		return SPAWN_FAIL_LIMITS;
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	return 0;
}

static void spawn_close(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The message for a spawn that failed at fail. */
static void spawn_why(const struct shadow_spec *spec, const struct spawn_exec_fail *fail,
		      char *why, size_t why_size)
{
	char limit[PATH_MAX];

	switch (fail->step) {
	case SPAWN_EXEC_PIPE:
		snprintf(why, why_size, "pipes: %s", strerror(fail->err));
		break;
	case SPAWN_EXEC_FORK:
		if (fail->err == EAGAIN) { /* a process limit, most likely: say which */
			cgroup_explain_eagain(limit, sizeof(limit));
			snprintf(why, why_size, "fork: %s: %s", strerror(fail->err), limit);
		} else {
			snprintf(why, why_size, "fork: %s", strerror(fail->err));
		}
		break;
	case SPAWN_EXEC_PIDFD:
		snprintf(why, why_size, "pidfd_open: %s", strerror(fail->err));
		break;
	case SPAWN_EXEC_EXEC:
		snprintf(why, why_size, "cannot execute %s: %s", spec->exe, strerror(fail->err));
		break;
	case SPAWN_FAIL_LIMITS:
		snprintf(why, why_size, "cannot give it its limits (limit-nofile, limit-as, "
			 "limit-nproc): %s", strerror(fail->err));
		break;
	case SPAWN_FAIL_CGROUP:
		snprintf(why, why_size, "cannot join its cgroup: %s", strerror(fail->err));
		break;
	default: /* SPAWN_FAIL_SETUP, SPAWN_EXEC_PARENT */
		snprintf(why, why_size, "cannot set up its process: %s", strerror(fail->err));
		break;
	}
}

int shadow_spawn(const struct shadow_spec *spec, struct shadow_proc *ret_proc, char *why,
		 size_t why_size)
{
	char chan[32], geometry[32], uid[16], gid[16], spin_env[64];
	const char *argv[SPAWN_ARGV_MAX];
	const char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL, NULL };
	const char *spin = getenv("VMRPC_SPIN_NS");
	struct spawn_child child = { .spec = spec };
	/* Only the shadow's descriptors (shadow_proto.h) survive. */
	struct spawn_exec se = {
		.path = spec->exe, .argv = (char *const *)argv, .envp = (char *const *)envp,
		/* Die with hostd: a shadow outliving it would serve nobody. */
		.die_with_parent = true,
		.setup = spawn_setup, .arg = &child,
		.close_from = spec->bell_fd < 0 ? SHADOW_FD_CONTROL + 1
			      : spec->guest_bell_fd < 0 ? SHADOW_FD_BELL + 1 : SHADOW_FD_GUEST_BELL + 1,
	};
	struct spawn_exec_fail fail;
	/* control socketpair, log pipe: hostd's ends first */
	int sv[2] = { -1, -1 }, lp[2] = { -1, -1 };
	int pidfd, pid;
	size_t n = 0;

	/* The log is non-blocking at both ends: a shadow whose lines hostd
	 * does not read in time loses them rather than stalling its caller. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0 ||
	    pipe2(lp, O_CLOEXEC | O_NONBLOCK) < 0) {
		fail = (struct spawn_exec_fail){ .step = SPAWN_EXEC_PIPE, .err = errno };
		spawn_why(spec, &fail, why, why_size);
		spawn_close(sv, 2);
		spawn_close(lp, 2);
		return -fail.err;
	}
	child.ctl_fd = sv[1];
	child.log_fd = lp[1];
	snprintf(child.region_path, sizeof(child.region_path), "/proc/self/fd/%d",
		 spec->region_fd);

	snprintf(chan, sizeof(chan), "%u", spec->chan_index);
	snprintf(geometry, sizeof(geometry), "%u,%u", spec->n_channels, spec->chan_size);
	argv[n++] = "vmrpc-shadow";
	argv[n++] = "--channel";
	argv[n++] = chan;
	argv[n++] = "--geometry";
	argv[n++] = geometry;
	if (geteuid() == 0) { /* the shadow drops to them once it is loaded */
		snprintf(uid, sizeof(uid), "%u", (unsigned)spec->uid);
		snprintf(gid, sizeof(gid), "%u", (unsigned)spec->gid);
		argv[n++] = "--uid";
		argv[n++] = uid;
		argv[n++] = "--gid";
		argv[n++] = gid;
	}
	if (spec->cwd) {
		argv[n++] = "--cwd";
		argv[n++] = spec->cwd;
	}
	if (spec->root) {
		argv[n++] = "--root";
		argv[n++] = spec->root;
	}
	if (spec->verbose)
		argv[n++] = "--verbose";
	argv[n++] = "--transport";
	argv[n++] = vmrpc_transport_name(spec->transport);
	if (spec->bell_fd >= 0)
		argv[n++] = "--bell";
	if (spec->bell_fd >= 0 && spec->guest_bell_fd >= 0)
		argv[n++] = "--guest-bell";
	if (spec->doorbell) {
		argv[n++] = "--doorbell";
		argv[n++] = spec->doorbell;
	}
	for (size_t i = 0; i < spec->n_modules && n + 3 < SPAWN_ARGV_MAX; i++) {
		argv[n++] = "--service";
		argv[n++] = spec->modules[i];
	}
	for (size_t i = 0; i < spec->n_ffi_services && n + 3 < SPAWN_ARGV_MAX; i++) {
		argv[n++] = "--ffi-service";
		argv[n++] = spec->ffi_services[i];
	}
	for (size_t i = 0; i < spec->n_exports && n + 3 < SPAWN_ARGV_MAX; i++) {
		argv[n++] = spec->export_ro[i] ? "--export-ro" : "--export";
		argv[n++] = spec->exports[i];
	}
	argv[n] = NULL;
	if (spin && strlen(spin) < 32) {
		snprintf(spin_env, sizeof(spin_env), "VMRPC_SPIN_NS=%s", spin);
		envp[1] = spin_env;
	}

	pid = spawn_exec(&se, &pidfd, &fail);
	close(sv[1]);
	close(lp[1]);
	if (pid < 0) {
		spawn_why(spec, &fail, why, why_size);
		close(sv[0]);
		close(lp[0]);
		return pid;
	}
	*ret_proc = (struct shadow_proc){
		.pid = pid, .pidfd = pidfd, .ctl_fd = sv[0], .log_fd = lp[0],
	};
	return 0;
}
