/* SPDX-License-Identifier: MIT */
/*
 * Siblings: more channels of one caller served by the same shadow, each in
 * a thread of its own, so that one host context (working directory,
 * descriptors, children) serves calls in parallel (vmrpc_chan_open_sibling;
 * a file-system mount's worker threads, for one).
 *
 * A sibling claim names the caller's own channel (ctl.claim_parent). hostd
 * checks it against its record: the parent is attached, is no sibling
 * itself, belongs to the claimant (on loopback: the same process) and has
 * room for another. It then asks the parent's shadow, on its control
 * socket, to SERVE the channel; the channel is ATTACHED once the shadow
 * says READY for it. A detach asks the shadow to DROP it; DROPPED frees it.
 * The shadow's exit ends its siblings with it: a sibling still attached
 * is DEAD to its caller, as its root channel is.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "shadow_proto.h"
#include "transport.h"
#include "vmrpc_private.h"

/* One message to root's shadow, with the channel's eventfds when bell is
 * >= 0: bell, which wakes the shadow, then guest_bell when >= 0, which
 * raises the channel's vector in the guest (ivshmem-doorbell). Without
 * guest_bell a guest caller asleep in vmrpc.ko on the sibling would see
 * its replies only when its liveness check comes round (100 ms). */
static int sibling_tell(struct server *s, uint32_t root, uint32_t type, uint32_t chan, int bell,
			int guest_bell)
{
	struct shadow_msg m = { .type = type, .chan = chan };
	int fds[2] = { bell, guest_bell };

	if (s->ch[root].ctl_fd < 0)
		return -EPIPE;
	/* A shadow that does not read its control socket costs it the
	 * sibling, never hostd's time. */
	return vmrpc_send_fds(s->ch[root].ctl_fd, &m, sizeof(m), fds,
			      bell < 0 ? 0 : guest_bell < 0 ? 1 : 2, MSG_DONTWAIT);
}

/* Why parent cannot have a's channel as a sibling, or NULL. */
static const char *sibling_refusal(struct server *s, const struct attach_req *a,
				   uint32_t parent)
{
	const struct hchan *p;

	if (parent >= s->n_channels || parent == a->index)
		return "it names no other channel";
	p = &s->ch[parent];
	if (p->st != H_ATTACHED || p->sib_root != UINT32_MAX)
		return "the channel it names is not an attached channel with a shadow of its own";
	/* In a VM every claim is the VM's: a guest's processes share its
	 * shadows' user anyway. On loopback the kernel says who rang. */
	if (!s->guest_callers && p->caller_pid != a->pid)
		return "the channel it names is another process's";
	if (p->n_sibs >= SERVER_SIBLINGS_MAX)
		return "its shadow serves as many siblings as it may (16)";
	return NULL;
}

void server_attach_sibling(struct server *s, struct attach_req *a, uint32_t parent)
{
	uint32_t i = a->index;
	struct hchan *c = &s->ch[i], *p;
	const char *why = sibling_refusal(s, a, parent);
	char msg[160];
	int err;

	if (why) {
		snprintf(msg, sizeof(msg), "sibling of channel %u: %s", parent, why);
		if (a->caller_pidfd >= 0)
			close(a->caller_pidfd);
		server_refuse(s, i, -VMRPC_EREFUSED, a->pid, msg);
		return;
	}
	p = &s->ch[parent];
	err = sibling_tell(s, parent, SHADOW_MSG_SERVE, i, s->transport->shadow_bell(s, i),
			   s->transport->guest_bell ? s->transport->guest_bell(s, i) : -1);
	if (err < 0) {
		snprintf(msg, sizeof(msg), "sibling of channel %u: its shadow pid %d cannot be "
			 "told: %s", parent, p->shadow_pid, strerror(-err));
		if (a->caller_pidfd >= 0)
			close(a->caller_pidfd);
		server_refuse(s, i, -VMRPC_ESHADOW, a->pid, msg);
		return;
	}
	if (hchan_move(s, i, H_STARTING) < 0) {
		if (a->caller_pidfd >= 0)
			close(a->caller_pidfd);
		return;
	}
	c->epoch++;
	c->sh_epoch++;
	c->caller_pid = a->pid;
	c->caller_uid = a->uid;
	c->nonce = a->nonce;
	c->sib_root = parent;
	c->shadow_pid = p->shadow_pid;
	p->n_sibs++;
	c->caller_pidfd = a->caller_pidfd;
	if (c->caller_pidfd >= 0) {
		c->caller_armed = true;
		server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), false);
	}
	hchan_arm_start_timeout(s, i);
}

int server_sibling_ready(struct server *s, uint32_t root, uint32_t chan)
{
	struct hchan *c;

	if (chan >= s->n_channels || s->ch[chan].sib_root != root)
		return -EPROTO;
	c = &s->ch[chan];
	if (c->st != H_STARTING)
		return c->st == H_CLOSING ? 0 : -EPROTO; /* dropped before it was ready */
	hchan_cancel_start_timeout(s, chan);
	if (vmrpc_hostd_chan_attach(s->region, chan, s->guest_callers ? 0 : c->shadow_pid) < 0) {
		log_warn("%s: channel %u: caller pid %d withdrew its sibling claim", s->label,
			 chan, c->caller_pid);
		hchan_teardown(s, chan, "withdrew");
		return 0;
	}
	if (hchan_move(s, chan, H_ATTACHED) < 0)
		return 0;
	c->attached = true;
	log_info("%s: channel %u attached: %scaller pid %d, a sibling of channel %u served by "
		 "shadow pid %d", s->label, chan, s->guest_callers ? "guest " : "", c->caller_pid,
		 root, c->shadow_pid);
	return 0;
}

int server_sibling_dropped(struct server *s, uint32_t root, uint32_t chan)
{
	struct hchan *c;
	pid_t caller;

	if (chan >= s->n_channels || s->ch[chan].sib_root != root ||
	    s->ch[chan].st != H_CLOSING)
		return -EPROTO;
	c = &s->ch[chan];
	caller = c->caller_pid;
	hchan_cancel_start_timeout(s, chan);
	hchan_free(s, chan);
	log_info("%s: channel %u detached: caller pid %d %s, a sibling of channel %u", s->label,
		 chan, caller, c->why, root);
	return 0;
}

void server_sibling_drop(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	/* Whatever it answers, or nothing in time (server_on_start_timeout
	 * then kills the shadow), the channel comes back. */
	c->sh_epoch++;
	hchan_arm_start_timeout(s, i);
	if (sibling_tell(s, c->sib_root, SHADOW_MSG_DROP, i, -1, -1) < 0)
		log_debug("%s: channel %u: cannot tell shadow pid %d to drop it; it goes with "
			  "the shadow", s->label, i, c->shadow_pid);
}

/* j no longer belongs to its root's shadow (which is gone). */
static void sibling_unlink(struct server *s, uint32_t j)
{
	s->ch[s->ch[j].sib_root].n_sibs--;
	s->ch[j].sib_root = UINT32_MAX;
}

void server_siblings_lost(struct server *s, uint32_t root)
{
	for (uint32_t j = 0; j < s->n_channels; j++) {
		struct hchan *c = &s->ch[j];
		pid_t caller = c->caller_pid;

		if (c->sib_root != root)
			continue;
		hchan_cancel_start_timeout(s, j);
		switch (c->st) {
		case H_STARTING:
			hchan_close_caller(s, j);
			sibling_unlink(s, j);
			server_refuse(s, j, -VMRPC_ESHADOW, caller,
				      "the shadow that was to serve it as a sibling is gone");
			break;
		case H_CLOSING:
			hchan_free(s, j);
			log_info("%s: channel %u detached: caller pid %d %s, a sibling of "
				 "channel %u", s->label, j, caller, c->why, root);
			break;
		case H_ATTACHED:
			sibling_unlink(s, j);
			if (hchan_move(s, j, H_DEAD) == 0)
				vmrpc_hostd_chan_mark_dead(s->region, j);
			log_warn("%s: channel %u: its shadow (channel %u's) is gone", s->label, j,
				 root);
			break;
		default:
			break;
		}
	}
}
