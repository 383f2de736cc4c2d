/* SPDX-License-Identifier: MIT */
/* Regions: naming, creating, mapping and validating the shared memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"
#include "sync.h"

#define REGION_DEFAULT_CHANNELS 32u
#define REGION_DEFAULT_CHAN_SIZE (256u << 10)

static int region_name_valid(const char *name)
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

static int region_runtime_dir(char *buf, size_t size)
{
	const char *d = getenv("VMRPC_RUNTIME_DIR");
	int n;

	if (d && *d)
		n = snprintf(buf, size, "%s", d);
	else if ((d = getenv("XDG_RUNTIME_DIR")) && *d)
		n = snprintf(buf, size, "%s/vmrpc", d);
	else
		n = snprintf(buf, size, "/dev/shm/vmrpc");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

VMRPC_API int vmrpc_region_path(const char *name, const char *suffix, char *buf, size_t size)
{
	char dir[PATH_MAX];
	int n, r;

	if (!region_name_valid(name))
		return -EINVAL;
	r = region_runtime_dir(dir, sizeof(dir));
	if (r < 0)
		return r;
	n = snprintf(buf, size, "%s/%s%s", dir, name, suffix ? suffix : "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Check a mapped header against the file size and copy the geometry. */
static int region_validate(struct vmrpc_region *r)
{
	const struct vmrpc_region_hdr *h = (const void *)r->base;
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	uint32_t n = h->n_channels, cs = h->chan_size;

	if (magic != VMRPC_MAGIC)
		return -VMRPC_EMAGIC;
	if (h->abi_version != VMRPC_ABI_VERSION)
		return -VMRPC_EABI;
	if (h->hdr_size != VMRPC_HDR_SIZE || h->chan_off != VMRPC_HDR_SIZE ||
	    h->region_size != r->size || n == 0 || n > VMRPC_CHAN_MAX ||
	    cs < VMRPC_CHAN_MIN_SIZE || cs > VMRPC_CHAN_MAX_SIZE || cs % 4096 ||
	    (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs > r->size)
		return -VMRPC_EMAGIC;
	r->n_channels = n;
	r->chan_size = cs;
	return 0;
}

static struct vmrpc_region *region_alloc(const char *name)
{
	struct vmrpc_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->bell_fd = -1;
	if (name)
		snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

static int region_map(struct vmrpc_region *r)
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

VMRPC_API int vmrpc_region_open_fd(int fd, struct vmrpc_region **ret_region)
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
	err = region_validate(r);
	if (err < 0)
		goto fail;
	*ret_region = r;
	return 0;
fail:
	vmrpc_region_close(r);
	return err;
}

VMRPC_API int vmrpc_region_open(const char *name, struct vmrpc_region **ret_region)
{
	struct vmrpc_region *r;
	char path[PATH_MAX];
	int fd, err;

	err = vmrpc_region_path(name, ".region", path, sizeof(path));
	if (err < 0)
		return err;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -VMRPC_ENOHOSTD : -errno;
	err = vmrpc_region_open_fd(fd, &r);
	close(fd);
	if (err < 0)
		return err;
	snprintf(r->name, sizeof(r->name), "%s", name);
	/* The doorbell socket, made now so that threads attaching channels
	 * at once share it without a lock. */
	err = region_bell_open(r);
	if (err < 0) {
		vmrpc_region_close(r);
		return err;
	}
	*ret_region = r;
	return 0;
}

/* Reset every channel of an adopted region: the shadows of the previous
 * hostd are gone, so whoever still holds a channel must reattach. */
static void region_reset_channels(struct vmrpc_region *r)
{
	for (uint32_t i = 0; i < r->n_channels; i++)
		vmrpc_host_chan_free(r, i);
}

VMRPC_API int vmrpc_region_create(const char *name, const struct vmrpc_region_opts *opts,
				  struct vmrpc_region **ret_region)
{
	uint32_t n = opts && opts->n_channels ? opts->n_channels : REGION_DEFAULT_CHANNELS;
	uint32_t cs = opts && opts->chan_size ? opts->chan_size : REGION_DEFAULT_CHAN_SIZE;
	mode_t mode = opts && opts->mode ? (mode_t)opts->mode : 0600;
	char path[PATH_MAX], dir[PATH_MAX];
	struct vmrpc_region_hdr *h;
	struct vmrpc_region *r;
	uint64_t size;
	int err;

	if (n > VMRPC_CHAN_MAX || cs < VMRPC_CHAN_MIN_SIZE || cs > VMRPC_CHAN_MAX_SIZE ||
	    cs % 4096)
		return -EINVAL;
	size = (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs;
	if (opts && opts->size) {
		if (opts->size < size || opts->size % 4096 || opts->size > SIZE_MAX)
			return -EINVAL;
		size = opts->size;
	}
	if (!region_name_valid(name))
		return -EINVAL;
	if (opts && opts->path) {
		if (snprintf(path, sizeof(path), "%s", opts->path) >= (int)sizeof(path))
			return -ENAMETOOLONG;
	} else {
		err = vmrpc_region_path(name, ".region", path, sizeof(path));
		if (err < 0)
			return err;
		err = region_runtime_dir(dir, sizeof(dir));
		if (err < 0)
			return err;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
	}

	r = region_alloc(name);
	if (!r)
		return -ENOMEM;
	r->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (r->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* One host side per region: the lock lives as long as the fd. */
	if (flock(r->fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	err = region_map(r);
	if (err == 0 && r->size == size && region_validate(r) == 0 &&
	    r->n_channels == n && r->chan_size == cs) {
		/* Adopt: same geometry, so mappings of the old hostd stay valid. */
		if (fchmod(r->fd, mode) < 0) {
			err = -errno;
			goto fail;
		}
		h = (void *)r->base;
		__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
		h->hostd_pid = (uint32_t)getpid();
		region_reset_channels(r);
		goto done;
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

		if (unlink(path) < 0 && errno != ENOENT) {
			err = -errno;
			goto fail;
		}
		r->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		close(old_fd);
		if (r->fd < 0) {
			err = errno == EEXIST ? -EBUSY : -errno;
			goto fail;
		}
		if (flock(r->fd, LOCK_EX | LOCK_NB) < 0) {
			err = errno == EWOULDBLOCK ? -EBUSY : -errno;
			goto fail;
		}
	}
	/* A short leftover file is reused in place: drop its bytes first, so
	 * no old n_ifaces or registry entry survives into the new header. */
	if (fchmod(r->fd, mode) < 0 || ftruncate(r->fd, 0) < 0 ||
	    ftruncate(r->fd, (off_t)size) < 0) {
		err = -errno;
		goto fail;
	}
	err = region_map(r);
	if (err < 0)
		goto fail;
	h = (void *)r->base;
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
done:
	r->host = 1;
	*ret_region = r;
	return 0;
fail:
	vmrpc_region_close(r);
	return err;
}

VMRPC_API void vmrpc_region_close(struct vmrpc_region *r)
{
	if (!r)
		return;
	if (r->base)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	if (r->bell_fd >= 0)
		close(r->bell_fd);
	if (r->regs)
		munmap(r->regs, r->regs_size);
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
	return k;
}

VMRPC_API int vmrpc_region_fd_move(struct vmrpc_region *r, int fd, int min)
{
	int *slot = fd < 0 ? NULL : fd == r->fd ? &r->fd : fd == r->bell_fd ? &r->bell_fd : NULL;
	int nfd;

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

VMRPC_API struct vmrpc_chan_hdr *vmrpc_region_chan(struct vmrpc_region *r, uint32_t i)
{
	if (i >= r->n_channels)
		return NULL;
	return (struct vmrpc_chan_hdr *)(r->base + VMRPC_HDR_SIZE + (size_t)i * r->chan_size);
}

void region_chan_arena(const struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		       uint64_t *ret_end)
{
	uint64_t chan = (uint64_t)VMRPC_HDR_SIZE + (uint64_t)i * r->chan_size;

	*ret_start = chan + VMRPC_ARENA_OFF;
	*ret_end = chan + r->chan_size;
}
