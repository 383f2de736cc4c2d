/* SPDX-License-Identifier: MIT */
/* The methods on open files: open, create, read, write, flush, release,
 * fsync, fallocate, copy_file_range, lseek, and locks. Reads and writes
 * move the bytes between the file and the channel's arena directly. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfsd_internal.h"

/* copy_file_range per call: a long copy is the client's loop. */
#define VFSD_COPY_MAX (64ull << 20)

/* What of a client's open flags the server uses. O_NONBLOCK always: a
 * regular file does not care, and nothing else may block the server. */
static int open_flags(int flags)
{
	return (flags & (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NOATIME)) |
	       O_NONBLOCK | O_NOCTTY;
}

static int flags_check(struct vfsd_session *s, int flags)
{
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (s->read_only && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	return 0;
}

int32_t vfsd_op_open(void *ctx, const struct vfs_sid *sid, uint64_t node, int32_t flags,
		     uint64_t *fh)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_node *n;
	struct vfsd_ref f;
	struct stat st;
	uint32_t type = 0;
	int err = flags_check(s, flags);

	if (err < 0)
		goto out;
	/* Only regular files: the client's kernel opens its own FIFOs and
	 * devices; the server never opens a special file for it. */
	pthread_mutex_lock(&s->lock);
	n = node_find(s, node, NULL);
	if (n)
		type = n->type;
	pthread_mutex_unlock(&s->lock);
	if (!n)
		err = -ESTALE;
	else if (type == S_IFDIR)
		err = -EISDIR;
	else if (type != S_IFREG)
		err = -ENXIO;
	if (err < 0)
		goto out;
	err = node_open_file(s, node, open_flags(flags), &f, &st);
	if (err == -EPERM && (flags & O_NOATIME))
		err = node_open_file(s, node, open_flags(flags & ~O_NOATIME), &f, &st);
	if (err < 0)
		goto out;
	if (!S_ISREG(st.st_mode))
		err = -ESTALE;
	else
		err = handle_new(s, f.fd, f.n, false, fh);
	if (err < 0)
		close(f.fd);
	else if (flags & O_TRUNC)
		watch_known(s, node_slot(s, f.n), stat_ctime_ns(&st));
	node_unref(s, &f);
out:
	session_put(s);
	return err;
}

int32_t vfsd_op_create(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		       int32_t flags, uint32_t mode, const struct vfs_cred *c,
		       struct vfs_entry *e, uint64_t *fh)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_creds saved;
	struct vfsd_ref r;
	struct stat st;
	int fd, err = s->read_only ? -EROFS : flags_check(s, flags);

	if (err == 0)
		err = name_check(name);
	if (err == 0)
		err = node_ref_dir(s, parent, &r);
	if (err < 0)
		goto out;
	change_begin(s);
	creds_switch(s, c, &saved);
	fd = vfsd_open_beneath(r.fd, name, open_flags(flags) | O_CREAT | (flags & O_EXCL),
			       mode & 07777);
	creds_restore(s, &saved);
	if (fd < 0) {
		err = fd;
	} else if (fstat(fd, &st) < 0) {
		err = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		err = -EEXIST; /* something else has the name */
	} else {
		err = node_enter(s, r.n, name, &st, e);
	}
	change_end(s);
	if (err == 0 && fd >= 0) {
		pthread_mutex_lock(&s->lock);
		struct vfsd_node *n = node_find(s, e->node, NULL);
		pthread_mutex_unlock(&s->lock);
		err = n ? handle_new(s, fd, n, false, fh) : -ESTALE;
		if (err < 0)
			node_forget(s, e->node, 1); /* the client will not */
	}
	if (err < 0 && fd >= 0)
		close(fd);
	node_unref(s, &r);
out:
	session_put(s);
	return err;
}

/* After a change through h: what the client now knows of the file. */
static void changed(struct vfsd_session *s, struct vfsd_handle *h)
{
	struct stat st;

	if (s->watching && fstat(h->fd, &st) == 0)
		watch_known(s, h->node, stat_ctime_ns(&st));
}

int64_t vfsd_op_read(void *ctx, const struct vfs_sid *sid, uint64_t fh, int64_t offset,
		     void *buf, uint64_t size)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int64_t r = handle_get(s, fh, false, &h);

	if (r == 0) {
		r = pread(h->fd, buf, size, offset);
		if (r < 0)
			r = -errno;
		handle_put(s, h);
	}
	session_put(s);
	return r;
}

int64_t vfsd_op_write(void *ctx, const struct vfs_sid *sid, uint64_t fh, int64_t offset,
		      const void *buf, uint64_t size)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int64_t r = s->read_only ? -EROFS : handle_get(s, fh, false, &h);

	if (r == 0) {
		/* straight from the arena: the bytes are data, never parsed */
		r = pwrite(h->fd, buf, size, offset);
		if (r < 0)
			r = -errno;
		else
			changed(s, h);
		handle_put(s, h);
	}
	session_put(s);
	return r;
}

int32_t vfsd_op_flush(void *ctx, const struct vfs_sid *sid, uint64_t fh, uint64_t owner)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int err = handle_get(s, fh, false, &h);

	if (err == 0) {
		lock_owner_drop(s, h->node, owner);
		handle_put(s, h);
	}
	session_put(s);
	return err;
}

int32_t vfsd_op_release(void *ctx, const struct vfs_sid *sid, uint64_t fh)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int err = handle_release(s, fh, false);

	session_put(s);
	return err;
}

int32_t vfsd_op_fsync(void *ctx, const struct vfs_sid *sid, uint64_t fh, bool datasync)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int err = handle_get(s, fh, false, &h);

	if (err == 0) {
		err = (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
		handle_put(s, h);
	}
	session_put(s);
	return err;
}

int32_t vfsd_op_fallocate(void *ctx, const struct vfs_sid *sid, uint64_t fh, int32_t mode,
			  int64_t offset, int64_t len)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int err = s->read_only ? -EROFS : handle_get(s, fh, false, &h);

	if (err == 0) {
		err = fallocate(h->fd, mode, offset, len) < 0 ? -errno : 0;
		if (err == 0)
			changed(s, h);
		handle_put(s, h);
	}
	session_put(s);
	return err;
}

int64_t vfsd_op_copy_file_range(void *ctx, const struct vfs_sid *sid, uint64_t fh_in,
				int64_t off_in, uint64_t fh_out, int64_t off_out, uint64_t len)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *in = NULL, *out = NULL;
	loff_t oi = off_in, oo = off_out;
	int64_t r = s->read_only ? -EROFS : handle_get(s, fh_in, false, &in);

	if (r == 0)
		r = handle_get(s, fh_out, false, &out);
	if (r == 0 && (off_in < 0 || off_out < 0))
		r = -EINVAL;
	if (r == 0) {
		r = copy_file_range(in->fd, &oi, out->fd, &oo,
				    len > VFSD_COPY_MAX ? VFSD_COPY_MAX : len, 0);
		if (r < 0)
			r = -errno;
		else
			changed(s, out);
	}
	if (out)
		handle_put(s, out);
	if (in)
		handle_put(s, in);
	session_put(s);
	return r;
}

int64_t vfsd_op_lseek(void *ctx, const struct vfs_sid *sid, uint64_t fh, int64_t offset,
		      int32_t whence)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int64_t r = whence == SEEK_DATA || whence == SEEK_HOLE ? handle_get(s, fh, false, &h)
							    : -EINVAL;

	if (r == 0) {
		/* The descriptor's position is nobody's: reads and writes
		 * are pread and pwrite. */
		r = lseek(h->fd, offset, whence);
		if (r < 0)
			r = -errno;
		handle_put(s, h);
	}
	session_put(s);
	return r;
}

/* ---- locks ---- */

static int lock_check(const struct vfs_lock *lk, struct flock *fl)
{
	if (lk->type != F_RDLCK && lk->type != F_WRLCK && lk->type != F_UNLCK)
		return -EINVAL;
	if (lk->start < 0 || lk->len < 0)
		return -EINVAL;
	*fl = (struct flock){ .l_type = (short)lk->type, .l_whence = SEEK_SET,
			      .l_start = lk->start, .l_len = lk->len };
	return 0;
}

int32_t vfsd_op_getlk(void *ctx, const struct vfs_sid *sid, uint64_t fh, uint64_t owner,
		      struct vfs_lock *lk)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	struct flock fl;
	int fd, err = lock_check(lk, &fl);

	if (err == 0)
		err = handle_get(s, fh, false, &h);
	if (err < 0)
		goto out;
	err = lock_owner_fd(s, h, owner, &fd);
	if (err == 0) {
		err = fcntl(fd, F_OFD_GETLK, &fl) < 0 ? -errno : 0;
		close(fd);
	}
	handle_put(s, h);
	if (err == 0) {
		lk->type = fl.l_type;
		lk->start = fl.l_start;
		lk->len = fl.l_len;
		lk->pid = 0; /* an owner on the serving side has no pid for the client */
	}
out:
	session_put(s);
	return err;
}

int32_t vfsd_op_setlk(void *ctx, const struct vfs_sid *sid, uint64_t fh, uint64_t owner,
		      const struct vfs_lock *lk, bool is_flock)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	struct flock fl;
	int fd, err = lock_check(lk, &fl);

	if (err == 0)
		err = handle_get(s, fh, false, &h);
	if (err < 0)
		goto out;
	if (is_flock) {
		int op = lk->type == F_RDLCK ? LOCK_SH : lk->type == F_WRLCK ? LOCK_EX : LOCK_UN;

		err = flock(h->fd, op | LOCK_NB) < 0 ? -errno : 0;
		if (err == -EWOULDBLOCK)
			err = -EAGAIN;
	} else if ((err = lock_owner_fd(s, h, owner, &fd)) == 0) {
		err = fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
		if (err == -EACCES) /* a conflict, as POSIX allows it to be said */
			err = -EAGAIN;
		close(fd);
	}
	handle_put(s, h);
out:
	session_put(s);
	return err;
}
