/* SPDX-License-Identifier: MIT */
#include "sema.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmrpc/abi.h"

_Static_assert(IDL_IFACE_NAME_MAX == VMRPC_REG_NAME_MAX - 1, "interface name limit");

struct sema {
	struct idl_file *file;
	struct idl_diag *diag;
};

/* ---- names --------------------------------------------------------------- */

static const char *const idl_keywords[] = {
	"interface", "version", "in", "out", "return",
	/* types */
	"void", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
	"uint64", "string", "buffer",
	/* kept for the language to grow into */
	"struct", "enum", "union", "typedef", "import", "const", "oneway",
	"bool", "float", "double", "array",
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
 * a parameter may not take them. */
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

/* Names become C identifiers in generated code; keep them usable there. */
static bool check_name(struct sema *s, const char *name, const struct idl_loc *loc,
		       const char *what)
{
	size_t len = strlen(name);

	if (IN_LIST(name, idl_keywords)) {
		idl_error(s->diag, loc, "'%s' is an IDL keyword and cannot name %s",
			  name, what);
		return false;
	}
	if (IN_LIST(name, c_keywords)) {
		idl_error(s->diag, loc,
			  "'%s' is reserved in C and cannot name %s (names become C identifiers)",
			  name, what);
		return false;
	}
	if (IN_LIST(name, c_library_names)) {
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
	if (name_is_upper_case(name)) {
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
	if (best_d > 2 || best_d >= len)
		return NULL;
	return best;
}

/* ---- types --------------------------------------------------------------- */

static const char *const type_names[] = {
	"void", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
	"uint64", "string", "buffer",
};

static enum idl_type_kind type_lookup(const char *name)
{
	static const enum idl_type_kind kinds[] = {
		IDL_TYPE_VOID,   IDL_TYPE_INT8,   IDL_TYPE_INT16,  IDL_TYPE_INT32,
		IDL_TYPE_INT64,  IDL_TYPE_UINT8,  IDL_TYPE_UINT16, IDL_TYPE_UINT32,
		IDL_TYPE_UINT64, IDL_TYPE_STRING, IDL_TYPE_BUFFER,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(name, type_names[i]) == 0)
			return kinds[i];
	return IDL_TYPE_UNRESOLVED;
}

static size_t targ_count(const struct idl_type *t)
{
	size_t n = 0;

	for (const struct idl_type_arg *a = t->args; a; a = a->next)
		n++;
	return n;
}

/* Resolve t's name to a kind; reports an unknown name. */
static bool resolve_name(struct sema *s, struct idl_type *t)
{
	const char *hint;

	t->kind = type_lookup(t->name);
	if (t->kind != IDL_TYPE_UNRESOLVED)
		return true;
	t->kind = IDL_TYPE_INVALID;
	hint = closest(t->name, type_names, sizeof(type_names) / sizeof(type_names[0]));
	if (hint)
		idl_error(s->diag, &t->loc, "unknown type '%s'; did you mean '%s'?", t->name,
			  hint);
	else
		idl_error(s->diag, &t->loc,
			  "unknown type '%s'; the types are int8..int64, uint8..uint64, string<MAX> and buffer<SIZE>",
			  t->name);
	return false;
}

static void resolve_return(struct sema *s, struct idl_method *m)
{
	struct idl_type *t = &m->ret;

	if (!resolve_name(s, t))
		return;
	if (t->kind != IDL_TYPE_VOID && t->kind != IDL_TYPE_INT32 &&
	    t->kind != IDL_TYPE_INT64) {
		idl_error(s->diag, &t->loc,
			  "method '%s' returns '%s'; a method returns void, int32 or int64, which carries -errno on failure (return other values through an out parameter)",
			  m->name, t->name);
		t->kind = IDL_TYPE_INVALID;
	} else if (t->has_args) {
		idl_error(s->diag, &t->loc, "type '%s' takes no <...> arguments", t->name);
		t->kind = IDL_TYPE_INVALID;
	}
}

static void resolve_string(struct sema *s, struct idl_param *p)
{
	struct idl_type *t = &p->type;
	const struct idl_type_arg *a = t->args;

	if (!t->has_args) {
		idl_error(s->diag, &t->loc,
			  "string '%s' needs a bound: string<MAX>, MAX bytes without the NUL (e.g. string<255>)",
			  p->name);
		t->kind = IDL_TYPE_INVALID;
	} else if (targ_count(t) != 1 || a->kind != IDL_TARG_NUMBER) {
		idl_error(s->diag, &t->loc, "string takes one number as its bound: string<MAX>");
		t->kind = IDL_TYPE_INVALID;
	} else if (a->number == 0) {
		idl_error(s->diag, &a->loc, "string bound must be at least 1");
		t->kind = IDL_TYPE_INVALID;
	} else if (a->number > IDL_STRING_BOUND_MAX) {
		idl_error(s->diag, &a->loc, "string bound %" PRIu64 " is too large; at most %u",
			  a->number, IDL_STRING_BOUND_MAX);
		t->kind = IDL_TYPE_INVALID;
	} else {
		t->bound = (uint32_t)a->number;
	}
}

static struct idl_param *param_lookup(struct idl_method *m, const char *name)
{
	for (struct idl_param *p = m->params; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* Is a parameter a buffer refers to (by name) usable as an integer of the
 * given direction? role is "size" or "length". */
static struct idl_param *buffer_ref(struct sema *s, struct idl_method *m,
				    const struct idl_param *buf,
				    const struct idl_type_arg *a, const char *role,
				    enum idl_dir dir)
{
	const char *want = dir == IDL_DIR_IN ? "in" : "out";
	struct idl_param *ref = param_lookup(m, a->name);

	if (!ref) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' is not a parameter of method '%s'", role,
			  a->name, buf->name, m->name);
		return NULL;
	}
	if (ref->type.kind == IDL_TYPE_INVALID)
		return NULL; /* already reported */
	if (!idl_type_is_integer(ref->type.kind)) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' must be an integer parameter, but it is a %s",
			  role, a->name, buf->name, ref->type.name);
		return NULL;
	}
	if (ref->dir != dir) {
		idl_error(s->diag, &a->loc,
			  "%s '%s' of buffer '%s' must be an %s parameter, but it is %s", role,
			  a->name, buf->name, want, ref->dir == IDL_DIR_IN ? "in" : "out");
		return NULL;
	}
	return ref;
}

/* Runs after every parameter type is resolved: a buffer names others. */
static void resolve_buffer(struct sema *s, struct idl_method *m, struct idl_param *p)
{
	struct idl_type *t = &p->type;
	const struct idl_type_arg *size = t->args, *len = size ? size->next : NULL;

	if (!t->has_args) {
		idl_error(s->diag, &t->loc,
			  "buffer '%s' needs a size: buffer<SIZE>, where SIZE names an in integer parameter",
			  p->name);
		goto invalid;
	}
	if (targ_count(t) > 2) {
		idl_error(s->diag, &t->loc,
			  "buffer takes at most two arguments: buffer<SIZE, LEN>");
		goto invalid;
	}
	if (size->kind == IDL_TARG_NUMBER) {
		idl_error(s->diag, &size->loc,
			  "size of buffer '%s' must name an in integer parameter, not a number",
			  p->name);
		goto invalid;
	}
	if (size->kind == IDL_TARG_RETURN) {
		idl_error(s->diag, &size->loc,
			  "'return' can only be a buffer's length: buffer<SIZE, return>");
		goto invalid;
	}
	t->size_param = buffer_ref(s, m, p, size, "size", IDL_DIR_IN);
	if (!t->size_param)
		goto invalid;
	if (!len)
		return;
	if (p->dir == IDL_DIR_IN) {
		idl_error(s->diag, &len->loc,
			  "in buffer '%s' cannot have a length: the caller sends all SIZE bytes; only out buffers take buffer<SIZE, LEN>",
			  p->name);
		goto invalid;
	}
	switch (len->kind) {
	case IDL_TARG_NUMBER:
		idl_error(s->diag, &len->loc,
			  "length of buffer '%s' must be 'return' or name an out integer parameter",
			  p->name);
		goto invalid;
	case IDL_TARG_RETURN:
		if (m->ret.kind == IDL_TYPE_VOID) {
			idl_error(s->diag, &len->loc,
				  "length of buffer '%s' is 'return', but method '%s' returns void",
				  p->name, m->name);
			goto invalid;
		}
		t->len_is_return = true;
		return;
	case IDL_TARG_NAME:
		t->len_param = buffer_ref(s, m, p, len, "length", IDL_DIR_OUT);
		if (!t->len_param)
			goto invalid;
		return;
	}
invalid:
	t->kind = IDL_TYPE_INVALID;
}

static void resolve_param_type(struct sema *s, struct idl_param *p)
{
	struct idl_type *t = &p->type;

	if (!resolve_name(s, t))
		return;
	switch (t->kind) {
	case IDL_TYPE_VOID:
		idl_error(s->diag, &t->loc, "parameter '%s' cannot be void", p->name);
		t->kind = IDL_TYPE_INVALID;
		break;
	case IDL_TYPE_STRING:
		resolve_string(s, p);
		break;
	case IDL_TYPE_BUFFER:
		break; /* once all parameters are resolved */
	default:
		if (t->has_args) {
			idl_error(s->diag, &t->loc, "type '%s' takes no <...> arguments",
				  t->name);
			t->kind = IDL_TYPE_INVALID;
		}
		break;
	}
}

/* ---- methods and interfaces ---------------------------------------------- */

/* Names the generated code derives from a parameter's name: NAME_size (the
 * size argument of an out string), NAME_slot (the caller's arena pointer of
 * a buffer or out string) and NAME_off (the args field of a buffer). */
static void check_derived_names(struct sema *s, struct idl_method *m)
{
	static const char *const suffixes[] = { "_size", "_slot", "_off" };

	for (const struct idl_param *p = m->params; p; p = p->next) {
		bool str_out = p->type.kind == IDL_TYPE_STRING && p->dir == IDL_DIR_OUT;
		bool buf = p->type.kind == IDL_TYPE_BUFFER;
		bool uses[3] = { str_out, str_out || buf, buf };
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

static void check_params(struct sema *s, struct idl_method *m)
{
	for (struct idl_param *p = m->params; p; p = p->next) {
		if (check_name(s, p->name, &p->loc, "a parameter") &&
		    IN_LIST(p->name, generated_names))
			idl_error(s->diag, &p->loc,
				  "parameter name '%s' is used by the generated code; rename it (parameter names do not affect compatibility)",
				  p->name);
		for (const struct idl_param *q = m->params; q != p; q = q->next) {
			if (strcmp(q->name, p->name) == 0) {
				idl_error(s->diag, &p->loc,
					  "duplicate parameter '%s' in method '%s' (first at %d:%d)",
					  p->name, m->name, q->loc.first_line,
					  q->loc.first_column);
				break;
			}
		}
		resolve_param_type(s, p);
	}
	for (struct idl_param *p = m->params; p; p = p->next)
		if (p->type.kind == IDL_TYPE_BUFFER)
			resolve_buffer(s, m, p);
	check_derived_names(s, m);
}

static bool method_resolved(const struct idl_method *m)
{
	if (m->ret.kind == IDL_TYPE_INVALID)
		return false;
	for (const struct idl_param *p = m->params; p; p = p->next)
		if (p->type.kind == IDL_TYPE_INVALID)
			return false;
	return true;
}

static void check_method(struct sema *s, struct idl_iface *iface, struct idl_method *m)
{
	if (check_name(s, m->name, &m->loc, "a method") &&
	    IN_LIST(m->name, generated_method_names))
		idl_error(s->diag, &m->loc,
			  "method name '%s' collides with the generated %s_%s; rename the method",
			  m->name, iface->name, m->name);
	for (const struct idl_method *o = iface->methods; o != m; o = o->next) {
		if (strcmp(o->name, m->name) == 0) {
			idl_error(s->diag, &m->loc,
				  "duplicate method '%s' in interface '%s' (first at %d:%d)",
				  m->name, iface->name, o->loc.first_line, o->loc.first_column);
			break;
		}
		if (strcasecmp(o->name, m->name) == 0) {
			idl_error(s->diag, &m->loc,
				  "method '%s' differs from '%s' (%d:%d) only in case; their generated enum values would clash",
				  m->name, o->name, o->loc.first_line, o->loc.first_column);
			break;
		}
	}
	resolve_return(s, m);
	check_params(s, m);
	if (!method_resolved(m))
		return;

	m->args = idl_layout_walk(m, false, NULL, NULL);
	m->results = idl_layout_walk(m, true, NULL, NULL);
	if (m->args.size > VMRPC_ARGS_SIZE)
		idl_error(s->diag, &m->loc,
			  "the arguments of method '%s' take %u bytes, more than the %u of the args block; pass large data in a buffer",
			  m->name, m->args.size, VMRPC_ARGS_SIZE);
	if (m->results.size > VMRPC_RESULTS_SIZE)
		idl_error(s->diag, &m->loc,
			  "the out scalars of method '%s' take %u bytes, more than the %u of the results block",
			  m->name, m->results.size, VMRPC_RESULTS_SIZE);
}

static void check_iface(struct sema *s, struct idl_iface *iface, bool syntax_ok)
{
	if (check_name(s, iface->name, &iface->loc, "an interface") &&
	    strlen(iface->name) > IDL_IFACE_NAME_MAX)
		idl_error(s->diag, &iface->loc,
			  "interface name '%s' is %zu characters long; at most %u fit the registry",
			  iface->name, strlen(iface->name), IDL_IFACE_NAME_MAX);
	for (const struct idl_iface *o = s->file->ifaces; o != iface; o = o->next) {
		if (strcmp(o->name, iface->name) == 0) {
			idl_error(s->diag, &iface->loc,
				  "duplicate interface '%s' (first at %d:%d)", iface->name,
				  o->loc.first_line, o->loc.first_column);
			break;
		}
		if (strcasecmp(o->name, iface->name) == 0) {
			idl_error(s->diag, &iface->loc,
				  "interface '%s' differs from '%s' (%d:%d) only in case; their generated file names would clash",
				  iface->name, o->name, o->loc.first_line, o->loc.first_column);
			break;
		}
	}
	if (iface->version > UINT32_MAX)
		idl_error(s->diag, &iface->version_loc,
			  "version %" PRIu64 " of interface '%s' does not fit in 32 bits",
			  iface->version, iface->name);
	if (iface->n_methods == 0 && syntax_ok)
		idl_warning(s->diag, &iface->loc, "interface '%s' has no methods", iface->name);
	if (iface->n_methods > IDL_METHODS_MAX)
		idl_error(s->diag, &iface->loc,
			  "interface '%s' has %u methods; at most %u are allowed", iface->name,
			  iface->n_methods, IDL_METHODS_MAX);
	for (struct idl_method *m = iface->methods; m; m = m->next)
		check_method(s, iface, m);
}

int idl_sema(struct idl_file *file, struct idl_diag *diag)
{
	struct sema s = { .file = file, .diag = diag };
	bool syntax_ok = idl_diag_errors(diag) == 0;
	unsigned int errors_before = idl_diag_errors(diag);

	if (!file->ifaces && syntax_ok) {
		struct idl_loc start = { .first_line = 1, .first_column = 1 };

		idl_error(diag, &start,
			  "no interface in this file; expected 'interface NAME version N { ... }'");
	}
	for (struct idl_iface *iface = file->ifaces; iface; iface = iface->next)
		check_iface(&s, iface, syntax_ok);
	if (idl_diag_errors(diag) != errors_before)
		return -1;

	for (struct idl_iface *iface = file->ifaces; iface; iface = iface->next) {
		struct idl_buf text;

		idl_buf_init(&text);
		idl_canonical_text(iface, &text);
		iface->sig_hash = idl_fnv1a64(text.data, text.len);
		idl_buf_release(&text);
	}
	return 0;
}

/* ---- signature hash -------------------------------------------------------- */

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

/*
 * One line per interface and per method, parameter names left out so that
 * renaming a parameter keeps the interface compatible:
 *
 *   interface hostcalls version 1
 *   int64 read(in int32,out buffer<$2,return>,in uint64)
 *
 * A buffer's size and length name parameters by position ($N, from 0).
 */
void idl_canonical_text(const struct idl_iface *iface, struct idl_buf *out)
{
	idl_buf_printf(out, "interface %s version %" PRIu64 "\n", iface->name,
		       iface->version);
	for (const struct idl_method *m = iface->methods; m; m = m->next) {
		idl_buf_printf(out, "%s %s(", idl_type_kind_name(m->ret.kind), m->name);
		for (const struct idl_param *p = m->params; p; p = p->next) {
			const struct idl_type *t = &p->type;

			idl_buf_printf(out, "%s%s %s", p == m->params ? "" : ",",
				       p->dir == IDL_DIR_IN ? "in" : "out",
				       idl_type_kind_name(t->kind));
			if (t->kind == IDL_TYPE_STRING)
				idl_buf_printf(out, "<%u>", t->bound);
			if (t->kind == IDL_TYPE_BUFFER) {
				idl_buf_printf(out, "<$%u", t->size_param->index);
				if (t->len_is_return)
					idl_buf_puts(out, ",return");
				else if (t->len_param)
					idl_buf_printf(out, ",$%u", t->len_param->index);
				idl_buf_putc(out, '>');
			}
		}
		idl_buf_puts(out, ")\n");
	}
}
