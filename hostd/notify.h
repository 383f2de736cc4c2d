/* SPDX-License-Identifier: MIT */
/* systemd's readiness protocol (sd_notify(3)), for Type=notify units: a
 * datagram to $NOTIFY_SOCKET. A no-op outside systemd. */
#ifndef HOSTD_NOTIFY_H
#define HOSTD_NOTIFY_H

void notify_ready(void);
void notify_stopping(void);

#endif /* HOSTD_NOTIFY_H */
