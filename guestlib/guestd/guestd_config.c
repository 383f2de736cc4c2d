/* SPDX-License-Identifier: MIT */
/*
 * guestd.conf: one "key = value" a line, '#' comments.
 *
 *   exec = /usr/bin/ls      # allow this program
 *   exec = fsck.foofs       # allow the program this name finds in path
 *   exec = *                # allow any program (everything the user may do)
 *   file-read = /var/log    # allow file_read under this directory
 *   file-write = /srv/drop  # allow file_write under this directory
 *   service = /usr/lib/vmrpc/foo_guest.so   # also serve this module's interfaces
 *   user = nobody           # commands run as this user (guestd must be root)
 *   path = /usr/bin:/bin    # where names are looked up; the commands' PATH
 *   env = LANG=C.UTF-8      # added to every command's environment
 *   max-commands = 16       # commands running at once
 *   export = data /srv/data # a host caller may mount it (vmrpc-mount VM:data)
 *   export-ro = logs /var/log  # the same, read-only
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd_config.h"
#include "ini.h"
#include "services.h"
#include "user.h"

#define GDCONF_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GDCONF_DEFAULT_MAX_COMMANDS 32u

static int gdconf_add(struct ini *p, char **list, size_t *n, size_t max, const char *key,
		      char *v)
{
	if (*n == max) {
		free(v);
		return ini_error(p, "%s: at most %zu entries", key, max);
	}
	if (!v)
		return -ENOMEM;
	list[(*n)++] = v;
	return 0;
}

/* A directory or file that must exist now: its canonical path. */
static int gdconf_add_real(struct ini *p, char **list, size_t *n, size_t max, const char *key,
			   const char *v)
{
	char *real;

	if (v[0] != '/')
		return ini_error(p, "%s: '%s' is not an absolute path", key, v);
	real = realpath(v, NULL);
	if (!real)
		return ini_error(p, "%s: %s: %s", key, v, strerror(errno));
	return gdconf_add(p, list, n, max, key, real);
}

static int gdconf_user(struct ini *p, struct gdconf *c, const char *v)
{
	if (user_parse(v, &c->uid, &c->gid) < 0)
		return ini_error(p, "user: no user '%s' (a user name or a numeric uid)", v);
	c->have_user = 1;
	return 0;
}

/* "NAME PATH": a tree host callers may mount. */
static int gdconf_export(struct ini *p, struct gdconf *c, const char *v, int read_only)
{
	const char *sp = strpbrk(v, " \t"), *path;
	char *real;

	if (!sp || sp == v)
		return ini_error(p, "export: '%s' is not NAME PATH", v);
	path = sp + strspn(sp, " \t");
	if (path[0] != '/')
		return ini_error(p, "export: '%s' is not an absolute path", path);
	if (c->n_exports == GDCONF_EXPORTS_MAX)
		return ini_error(p, "export: at most %d", GDCONF_EXPORTS_MAX);
	for (size_t i = 0; i < c->n_exports; i++)
		if (strlen(c->export_name[i]) == (size_t)(sp - v) &&
		    !strncmp(c->export_name[i], v, (size_t)(sp - v)))
			return ini_error(p, "export: '%.*s' is given twice", (int)(sp - v), v);
	real = realpath(path, NULL);
	if (!real)
		return ini_error(p, "export: %s: %s", path, strerror(errno));
	c->export_name[c->n_exports] = strndup(v, (size_t)(sp - v));
	if (!c->export_name[c->n_exports]) {
		free(real);
		return -ENOMEM;
	}
	c->export_path[c->n_exports] = real;
	c->export_ro[c->n_exports++] = read_only;
	return 0;
}

/* ini.h's handler: one "key = value" (guestd.conf has no sections). */
static int gdconf_set(struct ini *p, const char *section, const char *key, const char *v)
{
	struct gdconf *c = p->user;
	char *end;
	unsigned long n;

	if (!strcmp(key, "exec")) {
		if (!strcmp(v, "*")) {
			c->exec_any = 1;
			return 0;
		}
		if (v[0] == '/')
			return gdconf_add_real(p, c->exec, &c->n_exec, GDCONF_LIST_MAX, key, v);
		if (strchr(v, '/'))
			return ini_error(p, "exec: '%s' is neither a name nor an absolute path",
					 v);
		return gdconf_add(p, c->exec, &c->n_exec, GDCONF_LIST_MAX, key, strdup(v));
	}
	if (!strcmp(key, "file-read"))
		return gdconf_add_real(p, c->file_read, &c->n_file_read, GDCONF_LIST_MAX, key, v);
	if (!strcmp(key, "file-write"))
		return gdconf_add_real(p, c->file_write, &c->n_file_write, GDCONF_LIST_MAX, key,
				       v);
	if (!strcmp(key, "service"))
		return gdconf_add_real(p, c->modules, &c->n_modules, GDCONF_MODULES_MAX, key, v);
	if (!strcmp(key, "ffi-service")) {
		char why[PATH_MAX + 256], *spec;

		if (services_ffi_pin(v, &spec, why, sizeof(why)) < 0)
			return ini_error(p, "ffi-service: %s", why);
		return gdconf_add(p, c->ffi_services, &c->n_ffi_services, GDCONF_MODULES_MAX, key,
				  spec);
	}
	if (!strcmp(key, "env")) {
		if (!strchr(v, '=') || v[0] == '=')
			return ini_error(p, "env: '%s' is not NAME=VALUE", v);
		return gdconf_add(p, c->env, &c->n_env, GDCONF_LIST_MAX, key, strdup(v));
	}
	if (!strcmp(key, "path")) {
		free(c->path);
		c->path = strdup(v);
		return c->path ? 0 : -ENOMEM;
	}
	if (!strcmp(key, "user"))
		return gdconf_user(p, c, v);
	if (!strcmp(key, "export") || !strcmp(key, "export-ro"))
		return gdconf_export(p, c, v, !strcmp(key, "export-ro"));
	if (!strcmp(key, "max-commands")) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || end == v || *end || n == 0 || n > 4096)
			return ini_error(p, "max-commands: '%s' is not a number from 1 to 4096",
					 v);
		c->max_commands = (unsigned)n;
		return 0;
	}
	return ini_error(p, "unknown key '%s'", key);
}

int gdconf_load(const char *path, struct gdconf *c, char *err, size_t err_size)
{
	/* No sections: a line starting with '[' is a "key = value" like any
	 * other (and so, without a '=', an error). */
	struct ini p = {
		.path = path, .handler = gdconf_set, .user = c, .err = err, .err_size = err_size,
	};
	int ret;

	memset(c, 0, sizeof(*c));
	c->max_commands = GDCONF_DEFAULT_MAX_COMMANDS;
	c->path = strdup(GDCONF_DEFAULT_PATH);
	if (!c->path)
		return -ENOMEM;
	if (!path)
		return 0;
	ret = ini_parse(&p);
	if (ret < 0)
		gdconf_free(c);
	return ret;
}

static void gdconf_free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
}

void gdconf_free(struct gdconf *c)
{
	gdconf_free_list(c->exec, c->n_exec);
	gdconf_free_list(c->file_read, c->n_file_read);
	gdconf_free_list(c->file_write, c->n_file_write);
	gdconf_free_list(c->modules, c->n_modules);
	gdconf_free_list(c->ffi_services, c->n_ffi_services);
	gdconf_free_list(c->env, c->n_env);
	gdconf_free_list(c->export_name, c->n_exports);
	gdconf_free_list(c->export_path, c->n_exports);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
