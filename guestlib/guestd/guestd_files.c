/* SPDX-License-Identifier: MIT */
/* Files for host callers (file_read, file_write), beneath the directories
 * guestd.conf allows (file-read, file-write) and nowhere else. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guestd_exec.h"
#include "log.h"
#include "vmrpc/vmrpc.h"

/* Open path only if it lies beneath one of the allowed directories, with
 * the kernel resolving it beneath that directory (no "..", no symlink out). */
static int gx_open_beneath(char *const *dirs, size_t n, const char *path, int flags,
			   unsigned mode)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dirs[i]);
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
			.mode = (flags & O_CREAT) ? mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		const char *rel;
		int dfd, fd;

		if (len == 1) /* "/" */
			rel = path + 1;
		else if (!strncmp(path, dirs[i], len) && path[len] == '/')
			rel = path + len + 1;
		else
			continue;
		if (!*rel)
			return -EISDIR;
		dfd = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
		fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof(how));
		if (fd < 0)
			fd = errno == EXDEV ? -VMRPC_EDENIED : -errno;
		close(dfd);
		return fd;
	}
	return -VMRPC_EDENIED;
}

int64_t gx_file_read(void *ctx, const char *path, uint64_t offset, void *buf, uint64_t count)
{
	struct gx_chan *gc = ctx;
	const struct gdconf *conf = gc->gx->conf;
	int fd = gx_open_beneath(conf->file_read, conf->n_file_read, path, O_RDONLY, 0);
	ssize_t n;

	if (fd == -VMRPC_EDENIED)
		log_warn("channel %u: file_read of %s refused by guestd.conf", gc->index, path);
	if (fd < 0)
		return fd;
	n = pread(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count, (off_t)offset);
	close(fd);
	return n < 0 ? -errno : n;
}

int64_t gx_file_write(void *ctx, const char *path, uint64_t offset, const void *buf,
		      uint64_t count, uint32_t flags, uint32_t mode)
{
	struct gx_chan *gc = ctx;
	const struct gdconf *conf = gc->gx->conf;
	int oflags = O_WRONLY | (flags & GUESTEXEC_FILE_CREATE ? O_CREAT : 0) |
		     (flags & GUESTEXEC_FILE_TRUNCATE ? O_TRUNC : 0) |
		     (flags & GUESTEXEC_FILE_APPEND ? O_APPEND : 0);
	int fd;
	ssize_t n;

	if (flags & ~(GUESTEXEC_FILE_CREATE | GUESTEXEC_FILE_TRUNCATE | GUESTEXEC_FILE_APPEND) ||
	    mode > 07777)
		return -EINVAL;
	fd = gx_open_beneath(conf->file_write, conf->n_file_write, path, oflags,
			     mode ? mode : 0644);
	if (fd == -VMRPC_EDENIED)
		log_warn("channel %u: file_write of %s refused by guestd.conf", gc->index, path);
	if (fd < 0)
		return fd;
	n = flags & GUESTEXEC_FILE_APPEND ? write(fd, buf, (size_t)count)
					  : pwrite(fd, buf, (size_t)count, (off_t)offset);
	close(fd);
	return n < 0 ? -errno : n;
}
