/* SPDX-License-Identifier: MIT */
/*
 * <stem>_types.h: what a file declares besides interfaces. Constants as
 * macros, enums with a check of their values, structs laid out with
 * explicit padding and a check of their bytes, typedefs. Declarations come
 * in dependency order (C needs a struct before a member of its type), which
 * is declaration order wherever the file allows it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static void emit_const_value(const struct idl_decl *d, struct idl_buf *out)
{
	const struct idl_value *v = &d->value;
	char num[64];

	switch (v->kind) {
	case IDL_TYPE_BOOL:
		idl_buf_puts(out, v->bits ? "true" : "false");
		return;
	case IDL_TYPE_FLOAT:
	case IDL_TYPE_DOUBLE:
		snprintf(num, sizeof(num), v->kind == IDL_TYPE_FLOAT ? "%.9g" : "%.17g",
			 v->fnumber);
		if (!strpbrk(num, ".e"))
			strcat(num, ".0");
		idl_buf_printf(out, "%s%s%s%s", v->fnumber < 0 ? "(" : "", num,
			       v->kind == IDL_TYPE_FLOAT ? "f" : "", v->fnumber < 0 ? ")" : "");
		return;
	case IDL_TYPE_INT64:
		if (v->bits == (uint64_t)INT64_MAX + 1)
			idl_buf_puts(out, "(-INT64_MAX - 1)");
		else
			idl_buf_printf(out, "INT64_C(%" PRId64 ")", (int64_t)v->bits);
		return;
	case IDL_TYPE_UINT64:
		idl_buf_printf(out, "UINT64_C(%" PRIu64 ")", v->bits);
		return;
	case IDL_TYPE_INT32:
		if ((int64_t)v->bits == INT32_MIN) {
			idl_buf_puts(out, "(-INT32_MAX - 1)");
			return;
		}
		/* fall through */
	case IDL_TYPE_INT8:
	case IDL_TYPE_INT16:
		if ((int64_t)v->bits < 0)
			idl_buf_printf(out, "(%" PRId64 ")", (int64_t)v->bits);
		else
			idl_buf_printf(out, "%" PRId64, (int64_t)v->bits);
		return;
	default: /* uint8 .. uint32 */
		idl_buf_printf(out, "%" PRIu64 "u", v->bits);
		return;
	}
}

static void emit_const(const struct idl_decl *d, struct idl_buf *out)
{
	emit_doc(out, d->doc, 0);
	idl_buf_printf(out, "#define %s ", d->cname);
	emit_const_value(d, out);
	idl_buf_printf(out, " /* %s */\n\n", idl_type_kind_name(d->value.kind));
}

/* The C name of an enum value: <STEM>_<ENUM>_<VALUE>. */
static void emit_enum_value(struct idl_buf *out, const struct idl_decl *d,
			    const struct idl_enumerator *e)
{
	emit_upper(out, d->cname);
	idl_buf_putc(out, '_');
	emit_upper(out, e->name);
}

static void emit_enum(const struct idl_decl *d, struct idl_buf *out)
{
	emit_doc(out, d->doc, 0);
	idl_buf_printf(out, "enum %s {\n", d->cname);
	for (const struct idl_enumerator *e = d->enumerators; e; e = e->next) {
		emit_doc(out, e->doc, 1);
		idl_buf_putc(out, '\t');
		emit_enum_value(out, d, e);
		if (e->value == INT32_MIN)
			idl_buf_puts(out, " = -INT32_MAX - 1,\n");
		else
			idl_buf_printf(out, " = %" PRId64 ",\n", e->value);
	}
	idl_buf_puts(out, "};\n");
	idl_buf_printf(out,
		       "_Static_assert(sizeof(enum %s) == 4, \"enum %s travels as 32 bits\");\n\n",
		       d->cname, d->cname);
	idl_buf_printf(out,
		       "/* Is v one of the values of enum %s? Receivers check what the\n"
		       " * other side sent. */\n"
		       "static inline bool %s_valid(int64_t v)\n"
		       "{\n"
		       "\tswitch (v) {\n",
		       d->cname, d->cname);
	for (const struct idl_enumerator *e = d->enumerators; e; e = e->next) {
		bool seen = false;

		for (const struct idl_enumerator *o = d->enumerators; o != e; o = o->next)
			seen = seen || o->value == e->value;
		if (seen)
			continue;
		idl_buf_puts(out, "\tcase ");
		emit_enum_value(out, d, e);
		idl_buf_puts(out, ":\n");
	}
	idl_buf_puts(out, "\t\treturn true;\n\tdefault:\n\t\treturn false;\n\t}\n}\n\n");
}

static void emit_member(void *opaque, const struct idl_field *f)
{
	struct idl_buf *out = opaque;

	if (!f->member) {
		emit_pad(out, f);
		return;
	}
	emit_doc(out, f->member->doc, 1);
	idl_buf_putc(out, '\t');
	emit_declarator(out, &f->member->type, f->member->name);
	idl_buf_puts(out, ";\n");
}

static void emit_struct(const struct idl_decl *d, struct idl_buf *out)
{
	struct idl_layout layout;

	emit_doc(out, d->doc, 0);
	idl_buf_printf(out, "struct %s {\n", d->cname);
	layout = idl_layout_struct(d, emit_member, out);
	idl_buf_puts(out, "};\n");
	idl_buf_printf(out,
		       "_Static_assert(sizeof(struct %s) == %u, \"struct %s: no implicit padding\");\n",
		       d->cname, layout.size, d->cname);
	idl_buf_printf(out,
		       "_Static_assert(_Alignof(struct %s) == %u, \"struct %s: alignment\");\n\n",
		       d->cname, layout.align, d->cname);
	if (!d->needs_check)
		return;
	idl_buf_printf(out,
		       "/* Are the bytes of v a struct %s (bools 0 or 1, enum values declared,\n"
		       " * strings terminated)? Receivers check what the other side wrote. */\n"
		       "static inline bool %s_valid(const struct %s *v)\n"
		       "{\n",
		       d->cname, d->cname, d->cname);
	for (const struct idl_member *mb = d->members; mb; mb = mb->next) {
		struct idl_buf expr;

		idl_buf_init(&expr);
		idl_buf_printf(&expr, "v->%s", mb->name);
		emit_check(out, 1, &mb->type, idl_buf_str(&expr), "return false;", 0);
		idl_buf_release(&expr);
	}
	idl_buf_puts(out, "\treturn true;\n}\n\n");
}

static void emit_typedef(const struct idl_decl *d, struct idl_buf *out)
{
	emit_doc(out, d->doc, 0);
	idl_buf_puts(out, "typedef ");
	emit_declarator(out, &d->resolved, d->cname);
	idl_buf_puts(out, ";\n\n");
}

struct types_emitter {
	const struct idl_file *file;
	struct idl_buf *out;
	bool *done; /* by declaration index */
};

static void emit_decl(struct types_emitter *te, const struct idl_decl *d);

/* The declarations of this file that type t needs first. */
static void emit_deps(struct types_emitter *te, const struct idl_type *t)
{
	if (t->tdef) {
		emit_decl(te, t->tdef); /* which emits what it needs itself */
		return;
	}
	if (t->kind == IDL_TYPE_ARRAY)
		emit_deps(te, t->elem);
	else if (t->decl)
		emit_decl(te, t->decl);
}

static void emit_decl(struct types_emitter *te, const struct idl_decl *d)
{
	if (d->file != te->file || te->done[d->index])
		return; /* imported: its own header has it */
	te->done[d->index] = true;
	switch (d->kind) {
	case IDL_DECL_CONST:
		emit_const(d, te->out);
		break;
	case IDL_DECL_ENUM:
		emit_enum(d, te->out);
		break;
	case IDL_DECL_STRUCT:
		for (const struct idl_member *mb = d->members; mb; mb = mb->next)
			emit_deps(te, &mb->type);
		emit_struct(d, te->out);
		break;
	case IDL_DECL_TYPEDEF:
		emit_deps(te, &d->resolved);
		emit_typedef(d, te->out);
		break;
	}
}

void idl_emit_types_h(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const struct idl_file *file = ctx->file;
	struct types_emitter te = { .file = file, .out = out };

	emit_header_begin(ctx, "types", NULL, out);
	for (const struct idl_import *imp = file->imports; imp; imp = imp->next)
		idl_buf_printf(out, "#include \"%s_types.h\"\n", imp->file->stem);
	if (file->imports)
		idl_buf_putc(out, '\n');
	te.done = calloc(file->n_decls ? file->n_decls : 1, sizeof(*te.done));
	if (!te.done) {
		fputs("vmrpc-stubgen: out of memory\n", stderr);
		exit(1);
	}
	for (const struct idl_decl *d = file->decls; d; d = d->next)
		emit_decl(&te, d);
	free(te.done);
	emit_header_end(ctx, "types", out);
}
