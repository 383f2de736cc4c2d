/* SPDX-License-Identifier: MIT */
/*
 * <iface>_caller.h/.c: one stub per method. A stub builds the args struct
 * in a private local, puts strings and buffers in the arena (a buffer the
 * caller allocated in the channel stays where it is), copies the struct
 * into the args block, invokes, and on success copies the results out. It
 * reads nothing back from shared memory that it wrote itself (the other
 * side can rewrite it) and checks every length and value the callee
 * reports before it writes any out parameter. A oneway stub returns once
 * the request is published.
 */
#include <stdio.h>
#include <string.h>

#include "emit.h"

static void emit_prototype(const struct idl_emit_ctx *ctx, const struct idl_method *m,
			   const char *tail, struct idl_buf *out)
{
	emit_signature(out, 0, m, "const struct vmrpc_binding *binding", tail, "%s_%s",
		       ctx->iface->name, m->name);
}

static void emit_caller_h(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const char *name = ctx->iface->name;
	char include[128];

	snprintf(include, sizeof(include), "%s_common.h", name);
	emit_header_begin(ctx, "caller", include, out);
	idl_buf_printf(out,
		       "/* Bind chan to interface %s: find it in the region's registry and\n"
		       " * check its version and signature. */\n"
		       "int %s_bind(struct vmrpc_chan *chan, struct vmrpc_binding *ret_binding);\n\n",
		       name, name);
	for (const struct idl_method *m = ctx->iface->methods; m; m = m->next) {
		emit_doc(out, m->doc, 0);
		if (m->oneway)
			idl_buf_puts(out,
				     "/* oneway: returns once the request is sent; the callee's result is\n"
				     " * not reported. */\n");
		emit_prototype(ctx, m, ");", out);
		idl_buf_putc(out, '\n');
	}
	emit_header_end(ctx, "caller", out);
}

/* The size parameter of a buffer, as a C expression in the stub. */
static const char *size_name(const struct idl_param *p)
{
	return p->type.size_param->name;
}

static bool is_string(const struct idl_param *p)
{
	return p->type.kind == IDL_TYPE_STRING;
}

static bool is_buffer(const struct idl_param *p)
{
	return p->type.kind == IDL_TYPE_BUFFER;
}

static void emit_check_err(struct idl_buf *out)
{
	idl_buf_puts(out, "\tif (err < 0)\n\t\treturn err;\n");
}

static void emit_locals(const struct idl_emit_ctx *ctx, const struct idl_method *m,
			struct idl_buf *out)
{
	const char *name = ctx->iface->name;

	idl_buf_puts(out, "\tstruct vmrpc_outcall call;\n");
	if (m->args.size)
		idl_buf_printf(out, "\tstruct %s_%s_args args;\n", name, m->name);
	if (m->results.size)
		idl_buf_printf(out, "\tstruct %s_%s_results res;\n", name, m->name);
	for (const struct idl_param *p = m->params; p; p = p->next)
		if (is_buffer(p) || (is_string(p) && p->dir == IDL_DIR_OUT))
			idl_buf_printf(out, "\tvoid *%s_slot;\n", p->name);
	if (!m->oneway)
		idl_buf_puts(out, "\tint64_t ret;\n");
	idl_buf_puts(out, "\tint err;\n\n");
}

/* A negative size cannot be sent: reject it before anything else. Each
 * signed size parameter once, however many buffers it sizes. */
static void emit_size_checks(const struct idl_method *m, struct idl_buf *out)
{
	for (const struct idl_param *s = m->params; s; s = s->next) {
		if (!idl_type_is_signed(s->type.kind) || s->dir != IDL_DIR_IN)
			continue;
		for (const struct idl_param *p = m->params; p; p = p->next) {
			if (is_buffer(p) && p->type.size_param == s) {
				idl_buf_printf(out, "\tif (%s < 0)\n\t\treturn -EINVAL;\n",
					       s->name);
				break;
			}
		}
	}
}

static void emit_marshal(const struct idl_method *m, struct idl_buf *out)
{
	idl_buf_puts(out, "\tmemset(&args, 0, sizeof(args));\n");
	for (const struct idl_param *p = m->params; p; p = p->next) {
		const char *n = p->name;
		bool in = p->dir == IDL_DIR_IN;

		if (!idl_param_in_args(p))
			continue;
		switch (p->type.kind) {
		case IDL_TYPE_STRING:
			if (p->dir == IDL_DIR_OUT)
				idl_buf_printf(out,
					       "\terr = vmrpc_outcall_alloc(&call, %u, &args.%s.off, &%s_slot);\n",
					       p->type.bound + 1, n, n);
			else
				idl_buf_printf(out,
					       "\terr = vmrpc_outcall_put_str(&call, %s, %u, %u, &args.%s);\n",
					       n, p->type.bound, in ? 0 : p->type.bound + 1, n);
			emit_check_err(out);
			if (p->dir == IDL_DIR_OUT)
				idl_buf_printf(out, "\targs.%s.len = %u;\n", n, p->type.bound + 1);
			break;
		case IDL_TYPE_BUFFER:
			/* A buffer the caller allocated in the channel goes
			 * as it is; any other is copied into the arena. */
			idl_buf_printf(out,
				       "\terr = vmrpc_outcall_buf(&call, %s, %s%s, %s, &args.%s_off, &%s_slot);\n",
				       n, emit_u64_cast(p->type.size_param), size_name(p),
				       p->dir == IDL_DIR_OUT ? "false" : "true", n, n);
			emit_check_err(out);
			break;
		case IDL_TYPE_ARRAY:
			idl_buf_printf(out, "\tmemcpy(args.%s, %s, sizeof(args.%s));\n", n, n, n);
			break;
		default:
			idl_buf_printf(out, "\targs.%s = %s%s;\n", n,
				       in && p->type.kind != IDL_TYPE_STRUCT ? "" : "*", n);
			break;
		}
	}
	idl_buf_puts(out, "\tmemcpy(call.args, &args, sizeof(args));\n");
}

/* The status must fit the stub's return type; void and int32 methods
 * return int32 values. */
static void emit_status_check(const struct idl_method *m, struct idl_buf *out)
{
	bool outputs = emit_has_outputs(m);

	if (m->ret.kind != IDL_TYPE_INT64)
		idl_buf_puts(out,
			     "\tif (ret < INT32_MIN || ret > INT32_MAX)\n\t\treturn -EPROTO;\n");
	if (!outputs)
		return;
	if (m->ret.kind == IDL_TYPE_INT64)
		idl_buf_puts(out, "\tif (ret < 0)\n\t\treturn ret;\n");
	else
		idl_buf_printf(out, "\tif (ret < 0)\n\t\treturn (%s)ret;\n",
			       emit_ret_ctype(m));
}

/* The number of bytes the callee produced in an out buffer, as a C
 * expression; NULL for a buffer without a length (all SIZE bytes). */
static const char *out_len_expr(const struct idl_param *p, char *tmp, size_t size)
{
	if (p->type.len_is_return)
		return "ret";
	if (p->type.len_param) {
		snprintf(tmp, size, "res.%s", p->type.len_param->name);
		return tmp;
	}
	return NULL;
}

/* Everything the callee wrote is checked before any of it is written out:
 * the results' length, the values in them, every buffer length. */
static void emit_reply_checks(const struct idl_method *m, struct idl_buf *out)
{
	char tmp[256];

	if (m->results.size) {
		idl_buf_puts(out,
			     "\tif (call.res_len != sizeof(res))\n\t\treturn -EPROTO;\n"
			     "\tmemcpy(&res, call.results, sizeof(res));\n");
		for (const struct idl_param *p = m->params; p; p = p->next) {
			if (!idl_param_in_results(p))
				continue;
			snprintf(tmp, sizeof(tmp), "res.%s", p->name);
			emit_check(out, 1, &p->type, tmp, "return -EPROTO;", 0);
		}
	}
	for (const struct idl_param *p = m->params; p; p = p->next) {
		const char *len;

		if (!is_buffer(p) || p->dir == IDL_DIR_IN)
			continue;
		len = out_len_expr(p, tmp, sizeof(tmp));
		if (!len)
			continue;
		/* ret is known to be >= 0 here; an out length is not */
		if (p->type.len_param && idl_type_is_signed(p->type.len_param->type.kind))
			idl_buf_printf(out, "\tif (%s < 0 || (uint64_t)%s > %s%s)\n", len, len,
				       emit_u64_cast(p->type.size_param), size_name(p));
		else
			idl_buf_printf(out, "\tif (%s%s > %s%s)\n",
				       p->type.len_param ? "" : "(uint64_t)", len,
				       emit_u64_cast(p->type.size_param), size_name(p));
		idl_buf_puts(out, "\t\treturn -EPROTO;\n");
	}
}

static void emit_unmarshal(const struct idl_method *m, struct idl_buf *out)
{
	char tmp[256];

	emit_reply_checks(m, out);
	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (!is_string(p) || p->dir == IDL_DIR_IN)
			continue;
		idl_buf_printf(out,
			       "\terr = vmrpc_outcall_get_str(&call, args.%s.off, %u, %s, %s_size);\n",
			       p->name, p->type.bound + 1, p->name, p->name);
		emit_check_err(out);
	}
	for (const struct idl_param *p = m->params; p; p = p->next) {
		const char *len;

		if (!is_buffer(p) || p->dir == IDL_DIR_IN)
			continue;
		len = out_len_expr(p, tmp, sizeof(tmp));
		if (!len)
			len = size_name(p);
		idl_buf_printf(out,
			       "\tif (%s > 0 && %s_slot != %s)\n\t\tmemcpy(%s, %s_slot, (size_t)%s);\n",
			       len, p->name, p->name, p->name, p->name, len);
	}
	/* An out pointer may be NULL (the value is dropped); an inout one was
	 * read already. */
	for (const struct idl_param *p = m->params; p; p = p->next) {
		if (!idl_param_in_results(p))
			continue;
		if (p->dir == IDL_DIR_OUT)
			idl_buf_printf(out, "\tif (%s)\n\t", p->name);
		if (p->type.kind == IDL_TYPE_ARRAY)
			idl_buf_printf(out, "\tmemcpy(%s, res.%s, sizeof(res.%s));\n", p->name,
				       p->name, p->name);
		else
			idl_buf_printf(out, "\t*%s = res.%s;\n", p->name, p->name);
	}
}

static void emit_stub(const struct idl_emit_ctx *ctx, const struct idl_method *m,
		      struct idl_buf *out)
{
	const char *args_len = m->args.size ? "sizeof(args)" : "0";

	emit_prototype(ctx, m, ")", out);
	idl_buf_puts(out, "{\n");
	emit_locals(ctx, m, out);
	emit_size_checks(m, out);
	idl_buf_puts(out, "\terr = vmrpc_outcall_begin(binding, &call);\n");
	emit_check_err(out);
	if (m->args.size)
		emit_marshal(m, out);
	if (m->oneway) {
		idl_buf_puts(out, "\treturn vmrpc_outcall_send(&call, ");
		emit_method_id(out, ctx->iface, m);
		idl_buf_printf(out, ", %s);\n}\n", args_len);
		return;
	}
	idl_buf_puts(out, "\tret = vmrpc_outcall_invoke(&call, ");
	emit_method_id(out, ctx->iface, m);
	idl_buf_printf(out, ", %s);\n", args_len);
	emit_status_check(m, out);
	emit_unmarshal(m, out);
	switch (m->ret.kind) {
	case IDL_TYPE_VOID:
		if (emit_has_outputs(m))
			idl_buf_puts(out, "\treturn 0;\n");
		else
			idl_buf_puts(out, "\treturn ret < 0 ? (int)ret : 0;\n");
		break;
	case IDL_TYPE_INT32:
		idl_buf_puts(out, "\treturn (int32_t)ret;\n");
		break;
	default:
		idl_buf_puts(out, "\treturn ret;\n");
		break;
	}
	idl_buf_puts(out, "}\n");
}

static void emit_caller_c(const struct idl_emit_ctx *ctx, struct idl_buf *out)
{
	const char *name = ctx->iface->name;

	emit_banner(ctx, out);
	idl_buf_printf(out,
		       "#include <errno.h>\n"
		       "#include <string.h>\n\n"
		       "#include \"%s_caller.h\"\n\n",
		       name);
	idl_buf_printf(out,
		       "int %s_bind(struct vmrpc_chan *chan, struct vmrpc_binding *ret_binding)\n"
		       "{\n"
		       "\treturn vmrpc_bind(chan, &%s_iface, ret_binding);\n"
		       "}\n",
		       name, name);
	for (const struct idl_method *m = ctx->iface->methods; m; m = m->next) {
		idl_buf_putc(out, '\n');
		emit_stub(ctx, m, out);
	}
}

const struct idl_emitter idl_emitter_caller = {
	.part = "caller",
	.header = emit_caller_h,
	.source = emit_caller_c,
};
