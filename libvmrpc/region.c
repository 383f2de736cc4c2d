/* SPDX-License-Identifier: MIT */
/* Regions: naming, creating, mapping and validating the shared memory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"
#include "sync.h"

/* How long vmrpc_region_open() waits for hostd to hand over a sealed region. */
#define REGION_OPEN_TIMEOUT_MS 5000


int region_name_valid(const char *name)
{
	size_t n = 0;

	if (!name || !*name || name[0] == '.')
		return 0;
	for (; name[n]; n++) {
		char c = name[n];
		if (n >= REGION_NAME_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int region_runtime_dir(char *buf, size_t size)
{
	const char *d = getenv("VMRPC_RUNTIME_DIR");
	int n;

	if (d && *d)
		n = snprintf(buf, size, "%s", d);
	else if ((d = getenv("XDG_RUNTIME_DIR")) && *d)
		n = snprintf(buf, size, "%s/vmrpc", d);
	else
		n = snprintf(buf, size, "%s", REGION_RUNTIME_DIR_SHM);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int region_runtime_dirs(char (*dirs)[PATH_MAX], size_t max)
{
	const char *d = getenv("VMRPC_RUNTIME_DIR");
	size_t n = 0;

	if (max < REGION_RUNTIME_DIRS_MAX)
		return -EINVAL;
	if (d && *d) {
		if (snprintf(dirs[n++], PATH_MAX, "%s", d) >= PATH_MAX)
			return -ENAMETOOLONG;
		return (int)n;
	}
	d = getenv("XDG_RUNTIME_DIR");
	if (d && *d && snprintf(dirs[n++], PATH_MAX, "%s/vmrpc", d) >= PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(dirs[n++], PATH_MAX, "%s", REGION_RUNTIME_DIR_RUN);
	snprintf(dirs[n++], PATH_MAX, "%s", REGION_RUNTIME_DIR_SHM);
	return (int)n;
}

/* Whether dir holds a file of region name that a serving hostd made: its
 * sockets, which it removes when it stops (not its lock file, which it
 * leaves: a stale one must not hide the hostd serving elsewhere). */
static int region_dir_has(const char *dir, const char *name)
{
	static const char *const suffixes[] = { ".region", ".sock", ".host.sock" };
	char path[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffixes[i]);

		if (n > 0 && (size_t)n < sizeof(path) && lstat(path, &st) == 0)
			return 1;
	}
	return 0;
}

VMRPC_API int vmrpc_region_path(const char *name, const char *suffix, char *buf, size_t size)
{
	char dirs[REGION_RUNTIME_DIRS_MAX][PATH_MAX];
	const char *dir = NULL;
	int n, r;

	if (!region_name_valid(name))
		return -EINVAL;
	/* The first directory that has the region; none has it: where a
	 * hostd without $VMRPC_RUNTIME_DIR makes it. */
	r = region_runtime_dirs(dirs, REGION_RUNTIME_DIRS_MAX);
	if (r < 0)
		return r;
	for (int i = 0; i < r && !dir; i++)
		if (region_dir_has(dirs[i], name))
			dir = dirs[i];
	if (!dir) {
		r = region_runtime_dir(dirs[0], sizeof(dirs[0]));
		if (r < 0)
			return r;
		dir = dirs[0];
	}
	n = snprintf(buf, size, "%s/%s%s", dir, name, suffix ? suffix : "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Geometry that fits a mapping of size bytes. */
int region_geometry_ok(uint32_t n, uint32_t cs, uint64_t size)
{
	return n > 0 && n <= VMRPC_CHAN_MAX && cs >= VMRPC_CHAN_MIN_SIZE &&
	       cs <= VMRPC_CHAN_MAX_SIZE && cs % 4096 == 0 &&
	       (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs <= size;
}

/* Check a mapped header against the file size and copy the geometry. */
int region_validate(struct vmrpc_region *r)
{
	const struct vmrpc_region_hdr *h = (const void *)r->base;
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	uint32_t n = h->n_channels, cs = h->chan_size;

	if (magic != VMRPC_MAGIC)
		return -VMRPC_EMAGIC;
	if (h->abi_version != VMRPC_ABI_VERSION)
		return -VMRPC_EABI;
	if (h->hdr_size != VMRPC_HDR_SIZE || h->chan_off != VMRPC_HDR_SIZE ||
	    h->region_size != r->size || !region_geometry_ok(n, cs, r->size))
		return -VMRPC_EMAGIC;
	r->n_channels = n;
	r->chan_size = cs;
	return 0;
}

struct vmrpc_region *region_alloc(const char *name)
{
	struct vmrpc_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->lock_fd = -1;
	r->bell_fd = -1;
	r->vm_wake_fd = -1;
	r->transport = &transport_shared;
	if (name)
		snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

int region_map(struct vmrpc_region *r)
{
	struct stat st;
	void *p;

	if (fstat(r->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)VMRPC_HDR_SIZE)
		return -VMRPC_EMAGIC;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r->base = p;
	r->size = (size_t)st.st_size;
	return 0;
}

/* Map fd. With n == 0, the geometry is the header's (checked); else it must
 * be exactly n channels of cs bytes, and the header is not read for it. */
int region_open_fd(int fd, uint32_t n, uint32_t cs, struct vmrpc_region **ret_region)
{
	struct vmrpc_region *r = region_alloc(NULL);
	int err;

	if (!r)
		return -ENOMEM;
	r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		err = -errno;
		goto fail;
	}
	err = region_map(r);
	if (err < 0)
		goto fail;
	if (n == 0) {
		err = region_validate(r);
	} else if (!region_geometry_ok(n, cs, r->size)) {
		err = -VMRPC_EMAGIC;
	} else {
		r->n_channels = n;
		r->chan_size = cs;
	}
	if (err < 0)
		goto fail;
	*ret_region = r;
	return 0;
fail:
	vmrpc_region_close(r);
	return err;
}

VMRPC_API int vmrpc_region_open_fd(int fd, struct vmrpc_region **ret_region)
{
	return region_open_fd(fd, 0, 0, ret_region);
}

/* A sealed region: ask for it on its socket. One message comes back. */
static int region_receive(const char *path, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct region_reply rep = { 0 };
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct pollfd p = { .events = POLLIN };
	struct cmsghdr *c;
	int fd = -1, err;
	ssize_t n;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	p.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (p.fd < 0)
		return -errno;
	if (connect(p.fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno == ENOENT || errno == ECONNREFUSED ? -VMRPC_ENOHOSTD : -errno;
		goto out;
	}
	err = poll(&p, 1, REGION_OPEN_TIMEOUT_MS);
	if (err <= 0) {
		err = err < 0 ? -errno : -VMRPC_ENOHOSTD;
		goto out;
	}
	n = recvmsg(p.fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		err = -VMRPC_ENOHOSTD; /* hostd hung up: it is stopping */
	else if (n != (ssize_t)sizeof(rep) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		err = -EPROTO;
	else if (rep.err < 0)
		err = rep.err > -VMRPC_ELAST ? rep.err : -EPROTO;
	else
		err = fd >= 0 ? 0 : -EPROTO;
	if (err == 0) {
		*ret_fd = fd;
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	close(p.fd);
	return err;
}

VMRPC_API int vmrpc_region_open(const char *name, struct vmrpc_region **ret_region)
{
	struct vmrpc_region *r;
	char path[PATH_MAX];
	struct stat st;
	int fd = -1, err;

	err = vmrpc_region_path(name, ".region", path, sizeof(path));
	if (err < 0)
		return err;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		err = region_receive(path, &fd);
		if (err < 0)
			return err;
	} else {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return errno == ENOENT ? -VMRPC_ENOHOSTD : -errno;
	}
	err = vmrpc_region_open_fd(fd, &r);
	close(fd);
	if (err < 0)
		return err;
	snprintf(r->name, sizeof(r->name), "%s", name);
	/* The doorbell socket, made now so that threads attaching channels
	 * at once share it without a lock. */
	err = transport_loopback_open(r);
	if (err < 0) {
		vmrpc_region_close(r);
		return err;
	}
	*ret_region = r;
	return 0;
}

VMRPC_API void vmrpc_region_close(struct vmrpc_region *r)
{
	if (!r)
		return;
	if (r->base)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	if (r->transport->close)
		r->transport->close(r);
	free(r);
}

VMRPC_API struct vmrpc_region_hdr *vmrpc_region_hdr(struct vmrpc_region *r)
{
	return (struct vmrpc_region_hdr *)r->base;
}

VMRPC_API int vmrpc_region_fd(const struct vmrpc_region *r)
{
	return r->fd;
}

VMRPC_API int vmrpc_region_fds(const struct vmrpc_region *r, int *ret_fds, int n)
{
	int k = 0;

	if (r->fd >= 0 && k < n)
		ret_fds[k++] = r->fd;
	if (r->bell_fd >= 0 && k < n)
		ret_fds[k++] = r->bell_fd;
	for (uint32_t i = 0; r->dev_chan_fd && i < r->n_channels && k < n; i++)
		if (r->dev_chan_fd[i] >= 0)
			ret_fds[k++] = r->dev_chan_fd[i];
	return k;
}

VMRPC_API int vmrpc_region_fd_move(struct vmrpc_region *r, int fd, int min)
{
	int *slot = fd < 0 ? NULL : fd == r->fd ? &r->fd : fd == r->bell_fd ? &r->bell_fd : NULL;
	int nfd;

	for (uint32_t i = 0; !slot && fd >= 0 && r->dev_chan_fd && i < r->n_channels; i++)
		if (r->dev_chan_fd[i] == fd)
			slot = &r->dev_chan_fd[i];

	if (!slot)
		return -EBADF;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (nfd < 0)
		return -errno;
	*slot = nfd;
	close(fd);
	return nfd;
}

VMRPC_API size_t vmrpc_region_size(const struct vmrpc_region *r)
{
	return r->size;
}

VMRPC_API void vmrpc_region_geometry(const struct vmrpc_region *r, uint32_t *ret_n_channels,
				     uint32_t *ret_chan_size)
{
	*ret_n_channels = r->n_channels;
	*ret_chan_size = r->chan_size;
}

VMRPC_API struct vmrpc_chan_hdr *vmrpc_region_chan(struct vmrpc_region *r, uint32_t i)
{
	if (i >= r->n_channels)
		return NULL;
	return (struct vmrpc_chan_hdr *)(r->base + VMRPC_HDR_SIZE + (size_t)i * r->chan_size);
}

void region_chan_arena(const struct vmrpc_region *r, uint32_t i, struct vmrpc_arena *ret_arena)
{
	uint64_t chan = (uint64_t)VMRPC_HDR_SIZE + (uint64_t)i * r->chan_size;

	*ret_arena = (struct vmrpc_arena){
		.base = r->base,
		.start = chan + VMRPC_ARENA_OFF,
		.end = chan + r->chan_size,
	};
}
