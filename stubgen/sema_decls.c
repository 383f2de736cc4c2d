/* SPDX-License-Identifier: MIT */
/*
 * Declarations: constants, enums, structs and typedefs. Each file's are
 * entered in its scope first, so that one may name another declared after
 * it or in an imported file; each is then resolved once, on first use or
 * in declaration order, and a declaration met again while it is being
 * resolved is a cycle.
 */
#include "sema_internal.h"

#include <inttypes.h>
#include <string.h>

/* Types nest (struct in struct, typedef of typedef) at most this deep: the
 * compiler recurses over the nesting, and no real interface comes close. */
#define IDL_NESTING_MAX 256

static bool resolve_const(struct sema *s, struct idl_decl *d)
{
	return sema_resolve_type(s, &d->type, NULL, SEMA_USE_CONST, d->name) &&
	       sema_eval_expr(s, &d->expr, d->type.kind, &d->value);
}

static bool resolve_enum(struct sema *s, struct idl_decl *d)
{
	struct idl_symtab names;
	int64_t next = 0;
	bool ok = true;

	if (!d->enumerators) {
		idl_error(s->diag, &d->loc, "enum '%s' has no values", d->name);
		return false;
	}
	idl_symtab_init(&names);
	for (struct idl_enumerator *e = d->enumerators; e; e = e->next) {
		struct idl_enumerator *first;

		if (!sema_check_name(s, e->name, &e->loc, "an enum value", false)) {
			ok = false;
		} else if ((first = idl_symtab_put(&names, sema_upper_dup(s, e->name, NULL), e))) {
			idl_error(s->diag, &e->loc,
				  "enum '%s' has '%s' twice (first at %d:%d; upper case is compared, as the C names are)",
				  d->name, e->name, first->loc.first_line, first->loc.first_column);
			ok = false;
		}
		if (e->has_value) {
			struct idl_value v;

			if (!sema_eval_expr(s, &e->expr, IDL_TYPE_INT32, &v)) {
				ok = false;
				continue;
			}
			e->value = (int32_t)(uint32_t)v.bits;
		} else if (next > INT32_MAX) {
			idl_error(s->diag, &e->loc, "value of '%s' would be %" PRId64 ", past int32",
				  e->name, next);
			ok = false;
			continue;
		} else {
			e->value = next;
		}
		next = e->value + 1;
		for (const struct idl_enumerator *o = d->enumerators; o != e; o = o->next) {
			if (o->value == e->value) {
				idl_warning(s->diag, &e->loc,
					    "'%s' has the value of '%s' (%" PRId64 ")", e->name,
					    o->name, e->value);
				break;
			}
		}
	}
	idl_symtab_release(&names);
	return ok;
}

static bool resolve_struct(struct sema *s, struct idl_decl *d)
{
	bool ok = true;

	if (!d->members) {
		idl_error(s->diag, &d->loc, "struct '%s' has no members; C has no empty structs",
			  d->name);
		return false;
	}
	for (struct idl_member *mb = d->members; mb; mb = mb->next) {
		if (!sema_check_name(s, mb->name, &mb->loc, "a struct member", true))
			ok = false;
		for (const struct idl_member *o = d->members; o != mb; o = o->next) {
			if (strcmp(o->name, mb->name) == 0) {
				idl_error(s->diag, &mb->loc,
					  "duplicate member '%s' in struct '%s' (first at %d:%d)",
					  mb->name, d->name, o->loc.first_line,
					  o->loc.first_column);
				ok = false;
				break;
			}
		}
		if (!sema_resolve_type(s, &mb->type, mb->dim, SEMA_USE_MEMBER, mb->name)) {
			ok = false;
			continue;
		}
		d->needs_check |= idl_type_needs_check(&mb->type);
	}
	if (!ok)
		return false;
	d->layout = idl_layout_struct(d, NULL, NULL);
	if (d->layout.size > IDL_INLINE_MAX) {
		idl_error(s->diag, &d->loc, "struct '%s' takes more than %u bytes", d->name,
			  IDL_INLINE_MAX);
		return false;
	}
	return true;
}

bool sema_resolve_decl(struct sema *s, struct idl_decl *d)
{
	struct idl_file *saved = s->file;

	if (d->state == 2)
		return d->ok;
	if (d->state == 1) {
		if (d->kind == IDL_DECL_STRUCT)
			idl_error(s->diag, &d->loc,
				  "recursive struct '%s': it contains itself, directly or through another struct; structs are laid out by value, so none can contain itself",
				  d->name);
		else
			idl_error(s->diag, &d->loc, "%s '%s' is defined in terms of itself",
				  sema_decl_kind_name(d->kind), d->name);
		return false;
	}
	if (s->depth >= IDL_NESTING_MAX) {
		idl_error(s->diag, &d->loc, "%s '%s' nests types more than %d deep",
			  sema_decl_kind_name(d->kind), d->name, IDL_NESTING_MAX);
		d->state = 2;
		return false;
	}
	s->depth++;
	d->state = 1;
	s->file = d->file; /* names in it are looked up where it was written */
	switch (d->kind) {
	case IDL_DECL_CONST:
		d->ok = resolve_const(s, d);
		break;
	case IDL_DECL_ENUM:
		d->ok = resolve_enum(s, d);
		break;
	case IDL_DECL_STRUCT:
		d->ok = resolve_struct(s, d);
		break;
	case IDL_DECL_TYPEDEF:
		d->resolved = d->type;
		d->ok = sema_resolve_type(s, &d->resolved, d->dim, SEMA_USE_TYPEDEF, d->name);
		break;
	}
	s->file = saved;
	s->depth--;
	d->state = 2;
	return d->ok;
}

void sema_declare_decls(struct sema *s, struct idl_file *file)
{
	struct idl_symtab *scope = sema_scope_of(s, file);

	for (struct idl_decl *d = file->decls; d; d = d->next) {
		struct idl_decl *first;

		if (!sema_check_name(s, d->name, &d->loc, "a declaration", false))
			continue;
		if (idl_type_kind_of_name(d->name) != IDL_TYPE_UNRESOLVED)
			continue; /* keywords: reported above */
		first = idl_symtab_put(scope, d->name, d);
		if (first) {
			idl_error(s->diag, &d->loc, "'%s' is declared twice (first at %d:%d)",
				  d->name, first->loc.first_line, first->loc.first_column);
			continue;
		}
		d->cname = d->kind == IDL_DECL_CONST ? sema_upper_dup(s, file->stem, d->name)
						     : sema_join_dup(s, file->stem, d->name);
	}
}

/* Every declaration is checked, used or not: a file of types is a library. */
void sema_resolve_decls(struct sema *s, struct idl_file *file)
{
	for (struct idl_decl *d = file->decls; d; d = d->next)
		if (d->cname)
			sema_resolve_decl(s, d);
}
