/* SPDX-License-Identifier: MIT */
/*
 * Compiler diagnostics: "path:line:col: error: message", one per line, in
 * the order they are found. Nothing stops at the first error; the caller
 * asks idl_diag_errors() at the end of each phase.
 */
#ifndef IDL_DIAG_H
#define IDL_DIAG_H

#include <stdio.h>

#include "ast.h"

struct idl_diag {
	const char *path; /* for locations without a path of their own */
	FILE *out;
	unsigned int n_errors;
	unsigned int n_warnings;
};

void idl_diag_init(struct idl_diag *diag, const char *path, FILE *out);

__attribute__((format(printf, 3, 4)))
void idl_error(struct idl_diag *diag, const struct idl_loc *loc, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void idl_warning(struct idl_diag *diag, const struct idl_loc *loc, const char *fmt, ...);

unsigned int idl_diag_errors(const struct idl_diag *diag);

#endif /* IDL_DIAG_H */
