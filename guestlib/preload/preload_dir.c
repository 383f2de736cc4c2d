/* SPDX-License-Identifier: MIT */
/*
 * Directory streams of host directories: opendir, fdopendir, readdir,
 * readdir64, closedir, dirfd and rewinddir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

#define PRELOAD_DIRBUF 32768

/* A host directory stream: a DIR * that libc never sees. Registered, so
 * readdir() and friends know it from libc's own. Records come from
 * hostfs.getdents as struct linux_dirent64, which is glibc's struct
 * dirent64 (and struct dirent) on x86-64; each is checked before use. */
struct host_dir {
	struct host_dir *next;
	int gfd;
	size_t pos, len;
	unsigned char buf[PRELOAD_DIRBUF];
};

/* The list has a lock of its own, never held while taking another:
 * libvmrpc-guest reads guest directories with libc's opendir, readdir and
 * closedir, which are these wrappers, while the shim attaches under
 * preload_lock (a "pci:" region asks sysfs which /dev/vmrpcN vmrpc.ko
 * made), and a wrapper taking preload_lock there would wait on itself. */
static pthread_mutex_t preload_dirs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_dir *preload_dirs;

static struct host_dir *host_dir_find(DIR *d)
{
	struct host_dir *p;

	preload_init();
	pthread_mutex_lock(&preload_dirs_lock);
	for (p = preload_dirs; p && (DIR *)p != d; p = p->next)
		;
	pthread_mutex_unlock(&preload_dirs_lock);
	return p;
}

static DIR *host_dir_new(int gfd)
{
	struct host_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->gfd = gfd;
	pthread_mutex_lock(&preload_dirs_lock);
	d->next = preload_dirs;
	preload_dirs = d;
	pthread_mutex_unlock(&preload_dirs_lock);
	return (DIR *)d;
}

EXPORT DIR *fdopendir(int fd)
{
	struct stat st;

	if (host_fd(fd) < 0)
		return REAL(fdopendir)(fd);
	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	return host_dir_new(fd);
}

EXPORT DIR *opendir(const char *path)
{
	const char *hp;
	DIR *d;
	int fd;

	if (!host_path(path, &hp))
		return REAL(opendir)(path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = host_dir_new(fd);
	if (!d)
		close(fd);
	return d;
}

static struct dirent64 *host_readdir(struct host_dir *d)
{
	struct dirent64 *e;
	int hfd = host_fd(d->gfd);
	size_t min = offsetof(struct dirent64, d_name) + 1;
	int64_t r;

	if (d->pos >= d->len) {
		int saved = errno;

		r = HOST_CALL(hostfs_getdents(&preload_host->fs, hfd, d->buf, sizeof(d->buf)));
		if (r <= 0) {
			if (r < 0)
				ret_errno(r);
			else
				errno = saved; /* the end: errno as the program left it */
			return NULL;
		}
		d->pos = 0;
		d->len = (size_t)r;
	}
	e = (struct dirent64 *)(d->buf + d->pos);
	if (d->len - d->pos < min || e->d_reclen < min || e->d_reclen > d->len - d->pos ||
	    !memchr(e->d_name, '\0', e->d_reclen - offsetof(struct dirent64, d_name))) {
		d->pos = d->len;
		errno = EIO;
		return NULL;
	}
	d->pos += e->d_reclen;
	return e;
}

EXPORT struct dirent64 *readdir64(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? host_readdir(d) : REAL(readdir64)(dir);
}

EXPORT struct dirent *readdir(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? (struct dirent *)host_readdir(d) : REAL(readdir)(dir);
}

EXPORT int closedir(DIR *dir)
{
	struct host_dir **pp, *d = NULL;
	int fd;

	preload_init();
	pthread_mutex_lock(&preload_dirs_lock);
	for (pp = &preload_dirs; *pp; pp = &(*pp)->next) {
		if ((DIR *)*pp == dir) {
			d = *pp;
			*pp = d->next;
			break;
		}
	}
	pthread_mutex_unlock(&preload_dirs_lock);
	if (!d)
		return REAL(closedir)(dir);
	fd = d->gfd;
	free(d);
	return close(fd);
}

EXPORT int dirfd(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? d->gfd : REAL(dirfd)(dir);
}

EXPORT void rewinddir(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	if (!d) {
		REAL(rewinddir)(dir);
		return;
	}
	lseek(d->gfd, 0, SEEK_SET);
	d->pos = d->len = 0;
}
