/* SPDX-License-Identifier: MIT */
/*
 * The session vmrpc-mount holds on the serving side, and the channels its
 * FUSE threads call through. A channel carries one call at a time, so
 * each call takes a free channel from the pool and gives it back. The
 * pool is the attached channel and its siblings (vmrpc_chan_open_sibling):
 * one shadow serves them all in threads of its own, with one session, so
 * a mount's requests run in parallel on the host as they do here.
 *
 * A vmrpc error (not an errno) from a call means the channel is broken
 * for good: hostd reset it, the shadow died, or the region was written
 * over. The mount cannot recover its node ids from another shadow, so it
 * ends: one message, every request from then on gets EIO, and the main
 * thread is woken to unmount (never a hang for the programs using it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mount.h"

static void mnt_detach(struct mnt *m)
{
	if (m->vm) {
		vmrpc_chan_close(m->g.chan);
		m->g.chan = NULL;
	} else {
		vmrpc_guest_detach(&m->g);
	}
}

int mnt_connect(struct mnt *m, char *err, size_t err_size)
{
	struct vfs_entry root;
	uint32_t n_channels, chan_size;
	int r;

	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->lockers_lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	if (m->vm) {
		/* the reverse direction: a guest tree, served by the VM's guestd */
		r = vmrpc_vm_open(m->vm, 5000, &m->g.chan);
		if (r < 0) {
			snprintf(err, err_size, "VM '%s': %s", m->vm, vmrpc_strerror(r));
			return r;
		}
	} else {
		r = vmrpc_guest_attach(m->region, &m->g);
		if (r < 0) {
			snprintf(err, err_size, "region '%s': %s",
				 m->region ? m->region : vmrpc_guest_default_region(),
				 vmrpc_strerror(r));
			return r;
		}
	}
	if (m->spin_ns != UINT32_MAX)
		vmrpc_chan_set_spin(m->g.chan, m->spin_ns);
	r = vfs_bind(m->g.chan, &m->ch[0].b);
	if (r < 0) {
		snprintf(err, err_size, "%s serves no file systems (vfs): %s",
			 m->vm ? "the guest (guestd.conf has no export)" : "the host",
			 vmrpc_strerror(r));
		goto fail;
	}
	m->ch[0].chan = m->g.chan;
	m->n_ch = 1;
	r = vfs_mount(&m->ch[0].b, m->export,
		      (m->read_only ? VFS_MOUNT_RO : 0) |
			      (m->cache != MNT_CACHE_NONE ? VFS_MOUNT_WATCH : 0),
		      &m->sid, &root, &m->caps);
	if (r < 0) {
		if (r == -ENOENT && m->vm)
			snprintf(err, err_size, "%s: the guest exports no '%s' (guestd.conf's "
				 "export and export-ro)", m->source, m->export);
		else if (r == -ENOENT)
			snprintf(err, err_size, "%s: the host exports no '%s' to this VM "
				 "(hostd's export and export-ro)", m->source, m->export);
		else if (r == -ENOTDIR)
			snprintf(err, err_size, "%s: not a directory in the export (a symbolic "
				 "link to one is not followed there)", m->source);
		else if (r == -EXDEV)
			snprintf(err, err_size, "%s: the path leaves the export", m->source);
		else
			snprintf(err, err_size, "%s: %s", m->source, vmrpc_strerror(r));
		goto fail;
	}
	/* Reads and writes larger than a channel's arena are split. */
	vmrpc_region_geometry(vmrpc_chan_region(m->g.chan), &n_channels, &chan_size);
	m->io_chunk = chan_size > 8192 ? ((chan_size - 4096) & ~(size_t)4095) : 4096;
	if (m->io_chunk > (1u << 20))
		m->io_chunk = 1u << 20;
	if (m->caps & VFS_CAPS_RO)
		m->read_only = true;
	return 0;
fail:
	mnt_detach(m);
	m->n_ch = 0;
	return r;
}

void mnt_more_channels(struct mnt *m)
{
	/* Siblings: more channels served by the same shadow, each in a
	 * thread there, sharing the session's node and handle tables. */
	while (m->n_ch < m->channels) {
		struct mnt_chan *c = &m->ch[m->n_ch];
		int r = vmrpc_chan_open_sibling(m->g.chan, 5000, &c->chan);

		if (r < 0) {
			mnt_log("%s: %u channel(s) only: another one: %s", m->source, m->n_ch,
				vmrpc_strerror(r));
			return;
		}
		if (m->spin_ns != UINT32_MAX)
			vmrpc_chan_set_spin(c->chan, m->spin_ns);
		r = vfs_bind(c->chan, &c->b);
		if (r == 0)
			r = vfs_join(&c->b, &m->sid);
		if (r < 0) {
			mnt_log("%s: %u channel(s) only: a sibling cannot join: %s", m->source,
				m->n_ch, vmrpc_strerror(r));
			vmrpc_chan_close(c->chan);
			c->chan = NULL;
			return;
		}
		m->n_ch++;
	}
}

void mnt_disconnect(struct mnt *m)
{
	if (m->n_ch && !atomic_load(&m->lost))
		(void)vfs_unmount(&m->ch[0].b, &m->sid);
	for (unsigned int i = 1; i < m->n_ch; i++)
		vmrpc_chan_close(m->ch[i].chan);
	m->n_ch = 0;
	mnt_detach(m);
}

struct mnt_chan *mnt_chan_get(struct mnt *m)
{
	struct mnt_chan *c = NULL;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		for (unsigned int i = 0; i < m->n_ch && !c; i++)
			if (!m->ch[i].busy)
				c = &m->ch[i];
		if (c)
			break;
		pthread_cond_wait(&m->cond, &m->lock);
	}
	c->busy = true;
	pthread_mutex_unlock(&m->lock);
	return c;
}

void mnt_chan_put(struct mnt *m, struct mnt_chan *c)
{
	pthread_mutex_lock(&m->lock);
	c->busy = false;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

int64_t mnt_result(struct mnt *m, int64_t r)
{
	int expected = 0;

	if (r >= 0 || r > -VMRPC_EBASE)
		return r;
	if (r == -VMRPC_E2BIG)
		return -E2BIG; /* this request only: the channel is fine */
	if (atomic_compare_exchange_strong(&m->lost, &expected, 1)) {
		mnt_log("%s on %s: the serving side went away (%s); unmounting", m->source,
			m->mountpoint, vmrpc_strerror((int)r));
		/* The main thread's handler ends the loop: workers block signals. */
		kill(getpid(), SIGTERM);
	}
	return -EIO;
}
