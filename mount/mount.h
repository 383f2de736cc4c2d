/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-mount: a FUSE file system (libfuse3's low-level API) whose every
 * request is one call of idl/vfs.idl (docs/mount.md). mount_conn.c holds
 * the session and the channels calls go through, mount_ops.c translates
 * FUSE's requests, mount_lockers.c knows which closes must reach the
 * serving side, mount_watch.c pushes the serving side's changes into
 * the kernel's caches, mount_main.c parses the command line and runs the
 * loop.
 */
#ifndef VMRPC_MOUNT_H
#define VMRPC_MOUNT_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfs_caller.h"
#include "vmrpc/guest.h"

#define MNT_CHANS_MAX 16

enum mnt_cache { MNT_CACHE_NONE, MNT_CACHE_AUTO, MNT_CACHE_ALWAYS };

/* The lock owners that may hold POSIX locks (mount_lockers.c). */
#define MNT_LOCKERS_MAX 256
struct mnt_locker {
	uint64_t ino, owner;
};

/* One channel calls go through: one call at a time on each. */
struct mnt_chan {
	struct vmrpc_chan *chan;
	struct vmrpc_binding b;
	bool busy;
};

struct mnt {
	/* the command line */
	const char *source;  /* host:NAME, or VM:NAME */
	const char *vm;      /* VM:NAME on the host: the VM (else NULL) */
	const char *export;  /* NAME */
	const char *mountpoint;
	const char *region;  /* NULL: the default region */
	enum mnt_cache cache;
	bool read_only;
	bool writeback; /* -o writeback: the kernel's writeback cache */
	bool foreground;
	unsigned int threads;  /* FUSE worker threads at most */
	unsigned int channels; /* channels to the shadow at most */
	uint32_t spin_ns;      /* a request's spin for its reply before it sleeps;
				* UINT32_MAX: libvmrpc's ($VMRPC_SPIN_NS) */

	/* the session on the serving side: a guest's channel to its shadow
	 * (g), or a host program's channel into a VM's guestd (g.chan only) */
	struct vmrpc_guest g;
	struct vfs_sid sid;
	uint32_t caps;
	double timeout; /* attribute and entry timeout, by cache mode */
	size_t io_chunk; /* bytes of one read or write call */

	/* the channels: g.chan, then its siblings */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct mnt_chan ch[MNT_CHANS_MAX];
	unsigned int n_ch;

	/* (node, lock owner) pairs that asked for POSIX locks */
	pthread_mutex_t lockers_lock;
	struct mnt_locker lockers[MNT_LOCKERS_MAX];
	unsigned int n_lockers;
	bool lockers_full; /* one did not fit: every flush is sent */

	/* set once the serving side went away; every later call fails */
	atomic_int lost;
	struct fuse_session *se;

	/* the watch: a sibling channel and a thread of its own */
	struct mnt_chan watch_ch;
	pthread_t watch_thread;
	bool watching;
	atomic_int watch_stop;
};

/* ---- mount_conn.c ---- */
/* Attach to the region, bind vfs and mount the export: 0, or -errno /
 * -VMRPC_E* with a message in err. */
int mnt_connect(struct mnt *m, char *err, size_t err_size);
/* More channels to the same shadow, as many as it allows up to
 * m->channels (never an error: one is enough). */
void mnt_more_channels(struct mnt *m);
/* End the session and detach. */
void mnt_disconnect(struct mnt *m);
/* A free channel, waiting for one if all are busy. */
struct mnt_chan *mnt_chan_get(struct mnt *m);
void mnt_chan_put(struct mnt *m, struct mnt_chan *c);
/* A call's result as an errno for FUSE: r unchanged when it is >= 0 or
 * -errno; a vmrpc error means the serving side is gone: the mount ends
 * (once, with a message) and the request gets EIO. */
int64_t mnt_result(struct mnt *m, int64_t r);

/* ---- mount_watch.c ---- */
/* Once mounted: watch the serving side's changes when anything is cached
 * and the server can (never an error: the timeouts remain). */
int mnt_watch_start(struct mnt *m);
/* Before unmounting: the thread ends within one watch call's wait. */
void mnt_watch_stop(struct mnt *m);

/* ---- mount_lockers.c ---- */
/* Before a getlk or setlk of owner on node ino is sent. */
void mnt_lockers_note(struct mnt *m, uint64_t ino, uint64_t owner);
/* Whether a flush of owner on ino must be sent (the pair is then
 * forgotten): only when that owner may hold locks there. */
bool mnt_lockers_flush(struct mnt *m, uint64_t ino, uint64_t owner);

/* ---- mount_ops.c ---- */
extern const struct fuse_lowlevel_ops mnt_ops;

/* ---- mount_main.c ---- */
void mnt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VMRPC_MOUNT_H */
