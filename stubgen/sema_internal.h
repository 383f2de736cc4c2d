/* SPDX-License-Identifier: MIT */
/*
 * What the files of the semantic analysis share; the rest of the compiler
 * sees sema.h. sema.c runs the phases over a unit, each file one job:
 *
 *   sema_names.c   naming rules, scopes and lookup, "did you mean" hints
 *   sema_const.c   constant expressions: evaluation and range checks
 *   sema_types.c   type references: built-ins, declared types, arrays, uses
 *   sema_decls.c   declarations: scopes, C names, resolution, layouts
 *   sema_iface.c   interfaces: methods, parameters, buffers, layouts, ids
 *   sema_cnames.c  the generated C names, checked for collisions
 *   canonical.c    the canonical text behind the signature hash (sema.h)
 *
 * Every function reports what it finds through s->diag and goes on, so
 * that one run reports every error.
 */
#ifndef IDL_SEMA_INTERNAL_H
#define IDL_SEMA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"
#include "sema.h"
#include "symtab.h"

/* Arrays: at most this many elements, and no value laid out inline may pass
 * IDL_INLINE_MAX bytes, which keeps every size computation in 32 bits. */
#define IDL_ARRAY_COUNT_MAX (1u << 20)
#define IDL_INLINE_MAX (1u << 24)

/* One run of idl_sema(). */
struct sema {
	struct idl_unit *unit;
	struct idl_diag *diag;
	struct idl_file *file;     /* the file being checked: names are looked up from it */
	struct idl_symtab *scopes; /* one per file of the unit, in order: its decls by name */
	size_t n_files;
	bool ambiguous;            /* the last sema_lookup() reported an ambiguity */
	int depth;                 /* declarations being resolved, nested */
};

/* ---- names: sema_names.c ------------------------------------------------- */

/* Can name become part of a C identifier? Reports why not. A bare name
 * appears in C as written (methods, parameters, struct members); the
 * others get their file's or interface's prefix. what: "a method"... */
bool sema_check_name(struct sema *s, const char *name, const struct idl_loc *loc,
		     const char *what, bool bare);
/* sema_check_name() and the rules particular to each: the registry's
 * length limit, the generated code's own functions and locals. */
void sema_check_iface_name(struct sema *s, const struct idl_iface *iface);
void sema_check_method_name(struct sema *s, const struct idl_iface *iface,
			    const struct idl_method *m);
void sema_check_param_name(struct sema *s, const struct idl_param *p);
/* Parameters whose names clash with the ones the generated code derives
 * from another's (NAME_size...); once the parameter types are resolved. */
void sema_check_derived_names(struct sema *s, const struct idl_method *m);

/* A type name visible in s->file, or built in, close enough to name to be
 * a typo of it; NULL if none is. */
const char *sema_type_hint(struct sema *s, const char *name);

/* The declarations of file, by name. */
struct idl_symtab *sema_scope_of(const struct sema *s, const struct idl_file *file);
/* "constant", "enum"...: for messages. */
const char *sema_decl_kind_name(enum idl_decl_kind kind);
/* A name used in s->file: declared there or in a file it imports. Reports
 * an ambiguity (and sets s->ambiguous); NULL if not found or ambiguous. */
struct idl_decl *sema_lookup(struct sema *s, const char *name, const struct idl_loc *loc);

/* "A_B" from a and b, b NULL: "A"; and "a_b". In the unit's arena. */
char *sema_upper_dup(struct sema *s, const char *a, const char *b);
char *sema_join_dup(struct sema *s, const char *a, const char *b);

/* ---- constants: sema_const.c --------------------------------------------- */

/* The value of e as a kind (bool, an integer, float or double), range
 * checked. */
bool sema_eval_expr(struct sema *s, const struct idl_expr *e, enum idl_type_kind kind,
		    struct idl_value *ret);
/* A count or bound, written as a number or an integer constant's name:
 * 1..max. what: "array size"... */
bool sema_eval_count(struct sema *s, const struct idl_type_arg *a, uint64_t max,
		     const char *what, uint32_t *ret);

/* ---- types: sema_types.c ------------------------------------------------- */

/* Where a type is used: what it may be there. */
enum sema_use {
	SEMA_USE_PARAM,
	SEMA_USE_MEMBER,
	SEMA_USE_TYPEDEF,
	SEMA_USE_CONST,
	SEMA_USE_RETURN,
};

/* Resolves t, an array of dim elements if dim is not NULL, as used for
 * name (a parameter's, a member's...); marks it IDL_TYPE_INVALID after an
 * error. */
bool sema_resolve_type(struct sema *s, struct idl_type *t, const struct idl_type_arg *dim,
		       enum sema_use use, const char *name);
/* The number of arguments written between t's angle brackets. */
size_t sema_targ_count(const struct idl_type *t);

/* ---- declarations: sema_decls.c ------------------------------------------ */

/* Enters file's declarations in its scope, each with its C name; reports
 * bad and duplicate names. Runs on every file before any is resolved. */
void sema_declare_decls(struct sema *s, struct idl_file *file);
/* Resolves every declaration of file that sema_declare_decls() took. */
void sema_resolve_decls(struct sema *s, struct idl_file *file);
/* Resolves d once (a constant's value, a type's layout...), in the file
 * that declares it, and reports a cycle; true if it resolved without
 * error. */
bool sema_resolve_decl(struct sema *s, struct idl_decl *d);

/* ---- interfaces: sema_iface.c -------------------------------------------- */

/* Checks iface, a declaration of s->file, and everything in it; assigns
 * the method ids and lays out each method's args and results. syntax_ok:
 * the file parsed without error (else an empty interface is no news). */
void sema_check_iface(struct sema *s, struct idl_iface *iface, bool syntax_ok);

/* ---- generated C names: sema_cnames.c ------------------------------------ */

/* Reports every C name the generated code of the unit would declare twice.
 * Only on a unit without errors: the names depend on resolved layouts. */
void sema_check_c_names(struct sema *s);

#endif /* IDL_SEMA_INTERNAL_H */
