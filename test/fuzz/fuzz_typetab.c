/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the type table reader (libvmrpc/typetab.c): a table
 * comes from a peer through the meta call, so any bytes at all must either
 * be refused or give a table every reader can walk without leaving it.
 * Each input is a table; an accepted one is walked the way the dynamic
 * caller, the libffi callee and the CLI walk it (every name, every index,
 * every type reached from a parameter), so a check the reader misses shows
 * as an out-of-bounds read under ASan. The seeds (corpus_typetab/) are the
 * generated tables of the tree's own interfaces: libFuzzer's byte
 * mutations of a valid table reach every check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmrpc/dynamic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void walk_name(const struct vmrpc_types *t, uint32_t name)
{
	sink += strlen(vmrpc_types_str(t, name));
}

static void walk_type(const struct vmrpc_types *t, uint32_t ti)
{
	const struct vmrpc_tt_type *ty = &t->types[ti];

	walk_name(t, ty->name);
	sink += ty->size;
	switch (ty->kind) {
	case VMRPC_TT_ENUM:
		for (uint32_t k = ty->a; k < ty->a + ty->b; k++) {
			walk_name(t, t->enumerators[k].name);
			sink += (size_t)t->enumerators[k].value;
		}
		break;
	case VMRPC_TT_STRUCT:
		for (uint32_t k = ty->a; k < ty->a + ty->b; k++) {
			walk_name(t, t->members[k].name);
			if (t->members[k].type >= ti)
				abort(); /* types only hold earlier types */
			walk_type(t, t->members[k].type);
		}
		break;
	case VMRPC_TT_ARRAY:
		if (ty->a >= ti)
			abort();
		walk_type(t, ty->a);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmrpc_types *t;
	char why[256];

	if (vmrpc_types_load(data, size, why, sizeof(why), &t) < 0) {
		if (!why[0])
			abort(); /* every refusal says why */
		return 0;
	}
	walk_name(t, t->hdr->name);
	for (uint32_t i = 0; i < t->hdr->n_methods; i++) {
		const struct vmrpc_tt_method *m = &t->methods[i];

		walk_name(t, m->name);
		if (vmrpc_types_method(t, vmrpc_types_str(t, m->name)) < 0)
			abort();
		for (uint32_t p = m->first_param; p < m->first_param + m->n_params; p++) {
			const struct vmrpc_tt_param *pa = &t->params[p];
			const struct vmrpc_tt_type *ty = &t->types[pa->type];

			walk_name(t, pa->name);
			walk_type(t, pa->type);
			if (ty->kind == VMRPC_TT_BUFFER) {
				/* its SIZE and LEN: parameters of this method */
				walk_name(t, t->params[m->first_param + ty->a].name);
				if (ty->b < m->n_params)
					walk_name(t, t->params[m->first_param + ty->b].name);
			}
			if (pa->args_off != VMRPC_TT_NONE && pa->args_off >= m->args_size)
				abort();
			if (pa->results_off != VMRPC_TT_NONE && pa->results_off >= m->results_size)
				abort();
		}
	}
	vmrpc_types_free(t);
	return 0;
}
