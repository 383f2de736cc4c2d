/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shadow_sandbox.h"

/* Newer than Debian 12's <linux/landlock.h>: from the kernel's uapi. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define SANDBOX_SCOPE_SIGNAL (1ULL << 1)

/* The ruleset attribute as the kernel grew it: ABI 1 reads only the first
 * field, ABI 4 the second, ABI 6 the third. */
struct sandbox_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int sandbox_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

/* Every file system right this ABI knows: all of them are refused outside
 * the tree. */
static uint64_t sandbox_fs_rights(int abi)
{
	uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0 to 12 */

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return r;
}

int sandbox_enter_root(const char *root, char *why, size_t why_size)
{
	if (chroot(root) < 0 || chdir("/") < 0) {
		int err = -errno;

		snprintf(why, why_size, "root %s: %s", root, strerror(-err));
		return err;
	}
	return 0;
}

int sandbox_apply(int confined, const int *trees, int n_trees, char *why, size_t why_size)
{
	struct sandbox_ruleset_attr attr = { 0 };
	struct landlock_path_beneath_attr beneath = { .parent_fd = -1 };
	size_t attr_size = sizeof(attr.handled_access_fs);
	int abi = sandbox_abi(), ruleset = -1, err;

	/* Before Landlock's ABI 2 a ruleset that handles file access refuses
	 * every rename across directories, inside the tree too: the changed
	 * root alone confines paths there. */
	if (confined && abi >= 2)
		attr.handled_access_fs = sandbox_fs_rights(abi);
	if (abi >= 6) {
		attr.scoped = SANDBOX_SCOPE_SIGNAL;
		attr_size = sizeof(attr);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err = -errno;
		snprintf(why, why_size, "no_new_privs: %s", strerror(-err));
		return err;
	}
	if (!attr.handled_access_fs && !attr.scoped)
		return 0;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0) {
		err = -errno;
		snprintf(why, why_size, "landlock_create_ruleset: %s", strerror(-err));
		return err;
	}
	if (attr.handled_access_fs) {
		beneath.allowed_access = attr.handled_access_fs;
		beneath.parent_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (beneath.parent_fd < 0 ||
		    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath,
			    0) < 0) {
			err = -errno;
			snprintf(why, why_size, "landlock_add_rule: %s", strerror(-err));
			goto out;
		}
		for (int i = 0; i < n_trees; i++) {
			struct landlock_path_beneath_attr t = {
				.allowed_access = attr.handled_access_fs, .parent_fd = trees[i],
			};

			if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &t,
				    0) < 0) {
				err = -errno;
				snprintf(why, why_size, "landlock_add_rule (export): %s",
					 strerror(-err));
				goto out;
			}
		}
	}
	err = 0;
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		err = -errno;
		snprintf(why, why_size, "landlock_restrict_self: %s", strerror(-err));
	}
out:
	if (beneath.parent_fd >= 0)
		close(beneath.parent_fd);
	close(ruleset);
	return err;
}

/* Whether a child of ours can make root its root directory: a service
 * manager's capability bounding set or system call filter may forbid it. */
static int sandbox_chroot_ok(const char *root, char *why, size_t why_size)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(chroot(root) < 0 ? (errno & 0x7f) : 0);
	if (pid < 0)
		return 1; /* cannot tell: a shadow will */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	snprintf(why, why_size, "root %s: shadows cannot change their root directory here "
		 "(chroot: %s); under systemd, add CAP_SYS_CHROOT and chroot(2) to the unit "
		 "(docs/systemd.md)", root,
		 WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed by the system call "
		 "filter");
	return 0;
}

int sandbox_check_root(const char *root, const char *cwd, char *why, size_t why_size)
{
	char real[PATH_MAX], real_cwd[PATH_MAX];
	size_t n;

	if (geteuid() != 0) {
		snprintf(why, why_size, "root %s: confining shadows needs hostd to run as root",
			 root);
		return -EPERM;
	}
	if (sandbox_abi() < 1) {
		snprintf(why, why_size, "root %s needs Landlock, which this kernel does not offer "
			 "(CONFIG_SECURITY_LANDLOCK, lsm=landlock)", root);
		return -EOPNOTSUPP;
	}
	if (!sandbox_chroot_ok(root, why, why_size))
		return -EPERM;
	if (!realpath(root, real)) {
		snprintf(why, why_size, "root %s: %s", root, strerror(errno));
		return -errno;
	}
	/* The tree is what the configuration says, not where a link points. */
	if (strcmp(real, root)) {
		snprintf(why, why_size, "root %s is %s: name the directory itself", root, real);
		return -EINVAL;
	}
	if (cwd) {
		if (!realpath(cwd, real_cwd)) {
			snprintf(why, why_size, "shadow-cwd %s: %s", cwd, strerror(errno));
			return -errno;
		}
		n = strlen(real);
		if (strcmp(real, "/") &&
		    (strncmp(real_cwd, real, n) || (real_cwd[n] != '/' && real_cwd[n] != '\0'))) {
			snprintf(why, why_size, "shadow-cwd %s is not beneath root %s", cwd, root);
			return -EINVAL;
		}
	}
	return 0;
}
