/* SPDX-License-Identifier: MIT */
/*
 * Open files and directories (handles) and POSIX lock owners. A handle id is
 * its slot plus one in the low 32 bits and the slot's generation in the
 * high ones, so a released id is never valid again. A call pins the handle
 * (users); a release while calls run closes its descriptor after the last.
 *
 * POSIX locks belong to the lock owner (a process's files table in the
 * client's kernel), not to the server, which is one process for all of
 * them: each owner gets an open file description of its own for the file,
 * and its locks are OFD locks on it, so owners conflict with each other as
 * on a local file system; closing it (flush) releases them all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfsd_internal.h"

int handles_init(struct vfsd_session *s)
{
	s->h = calloc(s->lim.handles, sizeof(*s->h));
	s->lo = calloc(s->lim.lock_owners, sizeof(*s->lo));
	if (!s->h || !s->lo)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->lim.handles; i++) {
		s->h[i].fd = -1;
		s->h[i].gen = s->h_gen_seed + i;
	}
	return 0;
}

void handles_free(struct vfsd_session *s)
{
	for (uint32_t i = 0; s->h && i < s->lim.handles; i++) {
		if (!s->h[i].used)
			continue;
		close(s->h[i].fd);
		if (s->h[i].is_dir)
			pthread_mutex_destroy(&s->h[i].dir_lock);
		free(s->h[i].dir);
	}
	for (uint32_t i = 0; s->lo && i < s->lim.lock_owners; i++)
		if (s->lo[i].used)
			close(s->lo[i].fd);
	free(s->h);
	free(s->lo);
}

int handle_new(struct vfsd_session *s, int fd, struct vfsd_node *n, bool is_dir,
	       uint64_t *ret_fh)
{
	struct vfsd_dirbuf *dir = NULL;
	int err = -EMFILE;

	if (is_dir && !(dir = calloc(1, sizeof(*dir))))
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < s->lim.handles; i++) {
		struct vfsd_handle *h = &s->h[i];

		if (h->used)
			continue;
		h->used = true;
		h->closing = false;
		h->is_dir = is_dir;
		h->fd = fd;
		h->node = node_slot(s, n);
		h->users = 0;
		h->dir = dir;
		if (is_dir)
			pthread_mutex_init(&h->dir_lock, NULL);
		node_refs_get(n);
		*ret_fh = ((uint64_t)h->gen << 32) | (i + 1);
		err = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	if (err < 0)
		free(dir);
	return err;
}

static struct vfsd_handle *handle_find(struct vfsd_session *s, uint64_t fh, bool dir)
{
	uint32_t i = (uint32_t)fh;
	struct vfsd_handle *h;

	if (!i || i > s->lim.handles)
		return NULL;
	h = &s->h[i - 1];
	if (!h->used || h->closing || h->gen != (uint32_t)(fh >> 32) || h->is_dir != dir)
		return NULL;
	return h;
}

int handle_get(struct vfsd_session *s, uint64_t fh, bool dir, struct vfsd_handle **ret)
{
	struct vfsd_handle *h;

	pthread_mutex_lock(&s->lock);
	h = handle_find(s, fh, dir);
	if (h)
		h->users++;
	pthread_mutex_unlock(&s->lock);
	if (!h)
		return -ESTALE;
	*ret = h;
	return 0;
}

/* The last user of a released handle closes it (locked). */
static void handle_close(struct vfsd_session *s, struct vfsd_handle *h)
{
	close(h->fd);
	h->fd = -1;
	if (h->is_dir)
		pthread_mutex_destroy(&h->dir_lock);
	free(h->dir);
	h->dir = NULL;
	h->used = false;
	h->gen++;
	node_refs_put(s, node_at(s, h->node));
}

void handle_put(struct vfsd_session *s, struct vfsd_handle *h)
{
	pthread_mutex_lock(&s->lock);
	if (--h->users == 0 && h->closing)
		handle_close(s, h);
	pthread_mutex_unlock(&s->lock);
}

int handle_release(struct vfsd_session *s, uint64_t fh, bool dir)
{
	struct vfsd_handle *h;

	pthread_mutex_lock(&s->lock);
	h = handle_find(s, fh, dir);
	if (h) {
		h->closing = true;
		if (!h->users)
			handle_close(s, h);
	}
	pthread_mutex_unlock(&s->lock);
	return h ? 0 : -ESTALE;
}

/* Another open file description of h's file: through /proc/self/fd, which
 * reaches the file itself (even unlinked), else none. */
static int reopen(struct vfsd_session *s, int fd, int flags)
{
	char path[64];
	int r;

	if (!s->srv->have_proc)
		return -EOPNOTSUPP;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return r < 0 ? -errno : r;
}

int lock_owner_fd(struct vfsd_session *s, struct vfsd_handle *h, uint64_t owner, int *ret_fd)
{
	struct vfsd_lock_owner *free_lo = NULL;
	int fd, fl, err = 0;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < s->lim.lock_owners; i++) {
		struct vfsd_lock_owner *lo = &s->lo[i];

		if (lo->used && lo->node == h->node && lo->owner == owner) {
			/* A second descriptor of the same description: a flush
			 * meanwhile cannot make ours name another file. */
			fd = fcntl(lo->fd, F_DUPFD_CLOEXEC, 0);
			pthread_mutex_unlock(&s->lock);
			if (fd < 0)
				return -errno;
			*ret_fd = fd;
			return 0;
		}
		if (!lo->used && !free_lo)
			free_lo = lo;
	}
	if (!free_lo) {
		pthread_mutex_unlock(&s->lock);
		return -ENOLCK;
	}
	/* Read and write where the file allows it, else as the handle. */
	fd = reopen(s, h->fd, O_RDWR);
	if (fd < 0 && fd != -EOPNOTSUPP) {
		fl = fcntl(h->fd, F_GETFL);
		fd = fl < 0 ? -errno : reopen(s, h->fd, fl & O_ACCMODE);
	}
	if (fd < 0) {
		err = fd;
	} else {
		*free_lo = (struct vfsd_lock_owner){
			.used = true, .node = h->node, .owner = owner, .fd = fd,
		};
		node_refs_get(node_at(s, h->node));
		*ret_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (*ret_fd < 0)
			err = -errno;
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

void lock_owner_drop(struct vfsd_session *s, uint32_t node, uint64_t owner)
{
	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < s->lim.lock_owners; i++) {
		struct vfsd_lock_owner *lo = &s->lo[i];

		if (lo->used && lo->node == node && lo->owner == owner) {
			close(lo->fd); /* its locks go with it */
			lo->used = false;
			node_refs_put(s, node_at(s, node));
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
