/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

#define NOTIFY_STORED_MAX 64

static struct {
	char name[NOTIFY_FDNAME_MAX];
	int fd;
} notify_stored[NOTIFY_STORED_MAX];
static size_t notify_n_stored;

/* One datagram to $NOTIFY_SOCKET, with fd attached when fd >= 0. */
static void notify_send(const char *msg, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_name = &a, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	int s;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(a.sun_path))
		return;
	len = strlen(path);
	memcpy(a.sun_path, path, len);
	if (a.sun_path[0] == '@')
		a.sun_path[0] = '\0'; /* abstract namespace */
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof(int));
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	sendmsg(s, &mh, MSG_NOSIGNAL);
	close(s);
}

void notify_ready(void)
{
	notify_send("READY=1", -1);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1", -1);
}

void notify_fdstore(int fd, const char *name)
{
	char msg[64 + NOTIFY_FDNAME_MAX];

	/* One entry per name: an older descriptor under it is dropped. */
	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify_send(msg, -1);
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	notify_send(msg, fd);
}

void notify_take_stored(void)
{
	const char *pid = getenv("LISTEN_PID"), *count = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	long n;

	if (!pid || !count || strtol(pid, NULL, 10) != (long)getpid())
		return;
	n = strtol(count, NULL, 10);
	for (long i = 0; i < n && i < NOTIFY_STORED_MAX; i++) {
		const char *end = names ? strchr(names, ':') : NULL;
		size_t len = names ? (end ? (size_t)(end - names) : strlen(names)) : 0;
		int fd = 3 + (int)i;

		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (len < NOTIFY_FDNAME_MAX) {
			memcpy(notify_stored[notify_n_stored].name, names, len);
			notify_stored[notify_n_stored].name[len] = '\0';
			notify_stored[notify_n_stored++].fd = fd;
		} else {
			close(fd);
		}
		names = end ? end + 1 : NULL;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
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

void notify_close_stored(void)
{
	for (size_t i = 0; i < notify_n_stored; i++)
		if (notify_stored[i].fd >= 0)
			close(notify_stored[i].fd);
	notify_n_stored = 0;
}
