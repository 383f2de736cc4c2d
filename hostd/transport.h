/* SPDX-License-Identifier: MIT */
/*
 * hostd's side of each transport: where callers ring and how hostd hears
 * them, one ops table per transport in its own file (kvmtool's virtio
 * transports are the model). The caller side of the same transports is
 * libvmrpc/transport_*.c; the callee's, libvmrpc/private/callee_transport.c.
 *
 *   transport_loopback.c          host programs: the region's socket and a
 *                                 datagram doorbell that names its sender
 *   transport_ivshmem_doorbell.c  a VM whose QEMU connects to hostd's ivshmem
 *                                 socket; the guest rings eventfd vectors
 *   transport_ivshmem_plain.c     a VM whose QEMU maps the region's file
 *                                 itself; hostd looks at it on a timer
 */
#ifndef HOSTD_TRANSPORT_H
#define HOSTD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "server_internal.h"

struct hostd_transport {
	enum vmrpc_transport kind;
	/* Callers are a VM's guest: no host pids to watch, every attach
	 * served as the VM's configured user, the log says "vm". */
	bool guest_callers;
	/* How the region is made: a sealed memfd, or the VM's file. */
	void (*region_opts)(struct server *s, struct vmrpc_region_opts *ro);
	/* After the region exists: bind what callers ring. Logs its errors. */
	int (*setup)(struct server *s);
	/* Once the ring exists: start watching it. */
	void (*arm)(struct server *s);
	/* Once serving: what callers did while nobody served the region. */
	void (*start)(struct server *s);
	/* A completion of one of its events (EV_TRANSPORT and after). */
	void (*on_event)(struct server *s, enum ev_kind kind, uint32_t epoch, uint32_t index,
			 const struct io_uring_cqe *cqe);
	/* The eventfd the shadow of channel i sleeps on, or -1. */
	int (*shadow_bell)(struct server *s, uint32_t i);
	/* The eventfd that raises channel i's vector in the guest (a shadow
	 * writes it to wake its caller, asleep in vmrpc.ko), or -1; NULL: none. */
	int (*guest_bell)(struct server *s, uint32_t i);
	/* Raise vector v in the guest (vmrpc.ko): hostd changed channel v - 1's
	 * state, or the header's guest_bell (v 0). NULL: nobody to wake. */
	void (*wake_guest)(struct server *s, uint32_t v);
	/* What is served, for the "serving" log line; and a line of its own
	 * after it, if it has one. */
	void (*describe)(struct server *s, char *buf, size_t size);
	void (*log_serving)(struct server *s);
	/* The files whoever may open can act as the VM's guest (or as a
	 * caller): they get the configured mode, owner and group. Up to max
	 * paths into paths; returns how many. */
	size_t (*access_paths)(struct server *s, char (*paths)[PATH_MAX], size_t max);
	/* What systemctl status adds after the channel counts ("QEMU
	 * connected"), or NULL. */
	void (*status)(struct server *s, char *buf, size_t size);
	/* Undo setup; unlink what it bound. */
	void (*close)(struct server *s);
};

extern const struct hostd_transport hostd_transport_loopback;
extern const struct hostd_transport hostd_transport_ivshmem_doorbell;
extern const struct hostd_transport hostd_transport_ivshmem_plain;

const struct hostd_transport *hostd_transport_of(enum vmrpc_transport kind);

#endif /* HOSTD_TRANSPORT_H */
