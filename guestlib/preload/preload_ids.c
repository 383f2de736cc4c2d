/* SPDX-License-Identifier: MIT */
/*
 * uid and gid changes. A shadow runs as the user hostd saw attach the
 * channel: on loopback, the ids the kernel stamps on the attach doorbell
 * (SO_PASSCRED: the real uid and gid). A process that changes its ids must
 * not go on with a shadow of the old ones: a root program that drops to
 * nobody (setpriv, su, a daemon) would keep root's host access, and the
 * unprivileged program it execs would read root's files (finding 9 of
 * issue 10). So after every successful call below the host context is
 * detached (host_ids_changed(): host descriptors fail with EBADF from
 * then on), with the lock held across the change so no other thread's
 * host call slips in between, and the next host call attaches afresh.
 *
 * That attach is refused (EACCES) while the real ids differ from the
 * effective or file-system ones: the kernel would stamp the real ones,
 * and a shadow of the real user is not what a program that did
 * seteuid(user) to act for that user asked for. Once they agree again
 * (seteuid back), host calls attach as usual.
 *
 * Changes no wrapper sees (a raw syscall(), a statically linked su) are
 * caught when the process next execs a program with the shim: the exec
 * state carries the ids the channel was attached with (preload_exec.c;
 * preload_host.c, host_adopt()).
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <sys/fsuid.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload.h"

_Static_assert(sizeof(uid_t) == sizeof(unsigned) && sizeof(gid_t) == sizeof(unsigned),
	       "uid_t and gid_t are unsigned int");

/* The change r < 0 reported, or a detach after it succeeded. */
static int ids_changed(int r)
{
	int saved = errno;

	if (r == 0) {
		host_ids_changed();
		errno = saved;
	}
	return r;
}

/* libc's setter f, with the lock held across the change. */
static int set1(int (*f)(unsigned), unsigned a)
{
	int r;

	LOCK();
	r = ids_changed(f(a));
	UNLOCK();
	return r;
}

static int set2(int (*f)(unsigned, unsigned), unsigned a, unsigned b)
{
	int r;

	LOCK();
	r = ids_changed(f(a, b));
	UNLOCK();
	return r;
}

static int set3(int (*f)(unsigned, unsigned, unsigned), unsigned a, unsigned b, unsigned c)
{
	int r;

	LOCK();
	r = ids_changed(f(a, b, c));
	UNLOCK();
	return r;
}

EXPORT int setuid(uid_t uid)
{
	return set1(REAL(setuid), uid);
}

EXPORT int seteuid(uid_t euid)
{
	return set1(REAL(seteuid), euid);
}

EXPORT int setreuid(uid_t ruid, uid_t euid)
{
	return set2(REAL(setreuid), ruid, euid);
}

EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	return set3(REAL(setresuid), ruid, euid, suid);
}

EXPORT int setgid(gid_t gid)
{
	return set1(REAL(setgid), gid);
}

EXPORT int setegid(gid_t egid)
{
	return set1(REAL(setegid), egid);
}

EXPORT int setregid(gid_t rgid, gid_t egid)
{
	return set2(REAL(setregid), rgid, egid);
}

EXPORT int setresgid(gid_t rgid, gid_t egid, gid_t sgid)
{
	return set3(REAL(setresgid), rgid, egid, sgid);
}

EXPORT int setgroups(size_t n, const gid_t *groups)
{
	int r;

	LOCK();
	r = ids_changed(REAL(setgroups)(n, groups));
	UNLOCK();
	return r;
}

/* setfsuid and setfsgid return the previous id and never fail: asking
 * with an invalid id (-1) changes nothing and tells the current one. */
static int setfs(int (*f)(unsigned), unsigned id)
{
	int prev;

	LOCK();
	prev = f(id);
	if ((unsigned)f((unsigned)-1) != (unsigned)prev)
		ids_changed(0);
	UNLOCK();
	return prev;
}

EXPORT int setfsuid(uid_t fsuid)
{
	return setfs(REAL(setfsuid), fsuid);
}

EXPORT int setfsgid(gid_t fsgid)
{
	return setfs(REAL(setfsgid), fsgid);
}

int preload_ids_ok(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (euid != ruid || (uid_t)REAL(setfsuid)((uid_t)-1) != ruid || egid != rgid ||
	    (gid_t)REAL(setfsgid)((gid_t)-1) != rgid)
		return -EACCES;
	return 0;
}
