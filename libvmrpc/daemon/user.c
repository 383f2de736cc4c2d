/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "user.h"

int user_parse(const char *v, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw = getpwnam(v);
	unsigned long id;
	char *end;

	if (!pw) {
		errno = 0;
		id = strtoul(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || id >= (uid_t)-1)
			return -EINVAL;
		pw = getpwuid((uid_t)id);
		*ret_uid = (uid_t)id;
		if (ret_gid)
			*ret_gid = pw ? pw->pw_gid : (gid_t)id;
		return 0;
	}
	*ret_uid = pw->pw_uid;
	if (ret_gid)
		*ret_gid = pw->pw_gid;
	return 0;
}
