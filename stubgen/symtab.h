/* SPDX-License-Identifier: MIT */
/*
 * A string-keyed hash table for sema's name lookups and duplicate checks,
 * so that an interface of ten thousand methods costs linear time. Keys are
 * not copied: they must outlive the table (they live in the unit's arena).
 */
#ifndef IDL_SYMTAB_H
#define IDL_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

struct idl_sym;

struct idl_symtab {
	struct idl_sym *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

void idl_symtab_init(struct idl_symtab *t);
void idl_symtab_release(struct idl_symtab *t);

/* Map key to value unless key is there already. Returns the value already
 * there, or NULL if it inserted. value must not be NULL. */
void *idl_symtab_put(struct idl_symtab *t, const char *key, void *value);

/* The value of key, or NULL. */
void *idl_symtab_get(const struct idl_symtab *t, const char *key);

/* FNV-1a, 64 bits: the table's hash, and the interface signature hash
 * (docs/idl.md), which must never change. */
uint64_t idl_fnv1a64(const void *data, size_t len);

#endif /* IDL_SYMTAB_H */
