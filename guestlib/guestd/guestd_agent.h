/* SPDX-License-Identifier: MIT */
#ifndef GUESTD_AGENT_H
#define GUESTD_AGENT_H

#include <stdlib.h>

/* Open the /dev/vmrpcN of PCI function bdf ("0000:00:10.0"; NULL or "":
 * the first vmrpc.ko drives) as the agent's (VMRPC_DEV_AGENT: guestd must
 * have CAP_SYS_ADMIN), non-blocking. Its fd; -ENODEV without vmrpc.ko on
 * that device, -EOPNOTSUPP for a device without interrupts. */
int guestd_agent_open(const char *bdf);

/* Forget the control vector's interrupts so far: call it before looking at
 * guest_bell, so that one raised after the look makes the fd readable. */
void guestd_agent_drain(int fd);

#endif /* GUESTD_AGENT_H */
