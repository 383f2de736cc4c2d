/* SPDX-License-Identifier: MIT */
/*
 * <iface>_common.h/.c: what both sides share. The method ids, the layout of
 * each method's args and results structs (the bytes in the channel's args
 * and results blocks), the interface's type table (emit_typetab.c), and the
 * struct vmrpc_iface the registry matches.
 */
#include <inttypes.h>
#include <stdio.h>

#include "emit.h"
#include "emit_typetab.h"

static void emit_field(void *opaque, const struct idl_field *f)
{
	struct idl_buf *out = opaque;
	const struct idl_param *p = f->param;

	if (!p) {
		emit_pad(out, f);
		return;
	}
	switch (p->type.kind) {
	case IDL_TYPE_STRING:
		idl_buf_printf(out, "\tstruct vmrpc_wire_str %s;\n", p->name);
		break;
	case IDL_TYPE_BUFFER:
		idl_buf_printf(out, "\tuint64_t %s_off;\n", p->name);
		break;
	default:
		idl_buf_putc(out, '\t');
		emit_declarator(out, &p->type, p->name);
		idl_buf_puts(out, ";\n");
		break;
	}
}

static void emit_struct(const struct idl_emit_ctx *ctx, const struct idl_method *m,
			bool results, struct idl_buf *out)
{
	const char *kind = results ? "results" : "args";
	const char *limit = results ? "VMRPC_RESULTS_SIZE" : "VMRPC_ARGS_SIZE";
	const char *name = ctx->iface->name;
	struct idl_layout layout;

	if (results)
		idl_buf_printf(out,
			       "/* Out values of %s(): the callee writes them, the caller reads them. */\n",
			       m->name);
	else
		idl_buf_printf(out,
			       "/* Arguments of %s(): the caller writes them, the callee reads a snapshot. */\n",
			       m->name);
	idl_buf_printf(out, "struct %s_%s_%s {\n", name, m->name, kind);
	layout = idl_layout_method(m, results, emit_field, out);
	idl_buf_puts(out, "};\n");
	idl_buf_printf(out,
		       "_Static_assert(sizeof(struct %s_%s_%s) == %u,\n"
		       "\t       \"%s_%s_%s: no implicit padding\");\n",
		       name, m->name, kind, layout.size, name, m->name, kind);
	idl_buf_printf(out,
		       "_Static_assert(sizeof(struct %s_%s_%s) <= %s,\n"
		       "\t       \"%s_%s_%s fits its block\");\n\n",
		       name, m->name, kind, limit, name, m->name, kind);
}

static void emit_common_h(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const struct idl_iface *iface = ctx->iface;
	char include[128];

	snprintf(include, sizeof(include), "%s_types.h", ctx->file->stem);
	emit_header_begin(ctx, "common", include, out);
	emit_doc(out, iface->doc, 0);
	if (iface->methods) {
		idl_buf_printf(out, "enum %s_method {\n", iface->name);
		for (const struct idl_method *m = iface->methods; m; m = m->next) {
			emit_doc(out, m->doc, 1);
			idl_buf_putc(out, '\t');
			emit_method_id(out, iface, m);
			idl_buf_printf(out, " = %u,\n", m->id);
		}
		idl_buf_puts(out, "};\n\n");
	}
	for (const struct idl_method *m = iface->methods; m; m = m->next) {
		if (m->args.size == 0 && m->results.size == 0)
			continue;
		emit_doc(out, m->doc, 0);
		if (m->args.size)
			emit_struct(ctx, m, false, out);
		if (m->results.size)
			emit_struct(ctx, m, true, out);
	}
	idl_buf_printf(out, "extern const struct vmrpc_iface %s_iface;\n\n", iface->name);
	emit_header_end(ctx, "common", out);
}

/* The table as a byte array, 16 bytes a line. */
static void emit_type_table(const char *name, const struct idl_typetab *tt,
			    struct idl_buf *out)
{
	idl_buf_printf(out,
		       "/* The type table of %s (vmrpc/typetab.h): its methods, parameters and\n"
		       " * types, which its callees give to whoever asks (the meta call). */\n",
		       name);
	idl_buf_printf(out, "static const unsigned char %s_type_table[%zu] = {", name, tt->len);
	for (size_t i = 0; i < tt->len; i++)
		idl_buf_printf(out, "%s0x%02x,", i % 16 ? "" : "\n\t", tt->data[i]);
	idl_buf_puts(out, "\n};\n\n");
}

static void emit_common_c(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const struct idl_iface *iface = ctx->iface;
	const char *name = iface->name;
	struct idl_typetab tt = { NULL, 0 };
	/* -EFBIG: idl_typetab_check() warned; the interface has no table */
	bool has_table = idl_typetab_build(iface, &tt) == 0;

	emit_banner(ctx, out);
	idl_buf_printf(out, "#include \"%s_common.h\"\n\n", name);
	if (iface->methods) {
		/* Indexed by id; an id no method has is NULL. */
		idl_buf_printf(out, "static const char *const %s_method_names[%u] = {\n", name,
			       iface->n_ids);
		for (const struct idl_method *m = iface->methods; m; m = m->next)
			idl_buf_printf(out, "\t[%u] = \"%s\",\n", m->id, m->name);
		idl_buf_puts(out, "};\n\n");
	}
	if (has_table)
		emit_type_table(name, &tt, out);
	idl_buf_printf(out, "const struct vmrpc_iface %s_iface = {\n", name);
	idl_buf_printf(out, "\t.name = \"%s\",\n", name);
	idl_buf_printf(out, "\t.version = %" PRIu64 ",\n", iface->version);
	idl_buf_printf(out, "\t.n_methods = %u,\n", iface->n_ids);
	idl_buf_printf(out, "\t.sig_hash = 0x%016" PRIx64 "ULL,\n", iface->sig_hash);
	if (iface->methods)
		idl_buf_printf(out, "\t.method_names = %s_method_names,\n", name);
	else
		idl_buf_puts(out, "\t.method_names = NULL,\n");
	if (has_table) {
		idl_buf_printf(out, "\t.type_table = %s_type_table,\n", name);
		idl_buf_printf(out, "\t.type_table_len = sizeof(%s_type_table),\n", name);
	} else {
		idl_buf_puts(out, "\t.type_table = NULL, /* too large for one */\n");
		idl_buf_puts(out, "\t.type_table_len = 0,\n");
	}
	idl_buf_puts(out, "};\n");
	idl_typetab_release(&tt);
}

const struct idl_emitter idl_emitter_common = {
	.part = "common",
	.header = emit_common_h,
	.source = emit_common_c,
};
