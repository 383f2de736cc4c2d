/* SPDX-License-Identifier: MIT */
/* Adaptive spinning: how long one side busy-waits for the other before it
 * goes to sleep on a futex. A cross-CPU cache-line round trip costs well under
 * a microsecond while a futex wake-up costs tens of microseconds, so spinning
 * decides latency and sleeping decides CPU cost. The budget grows while the
 * peer answers within it and halves each time it does not, so a peer that
 * answers slowly (a blocking host call, an idle caller) costs little spinning. */
#ifndef VMRPC_SPIN_H
#define VMRPC_SPIN_H

#include <stdint.h>

#define SPIN_DEFAULT_MAX_NS 50000u
#define SPIN_FLOOR_NS 2000u

struct spin {
	uint32_t max_ns; /* 0: never spin */
	uint32_t cur_ns;
};

void spin_init(struct spin *s);
void spin_set_max(struct spin *s, uint32_t max_ns);
/* The peer answered within the spin. */
void spin_hit(struct spin *s);
/* The spin ran out and the waiter had to sleep. */
void spin_miss(struct spin *s);

#endif /* VMRPC_SPIN_H */
