/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "notify.h"
#include "vmrpc_private.h"

#define NOTIFY_STORED_MAX 64

static struct {
	char name[NOTIFY_FDNAME_MAX];
	int fd;
} notify_stored[NOTIFY_STORED_MAX];
static size_t notify_n_stored;
static uint64_t notify_wd_usec;
static int notify_relay_fd = -1;

/* One message, to the supervisor when there is one (with fd when fd >= 0),
 * else to the service manager. */
static void notify_send(const char *msg, int fd)
{
	if (notify_relay_fd >= 0) {
		/* A supervisor that does not read must not stall a VM. */
		(void)vmrpc_send_fds(notify_relay_fd, msg, strlen(msg), &fd, fd >= 0, MSG_DONTWAIT);
		return;
	}
	if (fd >= 0)
		(void)sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	else
		(void)sd_notify(0, msg);
}

void notify_init(void)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);
	uint64_t usec = 0;

	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "";

		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (notify_n_stored < NOTIFY_STORED_MAX && strlen(name) < NOTIFY_FDNAME_MAX) {
			snprintf(notify_stored[notify_n_stored].name, NOTIFY_FDNAME_MAX, "%s", name);
			notify_stored[notify_n_stored++].fd = fd;
		} else {
			close(fd);
		}
	}
	if (names) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	/* Unset: shadows and host programs must not ping for us. */
	if (sd_watchdog_enabled(1, &usec) > 0)
		notify_wd_usec = usec;
}

void notify_ready(void)
{
	notify_send("READY=1", -1);
}

void notify_reloading(void)
{
	notify_send("RELOADING=1", -1);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1", -1);
}

void notify_status(const char *text)
{
	char msg[NOTIFY_STATUS_MAX + 8];

	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	notify_send(msg, -1);
}

void notify_fdstore(int fd, const char *name)
{
	char msg[64 + NOTIFY_FDNAME_MAX];

	/* One entry per name: an older descriptor under it is dropped. The
	 * supervisor does the same for what it forwards. */
	if (notify_relay_fd < 0) {
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
		notify_send(msg, -1);
	}
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	notify_send(msg, fd);
}

void notify_fdstore_remove(const char *name)
{
	char msg[64 + NOTIFY_FDNAME_MAX];

	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify_send(msg, -1);
}

uint64_t notify_watchdog_usec(void)
{
	return notify_wd_usec;
}

void notify_watchdog(void)
{
	if (notify_wd_usec)
		notify_send("WATCHDOG=1", -1);
}

int notify_stored_fd(const char *name)
{
	for (size_t i = 0; i < notify_n_stored; i++) {
		if (notify_stored[i].fd >= 0 && !strcmp(notify_stored[i].name, name)) {
			int fd = notify_stored[i].fd;

			notify_stored[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

void notify_keep(int fd, const char *name)
{
	for (size_t i = 0; i < notify_n_stored; i++) {
		if (!strcmp(notify_stored[i].name, name)) {
			if (notify_stored[i].fd >= 0)
				close(notify_stored[i].fd);
			notify_stored[i].fd = fd;
			return;
		}
	}
	if (notify_n_stored < NOTIFY_STORED_MAX && strlen(name) < NOTIFY_FDNAME_MAX) {
		snprintf(notify_stored[notify_n_stored].name, NOTIFY_FDNAME_MAX, "%s", name);
		notify_stored[notify_n_stored++].fd = fd;
	} else {
		close(fd);
	}
}

void notify_drop(const char *name)
{
	for (size_t i = 0; i < notify_n_stored; i++) {
		if (!strcmp(notify_stored[i].name, name) && notify_stored[i].fd >= 0) {
			close(notify_stored[i].fd);
			notify_stored[i].fd = -1;
		}
	}
}

void notify_close_stored(void)
{
	for (size_t i = 0; i < notify_n_stored; i++)
		if (notify_stored[i].fd >= 0)
			close(notify_stored[i].fd);
	notify_n_stored = 0;
}

void notify_set_relay(int fd)
{
	notify_relay_fd = fd;
}

/* The value of KEY= in msg's lines, copied into buf; 0 if absent. */
static int notify_field(const char *msg, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *l = msg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, klen)) {
			const char *v = l + klen, *end = strchr(v, '\n');
			size_t n = end ? (size_t)(end - v) : strlen(v);

			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 1;
		}
	}
	return 0;
}

int notify_relay_recv(int fd, struct notify_msg *ret_msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char msg[NOTIFY_STATUS_MAX + NOTIFY_FDNAME_MAX + 64], one[8];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct notify_msg m = { .store_fd = -1 };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
	if (n == 0)
		return -EPIPE;
	msg[n] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&m.store_fd, CMSG_DATA(c), sizeof(int));
	m.ready = notify_field(msg, "READY=", one, sizeof(one)) && !strcmp(one, "1");
	m.stopping = notify_field(msg, "STOPPING=", one, sizeof(one)) && !strcmp(one, "1");
	m.watchdog = notify_field(msg, "WATCHDOG=", one, sizeof(one)) && !strcmp(one, "1");
	m.has_status = notify_field(msg, "STATUS=", m.status, sizeof(m.status));
	if (m.store_fd >= 0 && !(notify_field(msg, "FDSTORE=", one, sizeof(one)) &&
				 !strcmp(one, "1") &&
				 notify_field(msg, "FDNAME=", m.store_name, sizeof(m.store_name)))) {
		close(m.store_fd); /* a descriptor nobody asked to store */
		m.store_fd = -1;
	}
	*ret_msg = m;
	return 0;
}
