/* SPDX-License-Identifier: MIT */
/* Guest-sourced calls (docs/guest-sourced.md): a host program connects to
 * the region's host-caller socket, and hostd offers it a channel that
 * vmrpc-guestd serves. The connection holds the channel; guestd's word
 * (RELEASED, a new boot id) is read against hostd's record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "transport.h"
#include "vmrpc_private.h"

/* A host caller let go of its guest-sourced channel (or hostd stops, or the
 * VM went): ask guestd to let go too, unless it never took the channel. */
void server_gsrc_drop(struct server *s, uint32_t i, const char *why)
{
	struct hchan *c = &s->ch[i];

	int freed = vmrpc_hostd_chan_reclaim(s->region, i) == 0;

	server_wake_guest(s, VMRPC_IVSHMEM_VEC_CONTROL); /* guestd: guest_bell moved */
	if (freed) {
		log_info("%s: channel %u: host caller pid %d %s before guestd served it; "
			 "channel free", s->label, i, c->caller_pid, why);
		hchan_free(s, i);
		return;
	}
	log_info("%s: channel %u: host caller pid %d %s; waiting for guestd to release "
		 "the channel", s->label, i, c->caller_pid, why);
	hchan_move(s, i, H_GSRC_CLOSING);
}

/* guestd rang (or, in a VM, anything did): a guest-sourced channel it
 * released, or a guest that booted again. Both are the guest's word, read
 * against hostd's own record: RELEASED frees only a channel hostd is
 * reclaiming, and a new boot id only ends what that boot cannot still use. */
void server_scan_guestd(struct server *s)
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
		for (uint32_t i = 0; s->guest_callers && known && i < s->n_channels; i++)
			if (s->ch[i].st == H_ATTACHED || s->ch[i].st == H_DEAD)
				hchan_teardown(s, i, "gone with the guest's previous boot");
	}
	for (uint32_t i = 0; i < s->n_channels; i++) {
		struct hchan *c = &s->ch[i];

		if (c->st == H_GSRC_CLOSING &&
		    vmrpc_ctl_state(&vmrpc_region_chan(s->region, i)->ctl) == VMRPC_CHAN_RELEASED) {
			log_info("%s: channel %u: guestd released it; channel free", s->label, i);
			hchan_free(s, i);
		}
	}
}

int server_gsrc_allowed(const struct server *s, uid_t uid)
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
static int server_gsrc_reply(struct server *s, int fd, struct vmrpc_gsrc_reply *rep)
{
	char proc[64];
	int fds[2] = { -1, -1 }, n_fds = 0, region_fd = -1, err;

	if (rep->err == 0) {
		/* A new open file description: hostd's carries the region's
		 * flock, which must not outlive hostd in a host program. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", vmrpc_region_fd(s->region));
		region_fd = open(proc, O_RDWR | O_CLOEXEC);
		if (region_fd < 0)
			return -errno;
		fds[0] = region_fd;
		n_fds = 1;
		/* With vmrpc.ko in the guest, guestd sleeps until the channel's
		 * vector is raised: the host caller gets that vector's eventfd
		 * (only to write it; the one the guest rings stays hostd's, so
		 * that no host caller can drain a later shadow's wake-ups). */
		if (s->transport->guest_bell &&
		    (fds[1] = s->transport->guest_bell(s, rep->chan_index)) >= 0) {
			rep->flags |= VMRPC_GSRC_WAKE;
			n_fds = 2;
		}
	}
	err = vmrpc_send_fds(fd, rep, sizeof(*rep), fds, n_fds, MSG_DONTWAIT);
	if (region_fd >= 0)
		close(region_fd);
	return err;
}

/* A host program wants a channel served by the guest agent. */
static void server_gsrc_open(struct server *s, int fd)
{
	struct vmrpc_gsrc_reply rep = { .flags = s->guest_callers ? VMRPC_GSRC_VM : 0 };
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
	if (s->draining) {
		log_info("%s: host caller pid %d uid %u refused: hostd is draining", s->label,
			 uc.pid, uc.uid);
		rep.err = -VMRPC_ENOHOSTD;
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
	server_wake_guest(s, VMRPC_IVSHMEM_VEC_CONTROL); /* guestd: guest_bell moved */
	c = &s->ch[i];
	hchan_move(s, i, H_GSRC); /* FREE, checked above */
	c->epoch++;
	c->caller_pid = uc.pid;
	c->attached = true;
	c->conn_fd = fd;
	s->n_gsrc++;
	rep.chan_index = i;
	rep.generation = vmrpc_ctl_generation(&vmrpc_region_chan(s->region, i)->ctl);
	err = server_gsrc_reply(s, fd, &rep);
	if (err < 0) {
		log_warn("%s: host caller pid %d: cannot send the region: %s", s->label, uc.pid,
			 strerror(-err));
		server_gsrc_drop(s, i, "was not answered");
		return;
	}
	server_poll(s, fd, ev_data(EV_HOSTCONN, c->epoch, i), false);
	log_info("%s: channel %u offered to the guest for host caller pid %d uid %u", s->label,
		 i, uc.pid, uc.uid);
	return;
refuse:
	server_gsrc_reply(s, fd, &rep);
	close(fd);
}

void server_on_host_listen(struct server *s)
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

int server_setup_host_socket(struct server *s, const struct server_opts *o)
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
