/* SPDX-License-Identifier: MIT */
/*
 * Changes made on the serving side, pushed into the kernel's caches: a
 * thread of its own long-polls vfs.watch on a sibling channel of its own
 * (so it never holds a channel FUSE requests wait for) and turns each event
 * into fuse_lowlevel_notify_inval_inode (a node's attributes and pages) or
 * fuse_lowlevel_notify_inval_entry (a name in a directory). The server
 * leaves out what this mount did itself, so its own writes keep its
 * caches. Without a watch (no sibling, or a server that cannot) the cache
 * timeouts alone bound how stale the mount may be.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount.h"

/* How long one watch call waits: also how long an unmount waits for the
 * thread to notice it should stop. */
#define MNT_WATCH_WAIT_MS 250
#define MNT_WATCH_BUF (64u << 10)

static void watch_apply(struct mnt *m, const char *buf, size_t len)
{
	size_t pos = 0;
	uint64_t dir = 0; /* a directory whose names changed, not yet invalidated */

	while (pos + sizeof(struct vfs_event) <= len) {
		struct vfs_event ev;
		char name[VFS_NAME_MAX + 1];

		memcpy(&ev, buf + pos, sizeof(ev));
		if (ev.namelen > VFS_NAME_MAX || pos + sizeof(ev) + ev.namelen > len)
			break; /* not a record we can read: the rest is dropped */
		memcpy(name, buf + pos + sizeof(ev), ev.namelen);
		name[ev.namelen] = '\0';
		pos += (sizeof(ev) + ev.namelen + 7) & ~(size_t)7;
		if (!ev.node)
			continue;
		if (ev.kind == VFS_EVENT_INVAL_INODE) {
			(void)fuse_lowlevel_notify_inval_inode(m->se, ev.node, 0, 0);
		} else if (ev.kind == VFS_EVENT_INVAL_ENTRY && ev.namelen &&
			   !memchr(name, '/', ev.namelen) && strlen(name) == ev.namelen) {
			(void)fuse_lowlevel_notify_inval_entry(m->se, ev.node, name, ev.namelen);
			/* The directory's cached listing and attributes go too:
			 * the kernel drops them for a name it had a dentry for,
			 * not for a name new to it. Once per run of events. */
			if (dir && dir != ev.node)
				(void)fuse_lowlevel_notify_inval_inode(m->se, dir, 0, 0);
			dir = ev.node;
		}
	}
	if (dir)
		(void)fuse_lowlevel_notify_inval_inode(m->se, dir, 0, 0);
}

static void *watch_main(void *arg)
{
	struct mnt *m = arg;
	char *buf = malloc(MNT_WATCH_BUF);

	while (buf && !atomic_load(&m->watch_stop) && !atomic_load(&m->lost)) {
		int64_t r = vfs_watch(&m->watch_ch.b, &m->sid, MNT_WATCH_WAIT_MS, buf,
				      MNT_WATCH_BUF);

		if (r < 0 && r > -VMRPC_EBASE) {
			mnt_log("%s: watching the serving side's changes: %s; relying on the "
				"cache timeouts", m->source, vmrpc_strerror((int)r));
			break;
		}
		r = mnt_result(m, r);
		if (r > 0)
			watch_apply(m, buf, (size_t)r > MNT_WATCH_BUF ? MNT_WATCH_BUF : (size_t)r);
	}
	free(buf);
	return NULL;
}

int mnt_watch_start(struct mnt *m)
{
	struct mnt_chan *c = &m->watch_ch;
	int r;

	if (!(m->caps & VFS_CAPS_WATCH) || m->cache == MNT_CACHE_NONE)
		return 0; /* nothing cached, or nothing to be told */
	r = vmrpc_chan_open_sibling(m->g.chan, 5000, &c->chan);
	if (r == 0)
		r = vfs_bind(c->chan, &c->b);
	if (r == 0)
		r = vfs_join(&c->b, &m->sid);
	if (r == 0)
		r = -pthread_create(&m->watch_thread, NULL, watch_main, m);
	if (r < 0) {
		mnt_log("%s: no watch of the serving side's changes (%s); relying on the cache "
			"timeouts", m->source, vmrpc_strerror(r));
		if (c->chan)
			vmrpc_chan_close(c->chan);
		c->chan = NULL;
		return r;
	}
	m->watching = true;
	return 0;
}

void mnt_watch_stop(struct mnt *m)
{
	if (!m->watching)
		return;
	atomic_store(&m->watch_stop, 1);
	pthread_join(m->watch_thread, NULL);
	m->watching = false;
	vmrpc_chan_close(m->watch_ch.chan);
	m->watch_ch.chan = NULL;
}
