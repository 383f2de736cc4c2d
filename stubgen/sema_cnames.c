/* SPDX-License-Identifier: MIT */
/*
 * The names the generated C declares, checked for collisions across the
 * unit: a program includes the headers of a file and of the files it
 * imports together, and links the stubs of several interfaces. Interface
 * 'a' with method 'b_bind' and interface 'a_b' both want a_b_bind(); a
 * struct 'open_args' in hostcalls.idl and the args of method
 * hostcalls.open both want struct hostcalls_open_args.
 *
 * The list below spells each name as the emitters do; a name an emitter
 * adds must be added here too.
 */
#include "sema_internal.h"

#include <stdarg.h>
#include <string.h>

/* Where a generated C name comes from, for the message about a clash. */
struct c_name {
	const char *what;
	struct idl_loc loc;
};

enum c_space {
	C_TAG,      /* struct and enum tags */
	C_ORDINARY, /* functions, objects, typedefs, enum constants, macros */
};

static void c_name_add(struct sema *s, struct idl_symtab *names, enum c_space space,
		       const char *name, const struct idl_loc *loc, const char *what)
{
	struct c_name *n = idl_arena_alloc(&s->unit->arena, sizeof(*n)), *first;
	size_t len = strlen(name);
	char *key = idl_arena_alloc(&s->unit->arena, len + 2);

	key[0] = space == C_TAG ? 'T' : 'O';
	memcpy(key + 1, name, len);
	n->what = what;
	n->loc = *loc;
	first = idl_symtab_put(names, key, n);
	if (first)
		idl_error(s->diag, loc,
			  "the generated C name '%s' of %s collides with the one of %s (%s:%d:%d); rename one of them",
			  name, what, first->what, first->loc.path, first->loc.first_line,
			  first->loc.first_column);
}

__attribute__((format(printf, 2, 3)))
static const char *describe(struct sema *s, const char *fmt, ...)
{
	struct idl_buf text;
	va_list ap;
	const char *r;

	idl_buf_init(&text);
	va_start(ap, fmt);
	idl_buf_vprintf(&text, fmt, ap);
	va_end(ap);
	r = idl_arena_strndup(&s->unit->arena, idl_buf_str(&text), text.len);
	idl_buf_release(&text);
	return r;
}

static void c_names_of_decl(struct sema *s, struct idl_symtab *names, const struct idl_decl *d)
{
	const char *what = describe(s, "%s '%s'", sema_decl_kind_name(d->kind), d->name);

	switch (d->kind) {
	case IDL_DECL_CONST:
		c_name_add(s, names, C_ORDINARY, d->cname, &d->loc, what);
		break;
	case IDL_DECL_TYPEDEF:
		c_name_add(s, names, C_ORDINARY, d->cname, &d->loc, what);
		break;
	case IDL_DECL_STRUCT:
		c_name_add(s, names, C_TAG, d->cname, &d->loc, what);
		c_name_add(s, names, C_ORDINARY, sema_join_dup(s, d->cname, "valid"), &d->loc, what);
		break;
	case IDL_DECL_ENUM:
		c_name_add(s, names, C_TAG, d->cname, &d->loc, what);
		c_name_add(s, names, C_ORDINARY, sema_join_dup(s, d->cname, "valid"), &d->loc, what);
		for (const struct idl_enumerator *e = d->enumerators; e; e = e->next)
			c_name_add(s, names, C_ORDINARY, sema_upper_dup(s, d->cname, e->name),
				   &e->loc, describe(s, "enum value '%s.%s'", d->name, e->name));
		break;
	}
}

static void c_names_of_iface(struct sema *s, struct idl_symtab *names,
			     const struct idl_iface *iface)
{
	static const char *const fns[] = { "bind", "dispatch", "service", "iface",
					   "method_names" };
	static const char *const guards[] = { "COMMON_H", "CALLER_H", "CALLEE_H" };
	const char *what = describe(s, "interface '%s'", iface->name);
	const char *upper = sema_upper_dup(s, iface->name, NULL);

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		c_name_add(s, names, C_ORDINARY, sema_join_dup(s, iface->name, fns[i]), &iface->loc,
			   what);
	for (size_t i = 0; i < sizeof(guards) / sizeof(guards[0]); i++)
		c_name_add(s, names, C_ORDINARY, sema_join_dup(s, upper, guards[i]), &iface->loc,
			   what);
	c_name_add(s, names, C_TAG, sema_join_dup(s, iface->name, "ops"), &iface->loc, what);
	c_name_add(s, names, C_TAG, sema_join_dup(s, iface->name, "method"), &iface->loc, what);
	for (const struct idl_method *m = iface->methods; m; m = m->next) {
		const char *mwhat = describe(s, "method '%s.%s'", iface->name, m->name);
		const char *fn = sema_join_dup(s, iface->name, m->name);

		c_name_add(s, names, C_ORDINARY, fn, &m->loc, mwhat);
		c_name_add(s, names, C_ORDINARY,
			   sema_join_dup(s, sema_join_dup(s, iface->name, "serve"), m->name), &m->loc,
			   mwhat);
		c_name_add(s, names, C_ORDINARY,
			   sema_upper_dup(s, sema_join_dup(s, iface->name, "method"), m->name), &m->loc,
			   mwhat);
		if (m->args.size)
			c_name_add(s, names, C_TAG, sema_join_dup(s, fn, "args"), &m->loc, mwhat);
		if (m->results.size)
			c_name_add(s, names, C_TAG, sema_join_dup(s, fn, "results"), &m->loc, mwhat);
	}
}

void sema_check_c_names(struct sema *s)
{
	struct idl_symtab names;

	idl_symtab_init(&names);
	for (const struct idl_file *f = s->unit->files; f; f = f->next) {
		struct idl_loc loc = { .first_line = 1, .first_column = 1, .path = f->path };

		c_name_add(s, &names, C_ORDINARY, sema_upper_dup(s, f->stem, "TYPES_H"), &loc,
			   describe(s, "file '%s'", f->path));
		for (const struct idl_decl *d = f->decls; d; d = d->next)
			if (d->cname)
				c_names_of_decl(s, &names, d);
		for (const struct idl_iface *iface = f->ifaces; iface; iface = iface->next)
			c_names_of_iface(s, &names, iface);
	}
	idl_symtab_release(&names);
}
