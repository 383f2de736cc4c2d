/* SPDX-License-Identifier: MIT */
/*
 * The compiler's front end and type table builder behind one call, for
 * programs that read an .idl file at run time rather than linking
 * generated code: a daemon serving a plain C library through libffi
 * (vmrpc/dynamic.h) takes its interfaces' type tables from here.
 */
#ifndef IDL_TYPETAB_COMPILE_H
#define IDL_TYPETAB_COMPILE_H

#include <stddef.h>

/* One interface's type table (vmrpc/typetab.h). */
struct idl_type_table {
	char *name;          /* the interface's name */
	unsigned char *data; /* len bytes: the table NAME_common.c would hold */
	size_t len;
};

struct idl_type_tables {
	struct idl_type_table *tables; /* n, in the file's order */
	size_t n;
};

/*
 * Load the .idl file at idl_path and the files it imports (looked up next
 * to the importing file, then in import_dirs, as vmrpc-stubgen -I does),
 * check it as vmrpc-stubgen does, and build the type table of every
 * interface it declares (not those of the files it imports). Diagnostics,
 * warnings included, go to stderr as "path:line:col: error: ...".
 *
 * Returns the number of interfaces (ret->n; ret->tables is NULL when 0),
 * or: the -errno of reading idl_path; -EINVAL if the file or an import has
 * errors; -EFBIG if an interface's table would be larger than
 * VMRPC_TT_MAX_SIZE; -ENOMEM. *ret is untouched on failure. Allocation
 * failure inside the compiler's phases is fatal, as it is in vmrpc-stubgen.
 * Holds no global state: calls may run in several threads at once.
 */
int idl_compile_type_tables(const char *idl_path, const char *const *import_dirs,
			    size_t n_import_dirs, struct idl_type_tables *ret);

/* Free what idl_compile_type_tables() put in tables, and zero it; tables
 * may be NULL. */
void idl_type_tables_free(struct idl_type_tables *tables);

#endif /* IDL_TYPETAB_COMPILE_H */
