/* SPDX-License-Identifier: MIT */
/*
 * An interface's type table (vmrpc/typetab.h), built from the resolved
 * tree: the bytes emit_common.c writes into NAME_common.c and that
 * idl_compile_type_tables() (typetab_compile.h) hands to programs that
 * serve an interface without generated code. Offsets come from the layout
 * functions the C emitters use, so the table describes the generated
 * structs exactly.
 */
#ifndef IDL_EMIT_TYPETAB_H
#define IDL_EMIT_TYPETAB_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"

/* A built table: len bytes at data (malloc'd). */
struct idl_typetab {
	unsigned char *data;
	size_t len;
};

/*
 * Build the type table of iface, an interface idl_sema() resolved without
 * errors. The bytes depend on nothing but the interface (no host byte
 * order, no addresses). Returns 0, or -EFBIG if the table would be larger
 * than VMRPC_TT_MAX_SIZE (*ret untouched). Allocation failure is fatal, as
 * everywhere in the compiler.
 */
int idl_typetab_build(const struct idl_iface *iface, struct idl_typetab *ret);
/* Free tt's bytes; tt may be NULL. */
void idl_typetab_release(struct idl_typetab *tt);

/* Warn about each interface of file whose table would exceed
 * VMRPC_TT_MAX_SIZE: its NAME_common.c gets no table (NULL, 0), and its
 * callees answer the meta call for it with -ENOENT. */
void idl_typetab_check(const struct idl_file *file, struct idl_diag *diag);

#endif /* IDL_EMIT_TYPETAB_H */
