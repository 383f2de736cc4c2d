/* SPDX-License-Identifier: MIT */
/* vmrpc_vfs's insides: sessions, their node and handle tables, and what the
 * method files share. One mutex per session guards its tables; system calls
 * on a pinned descriptor run without it. */
#ifndef VMRPC_VFSD_INTERNAL_H
#define VMRPC_VFSD_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "vfs_callee.h"
#include "vfs_types.h"
#include "vfsd.h"

#define VFSD_PEER_SESSIONS 8
#define NODE_CHUNK_SHIFT 12
#define NODE_CHUNK (1u << NODE_CHUNK_SHIFT)
#define NODE_ROOT 1u /* the slot, and the id, of an export's root */

struct vfsd_export {
	char name[VFS_EXPORT_MAX + 1];
	char *path; /* as configured, made absolute and canonical where it can be */
	int fd; /* O_PATH, O_DIRECTORY */
	bool read_only;
};

struct vfsd_server {
	struct vfsd_limits lim;
	struct vfsd_export exp[VFSD_EXPORTS_MAX];
	size_t n_exp;
	bool have_proc; /* /proc/self/fd works: xattrs and watches of any file */
	pthread_mutex_t lock; /* the session list */
	struct vfsd_session **sess;
	uint32_t n_sess;
};

/*
 * A node: one file the client knows by id. It has a path (parent and name,
 * which the server checks against dev and ino whenever it reopens it) unless
 * its name went away, and maybe an O_PATH descriptor in the LRU. It lives
 * while the client holds lookups, a child names it as parent, a handle or
 * lock owner refers to it, or a call uses it (users).
 */
struct vfsd_node {
	uint32_t gen;
	bool used;
	uint32_t parent; /* slot; 0 when pathless (the root has none either) */
	char *name;
	uint64_t nlookup;
	uint64_t dev, ino;
	uint32_t type;   /* S_IFMT bits */
	int fd;          /* O_PATH descriptor or -1 */
	uint32_t users;  /* calls using fd: not evicted meanwhile */
	uint32_t refs;   /* children, handles, lock owners */
	uint32_t lru_prev, lru_next; /* slots, while fd >= 0 (not the root's) */
	uint32_t name_next, ino_next; /* hash chains */
	int wd;          /* inotify watch of a directory, or -1 */
	uint32_t wd_next; /* hash chain by wd */
	int64_t known_ctime; /* ns: the last change the client was told of or made */
	uint32_t free_next;
};

struct vfsd_dirbuf {
	char buf[16384];
	size_t len, pos;  /* getdents64 bytes held, and the next record */
	int64_t next_off; /* the offset of the record at pos (0: the start) */
	bool eof;
};

struct vfsd_handle {
	uint32_t gen;
	bool used, closing, is_dir;
	int fd;
	uint32_t node;   /* slot */
	uint32_t users;
	pthread_mutex_t dir_lock; /* readdir's position */
	struct vfsd_dirbuf *dir;
};

struct vfsd_lock_owner {
	bool used;
	uint32_t node;
	uint64_t owner;
	int fd; /* an open file description of its own: its OFD locks are the owner's */
};

struct vfsd_session {
	struct vfs_sid sid;
	uint64_t key;
	struct vfsd_server *srv;
	int root_fd; /* the export's directory or one under it: its own descriptor */
	struct vfsd_limits lim;
	bool read_only, as_root, watching;
	uint32_t holds;      /* peers holding it (server lock) */
	atomic_uint refs;    /* holds, and calls in flight */
	/* A change of names (the system call and the node table's update)
	 * holds it shared; the watch holds it exclusive while it translates
	 * events, so that the event of the client's own change is looked at
	 * only once the table knows of it (not taken for another's change,
	 * whose invalidation would unhash the client's own new directory). */
	pthread_rwlock_t change_lock;
	pthread_mutex_t lock;
	/* nodes */
	struct vfsd_node **chunk; /* lim.nodes / NODE_CHUNK chunk pointers */
	uint32_t n_chunks_max, n_slots, n_nodes, free_head;
	uint32_t gen_seed;
	uint32_t *name_hash, *ino_hash; /* bucket heads (slots) */
	uint32_t hash_size;  /* buckets, a power of two */
	uint32_t lru_head, lru_tail, n_fds;
	/* handles and lock owners */
	struct vfsd_handle *h;
	uint32_t h_gen_seed;
	struct vfsd_lock_owner *lo;
	/* changes on the serving side (watch.c) */
	int inotify_fd;
	uint32_t n_watches;
	uint32_t *wd_hash; /* lim.watches buckets of slots, by wd */
	pthread_mutex_t watch_lock; /* one watcher at a time */
	uint32_t overflow_cursor; /* an overflow being reported: the next slot */
	char *ev_buf; /* inotify bytes read but not translated yet */
	size_t ev_len, ev_pos;
};

struct vfsd_peer {
	struct vfsd_server *srv;
	uint64_t key;
	pthread_mutex_t lock;
	struct vfsd_session *sess[VFSD_PEER_SESSIONS];
	int cancel_fd; /* eventfd: vfsd_peer_cancel */
};

/* A pinned O_PATH descriptor of a node (or of its parent). */
struct vfsd_ref {
	struct vfsd_node *n;
	int fd;
};

/* ---- server.c ---- */
struct vfsd_session *session_get(struct vfsd_peer *p, const struct vfs_sid *sid);
void session_put(struct vfsd_session *s);
/* setfsuid/setfsgid of this thread to c while a root server creates a
 * file, so that the file is the client's; undone by creds_restore. */
struct vfsd_creds { int uid, gid; };
void creds_switch(struct vfsd_session *s, const struct vfs_cred *c, struct vfsd_creds *saved);
void creds_restore(struct vfsd_session *s, const struct vfsd_creds *saved);
int64_t vfsd_now_ms(void);

/* ---- nodes.c ---- */
int nodes_init(struct vfsd_session *s);
void nodes_free(struct vfsd_session *s);
static inline struct vfsd_node *node_at(struct vfsd_session *s, uint32_t slot)
{
	return &s->chunk[slot >> NODE_CHUNK_SHIFT][slot & (NODE_CHUNK - 1)];
}
static inline uint64_t node_id(struct vfsd_session *s, const struct vfsd_node *n, uint32_t slot)
{
	(void)s;
	return ((uint64_t)n->gen << 32) | slot;
}
/* The node id names (locked), or NULL. */
struct vfsd_node *node_find(struct vfsd_session *s, uint64_t id, uint32_t *ret_slot);
uint32_t node_slot(struct vfsd_session *s, const struct vfsd_node *n);
/* Pin an O_PATH descriptor of node id, opening it from its parent if need be. */
int node_ref(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret);
/* Pin the node's parent's descriptor, and copy its name: -ESTALE for the
 * root and for a node without a path. */
int node_ref_parent(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret_parent,
		    char name[NAME_MAX + 1]);
/* A directory node's descriptor, pinned (-ENOTDIR otherwise). */
int node_ref_dir(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret);
void node_unref(struct vfsd_session *s, struct vfsd_ref *r);
/* stat(2) of node id: through its descriptor, or its parent's and its name
 * (checked to be the same file: -ESTALE otherwise). */
int node_stat(struct vfsd_session *s, uint64_t id, struct stat *st);
/* The same for node slot, with the lock held (the watch uses it). */
int node_stat_locked(struct vfsd_session *s, uint32_t slot, struct stat *st);
/* A new descriptor of node id's file opened with flags (O_DIRECTORY for a
 * directory): from its parent and name, checked to be the same file, else
 * (no path) through /proc/self/fd. ret->fd is the caller's to close;
 * ret->n is pinned (node_unref). */
int node_open_file(struct vfsd_session *s, uint64_t id, int flags, struct vfsd_ref *ret,
		   struct stat *ret_st);
/* Found (or made) the node for name in directory parent (pinned by the
 * caller) whose stat is st: one more lookup, and e filled. */
int node_enter(struct vfsd_session *s, struct vfsd_node *parent, const char *name,
	       const struct stat *st, struct vfs_entry *e);
/* name in parent is gone (unlink, rmdir, a rename over it). */
void node_name_gone(struct vfsd_session *s, struct vfsd_node *parent, const char *name);
/* name in parent is now newname in newparent; exchange swaps the two. */
void node_renamed(struct vfsd_session *s, struct vfsd_node *parent, const char *name,
		  struct vfsd_node *newparent, const char *newname, bool exchange);
/* The node called name in parent (locked), or NULL. */
struct vfsd_node *node_child(struct vfsd_session *s, uint32_t parent, const char *name);
void node_forget(struct vfsd_session *s, uint64_t id, uint64_t nlookup);
void node_refs_get(struct vfsd_node *n);
void node_refs_put(struct vfsd_session *s, struct vfsd_node *n);
/* The node's path is wrong now (a replaced file): forget the path. */
void node_lost(struct vfsd_session *s, struct vfsd_node *n);
void attr_from_stat(struct vfs_attr *a, const struct stat *st);
int64_t stat_ctime_ns(const struct stat *st);
/* A name from the client is one path component. */
int name_check(const char *name);
/* openat2 of one component beneath dirfd: RESOLVE_BENEATH,
 * RESOLVE_NO_MAGICLINKS, O_NOFOLLOW, O_CLOEXEC. -errno. */
int vfsd_open_beneath(int dirfd, const char *name, int flags, mode_t mode);

/* ---- handles.c ---- */
int handles_init(struct vfsd_session *s);
void handles_free(struct vfsd_session *s);
int handle_new(struct vfsd_session *s, int fd, struct vfsd_node *n, bool is_dir,
	       uint64_t *ret_fh);
/* Pin handle fh: its descriptor, or -ESTALE. */
int handle_get(struct vfsd_session *s, uint64_t fh, bool dir, struct vfsd_handle **ret);
void handle_put(struct vfsd_session *s, struct vfsd_handle *h);
int handle_release(struct vfsd_session *s, uint64_t fh, bool dir);
/* The lock owner's own open file description of h's file (made on first
 * use): a new descriptor of it, which the caller closes. */
int lock_owner_fd(struct vfsd_session *s, struct vfsd_handle *h, uint64_t owner, int *ret_fd);
void lock_owner_drop(struct vfsd_session *s, uint32_t node, uint64_t owner);

/* ---- watch.c ---- */
int watch_init(struct vfsd_session *s);
void watch_free(struct vfsd_session *s);
/* Watch directory n (locked; its descriptor fd pinned). */
void watch_dir(struct vfsd_session *s, struct vfsd_node *n, int fd);
void watch_drop(struct vfsd_session *s, struct vfsd_node *n);
/* The client changed node slot, whose ctime is now ctime_ns: an event
 * about it is not news. */
void watch_known(struct vfsd_session *s, uint32_t slot, int64_t ctime_ns);

/* ---- the methods: server.c, ops_*.c ---- */
int32_t vfsd_op_mount(void *ctx, const char *source, uint32_t flags, struct vfs_sid *s,
		      struct vfs_entry *root, uint32_t *caps);
int32_t vfsd_op_join(void *ctx, const struct vfs_sid *s);
int32_t vfsd_op_unmount(void *ctx, const struct vfs_sid *s);
int32_t vfsd_op_mkdir(void *, const struct vfs_sid *, uint64_t, const char *, uint32_t,
		      const struct vfs_cred *, struct vfs_entry *);
int32_t vfsd_op_mknod(void *, const struct vfs_sid *, uint64_t, const char *, uint32_t,
		      uint64_t, const struct vfs_cred *, struct vfs_entry *);
int32_t vfsd_op_symlink(void *, const struct vfs_sid *, uint64_t, const char *, const char *,
			const struct vfs_cred *, struct vfs_entry *);
int32_t vfsd_op_link(void *, const struct vfs_sid *, uint64_t, uint64_t, const char *,
		     struct vfs_entry *);
int32_t vfsd_op_unlink(void *, const struct vfs_sid *, uint64_t, const char *);
int32_t vfsd_op_rmdir(void *, const struct vfs_sid *, uint64_t, const char *);
int32_t vfsd_op_rename(void *, const struct vfs_sid *, uint64_t, const char *, uint64_t,
		       const char *, uint32_t);
int32_t vfsd_op_opendir(void *, const struct vfs_sid *, uint64_t, uint64_t *);
int64_t vfsd_op_readdir(void *, const struct vfs_sid *, uint64_t, int64_t, uint32_t, uint32_t,
			void *, uint64_t);
int32_t vfsd_op_releasedir(void *, const struct vfs_sid *, uint64_t);
int32_t vfsd_op_fsyncdir(void *, const struct vfs_sid *, uint64_t, bool);
int32_t vfsd_op_open(void *, const struct vfs_sid *, uint64_t, int32_t, uint64_t *);
int32_t vfsd_op_create(void *, const struct vfs_sid *, uint64_t, const char *, int32_t, uint32_t,
		       const struct vfs_cred *, struct vfs_entry *, uint64_t *);
int64_t vfsd_op_read(void *, const struct vfs_sid *, uint64_t, int64_t, void *, uint64_t);
int64_t vfsd_op_write(void *, const struct vfs_sid *, uint64_t, int64_t, const void *, uint64_t);
int32_t vfsd_op_flush(void *, const struct vfs_sid *, uint64_t, uint64_t);
int32_t vfsd_op_release(void *, const struct vfs_sid *, uint64_t);
int32_t vfsd_op_fsync(void *, const struct vfs_sid *, uint64_t, bool);
int32_t vfsd_op_fallocate(void *, const struct vfs_sid *, uint64_t, int32_t, int64_t, int64_t);
int64_t vfsd_op_copy_file_range(void *, const struct vfs_sid *, uint64_t, int64_t, uint64_t,
				int64_t, uint64_t);
int64_t vfsd_op_lseek(void *, const struct vfs_sid *, uint64_t, int64_t, int32_t);
int32_t vfsd_op_getlk(void *, const struct vfs_sid *, uint64_t, uint64_t, struct vfs_lock *);
int32_t vfsd_op_setlk(void *, const struct vfs_sid *, uint64_t, uint64_t,
		      const struct vfs_lock *, bool);
int64_t vfsd_op_watch(void *, const struct vfs_sid *, int32_t, void *, uint64_t);

extern const struct vfs_ops vfsd_vfs_ops;

#define VFSD_OP_BEGIN(ctx, sid, s)                                                    \
	struct vfsd_session *s = session_get((struct vfsd_peer *)(ctx), (sid));       \
	if (!s)                                                                       \
		return -ENOTCONN

/* Around a change of names: see vfsd_session.change_lock. */
static inline void change_begin(struct vfsd_session *s)
{
	pthread_rwlock_rdlock(&s->change_lock);
}

static inline void change_end(struct vfsd_session *s)
{
	pthread_rwlock_unlock(&s->change_lock);
}

#endif /* VMRPC_VFSD_INTERNAL_H */
