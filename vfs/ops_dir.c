/* SPDX-License-Identifier: MIT */
/* The methods on directories: creating and removing names, renames, links,
 * and listing (opendir, readdir, releasedir, fsyncdir). Every name is one
 * component below a directory descriptor the session holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfsd_internal.h"

/* The entry for name, just made in the directory r. */
static int entry_of(struct vfsd_session *s, struct vfsd_ref *r, const char *name,
		    struct vfs_entry *e)
{
	struct stat st;

	if (fstatat(r->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return node_enter(s, r->n, name, &st, e);
}

/* The directory a new name goes in, for a change: checked name, pinned. */
static int dir_for_change(struct vfsd_session *s, uint64_t parent, const char *name,
			  struct vfsd_ref *r)
{
	int err = s->read_only ? -EROFS : name_check(name);

	return err < 0 ? err : node_ref_dir(s, parent, r);
}

enum mk { MK_DIR, MK_NOD, MK_SYMLINK };

static int make(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		enum mk kind, uint32_t mode, uint64_t rdev, const char *target,
		const struct vfs_cred *c, struct vfs_entry *e)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_creds saved;
	struct vfsd_ref r;
	int err = dir_for_change(s, parent, name, &r);

	if (err < 0)
		goto out;
	change_begin(s);
	creds_switch(s, c, &saved);
	switch (kind) {
	case MK_DIR:
		err = mkdirat(r.fd, name, mode & 07777);
		break;
	case MK_NOD:
		switch (mode & S_IFMT) {
		case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
			err = mknodat(r.fd, name, mode & (S_IFMT | 07777), (dev_t)rdev);
			break;
		default:
			err = -1;
			errno = EINVAL;
		}
		break;
	default:
		err = symlinkat(target, r.fd, name);
		break;
	}
	err = err < 0 ? -errno : 0;
	creds_restore(s, &saved);
	if (err == 0)
		err = entry_of(s, &r, name, e);
	change_end(s);
	node_unref(s, &r);
out:
	session_put(s);
	return err;
}

int32_t vfsd_op_mkdir(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		      uint32_t mode, const struct vfs_cred *c, struct vfs_entry *e)
{
	return make(ctx, sid, parent, name, MK_DIR, mode, 0, NULL, c, e);
}

int32_t vfsd_op_mknod(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		      uint32_t mode, uint64_t rdev, const struct vfs_cred *c, struct vfs_entry *e)
{
	return make(ctx, sid, parent, name, MK_NOD, mode, rdev, NULL, c, e);
}

int32_t vfsd_op_symlink(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
			const char *target, const struct vfs_cred *c, struct vfs_entry *e)
{
	/* The target is the link's content: never followed by the server. */
	return make(ctx, sid, parent, name, MK_SYMLINK, 0, 0, target, c, e);
}

int32_t vfsd_op_link(void *ctx, const struct vfs_sid *sid, uint64_t node, uint64_t newparent,
		     const char *newname, struct vfs_entry *e)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	char name[NAME_MAX + 1];
	struct vfsd_ref nr, pr = { 0 };
	int err = dir_for_change(s, newparent, newname, &nr);

	if (err < 0)
		goto out;
	err = node_ref_parent(s, node, &pr, name);
	if (err == 0) {
		/* flags 0: a symbolic link is linked, not followed */
		change_begin(s);
		if (linkat(pr.fd, name, nr.fd, newname, 0) < 0)
			err = -errno;
		node_unref(s, &pr);
		if (err == 0)
			err = entry_of(s, &nr, newname, e);
		change_end(s);
	}
	node_unref(s, &nr);
out:
	session_put(s);
	return err;
}

static int remove_name(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		       int flags)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref r;
	int err = dir_for_change(s, parent, name, &r);

	if (err == 0) {
		change_begin(s);
		if (unlinkat(r.fd, name, flags) < 0)
			err = -errno;
		else
			node_name_gone(s, r.n, name);
		change_end(s);
		node_unref(s, &r);
	}
	session_put(s);
	return err;
}

int32_t vfsd_op_unlink(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name)
{
	return remove_name(ctx, sid, parent, name, 0);
}

int32_t vfsd_op_rmdir(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name)
{
	return remove_name(ctx, sid, parent, name, AT_REMOVEDIR);
}

int32_t vfsd_op_rename(void *ctx, const struct vfs_sid *sid, uint64_t parent, const char *name,
		       uint64_t newparent, const char *newname, uint32_t flags)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref r, nr = { 0 };
	int err = (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
			  (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE)
		  ? -EINVAL : name_check(newname);

	if (err == 0)
		err = dir_for_change(s, parent, name, &r);
	if (err < 0)
		goto out;
	err = node_ref_dir(s, newparent, &nr);
	if (err == 0) {
		change_begin(s);
		if (syscall(SYS_renameat2, r.fd, name, nr.fd, newname, flags) < 0)
			err = -errno;
		else
			node_renamed(s, r.n, name, nr.n, newname, flags & RENAME_EXCHANGE);
		change_end(s);
		node_unref(s, &nr);
	}
	node_unref(s, &r);
out:
	session_put(s);
	return err;
}

/* ---- listing ---- */

int32_t vfsd_op_opendir(void *ctx, const struct vfs_sid *sid, uint64_t node, uint64_t *fh)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_ref f;
	struct stat st;
	int err = node_open_file(s, node, O_RDONLY | O_DIRECTORY | O_NONBLOCK, &f, &st);

	if (err == 0) {
		err = handle_new(s, f.fd, f.n, true, fh);
		if (err < 0)
			close(f.fd);
		node_unref(s, &f);
	}
	session_put(s);
	return err == -ENOTDIR ? -ENOTDIR : err;
}

struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

int64_t vfsd_op_readdir(void *ctx, const struct vfs_sid *sid, uint64_t fh, int64_t offset,
			uint32_t flags, uint32_t budget, void *buf, uint64_t size)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	bool plus = flags & VFS_READDIR_PLUS;
	struct vfsd_handle *h;
	struct vfsd_dirbuf *d;
	size_t out = 0, used = 0;
	int64_t err = handle_get(s, fh, true, &h);

	if (err < 0)
		goto out;
	pthread_mutex_lock(&h->dir_lock);
	d = h->dir;
	if (offset != d->next_off) {
		if (lseek(h->fd, offset, SEEK_SET) < 0) {
			err = -errno;
			goto unlock;
		}
		d->len = d->pos = 0;
		d->eof = false;
		d->next_off = offset;
	}
	for (;;) {
		struct dirent64_hdr *de;
		struct vfs_dirent rec;
		size_t namelen, rec_size, fuse_size;
		long n;

		if (d->pos >= d->len) {
			if (d->eof)
				break;
			n = syscall(SYS_getdents64, h->fd, d->buf, sizeof(d->buf));
			if (n < 0) {
				if (!out)
					err = -errno;
				break;
			}
			d->len = (size_t)n;
			d->pos = 0;
			if (n == 0) {
				d->eof = true;
				break;
			}
		}
		de = (struct dirent64_hdr *)(d->buf + d->pos);
		namelen = strnlen(de->d_name, NAME_MAX + 1);
		rec_size = ALIGN8(sizeof(rec) + namelen);
		fuse_size = plus ? FUSE_DIRENTPLUS_SIZE(&(struct fuse_direntplus){
					   .dirent.namelen = (uint32_t)namelen })
				 : FUSE_DIRENT_SIZE(&(struct fuse_dirent){ .namelen = (uint32_t)namelen });
		if (out + rec_size > size || used + fuse_size > budget) {
			if (!out)
				err = -EINVAL; /* not even one record fits */
			break;
		}
		memset(&rec, 0, sizeof(rec));
		rec.off = (uint64_t)de->d_off;
		rec.namelen = (uint32_t)namelen;
		rec.e.attr.ino = de->d_ino;
		rec.e.attr.mode = (uint32_t)DTTOIF(de->d_type);
		if (plus && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			struct stat st;

			/* a name that went meanwhile is listed without an entry */
			if (fstatat(h->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
				(void)node_enter(s, node_at(s, h->node), de->d_name, &st, &rec.e);
		}
		memcpy((char *)buf + out, &rec, sizeof(rec));
		memcpy((char *)buf + out + sizeof(rec), de->d_name, namelen);
		memset((char *)buf + out + sizeof(rec) + namelen, 0, rec_size - sizeof(rec) - namelen);
		out += rec_size;
		used += fuse_size;
		d->pos += de->d_reclen;
		d->next_off = de->d_off;
	}
	if (out)
		err = (int64_t)out;
unlock:
	pthread_mutex_unlock(&h->dir_lock);
	handle_put(s, h);
out:
	session_put(s);
	return err;
}

int32_t vfsd_op_releasedir(void *ctx, const struct vfs_sid *sid, uint64_t fh)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	int err = handle_release(s, fh, true);

	session_put(s);
	return err;
}

int32_t vfsd_op_fsyncdir(void *ctx, const struct vfs_sid *sid, uint64_t fh, bool datasync)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_handle *h;
	int err = handle_get(s, fh, true, &h);

	if (err == 0) {
		err = (datasync ? fdatasync(h->fd) : fsync(h->fd)) < 0 ? -errno : 0;
		handle_put(s, h);
	}
	session_put(s);
	return err;
}
