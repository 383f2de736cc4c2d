/* SPDX-License-Identifier: MIT */
/*
 * The command lines' shared code (libvmrpc/cli): JSON to values and back,
 * describing a type table, and reading a region someone may have
 * scribbled on, against a type table made by hand here, so that every
 * type and every bad input is covered without a generator or a peer.
 *
 *   enum color { red = 0, green = 1, blue = 5 }
 *   struct point { int32 x; int32 y; }
 *   struct shape { color c; point pts[2]; string<8> label; bool filled;
 *                  double w; uint8 tag[3]; }
 *   interface demo version 3 {
 *     int32 draw(shape s, uint64 big, int8 small, float f, out int32 area) = 0;
 *     int64 put(in buffer<n> data, uint32 n) = 1;
 *     int64 get(out buffer<n, len> data, uint32 n, out uint32 len) = 2;
 *     oneway void log(string<16> line) = 3;
 *   }
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

static char strings[512];
static uint32_t strings_len = 1; /* offset 0 is "" */

static uint32_t S(const char *s)
{
	uint32_t off = strings_len;

	strcpy(strings + off, s);
	strings_len += (uint32_t)strlen(s) + 1;
	return off;
}

static struct vmrpc_tt_hdr hdr;
static struct vmrpc_tt_method methods[4];
static struct vmrpc_tt_param params[11];
static struct vmrpc_tt_type types[17];
static struct vmrpc_tt_member members[8];
static struct vmrpc_tt_enumerator enumerators[3];
static struct vmrpc_types table;

enum { T_I32, T_U8, T_COLOR, T_POINT, T_PTS, T_LABEL, T_BOOL, T_DOUBLE, T_TAG, T_SHAPE,
       T_U64, T_I8, T_FLOAT, T_PUTBUF, T_U32, T_GETBUF, T_LINE };

static void build_table(void)
{
	if (table.hdr)
		return;
	hdr = (struct vmrpc_tt_hdr){ .magic = VMRPC_TT_MAGIC, .version = VMRPC_TT_VERSION,
				     .name = S("demo"), .sig_hash = 0x1234abcdull,
				     .iface_version = 3, .n_ids = 4, .n_methods = 4,
				     .n_params = 11, .n_types = 17, .n_members = 8,
				     .n_enumerators = 3 };
	enumerators[0] = (struct vmrpc_tt_enumerator){ S("red"), 0 };
	enumerators[1] = (struct vmrpc_tt_enumerator){ S("green"), 1 };
	enumerators[2] = (struct vmrpc_tt_enumerator){ S("blue"), 5 };
	members[0] = (struct vmrpc_tt_member){ .name = S("x"), .type = T_I32, .offset = 0 };
	members[1] = (struct vmrpc_tt_member){ .name = S("y"), .type = T_I32, .offset = 4 };
	members[2] = (struct vmrpc_tt_member){ .name = S("c"), .type = T_COLOR, .offset = 0 };
	members[3] = (struct vmrpc_tt_member){ .name = S("pts"), .type = T_PTS, .offset = 4 };
	members[4] = (struct vmrpc_tt_member){ .name = S("label"), .type = T_LABEL, .offset = 20 };
	members[5] = (struct vmrpc_tt_member){ .name = S("filled"), .type = T_BOOL, .offset = 29 };
	members[6] = (struct vmrpc_tt_member){ .name = S("w"), .type = T_DOUBLE, .offset = 32 };
	members[7] = (struct vmrpc_tt_member){ .name = S("tag"), .type = T_TAG, .offset = 40 };
	types[T_I32] = (struct vmrpc_tt_type){ VMRPC_TT_INT32, 0, 4, 4, 0, 0 };
	types[T_U8] = (struct vmrpc_tt_type){ VMRPC_TT_UINT8, 0, 1, 1, 0, 0 };
	types[T_COLOR] = (struct vmrpc_tt_type){ VMRPC_TT_ENUM, S("color"), 4, 4, 0, 3 };
	types[T_POINT] = (struct vmrpc_tt_type){ VMRPC_TT_STRUCT, S("point"), 8, 4, 0, 2 };
	types[T_PTS] = (struct vmrpc_tt_type){ VMRPC_TT_ARRAY, 0, 16, 4, T_POINT, 2 };
	types[T_LABEL] = (struct vmrpc_tt_type){ VMRPC_TT_STRING, 0, 9, 1, 8, 0 };
	types[T_BOOL] = (struct vmrpc_tt_type){ VMRPC_TT_BOOL, 0, 1, 1, 0, 0 };
	types[T_DOUBLE] = (struct vmrpc_tt_type){ VMRPC_TT_DOUBLE, 0, 8, 8, 0, 0 };
	types[T_TAG] = (struct vmrpc_tt_type){ VMRPC_TT_ARRAY, 0, 3, 1, T_U8, 3 };
	types[T_SHAPE] = (struct vmrpc_tt_type){ VMRPC_TT_STRUCT, S("shape"), 48, 8, 2, 6 };
	types[T_U64] = (struct vmrpc_tt_type){ VMRPC_TT_UINT64, 0, 8, 8, 0, 0 };
	types[T_I8] = (struct vmrpc_tt_type){ VMRPC_TT_INT8, 0, 1, 1, 0, 0 };
	types[T_FLOAT] = (struct vmrpc_tt_type){ VMRPC_TT_FLOAT, 0, 4, 4, 0, 0 };
	types[T_PUTBUF] = (struct vmrpc_tt_type){ VMRPC_TT_BUFFER, 0, 0, 8, 1, VMRPC_TT_NONE };
	types[T_U32] = (struct vmrpc_tt_type){ VMRPC_TT_UINT32, 0, 4, 4, 0, 0 };
	types[T_GETBUF] = (struct vmrpc_tt_type){ VMRPC_TT_BUFFER, 0, 0, 8, 1, 2 };
	types[T_LINE] = (struct vmrpc_tt_type){ VMRPC_TT_STRING, 0, 17, 1, 16, 0 };
	params[0] = (struct vmrpc_tt_param){ S("s"), T_SHAPE, VMRPC_TT_IN, 0, VMRPC_TT_NONE, 0 };
	params[1] = (struct vmrpc_tt_param){ S("big"), T_U64, VMRPC_TT_IN, 48, VMRPC_TT_NONE, 0 };
	params[2] = (struct vmrpc_tt_param){ S("small"), T_I8, VMRPC_TT_IN, 56, VMRPC_TT_NONE, 0 };
	params[3] = (struct vmrpc_tt_param){ S("f"), T_FLOAT, VMRPC_TT_IN, 60, VMRPC_TT_NONE, 0 };
	params[4] = (struct vmrpc_tt_param){ S("area"), T_I32, VMRPC_TT_OUT, VMRPC_TT_NONE, 0, 0 };
	params[5] = (struct vmrpc_tt_param){ S("data"), T_PUTBUF, VMRPC_TT_IN, 0, VMRPC_TT_NONE, 0 };
	params[6] = (struct vmrpc_tt_param){ S("n"), T_U32, VMRPC_TT_IN, 8, VMRPC_TT_NONE, 0 };
	params[7] = (struct vmrpc_tt_param){ S("data"), T_GETBUF, VMRPC_TT_OUT, 0, VMRPC_TT_NONE,
					     0 };
	params[8] = (struct vmrpc_tt_param){ S("n"), T_U32, VMRPC_TT_IN, 8, VMRPC_TT_NONE, 0 };
	params[9] = (struct vmrpc_tt_param){ S("len"), T_U32, VMRPC_TT_OUT, VMRPC_TT_NONE, 0, 0 };
	params[10] = (struct vmrpc_tt_param){ S("line"), T_LINE, VMRPC_TT_IN, 0, VMRPC_TT_NONE,
					      0 };
	methods[0] = (struct vmrpc_tt_method){ S("draw"), 0, 0, VMRPC_TT_INT32, 0, 5, 64, 8 };
	methods[1] = (struct vmrpc_tt_method){ S("put"), 1, 0, VMRPC_TT_INT64, 5, 2, 16, 0 };
	methods[2] = (struct vmrpc_tt_method){ S("get"), 2, 0, VMRPC_TT_INT64, 7, 3, 16, 8 };
	methods[3] = (struct vmrpc_tt_method){ S("log"), 3, VMRPC_TT_ONEWAY, VMRPC_TT_VOID, 10, 1,
					       16, 0 };
	hdr.strings_len = strings_len;
	table = (struct vmrpc_types){ .hdr = &hdr, .methods = methods, .params = params,
				      .types = types, .members = members,
				      .enumerators = enumerators, .strings = strings };
}

static const char good_draw[] =
	"{\"s\": {\"c\": \"blue\", \"pts\": [{\"x\": 1, \"y\": -2}, {\"x\": 3, \"y\": 4}],"
	" \"label\": \"hi\", \"filled\": true, \"w\": 2.5, \"tag\": [1, 2, 255]},"
	" \"big\": \"18446744073709551615\", \"small\": -128, \"f\": 1.5}";

/* Convert text for method m: 0 and the values, or the error. */
static int convert(uint32_t m, const char *text, struct vmrpc_value **args, void **arena,
		   json_t **obj, char *err)
{
	build_table();
	*obj = cli_json_parse_object(text, err, CLI_ERR_MAX);
	if (!*obj)
		return -EINVAL;
	return cli_json_to_args(&table, m, *obj, args, arena, err, CLI_ERR_MAX);
}

static void test_good(void **state)
{
	struct vmrpc_value *a;
	const struct vmrpc_value *s;
	char err[CLI_ERR_MAX] = "";
	void *arena;
	json_t *obj;

	assert_int_equal(convert(0, good_draw, &a, &arena, &obj, err), 0);
	s = &a[0];
	assert_int_equal(s->kind, VMRPC_VAL_LIST);
	assert_int_equal(s->n, 6);
	assert_int_equal(s->items[0].kind, VMRPC_VAL_INT);
	assert_int_equal(s->items[0].i, 5);
	assert_int_equal(s->items[1].kind, VMRPC_VAL_LIST);
	assert_int_equal(s->items[1].items[0].items[1].i, -2);
	assert_int_equal(s->items[1].items[1].items[0].i, 3);
	assert_int_equal(s->items[2].kind, VMRPC_VAL_STRING);
	assert_int_equal(s->items[2].n, 2);
	assert_memory_equal(s->items[2].s, "hi", 2);
	assert_int_equal(s->items[3].kind, VMRPC_VAL_BOOL);
	assert_true(s->items[3].b);
	assert_int_equal(s->items[4].kind, VMRPC_VAL_DOUBLE);
	assert_true(s->items[4].d == 2.5);
	assert_int_equal(s->items[5].kind, VMRPC_VAL_BYTES);
	assert_int_equal(s->items[5].n, 3);
	assert_memory_equal(s->items[5].p, "\x01\x02\xff", 3);
	assert_int_equal(a[1].kind, VMRPC_VAL_UINT);
	assert_true(a[1].u == UINT64_MAX);
	assert_int_equal(a[2].kind, VMRPC_VAL_INT);
	assert_int_equal(a[2].i, -128);
	assert_int_equal(a[3].kind, VMRPC_VAL_DOUBLE);
	assert_int_equal(a[4].kind, VMRPC_VAL_NONE);
	cli_arena_free(arena);
	json_decref(obj);

	/* a buffer in base64, its SIZE left to its length; enums by number */
	assert_int_equal(convert(1, "{\"data\": \"AAEC\"}", &a, &arena, &obj, err), 0);
	assert_int_equal(a[0].kind, VMRPC_VAL_BYTES);
	assert_int_equal(a[0].n, 3);
	assert_memory_equal(a[0].p, "\0\1\2", 3);
	assert_int_equal(a[1].kind, VMRPC_VAL_NONE);
	cli_arena_free(arena);
	json_decref(obj);
	assert_int_equal(convert(2, "{\"n\": 16}", &a, &arena, &obj, err), 0);
	assert_int_equal(a[0].kind, VMRPC_VAL_NONE);
	assert_int_equal(a[1].kind, VMRPC_VAL_UINT);
	assert_int_equal(a[1].u, 16);
	cli_arena_free(arena);
	json_decref(obj);
}

/* Every bad input: -EINVAL, and the message names the field and says why. */
static void expect_bad(uint32_t m, const char *text, const char *needle1, const char *needle2)
{
	struct vmrpc_value *a;
	char err[CLI_ERR_MAX] = "";
	void *arena;
	json_t *obj = NULL;

	assert_int_equal(convert(m, text, &a, &arena, &obj, err), -EINVAL);
	json_decref(obj);
	if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
		fail_msg("%s: error \"%s\" lacks \"%s\"%s%s", text, err, needle1,
			 needle2 ? " or " : "", needle2 ? needle2 : "");
}

static void test_bad(void **state)
{
	char base[1024], text[1200];

	expect_bad(0, "{\"s\": ", "malformed JSON: line 1, column", NULL);
	expect_bad(0, "{\"a\": 1,\n \"b\" 2}", "line 2, column", NULL);
	expect_bad(0, "[1, 2]", "must be a JSON object", NULL);
	expect_bad(3, "{\"line\": \"x\", \"line\": \"y\"}", "malformed JSON", NULL);
	/* the good call with one thing wrong each time */
	snprintf(base, sizeof(base), "%s", good_draw);
#define WITH(from, to)                                                                  \
	do {                                                                              \
		char *p = strstr(base, from);                                             \
		assert_non_null(p);                                                       \
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(p - base), base, to,       \
			 p + strlen(from));                                               \
	} while (0)
	WITH("\"small\": -128", "\"small\": 128");
	expect_bad(0, text, "draw: small: 128 is out of range for int8", NULL);
	WITH("\"small\": -128", "\"small\": -129");
	expect_bad(0, text, "draw: small", "out of range");
	WITH("\"small\": -128", "\"small\": \"x\"");
	expect_bad(0, text, "draw: small: int8 expected (an integer), got a string", NULL);
	WITH("\"small\": -128", "\"small\": 1.5");
	expect_bad(0, text, "draw: small", "a number with a fraction");
	WITH("\"big\": \"18446744073709551615\"", "\"big\": \"18446744073709551616\"");
	expect_bad(0, text, "draw: big", NULL);
	WITH("\"big\": \"18446744073709551615\"", "\"big\": -1");
	expect_bad(0, text, "draw: big: -1 is out of range for uint64", NULL);
	WITH("\"y\": -2", "\"y\": 2147483648");
	expect_bad(0, text, "draw: s.pts[0].y: 2147483648 is out of range for int32", NULL);
	WITH("\"c\": \"blue\"", "\"c\": \"purple\"");
	expect_bad(0, text, "draw: s.c: \"purple\" is not a value of enum color", NULL);
	WITH("\"c\": \"blue\"", "\"c\": 2");
	expect_bad(0, text, "draw: s.c: 2 is not a value of enum color", NULL);
	WITH("\"label\": \"hi\"", "\"label\": \"123456789\"");
	expect_bad(0, text, "draw: s.label: string<8> holds at most 8 bytes, got 9", NULL);
	WITH("\"label\": \"hi\"", "\"label\": \"a\\u0000b\"");
	expect_bad(0, text, "draw: s.label", "NUL");
	WITH("\"filled\": true", "\"filled\": 1");
	expect_bad(0, text, "draw: s.filled: bool expected", NULL);
	WITH("\"tag\": [1, 2, 255]", "\"tag\": [1, 2]");
	expect_bad(0, text, "draw: s.tag", "an array of 3");
	WITH("\"tag\": [1, 2, 255]", "\"tag\": [1, 2, 256]");
	expect_bad(0, text, "draw: s.tag[2]: 256 is out of range for uint8", NULL);
	WITH("\"w\": 2.5", "\"w\": \"2.5\"");
	expect_bad(0, text, "draw: s.w: double expected", NULL);
	WITH("\"w\": 2.5, ", "");
	expect_bad(0, text, "draw: s: member 'w' of struct shape is missing", NULL);
	WITH("\"w\": 2.5", "\"w\": 2.5, \"z\": 1");
	expect_bad(0, text, "draw: s: struct shape has no member 'z'", NULL);
	WITH("\"f\": 1.5", "\"f\": 1e300");
	expect_bad(0, text, "draw: f", "out of range for float");
	WITH("\"f\": 1.5", "\"f\": 1.5, \"bogus\": 1");
	expect_bad(0, text, "draw: unknown parameter 'bogus'", "s, big, small, f");
	WITH("\"f\": 1.5", "\"f\": 1.5, \"area\": 1");
	expect_bad(0, text, "draw: area: an out parameter takes no value", NULL);
	WITH(", \"f\": 1.5", "");
	expect_bad(0, text, "draw: f: missing", NULL);
	expect_bad(0, "{\"s\": 1, \"big\": 1, \"small\": 1, \"f\": 1}", "draw: s: struct shape "
		   "expected (an object), got an integer", NULL);
	expect_bad(1, "{\"data\": \"AAE\"}", "put: data: a buffer expected (a base64 string)",
		   NULL);
	expect_bad(1, "{\"data\": \"A*==\"}", "put: data", "base64");
	expect_bad(1, "{\"data\": [1, 2]}", "put: data", "got an array");
	expect_bad(2, "{}", "get: n: missing", NULL);
	expect_bad(3, "{\"line\": \"12345678901234567\"}", "log: line", "at most 16");
#undef WITH
}

static void test_out(void **state)
{
	struct vmrpc_value out[5] = { 0 }, pts[2], p0[2], p1[2], shape[6];
	char err[CLI_ERR_MAX] = "";
	json_t *j;
	char *s;

	build_table();
	/* get: status 3, data "abc", len 3 */
	out[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = 3, .p = "abc" };
	out[2] = VMRPC_VAL_U64(3);
	assert_int_equal(cli_out_to_json(&table, 2, 3, out, &j, err, sizeof(err)), 0);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"status\":3,\"data\":\"YWJj\",\"len\":3}");
	free(s);
	json_decref(j);
	/* a failed call: only its status */
	assert_int_equal(cli_out_to_json(&table, 2, -5, NULL, &j, err, sizeof(err)), 0);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"status\":-5}");
	free(s);
	json_decref(j);
	/* draw's out int32 */
	memset(out, 0, sizeof(out));
	out[4] = VMRPC_VAL_I64(-7);
	assert_int_equal(cli_out_to_json(&table, 0, 0, out, &j, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "area")), -7);
	assert_null(json_object_get(j, "s")); /* in parameters are not echoed */
	json_decref(j);
	/* a reply of the wrong kind is refused, naming the parameter */
	out[4] = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = 1, .s = "x" };
	assert_int_equal(cli_out_to_json(&table, 0, 0, out, &j, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "area"));
	/* a struct out value, through the same conversion */
	p0[0] = VMRPC_VAL_I64(1), p0[1] = VMRPC_VAL_I64(2);
	p1[0] = VMRPC_VAL_I64(3), p1[1] = VMRPC_VAL_I64(4);
	pts[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 2, .items = p0 };
	pts[1] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 2, .items = p1 };
	shape[0] = VMRPC_VAL_I64(1);
	shape[1] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 2, .items = pts };
	shape[2] = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = 2, .s = "\xff!" };
	shape[3] = (struct vmrpc_value){ .kind = VMRPC_VAL_BOOL, .b = false };
	shape[4] = (struct vmrpc_value){ .kind = VMRPC_VAL_DOUBLE, .d = 0.25 };
	shape[5] = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = 3, .p = "\x01\x02\x03" };
	/* borrow draw's parameter 0 as if it were inout */
	params[0].dir = VMRPC_TT_INOUT;
	memset(out, 0, sizeof(out));
	out[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 6, .items = shape };
	out[4] = VMRPC_VAL_I64(0);
	assert_int_equal(cli_out_to_json(&table, 0, 0, out, &j, err, sizeof(err)), 0);
	params[0].dir = VMRPC_TT_IN;
	s = json_dumps(json_object_get(j, "s"), JSON_COMPACT);
	assert_string_equal(s, "{\"c\":\"green\",\"pts\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}],"
			       "\"label\":\"\xef\xbf\xbd!\",\"filled\":false,\"w\":0.25,"
			       "\"tag\":[1,2,3]}");
	free(s);
	json_decref(j);
	/* a float comes back as libvmrpc reads it: VMRPC_VAL_FLOAT */
	params[3].dir = VMRPC_TT_INOUT;
	memset(out, 0, sizeof(out));
	out[3] = (struct vmrpc_value){ .kind = VMRPC_VAL_FLOAT, .f = -0.5f };
	out[4] = VMRPC_VAL_I64(0);
	assert_int_equal(cli_out_to_json(&table, 0, 0, out, &j, err, sizeof(err)), 0);
	params[3].dir = VMRPC_TT_IN;
	assert_true(json_real_value(json_object_get(j, "f")) == -0.5);
	json_decref(j);
	/* uint64 above INT64_MAX: a decimal string */
	memset(out, 0, sizeof(out));
	out[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = 0, .p = "" };
	out[2] = VMRPC_VAL_U64(UINT64_MAX);
	types[T_U32].kind = VMRPC_TT_UINT64;
	assert_int_equal(cli_out_to_json(&table, 2, 0, out, &j, err, sizeof(err)), 0);
	types[T_U32].kind = VMRPC_TT_UINT32;
	assert_string_equal(json_string_value(json_object_get(j, "len")), "18446744073709551615");
	json_decref(j);
}

static void test_exit(void **state)
{
	assert_int_equal(cli_call_exit(0), 0);
	assert_int_equal(cli_call_exit(7), 0);
	assert_int_equal(cli_call_exit(-EACCES), 1);
	assert_int_equal(cli_call_exit(-VMRPC_EDENIED), 1);
	assert_int_equal(cli_call_exit(-VMRPC_EPEERDIED), 255);
	assert_int_equal(cli_call_exit(-VMRPC_ETIMEDOUT), 255);
}

static void test_base64(void **state)
{
	static const char *const cases[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foobar", "Zm9vYmFy" },
	};
	void *p;
	size_t n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = cli_base64_encode(cases[i][0], strlen(cases[i][0]));

		assert_string_equal(s, cases[i][1]);
		free(s);
		assert_int_equal(cli_base64_decode(cases[i][1], strlen(cases[i][1]), &p, &n), 0);
		assert_int_equal(n, strlen(cases[i][0]));
		assert_memory_equal(p, cases[i][0], n);
		free(p);
	}
	assert_int_equal(cli_base64_decode("Zg=", 3, &p, &n), -EINVAL);
	assert_int_equal(cli_base64_decode("Z=g=", 4, &p, &n), -EINVAL);
	assert_int_equal(cli_base64_decode("Zg\0=", 4, &p, &n), -EINVAL);
	assert_int_equal(cli_base64_decode("====", 4, &p, &n), -EINVAL);
}

static char *describe_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cli_describe_idl(f, &table);
	fclose(f);
	return buf;
}

static void test_describe(void **state)
{
	static const char *const want[] = {
		"enum color { red = 0, green = 1, blue = 5 }\n",
		"struct point {\n\tint32 x;\n\tint32 y;\n}\n",
		("struct shape {\n\tcolor c;\n\tpoint pts[2];\n\tstring<8> label;\n\tbool filled;\n"
		 "\tdouble w;\n\tuint8 tag[3];\n}\n"),
		"interface demo version 3 {\n",
		"\tint32 draw(shape s, uint64 big, int8 small, float f, out int32 area) = 0;\n",
		"\tint64 put(in buffer<n> data, uint32 n) = 1;\n",
		"\tint64 get(out buffer<n, len> data, uint32 n, out uint32 len) = 2;\n",
		"\toneway void log(string<16> line) = 3;\n",
	};
	json_t *j, *m;
	char *text;

	build_table();
	text = describe_text();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("describe lacks:\n%s\nin:\n%s", want[i], text);
	/* the struct comes after what it holds */
	assert_true(strstr(text, "struct point") < strstr(text, "struct shape"));
	free(text);

	j = cli_describe_json(&table);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")), "demo");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "sig_hash")),
			    "0x000000001234abcd");
	m = json_array_get(json_object_get(j, "methods"), 2);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "get");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	m = json_array_get(json_object_get(m, "params"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "dir")), "out");
	m = json_object_get(m, "type");
	assert_string_equal(json_string_value(json_object_get(m, "kind")), "buffer");
	assert_string_equal(json_string_value(json_object_get(m, "size")), "n");
	assert_string_equal(json_string_value(json_object_get(m, "len")), "len");
	m = json_array_get(json_object_get(j, "methods"), 3);
	assert_true(json_is_true(json_object_get(m, "oneway")));
	assert_string_equal(json_string_value(json_object_get(m, "returns")), "void");
	m = json_array_get(json_object_get(j, "enums"), 0);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(m, "enumerators"), 2), "value")),
			 5);
	m = json_array_get(json_object_get(j, "structs"), 1);
	assert_string_equal(json_string_value(json_object_get(m, "name")), "shape");
	m = json_object_get(json_array_get(json_object_get(m, "members"), 1), "type");
	assert_string_equal(json_string_value(json_object_get(m, "idl")), "point[2]");
	assert_int_equal(json_integer_value(json_object_get(m, "count")), 2);
	json_decref(j);
	assert_int_equal(cli_method_find(&table, "log"), 3);
	assert_int_equal(cli_method_find(&table, "nope"), -ENOENT);
}

/* A peer's table may chain one-element arrays as deep as its size allows,
 * which vmrpc_types_load() accepts: nothing here may recurse that deep. */
static void test_deep(void **state)
{
	enum { DEPTH = 2000 };
	static struct vmrpc_tt_type deep_types[DEPTH + 1];
	static char deep_strings[] = "\0deep\0f\0x";
	struct vmrpc_tt_hdr h = { .magic = VMRPC_TT_MAGIC, .version = VMRPC_TT_VERSION, .name = 1,
				  .iface_version = 1, .n_ids = 1, .n_methods = 1, .n_params = 1,
				  .n_types = DEPTH + 1 };
	struct vmrpc_tt_method me = { .name = 6, .ret = VMRPC_TT_INT32, .n_params = 1 };
	struct vmrpc_tt_param pa = { .name = 8, .type = DEPTH, .dir = VMRPC_TT_INOUT };
	struct vmrpc_types t = { .hdr = &h, .methods = &me, .params = &pa, .types = deep_types,
				 .strings = deep_strings };
	struct vmrpc_value v = VMRPC_VAL_I64(1);
	char err[CLI_ERR_MAX], *text = NULL, *json;
	struct vmrpc_value *args;
	size_t len = 0, n = 0;
	void *arena;
	FILE *f;
	json_t *j;

	deep_types[0] = (struct vmrpc_tt_type){ VMRPC_TT_INT32, 0, 4, 4, 0, 0 };
	for (uint32_t i = 1; i <= DEPTH; i++)
		deep_types[i] = (struct vmrpc_tt_type){ VMRPC_TT_ARRAY, 0, 4, 4, i - 1, 1 };
	/* in: [[[...[1]...]]] */
	json = malloc(2 * DEPTH + 32);
	n += (size_t)sprintf(json, "{\"x\": ");
	for (int i = 0; i < DEPTH; i++)
		json[n++] = '[';
	json[n++] = '1';
	for (int i = 0; i < DEPTH; i++)
		json[n++] = ']';
	strcpy(json + n, "}");
	j = cli_json_parse_object(json, err, sizeof(err));
	free(json);
	if (j) { /* jansson may refuse such depth itself; either way no crash */
		assert_int_equal(cli_json_to_args(&t, 0, j, &args, &arena, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "nest deeper"));
		json_decref(j);
	}
	/* out: a value nested as deep */
	{
		struct vmrpc_value *chain = calloc(DEPTH + 1, sizeof(*chain));

		chain[0] = v;
		for (int i = 1; i <= DEPTH; i++)
			chain[i] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 1,
							 .items = &chain[i - 1] };
		assert_int_equal(cli_out_to_json(&t, 0, 0, &chain[DEPTH], &j, err, sizeof(err)),
				 -EPROTO);
		free(chain);
	}
	f = open_memstream(&text, &len);
	cli_describe_idl(f, &t);
	fclose(f);
	assert_non_null(strstr(text, "inout ..."));
	free(text);
	json_decref(cli_describe_json(&t));
}

/* A region whose header a hostile guest wrote: nothing read beyond the
 * mapping, counts clamped, names cut and made printable. */
static void test_region(void **state)
{
	size_t size = VMRPC_HDR_SIZE + 2 * VMRPC_CHAN_MIN_SIZE;
	char *base = calloc(1, size);
	struct vmrpc_region_hdr *h = (void *)base;
	struct vmrpc_chan_hdr *c1 = (void *)(base + VMRPC_HDR_SIZE + VMRPC_CHAN_MIN_SIZE);
	struct cli_region r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	assert_int_equal(cli_region_read(base, size, "vm1", &r), -VMRPC_EMAGIC);
	h->magic = VMRPC_MAGIC;
	h->abi_version = VMRPC_ABI_VERSION + 1;
	assert_int_equal(cli_region_read(base, size, "vm1", &r), -VMRPC_EABI);
	h->abi_version = VMRPC_ABI_VERSION;
	h->hdr_size = h->chan_off = VMRPC_HDR_SIZE;
	h->chan_size = VMRPC_CHAN_MIN_SIZE;
	h->n_channels = 3; /* one more than is mapped */
	assert_int_equal(cli_region_read(base, size, "vm1", &r), -VMRPC_EMAGIC);
	h->n_channels = 2;
	h->n_ifaces = 1000;
	h->guest_n_ifaces = 0xffffffffu;
	memset(h->registry[0].name, 'A', sizeof(h->registry[0].name)); /* no NUL */
	memcpy(h->registry[1].name, "a\nb\033c", 6);
	memcpy(h->guest_registry[0].name, "guestexec", 10);
	c1->ctl.state = 77;
	c1->ctl.kind = VMRPC_CHAN_KIND_GSRC;
	c1->ctl.owner_pid = 42;
	c1->req.req_seq = 9;
	c1->req.iface_slot = 0xfffffff0u;
	assert_int_equal(cli_region_read(base, size, "vm1", &r), 0);
	assert_int_equal(r.n_host, VMRPC_REG_MAX);
	assert_int_equal(r.n_guest, VMRPC_GREG_MAX);
	assert_int_equal(strlen(r.host[0].name), VMRPC_REG_NAME_MAX - 1);
	assert_string_equal(r.host[1].name, "a?b?c");
	assert_int_equal(r.n_used, 1);
	assert_int_equal(r.chans[0].index, 1);
	assert_string_equal(cli_chan_state_name(r.chans[0].state), "unknown");
	f = open_memstream(&text, &len);
	cli_status_text(f, &r);
	cli_list_text(f, &r);
	fclose(f);
	assert_non_null(strstr(text, "vm1/guest/guestexec\n"));
	assert_non_null(strstr(text, "unknown"));
	free(text);
	j = cli_status_json(&r);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(j, "channels"), 0), "calls")),
			 9);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "channels"), 0),
						 "last_interface")));
	json_decref(j);
	cli_region_free(&r);
	/* too small to hold a header */
	assert_int_equal(cli_region_read(base, 100, "vm1", &r), -VMRPC_EMAGIC);
	free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),   cmocka_unit_test(test_bad),
		cmocka_unit_test(test_out),    cmocka_unit_test(test_base64),
		cmocka_unit_test(test_exit),   cmocka_unit_test(test_deep),
		cmocka_unit_test(test_describe), cmocka_unit_test(test_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
