/* SPDX-License-Identifier: MIT */
/* systemd's service protocols (sd_notify(3)), for Type=notify units: the
 * readiness datagrams to $NOTIFY_SOCKET, and the file descriptor store that
 * keeps sealed regions across a restart (FDSTORE=1 in, LISTEN_FDS out). No-ops
 * outside systemd. */
#ifndef HOSTD_NOTIFY_H
#define HOSTD_NOTIFY_H

#define NOTIFY_FDNAME_MAX 80

void notify_ready(void);
void notify_stopping(void);

/* Hand fd to the service manager under name (replacing what it holds under
 * that name), to be passed back to the next hostd. */
void notify_fdstore(int fd, const char *name);

/* At start: take the descriptors the service manager passed back
 * ($LISTEN_FDS, $LISTEN_FDNAMES, for our pid), close-on-exec, and unset
 * those variables. */
void notify_take_stored(void);
/* The stored descriptor named name, now the caller's; -1 if none. */
int notify_stored_fd(const char *name);
/* Close every stored descriptor nobody took. */
void notify_close_stored(void);

#endif /* HOSTD_NOTIFY_H */
