/* SPDX-License-Identifier: MIT */
/*
 * Type references: what a type as written stands for (a built-in with its
 * bound, or a declared type; either one as an array), and whether it may
 * stand where it is used. A buffer's arguments name parameters, so they
 * are left to the interface checks, once every parameter is resolved.
 */
#include "sema_internal.h"

#include <string.h>

size_t sema_targ_count(const struct idl_type *t)
{
	size_t n = 0;

	for (const struct idl_type_arg *a = t->args; a; a = a->next)
		n++;
	return n;
}

static void unknown_type(struct sema *s, const struct idl_type *t)
{
	const char *hint = sema_type_hint(s, t->name);

	if (hint)
		idl_error(s->diag, &t->loc, "unknown type '%s'; did you mean '%s'?", t->name,
			  hint);
	else
		idl_error(s->diag, &t->loc,
			  "unknown type '%s'; the types are bool, int8..int64, uint8..uint64, float, double, string<MAX>, buffer<SIZE> and the structs, enums and typedefs declared in this file or the files it imports",
			  t->name);
}

static bool resolve_string(struct sema *s, struct idl_type *t, const char *name)
{
	if (!t->has_args) {
		idl_error(s->diag, &t->loc,
			  "string '%s' needs a bound: string<MAX>, MAX bytes without the NUL (e.g. string<255>)",
			  name);
		return false;
	}
	if (sema_targ_count(t) != 1) {
		idl_error(s->diag, &t->loc,
			  "string takes one bound: string<MAX>, a number or an integer constant");
		return false;
	}
	return sema_eval_count(s, t->args, IDL_STRING_BOUND_MAX, "string bound", &t->bound);
}

/* The type a name stands for, without a dimension. */
static bool resolve_base(struct sema *s, struct idl_type *t, const char *name)
{
	struct idl_decl *d;

	t->kind = idl_type_kind_of_name(t->name);
	if (t->kind == IDL_TYPE_STRING)
		return resolve_string(s, t, name);
	if (t->kind != IDL_TYPE_UNRESOLVED && t->kind != IDL_TYPE_BUFFER && t->has_args) {
		idl_error(s->diag, &t->loc, "type '%s' takes no <...> arguments", t->name);
		return false;
	}
	if (t->kind != IDL_TYPE_UNRESOLVED)
		return true; /* a buffer's arguments name parameters: later */
	d = sema_lookup(s, t->name, &t->loc);
	if (!d) {
		if (!s->ambiguous)
			unknown_type(s, t);
		return false;
	}
	if (t->has_args) {
		idl_error(s->diag, &t->loc, "type '%s' takes no <...> arguments", t->name);
		return false;
	}
	if (d->kind == IDL_DECL_CONST) {
		idl_error(s->diag, &t->loc, "'%s' is a constant, not a type", t->name);
		return false;
	}
	if (!sema_resolve_decl(s, d))
		return false;
	switch (d->kind) {
	case IDL_DECL_ENUM:
		t->kind = IDL_TYPE_ENUM;
		t->decl = d;
		return true;
	case IDL_DECL_STRUCT:
		t->kind = IDL_TYPE_STRUCT;
		t->decl = d;
		return true;
	default: {
		struct idl_type as_written = *t;

		*t = d->resolved;
		t->name = as_written.name;
		t->loc = as_written.loc;
		t->has_args = false;
		t->args = NULL;
		t->tdef = d;
		return true;
	}
	}
}

static bool make_array(struct sema *s, struct idl_type *t, const struct idl_type_arg *dim,
		       enum sema_use use, const char *name)
{
	struct idl_type *elem;
	uint32_t count;

	switch (t->kind) {
	case IDL_TYPE_VOID:
	case IDL_TYPE_BUFFER:
		idl_error(s->diag, &dim->loc, "there are no arrays of %s", t->name);
		return false;
	case IDL_TYPE_STRING:
		if (use == SEMA_USE_PARAM) {
			idl_error(s->diag, &dim->loc,
				  "parameter '%s' is an array of strings, which only a struct can hold; pass a struct with a member 'string<N> %s[M]'",
				  name, name);
			return false;
		}
		break;
	default:
		break;
	}
	if (!sema_eval_count(s, dim, IDL_ARRAY_COUNT_MAX, "array size", &count))
		return false;
	if ((uint64_t)idl_type_size(t) * count > IDL_INLINE_MAX) {
		idl_error(s->diag, &dim->loc, "array '%s' would take more than %u bytes", name,
			  IDL_INLINE_MAX);
		return false;
	}
	elem = idl_arena_alloc(&s->unit->arena, sizeof(*elem));
	*elem = *t;
	memset(t, 0, sizeof(*t));
	t->name = elem->name;
	t->loc = elem->loc;
	t->kind = IDL_TYPE_ARRAY;
	t->elem = elem;
	t->count = count;
	return true;
}

/* What a use allows, once the type is known. */
static bool check_use(struct sema *s, const struct idl_type *t, enum sema_use use,
		      const char *name)
{
	switch (use) {
	case SEMA_USE_PARAM:
		if (t->kind == IDL_TYPE_VOID) {
			idl_error(s->diag, &t->loc, "parameter '%s' cannot be void", name);
			return false;
		}
		return true;
	case SEMA_USE_MEMBER:
	case SEMA_USE_TYPEDEF:
		if (t->kind == IDL_TYPE_VOID || t->kind == IDL_TYPE_BUFFER) {
			idl_error(s->diag, &t->loc,
				  "%s '%s' cannot be a %s: %s",
				  use == SEMA_USE_MEMBER ? "member" : "typedef", name, t->name,
				  t->kind == IDL_TYPE_VOID
					  ? "void has no values"
					  : "a buffer is sized by another parameter, so only a method parameter can be one");
			return false;
		}
		return true;
	case SEMA_USE_CONST:
		if (t->kind != IDL_TYPE_BOOL && !idl_type_is_integer(t->kind) &&
		    t->kind != IDL_TYPE_FLOAT && t->kind != IDL_TYPE_DOUBLE) {
			idl_error(s->diag, &t->loc,
				  "constant '%s' has type '%s'; constants are bool, integers, float or double",
				  name, t->name);
			return false;
		}
		return true;
	case SEMA_USE_RETURN:
		if (t->kind != IDL_TYPE_VOID && t->kind != IDL_TYPE_INT32 &&
		    t->kind != IDL_TYPE_INT64) {
			idl_error(s->diag, &t->loc,
				  "method '%s' returns '%s'; a method returns void, int32 or int64, which carries -errno on failure (return other values through an out parameter)",
				  name, t->name);
			return false;
		}
		return true;
	}
	return true;
}

bool sema_resolve_type(struct sema *s, struct idl_type *t, const struct idl_type_arg *dim,
		       enum sema_use use, const char *name)
{
	if (!resolve_base(s, t, name) || (dim && !make_array(s, t, dim, use, name)) ||
	    !check_use(s, t, use, name)) {
		t->kind = IDL_TYPE_INVALID;
		return false;
	}
	return true;
}
