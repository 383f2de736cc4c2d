/* SPDX-License-Identifier: MIT */
/* Callers attach and detach: a claim becomes a shadow (spawned, then READY
 * on its control socket), a detach or a caller's exit ends it, and a
 * shadow's exit is reported to its caller. On loopback the kernel names
 * who rang (server_on_doorbell); in a VM the region holds the guest's
 * claims, which hostd reads against its own record (server_scan). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "shadow_proto.h"
#include "transport.h"

static void describe_exit(const siginfo_t *si, char *buf, size_t size)
{
	if (si->si_code == CLD_EXITED)
		snprintf(buf, size, "exited with status %d", si->si_status);
	else
		snprintf(buf, size, "exited with signal %d (%s)%s", si->si_status,
			 strsignal(si->si_status), si->si_code == CLD_DUMPED ? ", core dumped" : "");
}

void server_on_shadow(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	siginfo_t si = { 0 };
	char how[96];

	if (waitid(P_PIDFD, (id_t)c->shadow_pidfd, &si, WEXITED | WNOHANG) < 0 ||
	    si.si_pid == 0) {
		/* Not reapable yet (cannot happen for POLLIN on a pidfd): re-arm. */
		server_poll(s, c->shadow_pidfd, ev_data(EV_SHADOW, c->sh_epoch, i), false);
		return;
	}
	close(c->shadow_pidfd);
	c->shadow_pidfd = -1;
	s->n_shadows--;
	hchan_unwatch_shadow(s, i);
	server_siblings_lost(s, i);
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
	if (hchan_move(s, i, H_DEAD) < 0)
		return;
	vmrpc_hostd_chan_mark_dead(s->region, i);
	server_wake_guest(s, VMRPC_IVSHMEM_VEC_CHAN(i));
}

void server_wake_guest(struct server *s, uint32_t vector)
{
	if (s->transport->wake_guest)
		s->transport->wake_guest(s, vector);
}

void server_on_caller(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];

	c->caller_armed = false;
	if (c->st == H_REFUSED) {
		hchan_free(s, i);
		/* Died before reading the refusal: only it could have moved a
		 * REFUSED channel, so the channel is still ours to free. */
		if (vmrpc_ctl_state(&vmrpc_region_chan(s->region, i)->ctl) == VMRPC_CHAN_REFUSED) {
			vmrpc_hostd_chan_free(s->region, i);
			server_wake_guest(s, VMRPC_IVSHMEM_VEC_CHAN(i));
		}
		return;
	}
	hchan_teardown(s, i, "exited");
}

void server_attach(struct server *s, struct attach_req *a)
{
	uint32_t i = a->index;
	struct hchan *c = &s->ch[i];
	struct shadow_spec spec;
	struct shadow_proc proc;
	char why[PATH_MAX + 160], msg[PATH_MAX + 128];
	int err;

	if (s->draining) {
		snprintf(why, sizeof(why), "hostd is draining: the VM left the configuration");
		goto refuse;
	}
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
		.ffi_services = s->opts->ffi_services,
		.n_ffi_services = s->opts->n_ffi_services,
		.exports = s->opts->exports,
		.export_ro = s->opts->export_ro,
		.n_exports = s->opts->n_exports,
		.limits = &s->rlimits,
		.verbose = s->opts->verbose,
		.bell_fd = s->transport->shadow_bell(s, i),
		.guest_bell_fd = s->transport->guest_bell ? s->transport->guest_bell(s, i) : -1,
		.transport = s->transport->kind,
		.doorbell = s->bell_path[0] ? s->bell_path : NULL,
		.cgroup = c->cg,
	};
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
	if (hchan_move(s, i, H_STARTING) < 0) {
		if (a->caller_pidfd >= 0)
			close(a->caller_pidfd);
		syscall(SYS_pidfd_send_signal, proc.pidfd, SIGKILL, NULL, 0);
		close(proc.pidfd);
		close(proc.ctl_fd);
		close(proc.log_fd);
		cgroup_group_release(s->cg, c->cg);
		c->cg = NULL;
		return;
	}
	c->epoch++;
	c->caller_pid = a->pid;
	c->caller_uid = a->uid;
	c->nonce = a->nonce;
	c->caller_pidfd = a->caller_pidfd;
	if (c->caller_pidfd >= 0) {
		c->caller_armed = true;
		server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), false);
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
void server_on_shadow_ctl(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	struct shadow_msg m;
	ssize_t n = recv(c->ctl_fd, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN) {
		server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), false);
		return;
	}
	if (n <= 0) /* ECONNRESET: it died with a message of ours unread */
		return; /* it exited or closed it: its pidfd says the rest */
	if (n == (ssize_t)sizeof(m) && m.chan != i && c->st != H_STARTING &&
	    (m.type == SHADOW_MSG_READY || m.type == SHADOW_MSG_DROPPED)) {
		/* about one of its siblings (sibling.c); a closing shadow's
		 * answers no longer matter */
		int err = m.type == SHADOW_MSG_READY ? server_sibling_ready(s, i, m.chan)
						     : server_sibling_dropped(s, i, m.chan);

		if (err == 0 || c->st == H_CLOSING) {
			server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), false);
			return;
		}
	}
	if (n != (ssize_t)sizeof(m) || m.type != SHADOW_MSG_READY || m.chan != i ||
	    c->st != H_STARTING) {
		log_warn("%s: channel %u: shadow pid %d broke its control protocol; killing it",
			 s->label, i, c->shadow_pid);
		hchan_teardown(s, i, "lost its shadow");
		return;
	}
	server_poll(s, c->ctl_fd, ev_data(EV_SHADOW_CTL, c->sh_epoch, i), false);
	/* Its start deadline is moot: an idle hostd must not wake for it. */
	hchan_cancel_start_timeout(s, i);
	/* A guest cannot see host pids: it gets 0, and no pidfd check. */
	if (vmrpc_hostd_chan_attach(s->region, i, s->guest_callers ? 0 : c->shadow_pid) < 0) {
		/* The caller stopped waiting (its attach timed out) and took its
		 * claim back while the shadow started: undo, as for a detach. */
		log_warn("%s: channel %u: caller pid %d withdrew its claim",
			 s->label, i, c->caller_pid);
		hchan_teardown(s, i, "withdrew");
		return;
	}
	server_wake_guest(s, VMRPC_IVSHMEM_VEC_CHAN(i));
	if (hchan_move(s, i, H_ATTACHED) < 0)
		return;
	c->attached = true;
	if (c->fork_parent != UINT32_MAX)
		log_info("%s: channel %u attached: caller pid %d forks, shadow pid %d is a fork "
			 "of channel %u's", s->label, i, c->caller_pid, c->shadow_pid,
			 c->fork_parent);
	else
		log_info("%s: channel %u attached: %scaller pid %d uid %u, shadow pid %d",
			 s->label, i, s->guest_callers ? "guest " : "", c->caller_pid, c->caller_uid,
			 c->shadow_pid);
}

void server_on_start_timeout(struct server *s, uint32_t i)
{
	struct hchan *c = &s->ch[i];
	uint32_t root = c->sib_root != UINT32_MAX ? c->sib_root : i;

	if (c->st != H_STARTING && !(c->st == H_CLOSING && root != i))
		return;
	if (root != i)
		log_warn("%s: channel %u: shadow pid %d did not %s it as a sibling of channel %u "
			 "within %d s; killing it", s->label, i, c->shadow_pid,
			 c->st == H_STARTING ? "serve" : "drop", root, SERVER_START_TIMEOUT_S);
	else
		log_warn("%s: channel %u: shadow pid %d did not become ready within %d s; "
			 "killing it", s->label, i, c->shadow_pid, SERVER_START_TIMEOUT_S);
	/* Its exit refuses the claim, or frees the channel (server_on_shadow). */
	if (syscall(SYS_pidfd_send_signal, s->ch[root].shadow_pidfd, SIGKILL, NULL, 0) < 0 &&
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
	uint32_t parent;
	char why[128];

	/* The claim must be exactly what the kernel says the sender is. */
	if (vmrpc_hostd_claim_check(s->region, b) < 0) {
		/* Claimed, but not as its sender says: another process wrote the
		 * claim's words. Refuse it at once, so that its claimant claims
		 * again instead of waiting out its timeout. */
		if (c->st == H_FREE &&
		    vmrpc_ctl_state(&vmrpc_region_chan(s->region, i)->ctl) == VMRPC_CHAN_CLAIMED) {
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
	parent = vmrpc_ctl_claim_parent(&vmrpc_region_chan(s->region, i)->ctl);
	if (parent)
		server_attach_sibling(s, &a, parent - 1);
	else
		server_attach(s, &a);
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

/* The caller of channel i abandons its call in flight (req.cancel_seq is
 * the call's req_seq): interrupt the shadow's system call with
 * SHADOW_SIGNAL_CANCEL, which it answers with -EINTR. At most every 5 ms:
 * the caller asks again while no reply comes. */
static void server_cancel(struct server *s, uint32_t i)
{
	struct vmrpc_chan_req *rq = &vmrpc_region_chan(s->region, i)->req;
	struct hchan *c = &s->ch[i];
	/* a sibling's shadow is its root channel's: it finds which thread */
	int pidfd = c->sib_root != UINT32_MAX ? s->ch[c->sib_root].shadow_pidfd : c->shadow_pidfd;
	uint64_t now = server_now_ms();

	if (c->st != H_ATTACHED || pidfd < 0 || now - c->cancel_ms < 5 ||
	    __atomic_load_n(&rq->cancel_seq, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&rq->req_seq, __ATOMIC_ACQUIRE))
		return;
	c->cancel_ms = now;
	if (syscall(SYS_pidfd_send_signal, pidfd, SHADOW_SIGNAL_CANCEL, NULL, 0) < 0 &&
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
		uint64_t nonce = vmrpc_ctl_nonce(ctl);
		uint32_t owner = vmrpc_ctl_owner(ctl);

		if (c->st != H_FREE ||
		    vmrpc_ctl_state(ctl) != VMRPC_CHAN_CLAIMED)
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
void server_on_doorbell(struct server *s, struct vmrpc_doorbell *b)
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

/* ivshmem: claims and detaches are in the region, and a guest rang (or,
 * for ivshmem-plain, the scan timer fired). The region's state words are
 * the guest's claims; hostd's own record decides what each one means. The
 * guest as a whole is one caller of the host: every claim is served as the
 * VM's configured user, within the VM's limits. */
void server_scan(struct server *s)
{
	server_scan_guestd(s);
	for (uint32_t i = 0; i < s->n_channels && !s->stopping; i++) {
		struct vmrpc_chan_hdr *h = vmrpc_region_chan(s->region, i);
		uint32_t st = vmrpc_ctl_state(&h->ctl);
		struct hchan *c = &s->ch[i];
		struct attach_req a;
		uint32_t parent;

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
			.pid = (pid_t)vmrpc_ctl_owner(&h->ctl),
			.uid = s->opts->uid,
			.gid = s->opts->gid,
			.caller_pidfd = -1,
		};
		parent = vmrpc_ctl_claim_parent(&h->ctl);
		if (parent)
			server_attach_sibling(s, &a, parent - 1);
		else
			server_attach(s, &a);
	}
}
