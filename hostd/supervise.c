/* SPDX-License-Identifier: MIT */
/*
 * The supervisor of a configuration's VMs (supervise.h). It forks one
 * process per VM, each with a socket back to it on which that process
 * sends what it would tell systemd (notify.h); it forwards SIGTERM and
 * SIGINT, and on SIGHUP rereads the file: a VM that appeared starts, a VM
 * that is gone drains (SIGUSR1: no new callers, its process exits once its
 * last caller is gone), every other VM's process gets the SIGHUP and
 * applies its own section's changes (server.c). A file with a mistake
 * changes nothing.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "supervise.h"

/* Processes at once: every VM, and as many draining ones. */
#define SUP_PROCS_MAX (2 * CONFIG_VMS_MAX)
/* A VM's process that fails is started again, up to this many times in
 * SUP_RESTART_WINDOW_MS; then the VM stays down until the unit restarts. */
#define SUP_RESTARTS_MAX 5
#define SUP_RESTART_WINDOW_MS 60000

struct sup_proc {
	char name[72];
	pid_t pid;      /* 0: slot free */
	int relay;      /* its notify socket, or -1 */
	bool ready;     /* it said READY=1, or it is gone */
	bool draining;  /* it left the configuration */
	bool pinged;    /* it pinged the watchdog since the last tick */
	char status[NOTIFY_STATUS_MAX];
	unsigned restarts;        /* its VM's restarts since window_ms */
	uint64_t window_ms;
};

struct sup {
	struct config *cfg;       /* the running configuration */
	const char *path;
	const char *shadow_exe;
	int verbose;
	int sig_fd;
	struct sup_proc proc[SUP_PROCS_MAX];
	bool ready_sent;
	bool stopping;
	int failed;
	char status[NOTIFY_STATUS_MAX];
};

static struct sup_proc *sup_find(struct sup *s, const char *name, bool draining)
{
	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		if (s->proc[i].pid > 0 && s->proc[i].draining == draining &&
		    !strcmp(s->proc[i].name, name))
			return &s->proc[i];
	return NULL;
}

/* Fork vm's hostd. Its end of the relay is its only descriptor of ours. */
static int sup_start(struct sup *s, struct server_opts *vm)
{
	struct sup_proc *p = NULL;
	int sv[2];
	pid_t pid;

	for (size_t i = 0; i < SUP_PROCS_MAX && !p; i++)
		if (s->proc[i].pid == 0)
			p = &s->proc[i];
	if (!p)
		return -EAGAIN;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_err("vm '%s': cannot start: socketpair: %s", vm->name, strerror(errno));
		return -errno;
	}
	vm->shadow_exe = s->shadow_exe;
	vm->verbose = s->verbose;
	vm->config_path = s->path;
	pid = fork();
	if (pid < 0) {
		log_err("vm '%s': cannot fork: %s", vm->name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(sv[0]);
		close(s->sig_fd);
		for (size_t i = 0; i < SUP_PROCS_MAX; i++)
			if (s->proc[i].pid > 0 && s->proc[i].relay >= 0)
				close(s->proc[i].relay);
		notify_set_relay(sv[1]);
		_exit(server_run(vm));
	}
	close(sv[1]);
	/* pinged: a new process gets the watchdog's first look for free */
	*p = (struct sup_proc){ .pid = pid, .relay = sv[0], .pinged = true };
	snprintf(p->name, sizeof(p->name), "%s", vm->name);
	snprintf(p->status, sizeof(p->status), "vm '%s': starting", vm->name);
	return 0;
}

/* STATUS=: every VM's own, joined. */
static void sup_update_status(struct sup *s)
{
	char status[NOTIFY_STATUS_MAX];
	size_t len, n = 0;

	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		n += s->proc[i].pid > 0;
	len = (size_t)snprintf(status, sizeof(status), "%zu VM%s", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < SUP_PROCS_MAX && len < sizeof(status); i++)
		if (s->proc[i].pid > 0)
			len += (size_t)snprintf(status + len, sizeof(status) - len, "; %s",
						s->proc[i].status);
	if (strcmp(status, s->status)) {
		memcpy(s->status, status, sizeof(status));
		notify_status(status);
	}
}

static void sup_maybe_ready(struct sup *s)
{
	if (s->ready_sent)
		return;
	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		if (s->proc[i].pid > 0 && !s->proc[i].ready)
			return;
	s->ready_sent = true;
	notify_ready();
}

static void sup_on_relay(struct sup *s, struct sup_proc *p)
{
	struct notify_msg m;
	int err;

	while ((err = notify_relay_recv(p->relay, &m)) == 0) {
		if (m.ready)
			p->ready = true;
		if (m.watchdog)
			p->pinged = true;
		if (m.has_status)
			memcpy(p->status, m.status, sizeof(p->status));
		if (m.store_fd >= 0) {
			/* To systemd, for the next unit start; and kept here, for
			 * the VM's next process should this one fail. */
			notify_fdstore(m.store_fd, m.store_name);
			notify_keep(m.store_fd, m.store_name);
		}
	}
	if (err == -EPIPE) { /* it is exiting: waitpid() says how */
		close(p->relay);
		p->relay = -1;
	}
}

static uint64_t sup_now_ms(void);

/* vm's process failed: start another, which adopts the region this one
 * stored (so QEMU keeps its memory and callers reattach), unless it fails
 * too often. */
static void sup_restart(struct sup *s, const struct sup_proc *old)
{
	uint64_t now = sup_now_ms(), window = old->window_ms;
	unsigned restarts = old->restarts;
	char name[sizeof(old->name)];
	struct sup_proc *p;
	size_t i;

	memcpy(name, old->name, sizeof(name));
	for (i = 0; i < s->cfg->n_vms && strcmp(s->cfg->vm[i].name, name); i++)
		;
	if (i == s->cfg->n_vms)
		return;
	if (now - window > SUP_RESTART_WINDOW_MS) {
		window = now;
		restarts = 0;
	}
	if (restarts >= SUP_RESTARTS_MAX) {
		log_err("vm '%s': its hostd failed %u times within %d s: not starting it again "
			"until vmrpc-hostd reloads or restarts", name, restarts + 1,
			SUP_RESTART_WINDOW_MS / 1000);
		s->failed = 1;
		return;
	}
	log_info("vm '%s': starting its hostd again", name);
	if (sup_start(s, &s->cfg->vm[i]) < 0) {
		s->failed = 1;
		return;
	}
	p = sup_find(s, name, false);
	if (p) {
		p->restarts = restarts + 1;
		p->window_ms = window;
	}
}

static void sup_reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct sup_proc *p = NULL;
		bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

		for (size_t i = 0; i < SUP_PROCS_MAX && !p; i++)
			if (s->proc[i].pid == pid)
				p = &s->proc[i];
		if (!p)
			continue;
		if (!ok)
			log_err("vm '%s': its hostd process %d failed (%s %d)", p->name, (int)pid,
				WIFEXITED(status) ? "status" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		if (p->relay >= 0)
			close(p->relay);
		p->pid = 0;
		p->relay = -1;
		if (!ok && !p->draining && !s->stopping)
			sup_restart(s, p);
		else if (!ok)
			s->failed = 1;
		if (p->draining) {
			char store[NOTIFY_FDNAME_MAX];
			size_t i;

			/* Its region is no one's now: let the fd store drop it. */
			snprintf(store, sizeof(store), "region-%s", p->name);
			if (!sup_find(s, p->name, false)) {
				notify_fdstore_remove(store);
				notify_drop(store);
			}
			/* A VM added again while it drained starts now. */
			for (i = 0; i < s->cfg->n_vms && strcmp(s->cfg->vm[i].name, p->name); i++)
				;
			if (i < s->cfg->n_vms && !s->stopping && !sup_find(s, p->name, false)) {
				log_info("vm '%s': its previous hostd drained: starting", p->name);
				(void)sup_start(s, &s->cfg->vm[i]);
			}
		}
	}
}

static void sup_signal_all(struct sup *s, int sig)
{
	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		if (s->proc[i].pid > 0)
			kill(s->proc[i].pid, sig);
}

/* SIGHUP: the file again. */
static void sup_reload(struct sup *s)
{
	static struct config next; /* large; the supervisor's one reload at a time */
	char msg[512];

	notify_reloading();
	if (config_load(s->path, &next, msg, sizeof(msg)) < 0) {
		log_err("reload: %s; the running configuration stays", msg);
		notify_ready();
		return;
	}
	/* Gone from the file: drain. */
	for (size_t i = 0; i < s->cfg->n_vms; i++) {
		struct sup_proc *p = sup_find(s, s->cfg->vm[i].name, false);
		size_t j;

		for (j = 0; j < next.n_vms && strcmp(next.vm[j].name, s->cfg->vm[i].name); j++)
			;
		if (j < next.n_vms || !p)
			continue;
		log_info("reload: vm '%s' removed: draining (its hostd stops when its last "
			 "caller is gone)", p->name);
		p->draining = true;
		kill(p->pid, SIGUSR1);
	}
	/* Still there: the VM's process applies its section itself. New:
	 * start, unless its previous process still drains (it starts then). */
	for (size_t j = 0; j < next.n_vms; j++) {
		struct sup_proc *p = sup_find(s, next.vm[j].name, false);

		if (p) {
			kill(p->pid, SIGHUP);
		} else if (sup_find(s, next.vm[j].name, true)) {
			log_info("reload: vm '%s' added: starts once its previous hostd has "
				 "drained", next.vm[j].name);
		} else {
			bool known = false;

			for (size_t i = 0; i < s->cfg->n_vms && !known; i++)
				known = !strcmp(s->cfg->vm[i].name, next.vm[j].name);
			/* known: given up after failing (sup_restart); a reload
			 * is how to try again */
			log_info("reload: vm '%s' %s: starting", next.vm[j].name,
				 known ? "is not running" : "added");
			(void)sup_start(s, &next.vm[j]);
		}
	}
	config_free(s->cfg);
	*s->cfg = next;
	memset(&next, 0, sizeof(next));
	notify_ready();
}

static void sup_on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!s->stopping) {
				log_info("%s: stopping every VM", strsignal((int)si.ssi_signo));
				notify_stopping();
			}
			s->stopping = true;
			sup_signal_all(s, SIGTERM);
			break;
		case SIGHUP:
			if (!s->stopping)
				sup_reload(s);
			break;
		case SIGCHLD:
			sup_reap(s);
			break;
		default:
			break;
		}
	}
}

static uint64_t sup_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The watchdog: pinged only while every VM's process pings. */
static void sup_watchdog_tick(struct sup *s)
{
	bool all = true;

	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		if (s->proc[i].pid > 0 && !s->proc[i].pinged)
			all = false;
	if (all)
		notify_watchdog();
	else
		log_warn("watchdog: a VM's hostd did not ping in time; not pinging systemd");
	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		s->proc[i].pinged = false;
}

int supervise(struct config *cfg, const char *path, const char *shadow_exe, int verbose)
{
	static struct sup s; /* large: one supervisor */
	uint64_t wd_ms = notify_watchdog_usec() / 2000, next_tick = 0;
	sigset_t mask;

	s = (struct sup){ .cfg = cfg, .path = path, .shadow_exe = shadow_exe, .verbose = verbose };
	for (size_t i = 0; i < SUP_PROCS_MAX; i++)
		s.proc[i].relay = -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.sig_fd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < cfg->n_vms; i++) {
		if (sup_start(&s, &cfg->vm[i]) < 0) {
			s.failed = 1;
			s.stopping = true;
			sup_signal_all(&s, SIGTERM);
			break;
		}
	}
	/* The stored regions stay here too: a VM's process started again
	 * (sup_restart) adopts its VM's, as after a restart of the unit. */
	if (wd_ms)
		next_tick = sup_now_ms() + wd_ms;
	for (;;) {
		struct pollfd pfd[1 + SUP_PROCS_MAX];
		struct sup_proc *who[1 + SUP_PROCS_MAX];
		size_t n = 0, live = 0;
		int timeout = -1;

		pfd[n++] = (struct pollfd){ .fd = s.sig_fd, .events = POLLIN };
		for (size_t i = 0; i < SUP_PROCS_MAX; i++) {
			live += s.proc[i].pid > 0;
			if (s.proc[i].pid > 0 && s.proc[i].relay >= 0) {
				who[n] = &s.proc[i];
				pfd[n++] = (struct pollfd){ .fd = s.proc[i].relay, .events = POLLIN };
			}
		}
		if (!live)
			break;
		if (wd_ms) {
			uint64_t now = sup_now_ms();

			if (now >= next_tick) {
				sup_watchdog_tick(&s);
				next_tick = now + wd_ms;
			}
			timeout = (int)(next_tick - now);
		}
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		for (size_t i = 1; i < n; i++)
			if (pfd[i].revents)
				sup_on_relay(&s, who[i]);
		if (pfd[0].revents)
			sup_on_signal(&s);
		sup_reap(&s);
		sup_maybe_ready(&s);
		if (!s.stopping)
			sup_update_status(&s);
	}
	close(s.sig_fd);
	return s.failed;
}
