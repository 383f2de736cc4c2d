/* SPDX-License-Identifier: MIT */
#include "ast.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_SIZE 16384u

struct idl_arena_chunk {
	struct idl_arena_chunk *next;
	size_t used;
	size_t size;
	_Alignas(max_align_t) unsigned char data[];
};

void *idl_arena_alloc(struct idl_arena *arena, size_t size)
{
	struct idl_arena_chunk *c = arena->head;
	size_t align = _Alignof(max_align_t);
	size_t need = (size + align - 1) & ~(align - 1);

	if (!c || c->size - c->used < need) {
		size_t csize = need > ARENA_CHUNK_SIZE ? need : ARENA_CHUNK_SIZE;

		c = malloc(sizeof(*c) + csize);
		if (!c) {
			fputs("vmrpc-stubgen: out of memory\n", stderr);
			exit(1);
		}
		c->used = 0;
		c->size = csize;
		c->next = arena->head;
		arena->head = c;
	}
	void *p = c->data + c->used;
	c->used += need;
	memset(p, 0, size);
	return p;
}

char *idl_arena_strndup(struct idl_arena *arena, const char *s, size_t len)
{
	char *d = idl_arena_alloc(arena, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void idl_arena_free(struct idl_arena *arena)
{
	struct idl_arena_chunk *c = arena->head;

	while (c) {
		struct idl_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	arena->head = NULL;
}

void idl_unit_init(struct idl_unit *unit)
{
	memset(unit, 0, sizeof(*unit));
}

void idl_unit_release(struct idl_unit *unit)
{
	if (!unit)
		return;
	idl_arena_free(&unit->arena);
	unit->files = NULL;
	unit->main = NULL;
}

/* The C identifier prefix of a file's declarations: its basename without
 * ".idl", any other character than [A-Za-z0-9_] made '_', and a leading
 * digit prefixed with '_'. */
static const char *file_stem(struct idl_arena *arena, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;
	char *stem;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".idl") == 0)
		len -= 4;
	stem = idl_arena_alloc(arena, len + 2);
	if (len == 0 || isdigit((unsigned char)base[0]))
		stem[0] = '_';
	for (size_t i = 0, j = stem[0] == '_'; i < len; i++, j++)
		stem[j] = isalnum((unsigned char)base[i]) || base[i] == '_' ? base[i] : '_';
	return stem;
}

struct idl_file *idl_file_new(struct idl_unit *unit, const char *path)
{
	struct idl_file *file = idl_arena_alloc(&unit->arena, sizeof(*file));

	file->path = idl_arena_strndup(&unit->arena, path, strlen(path));
	file->stem = file_stem(&unit->arena, path);
	file->arena = &unit->arena;
	return file;
}

bool idl_type_is_integer(enum idl_type_kind kind)
{
	return kind >= IDL_TYPE_INT8 && kind <= IDL_TYPE_UINT64;
}

bool idl_type_is_signed(enum idl_type_kind kind)
{
	return kind >= IDL_TYPE_INT8 && kind <= IDL_TYPE_INT64;
}

bool idl_type_is_scalar(enum idl_type_kind kind)
{
	return idl_scalar_size(kind) != 0;
}

uint32_t idl_scalar_size(enum idl_type_kind kind)
{
	switch (kind) {
	case IDL_TYPE_BOOL:
	case IDL_TYPE_INT8:
	case IDL_TYPE_UINT8:
		return 1;
	case IDL_TYPE_INT16:
	case IDL_TYPE_UINT16:
		return 2;
	case IDL_TYPE_INT32:
	case IDL_TYPE_UINT32:
	case IDL_TYPE_FLOAT:
	case IDL_TYPE_ENUM:
		return 4;
	case IDL_TYPE_INT64:
	case IDL_TYPE_UINT64:
	case IDL_TYPE_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

const char *idl_type_kind_name(enum idl_type_kind kind)
{
	switch (kind) {
	case IDL_TYPE_VOID:
		return "void";
	case IDL_TYPE_BOOL:
		return "bool";
	case IDL_TYPE_INT8:
		return "int8";
	case IDL_TYPE_INT16:
		return "int16";
	case IDL_TYPE_INT32:
		return "int32";
	case IDL_TYPE_INT64:
		return "int64";
	case IDL_TYPE_UINT8:
		return "uint8";
	case IDL_TYPE_UINT16:
		return "uint16";
	case IDL_TYPE_UINT32:
		return "uint32";
	case IDL_TYPE_UINT64:
		return "uint64";
	case IDL_TYPE_FLOAT:
		return "float";
	case IDL_TYPE_DOUBLE:
		return "double";
	case IDL_TYPE_STRING:
		return "string";
	case IDL_TYPE_BUFFER:
		return "buffer";
	default:
		return NULL;
	}
}

/* The inverse of idl_type_kind_name(), so that each spelling is written
 * once. */
enum idl_type_kind idl_type_kind_of_name(const char *name)
{
	for (int k = IDL_TYPE_VOID; k <= IDL_TYPE_BUFFER; k++)
		if (strcmp(name, idl_type_kind_name((enum idl_type_kind)k)) == 0)
			return (enum idl_type_kind)k;
	return IDL_TYPE_UNRESOLVED;
}

uint32_t idl_type_size(const struct idl_type *t)
{
	switch (t->kind) {
	case IDL_TYPE_STRING:
		return t->bound + 1;
	case IDL_TYPE_STRUCT:
		return t->decl->layout.size;
	case IDL_TYPE_ARRAY:
		return idl_type_size(t->elem) * t->count;
	default:
		return idl_scalar_size(t->kind);
	}
}

uint32_t idl_type_align(const struct idl_type *t)
{
	switch (t->kind) {
	case IDL_TYPE_STRING:
		return 1;
	case IDL_TYPE_STRUCT:
		return t->decl->layout.align;
	case IDL_TYPE_ARRAY:
		return idl_type_align(t->elem);
	default:
		return idl_scalar_size(t->kind);
	}
}

bool idl_type_needs_check(const struct idl_type *t)
{
	switch (t->kind) {
	case IDL_TYPE_BOOL:
	case IDL_TYPE_ENUM:
	case IDL_TYPE_STRING:
		return true;
	case IDL_TYPE_STRUCT:
		return t->decl->needs_check;
	case IDL_TYPE_ARRAY:
		return idl_type_needs_check(t->elem);
	default:
		return false;
	}
}

bool idl_param_in_arena(const struct idl_param *p)
{
	return p->type.kind == IDL_TYPE_STRING || p->type.kind == IDL_TYPE_BUFFER;
}

bool idl_param_in_args(const struct idl_param *p)
{
	/* Strings and buffers of every direction travel in args: the caller
	 * allocates their arena slot and tells the callee where it is. */
	return p->dir != IDL_DIR_OUT || idl_param_in_arena(p);
}

bool idl_param_in_results(const struct idl_param *p)
{
	return p->dir != IDL_DIR_IN && !idl_param_in_arena(p);
}

/* Size and alignment of a parameter's field: the value itself, a struct
 * vmrpc_wire_str for a string, a uint64_t offset for a buffer. */
static uint32_t param_size(const struct idl_param *p)
{
	switch (p->type.kind) {
	case IDL_TYPE_STRING:
		return 16;
	case IDL_TYPE_BUFFER:
		return 8;
	default:
		return idl_type_size(&p->type);
	}
}

static uint32_t param_align(const struct idl_param *p)
{
	return idl_param_in_arena(p) ? 8 : idl_type_align(&p->type);
}

struct layout_state {
	struct idl_layout layout;
	uint32_t offset;
	uint32_t n_pads;
	idl_field_fn fn;
	void *opaque;
};

static void layout_pad(struct layout_state *st, uint32_t to)
{
	struct idl_field pad = {
		.offset = st->offset,
		.size = to - st->offset,
		.pad_index = st->n_pads,
	};

	if (pad.size == 0)
		return;
	if (st->fn)
		st->fn(st->opaque, &pad);
	st->n_pads++;
	st->offset = to;
}

static void layout_add(struct layout_state *st, struct idl_field *f, uint32_t align)
{
	if (align == 0)
		return;
	layout_pad(st, (st->offset + align - 1) & ~(align - 1));
	f->offset = st->offset;
	if (st->fn)
		st->fn(st->opaque, f);
	st->offset += f->size;
	if (align > st->layout.align)
		st->layout.align = align;
}

static struct idl_layout layout_end(struct layout_state *st)
{
	uint32_t align = st->layout.align;

	layout_pad(st, (st->offset + align - 1) & ~(align - 1));
	st->layout.size = st->offset;
	return st->layout;
}

struct idl_layout idl_layout_method(const struct idl_method *m, bool results,
				    idl_field_fn fn, void *opaque)
{
	struct layout_state st = { .layout = { 0, 1 }, .fn = fn, .opaque = opaque };

	for (const struct idl_param *p = m->params; p; p = p->next) {
		struct idl_field f = { .param = p, .size = param_size(p) };

		if (results ? idl_param_in_results(p) : idl_param_in_args(p))
			layout_add(&st, &f, param_align(p));
	}
	return layout_end(&st);
}

struct idl_layout idl_layout_struct(const struct idl_decl *s, idl_field_fn fn,
				    void *opaque)
{
	struct layout_state st = { .layout = { 0, 1 }, .fn = fn, .opaque = opaque };

	for (const struct idl_member *mb = s->members; mb; mb = mb->next) {
		struct idl_field f = { .member = mb, .size = idl_type_size(&mb->type) };

		layout_add(&st, &f, idl_type_align(&mb->type));
	}
	return layout_end(&st);
}
