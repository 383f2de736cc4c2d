/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-vm-dyn: every IDL type, in every direction, through the dynamic
 * path (vmrpc/dynamic.h): binds "ffiall" (test/integration/ffi/ffiall.idl)
 * with no generated stubs and calls each of its methods with
 * vmrpc_dyn_call(). The callee is libffiall.so, a plain library served
 * through libffi. Either way across a VM:
 *
 *   vmrpc-vm-dyn host REGION     a guest caller: vmrpc_guest_attach(REGION);
 *                                the VM's shadow serves ffiall (hostd.conf
 *                                "ffi-service = ffiall.idl:libffiall.so")
 *   vmrpc-vm-dyn guest VM        a host caller: vmrpc_vm_open(VM, a VM name,
 *                                loopback region or host-caller socket);
 *                                vmrpc-guestd serves it (guestd.conf)
 *
 * ffiall_lib.c is linked in: every answer must equal what the library's
 * own function gives when this program calls it. Then values the dynamic
 * API must refuse before sending (-EINVAL, vmrpc_dyn_error() naming the
 * parameter), with the callee's counter() unchanged: nothing reached it.
 * Prints "ok N - what" per check (TAP, test/vm/guest_checks.h); exits 1 if
 * any failed, 2 on bad usage. test/vm/run.sh runs it both ways in the TCG
 * guest, test/integration/integ_ffi.c both ways in loopback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffiall_lib.h"
#include "guest_checks.h"
#include "vmrpc/dynamic.h"
#include "vmrpc/guest.h"

#define V_NONE ((struct vmrpc_value){ .kind = VMRPC_VAL_NONE })
#define V_BOOL(x) ((struct vmrpc_value){ .kind = VMRPC_VAL_BOOL, .b = (x) })
#define V_INT(x) VMRPC_VAL_I64(x)
#define V_UINT(x) VMRPC_VAL_U64(x)
#define V_FLOAT(x) ((struct vmrpc_value){ .kind = VMRPC_VAL_FLOAT, .f = (x) })
#define V_DOUBLE(x) ((struct vmrpc_value){ .kind = VMRPC_VAL_DOUBLE, .d = (x) })
#define V_STRN(x, len) ((struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = (len), .s = (x) })
#define V_STR(x) V_STRN(x, (uint32_t)strlen(x))
#define V_BYTES(x, len) ((struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = (len), .p = (x) })
#define V_LIST(x, len) ((struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = (len), .items = (x) })

#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

struct caller {
	struct vmrpc_dyn *d;
	int32_t served; /* calls the library's functions ran (counter() counts them) */
};

/* Call method name of ffiall; *ret_out (if not NULL) gets its out values
 * when the status is >= 0 (free() it). Counts what the callee's counter()
 * will: every call sent (not refused before, vmrpc_dyn_error() empty) to a
 * method with a function, counter itself excepted. */
static int64_t call(struct caller *c, const char *name, const struct vmrpc_value *args,
		    uint32_t n, struct vmrpc_value **ret_out)
{
	int m = vmrpc_dyn_method(c->d, name);
	int64_t st;

	if (ret_out)
		*ret_out = NULL;
	if (m < 0) {
		check(0, "ffiall has a method '%s'", name);
		return m;
	}
	st = vmrpc_dyn_call(c->d, (uint32_t)m, args, n, ret_out);
	if (!vmrpc_dyn_error(c->d)[0] && strcmp(name, "counter") && strcmp(name, "missing"))
		c->served++;
	return st;
}

static int32_t callee_counter(struct caller *c)
{
	return (int32_t)call(c, "counter", NULL, 0, NULL);
}

/* ---- scalars in -------------------------------------------------------------- */

static void test_ints(struct caller *c)
{
	static const struct {
		int8_t a;
		uint8_t b;
		int16_t c;
		uint16_t d;
		int32_t e;
		uint32_t f;
		int64_t g;
		uint64_t h;
	} rows[] = {
		{ INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX, INT64_MIN / 2,
		  UINT64_MAX },
		{ INT8_MAX, 0, INT16_MAX, 0, INT32_MAX, 0, INT64_MAX / 4, 1 },
		{ -1, 1, -1, 1, -1, 1, -1, 1 },
	};

	for (uint32_t i = 0; i < N(rows); i++) {
		/* unsigned ones as UINT, but b as an INT, which fits too */
		struct vmrpc_value a[] = {
			V_INT(rows[i].a),  V_INT(rows[i].b),  V_INT(rows[i].c),  V_UINT(rows[i].d),
			V_INT(rows[i].e),  V_UINT(rows[i].f), V_INT(rows[i].g),  V_UINT(rows[i].h),
		};
		int64_t want = ints(rows[i].a, rows[i].b, rows[i].c, rows[i].d, rows[i].e,
				    rows[i].f, rows[i].g, rows[i].h);
		int64_t got = call(c, "ints", a, N(a), NULL);

		check(got == want, "ints(%d, %u, %d, %u, %" PRId32 ", %" PRIu32 ", %" PRId64
		      ", %" PRIu64 ") = %" PRId64 " (the library: %" PRId64 ")",
		      rows[i].a, rows[i].b, rows[i].c, rows[i].d, rows[i].e, rows[i].f, rows[i].g,
		      rows[i].h, got, want);
	}
}

static void test_flags(struct caller *c)
{
	static const struct {
		bool yes;
		enum ffiall_level lv;
	} rows[] = {
		{ true, FFIALL_LEVEL_HIGH },
		{ false, FFIALL_LEVEL_MID },
		{ true, FFIALL_LEVEL_LOW },
	};

	for (uint32_t i = 0; i < N(rows); i++) {
		struct vmrpc_value a[] = { V_BOOL(rows[i].yes), V_INT(rows[i].lv) };
		int64_t want = flags(rows[i].yes, rows[i].lv);
		int64_t got = call(c, "flags", a, N(a), NULL);

		check(got == want, "flags(%s, %d) = %" PRId64 " (the library: %" PRId64 ")",
		      rows[i].yes ? "true" : "false", rows[i].lv, got, want);
	}
}

/* float in (FLOAT, and a DOUBLE converted), double in, double out */
static void test_reals(struct caller *c)
{
	static const struct {
		float x;
		double y;
	} rows[] = { { 1.5f, 2000.25 }, { -0.0f, 3e300 }, { 1e-30f, -7.125 } };

	for (uint32_t i = 0; i < N(rows); i++) {
		struct vmrpc_value a[] = { i == 2 ? V_DOUBLE(rows[i].x) : V_FLOAT(rows[i].x),
					   V_DOUBLE(rows[i].y), V_NONE };
		struct vmrpc_value *out;
		double sum;
		int64_t want = reals(rows[i].x, rows[i].y, &sum);
		int64_t got = call(c, "reals", a, N(a), &out);

		check(got == want && out && out[2].kind == VMRPC_VAL_DOUBLE && out[2].d == sum,
		      "reals(%g, %g) = %" PRId64 ", sum %g (the library: %" PRId64 ", %g)",
		      (double)rows[i].x, rows[i].y, got, out ? out[2].d : 0.0, want, sum);
		free(out);
	}
}

/* ---- structs: nested, an array of them, a uint8 array -------------------------- */

static void fill_inner(struct ffiall_inner *v, int k)
{
	memset(v, 0, sizeof(*v));
	v->on = k & 1;
	v->lv = k % 3 == 0 ? FFIALL_LEVEL_LOW : k % 3 == 1 ? FFIALL_LEVEL_MID : FFIALL_LEVEL_HIGH;
	if (k == 3)
		strcpy(v->tag, "fifteen-chars-3"); /* at its bound, string<15> */
	else
		snprintf(v->tag, sizeof(v->tag), "tag-%d", k);
	/* structs() returns the sum of three: a status, not negative */
	v->small = (int16_t)(k == 2 ? INT16_MAX : 100 * k);
}

/* A struct inner as the value of its members (items: 4 of them). */
static struct vmrpc_value inner_value(const struct ffiall_inner *v, struct vmrpc_value *items)
{
	items[0] = V_BOOL(v->on);
	items[1] = V_INT(v->lv);
	items[2] = V_STR(v->tag);
	items[3] = V_INT(v->small);
	return V_LIST(items, 4);
}

/* A returned struct inner's value into v; false if it is not one. */
static bool inner_from_value(const struct vmrpc_value *val, struct ffiall_inner *v)
{
	const struct vmrpc_value *m = val->items;

	memset(v, 0, sizeof(*v));
	if (val->kind != VMRPC_VAL_LIST || val->n != 4 || m[0].kind != VMRPC_VAL_BOOL ||
	    m[1].kind != VMRPC_VAL_INT || m[2].kind != VMRPC_VAL_STRING ||
	    m[2].n >= sizeof(v->tag) || m[3].kind != VMRPC_VAL_INT)
		return false;
	v->on = m[0].b;
	v->lv = (enum ffiall_level)m[1].i;
	memcpy(v->tag, m[2].s, m[2].n);
	v->small = (int16_t)m[3].i;
	return true;
}

static bool outer_from_value(const struct vmrpc_value *val, struct ffiall_outer *o)
{
	const struct vmrpc_value *m = val->items;

	memset(o, 0, sizeof(*o));
	if (val->kind != VMRPC_VAL_LIST || val->n != 5 || m[1].kind != VMRPC_VAL_LIST ||
	    m[1].n != 2 || m[2].kind != VMRPC_VAL_FLOAT || m[3].kind != VMRPC_VAL_DOUBLE ||
	    m[4].kind != VMRPC_VAL_BYTES || m[4].n != sizeof(o->bytes))
		return false;
	if (!inner_from_value(&m[0], &o->one) || !inner_from_value(&m[1].items[0], &o->two[0]) ||
	    !inner_from_value(&m[1].items[1], &o->two[1]))
		return false;
	o->f = m[2].f;
	o->d = m[3].d;
	memcpy(o->bytes, m[4].p, sizeof(o->bytes));
	return true;
}

static void test_structs(struct caller *c)
{
	struct ffiall_outer o, copy, want_copy;
	struct ffiall_inner io, want_io;
	struct vmrpc_value one[4], two_items[2][4], two[2], outer[5], io_items[4], *out;
	int64_t want, got;
	bool ok;

	memset(&o, 0, sizeof(o));
	fill_inner(&o.one, 1);
	fill_inner(&o.two[0], 2);
	fill_inner(&o.two[1], 3);
	o.f = 2.5f;
	o.d = -1e300;
	o.bytes[0] = 0;
	o.bytes[1] = 128;
	o.bytes[2] = 255;
	fill_inner(&io, 4);
	want_io = io;
	memset(&want_copy, 0, sizeof(want_copy));
	want = structs(&o, &want_copy, &want_io);

	outer[0] = inner_value(&o.one, one);
	two[0] = inner_value(&o.two[0], two_items[0]);
	two[1] = inner_value(&o.two[1], two_items[1]);
	outer[1] = V_LIST(two, 2);
	outer[2] = V_FLOAT(o.f);
	outer[3] = V_DOUBLE(o.d);
	outer[4] = V_BYTES(o.bytes, 3); /* a uint8 array: bytes */
	{
		struct vmrpc_value a[] = { V_LIST(outer, 5), V_NONE, inner_value(&io, io_items) };

		got = call(c, "structs", a, N(a), &out);
	}
	check(got == want, "structs(o, copy, io) = %" PRId64 " (the library: %" PRId64 ")", got,
	      want);
	ok = out && outer_from_value(&out[1], &copy) && !memcmp(&copy, &want_copy, sizeof(copy));
	check(ok, "structs: out copy, a struct holding a struct, an array of two and a uint8[3]");
	ok = out && inner_from_value(&out[2], &io) && !memcmp(&io, &want_io, sizeof(io)) &&
	     io.lv == FFIALL_LEVEL_HIGH && io.small == 401;
	check(ok, "structs: inout io comes back changed (small %d, lv %d)", io.small, io.lv);
	free(out);
}

/* ---- arrays, strings, buffers -------------------------------------------------- */

static void test_arrays(struct caller *c)
{
	/* arrays() returns their sum: a status, not negative */
	const ffiall_quad q = { 1, -2, INT32_MAX / 2, -(INT32_MAX / 2) + 10 };
	int32_t doubled[4], acc[2] = { 10, 20 };
	struct vmrpc_value qv[4], accv[2], *out;
	int64_t want, got;
	bool ok;

	for (int i = 0; i < 4; i++)
		qv[i] = V_INT(q[i]);
	for (int i = 0; i < 2; i++)
		accv[i] = V_INT(acc[i]);
	want = arrays(q, doubled, acc);
	{
		struct vmrpc_value a[] = { V_LIST(qv, 4), V_NONE, V_LIST(accv, 2) };

		got = call(c, "arrays", a, N(a), &out);
	}
	ok = got == want && out && out[1].kind == VMRPC_VAL_LIST && out[1].n == 4 &&
	     out[2].kind == VMRPC_VAL_LIST && out[2].n == 2;
	for (int i = 0; ok && i < 4; i++)
		ok = out[1].items[i].kind == VMRPC_VAL_INT && out[1].items[i].i == doubled[i];
	for (int i = 0; ok && i < 2; i++)
		ok = out[2].items[i].kind == VMRPC_VAL_INT && out[2].items[i].i == acc[i];
	check(ok, "arrays: in quad, out quad doubled, inout int32[2] (= %" PRId64 ")", got);
	free(out);
}

static void test_strings(struct caller *c)
{
	static const struct {
		const char *name, *word;
	} rows[] = {
		{ "world", "MiXed case" },
		{ "", "" },
		/* each at its bound: string<32> in, string<16> inout, and the
		 * greeting 39 bytes of out string<64> */
		{ "0123456789abcdef0123456789abcdef", "sixteen bytes ab" },
	};

	for (uint32_t i = 0; i < N(rows); i++) {
		char want_greeting[65], want_word[17];
		struct vmrpc_value a[] = { V_STR(rows[i].name), V_NONE, V_STR(rows[i].word) }, *out;
		int64_t want, got;

		snprintf(want_word, sizeof(want_word), "%s", rows[i].word);
		want = strings(rows[i].name, want_greeting, sizeof(want_greeting), want_word,
			       sizeof(want_word));
		got = call(c, "strings", a, N(a), &out);
		check(got == want && out && out[1].kind == VMRPC_VAL_STRING &&
			      !strcmp(out[1].s, want_greeting) && out[2].kind == VMRPC_VAL_STRING &&
			      !strcmp(out[2].s, want_word),
		      "strings(\"%s\", greeting, \"%s\") = %" PRId64 ": \"%s\", \"%s\"",
		      rows[i].name, rows[i].word, got, out ? out[1].s : "", out ? out[2].s : "");
		free(out);
	}
}

static void test_bufs(struct caller *c)
{
	static const uint32_t sizes[] = { 1000, 1, 0 };
	uint8_t src[1000], io[1000], want_dst[1000], want_io[1000];

	srand(14);
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)rand();
	for (uint32_t k = 0; k < N(sizes); k++) {
		uint32_t n = sizes[k];
		/* the size given, or (0) left to the in buffer's length */
		struct vmrpc_value a[] = { V_BYTES(src, n), V_NONE, V_BYTES(io, n),
					   n ? V_UINT(n) : V_NONE };
		struct vmrpc_value *out;
		int64_t want, got;

		for (size_t i = 0; i < sizeof(io); i++)
			io[i] = want_io[i] = (uint8_t)(i * 7);
		want = bufs(src, want_dst, want_io, n);
		got = call(c, "bufs", a, N(a), &out);
		check(got == want && out && out[1].kind == VMRPC_VAL_BYTES && out[1].n == n &&
			      !memcmp(out[1].p, want_dst, n) && out[2].kind == VMRPC_VAL_BYTES &&
			      out[2].n == n && !memcmp(out[2].p, want_io, n),
		      "bufs: %u bytes in, out and inout (sum %" PRId64 ")", n, got);
		free(out);
	}
}

/* buffer<cap, return>: as long as the status says */
static void test_readsome(struct caller *c)
{
	static const uint64_t caps[] = { 4, 100, 0 };

	for (uint32_t k = 0; k < N(caps); k++) {
		char want_data[100];
		struct vmrpc_value a[] = { V_NONE, V_UINT(caps[k]) }, *out;
		int64_t want = readsome(want_data, caps[k]);
		int64_t got = call(c, "readsome", a, N(a), &out);

		check(got == want && out && out[0].kind == VMRPC_VAL_BYTES && out[0].n == want &&
			      !memcmp(out[0].p, want_data, (size_t)want),
		      "readsome(data, cap %" PRIu64 ") = %" PRId64 " bytes \"%.*s\"", caps[k], got,
		      out ? (int)out[0].n : 0, out ? (const char *)out[0].p : "");
		free(out);
	}
}

/* buffer<cap, got>: as long as an out parameter says */
static void test_lengths(struct caller *c)
{
	char want_data[9];
	uint32_t want_got;
	struct vmrpc_value a[] = { V_NONE, V_INT(9), V_NONE }, *out;
	int64_t want = lengths(want_data, 9, &want_got);
	int64_t got = call(c, "lengths", a, N(a), &out);

	check(got == want && out && out[2].kind == VMRPC_VAL_UINT && out[2].u == want_got &&
		      out[0].kind == VMRPC_VAL_BYTES && out[0].n == want_got &&
		      !memcmp(out[0].p, want_data, want_got),
	      "lengths(data, cap 9, got) = %" PRId64 ": %u bytes", got, out ? out[0].n : 0);
	free(out);
}

/* ---- out and inout scalars ----------------------------------------------------- */

static void test_outs(struct caller *c)
{
	bool b;
	int8_t i8;
	uint16_t u16;
	int64_t i64;
	float f;
	enum ffiall_level lv;
	struct vmrpc_value a[6] = { V_NONE, V_NONE, V_NONE, V_NONE, V_NONE, V_NONE }, *out;
	int64_t want = outs(&b, &i8, &u16, &i64, &f, &lv);
	int64_t got = call(c, "outs", a, N(a), &out);

	check(got == want && out && out[0].kind == VMRPC_VAL_BOOL && out[0].b == b &&
		      out[1].kind == VMRPC_VAL_INT && out[1].i == i8 &&
		      out[2].kind == VMRPC_VAL_UINT && out[2].u == u16 &&
		      out[3].kind == VMRPC_VAL_INT && out[3].i == i64 &&
		      out[4].kind == VMRPC_VAL_FLOAT && out[4].f == f &&
		      out[5].kind == VMRPC_VAL_INT && out[5].i == lv,
	      "outs: bool, int8 %d, uint16 %u, int64 %" PRId64 ", float %g, enum %d", i8, u16, i64,
	      (double)f, lv);
	free(out);
}

static void test_inouts(struct caller *c)
{
	bool b = false;
	int8_t i8 = INT8_MAX;
	uint64_t u64 = UINT64_MAX - 1;
	double d = 0.75;
	enum ffiall_level lv = FFIALL_LEVEL_LOW;
	struct vmrpc_value a[] = { V_BOOL(b), V_INT(i8), V_UINT(u64), V_DOUBLE(d), V_INT(lv) };
	struct vmrpc_value *out;
	int64_t want = inouts(&b, &i8, &u64, &d, &lv);
	int64_t got = call(c, "inouts", a, N(a), &out);

	check(got == want && out && out[0].kind == VMRPC_VAL_BOOL && out[0].b == b &&
		      out[1].kind == VMRPC_VAL_INT && out[1].i == i8 &&
		      out[2].kind == VMRPC_VAL_UINT && out[2].u == u64 &&
		      out[3].kind == VMRPC_VAL_DOUBLE && out[3].d == d &&
		      out[4].kind == VMRPC_VAL_INT && out[4].i == lv,
	      "inouts: bool %d, int8 %d, uint64 %" PRIu64 ", double %g, enum %d", b, i8, u64, d,
	      lv);
	free(out);
}

/* ---- oneway, void, a missing function, a big string ---------------------------- */

static void test_note(struct caller *c)
{
	struct vmrpc_value a[] = { V_STR("a oneway note"), V_INT(77) }, b[] = { V_NONE }, *out;
	int64_t got = call(c, "note", a, N(a), NULL);

	check(got == 0, "note (oneway): sent, %" PRId64, got);
	/* a call on the same channel is served after it */
	got = call(c, "last_note", b, N(b), &out);
	check(got == 77 && out && out[0].kind == VMRPC_VAL_STRING &&
		      !strcmp(out[0].s, "a oneway note"),
	      "last_note = %" PRId64 ", \"%s\"", got, out ? out[0].s : "");
	free(out);
}

static void test_void_missing_big(struct caller *c)
{
	static char text[8001];
	struct vmrpc_value *out;
	int64_t got;

	got = call(c, "nothing", NULL, 0, NULL);
	check(got == 0, "nothing() = %" PRId64, got);
	{
		struct vmrpc_value a[] = { V_INT(1) };

		got = call(c, "missing", a, N(a), NULL);
		check(got == -ENOSYS, "missing(1), not in the library: %s",
		      vmrpc_strerror((int)got));
	}
	memset(text, 'q', 8000);
	text[8000] = '\0';
	{
		struct vmrpc_value a[] = { V_STRN(text, 8000), V_NONE };

		got = call(c, "big", a, N(a), &out);
		check(got == 8000 && out && out[1].kind == VMRPC_VAL_STRING && out[1].n == 8000 &&
			      !strcmp(out[1].s, text),
		      "big: a string<8000> at its bound in and out: %" PRId64, got);
		free(out);
	}
}

/* ---- what the dynamic API refuses before sending ---------------------------------- */

/* The call must fail with -EINVAL, and vmrpc_dyn_error() hold needle. */
static void refused(struct caller *c, const char *name, const struct vmrpc_value *args,
		    uint32_t n, const char *needle)
{
	int64_t got = call(c, name, args, n, NULL);
	const char *why = vmrpc_dyn_error(c->d);

	check(got == -EINVAL && strstr(why, needle), "%s refused: %s (%s)", name, why,
	      vmrpc_strerror((int)got));
}

static void test_refused(struct caller *c)
{
	static char long_text[8002];
	int32_t before = callee_counter(c);
	struct ffiall_inner in[3], io;
	struct vmrpc_value items[3][4], two[2], outer[5], io_items[4], q[3];
	uint8_t bytes[16] = { 0 };

	{
		struct vmrpc_value a[] = { V_INT(128), V_INT(0), V_INT(0), V_INT(0),
					   V_INT(0),   V_INT(0), V_INT(0), V_INT(0) };

		refused(c, "ints", a, N(a), "parameter 'a': 128 is out of range for int8");
		a[0] = V_INT(0);
		a[1] = V_INT(-1);
		refused(c, "ints", a, N(a), "parameter 'b': -1 is out of range for uint8");
		a[1] = V_INT(0);
		a[5] = V_UINT(1ull << 32);
		refused(c, "ints", a, N(a), "parameter 'f': 4294967296 is out of range for uint32");
	}
	{
		struct vmrpc_value a[] = { V_BOOL(true), V_INT(3) };

		refused(c, "flags", a, N(a), "parameter 'lv': enum level has no such value");
		a[0] = V_INT(1);
		a[1] = V_INT(FFIALL_LEVEL_LOW);
		refused(c, "flags", a, N(a), "parameter 'yes': bool expects true or false");
		refused(c, "flags", a, 1, "flags takes 2 parameters, not 1");
	}
	{
		struct vmrpc_value a[] = { V_DOUBLE(1e300), V_DOUBLE(1), V_NONE };

		refused(c, "reals", a, N(a), "parameter 'x': 1e+300 is out of range for float");
	}
	/* deep in a struct: an enum of an element of an array member */
	for (int k = 0; k < 3; k++)
		fill_inner(&in[k], k + 1);
	outer[0] = inner_value(&in[0], items[0]);
	two[0] = inner_value(&in[1], items[1]);
	two[1] = inner_value(&in[2], items[2]);
	items[2][1] = V_INT(4);
	outer[1] = V_LIST(two, 2);
	outer[2] = V_FLOAT(1);
	outer[3] = V_DOUBLE(1);
	outer[4] = V_BYTES(bytes, 3);
	fill_inner(&io, 4);
	{
		struct vmrpc_value a[] = { V_LIST(outer, 5), V_NONE, inner_value(&io, io_items) };

		refused(c, "structs", a, N(a),
			"parameter 'o'.two[1].lv: enum level has no such value");
		items[2][1] = V_INT(FFIALL_LEVEL_LOW);
		outer[4] = V_BYTES(bytes, 4);
		refused(c, "structs", a, N(a), "parameter 'o'.bytes: 4 bytes for an array of 3");
		outer[4] = V_BYTES(bytes, 3);
		io_items[2] = V_STR("sixteen bytes ab"); /* tag is a string<15> */
		refused(c, "structs", a, N(a),
			"parameter 'io'.tag: 16 bytes is longer than string<15>");
	}
	for (int i = 0; i < 3; i++)
		q[i] = V_INT(i);
	{
		struct vmrpc_value a[] = { V_LIST(q, 3), V_NONE, V_LIST(q, 2) };

		refused(c, "arrays", a, N(a), "parameter 'q': an array of 4 expects a list of 4");
	}
	{
		struct vmrpc_value a[] = { V_STR("0123456789abcdef0123456789abcdefX"), V_NONE,
					   V_STR("word") };

		refused(c, "strings", a, N(a),
			"parameter 'name': 33 bytes is longer than string<32>");
		a[0] = V_STRN("ab\0c", 4);
		refused(c, "strings", a, N(a), "parameter 'name': the string holds a NUL byte");
		a[0] = V_STR("name");
		a[2] = V_STR("seventeen bytes a");
		refused(c, "strings", a, N(a),
			"parameter 'word': 17 bytes is longer than string<16>");
		a[2] = V_STR("word");
		a[1] = V_STR("given");
		refused(c, "strings", a, N(a),
			"parameter 'greeting': an out parameter takes no value");
	}
	{
		struct vmrpc_value a[] = { V_BYTES(bytes, 16), V_NONE, V_BYTES(bytes, 15), V_NONE };

		refused(c, "bufs", a, N(a), "parameter 'io': 15 bytes, but its size 'n' is 16");
	}
	{
		struct vmrpc_value a[] = { V_NONE, V_INT(-1), V_NONE };

		refused(c, "lengths", a, N(a), "parameter 'data': its size 'cap' is negative");
	}
	memset(long_text, 'z', 8001);
	{
		struct vmrpc_value a[] = { V_STRN(long_text, 8001), V_NONE };

		refused(c, "big", a, N(a),
			"parameter 'text': 8001 bytes is longer than string<8000>");
	}
	check(callee_counter(c) == before,
	      "nothing refused reached the library: its counter() is still %" PRId32, before);
}

int main(int argc, char **argv)
{
	struct caller c = { 0 };
	struct vmrpc_guest g = { 0 };
	struct vmrpc_chan *chan = NULL;
	bool from_guest;
	int32_t before;
	int err;

	if (argc != 3 || (strcmp(argv[1], "host") && strcmp(argv[1], "guest"))) {
		fprintf(stderr, "usage: vmrpc-vm-dyn host REGION  (in the guest: call the host)\n"
				"       vmrpc-vm-dyn guest VM     (on the host: call the guest)\n");
		return 2;
	}
	from_guest = !strcmp(argv[1], "host");
	if (from_guest) {
		err = vmrpc_guest_attach(argv[2], &g);
		chan = g.chan;
	} else {
		err = vmrpc_vm_open(argv[2], 0, &chan);
	}
	if (!check(err == 0, "%s %s: %s",
		   from_guest ? "attach" : "open the guest-sourced channel of", argv[2],
		   vmrpc_strerror(err)))
		return 1;
	err = vmrpc_dyn_bind(chan, "ffiall", &c.d);
	if (!check(err == 0, "bind ffiall through its type table (%s serves it): %s",
		   from_guest ? "the host" : "the guest", vmrpc_strerror(err)))
		goto out;
	before = callee_counter(&c);
	check(before >= 0, "counter() = %" PRId32, before);

	test_ints(&c);
	test_flags(&c);
	test_reals(&c);
	test_structs(&c);
	test_arrays(&c);
	test_strings(&c);
	test_bufs(&c);
	test_readsome(&c);
	test_lengths(&c);
	test_outs(&c);
	test_inouts(&c);
	test_note(&c);
	test_void_missing_big(&c);
	check(callee_counter(&c) == before + c.served,
	      "the library ran each of the %" PRId32 " calls once: counter() = %" PRId32
	      " + %" PRId32, c.served, before, c.served);
	test_refused(&c);
	vmrpc_dyn_free(c.d);
out:
	if (from_guest)
		vmrpc_guest_detach(&g);
	else
		vmrpc_chan_close(chan);
	return checks_done();
}
