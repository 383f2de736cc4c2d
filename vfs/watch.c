/* SPDX-License-Identifier: MIT */
/*
 * Changes made on the serving side, for the client's caches: one inotify
 * instance per session watching the directories the client looked up (at
 * most lim.watches), so a change to any name in them, or to a file's data
 * or attributes, is seen. The long-polled watch method turns them into
 * invalidations: of an entry (a name created, removed or moved) and of a
 * node (its data or attributes).
 *
 * What the client did itself is not news: the server compares what it
 * finds with what it last told the client or did (a node's ctime, whether
 * it knows a name), so a client's own writes do not throw its own caches
 * away. inotify gives no pid, so a change on the serving side in the same
 * clock tick as the client's own to the same file can pass for the
 * client's: the attribute timeout then bounds it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "vfsd_internal.h"

#define WATCH_MASK                                                                     \
	(IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
	 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define WATCH_BUF 65536
#define WATCH_WAIT_MAX_MS 60000

int watch_init(struct vfsd_session *s)
{
	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inotify_fd < 0)
		return -errno;
	s->wd_hash = calloc(s->lim.watches, sizeof(*s->wd_hash));
	s->ev_buf = malloc(WATCH_BUF);
	if (!s->wd_hash || !s->ev_buf)
		return -ENOMEM;
	s->watching = true;
	return 0;
}

void watch_free(struct vfsd_session *s)
{
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	free(s->wd_hash);
	free(s->ev_buf);
}

static uint32_t *wd_bucket(struct vfsd_session *s, int wd)
{
	return &s->wd_hash[(uint32_t)wd % s->lim.watches];
}

static struct vfsd_node *node_by_wd(struct vfsd_session *s, int wd, uint32_t *ret_slot)
{
	for (uint32_t slot = *wd_bucket(s, wd); slot; slot = node_at(s, slot)->wd_next)
		if (node_at(s, slot)->wd == wd) {
			*ret_slot = slot;
			return node_at(s, slot);
		}
	return NULL;
}

static void wd_unmap(struct vfsd_session *s, struct vfsd_node *n)
{
	uint32_t slot = node_slot(s, n), *p = wd_bucket(s, n->wd);

	while (*p && *p != slot)
		p = &node_at(s, *p)->wd_next;
	if (*p)
		*p = n->wd_next;
	n->wd_next = 0;
	n->wd = -1;
	s->n_watches--;
}

void watch_dir(struct vfsd_session *s, struct vfsd_node *n, int fd)
{
	char path[64];
	uint32_t slot;
	int wd;

	if (!s->watching || n->wd >= 0 || s->n_watches >= s->lim.watches)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wd = inotify_add_watch(s->inotify_fd, path, WATCH_MASK);
	if (wd < 0)
		return; /* the user's inotify limit: this one is not watched */
	if (node_by_wd(s, wd, &slot))
		return; /* the same directory under two nodes: one is enough */
	slot = node_slot(s, n);
	n->wd = wd;
	n->wd_next = *wd_bucket(s, wd);
	*wd_bucket(s, wd) = slot;
	s->n_watches++;
}

void watch_drop(struct vfsd_session *s, struct vfsd_node *n)
{
	if (n->wd < 0)
		return;
	inotify_rm_watch(s->inotify_fd, n->wd);
	wd_unmap(s, n);
}

void watch_known(struct vfsd_session *s, uint32_t slot, int64_t ctime_ns)
{
	pthread_mutex_lock(&s->lock);
	if (slot < s->n_slots && node_at(s, slot)->used)
		node_at(s, slot)->known_ctime = ctime_ns;
	pthread_mutex_unlock(&s->lock);
}

/* ---- turning inotify events into records ---- */

struct emit {
	char *buf;
	size_t size, len;
};

static bool emit(struct emit *o, uint64_t node, uint32_t kind, const char *name)
{
	size_t namelen = name ? strlen(name) : 0;
	size_t rec = (sizeof(struct vfs_event) + namelen + 7) & ~(size_t)7;
	struct vfs_event ev = { .node = node, .kind = kind, .namelen = (uint32_t)namelen };

	if (o->len + rec > o->size)
		return false;
	memcpy(o->buf + o->len, &ev, sizeof(ev));
	if (namelen) /* name may be NULL: memcpy's arguments must not be */
		memcpy(o->buf + o->len + sizeof(ev), name, namelen);
	memset(o->buf + o->len + sizeof(ev) + namelen, 0, rec - sizeof(ev) - namelen);
	o->len += rec;
	return true;
}

/* Is node slot's file changed since the client last knew it? */
static bool changed_since_known(struct vfsd_session *s, uint32_t slot)
{
	struct vfsd_node *n = node_at(s, slot);
	struct stat st;
	int64_t c;

	if (node_stat_locked(s, slot, &st) < 0)
		return n->used; /* gone or replaced: the client must look again */
	c = stat_ctime_ns(&st);
	if (c == n->known_ctime)
		return false;
	n->known_ctime = c;
	return true;
}

/* One event (locked). false when o is full: it must be tried again. */
static bool translate(struct vfsd_session *s, const struct inotify_event *ev, struct emit *o)
{
	struct vfsd_node *dir, *child;
	uint32_t dslot;
	uint64_t did;

	if (ev->mask & IN_Q_OVERFLOW) {
		s->overflow_cursor = NODE_ROOT; /* everything, from the start */
		return true;
	}
	dir = node_by_wd(s, ev->wd, &dslot);
	if (!dir)
		return true;
	did = node_id(s, dir, dslot);
	if (ev->mask & IN_IGNORED) {
		wd_unmap(s, dir);
		return true;
	}
	if (!ev->len || !ev->name[0]) {
		/* the directory itself */
		if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
			return emit(o, did, VFS_EVENT_INVAL_INODE, NULL);
		if (changed_since_known(s, dslot))
			return emit(o, did, VFS_EVENT_INVAL_INODE, NULL);
		return true;
	}
	child = node_child(s, dslot, ev->name);
	if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		/* A name the client knows went: not the client's doing, which
		 * took it out of the table already. */
		if (!child)
			return true;
		if (o->len + 2 * (sizeof(struct vfs_event) + 8) + strlen(ev->name) > o->size)
			return false;
		emit(o, did, VFS_EVENT_INVAL_ENTRY, ev->name);
		emit(o, node_id(s, child, node_slot(s, child)), VFS_EVENT_INVAL_INODE, NULL);
		node_lost(s, child);
		return true;
	}
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		/* The client's own new names are in the table as they are;
		 * anything else may hide behind a cached "no such file". */
		if (child && !changed_since_known(s, node_slot(s, child)))
			return true;
		return emit(o, did, VFS_EVENT_INVAL_ENTRY, ev->name);
	}
	if ((ev->mask & (IN_MODIFY | IN_ATTRIB)) && child) {
		uint32_t cslot = node_slot(s, child);

		if (changed_since_known(s, cslot))
			return emit(o, node_id(s, child, cslot), VFS_EVENT_INVAL_INODE, NULL);
	}
	return true;
}

/* After an overflow, every node the client holds: its attributes and data
 * (a name's cached absence cannot be reached without its name). */
static void overflow_emit(struct vfsd_session *s, struct emit *o)
{
	while (s->overflow_cursor && s->overflow_cursor < s->n_slots) {
		uint32_t slot = s->overflow_cursor;
		struct vfsd_node *n = node_at(s, slot);

		if (n->used && n->nlookup &&
		    !emit(o, node_id(s, n, slot), VFS_EVENT_INVAL_INODE, NULL))
			return;
		s->overflow_cursor++;
	}
	s->overflow_cursor = 0;
}

static void translate_pending(struct vfsd_session *s, struct emit *o)
{
	pthread_rwlock_wrlock(&s->change_lock);
	pthread_mutex_lock(&s->lock);
	overflow_emit(s, o);
	while (s->ev_pos < s->ev_len && !s->overflow_cursor) {
		const struct inotify_event *ev = (const void *)(s->ev_buf + s->ev_pos);

		if (!translate(s, ev, o))
			break;
		s->ev_pos += sizeof(*ev) + ev->len;
		overflow_emit(s, o);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_rwlock_unlock(&s->change_lock);
}

int64_t vfsd_op_watch(void *ctx, const struct vfs_sid *sid, int32_t wait_ms, void *buf,
		      uint64_t size)
{
	VFSD_OP_BEGIN(ctx, sid, s);
	struct vfsd_peer *p = ctx;
	struct emit o = { .buf = buf, .size = size };
	int64_t deadline, r = 0;

	if (!s->watching) {
		r = -EOPNOTSUPP;
		goto out;
	}
	if (size < sizeof(struct vfs_event) + VFS_NAME_MAX + 8) {
		r = -EINVAL;
		goto out;
	}
	if (pthread_mutex_trylock(&s->watch_lock)) {
		r = -EBUSY;
		goto out;
	}
	if (wait_ms < 0 || wait_ms > WATCH_WAIT_MAX_MS)
		wait_ms = WATCH_WAIT_MAX_MS;
	deadline = vfsd_now_ms() + wait_ms;
	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = s->inotify_fd, .events = POLLIN },
			{ .fd = p->cancel_fd, .events = POLLIN },
		};
		int64_t left;
		ssize_t n;

		translate_pending(s, &o);
		if (o.len || s->ev_pos < s->ev_len || s->overflow_cursor)
			break; /* something to say, or no room left to say it */
		n = read(s->inotify_fd, s->ev_buf, WATCH_BUF);
		if (n > 0) {
			s->ev_len = (size_t)n;
			s->ev_pos = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN) {
			r = -errno;
			break;
		}
		left = deadline - vfsd_now_ms();
		if (left <= 0)
			break;
		if (poll(pf, 2, (int)left) < 0) {
			if (errno != EINTR)
				r = -errno;
			break; /* EINTR: hostd cancels the call */
		}
		if (pf[1].revents & POLLIN)
			break; /* the peer is being stopped */
	}
	pthread_mutex_unlock(&s->watch_lock);
	if (r == 0)
		r = (int64_t)o.len;
out:
	session_put(s);
	return r;
}
