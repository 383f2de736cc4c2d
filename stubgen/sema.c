/* SPDX-License-Identifier: MIT */
#include "sema_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmrpc/abi.h"

/* Types nest (struct in struct, typedef of typedef) at most this deep: the
 * compiler recurses over the nesting, and no real interface comes close. */
#define IDL_NESTING_MAX 256

/* ---- declarations -------------------------------------------------------- */

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
					  mb->name, d->name, o->loc.first_line, o->loc.first_column);
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

static void check_decls(struct sema *s, struct idl_file *file)
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
static void resolve_decls(struct sema *s, struct idl_file *file)
{
	for (struct idl_decl *d = file->decls; d; d = d->next)
		if (d->cname)
			sema_resolve_decl(s, d);
}

/* ---- parameters ----------------------------------------------------------- */

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
				  m->id, first->name, first->loc.first_line, first->loc.first_column);
			continue;
		}
		by_id[m->id] = m;
	}
	free(by_id);
}

static void check_iface(struct sema *s, struct idl_iface *iface, bool syntax_ok)
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

/* ---- the phase ------------------------------------------------------------- */

static void check_file(struct sema *s, struct idl_file *file, bool syntax_ok)
{
	s->file = file;
	resolve_decls(s, file);
	s->file = file;
	for (struct idl_iface *iface = file->ifaces; iface; iface = iface->next)
		check_iface(s, iface, syntax_ok);
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
		check_decls(&s, f);
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
