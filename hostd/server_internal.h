/* SPDX-License-Identifier: MIT */
/*
 * Inside the region server: what its files share. server.c runs the event
 * loop; chan_state.c keeps hostd's record of each channel and its one
 * transition function; attach.c attaches and detaches callers and their
 * shadows; guest_fork.c hands a caller's shadow to its forked child;
 * guest_sourced.c serves host programs that call into the guest; and each
 * transport (transport.h) is where callers ring.
 */
#ifndef HOSTD_SERVER_INTERNAL_H
#define HOSTD_SERVER_INTERNAL_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "host_services.h"
#include "ivshmem_server.h"
#include "notify.h"
#include "server.h"
#include "shadow_log.h"
#include "spawn.h"
#include "vmrpc_private.h"

struct hostd_transport;

/* A loopback claim nobody rang for is taken back after this long: longer
 * than any caller waits for its attach (5 s). */
#define SERVER_STALE_CLAIM_MS 6000
/* A shadow that has not said READY by then is killed, and the attach refused. */
#define SERVER_START_TIMEOUT_S 10
/* Channels one shadow serves besides its own (vmrpc_chan_open_sibling). */
#define SERVER_SIBLINGS_MAX 16

/* hostd's record of a channel. The table of legal transitions is in
 * chan_state.c; hchan_move() is the only way to change a state. */
enum hchan_state {
	H_FREE,
	H_STARTING,    /* a shadow was spawned (or adopted): not READY yet */
	H_ATTACHED,    /* its shadow serves the caller */
	H_DEAD,        /* its shadow died on its own; the caller has to learn it */
	H_CLOSING,     /* detached: its shadow is being killed and reaped */
	H_REFUSED,     /* the attach was refused; the caller has to read it */
	H_FORKING,     /* claimed for a caller's child: the forked shadow comes */
	H_GSRC,        /* offered to guestd for a host caller */
	H_GSRC_CLOSING, /* its host caller let go: guestd has to release it */
	H_N_STATES
};

struct hchan {
	enum hchan_state st;
	uint32_t epoch; /* +1 per attach: completions of an older epoch are stale */
	pid_t caller_pid;
	int caller_pidfd;  /* -1 when closed */
	bool caller_armed; /* a poll on caller_pidfd is in flight */
	pid_t shadow_pid;
	int shadow_pidfd;
	uint64_t nonce;
	const char *why; /* why CLOSING: for the detach log line */
	bool attached;   /* hostd set ATTACHED (or OFFERED) in the region for this caller */
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
	/* A sibling: the channel whose shadow serves this one too (its
	 * shadow_pid is that shadow's; it has no pidfd, control socket or log
	 * of its own); else UINT32_MAX. On that channel: how many. */
	uint32_t sib_root;
	uint32_t n_sibs;
};

/* What a completion is about: its kind, the epoch of what it watched and a
 * channel index (or a transport's own index), packed in its user data. */
enum ev_kind {
	EV_SIGNAL = 1,
	EV_CALLER,        /* a loopback caller's pidfd */
	EV_SHADOW,        /* a shadow's pidfd */
	EV_IGNORE,
	EV_HOSTLISTEN,    /* a host program connects to call into the guest */
	EV_HOSTCONN,      /* a host caller's connection closed */
	EV_SHADOW_CTL,    /* a shadow wrote its control socket */
	EV_SHADOW_LOG,    /* a shadow wrote its stderr */
	EV_START_TIMEOUT, /* a STARTING shadow's deadline */
	EV_WATCHDOG,      /* time to ping systemd's watchdog */
	EV_INFOLISTEN,    /* someone connects to the info socket (info.c) */
	EV_TRANSPORT,     /* the transport's own (below): hostd_transport.on_event */
	EV_BELL = EV_TRANSPORT, /* loopback: the doorbell socket */
	EV_MAP,           /* loopback: a caller asks for the sealed region */
	EV_LISTEN,        /* ivshmem-doorbell: QEMU connects */
	EV_PEER,          /* ivshmem-doorbell: a QEMU's connection hung up (or spoke) */
	EV_CONTROL,       /* ivshmem-doorbell: the guest rang its control vector */
	EV_SCAN,          /* ivshmem-plain: time to look at the region */
};

struct server {
	struct server_opts *opts; /* changed in place by a reload (SIGHUP) */
	const struct hostd_transport *transport;
	char label[96];     /* "region 'NAME'" or "vm 'NAME'", for the log */
	bool guest_callers; /* the transport's: callers are a VM's guest */
	struct vmrpc_region *region;
	struct services services;
	struct io_uring ring;
	int sig_fd;
	uint32_t n_channels;
	uint32_t chan_size;
	uint32_t max_shadows;
	uint32_t n_shadows;
	bool stopping;
	bool draining;      /* no new callers; stop once the last one is gone */
	struct hchan *ch;
	/* the transports' state */
	int bell_fd;         /* loopback: the doorbell socket */
	char bell_path[108]; /* loopback: its path, for shadows; else empty */
	int map_fd;          /* loopback: where callers get the sealed region */
	struct ivsh_server ivsh; /* ivshmem-doorbell: QEMU's socket and vectors */
	uint32_t peer_epoch[IVSH_PEERS_MAX];
	struct __kernel_timespec scan_ts; /* ivshmem-plain: the scan period */
	/* guest-sourced calls */
	int host_fd;               /* the host-caller socket (SOCK_SEQPACKET) */
	char host_path[108];
	/* the info socket (info.c) */
	int info_fd;
	char info_path[108];
	int tables_fd;      /* sealed memfd of the host type tables, or -1 */
	uint32_t n_tables;
	uint32_t max_gsrc, n_gsrc; /* channels host callers hold, and the limit */
	uint64_t boot_id[2];       /* the guest boot hostd last saw */
	uint64_t nochan_ms;        /* when a full region was last logged */
	struct shadow_limits limits; /* opts->limits, within what the host allows */
	const char *shadow_cwd;      /* opts->shadow_cwd, inside the root if there is one */
	struct cgroup_tree *cg;    /* per-caller containment (cgroup.h) */
	struct shadow_limits rlimits; /* what spawn sets: opts' less what cgroups do */
	struct __kernel_timespec wd_ts; /* the watchdog's period, if systemd has one */
	char status[NOTIFY_STATUS_MAX]; /* the STATUS= last sent */
};

static inline uint64_t ev_data(enum ev_kind kind, uint32_t epoch, uint32_t index)
{
	return (uint64_t)kind << 56 | (uint64_t)(epoch & 0xffffff) << 32 | index;
}

/* ---- server.c: the loop ------------------------------------------------ */
struct io_uring_sqe *server_sqe(struct server *s);
/* Poll fd for POLLIN (multishot: until removed), completing with data. */
void server_poll(struct server *s, int fd, uint64_t data, bool multishot);
void server_unpoll(struct server *s, uint64_t data);
uint64_t server_now_ms(void);
/* Whether pid is no longer running (or never was). */
bool server_pid_gone(pid_t pid);
void server_reap_orphans(struct server *s);

/* ---- chan_state.c: hostd's record of each channel ------------------------ */
void hchan_init(struct hchan *c);
/* The one way to change c's state: an illegal transition (a bug in hostd)
 * is logged and refused with -EINVAL, the state untouched. */
int hchan_move(struct server *s, uint32_t i, enum hchan_state to);
void hchan_close_caller(struct server *s, uint32_t i);
void hchan_log_prefix(struct server *s, uint32_t i, char *buf, size_t size);
void hchan_watch_shadow(struct server *s, uint32_t i, const struct shadow_proc *p);
void hchan_unwatch_shadow(struct server *s, uint32_t i);
void hchan_arm_start_timeout(struct server *s, uint32_t i);
void hchan_cancel_start_timeout(struct server *s, uint32_t i);
void hchan_free(struct server *s, uint32_t i);
void hchan_teardown(struct server *s, uint32_t i, const char *why);
void server_refuse(struct server *s, uint32_t i, int err, pid_t pid, const char *why);

/* ---- attach.c: callers attach and detach --------------------------------- */
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
void server_attach(struct server *s, struct attach_req *a);
void server_on_shadow(struct server *s, uint32_t i);
void server_on_shadow_ctl(struct server *s, uint32_t i);
void server_on_start_timeout(struct server *s, uint32_t i);
void server_on_caller(struct server *s, uint32_t i);
/* A doorbell, whose sender the kernel names (loopback). */
void server_on_doorbell(struct server *s, struct vmrpc_doorbell *b);
/* The region's state words are a guest's claims: look at them (ivshmem). */
void server_scan(struct server *s);
/* A guest asleep in vmrpc.ko on channel i's words (or, for
 * VMRPC_IVSHMEM_VEC_CONTROL, guestd on guest_bell) must look again. */
void server_wake_guest(struct server *s, uint32_t vector);

/* ---- sibling.c: channels a caller's shadow serves besides its own -------- */
/* Attach channel a->index, claimed with claim_parent, as a sibling of
 * channel parent: its shadow serves it in a thread of its own. */
void server_attach_sibling(struct server *s, struct attach_req *a, uint32_t parent);
/* The shadow of root said READY (or DROPPED) for its sibling chan. 0, or
 * -EPROTO when the message is not one it may send now. */
int server_sibling_ready(struct server *s, uint32_t root, uint32_t chan);
int server_sibling_dropped(struct server *s, uint32_t root, uint32_t chan);
/* Ask the shadow to stop serving sibling i (CLOSING). */
void server_sibling_drop(struct server *s, uint32_t i);
/* root's shadow is gone: each of its siblings with it. */
void server_siblings_lost(struct server *s, uint32_t root);

/* ---- guest_fork.c: a caller's fork (docs/hostcalls.md) ------------------- */
void server_fork_claim(struct server *s, const struct vmrpc_doorbell *b);
void server_fork_ready(struct server *s, struct vmrpc_doorbell *b);
void server_fork_handover(struct server *s, const struct vmrpc_doorbell *b);
/* /proc/<pid>/stat's parent pid, or 0. */
pid_t server_ppid(pid_t pid);

/* ---- guest_sourced.c: host programs that call into the guest ------------- */
int server_setup_host_socket(struct server *s, const struct server_opts *o);
void server_on_host_listen(struct server *s);
void server_gsrc_drop(struct server *s, uint32_t i, const char *why);
/* Whether uid may call into the guest: root, hostd's user, guest-callers. */
int server_gsrc_allowed(const struct server *s, uid_t uid);

/* ---- info.c: the info socket, a read-only look at the region ------------- */
/* Bind <runtime dir>/<name>.info.sock and build the host type tables' memfd. */
int server_setup_info_socket(struct server *s);
void server_on_info_listen(struct server *s);
void server_close_info(struct server *s);
void server_scan_guestd(struct server *s);

#endif /* HOSTD_SERVER_INTERNAL_H */
