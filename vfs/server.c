/* SPDX-License-Identifier: MIT */
/* The server, its exports, its sessions and the peers that hold them; the
 * methods mount, join and unmount. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vfsd_internal.h"

int64_t vfsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vfsd_server_new(const struct vfsd_limits *limits, struct vfsd_server **ret_server)
{
	struct vfsd_server *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (limits)
		s->lim = *limits;
	if (!s->lim.sessions)
		s->lim.sessions = 16;
	if (!s->lim.nodes)
		s->lim.nodes = 1u << 22;
	if (!s->lim.fds)
		s->lim.fds = 128;
	if (!s->lim.handles)
		s->lim.handles = 512;
	if (!s->lim.lock_owners)
		s->lim.lock_owners = 256;
	if (!s->lim.watches)
		s->lim.watches = 4096;
	s->sess = calloc(s->lim.sessions, sizeof(*s->sess));
	if (!s->sess) {
		free(s);
		return -ENOMEM;
	}
	/* Extended attributes of any file, and inotify watches, go through
	 * /proc/self/fd/N of the node's own descriptor. */
	s->have_proc = access("/proc/self/fd", X_OK) == 0;
	pthread_mutex_init(&s->lock, NULL);
	*ret_server = s;
	return 0;
}

static bool export_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > VFS_EXPORT_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    name[i]))
			return false;
	return true;
}

int vfsd_server_export(struct vfsd_server *s, const char *name, const char *path,
		       bool read_only, char *err, size_t err_size)
{
	struct vfsd_export *e;
	struct stat st;
	int fd;

	if (!export_name_ok(name)) {
		snprintf(err, err_size, "export '%s': not a name (1 to %d of A-Z a-z 0-9 _ . -, "
			 "not starting with '.')", name, VFS_EXPORT_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n_exp; i++)
		if (!strcmp(s->exp[i].name, name)) {
			snprintf(err, err_size, "export '%s' is given twice", name);
			return -EEXIST;
		}
	if (s->n_exp == VFSD_EXPORTS_MAX) {
		snprintf(err, err_size, "export '%s': at most %d exports", name, VFSD_EXPORTS_MAX);
		return -E2BIG;
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e2 = -errno;

		snprintf(err, err_size, "export '%s': %s: %s", name, path, strerror(-e2));
		if (fd >= 0)
			close(fd);
		return e2;
	}
	e = &s->exp[s->n_exp];
	e->path = realpath(path, NULL);
	if (!e->path)
		e->path = strdup(path);
	if (!e->path) {
		close(fd);
		snprintf(err, err_size, "export '%s': out of memory", name);
		return -ENOMEM;
	}
	s->n_exp++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->fd = fd;
	e->read_only = read_only;
	return 0;
}

int vfsd_server_export_arg(struct vfsd_server *s, const char *arg, bool read_only, char *err,
			   size_t err_size)
{
	const char *eq = strchr(arg, '=');
	char name[VFS_EXPORT_MAX + 2];

	if (!eq || eq == arg || (size_t)(eq - arg) > VFS_EXPORT_MAX || eq[1] != '/') {
		snprintf(err, err_size, "export '%s': not NAME=/PATH", arg);
		return -EINVAL;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	return vfsd_server_export(s, name, eq + 1, read_only, err, err_size);
}

size_t vfsd_server_n_exports(const struct vfsd_server *s)
{
	return s->n_exp;
}

int vfsd_server_fds(const struct vfsd_server *s, int *ret_fds, int n)
{
	int k = 0;

	for (size_t i = 0; i < s->n_exp; i++, k++)
		if (k < n)
			ret_fds[k] = s->exp[i].fd;
	return k;
}

static void session_free(struct vfsd_session *s)
{
	watch_free(s);
	handles_free(s);
	nodes_free(s);
	if (s->root_fd >= 0)
		close(s->root_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->watch_lock);
	pthread_rwlock_destroy(&s->change_lock);
	free(s);
}

void session_put(struct vfsd_session *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		session_free(s);
}

void vfsd_server_free(struct vfsd_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_exp; i++) {
		close(s->exp[i].fd);
		free(s->exp[i].path);
	}
	pthread_mutex_destroy(&s->lock);
	free(s->sess);
	free(s);
}

/* ---- peers ---- */

int vfsd_peer_new(struct vfsd_server *s, uint64_t key, struct vfsd_peer **ret_peer)
{
	struct vfsd_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->srv = s;
	p->key = key;
	p->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->cancel_fd < 0) {
		int err = -errno;

		free(p);
		return err;
	}
	pthread_mutex_init(&p->lock, NULL);
	*ret_peer = p;
	return 0;
}

void vfsd_peer_cancel(struct vfsd_peer *p)
{
	uint64_t one = 1;

	if (p && write(p->cancel_fd, &one, sizeof(one)) < 0)
		(void)0; /* a full counter wakes the watcher as well */
}

/* The server's side of a peer letting go of session s. */
static void session_unhold(struct vfsd_session *s)
{
	struct vfsd_server *srv = s->srv;

	pthread_mutex_lock(&srv->lock);
	if (--s->holds == 0) {
		for (uint32_t i = 0; i < srv->n_sess; i++)
			if (srv->sess[i] == s) {
				srv->sess[i] = srv->sess[--srv->n_sess];
				break;
			}
	}
	pthread_mutex_unlock(&srv->lock);
	session_put(s);
}

void vfsd_peer_free(struct vfsd_peer *p)
{
	if (!p)
		return;
	for (int i = 0; i < VFSD_PEER_SESSIONS; i++)
		if (p->sess[i])
			session_unhold(p->sess[i]);
	close(p->cancel_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static bool sid_eq(const struct vfs_sid *a, const struct vfs_sid *b)
{
	return a->hi == b->hi && a->lo == b->lo;
}

struct vfsd_session *session_get(struct vfsd_peer *p, const struct vfs_sid *sid)
{
	struct vfsd_session *s = NULL;

	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < VFSD_PEER_SESSIONS; i++)
		if (p->sess[i] && sid_eq(&p->sess[i]->sid, sid)) {
			s = p->sess[i];
			atomic_fetch_add(&s->refs, 1);
			break;
		}
	pthread_mutex_unlock(&p->lock);
	return s;
}

/* Add s to the peer's sessions (the caller holds a reference for it). */
static int peer_add(struct vfsd_peer *p, struct vfsd_session *s)
{
	int err = -EMFILE;

	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < VFSD_PEER_SESSIONS; i++) {
		if (p->sess[i] == s) {
			err = -EALREADY;
			break;
		}
	}
	for (int i = 0; err == -EMFILE && i < VFSD_PEER_SESSIONS; i++)
		if (!p->sess[i]) {
			p->sess[i] = s;
			err = 0;
		}
	pthread_mutex_unlock(&p->lock);
	return err;
}

/* ---- creating files as the client's user (a root server) ---- */

void creds_switch(struct vfsd_session *s, const struct vfs_cred *c, struct vfsd_creds *saved)
{
	saved->uid = saved->gid = -1;
	if (!s->as_root || !c)
		return;
	/* Per thread (the system calls, not glibc's process-wide set*id). */
	saved->gid = (int)syscall(SYS_setfsgid, c->gid);
	saved->uid = (int)syscall(SYS_setfsuid, c->uid);
}

void creds_restore(struct vfsd_session *s, const struct vfsd_creds *saved)
{
	if (saved->uid >= 0)
		syscall(SYS_setfsuid, saved->uid);
	if (saved->gid >= 0)
		syscall(SYS_setfsgid, saved->gid);
}

/* ---- mount, join, unmount ---- */

/* The export a mount's source names, by name ("NAME", "NAME/SUB") or by
 * its path ("/PATH", "/PATH/SUB"; the longest path that is a whole-component
 * prefix; a path that is no export's reads as a name, so "/NAME" is
 * "NAME"), and in *ret_sub what follows it ("" for the export itself). */
static const struct vfsd_export *export_find(const struct vfsd_server *srv, const char *source,
					     const char **ret_sub)
{
	const struct vfsd_export *e = NULL;
	size_t n, best = 0;

	if (source[0] == '/') {
		for (size_t i = 0; i < srv->n_exp; i++) {
			n = strlen(srv->exp[i].path);
			while (n > 1 && srv->exp[i].path[n - 1] == '/')
				n--; /* "/" itself stays */
			if (strncmp(source, srv->exp[i].path, n) != 0 ||
			    (source[n] != '\0' && source[n] != '/' && n > 1) || n < best)
				continue;
			e = &srv->exp[i];
			best = n;
		}
		if (!e) /* no export's path: "/NAME" reads as "NAME" */
			return export_find(srv, source + strspn(source, "/"), ret_sub);
	} else {
		n = strcspn(source, "/");
		for (size_t i = 0; i < srv->n_exp; i++)
			if (strlen(srv->exp[i].name) == n && !strncmp(srv->exp[i].name, source, n))
				e = &srv->exp[i];
		best = n;
	}
	if (e) {
		source += best;
		while (*source == '/')
			source++;
		*ret_sub = source;
	}
	return e;
}

/* The session's root, a descriptor of its own: the export's directory, or
 * one beneath it. */
static int session_root(const struct vfsd_export *e, const char *sub, int *ret_fd)
{
	int fd;

	if (!*sub) {
		fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		*ret_fd = fd;
		return 0;
	}
	fd = vfsd_open_beneath(e->fd, sub, O_PATH | O_DIRECTORY, 0);
	if (fd == -ELOOP)
		fd = -ENOTDIR; /* the last component is a symbolic link */
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

static int vfsd_mount(void *ctx, const char *source, uint32_t flags, struct vfs_sid *sid,
		      struct vfs_entry *root, uint32_t *caps)
{
	struct vfsd_peer *p = ctx;
	struct vfsd_server *srv = p->srv;
	const struct vfsd_export *e;
	struct vfsd_session *s;
	const char *sub = "";
	struct stat st;
	int err, root_fd = -1;

	e = export_find(srv, source, &sub);
	if (!e)
		return -ENOENT;
	err = session_root(e, sub, &root_fd);
	if (err < 0)
		return err;
	s = NULL;
	if (fstat(root_fd, &st) < 0)
		err = -errno;
	else if (!(s = calloc(1, sizeof(*s))))
		err = -ENOMEM;
	if (!s) {
		close(root_fd);
		return err;
	}
	s->srv = srv;
	s->root_fd = root_fd;
	s->key = p->key;
	s->lim = srv->lim;
	s->read_only = e->read_only || (flags & VFS_MOUNT_RO);
	s->as_root = geteuid() == 0;
	s->inotify_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->watch_lock, NULL);
	{
		/* the watch must not wait behind a stream of changes */
		pthread_rwlockattr_t a;

		pthread_rwlockattr_init(&a);
		pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&s->change_lock, &a);
		pthread_rwlockattr_destroy(&a);
	}
	atomic_init(&s->refs, 1); /* the peer's hold */
	s->holds = 1;
	if (getrandom(&s->sid, sizeof(s->sid), 0) != sizeof(s->sid) ||
	    getrandom(&s->gen_seed, sizeof(s->gen_seed), 0) != sizeof(s->gen_seed) ||
	    getrandom(&s->h_gen_seed, sizeof(s->h_gen_seed), 0) != sizeof(s->h_gen_seed)) {
		err = -EAGAIN;
		goto fail;
	}
	err = nodes_init(s);
	if (err == 0)
		err = handles_init(s);
	if (err == 0 && (flags & VFS_MOUNT_WATCH) && srv->have_proc)
		err = watch_init(s);
	if (err < 0)
		goto fail;
	pthread_mutex_lock(&srv->lock);
	if (srv->n_sess == srv->lim.sessions)
		err = -EMFILE;
	else
		srv->sess[srv->n_sess++] = s;
	pthread_mutex_unlock(&srv->lock);
	if (err < 0)
		goto fail;
	err = peer_add(p, s);
	if (err < 0) {
		session_unhold(s);
		return err;
	}
	if (s->watching) {
		pthread_mutex_lock(&s->lock);
		watch_dir(s, node_at(s, NODE_ROOT), s->root_fd);
		pthread_mutex_unlock(&s->lock);
	}
	*sid = s->sid;
	root->node = NODE_ROOT;
	root->generation = 0;
	attr_from_stat(&root->attr, &st);
	*caps = (s->read_only ? VFS_CAPS_RO : 0) | (s->watching ? VFS_CAPS_WATCH : 0) |
		(srv->have_proc ? VFS_CAPS_XATTR : 0);
	return 0;
fail:
	session_free(s);
	return err;
}

static int vfsd_join(void *ctx, const struct vfs_sid *sid)
{
	struct vfsd_peer *p = ctx;
	struct vfsd_server *srv = p->srv;
	struct vfsd_session *s = NULL;
	int err;

	pthread_mutex_lock(&srv->lock);
	for (uint32_t i = 0; i < srv->n_sess; i++)
		if (sid_eq(&srv->sess[i]->sid, sid) && srv->sess[i]->key == p->key) {
			s = srv->sess[i];
			s->holds++;
			atomic_fetch_add(&s->refs, 1);
			break;
		}
	pthread_mutex_unlock(&srv->lock);
	if (!s)
		return -ENOTCONN;
	err = peer_add(p, s);
	if (err < 0) {
		session_unhold(s);
		return err == -EALREADY ? 0 : err;
	}
	return 0;
}

static int vfsd_unmount(void *ctx, const struct vfs_sid *sid)
{
	struct vfsd_peer *p = ctx;
	struct vfsd_session *s = NULL;

	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < VFSD_PEER_SESSIONS; i++)
		if (p->sess[i] && sid_eq(&p->sess[i]->sid, sid)) {
			s = p->sess[i];
			p->sess[i] = NULL;
			break;
		}
	pthread_mutex_unlock(&p->lock);
	if (!s)
		return -ENOTCONN;
	session_unhold(s);
	return 0;
}

int32_t vfsd_op_mount(void *ctx, const char *source, uint32_t flags, struct vfs_sid *s,
		      struct vfs_entry *root, uint32_t *caps)
{
	return vfsd_mount(ctx, source, flags, s, root, caps);
}

int32_t vfsd_op_join(void *ctx, const struct vfs_sid *s)
{
	return vfsd_join(ctx, s);
}

int32_t vfsd_op_unmount(void *ctx, const struct vfs_sid *s)
{
	return vfsd_unmount(ctx, s);
}

struct vmrpc_service vfsd_peer_service(struct vfsd_peer *p)
{
	return vfs_service(&vfsd_vfs_ops, p);
}

const void *const vfsd_ops = &vfsd_vfs_ops;
