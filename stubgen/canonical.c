/* SPDX-License-Identifier: MIT */
/*
 * The canonical text of a resolved interface, which its signature hash is
 * taken over: the signature a caller and a callee compare when they bind
 * (docs/idl.md, "Signature hash"). Sema's last step: it only reads the
 * resolved tree, so it runs once every check has passed, and reports
 * nothing.
 */
#include "sema.h"

#include <inttypes.h>

/* A type as the hash sees it: structure, not names. Typedefs are
 * transparent, enums and structs are spelled out with their members'
 * names and values (a renamed or renumbered member changes meaning). */
static void canonical_type(const struct idl_type *t, struct idl_buf *out)
{
	switch (t->kind) {
	case IDL_TYPE_STRING:
		idl_buf_printf(out, "string<%u>", t->bound);
		break;
	case IDL_TYPE_BUFFER:
		idl_buf_printf(out, "buffer<$%u", t->size_param->index);
		if (t->len_is_return)
			idl_buf_puts(out, ",return");
		else if (t->len_param)
			idl_buf_printf(out, ",$%u", t->len_param->index);
		idl_buf_putc(out, '>');
		break;
	case IDL_TYPE_ENUM:
		idl_buf_puts(out, "enum{");
		for (const struct idl_enumerator *e = t->decl->enumerators; e; e = e->next)
			idl_buf_printf(out, "%s=%" PRId64 ";", e->name, e->value);
		idl_buf_putc(out, '}');
		break;
	case IDL_TYPE_STRUCT:
		idl_buf_puts(out, "struct{");
		for (const struct idl_member *mb = t->decl->members; mb; mb = mb->next) {
			canonical_type(&mb->type, out);
			idl_buf_printf(out, " %s;", mb->name);
		}
		idl_buf_putc(out, '}');
		break;
	case IDL_TYPE_ARRAY:
		canonical_type(t->elem, out);
		idl_buf_printf(out, "[%u]", t->count);
		break;
	default:
		idl_buf_puts(out, idl_type_kind_name(t->kind));
		break;
	}
}

/*
 * One line per interface and per method, parameter names left out so that
 * renaming a parameter keeps the interface compatible:
 *
 *   interface hostcalls version 1
 *   4 int64 read(in int32,out buffer<$2,return>,in uint64)
 *   5 oneway void log(in string<255>)
 *
 * Each method line starts with its id. A buffer's size and length name
 * parameters by position ($N, from 0).
 */
void idl_canonical_text(const struct idl_iface *iface, struct idl_buf *out)
{
	static const char *const dirs[] = { "in", "out", "inout" };

	idl_buf_printf(out, "interface %s version %" PRIu64 "\n", iface->name,
		       iface->version);
	for (const struct idl_method *m = iface->methods; m; m = m->next) {
		idl_buf_printf(out, "%u %s%s %s(", m->id, m->oneway ? "oneway " : "",
			       idl_type_kind_name(m->ret.kind), m->name);
		for (const struct idl_param *p = m->params; p; p = p->next) {
			idl_buf_printf(out, "%s%s ", p == m->params ? "" : ",", dirs[p->dir]);
			canonical_type(&p->type, out);
		}
		idl_buf_puts(out, ")\n");
	}
}
