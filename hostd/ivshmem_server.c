/* SPDX-License-Identifier: MIT */
/*
 * The ivshmem-doorbell server protocol, as QEMU's ivshmem device speaks it
 * (QEMU docs/specs/ivshmem-spec). Every message is one little-endian int64,
 * optionally with one fd (SCM_RIGHTS). To a peer that connects, the server
 * sends:
 *   1. the protocol version, 0;
 *   2. the peer's own id, without fd;
 *   3. -1 with the shared-memory fd;
 *   4. for every other peer, that peer's id once per vector, each with that
 *      vector's eventfd (QEMU writes them when its guest rings the Doorbell);
 *   5. its own id once per vector, each with an eventfd of its own (QEMU
 *      turns writes to them into the guest's MSI-X interrupts).
 * Every other peer learns the new one's eventfds as in 4, and when a peer
 * leaves, the others get its id without fd.
 *
 * hostd is peer 0 and never connects: its eventfds are only handed out.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ivshmem_server.h"
#include "vmrpc_private.h"

#define IVSH_PROTOCOL_VERSION 0
#define IVSH_HOST_PEER_ID 0
/* A QEMU that does not read its socket must not stall hostd. */
#define IVSH_SEND_TIMEOUT_MS 1000

static int ivsh_send(int sock, int64_t value, int fd)
{
	int64_t le = (int64_t)htole64((uint64_t)value);

	return vmrpc_send_fds(sock, &le, sizeof(le), &fd, fd >= 0, 0);
}

/* Tell sock about a peer's vectors: its id once per vector, each with the
 * vector's eventfd. */
static int ivsh_send_vectors(int sock, int64_t id, const int *efd, uint32_t n)
{
	int err = 0;

	for (uint32_t v = 0; v < n && err == 0; v++)
		err = ivsh_send(sock, id, efd[v]);
	return err;
}

static void ivsh_close_eventfds(int *efd, uint32_t n)
{
	for (uint32_t v = 0; efd && v < n; v++) {
		if (efd[v] >= 0)
			close(efd[v]);
		efd[v] = -1;
	}
}

static int ivsh_make_eventfds(int *efd, uint32_t n)
{
	for (uint32_t v = 0; v < n; v++) {
		efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (efd[v] < 0) {
			int err = -errno;
			ivsh_close_eventfds(efd, v);
			return err;
		}
	}
	return 0;
}

int ivsh_server_open(struct ivsh_server *s, const char *path, uint32_t mode, int shm_fd,
		     uint32_t n_vectors)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int err;

	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		s->peer[i].fd = -1;
	if (n_vectors == 0 || n_vectors > IVSH_VECTORS_MAX ||
	    strlen(path) >= sizeof(a.sun_path))
		return -EINVAL;
	snprintf(s->path, sizeof(s->path), "%s", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	s->shm_fd = shm_fd;
	s->n_vectors = n_vectors;
	s->next_id = 1;
	s->host_efd = calloc(n_vectors, sizeof(int));
	if (!s->host_efd)
		return -ENOMEM;
	err = ivsh_make_eventfds(s->host_efd, n_vectors);
	if (err < 0) {
		free(s->host_efd);
		s->host_efd = NULL;
		return err;
	}
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		goto fail_errno;
	/* The caller holds the region's lock: a socket left here is a dead
	 * hostd's. Anything else at the path is not ours to remove. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail_errno;
	if (chmod(path, mode) < 0 || listen(s->listen_fd, IVSH_PEERS_MAX) < 0)
		goto fail_errno;
	return 0;
fail_errno:
	err = -errno;
	ivsh_server_close(s);
	return err;
}

void ivsh_server_close(struct ivsh_server *s)
{
	for (int i = 0; i < IVSH_PEERS_MAX; i++) {
		if (s->peer[i].fd >= 0) {
			close(s->peer[i].fd);
			s->peer[i].fd = -1;
		}
		ivsh_close_eventfds(s->peer[i].efd, s->n_vectors);
		free(s->peer[i].efd);
		s->peer[i].efd = NULL;
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
		unlink(s->path);
	}
	ivsh_close_eventfds(s->host_efd, s->n_vectors);
	free(s->host_efd);
	s->host_efd = NULL;
}

static int ivsh_id_used(const struct ivsh_server *s, uint16_t id)
{
	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		if (s->peer[i].fd >= 0 && s->peer[i].id == id)
			return 1;
	return 0;
}

/* Ids count up so a reconnecting QEMU gets a new one (QEMU keeps the
 * eventfds of an id it believes alive); 0 is hostd's. */
static uint16_t ivsh_next_id(struct ivsh_server *s)
{
	uint16_t id;

	do {
		id = s->next_id++;
		if (s->next_id == 0)
			s->next_id = 1;
	} while (id == IVSH_HOST_PEER_ID || ivsh_id_used(s, id));
	return id;
}

static int ivsh_handshake(struct ivsh_server *s, struct ivsh_peer *p)
{
	int err;

	err = ivsh_send(p->fd, IVSH_PROTOCOL_VERSION, -1);
	if (!err)
		err = ivsh_send(p->fd, p->id, -1);
	if (!err)
		err = ivsh_send(p->fd, -1, s->shm_fd);
	if (!err)
		err = ivsh_send_vectors(p->fd, IVSH_HOST_PEER_ID, s->host_efd, s->n_vectors);
	for (int i = 0; i < IVSH_PEERS_MAX && !err; i++) {
		struct ivsh_peer *q = &s->peer[i];
		if (q == p || q->fd < 0)
			continue;
		err = ivsh_send_vectors(p->fd, q->id, q->efd, s->n_vectors);
		/* An old peer that cannot take the news is its own problem: it
		 * will be dropped when its socket hangs up. */
		ivsh_send_vectors(q->fd, p->id, p->efd, s->n_vectors);
	}
	if (!err)
		err = ivsh_send_vectors(p->fd, p->id, p->efd, s->n_vectors);
	return err;
}

int ivsh_server_accept(struct ivsh_server *s)
{
	struct timeval tv = { .tv_sec = IVSH_SEND_TIMEOUT_MS / 1000,
			      .tv_usec = IVSH_SEND_TIMEOUT_MS % 1000 * 1000 };
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	struct ivsh_peer *p = NULL;
	int fd, err;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (int i = 0; i < IVSH_PEERS_MAX && !p; i++)
		if (s->peer[i].fd < 0)
			p = &s->peer[i];
	if (!p) {
		close(fd);
		return -EUSERS;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		goto fail_errno;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	if (!p->efd) {
		p->efd = calloc(s->n_vectors, sizeof(int));
		if (!p->efd) {
			close(fd);
			return -ENOMEM;
		}
	}
	err = ivsh_make_eventfds(p->efd, s->n_vectors);
	if (err < 0) {
		close(fd);
		return err;
	}
	p->fd = fd;
	p->pid = cred.pid;
	p->id = ivsh_next_id(s);
	err = ivsh_handshake(s, p);
	if (err < 0) {
		ivsh_server_drop(s, (int)(p - s->peer));
		return err;
	}
	return (int)(p - s->peer);
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

void ivsh_server_drop(struct ivsh_server *s, int slot)
{
	struct ivsh_peer *p = &s->peer[slot];

	if (p->fd < 0)
		return;
	close(p->fd);
	p->fd = -1;
	ivsh_close_eventfds(p->efd, s->n_vectors);
	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		if (s->peer[i].fd >= 0)
			ivsh_send(s->peer[i].fd, p->id, -1);
}

unsigned ivsh_server_n_peers(const struct ivsh_server *s)
{
	unsigned n = 0;

	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		n += s->peer[i].fd >= 0;
	return n;
}

int ivsh_server_host_vector(const struct ivsh_server *s, uint32_t v)
{
	return v < s->n_vectors ? s->host_efd[v] : -1;
}

int ivsh_server_guest_vector(const struct ivsh_server *s, uint32_t v)
{
	const struct ivsh_peer *newest = NULL;

	for (int i = 0; i < IVSH_PEERS_MAX; i++)
		if (s->peer[i].fd >= 0 && (!newest || (uint16_t)(s->peer[i].id - newest->id) < 0x8000))
			newest = &s->peer[i];
	return newest && v < s->n_vectors ? newest->efd[v] : -1;
}
