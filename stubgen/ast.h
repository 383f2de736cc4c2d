/* SPDX-License-Identifier: MIT */
/*
 * The IDL's abstract syntax tree. The parser builds one idl_file per source
 * file, the loader (load.c) follows imports, sema resolves and checks the
 * files in place (types, constants, parameter references, layouts,
 * signature hashes), the emitters only read them. Every node and string
 * lives in the idl_unit's arena, so no node is ever freed on its own.
 */
#ifndef IDL_AST_H
#define IDL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A source range. The field names are the ones bison's YYLLOC_DEFAULT
 * expects; doc is the doc comment that preceded the range's first token,
 * path the file it is in. */
struct idl_loc {
	int first_line;
	int first_column;
	int last_line;
	int last_column;
	const char *doc;
	const char *path;
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

/* ---- values ------------------------------------------------------------- */

enum idl_expr_kind {
	IDL_EXPR_NUMBER, /* 42, 0x2a, -1 */
	IDL_EXPR_FLOAT,  /* 1.5, 1e-3 */
	IDL_EXPR_BOOL,   /* true, false */
	IDL_EXPR_NAME,   /* another constant: max_path, -max_path */
};

/* A constant's or enumerator's value, as written. */
struct idl_expr {
	enum idl_expr_kind kind;
	bool negative;
	uint64_t number;  /* NUMBER: the magnitude */
	double fnumber;   /* FLOAT */
	bool boolean;     /* BOOL */
	const char *name; /* NAME */
	struct idl_loc loc;
};

/* ---- types --------------------------------------------------------------- */

enum idl_type_kind {
	IDL_TYPE_UNRESOLVED = 0, /* parsed, not yet resolved by sema */
	IDL_TYPE_INVALID,        /* sema reported an error about it */
	IDL_TYPE_VOID, /* VOID .. BUFFER, the built-ins, stay contiguous: idl_type_kind_of_name() */
	IDL_TYPE_BOOL,
	IDL_TYPE_INT8, /* INT8 .. UINT64 stay contiguous: idl_type_is_integer() */
	IDL_TYPE_INT16,
	IDL_TYPE_INT32,
	IDL_TYPE_INT64,
	IDL_TYPE_UINT8,
	IDL_TYPE_UINT16,
	IDL_TYPE_UINT32,
	IDL_TYPE_UINT64,
	IDL_TYPE_FLOAT,
	IDL_TYPE_DOUBLE,
	IDL_TYPE_STRING,
	IDL_TYPE_BUFFER,
	IDL_TYPE_ENUM,
	IDL_TYPE_STRUCT,
	IDL_TYPE_ARRAY,
};

enum idl_type_arg_kind {
	IDL_TARG_NUMBER,
	IDL_TARG_NAME,
	IDL_TARG_RETURN,
};

/* One argument between a type's angle brackets (string<4095>,
 * buffer<count, return>), or an array dimension ([16], [max_names]). */
struct idl_type_arg {
	enum idl_type_arg_kind kind;
	uint64_t number;  /* IDL_TARG_NUMBER */
	const char *name; /* IDL_TARG_NAME */
	struct idl_loc loc;
	struct idl_type_arg *next;
};

struct idl_param;
struct idl_decl;

/* A type as written (name, args) plus what sema made of it. Resolved types
 * are copied by value; elem is shared and never changes once resolved. */
struct idl_type {
	const char *name;
	struct idl_loc loc;
	bool has_args; /* written with <...>, even if empty */
	struct idl_type_arg *args;

	/* resolved by sema */
	enum idl_type_kind kind;
	uint32_t bound;               /* string: max bytes, NUL excluded */
	struct idl_param *size_param; /* buffer: the in integer holding its size */
	bool len_is_return;           /* buffer: the method's result is its length */
	struct idl_param *len_param;  /* buffer: the out integer holding its length */
	const struct idl_decl *decl;  /* enum, struct: the declaration */
	const struct idl_decl *tdef;  /* reached through this typedef: its C name */
	const struct idl_type *elem;  /* array: the element type */
	uint32_t count;               /* array: the number of elements */
};

enum idl_dir {
	IDL_DIR_IN,
	IDL_DIR_OUT,
	IDL_DIR_INOUT,
};

struct idl_param {
	const char *name;
	struct idl_loc loc; /* the name */
	enum idl_dir dir;
	struct idl_type type;
	struct idl_type_arg *dim; /* name[N] */
	uint32_t index;           /* position in the method's parameter list, from 0 */
	struct idl_param *next;
};

/* A struct's field. */
struct idl_member {
	const char *name;
	struct idl_loc loc;
	const char *doc;
	struct idl_type type;
	struct idl_type_arg *dim;
	uint32_t offset; /* sema: byte offset in the struct */
	struct idl_member *next;
};

struct idl_enumerator {
	const char *name;
	struct idl_loc loc;
	const char *doc;
	bool has_value;
	struct idl_expr expr;
	int64_t value; /* sema */
	struct idl_enumerator *next;
};

/* Byte layout of a struct: a declared one, or an args or results block. */
struct idl_layout {
	uint32_t size;
	uint32_t align;
};

/* A constant's value once resolved and range-checked against its type. */
struct idl_value {
	enum idl_type_kind kind; /* BOOL, an integer type, FLOAT or DOUBLE */
	uint64_t bits;           /* integers: two's complement; BOOL: 0 or 1 */
	double fnumber;          /* FLOAT, DOUBLE */
};

enum idl_decl_kind {
	IDL_DECL_CONST,
	IDL_DECL_ENUM,
	IDL_DECL_STRUCT,
	IDL_DECL_TYPEDEF,
};

/* A declaration at file level, other than an interface. */
struct idl_decl {
	enum idl_decl_kind kind;
	const char *name;
	struct idl_loc loc; /* the name */
	const char *doc;
	struct idl_file *file;
	struct idl_type type;           /* CONST: its type; TYPEDEF: the target */
	struct idl_type_arg *dim;       /* TYPEDEF: typedef T name[N] */
	struct idl_expr expr;           /* CONST */
	struct idl_enumerator *enumerators; /* ENUM */
	struct idl_member *members;     /* STRUCT */
	struct idl_decl *next;
	uint32_t index; /* parser: position in its file, from 0 */

	/* sema */
	int state;       /* 0: new, 1: being resolved, 2: resolved */
	bool ok;         /* resolved without error */
	const char *cname;   /* C name: <prefix>_<name>; a constant's is upper case */
	struct idl_value value;      /* CONST */
	struct idl_type resolved;    /* TYPEDEF: the target with its dimension */
	struct idl_layout layout;    /* STRUCT */
	bool needs_check;            /* STRUCT: has bytes a receiver must validate */
	bool used;                   /* referred to from another file */
};

struct idl_method {
	const char *name;
	struct idl_loc loc; /* the name */
	const char *doc;
	bool oneway;
	struct idl_type ret;
	struct idl_param *params;
	uint32_t n_params;
	bool has_id;           /* written with "= ID" */
	uint64_t written_id;
	struct idl_loc id_loc;
	uint32_t id; /* sema: the method id on the wire */
	struct idl_method *next;

	/* computed by sema */
	struct idl_layout args;    /* size 0: the method sends no args struct */
	struct idl_layout results; /* size 0: the method has no fixed-size outputs */
};

struct idl_iface {
	const char *name;
	struct idl_loc loc; /* the name */
	const char *doc;
	uint64_t version;
	struct idl_loc version_loc;
	struct idl_method *methods;
	uint32_t n_methods; /* declared */
	struct idl_iface *next;

	/* computed by sema */
	uint32_t n_ids; /* highest method id + 1 */
	uint64_t sig_hash;
};

struct idl_import {
	const char *spelling; /* as written between the quotes */
	struct idl_loc loc;
	struct idl_file *file; /* loader: the imported file, NULL if it failed */
	bool used;             /* sema: a name from it was used */
	struct idl_import *next;
};

struct idl_file {
	const char *path;   /* as given on the command line, or as found */
	const char *stem;   /* basename without .idl, made a C identifier */
	struct idl_arena *arena;
	struct idl_import *imports;
	struct idl_decl *decls;
	struct idl_iface *ifaces;
	uint32_t n_decls;
	struct idl_file *next; /* in the unit, imported files first */

	/* loader */
	const char *real_path;
	int state; /* 0: new, 1: loading, 2: loaded */
	bool sema_done;
};

/* One compilation: the file given on the command line and every file it
 * imports, directly or not. */
struct idl_unit {
	struct idl_arena arena;
	struct idl_file *files; /* dependency order: every file after its imports */
	struct idl_file *main;
};

void idl_unit_init(struct idl_unit *unit);
void idl_unit_release(struct idl_unit *unit);
/* A new, empty file in the unit (not yet linked into unit->files). */
struct idl_file *idl_file_new(struct idl_unit *unit, const char *path);

/* ---- queries shared by sema and the emitters ---------------------------- */

bool idl_type_is_integer(enum idl_type_kind kind);
bool idl_type_is_signed(enum idl_type_kind kind);
/* bool, integers, float, double, enum: passed by value. */
bool idl_type_is_scalar(enum idl_type_kind kind);
/* Size in bytes of a bool, integer, float, double or enum; 0 otherwise. */
uint32_t idl_scalar_size(enum idl_type_kind kind);
/* The IDL spelling of a built-in kind: "int32", "string", ...; NULL for the
 * others. */
const char *idl_type_kind_name(enum idl_type_kind kind);
/* The built-in kind a name spells ("int32" -> IDL_TYPE_INT32);
 * IDL_TYPE_UNRESOLVED for any other name. */
enum idl_type_kind idl_type_kind_of_name(const char *name);

/* Size and alignment of a value of a resolved type laid out inline: in a
 * struct, an args or a results block. A string inline is char[bound + 1]. */
uint32_t idl_type_size(const struct idl_type *t);
uint32_t idl_type_align(const struct idl_type *t);
/* Does a receiver have to check this type's bytes (bool, enum, inline
 * string, or a struct or array holding one)? */
bool idl_type_needs_check(const struct idl_type *t);

/* Is the parameter a string or buffer, which travels through the arena? */
bool idl_param_in_arena(const struct idl_param *p);
/* Does the parameter occupy a field of the args struct, the results struct? */
bool idl_param_in_args(const struct idl_param *p);
bool idl_param_in_results(const struct idl_param *p);

/* ---- struct layouts ------------------------------------------------------ */

/* One field of a generated struct: a declared struct's member, an args or
 * results field, or a pad. */
struct idl_field {
	const struct idl_param *param;   /* args or results field */
	const struct idl_member *member; /* declared struct field */
	uint32_t offset;
	uint32_t size;
	uint32_t pad_index; /* both NULL: an explicit pad, _pad<pad_index> */
};

typedef void (*idl_field_fn)(void *opaque, const struct idl_field *field);

/*
 * Lay out the args (results false) or results (results true) struct of a
 * resolved method, or a declared struct: fields in declaration order, each
 * naturally aligned, every gap and the tail filled by an explicit pad field,
 * so the struct has no implicit padding and its bytes are all defined.
 * Calls fn (if not NULL) per field in order. Size 0: no fields.
 */
struct idl_layout idl_layout_method(const struct idl_method *m, bool results,
				    idl_field_fn fn, void *opaque);
struct idl_layout idl_layout_struct(const struct idl_decl *s, idl_field_fn fn,
				    void *opaque);

#endif /* IDL_AST_H */
