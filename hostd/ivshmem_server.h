/* SPDX-License-Identifier: MIT */
/* hostd as the server of QEMU's ivshmem-doorbell device (QEMU's
 * docs/specs/ivshmem-spec): it listens on the VM's unix socket, hands each
 * QEMU that connects the shared-memory fd and the peers' vector eventfds,
 * and takes part itself as peer 0, whose vector eventfds the guest's
 * Doorbell writes raise. Nothing QEMU sends is trusted: a peer that sends
 * anything at all is dropped. */
#ifndef HOSTD_IVSHMEM_SERVER_H
#define HOSTD_IVSHMEM_SERVER_H

#include <stdint.h>
#include <sys/types.h>

/* QEMU processes connected at once (one VM; two during a migration). */
#define IVSH_PEERS_MAX 4
/* Vectors per peer: control + one per channel. */
#define IVSH_VECTORS_MAX (1 + 1024)

struct ivsh_peer {
	int fd;      /* the connection, -1 when the slot is free */
	uint16_t id; /* ivshmem peer id, 1..65535 */
	pid_t pid;   /* QEMU's pid (SO_PEERCRED), for the log */
	int *efd;    /* n_vectors eventfds: hostd raises them to interrupt the guest */
};

struct ivsh_server {
	int listen_fd;
	int shm_fd;
	uint32_t n_vectors;
	int *host_efd; /* peer 0's (hostd's) vectors: the guest's Doorbell raises them */
	struct ivsh_peer peer[IVSH_PEERS_MAX];
	uint16_t next_id;
	char path[108];
};

/* Bind and listen on path (a stale socket there is replaced; the caller
 * holds the region's lock) with the given file mode, and make hostd's own
 * n_vectors eventfds. shm_fd is not owned. */
int ivsh_server_open(struct ivsh_server *s, const char *path, uint32_t mode, int shm_fd,
		     uint32_t n_vectors);
/* Close every connection and eventfd and remove the socket. Accepts a
 * zeroed struct. */
void ivsh_server_close(struct ivsh_server *s);

/* Accept one QEMU and run the handshake. Returns the peer's slot, or
 * -EAGAIN (nobody waiting), -EUSERS (no free slot: it was closed) or
 * another -errno (the connection was closed). */
int ivsh_server_accept(struct ivsh_server *s);
/* Forget the peer in slot and tell the others it left. */
void ivsh_server_drop(struct ivsh_server *s, int slot);
/* Peers connected now. */
unsigned ivsh_server_n_peers(const struct ivsh_server *s);

/* hostd's eventfd for vector v (the guest rang it), or -1. */
int ivsh_server_host_vector(const struct ivsh_server *s, uint32_t v);
/* The eventfd that raises vector v in the guest of the newest connected
 * QEMU, or -1 when none is connected. */
int ivsh_server_guest_vector(const struct ivsh_server *s, uint32_t v);

#endif /* HOSTD_IVSHMEM_SERVER_H */
