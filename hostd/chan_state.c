/* SPDX-License-Identifier: MIT */
/*
 * hostd's record of each channel (struct hchan), and its transitions:
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
 * hchan_move() refuses anything else: a channel with a running shadow
 * (STARTING, ATTACHED) is never freed before its shadow is reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"

#define TO(st) (1u << (st))

static const unsigned hchan_legal[H_N_STATES] = {
	[H_FREE] = TO(H_FREE) | TO(H_STARTING) | TO(H_REFUSED) | TO(H_FORKING) | TO(H_GSRC),
	[H_STARTING] = TO(H_ATTACHED) | TO(H_CLOSING) | TO(H_REFUSED),
	[H_ATTACHED] = TO(H_CLOSING) | TO(H_DEAD),
	[H_DEAD] = TO(H_FREE),
	[H_CLOSING] = TO(H_FREE),
	[H_REFUSED] = TO(H_FREE),
	[H_FORKING] = TO(H_STARTING) | TO(H_FREE),
	[H_GSRC] = TO(H_GSRC_CLOSING) | TO(H_FREE),
	[H_GSRC_CLOSING] = TO(H_FREE),
};

static const char *const hchan_names[H_N_STATES] = {
	[H_FREE] = "FREE", [H_STARTING] = "STARTING", [H_ATTACHED] = "ATTACHED",
	[H_DEAD] = "DEAD", [H_CLOSING] = "CLOSING", [H_REFUSED] = "REFUSED",
	[H_FORKING] = "FORKING", [H_GSRC] = "GSRC", [H_GSRC_CLOSING] = "GSRC_CLOSING",
};

void hchan_init(struct hchan *c)
{
	*c = (struct hchan){
		.st = H_FREE,
		.caller_pidfd = -1,
		.shadow_pidfd = -1,
		.conn_fd = -1,
		.ctl_fd = -1,
		.log_fd = -1,
		.fork_parent = UINT32_MAX,
		.sib_root = UINT32_MAX,
	};
}

int hchan_move(struct server *s, uint32_t i, enum hchan_state to)
{
	struct hchan *c = &s->ch[i];

	if (!(hchan_legal[c->st] & TO(to))) {
		log_err("%s: channel %u: hostd bug: no transition from %s to %s; ignored",
			s->label, i, hchan_names[c->st], hchan_names[to]);
		return -EINVAL;
	}
	c->st = to;
	return 0;
}

void hchan_close_caller(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	if (c->caller_armed) {
		server_unpoll(s, ev_data(EV_CALLER, c->epoch, i));
		c->caller_armed = false;
	}
	if (c->caller_pidfd >= 0) {
		/* The poll removal must reach the kernel before the fd goes. */
		io_uring_submit(&s->ring);
		close(c->caller_pidfd);
		c->caller_pidfd = -1;
	}
}

void hchan_log_prefix(struct server *s, uint32_t i, char *buf, size_t size)
{
	snprintf(buf, size, "%s: channel %u: shadow pid %d", s->label, i, s->ch[i].shadow_pid);
}

/* Watch a new shadow of channel i: its exit, its control socket, its log. */
void hchan_watch_shadow(struct server *s, uint32_t i, const struct shadow_proc *p)
{
	struct hchan *c = &s->ch[i];

	c->sh_epoch++;
	c->shadow_pid = p->pid;
	c->shadow_pidfd = p->pidfd;
	c->ctl_fd = p->ctl_fd;
	c->log_fd = p->log_fd;
	shadow_log_init(&c->log);
	s->n_shadows++;
	server_poll(s, c->shadow_pidfd, ev_data(EV_SHADOW, c->sh_epoch, i), false);
	server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), false);
	server_poll(s, c->log_fd, ev_data(EV_SHADOW_LOG, c->sh_epoch, i), 1);
}

/* The shadow is gone: log what is left of its stderr, close both sockets.
 * Its completions are stale from now on (sh_epoch). */
void hchan_unwatch_shadow(struct server *s, uint32_t i)
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
void hchan_arm_start_timeout(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	struct io_uring_sqe *sqe = server_sqe(s);

	c->start_ts = (struct __kernel_timespec){ .tv_sec = SERVER_START_TIMEOUT_S };
	io_uring_prep_timeout(sqe, &c->start_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_START_TIMEOUT, c->sh_epoch, i));
}

void hchan_cancel_start_timeout(struct server *s, uint32_t i)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_timeout_remove(sqe, ev_data(EV_START_TIMEOUT, s->ch[i].sh_epoch, i), 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_IGNORE, 0, 0));
}

/* Forget a channel. Write FREE into the region only if hostd attached it
 * there: a claim hostd refused, or one the caller withdrew, is the caller's
 * to hand back, and by the time hostd hears of it someone else may have
 * claimed the channel: writing FREE would reset that claim under its owner. */
void hchan_free(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	enum hchan_state was = c->st;

	if (hchan_move(s, i, H_FREE) < 0)
		return;
	hchan_close_caller(s, i);
	if (c->conn_fd >= 0) {
		server_unpoll(s, ev_data(EV_HOSTCONN, c->epoch, i));
		io_uring_submit(&s->ring);
		close(c->conn_fd);
		c->conn_fd = -1;
	}
	if (was == H_GSRC || was == H_GSRC_CLOSING)
		s->n_gsrc--;
	/* A claim hostd never attached (its shadow did not start, or its
	 * caller went first) is the caller's; but a caller that is gone can
	 * hand nothing back: free it if it is still exactly that claim. */
	if (!c->attached && c->caller_pid > 0 && !s->guest_callers &&
	    vmrpc_hostd_claim_check(s->region, &(struct vmrpc_doorbell){
			  .msg = { .op = VMRPC_DOORBELL_ATTACH, .chan_index = i,
				   .nonce = c->nonce },
			  .pid = c->caller_pid }) == 0 &&
	    server_pid_gone(c->caller_pid))
		c->attached = true;
	c->caller_pid = 0;
	c->fork_parent = UINT32_MAX;
	if (c->sib_root != UINT32_MAX) {
		s->ch[c->sib_root].n_sibs--;
		c->sib_root = UINT32_MAX;
		c->shadow_pid = 0;
	}
	if (c->attached) {
		c->attached = false;
		vmrpc_hostd_chan_free(s->region, i);
		server_wake_guest(s, VMRPC_IVSHMEM_VEC_CHAN(i));
	}
}

/* Begin reclaiming a channel whose caller detached or exited. */
void hchan_teardown(struct server *s, uint32_t i, const char *why)
{
	struct hchan *c = &s->ch[i];

	switch (c->st) {
	case H_STARTING:
	case H_ATTACHED:
		if (hchan_move(s, i, H_CLOSING) < 0)
			break;
		c->why = why;
		if (c->sib_root != UINT32_MAX) { /* its shadow serves its root too */
			server_sibling_drop(s, i);
			break;
		}
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

void server_refuse(struct server *s, uint32_t i, int err, pid_t pid, const char *why)
{
	struct hchan *c = &s->ch[i];

	log_warn("%s: channel %u: attach by %spid %d refused: %s", s->label, i,
		 s->guest_callers ? "guest " : "", pid, why);
	if (hchan_move(s, i, H_REFUSED) < 0)
		return;
	c->epoch++;
	c->caller_pid = pid;
	/* Watch a refused loopback caller so the channel comes back if it dies
	 * before it reads the refusal; if it cannot be watched, it is gone
	 * already. (A guest's channel comes back when hostd sees the guest
	 * hand it back: server_scan.) */
	if (!s->guest_callers) {
		c->caller_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (c->caller_pidfd < 0) {
			hchan_free(s, i);
			return;
		}
		c->caller_armed = true;
		server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), false);
	}
	if (vmrpc_hostd_chan_refuse(s->region, i, err) < 0) /* it gave up already */
		hchan_free(s, i);
	else
		server_wake_guest(s, VMRPC_IVSHMEM_VEC_CHAN(i));
}
