/* SPDX-License-Identifier: MIT */
/*
 * The info socket: a read-only look at the region for `vmrpc status`,
 * `vmrpc list` and `vmrpc describe` (docs/dynamic.md, "CLI").
 *
 * A VM's region is mapped by hostd and QEMU only; a host program that may
 * call into the guest gets it from the host-caller socket, but only with a
 * channel offered to guestd. Here it gets the region without a channel, as
 * a read-only file description (it cannot write what it maps), and the
 * type tables of the host interfaces, which only hostd's service modules
 * hold: a VM's host interfaces can be described from the host without a
 * guest caller. One message per connection, then hostd hangs up: nothing
 * to keep, nothing a slow reader can hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "server_internal.h"
#include "transport.h"
#include "vmrpc/typetab.h"
#include "vmrpc_private.h"

/* The host interfaces' tables in one sealed memfd: an index of
 * struct vmrpc_info_table, then each table. Services never change while
 * hostd runs (a reload leaves them), so it is made once. */
static int info_build_tables(struct server *s)
{
	struct vmrpc_info_table idx[VMRPC_REG_MAX];
	uint32_t n = 0, off;
	int fd;

	for (size_t i = 0; i < s->services.n && i < VMRPC_REG_MAX; i++) {
		const struct vmrpc_iface *f = s->services.svc[i].iface;

		if (f->type_table && f->type_table_len && f->type_table_len <= VMRPC_TT_MAX_SIZE)
			idx[n++] = (struct vmrpc_info_table){ .slot = (uint32_t)i,
							      .len = f->type_table_len };
	}
	s->n_tables = n;
	if (!n)
		return 0;
	fd = memfd_create("vmrpc-types", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	off = n * (uint32_t)sizeof(idx[0]);
	for (uint32_t k = 0; k < n; k++) {
		idx[k].off = off;
		off += idx[k].len;
	}
	if (vmrpc_write_all(fd, idx, n * sizeof(idx[0])) < 0)
		goto fail;
	for (uint32_t k = 0; k < n; k++) {
		const struct vmrpc_iface *f = s->services.svc[idx[k].slot].iface;

		if (vmrpc_write_all(fd, f->type_table, f->type_table_len) < 0)
			goto fail;
	}
	/* Readers get this very description: sealed, none of them can change
	 * what the next one reads. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail;
	s->tables_fd = fd;
	return 0;
fail:
	close(fd);
	s->n_tables = 0;
	return -EIO;
}

int server_setup_info_socket(struct server *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	err = info_build_tables(s);
	if (err < 0)
		log_warn("%s: cannot publish the host type tables on the info socket: %s",
			 s->label, strerror(-err));
	err = vmrpc_region_path(s->opts->name, ".info.sock", a.sun_path, sizeof(a.sun_path));
	if (err < 0)
		return err;
	s->info_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->info_fd < 0)
		return -errno;
	/* We hold the region's lock: a socket left here is a dead hostd's. */
	if (lstat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a.sun_path);
	if (bind(s->info_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->info_fd, 64) < 0)
		return -errno;
	snprintf(s->info_path, sizeof(s->info_path), "%s", a.sun_path);
	/* The policy is the peer's credentials, checked on each connection. */
	chmod(a.sun_path, 0666);
	return 0;
}

static void info_answer(struct server *s, int fd)
{
	struct vmrpc_info_reply rep = { .flags = s->guest_callers ? VMRPC_GSRC_VM : 0 };
	struct ucred uc;
	socklen_t len = sizeof(uc);
	char proc[64];
	int fds[2] = { -1, -1 }, n_fds = 0, err;

	snprintf(rep.transport, sizeof(rep.transport), "%s",
		 vmrpc_transport_name(s->transport->kind));
	snprintf(rep.host_socket, sizeof(rep.host_socket), "%s", s->host_path);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return;
	if (!server_gsrc_allowed(s, uc.uid)) {
		log_info("%s: info socket: pid %d uid %u refused: not in guest-callers", s->label,
			 uc.pid, uc.uid);
		rep.err = -VMRPC_EDENIED;
		(void)vmrpc_send_fds(fd, &rep, sizeof(rep), NULL, 0, MSG_DONTWAIT);
		return;
	}
	/* A description of its own, read-only: hostd's carries the region's
	 * lock and write access, neither of which a reader may have. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", vmrpc_region_fd(s->region));
	fds[0] = open(proc, O_RDONLY | O_CLOEXEC);
	if (fds[0] < 0) {
		rep.err = -errno;
		(void)vmrpc_send_fds(fd, &rep, sizeof(rep), NULL, 0, MSG_DONTWAIT);
		return;
	}
	n_fds = 1;
	if (s->tables_fd >= 0) {
		fds[1] = s->tables_fd;
		n_fds = 2;
		rep.flags |= VMRPC_INFO_TABLES;
		rep.n_tables = s->n_tables;
	}
	err = vmrpc_send_fds(fd, &rep, sizeof(rep), fds, (size_t)n_fds, MSG_DONTWAIT);
	if (err < 0)
		log_debug("%s: info socket: pid %d: %s", s->label, uc.pid, strerror(-err));
	close(fds[0]);
}

void server_on_info_listen(struct server *s)
{
	/* Bounded per wake-up, like doorbells. */
	for (int n = 0; n < 64; n++) {
		int fd = accept4(s->info_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: info socket: accept: %s", s->label, strerror(errno));
			return;
		}
		if (!s->stopping)
			info_answer(s, fd);
		close(fd);
	}
}

void server_close_info(struct server *s)
{
	if (s->info_fd >= 0) {
		if (s->info_path[0])
			unlink(s->info_path);
		close(s->info_fd);
		s->info_fd = -1;
	}
	if (s->tables_fd >= 0) {
		close(s->tables_fd);
		s->tables_fd = -1;
	}
}
