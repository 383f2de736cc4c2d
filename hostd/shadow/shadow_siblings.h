/* SPDX-License-Identifier: MIT */
/* The channels a shadow serves besides its own, each in a thread of its
 * own (hostd/sibling.c is hostd's side), and the signals that let hostd
 * interrupt the call of one of them. */
#ifndef HOSTD_SHADOW_SIBLINGS_H
#define HOSTD_SHADOW_SIBLINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "services.h"
#include "vmrpc_private.h"

/* Once the shadow serves its own channel own_chan (from the calling
 * thread): take hostd's SERVE and DROP on the control socket in a thread
 * of its own, which alone takes SHADOW_SIGNAL_CANCEL. 0, or -errno. */
int shadow_siblings_start(struct vmrpc_region *region, enum vmrpc_transport transport,
			  const struct services *services, uint32_t own_chan);

/* Whether the calling thread serves the shadow's own channel (not a
 * sibling): the only one that may fork the shadow. */
bool shadow_serving_own_channel(void);

#endif /* HOSTD_SHADOW_SIBLINGS_H */
