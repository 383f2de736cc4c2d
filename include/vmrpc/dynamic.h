/* SPDX-License-Identifier: MIT */
/*
 * Calling and serving interfaces without generated code (docs/dynamic.md).
 *
 * A caller binds an interface by name: libvmrpc looks it up in the
 * registry its channel's callee publishes, fetches its type table from the
 * callee (the meta call), checks it, and then calls methods with typed
 * values, each checked against the table before anything is sent. A callee
 * serves a plain C function per method through libffi, taking the
 * arguments from the channel with the same checks a generated skeleton
 * makes.
 *
 *	struct vmrpc_dyn *calc;
 *	vmrpc_dyn_bind(chan, "calc", &calc);
 *	struct vmrpc_value args[2] = { VMRPC_VAL_I64(2), VMRPC_VAL_I64(3) };
 *	int64_t sum = vmrpc_dyn_call(calc, vmrpc_dyn_method(calc, "add"), args, 2, NULL);
 */
#ifndef VMRPC_DYNAMIC_H
#define VMRPC_DYNAMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmrpc/typetab.h"
#include "vmrpc/vmrpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- type tables ---------------------------------------------------------- */

/* A checked type table: views of the arrays in a private copy. Every index
 * and name offset in it has been checked, so readers index it directly. */
struct vmrpc_types {
	const struct vmrpc_tt_hdr *hdr;
	const struct vmrpc_tt_method *methods;
	const struct vmrpc_tt_param *params;
	const struct vmrpc_tt_type *types;
	const struct vmrpc_tt_member *members;
	const struct vmrpc_tt_enumerator *enumerators;
	const char *strings;
};

/* Check the len bytes at buf as a type table (vmrpc/typetab.h) and make a
 * private copy of it. -EINVAL (why, naming the offending record, in err,
 * truncated to err_size; err may be NULL) or -ENOMEM. */
VMRPC_API int vmrpc_types_load(const void *buf, size_t len, char *err, size_t err_size,
			       struct vmrpc_types **ret_types);
VMRPC_API void vmrpc_types_free(struct vmrpc_types *types);

/* A name in the table (a name field of any record). */
static inline const char *vmrpc_types_str(const struct vmrpc_types *t, uint32_t name)
{
	return t->strings + name;
}

/* The index in t->methods of the method called name, or -ENOENT. */
VMRPC_API int vmrpc_types_method(const struct vmrpc_types *t, const char *name);

/* The registry the callee of chan publishes (hostd's for a host call,
 * guestd's for a guest-sourced channel): copies of its entries, at most max
 * into ret_entries; returns the number of entries. */
VMRPC_API int vmrpc_chan_registry(struct vmrpc_chan *chan, struct vmrpc_reg_entry *ret_entries,
				  uint32_t max);

/* The type table of the interface in registry slot slot of chan's callee,
 * fetched with the meta call and checked: vmrpc_types_load()'s errors, the
 * call's, -ENOENT (no table for that slot), -EPROTO (the table's name,
 * version, method count or signature hash differ from the registry entry's). */
VMRPC_API int vmrpc_chan_types(struct vmrpc_chan *chan, uint32_t slot,
			       struct vmrpc_types **ret_types);

/* ---- values ---------------------------------------------------------------- */

enum vmrpc_value_kind {
	VMRPC_VAL_NONE = 0, /* no value: an out parameter's slot in args */
	VMRPC_VAL_BOOL,
	VMRPC_VAL_INT,    /* any integer or enum type, if it fits */
	VMRPC_VAL_UINT,   /* any integer type, if it fits */
	VMRPC_VAL_DOUBLE, /* float (converted), double; an INT or UINT converts too */
	VMRPC_VAL_STRING, /* string: n bytes at s, no NUL among them */
	VMRPC_VAL_BYTES,  /* buffer, or an array of int8/uint8: n bytes at p */
	VMRPC_VAL_LIST,   /* struct: its members in order; array: its elements */
	VMRPC_VAL_FLOAT,  /* float, exactly (a double converts a signaling NaN) */
};

struct vmrpc_value {
	enum vmrpc_value_kind kind;
	uint32_t n; /* STRING, BYTES: bytes; LIST: items */
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		float f;
		const char *s;
		const void *p;
		const struct vmrpc_value *items;
	};
};

#define VMRPC_VAL_I64(v) ((struct vmrpc_value){ .kind = VMRPC_VAL_INT, .i = (v) })
#define VMRPC_VAL_U64(v) ((struct vmrpc_value){ .kind = VMRPC_VAL_UINT, .u = (v) })

/* ---- the caller side --------------------------------------------------------- */

struct vmrpc_dyn;

/* Bind chan to the interface called iface through its type table
 * (vmrpc_chan_types()): -VMRPC_ENOIFACE if its callee does not serve it,
 * vmrpc_chan_types()'s errors. */
VMRPC_API int vmrpc_dyn_bind(struct vmrpc_chan *chan, const char *iface,
			     struct vmrpc_dyn **ret_dyn);
VMRPC_API void vmrpc_dyn_free(struct vmrpc_dyn *dyn);
VMRPC_API const struct vmrpc_types *vmrpc_dyn_types(const struct vmrpc_dyn *dyn);

/* The index of method name (for vmrpc_dyn_call), or -ENOENT. */
VMRPC_API int vmrpc_dyn_method(const struct vmrpc_dyn *dyn, const char *name);

/*
 * Call method (an index in the type table's methods) with one value per
 * parameter, in the method's order (n_args equals its n_params): in and
 * inout parameters carry a value, out ones VMRPC_VAL_NONE. A buffer's SIZE
 * parameter may be NONE for an in or inout buffer: the buffer's length is
 * sent. Every value is checked against the table first: a wrong kind, an
 * integer out of its type's range, an undeclared enum value, a string over
 * its bound or holding a NUL, a buffer whose length is not its SIZE, a
 * list of the wrong length: -EINVAL and nothing is sent; vmrpc_dyn_error()
 * says which parameter (and member, element) and why.
 *
 * Returns the method's status (>= 0, or the callee's or the transport's
 * negative error). When it is >= 0, the method has out or inout parameters
 * and ret_out is not NULL, *ret_out is one malloc'd block (free() it) of
 * n_args values: each out and inout parameter's, NONE for the others; a
 * buffer's value holds its LEN bytes (or SIZE), a string its bytes, a
 * struct or array a LIST. The reply is checked as hard as a generated stub
 * does (-EPROTO).
 */
VMRPC_API int64_t vmrpc_dyn_call(struct vmrpc_dyn *dyn, uint32_t method,
				 const struct vmrpc_value *args, uint32_t n_args,
				 struct vmrpc_value **ret_out);

/* Why the last vmrpc_dyn_call() on dyn failed before sending, or "". */
VMRPC_API const char *vmrpc_dyn_error(const struct vmrpc_dyn *dyn);

/* ---- the callee side: libffi ------------------------------------------------ */

struct vmrpc_ffi;

/*
 * A service for the interface types describes whose methods are plain C
 * functions: fns[i] serves types->methods[i] (NULL: -ENOSYS). Each is
 * called through libffi with the C signature a generated skeleton's ops
 * entry has, without its ctx: in scalars by value, in structs and arrays
 * by const pointer, in strings as const char *, in buffers as const void *
 * (and their SIZE as its integer), out and inout values by pointer, an out
 * or inout string as char * followed by a size_t of its room (MAX + 1);
 * an int32 or int64 method's function returns that type, a void one's
 * returns void (the call answers 0).
 * The arguments are taken from the channel with the same checks a
 * generated skeleton makes. types must outlive the service; the service
 * refers to *ret_ffi, freed with vmrpc_ffi_free().
 */
VMRPC_API int vmrpc_ffi_service(const struct vmrpc_types *types, void (*const *fns)(void),
				struct vmrpc_ffi **ret_ffi, struct vmrpc_service *ret_svc);
VMRPC_API void vmrpc_ffi_free(struct vmrpc_ffi *ffi);

#ifdef __cplusplus
}
#endif

#endif /* VMRPC_DYNAMIC_H */
