/* SPDX-License-Identifier: MIT */
/*
 * Type tables: one interface's full type description, byte for byte.
 *
 * vmrpc-stubgen writes one per interface (NAME_common.c: the iface's
 * type_table) and every callee answers for the interfaces it serves (the
 * meta call, abi.h). A table is read by programs that call or serve an
 * interface without generated code (vmrpc/dynamic.h) and by the vmrpc CLI;
 * one written by a peer is untrusted: vmrpc_types_load() checks every
 * offset, index, size and name before anything reads it.
 *
 * Table: [ hdr | methods | params | types | members | enumerators | strings ]
 * Each array follows the one before without gaps; strings is a block of
 * NUL-terminated names, and a name is its offset in it (0 is "", unnamed).
 * Little-endian, fixed-width, no pointers; every record is a multiple of 4
 * bytes, so a copy at an aligned address has its records aligned.
 *
 * Types are listed so that every type comes after the types it holds (an
 * array's element, a struct's members): a table has no cycles by
 * construction, and a reader checks "index below mine". Each type is
 * described once however often it is used, except buffers, whose record
 * names parameters of one method (so each buffer parameter has its own).
 */
#ifndef VMRPC_TYPETAB_H
#define VMRPC_TYPETAB_H

#include <stdint.h>

#include "vmrpc/abi.h"

#define VMRPC_TT_MAGIC 0x31545456u /* "VTT1" little-endian */
#define VMRPC_TT_VERSION 1u
#define VMRPC_TT_NONE 0xffffffffu   /* no index, no offset */
#define VMRPC_TT_RETURN 0xfffffffeu /* buffer<SIZE, return>: the length is the result */
#define VMRPC_TT_MAX_SIZE (1u << 20) /* no table is larger */
#define VMRPC_TT_MAX_INLINE (16u << 20) /* no inline value (struct, array) is larger */
#define VMRPC_TT_MAX_DEPTH 32u /* structs and arrays nest at most this deep (a scalar: 1),
				* so that readers may recurse */

/* Type kinds. Values are part of the format. */
enum vmrpc_tt_kind {
	VMRPC_TT_VOID = 1, /* a method's return only */
	VMRPC_TT_BOOL = 2,
	VMRPC_TT_INT8 = 3,
	VMRPC_TT_INT16 = 4,
	VMRPC_TT_INT32 = 5,
	VMRPC_TT_INT64 = 6,
	VMRPC_TT_UINT8 = 7,
	VMRPC_TT_UINT16 = 8,
	VMRPC_TT_UINT32 = 9,
	VMRPC_TT_UINT64 = 10,
	VMRPC_TT_FLOAT = 11,
	VMRPC_TT_DOUBLE = 12,
	VMRPC_TT_STRING = 13, /* a: the bound (bytes, NUL excluded); inline size a + 1 */
	VMRPC_TT_BUFFER = 14, /* a: the SIZE parameter's index in its method;
			       * b: the LEN parameter's index, VMRPC_TT_RETURN or
			       * VMRPC_TT_NONE. Parameters only; size 0, align 1 */
	VMRPC_TT_ENUM = 15,   /* a: first enumerator, b: count; int32 */
	VMRPC_TT_STRUCT = 16, /* a: first member, b: count */
	VMRPC_TT_ARRAY = 17,  /* a: element type (a lower index), b: count */
};

/* Parameter directions. */
enum vmrpc_tt_dir {
	VMRPC_TT_IN = 0,
	VMRPC_TT_OUT = 1,
	VMRPC_TT_INOUT = 2,
};

#define VMRPC_TT_ONEWAY 0x1u /* method flag */

struct vmrpc_tt_hdr {
	uint32_t magic;         /* VMRPC_TT_MAGIC */
	uint32_t version;       /* VMRPC_TT_VERSION */
	uint32_t size;          /* bytes in the whole table */
	uint32_t name;          /* the interface's name */
	uint64_t sig_hash;      /* equals the registry entry's */
	uint32_t iface_version; /* the interface's declared version */
	uint32_t n_ids;         /* highest method id + 1: the registry's n_methods */
	uint32_t n_methods;     /* records that follow */
	uint32_t n_params;
	uint32_t n_types;
	uint32_t n_members;
	uint32_t n_enumerators;
	uint32_t strings_len;   /* bytes of names at the end, the first a NUL */
	uint32_t reserved[2];   /* 0 */
};

struct vmrpc_tt_method {
	uint32_t name;
	uint32_t id;           /* < n_ids, unique */
	uint32_t flags;        /* VMRPC_TT_ONEWAY */
	uint32_t ret;          /* VMRPC_TT_VOID, VMRPC_TT_INT32 or VMRPC_TT_INT64 (a kind) */
	uint32_t first_param;  /* index in params */
	uint32_t n_params;
	uint32_t args_size;    /* bytes of the args struct, <= VMRPC_ARGS_SIZE */
	uint32_t results_size; /* bytes of the results struct, <= VMRPC_RESULTS_SIZE */
};

/* A parameter. Its field in the args block (in and inout values, every
 * string and buffer) and in the results block (out and inout values that
 * are not strings or buffers) are where generated stubs put them: a string
 * travels as a struct vmrpc_wire_str, a buffer as a uint64 offset, anything
 * else inline (vmrpc/stub.h). */
struct vmrpc_tt_param {
	uint32_t name;
	uint32_t type;        /* index in types */
	uint32_t dir;         /* enum vmrpc_tt_dir */
	uint32_t args_off;    /* or VMRPC_TT_NONE */
	uint32_t results_off; /* or VMRPC_TT_NONE */
	uint32_t reserved;    /* 0 */
};

struct vmrpc_tt_type {
	uint32_t kind;  /* enum vmrpc_tt_kind */
	uint32_t name;  /* the IDL name of the typedef the type was reached
			 * through (any kind but buffer), else of an enum or
			 * struct; else 0 */
	uint32_t size;  /* inline bytes; 0 for a buffer */
	uint32_t align; /* 1, 2, 4 or 8 */
	uint32_t a;     /* per kind, above */
	uint32_t b;
};

struct vmrpc_tt_member {
	uint32_t name;
	uint32_t type;   /* a lower index than the struct's */
	uint32_t offset; /* in the struct */
	uint32_t reserved;
};

struct vmrpc_tt_enumerator {
	uint32_t name;
	int32_t value;
};

VMRPC_ABI_SIZE(vmrpc_tt_hdr, 64);
VMRPC_ABI_FIELD(vmrpc_tt_hdr, sig_hash, 16, 8);
VMRPC_ABI_FIELD(vmrpc_tt_hdr, strings_len, 52, 4);
VMRPC_ABI_SIZE(vmrpc_tt_method, 32);
VMRPC_ABI_SIZE(vmrpc_tt_param, 24);
VMRPC_ABI_SIZE(vmrpc_tt_type, 24);
VMRPC_ABI_SIZE(vmrpc_tt_member, 16);
VMRPC_ABI_SIZE(vmrpc_tt_enumerator, 8);

#endif /* VMRPC_TYPETAB_H */
