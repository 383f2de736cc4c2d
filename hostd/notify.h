/* SPDX-License-Identifier: MIT */
/* systemd's service protocols (sd_notify(3), through libsystemd) for
 * Type=notify units: readiness, STATUS=, the watchdog, and the file
 * descriptor store that keeps sealed regions across a restart (FDSTORE=1
 * in, $LISTEN_FDS out). No-ops outside systemd.
 *
 * With several VMs, hostd's main process supervises one process per VM
 * (main.c) and alone speaks for the unit (NotifyAccess=main): a VM's
 * process sends the same messages to it on a socket (notify_set_relay),
 * and the supervisor says READY=1 when every VM serves, joins their
 * STATUS= lines, pings the watchdog only while every VM's process pings
 * it, and stores their regions. */
#ifndef HOSTD_NOTIFY_H
#define HOSTD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_FDNAME_MAX 80
#define NOTIFY_STATUS_MAX 256

/* At start, before anything else opens a descriptor: take the descriptors
 * the service manager passed back (named, close-on-exec) and the watchdog
 * interval, and clear the variables that carried them. */
void notify_init(void);

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
/* STATUS=: what `systemctl status` shows. */
void notify_status(const char *text);
/* Hand fd to the service manager under name (replacing what it holds under
 * that name), to be passed back to the next hostd. */
void notify_fdstore(int fd, const char *name);
/* Drop what the service manager holds under name. */
void notify_fdstore_remove(const char *name);

/* The watchdog: the interval within which hostd must ping (0: none), and
 * the ping. */
uint64_t notify_watchdog_usec(void);
void notify_watchdog(void);

/* The stored descriptor named name, now the caller's; -1 if none. */
int notify_stored_fd(const char *name);
/* Close every stored descriptor nobody took. */
void notify_close_stored(void);
/* The supervisor's copy of the store, for a VM's process it restarts: keep
 * fd (now the store's) under name, replacing what was there; drop it. */
void notify_keep(int fd, const char *name);
void notify_drop(const char *name);

/* ---- the supervisor's relay ---------------------------------------------- */
/* In a VM's process: send everything to fd (a SOCK_SEQPACKET socket to the
 * supervisor) instead of the service manager. */
void notify_set_relay(int fd);

/* In the supervisor: one message a VM's process sent on fd. */
struct notify_msg {
	bool ready, stopping, watchdog;
	bool has_status;
	char status[NOTIFY_STATUS_MAX];
	int store_fd; /* FDSTORE=1: the descriptor, now the caller's; else -1 */
	char store_name[NOTIFY_FDNAME_MAX];
};
/* 0 and ret_msg filled; -EAGAIN when none waits; -EPIPE when the process
 * closed its end (it exited). */
int notify_relay_recv(int fd, struct notify_msg *ret_msg);

#endif /* HOSTD_NOTIFY_H */
