/* SPDX-License-Identifier: MIT */
/*
 * The IDL's abstract syntax tree. The parser builds it, sema resolves and
 * checks it in place (type kinds, parameter references, layouts, signature
 * hash), the emitters only read it. Every node and string lives in one
 * idl_arena owned by the idl_file, so no node is ever freed on its own.
 */
#ifndef IDL_AST_H
#define IDL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A source range. The field names are the ones bison's YYLLOC_DEFAULT
 * expects; doc is the doc comment that preceded the range's first token. */
struct idl_loc {
	int first_line;
	int first_column;
	int last_line;
	int last_column;
	const char *doc;
};

/* ---- arena ------------------------------------------------------------- */

struct idl_arena_chunk;

struct idl_arena {
	struct idl_arena_chunk *head;
};

/* Allocation failure in the compiler is fatal: it prints and exits. */
void *idl_arena_alloc(struct idl_arena *arena, size_t size);
char *idl_arena_strndup(struct idl_arena *arena, const char *s, size_t len);
void idl_arena_free(struct idl_arena *arena);

/* ---- types --------------------------------------------------------------- */

enum idl_type_kind {
	IDL_TYPE_UNRESOLVED = 0, /* parsed, not yet resolved by sema */
	IDL_TYPE_INVALID,        /* sema reported an error about it */
	IDL_TYPE_VOID,
	IDL_TYPE_INT8,
	IDL_TYPE_INT16,
	IDL_TYPE_INT32,
	IDL_TYPE_INT64,
	IDL_TYPE_UINT8,
	IDL_TYPE_UINT16,
	IDL_TYPE_UINT32,
	IDL_TYPE_UINT64,
	IDL_TYPE_STRING,
	IDL_TYPE_BUFFER,
};

enum idl_type_arg_kind {
	IDL_TARG_NUMBER,
	IDL_TARG_NAME,
	IDL_TARG_RETURN,
};

/* One argument between a type's angle brackets: string<4095>,
 * buffer<count, return>. */
struct idl_type_arg {
	enum idl_type_arg_kind kind;
	uint64_t number;  /* IDL_TARG_NUMBER */
	const char *name; /* IDL_TARG_NAME */
	struct idl_loc loc;
	struct idl_type_arg *next;
};

struct idl_param;

/* A type as written (name, args) plus what sema made of it. */
struct idl_type {
	const char *name;
	struct idl_loc loc;
	bool has_args; /* written with <...>, even if empty */
	struct idl_type_arg *args;

	/* resolved by sema */
	enum idl_type_kind kind;
	uint32_t bound;                 /* string: max bytes, NUL excluded */
	struct idl_param *size_param;   /* buffer: the in integer holding its size */
	bool len_is_return;             /* buffer: the method's result is its length */
	struct idl_param *len_param;    /* buffer: the out integer holding its length */
};

enum idl_dir {
	IDL_DIR_IN,
	IDL_DIR_OUT,
};

struct idl_param {
	const char *name;
	struct idl_loc loc; /* the name */
	enum idl_dir dir;
	struct idl_type type;
	uint32_t index; /* position in the method's parameter list, from 0 */
	struct idl_param *next;
};

/* Byte layout of a generated args or results struct. */
struct idl_layout {
	uint32_t size;
	uint32_t align;
};

struct idl_method {
	const char *name;
	struct idl_loc loc; /* the name */
	const char *doc;
	struct idl_type ret;
	struct idl_param *params;
	uint32_t n_params;
	uint32_t id; /* declaration order: the method id on the wire */
	struct idl_method *next;

	/* computed by sema */
	struct idl_layout args;    /* size 0: the method sends no args struct */
	struct idl_layout results; /* size 0: the method has no out scalars */
};

struct idl_iface {
	const char *name;
	struct idl_loc loc; /* the name */
	const char *doc;
	uint64_t version;
	struct idl_loc version_loc;
	struct idl_method *methods;
	uint32_t n_methods;
	struct idl_iface *next;

	/* computed by sema */
	uint64_t sig_hash;
};

struct idl_file {
	const char *path; /* as given on the command line */
	struct idl_iface *ifaces;
	struct idl_arena arena;
};

void idl_file_init(struct idl_file *file, const char *path);
void idl_file_release(struct idl_file *file);

/* ---- queries shared by sema and the emitters ---------------------------- */

bool idl_type_is_integer(enum idl_type_kind kind);
bool idl_type_is_signed(enum idl_type_kind kind);
/* Size in bytes of a scalar type; 0 for anything else. */
uint32_t idl_scalar_size(enum idl_type_kind kind);
/* The IDL spelling: "int32", "string", ...; NULL for the internal kinds. */
const char *idl_type_kind_name(enum idl_type_kind kind);

/* Does the parameter occupy a field of the args struct, the results struct? */
bool idl_param_in_args(const struct idl_param *p);
bool idl_param_in_results(const struct idl_param *p);

/* ---- struct layouts ------------------------------------------------------ */

/* One field of a generated args or results struct. */
struct idl_field {
	const struct idl_param *param; /* NULL: an explicit pad, _pad<pad_index> */
	uint32_t offset;
	uint32_t size;
	uint32_t pad_index;
};

typedef void (*idl_field_fn)(void *opaque, const struct idl_field *field);

/*
 * Lay out the args (results false) or results (results true) struct of a
 * resolved method: its fields in declaration order, each naturally aligned,
 * every gap and the tail filled by an explicit pad field, so the struct has
 * no implicit padding and its bytes are all defined. Calls fn (if not NULL)
 * per field in order. Size 0: the struct has no fields and is not emitted.
 */
struct idl_layout idl_layout_walk(const struct idl_method *m, bool results,
				  idl_field_fn fn, void *opaque);

#endif /* IDL_AST_H */
