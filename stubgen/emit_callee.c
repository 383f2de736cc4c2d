/* SPDX-License-Identifier: MIT */
/*
 * <iface>_callee.h/.c: the ops table a callee implements, one static serve
 * function per method and the dispatch switch over them. A serve function
 * works on the runtime's private snapshot of the args block, validates
 * every string and buffer through vmrpc_incall_*() before the method sees
 * it, and writes results and out strings only when the method succeeded.
 */
#include <stdio.h>
#include <string.h>

#include "emit.h"

/* Out and in strings up to this bound get a buffer on the stack. */
#define EMIT_STACK_STRING_MAX 4096u

static void emit_ops_member(const struct idl_method *m, struct idl_buf *out)
{
	emit_doc(out, m->doc, 1);
	emit_signature(out, 1, m, "void *ctx", ");", "(*%s)", m->name);
}

static void emit_callee_h(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const char *name = ctx->iface->name;
	char include[128];

	snprintf(include, sizeof(include), "%s_common.h", name);
	emit_header_begin(ctx, "callee", include, out);
	idl_buf_printf(out,
		       "/* The methods of interface %s. ctx is the one given to\n"
		       " * %s_service(). A NULL entry answers -ENOSYS. */\n"
		       "struct %s_ops {\n",
		       name, name, name);
	for (const struct idl_method *m = ctx->iface->methods; m; m = m->next)
		emit_ops_member(m, out);
	if (!ctx->iface->methods)
		idl_buf_puts(out, "\tchar unused; /* the interface has no methods */\n");
	idl_buf_puts(out, "};\n\n");
	idl_buf_printf(out,
		       "/* Serve one call; ops is a const struct %s_ops *. */\n"
		       "int64_t %s_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call);\n\n"
		       "/* The service to pass to vmrpc_callee_serve() for interface %s. */\n"
		       "struct vmrpc_service %s_service(const struct %s_ops *ops, void *ctx);\n\n",
		       name, name, name, name, name);
	emit_header_end(ctx, "callee", out);
}

static bool string_on_heap(const struct idl_param *p)
{
	return p->type.kind == IDL_TYPE_STRING && p->type.bound > EMIT_STACK_STRING_MAX;
}

/* How a serve function leaves on an error: straight out, or through the
 * label that frees heap strings. */
static void emit_fail(bool cleanup, const char *value, struct idl_buf *out)
{
	if (cleanup)
		idl_buf_printf(out, "\tif (%s < 0) {\n\t\tret = %s;\n\t\tgoto out;\n\t}\n",
			       value, value);
	else
		idl_buf_printf(out, "\tif (%s < 0)\n\t\treturn %s;\n", value, value);
}

/* Does the serve function write anything after the method returned? */
static bool writes_back(const struct idl_method *m)
{
	if (m->results.size)
		return true;
	for (const struct idl_param *p = m->params; p; p = p->next)
		if (p->type.kind == IDL_TYPE_STRING && p->dir != IDL_DIR_IN)
			return true;
	return false;
}

static void emit_locals(const struct idl_emit_ctx *ctx, const struct idl_method *m,
			bool direct, struct idl_buf *out)
{
	const char *name = ctx->iface->name;
	bool need_err = false;

	if (m->args.size)
		idl_buf_printf(out, "\tconst struct %s_%s_args *args = call->args;\n", name,
			       m->name);
	if (m->results.size)
		idl_buf_printf(out, "\tstruct %s_%s_results res;\n", name, m->name);
	for (const struct idl_param *p = m->params; p; p = p->next) {
		switch (p->type.kind) {
		case IDL_TYPE_STRING:
			if (string_on_heap(p))
				idl_buf_printf(out, "\tchar *%s = NULL;\n", p->name);
			else
				idl_buf_printf(out, "\tchar %s[%u];\n", p->name,
					       p->type.bound + 1);
			need_err = true;
			break;
		case IDL_TYPE_BUFFER:
			idl_buf_printf(out, "\t%svoid *%s;\n",
				       p->dir == IDL_DIR_IN ? "const " : "", p->name);
			need_err = true;
			break;
		default:
			break;
		}
	}
	if (!direct)
		idl_buf_puts(out, "\tint64_t ret;\n");
	if (need_err)
		idl_buf_puts(out, "\tint err;\n");
	idl_buf_putc(out, '\n');
}

/* The values the caller wrote into the args block: bools, enums, strings
 * in structs. Checked before anything else happens. */
static void emit_arg_checks(const struct idl_method *m, struct idl_buf *out)
{
	char expr[256];

	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (p->dir == IDL_DIR_OUT || idl_param_in_arena(p))
			continue;
		snprintf(expr, sizeof(expr), "args->%s", p->name);
		emit_check(out, 1, &p->type, expr, "return -EINVAL;", 0);
	}
}

/* Get every string and buffer from the arena, checked. */
static void emit_unmarshal(const struct idl_method *m, bool cleanup, struct idl_buf *out)
{
	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (!string_on_heap(p))
			continue;
		idl_buf_printf(out, "\t%s = malloc(%u);\n", p->name, p->type.bound + 1);
		idl_buf_printf(out, "\tif (!%s) {\n\t\tret = -ENOMEM;\n\t\tgoto out;\n\t}\n",
			       p->name);
	}
	for (const struct idl_param *p = m->params; p; p = p->next) {
		const char *n = p->name;
		bool in = p->dir == IDL_DIR_IN;

		if (p->type.kind == IDL_TYPE_STRING && p->dir != IDL_DIR_OUT) {
			idl_buf_printf(out,
				       "\terr = vmrpc_incall_get_str(call, &args->%s, %u, %s);\n",
				       n, p->type.bound, n);
			emit_fail(cleanup, "err", out);
		} else if (p->type.kind == IDL_TYPE_STRING) {
			idl_buf_printf(out, "\t%s[0] = '\\0';\n", n);
		}
		if (p->type.kind == IDL_TYPE_STRING && !in) {
			/* Check the slot now: a bad one must not cost a run. */
			idl_buf_printf(out,
				       "\terr = vmrpc_incall_out_buf(call, args->%s.off, %u, NULL);\n",
				       n, p->type.bound + 1);
		} else if (p->type.kind == IDL_TYPE_BUFFER) {
			idl_buf_printf(out,
				       "\terr = vmrpc_incall_%s_buf(call, args->%s_off, %sargs->%s, &%s);\n",
				       in ? "in" : "out", n, emit_u64_cast(p->type.size_param),
				       p->type.size_param->name, n);
		} else {
			continue;
		}
		emit_fail(cleanup, "err", out);
	}
	if (!m->results.size)
		return;
	idl_buf_puts(out, "\tmemset(&res, 0, sizeof(res));\n");
	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (p->dir != IDL_DIR_INOUT || idl_param_in_arena(p))
			continue;
		if (p->type.kind == IDL_TYPE_ARRAY)
			idl_buf_printf(out, "\tmemcpy(res.%s, args->%s, sizeof(res.%s));\n",
				       p->name, p->name, p->name);
		else
			idl_buf_printf(out, "\tres.%s = args->%s;\n", p->name, p->name);
	}
}

static void emit_call(const struct idl_method *m, bool direct, struct idl_buf *out)
{
	struct emit_list items;
	struct idl_buf head;

	emit_list_init(&items);
	idl_buf_init(&head);
	emit_list_add(&items, "ctx");
	for (const struct idl_param *p = m->params; p; p = p->next) {
		const char *n = p->name;
		bool in = p->dir == IDL_DIR_IN;

		switch (p->type.kind) {
		case IDL_TYPE_STRING:
			emit_list_add(&items, "%s", n);
			if (!in && string_on_heap(p))
				emit_list_add(&items, "%u", p->type.bound + 1);
			else if (!in)
				emit_list_add(&items, "sizeof(%s)", n);
			break;
		case IDL_TYPE_BUFFER:
			emit_list_add(&items, "%s", n);
			break;
		case IDL_TYPE_ARRAY:
			emit_list_add(&items, "%s%s", in ? "args->" : "res.", n);
			break;
		case IDL_TYPE_STRUCT:
			emit_list_add(&items, "&%s%s", in ? "args->" : "res.", n);
			break;
		default:
			if (in)
				emit_list_add(&items, "args->%s", n);
			else
				emit_list_add(&items, "&res.%s", n);
			break;
		}
	}
	idl_buf_printf(&head, "%sops->%s(", direct ? "return " : "ret = ", m->name);
	emit_wrapped(out, 1, idl_buf_str(&head), &items, ");");
	idl_buf_release(&head);
	emit_list_release(&items);
}

/* After the method succeeded: out strings into their slots, out values
 * into the results block. */
static void emit_marshal(const struct idl_method *m, bool cleanup, struct idl_buf *out)
{
	if (!writes_back(m))
		return;
	if (cleanup)
		idl_buf_puts(out, "\tif (ret < 0)\n\t\tgoto out;\n");
	else
		idl_buf_puts(out, "\tif (ret < 0)\n\t\treturn ret;\n");
	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (p->type.kind != IDL_TYPE_STRING || p->dir == IDL_DIR_IN)
			continue;
		/* The method may have filled the buffer without a NUL. */
		idl_buf_printf(out, "\t%s[%u] = '\\0';\n", p->name, p->type.bound);
		idl_buf_printf(out, "\terr = vmrpc_incall_put_str(call, args->%s.off, %u, %s);\n",
			       p->name, p->type.bound + 1, p->name);
		emit_fail(cleanup, "err", out);
	}
	if (m->results.size)
		idl_buf_puts(out,
			     "\tmemcpy(call->results, &res, sizeof(res));\n"
			     "\tcall->res_len = sizeof(res);\n");
}

static void emit_serve(const struct idl_emit_ctx *ctx, const struct idl_method *m,
		       struct idl_buf *out)
{
	const char *name = ctx->iface->name;
	struct emit_list params;
	struct idl_buf head;
	bool cleanup = false, direct;

	for (const struct idl_param *p = m->params; p; p = p->next)
		cleanup = cleanup || string_on_heap(p);

	emit_list_init(&params);
	idl_buf_init(&head);
	emit_list_add(&params, "const struct %s_ops *ops", name);
	emit_list_add(&params, "void *ctx");
	emit_list_add(&params, "struct vmrpc_incall *call");
	idl_buf_printf(&head, "static int64_t %s_serve_%s(", name, m->name);
	emit_wrapped(out, 0, idl_buf_str(&head), &params, ")");
	idl_buf_release(&head);
	emit_list_release(&params);
	idl_buf_puts(out, "{\n");
	direct = !cleanup && !writes_back(m);
	emit_locals(ctx, m, direct, out);
	idl_buf_printf(out, "\tif (call->args_len != %s)\n\t\treturn -EPROTO;\n",
		       m->args.size ? "sizeof(*args)" : "0");
	idl_buf_printf(out, "\tif (!ops->%s)\n\t\treturn -ENOSYS;\n", m->name);
	emit_arg_checks(m, out);
	emit_unmarshal(m, cleanup, out);
	emit_call(m, direct, out);
	if (direct) {
		idl_buf_puts(out, "}\n\n");
		return;
	}
	emit_marshal(m, cleanup, out);
	if (cleanup) {
		idl_buf_puts(out, "out:\n");
		for (const struct idl_param *p = m->params; p; p = p->next)
			if (string_on_heap(p))
				idl_buf_printf(out, "\tfree(%s);\n", p->name);
	}
	idl_buf_puts(out, "\treturn ret;\n}\n\n");
}

static void emit_callee_c(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const struct idl_iface *iface = ctx->iface;
	const char *name = iface->name;

	emit_banner(ctx, out);
	idl_buf_printf(out,
		       "#include <errno.h>\n"
		       "#include <stdlib.h>\n"
		       "#include <string.h>\n\n"
		       "#include \"%s_callee.h\"\n\n",
		       name);
	for (const struct idl_method *m = iface->methods; m; m = m->next)
		emit_serve(ctx, m, out);

	idl_buf_printf(out,
		       "int64_t %s_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call)\n"
		       "{\n",
		       name);
	if (!iface->methods)
		idl_buf_puts(out, "\t(void)ops;\n\t(void)ctx;\n");
	idl_buf_puts(out, "\tswitch (call->method) {\n");
	for (const struct idl_method *m = iface->methods; m; m = m->next) {
		idl_buf_puts(out, "\tcase ");
		emit_method_id(out, iface, m);
		idl_buf_printf(out, ":\n\t\treturn %s_serve_%s(ops, ctx, call);\n", name,
			       m->name);
	}
	idl_buf_puts(out, "\tdefault:\n\t\treturn -EPROTO;\n\t}\n}\n\n");

	idl_buf_printf(out,
		       "struct vmrpc_service %s_service(const struct %s_ops *ops, void *ctx)\n"
		       "{\n"
		       "\tstruct vmrpc_service svc = {\n"
		       "\t\t.iface = &%s_iface,\n"
		       "\t\t.dispatch = %s_dispatch,\n"
		       "\t\t.ops = ops,\n"
		       "\t\t.ctx = ctx,\n"
		       "\t};\n\n"
		       "\treturn svc;\n"
		       "}\n",
		       name, name, name, name);
}

const struct idl_emitter idl_emitter_callee = {
	.part = "callee",
	.header = emit_callee_h,
	.source = emit_callee_c,
};
