/* SPDX-License-Identifier: MIT */
/* vmrpc_region_explain(): why a region did not open, in words a user can
 * act on. The library prints nothing; the programs print this. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"

/* The name of uid (users) or gid (groups) from /etc/passwd or /etc/group,
 * else the number: read directly, so that statically linked guest programs
 * need no NSS modules for an error message. */
static void explain_id_name(const char *db, unsigned id, char *buf, size_t size)
{
	char line[1024];
	FILE *f = fopen(db, "re");

	snprintf(buf, size, "%u", id);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		unsigned got;

		if (!c2 || sscanf(c2 + 1, "%u", &got) != 1 || got != id)
			continue;
		*c1 = '\0';
		if (strlen(name) < size)
			memcpy(buf, name, strlen(name) + 1);
		break;
	}
	fclose(f);
}

static int explain_in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	if (getegid() == gid)
		return 1;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* path refused us: say what it is and what the caller lacks. */
static void explain_access(const char *path, char *buf, size_t size)
{
	char user[64], owner[64], group[64];
	uid_t uid = geteuid();
	struct stat st;
	unsigned mode;

	if (stat(path, &st) < 0) {
		snprintf(buf, size, "cannot open %s: Permission denied (a directory on the way "
			 "cannot be entered)", path);
		return;
	}
	mode = st.st_mode & 07777;
	explain_id_name("/etc/passwd", (unsigned)uid, user, sizeof(user));
	explain_id_name("/etc/passwd", (unsigned)st.st_uid, owner, sizeof(owner));
	explain_id_name("/etc/group", (unsigned)st.st_gid, group, sizeof(group));
	if ((mode & 060) != 060) {
		snprintf(buf, size, "cannot open %s: Permission denied: it is mode %04o, owner %s, "
			 "group %s, which lets only %s open it; have vmrpc-hostd give it a group "
			 "of yours and mode 0660 (--owner :GROUP --mode 0660, or owner and mode "
			 "in hostd.conf: vmrpc-hostd(8))", path, mode, owner, group, owner);
	} else if (!explain_in_group(st.st_gid)) {
		snprintf(buf, size, "cannot open %s: Permission denied: it is mode %04o, owner %s, "
			 "group %s, and user %s is not in group %s: add it (usermod -aG %s %s, "
			 "then log in again), or have vmrpc-hostd give the file a group of "
			 "yours (--owner, owner in hostd.conf)", path, mode, owner, group, user,
			 group, group, user);
	} else {
		snprintf(buf, size, "cannot open %s: Permission denied: it is mode %04o, owner %s, "
			 "group %s (a group of yours): a security module refused it", path, mode,
			 owner, group);
	}
}

VMRPC_API int vmrpc_region_explain(const char *name, int err, char *buf, size_t size)
{
	char dirs[REGION_RUNTIME_DIRS_MAX][PATH_MAX], path[PATH_MAX];
	int n;

	if (!buf || !size)
		return -EINVAL;
	if (!region_name_valid(name) || (err != -VMRPC_ENOHOSTD && err != -EACCES)) {
		snprintf(buf, size, "%s", vmrpc_strerror(err));
		return 0;
	}
	if (err == -EACCES) {
		/* The first of the region's files this caller may not use. */
		static const char *const suffixes[] = { ".region", ".sock" };

		for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
			if (vmrpc_region_path(name, suffixes[i], path, sizeof(path)) < 0)
				break;
			if (faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) < 0 &&
			    errno == EACCES) {
				explain_access(path, buf, size);
				return 0;
			}
		}
		snprintf(buf, size, "%s", vmrpc_strerror(err));
		return 0;
	}
	n = region_runtime_dirs(dirs, REGION_RUNTIME_DIRS_MAX);
	if (n == 1)
		snprintf(buf, size, "%s: no %s.region in %s ($VMRPC_RUNTIME_DIR): start "
			 "vmrpc-hostd for it there, or unset VMRPC_RUNTIME_DIR",
			 vmrpc_strerror(err), name, dirs[0]);
	else if (n == 2)
		snprintf(buf, size, "%s: no %s.region in %s or %s: start vmrpc-hostd for it "
			 "(systemctl start vmrpc-hostd@%s), or set VMRPC_RUNTIME_DIR to the "
			 "directory of the vmrpc-hostd that serves it", vmrpc_strerror(err), name,
			 dirs[0], dirs[1], name);
	else if (n == 3)
		snprintf(buf, size, "%s: no %s.region in %s, %s or %s: start vmrpc-hostd for "
			 "it (systemctl start vmrpc-hostd@%s), or set VMRPC_RUNTIME_DIR to the "
			 "directory of the vmrpc-hostd that serves it", vmrpc_strerror(err), name,
			 dirs[0], dirs[1], dirs[2], name);
	else
		snprintf(buf, size, "%s", vmrpc_strerror(err));
	return 0;
}
