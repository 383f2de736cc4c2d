/* SPDX-License-Identifier: MIT */
/* The methods on names and attributes: lookup, forget, getattr, setattr,
 * readlink, statfs and the extended attributes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "vfsd_internal.h"

static int32_t op_lookup(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
			 struct vfs_entry *e)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref r;
	struct stat st;
	int err = name_check(name);

	if (err == 0)
		err = node_ref_dir(s, parent, &r);
	if (err == 0) {
		if (fstatat(r.fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
		else
			err = node_enter(s, r.n, name, &st, e);
		node_unref(s, &r);
	}
	session_put(s);
	return err;
}

static int32_t op_forget(void *ctx, const struct vfs_sid *sid, const void *recs, uint32_t len)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfs_forget_rec copy[64];
	uint32_t n = len / sizeof(copy[0]);
	int err = 0;

	if (len % sizeof(copy[0]) || n > VFS_FORGET_MAX) {
		err = -EINVAL;
		goto out;
	}
	/* Copied before use, a block at a time: the client may rewrite it. */
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < 64 ? n - done : 64;

		memcpy(copy, (const char *)recs + (size_t)done * sizeof(copy[0]), k * sizeof(copy[0]));
		for (uint32_t i = 0; i < k; i++)
			node_forget(s, copy[i].node, copy[i].nlookup);
		done += k;
	}
out:
	session_put(s);
	return err;
}

/* A handle's descriptor for a call that names one: 0 when fh is 0. */
static int fh_get(struct vfsd_session *s, uint64_t fh, struct vfsd_handle **ret)
{
	*ret = NULL;
	return fh ? handle_get(s, fh, false, ret) : 0;
}

static int32_t op_getattr(void *ctx, const struct vfs_sid *sid, uint64_t node, uint64_t fh,
			  struct vfs_attr *a)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	struct stat st;
	int err = fh_get(s, fh, &h);

	if (err == 0 && h) {
		err = fstat(h->fd, &st) < 0 ? -errno : 0;
		if (err == 0)
			watch_known(s, h->node, stat_ctime_ns(&st));
		handle_put(s, h);
	} else if (err == 0) {
		err = node_stat(s, node, &st);
	}
	if (err == 0)
		attr_from_stat(a, &st);
	session_put(s);
	return err;
}

static int proc_path(struct vfsd_session *s, int fd, char *buf, size_t size)
{
	if (!s->srv->have_proc)
		return -EOPNOTSUPP;
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return 0;
}

/* setattr without a handle: on the node's O_PATH descriptor, through
 * /proc/self/fd where a call needs a path (it reaches the file itself, never
 * a name that could have changed), or an open of the file for truncate. */
static int setattr_node(struct vfsd_session *s, uint64_t node, const struct vfs_sattr *sa)
{
	struct vfsd_ref r;
	char path[64];
	int err = node_ref(s, node, &r);

	if (err < 0)
		return err;
	if (sa->valid & VFS_SET_MODE) {
		if (r.n->type == S_IFLNK)
			err = -EOPNOTSUPP;
		else if ((err = proc_path(s, r.fd, path, sizeof(path))) == 0)
			err = chmod(path, sa->mode & 07777) < 0 ? -errno : 0;
	}
	if (err == 0 && (sa->valid & (VFS_SET_UID | VFS_SET_GID)))
		err = fchownat(r.fd, "", sa->valid & VFS_SET_UID ? sa->uid : (uid_t)-1,
			       sa->valid & VFS_SET_GID ? sa->gid : (gid_t)-1,
			       AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (err == 0 && (sa->valid & VFS_SET_SIZE)) {
		struct vfsd_ref f;
		struct stat st;

		if (r.n->type == S_IFDIR)
			err = -EISDIR;
		else if (r.n->type != S_IFREG)
			err = -EINVAL;
		else if ((err = node_open_file(s, node, O_WRONLY | O_NONBLOCK, &f, &st)) == 0) {
			err = ftruncate(f.fd, (off_t)sa->size) < 0 ? -errno : 0;
			close(f.fd);
			node_unref(s, &f);
		}
	}
	if (err == 0 && (sa->valid & (VFS_SET_ATIME | VFS_SET_MTIME | VFS_SET_ATIME_NOW |
				      VFS_SET_MTIME_NOW))) {
		struct timespec ts[2] = {
			{ .tv_sec = sa->atime, .tv_nsec = sa->atime_nsec },
			{ .tv_sec = sa->mtime, .tv_nsec = sa->mtime_nsec },
		};
		char name[NAME_MAX + 1];
		struct vfsd_ref pr;

		if (!(sa->valid & (VFS_SET_ATIME | VFS_SET_ATIME_NOW)))
			ts[0].tv_nsec = UTIME_OMIT;
		else if (sa->valid & VFS_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		if (!(sa->valid & (VFS_SET_MTIME | VFS_SET_MTIME_NOW)))
			ts[1].tv_nsec = UTIME_OMIT;
		else if (sa->valid & VFS_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		if (r.n->type != S_IFLNK && proc_path(s, r.fd, path, sizeof(path)) == 0) {
			err = utimensat(AT_FDCWD, path, ts, 0) < 0 ? -errno : 0;
		} else if ((err = node_ref_parent(s, node, &pr, name)) == 0) {
			/* a symbolic link itself: its name, never followed */
			err = utimensat(pr.fd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
			node_unref(s, &pr);
		}
	}
	node_unref(s, &r);
	return err;
}

static int setattr_fd(int fd, const struct vfs_sattr *sa)
{
	if ((sa->valid & VFS_SET_MODE) && fchmod(fd, sa->mode & 07777) < 0)
		return -errno;
	if ((sa->valid & (VFS_SET_UID | VFS_SET_GID)) &&
	    fchown(fd, sa->valid & VFS_SET_UID ? sa->uid : (uid_t)-1,
		   sa->valid & VFS_SET_GID ? sa->gid : (gid_t)-1) < 0)
		return -errno;
	if ((sa->valid & VFS_SET_SIZE) && ftruncate(fd, (off_t)sa->size) < 0)
		return -errno;
	if (sa->valid & (VFS_SET_ATIME | VFS_SET_MTIME | VFS_SET_ATIME_NOW | VFS_SET_MTIME_NOW)) {
		struct timespec ts[2] = {
			{ .tv_sec = sa->atime, .tv_nsec = sa->atime_nsec },
			{ .tv_sec = sa->mtime, .tv_nsec = sa->mtime_nsec },
		};

		if (!(sa->valid & (VFS_SET_ATIME | VFS_SET_ATIME_NOW)))
			ts[0].tv_nsec = UTIME_OMIT;
		else if (sa->valid & VFS_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		if (!(sa->valid & (VFS_SET_MTIME | VFS_SET_MTIME_NOW)))
			ts[1].tv_nsec = UTIME_OMIT;
		else if (sa->valid & VFS_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		if (futimens(fd, ts) < 0)
			return -errno;
	}
	return 0;
}

static int32_t op_setattr(void *ctx, const struct vfs_sid *sid, uint64_t node, uint64_t fh,
			  const struct vfs_sattr *sa, struct vfs_attr *a)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h = NULL;
	struct stat st;
	int err = s->read_only ? -EROFS : fh_get(s, fh, &h);

	if (err == 0 && h) {
		err = setattr_fd(h->fd, sa);
		if (err == 0)
			err = fstat(h->fd, &st) < 0 ? -errno : 0;
		if (err == 0)
			watch_known(s, h->node, stat_ctime_ns(&st));
		handle_put(s, h);
	} else if (err == 0) {
		err = setattr_node(s, node, sa);
		if (err == 0)
			err = node_stat(s, node, &st);
	}
	if (err == 0)
		attr_from_stat(a, &st);
	session_put(s);
	return err;
}

static int32_t op_readlink(void *ctx, const struct vfs_sid *sid, uint64_t node, char *target,
			   size_t target_size)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref r;
	ssize_t n = 0;
	int err = node_ref(s, node, &r);

	if (err == 0) {
		if (r.n->type != S_IFLNK)
			err = -EINVAL;
		else if ((n = readlinkat(r.fd, "", target, target_size)) < 0)
			err = -errno;
		else if ((size_t)n >= target_size)
			err = -ENAMETOOLONG;
		else
			target[n] = '\0';
		node_unref(s, &r);
	}
	session_put(s);
	return err;
}

static int32_t op_statfs(void *ctx, const struct vfs_sid *sid, uint64_t node,
			 struct vfs_statfs *out)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref r;
	struct statvfs sv;
	int err = node_ref(s, node, &r);

	if (err == 0) {
		if (fstatvfs(r.fd, &sv) < 0) {
			err = -errno;
		} else {
			*out = (struct vfs_statfs){
				.blocks = sv.f_blocks, .bfree = sv.f_bfree, .bavail = sv.f_bavail,
				.files = sv.f_files, .ffree = sv.f_ffree, .favail = sv.f_favail,
				.bsize = sv.f_bsize, .frsize = sv.f_frsize,
				.namemax = sv.f_namemax,
			};
		}
		node_unref(s, &r);
	}
	session_put(s);
	return err;
}

/* ---- extended attributes ---- */

/* The four calls, on the file itself: through /proc/self/fd of its O_PATH
 * descriptor (any kind of file), else on a descriptor of a regular file
 * or directory opened for them. */
enum xop { XGET, XSET, XLIST, XREMOVE };

static int64_t xattr_call(struct vfsd_session *s, uint64_t node, enum xop op, const char *name,
			  void *buf, size_t size, int flags)
{
	struct vfsd_ref r;
	struct stat st;
	char path[64];
	ssize_t n;
	int err;

	if ((op == XSET || op == XREMOVE) && s->read_only)
		return -EROFS;
	if (s->srv->have_proc) {
		err = node_ref(s, node, &r);
		if (err < 0)
			return err;
		proc_path(s, r.fd, path, sizeof(path));
		switch (op) {
		case XGET: n = getxattr(path, name, buf, size); break;
		case XSET: n = setxattr(path, name, buf, size, flags); break;
		case XLIST: n = listxattr(path, buf, size); break;
		default: n = removexattr(path, name); break;
		}
	} else {
		err = node_open_file(s, node, O_RDONLY | O_NONBLOCK, &r, &st);
		if (err < 0)
			return err == -ELOOP ? -EOPNOTSUPP : err;
		switch (op) {
		case XGET: n = fgetxattr(r.fd, name, buf, size); break;
		case XSET: n = fsetxattr(r.fd, name, buf, size, flags); break;
		case XLIST: n = flistxattr(r.fd, buf, size); break;
		default: n = fremovexattr(r.fd, name); break;
		}
		close(r.fd);
	}
	err = n < 0 ? -errno : 0;
	node_unref(s, &r);
	return err < 0 ? err : n;
}

static int64_t op_getxattr(void *ctx, const struct vfs_sid *sid, uint64_t node, const char *name,
			   void *value, uint64_t size, uint64_t *len)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int64_t r;

	if (size > VFS_XATTR_SIZE_MAX)
		size = VFS_XATTR_SIZE_MAX;
	r = name[0] ? xattr_call(s, node, XGET, name, value, size, 0) : -EINVAL;
	if (r >= 0)
		*len = size ? (uint64_t)r : 0;
	session_put(s);
	return r;
}

static int32_t op_setxattr(void *ctx, const struct vfs_sid *sid, uint64_t node, const char *name,
			   const void *value, uint64_t size, int32_t flags)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int64_t r;

	if (!name[0] || (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		r = -EINVAL;
	else if (size > VFS_XATTR_SIZE_MAX)
		r = -E2BIG;
	else
		/* the kernel copies the value before it uses it */
		r = xattr_call(s, node, XSET, name, (void *)value, size, flags);
	session_put(s);
	return (int32_t)r;
}

static int64_t op_listxattr(void *ctx, const struct vfs_sid *sid, uint64_t node, void *list,
			    uint64_t size, uint64_t *len)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int64_t r;

	if (size > VFS_XATTR_LIST_MAX)
		size = VFS_XATTR_LIST_MAX;
	r = xattr_call(s, node, XLIST, NULL, list, size, 0);
	if (r >= 0)
		*len = size ? (uint64_t)r : 0;
	session_put(s);
	return r;
}

static int32_t op_removexattr(void *ctx, const struct vfs_sid *sid, uint64_t node,
			      const char *name)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int64_t r = name[0] ? xattr_call(s, node, XREMOVE, name, NULL, 0, 0) : -EINVAL;

	session_put(s);
	return (int32_t)r;
}

const struct vfs_ops vfsd_vfs_ops = {
	.mount = vfsd_op_mount,
	.join = vfsd_op_join,
	.unmount = vfsd_op_unmount,
	.lookup = op_lookup,
	.forget = op_forget,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.statfs = op_statfs,
	.mkdir = vfsd_op_mkdir,
	.mknod = vfsd_op_mknod,
	.symlink = vfsd_op_symlink,
	.link = vfsd_op_link,
	.unlink = vfsd_op_unlink,
	.rmdir = vfsd_op_rmdir,
	.rename = vfsd_op_rename,
	.open = vfsd_op_open,
	.create = vfsd_op_create,
	.read = vfsd_op_read,
	.write = vfsd_op_write,
	.flush = vfsd_op_flush,
	.release = vfsd_op_release,
	.fsync = vfsd_op_fsync,
	.fallocate = vfsd_op_fallocate,
	.copy_file_range = vfsd_op_copy_file_range,
	.lseek = vfsd_op_lseek,
	.opendir = vfsd_op_opendir,
	.readdir = vfsd_op_readdir,
	.releasedir = vfsd_op_releasedir,
	.fsyncdir = vfsd_op_fsyncdir,
	.getxattr = op_getxattr,
	.setxattr = op_setxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
	.getlk = vfsd_op_getlk,
	.setlk = vfsd_op_setlk,
	.watch = vfsd_op_watch,
};
