/* SPDX-License-Identifier: MIT */
/*
 * The type table of an interface (vmrpc/typetab.h). Records are collected
 * in host form while walking the methods in declaration order, then written
 * out little-endian one field at a time.
 *
 * A type is added after the types it holds (an array's element, a struct's
 * members), which is what gives the table its "lower index" rule. Types are
 * shared when every field of their record is equal, so a struct used by
 * ten methods is described once; a buffer never is, since its record names
 * the parameters of one method. An enum's enumerators and a struct's
 * members are written once per declaration, even when a typedef gives the
 * type a second name (and so a second record).
 */
#include "emit_typetab.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "symtab.h"
#include "vmrpc/typetab.h"

/* A growable array of records; allocation failure is fatal, as in strbuf.c. */
struct tt_vec {
	void *data;
	uint32_t n;
	uint32_t cap;
};

static void *tt_alloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Append a zeroed record of size bytes; returns its index. The records may
 * move: take their address only after the last push. */
static uint32_t tt_push(struct tt_vec *v, size_t size)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->data = tt_alloc(v->data, (size_t)v->cap * size);
	}
	memset((char *)v->data + (size_t)v->n * size, 0, size);
	return v->n++;
}

/* Host-form records, the fields of their vmrpc_tt_* counterparts. */
struct tt_method {
	uint32_t name, id, flags, ret, first_param, n_params, args_size, results_size;
};

struct tt_param {
	uint32_t name, type, dir, args_off, results_off;
};

struct tt_type {
	uint32_t kind, name, size, align, a, b;
};

struct tt_member {
	uint32_t name, type, offset;
};

struct tt_enumerator {
	uint32_t name;
	int32_t value;
};

/* Where a declaration's members or enumerators are. */
struct tt_run {
	const struct idl_decl *decl;
	uint32_t first;
	uint32_t count;
};

struct tt {
	struct tt_vec methods, params, types, members, enumerators, runs;
	struct tt_vec shared; /* uint32_t: the types other than buffers, to share */
	struct idl_buf strings;
	struct idl_symtab names; /* name -> its offset in strings, as a pointer */
};

#define TT_AT(vec, type, i) (&((type *)(vec).data)[i])

/* A name's offset in strings, adding it the first time. "" is 0. */
static uint32_t tt_name(struct tt *tt, const char *name)
{
	uintptr_t off;
	void *had;

	if (!name || !*name)
		return 0;
	had = idl_symtab_get(&tt->names, name);
	if (had)
		return (uint32_t)(uintptr_t)had;
	off = tt->strings.len; /* never 0: strings starts with its NUL */
	idl_buf_put(&tt->strings, name, strlen(name) + 1);
	idl_symtab_put(&tt->names, name, (void *)off);
	return (uint32_t)off;
}

static uint32_t tt_kind(enum idl_type_kind kind)
{
	switch (kind) {
	case IDL_TYPE_VOID:
		return VMRPC_TT_VOID;
	case IDL_TYPE_BOOL:
		return VMRPC_TT_BOOL;
	case IDL_TYPE_INT8:
		return VMRPC_TT_INT8;
	case IDL_TYPE_INT16:
		return VMRPC_TT_INT16;
	case IDL_TYPE_INT32:
		return VMRPC_TT_INT32;
	case IDL_TYPE_INT64:
		return VMRPC_TT_INT64;
	case IDL_TYPE_UINT8:
		return VMRPC_TT_UINT8;
	case IDL_TYPE_UINT16:
		return VMRPC_TT_UINT16;
	case IDL_TYPE_UINT32:
		return VMRPC_TT_UINT32;
	case IDL_TYPE_UINT64:
		return VMRPC_TT_UINT64;
	case IDL_TYPE_FLOAT:
		return VMRPC_TT_FLOAT;
	case IDL_TYPE_DOUBLE:
		return VMRPC_TT_DOUBLE;
	case IDL_TYPE_STRING:
		return VMRPC_TT_STRING;
	case IDL_TYPE_BUFFER:
		return VMRPC_TT_BUFFER;
	case IDL_TYPE_ENUM:
		return VMRPC_TT_ENUM;
	case IDL_TYPE_STRUCT:
		return VMRPC_TT_STRUCT;
	case IDL_TYPE_ARRAY:
		return VMRPC_TT_ARRAY;
	default:
		/* UNRESOLVED, INVALID: sema reported them, nothing is emitted */
		return 0;
	}
}

static const struct tt_run *tt_find_run(const struct tt *tt, const struct idl_decl *d)
{
	for (uint32_t i = 0; i < tt->runs.n; i++)
		if (TT_AT(tt->runs, struct tt_run, i)->decl == d)
			return TT_AT(tt->runs, struct tt_run, i);
	return NULL;
}

static void tt_add_run(struct tt *tt, const struct idl_decl *d, uint32_t first, uint32_t count)
{
	uint32_t i = tt_push(&tt->runs, sizeof(struct tt_run));

	*TT_AT(tt->runs, struct tt_run, i) = (struct tt_run){ d, first, count };
}

static void tt_enumerators(struct tt *tt, const struct idl_decl *d, struct tt_type *rec)
{
	const struct tt_run *run = tt_find_run(tt, d);

	if (!run) {
		uint32_t first = tt->enumerators.n, count = 0;

		for (const struct idl_enumerator *e = d->enumerators; e; e = e->next) {
			uint32_t name = tt_name(tt, e->name);
			uint32_t i = tt_push(&tt->enumerators, sizeof(struct tt_enumerator));

			/* sema keeps every value in int32 */
			*TT_AT(tt->enumerators, struct tt_enumerator, i) =
				(struct tt_enumerator){ name, (int32_t)e->value };
			count++;
		}
		tt_add_run(tt, d, first, count);
		run = tt_find_run(tt, d);
	}
	rec->a = run->first;
	rec->b = run->count;
}

static uint32_t tt_type(struct tt *tt, const struct idl_type *t);

/* The offsets idl_layout_struct() gives the members, in order. */
struct tt_offsets {
	uint32_t *offsets;
	uint32_t n;
};

static void tt_member_offset(void *opaque, const struct idl_field *f)
{
	struct tt_offsets *o = opaque;

	if (f->member)
		o->offsets[o->n++] = f->offset;
}

static void tt_members(struct tt *tt, const struct idl_decl *d, struct tt_type *rec)
{
	const struct tt_run *run = tt_find_run(tt, d);

	if (!run) {
		struct tt_offsets o = { NULL, 0 };
		uint32_t n = 0, first, *types;

		for (const struct idl_member *mb = d->members; mb; mb = mb->next)
			n++;
		o.offsets = tt_alloc(NULL, n * sizeof(*o.offsets));
		types = tt_alloc(NULL, n * sizeof(*types));
		idl_layout_struct(d, tt_member_offset, &o);
		/* The members' types first, so that the run of members is
		 * contiguous and every member's type precedes the struct's. */
		n = 0;
		for (const struct idl_member *mb = d->members; mb; mb = mb->next)
			types[n++] = tt_type(tt, &mb->type);
		first = tt->members.n;
		n = 0;
		for (const struct idl_member *mb = d->members; mb; mb = mb->next, n++) {
			uint32_t name = tt_name(tt, mb->name);
			uint32_t i = tt_push(&tt->members, sizeof(struct tt_member));

			*TT_AT(tt->members, struct tt_member, i) =
				(struct tt_member){ name, types[n], o.offsets[n] };
		}
		free(types);
		free(o.offsets);
		tt_add_run(tt, d, first, n);
		run = tt_find_run(tt, d);
	}
	rec->a = run->first;
	rec->b = run->count;
}

static uint32_t tt_add_type(struct tt *tt, const struct tt_type *rec)
{
	uint32_t i = tt_push(&tt->types, sizeof(struct tt_type));

	*TT_AT(tt->types, struct tt_type, i) = *rec;
	return i;
}

/* The index of the type described by rec, added unless an equal one is. */
static uint32_t tt_share_type(struct tt *tt, const struct tt_type *rec)
{
	uint32_t i, s;

	for (s = 0; s < tt->shared.n; s++) {
		i = *TT_AT(tt->shared, uint32_t, s);
		if (memcmp(TT_AT(tt->types, struct tt_type, i), rec, sizeof(*rec)) == 0)
			return i;
	}
	i = tt_add_type(tt, rec);
	s = tt_push(&tt->shared, sizeof(uint32_t));
	*TT_AT(tt->shared, uint32_t, s) = i;
	return i;
}

/* The index of a resolved type, adding it and what it holds. */
static uint32_t tt_type(struct tt *tt, const struct idl_type *t)
{
	struct tt_type rec = {
		.kind = tt_kind(t->kind),
		.size = idl_type_size(t),
		.align = idl_type_align(t),
	};

	/* What the generated C calls it: the typedef it was reached through,
	 * or the enum or struct itself. */
	if (t->tdef)
		rec.name = tt_name(tt, t->tdef->name);
	else if (t->kind == IDL_TYPE_ENUM || t->kind == IDL_TYPE_STRUCT)
		rec.name = tt_name(tt, t->decl->name);
	switch (t->kind) {
	case IDL_TYPE_STRING:
		rec.a = t->bound;
		break;
	case IDL_TYPE_BUFFER:
		rec.size = 0;
		rec.align = 1;
		rec.a = t->size_param->index;
		if (t->len_param)
			rec.b = t->len_param->index;
		else
			rec.b = t->len_is_return ? VMRPC_TT_RETURN : VMRPC_TT_NONE;
		return tt_add_type(tt, &rec); /* its own, naming its method's parameters */
	case IDL_TYPE_ENUM:
		tt_enumerators(tt, t->decl, &rec);
		break;
	case IDL_TYPE_STRUCT:
		tt_members(tt, t->decl, &rec);
		break;
	case IDL_TYPE_ARRAY:
		rec.a = tt_type(tt, t->elem);
		rec.b = t->count;
		break;
	default:
		break;
	}
	return tt_share_type(tt, &rec);
}

/* Where idl_layout_method() puts each parameter, by parameter index. */
static void tt_param_offset(void *opaque, const struct idl_field *f)
{
	uint32_t *offsets = opaque;

	if (f->param)
		offsets[f->param->index] = f->offset;
}

static uint32_t tt_dir(enum idl_dir dir)
{
	switch (dir) {
	case IDL_DIR_OUT:
		return VMRPC_TT_OUT;
	case IDL_DIR_INOUT:
		return VMRPC_TT_INOUT;
	default:
		return VMRPC_TT_IN;
	}
}

static void tt_method(struct tt *tt, const struct idl_method *m)
{
	uint32_t n = m->n_params, first = tt->params.n, name, i;
	uint32_t *args_off = tt_alloc(NULL, n * sizeof(uint32_t));
	uint32_t *results_off = tt_alloc(NULL, n * sizeof(uint32_t));
	struct tt_method *rec;

	name = tt_name(tt, m->name);
	for (i = 0; i < n; i++)
		args_off[i] = results_off[i] = VMRPC_TT_NONE;
	idl_layout_method(m, false, tt_param_offset, args_off);
	idl_layout_method(m, true, tt_param_offset, results_off);
	for (const struct idl_param *p = m->params; p; p = p->next) {
		uint32_t pname = tt_name(tt, p->name);
		uint32_t type = tt_type(tt, &p->type);

		i = tt_push(&tt->params, sizeof(struct tt_param));
		*TT_AT(tt->params, struct tt_param, i) = (struct tt_param){
			pname, type, tt_dir(p->dir), args_off[p->index], results_off[p->index],
		};
	}
	free(args_off);
	free(results_off);

	i = tt_push(&tt->methods, sizeof(struct tt_method));
	rec = TT_AT(tt->methods, struct tt_method, i);
	rec->name = name;
	rec->id = m->id;
	rec->flags = m->oneway ? VMRPC_TT_ONEWAY : 0;
	rec->ret = tt_kind(m->ret.kind);
	rec->first_param = first;
	rec->n_params = tt->params.n - first;
	rec->args_size = m->args.size;
	rec->results_size = m->results.size;
}

/* ---- output: little-endian, one field at a time ----------------------------- */

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static size_t tt_size(const struct tt *tt)
{
	return sizeof(struct vmrpc_tt_hdr) + tt->methods.n * sizeof(struct vmrpc_tt_method) +
	       tt->params.n * sizeof(struct vmrpc_tt_param) +
	       tt->types.n * sizeof(struct vmrpc_tt_type) +
	       tt->members.n * sizeof(struct vmrpc_tt_member) +
	       tt->enumerators.n * sizeof(struct vmrpc_tt_enumerator) + tt->strings.len;
}

static void tt_write(const struct tt *tt, const struct idl_iface *iface, uint32_t iface_name,
		     unsigned char *p, size_t size)
{
	unsigned char *start = p;

	p = put_u32(p, VMRPC_TT_MAGIC);
	p = put_u32(p, VMRPC_TT_VERSION);
	p = put_u32(p, (uint32_t)size);
	p = put_u32(p, iface_name);
	p = put_u64(p, iface->sig_hash);
	p = put_u32(p, (uint32_t)iface->version); /* sema: <= UINT32_MAX */
	p = put_u32(p, iface->n_ids);
	p = put_u32(p, tt->methods.n);
	p = put_u32(p, tt->params.n);
	p = put_u32(p, tt->types.n);
	p = put_u32(p, tt->members.n);
	p = put_u32(p, tt->enumerators.n);
	p = put_u32(p, (uint32_t)tt->strings.len);
	p = put_u32(p, 0);
	p = put_u32(p, 0);
	for (uint32_t i = 0; i < tt->methods.n; i++) {
		const struct tt_method *m = TT_AT(tt->methods, struct tt_method, i);

		p = put_u32(p, m->name);
		p = put_u32(p, m->id);
		p = put_u32(p, m->flags);
		p = put_u32(p, m->ret);
		p = put_u32(p, m->first_param);
		p = put_u32(p, m->n_params);
		p = put_u32(p, m->args_size);
		p = put_u32(p, m->results_size);
	}
	for (uint32_t i = 0; i < tt->params.n; i++) {
		const struct tt_param *pa = TT_AT(tt->params, struct tt_param, i);

		p = put_u32(p, pa->name);
		p = put_u32(p, pa->type);
		p = put_u32(p, pa->dir);
		p = put_u32(p, pa->args_off);
		p = put_u32(p, pa->results_off);
		p = put_u32(p, 0);
	}
	for (uint32_t i = 0; i < tt->types.n; i++) {
		const struct tt_type *t = TT_AT(tt->types, struct tt_type, i);

		p = put_u32(p, t->kind);
		p = put_u32(p, t->name);
		p = put_u32(p, t->size);
		p = put_u32(p, t->align);
		p = put_u32(p, t->a);
		p = put_u32(p, t->b);
	}
	for (uint32_t i = 0; i < tt->members.n; i++) {
		const struct tt_member *mb = TT_AT(tt->members, struct tt_member, i);

		p = put_u32(p, mb->name);
		p = put_u32(p, mb->type);
		p = put_u32(p, mb->offset);
		p = put_u32(p, 0);
	}
	for (uint32_t i = 0; i < tt->enumerators.n; i++) {
		const struct tt_enumerator *e = TT_AT(tt->enumerators, struct tt_enumerator, i);

		p = put_u32(p, e->name);
		p = put_u32(p, (uint32_t)e->value);
	}
	memcpy(p, tt->strings.data, tt->strings.len);
	p += tt->strings.len;
	assert((size_t)(p - start) == size); /* tt_size() counts what this writes */
	(void)start;
}

static void tt_release(struct tt *tt)
{
	free(tt->methods.data);
	free(tt->params.data);
	free(tt->types.data);
	free(tt->members.data);
	free(tt->enumerators.data);
	free(tt->runs.data);
	free(tt->shared.data);
	idl_buf_release(&tt->strings);
	idl_symtab_release(&tt->names);
}

int idl_typetab_build(const struct idl_iface *iface, struct idl_typetab *ret)
{
	struct tt tt = { 0 };
	uint32_t iface_name;
	size_t size;
	int rc = 0;

	idl_buf_init(&tt.strings);
	idl_symtab_init(&tt.names);
	idl_buf_put(&tt.strings, "", 1); /* name 0: "" */
	iface_name = tt_name(&tt, iface->name);
	for (const struct idl_method *m = iface->methods; m; m = m->next)
		tt_method(&tt, m);
	size = tt_size(&tt);
	if (size > VMRPC_TT_MAX_SIZE) {
		rc = -EFBIG;
	} else {
		ret->data = tt_alloc(NULL, size);
		ret->len = size;
		tt_write(&tt, iface, iface_name, ret->data, size);
	}
	tt_release(&tt);
	return rc;
}

void idl_typetab_release(struct idl_typetab *tt)
{
	if (!tt)
		return;
	free(tt->data);
	tt->data = NULL;
	tt->len = 0;
}

void idl_typetab_check(const struct idl_file *file, struct idl_diag *diag)
{
	for (const struct idl_iface *iface = file->ifaces; iface; iface = iface->next) {
		struct idl_typetab tt;

		if (idl_typetab_build(iface, &tt) == 0) {
			idl_typetab_release(&tt);
			continue;
		}
		idl_warning(diag, &iface->loc,
			    "interface '%s' is too large for a type table (more than %u bytes): it gets none, so programs without generated code cannot call or serve it; split it into smaller interfaces",
			    iface->name, VMRPC_TT_MAX_SIZE);
	}
}
