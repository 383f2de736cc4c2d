/* SPDX-License-Identifier: MIT */
/*
 * The region server: one io_uring waits on the doorbell socket, a signalfd,
 * and the pidfds of every caller and shadow. Nothing here blocks, and with
 * no calls and no attaches hostd sleeps in the kernel.
 *
 * Channel lifecycle as hostd tracks it (struct hchan.st):
 *   FREE --attach doorbell--> STARTING --shadow says READY--> ATTACHED
 *   STARTING --shadow exits (or is not ready in time)--> REFUSED
 *   STARTING, ATTACHED --detach / caller exit--> CLOSING
 *   ATTACHED --shadow exit--> DEAD --detach / caller exit--> FREE
 *   CLOSING --shadow reaped--> FREE
 *   FREE --attach refused--> REFUSED --caller reads it / exits--> FREE
 *   FREE --ATTACH_FORK--> FORKING --FORK_READY, ADOPT--> STARTING (a forked shadow)
 *   FORKING --caller withdraws / exits--> FREE
 * Only READY, on the shadow's private control socket, makes a channel
 * ATTACHED: what a shadow serves is decided between hostd and the shadow.
 * Guest-sourced channels (a host program calls the guest agent):
 *   FREE --host caller connects--> GSRC --connection closes--> GSRC_CLOSING
 *   GSRC_CLOSING --guestd RELEASED it--> FREE
 *   GSRC --connection closes before guestd took it--> FREE
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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "ivshmem_server.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "host_services.h"
#include "shadow_creds.h"
#include "shadow_log.h"
#include "shadow_proto.h"
#include "shadow_sandbox.h"
#include "vmrpc_private.h"

#define SERVER_STOP_TIMEOUT_MS 5000
/* ivshmem-plain has no doorbell: hostd looks for claims and detaches this
 * often (the price of that transport: an idle hostd still wakes up). */
#define SERVER_PLAIN_SCAN_MS 50
/* A loopback claim nobody rang for is taken back after this long: longer
 * than any caller waits for its attach (5 s). */
#define SERVER_STALE_CLAIM_MS 6000
/* A shadow that has not said READY by then is killed, and the attach refused. */
#define SERVER_START_TIMEOUT_S 10
/* How long a stopping hostd waits for killed host programs to be reaped. */
#define SERVER_DRAIN_MS 2000

enum hchan_state {
	H_FREE, H_ATTACHED, H_DEAD, H_CLOSING, H_REFUSED, H_GSRC, H_GSRC_CLOSING, H_FORKING,
	H_STARTING
};

struct hchan {
	enum hchan_state st;
	uint32_t epoch; /* +1 per attach: completions of an older epoch are stale */
	pid_t caller_pid;
	int caller_pidfd; /* -1 when closed */
	int caller_armed; /* a poll on caller_pidfd is in flight */
	pid_t shadow_pid;
	int shadow_pidfd;
	uint64_t nonce;
	const char *why; /* why CLOSING: for the detach log line */
	int attached;    /* hostd set ATTACHED (or OFFERED) in the region for this caller */
	int conn_fd;     /* guest-sourced: the host caller's connection, or -1 */
	uid_t caller_uid;
	uint32_t fork_parent; /* FORKING, and a forked shadow: the caller's own
			       * channel; else UINT32_MAX */
	uid_t fork_uid;       /* FORKING: the uid the forked shadow must have */
	uint32_t sh_epoch;    /* +1 per shadow: its completions of an older one are stale */
	int ctl_fd;           /* the shadow's control socket, or -1 */
	int log_fd;           /* the shadow's stderr, or -1 */
	struct shadow_log log;
	struct __kernel_timespec start_ts; /* STARTING: its deadline's timeout */
	/* FREE in hostd's record but CLAIMED in the region, with no doorbell:
	 * the claim as first seen, and when (server_reclaim_stale) */
	uint64_t stale_nonce;
	uint32_t stale_owner;
	uint64_t stale_ms;
	uint64_t cancel_ms;   /* when its shadow was last interrupted */
	struct cgroup_group *cg; /* the shadow's and its programs' cgroup, while it runs */
};

enum ev_kind {
	EV_BELL = 1, /* loopback doorbell socket */
	EV_SIGNAL,
	EV_CALLER,   /* a loopback caller's pidfd */
	EV_SHADOW,
	EV_IGNORE,
	EV_LISTEN,   /* ivshmem-doorbell: QEMU connects */
	EV_PEER,     /* ivshmem-doorbell: a QEMU's connection hung up (or spoke) */
	EV_CONTROL,  /* ivshmem-doorbell: the guest rang vector 0 */
	EV_SCAN,     /* ivshmem-plain: time to look at the region */
	EV_HOSTLISTEN, /* a host program connects to call into the guest */
	EV_HOSTCONN,   /* a host caller's connection closed */
	EV_MAP,        /* loopback: a caller asks for the sealed region */
	EV_SHADOW_CTL, /* a shadow wrote its control socket */
	EV_SHADOW_LOG, /* a shadow wrote its stderr */
	EV_START_TIMEOUT, /* a STARTING shadow's deadline */
};

struct server {
	const struct server_opts *opts;
	char label[96]; /* "region 'NAME'" or "vm 'NAME'", for the log */
	int vm;         /* an ivshmem transport: the caller is a guest */
	struct ivsh_server ivsh;
	uint32_t peer_epoch[IVSH_PEERS_MAX];
	struct __kernel_timespec scan_ts;
	struct vmrpc_region *region;
	struct services services;
	struct io_uring ring;
	int bell_fd;
	char bell_path[108]; /* loopback: the doorbell socket, for shadows */
	int map_fd;          /* loopback: where callers get the sealed region */
	int sig_fd;
	uint32_t n_channels;
	uint32_t chan_size;
	uint32_t max_shadows;
	uint32_t n_shadows;
	int stopping;
	struct hchan *ch;
	/* guest-sourced calls */
	int host_fd;               /* the host-caller socket (SOCK_SEQPACKET) */
	char host_path[108];
	uint32_t max_gsrc, n_gsrc; /* channels host callers hold, and the limit */
	uint64_t boot_id[2];       /* the guest boot hostd last saw */
	uint64_t nochan_ms;        /* when a full region was last logged */
	struct shadow_limits limits; /* opts->limits, within what the host allows */
	const char *shadow_cwd;      /* opts->shadow_cwd, inside the root if there is one */
	struct cgroup_tree *cg;    /* per-caller containment (cgroup.h) */
	struct shadow_limits rlimits; /* what spawn sets: opts' less what cgroups do */
};

static void server_scan_guestd(struct server *s);
static void server_refuse(struct server *s, uint32_t i, int err, pid_t pid, const char *why);
static uint64_t server_now_ms(void);
static void server_cancel(struct server *s, uint32_t i);

/* Whether pid is no longer running (or never was). */
static int server_pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static uint64_t ev_data(enum ev_kind kind, uint32_t epoch, uint32_t index)
{
	return (uint64_t)kind << 56 | (uint64_t)(epoch & 0xffffff) << 32 | index;
}

static struct io_uring_sqe *server_sqe(struct server *s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

	if (!sqe) {
		io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
	}
	return sqe; /* the ring holds 2 entries per channel: never NULL twice */
}

static void server_poll(struct server *s, int fd, uint64_t data, int multishot)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	if (multishot)
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	else
		io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, data);
}

static void server_unpoll(struct server *s, uint64_t data)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_poll_remove(sqe, data);
	io_uring_sqe_set_data64(sqe, ev_data(EV_IGNORE, 0, 0));
}

static void hchan_close_caller(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	if (c->caller_armed) {
		server_unpoll(s, ev_data(EV_CALLER, c->epoch, i));
		c->caller_armed = 0;
	}
	if (c->caller_pidfd >= 0) {
		/* The poll removal must reach the kernel before the fd goes. */
		io_uring_submit(&s->ring);
		close(c->caller_pidfd);
		c->caller_pidfd = -1;
	}
}

static void hchan_log_prefix(struct server *s, uint32_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%s: channel %u: shadow pid %d", s->label, i, s->ch[i].shadow_pid);
}

/* Watch a new shadow of channel i: its exit, its control socket, its log. */
static void hchan_watch_shadow(struct server *s, uint32_t i, const struct shadow_proc *p)
{
	struct hchan *c = &s->ch[i];

	c->sh_epoch++;
	c->shadow_pid = p->pid;
	c->shadow_pidfd = p->pidfd;
	c->ctl_fd = p->ctl_fd;
	c->log_fd = p->log_fd;
	shadow_log_init(&c->log);
	s->n_shadows++;
	server_poll(s, c->shadow_pidfd, ev_data(EV_SHADOW, c->sh_epoch, i), 0);
	server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), 0);
	server_poll(s, c->log_fd, ev_data(EV_SHADOW_LOG, c->sh_epoch, i), 1);
}

/* The shadow is gone: log what is left of its stderr, close both sockets.
 * Its completions are stale from now on (sh_epoch). */
static void hchan_unwatch_shadow(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	char prefix[160];

	if (c->log_fd >= 0) {
		hchan_log_prefix(s, i, prefix, sizeof(prefix));
		shadow_log_pump(&c->log, c->log_fd, prefix);
		server_unpoll(s, ev_data(EV_SHADOW_LOG, c->sh_epoch, i));
	}
	if (c->ctl_fd >= 0)
		server_unpoll(s, ev_data(EV_SHADOW_CTL, c->sh_epoch, i));
	io_uring_submit(&s->ring); /* the removals reach the kernel before the fds go */
	if (c->log_fd >= 0)
		close(c->log_fd);
	if (c->ctl_fd >= 0)
		close(c->ctl_fd);
	c->log_fd = c->ctl_fd = -1;
	c->sh_epoch++;
}

/* STARTING: a shadow has until then to say READY. */
static void hchan_arm_start_timeout(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	struct io_uring_sqe *sqe = server_sqe(s);

	c->start_ts = (struct __kernel_timespec){ .tv_sec = SERVER_START_TIMEOUT_S };
	io_uring_prep_timeout(sqe, &c->start_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_START_TIMEOUT, c->sh_epoch, i));
}

static void hchan_cancel_start_timeout(struct server *s, uint32_t i)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_timeout_remove(sqe, ev_data(EV_START_TIMEOUT, s->ch[i].sh_epoch, i), 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_IGNORE, 0, 0));
}

/* Forget a channel. Write FREE into the region only if hostd attached it
 * there: a claim hostd refused, or one the caller withdrew, is the caller's
 * to hand back, and by the time hostd hears of it someone else may have
 * claimed the channel: writing FREE would reset that claim under its owner. */
static void hchan_free(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	hchan_close_caller(s, i);
	if (c->conn_fd >= 0) {
		server_unpoll(s, ev_data(EV_HOSTCONN, c->epoch, i));
		io_uring_submit(&s->ring);
		close(c->conn_fd);
		c->conn_fd = -1;
	}
	if (c->st == H_GSRC || c->st == H_GSRC_CLOSING)
		s->n_gsrc--;
	/* A claim hostd never attached (its shadow did not start, or its
	 * caller went first) is the caller's; but a caller that is gone can
	 * hand nothing back: free it if it is still exactly that claim. */
	if (!c->attached && c->caller_pid > 0 && !s->vm &&
	    vmrpc_hostd_claim_check(s->region, &(struct vmrpc_doorbell){
			  .msg = { .op = VMRPC_DOORBELL_ATTACH, .chan_index = i,
				   .nonce = c->nonce },
			  .pid = c->caller_pid }) == 0 &&
	    server_pid_gone(c->caller_pid))
		c->attached = 1;
	c->st = H_FREE;
	c->caller_pid = 0;
	c->fork_parent = UINT32_MAX;
	if (c->attached) {
		c->attached = 0;
		vmrpc_hostd_chan_free(s->region, i);
	}
}

/* A host caller let go of its guest-sourced channel (or hostd stops, or the
 * VM went): ask guestd to let go too, unless it never took the channel. */
static void server_gsrc_drop(struct server *s, uint32_t i, const char *why)
{
	struct hchan *c = &s->ch[i];

	if (vmrpc_hostd_chan_reclaim(s->region, i) == 0) {
		log_info("%s: channel %u: host caller pid %d %s before guestd served it; "
			 "channel free", s->label, i, c->caller_pid, why);
		hchan_free(s, i);
		return;
	}
	log_info("%s: channel %u: host caller pid %d %s; waiting for guestd to release "
		 "the channel", s->label, i, c->caller_pid, why);
	c->st = H_GSRC_CLOSING;
}

/* Begin reclaiming a channel whose caller detached or exited. */
static void hchan_teardown(struct server *s, uint32_t i, const char *why)
{
	struct hchan *c = &s->ch[i];

	switch (c->st) {
	case H_STARTING:
	case H_ATTACHED:
		c->why = why;
		c->st = H_CLOSING;
		cgroup_group_kill(c->cg, c->shadow_pid); /* and every program it started */
		if (syscall(SYS_pidfd_send_signal, c->shadow_pidfd, SIGKILL, NULL, 0) < 0 &&
		    errno != ESRCH)
			log_err("%s: channel %u: cannot kill shadow pid %d: %s",
				s->label, i, c->shadow_pid, strerror(errno));
		break;
	case H_DEAD:
		log_info("%s: channel %u: caller pid %d %s; channel free",
			 s->label, i, c->caller_pid, why);
		hchan_free(s, i);
		break;
	case H_GSRC:
		server_gsrc_drop(s, i, why);
		break;
	case H_GSRC_CLOSING:
		if (s->stopping || !strcmp(why, "gone with its VM"))
			hchan_free(s, i);
		break;
	case H_FORKING:
		log_info("%s: channel %u: fork by caller pid %d abandoned: it %s",
			 s->label, i, c->caller_pid, why);
		hchan_free(s, i);
		break;
	default:
		break;
	}
}

static void describe_exit(const siginfo_t *si, char *buf, size_t size)
{
	if (si->si_code == CLD_EXITED)
		snprintf(buf, size, "exited with status %d", si->si_status);
	else
		snprintf(buf, size, "exited with signal %d (%s)%s", si->si_status,
			 strsignal(si->si_status), si->si_code == CLD_DUMPED ? ", core dumped" : "");
}

static void server_on_shadow(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	siginfo_t si = { 0 };
	char how[96];

	if (waitid(P_PIDFD, (id_t)c->shadow_pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0) {
		/* Not reapable yet (cannot happen for POLLIN on a pidfd): re-arm. */
		server_poll(s, c->shadow_pidfd, ev_data(EV_SHADOW, c->sh_epoch, i), 0);
		return;
	}
	close(c->shadow_pidfd);
	c->shadow_pidfd = -1;
	s->n_shadows--;
	hchan_unwatch_shadow(s, i);
	describe_exit(&si, how, sizeof(how));
	/* No host program outlives its shadow, however the shadow went. */
	cgroup_group_kill(c->cg, c->shadow_pid);
	cgroup_group_release(s->cg, c->cg);
	c->cg = NULL;
	if (c->st == H_STARTING) {
		/* It never served: the claim is refused, with what it said. */
		char why[SHADOW_LOG_LINE_MAX + 160];
		pid_t caller = c->caller_pid;

		snprintf(why, sizeof(why), "its shadow pid %d could not start (%s)%s%s",
			 c->shadow_pid, how, *shadow_log_last(&c->log) ? ": " : "",
			 shadow_log_last(&c->log));
		hchan_close_caller(s, i);
		c->st = H_FREE;
		server_refuse(s, i, -VMRPC_ESHADOW, caller, why);
		return;
	}
	if (c->st == H_CLOSING) {
		pid_t caller = c->caller_pid;

		/* Free, then say so: whoever waits for this line may claim the
		 * channel at once. */
		hchan_free(s, i);
		log_info("%s: channel %u detached: caller pid %d %s, shadow pid %d "
			 "reaped",
			 s->label, i, caller, c->why, c->shadow_pid);
		return;
	}
	/* The shadow died on its own: the caller must learn it now, not hang. */
	log_warn("%s: channel %u: shadow pid %d for caller pid %d %s", s->label,
		 i, c->shadow_pid, c->caller_pid, how);
	c->st = H_DEAD;
	vmrpc_hostd_chan_mark_dead(s->region, i);
}

static void server_on_caller(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	c->caller_armed = 0;
	if (c->st == H_REFUSED) {
		hchan_free(s, i);
		/* Died before reading the refusal: only it could have moved a
		 * REFUSED channel, so the channel is still ours to free. */
		if (__atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.state,
				    __ATOMIC_ACQUIRE) == VMRPC_CHAN_REFUSED)
			vmrpc_hostd_chan_free(s->region, i);
		return;
	}
	hchan_teardown(s, i, "exited");
}

static void server_refuse(struct server *s, uint32_t i, int err, pid_t pid, const char *why)
{
	struct hchan *c = &s->ch[i];

	log_warn("%s: channel %u: attach by %spid %d refused: %s", s->label, i,
		 s->vm ? "guest " : "", pid, why);
	c->st = H_REFUSED;
	c->epoch++;
	c->caller_pid = pid;
	/* Watch a refused loopback caller so the channel comes back if it dies
	 * before it reads the refusal; if it cannot be watched, it is gone
	 * already. (A guest's channel comes back when hostd sees the guest
	 * hand it back: server_scan.) */
	if (!s->vm) {
		c->caller_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (c->caller_pidfd < 0) {
			hchan_free(s, i);
			return;
		}
		c->caller_armed = 1;
		server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), 0);
	}
	if (vmrpc_hostd_chan_refuse(s->region, i, err) < 0) /* it gave up already */
		hchan_free(s, i);
}

/* Who is attaching: from the kernel (loopback) or from the configuration
 * (a VM, whose guest pids mean nothing here). */
struct attach_req {
	uint32_t index;
	pid_t pid;        /* loopback: the caller; a VM: the guest's claim, for the log */
	uid_t uid;
	gid_t gid;
	uint64_t nonce;
	int caller_pidfd; /* loopback: taken over; a VM: -1 */
};

static void server_attach(struct server *s, struct attach_req *a)
{
	uint32_t i = a->index;
	struct hchan *c = &s->ch[i];
	struct shadow_spec spec;
	struct shadow_proc proc;
	char why[PATH_MAX + 160], msg[PATH_MAX + 128];
	int err;

	if (s->n_shadows >= s->max_shadows) {
		snprintf(why, sizeof(why), "shadow limit %u reached", s->max_shadows);
		goto refuse;
	}
	err = cgroup_group_new(s->cg, i, &c->cg, msg, sizeof(msg));
	if (err < 0) {
		snprintf(why, sizeof(why), "cannot make its cgroup: %s", msg);
		goto refuse;
	}
	spec = (struct shadow_spec){
		.exe = s->opts->shadow_exe,
		.region_fd = vmrpc_region_fd(s->region),
		.chan_index = i,
		.n_channels = s->n_channels,
		.chan_size = s->chan_size,
		.uid = a->uid,
		.gid = a->gid,
		.cwd = s->shadow_cwd,
		.root = s->opts->root,
		.modules = s->opts->modules,
		.n_modules = s->opts->n_modules,
		.limits = &s->rlimits,
		.verbose = s->opts->verbose,
		.bell_fd = -1,
		.transport = s->opts->transport == SERVER_IVSHMEM_PLAIN
				     ? VMRPC_TRANSPORT_IVSHMEM_PLAIN : VMRPC_TRANSPORT_LOOPBACK,
		.doorbell = s->vm ? NULL : s->bell_path,
		.cgroup = c->cg,
	};
	if (s->opts->transport == SERVER_IVSHMEM_DOORBELL) {
		spec.bell_fd = ivsh_server_host_vector(&s->ivsh, 1 + i);
		spec.transport = VMRPC_TRANSPORT_IVSHMEM_DOORBELL;
	}
	err = shadow_spawn(&spec, &proc, msg, sizeof(msg));
	if (err < 0) {
		snprintf(why, sizeof(why), "cannot start a shadow: %s", msg);
		cgroup_group_release(s->cg, c->cg);
		c->cg = NULL;
		if (a->caller_pidfd >= 0)
			close(a->caller_pidfd);
		server_refuse(s, i, -VMRPC_ESHADOW, a->pid, why);
		return;
	}
	/* The channel is ATTACHED only once the shadow says it is READY. */
	c->st = H_STARTING;
	c->epoch++;
	c->caller_pid = a->pid;
	c->caller_uid = a->uid;
	c->nonce = a->nonce;
	c->caller_pidfd = a->caller_pidfd;
	if (c->caller_pidfd >= 0) {
		c->caller_armed = 1;
		server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), 0);
	}
	hchan_watch_shadow(s, i, &proc);
	hchan_arm_start_timeout(s, i);
	return;
refuse:
	if (a->caller_pidfd >= 0)
		close(a->caller_pidfd);
	server_refuse(s, i, -VMRPC_EREFUSED, a->pid, why);
}

/* The shadow of channel i wrote its control socket: READY once it serves.
 * Anything else, from a shadow a guest may have taken over, ends it. */
static void server_on_shadow_ctl(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	struct shadow_msg m;
	ssize_t n = recv(c->ctl_fd, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN) {
		server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), 0);
		return;
	}
	if (n == 0)
		return; /* it exited or closed it: its pidfd says the rest */
	if (n != (ssize_t)sizeof(m) || m.type != SHADOW_MSG_READY || m.chan != i ||
	    c->st != H_STARTING) {
		log_warn("%s: channel %u: shadow pid %d broke its control protocol; killing it",
			 s->label, i, c->shadow_pid);
		hchan_teardown(s, i, "lost its shadow");
		return;
	}
	server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), 0);
	/* Its start deadline is moot: an idle hostd must not wake for it. */
	hchan_cancel_start_timeout(s, i);
	/* A guest cannot see host pids: it gets 0, and no pidfd check. */
	if (vmrpc_hostd_chan_attach(s->region, i, s->vm ? 0 : c->shadow_pid) < 0) {
		/* The caller stopped waiting (its attach timed out) and took its
		 * claim back while the shadow started: undo, as for a detach. */
		log_warn("%s: channel %u: caller pid %d withdrew its claim",
			 s->label, i, c->caller_pid);
		hchan_teardown(s, i, "withdrew");
		return;
	}
	c->st = H_ATTACHED;
	c->attached = 1;
	if (c->fork_parent != UINT32_MAX)
		log_info("%s: channel %u attached: caller pid %d forks, shadow pid %d is a fork "
			 "of channel %u's", s->label, i, c->caller_pid, c->shadow_pid,
			 c->fork_parent);
	else
		log_info("%s: channel %u attached: %scaller pid %d uid %u, shadow pid %d",
			 s->label, i, s->vm ? "guest " : "", c->caller_pid, c->caller_uid,
			 c->shadow_pid);
}

static void server_on_start_timeout(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	if (c->st != H_STARTING)
		return;
	log_warn("%s: channel %u: shadow pid %d did not become ready within %d s; killing it",
		 s->label, i, c->shadow_pid, SERVER_START_TIMEOUT_S);
	/* Its exit refuses the claim (server_on_shadow). */
	if (syscall(SYS_pidfd_send_signal, c->shadow_pidfd, SIGKILL, NULL, 0) < 0 &&
	    errno != ESRCH)
		log_err("%s: channel %u: cannot kill shadow pid %d: %s", s->label, i,
			c->shadow_pid, strerror(errno));
}

/* Loopback: an attach doorbell, with the kernel's word on who rang. */
static void server_attach_bell(struct server *s, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct hchan *c = &s->ch[i];
	struct attach_req a = {
		.index = i, .pid = b->pid, .uid = b->uid, .gid = b->gid, .nonce = b->msg.nonce,
	};
	char why[128];

	/* The claim must be exactly what the kernel says the sender is. */
	if (vmrpc_hostd_claim_check(s->region, b) < 0) {
		/* Claimed, but not as its sender says: another process wrote the
		 * claim's words. Refuse it at once, so that its claimant claims
		 * again instead of waiting out its timeout. */
		if (c->st == H_FREE &&
		    __atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.state,
				    __ATOMIC_ACQUIRE) == VMRPC_CHAN_CLAIMED) {
			server_refuse(s, i, -EAGAIN, b->pid,
				      "its claim was written over by another process; it claims "
				      "again");
			return;
		}
		log_debug("%s: channel %u: stale attach doorbell from pid %d ignored",
			  s->label, i, b->pid);
		return;
	}
	if (c->st == H_REFUSED) /* the refused caller gave it back; new claim */
		hchan_free(s, i);
	if (c->st == H_FORKING) { /* the forking caller gave it back unused */
		log_info("%s: channel %u: fork by caller pid %d abandoned", s->label, i,
			 c->caller_pid);
		hchan_free(s, i);
	}
	if (c->st != H_FREE) {
		log_warn("%s: channel %u: pid %d claims it while pid %d holds it; "
			 "ignored",
			 s->label, i, b->pid, c->caller_pid);
		return;
	}
	if (s->stopping)
		return;
	if (geteuid() != 0 && b->uid != geteuid()) {
		snprintf(why, sizeof(why), "uid %u differs from hostd's uid %u and hostd is not "
			 "root", b->uid, geteuid());
		server_refuse(s, i, -VMRPC_EREFUSED, b->pid, why);
		return;
	}
	a.caller_pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0);
	if (a.caller_pidfd < 0) { /* died right after ringing */
		hchan_free(s, i);
		return;
	}
	server_attach(s, &a);
}

/* ivshmem: claims and detaches are in the region, and a guest rang (or,
 * for ivshmem-plain, the scan timer fired). The region's state words are
 * the guest's claims; hostd's own record decides what each one means. The
 * guest as a whole is one caller of the host: every claim is served as the
 * VM's configured user, within the VM's limits. */
static void server_scan(struct server *s)
{
	server_scan_guestd(s);
	for (uint32_t i = 0; i < s->n_channels && !s->stopping; i++) {
		struct vmrpc_chan_hdr *h = vmrpc_region_chan(s->region, i);
		uint32_t st = __atomic_load_n(&h->ctl.state, __ATOMIC_ACQUIRE);
		struct hchan *c = &s->ch[i];
		struct attach_req a;

		if (c->st == H_REFUSED && st != VMRPC_CHAN_REFUSED)
			hchan_free(s, i); /* the guest read the refusal */
		if ((c->st == H_ATTACHED || c->st == H_DEAD) && st == VMRPC_CHAN_DETACHING)
			hchan_teardown(s, i, "detached");
		if (c->st == H_ATTACHED)
			server_cancel(s, i); /* if its guest caller abandons a call */
		if (c->st != H_FREE || st != VMRPC_CHAN_CLAIMED)
			continue;
		a = (struct attach_req){
			.index = i,
			.pid = (pid_t)__atomic_load_n(&h->ctl.owner_pid, __ATOMIC_RELAXED),
			.uid = s->opts->uid,
			.gid = s->opts->gid,
			.caller_pidfd = -1,
		};
		server_attach(s, &a);
	}
}

/* guestd rang (or, in a VM, anything did): a guest-sourced channel it
 * released, or a guest that booted again. Both are the guest's word, read
 * against hostd's own record: RELEASED frees only a channel hostd is
 * reclaiming, and a new boot id only ends what that boot cannot still use. */
static void server_scan_guestd(struct server *s)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(s->region);
	uint64_t boot[2];

	memcpy(boot, (const void *)h->guest_boot_id, sizeof(boot));
	if (boot[0] != s->boot_id[0] || boot[1] != s->boot_id[1]) {
		int known = s->boot_id[0] || s->boot_id[1];

		log_info("%s: guest boot id %016llx%016llx", s->label,
			 (unsigned long long)boot[0], (unsigned long long)boot[1]);
		memcpy(s->boot_id, boot, sizeof(boot));
		/* In a VM, the guest callers of the previous boot are gone, and
		 * nobody else will detach their channels. (On loopback hostd
		 * watches every caller's pid.) The first boot id this region
		 * sees ends nothing: callers attached before guestd started
		 * are this boot's. */
		for (uint32_t i = 0; s->vm && known && i < s->n_channels; i++)
			if (s->ch[i].st == H_ATTACHED || s->ch[i].st == H_DEAD)
				hchan_teardown(s, i, "gone with the guest's previous boot");
	}
	for (uint32_t i = 0; i < s->n_channels; i++) {
		struct hchan *c = &s->ch[i];

		if (c->st == H_GSRC_CLOSING &&
		    __atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.state,
				    __ATOMIC_ACQUIRE) == VMRPC_CHAN_RELEASED) {
			log_info("%s: channel %u: guestd released it; channel free", s->label, i);
			hchan_free(s, i);
		}
	}
}

static int server_gsrc_allowed(const struct server *s, uid_t uid)
{
	if (uid == 0 || uid == geteuid())
		return 1;
	for (size_t i = 0; i < s->opts->n_guest_callers; i++)
		if (s->opts->guest_callers[i] == uid)
			return 1;
	return 0;
}

/* One message, with the region's fd when err is 0. MSG_DONTWAIT: a host
 * program that does not read cannot stall hostd (the reply fits the
 * socket's buffer anyway). */
static int server_gsrc_reply(struct server *s, int fd, const struct vmrpc_gsrc_reply *rep)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)rep, .iov_len = sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char proc[64];
	int region_fd = -1, err = 0;

	if (rep->err == 0) {
		/* A new open file description: hostd's carries the region's
		 * flock, which must not outlive hostd in a host program. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", vmrpc_region_fd(s->region));
		region_fd = open(proc, O_RDWR | O_CLOEXEC);
		if (region_fd < 0)
			return -errno;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &region_fd, sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(*rep))
		err = -errno;
	if (region_fd >= 0)
		close(region_fd);
	return err;
}

/* A host program wants a channel served by the guest agent. */
static void server_gsrc_open(struct server *s, int fd)
{
	struct vmrpc_gsrc_reply rep = { .flags = s->vm ? VMRPC_GSRC_VM : 0 };
	struct ucred uc;
	socklen_t len = sizeof(uc);
	uint32_t i;
	struct hchan *c;
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0) {
		log_warn("%s: host caller: SO_PEERCRED: %s", s->label, strerror(errno));
		close(fd);
		return;
	}
	if (!server_gsrc_allowed(s, uc.uid)) {
		log_warn("%s: host caller pid %d uid %u refused: not in guest-callers", s->label,
			 uc.pid, uc.uid);
		rep.err = -VMRPC_EDENIED;
		goto refuse;
	}
	if (s->n_gsrc >= s->max_gsrc) {
		log_warn("%s: host caller pid %d uid %u refused: %u guest-sourced channels in "
			 "use (max-guest-sourced)", s->label, uc.pid, uc.uid, s->n_gsrc);
		rep.err = -VMRPC_ENOCHAN;
		goto refuse;
	}
	/* From the top: guest callers claim from the bottom. */
	for (i = s->n_channels; i-- > 0;)
		if (s->ch[i].st == H_FREE && vmrpc_hostd_chan_offer(s->region, i, uc.pid) == 0)
			break;
	if (i == UINT32_MAX) {
		log_warn("%s: host caller pid %d uid %u refused: no free channel", s->label,
			 uc.pid, uc.uid);
		rep.err = -VMRPC_ENOCHAN;
		goto refuse;
	}
	c = &s->ch[i];
	c->st = H_GSRC;
	c->epoch++;
	c->caller_pid = uc.pid;
	c->attached = 1;
	c->conn_fd = fd;
	s->n_gsrc++;
	rep.chan_index = i;
	rep.generation = __atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.generation,
					 __ATOMIC_ACQUIRE);
	err = server_gsrc_reply(s, fd, &rep);
	if (err < 0) {
		log_warn("%s: host caller pid %d: cannot send the region: %s", s->label, uc.pid,
			 strerror(-err));
		server_gsrc_drop(s, i, "was not answered");
		return;
	}
	server_poll(s, fd, ev_data(EV_HOSTCONN, c->epoch, i), 0);
	log_info("%s: channel %u offered to the guest for host caller pid %d uid %u", s->label,
		 i, uc.pid, uc.uid);
	return;
refuse:
	server_gsrc_reply(s, fd, &rep);
	close(fd);
}

static void server_on_host_listen(struct server *s)
{
	/* Bounded per wake-up, like doorbells. */
	for (int n = 0; n < 64; n++) {
		int fd = accept4(s->host_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: host-caller socket: accept: %s", s->label,
					 strerror(errno));
			return;
		}
		if (s->stopping) {
			close(fd);
			continue;
		}
		server_gsrc_open(s, fd);
	}
}

static int server_setup_host_socket(struct server *s, const struct server_opts *o)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	if (o->host_socket) {
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", o->host_socket);
	} else {
		char *slash;

		err = vmrpc_region_path(o->name, ".host.sock", a.sun_path, sizeof(a.sun_path));
		if (err < 0)
			return err;
		/* A VM whose region and socket live elsewhere (its config names
		 * them) may be the first user of the runtime directory. */
		slash = strrchr(a.sun_path, '/');
		if (slash && slash != a.sun_path) {
			*slash = '\0';
			err = mkdir(a.sun_path, 0755) < 0 && errno != EEXIST ? -errno : 0;
			*slash = '/';
			if (err < 0)
				return err;
		}
	}
	s->host_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->host_fd < 0)
		return -errno;
	/* We hold the region's lock: a socket left here is a dead hostd's. */
	if (lstat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a.sun_path);
	if (bind(s->host_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->host_fd, 64) < 0)
		return -errno;
	snprintf(s->host_path, sizeof(s->host_path), "%s", a.sun_path);
	/* Anyone may connect: the policy is hostd's check of the peer's
	 * credentials, which answers with a clear error. */
	chmod(a.sun_path, 0666);
	return 0;
}

static void server_detach(struct server *s, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct hchan *c = &s->ch[i];

	if (c->st == H_FORKING && c->caller_pid == b->pid && c->nonce == b->msg.nonce) {
		hchan_teardown(s, i, "withdrew");
		return;
	}
	if ((c->st != H_ATTACHED && c->st != H_DEAD) || c->caller_pid != b->pid ||
	    c->nonce != b->msg.nonce) {
		log_debug("%s: channel %u: detach doorbell from pid %d does not match "
			  "its owner; ignored",
			  s->label, i, b->pid);
		return;
	}
	hchan_teardown(s, i, "detached");
}

/* ---- guest fork (docs/hostcalls.md) ---------------------------------- */

/* /proc/<pid>/stat's parent pid, or 0. */
static pid_t server_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, ppid = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold anything but is followed by ") S " */
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

/* Step 1: a caller claimed channel i for the child it is about to fork and
 * names its own channel (first 4 bytes of i's args block, copied once)
 * whose shadow will fork. Nothing is spawned: the forked shadow comes. */
static void server_fork_claim(struct server *s, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index, parent;
	struct hchan *c = &s->ch[i];
	struct vmrpc_doorbell claim = *b;
	char why[128];

	claim.msg.op = VMRPC_DOORBELL_ATTACH; /* the same claim as an attach's */
	if (vmrpc_hostd_claim_check(s->region, &claim) < 0) {
		log_debug("%s: channel %u: stale fork doorbell from pid %d ignored", s->label, i,
			  b->pid);
		return;
	}
	if (c->st == H_REFUSED || c->st == H_FORKING)
		hchan_free(s, i);
	if (c->st != H_FREE || s->stopping)
		return;
	memcpy(&parent, vmrpc_region_chan(s->region, i)->args, sizeof(parent));
	if (parent >= s->n_channels || s->ch[parent].st != H_ATTACHED ||
	    s->ch[parent].caller_pid != b->pid) {
		snprintf(why, sizeof(why), "fork from channel %u, which is not its own", parent);
		server_refuse(s, i, -VMRPC_EREFUSED, b->pid, why);
		return;
	}
	if (s->n_shadows >= s->max_shadows) {
		snprintf(why, sizeof(why), "shadow limit %u reached", s->max_shadows);
		server_refuse(s, i, -VMRPC_EREFUSED, b->pid, why);
		return;
	}
	c->caller_pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0);
	if (c->caller_pidfd < 0) {
		hchan_free(s, i);
		return;
	}
	c->st = H_FORKING;
	c->epoch++;
	c->caller_pid = b->pid;
	c->nonce = b->msg.nonce;
	c->fork_parent = parent;
	c->fork_uid = b->uid;
	c->caller_armed = 1;
	server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), 0);
	log_debug("%s: channel %u: caller pid %d forks the shadow of channel %u", s->label, i,
		  b->pid, parent);
}

/* Step 2: the forked copy of the parent's shadow offers itself, with a
 * control socket and a log pipe of its own. It must be our child (a double
 * fork made it one: hostd is a child subreaper), run as the caller's
 * shadows do, and know the claim's nonce. Adopted, it is told so on its
 * socket and starts like any shadow; refused, it is killed: a copy must
 * never serve anything hostd did not give it. */
static void server_fork_ready(struct server *s, struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct hchan *c = &s->ch[i];
	struct shadow_msg adopt = { .type = SHADOW_MSG_ADOPT, .chan = i };
	struct shadow_proc proc = { .pid = b->pid, .ctl_fd = b->fds[0], .log_fd = b->fds[1] };
	char msg[PATH_MAX + 64];
	const char *why = NULL;
	int ours = server_ppid(b->pid) == getpid();

	if (c->st != H_FORKING || c->nonce != b->msg.nonce)
		why = "no fork is waiting for it";
	else if (!ours)
		why = "not a child of hostd";
	else if (b->uid != (geteuid() == 0 ? c->fork_uid : geteuid()))
		why = "not the caller's uid";
	else if (proc.ctl_fd < 0 || proc.log_fd < 0)
		why = "it brought no control socket and log";
	else if (vmrpc_hostd_claim_check(s->region, &(struct vmrpc_doorbell){
			 .msg = { .op = VMRPC_DOORBELL_ATTACH, .chan_index = i,
				  .nonce = c->nonce },
			 .pid = c->caller_pid }) < 0)
		why = "the claim changed";
	if (!why && (proc.pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0)) < 0)
		why = "it is gone";
	if (!why && send(proc.ctl_fd, &adopt, sizeof(adopt), MSG_DONTWAIT | MSG_NOSIGNAL) !=
			    (ssize_t)sizeof(adopt)) {
		close(proc.pidfd);
		why = "it does not listen";
	}
	if (why) {
		log_warn("%s: channel %u: forked shadow offer from pid %d refused: %s%s",
			 s->label, i, b->pid, why, ours ? "; killed it" : "");
		if (ours)
			kill(b->pid, SIGKILL); /* reaped as an orphan */
		return; /* server_on_bell closes what it brought */
	}
	/* Born in its parent's cgroup: it gets one of its own. */
	if (cgroup_group_new(s->cg, i, &c->cg, msg, sizeof(msg)) < 0 ||
	    cgroup_group_adopt(c->cg, b->pid) < 0) {
		log_warn("%s: channel %u: forked shadow pid %d refused: no cgroup of its own%s%s; "
			 "killed it", s->label, i, b->pid, c->cg ? "" : ": ", c->cg ? "" : msg);
		cgroup_group_release(s->cg, c->cg);
		c->cg = NULL;
		close(proc.pidfd);
		kill(b->pid, SIGKILL); /* reaped as an orphan */
		return;
	}
	b->fds[0] = b->fds[1] = -1;
	c->st = H_STARTING;
	hchan_watch_shadow(s, i, &proc);
	hchan_arm_start_timeout(s, i);
}

/* Step 3: after fork() the caller hands the channel to its child (pid in
 * ctl.owner_pid), which must be its child indeed; hostd watches the child
 * from now on. */
static void server_fork_handover(struct server *s, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct hchan *c = &s->ch[i];
	pid_t child;
	int pidfd;

	if ((c->st != H_ATTACHED && c->st != H_DEAD) || c->caller_pid != b->pid ||
	    c->nonce != b->msg.nonce) {
		log_debug("%s: channel %u: handover from pid %d ignored", s->label, i, b->pid);
		return;
	}
	child = (pid_t)__atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.owner_pid,
				       __ATOMIC_ACQUIRE);
	if (child <= 0 || server_ppid(child) != b->pid ||
	    (pidfd = (int)syscall(SYS_pidfd_open, child, 0)) < 0) {
		hchan_teardown(s, i, "handed its channel to no child of its own");
		return;
	}
	hchan_close_caller(s, i);
	/* A new epoch: a completion for the parent's exit must not count. */
	c->epoch++;
	c->caller_pid = child;
	c->caller_pidfd = pidfd;
	c->caller_armed = 1;
	server_poll(s, pidfd, ev_data(EV_CALLER, c->epoch, i), 0);
	log_info("%s: channel %u handed over from caller pid %d to its child pid %d",
		 s->label, i, b->pid, child);
	vmrpc_hostd_chan_handed_over(s->region, i, child);
	/* The child may have detached before we heard of the handover: its
	 * DETACH doorbell did not match the owner then (server_detach). */
	if (__atomic_load_n(&vmrpc_region_chan(s->region, i)->ctl.state, __ATOMIC_ACQUIRE) ==
	    VMRPC_CHAN_DETACHING)
		hchan_teardown(s, i, "detached");
}

/* hostd is a child subreaper (forked shadows must become its children), so
 * orphans end up here too: programs a dead shadow started, a forked copy
 * nobody adopted. Reap them; a shadow we watch goes through its pidfd. */
static void server_reap_orphans(struct server *s)
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

/* The caller of channel i abandons its call in flight (req.cancel_seq is
 * the call's req_seq): interrupt the shadow's system call with
 * SHADOW_SIGNAL_CANCEL, which it answers with -EINTR. At most every 5 ms:
 * the caller asks again while no reply comes. */
static void server_cancel(struct server *s, uint32_t i)
{
	struct vmrpc_chan_req *rq = &vmrpc_region_chan(s->region, i)->req;
	struct hchan *c = &s->ch[i];
	uint64_t now = server_now_ms();

	if (c->st != H_ATTACHED || c->shadow_pidfd < 0 || now - c->cancel_ms < 5 ||
	    __atomic_load_n(&rq->cancel_seq, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&rq->req_seq, __ATOMIC_ACQUIRE))
		return;
	c->cancel_ms = now;
	if (syscall(SYS_pidfd_send_signal, c->shadow_pidfd, SHADOW_SIGNAL_CANCEL, NULL, 0) < 0 &&
	    errno != ESRCH)
		log_warn("%s: channel %u: cannot interrupt shadow pid %d: %s", s->label, i,
			 c->shadow_pid, strerror(errno));
}

/* Loopback claims nobody rang for (a caller that died between its claim
 * and its doorbell, or one that never meant to ring) are taken back once
 * they stayed the same for SERVER_STALE_CLAIM_MS, or at once if their
 * claimant is gone. */
static void server_reclaim_stale(struct server *s, uint64_t now)
{
	for (uint32_t i = 0; i < s->n_channels; i++) {
		struct vmrpc_chan_ctl *ctl = &vmrpc_region_chan(s->region, i)->ctl;
		struct hchan *c = &s->ch[i];
		uint64_t nonce = __atomic_load_n(&ctl->attach_nonce, __ATOMIC_RELAXED);
		uint32_t owner = __atomic_load_n(&ctl->owner_pid, __ATOMIC_RELAXED);

		if (c->st != H_FREE ||
		    __atomic_load_n(&ctl->state, __ATOMIC_ACQUIRE) != VMRPC_CHAN_CLAIMED)
			continue;
		if ((owner && server_pid_gone((pid_t)owner)) ||
		    (c->stale_ms && c->stale_nonce == nonce && c->stale_owner == owner &&
		     now - c->stale_ms >= SERVER_STALE_CLAIM_MS)) {
			log_warn("%s: channel %u: claim by pid %u never rang; taken back", s->label,
				 i, owner);
			vmrpc_hostd_chan_free(s->region, i);
			c->stale_ms = 0;
			continue;
		}
		if (!c->stale_ms || c->stale_nonce != nonce || c->stale_owner != owner) {
			c->stale_nonce = nonce;
			c->stale_owner = owner;
			c->stale_ms = now;
		}
	}
}

/* A caller found every channel taken: say so (at most once a second),
 * and look for claims to take back. */
static void server_on_nochan(struct server *s, const struct vmrpc_doorbell *b)
{
	uint64_t now = server_now_ms();
	uint32_t busy = 0;

	for (uint32_t i = 0; i < s->n_channels; i++)
		busy += s->ch[i].st != H_FREE;
	if (now - s->nochan_ms >= 1000) {
		log_warn("%s: caller pid %d uid %u found no free channel (%u of %u held by "
			 "callers hostd serves%s)", s->label, b->pid, b->uid, busy,
			 s->n_channels, busy < s->n_channels ? ", the rest claimed" : "");
		s->nochan_ms = now;
	}
	server_reclaim_stale(s, now);
}

/* One doorbell, whose sender the kernel names. */
static void server_on_doorbell(struct server *s, struct vmrpc_doorbell *b)
{
	if (b->msg.chan_index >= s->n_channels) {
		log_warn("%s: doorbell from pid %d names channel %u of %u", s->label, b->pid,
			 b->msg.chan_index, s->n_channels);
		return;
	}
	switch (b->msg.op) {
	case VMRPC_DOORBELL_ATTACH:
		server_attach_bell(s, b);
		break;
	case VMRPC_DOORBELL_DETACH:
		server_detach(s, b);
		break;
	case VMRPC_DOORBELL_GUESTD:
		server_scan_guestd(s);
		break;
	case VMRPC_DOORBELL_ATTACH_FORK:
		server_fork_claim(s, b);
		break;
	case VMRPC_DOORBELL_FORK_READY:
		server_fork_ready(s, b);
		break;
	case VMRPC_DOORBELL_HANDOVER:
		server_fork_handover(s, b);
		break;
	case VMRPC_DOORBELL_NOCHAN:
		server_on_nochan(s, b);
		break;
	case VMRPC_DOORBELL_CANCEL:
		if (s->ch[b->msg.chan_index].caller_pid == b->pid &&
		    s->ch[b->msg.chan_index].nonce == b->msg.nonce)
			server_cancel(s, b->msg.chan_index);
		break;
	default:
		log_warn("%s: doorbell from pid %d with unknown op %u", s->label, b->pid,
			 b->msg.op);
		break;
	}
}

static void server_on_bell(struct server *s)
{
	struct vmrpc_doorbell b;
	int err;

	/* Bounded per wake-up; the multishot poll fires again if more wait. */
	for (int n = 0; n < 256; n++) {
		err = vmrpc_hostd_doorbell_recv(s->bell_fd, &b);
		if (err == -EAGAIN)
			return;
		if (err < 0) {
			log_warn("%s: malformed doorbell: %s", s->label,
				 vmrpc_strerror(err));
			continue;
		}
		server_on_doorbell(s, &b);
		for (int k = 0; k < 2; k++) /* only an adopted fork copy's are kept */
			if (b.fds[k] >= 0)
				close(b.fds[k]);
	}
}

/* Callers asking for the sealed region: bounded per wake-up, like doorbells. */
static void server_on_map(struct server *s)
{
	for (int n = 0; n < 64; n++) {
		int err = vmrpc_hostd_region_serve(s->region, s->map_fd);

		if (err == -EAGAIN)
			return;
		if (err < 0)
			log_debug("%s: handing the region to a caller: %s", s->label,
				  strerror(-err));
	}
}

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
			s->stopping = 1;
		}
	}
}

/* A QEMU connected to the VM's socket: hand it the region and the
 * vectors. Its guest may have claimed channels while nobody listened. */
static void server_on_listen(struct server *s)
{
	int slot;

	while ((slot = ivsh_server_accept(&s->ivsh)) != -EAGAIN) {
		if (slot < 0) {
			log_warn("%s: QEMU connection refused: %s", s->label,
				 slot == -EUSERS ? "too many connections at once"
						 : strerror(-slot));
			continue;
		}
		s->peer_epoch[slot]++;
		log_info("%s: QEMU pid %d connected as ivshmem peer %u", s->label,
			 s->ivsh.peer[slot].pid, s->ivsh.peer[slot].id);
		server_poll(s, s->ivsh.peer[slot].fd,
			    ev_data(EV_PEER, s->peer_epoch[slot], (uint32_t)slot), 0);
	}
	server_scan(s);
}

/* QEMU never writes to its socket after connecting: readable means it hung
 * up (its VM stopped) or broke the protocol. Either way it is gone. When
 * the last QEMU of the VM goes, so do the guest's callers: reclaim every
 * channel (a VM that starts again attaches afresh). */
static void server_on_peer(struct server *s, int slot)
{
	log_info("%s: QEMU pid %d (ivshmem peer %u) disconnected", s->label,
		 s->ivsh.peer[slot].pid, s->ivsh.peer[slot].id);
	ivsh_server_drop(&s->ivsh, slot);
	if (ivsh_server_n_peers(&s->ivsh))
		return;
	for (uint32_t i = 0; i < s->n_channels; i++) {
		if (s->ch[i].st == H_REFUSED)
			hchan_free(s, i);
		hchan_teardown(s, i, "gone with its VM");
	}
}

/* The guest rang vector 0: an attach or a detach is waiting in the region. */
static void server_on_control(struct server *s)
{
	uint64_t n;

	if (read(ivsh_server_host_vector(&s->ivsh, 0), &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("%s: control vector: %s", s->label, strerror(errno));
	server_scan(s);
}

static void server_arm_scan(struct server *s)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_timeout(sqe, &s->scan_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_SCAN, 0, 0));
}

static void server_dispatch(struct server *s, const struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	enum ev_kind kind = (enum ev_kind)(d >> 56);
	uint32_t epoch = (uint32_t)(d >> 32) & 0xffffff;
	uint32_t i = (uint32_t)d;

	switch (kind) {
	case EV_BELL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->bell_fd, ev_data(EV_BELL, 0, 0), 1);
		server_on_bell(s);
		break;
	case EV_SIGNAL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->sig_fd, ev_data(EV_SIGNAL, 0, 0), 1);
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
					    ev_data(EV_SHADOW_LOG, s->ch[i].sh_epoch, i), 1);
			hchan_log_prefix(s, i, prefix, sizeof(prefix));
			shadow_log_pump(&s->ch[i].log, s->ch[i].log_fd, prefix);
		}
		break;
	case EV_START_TIMEOUT:
		if (i < s->n_channels && (s->ch[i].sh_epoch & 0xffffff) == epoch)
			server_on_start_timeout(s, i);
		break;
	case EV_LISTEN:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->ivsh.listen_fd, ev_data(EV_LISTEN, 0, 0), 1);
		server_on_listen(s);
		break;
	case EV_PEER:
		if (i < IVSH_PEERS_MAX && (s->peer_epoch[i] & 0xffffff) == epoch &&
		    s->ivsh.peer[i].fd >= 0 && cqe->res >= 0)
			server_on_peer(s, (int)i);
		break;
	case EV_CONTROL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, ivsh_server_host_vector(&s->ivsh, 0),
				    ev_data(EV_CONTROL, 0, 0), 1);
		server_on_control(s);
		break;
	case EV_SCAN:
		server_arm_scan(s);
		server_scan(s);
		break;
	case EV_HOSTLISTEN:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->host_fd, ev_data(EV_HOSTLISTEN, 0, 0), 1);
		server_on_host_listen(s);
		break;
	case EV_HOSTCONN:
		if (i < s->n_channels && (s->ch[i].epoch & 0xffffff) == epoch &&
		    s->ch[i].st == H_GSRC && cqe->res >= 0)
			server_gsrc_drop(s, i, "closed its connection");
		break;
	case EV_MAP:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->map_fd, ev_data(EV_MAP, 0, 0), 1);
		server_on_map(s);
		break;
	default:
		break;
	}
}

static uint64_t server_now_ms(void)
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

/* Where guests ring: the loopback datagram socket, the ivshmem socket for
 * QEMU with hostd's control vector, or (ivshmem-plain) a scan timer. */
static int server_setup_doorbell(struct server *s, const struct server_opts *o)
{
	uint32_t n_vectors = 1 + s->n_channels;
	int err;

	switch (o->transport) {
	case SERVER_LOOPBACK:
		/* The region's socket first: callers wait for the doorbell's
		 * (.sock) to appear, and must find the region's there too. */
		err = vmrpc_hostd_region_listen(s->region, &s->map_fd);
		if (err < 0) {
			log_err("%s: cannot listen for callers on the region's socket: %s",
				s->label, vmrpc_strerror(err));
			return err;
		}
		vmrpc_region_path(o->name, ".sock", s->bell_path, sizeof(s->bell_path));
		err = vmrpc_hostd_doorbell_listen(s->region, &s->bell_fd);
		if (err < 0)
			log_err("%s: cannot bind the doorbell socket: %s", s->label,
				vmrpc_strerror(err));
		return err;
	case SERVER_IVSHMEM_DOORBELL:
		err = ivsh_server_open(&s->ivsh, o->socket_path, o->mode ? o->mode : 0600,
				       vmrpc_region_fd(s->region), n_vectors);
		if (err < 0)
			log_err("%s: cannot listen on %s: %s", s->label, o->socket_path,
				strerror(-err));
		return err;
	case SERVER_IVSHMEM_PLAIN:
		s->scan_ts.tv_nsec = SERVER_PLAIN_SCAN_MS * 1000 * 1000;
		return 0;
	}
	return -EINVAL;
}

/* The runtime directory holds hostd's sockets and lock files: whoever
 * else may write there could put their own sockets in their place. */
static int server_check_runtime_dir(struct server *s, const struct server_opts *o)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (vmrpc_region_path(o->name, "", dir, sizeof(dir)) < 0 || !(slash = strrchr(dir, '/')))
		return -EINVAL;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("%s: runtime directory %s: %s", s->label, dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		log_err("%s: runtime directory %s: %s", s->label, dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_err("%s: runtime directory %s is %s owned by uid %u, mode %04o: another user "
			 "could replace hostd's sockets there; remove it, or set "
			 "VMRPC_RUNTIME_DIR to a directory of hostd's own", s->label, dir,
			 S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
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

	err = server_check_runtime_dir(s, o);
	if (err < 0)
		return err;
	server_check_limits(s, o);
	s->shadow_cwd = o->shadow_cwd;
	if (o->root) {
		if (sandbox_check_root(o->root, o->shadow_cwd, msg, sizeof(msg)) < 0) {
			log_err("%s: %s", s->label, msg);
			return -EINVAL;
		}
		/* A shadow enters it after its root became the tree. */
		s->shadow_cwd = o->shadow_cwd ? o->shadow_cwd + strlen(o->root) : "";
		if (!strcmp(o->root, "/"))
			s->shadow_cwd = o->shadow_cwd;
		else if (!*s->shadow_cwd)
			s->shadow_cwd = "/";
	}
	/* Shadows run as the VM's user (or hostd's own): find out now if they
	 * could not start, rather than at every attach. (A root hostd's
	 * loopback shadows run as each caller, known only then.) */
	if (o->have_ids || geteuid() != 0) {
		err = creds_check_dir(o->have_ids ? o->uid : geteuid(),
				      o->have_ids ? o->gid : getegid(),
				      o->shadow_cwd ? o->shadow_cwd : "/", msg, sizeof(msg));
		if (err < 0) {
			log_err("%s: shadows could not start: %s (shadow-cwd)", s->label, msg);
			return err;
		}
	}
	err = host_services_load(&s->services, o->modules, o->n_modules, msg, sizeof(msg));
	if (err < 0) {
		log_err("cannot load service module: %s", msg);
		return err;
	}
	/* QEMU maps an ivshmem-plain VM's file itself. Every other region is
	 * a sealed memfd, which no caller, guest or host program can resize
	 * under its mappers; systemd's fd store keeps it across a restart. */
	snprintf(store, sizeof(store), "region-%s", o->name);
	if (o->transport == SERVER_IVSHMEM_PLAIN) {
		ro.path = o->shm_path;
	} else {
		ro.flags = VMRPC_REGION_SEALED;
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
	for (uint32_t i = 0; i < s->n_channels; i++) {
		s->ch[i].caller_pidfd = -1;
		s->ch[i].shadow_pidfd = -1;
		s->ch[i].conn_fd = -1;
		s->ch[i].ctl_fd = -1;
		s->ch[i].log_fd = -1;
		s->ch[i].fork_parent = UINT32_MAX;
	}
	/* The region is ours (locked): so is the subtree named after it. */
	snprintf(path, sizeof(path), "%s-%s", s->vm ? "vm" : "region", o->name);
	err = cgroup_tree_open(s->label, path, &o->cg_limits, s->limits.nproc, &s->cg);
	if (err < 0)
		return err;
	cgroup_tree_rlimits(s->cg, &s->limits, &s->rlimits);
	s->max_gsrc = o->max_guest_sourced && o->max_guest_sourced < s->n_channels
			      ? o->max_guest_sourced
			      : (s->n_channels + 1) / 2;
	memcpy(s->boot_id, (const void *)vmrpc_region_hdr(s->region)->guest_boot_id,
	       sizeof(s->boot_id));
	err = server_setup_doorbell(s, o);
	if (err < 0)
		return err;
	err = server_setup_host_socket(s, o);
	if (err < 0) {
		log_err("%s: cannot listen for host callers on %s: %s", s->label,
			s->host_path[0] ? s->host_path : "its socket", strerror(-err));
		return err;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
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
	server_poll(s, s->sig_fd, ev_data(EV_SIGNAL, 0, 0), 1);
	server_poll(s, s->host_fd, ev_data(EV_HOSTLISTEN, 0, 0), 1);
	switch (o->transport) {
	case SERVER_LOOPBACK:
		server_poll(s, s->bell_fd, ev_data(EV_BELL, 0, 0), 1);
		server_poll(s, s->map_fd, ev_data(EV_MAP, 0, 0), 1);
		break;
	case SERVER_IVSHMEM_DOORBELL:
		server_poll(s, s->ivsh.listen_fd, ev_data(EV_LISTEN, 0, 0), 1);
		server_poll(s, ivsh_server_host_vector(&s->ivsh, 0), ev_data(EV_CONTROL, 0, 0),
			    1);
		break;
	case SERVER_IVSHMEM_PLAIN:
		server_arm_scan(s);
		break;
	}
	return 0;
}

static void server_log_serving(const struct server *s, const struct server_opts *o)
{
	char path[256];

	if (o->transport == SERVER_LOOPBACK)
		vmrpc_region_path(o->name, ".region", path, sizeof(path));
	else if (o->transport == SERVER_IVSHMEM_PLAIN)
		snprintf(path, sizeof(path), "%s", o->shm_path);
	else
		snprintf(path, sizeof(path), "a sealed region for QEMU");
	log_info("%s: serving %s: %u channels of %u KiB, %zu interfaces, at most %u "
		 "shadows",
		 s->label, path, s->n_channels, s->chan_size >> 10,
		 s->services.n, s->max_shadows);
	log_info("%s: host callers connect to %s (at most %u guest-sourced channels)",
		 s->label, s->host_path, s->max_gsrc);
	if (o->transport == SERVER_IVSHMEM_DOORBELL)
		log_info("%s: ivshmem-doorbell server on %s; QEMU needs vectors=%u, shadows "
			 "run as uid %u gid %u",
			 s->label, o->socket_path, 1 + s->n_channels, o->uid, o->gid);
	else if (o->transport == SERVER_IVSHMEM_PLAIN)
		log_info("%s: ivshmem-plain: QEMU maps %s itself; shadows run as uid %u gid %u",
			 s->label, o->shm_path, o->uid, o->gid);
}

int server_run(const struct server_opts *o)
{
	struct server s = { .opts = o, .bell_fd = -1, .map_fd = -1, .sig_fd = -1, .host_fd = -1 };
	char path[256];
	int err;

	s.vm = o->transport != SERVER_LOOPBACK;
	snprintf(s.label, sizeof(s.label), "%s '%s'", s.vm ? "vm" : "region", o->name);
	s.ivsh.listen_fd = -1;
	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		s.ivsh.peer[i].fd = -1;
	err = server_setup(&s, o);
	if (err < 0)
		goto out;
	server_log_serving(&s, o);
	notify_ready();
	if (s.vm)
		server_scan(&s); /* claims made while no hostd served the region */

	err = 0;
	while (!s.stopping) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int r = io_uring_submit_and_wait(&s.ring, 1);

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
	}
	notify_stopping();
	server_stop(&s);
	log_info("%s: stopped%s", s.label, err < 0 ? " after an error" : "");
out:
	if (s.bell_fd >= 0) {
		vmrpc_region_path(o->name, ".sock", path, sizeof(path));
		unlink(path);
		close(s.bell_fd);
	}
	if (s.map_fd >= 0) {
		vmrpc_region_path(o->name, ".region", path, sizeof(path));
		unlink(path);
		close(s.map_fd);
	}
	ivsh_server_close(&s.ivsh);
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
