/* SPDX-License-Identifier: MIT */
/* ivshmem-doorbell: a VM's QEMU connects to hostd's ivshmem socket (QEMU's
 * ivshmem server protocol) and gets the sealed region and an eventfd per
 * vector. The guest rings vector 0 when something waits in the region for
 * hostd, and 1 + i when channel i's shadow sleeps on its eventfd. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"

/* A QEMU connected to the VM's socket: hand it the region and the
 * vectors. Its guest may have claimed channels while nobody listened. */
static void doorbell_on_listen(struct server *s)
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
			    ev_data(EV_PEER, s->peer_epoch[slot], (uint32_t)slot), false);
	}
	server_scan(s);
}

/* QEMU never writes to its socket after connecting: readable means it hung
 * up (its VM stopped) or broke the protocol. Either way it is gone. When
 * the last QEMU of the VM goes, so do the guest's callers: reclaim every
 * channel (a VM that starts again attaches afresh). */
static void doorbell_on_peer(struct server *s, int slot)
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
static void doorbell_on_control(struct server *s)
{
	uint64_t n;

	if (read(ivsh_server_host_vector(&s->ivsh, 0), &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("%s: control vector: %s", s->label, strerror(errno));
	server_scan(s);
}

static void doorbell_region_opts(struct server *s, struct vmrpc_region_opts *ro)
{
	/* sealed: QEMU gets the memfd on the socket */
}

static int doorbell_setup(struct server *s)
{
	const struct server_opts *o = s->opts;
	int err = ivsh_server_open(&s->ivsh, o->socket_path, o->mode ? o->mode : 0600,
				   vmrpc_region_fd(s->region),
				   VMRPC_IVSHMEM_VEC_CHAN(s->n_channels));

	if (err < 0)
		log_err("%s: cannot listen on %s: %s", s->label, o->socket_path, strerror(-err));
	return err;
}

static void doorbell_arm(struct server *s)
{
	server_poll(s, s->ivsh.listen_fd, ev_data(EV_LISTEN, 0, 0), true);
	server_poll(s, ivsh_server_host_vector(&s->ivsh, VMRPC_IVSHMEM_VEC_CONTROL),
		    ev_data(EV_CONTROL, 0, 0), true);
}

static void doorbell_start(struct server *s)
{
	server_scan(s); /* claims made while no hostd served the region */
}

static void doorbell_on_event(struct server *s, enum ev_kind kind, uint32_t epoch, uint32_t i,
			      const struct io_uring_cqe *cqe)
{
	switch (kind) {
	case EV_LISTEN:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->ivsh.listen_fd, ev_data(EV_LISTEN, 0, 0), true);
		doorbell_on_listen(s);
		break;
	case EV_PEER:
		if (i < IVSH_PEERS_MAX && (s->peer_epoch[i] & 0xffffff) == epoch &&
		    s->ivsh.peer[i].fd >= 0 && cqe->res >= 0)
			doorbell_on_peer(s, (int)i);
		break;
	case EV_CONTROL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, ivsh_server_host_vector(&s->ivsh,
							       VMRPC_IVSHMEM_VEC_CONTROL),
				    ev_data(EV_CONTROL, 0, 0), true);
		doorbell_on_control(s);
		break;
	default:
		break;
	}
}

static int doorbell_shadow_bell(struct server *s, uint32_t i)
{
	return ivsh_server_host_vector(&s->ivsh, VMRPC_IVSHMEM_VEC_CHAN(i));
}

/* The guest of the QEMU that connected last: with one QEMU per VM there is
 * one; during a migration the newer is the one that will run. */
static int doorbell_guest_bell(struct server *s, uint32_t i)
{
	return ivsh_server_guest_vector(&s->ivsh, VMRPC_IVSHMEM_VEC_CHAN(i));
}

/* A write to a peer's vector eventfd is QEMU's irqfd (or its own handler):
 * an MSI-X interrupt for vmrpc.ko. A guest without the driver ignores it. */
static void doorbell_wake_guest(struct server *s, uint32_t v)
{
	int fd = ivsh_server_guest_vector(&s->ivsh, v);
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the guest has a wake-up pending anyway */
	}
}

static void doorbell_describe(struct server *s, char *buf, size_t size)
{
	snprintf(buf, size, "a sealed region for QEMU");
}

static void doorbell_log_serving(struct server *s)
{
	log_info("%s: ivshmem-doorbell server on %s; QEMU needs vectors=%u, shadows "
		 "run as uid %u gid %u",
		 s->label, s->opts->socket_path, VMRPC_IVSHMEM_VEC_CHAN(s->n_channels),
		 s->opts->uid, s->opts->gid);
}

static size_t doorbell_access_paths(struct server *s, char (*paths)[PATH_MAX], size_t max)
{
	if (max < 1)
		return 0;
	snprintf(paths[0], PATH_MAX, "%s", s->opts->socket_path);
	return 1;
}

static void doorbell_status(struct server *s, char *buf, size_t size)
{
	unsigned n = (unsigned)ivsh_server_n_peers(&s->ivsh);

	if (n == 0)
		snprintf(buf, size, "no QEMU connected");
	else
		snprintf(buf, size, "%u QEMU%s connected", n, n == 1 ? "" : "s");
}

static void doorbell_close(struct server *s)
{
	ivsh_server_close(&s->ivsh);
}

const struct hostd_transport hostd_transport_ivshmem_doorbell = {
	.kind = VMRPC_TRANSPORT_IVSHMEM_DOORBELL,
	.guest_callers = true,
	.region_opts = doorbell_region_opts,
	.setup = doorbell_setup,
	.arm = doorbell_arm,
	.start = doorbell_start,
	.on_event = doorbell_on_event,
	.shadow_bell = doorbell_shadow_bell,
	.guest_bell = doorbell_guest_bell,
	.wake_guest = doorbell_wake_guest,
	.describe = doorbell_describe,
	.log_serving = doorbell_log_serving,
	.access_paths = doorbell_access_paths,
	.status = doorbell_status,
	.close = doorbell_close,
};
