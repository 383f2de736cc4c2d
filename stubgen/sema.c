/* SPDX-License-Identifier: MIT */
/*
 * The semantic analysis of a unit, file by file in dependency order (every
 * file after its imports). Each job is a file of its own (sema_internal.h
 * lists them); this one runs them in the order they depend on each other:
 * every file's declarations are entered in scope before any is resolved,
 * declarations before the interfaces that use them, the C names once all
 * else is sound, and the signature hashes last.
 */
#include "sema_internal.h"

#include <stdio.h>
#include <stdlib.h>

static void check_file(struct sema *s, struct idl_file *file, bool syntax_ok)
{
	s->file = file;
	sema_resolve_decls(s, file);
	s->file = file;
	for (struct idl_iface *iface = file->ifaces; iface; iface = iface->next)
		sema_check_iface(s, iface, syntax_ok);
	/* Only about a file that is otherwise fine: on broken input it is
	 * noise. */
	if (idl_diag_errors(s->diag) > 0)
		return;
	for (const struct idl_import *imp = file->imports; imp; imp = imp->next)
		if (imp->file && !imp->used && file == s->unit->main)
			idl_warning(s->diag, &imp->loc,
				    "nothing from \"%s\" is used; remove the import", imp->spelling);
}

int idl_sema(struct idl_unit *unit, struct idl_diag *diag)
{
	struct sema s = { .unit = unit, .diag = diag };
	bool syntax_ok = idl_diag_errors(diag) == 0;
	unsigned int errors_before = idl_diag_errors(diag);
	struct idl_file *main = unit->main;
	size_t i = 0;

	for (const struct idl_file *f = unit->files; f; f = f->next)
		s.n_files++;
	s.scopes = calloc(s.n_files ? s.n_files : 1, sizeof(*s.scopes));
	if (!s.scopes) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	if (main && !main->ifaces && !main->decls && syntax_ok) {
		struct idl_loc start = { .first_line = 1, .first_column = 1, .path = main->path };

		idl_error(diag, &start,
			  "nothing declared in this file; expected 'interface NAME version N { ... }' or types");
	}
	for (struct idl_file *f = unit->files; f; f = f->next, i++) {
		idl_symtab_init(&s.scopes[i]);
		s.file = f;
		sema_declare_decls(&s, f);
	}
	for (struct idl_file *f = unit->files; f; f = f->next)
		check_file(&s, f, syntax_ok);
	if (idl_diag_errors(diag) == errors_before)
		sema_check_c_names(&s);
	for (i = 0; i < s.n_files; i++)
		idl_symtab_release(&s.scopes[i]);
	free(s.scopes);
	if (idl_diag_errors(diag) != errors_before)
		return -1;

	for (struct idl_file *f = unit->files; f; f = f->next) {
		for (struct idl_iface *iface = f->ifaces; iface; iface = iface->next) {
			struct idl_buf text;

			idl_buf_init(&text);
			idl_canonical_text(iface, &text);
			iface->sig_hash = idl_fnv1a64(text.data, text.len);
			idl_buf_release(&text);
		}
	}
	return 0;
}
