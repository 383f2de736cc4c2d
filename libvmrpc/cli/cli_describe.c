/* SPDX-License-Identifier: MIT */
/*
 * A type table as an interface definition: IDL text that vmrpc-stubgen
 * reads back, or JSON (the schema is in docs/dynamic.md, "CLI"). The
 * table has been checked (vmrpc_types_load()): indexes are in range and
 * every type comes after the types it holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const kind_names[] = {
	[VMRPC_TT_VOID] = "void",     [VMRPC_TT_BOOL] = "bool",     [VMRPC_TT_INT8] = "int8",
	[VMRPC_TT_INT16] = "int16",   [VMRPC_TT_INT32] = "int32",   [VMRPC_TT_INT64] = "int64",
	[VMRPC_TT_UINT8] = "uint8",   [VMRPC_TT_UINT16] = "uint16", [VMRPC_TT_UINT32] = "uint32",
	[VMRPC_TT_UINT64] = "uint64", [VMRPC_TT_FLOAT] = "float",   [VMRPC_TT_DOUBLE] = "double",
	[VMRPC_TT_STRING] = "string", [VMRPC_TT_BUFFER] = "buffer", [VMRPC_TT_ENUM] = "enum",
	[VMRPC_TT_STRUCT] = "struct", [VMRPC_TT_ARRAY] = "array",
};

static const char *kind_name(uint32_t k)
{
	return k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k] ? kind_names[k]
									    : "?";
}

static const char *dir_name(uint32_t d)
{
	return d == VMRPC_TT_OUT ? "out" : d == VMRPC_TT_INOUT ? "inout" : "in";
}

int cli_method_find(const struct vmrpc_types *t, const char *name)
{
	for (uint32_t m = 0; m < t->hdr->n_methods; m++)
		if (!strcmp(vmrpc_types_str(t, t->methods[m].name), name))
			return (int)m;
	return -ENOENT;
}

/* The name of parameter k of method me, or "?" */
static const char *param_name(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			      uint32_t k)
{
	return k < me->n_params ? vmrpc_types_str(t, t->params[me->first_param + k].name) : "?";
}

/* A type's spelling in a declaration: the part before the declared name
 * (into pre) and after it (into post: an unnamed array's dimensions).
 * me: the method a buffer belongs to, or NULL. */
static void type_decl_at(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			 uint32_t type, char *pre, size_t pre_size, char *post, size_t post_size,
			 unsigned depth)
{
	const struct vmrpc_tt_type *ty = &t->types[type];
	size_t n;

	post[0] = '\0';
	if (depth >= CLI_DEPTH_MAX) { /* a peer's table may chain arrays without end */
		snprintf(pre, pre_size, "...");
		return;
	}
	switch (ty->kind) {
	case VMRPC_TT_STRING:
		snprintf(pre, pre_size, "string<%u>", ty->a);
		return;
	case VMRPC_TT_BUFFER:
		if (!me)
			snprintf(pre, pre_size, "buffer");
		else if (ty->b == VMRPC_TT_NONE)
			snprintf(pre, pre_size, "buffer<%s>", param_name(t, me, ty->a));
		else
			snprintf(pre, pre_size, "buffer<%s, %s>", param_name(t, me, ty->a),
				 ty->b == VMRPC_TT_RETURN ? "return" : param_name(t, me, ty->b));
		return;
	case VMRPC_TT_ENUM:
	case VMRPC_TT_STRUCT:
		snprintf(pre, pre_size, "%s", vmrpc_types_str(t, ty->name));
		return;
	case VMRPC_TT_ARRAY:
		if (ty->name) {
			snprintf(pre, pre_size, "%s", vmrpc_types_str(t, ty->name));
			return;
		}
		type_decl_at(t, me, ty->a, pre, pre_size, post, post_size, depth + 1);
		n = strlen(post);
		snprintf(post + n, post_size - n, "[%u]", ty->b);
		return;
	default:
		snprintf(pre, pre_size, "%s", kind_name(ty->kind));
		return;
	}
}

static void type_decl(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
		      uint32_t type, char *pre, size_t pre_size, char *post, size_t post_size)
{
	type_decl_at(t, me, type, pre, pre_size, post, post_size, 0);
}

const char *cli_type_name(const struct vmrpc_types *t, uint32_t type, char *buf, size_t size)
{
	char pre[96], post[64];

	type_decl(t, NULL, type, pre, sizeof(pre), post, sizeof(post));
	snprintf(buf, size, "%s%s", pre, post);
	return buf;
}

void cli_describe_idl(FILE *f, const struct vmrpc_types *t)
{
	const struct vmrpc_tt_hdr *h = t->hdr;
	char pre[96], post[64];

	fprintf(f, "// %s: signature hash 0x%016" PRIx64 ", method ids 0 to %u\n",
		vmrpc_types_str(t, h->name), h->sig_hash, h->n_ids ? h->n_ids - 1 : 0);
	/* Named types in the table's order: each after what it holds. */
	for (uint32_t i = 0; i < h->n_types; i++) {
		const struct vmrpc_tt_type *ty = &t->types[i];

		if (ty->kind == VMRPC_TT_ENUM) {
			fprintf(f, "\nenum %s {", vmrpc_types_str(t, ty->name));
			for (uint32_t e = 0; e < ty->b; e++)
				fprintf(f, "%s %s = %" PRId32, e ? "," : "",
					vmrpc_types_str(t, t->enumerators[ty->a + e].name),
					t->enumerators[ty->a + e].value);
			fprintf(f, " }\n");
		} else if (ty->kind == VMRPC_TT_STRUCT) {
			fprintf(f, "\nstruct %s {\n", vmrpc_types_str(t, ty->name));
			for (uint32_t m = 0; m < ty->b; m++) {
				const struct vmrpc_tt_member *mb = &t->members[ty->a + m];

				type_decl(t, NULL, mb->type, pre, sizeof(pre), post, sizeof(post));
				fprintf(f, "\t%s %s%s;\n", pre, vmrpc_types_str(t, mb->name), post);
			}
			fprintf(f, "}\n");
		} else if (ty->kind == VMRPC_TT_ARRAY && ty->name) {
			type_decl(t, NULL, ty->a, pre, sizeof(pre), post, sizeof(post));
			fprintf(f, "\ntypedef %s %s%s[%u];\n", pre, vmrpc_types_str(t, ty->name), post,
				ty->b);
		}
	}
	fprintf(f, "\ninterface %s version %u {\n", vmrpc_types_str(t, h->name), h->iface_version);
	for (uint32_t m = 0; m < h->n_methods; m++) {
		const struct vmrpc_tt_method *me = &t->methods[m];

		fprintf(f, "\t%s%s %s(", me->flags & VMRPC_TT_ONEWAY ? "oneway " : "",
			kind_name(me->ret), vmrpc_types_str(t, me->name));
		for (uint32_t k = 0; k < me->n_params; k++) {
			const struct vmrpc_tt_param *p = &t->params[me->first_param + k];
			const struct vmrpc_tt_type *ty = &t->types[p->type];

			type_decl(t, me, p->type, pre, sizeof(pre), post, sizeof(post));
			fprintf(f, "%s%s%s%s %s", k ? ", " : "",
				p->dir != VMRPC_TT_IN || ty->kind == VMRPC_TT_BUFFER ? dir_name(p->dir)
										     : "",
				p->dir != VMRPC_TT_IN || ty->kind == VMRPC_TT_BUFFER ? " " : "", pre,
				vmrpc_types_str(t, p->name));
			fputs(post, f);
		}
		fprintf(f, ") = %u;\n", me->id);
	}
	fprintf(f, "}\n");
}

static json_t *type_json_at(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			    uint32_t type, unsigned depth);

static json_t *type_json(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			 uint32_t type)
{
	return type_json_at(t, me, type, 0);
}

static json_t *type_json_at(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			    uint32_t type, unsigned depth)
{
	const struct vmrpc_tt_type *ty = &t->types[type];
	char pre[96], post[64], idl[160];
	json_t *j;

	type_decl(t, me, type, pre, sizeof(pre), post, sizeof(post));
	snprintf(idl, sizeof(idl), "%s%s", pre, post);
	j = json_pack("{s:s, s:s}", "kind", kind_name(ty->kind), "idl", idl);
	if (!j)
		return NULL;
	switch (ty->kind) {
	case VMRPC_TT_STRING:
		json_object_set_new(j, "max", json_integer(ty->a));
		break;
	case VMRPC_TT_BUFFER:
		json_object_set_new(j, "size", json_string(param_name(t, me, ty->a)));
		json_object_set_new(j, "len", ty->b == VMRPC_TT_NONE ? json_null()
					     : ty->b == VMRPC_TT_RETURN
						     ? json_string("return")
						     : json_string(param_name(t, me, ty->b)));
		break;
	case VMRPC_TT_ENUM:
	case VMRPC_TT_STRUCT:
		json_object_set_new(j, "name", json_string(vmrpc_types_str(t, ty->name)));
		break;
	case VMRPC_TT_ARRAY:
		if (ty->name)
			json_object_set_new(j, "name", json_string(vmrpc_types_str(t, ty->name)));
		json_object_set_new(j, "count", json_integer(ty->b));
		/* a peer's table may chain arrays without end: cut it, marked */
		json_object_set_new(j, "element", depth + 1 < CLI_DEPTH_MAX
							  ? type_json_at(t, me, ty->a, depth + 1)
							  : json_null());
		break;
	default:
		break;
	}
	return j;
}

json_t *cli_describe_json(const struct vmrpc_types *t)
{
	const struct vmrpc_tt_hdr *h = t->hdr;
	json_t *methods = json_array(), *enums = json_array(), *structs = json_array(),
	       *typedefs = json_array(), *root;
	char hash[24];

	snprintf(hash, sizeof(hash), "0x%016" PRIx64, h->sig_hash);
	for (uint32_t i = 0; i < h->n_types; i++) {
		const struct vmrpc_tt_type *ty = &t->types[i];

		if (ty->kind == VMRPC_TT_ENUM) {
			json_t *es = json_array();

			for (uint32_t e = 0; e < ty->b; e++)
				json_array_append_new(
					es, json_pack("{s:s, s:i}", "name",
						      vmrpc_types_str(t, t->enumerators[ty->a + e].name),
						      "value", (int)t->enumerators[ty->a + e].value));
			json_array_append_new(enums, json_pack("{s:s, s:o}", "name",
							       vmrpc_types_str(t, ty->name),
							       "enumerators", es));
		} else if (ty->kind == VMRPC_TT_STRUCT) {
			json_t *ms = json_array();

			for (uint32_t m = 0; m < ty->b; m++) {
				const struct vmrpc_tt_member *mb = &t->members[ty->a + m];

				json_array_append_new(
					ms, json_pack("{s:s, s:I, s:o}", "name",
						      vmrpc_types_str(t, mb->name), "offset",
						      (json_int_t)mb->offset, "type",
						      type_json(t, NULL, mb->type)));
			}
			json_array_append_new(structs,
					      json_pack("{s:s, s:I, s:I, s:o}", "name",
							vmrpc_types_str(t, ty->name), "size",
							(json_int_t)ty->size, "align",
							(json_int_t)ty->align, "members", ms));
		} else if (ty->kind == VMRPC_TT_ARRAY && ty->name) {
			json_array_append_new(typedefs,
					      json_pack("{s:s, s:o}", "name",
							vmrpc_types_str(t, ty->name), "type",
							json_pack("{s:s, s:I, s:o}", "kind", "array",
								  "count", (json_int_t)ty->b,
								  "element",
								  type_json(t, NULL, ty->a))));
		}
	}
	for (uint32_t m = 0; m < h->n_methods; m++) {
		const struct vmrpc_tt_method *me = &t->methods[m];
		json_t *ps = json_array();

		for (uint32_t k = 0; k < me->n_params; k++) {
			const struct vmrpc_tt_param *p = &t->params[me->first_param + k];

			json_array_append_new(ps, json_pack("{s:s, s:s, s:o}", "name",
							    vmrpc_types_str(t, p->name), "dir",
							    dir_name(p->dir), "type",
							    type_json(t, me, p->type)));
		}
		json_array_append_new(methods,
				      json_pack("{s:s, s:I, s:b, s:s, s:o}", "name",
						vmrpc_types_str(t, me->name), "id", (json_int_t)me->id,
						"oneway", (me->flags & VMRPC_TT_ONEWAY) != 0,
						"returns", kind_name(me->ret), "params", ps));
	}
	root = json_pack("{s:s, s:I, s:s, s:I, s:o, s:o, s:o, s:o}", "name",
			 vmrpc_types_str(t, h->name), "version", (json_int_t)h->iface_version,
			 "sig_hash", hash, "n_ids", (json_int_t)h->n_ids, "enums", enums, "structs",
			 structs, "typedefs", typedefs, "methods", methods);
	return root;
}
