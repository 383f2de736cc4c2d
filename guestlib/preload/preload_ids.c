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
 * state carries the ids the channel was attached with (preload.c,
 * host_adopt()).
 */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <sys/fsuid.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload.h"

static void *next_setuid, *next_seteuid, *next_setreuid, *next_setresuid;
static void *next_setgid, *next_setegid, *next_setregid, *next_setresgid;
static void *next_setgroups, *next_setfsuid, *next_setfsgid;

typedef int (*set1_fn)(unsigned);
typedef int (*set2_fn)(unsigned, unsigned);
typedef int (*set3_fn)(unsigned, unsigned, unsigned);

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

static int set1(void **slot, const char *name, unsigned a)
{
	int r;

	LOCK();
	r = ids_changed(((set1_fn)preload_next(slot, name))(a));
	UNLOCK();
	return r;
}

static int set2(void **slot, const char *name, unsigned a, unsigned b)
{
	int r;

	LOCK();
	r = ids_changed(((set2_fn)preload_next(slot, name))(a, b));
	UNLOCK();
	return r;
}

static int set3(void **slot, const char *name, unsigned a, unsigned b, unsigned c)
{
	int r;

	LOCK();
	r = ids_changed(((set3_fn)preload_next(slot, name))(a, b, c));
	UNLOCK();
	return r;
}

EXPORT int setuid(uid_t uid)
{
	return set1(&next_setuid, "setuid", uid);
}

EXPORT int seteuid(uid_t euid)
{
	return set1(&next_seteuid, "seteuid", euid);
}

EXPORT int setreuid(uid_t ruid, uid_t euid)
{
	return set2(&next_setreuid, "setreuid", ruid, euid);
}

EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	return set3(&next_setresuid, "setresuid", ruid, euid, suid);
}

EXPORT int setgid(gid_t gid)
{
	return set1(&next_setgid, "setgid", gid);
}

EXPORT int setegid(gid_t egid)
{
	return set1(&next_setegid, "setegid", egid);
}

EXPORT int setregid(gid_t rgid, gid_t egid)
{
	return set2(&next_setregid, "setregid", rgid, egid);
}

EXPORT int setresgid(gid_t rgid, gid_t egid, gid_t sgid)
{
	return set3(&next_setresgid, "setresgid", rgid, egid, sgid);
}

EXPORT int setgroups(size_t n, const gid_t *groups)
{
	int r;

	LOCK();
	r = ids_changed(((int (*)(size_t, const gid_t *))preload_next(&next_setgroups,
								      "setgroups"))(n, groups));
	UNLOCK();
	return r;
}

/* setfsuid and setfsgid return the previous id and never fail: asking
 * with an invalid id (-1) changes nothing and tells the current one. */
static int setfs(void **slot, const char *name, unsigned id)
{
	set1_fn f = (set1_fn)preload_next(slot, name);
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
	return setfs(&next_setfsuid, "setfsuid", fsuid);
}

EXPORT int setfsgid(gid_t fsgid)
{
	return setfs(&next_setfsgid, "setfsgid", fsgid);
}

int preload_ids_ok(void)
{
	set1_fn fsuid = (set1_fn)preload_next(&next_setfsuid, "setfsuid");
	set1_fn fsgid = (set1_fn)preload_next(&next_setfsgid, "setfsgid");
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (euid != ruid || (uid_t)fsuid((unsigned)-1) != ruid || egid != rgid ||
	    (gid_t)fsgid((unsigned)-1) != rgid)
		return -EACCES;
	return 0;
}
