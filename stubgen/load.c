/* SPDX-License-Identifier: MIT */
#include "load.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"
#include "strbuf.h"

/* Imports nest at most this deep: deeper is surely a mistake, and the
 * loader recurses. */
#define LOAD_DEPTH_MAX 64

/* The chain of files being loaded, for finding and reporting a cycle. */
struct load_frame {
	const struct idl_file *file;
	const struct load_frame *up;
};

struct loader {
	struct idl_unit *unit;
	const struct load_frame *stack;
	const struct idl_load_opts *opts;
	struct idl_diag *diag;
	struct idl_file **tail; /* end of unit->files */
};

int idl_read_file(const char *path, char **ret_data, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			char *p;

			cap = cap ? cap * 2 : 8192;
			p = realloc(data, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = errno ? -errno : -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(data);
		return err;
	}
	*ret_data = data;
	*ret_len = len;
	return 0;
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name, or name alone if dir is empty; malloc'd. */
static char *join(const char *dir, size_t dir_len, const char *name)
{
	char *p;

	if (dir_len == 0)
		return strdup(name);
	if (asprintf(&p, "%.*s/%s", (int)dir_len, dir, name) < 0)
		return NULL;
	return p;
}

/* Where an import names a file that exists: next to the importer, then in
 * each import directory. malloc'd, or NULL. */
static char *find_import(const struct loader *ld, const struct idl_file *from,
			 const char *spelling)
{
	const char *slash = strrchr(from->path, '/');
	char *p;

	if (spelling[0] == '/')
		return is_regular(spelling) ? strdup(spelling) : NULL;
	p = join(from->path, slash ? (size_t)(slash - from->path) : 0, spelling);
	if (p && is_regular(p))
		return p;
	free(p);
	for (size_t i = 0; i < ld->opts->n_import_dirs; i++) {
		const char *dir = ld->opts->import_dirs[i];

		p = join(dir, strlen(dir), spelling);
		if (p && is_regular(p))
			return p;
		free(p);
	}
	return NULL;
}

static struct idl_file *find_loaded(const struct loader *ld, const char *real_path)
{
	for (struct idl_file *f = ld->unit->files; f; f = f->next)
		if (strcmp(f->real_path, real_path) == 0)
			return f;
	return NULL;
}

static int load_file(struct loader *ld, struct idl_file *file, const char *src,
		     size_t len, int depth);

static void report_cycle(struct loader *ld, const struct idl_import *imp,
			 const struct idl_file *target)
{
	struct idl_buf chain;

	idl_buf_init(&chain);
	for (const struct load_frame *fr = ld->stack; fr; fr = fr->up) {
		struct idl_buf next;

		idl_buf_init(&next);
		idl_buf_printf(&next, "%s -> %s", fr->file->path, idl_buf_str(&chain));
		idl_buf_release(&chain);
		chain = next;
		if (fr->file == target)
			break;
	}
	idl_error(ld->diag, &imp->loc, "import cycle: %s%s; files cannot import each other",
		  idl_buf_str(&chain), target->path);
	idl_buf_release(&chain);
}

static void load_import(struct loader *ld, struct idl_file *from, struct idl_import *imp,
			int depth)
{
	char *path, *real, *src = NULL;
	struct idl_file *file;
	size_t len;
	int err;

	if (ld->opts->no_imports) {
		idl_error(ld->diag, &imp->loc, "imports are disabled here");
		return;
	}
	path = find_import(ld, from, imp->spelling);
	if (!path) {
		if (ld->opts->n_import_dirs)
			idl_error(ld->diag, &imp->loc,
				  "cannot find imported file \"%s\" next to %s or in the -I directories",
				  imp->spelling, from->path);
		else
			idl_error(ld->diag, &imp->loc,
				  "cannot find imported file \"%s\" next to %s; add its directory with -I DIR",
				  imp->spelling, from->path);
		return;
	}
	real = realpath(path, NULL);
	if (!real) {
		idl_error(ld->diag, &imp->loc, "cannot resolve %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	for (const struct load_frame *fr = ld->stack; fr; fr = fr->up) {
		if (strcmp(fr->file->real_path, real) == 0) {
			report_cycle(ld, imp, fr->file);
			goto out;
		}
	}
	file = find_loaded(ld, real);
	if (file) {
		imp->file = file;
		goto out;
	}
	if (depth >= LOAD_DEPTH_MAX) {
		idl_error(ld->diag, &imp->loc, "imports nest more than %d deep", LOAD_DEPTH_MAX);
		goto out;
	}
	err = idl_read_file(path, &src, &len);
	if (err < 0) {
		idl_error(ld->diag, &imp->loc, "cannot read %s: %s", path, strerror(-err));
		goto out;
	}
	file = idl_file_new(ld->unit, path);
	file->real_path = idl_arena_strndup(&ld->unit->arena, real, strlen(real));
	imp->file = file;
	load_file(ld, file, src, len, depth + 1);
	free(src);
out:
	free(real);
	free(path);
}

static int load_file(struct loader *ld, struct idl_file *file, const char *src,
		     size_t len, int depth)
{
	struct load_frame frame = { .file = file, .up = ld->stack };
	int rc = idl_parse(file, src, len, ld->diag);

	ld->stack = &frame;
	for (struct idl_import *imp = file->imports; imp; imp = imp->next)
		load_import(ld, file, imp, depth);
	ld->stack = frame.up;
	/* After its imports: the unit's files stay in dependency order. */
	*ld->tail = file;
	ld->tail = &file->next;
	return rc;
}

int idl_load_source(struct idl_unit *unit, const char *path, const char *src,
		    size_t len, const struct idl_load_opts *opts, struct idl_diag *diag)
{
	static const struct idl_load_opts no_opts;
	struct loader ld = {
		.unit = unit,
		.opts = opts ? opts : &no_opts,
		.diag = diag,
		.tail = &unit->files,
	};
	unsigned int errors = idl_diag_errors(diag);
	struct idl_file *file = idl_file_new(unit, path);
	char *real = realpath(path, NULL);

	/* A main file that is not on disk (the fuzz target) still needs a
	 * name to compare imports against. */
	file->real_path = idl_arena_strndup(&unit->arena, real ? real : path,
					    strlen(real ? real : path));
	free(real);
	unit->main = file;
	load_file(&ld, file, src, len, 0);
	return idl_diag_errors(diag) == errors ? 0 : -1;
}

int idl_load(struct idl_unit *unit, const char *path, const struct idl_load_opts *opts,
	     struct idl_diag *diag)
{
	char *src;
	size_t len;
	int err, rc;

	err = idl_read_file(path, &src, &len);
	if (err < 0) {
		idl_error(diag, NULL, "cannot read %s: %s", path, strerror(-err));
		return -1;
	}
	rc = idl_load_source(unit, path, src, len, opts, diag);
	free(src);
	return rc;
}
