/* SPDX-License-Identifier: MIT */
/*
 * hostd and one shadow, over the shadow's control socket (a SOCK_SEQPACKET
 * socketpair hostd makes when it starts the shadow, or that a forked copy
 * hands hostd with its FORK_READY). Private to the two: nothing a guest
 * writes in the region decides what a shadow serves. A shadow's stderr is a
 * pipe of its own that hostd reads and logs, attributed to its channel.
 */
#ifndef HOSTD_SHADOW_PROTO_H
#define HOSTD_SHADOW_PROTO_H

#include <signal.h>
#include <stdint.h>

enum shadow_msg_type {
	SHADOW_MSG_READY = 1,   /* shadow: serving chan from now on */
	SHADOW_MSG_ADOPT = 2,   /* hostd, to a forked copy: serve chan (else it
				 * closes the socket, and the copy exits) */
	SHADOW_MSG_SERVE = 3,   /* hostd: serve chan too, a sibling of the
				 * shadow's own, in a thread of its own (for
				 * ivshmem-doorbell with the channel's eventfd
				 * and the one raising its vector in the
				 * guest); the shadow answers READY for it */
	SHADOW_MSG_DROP = 4,    /* hostd: stop serving sibling chan */
	SHADOW_MSG_DROPPED = 5, /* shadow: it no longer serves sibling chan */
};

struct shadow_msg {
	uint32_t type; /* enum shadow_msg_type */
	uint32_t chan; /* the channel it is about */
};

/* hostd sends it to interrupt the shadow's system call when its caller
 * abandons the call (a handled signal interrupted the caller's wait): the
 * shadow's handler does nothing, and the call answers -EINTR. */
#define SHADOW_SIGNAL_CANCEL SIGUSR1
/* Inside the shadow: the thread that receives SHADOW_SIGNAL_CANCEL passes
 * it on with this one to each thread whose channel's call was abandoned. */
#define SHADOW_SIGNAL_CALL SIGUSR2
/* Channels one shadow serves besides its own. */
#define SHADOW_SIBLINGS_MAX 16

/* The descriptors a shadow starts with. */
#define SHADOW_FD_REGION 3  /* closed once mapped */
#define SHADOW_FD_CONTROL 4 /* the control socket */
#define SHADOW_FD_BELL 5    /* ivshmem-doorbell: the channel's eventfd */
#define SHADOW_FD_GUEST_BELL 6 /* ivshmem-doorbell, with --guest-bell: writing it
				* raises the channel's MSI-X vector in the guest */

#endif /* HOSTD_SHADOW_PROTO_H */
