/* SPDX-License-Identifier: MIT */
/* idl_compile_type_tables(): main.c's phases, with tables for output. */
#include "typetab_compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "emit_typetab.h"
#include "load.h"
#include "sema.h"
#include "vmrpc/typetab.h"

/* Build the table of each of file's interfaces into tables. */
static int compile_tables(const struct idl_file *file, struct idl_diag *diag,
			  struct idl_type_tables *tables)
{
	size_t n = 0;

	for (const struct idl_iface *iface = file->ifaces; iface; iface = iface->next)
		n++;
	if (n == 0)
		return 0;
	tables->tables = calloc(n, sizeof(*tables->tables));
	if (!tables->tables)
		return -ENOMEM;
	for (const struct idl_iface *iface = file->ifaces; iface; iface = iface->next) {
		struct idl_type_table *t = &tables->tables[tables->n];
		struct idl_typetab tt;
		int err = idl_typetab_build(iface, &tt);

		if (err < 0) {
			idl_error(diag, &iface->loc,
				  "interface '%s' is too large for a type table (more than %u bytes); split it into smaller interfaces",
				  iface->name, VMRPC_TT_MAX_SIZE);
			return err;
		}
		t->name = strdup(iface->name);
		if (!t->name) {
			idl_typetab_release(&tt);
			return -ENOMEM;
		}
		t->data = tt.data;
		t->len = tt.len;
		tables->n++;
	}
	return 0;
}

int idl_compile_type_tables(const char *idl_path, const char *const *import_dirs,
			    size_t n_import_dirs, struct idl_type_tables *ret)
{
	struct idl_load_opts opts = {
		.import_dirs = import_dirs,
		.n_import_dirs = n_import_dirs,
	};
	struct idl_type_tables tables = { NULL, 0 };
	struct idl_diag diag;
	struct idl_unit unit;
	size_t len;
	char *src;
	int err;

	idl_diag_init(&diag, idl_path, stderr);
	err = idl_read_file(idl_path, &src, &len);
	if (err < 0) {
		idl_error(&diag, NULL, "cannot read %s: %s", idl_path, strerror(-err));
		return err;
	}
	idl_unit_init(&unit);
	/* As in main.c: sema runs after syntax errors too, to report what it
	 * can check. */
	idl_load_source(&unit, idl_path, src, len, &opts, &diag);
	free(src);
	idl_sema(&unit, &diag);
	if (idl_diag_errors(&diag) > 0) {
		err = -EINVAL;
		goto out;
	}
	err = compile_tables(unit.main, &diag, &tables);
	if (err < 0) {
		idl_type_tables_free(&tables);
		goto out;
	}
	*ret = tables;
	err = (int)tables.n;
out:
	idl_unit_release(&unit);
	return err;
}

void idl_type_tables_free(struct idl_type_tables *tables)
{
	if (!tables)
		return;
	for (size_t i = 0; i < tables->n; i++) {
		free(tables->tables[i].name);
		free(tables->tables[i].data);
	}
	free(tables->tables);
	tables->tables = NULL;
	tables->n = 0;
}
