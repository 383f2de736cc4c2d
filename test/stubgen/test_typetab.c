/* SPDX-License-Identifier: MIT */
/*
 * Type tables (stubgen/emit_typetab.c) against the generated C they
 * describe. The table rt_iface carries (test/unit/roundtrip.idl: every type
 * of the IDL in every direction) is taken apart byte by byte, without
 * overlaying structs on it, and every offset, size, id and value in it is
 * compared with what the compiler of this test says about the generated
 * structs: offsetof(), sizeof(), the generated enums. Then
 * idl_compile_type_tables() must give the same bytes from the .idl, and
 * refuse what vmrpc-stubgen refuses; and the table of every interface in
 * the tree's .idl files must pass the reader's checks (vmrpc_types_load()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_common.h"
#include "typetab_compile.h"
#include "vmrpc/dynamic.h"
#include "vmrpc/typetab.h"

/* ---- the table, read by hand -------------------------------------------- */

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Where each array of a table starts, and how many records it has. */
struct table {
	const unsigned char *buf;
	size_t len;
	uint32_t n_methods, n_params, n_types, n_members, n_enumerators, strings_len;
	size_t methods, params, types, members, enumerators, strings;
};

/* Field f (a 4-byte index) of record i of the array at off, records of size
 * bytes. */
static uint32_t field(const struct table *t, size_t off, size_t size, uint32_t i, unsigned f)
{
	assert_true(off + (i + 1) * size <= t->len);
	return get_u32(t->buf + off + i * size + 4 * f);
}

enum { M_NAME, M_ID, M_FLAGS, M_RET, M_FIRST, M_N, M_ARGS, M_RESULTS };
enum { P_NAME, P_TYPE, P_DIR, P_ARGS_OFF, P_RESULTS_OFF, P_RESERVED };
enum { T_KIND, T_NAME, T_SIZE, T_ALIGN, T_A, T_B };
enum { MB_NAME, MB_TYPE, MB_OFFSET, MB_RESERVED };

static uint32_t method(const struct table *t, uint32_t i, unsigned f)
{
	assert_true(i < t->n_methods);
	return field(t, t->methods, 32, i, f);
}

static uint32_t param(const struct table *t, uint32_t i, unsigned f)
{
	assert_true(i < t->n_params);
	return field(t, t->params, 24, i, f);
}

static uint32_t type(const struct table *t, uint32_t i, unsigned f)
{
	assert_true(i < t->n_types);
	return field(t, t->types, 24, i, f);
}

static uint32_t member(const struct table *t, uint32_t i, unsigned f)
{
	assert_true(i < t->n_members);
	return field(t, t->members, 16, i, f);
}

static const char *str(const struct table *t, uint32_t name)
{
	assert_true(name < t->strings_len);
	/* a name starts after a NUL: at a name's start, not inside one */
	assert_true(name == 0 || t->buf[t->strings + name - 1] == '\0');
	return (const char *)t->buf + t->strings + name;
}

/* Take the header apart and check that the arrays tile the table. */
static void parse(const void *buf, size_t len, struct table *t)
{
	const unsigned char *p = buf;

	assert_non_null(p);
	assert_true(len >= 64);
	memset(t, 0, sizeof(*t));
	t->buf = p;
	t->len = len;
	assert_int_equal(get_u32(p + 0), VMRPC_TT_MAGIC);
	assert_memory_equal(p, "VTT1", 4);
	assert_int_equal(get_u32(p + 4), VMRPC_TT_VERSION);
	assert_int_equal(get_u32(p + 8), len);
	t->n_methods = get_u32(p + 32);
	t->n_params = get_u32(p + 36);
	t->n_types = get_u32(p + 40);
	t->n_members = get_u32(p + 44);
	t->n_enumerators = get_u32(p + 48);
	t->strings_len = get_u32(p + 52);
	assert_int_equal(get_u32(p + 56), 0);
	assert_int_equal(get_u32(p + 60), 0);
	t->methods = 64;
	t->params = t->methods + 32 * (size_t)t->n_methods;
	t->types = t->params + 24 * (size_t)t->n_params;
	t->members = t->types + 24 * (size_t)t->n_types;
	t->enumerators = t->members + 16 * (size_t)t->n_members;
	t->strings = t->enumerators + 8 * (size_t)t->n_enumerators;
	assert_int_equal(t->strings + t->strings_len, len);
	assert_true(t->strings_len >= 1);
	assert_int_equal(p[t->strings], '\0');
	assert_int_equal(p[len - 1], '\0');
}

/* The index of the type named name, or fail. */
static uint32_t type_named(const struct table *t, const char *name)
{
	for (uint32_t i = 0; i < t->n_types; i++)
		if (strcmp(str(t, type(t, i, T_NAME)), name) == 0)
			return i;
	fail_msg("no type named '%s' in the table", name);
	return 0;
}

/* ---- what the generated C says -------------------------------------------- */

#define NONE VMRPC_TT_NONE
#define FSIZE(s, f) ((uint32_t)sizeof(((struct s *)0)->f))
#define ARG(m, f) ((uint32_t)offsetof(struct rt_##m##_args, f))
#define RES(m, f) ((uint32_t)offsetof(struct rt_##m##_results, f))

struct want_method {
	const char *name;
	uint32_t id;
	uint32_t flags;
	uint32_t ret;
	uint32_t args_size; /* sizeof the args struct, 0 when there is none */
	uint32_t results_size;
};

/* ...: the args and results sizes */
#define METHOD(m, ID, flags, ret, ...) { #m, RT_METHOD_##ID, flags, VMRPC_TT_##ret, __VA_ARGS__ }
#define BOTH(m) sizeof(struct rt_##m##_args), sizeof(struct rt_##m##_results)
#define ARGS_ONLY(m) sizeof(struct rt_##m##_args), 0

static const struct want_method want_methods[] = {
	METHOD(scalars, SCALARS, 0, INT32, BOTH(scalars)),
	METHOD(inout_scalars, INOUT_SCALARS, 0, INT32, BOTH(inout_scalars)),
	METHOD(records, RECORDS, 0, INT32, BOTH(records)),
	METHOD(arrays, ARRAYS, 0, INT32, BOTH(arrays)),
	METHOD(strings, STRINGS, 0, INT32, ARGS_ONLY(strings)),
	METHOD(buf_in, BUF_IN, 0, INT64, BOTH(buf_in)),
	METHOD(buf_out, BUF_OUT, 0, INT32, BOTH(buf_out)),
	METHOD(buf_ret, BUF_RET, 0, INT64, ARGS_ONLY(buf_ret)),
	METHOD(buf_len, BUF_LEN, 0, INT32, BOTH(buf_len)),
	METHOD(buf_io, BUF_IO, 0, INT64, BOTH(buf_io)),
	METHOD(buf_io_all, BUF_IO_ALL, 0, INT32, BOTH(buf_io_all)),
	METHOD(note, NOTE, VMRPC_TT_ONEWAY, VOID, ARGS_ONLY(note)),
	METHOD(last_note, LAST_NOTE, 0, INT32, BOTH(last_note)),
	METHOD(runs, RUNS, 0, INT64, 0, 0),
	METHOD(ping, PING, 0, VOID, 0, 0),
};

/*
 * Every parameter, in order: where the generated structs put it, and the
 * inline size of its type (sizeof its field; 0 for strings and buffers,
 * whose fields are a struct vmrpc_wire_str and an offset).
 */
struct want_param {
	const char *method;
	const char *name;
	uint32_t dir;
	uint32_t args_off;
	uint32_t results_off;
	uint32_t size;
};

#define IN(m, p) { #m, #p, VMRPC_TT_IN, ARG(m, p), NONE, FSIZE(rt_##m##_args, p) }
#define OUT(m, p) { #m, #p, VMRPC_TT_OUT, NONE, RES(m, p), FSIZE(rt_##m##_results, p) }
#define INOUT(m, p) { #m, #p, VMRPC_TT_INOUT, ARG(m, p), RES(m, p), FSIZE(rt_##m##_args, p) }
#define STR(m, p, dir) { #m, #p, VMRPC_TT_##dir, ARG(m, p), NONE, 0 }
#define BUF(m, p, dir) { #m, #p, VMRPC_TT_##dir, ARG(m, p##_off), NONE, 0 }

static const struct want_param want_params[] = {
	IN(scalars, b), IN(scalars, i8), IN(scalars, u8), IN(scalars, i16), IN(scalars, u16),
	IN(scalars, i32), IN(scalars, u32), IN(scalars, i64), IN(scalars, u64), IN(scalars, f),
	IN(scalars, d), IN(scalars, e),
	OUT(scalars, ob), OUT(scalars, o8), OUT(scalars, ou8), OUT(scalars, o16),
	OUT(scalars, ou16), OUT(scalars, o32), OUT(scalars, ou32), OUT(scalars, o64),
	OUT(scalars, ou64), OUT(scalars, of), OUT(scalars, od), OUT(scalars, oe),

	INOUT(inout_scalars, b), INOUT(inout_scalars, i8), INOUT(inout_scalars, u8),
	INOUT(inout_scalars, i16), INOUT(inout_scalars, u16), INOUT(inout_scalars, i32),
	INOUT(inout_scalars, u32), INOUT(inout_scalars, i64), INOUT(inout_scalars, u64),
	INOUT(inout_scalars, f), INOUT(inout_scalars, d), INOUT(inout_scalars, e),

	IN(records, in_r), INOUT(records, io_r), OUT(records, out_r),

	IN(arrays, flags), IN(arrays, lvls), IN(arrays, items), OUT(arrays, oflags),
	OUT(arrays, olvls), OUT(arrays, oitems), INOUT(arrays, ring), INOUT(arrays, iflags),

	STR(strings, a, IN), STR(strings, b, OUT), STR(strings, c, INOUT), STR(strings, d, IN),
	STR(strings, e, OUT), STR(strings, big, IN), STR(strings, big_out, OUT),

	BUF(buf_in, data, IN), IN(buf_in, n), OUT(buf_in, where),
	BUF(buf_out, data, OUT), IN(buf_out, n), IN(buf_out, seed), OUT(buf_out, where),
	BUF(buf_ret, data, OUT), IN(buf_ret, cap), IN(buf_ret, want),
	BUF(buf_len, data, OUT), IN(buf_len, cap), OUT(buf_len, got), IN(buf_len, want),
	BUF(buf_io, data, INOUT), IN(buf_io, n), IN(buf_io, keep), OUT(buf_io, where),
	BUF(buf_io_all, data, INOUT), IN(buf_io_all, n), OUT(buf_io_all, where),

	STR(note, text, IN), BUF(note, blob, IN), IN(note, n), IN(note, flag), IN(note, lvl),
	STR(last_note, text, OUT), OUT(last_note, blob_sum), OUT(last_note, n),
	OUT(last_note, flag), OUT(last_note, lvl), OUT(last_note, count),
};

/* Each string parameter's bound, each buffer's SIZE and LEN parameters. */
struct want_arena {
	const char *method;
	const char *name;
	uint32_t kind;
	uint32_t a; /* bound, or the SIZE parameter's index */
	uint32_t b; /* the LEN parameter's index, VMRPC_TT_RETURN, VMRPC_TT_NONE */
	const char *type_name;
};

static const struct want_arena want_arena[] = {
	{ "strings", "a", VMRPC_TT_STRING, 15, 0, "" },
	{ "strings", "b", VMRPC_TT_STRING, 15, 0, "" },
	{ "strings", "c", VMRPC_TT_STRING, 15, 0, "" },
	{ "strings", "d", VMRPC_TT_STRING, ROUNDTRIP_TAG_MAX, 0, "tag" },
	{ "strings", "e", VMRPC_TT_STRING, ROUNDTRIP_TAG_MAX, 0, "tag" },
	{ "strings", "big", VMRPC_TT_STRING, 5000, 0, "" },
	{ "strings", "big_out", VMRPC_TT_STRING, 5000, 0, "" },
	{ "buf_in", "data", VMRPC_TT_BUFFER, 1, NONE, "" },
	{ "buf_out", "data", VMRPC_TT_BUFFER, 1, NONE, "" },
	{ "buf_ret", "data", VMRPC_TT_BUFFER, 1, VMRPC_TT_RETURN, "" },
	{ "buf_len", "data", VMRPC_TT_BUFFER, 1, 2, "" },
	{ "buf_io", "data", VMRPC_TT_BUFFER, 1, VMRPC_TT_RETURN, "" },
	{ "buf_io_all", "data", VMRPC_TT_BUFFER, 1, NONE, "" },
	{ "note", "text", VMRPC_TT_STRING, 31, 0, "" },
	{ "note", "blob", VMRPC_TT_BUFFER, 2, NONE, "" },
	{ "last_note", "text", VMRPC_TT_STRING, 31, 0, "" },
};

struct want_member {
	const char *name;
	uint32_t offset;
	uint32_t size;
};

#define MEMBER(s, f) { #f, (uint32_t)offsetof(struct roundtrip_##s, f), FSIZE(roundtrip_##s, f) }

static const struct want_member want_item[] = {
	MEMBER(item, label), MEMBER(item, lvl), MEMBER(item, on), MEMBER(item, w),
};

static const struct want_member want_record[] = {
	MEMBER(record, items), MEMBER(record, bits), MEMBER(record, lvls), MEMBER(record, names),
	MEMBER(record, i8),    MEMBER(record, u8),   MEMBER(record, i16),  MEMBER(record, u16),
	MEMBER(record, i32),   MEMBER(record, u32),  MEMBER(record, i64),  MEMBER(record, u64),
	MEMBER(record, f),     MEMBER(record, d),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void table_of_rt(struct table *t)
{
	parse(rt_iface.type_table, rt_iface.type_table_len, t);
}

/* ---- the tests ------------------------------------------------------------- */

static void test_header(void **state)
{
	const unsigned char *p = rt_iface.type_table;
	struct table t;

	(void)state;
	table_of_rt(&t);
	assert_string_equal(str(&t, get_u32(p + 12)), "rt");
	assert_string_equal(str(&t, get_u32(p + 12)), rt_iface.name);
	assert_true(get_u64(p + 16) == rt_iface.sig_hash);
	assert_int_equal(get_u32(p + 24), rt_iface.version);
	assert_int_equal(get_u32(p + 28), rt_iface.n_methods);
	assert_int_equal(t.n_methods, N(want_methods));
	assert_int_equal(t.n_params, N(want_params));
}

static void test_methods(void **state)
{
	struct table t;
	uint32_t next_param = 0;

	(void)state;
	table_of_rt(&t);
	assert_int_equal(t.n_methods, N(want_methods));
	for (uint32_t i = 0; i < t.n_methods; i++) {
		const struct want_method *w = &want_methods[i];

		assert_string_equal(str(&t, method(&t, i, M_NAME)), w->name);
		assert_int_equal(method(&t, i, M_ID), w->id);
		assert_true(method(&t, i, M_ID) < rt_iface.n_methods);
		assert_string_equal(rt_iface.method_names[w->id], w->name);
		assert_int_equal(method(&t, i, M_FLAGS), w->flags);
		assert_int_equal(method(&t, i, M_RET), w->ret);
		assert_int_equal(method(&t, i, M_ARGS), w->args_size);
		assert_int_equal(method(&t, i, M_RESULTS), w->results_size);
		/* parameters in order, each method's after the one before */
		assert_int_equal(method(&t, i, M_FIRST), next_param);
		next_param += method(&t, i, M_N);
	}
	assert_int_equal(next_param, t.n_params);
}

static void test_params(void **state)
{
	struct table t;

	(void)state;
	table_of_rt(&t);
	assert_int_equal(t.n_params, N(want_params));
	for (uint32_t m = 0; m < t.n_methods; m++) {
		uint32_t first = method(&t, m, M_FIRST);

		assert_true(first + method(&t, m, M_N) <= t.n_params);
		for (uint32_t i = first; i < first + method(&t, m, M_N); i++) {
			const struct want_param *w = &want_params[i];
			uint32_t ty = param(&t, i, P_TYPE);

			print_message("%s(%s)\n", w->method, w->name);
			assert_string_equal(str(&t, method(&t, m, M_NAME)), w->method);
			assert_string_equal(str(&t, param(&t, i, P_NAME)), w->name);
			assert_int_equal(param(&t, i, P_DIR), w->dir);
			assert_int_equal(param(&t, i, P_ARGS_OFF), w->args_off);
			assert_int_equal(param(&t, i, P_RESULTS_OFF), w->results_off);
			assert_int_equal(param(&t, i, P_RESERVED), 0);
			if (w->size)
				assert_int_equal(type(&t, ty, T_SIZE), w->size);
		}
	}
}

/* Strings and buffers: their bound, their SIZE and LEN parameters. */
static void test_arena_params(void **state)
{
	struct table t;
	size_t found = 0;

	(void)state;
	table_of_rt(&t);
	for (uint32_t m = 0; m < t.n_methods; m++) {
		uint32_t first = method(&t, m, M_FIRST);

		for (uint32_t i = first; i < first + method(&t, m, M_N); i++) {
			uint32_t ty = param(&t, i, P_TYPE), kind = type(&t, ty, T_KIND);
			const struct want_arena *w = NULL;

			if (kind != VMRPC_TT_STRING && kind != VMRPC_TT_BUFFER)
				continue;
			for (size_t k = 0; k < N(want_arena); k++)
				if (strcmp(want_arena[k].method, str(&t, method(&t, m, M_NAME))) == 0 &&
				    strcmp(want_arena[k].name, str(&t, param(&t, i, P_NAME))) == 0)
					w = &want_arena[k];
			assert_non_null(w);
			found++;
			assert_int_equal(kind, w->kind);
			assert_int_equal(type(&t, ty, T_A), w->a);
			assert_int_equal(type(&t, ty, T_B), w->b);
			assert_string_equal(str(&t, type(&t, ty, T_NAME)), w->type_name);
			if (kind == VMRPC_TT_STRING) {
				assert_int_equal(type(&t, ty, T_SIZE), w->a + 1);
				assert_int_equal(type(&t, ty, T_ALIGN), 1);
			} else {
				assert_int_equal(type(&t, ty, T_SIZE), 0);
				/* the parameters it names are in its method */
				assert_true(w->a < method(&t, m, M_N));
				assert_true(w->b == NONE || w->b == VMRPC_TT_RETURN ||
					    w->b < method(&t, m, M_N));
			}
		}
	}
	assert_int_equal(found, N(want_arena));
	assert_int_equal(sizeof(roundtrip_tag), ROUNDTRIP_TAG_MAX + 1);
}

static void check_struct(const struct table *t, const char *name, size_t size, size_t align,
			 const struct want_member *want, size_t n)
{
	uint32_t s = type_named(t, name), first;

	assert_int_equal(type(t, s, T_KIND), VMRPC_TT_STRUCT);
	assert_int_equal(type(t, s, T_SIZE), size);
	assert_int_equal(type(t, s, T_ALIGN), align);
	assert_int_equal(type(t, s, T_B), n);
	first = type(t, s, T_A);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t mt = member(t, first + i, MB_TYPE);

		print_message("%s.%s\n", name, want[i].name);
		assert_string_equal(str(t, member(t, first + i, MB_NAME)), want[i].name);
		assert_int_equal(member(t, first + i, MB_OFFSET), want[i].offset);
		assert_int_equal(member(t, first + i, MB_RESERVED), 0);
		assert_true(mt < s);
		assert_int_equal(type(t, mt, T_SIZE), want[i].size);
	}
}

static void test_structs(void **state)
{
	struct table t;
	uint32_t tag;

	(void)state;
	table_of_rt(&t);
	check_struct(&t, "item", sizeof(struct roundtrip_item), _Alignof(struct roundtrip_item),
		     want_item, N(want_item));
	check_struct(&t, "record", sizeof(struct roundtrip_record),
		     _Alignof(struct roundtrip_record), want_record, N(want_record));
	/* item.label is the typedef tag: a named string */
	tag = member(&t, type(&t, type_named(&t, "item"), T_A), MB_TYPE);
	assert_int_equal(type(&t, tag, T_KIND), VMRPC_TT_STRING);
	assert_string_equal(str(&t, type(&t, tag, T_NAME)), "tag");
	assert_int_equal(type(&t, tag, T_A), ROUNDTRIP_TAG_MAX);
}

static void test_enum(void **state)
{
	static const struct {
		const char *name;
		int32_t value;
	} want[] = {
		{ "floor", ROUNDTRIP_LEVEL_FLOOR }, { "low", ROUNDTRIP_LEVEL_LOW },
		{ "mid", ROUNDTRIP_LEVEL_MID },     { "high", ROUNDTRIP_LEVEL_HIGH },
		{ "top", ROUNDTRIP_LEVEL_TOP },
	};
	struct table t;
	uint32_t e, first;

	(void)state;
	table_of_rt(&t);
	e = type_named(&t, "level");
	assert_int_equal(type(&t, e, T_KIND), VMRPC_TT_ENUM);
	assert_int_equal(type(&t, e, T_SIZE), sizeof(enum roundtrip_level));
	assert_int_equal(type(&t, e, T_ALIGN), 4);
	assert_int_equal(type(&t, e, T_B), N(want));
	first = type(&t, e, T_A);
	assert_true(first + N(want) <= t.n_enumerators);
	for (uint32_t i = 0; i < N(want); i++) {
		const unsigned char *rec = t.buf + t.enumerators + 8 * (first + i);

		assert_string_equal(str(&t, get_u32(rec)), want[i].name);
		assert_int_equal((int32_t)get_u32(rec + 4), want[i].value);
	}
}

/* What holds for every record: indices in range, every type after what
 * it holds, sizes that add up, each type other than a buffer listed once. */
static void test_invariants(void **state)
{
	struct table t;

	(void)state;
	table_of_rt(&t);
	for (uint32_t i = 0; i < t.n_params; i++)
		assert_true(param(&t, i, P_TYPE) < t.n_types);
	for (uint32_t i = 0; i < t.n_types; i++) {
		uint32_t kind = type(&t, i, T_KIND), size = type(&t, i, T_SIZE);
		uint32_t align = type(&t, i, T_ALIGN), a = type(&t, i, T_A), b = type(&t, i, T_B);

		assert_true(kind >= VMRPC_TT_BOOL && kind <= VMRPC_TT_ARRAY);
		assert_true(align == 1 || align == 2 || align == 4 || align == 8);
		assert_int_equal(size % align, 0);
		(void)str(&t, type(&t, i, T_NAME));
		switch (kind) {
		case VMRPC_TT_ARRAY:
			assert_true(a < i);
			assert_int_equal(size, type(&t, a, T_SIZE) * b);
			assert_int_equal(align, type(&t, a, T_ALIGN));
			break;
		case VMRPC_TT_STRUCT:
			assert_true(a + b <= t.n_members);
			for (uint32_t m = a; m < a + b; m++) {
				uint32_t mt = member(&t, m, MB_TYPE);

				assert_true(mt < i);
				assert_true(member(&t, m, MB_OFFSET) + type(&t, mt, T_SIZE) <= size);
				assert_int_equal(member(&t, m, MB_OFFSET) % type(&t, mt, T_ALIGN), 0);
			}
			break;
		case VMRPC_TT_ENUM:
			assert_true(a + b <= t.n_enumerators);
			assert_int_equal(size, 4);
			break;
		default:
			break;
		}
		if (kind == VMRPC_TT_BUFFER)
			continue;
		for (uint32_t j = 0; j < i; j++)
			assert_memory_not_equal(t.buf + t.types + 24 * j, t.buf + t.types + 24 * i, 24);
	}
}

/* ---- idl_compile_type_tables() ------------------------------------------- */

static void test_compile_matches_generated(void **state)
{
	struct idl_type_tables tables = { NULL, 0 };

	(void)state;
	assert_int_equal(idl_compile_type_tables(ROUNDTRIP_IDL, NULL, 0, &tables), 1);
	assert_int_equal(tables.n, 1);
	assert_string_equal(tables.tables[0].name, "rt");
	assert_int_equal(tables.tables[0].len, rt_iface.type_table_len);
	assert_memory_equal(tables.tables[0].data, rt_iface.type_table, rt_iface.type_table_len);
	idl_type_tables_free(&tables);
	assert_null(tables.tables);
	assert_int_equal(tables.n, 0);
	idl_type_tables_free(&tables);
	idl_type_tables_free(NULL);
}

/* Write text to a file in dir; returns its path (static storage, one at
 * a time). */
static const char *write_idl(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_compile_files(void **state)
{
	static const char *const files[] = { "bad.idl", "syntax.idl", "two.idl", "none.idl",
					     "big.idl" };
	static const struct idl_type_table untouched = { (char *)"x", NULL, 7 };
	struct idl_type_tables tables = { (struct idl_type_table *)&untouched, 42 };
	char dir[] = "/tmp/vmrpc-typetab.XXXXXX";
	char lib[64], big_path[128];
	const char *dirs[1] = { lib };
	const char *path;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/lib", dir);
	assert_int_equal(mkdir(lib, 0700), 0);

	/* errors leave *ret alone */
	snprintf(big_path, sizeof(big_path), "%s/missing.idl", dir);
	assert_int_equal(idl_compile_type_tables(big_path, NULL, 0, &tables), -ENOENT);
	path = write_idl(dir, "bad.idl", "interface bad version 1 {\n\tint32 f(nosuch x);\n}\n");
	assert_int_equal(idl_compile_type_tables(path, NULL, 0, &tables), -EINVAL);
	path = write_idl(dir, "syntax.idl", "interface { }\n");
	assert_int_equal(idl_compile_type_tables(path, NULL, 0, &tables), -EINVAL);
	assert_ptr_equal(tables.tables, &untouched);
	assert_int_equal(tables.n, 42);

	/* an import found through import_dirs; two interfaces in order; none
	 * for the imported file's */
	write_idl(lib, "pt.idl",
		  "struct pt {\n\tint32 x;\n\tint64 y;\n}\ninterface libiface version 1 {\n}\n");
	path = write_idl(dir, "two.idl",
			 "import \"pt.idl\";\ninterface one version 1 {\n\tint32 f(pt p);\n}\n"
			 "interface two version 2 {\n\tvoid g(out pt p);\n}\n");
	assert_int_equal(idl_compile_type_tables(path, NULL, 0, &tables), -EINVAL);
	assert_int_equal(idl_compile_type_tables(path, dirs, 1, &tables), 2);
	assert_int_equal(tables.n, 2);
	assert_string_equal(tables.tables[0].name, "one");
	assert_string_equal(tables.tables[1].name, "two");
	for (size_t i = 0; i < 2; i++) {
		struct table t;
		uint32_t pt;

		parse(tables.tables[i].data, tables.tables[i].len, &t);
		pt = type_named(&t, "pt");
		assert_int_equal(type(&t, pt, T_SIZE), 16);
		assert_int_equal(member(&t, type(&t, pt, T_A) + 1, MB_OFFSET), 8);
	}
	idl_type_tables_free(&tables);

	/* a file without interfaces: no tables */
	path = write_idl(dir, "none.idl", "const int32 x = 1;\n");
	assert_int_equal(idl_compile_type_tables(path, NULL, 0, &tables), 0);
	assert_null(tables.tables);
	assert_int_equal(tables.n, 0);

	/* more than VMRPC_TT_MAX_SIZE: 12,000 methods of three parameters */
	snprintf(big_path, sizeof(big_path), "%s/big.idl", dir);
	f = fopen(big_path, "w");
	assert_non_null(f);
	fputs("interface big version 1 {\n", f);
	for (int i = 0; i < 12000; i++)
		fprintf(f, "\tvoid m%d(uint64 a, uint64 b, uint64 c);\n", i);
	fputs("}\n", f);
	assert_int_equal(fclose(f), 0);
	tables.tables = (struct idl_type_table *)&untouched;
	assert_int_equal(idl_compile_type_tables(big_path, NULL, 0, &tables), -EFBIG);
	assert_ptr_equal(tables.tables, &untouched);

	for (size_t i = 0; i < N(files); i++) {
		snprintf(big_path, sizeof(big_path), "%s/%s", dir, files[i]);
		assert_int_equal(unlink(big_path), 0);
	}
	snprintf(big_path, sizeof(big_path), "%s/pt.idl", lib);
	assert_int_equal(unlink(big_path), 0);
	assert_int_equal(rmdir(lib), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Load the tables of every interface of each .idl file in dir with
 * vmrpc_types_load(); a file that does not compile counts as one unless
 * may_fail (the fuzz corpus, whose diagnostics are not shown). Returns the
 * number of tables. */
static size_t load_all(const char *dir, bool may_fail)
{
	const char *const dirs[] = { TOP_DIR "/idl", TOP_DIR "/test/stubgen/good" };
	size_t n_tables = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int saved = -1;

	assert_non_null(d);
	if (may_fail) {
		int null = open("/dev/null", O_WRONLY);

		fflush(stderr);
		saved = dup(2);
		assert_true(null >= 0 && saved >= 0);
		assert_int_equal(dup2(null, 2), 2);
		close(null);
	}
	while ((de = readdir(d))) {
		struct idl_type_tables tables = { NULL, 0 };
		size_t len = strlen(de->d_name);
		char path[1024], why[256];
		int n;

		if (len < 5 || strcmp(de->d_name + len - 4, ".idl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = idl_compile_type_tables(path, dirs, N(dirs), &tables);
		if (n < 0 && may_fail)
			continue;
		if (n < 0)
			fail_msg("%s: %d", path, n);
		for (size_t i = 0; i < tables.n; i++) {
			struct vmrpc_types *t = NULL;

			if (vmrpc_types_load(tables.tables[i].data, tables.tables[i].len, why,
					     sizeof(why), &t) < 0)
				fail_msg("%s: interface %s: %s", path, tables.tables[i].name, why);
			assert_string_equal(vmrpc_types_str(t, t->hdr->name), tables.tables[i].name);
			vmrpc_types_free(t);
			n_tables++;
		}
		idl_type_tables_free(&tables);
	}
	closedir(d);
	if (saved >= 0) {
		assert_int_equal(dup2(saved, 2), 2);
		close(saved);
	}
	return n_tables;
}

static void test_reader_loads_all(void **state)
{
	(void)state;
	assert_true(load_all(TOP_DIR "/idl", false) >= 6);
	assert_true(load_all(TOP_DIR "/test/stubgen/good", false) >= 7);
	assert_true(load_all(TOP_DIR "/test/unit", false) >= 1);
	assert_true(load_all(TOP_DIR "/examples/calc", false) >= 1);
	assert_true(load_all(TOP_DIR "/bench", false) >= 1);
	/* the deep, long and many of the fuzz corpus */
	assert_true(load_all(TOP_DIR "/test/fuzz/corpus_idl", true) >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_arena_params),
		cmocka_unit_test(test_structs),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_compile_matches_generated),
		cmocka_unit_test(test_compile_files),
		cmocka_unit_test(test_reader_loads_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
