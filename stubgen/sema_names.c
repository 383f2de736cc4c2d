/* SPDX-License-Identifier: MIT */
/*
 * Names: which ones the IDL allows (every name becomes part of a C
 * identifier in generated code, next to the runtime's and the generated
 * code's own), where a name used in a file is declared, and the "did you
 * mean" hint for one that is not.
 */
#include "sema_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmrpc/abi.h"

_Static_assert(IDL_IFACE_NAME_MAX == VMRPC_REG_NAME_MAX - 1, "interface name limit");

/* ---- naming rules -------------------------------------------------------- */

/* The keywords but the built-in type names, which idl_type_kind_of_name()
 * knows. */
static const char *const idl_keywords[] = {
	"interface", "version", "in", "out", "inout", "return", "oneway",
	"import", "const", "enum", "struct", "typedef", "true", "false",
	/* kept for the language to grow into */
	"union", "array", "map", "optional",
};

static const char *const c_keywords[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do",
	"double", "else", "enum", "extern", "float", "for", "goto", "if",
	"inline", "int", "long", "register", "restrict", "return", "short",
	"signed", "sizeof", "static", "struct", "switch", "typedef", "union",
	"unsigned", "void", "volatile", "while",
	/* C23 keywords and the macros C11 headers define for them */
	"alignas", "alignof", "bool", "false", "nullptr", "static_assert",
	"thread_local", "true", "typeof", "typeof_unqual",
};

/* Library names the generated code calls or uses. */
static const char *const c_library_names[] = {
	"NULL", "errno", "free", "malloc", "memcpy", "memset",
};

/* Names the generated functions use for their own parameters and locals;
 * a parameter may not take them. (Loop counters are vmrpc_i0, vmrpc_i1...,
 * in the vmrpc_ space no IDL name may enter.) */
static const char *const generated_names[] = {
	"binding", "call", "args", "res", "ret", "err", "ops", "ctx",
};

/* Method names whose generated function would collide with the interface's
 * own functions and objects: <iface>_bind, _dispatch, _service, _iface. */
static const char *const generated_method_names[] = {
	"bind", "dispatch", "service", "iface",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

#define IN_LIST(name, list) in_list(name, list, sizeof(list) / sizeof(list[0]))

/* Letters, digits and '_' only, with at least one letter, none lower case. */
static bool name_is_upper_case(const char *name)
{
	bool letter = false;

	for (; *name; name++) {
		if (islower((unsigned char)*name))
			return false;
		letter |= isupper((unsigned char)*name) != 0;
	}
	return letter;
}

/* Names become C identifiers in generated code; keep them usable there.
 * A bare name appears in C as written (methods, parameters, struct
 * members); the others get their file's or interface's prefix, so C's own
 * names and the upper case of macros cannot hurt them. */
bool sema_check_name(struct sema *s, const char *name, const struct idl_loc *loc,
		     const char *what, bool bare)
{
	size_t len = strlen(name);

	if (IN_LIST(name, idl_keywords) || idl_type_kind_of_name(name) != IDL_TYPE_UNRESOLVED) {
		idl_error(s->diag, loc, "'%s' is an IDL keyword and cannot name %s",
			  name, what);
		return false;
	}
	if (bare && IN_LIST(name, c_keywords)) {
		idl_error(s->diag, loc,
			  "'%s' is reserved in C and cannot name %s (names become C identifiers)",
			  name, what);
		return false;
	}
	if (bare && IN_LIST(name, c_library_names)) {
		idl_error(s->diag, loc,
			  "'%s' is used by the generated code and cannot name %s", name, what);
		return false;
	}
	if (name[0] == '_') {
		idl_error(s->diag, loc,
			  "'%s' starts with '_'; such names are reserved in C and cannot name %s",
			  name, what);
		return false;
	}
	if (strncasecmp(name, "vmrpc_", 6) == 0 || strcasecmp(name, "vmrpc") == 0) {
		idl_error(s->diag, loc,
			  "'%s' is reserved for the runtime: 'vmrpc' and names starting with "
			  "'vmrpc_' are libvmrpc's",
			  name);
		return false;
	}
	if (bare && name_is_upper_case(name)) {
		idl_error(s->diag, loc,
			  "'%s' is all upper case, the form of C macros (EPROTO, INT32_MAX...) that "
			  "would replace it in the generated code; use lower or mixed case",
			  name);
		return false;
	}
	if (len >= 2 && strcmp(name + len - 2, "_t") == 0) {
		idl_error(s->diag, loc,
			  "'%s' ends in '_t', which is reserved for C type names", name);
		return false;
	}
	return true;
}

void sema_check_iface_name(struct sema *s, const struct idl_iface *iface)
{
	if (sema_check_name(s, iface->name, &iface->loc, "an interface", true) &&
	    strlen(iface->name) > IDL_IFACE_NAME_MAX)
		idl_error(s->diag, &iface->loc,
			  "interface name '%s' is %zu characters long; at most %u fit the registry",
			  iface->name, strlen(iface->name), IDL_IFACE_NAME_MAX);
}

void sema_check_method_name(struct sema *s, const struct idl_iface *iface,
			    const struct idl_method *m)
{
	if (sema_check_name(s, m->name, &m->loc, "a method", true) &&
	    IN_LIST(m->name, generated_method_names))
		idl_error(s->diag, &m->loc,
			  "method name '%s' collides with the generated %s_%s; rename the method",
			  m->name, iface->name, m->name);
}

void sema_check_param_name(struct sema *s, const struct idl_param *p)
{
	if (sema_check_name(s, p->name, &p->loc, "a parameter", true) &&
	    IN_LIST(p->name, generated_names))
		idl_error(s->diag, &p->loc,
			  "parameter name '%s' is used by the generated code; rename it (parameter names do not affect compatibility)",
			  p->name);
}

/* Names the generated code derives from a parameter's name: NAME_size (the
 * size argument of an out or inout string), NAME_slot (the caller's arena
 * pointer of a buffer or string) and NAME_off (the args field of a
 * buffer). */
void sema_check_derived_names(struct sema *s, const struct idl_method *m)
{
	static const char *const suffixes[] = { "_size", "_slot", "_off" };

	for (const struct idl_param *p = m->params; p; p = p->next) {
		bool str = p->type.kind == IDL_TYPE_STRING;
		bool str_out = str && p->dir != IDL_DIR_IN;
		bool buf = p->type.kind == IDL_TYPE_BUFFER;
		bool uses[3] = { str_out, str || buf, buf };
		size_t n = strlen(p->name);

		for (size_t k = 0; k < 3; k++) {
			if (!uses[k])
				continue;
			for (const struct idl_param *q = m->params; q; q = q->next) {
				if (strncmp(q->name, p->name, n) == 0 &&
				    strcmp(q->name + n, suffixes[k]) == 0)
					idl_error(s->diag, &q->loc,
						  "parameter '%s' clashes with the name the generated code derives from '%s'; rename it",
						  q->name, p->name);
			}
		}
	}
}

/* ---- hints --------------------------------------------------------------- */

/* Optimal string alignment distance: edits plus adjacent transpositions. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *d;
	size_t w = lb + 1, r;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	d = calloc((la + 1) * w, sizeof(*d));
	if (!d)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[(i - 1) * w + j] + 1;

			if (d[i * w + j - 1] + 1 < v)
				v = d[i * w + j - 1] + 1;
			if (d[(i - 1) * w + j - 1] + cost < v)
				v = d[(i - 1) * w + j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[(i - 2) * w + j - 2] + 1 < v)
				v = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = v;
		}
	}
	r = d[la * w + lb];
	free(d);
	return r;
}

/* The closest candidate to name, if it is close enough to be a typo. */
static const char *closest(const char *name, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, len = strlen(name);

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(name, cands[i]);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	/* A typo, not another word: at most one edit per three letters. */
	if (best_d > 2 || best_d > (len + 1) / 3)
		return NULL;
	return best;
}

/* The names of declared types visible in the current file, for hints. */
static size_t visible_type_names(struct sema *s, const char **names, size_t max)
{
	size_t n = 0;

	for (const struct idl_decl *d = s->file->decls; d && n < max; d = d->next)
		if (d->kind != IDL_DECL_CONST)
			names[n++] = d->name;
	for (const struct idl_import *imp = s->file->imports; imp; imp = imp->next)
		for (const struct idl_decl *d = imp->file ? imp->file->decls : NULL;
		     d && n < max; d = d->next)
			if (d->kind != IDL_DECL_CONST)
				names[n++] = d->name;
	return n;
}

/* A declared or built-in type name close enough to name to be what was
 * meant, or NULL. */
const char *sema_type_hint(struct sema *s, const char *name)
{
	const char *cands[IDL_TYPE_BUFFER - IDL_TYPE_VOID + 1 + 64];
	size_t n = 0;

	/* the built-ins first: on a tie, closest() keeps the first */
	for (int k = IDL_TYPE_VOID; k <= IDL_TYPE_BUFFER; k++)
		cands[n++] = idl_type_kind_name((enum idl_type_kind)k);
	n += visible_type_names(s, cands + n, 64);
	return closest(name, cands, n);
}

/* ---- scopes and lookup --------------------------------------------------- */

struct idl_symtab *sema_scope_of(const struct sema *s, const struct idl_file *file)
{
	size_t i = 0;

	for (const struct idl_file *f = s->unit->files; f; f = f->next, i++)
		if (f == file)
			return &s->scopes[i];
	abort(); /* every file of the unit has a scope */
}

const char *sema_decl_kind_name(enum idl_decl_kind kind)
{
	switch (kind) {
	case IDL_DECL_CONST:
		return "constant";
	case IDL_DECL_ENUM:
		return "enum";
	case IDL_DECL_STRUCT:
		return "struct";
	case IDL_DECL_TYPEDEF:
		return "typedef";
	}
	return "declaration";
}

/*
 * A name used in the current file: its own declaration, or one of a file it
 * imports directly (imports are not transitive: a file names what it uses).
 * Reports a name two imports declare; NULL if not found or ambiguous.
 */
struct idl_decl *sema_lookup(struct sema *s, const char *name, const struct idl_loc *loc)
{
	struct idl_decl *d = idl_symtab_get(sema_scope_of(s, s->file), name), *found = NULL;
	struct idl_import *from = NULL;

	s->ambiguous = false;
	if (d)
		return d;
	for (struct idl_import *imp = s->file->imports; imp; imp = imp->next) {
		if (!imp->file)
			continue;
		d = idl_symtab_get(sema_scope_of(s, imp->file), name);
		if (!d || d == found)
			continue;
		if (found) {
			idl_error(s->diag, loc,
				  "'%s' is ambiguous: both %s and %s declare it; rename one of them",
				  name, from->file->path, imp->file->path);
			from->used = imp->used = true;
			s->ambiguous = true;
			return NULL;
		}
		found = d;
		from = imp;
	}
	if (from)
		from->used = true;
	return found;
}

/* ---- C spellings --------------------------------------------------------- */

char *sema_upper_dup(struct sema *s, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *r = idl_arena_alloc(&s->unit->arena, la + lb + 2);

	for (size_t i = 0; i < la; i++)
		r[i] = (char)toupper((unsigned char)a[i]);
	if (b) {
		r[la] = '_';
		for (size_t i = 0; i < lb; i++)
			r[la + 1 + i] = (char)toupper((unsigned char)b[i]);
	}
	return r;
}

char *sema_join_dup(struct sema *s, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *r = idl_arena_alloc(&s->unit->arena, la + lb + 2);

	memcpy(r, a, la);
	r[la] = '_';
	memcpy(r + la + 1, b, lb);
	return r;
}
