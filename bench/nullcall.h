/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-nullcall's peers. Each mechanism the null call goes through
 * or is measured against lives in its own file behind struct nc_peer:
 *
 *   peer_vmrpc.c   vmrpc in-process: a callee attached by the stand-in hostd
 *   peer_hostd.c   vmrpc through the real vmrpc-hostd, a shadow and stubs
 *   peer_shm.c     raw shared-memory spin and futex ping-pongs
 *   peer_fd.c      pipe and unix socketpair ping-pongs
 *   peer_oncrpc.c  ONC RPC (libtirpc) over TCP on 127.0.0.1
 *
 * The run (nullcall.c) opens every peer, has them take turns, checks what
 * their callees served and prints the table; it never asks which mechanism
 * a peer is.
 */
#ifndef VMRPC_BENCH_NULLCALL_H
#define VMRPC_BENCH_NULLCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "bench_util.h"

#define PROG "vmrpc-bench-nullcall"

struct nc_cfg {
	size_t n_spin, n_sleep;       /* measured calls per case */
	size_t warm_spin, warm_sleep; /* warm-up calls per case, over all rounds */
	unsigned rounds;
	int caller_cpu, callee_cpu;
	int one_cpu; /* caller and callee share a CPU */
};

struct nc_case;

/* One peer: a callee child and a way to call it. */
struct nc_peer {
	const char *key;  /* for --only */
	const char *name; /* in the table */
	bool spinning;    /* which iteration counts apply */
	/* Set k->priv, start the callee and connect to it: 0, -ENOSYS (not
	 * built in, k->note says why), or another error (reported on stderr). */
	int (*open)(struct nc_case *k);
	bench_call_fn call;                /* gets the nc_case */
	void (*park)(struct nc_case *k);   /* optional: quiet the callee */
	void (*resume)(struct nc_case *k); /* optional: undo park */
	/* Disconnect (the child is stopped after). Also after a failed open,
	 * or none (k->priv NULL). */
	void (*close)(struct nc_case *k);
};

/* One peer in a run: the run's state and what was measured. */
struct nc_case {
	const struct nc_peer *peer;
	const struct nc_cfg *cfg;
	void *priv; /* the peer's own state */
	struct bench_child child;
	struct bench_report *report; /* the child counts the calls it served */
	uint64_t calls;              /* calls made, warm-up included */
	bool opened, failed;
	const char *note;
	struct bench_samples samples;
	struct bench_stats stats;
};

/* peer_vmrpc.c: a callee with libvmrpc's spin budget, called through the
 * stub and through the dynamic path, and one with no spin budget */
extern const struct nc_peer nc_peer_vmrpc_spin, nc_peer_vmrpc_dyn, nc_peer_vmrpc_sleep;
/* peer_hostd.c */
extern const struct nc_peer nc_peer_hostd;
/* peer_shm.c */
extern const struct nc_peer nc_peer_shm_spin, nc_peer_shm_futex;
/* peer_fd.c */
extern const struct nc_peer nc_peer_pipe, nc_peer_unix;
/* peer_oncrpc.c */
extern const struct nc_peer nc_peer_oncrpc;

/* The run's private VMRPC_RUNTIME_DIR, made on first use and removed when
 * the run ends: 0 or -errno (after printing why). */
int nc_runtime_dir(const char **ret_dir);

static inline void nc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

#endif /* VMRPC_BENCH_NULLCALL_H */
