/* SPDX-License-Identifier: MIT */
/*
 * The region server: one io_uring waits on what callers ring (the
 * transport's: transport.h), a signalfd, the host-caller socket, and the
 * pidfds of every caller and shadow. Nothing here blocks, and with no
 * calls and no attaches hostd sleeps in the kernel. Channel states are in
 * chan_state.c, attaches in attach.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "notify.h"
#include "server_internal.h"
#include "shadow_creds.h"
#include "shadow_sandbox.h"
#include "transport.h"

#define SERVER_STOP_TIMEOUT_MS 5000
/* How long a stopping hostd waits for killed host programs to be reaped. */
#define SERVER_DRAIN_MS 2000

/* Whether pid is no longer running (or never was). */
bool server_pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

struct io_uring_sqe *server_sqe(struct server *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

	if (!sqe) {
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
	}
	return sqe; /* the ring holds 2 entries per channel: never NULL twice */
}

void server_poll(struct server *s, int fd, uint64_t data, bool multishot)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	if (multishot)
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	else
		io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, data);
}

void server_unpoll(struct server *s, uint64_t data)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_poll_remove(sqe, data);
	io_uring_sqe_set_data64(sqe, ev_data(EV_IGNORE, 0, 0));
}

/* hostd is a child subreaper (forked shadows must become its children), so
 * orphans end up here too: programs a dead shadow started, a forked copy
 * nobody adopted. Reap them; a shadow we watch goes through its pidfd. */
void server_reap_orphans(struct server *s)
{
	for (int n = 0; n < 256; n++) {
		siginfo_t si = { 0 };
		uint32_t i;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			break;
		for (i = 0; i < s->n_channels; i++)
			if (s->ch[i].shadow_pidfd >= 0 && s->ch[i].shadow_pid == si.si_pid)
				break;
		if (i < s->n_channels) {
			server_on_shadow(s, i);
			continue;
		}
		waitpid(si.si_pid, NULL, WNOHANG);
		log_debug("%s: reaped orphan pid %d", s->label, si.si_pid);
	}
	/* Killed groups empty as their processes are reaped. */
	cgroup_tree_sweep(s->cg);
}

static void server_reload(struct server *s);

static void server_on_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			server_reap_orphans(s);
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			if (!s->stopping)
				log_info("%s: %s: stopping", s->label,
					 strsignal((int)si.ssi_signo));
			s->stopping = true;
		}
		if (si.ssi_signo == SIGHUP)
			server_reload(s);
		if (si.ssi_signo == SIGUSR1 && !s->draining) {
			log_info("%s: no longer configured: draining (no new callers; hostd "
				 "stops when the last one is gone)", s->label);
			s->draining = true;
		}
	}
}

/* systemd's watchdog (WatchdogSec=): pinged from the loop itself, so that
 * a hostd stuck anywhere stops pinging. */
static void server_arm_watchdog(struct server *s)
{
	struct io_uring_sqe *sqe;

	if (!s->wd_ts.tv_sec && !s->wd_ts.tv_nsec)
		return;
	sqe = server_sqe(s);
	io_uring_prep_timeout(sqe, &s->wd_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_WATCHDOG, 0, 0));
}

/* STATUS=, when what it says changed: the channels in use, and what the
 * transport adds ("1 QEMU connected"). */
static void server_update_status(struct server *s)
{
	char status[NOTIFY_STATUS_MAX], extra[96] = "";
	uint32_t attached = s->n_shadows;

	/* a caller's siblings are channels attached too (sibling.c) */
	for (uint32_t i = 0; i < s->n_channels; i++)
		attached += s->ch[i].n_sibs;
	if (s->transport->status)
		s->transport->status(s, extra, sizeof(extra));
	snprintf(status, sizeof(status), "%s: %u of %u channels attached, %u guest-sourced%s%s%s",
		 s->label, attached, s->n_channels, s->n_gsrc, extra[0] ? ", " : "", extra,
		 s->draining ? "; draining" : "");
	if (strcmp(status, s->status)) {
		memcpy(s->status, status, sizeof(status));
		notify_status(status);
	}
}

static void server_dispatch(struct server *s, const struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	enum ev_kind kind = (enum ev_kind)(d >> 56);
	uint32_t epoch = (uint32_t)(d >> 32) & 0xffffff;
	uint32_t i = (uint32_t)d;

	switch (kind) {
	case EV_SIGNAL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->sig_fd, ev_data(EV_SIGNAL, 0, 0), true);
		server_on_signal(s);
		break;
	case EV_CALLER:
		if (i < s->n_channels && (s->ch[i].epoch & 0xffffff) == epoch &&
		    s->ch[i].caller_armed && cqe->res >= 0)
			server_on_caller(s, i);
		break;
	case EV_SHADOW:
		if (i < s->n_channels && (s->ch[i].sh_epoch & 0xffffff) == epoch &&
		    s->ch[i].shadow_pidfd >= 0 && cqe->res >= 0)
			server_on_shadow(s, i);
		break;
	case EV_SHADOW_CTL:
		if (i < s->n_channels && (s->ch[i].sh_epoch & 0xffffff) == epoch &&
		    s->ch[i].ctl_fd >= 0 && cqe->res >= 0)
			server_on_shadow_ctl(s, i);
		break;
	case EV_SHADOW_LOG:
		if (i < s->n_channels && (s->ch[i].sh_epoch & 0xffffff) == epoch &&
		    s->ch[i].log_fd >= 0) {
			char prefix[160];

			if (!(cqe->flags & IORING_CQE_F_MORE))
				server_poll(s, s->ch[i].log_fd,
					    ev_data(EV_SHADOW_LOG, s->ch[i].sh_epoch, i), true);
			hchan_log_prefix(s, i, prefix, sizeof(prefix));
			shadow_log_pump(&s->ch[i].log, s->ch[i].log_fd, prefix);
		}
		break;
	case EV_START_TIMEOUT:
		if (i < s->n_channels && (s->ch[i].sh_epoch & 0xffffff) == epoch)
			server_on_start_timeout(s, i);
		break;
	case EV_WATCHDOG:
		notify_watchdog();
		server_arm_watchdog(s);
		break;
	case EV_HOSTLISTEN:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->host_fd, ev_data(EV_HOSTLISTEN, 0, 0), true);
		server_on_host_listen(s);
		break;
	case EV_INFOLISTEN:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->info_fd, ev_data(EV_INFOLISTEN, 0, 0), true);
		server_on_info_listen(s);
		break;
	case EV_HOSTCONN:
		if (i < s->n_channels && (s->ch[i].epoch & 0xffffff) == epoch &&
		    s->ch[i].st == H_GSRC && cqe->res >= 0)
			server_gsrc_drop(s, i, "closed its connection");
		break;
	default:
		if (kind >= EV_TRANSPORT)
			s->transport->on_event(s, kind, epoch, i, cqe);
		break;
	}
}

uint64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait, bounded, for what the kills left dying: killed host programs come
 * back to hostd (a child subreaper) to be reaped, and their cgroups can go
 * only once they are empty. */
static void server_drain(struct server *s)
{
	for (uint64_t end = server_now_ms() + SERVER_DRAIN_MS; server_now_ms() < end;) {
		siginfo_t si = { 0 };
		struct timespec ts = { .tv_nsec = 5 * 1000 * 1000 };

		server_reap_orphans(s);
		if (!cgroup_tree_sweep(s->cg) &&
		    waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
			return;
		nanosleep(&ts, NULL);
	}
}

/* Kill every shadow, wait for them all, and reset every channel so that
 * callers get -VMRPC_ERESET instead of waiting for a hostd that is gone. */
static void server_stop(struct server *s)
{
	for (uint32_t i = 0; i < s->n_channels; i++) {
		if (s->ch[i].st == H_ATTACHED || s->ch[i].st == H_STARTING)
			hchan_teardown(s, i, "stopped with hostd");
	}
	/* Host callers and guestd see the channel's generation move. */
	for (uint32_t i = 0; i < s->n_channels; i++)
		if (s->ch[i].st == H_GSRC || s->ch[i].st == H_GSRC_CLOSING)
			hchan_free(s, i);
	/* A wall-clock deadline: completions keep coming while callers ring. */
	for (uint64_t end = server_now_ms() + SERVER_STOP_TIMEOUT_MS;
	     s->n_shadows && server_now_ms() < end;) {
		struct __kernel_timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		io_uring_submit_and_wait_timeout(&s->ring, &cqe, 1, &ts, NULL);
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			uint64_t d = io_uring_cqe_get_data64(cqe);
			if ((d >> 56) == EV_SHADOW || (d >> 56) == EV_CALLER)
				server_dispatch(s, cqe);
			n++;
		}
		io_uring_cq_advance(&s->ring, n);
	}
	if (s->n_shadows)
		log_err("%s: %u shadows did not exit in time", s->label,
			s->n_shadows);
	cgroup_tree_kill_all(s->cg);
	server_drain(s);
	for (uint32_t i = 0; i < s->n_channels; i++)
		if (s->ch[i].st != H_FREE)
			hchan_free(s, i);
	io_uring_submit(&s->ring);
}

/* The runtime directory holds hostd's sockets and lock files: whoever
 * else may write there could put their own sockets in their place. With
 * create, a missing one is made (else it is fine: it will be). */
static int server_check_runtime_dir(const char *name, bool create, char *msg, size_t size)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (vmrpc_region_path(name, "", dir, sizeof(dir)) < 0 || !(slash = strrchr(dir, '/'))) {
		snprintf(msg, size, "runtime directory: path too long");
		return -EINVAL;
	}
	*slash = '\0';
	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(msg, size, "runtime directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		if (!create && errno == ENOENT)
			return 0;
		snprintf(msg, size, "runtime directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(msg, size, "runtime directory %s is %s owned by uid %u, mode %04o: another "
			 "user could replace hostd's sockets there; remove it, or set "
			 "VMRPC_RUNTIME_DIR to a directory of hostd's own", dir,
			 S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Where a shadow starts, inside its root if it has one (o's strings). */
static const char *server_shadow_cwd(const struct server_opts *o)
{
	const char *cwd;

	if (!o->root)
		return o->shadow_cwd;
	if (!strcmp(o->root, "/"))
		return o->shadow_cwd;
	/* A shadow enters it after its root became the tree. */
	cwd = o->shadow_cwd ? o->shadow_cwd + strlen(o->root) : "";
	return *cwd ? cwd : "/";
}

/* Whether shadows could start as o says: their root, and their working
 * directory as their user. (A root hostd's loopback shadows run as each
 * caller, known only then.) */
static int server_check_shadows(const struct server_opts *o, char *msg, size_t size)
{
	char why[PATH_MAX + 200];
	int err;

	if (o->root && sandbox_check_root(o->root, o->shadow_cwd, why, sizeof(why)) < 0) {
		snprintf(msg, size, "%s", why);
		return -EINVAL;
	}
	if (o->have_ids || geteuid() != 0) {
		err = creds_check_dir(o->have_ids ? o->uid : geteuid(),
				      o->have_ids ? o->gid : getegid(),
				      o->shadow_cwd ? o->shadow_cwd : "/", why, sizeof(why));
		if (err < 0) {
			snprintf(msg, size, "shadows could not start: %s (shadow-cwd)", why);
			return err;
		}
	}
	return 0;
}

/* Whether hostd can give a file the owner and group o asks for: another
 * user takes CAP_CHOWN, which the shipped units leave out. */
static int server_check_owner(const struct server_opts *o, char *msg, size_t size)
{
	if (o->owner_uid != (uid_t)-1 && o->owner_uid != geteuid() &&
	    prctl(PR_CAPBSET_READ, CAP_CHOWN) != 1) {
		snprintf(msg, size, "owner: hostd cannot give its files to uid %u without "
			 "CAP_CHOWN (the unit's CapabilityBoundingSet= leaves it out): give them "
			 "a group instead (owner = :GROUP, mode = 0660), or add CAP_CHOWN in a "
			 "drop-in (vmrpc-hostd(8))", (unsigned)o->owner_uid);
		return -EPERM;
	}
	return 0;
}

/* A method an ffi service's library has no function for: it answers
 * -ENOSYS, which the operator should hear of once, when hostd loads it. */
static void server_warn_service(const char *msg)
{
	log_warn("%s", msg);
}

int server_check(const struct server_opts *o, char *msg, size_t size)
{
	struct services services = { 0 };
	int err;

	err = server_check_runtime_dir(o->name, false, msg, size);
	if (err == 0)
		err = server_check_shadows(o, msg, size);
	if (err == 0)
		err = server_check_owner(o, msg, size);
	if (err == 0) {
		char why[PATH_MAX + 200];

		err = host_services_load(&services, o->modules, o->n_modules, o->ffi_services,
					 o->n_ffi_services, server_warn_service, NULL, why,
					 sizeof(why));
		if (err < 0)
			snprintf(msg, size, "cannot load service: %s", why);
		services_unload(&services);
	}
	return err;
}

/* The mode, owner and group of the files whoever opens acts as a caller:
 * the transport's (QEMU's socket, a VM's shm file, the loopback sockets).
 * The group without CAP_CHOWN: chown(2) lets a file's owner give it any
 * group it is a member of, and CAP_SETGID makes hostd one for a moment
 * (its filesystem gid). */
static int server_apply_access(struct server *s)
{
	const struct server_opts *o = s->opts;
	char paths[2][PATH_MAX];
	size_t n = s->transport->access_paths ? s->transport->access_paths(s, paths, 2) : 0;

	for (size_t i = 0; i < n; i++) {
		int old_fsgid = -1, err = 0;

		if (chmod(paths[i], o->mode ? o->mode : 0600) < 0)
			err = -errno;
		if (!err && (o->owner_uid != (uid_t)-1 || o->owner_gid != (gid_t)-1)) {
			if (o->owner_gid != (gid_t)-1)
				old_fsgid = setfsgid(o->owner_gid);
			if (fchownat(AT_FDCWD, paths[i], o->owner_uid, o->owner_gid,
				     AT_SYMLINK_NOFOLLOW) < 0)
				err = -errno;
			if (old_fsgid >= 0)
				(void)setfsgid((gid_t)old_fsgid);
		}
		if (err < 0) {
			log_err("%s: cannot give %s mode %04o, owner %d, group %d: %s", s->label,
				paths[i], o->mode ? o->mode : 0600, (int)o->owner_uid,
				(int)o->owner_gid, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Whether a shadow could get resource limit value: tried by a child, which
 * is what a shadow's spawn is. */
static int server_limit_ok(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(setrlimit(resource, &rl) < 0 ? 1 : 0);
	if (pid < 0)
		return 1; /* cannot tell: the spawn will say */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A limit above what setrlimit() can give a shadow would not apply: say so
 * at start, and give the most the host allows (hostd's own hard limit)
 * instead, rather than fail every spawn. */
static void server_clamp_limit(struct server *s, int resource, const char *key,
			       uint64_t *value)
{
	struct rlimit hard;

	if (!*value || server_limit_ok(resource, *value) || getrlimit(resource, &hard) < 0 ||
	    hard.rlim_max == RLIM_INFINITY)
		return;
	log_warn("%s: %s %llu is more than hostd may give a process (its own hard limit is "
		 "%llu): shadows get %llu", s->label, key, (unsigned long long)*value,
		 (unsigned long long)hard.rlim_max, (unsigned long long)hard.rlim_max);
	*value = hard.rlim_max;
}

static void server_check_limits(struct server *s, const struct server_opts *o)
{
	s->limits = o->limits;
	server_clamp_limit(s, RLIMIT_NOFILE, "limit-nofile", &s->limits.nofile);
	server_clamp_limit(s, RLIMIT_NPROC, "limit-nproc", &s->limits.nproc);
}

static int server_setup(struct server *s, const struct server_opts *o)
{
	struct vmrpc_region_opts ro = {
		.n_channels = o->n_channels,
		.chan_size = o->chan_size,
		.mode = o->mode,
		.size = o->shm_size,
	};
	const struct vmrpc_iface *ifaces[SERVICES_MAX];
	char msg[PATH_MAX + 200], path[256] = "", store[NOTIFY_FDNAME_MAX];
	sigset_t mask;
	int err;

	err = server_check_runtime_dir(o->name, true, msg, sizeof(msg));
	if (err == 0)
		err = server_check_shadows(o, msg, sizeof(msg));
	if (err == 0)
		err = server_check_owner(o, msg, sizeof(msg));
	if (err < 0) {
		log_err("%s: %s", s->label, msg);
		return err;
	}
	server_check_limits(s, o);
	s->shadow_cwd = server_shadow_cwd(o);
	err = host_services_load(&s->services, o->modules, o->n_modules, o->ffi_services,
				 o->n_ffi_services, server_warn_service, NULL, msg, sizeof(msg));
	if (err < 0) {
		log_err("cannot load service: %s", msg);
		return err;
	}
	/* A sealed memfd, which no caller, guest or host program can resize
	 * under its mappers, unless the transport says otherwise; systemd's
	 * fd store keeps it across a restart. */
	snprintf(store, sizeof(store), "region-%s", o->name);
	ro.flags = VMRPC_REGION_SEALED;
	s->transport->region_opts(s, &ro);
	if (ro.flags & VMRPC_REGION_SEALED) {
		ro.adopt_fd = notify_stored_fd(store);
		if (ro.adopt_fd >= 0)
			ro.flags |= VMRPC_REGION_ADOPT;
	}
	notify_close_stored();
	err = vmrpc_hostd_region_create(o->name, &ro, &s->region);
	if (err < 0) {
		if (!(ro.flags & VMRPC_REGION_SEALED))
			snprintf(path, sizeof(path), "%s", o->shm_path);
		else if (err == -EBUSY)
			vmrpc_region_path(o->name, ".lock", path, sizeof(path));
		else
			snprintf(path, sizeof(path), "a sealed region");
		log_err("%s: cannot create %s: %s%s", s->label, path, vmrpc_strerror(err),
			err == -EBUSY ? " (another vmrpc-hostd serves this name)" : "");
		return err;
	}
	if (ro.flags & VMRPC_REGION_SEALED) {
		if (vmrpc_region_hdr(s->region)->generation > 1)
			log_info("%s: adopted the region from the service manager's fd store",
				 s->label);
		notify_fdstore(vmrpc_region_fd(s->region), store);
	}
	/* Never the header's words from now on: a guest can rewrite them. */
	vmrpc_region_geometry(s->region, &s->n_channels, &s->chan_size);
	s->max_shadows = o->max_shadows && o->max_shadows < s->n_channels ? o->max_shadows
									  : s->n_channels;
	for (size_t i = 0; i < s->services.n; i++)
		ifaces[i] = s->services.svc[i].iface;
	err = vmrpc_hostd_region_publish(s->region, ifaces, s->services.n);
	if (err < 0) {
		log_err("%s: cannot publish the registry: %s", s->label,
			vmrpc_strerror(err));
		return err;
	}
	s->ch = calloc(s->n_channels, sizeof(*s->ch));
	if (!s->ch)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->n_channels; i++)
		hchan_init(&s->ch[i]);
	/* The region is ours (locked): so is the subtree named after it. */
	snprintf(path, sizeof(path), "%s-%s", s->guest_callers ? "vm" : "region", o->name);
	err = cgroup_tree_open(s->label, path, &o->cg_limits, s->limits.nproc, &s->cg);
	if (err < 0)
		return err;
	cgroup_tree_rlimits(s->cg, &s->limits, &s->rlimits);
	s->max_gsrc = o->max_guest_sourced && o->max_guest_sourced < s->n_channels
			      ? o->max_guest_sourced
			      : (s->n_channels + 1) / 2;
	memcpy(s->boot_id, (const void *)vmrpc_region_hdr(s->region)->guest_boot_id,
	       sizeof(s->boot_id));
	err = s->transport->setup(s);
	if (err == 0)
		err = server_apply_access(s);
	if (err < 0)
		return err;
	err = server_setup_host_socket(s, o);
	if (err < 0) {
		log_err("%s: cannot listen for host callers on %s: %s", s->label,
			s->host_path[0] ? s->host_path : "its socket", strerror(-err));
		return err;
	}
	err = server_setup_info_socket(s);
	if (err < 0) {
		log_err("%s: cannot listen on the info socket: %s", s->label, strerror(-err));
		return err;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	/* Forked shadows (guest forks) become our children this way. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("%s: cannot become a child subreaper: %s", s->label, strerror(errno));
	s->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0)
		return -errno;
	/* Per channel at most: its caller, its shadow, the shadow's control
	 * socket, log and start timeout in flight. */
	err = io_uring_queue_init(4 * s->n_channels + 2 * IVSH_PEERS_MAX + 16, &s->ring, 0);
	if (err < 0) {
		log_err("cannot set up io_uring: %s", strerror(-err));
		return err;
	}
	server_poll(s, s->sig_fd, ev_data(EV_SIGNAL, 0, 0), true);
	server_poll(s, s->host_fd, ev_data(EV_HOSTLISTEN, 0, 0), true);
	server_poll(s, s->info_fd, ev_data(EV_INFOLISTEN, 0, 0), true);
	s->transport->arm(s);
	if (notify_watchdog_usec()) {
		/* Four times per interval: a supervisor (supervise.c) that
		 * looks twice per interval sees a ping in each look. */
		uint64_t period = notify_watchdog_usec() / 4;

		s->wd_ts.tv_sec = (long long)(period / 1000000);
		s->wd_ts.tv_nsec = (long long)(period % 1000000) * 1000;
		server_arm_watchdog(s);
	}
	return 0;
}

static void server_log_serving(struct server *s)
{
	char what[256];

	s->transport->describe(s, what, sizeof(what));
	log_info("%s: serving %s: %u channels of %u KiB, %zu interfaces, at most %u "
		 "shadows",
		 s->label, what, s->n_channels, s->chan_size >> 10,
		 s->services.n, s->max_shadows);
	log_info("%s: host callers connect to %s (at most %u guest-sourced channels)",
		 s->label, s->host_path, s->max_gsrc);
	if (s->transport->log_serving)
		s->transport->log_serving(s);
}

/* SIGHUP: reread the configuration file, and apply to new shadows and
 * connections what changed in this VM's section; what shapes the region
 * (its size, its channels, its socket, the services its registry lists)
 * takes a restart, which the log says. A file with a mistake changes
 * nothing. A section that is gone drains this hostd. */
static void server_reload(struct server *s)
{
	static struct config cfg; /* large; one reload at a time */
	struct server_opts *o = s->opts, *n;
	char msg[PATH_MAX + 200], what[1024], restart[256];
	const char *swap;
	int err;

	if (!o->config_path) {
		log_info("%s: SIGHUP: nothing to reload (the options are the command line's)",
			 s->label);
		return;
	}
	notify_reloading();
	err = config_load(o->config_path, &cfg, msg, sizeof(msg));
	if (err < 0) {
		log_err("%s: reload: %s; the running configuration stays", s->label, msg);
		goto out;
	}
	if (config_keep_only(&cfg, o->name) < 0) {
		config_free(&cfg);
		if (!s->draining)
			log_info("%s: reload: no longer in %s: draining (no new callers; hostd "
				 "stops when the last one is gone)", s->label, o->config_path);
		s->draining = true;
		goto out;
	}
	n = &cfg.vm[0];
	n->shadow_exe = o->shadow_exe;
	n->verbose = o->verbose;
	n->config_path = o->config_path;
	err = server_check_shadows(n, msg, sizeof(msg));
	if (err == 0)
		err = server_check_owner(n, msg, sizeof(msg));
	if (err < 0) {
		log_err("%s: reload: %s; the running configuration stays", s->label, msg);
		config_free(&cfg);
		goto out;
	}
	config_diff(o, n, what, sizeof(what), restart, sizeof(restart));
	/* What applies from now on: to new shadows, new host callers, and the
	 * files callers open. Strings change hands; cfg frees the old ones. */
	o->uid = n->uid;
	o->gid = n->gid;
	o->have_ids = n->have_ids;
	o->mode = n->mode;
	o->owner_uid = n->owner_uid;
	o->owner_gid = n->owner_gid;
	o->max_shadows = n->max_shadows;
	o->limits = n->limits;
	o->cg_limits = n->cg_limits;
	memcpy(o->guest_callers, n->guest_callers, sizeof(o->guest_callers));
	o->n_guest_callers = n->n_guest_callers;
	o->max_guest_sourced = n->max_guest_sourced;
	swap = o->root, o->root = n->root, n->root = swap;
	swap = o->shadow_cwd, o->shadow_cwd = n->shadow_cwd, n->shadow_cwd = swap;
	config_free(&cfg);
	server_check_limits(s, o);
	cgroup_tree_set_limits(s->cg, &o->cg_limits, s->limits.nproc);
	cgroup_tree_rlimits(s->cg, &s->limits, &s->rlimits);
	s->shadow_cwd = server_shadow_cwd(o);
	s->max_shadows = o->max_shadows && o->max_shadows < s->n_channels ? o->max_shadows
									  : s->n_channels;
	s->max_gsrc = o->max_guest_sourced && o->max_guest_sourced < s->n_channels
			      ? o->max_guest_sourced
			      : (s->n_channels + 1) / 2;
	(void)server_apply_access(s);
	log_info("%s: reloaded %s: %s%s%s%s", s->label, o->config_path,
		 what[0] ? what : "nothing changed", what[0] ? " (for new shadows and callers)" : "",
		 restart[0] ? "; changed but kept until this VM's hostd restarts: " : "", restart);
out:
	notify_ready();
}

int server_run(struct server_opts *o)
{
	struct server s = {
		.opts = o,
		.transport = hostd_transport_of(o->transport),
		.bell_fd = -1,
		.map_fd = -1,
		.sig_fd = -1,
		.host_fd = -1,
		.info_fd = -1,
		.tables_fd = -1,
	};
	int err;

	if (!s.transport)
		return 1;
	s.guest_callers = s.transport->guest_callers;
	snprintf(s.label, sizeof(s.label), "%s '%s'", s.guest_callers ? "vm" : "region",
		 o->name);
	s.ivsh.listen_fd = -1;
	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		s.ivsh.peer[i].fd = -1;
	err = server_setup(&s, o);
	if (err < 0)
		goto out;
	server_log_serving(&s);
	server_update_status(&s);
	notify_ready();
	s.transport->start(&s);

	err = 0;
	while (!s.stopping) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int r = io_uring_submit_and_wait(&s.ring, true);

		if (r < 0 && r != -EINTR) {
			/* Serving is over: stop cleanly, but say it failed. */
			log_err("%s: io_uring: %s; stopping", s.label, strerror(-r));
			err = r;
			break;
		}
		io_uring_for_each_cqe(&s.ring, head, cqe) {
			server_dispatch(&s, cqe);
			n++;
		}
		io_uring_cq_advance(&s.ring, n);
		if (s.draining && !s.n_shadows && !s.n_gsrc) {
			log_info("%s: drained: no caller is left", s.label);
			s.stopping = true;
		}
		server_update_status(&s);
	}
	notify_stopping();
	server_stop(&s);
	log_info("%s: stopped%s", s.label, err < 0 ? " after an error" : "");
out:
	s.transport->close(&s);
	server_close_info(&s);
	if (s.host_fd >= 0) {
		if (s.host_path[0])
			unlink(s.host_path);
		close(s.host_fd);
	}
	if (s.sig_fd >= 0)
		close(s.sig_fd);
	if (s.ring.ring_fd > 0)
		io_uring_queue_exit(&s.ring);
	cgroup_tree_close(s.cg);
	free(s.ch);
	vmrpc_region_close(s.region);
	services_unload(&s.services);
	return err < 0 ? 1 : 0;
}
