/* SPDX-License-Identifier: MIT */
/*
 * Semantic analysis: resolves names (types, constants, the parameters
 * buffers refer to) across a file and its imports, checks every rule of the
 * language (docs/idl.md), lays out structs and args and results blocks,
 * assigns method ids and computes each interface's signature hash. Reports
 * every problem it finds; the emitters may only run when it returns 0.
 */
#ifndef IDL_SEMA_H
#define IDL_SEMA_H

#include "ast.h"
#include "diag.h"
#include "strbuf.h"

#define IDL_IFACE_NAME_MAX 39u   /* VMRPC_REG_NAME_MAX - 1 */
#define IDL_METHOD_ID_MAX 65535u
#define IDL_STRING_BOUND_MAX 65535u

/* Returns 0, or -1 if it reported an error (warnings do not count). */
int idl_sema(struct idl_unit *unit, struct idl_diag *diag);

/* The canonical text of a resolved interface, the input of its signature
 * hash (idl_fnv1a64(), symtab.h); appended to out. */
void idl_canonical_text(const struct idl_iface *iface, struct idl_buf *out);

#endif /* IDL_SEMA_H */
