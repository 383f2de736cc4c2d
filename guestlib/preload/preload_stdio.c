/* SPDX-License-Identifier: MIT */
/*
 * stdio streams of host files: fopen, fdopen, fileno, and the standard
 * streams of a program started on host files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

/* libc's fopen opens with its internal open, which no preload can reach:
 * a host file gets a FILE of fopencookie() over the shim's read, write,
 * lseek and close.
 * Such a stream has no descriptor of its own as far as libc knows, so the
 * streams are registered and fileno() answers for them: programs fstat,
 * fchmod or futimens what fileno() gives. */
struct host_stream {
	struct host_stream *next;
	FILE *f;
	int fd;
};

/* Its own lock: fileno() must not wait for a host call in progress. */
static pthread_mutex_t preload_streams_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_stream *preload_streams;

/* A fork's child: the lock is free (no other thread of it holds it). */
void stdio_fork_child(void)
{
	pthread_mutex_init(&preload_streams_lock, NULL);
}

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	return read(((struct host_stream *)c)->fd, buf, n);
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	ssize_t w = write(((struct host_stream *)c)->fd, buf, n);

	return w < 0 ? 0 : w; /* fopencookie: 0 is the error */
}

static int cookie_seek(void *c, off64_t *off, int whence)
{
	off_t r = lseek(((struct host_stream *)c)->fd, *off, whence);

	if (r < 0)
		return -1;
	*off = r;
	return 0;
}

static int cookie_close(void *c)
{
	struct host_stream *hs = c, **pp;
	int fd = hs->fd;

	pthread_mutex_lock(&preload_streams_lock);
	for (pp = &preload_streams; *pp; pp = &(*pp)->next) {
		if (*pp == hs) {
			*pp = hs->next;
			break;
		}
	}
	pthread_mutex_unlock(&preload_streams_lock);
	free(hs);
	return close(fd);
}

static FILE *host_fdopen(int fd, const char *mode)
{
	cookie_io_functions_t io = { cookie_read, cookie_write, cookie_seek, cookie_close };
	struct host_stream *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->fd = fd;
	hs->f = fopencookie(hs, mode, io);
	if (!hs->f) {
		free(hs);
		return NULL;
	}
	pthread_mutex_lock(&preload_streams_lock);
	hs->next = preload_streams;
	__atomic_store_n(&preload_streams, hs, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_streams_lock);
	return hs->f;
}

/* The descriptor of a host stream, or -1 for any other FILE. */
static int host_stream_fd(FILE *f)
{
	struct host_stream *hs;
	int fd = -1;

	if (!__atomic_load_n(&preload_streams, __ATOMIC_ACQUIRE))
		return -1; /* the usual case: no host stream at all */
	pthread_mutex_lock(&preload_streams_lock);
	for (hs = preload_streams; hs; hs = hs->next) {
		if (hs->f == f) {
			fd = hs->fd;
			break;
		}
	}
	pthread_mutex_unlock(&preload_streams_lock);
	return fd;
}

EXPORT int fileno(FILE *f)
{
	int fd = host_stream_fd(f);

	preload_init();
	return fd >= 0 ? fd : REAL(fileno)(f);
}

EXPORT int fileno_unlocked(FILE *f)
{
	int fd = host_stream_fd(f);

	preload_init();
	return fd >= 0 ? fd : REAL(fileno_unlocked)(f);
}

static int fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = 0;
		break;
	case 'w':
		flags = O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	flags |= strchr(mode, '+') ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	if (strchr(mode, 'x'))
		flags |= O_EXCL;
	return flags;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	const char *hp;
	FILE *f;
	int flags, fd;

	if (!host_path(path, &hp))
		return REAL(fopen)(path, mode);
	flags = fopen_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, flags, 0666);
	if (fd < 0)
		return NULL;
	f = host_fdopen(fd, mode);
	if (!f)
		close(fd);
	return f;
}

EXPORT FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

EXPORT FILE *fdopen(int fd, const char *mode)
{
	if (host_fd(fd) < 0)
		return REAL(fdopen)(fd, mode);
	return host_fdopen(fd, mode);
}

/* libc's stdio reads and writes with its internal read and write, which no
 * preload reaches: an exec'd program whose stdin, stdout or stderr is a
 * host file (sh -c 'sha256sum < /host/f', 'ls > /host/f') gets stdio
 * streams over the host calls instead. */
void stdio_on_host_files(void)
{
	FILE *f;

	if (host_fd(0) >= 0 && (f = host_fdopen(0, "r")))
		stdin = f;
	if (host_fd(1) >= 0 && (f = host_fdopen(1, "w")))
		stdout = f;
	if (host_fd(2) >= 0 && (f = host_fdopen(2, "w"))) {
		setvbuf(f, NULL, _IONBF, 0);
		stderr = f;
	}
}
