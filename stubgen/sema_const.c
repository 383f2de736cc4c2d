/* SPDX-License-Identifier: MIT */
/*
 * Constant expressions: a literal or a constant's name, possibly negated,
 * evaluated as the type it is assigned to (a constant's, int32 for an enum
 * value, uint64 for a count) and checked against that type's range: the
 * job flatcc gives its coerce.c. Integers are carried as sign and
 * magnitude so that every int64 and every uint64 value is exact.
 */
#include "sema_internal.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>

/* An integer as sign and magnitude, whatever its type. */
struct num {
	bool negative;
	uint64_t magnitude;
};

static uint64_t int_max(enum idl_type_kind kind)
{
	uint32_t bits = idl_scalar_size(kind) * 8;

	if (idl_type_is_signed(kind))
		return (UINT64_C(1) << (bits - 1)) - 1;
	return bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
}

static bool num_fits(struct num n, enum idl_type_kind kind)
{
	if (n.negative && n.magnitude != 0)
		return idl_type_is_signed(kind) && n.magnitude - 1 <= int_max(kind);
	return n.magnitude <= int_max(kind);
}

static struct num num_of_value(const struct idl_value *v)
{
	struct num n = { false, v->bits };

	if (idl_type_is_signed(v->kind) && (int64_t)v->bits < 0) {
		n.negative = true;
		n.magnitude = (uint64_t)0 - v->bits;
	}
	return n;
}

/* A constant an expression names, resolved. NULL after an error. */
static struct idl_decl *expr_const(struct sema *s, const struct idl_expr *e)
{
	struct idl_decl *d = sema_lookup(s, e->name, &e->loc);

	if (!d) {
		if (!s->ambiguous)
			idl_error(s->diag, &e->loc, "unknown constant '%s'", e->name);
		return NULL;
	}
	if (d->kind != IDL_DECL_CONST) {
		idl_error(s->diag, &e->loc, "'%s' is a %s, not a constant", e->name,
			  sema_decl_kind_name(d->kind));
		return NULL;
	}
	return sema_resolve_decl(s, d) ? d : NULL;
}

bool sema_eval_expr(struct sema *s, const struct idl_expr *e, enum idl_type_kind kind,
		    struct idl_value *ret)
{
	const char *tname = idl_type_kind_name(kind);
	struct idl_value v = { .kind = kind };
	struct num n = { e->negative, e->number };
	const struct idl_decl *c = NULL;

	if (e->kind == IDL_EXPR_NAME) {
		c = expr_const(s, e);
		if (!c)
			return false;
	}
	if (kind == IDL_TYPE_BOOL) {
		if (e->kind == IDL_EXPR_BOOL ||
		    (c && c->value.kind == IDL_TYPE_BOOL && !e->negative)) {
			v.bits = c ? c->value.bits : e->boolean;
			*ret = v;
			return true;
		}
		idl_error(s->diag, &e->loc, "a bool is true or false");
		return false;
	}
	if (kind == IDL_TYPE_FLOAT || kind == IDL_TYPE_DOUBLE) {
		if (e->kind == IDL_EXPR_FLOAT) {
			v.fnumber = e->fnumber;
		} else if (e->kind == IDL_EXPR_NUMBER) {
			v.fnumber = (double)e->number;
			if (e->negative)
				v.fnumber = -v.fnumber;
		} else if (c && (c->value.kind == IDL_TYPE_FLOAT ||
				 c->value.kind == IDL_TYPE_DOUBLE)) {
			v.fnumber = e->negative ? -c->value.fnumber : c->value.fnumber;
		} else if (c && idl_type_is_integer(c->value.kind)) {
			struct num cn = num_of_value(&c->value);

			v.fnumber = (double)cn.magnitude;
			if (cn.negative != e->negative)
				v.fnumber = -v.fnumber;
		} else {
			idl_error(s->diag, &e->loc, "a %s constant needs a number", tname);
			return false;
		}
		if (isinf(v.fnumber) || isnan(v.fnumber) ||
		    (kind == IDL_TYPE_FLOAT && fabs(v.fnumber) > FLT_MAX)) {
			idl_error(s->diag, &e->loc, "value out of range for %s", tname);
			return false;
		}
		*ret = v;
		return true;
	}
	/* an integer */
	if (c) {
		if (!idl_type_is_integer(c->value.kind)) {
			idl_error(s->diag, &e->loc,
				  "'%s' is a %s constant; %s needs an integer", e->name,
				  idl_type_kind_name(c->value.kind), tname);
			return false;
		}
		n = num_of_value(&c->value);
		if (e->negative)
			n.negative = !n.negative;
	} else if (e->kind != IDL_EXPR_NUMBER) {
		idl_error(s->diag, &e->loc, "%s needs an integer value", tname);
		return false;
	}
	if (!num_fits(n, kind)) {
		idl_error(s->diag, &e->loc, "value %s%" PRIu64 " is out of range for %s",
			  n.negative ? "-" : "", n.magnitude, tname);
		return false;
	}
	v.bits = n.negative ? (uint64_t)0 - n.magnitude : n.magnitude;
	*ret = v;
	return true;
}

bool sema_eval_count(struct sema *s, const struct idl_type_arg *a, uint64_t max,
		     const char *what, uint32_t *ret)
{
	uint64_t v;

	if (a->kind == IDL_TARG_RETURN) {
		idl_error(s->diag, &a->loc, "%s must be a number or an integer constant", what);
		return false;
	}
	if (a->kind == IDL_TARG_NAME) {
		struct idl_expr e = { .kind = IDL_EXPR_NAME, .name = a->name, .loc = a->loc };
		struct idl_value val;

		if (!sema_eval_expr(s, &e, IDL_TYPE_UINT64, &val))
			return false;
		v = val.bits;
	} else {
		v = a->number;
	}
	if (v == 0 || v > max) {
		idl_error(s->diag, &a->loc, "%s %" PRIu64 " is out of range: 1 to %" PRIu64, what,
			  v, max);
		return false;
	}
	*ret = (uint32_t)v;
	return true;
}
