/* SPDX-License-Identifier: MIT */
/* Regions, hostd's side: creating (a sealed memfd or a file), adopting, and
 * handing a sealed region to the callers that ask for it. */
#include <errno.h>
#include <fcntl.h>
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
#include "vmrpc_private.h"

#define REGION_DEFAULT_CHANNELS 32u
#define REGION_DEFAULT_CHAN_SIZE (256u << 10)

/* Reset every channel of an adopted region: the shadows of the previous
 * hostd are gone, so whoever still holds a channel must reattach. */
static void region_reset_channels(struct vmrpc_region *r)
{
	for (uint32_t i = 0; i < r->n_channels; i++)
		vmrpc_hostd_chan_free(r, i);
}

/* Adopt a mapped region whose geometry matched: mappings of the old host
 * side stay valid, and whoever still holds a channel must reattach. */
static void region_adopt(struct vmrpc_region *r)
{
	struct vmrpc_region_hdr *h = (void *)r->base;

	__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
	h->hostd_pid = (uint32_t)getpid();
	region_reset_channels(r);
}

/* Write a new header into a zeroed mapping. */
static void region_init(struct vmrpc_region *r, uint32_t n, uint32_t cs, uint64_t size)
{
	struct vmrpc_region_hdr *h = (void *)r->base;

	h->abi_version = VMRPC_ABI_VERSION;
	h->hdr_size = VMRPC_HDR_SIZE;
	h->region_size = size;
	h->generation = 1;
	h->n_channels = n;
	h->chan_size = cs;
	h->chan_off = VMRPC_HDR_SIZE;
	h->hostd_pid = (uint32_t)getpid();
	__atomic_store_n(&h->magic, VMRPC_MAGIC, __ATOMIC_RELEASE);
	r->n_channels = n;
	r->chan_size = cs;
}

/* Whether the mapped region r is a vmrpc region of exactly this geometry. */
static int region_same(struct vmrpc_region *r, uint32_t n, uint32_t cs, uint64_t size)
{
	return r->size == size && region_validate(r) == 0 && r->n_channels == n &&
	       r->chan_size == cs;
}

static int region_runtime_mkdir(void)
{
	char dir[PATH_MAX];
	int err = region_runtime_dir(dir, sizeof(dir));

	if (err < 0)
		return err;
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* A sealed region: adopt_fd if it is one of this geometry, else a new
 * memfd. Either way its size can never change again. */
static int region_create_sealed(struct vmrpc_region *r, uint32_t n, uint32_t cs,
				uint64_t size, int adopt_fd)
{
	char path[PATH_MAX];
	int err, seals;

	err = vmrpc_region_path(r->name, ".lock", path, sizeof(path));
	if (err < 0)
		goto out;
	err = region_runtime_mkdir();
	if (err < 0)
		goto out;
	/* One host side per name: the lock lives as long as the region. */
	r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	r->sealed = true;
	if (adopt_fd >= 0) {
		seals = fcntl(adopt_fd, F_GET_SEALS);
		r->fd = adopt_fd;
		adopt_fd = -1;
		if (seals >= 0 && (seals & REGION_SEALS) == REGION_SEALS && region_map(r) == 0 &&
		    region_same(r, n, cs, size)) {
			region_adopt(r);
			return 0;
		}
		if (r->base)
			munmap(r->base, r->size);
		r->base = NULL;
		close(r->fd);
	}
	r->fd = memfd_create("vmrpc-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0 || ftruncate(r->fd, (off_t)size) < 0 ||
	    fcntl(r->fd, F_ADD_SEALS, REGION_SEALS | F_SEAL_SEAL) < 0) {
		err = -errno;
		goto out;
	}
	err = region_map(r);
	if (err == 0)
		region_init(r, n, cs, size);
out:
	if (adopt_fd >= 0)
		close(adopt_fd);
	return err;
}

/* A region file: path, adopted if it has this geometry, else replaced. */
static int region_create_file(struct vmrpc_region *r, const char *path, uint32_t n,
			      uint32_t cs, uint64_t size)
{
	int err;

	r->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, r->mode);
	if (r->fd < 0)
		return -errno;
	/* One host side per region: the lock lives as long as the fd. */
	if (flock(r->fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	err = region_map(r);
	if (err == 0 && region_same(r, n, cs, size)) {
		if (fchmod(r->fd, r->mode) < 0)
			return -errno;
		region_adopt(r);
		return 0;
	}
	if (r->base) {
		munmap(r->base, r->size);
		r->base = NULL;
	}
	/* A region with other geometry may still be mapped by old callers:
	 * resizing it under them would SIGBUS them, so replace the file. */
	if (err != -VMRPC_EMAGIC || r->size != 0) {
		/* Unlink while still holding the old file's lock, so a second
		 * hostd cannot slip in between. */
		int old_fd = r->fd;

		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		r->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, r->mode);
		close(old_fd);
		if (r->fd < 0)
			return errno == EEXIST ? -EBUSY : -errno;
		if (flock(r->fd, LOCK_EX | LOCK_NB) < 0)
			return errno == EWOULDBLOCK ? -EBUSY : -errno;
	}
	/* A short leftover file is reused in place: drop its bytes first, so
	 * no old n_ifaces or registry entry survives into the new header. */
	if (fchmod(r->fd, r->mode) < 0 || ftruncate(r->fd, 0) < 0 ||
	    ftruncate(r->fd, (off_t)size) < 0)
		return -errno;
	err = region_map(r);
	if (err == 0)
		region_init(r, n, cs, size);
	return err;
}

int vmrpc_hostd_region_create(const char *name, const struct vmrpc_region_opts *opts,
				  struct vmrpc_region **ret_region)
{
	static const struct vmrpc_region_opts none;
	const struct vmrpc_region_opts *o = opts ? opts : &none;
	uint32_t n = o->n_channels ? o->n_channels : REGION_DEFAULT_CHANNELS;
	uint32_t cs = o->chan_size ? o->chan_size : REGION_DEFAULT_CHAN_SIZE;
	int adopt_fd = (o->flags & VMRPC_REGION_ADOPT) ? o->adopt_fd : -1;
	char path[PATH_MAX];
	struct vmrpc_region *r = NULL;
	uint64_t size;
	int err = -EINVAL;

	if (n > VMRPC_CHAN_MAX || cs < VMRPC_CHAN_MIN_SIZE || cs > VMRPC_CHAN_MAX_SIZE ||
	    cs % 4096 || !region_name_valid(name) ||
	    (o->flags & ~(VMRPC_REGION_SEALED | VMRPC_REGION_ADOPT)) ||
	    ((o->flags & VMRPC_REGION_SEALED) && o->path) ||
	    ((o->flags & VMRPC_REGION_ADOPT) && !(o->flags & VMRPC_REGION_SEALED)))
		goto fail;
	size = (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs;
	if (o->size) {
		if (o->size < size || o->size % 4096 || o->size > SIZE_MAX)
			goto fail;
		size = o->size;
	}
	r = region_alloc(name);
	if (!r) {
		err = -ENOMEM;
		goto fail;
	}
	r->mode = o->mode ? o->mode : 0600;
	if (o->flags & VMRPC_REGION_SEALED) {
		err = region_create_sealed(r, n, cs, size, adopt_fd);
		adopt_fd = -1;
	} else if (o->path) {
		err = snprintf(path, sizeof(path), "%s", o->path) >= (int)sizeof(path)
			      ? -ENAMETOOLONG
			      : region_create_file(r, path, n, cs, size);
	} else {
		err = vmrpc_region_path(name, ".region", path, sizeof(path));
		if (err == 0)
			err = region_runtime_mkdir();
		if (err == 0)
			err = region_create_file(r, path, n, cs, size);
	}
	if (err < 0)
		goto fail;
	r->host = true;
	*ret_region = r;
	return 0;
fail:
	if (adopt_fd >= 0)
		close(adopt_fd);
	vmrpc_region_close(r);
	return err;
}

int vmrpc_hostd_region_listen(struct vmrpc_region *r, int *ret_fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (!r->host || !r->sealed)
		return -EINVAL;
	err = vmrpc_region_path(r->name, ".region", a.sun_path, sizeof(a.sun_path));
	if (err < 0)
		return err;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* We hold the name's lock: whatever is here is a dead host side's. */
	if (lstat(a.sun_path, &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode)))
		unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(a.sun_path, r->mode) < 0 ||
	    listen(fd, 64) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int vmrpc_hostd_region_serve(struct vmrpc_region *r, int listen_fd)
{
	struct region_reply rep = { 0 };
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), err;

	if (fd < 0)
		return errno == EWOULDBLOCK || errno == ECONNABORTED ? -EAGAIN : -errno;
	/* A peer that does not read costs it the region, never our time. */
	err = vmrpc_send_fds(fd, &rep, sizeof(rep), &r->fd, 1, MSG_DONTWAIT);
	close(fd);
	return err;
}

