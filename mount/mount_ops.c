/* SPDX-License-Identifier: MIT */
/*
 * FUSE's low-level requests, each one call of idl/vfs.idl. The kernel's
 * node ids are the serving side's (1 is the export's root), so no table is
 * kept here; lookups are counted there and given back with forget.
 *
 * The serving side is not trusted more than it must be: in the reverse
 * direction it is a guest. Records it returns (readdir) are checked
 * against the bytes it said it wrote before anything is read from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mount.h"

#define MNT(req) ((struct mnt *)fuse_req_userdata(req))

/* One call on a free channel: b names the binding inside expr. */
#define CALL(m, expr)                                                     \
	({                                                                \
		struct mnt_chan *c_ = mnt_chan_get(m);                    \
		const struct vmrpc_binding *b = &c_->b;                   \
		int64_t r_ = (expr);                                      \
		mnt_chan_put(m, c_);                                      \
		mnt_result(m, r_);                                        \
	})

/* The largest buffer of one readdir call. */
#define MNT_READDIR_BUF (64u << 10)

static void attr_to_stat(const struct vfs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_rdev = a->rdev;
	st->st_size = (off_t)a->size;
	st->st_blksize = a->blksize;
	st->st_blocks = (blkcnt_t)a->blocks;
	st->st_atim.tv_sec = a->atime;
	st->st_atim.tv_nsec = a->atime_nsec;
	st->st_mtim.tv_sec = a->mtime;
	st->st_mtim.tv_nsec = a->mtime_nsec;
	st->st_ctim.tv_sec = a->ctime;
	st->st_ctim.tv_nsec = a->ctime_nsec;
}

static void entry_to_fuse(const struct mnt *m, const struct vfs_entry *e,
			  struct fuse_entry_param *fe)
{
	memset(fe, 0, sizeof(*fe));
	fe->ino = e->node;
	fe->generation = e->generation;
	attr_to_stat(&e->attr, &fe->attr);
	fe->attr_timeout = m->timeout;
	fe->entry_timeout = m->timeout;
}

static void reply_entry(fuse_req_t req, int64_t r, const struct vfs_entry *e)
{
	struct fuse_entry_param fe;

	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	entry_to_fuse(MNT(req), e, &fe);
	fuse_reply_entry(req, &fe);
}

static void reply_status(fuse_req_t req, int64_t r)
{
	fuse_reply_err(req, r < 0 ? (int)-r : 0);
}

static struct vfs_cred req_cred(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return (struct vfs_cred){ .uid = ctx->uid, .gid = ctx->gid };
}

static bool name_ok(fuse_req_t req, const char *name)
{
	if (strlen(name) <= VFS_NAME_MAX)
		return true;
	fuse_reply_err(req, ENAMETOOLONG);
	return false;
}

/* ---- nodes and attributes ---- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct mnt *m = userdata;

	/* Locks are the serving side's: other programs there see them. */
	if (conn->capable & FUSE_CAP_FLOCK_LOCKS)
		conn->want |= FUSE_CAP_FLOCK_LOCKS;
	if (conn->capable & FUSE_CAP_POSIX_LOCKS)
		conn->want |= FUSE_CAP_POSIX_LOCKS;
	/* open(O_TRUNC) truncates there, in one call. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/* cache=auto: cached pages go when the file's mtime or size moved. */
	if (m->cache == MNT_CACHE_AUTO && (conn->capable & FUSE_CAP_AUTO_INVAL_DATA))
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	else
		conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	/* -o writeback: the kernel keeps dirty pages and writes them back in
	 * large pieces; it then owns the file's size and mtime while it has
	 * dirty pages, and may read a file opened write-only (open_flags). */
	if (m->writeback) {
		if (conn->capable & FUSE_CAP_WRITEBACK_CACHE) {
			conn->want |= FUSE_CAP_WRITEBACK_CACHE;
		} else {
			fuse_log(FUSE_LOG_WARNING,
				 "vmrpc-mount: this kernel has no FUSE writeback cache\n");
			m->writeback = false;
		}
	}
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mnt *m = MNT(req);
	struct vfs_entry e;
	int64_t r;

	if (!name_ok(req, name))
		return;
	r = CALL(m, vfs_lookup(b, &m->sid, parent, name, &e));
	if (r == -ENOENT && m->timeout > 0) {
		/* the name's absence is cached as long as an entry would be */
		struct fuse_entry_param fe = { .ino = 0, .entry_timeout = m->timeout };

		fuse_reply_entry(req, &fe);
		return;
	}
	reply_entry(req, r, &e);
}

static void forget_some(struct mnt *m, const struct vfs_forget_rec *recs, size_t n)
{
	while (n && !atomic_load(&m->lost)) {
		size_t k = n > VFS_FORGET_MAX ? VFS_FORGET_MAX : n;

		(void)CALL(m, vfs_forget(b, &m->sid, recs,
					 (uint32_t)(k * sizeof(struct vfs_forget_rec))));
		recs += k;
		n -= k;
	}
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct vfs_forget_rec rec = { .node = ino, .nlookup = nlookup };

	forget_some(MNT(req), &rec, 1);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct vfs_forget_rec recs[256];
	struct mnt *m = MNT(req);

	for (size_t done = 0; done < count;) {
		size_t k = count - done < 256 ? count - done : 256;

		for (size_t i = 0; i < k; i++)
			recs[i] = (struct vfs_forget_rec){ .node = forgets[done + i].ino,
							    .nlookup = forgets[done + i].nlookup };
		forget_some(m, recs, k);
		done += k;
	}
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	struct vfs_attr a;
	struct stat st;
	int64_t r = -ESTALE;

	/* Through the open file when there is one (an unlinked file has no
	 * name left); a directory's handle is not a file's: by node then. */
	if (fi && fi->fh)
		r = CALL(m, vfs_getattr(b, &m->sid, ino, fi->fh, &a));
	if (r == -ESTALE)
		r = CALL(m, vfs_getattr(b, &m->sid, ino, 0, &a));
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	attr_to_stat(&a, &st);
	fuse_reply_attr(req, &st, m->timeout);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	struct vfs_sattr sa = {
		.valid = (uint32_t)to_set & (VFS_SET_MODE | VFS_SET_UID | VFS_SET_GID |
					     VFS_SET_SIZE | VFS_SET_ATIME | VFS_SET_MTIME |
					     VFS_SET_ATIME_NOW | VFS_SET_MTIME_NOW),
		.mode = attr->st_mode,
		.uid = attr->st_uid,
		.gid = attr->st_gid,
		.size = (uint64_t)attr->st_size,
		.atime = attr->st_atim.tv_sec,
		.atime_nsec = (uint32_t)attr->st_atim.tv_nsec,
		.mtime = attr->st_mtim.tv_sec,
		.mtime_nsec = (uint32_t)attr->st_mtim.tv_nsec,
	};
	struct vfs_attr a;
	struct stat st;
	int64_t r = -ESTALE;

	/* ftruncate of a file opened for writing whose mode no longer allows
	 * it (tar, git): through the open file. */
	if (fi && fi->fh)
		r = CALL(m, vfs_setattr(b, &m->sid, ino, fi->fh, &sa, &a));
	if (r == -ESTALE)
		r = CALL(m, vfs_setattr(b, &m->sid, ino, 0, &sa, &a));
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	attr_to_stat(&a, &st);
	fuse_reply_attr(req, &st, m->timeout);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct mnt *m = MNT(req);
	char target[VFS_PATH_MAX + 1];
	int64_t r = CALL(m, vfs_readlink(b, &m->sid, ino, target, sizeof(target)));

	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	target[VFS_PATH_MAX] = '\0';
	fuse_reply_readlink(req, target);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct mnt *m = MNT(req);
	struct vfs_statfs s;
	struct statvfs sv;
	int64_t r = CALL(m, vfs_statfs(b, &m->sid, ino, &s));

	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	sv = (struct statvfs){
		.f_bsize = s.bsize, .f_frsize = s.frsize, .f_blocks = s.blocks,
		.f_bfree = s.bfree, .f_bavail = s.bavail, .f_files = s.files,
		.f_ffree = s.ffree, .f_favail = s.favail,
		.f_namemax = s.namemax > VFS_NAME_MAX ? VFS_NAME_MAX : s.namemax,
	};
	fuse_reply_statfs(req, &sv);
}

/* ---- names ---- */

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct mnt *m = MNT(req);
	struct vfs_cred cr = req_cred(req);
	struct vfs_entry e;

	if (name_ok(req, name))
		reply_entry(req, CALL(m, vfs_mkdir(b, &m->sid, parent, name, mode, &cr, &e)), &e);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct mnt *m = MNT(req);
	struct vfs_cred cr = req_cred(req);
	struct vfs_entry e;

	if (name_ok(req, name))
		reply_entry(req, CALL(m, vfs_mknod(b, &m->sid, parent, name, mode, rdev, &cr, &e)),
			    &e);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct mnt *m = MNT(req);
	struct vfs_cred cr = req_cred(req);
	struct vfs_entry e;

	if (!name_ok(req, name))
		return;
	if (strlen(link) > VFS_PATH_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	reply_entry(req, CALL(m, vfs_symlink(b, &m->sid, parent, name, link, &cr, &e)), &e);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct mnt *m = MNT(req);
	struct vfs_entry e;

	if (name_ok(req, newname))
		reply_entry(req, CALL(m, vfs_link(b, &m->sid, ino, newparent, newname, &e)), &e);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mnt *m = MNT(req);

	if (name_ok(req, name))
		reply_status(req, CALL(m, vfs_unlink(b, &m->sid, parent, name)));
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct mnt *m = MNT(req);

	if (name_ok(req, name))
		reply_status(req, CALL(m, vfs_rmdir(b, &m->sid, parent, name)));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct mnt *m = MNT(req);

	if (name_ok(req, name) && name_ok(req, newname))
		reply_status(req, CALL(m, vfs_rename(b, &m->sid, parent, name, newparent, newname,
						     flags)));
}

/* ---- files ---- */

static void open_reply_flags(const struct mnt *m, struct fuse_file_info *fi)
{
	/* cache=none: every read and write goes to the serving side;
	 * always: the page cache survives an open; auto: it goes when the
	 * file changed (auto_inval_data). */
	fi->direct_io = m->cache == MNT_CACHE_NONE;
	fi->keep_cache = m->cache == MNT_CACHE_ALWAYS;
}

/* With the writeback cache the kernel fills partly written pages by
 * reading, also from a file opened write-only, and appends itself (it
 * knows the size): the serving side opens such files for reading too,
 * and without O_APPEND, which would move its writes to its own idea of
 * the end. */
static int open_flags(const struct mnt *m, int flags)
{
	if (!m->writeback)
		return flags;
	if ((flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags & ~O_APPEND;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	uint64_t fh;
	int64_t r = CALL(m, vfs_open(b, &m->sid, ino, open_flags(m, fi->flags), &fh));

	/* Write permission without read permission: open as asked; the
	 * kernel then writes whole pages only where it can. */
	if (r == -EACCES && open_flags(m, fi->flags) != fi->flags)
		r = CALL(m, vfs_open(b, &m->sid, ino, fi->flags & ~O_APPEND, &fh));

	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	fi->fh = fh;
	open_reply_flags(m, fi);
	if (fuse_reply_open(req, fi) == -ENOENT) /* interrupted: nobody holds it */
		(void)CALL(m, vfs_release(b, &m->sid, fh));
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	struct vfs_cred cr = req_cred(req);
	struct fuse_entry_param fe;
	struct vfs_entry e;
	uint64_t fh;
	int64_t r;

	if (!name_ok(req, name))
		return;
	r = CALL(m, vfs_create(b, &m->sid, parent, name, open_flags(m, fi->flags), mode, &cr, &e,
			       &fh));
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	fi->fh = fh;
	open_reply_flags(m, fi);
	entry_to_fuse(m, &e, &fe);
	if (fuse_reply_create(req, &fe, fi) == -ENOENT) {
		struct vfs_forget_rec rec = { .node = e.node, .nlookup = 1 };

		(void)CALL(m, vfs_release(b, &m->sid, fh));
		forget_some(m, &rec, 1);
	}
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	char *buf = malloc(size ? size : 1);
	size_t done = 0;
	int64_t r = 0;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	while (done < size) {
		size_t n = size - done > m->io_chunk ? m->io_chunk : size - done;

		r = CALL(m, vfs_read(b, &m->sid, fi->fh, off + (off_t)done, buf + done, n));
		if (r <= 0)
			break;
		if ((uint64_t)r > n) { /* more than asked: not a server to believe */
			r = -EIO;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break; /* the end of the file */
	}
	if (r < 0 && !done)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_buf(req, buf, done);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	size_t done = 0;
	int64_t r = 0;

	(void)ino;
	while (done < size) {
		size_t n = size - done > m->io_chunk ? m->io_chunk : size - done;

		r = CALL(m, vfs_write(b, &m->sid, fi->fh, off + (off_t)done, buf + done, n));
		if (r <= 0)
			break;
		if ((uint64_t)r > n) {
			r = -EIO;
			break;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	if (r < 0 && !done)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, done);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	if (!mnt_lockers_flush(m, ino, fi->lock_owner)) {
		fuse_reply_err(req, 0); /* nothing to release there */
		return;
	}
	reply_status(req, CALL(m, vfs_flush(b, &m->sid, fi->fh, fi->lock_owner)));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	(void)ino;
	reply_status(req, CALL(m, vfs_release(b, &m->sid, fi->fh)));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	(void)ino;
	reply_status(req, CALL(m, vfs_fsync(b, &m->sid, fi->fh, datasync != 0)));
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
			 struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	(void)ino;
	reply_status(req, CALL(m, vfs_fallocate(b, &m->sid, fi->fh, mode, offset, length)));
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct mnt *m = MNT(req);
	int64_t r;

	(void)ino_in;
	(void)ino_out;
	if (flags) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = CALL(m, vfs_copy_file_range(b, &m->sid, fi_in->fh, off_in, fi_out->fh, off_out, len));
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	int64_t r;

	(void)ino;
	r = CALL(m, vfs_lseek(b, &m->sid, fi->fh, off, whence));
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_lseek(req, r);
}

/* ---- directories ---- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);
	uint64_t fh;
	int64_t r = CALL(m, vfs_opendir(b, &m->sid, ino, &fh));

	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	fi->fh = fh;
	/* cache=always: listings are cached in the directory's pages and kept
	 * across opens (without keep_cache each opendir drops them). The
	 * kernel drops them when the directory changes through the mount or
	 * the watch reports a change there. cache=auto reads them anew: a
	 * readdirplus also refreshes the entries' names and attributes, which
	 * is what keeps a tree's next walk (git status) from expiring. */
	fi->cache_readdir = m->cache == MNT_CACHE_ALWAYS;
	fi->keep_cache = fi->cache_readdir;
	if (fuse_reply_open(req, fi) == -ENOENT)
		(void)CALL(m, vfs_releasedir(b, &m->sid, fh));
}

static void readdir_common(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
			   bool plus)
{
	struct mnt *m = MNT(req);
	char *out = malloc(size ? size : 1), *in = malloc(MNT_READDIR_BUF);
	size_t used = 0, pos = 0, len;
	bool full = false;
	int64_t r;

	if (!out || !in) {
		fuse_reply_err(req, ENOMEM);
		goto done;
	}
	r = CALL(m, vfs_readdir(b, &m->sid, fi->fh, off, plus ? VFS_READDIR_PLUS : 0,
				(uint32_t)size, in, MNT_READDIR_BUF));
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		goto done;
	}
	len = (size_t)r > MNT_READDIR_BUF ? MNT_READDIR_BUF : (size_t)r;
	while (pos + sizeof(struct vfs_dirent) <= len) {
		struct vfs_dirent d;
		char name[VFS_NAME_MAX + 1];
		size_t rec, n;

		memcpy(&d, in + pos, sizeof(d));
		rec = (sizeof(d) + d.namelen + 7) & ~(size_t)7;
		if (!d.namelen || d.namelen > VFS_NAME_MAX || pos + sizeof(d) + d.namelen > len)
			break; /* a record we cannot read: the listing stops here */
		memcpy(name, in + pos + sizeof(d), d.namelen);
		name[d.namelen] = '\0';
		pos += rec;
		if (full || memchr(name, '\0', d.namelen) || memchr(name, '/', d.namelen)) {
			/* not listed: its lookup is given back */
			if (plus && d.e.node) {
				struct vfs_forget_rec fr = { .node = d.e.node, .nlookup = 1 };

				forget_some(m, &fr, 1);
			}
			continue;
		}
		if (plus) {
			struct fuse_entry_param fe;

			entry_to_fuse(m, &d.e, &fe);
			if (!d.e.node) /* "." and "..": no lookup, the type only */
				fe.ino = 0;
			n = fuse_add_direntry_plus(req, out + used, size - used, name, &fe,
						   (off_t)d.off);
		} else {
			struct stat st = { .st_ino = d.e.attr.ino, .st_mode = d.e.attr.mode };

			n = fuse_add_direntry(req, out + used, size - used, name, &st, (off_t)d.off);
		}
		if (n > size - used) {
			full = true;
			if (plus && d.e.node) {
				struct vfs_forget_rec fr = { .node = d.e.node, .nlookup = 1 };

				forget_some(m, &fr, 1);
			}
			continue;
		}
		used += n;
	}
	fuse_reply_buf(req, out, used);
done:
	free(out);
	free(in);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	(void)ino;
	readdir_common(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	(void)ino;
	readdir_common(req, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	(void)ino;
	reply_status(req, CALL(m, vfs_releasedir(b, &m->sid, fi->fh)));
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct mnt *m = MNT(req);

	(void)ino;
	reply_status(req, CALL(m, vfs_fsyncdir(b, &m->sid, fi->fh, datasync != 0)));
}

/* ---- extended attributes ---- */

static void reply_xattr(fuse_req_t req, int64_t r, const void *buf, size_t size, uint64_t len)
{
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else if (!size)
		fuse_reply_xattr(req, (size_t)r);
	else if (len > size)
		fuse_reply_err(req, EIO);
	else
		fuse_reply_buf(req, buf, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct mnt *m = MNT(req);
	uint64_t len = 0;
	void *buf = NULL;
	int64_t r;

	if (strlen(name) > VFS_XATTR_NAME_MAX) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	if (size > VFS_XATTR_SIZE_MAX)
		size = VFS_XATTR_SIZE_MAX;
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = CALL(m, vfs_getxattr(b, &m->sid, ino, name, buf, size, &len));
	reply_xattr(req, r, buf, size, len);
	free(buf);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct mnt *m = MNT(req);
	uint64_t len = 0;
	void *buf = NULL;
	int64_t r;

	if (size > VFS_XATTR_LIST_MAX)
		size = VFS_XATTR_LIST_MAX;
	if (size && !(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = CALL(m, vfs_listxattr(b, &m->sid, ino, buf, size, &len));
	reply_xattr(req, r, buf, size, len);
	free(buf);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct mnt *m = MNT(req);

	if (strlen(name) > VFS_XATTR_NAME_MAX) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	if (size > VFS_XATTR_SIZE_MAX) {
		fuse_reply_err(req, E2BIG);
		return;
	}
	reply_status(req, CALL(m, vfs_setxattr(b, &m->sid, ino, name, value, size, flags)));
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct mnt *m = MNT(req);

	if (strlen(name) > VFS_XATTR_NAME_MAX) {
		fuse_reply_err(req, ERANGE);
		return;
	}
	reply_status(req, CALL(m, vfs_removexattr(b, &m->sid, ino, name)));
}

/* ---- locks ---- */

static void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock)
{
	struct mnt *m = MNT(req);
	struct vfs_lock lk = { .type = lock->l_type, .pid = lock->l_pid, .start = lock->l_start,
			       .len = lock->l_len };
	int64_t r;

	mnt_lockers_note(m, ino, fi->lock_owner); /* the server keeps the owner */
	r = CALL(m, vfs_getlk(b, &m->sid, fi->fh, fi->lock_owner, &lk));
	if (r < 0) {
		fuse_reply_err(req, (int)-r);
		return;
	}
	lock->l_type = (short)lk.type;
	lock->l_whence = SEEK_SET;
	lock->l_start = lk.start;
	lock->l_len = lk.len;
	lock->l_pid = lk.pid;
	fuse_reply_lock(req, lock);
}

/* The serving side never waits for a lock (it would hold a channel and
 * a thread there): a waiting request retries, until it is interrupted. */
static int64_t setlk_wait(fuse_req_t req, uint64_t fh, uint64_t owner, const struct vfs_lock *lk,
			  bool is_flock, bool sleep)
{
	struct mnt *m = MNT(req);
	useconds_t nap = 1000;
	int64_t r;

	for (;;) {
		r = CALL(m, vfs_setlk(b, &m->sid, fh, owner, lk, is_flock));
		if (r != -EAGAIN || !sleep)
			return r;
		if (fuse_req_interrupted(req) || atomic_load(&m->lost))
			return -EINTR;
		usleep(nap);
		if (nap < 50000)
			nap *= 2;
	}
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock, int sleep)
{
	struct vfs_lock lk = { .type = lock->l_type, .pid = lock->l_pid, .start = lock->l_start,
			       .len = lock->l_len };

	mnt_lockers_note(MNT(req), ino, fi->lock_owner);
	reply_status(req, setlk_wait(req, fi->fh, fi->lock_owner, &lk, false, sleep != 0));
}

static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	struct vfs_lock lk = {
		.type = (op & LOCK_SH) ? F_RDLCK : (op & LOCK_EX) ? F_WRLCK : F_UNLCK,
	};

	(void)ino;
	reply_status(req, setlk_wait(req, fi->fh, fi->lock_owner, &lk, true, !(op & LOCK_NB)));
}

const struct fuse_lowlevel_ops mnt_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.fsyncdir = op_fsyncdir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
	.create = op_create,
	.getlk = op_getlk,
	.setlk = op_setlk,
	.flock = op_flock,
	.fallocate = op_fallocate,
	.copy_file_range = op_copy_file_range,
	.lseek = op_lseek,
};
