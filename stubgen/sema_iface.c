/* SPDX-License-Identifier: MIT */
/*
 * Interfaces: their methods and parameters, the buffers that name other
 * parameters for their size and length, the args and results blocks each
 * method lays out (which must fit the channel's), and the method ids on
 * the wire.
 */
#include "sema_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmrpc/abi.h"

/* ---- parameters ---------------------------------------------------------- */

static struct idl_param *param_lookup(struct idl_method *m, const char *name)
{
	for (struct idl_param *p = m->params; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Is a parameter a buffer refers to (by name) usable as an integer of the
 * given direction? role is "size" or "length". */
static struct idl_param *buffer_ref(struct sema *s, struct idl_method *m,
				    const struct idl_param *buf,
				    const struct idl_type_arg *a, const char *role,
				    enum idl_dir dir)
{
	static const char *const dir_names[] = { "in", "out", "inout" };
	struct idl_param *ref = param_lookup(m, a->name);

	if (!ref) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' is not a parameter of method '%s'", role,
			  a->name, buf->name, m->name);
		return NULL;
	}
	if (ref->type.kind == IDL_TYPE_INVALID)
		return NULL; /* already reported */
	if (!idl_type_is_integer(ref->type.kind)) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' must be an integer parameter, but it is a %s",
			  role, a->name, buf->name, ref->type.name);
		return NULL;
	}
	if (ref->dir != dir) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' must be an %s parameter, but it is %s", role,
			  a->name, buf->name, dir_names[dir], dir_names[ref->dir]);
		return NULL;
	}
	return ref;
}

/* Runs after every parameter type is resolved: a buffer names others. */
static void resolve_buffer(struct sema *s, struct idl_method *m, struct idl_param *p)
{
	struct idl_type *t = &p->type;
	const struct idl_type_arg *size = t->args, *len = size ? size->next : NULL;

	if (!t->has_args) {
		idl_error(s->diag, &t->loc,
			  "buffer '%s' needs a size: buffer<SIZE>, where SIZE names an in integer parameter",
			  p->name);
		goto invalid;
	}
	if (sema_targ_count(t) > 2) {
		idl_error(s->diag, &t->loc,
			  "buffer takes at most two arguments: buffer<SIZE, LEN>");
		goto invalid;
	}
	if (size->kind == IDL_TARG_NUMBER) {
		idl_error(s->diag, &size->loc,
			  "size of buffer '%s' must name an in integer parameter, not a number",
			  p->name);
		goto invalid;
	}
	if (size->kind == IDL_TARG_RETURN) {
		idl_error(s->diag, &size->loc,
			  "'return' can only be a buffer's length: buffer<SIZE, return>");
		goto invalid;
	}
	t->size_param = buffer_ref(s, m, p, size, "size", IDL_DIR_IN);
	if (!t->size_param)
		goto invalid;
	if (!len)
		return;
	if (p->dir == IDL_DIR_IN) {
		idl_error(s->diag, &len->loc,
			  "in buffer '%s' cannot have a length: the caller sends all SIZE bytes; only out and inout buffers take buffer<SIZE, LEN>",
			  p->name);
		goto invalid;
	}
	switch (len->kind) {
	case IDL_TARG_NUMBER:
		idl_error(s->diag, &len->loc,
			  "length of buffer '%s' must be 'return' or name an out integer parameter",
			  p->name);
		goto invalid;
	case IDL_TARG_RETURN:
		if (m->ret.kind == IDL_TYPE_VOID) {
			idl_error(s->diag, &len->loc,
				  "length of buffer '%s' is 'return', but method '%s' returns void",
				  p->name, m->name);
			goto invalid;
		}
		t->len_is_return = true;
		return;
	case IDL_TARG_NAME:
		t->len_param = buffer_ref(s, m, p, len, "length", IDL_DIR_OUT);
		if (!t->len_param)
			goto invalid;
		return;
	}
invalid:
	t->kind = IDL_TYPE_INVALID;
}

static void check_params(struct sema *s, struct idl_method *m)
{
	for (struct idl_param *p = m->params; p; p = p->next) {
		sema_check_param_name(s, p);
		for (const struct idl_param *q = m->params; q != p; q = q->next) {
			if (strcmp(q->name, p->name) == 0) {
				idl_error(s->diag, &p->loc,
					  "duplicate parameter '%s' in method '%s' (first at %d:%d)",
					  p->name, m->name, q->loc.first_line,
					  q->loc.first_column);
				break;
			}
		}
		sema_resolve_type(s, &p->type, p->dim, SEMA_USE_PARAM, p->name);
		if (m->oneway && p->dir != IDL_DIR_IN && p->type.kind != IDL_TYPE_INVALID)
			idl_error(s->diag, &p->loc,
				  "oneway method '%s' has %s parameter '%s'; a oneway call gets no reply, so every parameter is in",
				  m->name, p->dir == IDL_DIR_OUT ? "out" : "inout", p->name);
	}
	for (struct idl_param *p = m->params; p; p = p->next)
		if (p->type.kind == IDL_TYPE_BUFFER)
			resolve_buffer(s, m, p);
	sema_check_derived_names(s, m);
}

/* ---- methods and interfaces ---------------------------------------------- */

static bool method_resolved(const struct idl_method *m)
{
	if (m->ret.kind == IDL_TYPE_INVALID)
		return false;
	for (const struct idl_param *p = m->params; p; p = p->next)
		if (p->type.kind == IDL_TYPE_INVALID)
			return false;
	return true;
}

static void check_method(struct sema *s, struct idl_iface *iface, struct idl_method *m,
			 struct idl_symtab *names)
{
	struct idl_method *first;

	sema_check_method_name(s, iface, m);
	first = idl_symtab_put(names, sema_upper_dup(s, m->name, NULL), m);
	if (first && strcmp(first->name, m->name) == 0)
		idl_error(s->diag, &m->loc,
			  "duplicate method '%s' in interface '%s' (first at %d:%d)", m->name,
			  iface->name, first->loc.first_line, first->loc.first_column);
	else if (first)
		idl_error(s->diag, &m->loc,
			  "method '%s' differs from '%s' (%d:%d) only in case; their generated enum values would clash",
			  m->name, first->name, first->loc.first_line, first->loc.first_column);
	if (sema_resolve_type(s, &m->ret, NULL, SEMA_USE_RETURN, m->name) && m->oneway &&
	    m->ret.kind != IDL_TYPE_VOID) {
		idl_error(s->diag, &m->ret.loc,
			  "oneway method '%s' returns '%s'; a oneway call gets no reply, so it returns void",
			  m->name, m->ret.name);
		m->ret.kind = IDL_TYPE_INVALID;
	}
	check_params(s, m);
	if (!method_resolved(m))
		return;

	m->args = idl_layout_method(m, false, NULL, NULL);
	m->results = idl_layout_method(m, true, NULL, NULL);
	if (m->args.size > VMRPC_ARGS_SIZE)
		idl_error(s->diag, &m->loc,
			  "the arguments of method '%s' take %u bytes, more than the %u of the args block; pass large data in a buffer",
			  m->name, m->args.size, VMRPC_ARGS_SIZE);
	if (m->results.size > VMRPC_RESULTS_SIZE)
		idl_error(s->diag, &m->loc,
			  "the out values of method '%s' take %u bytes, more than the %u of the results block; return large data in an out buffer",
			  m->name, m->results.size, VMRPC_RESULTS_SIZE);
}

/* Method ids: as written ("= ID"), else one more than the method before
 * (the first: 0). */
static void assign_ids(struct sema *s, struct idl_iface *iface)
{
	struct idl_method **by_id;
	uint64_t next = 0, max = 0;

	for (struct idl_method *m = iface->methods; m; m = m->next) {
		uint64_t id = m->has_id ? m->written_id : next;

		if (id > IDL_METHOD_ID_MAX) {
			idl_error(s->diag, m->has_id ? &m->id_loc : &m->loc,
				  "method id %" PRIu64 " of '%s' is too large; ids go up to %u", id,
				  m->name, IDL_METHOD_ID_MAX);
			m->id = UINT32_MAX; /* reported: no duplicate check */
			next = id + 1;
			continue;
		}
		m->id = (uint32_t)id;
		next = id + 1;
		if (id > max)
			max = id;
	}
	iface->n_ids = iface->methods ? (uint32_t)max + 1 : 0;
	by_id = calloc(iface->n_ids ? iface->n_ids : 1, sizeof(*by_id));
	if (!by_id) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	for (struct idl_method *m = iface->methods; m; m = m->next) {
		struct idl_method *first;

		if (m->id == UINT32_MAX)
			continue;
		first = by_id[m->id];
		if (first) {
			idl_error(s->diag, m->has_id ? &m->id_loc : &m->loc,
				  "duplicate method id %u: '%s' has it too (%d:%d); give each method its own id",
				  m->id, first->name, first->loc.first_line,
				  first->loc.first_column);
			continue;
		}
		by_id[m->id] = m;
	}
	free(by_id);
}

void sema_check_iface(struct sema *s, struct idl_iface *iface, bool syntax_ok)
{
	struct idl_symtab names;

	sema_check_iface_name(s, iface);
	for (const struct idl_iface *o = s->file->ifaces; o != iface; o = o->next) {
		if (strcmp(o->name, iface->name) == 0) {
			idl_error(s->diag, &iface->loc,
				  "duplicate interface '%s' (first at %d:%d)", iface->name,
				  o->loc.first_line, o->loc.first_column);
			break;
		}
		if (strcasecmp(o->name, iface->name) == 0) {
			idl_error(s->diag, &iface->loc,
				  "interface '%s' differs from '%s' (%d:%d) only in case; their generated file names would clash",
				  iface->name, o->name, o->loc.first_line, o->loc.first_column);
			break;
		}
	}
	if (iface->version > UINT32_MAX)
		idl_error(s->diag, &iface->version_loc,
			  "version %" PRIu64 " of interface '%s' does not fit in 32 bits",
			  iface->version, iface->name);
	if (iface->n_methods == 0 && syntax_ok)
		idl_warning(s->diag, &iface->loc, "interface '%s' has no methods", iface->name);
	assign_ids(s, iface);
	idl_symtab_init(&names);
	for (struct idl_method *m = iface->methods; m; m = m->next)
		check_method(s, iface, m, &names);
	idl_symtab_release(&names);
}
