/* SPDX-License-Identifier: MIT */
/*
 * The front end: lexer.l and parser.y turn IDL source into an idl_file.
 * Syntax errors are reported through diag and recovered from at method and
 * interface level, so one run reports as many as it can.
 */
#ifndef IDL_PARSE_H
#define IDL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* State shared by the scanner and the parser of one file. */
struct idl_parse_ctx {
	struct idl_file *file;
	struct idl_diag *diag;
	const char *pending_doc;    /* lexer: doc comment for the next token */
	struct idl_iface **iface_tail;
	struct idl_decl **decl_tail;
	struct idl_import **import_tail;
	bool lexer_stopped;         /* lexer: gave up before the end of input */
	int line;                   /* lexer: position of the next character, */
	int column;                 /* both from 1 (a tab is one column) */
};

/* Parse len bytes of src (need not be NUL-terminated) into file. Returns 0,
 * or -1 if any error was reported. */
int idl_parse(struct idl_file *file, const char *src, size_t len,
	      struct idl_diag *diag);

#endif /* IDL_PARSE_H */
