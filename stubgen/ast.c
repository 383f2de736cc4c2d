/* SPDX-License-Identifier: MIT */
#include "ast.h"

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

void idl_file_init(struct idl_file *file, const char *path)
{
	memset(file, 0, sizeof(*file));
	file->path = path;
}

void idl_file_release(struct idl_file *file)
{
	if (!file)
		return;
	idl_arena_free(&file->arena);
	file->ifaces = NULL;
}

bool idl_type_is_integer(enum idl_type_kind kind)
{
	return kind >= IDL_TYPE_INT8 && kind <= IDL_TYPE_UINT64;
}

bool idl_type_is_signed(enum idl_type_kind kind)
{
	return kind >= IDL_TYPE_INT8 && kind <= IDL_TYPE_INT64;
}

uint32_t idl_scalar_size(enum idl_type_kind kind)
{
	switch (kind) {
	case IDL_TYPE_INT8:
	case IDL_TYPE_UINT8:
		return 1;
	case IDL_TYPE_INT16:
	case IDL_TYPE_UINT16:
		return 2;
	case IDL_TYPE_INT32:
	case IDL_TYPE_UINT32:
		return 4;
	case IDL_TYPE_INT64:
	case IDL_TYPE_UINT64:
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
	case IDL_TYPE_STRING:
		return "string";
	case IDL_TYPE_BUFFER:
		return "buffer";
	default:
		return NULL;
	}
}

bool idl_param_in_args(const struct idl_param *p)
{
	/* Out strings and out buffers travel in args too: the caller
	 * allocates their arena slot and tells the callee where it is. */
	return p->dir == IDL_DIR_IN || p->type.kind == IDL_TYPE_STRING ||
	       p->type.kind == IDL_TYPE_BUFFER;
}

bool idl_param_in_results(const struct idl_param *p)
{
	return p->dir == IDL_DIR_OUT && idl_type_is_integer(p->type.kind);
}

/* Size and alignment of a parameter's field: a scalar, a struct
 * vmrpc_wire_str for a string, a uint64_t offset for a buffer. */
static uint32_t field_size(const struct idl_param *p)
{
	switch (p->type.kind) {
	case IDL_TYPE_STRING:
		return 16;
	case IDL_TYPE_BUFFER:
		return 8;
	default:
		return idl_scalar_size(p->type.kind);
	}
}

static uint32_t field_align(const struct idl_param *p)
{
	return p->type.kind == IDL_TYPE_STRING ? 8 : field_size(p);
}

static void layout_pad(uint32_t *offset, uint32_t to, uint32_t *n_pads,
		       idl_field_fn fn, void *opaque)
{
	struct idl_field pad = {
		.param = NULL,
		.offset = *offset,
		.size = to - *offset,
		.pad_index = *n_pads,
	};

	if (pad.size == 0)
		return;
	if (fn)
		fn(opaque, &pad);
	(*n_pads)++;
	*offset = to;
}

struct idl_layout idl_layout_walk(const struct idl_method *m, bool results,
				  idl_field_fn fn, void *opaque)
{
	struct idl_layout layout = { .size = 0, .align = 1 };
	uint32_t offset = 0, n_pads = 0;

	for (const struct idl_param *p = m->params; p; p = p->next) {
		bool member = results ? idl_param_in_results(p) : idl_param_in_args(p);
		uint32_t align = field_align(p);
		struct idl_field f;

		if (!member || align == 0)
			continue;
		layout_pad(&offset, (offset + align - 1) & ~(align - 1), &n_pads, fn,
			   opaque);
		f.param = p;
		f.offset = offset;
		f.size = field_size(p);
		f.pad_index = 0;
		if (fn)
			fn(opaque, &f);
		offset += f.size;
		if (align > layout.align)
			layout.align = align;
	}
	layout_pad(&offset, (offset + layout.align - 1) & ~(layout.align - 1),
		   &n_pads, fn, opaque);
	layout.size = offset;
	return layout;
}
