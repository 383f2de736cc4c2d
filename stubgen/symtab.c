/* SPDX-License-Identifier: MIT */
#include "symtab.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct idl_sym {
	const char *key; /* NULL: empty slot */
	void *value;
};

void idl_symtab_init(struct idl_symtab *t)
{
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
}

void idl_symtab_release(struct idl_symtab *t)
{
	free(t->slots);
	idl_symtab_init(t);
}

uint64_t idl_fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct idl_sym *sym_find(const struct idl_symtab *t, const char *key)
{
	size_t mask = t->cap - 1, i = (size_t)idl_fnv1a64(key, strlen(key)) & mask;

	while (t->slots[i].key && strcmp(t->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return &t->slots[i];
}

static void sym_grow(struct idl_symtab *t)
{
	struct idl_symtab bigger = { .cap = t->cap ? t->cap * 2 : 64 };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			*sym_find(&bigger, t->slots[i].key) = t->slots[i];
	bigger.n = t->n;
	free(t->slots);
	*t = bigger;
}

void *idl_symtab_put(struct idl_symtab *t, const char *key, void *value)
{
	struct idl_sym *s;

	if ((t->n + 1) * 2 > t->cap)
		sym_grow(t);
	s = sym_find(t, key);
	if (s->key)
		return s->value;
	s->key = key;
	s->value = value;
	t->n++;
	return NULL;
}

void *idl_symtab_get(const struct idl_symtab *t, const char *key)
{
	const struct idl_sym *s;

	if (!t->cap)
		return NULL;
	s = sym_find(t, key);
	return s->key ? s->value : NULL;
}
