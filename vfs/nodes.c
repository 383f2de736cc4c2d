/* SPDX-License-Identifier: MIT */
/*
 * A session's nodes: the files its client looked up, by id. No descriptor
 * per node: a node keeps its parent and name, and its O_PATH descriptor only
 * while it is among the session's most recently used (lim.fds of them). A
 * node is reopened from its parent's descriptor and its name, one component
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) and O_NOFOLLOW, and
 * must still be the same file (dev, ino): else the path is forgotten and the
 * client gets -ESTALE. So no name, symbolic link or rename, racing or not,
 * leads outside the export, and a tree of any size costs a bounded number of
 * descriptors. Everything here runs with the session's lock held, except
 * where a function says otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfsd_internal.h"

#define HASH_FIRST 4096u

static uint32_t name_hash(uint32_t parent, const char *name)
{
	uint32_t h = 2166136261u ^ parent;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static uint32_t ino_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (ino * 0x9e3779b97f4a7c15ull) ^ (dev * 0xc2b2ae3d27d4eb4full);

	return (uint32_t)(h ^ (h >> 32));
}

int name_check(const char *name)
{
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return -EINVAL;
	return 0;
}

int64_t stat_ctime_ns(const struct stat *st)
{
	return (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

void attr_from_stat(struct vfs_attr *a, const struct stat *st)
{
	*a = (struct vfs_attr){
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.blocks = (uint64_t)st->st_blocks,
		.atime = st->st_atim.tv_sec,
		.mtime = st->st_mtim.tv_sec,
		.ctime = st->st_ctim.tv_sec,
		.atime_nsec = (uint32_t)st->st_atim.tv_nsec,
		.mtime_nsec = (uint32_t)st->st_mtim.tv_nsec,
		.ctime_nsec = (uint32_t)st->st_ctim.tv_nsec,
		.mode = st->st_mode,
		.nlink = (uint32_t)st->st_nlink,
		.uid = st->st_uid,
		.gid = st->st_gid,
		.rdev = (uint32_t)st->st_rdev,
		.blksize = (uint32_t)st->st_blksize,
	};
}

uint32_t node_slot(struct vfsd_session *s, const struct vfsd_node *n)
{
	for (uint32_t c = 0; c < s->n_chunks_max && s->chunk[c]; c++)
		if (n >= s->chunk[c] && n < s->chunk[c] + NODE_CHUNK)
			return (c << NODE_CHUNK_SHIFT) | (uint32_t)(n - s->chunk[c]);
	abort();
}

/* ---- the two indexes ---- */

static void index_add(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);
	uint32_t b;

	if (n->name) {
		b = name_hash(n->parent, n->name) & (s->hash_size - 1);
		n->name_next = s->name_hash[b];
		s->name_hash[b] = slot;
	}
	b = ino_hash(n->dev, n->ino) & (s->hash_size - 1);
	n->ino_next = s->ino_hash[b];
	s->ino_hash[b] = slot;
}

static void name_unlink(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);
	uint32_t *p = &s->name_hash[name_hash(n->parent, n->name) & (s->hash_size - 1)];

	while (*p && *p != slot)
		p = &node_at(s, *p)->name_next;
	if (*p)
		*p = n->name_next;
	n->name_next = 0;
}

static void ino_unlink(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);
	uint32_t *p = &s->ino_hash[ino_hash(n->dev, n->ino) & (s->hash_size - 1)];

	while (*p && *p != slot)
		p = &node_at(s, *p)->ino_next;
	if (*p)
		*p = n->ino_next;
	n->ino_next = 0;
}

/* Twice the buckets once there are twice as many nodes: chains stay short. */
static void index_grow(struct vfsd_session *s)
{
	uint32_t size = s->hash_size * 2, *nh, *ih;

	if (s->n_nodes < s->hash_size * 2 || size > s->lim.nodes)
		return;
	nh = calloc(size, sizeof(*nh));
	ih = calloc(size, sizeof(*ih));
	if (!nh || !ih) {
		free(nh);
		free(ih);
		return; /* longer chains, nothing worse */
	}
	free(s->name_hash);
	free(s->ino_hash);
	s->name_hash = nh;
	s->ino_hash = ih;
	s->hash_size = size;
	for (uint32_t i = 1; i < s->n_slots; i++)
		if (node_at(s, i)->used)
			index_add(s, i);
}

struct vfsd_node *node_child(struct vfsd_session *s, uint32_t parent, const char *name)
{
	uint32_t slot = s->name_hash[name_hash(parent, name) & (s->hash_size - 1)];

	for (; slot; slot = node_at(s, slot)->name_next) {
		struct vfsd_node *n = node_at(s, slot);

		if (n->parent == parent && n->name && !strcmp(n->name, name))
			return n;
	}
	return NULL;
}

static struct vfsd_node *node_by_ino(struct vfsd_session *s, uint64_t dev, uint64_t ino)
{
	uint32_t slot = s->ino_hash[ino_hash(dev, ino) & (s->hash_size - 1)];

	for (; slot; slot = node_at(s, slot)->ino_next) {
		struct vfsd_node *n = node_at(s, slot);

		if (n->dev == dev && n->ino == ino)
			return n;
	}
	return NULL;
}

/* ---- descriptors: the LRU ---- */

static void lru_remove(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);

	if (n->lru_prev)
		node_at(s, n->lru_prev)->lru_next = n->lru_next;
	else
		s->lru_head = n->lru_next;
	if (n->lru_next)
		node_at(s, n->lru_next)->lru_prev = n->lru_prev;
	else
		s->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = 0;
}

static void lru_push(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);

	n->lru_prev = 0;
	n->lru_next = s->lru_head;
	if (s->lru_head)
		node_at(s, s->lru_head)->lru_prev = slot;
	else
		s->lru_tail = slot;
	s->lru_head = slot;
}

static void node_close_fd(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);

	if (n->fd < 0 || slot == NODE_ROOT)
		return;
	lru_remove(s, slot);
	close(n->fd);
	n->fd = -1;
	s->n_fds--;
}

/* Close the least recently used descriptors nobody uses, down to the bound. */
static void lru_trim(struct vfsd_session *s)
{
	uint32_t slot = s->lru_tail;

	while (s->n_fds > s->lim.fds && slot) {
		uint32_t prev = node_at(s, slot)->lru_prev;

		if (!node_at(s, slot)->users)
			node_close_fd(s, slot);
		slot = prev;
	}
}

/* ---- life and death ---- */

static void node_free(struct vfsd_session *s, uint32_t slot)
{
	while (slot && slot != NODE_ROOT) {
		struct vfsd_node *n = node_at(s, slot);
		uint32_t parent;

		if (!n->used || n->nlookup || n->refs || n->users)
			return;
		node_close_fd(s, slot);
		watch_drop(s, n);
		if (n->name)
			name_unlink(s, slot);
		ino_unlink(s, slot);
		free(n->name);
		n->name = NULL;
		parent = n->parent;
		n->parent = 0;
		n->used = false;
		n->gen++; /* the next node in this slot has another id */
		n->free_next = s->free_head;
		s->free_head = slot;
		s->n_nodes--;
		if (!parent)
			return;
		node_at(s, parent)->refs--;
		slot = parent; /* it may have lived only for this child */
	}
}

void node_refs_get(struct vfsd_node *n)
{
	n->refs++;
}

void node_refs_put(struct vfsd_session *s, struct vfsd_node *n)
{
	n->refs--;
	node_free(s, node_slot(s, n));
}

/* Forget the node's path: it is not what parent/name names any more. */
void node_lost(struct vfsd_session *s, struct vfsd_node *n)
{
	uint32_t slot = node_slot(s, n), parent = n->parent;

	if (!n->name)
		return;
	name_unlink(s, slot);
	free(n->name);
	n->name = NULL;
	n->parent = 0;
	if (parent) {
		node_at(s, parent)->refs--;
		node_free(s, parent);
	}
}

/* Whether slot is parent or one of its ancestors as the table has them. */
static bool node_is_ancestor(struct vfsd_session *s, uint32_t slot, uint32_t parent)
{
	for (uint32_t i = 0; parent && i <= s->n_slots; i++) {
		if (parent == slot)
			return true;
		parent = node_at(s, parent)->parent;
	}
	return false;
}

/* slot is now name in parent. Never a loop in the table: where the table's
 * picture of the tree is out of date that much, the node loses its path. */
static void node_set_path(struct vfsd_session *s, uint32_t slot, uint32_t parent, char *name)
{
	struct vfsd_node *n = node_at(s, slot);
	uint32_t b;

	if (node_is_ancestor(s, slot, parent)) {
		node_lost(s, n);
		free(name);
		return;
	}
	node_at(s, parent)->refs++; /* before node_lost may free the old parent */
	node_lost(s, n);
	n->parent = parent;
	n->name = name;
	b = name_hash(parent, name) & (s->hash_size - 1);
	n->name_next = s->name_hash[b];
	s->name_hash[b] = slot;
}

static int node_alloc(struct vfsd_session *s, uint32_t *ret_slot)
{
	uint32_t slot;
	struct vfsd_node *n;

	if (s->free_head) {
		slot = s->free_head;
		n = node_at(s, slot);
		s->free_head = n->free_next;
	} else {
		if (s->n_slots >= s->lim.nodes)
			return -ENFILE;
		slot = s->n_slots;
		if (!s->chunk[slot >> NODE_CHUNK_SHIFT]) {
			s->chunk[slot >> NODE_CHUNK_SHIFT] = calloc(NODE_CHUNK, sizeof(struct vfsd_node));
			if (!s->chunk[slot >> NODE_CHUNK_SHIFT])
				return -ENOMEM;
		}
		s->n_slots++;
		n = node_at(s, slot);
		n->gen = s->gen_seed + slot; /* ids of another session rarely match */
	}
	n->used = true;
	n->fd = -1;
	n->wd = -1;
	n->nlookup = n->refs = n->users = 0;
	n->parent = 0;
	n->name = NULL;
	n->free_next = 0;
	s->n_nodes++;
	*ret_slot = slot;
	return 0;
}

int nodes_init(struct vfsd_session *s)
{
	struct vfsd_node *root;
	struct stat st;
	uint32_t slot;

	s->n_chunks_max = (s->lim.nodes + NODE_CHUNK - 1) / NODE_CHUNK;
	s->chunk = calloc(s->n_chunks_max, sizeof(*s->chunk));
	s->hash_size = HASH_FIRST;
	s->name_hash = calloc(s->hash_size, sizeof(uint32_t));
	s->ino_hash = calloc(s->hash_size, sizeof(uint32_t));
	if (!s->chunk || !s->name_hash || !s->ino_hash)
		return -ENOMEM;
	if (fstat(s->root_fd, &st) < 0)
		return -errno;
	s->n_slots = NODE_ROOT; /* slot 0 is "none" */
	if (node_alloc(s, &slot) < 0)
		return -ENOMEM;
	root = node_at(s, slot);
	root->gen = 0; /* id 1: FUSE's root */
	root->fd = s->root_fd;  /* the session's: closed with it, never here */
	root->nlookup = 1;      /* never forgotten */
	root->dev = st.st_dev;
	root->ino = st.st_ino;
	root->type = st.st_mode & S_IFMT;
	root->known_ctime = stat_ctime_ns(&st);
	index_add(s, slot);
	return 0;
}

void nodes_free(struct vfsd_session *s)
{
	for (uint32_t i = NODE_ROOT + 1; i < s->n_slots; i++) {
		struct vfsd_node *n = node_at(s, i);

		if (n->used && n->fd >= 0)
			close(n->fd);
		if (n->used)
			free(n->name);
	}
	for (uint32_t c = 0; s->chunk && c < s->n_chunks_max; c++)
		free(s->chunk[c]);
	free(s->chunk);
	free(s->name_hash);
	free(s->ino_hash);
}

struct vfsd_node *node_find(struct vfsd_session *s, uint64_t id, uint32_t *ret_slot)
{
	uint32_t slot = (uint32_t)id;
	struct vfsd_node *n;

	if (!slot || slot >= s->n_slots)
		return NULL;
	n = node_at(s, slot);
	if (!n->used || n->gen != (uint32_t)(id >> 32))
		return NULL;
	if (ret_slot)
		*ret_slot = slot;
	return n;
}

/* openat2 with everything that keeps one component inside the export. */
static int open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

int vfsd_open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	return open_beneath(dirfd, name, flags, mode);
}

/* Give node slot a descriptor (it has none): from its parent's, which is
 * opened the same way first, down from the nearest ancestor that has one. */
static int node_open(struct vfsd_session *s, uint32_t slot)
{
	uint32_t *chain = NULL, n_chain = 0, cap = 0, top = slot;
	int err = 0;

	while (node_at(s, top)->fd < 0) {
		struct vfsd_node *n = node_at(s, top);

		if (!n->name || n_chain > s->n_slots) { /* no path (or a loop: a bug) */
			free(chain);
			return -ESTALE;
		}
		if (n_chain == cap) {
			uint32_t *c = realloc(chain, (cap = cap ? cap * 2 : 16) * sizeof(*c));

			if (!c) {
				free(chain);
				return -ENOMEM;
			}
			chain = c;
		}
		chain[n_chain++] = top;
		top = n->parent;
	}
	while (n_chain && err == 0) {
		uint32_t c = chain[--n_chain];
		struct vfsd_node *n = node_at(s, c), *p = node_at(s, n->parent);
		struct stat st;
		int fd;

		p->users++; /* not evicted while its child opens */
		fd = open_beneath(p->fd, n->name, O_PATH, 0);
		p->users--;
		if (fd < 0)
			err = fd == -ENOENT || fd == -ELOOP || fd == -EXDEV ? -ESTALE : fd;
		else if (fstat(fd, &st) < 0)
			err = -errno;
		else if ((uint64_t)st.st_dev != n->dev || (uint64_t)st.st_ino != n->ino)
			err = -ESTALE; /* replaced on the serving side */
		if (err < 0) {
			if (fd >= 0)
				close(fd);
			if (err == -ESTALE)
				node_lost(s, n);
			break;
		}
		n->fd = fd;
		s->n_fds++;
		lru_push(s, c);
		lru_trim(s);
	}
	free(chain);
	return err;
}

static int node_pin(struct vfsd_session *s, uint32_t slot, struct vfsd_ref *ret)
{
	struct vfsd_node *n = node_at(s, slot);
	int err;

	if (n->fd < 0) {
		err = node_open(s, slot);
		if (err < 0)
			return err;
	} else if (slot != NODE_ROOT) {
		lru_remove(s, slot);
		lru_push(s, slot);
	}
	n->users++;
	*ret = (struct vfsd_ref){ .n = n, .fd = n->fd };
	return 0;
}

int node_ref(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret)
{
	uint32_t slot;
	int err;

	pthread_mutex_lock(&s->lock);
	if (!node_find(s, id, &slot))
		err = -ESTALE;
	else
		err = node_pin(s, slot, ret);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int node_ref_dir(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret)
{
	int err = node_ref(s, id, ret);

	if (err == 0 && ret->n->type != S_IFDIR) {
		node_unref(s, ret);
		return -ENOTDIR;
	}
	return err;
}

int node_ref_parent(struct vfsd_session *s, uint64_t id, struct vfsd_ref *ret_parent,
		    char name[NAME_MAX + 1])
{
	struct vfsd_node *n;
	int err;

	pthread_mutex_lock(&s->lock);
	n = node_find(s, id, NULL);
	if (!n || !n->name) {
		err = -ESTALE;
	} else {
		snprintf(name, NAME_MAX + 1, "%s", n->name);
		err = node_pin(s, n->parent, ret_parent);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

void node_unref(struct vfsd_session *s, struct vfsd_ref *r)
{
	if (!r->n)
		return;
	pthread_mutex_lock(&s->lock);
	r->n->users--;
	if (s->n_fds > s->lim.fds)
		lru_trim(s);
	node_free(s, node_slot(s, r->n));
	pthread_mutex_unlock(&s->lock);
	r->n = NULL;
}

int node_enter(struct vfsd_session *s, struct vfsd_node *parent, const char *name,
	       const struct stat *st, struct vfs_entry *e)
{
	uint32_t pslot, slot;
	struct vfsd_node *n, *old;
	char *copy;
	int err = 0;

	pthread_mutex_lock(&s->lock);
	pslot = node_slot(s, parent);
	old = node_child(s, pslot, name);
	n = node_by_ino(s, st->st_dev, st->st_ino);
	if (old && old != n)
		node_lost(s, old); /* replaced on the serving side */
	if (n) {
		slot = node_slot(s, n);
		if (n != old && slot != NODE_ROOT) {
			/* a hard link, or a file that moved: this name works now */
			copy = strdup(name);
			if (copy)
				node_set_path(s, slot, pslot, copy);
		}
		if ((n->type ^ st->st_mode) & S_IFMT)
			n->type = st->st_mode & S_IFMT;
	} else {
		copy = strdup(name);
		err = copy ? node_alloc(s, &slot) : -ENOMEM;
		if (err < 0) {
			free(copy);
			goto out;
		}
		n = node_at(s, slot);
		n->dev = st->st_dev;
		n->ino = st->st_ino;
		n->type = st->st_mode & S_IFMT;
		n->parent = pslot;
		n->name = copy;
		parent->refs++;
		index_add(s, slot);
		index_grow(s);
	}
	n->nlookup++;
	n->known_ctime = stat_ctime_ns(st);
	if (n->type == S_IFDIR && s->watching && n->wd < 0) {
		struct vfsd_ref r;

		if (node_pin(s, slot, &r) == 0) {
			watch_dir(s, n, r.fd);
			n->users--;
		}
	}
	e->node = node_id(s, n, slot);
	e->generation = n->gen;
	attr_from_stat(&e->attr, st);
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

void node_name_gone(struct vfsd_session *s, struct vfsd_node *parent, const char *name)
{
	struct vfsd_node *n;

	pthread_mutex_lock(&s->lock);
	n = node_child(s, node_slot(s, parent), name);
	if (n)
		node_lost(s, n);
	pthread_mutex_unlock(&s->lock);
}

void node_renamed(struct vfsd_session *s, struct vfsd_node *parent, const char *name,
		  struct vfsd_node *newparent, const char *newname, bool exchange)
{
	uint32_t ps, nps;
	struct vfsd_node *from, *to;
	char *a = NULL, *b = NULL;

	pthread_mutex_lock(&s->lock);
	ps = node_slot(s, parent);
	nps = node_slot(s, newparent);
	from = node_child(s, ps, name);
	to = node_child(s, nps, newname);
	if (to && to != from) {
		if (exchange && (a = strdup(name)))
			node_set_path(s, node_slot(s, to), ps, a);
		else
			node_lost(s, to);
	}
	if (from && from != to) {
		b = strdup(newname);
		if (b)
			node_set_path(s, node_slot(s, from), nps, b);
		else
			node_lost(s, from);
	}
	pthread_mutex_unlock(&s->lock);
}

void node_forget(struct vfsd_session *s, uint64_t id, uint64_t nlookup)
{
	uint32_t slot;
	struct vfsd_node *n;

	pthread_mutex_lock(&s->lock);
	n = node_find(s, id, &slot);
	if (n && slot != NODE_ROOT) {
		n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
		node_free(s, slot);
	}
	pthread_mutex_unlock(&s->lock);
}

/* stat through the parent and the name: the caller holds the lock and has
 * pinned nothing; the lock is dropped around the system call when unlock. */
static int node_stat_by_name(struct vfsd_session *s, uint32_t slot, struct stat *st, bool unlock)
{
	struct vfsd_node *n = node_at(s, slot);
	uint32_t pslot = n->parent;
	char name[NAME_MAX + 1];
	struct vfsd_ref pr;
	int err;

	snprintf(name, sizeof(name), "%s", n->name);
	err = node_pin(s, pslot, &pr);
	if (err < 0)
		return err;
	n->users++;
	if (unlock)
		pthread_mutex_unlock(&s->lock);
	err = fstatat(pr.fd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	if (unlock)
		pthread_mutex_lock(&s->lock);
	n->users--;
	pr.n->users--;
	if (err == -ENOENT || (err == 0 && ((uint64_t)st->st_dev != n->dev ||
					    (uint64_t)st->st_ino != n->ino)))
		err = -ESTALE;
	/* Still the path we looked at: it is wrong now. */
	if (err == -ESTALE && n->name && n->parent == pslot && !strcmp(n->name, name))
		node_lost(s, n);
	node_free(s, pslot);
	node_free(s, slot);
	return err;
}

static int node_stat_slot(struct vfsd_session *s, uint32_t slot, struct stat *st, bool unlock)
{
	struct vfsd_node *n = node_at(s, slot);
	struct vfsd_ref r;
	int err;

	if (n->fd < 0 && n->name)
		err = node_stat_by_name(s, slot, st, unlock);
	else if ((err = node_pin(s, slot, &r)) == 0) {
		if (unlock)
			pthread_mutex_unlock(&s->lock);
		err = fstat(r.fd, st) < 0 ? -errno : 0;
		if (unlock)
			pthread_mutex_lock(&s->lock);
		n->users--;
		node_free(s, slot);
	}
	return err;
}

int node_stat(struct vfsd_session *s, uint64_t id, struct stat *st)
{
	uint32_t slot;
	int err;

	pthread_mutex_lock(&s->lock);
	if (!node_find(s, id, &slot))
		err = -ESTALE;
	else
		err = node_stat_slot(s, slot, st, true);
	if (err == 0 && node_find(s, id, NULL))
		node_at(s, slot)->known_ctime = stat_ctime_ns(st);
	pthread_mutex_unlock(&s->lock);
	return err;
}

int node_stat_locked(struct vfsd_session *s, uint32_t slot, struct stat *st)
{
	return node_stat_slot(s, slot, st, false);
}

/* Reopen an O_PATH descriptor's file through /proc/self/fd: the file
 * itself, whatever its name is now. */
static int reopen_proc(struct vfsd_session *s, int fd, int flags)
{
	char path[64];
	int r;

	if (!s->srv->have_proc)
		return -ESTALE;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, (flags & ~O_NOFOLLOW) | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

int node_open_file(struct vfsd_session *s, uint64_t id, int flags, struct vfsd_ref *ret,
		   struct stat *ret_st)
{
	char name[NAME_MAX + 1];
	struct vfsd_node *n;
	struct vfsd_ref pr = { 0 }, r = { 0 };
	uint32_t slot, pslot = 0;
	int fd, err = 0;

	pthread_mutex_lock(&s->lock);
	n = node_find(s, id, &slot);
	if (!n) {
		pthread_mutex_unlock(&s->lock);
		return -ESTALE;
	}
	n->users++;
	if (slot != NODE_ROOT && n->name) {
		pslot = n->parent;
		snprintf(name, sizeof(name), "%s", n->name);
		err = node_pin(s, pslot, &pr);
	} else if (slot == NODE_ROOT || n->fd >= 0) {
		err = node_pin(s, slot, &r);
	} else {
		err = -ESTALE;
	}
	pthread_mutex_unlock(&s->lock);
	if (err < 0)
		goto fail;
	if (pr.n) {
		fd = vfsd_open_beneath(pr.fd, name, flags, 0);
		node_unref(s, &pr);
	} else if (slot == NODE_ROOT) {
		fd = openat(r.fd, ".", flags | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
	} else {
		fd = reopen_proc(s, r.fd, flags);
	}
	if (r.n) {
		pthread_mutex_lock(&s->lock);
		r.n->users--;
		pthread_mutex_unlock(&s->lock);
	}
	if (fd < 0) {
		err = fd == -ENOENT || fd == -ELOOP ? -ESTALE : fd;
	} else if (fstat(fd, ret_st) < 0) {
		err = -errno;
	} else if ((uint64_t)ret_st->st_dev != n->dev || (uint64_t)ret_st->st_ino != n->ino) {
		err = -ESTALE;
	}
	if (err < 0) {
		if (fd >= 0)
			close(fd);
		if (err == -ESTALE && pslot) {
			pthread_mutex_lock(&s->lock);
			if (n->name && n->parent == pslot && !strcmp(n->name, name))
				node_lost(s, n);
			pthread_mutex_unlock(&s->lock);
		}
		goto fail;
	}
	*ret = (struct vfsd_ref){ .n = n, .fd = fd };
	return 0;
fail:
	pthread_mutex_lock(&s->lock);
	n->users--;
	node_free(s, slot);
	pthread_mutex_unlock(&s->lock);
	return err;
}
