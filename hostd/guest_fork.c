/* SPDX-License-Identifier: MIT */
/* A caller forks (docs/hostcalls.md, "fork"): its shadow forks too, and the
 * copy serves the child. Three steps, each checked against hostd's record:
 * the caller claims a channel for its child, the forked shadow offers
 * itself, the caller hands the channel over to the child. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "shadow_proto.h"

/* /proc/<pid>/stat's parent pid, or 0. */
pid_t server_ppid(pid_t pid)
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
void server_fork_claim(struct server *s, const struct vmrpc_doorbell *b)
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
	if (hchan_move(s, i, H_FORKING) < 0) {
		close(c->caller_pidfd);
		c->caller_pidfd = -1;
		return;
	}
	c->epoch++;
	c->caller_pid = b->pid;
	c->nonce = b->msg.nonce;
	c->fork_parent = parent;
	c->fork_uid = b->uid;
	c->caller_armed = true;
	server_poll(s, c->caller_pidfd, ev_data(EV_CALLER, c->epoch, i), false);
	log_debug("%s: channel %u: caller pid %d forks the shadow of channel %u", s->label, i,
		  b->pid, parent);
}

/* Step 2: the forked copy of the parent's shadow offers itself, with a
 * control socket and a log pipe of its own. It must be our child (a double
 * fork made it one: hostd is a child subreaper), run as the caller's
 * shadows do, and know the claim's nonce. Adopted, it is told so on its
 * socket and starts like any shadow; refused, it is killed: a copy must
 * never serve anything hostd did not give it. */
void server_fork_ready(struct server *s, struct vmrpc_doorbell *b)
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
	if (hchan_move(s, i, H_STARTING) < 0) {
		cgroup_group_release(s->cg, c->cg);
		c->cg = NULL;
		close(proc.pidfd);
		kill(b->pid, SIGKILL); /* reaped as an orphan */
		return;
	}
	b->fds[0] = b->fds[1] = -1;
	hchan_watch_shadow(s, i, &proc);
	hchan_arm_start_timeout(s, i);
}

/* Step 3: after fork() the caller hands the channel to its child (pid in
 * ctl.owner_pid), which must be its child indeed; hostd watches the child
 * from now on. */
void server_fork_handover(struct server *s, const struct vmrpc_doorbell *b)
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
	child = (pid_t)vmrpc_ctl_owner(&vmrpc_region_chan(s->region, i)->ctl);
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
	c->caller_armed = true;
	server_poll(s, pidfd, ev_data(EV_CALLER, c->epoch, i), false);
	log_info("%s: channel %u handed over from caller pid %d to its child pid %d",
		 s->label, i, b->pid, child);
	vmrpc_hostd_chan_handed_over(s->region, i, child);
	/* The child may have detached before we heard of the handover: its
	 * DETACH doorbell did not match the owner then (server_detach). */
	if (vmrpc_ctl_state(&vmrpc_region_chan(s->region, i)->ctl) ==
	    VMRPC_CHAN_DETACHING)
		hchan_teardown(s, i, "detached");
}
