/* SPDX-License-Identifier: MIT */
/*
 * Which lock owners may hold POSIX locks on the serving side. The kernel
 * sends a flush on every close, with the closing process's lock owner, so
 * that the owner's locks on the file go (POSIX: any close does it). The
 * serving side's flush does nothing else (vfs/handles.c), so a flush for an
 * owner that never asked for a lock on that node needs no call: that is
 * almost every close. A pair is noted before its first getlk or setlk is
 * sent and forgotten when its flush has been sent; when the table is full,
 * every flush from then on is sent.
 */
#include "mount.h"

void mnt_lockers_note(struct mnt *m, uint64_t ino, uint64_t owner)
{
	pthread_mutex_lock(&m->lockers_lock);
	for (unsigned int i = 0; i < m->n_lockers; i++)
		if (m->lockers[i].ino == ino && m->lockers[i].owner == owner)
			goto out;
	if (m->n_lockers < MNT_LOCKERS_MAX)
		m->lockers[m->n_lockers++] = (struct mnt_locker){ .ino = ino, .owner = owner };
	else
		m->lockers_full = true;
out:
	pthread_mutex_unlock(&m->lockers_lock);
}

bool mnt_lockers_flush(struct mnt *m, uint64_t ino, uint64_t owner)
{
	bool send = false;

	pthread_mutex_lock(&m->lockers_lock);
	for (unsigned int i = 0; i < m->n_lockers; i++) {
		if (m->lockers[i].ino == ino && m->lockers[i].owner == owner) {
			m->lockers[i] = m->lockers[--m->n_lockers];
			send = true;
			break;
		}
	}
	send = send || m->lockers_full;
	pthread_mutex_unlock(&m->lockers_lock);
	return send;
}
