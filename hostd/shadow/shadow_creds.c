/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shadow_creds.h"

int creds_drop(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return -EPERM;
	/* For good: a process that dropped root must not get it back. */
	if (uid != 0 && setuid(0) == 0)
		return -EPERM;
	return 0;
}

/* The first directory on the way to path that we may not search (or path
 * itself), with its mode and owner, into buf. */
static void creds_blocker(const char *path, int err, char *buf, size_t size)
{
	char prefix[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (n >= sizeof(prefix) || path[0] != '/') {
		snprintf(buf, size, "%s", strerror(err));
		return;
	}
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (access(prefix, X_OK) == 0)
			continue;
		if (stat(prefix, &st) == 0)
			snprintf(buf, size, "%s: %s is mode %04o, owner %u:%u", strerror(err), prefix,
				 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				 (unsigned)st.st_gid);
		else
			snprintf(buf, size, "%s: %s: %s", strerror(err), prefix, strerror(errno));
		return;
	}
	snprintf(buf, size, "%s", strerror(err));
}

int creds_enter(const char *dir, char *why, size_t size)
{
	char how[PATH_MAX + 96];
	int err;

	if (chdir(dir) == 0)
		return 0;
	err = errno;
	creds_blocker(dir, err, how, sizeof(how));
	snprintf(why, size, "cannot enter %s as uid %u gid %u: %s", dir, (unsigned)getuid(),
		 (unsigned)getgid(), how);
	return -err;
}

int creds_check_dir(uid_t uid, gid_t gid, const char *dir, char *why, size_t size)
{
	int p[2], status, err;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (pid == 0) {
		char msg[PATH_MAX + 200];

		close(p[0]);
		err = creds_drop(uid, gid);
		if (err < 0)
			snprintf(msg, sizeof(msg), "cannot become uid %u gid %u: %s",
				 (unsigned)uid, (unsigned)gid, strerror(-err));
		else
			err = creds_enter(dir, msg, sizeof(msg));
		if (err < 0 && write(p[1], msg, strlen(msg)) < 0)
			_exit(1);
		_exit(err < 0 ? 1 : 0);
	}
	close(p[1]);
	n = read(p[0], why, size - 1);
	close(p[0]);
	why[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (n <= 0)
		snprintf(why, size, "cannot check %s as uid %u", dir, (unsigned)uid);
	return -EACCES;
}
