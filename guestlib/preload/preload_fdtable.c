/* SPDX-License-Identifier: MIT */
/*
 * The shim's descriptor table: which guest descriptors are host
 * descriptors (preload_fds, read by host_fd() in preload.h), the
 * placeholders that reserve their numbers, and the shim's own descriptors
 * the program must not see (the region's and the placeholder template).
 * Both the table and the hidden descriptors are read without the lock
 * and changed with it held (LOCK()).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"
#include "vmrpc/hostcall.h"

/* Guest fd -> host fd + 1 (0: a guest fd). Read without the lock: an entry
 * changes only while its guest fd number is reserved by this process. */
int preload_fds[PRELOAD_FD_MAX];

/* This library's own descriptors: the region's file and doorbell socket
 * and the placeholder template. They live at numbers from preload_floor
 * up, out of the way of a program that reuses low numbers (a shell's
 * "exec 3<file"), and the program cannot see them: its close, dup, dup2,
 * dup3 or fcntl of one is EBADF, and a dup2 onto one's number first moves
 * it away (as a robust LD_PRELOAD library does). Changed with the lock
 * held; read without it. */
int preload_hidden[PRELOAD_HIDDEN_MAX] = { -1, -1, -1, -1 };
static int preload_floor = 10;
/* The placeholder template (placeholder_template()), duplicated for every
 * placeholder: one fcntl instead of an open and a close. */
static int preload_null = -1;

/* The lowest number for this library's descriptors: near the top of the
 * descriptor limit, where programs rarely go (a shell's own descriptors
 * are at 10 and up, bash's at 255 at most). */
void fds_init(void)
{
	struct rlimit rl;
	rlim_t lim = PRELOAD_FD_MAX;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < lim)
		lim = rl.rlim_cur;
	preload_floor = lim >= 128 ? (int)lim - 32 : (int)lim / 2;
}

void map_fd(int gfd, int hfd)
{
	__atomic_store_n(&preload_fds[gfd], hfd + 1, __ATOMIC_RELEASE);
}

/* The host context went: every host descriptor stays reserved (the
 * program still holds the number) but names nothing any more. */
void fds_make_stale(void)
{
	for (int i = 0; i < PRELOAD_FD_MAX; i++)
		if (preload_fds[i])
			map_fd(i, PRELOAD_HFD_STALE);
}

static void fd_hide(int fd, bool hide)
{
	for (int i = 0; i < PRELOAD_HIDDEN_MAX; i++)
		if (preload_hidden[i] == (hide ? -1 : fd)) {
			__atomic_store_n(&preload_hidden[i], hide ? fd : -1, __ATOMIC_RELAXED);
			return;
		}
}

/* The program closes nothing of ours: EBADF, as for a descriptor that is
 * not open. */
int fd_ebadf(void)
{
	errno = EBADF;
	return -1;
}

/* Take the region's descriptors to the floor and hide them (lock held). */
void fds_hide_region(struct vmrpc_host *h, bool hide)
{
	int fds[PRELOAD_HIDDEN_MAX - 1], n = vmrpc_region_fds(h->guest.region, fds, 3);

	for (int i = 0; i < n && i < 3; i++) {
		int fd = fds[i];
		if (hide && fd < preload_floor) {
			int high = vmrpc_region_fd_move(h->guest.region, fd, preload_floor);
			fd = high >= 0 ? high : fd;
		}
		fd_hide(fd, hide);
	}
}

/* A dup2 onto hidden fd's number: move ours away first (lock held).
 * -1 (EMFILE) if there is no number left to move it to. */
int fd_vacate(int fd)
{
	int high;

	if (!fd_hidden(fd))
		return 0;
	fd_hide(fd, false);
	if (fd == preload_null) {
		high = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, preload_floor);
		if (high < 0)
			high = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, 3);
		if (high >= 0) {
			REAL(close)(fd);
			preload_null = high;
		}
	} else {
		high = vmrpc_region_fd_move(preload_host->guest.region, fd, preload_floor);
		if (high < 0)
			high = vmrpc_region_fd_move(preload_host->guest.region, fd, 3);
	}
	fd_hide(high >= 0 ? high : fd, true);
	if (high < 0)
		errno = EMFILE;
	return high < 0 ? -1 : 0;
}

/* Without /proc (or sockets): a temporary file of our own, of mode 0,
 * opened O_PATH and unlinked at once. The O_PATH open must find the file
 * mkostemp made (same device and inode), or it is not ours. */
static int placeholder_open_tmp(void)
{
	const char *tmpdir = getenv("TMPDIR");
	const char *dirs[] = { tmpdir && tmpdir[0] == '/' ? tmpdir : "/tmp", "/dev/shm", "/tmp" };
	char path[PATH_MAX];
	struct stat a, b;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd, p;

		if (snprintf(path, sizeof(path), "%s/vmrpc-placeholder-XXXXXX", dirs[i]) >=
		    (int)sizeof(path))
			continue;
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			continue;
		p = REAL(open)(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (p >= 0 && (REAL(fstat)(fd, &a) < 0 || REAL(fstat)(p, &b) < 0 ||
			       a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
			REAL(close)(p);
			p = -1;
		}
		REAL(fchmod)(fd, 0);
		REAL(unlinkat)(AT_FDCWD, path, 0);
		REAL(close)(fd);
		if (p >= 0)
			return p;
	}
	errno = EMFILE;
	return -1;
}

/* An O_PATH descriptor of a private inode of mode 0: a socket of our own,
 * closed once the O_PATH descriptor (opened through /proc) holds its
 * inode. On an O_PATH descriptor the kernel refuses (EBADF) read, write,
 * ioctl, mmap, fchmod, fchown, fsetxattr, flock, futimens, fallocate,
 * send and the rest; what it allows (fstat, fstatfs, fcntl's F_GETFD and
 * F_SETFD, dup) sees only that inode. And a socket cannot be opened again
 * through /proc/self/fd or /dev/fd (ENXIO, root too), where a private
 * file would quietly give an empty one. So a call the shim does not route
 * fails clearly and touches nothing another process sees (the placeholder
 * used to be /dev/null: cp -p changed its mode). */
static int placeholder_open(void)
{
	char path[64];
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), p = -1;

	if (fd >= 0) {
		REAL(fchmod)(fd, 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		p = REAL(open)(path, O_PATH | O_CLOEXEC);
		REAL(close)(fd);
	}
	return p >= 0 ? p : placeholder_open_tmp();
}

/* The placeholder template, opened on first use (lock held); -1 if there
 * is none. */
int placeholder_template(void)
{
	int fd, high;

	if (preload_null >= 0)
		return preload_null;
	fd = placeholder_open();
	if (fd < 0)
		return -1;
	high = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, preload_floor);
	if (high >= 0) {
		REAL(close)(fd);
		fd = high;
	}
	preload_null = fd;
	fd_hide(fd, true);
	return fd;
}

/* Reserve a guest fd number for host fd hfd (the lowest free one at or
 * above min), lock held. */
int reserve_fd(int hfd, bool cloexec, int min)
{
	int tmpl = placeholder_template();
	int gfd = tmpl < 0 ? -1 : REAL(fcntl)(tmpl, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, min);

	if (gfd >= PRELOAD_FD_MAX) {
		REAL(close)(gfd);
		errno = EMFILE;
		return -1;
	}
	if (gfd >= 0)
		map_fd(gfd, hfd);
	return gfd;
}

/* Forget gfd's mapping and close the host fd behind it (lock held). A
 * stale one names nothing: EBADF, as for a descriptor already closed, and
 * no host call (which would attach a shadow only to hear that). */
int host_unmap(int gfd, int hfd)
{
	int32_t r = 0;

	map_fd(gfd, -1);
	if (hfd == PRELOAD_HFD_STALE)
		r = -EBADF;
	else if (preload_host)
		r = hostfs_close(&preload_host->fs, hfd);
	return r;
}

/* close_range(2) over [first, last] less this library's descriptors, which
 * the program cannot see. Host descriptors in the range are closed on the
 * host too (lock held). */
int close_range_visible(unsigned first, unsigned last, int flags)
{
	unsigned lo = first;

	if (!(flags & CLOSE_RANGE_CLOEXEC))
		for (unsigned i = first; i <= last && i < PRELOAD_FD_MAX; i++)
			if (host_fd((int)i) >= 0)
				host_unmap((int)i, host_fd((int)i));
	while (lo <= last) {
		unsigned next = last;
		bool found = false;

		for (int i = 0; i < PRELOAD_HIDDEN_MAX; i++) {
			int h = preload_hidden[i];
			if (h >= 0 && (unsigned)h >= lo && (unsigned)h <= next) {
				next = (unsigned)h;
				found = true;
			}
		}
		if (!found)
			return REAL(close_range)(lo, last, flags);
		if (next > lo && REAL(close_range)(lo, next - 1, flags) < 0)
			return -1;
		lo = next + 1; /* a descriptor is an int: no overflow */
	}
	return 0;
}
