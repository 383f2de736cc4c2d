/* SPDX-License-Identifier: MIT */
/*
 * The loader: reads the file given on the command line, parses it, and
 * follows its imports (each file once, whatever the path it is imported
 * by), so that the unit holds every file in dependency order. An import is
 * looked up next to the importing file, then in each import directory.
 */
#ifndef IDL_LOAD_H
#define IDL_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

struct idl_load_opts {
	const char *const *import_dirs; /* -I DIR, in order */
	size_t n_import_dirs;
	bool no_imports; /* report any import as an error (the fuzz target) */
};

/* Load the file at path and everything it imports. Returns 0, or -1 if an
 * error was reported (the unit still holds what could be parsed). */
int idl_load(struct idl_unit *unit, const char *path, const struct idl_load_opts *opts,
	     struct idl_diag *diag);

/* The same with the main file's text in memory. */
int idl_load_source(struct idl_unit *unit, const char *path, const char *src,
		    size_t len, const struct idl_load_opts *opts, struct idl_diag *diag);

/* Read a whole file into a malloc'd buffer. Returns 0 or -errno. */
int idl_read_file(const char *path, char **ret_data, size_t *ret_len);

#endif /* IDL_LOAD_H */
