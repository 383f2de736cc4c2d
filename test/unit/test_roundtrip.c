/* SPDX-License-Identifier: MIT */
/*
 * Code generated from roundtrip.idl, end to end between two real processes:
 * the test process calls the generated stubs, a forked child serves them
 * through the generated skeleton over a real region (it attaches the channel
 * as hostd's shadow would).
 *
 * Covers every IDL type in every direction with exact values (float and
 * double bit patterns, integer extremes, enum values at the int32 limits),
 * string bounds, empty and arena-sized buffers, the zero-copy path of
 * vmrpc_chan_buf_alloc(), oneway calls and explicit method ids; then a
 * hostile caller writing raw args (the skeleton refuses them and the method
 * does not run) and a hostile callee writing bad results (the stub answers
 * -EPROTO and leaves the caller's out parameters alone).
 */
#include <errno.h>
#include <float.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"

#include "rt_callee.h"
#include "rt_caller.h"
#include "vmrpc/dynamic.h"

#define CHAN_SIZE (128u * 1024u)

/* What the test process tells the callee process: shared anonymous memory
 * mapped before the fork. The caller writes it before a call (the request's
 * release publishes it), the callee reads it while serving. */
struct evil {
	uint32_t on;          /* apply to every call until cleared */
	uint32_t res_at;      /* overwrite res_n bytes of results at res_at */
	uint32_t res_n;
	uint8_t res_bytes[16];
	int32_t res_len_delta; /* added to call->res_len */
	uint32_t str_at;      /* args offset of a wire string whose slot gets */
	uint32_t str_room;    /* str_room bytes of 'X', no NUL; 0: none */
	uint32_t set_status;
	int64_t status;       /* the status to answer if set_status */
};

struct shared {
	struct evil evil;
	uint32_t note_state; /* callee: 1 in note() waiting, 2 note() done */
};

struct fixture {
	struct vmrpc_region *host, *guest;
	int bell_fd;
	int release[2]; /* note() blocks reading release[0] */
	pid_t child;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	uint32_t idx;
	uint64_t arena_start, arena_end; /* this channel's, region offsets */
};

static struct fixture fix;
static struct shared *sh;

/* ---- helpers both processes use -------------------------------------- */

static uint32_t f2u(float v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof(u));
	return u;
}

static float u2f(uint32_t u)
{
	float v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static uint64_t d2u(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u;
}

static double u2d(uint64_t u)
{
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static enum roundtrip_level level_next(enum roundtrip_level l)
{
	switch (l) {
	case ROUNDTRIP_LEVEL_FLOOR:
		return ROUNDTRIP_LEVEL_LOW;
	case ROUNDTRIP_LEVEL_LOW:
		return ROUNDTRIP_LEVEL_MID;
	case ROUNDTRIP_LEVEL_MID:
		return ROUNDTRIP_LEVEL_HIGH;
	case ROUNDTRIP_LEVEL_HIGH:
		return ROUNDTRIP_LEVEL_TOP;
	case ROUNDTRIP_LEVEL_TOP:
		break;
	}
	return ROUNDTRIP_LEVEL_FLOOR;
}

/* What records() does to its inout record: every kind of member changes. */
static void record_change(struct roundtrip_record *r)
{
	for (unsigned i = 0; i < ROUNDTRIP_N_ITEMS; i++) {
		struct roundtrip_item *it = &r->items[i];
		size_t len = strlen(it->label);

		for (size_t j = 0; j < len / 2; j++) {
			char t = it->label[j];

			it->label[j] = it->label[len - 1 - j];
			it->label[len - 1 - j] = t;
		}
		it->lvl = level_next(it->lvl);
		it->on = !it->on;
		it->w = u2f(f2u(it->w) ^ 0x80000000u);
	}
	for (unsigned i = 0; i < 5; i++)
		r->bits[i] = !r->bits[i];
	r->lvls[0] = level_next(r->lvls[0]);
	r->lvls[1] = level_next(r->lvls[1]);
	memcpy(r->names[0], r->names[1], sizeof(r->names[0]));
	strcpy(r->names[1], "changed");
	r->i8 = (int8_t)~r->i8;
	r->u8 = (uint8_t)~r->u8;
	r->i16 = (int16_t)~r->i16;
	r->u16 = (uint16_t)~r->u16;
	r->i32 = ~r->i32;
	r->u32 = ~r->u32;
	r->i64 = ~r->i64;
	r->u64 = ~r->u64;
	r->f = u2f(f2u(r->f) ^ 0x80000000u);
	r->d = u2d(d2u(r->d) ^ 0x8000000000000000ull);
}

/* ---- the callee (runs in the child) ----------------------------------- */

struct callee_state {
	int64_t runs;
	char note_text[32];
	uint64_t note_hash;
	uint32_t note_n;
	bool note_flag;
	enum roundtrip_level note_lvl;
	uint32_t notes;
};

static uint64_t callee_where(const void *p)
{
	return (uint64_t)((const uint8_t *)p - (const uint8_t *)vmrpc_region_hdr(fix.host));
}

static int32_t cs_scalars(void *ctx, bool b, int8_t i8, uint8_t u8, int16_t i16, uint16_t u16,
			  int32_t i32, uint32_t u32, int64_t i64, uint64_t u64, float f, double d,
			  enum roundtrip_level e, bool *ob, int8_t *o8, uint8_t *ou8, int16_t *o16,
			  uint16_t *ou16, int32_t *o32, uint32_t *ou32, int64_t *o64, uint64_t *ou64,
			  float *of, double *od, enum roundtrip_level *oe)
{
	struct callee_state *s = ctx;

	s->runs++;
	*ob = b;
	*o8 = i8;
	*ou8 = u8;
	*o16 = i16;
	*ou16 = u16;
	*o32 = i32;
	*ou32 = u32;
	*o64 = i64;
	*ou64 = u64;
	*of = f;
	*od = d;
	*oe = e;
	return 7;
}

static int32_t cs_inout_scalars(void *ctx, bool *b, int8_t *i8, uint8_t *u8, int16_t *i16,
				uint16_t *u16, int32_t *i32, uint32_t *u32, int64_t *i64,
				uint64_t *u64, float *f, double *d, enum roundtrip_level *e)
{
	struct callee_state *s = ctx;

	s->runs++;
	*b = !*b;
	*i8 = (int8_t)~*i8;
	*u8 = (uint8_t)~*u8;
	*i16 = (int16_t)~*i16;
	*u16 = (uint16_t)~*u16;
	*i32 = ~*i32;
	*u32 = ~*u32;
	*i64 = ~*i64;
	*u64 = ~*u64;
	*f = u2f(f2u(*f) ^ 0x80000000u);
	*d = u2d(d2u(*d) ^ 0x8000000000000000ull);
	*e = level_next(*e);
	return 8;
}

static int32_t cs_records(void *ctx, const struct roundtrip_record *in_r,
			  struct roundtrip_record *io_r, struct roundtrip_record *out_r)
{
	struct callee_state *s = ctx;

	s->runs++;
	*out_r = *in_r;
	record_change(io_r);
	return 9;
}

static int32_t cs_arrays(void *ctx, const bool flags[4], const enum roundtrip_level lvls[3],
			 const struct roundtrip_item items[2], bool oflags[4],
			 enum roundtrip_level olvls[3], struct roundtrip_item oitems[2],
			 uint16_t ring[5], bool iflags[2])
{
	struct callee_state *s = ctx;

	s->runs++;
	for (unsigned i = 0; i < 4; i++)
		oflags[i] = !flags[i];
	for (unsigned i = 0; i < 3; i++)
		olvls[i] = lvls[2 - i];
	oitems[0] = items[1];
	oitems[1] = items[0];
	for (unsigned i = 0; i < 5; i++)
		ring[i] = (uint16_t)(ring[i] * 3u + 1u);
	iflags[0] = !iflags[0];
	iflags[1] = !iflags[1];
	return 10;
}

static int32_t cs_strings(void *ctx, const char *a, char *b, size_t b_size, char *c,
			  size_t c_size, const char *d, char *e, size_t e_size, const char *big,
			  char *big_out, size_t big_out_size)
{
	struct callee_state *s = ctx;
	size_t len = strlen(c);

	s->runs++;
	if (strlen(a) >= b_size || len >= c_size || strlen(d) >= e_size ||
	    strlen(big) >= big_out_size)
		return -EINVAL; /* the skeleton gave too little room */
	strcpy(b, a);
	for (size_t j = 0; j < len / 2; j++) {
		char t = c[j];

		c[j] = c[len - 1 - j];
		c[len - 1 - j] = t;
	}
	strcpy(e, d);
	strcpy(big_out, big);
	return (int32_t)(strlen(a) + len + strlen(d) + strlen(big));
}

static int64_t cs_buf_in(void *ctx, const void *data, uint64_t n, uint64_t *where)
{
	struct callee_state *s = ctx;
	const uint8_t *p = data;
	int64_t sum = 0;

	s->runs++;
	for (uint64_t i = 0; i < n; i++)
		sum += p[i];
	*where = callee_where(data);
	return sum;
}

static int32_t cs_buf_out(void *ctx, void *data, uint32_t n, uint8_t seed, uint64_t *where)
{
	struct callee_state *s = ctx;
	uint8_t *p = data;

	s->runs++;
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
	*where = callee_where(data);
	return (int32_t)(n & INT32_MAX);
}

static int64_t cs_buf_ret(void *ctx, void *data, uint64_t cap, uint64_t want)
{
	struct callee_state *s = ctx;

	s->runs++;
	memset(data, 0xa5, (size_t)(want < cap ? want : cap));
	return (int64_t)want;
}

static int32_t cs_buf_len(void *ctx, void *data, int32_t cap, int32_t *got, int32_t want)
{
	struct callee_state *s = ctx;

	s->runs++;
	if (want > 0)
		memset(data, 0x5a, (size_t)(want < cap ? want : cap));
	*got = want;
	return 33;
}

static int64_t cs_buf_io(void *ctx, void *data, uint32_t n, uint32_t keep, uint64_t *where)
{
	struct callee_state *s = ctx;
	uint8_t *p = data;

	s->runs++;
	for (uint32_t i = 0; i < n; i++)
		p[i] ^= 0xff;
	*where = callee_where(data);
	return keep;
}

static int32_t cs_buf_io_all(void *ctx, void *data, uint16_t n, uint64_t *where)
{
	struct callee_state *s = ctx;
	uint8_t *p = data;

	s->runs++;
	for (uint32_t i = 0; i < n; i++)
		p[i]++;
	*where = callee_where(data);
	return n;
}

static int cs_note(void *ctx, const char *text, const void *blob, uint32_t n, bool flag,
		   enum roundtrip_level lvl)
{
	struct callee_state *s = ctx;
	char byte;

	s->runs++;
	if (!strncmp(text, "wait", 4)) {
		__atomic_store_n(&sh->note_state, 1, __ATOMIC_RELEASE);
		while (read(fix.release[0], &byte, 1) < 0 && errno == EINTR)
			;
	}
	/* Read the blob only now: the caller has gone on meanwhile. */
	snprintf(s->note_text, sizeof(s->note_text), "%s", text);
	s->note_hash = fnv(blob, n);
	s->note_n = n;
	s->note_flag = flag;
	s->note_lvl = lvl;
	s->notes++;
	__atomic_store_n(&sh->note_state, 2, __ATOMIC_RELEASE);
	/* Nobody sees either: a oneway call's result is discarded. */
	return flag ? -EIO : 777;
}

static int32_t cs_last_note(void *ctx, char *text, size_t text_size, uint64_t *blob_sum,
			    uint32_t *n, bool *flag, enum roundtrip_level *lvl, uint32_t *count)
{
	struct callee_state *s = ctx;

	s->runs++;
	snprintf(text, text_size, "%s", s->note_text);
	*blob_sum = s->note_hash;
	*n = s->note_n;
	*flag = s->note_flag;
	*lvl = s->note_lvl;
	*count = s->notes;
	return 41;
}

static int64_t cs_runs(void *ctx)
{
	struct callee_state *s = ctx;

	return s->runs;
}

static int cs_ping(void *ctx)
{
	struct callee_state *s = ctx;

	s->runs++;
	return 0;
}

static const struct rt_ops callee_ops = {
	.scalars = cs_scalars,
	.inout_scalars = cs_inout_scalars,
	.records = cs_records,
	.arrays = cs_arrays,
	.strings = cs_strings,
	.buf_in = cs_buf_in,
	.buf_out = cs_buf_out,
	.buf_ret = cs_buf_ret,
	.buf_len = cs_buf_len,
	.buf_io = cs_buf_io,
	.buf_io_all = cs_buf_io_all,
	.note = cs_note,
	.last_note = cs_last_note,
	.runs = cs_runs,
	.ping = cs_ping,
};

static struct callee_state callee_state;

/* The generated dispatch, then whatever sh->evil says: a hostile callee
 * whose replies are wrong in ways the caller stub has to catch. */
static int64_t evil_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call)
{
	int64_t ret = rt_dispatch(ops, ctx, call);
	struct evil ev;

	if (!__atomic_load_n(&sh->evil.on, __ATOMIC_ACQUIRE))
		return ret;
	memcpy(&ev, &sh->evil, sizeof(ev));
	if (ev.res_n)
		memcpy((uint8_t *)call->results + ev.res_at, ev.res_bytes, ev.res_n);
	call->res_len = (uint32_t)((int64_t)call->res_len + ev.res_len_delta);
	if (ev.str_room) {
		struct vmrpc_wire_str w;
		void *slot;

		memcpy(&w, (const uint8_t *)call->args + ev.str_at, sizeof(w));
		if (vmrpc_incall_out_buf(call, w.off, ev.str_room, &slot) == 0)
			memset(slot, 'X', ev.str_room);
	}
	if (ev.set_status)
		ret = ev.status;
	return ret;
}

static const struct vmrpc_service callee_svc = {
	.iface = &rt_iface,
	.dispatch = evil_dispatch,
	.ops = &callee_ops,
	.ctx = &callee_state,
};

/* ---- fixture ------------------------------------------------------------ */

static int fixture_setup(void **state)
{
	const struct vmrpc_iface *ifaces[] = { &rt_iface };
	struct fixture *f = &fix;

	if (unit_setup(state) < 0)
		return -1;
	memset(f, 0, sizeof(*f));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	assert_int_equal(pipe(f->release), 0);
	unit_region_create(4, CHAN_SIZE, &f->host, &f->bell_fd);
	assert_int_equal(vmrpc_hostd_region_publish(f->host, ifaces, 1), 0);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &f->guest), 0);
	assert_int_equal(standin_callee_fork(f->host, f->bell_fd, &callee_svc, 1, STANDIN_SPIN_DEFAULT,
					     &f->child),
			 0);
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &f->ch), 0);
	assert_int_equal(rt_bind(f->ch, &f->b), 0);
	f->idx = vmrpc_chan_index(f->ch);
	unit_chan_arena(f->guest, f->idx, &f->arena_start, &f->arena_end);
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vmrpc_chan_close(f->ch);
	if (f->child > 0)
		unit_kill_child(f->child);
	close(f->bell_fd);
	close(f->release[0]);
	close(f->release[1]);
	vmrpc_region_close(f->guest);
	vmrpc_region_close(f->host);
	munmap(sh, sizeof(*sh));
	sh = NULL;
	return unit_teardown(state);
}

/* The region offset of p, a pointer into the caller's mapping. */
static uint64_t guest_off(struct fixture *f, const void *p)
{
	return (uint64_t)((const uint8_t *)p - (const uint8_t *)vmrpc_region_hdr(f->guest));
}

static int64_t runs(struct fixture *f)
{
	int64_t n = rt_runs(&f->b);

	assert_true(n >= 0);
	return n;
}

/* ---- values round trip ------------------------------------------------ */

struct scalar_set {
	bool b;
	int8_t i8;
	uint8_t u8;
	int16_t i16;
	uint16_t u16;
	int32_t i32;
	uint32_t u32;
	int64_t i64;
	uint64_t u64;
	uint32_t f;
	uint64_t d;
	enum roundtrip_level e;
};

static const struct scalar_set scalar_sets[] = {
	{ true, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX, INT64_MIN,
	  UINT64_MAX, 0x7fc12345u /* quiet NaN with a payload */,
	  0x7ff8deadbeef0001ull, ROUNDTRIP_LEVEL_FLOOR },
	{ false, INT8_MAX, 0, INT16_MAX, 0, INT32_MAX, 0, INT64_MAX, 0, 0x80000000u /* -0 */,
	  0x8000000000000000ull, ROUNDTRIP_LEVEL_TOP },
	{ true, -1, 1, -1, 1, -1, 1, -1, 1, 0x00000001u /* smallest subnormal */,
	  0x0000000000000001ull, ROUNDTRIP_LEVEL_LOW },
	{ false, 0, 0x80, 0, 0x8000, 0, 0x80000000u, 0, 0x8000000000000000ull,
	  0x7f800000u /* +inf */, 0xfff0000000000000ull /* -inf */, ROUNDTRIP_LEVEL_MID },
	{ true, 42, 42, 4242, 4242, 424242, 424242, 4242424242424242, 4242424242424242u,
	  0x7f7fffffu /* FLT_MAX */, 0x7fefffffffffffffull /* DBL_MAX */, ROUNDTRIP_LEVEL_HIGH },
};

static void test_scalars(void **state)
{
	struct fixture *f = *state;

	for (size_t k = 0; k < sizeof(scalar_sets) / sizeof(scalar_sets[0]); k++) {
		const struct scalar_set *v = &scalar_sets[k];
		bool ob = !v->b;
		int8_t o8 = 0;
		uint8_t ou8 = 0;
		int16_t o16 = 0;
		uint16_t ou16 = 0;
		int32_t o32 = 0;
		uint32_t ou32 = 0;
		int64_t o64 = 0;
		uint64_t ou64 = 0;
		float of = 0;
		double od = 0;
		enum roundtrip_level oe = level_next(v->e);

		assert_int_equal(rt_scalars(&f->b, v->b, v->i8, v->u8, v->i16, v->u16, v->i32,
					    v->u32, v->i64, v->u64, u2f(v->f), u2d(v->d), v->e,
					    &ob, &o8, &ou8, &o16, &ou16, &o32, &ou32, &o64,
					    &ou64, &of, &od, &oe),
				 7);
		assert_true(ob == v->b);
		assert_int_equal(o8, v->i8);
		assert_int_equal(ou8, v->u8);
		assert_int_equal(o16, v->i16);
		assert_int_equal(ou16, v->u16);
		assert_int_equal(o32, v->i32);
		assert_int_equal(ou32, v->u32);
		assert_true(o64 == v->i64);
		assert_true(ou64 == v->u64);
		assert_int_equal(f2u(of), v->f);
		assert_true(d2u(od) == v->d);
		assert_int_equal(oe, v->e);
	}
	/* Out scalars may be NULL. */
	assert_int_equal(rt_scalars(&f->b, true, 1, 2, 3, 4, 5, 6, 7, 8, 1.5f, 2.5,
				    ROUNDTRIP_LEVEL_HIGH, NULL, NULL, NULL, NULL, NULL, NULL,
				    NULL, NULL, NULL, NULL, NULL, NULL),
			 7);
}

static void test_inout_scalars(void **state)
{
	struct fixture *f = *state;

	for (size_t k = 0; k < sizeof(scalar_sets) / sizeof(scalar_sets[0]); k++) {
		const struct scalar_set *v = &scalar_sets[k];
		struct scalar_set o = *v;
		float fl = u2f(v->f);
		double db = u2d(v->d);

		/* Twice: the second call undoes the first, but for the enum. */
		for (int round = 1; round <= 2; round++) {
			assert_int_equal(rt_inout_scalars(&f->b, &o.b, &o.i8, &o.u8, &o.i16,
							  &o.u16, &o.i32, &o.u32, &o.i64,
							  &o.u64, &fl, &db, &o.e),
					 8);
			if (round == 1) {
				assert_true(o.b == !v->b);
				assert_int_equal(o.i8, (int8_t)~v->i8);
				assert_int_equal(o.u8, (uint8_t)~v->u8);
				assert_int_equal(o.i16, (int16_t)~v->i16);
				assert_int_equal(o.u16, (uint16_t)~v->u16);
				assert_int_equal(o.i32, ~v->i32);
				assert_int_equal(o.u32, ~v->u32);
				assert_true(o.i64 == ~v->i64);
				assert_true(o.u64 == ~v->u64);
				assert_int_equal(f2u(fl), v->f ^ 0x80000000u);
				assert_true(d2u(db) == (v->d ^ 0x8000000000000000ull));
				assert_int_equal(o.e, level_next(v->e));
			}
		}
		assert_true(o.b == v->b);
		assert_int_equal(o.i8, v->i8);
		assert_int_equal(o.u8, v->u8);
		assert_int_equal(o.i16, v->i16);
		assert_int_equal(o.u16, v->u16);
		assert_int_equal(o.i32, v->i32);
		assert_int_equal(o.u32, v->u32);
		assert_true(o.i64 == v->i64);
		assert_true(o.u64 == v->u64);
		assert_int_equal(f2u(fl), v->f);
		assert_true(d2u(db) == v->d);
		assert_int_equal(o.e, level_next(level_next(v->e)));
	}
}

/* A record with every member set, labels and names at their bounds. */
static void record_fill(struct roundtrip_record *r, unsigned seed)
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < ROUNDTRIP_N_ITEMS; i++) {
		struct roundtrip_item *it = &r->items[i];

		if (i == 0)
			memset(it->label, 'a' + (int)(seed % 26), ROUNDTRIP_TAG_MAX); /* 15 bytes */
		else if (i == 1)
			strcpy(it->label, ""); /* empty */
		else
			snprintf(it->label, sizeof(it->label), "item%u.%u", i, seed);
		it->lvl = i == 0 ? ROUNDTRIP_LEVEL_FLOOR : i == 1 ? ROUNDTRIP_LEVEL_TOP : ROUNDTRIP_LEVEL_LOW;
		it->on = (i + seed) % 2;
		it->w = u2f(0x7fc00000u | (seed + i)); /* NaN payloads */
	}
	for (unsigned i = 0; i < 5; i++)
		r->bits[i] = (i + seed) % 3 == 0;
	r->lvls[0] = ROUNDTRIP_LEVEL_HIGH;
	r->lvls[1] = ROUNDTRIP_LEVEL_FLOOR;
	strcpy(r->names[0], "seven!!"); /* string<7>: 7 bytes */
	strcpy(r->names[1], "x");
	r->i8 = INT8_MIN;
	r->u8 = UINT8_MAX;
	r->i16 = INT16_MIN;
	r->u16 = UINT16_MAX;
	r->i32 = INT32_MIN + (int32_t)seed;
	r->u32 = UINT32_MAX - seed;
	r->i64 = INT64_MIN + seed;
	r->u64 = UINT64_MAX - seed;
	r->f = u2f(0xff812345u);
	r->d = u2d(0xfff4000000000123ull + seed);
}

static void test_records(void **state)
{
	struct fixture *f = *state;
	struct roundtrip_record in_r, io_r, out_r, want;

	record_fill(&in_r, 1);
	record_fill(&io_r, 2);
	want = io_r;
	record_change(&want);
	memset(&out_r, 0xee, sizeof(out_r));
	assert_int_equal(rt_records(&f->b, &in_r, &io_r, &out_r), 9);
	/* No implicit padding: whole structs compare byte for byte. */
	assert_memory_equal(&out_r, &in_r, sizeof(in_r));
	assert_memory_equal(&io_r, &want, sizeof(want));
	assert_string_equal(io_r.names[0], "x");
	assert_string_equal(io_r.names[1], "changed");
	assert_int_equal(io_r.items[0].lvl, ROUNDTRIP_LEVEL_LOW);
	assert_int_equal(f2u(io_r.f), 0x7f812345u);
	/* Out may be NULL; inout comes back all the same. */
	assert_int_equal(rt_records(&f->b, &in_r, &io_r, NULL), 9);
	record_change(&want);
	assert_memory_equal(&io_r, &want, sizeof(want));
}

static void test_arrays(void **state)
{
	struct fixture *f = *state;
	const bool flags[4] = { true, false, false, true };
	const enum roundtrip_level lvls[3] = { ROUNDTRIP_LEVEL_FLOOR, ROUNDTRIP_LEVEL_MID,
					       ROUNDTRIP_LEVEL_TOP };
	struct roundtrip_item items[2], oitems[2];
	bool oflags[4] = { 0 };
	enum roundtrip_level olvls[3] = { 0 };
	uint16_t ring[5] = { 0, 1, UINT16_MAX, 0x5555, 0x8000 };
	bool iflags[2] = { true, false };

	memset(items, 0, sizeof(items));
	memset(items[0].label, 'q', ROUNDTRIP_TAG_MAX);
	items[0].lvl = ROUNDTRIP_LEVEL_HIGH;
	items[0].on = true;
	items[0].w = -FLT_MIN;
	strcpy(items[1].label, "second");
	items[1].lvl = ROUNDTRIP_LEVEL_LOW;
	items[1].w = FLT_MAX;
	memset(oitems, 0, sizeof(oitems));
	assert_int_equal(rt_arrays(&f->b, flags, lvls, items, oflags, olvls, oitems, ring, iflags),
			 10);
	for (unsigned i = 0; i < 4; i++)
		assert_true(oflags[i] == !flags[i]);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(olvls[i], lvls[2 - i]);
	assert_memory_equal(&oitems[0], &items[1], sizeof(items[1]));
	assert_memory_equal(&oitems[1], &items[0], sizeof(items[0]));
	assert_int_equal(ring[0], 1);
	assert_int_equal(ring[1], 4);
	assert_int_equal(ring[2], (uint16_t)(UINT16_MAX * 3u + 1u));
	assert_int_equal(ring[3], (uint16_t)(0x5555u * 3u + 1u));
	assert_int_equal(ring[4], (uint16_t)(0x8000u * 3u + 1u));
	assert_false(iflags[0]);
	assert_true(iflags[1]);
}

/* ---- strings -------------------------------------------------------------- */

static void test_strings(void **state)
{
	struct fixture *f = *state;
	char max15[16], max16[17], b[16], c[16], e[16];
	static char big[5002], big_out[5001];
	int64_t before;

	memset(max15, 'm', 15);
	max15[15] = '\0';
	memset(max16, 'M', 16);
	max16[16] = '\0';
	for (int i = 0; i < 5000; i++)
		big[i] = (char)('!' + i % 90);
	big[5000] = '\0';

	/* Every string at its bound: MAX bytes. */
	strcpy(c, "abcdefghijklmno");
	assert_int_equal(rt_strings(&f->b, max15, b, sizeof(b), c, sizeof(c), max15, e,
				    sizeof(e), big, big_out, 5001),
			 15 * 3 + 5000);
	assert_string_equal(b, max15);
	assert_string_equal(c, "onmlkjihgfedcba");
	assert_string_equal(e, max15);
	assert_int_equal(strlen(big_out), 5000);
	assert_memory_equal(big_out, big, 5001);

	/* Every string empty. */
	memset(b, 'z', sizeof(b));
	memset(e, 'z', sizeof(e));
	c[0] = '\0';
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, sizeof(c), "", e, sizeof(e), "",
				    big_out, 5001),
			 0);
	assert_string_equal(b, "");
	assert_string_equal(c, "");
	assert_string_equal(e, "");
	assert_string_equal(big_out, "");

	/* MAX + 1 bytes: the caller stub refuses, nothing is sent. */
	before = runs(f);
	strcpy(c, "in");
	memset(b, 'z', sizeof(b));
	assert_int_equal(rt_strings(&f->b, max16, b, sizeof(b), c, sizeof(c), "", e, sizeof(e),
				    "", big_out, 5001),
			 -ENAMETOOLONG);
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), max16, sizeof(max16), "", e,
				    sizeof(e), "", big_out, 5001),
			 -ENAMETOOLONG);
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, sizeof(c), max16, e, sizeof(e),
				    "", big_out, 5001),
			 -ENAMETOOLONG);
	big[5000] = 'x';
	big[5001] = '\0';
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, sizeof(c), "", e, sizeof(e), big,
				    big_out, 5001),
			 -ENAMETOOLONG);
	big[5000] = '\0';
	assert_int_equal(runs(f), before);
	assert_string_equal(c, "in");
	assert_memory_equal(b, "zzzzzzzzzzzzzzzz", sizeof(b));

	/* An out string that does not fit the caller's buffer: -ERANGE. Just
	 * fitting (the string and its NUL) is fine. */
	assert_int_equal(rt_strings(&f->b, "hello", b, 6, c, sizeof(c), "", e, sizeof(e), "",
				    big_out, 5001),
			 5 + 2);
	assert_string_equal(b, "hello");
	assert_int_equal(rt_strings(&f->b, "hello", b, 5, c, sizeof(c), "", e, sizeof(e), "",
				    big_out, 5001),
			 -ERANGE);
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, sizeof(c), "", e, sizeof(e), big,
				    big_out, 5000),
			 -ERANGE);
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, sizeof(c), "", e, 0, "", big_out,
				    5001),
			 -ERANGE);
	strcpy(c, "0123456789");
	assert_int_equal(rt_strings(&f->b, "", b, sizeof(b), c, 10, "", e, sizeof(e), "",
				    big_out, 5001),
			 -ERANGE);
}

/* ---- buffers ------------------------------------------------------------ */

static void test_buffers_empty(void **state)
{
	struct fixture *f = *state;
	uint8_t one = 0x77, out[8];
	int32_t got = -5;
	uint64_t where = 0;

	/* Size 0, with and without a pointer. */
	assert_int_equal(rt_buf_in(&f->b, NULL, 0, &where), 0);
	assert_true(where >= f->arena_start && where <= f->arena_end);
	assert_int_equal(rt_buf_in(&f->b, &one, 0, NULL), 0);
	assert_int_equal(rt_buf_out(&f->b, NULL, 0, 1, NULL), 0);
	assert_int_equal(rt_buf_ret(&f->b, NULL, 0, 0), 0);
	assert_int_equal(rt_buf_len(&f->b, NULL, 0, &got, 0), 33);
	assert_int_equal(got, 0);
	assert_int_equal(rt_buf_io(&f->b, NULL, 0, 0, NULL), 0);
	assert_int_equal(rt_buf_io_all(&f->b, NULL, 0, NULL), 0);
	/* A zero length returned for a non-empty buffer copies nothing. */
	memset(out, 0x11, sizeof(out));
	assert_int_equal(rt_buf_ret(&f->b, out, sizeof(out), 0), 0);
	assert_int_equal(rt_buf_len(&f->b, out, sizeof(out), &got, 0), 33);
	assert_int_equal(rt_buf_io(&f->b, out, sizeof(out), 0, NULL), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0x11);
	/* One byte. */
	assert_int_equal(rt_buf_in(&f->b, &one, 1, NULL), 0x77);
	assert_int_equal(rt_buf_io(&f->b, &one, 1, 1, NULL), 1);
	assert_int_equal(one, 0x88);
}

static void test_buffers_values(void **state)
{
	struct fixture *f = *state;
	enum { N = 4099 };
	static uint8_t in[N], out[N];
	int64_t sum = 0;
	int32_t got;
	uint64_t where;

	for (unsigned i = 0; i < N; i++) {
		in[i] = (uint8_t)(i * 7 + 3);
		sum += in[i];
	}
	assert_int_equal(rt_buf_in(&f->b, in, N, &where), sum);
	assert_true(where >= f->arena_start && where + N <= f->arena_end);

	memset(out, 0, N);
	assert_int_equal(rt_buf_out(&f->b, out, N, 200, &where), N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], (uint8_t)(200 + i));

	/* Out with return: only the returned length is copied back. */
	memset(out, 0, N);
	assert_int_equal(rt_buf_ret(&f->b, out, N, 100), 100);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], i < 100 ? 0xa5 : 0);
	assert_int_equal(rt_buf_ret(&f->b, out, N, N), N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], 0xa5);

	/* Out with an out length, signed. */
	memset(out, 0, N);
	assert_int_equal(rt_buf_len(&f->b, out, N, &got, 10), 33);
	assert_int_equal(got, 10);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], i < 10 ? 0x5a : 0);
	assert_int_equal(rt_buf_len(&f->b, out, N, &got, N), 33);
	assert_int_equal(got, N);
	assert_int_equal(out[N - 1], 0x5a);
	/* A negative size: the stub refuses before sending. */
	assert_int_equal(rt_buf_len(&f->b, out, -1, &got, 0), -EINVAL);
	assert_int_equal(rt_buf_len(&f->b, out, INT32_MIN, &got, 0), -EINVAL);

	/* Inout with return: all of it changes in the arena, keep bytes come back. */
	memcpy(out, in, N);
	assert_int_equal(rt_buf_io(&f->b, out, N, 1000, &where), 1000);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], i < 1000 ? (uint8_t)~in[i] : in[i]);
	assert_true(where >= f->arena_start && where < f->arena_end);
	assert_true(where != guest_off(f, out)); /* a copy, out is not in the region */

	/* Inout without a length: all of it comes back. */
	memcpy(out, in, N);
	assert_int_equal(rt_buf_io_all(&f->b, out, N, NULL), N);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(out[i], (uint8_t)(in[i] + 1));
}

/* A buffer as large as the arena fits; one byte more is -VMRPC_E2BIG. */
static void test_buffers_arena_limit(void **state)
{
	struct fixture *f = *state;
	uint64_t arena = f->arena_end - f->arena_start, where = 0;
	static uint8_t buf[CHAN_SIZE];
	int64_t before;
	uint32_t n = (uint32_t)arena;

	assert_true(arena > UINT16_MAX && arena + 1 <= sizeof(buf));
	memset(buf, 1, arena + 1);
	assert_int_equal(rt_buf_in(&f->b, buf, arena, &where), (int64_t)arena);
	assert_true(where == f->arena_start);
	assert_int_equal(rt_buf_out(&f->b, buf, n, 9, &where), (int32_t)n);
	assert_true(where == f->arena_start);
	assert_int_equal(buf[arena - 1], (uint8_t)(9 + n - 1));
	assert_int_equal(rt_buf_ret(&f->b, buf, arena, arena), (int64_t)arena);
	assert_int_equal(buf[arena - 1], 0xa5);
	assert_int_equal(rt_buf_io(&f->b, buf, n, n, NULL), (int64_t)n);
	assert_int_equal(buf[0], 0x5a);

	before = runs(f);
	assert_int_equal(rt_buf_in(&f->b, buf, arena + 1, NULL), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_in(&f->b, buf, UINT64_MAX, NULL), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_out(&f->b, buf, n + 1, 9, NULL), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_out(&f->b, buf, UINT32_MAX, 9, NULL), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_ret(&f->b, buf, arena + 1, 0), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_len(&f->b, buf, (int32_t)n + 1, NULL, 0), -VMRPC_E2BIG);
	assert_int_equal(rt_buf_io(&f->b, buf, n + 1, 0, NULL), -VMRPC_E2BIG);
	assert_int_equal(runs(f), before);

	/* The uint16 size at its maximum. */
	for (unsigned i = 0; i < UINT16_MAX; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(rt_buf_io_all(&f->b, buf, UINT16_MAX, NULL), UINT16_MAX);
	for (unsigned i = 0; i < UINT16_MAX; i++)
		assert_int_equal(buf[i], (uint8_t)(i + 1));
}

/* ---- zero copy: buffers kept in the arena ---------------------------------- */

static void test_zero_copy(void **state)
{
	struct fixture *f = *state;
	enum { N = 1000 };
	static uint8_t heap[N];
	uint8_t *kept;
	uint64_t where = 0, kept_off;
	int64_t sum = 0;
	char s[16];

	assert_int_equal(vmrpc_chan_buf_alloc(f->ch, N, (void **)&kept), 0);
	kept_off = guest_off(f, kept);
	assert_true(kept_off >= f->arena_start && kept_off + N <= f->arena_end);
	for (unsigned i = 0; i < N; i++) {
		kept[i] = (uint8_t)(i * 13);
		heap[i] = kept[i];
		sum += kept[i];
	}

	/* In: the callee reads the kept buffer itself. */
	assert_int_equal(rt_buf_in(&f->b, kept, N, &where), sum);
	assert_true(where == kept_off);
	/* ... and a part of it at its own offset. */
	assert_int_equal(rt_buf_in(&f->b, kept + 100, 1, &where), kept[100]);
	assert_true(where == kept_off + 100);

	/* Inout: the callee changes all N bytes in place; only keep = 10 would
	 * be copied back, so seeing all of them changed proves no copy. */
	assert_int_equal(rt_buf_io(&f->b, kept, N, 10, &where), 10);
	assert_true(where == kept_off);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(kept[i], (uint8_t)~heap[i]);
	/* The same call on a heap buffer goes through an arena slot and
	 * copies back keep bytes only. */
	assert_int_equal(rt_buf_io(&f->b, heap, N, 10, &where), 10);
	assert_true(where != kept_off);
	assert_true(where >= f->arena_start && where + N <= kept_off);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(heap[i], i < 10 ? kept[i] : (uint8_t)~kept[i]);

	/* Out: written in place, also from an offset inside the buffer. */
	assert_int_equal(rt_buf_out(&f->b, kept + 64, 64, 3, &where), 64);
	assert_true(where == kept_off + 64);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(kept[64 + i], (uint8_t)(3 + i));
	assert_int_equal(rt_buf_ret(&f->b, kept, N, 5), 5);
	assert_int_equal(kept[4], 0xa5);
	assert_int_equal(rt_buf_io_all(&f->b, kept, 2, &where), 2);
	assert_true(where == kept_off);
	assert_int_equal(kept[0], 0xa6);

	/* A range that starts below the kept buffer is not passed in place. */
	assert_true(rt_buf_in(&f->b, kept - 64, 128, &where) >= 0);
	assert_true(where == f->arena_start);
	vmrpc_chan_buf_free(f->ch, kept);

	/* The whole arena kept: calls have no arena left, except for the
	 * kept buffer itself, which needs none. */
	{
		uint64_t arena = f->arena_end - f->arena_start;
		uint8_t *all;

		strcpy(s, "");

		assert_int_equal(vmrpc_chan_buf_alloc(f->ch, arena + 1, (void **)&all), -EINVAL);
		assert_int_equal(vmrpc_chan_buf_alloc(f->ch, arena, (void **)&all), 0);
		assert_true(guest_off(f, all) == f->arena_start);
		assert_int_equal(rt_strings(&f->b, "a", s, sizeof(s), s, sizeof(s), "", s,
					    sizeof(s), "", s, sizeof(s)),
				 -VMRPC_E2BIG);
		assert_int_equal(rt_buf_in(&f->b, heap, 1, NULL), -VMRPC_E2BIG);
		memset(all, 0x0f, arena);
		assert_int_equal(rt_buf_io(&f->b, all, (uint32_t)arena, 0, &where), 0);
		assert_true(where == f->arena_start);
		assert_int_equal(all[0], 0xf0);
		assert_int_equal(all[arena - 1], 0xf0);
		vmrpc_chan_buf_free(f->ch, all);
	}
	assert_int_equal(rt_buf_in(&f->b, heap, 1, NULL), heap[0]);
}

/* ---- oneway ----------------------------------------------------------------- */

static void release_note(void *arg)
{
	struct fixture *f = arg;

	assert_int_equal(write(f->release[1], "r", 1), 1);
}

static void test_oneway(void **state)
{
	struct fixture *f = *state;
	struct unit_later later;
	uint8_t blob[300], other[400];
	char text[32];
	uint64_t hash = 0, where;
	uint32_t n = 0, count = 0;
	bool flag = false;
	enum roundtrip_level lvl = ROUNDTRIP_LEVEL_MID;
	int64_t sum = 0;

	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i ^ 0x3c);
	for (unsigned i = 0; i < sizeof(other); i++) {
		other[i] = (uint8_t)(i * 5);
		sum += other[i];
	}
	/* The note blocks in the callee until released; the stub returns
	 * anyway (otherwise this hangs until the watchdog fires). */
	assert_int_equal(rt_note(&f->b, "wait: at most 31 bytes, all kept", blob, sizeof(blob),
				 true, ROUNDTRIP_LEVEL_FLOOR),
			 -ENAMETOOLONG); /* 32 bytes: refused before sending */
	assert_int_equal(rt_note(&f->b, "wait: 31 bytes, its whole bound", blob, sizeof(blob),
				 true, ROUNDTRIP_LEVEL_FLOOR),
			 0);
	/* Release it later, from another thread, while this one is already
	 * in the next call: that call waits for the note, and its own arena
	 * data (at the offsets the note's text and blob use) must not be
	 * written before the note has read them. */
	unit_later_start(&later, 100, release_note, f);
	memset(blob, 0, sizeof(blob)); /* the caller's copy is the caller's */
	assert_int_equal(rt_buf_in(&f->b, other, sizeof(other), &where), sum);
	unit_later_join(&later);
	assert_int_equal(__atomic_load_n(&sh->note_state, __ATOMIC_ACQUIRE), 2);
	/* The next call got its own result, not the note's -EIO. */
	assert_int_equal(where, f->arena_start);
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i ^ 0x3c);
	assert_int_equal(rt_last_note(&f->b, text, sizeof(text), &hash, &n, &flag, &lvl, &count),
			 41);
	assert_string_equal(text, "wait: 31 bytes, its whole bound");
	assert_true(hash == fnv(blob, sizeof(blob)));
	assert_int_equal(n, sizeof(blob));
	assert_true(flag);
	assert_int_equal(lvl, ROUNDTRIP_LEVEL_FLOOR);
	assert_int_equal(count, 1);

	/* Back to back: a note, then at once a call that reuses the arena. */
	for (unsigned k = 0; k < 200; k++) {
		char t[32];

		snprintf(t, sizeof(t), "note %u", k);
		memset(blob, (int)k, sizeof(blob));
		assert_int_equal(rt_note(&f->b, t, blob, k % sizeof(blob), k % 2,
					 k % 3 ? ROUNDTRIP_LEVEL_TOP : ROUNDTRIP_LEVEL_LOW),
				 0);
		memset(blob, 0xff, sizeof(blob));
		if (k % 2)
			assert_int_equal(rt_buf_in(&f->b, other, sizeof(other), NULL), sum);
		memset(blob, (int)k, sizeof(blob));
		assert_int_equal(rt_last_note(&f->b, text, sizeof(text), &hash, &n, &flag, &lvl,
					      &count),
				 41);
		assert_string_equal(text, t);
		assert_true(hash == fnv(blob, k % sizeof(blob)));
		assert_int_equal(n, k % sizeof(blob));
		assert_true(flag == (k % 2 == 1));
		assert_int_equal(lvl, k % 3 ? ROUNDTRIP_LEVEL_TOP : ROUNDTRIP_LEVEL_LOW);
		assert_int_equal(count, k + 2);
	}
	/* Two notes in a row: the second waits for the first. */
	assert_int_equal(rt_note(&f->b, "first", blob, 1, false, ROUNDTRIP_LEVEL_MID), 0);
	assert_int_equal(rt_note(&f->b, "second", blob, 2, false, ROUNDTRIP_LEVEL_HIGH), 0);
	assert_int_equal(rt_last_note(&f->b, text, sizeof(text), NULL, &n, NULL, &lvl, &count), 41);
	assert_string_equal(text, "second");
	assert_int_equal(n, 2);
	assert_int_equal(lvl, ROUNDTRIP_LEVEL_HIGH);
	assert_int_equal(count, 203);
}

/* ---- explicit method ids -------------------------------------------------------- */

static int64_t raw_invoke(struct fixture *f, uint32_t method, const void *args, uint32_t len)
{
	struct vmrpc_outcall c;
	int err = vmrpc_outcall_begin(&f->b, &c);

	if (err < 0)
		return err;
	if (len)
		memcpy(c.args, args, len);
	return vmrpc_outcall_invoke(&c, method, len);
}

static void test_method_ids(void **state)
{
	struct fixture *f = *state;
	int64_t before;

	assert_int_equal(RT_METHOD_SCALARS, 7);
	assert_int_equal(RT_METHOD_RECORDS, 9);
	assert_int_equal(RT_METHOD_STRINGS, 20);
	assert_int_equal(RT_METHOD_BUF_IN, 30);
	assert_int_equal(RT_METHOD_NOTE, 40);
	assert_int_equal(RT_METHOD_RUNS, 100);
	assert_int_equal(RT_METHOD_PING, 101); /* the one after 100 */
	assert_int_equal(rt_iface.n_methods, 102);
	assert_string_equal(rt_iface.method_names[7], "scalars");
	assert_string_equal(rt_iface.method_names[101], "ping");
	assert_null(rt_iface.method_names[0]);
	assert_null(rt_iface.method_names[50]);

	before = runs(f);
	/* By number, on the wire: 101 is ping, 100 runs. */
	assert_int_equal(raw_invoke(f, 101, NULL, 0), 0);
	assert_int_equal(raw_invoke(f, 100, NULL, 0), before + 1);
	assert_int_equal(rt_ping(&f->b), 0);
	assert_int_equal(runs(f), before + 2);
	/* Ids in the gaps are no method; past the last, the stub refuses. */
	for (uint32_t m = 0; m < 102; m++) {
		if (rt_iface.method_names[m])
			continue;
		assert_int_equal(raw_invoke(f, m, NULL, 0), -EPROTO);
	}
	assert_int_equal(raw_invoke(f, 102, NULL, 0), -EINVAL);
	assert_int_equal(raw_invoke(f, UINT32_MAX, NULL, 0), -EINVAL);
	assert_int_equal(runs(f), before + 2);
}

/* ---- a hostile caller --------------------------------------------------------- */

struct raw {
	struct vmrpc_outcall c;
};

static void raw_begin(struct fixture *f, struct raw *r)
{
	assert_int_equal(vmrpc_outcall_begin(&f->b, &r->c), 0);
}

/* Copy n bytes into the arena; their region offset. */
static uint64_t raw_put(struct raw *r, const void *bytes, uint64_t n)
{
	uint64_t off;
	void *p;

	assert_int_equal(vmrpc_outcall_alloc(&r->c, n, &off, &p), 0);
	memcpy(p, bytes, (size_t)n);
	return off;
}

static int64_t raw_call(struct raw *r, uint32_t method, const void *args, uint32_t len)
{
	memcpy(r->c.args, args, len);
	return vmrpc_outcall_invoke(&r->c, method, len);
}

static struct rt_scalars_args good_scalars(void)
{
	struct rt_scalars_args a;

	memset(&a, 0, sizeof(a));
	a.b = true;
	a.e = ROUNDTRIP_LEVEL_HIGH;
	return a;
}

static void test_hostile_caller_values(void **state)
{
	struct fixture *f = *state;
	struct raw r;
	int64_t before = runs(f);

	/* The good forms are accepted (and do run). */
	{
		struct rt_scalars_args a = good_scalars();

		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_SCALARS, &a, sizeof(a)), 7);
		before++;
	}
	/* A bool byte other than 0 or 1, an undeclared enum value. */
	for (unsigned k = 0; k < 6; k++) {
		struct rt_scalars_args a = good_scalars();
		const uint8_t bad_bool[] = { 2, 0xff };
		const int32_t bad_enum[] = { 1, -6, INT32_MAX - 1, INT32_MIN + 1 };

		if (k < 2) {
			memcpy(&a.b, &bad_bool[k], 1);
		} else {
			int32_t v = bad_enum[k - 2];

			memcpy(&a.e, &v, sizeof(v));
		}
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_SCALARS, &a, sizeof(a)), -EINVAL);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_INOUT_SCALARS, &a, sizeof(a)), -EINVAL);
	}
	/* The args struct's size, exactly. */
	{
		struct rt_scalars_args a[2];

		memset(a, 0, sizeof(a));
		a[0] = good_scalars();
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_SCALARS, a, sizeof(a[0]) - 1), -EPROTO);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_SCALARS, a, sizeof(a[0]) + 1), -EPROTO);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_SCALARS, a, 0), -EPROTO);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_RUNS, a, 8), -EPROTO);
	}
	/* Structs: a bad member at any depth, in the in and in the inout one. */
	for (unsigned k = 0; k < 12; k++) {
		struct rt_records_args a;
		struct roundtrip_record *rec = k % 2 ? &a.io_r : &a.in_r;
		int32_t v = 3;

		memset(&a, 0, sizeof(a));
		record_fill(&a.in_r, 5);
		record_fill(&a.io_r, 6);
		switch (k / 2) {
		case 0: /* a bool in a struct in an array in the struct */
			memset(&rec->items[2].on, 2, 1);
			break;
		case 1: /* an element of a bool array */
			memset(&rec->bits[4], 0x80, 1);
			break;
		case 2: /* an enum in a struct in an array */
			memcpy(&rec->items[1].lvl, &v, sizeof(v));
			break;
		case 3: /* an element of an enum array */
			memcpy(&rec->lvls[1], &v, sizeof(v));
			break;
		case 4: /* an inline string without its NUL */
			memset(rec->items[0].label, 'A', sizeof(rec->items[0].label));
			break;
		case 5: /* an element of a string array without its NUL */
			memset(rec->names[1], 'B', sizeof(rec->names[1]));
			break;
		}
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_RECORDS, &a, sizeof(a)), -EINVAL);
	}
	/* Array parameters. */
	for (unsigned k = 0; k < 5; k++) {
		struct rt_arrays_args a;
		int32_t v = -8;

		memset(&a, 0, sizeof(a));
		switch (k) {
		case 0:
			memset(&a.flags[3], 2, 1);
			break;
		case 1:
			memcpy(&a.lvls[2], &v, sizeof(v));
			break;
		case 2:
			memset(&a.items[1].on, 7, 1);
			break;
		case 3:
			memset(a.items[0].label, 'C', sizeof(a.items[0].label));
			break;
		case 4:
			memset(&a.iflags[1], 0xfe, 1);
			break;
		}
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_ARRAYS, &a, sizeof(a)), -EINVAL);
	}
	/* A oneway call's args are checked too (invoked here to see why). */
	{
		struct rt_note_args a;

		memset(&a, 0, sizeof(a));
		raw_begin(f, &r);
		a.text.off = raw_put(&r, "x", 2);
		a.text.len = 1;
		memset(&a.flag, 2, 1);
		assert_int_equal(raw_call(&r, RT_METHOD_NOTE, &a, sizeof(a)), -EINVAL);
		raw_begin(f, &r);
		a.text.off = raw_put(&r, "x", 2);
		a.flag = false;
		a.lvl = (enum roundtrip_level)4;
		assert_int_equal(raw_call(&r, RT_METHOD_NOTE, &a, sizeof(a)), -EINVAL);
		/* and sent oneway: nothing runs, the next call works */
		raw_begin(f, &r);
		a.text.off = raw_put(&r, "x", 2);
		memcpy(r.c.args, &a, sizeof(a));
		assert_int_equal(vmrpc_outcall_send(&r.c, RT_METHOD_NOTE, sizeof(a)), 0);
	}
	assert_int_equal(runs(f), before);
}

/* A strings() call whose args are all good: put strings a, c, d, big and
 * slots b, e, big_out in the arena. */
static void raw_strings(struct raw *r, struct rt_strings_args *a)
{
	static const char zero[5001];

	memset(a, 0, sizeof(*a));
	a->a.off = raw_put(r, "aa", 3);
	a->a.len = 2;
	a->b.off = raw_put(r, zero, 16);
	a->b.len = 16;
	a->c.off = raw_put(r, "cc\0.............", 16);
	a->c.len = 2;
	a->d.off = raw_put(r, "", 1);
	a->e.off = raw_put(r, zero, 16);
	a->e.len = 16;
	a->big.off = raw_put(r, "big", 4);
	a->big.len = 3;
	a->big_out.off = raw_put(r, zero, 5001);
	a->big_out.len = 5001;
}

static void test_hostile_caller_strings(void **state)
{
	struct fixture *f = *state;
	struct rt_strings_args a;
	struct raw r;
	int64_t before;
	char *p;

	raw_begin(f, &r);
	raw_strings(&r, &a);
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), 2 + 2 + 0 + 3);
	before = runs(f);

	/* The byte at len is not a NUL: an unterminated in string. */
	raw_begin(f, &r);
	raw_strings(&r, &a);
	a.a.off = raw_put(&r, "aaaa", 4);
	a.a.len = 3;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	/* the same for the inout string, the typedef'd one, the long one */
	raw_begin(f, &r);
	raw_strings(&r, &a);
	p = (char *)vmrpc_region_hdr(f->guest) + a.c.off;
	memset(p, 'c', 16);
	a.c.len = 15;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	raw_begin(f, &r);
	raw_strings(&r, &a);
	a.d.off = raw_put(&r, "ddd", 3);
	a.d.len = 2;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	raw_begin(f, &r);
	raw_strings(&r, &a);
	{
		static char big[5001];

		memset(big, 'g', 5001);
		a.big.off = raw_put(&r, big, 5001);
		a.big.len = 5000;
	}
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	/* A NUL before len. */
	raw_begin(f, &r);
	raw_strings(&r, &a);
	a.a.off = raw_put(&r, "a\0a", 4);
	a.a.len = 3;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	/* len past the bound, even with a NUL where it says. */
	raw_begin(f, &r);
	raw_strings(&r, &a);
	a.a.off = raw_put(&r, "0123456789abcdef", 17);
	a.a.len = 16;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	raw_begin(f, &r);
	raw_strings(&r, &a);
	a.c.len = UINT32_MAX;
	assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EINVAL);
	/* Outside the arena: below it, in the header, past its end, in
	 * another channel, offsets that wrap. */
	{
		uint64_t other_start, other_end;
		const uint64_t offs[] = { 0, f->arena_start - 1, f->arena_start - 16, f->arena_end,
					  f->arena_end - 1, UINT64_MAX, UINT64_MAX - 1, 0 };
		uint64_t bad[sizeof(offs) / sizeof(offs[0])];

		memcpy(bad, offs, sizeof(offs));
		unit_chan_arena(f->guest, (f->idx + 1) % 4, &other_start, &other_end);
		bad[sizeof(bad) / sizeof(bad[0]) - 1] = other_start;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			/* an in string of one byte and its NUL */
			raw_begin(f, &r);
			raw_strings(&r, &a);
			a.d.off = bad[i];
			a.d.len = 1;
			assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EFAULT);
			/* an out string's slot */
			raw_begin(f, &r);
			raw_strings(&r, &a);
			a.e.off = bad[i];
			assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EFAULT);
			/* the long out string's slot */
			raw_begin(f, &r);
			raw_strings(&r, &a);
			a.big_out.off = bad[i];
			assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EFAULT);
		}
		/* An inout string whose string fits but whose slot (16 bytes)
		 * runs past the arena. */
		raw_begin(f, &r);
		raw_strings(&r, &a);
		a.c.off = f->arena_end - 1;
		a.c.len = 0;
		p = (char *)vmrpc_region_hdr(f->guest) + a.c.off;
		*p = '\0';
		assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EFAULT);
		/* A string that starts in the arena and ends past it. */
		raw_begin(f, &r);
		raw_strings(&r, &a);
		a.a.off = f->arena_end - 4;
		a.a.len = 4;
		assert_int_equal(raw_call(&r, RT_METHOD_STRINGS, &a, sizeof(a)), -EFAULT);
	}
	assert_int_equal(runs(f), before);
}

static void test_hostile_caller_buffers(void **state)
{
	struct fixture *f = *state;
	uint64_t other_start, other_end, arena = f->arena_end - f->arena_start;
	struct raw r;
	int64_t before = runs(f);

	unit_chan_arena(f->guest, (f->idx + 1) % 4, &other_start, &other_end);
	const struct {
		uint64_t off, n;
	} bad[] = {
		{ 0, 1 },                             /* the region header */
		{ f->arena_start - 1, 1 },            /* the channel header */
		{ f->arena_start - 8, 16 },           /* straddles the arena's start */
		{ f->arena_end - 8, 9 },              /* one past the arena's end */
		{ f->arena_end, 1 },
		{ f->arena_end + 1, 0 },              /* empty, but not in the arena */
		{ f->arena_start, arena + 1 },        /* larger than the arena */
		{ f->arena_start + 16, UINT64_MAX },  /* off + n wraps */
		{ UINT64_MAX, 1 },
		{ UINT64_MAX - 7, 8 },
		{ other_start, 16 },                  /* another channel's arena */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rt_buf_in_args in = { .data_off = bad[i].off, .n = bad[i].n };
		struct rt_buf_ret_args ret = { .data_off = bad[i].off, .cap = bad[i].n, .want = 0 };
		struct rt_buf_io_args io = { .data_off = bad[i].off,
					     .n = (uint32_t)(bad[i].n < UINT32_MAX ? bad[i].n : UINT32_MAX) };

		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_BUF_IN, &in, sizeof(in)), -EFAULT);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_BUF_RET, &ret, sizeof(ret)), -EFAULT);
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_BUF_IO, &io, sizeof(io)), -EFAULT);
	}
	/* A signed size below zero is a huge size on the wire. */
	{
		struct rt_buf_len_args a = { .data_off = f->arena_start, .cap = -1, .want = 0 };

		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_BUF_LEN, &a, sizeof(a)), -EFAULT);
	}
	/* An oneway call's in buffer. */
	{
		struct rt_note_args a;

		memset(&a, 0, sizeof(a));
		raw_begin(f, &r);
		a.text.off = raw_put(&r, "t", 2);
		a.text.len = 1;
		a.blob_off = f->arena_end - 1;
		a.n = 2;
		assert_int_equal(raw_call(&r, RT_METHOD_NOTE, &a, sizeof(a)), -EFAULT);
	}
	/* The whole arena, from its start, is fine. */
	{
		struct rt_buf_in_args in = { .data_off = f->arena_start, .n = arena };

		raw_begin(f, &r);
		assert_true(raw_call(&r, RT_METHOD_BUF_IN, &in, sizeof(in)) >= 0);
		in.data_off = f->arena_end;
		in.n = 0;
		raw_begin(f, &r);
		assert_int_equal(raw_call(&r, RT_METHOD_BUF_IN, &in, sizeof(in)), 0);
	}
	assert_int_equal(runs(f), before + 2);
}

/* ---- a hostile callee ------------------------------------------------------------- */

static void evil_set(const struct evil *ev)
{
	memcpy(&sh->evil, ev, sizeof(*ev));
	__atomic_store_n(&sh->evil.on, 1, __ATOMIC_RELEASE);
}

static void evil_clear(void)
{
	__atomic_store_n(&sh->evil.on, 0, __ATOMIC_RELEASE);
	memset(&sh->evil, 0, sizeof(sh->evil));
}

/* Overwrite n bytes of the results at off with the byte b. */
static struct evil evil_res(size_t off, const void *bytes, size_t n)
{
	struct evil ev = { .res_at = (uint32_t)off, .res_n = (uint32_t)n };

	memcpy(ev.res_bytes, bytes, n);
	return ev;
}

#define SENTINEL 0x6b

static void test_hostile_callee_results(void **state)
{
	struct fixture *f = *state;
	const uint8_t two = 2, ff = 0xff;
	const int32_t undeclared = 1, just_below_top = INT32_MAX - 1;
	char unterminated[16];

	memset(unterminated, 'Z', sizeof(unterminated));

	/* scalars(): a bad out bool, a bad out enum, a wrong res_len, a
	 * status outside int32. Every out keeps the sentinel. */
	{
		struct evil evs[8];
		unsigned n = 0;

		evs[n++] = evil_res(offsetof(struct rt_scalars_results, ob), &two, 1);
		evs[n++] = evil_res(offsetof(struct rt_scalars_results, ob), &ff, 1);
		evs[n++] = evil_res(offsetof(struct rt_scalars_results, oe), &undeclared, 4);
		evs[n++] = evil_res(offsetof(struct rt_scalars_results, oe), &just_below_top, 4);
		evs[n++] = (struct evil){ .res_len_delta = -1 };
		evs[n++] = (struct evil){ .res_len_delta = 8 };
		evs[n++] = (struct evil){ .res_len_delta = -(int32_t)sizeof(struct rt_scalars_results) };
		evs[n++] = (struct evil){ .set_status = 1, .status = (int64_t)INT32_MAX + 1 };
		for (unsigned k = 0; k < n; k++) {
			struct {
				bool ob;
				int8_t o8;
				uint8_t ou8;
				int16_t o16;
				uint16_t ou16;
				int32_t o32;
				uint32_t ou32;
				int64_t o64;
				uint64_t ou64;
				float of;
				double od;
				enum roundtrip_level oe;
			} o, want;

			memset(&o, SENTINEL, sizeof(o));
			o.ob = false;
			o.oe = ROUNDTRIP_LEVEL_MID;
			memcpy(&want, &o, sizeof(o));
			evil_set(&evs[k]);
			assert_int_equal(rt_scalars(&f->b, true, 1, 2, 3, 4, 5, 6, 7, 8, 9.0f, 10.0,
						    ROUNDTRIP_LEVEL_HIGH, &o.ob, &o.o8, &o.ou8,
						    &o.o16, &o.ou16, &o.o32, &o.ou32, &o.o64,
						    &o.ou64, &o.of, &o.od, &o.oe),
					 -EPROTO);
			evil_clear();
			assert_memory_equal(&o, &want, sizeof(o));
		}
	}
	/* inout_scalars(): the inout values stay what the caller had. */
	{
		struct evil evs[] = {
			evil_res(offsetof(struct rt_inout_scalars_results, b), &two, 1),
			evil_res(offsetof(struct rt_inout_scalars_results, e), &undeclared, 4),
			{ .res_len_delta = -4 },
		};

		for (unsigned k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
			struct scalar_set o, want;
			float fl = 1.0f;
			double db = 2.0;

			memcpy(&o, &scalar_sets[0], sizeof(o));
			memcpy(&want, &o, sizeof(o));
			evil_set(&evs[k]);
			assert_int_equal(rt_inout_scalars(&f->b, &o.b, &o.i8, &o.u8, &o.i16, &o.u16,
							  &o.i32, &o.u32, &o.i64, &o.u64, &fl,
							  &db, &o.e),
					 -EPROTO);
			evil_clear();
			assert_memory_equal(&o, &want, sizeof(o));
			assert_true(fl == 1.0f && db == 2.0);
		}
	}
	/* records(): a bad member anywhere in the inout or the out record. */
	{
		const size_t io = offsetof(struct rt_records_results, io_r);
		const size_t out = offsetof(struct rt_records_results, out_r);
		struct evil evs[] = {
			evil_res(out + offsetof(struct roundtrip_record, items[1].on), &two, 1),
			evil_res(io + offsetof(struct roundtrip_record, items[2].on), &two, 1),
			evil_res(out + offsetof(struct roundtrip_record, bits[0]), &ff, 1),
			evil_res(io + offsetof(struct roundtrip_record, items[0].lvl), &undeclared, 4),
			evil_res(out + offsetof(struct roundtrip_record, lvls[1]), &undeclared, 4),
			evil_res(out + offsetof(struct roundtrip_record, items[2].label),
				 unterminated, 16),
			evil_res(io + offsetof(struct roundtrip_record, names[1]), unterminated, 8),
			{ .res_len_delta = -(int32_t)sizeof(struct roundtrip_record) },
		};

		for (unsigned k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
			struct roundtrip_record in_r, io_r, out_r, io_want, out_want;

			record_fill(&in_r, 7);
			record_fill(&io_r, 8);
			memset(&out_r, SENTINEL, sizeof(out_r));
			io_want = io_r;
			out_want = out_r;
			evil_set(&evs[k]);
			assert_int_equal(rt_records(&f->b, &in_r, &io_r, &out_r), -EPROTO);
			evil_clear();
			assert_memory_equal(&io_r, &io_want, sizeof(io_r));
			assert_memory_equal(&out_r, &out_want, sizeof(out_r));
		}
	}
	/* arrays(): bad elements of out and inout arrays. */
	{
		struct evil evs[] = {
			evil_res(offsetof(struct rt_arrays_results, oflags[3]), &two, 1),
			evil_res(offsetof(struct rt_arrays_results, olvls[2]), &undeclared, 4),
			evil_res(offsetof(struct rt_arrays_results, oitems[1].on), &two, 1),
			evil_res(offsetof(struct rt_arrays_results, oitems[0].lvl), &undeclared, 4),
			evil_res(offsetof(struct rt_arrays_results, oitems[1].label), unterminated, 16),
			evil_res(offsetof(struct rt_arrays_results, iflags[1]), &two, 1),
		};

		for (unsigned k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
			const bool flags[4] = { 0 };
			const enum roundtrip_level lvls[3] = { 0 };
			struct roundtrip_item items[2], oitems[2], oitems_want[2];
			bool oflags[4] = { 1, 1, 1, 1 };
			enum roundtrip_level olvls[3] = { ROUNDTRIP_LEVEL_TOP, ROUNDTRIP_LEVEL_TOP,
							  ROUNDTRIP_LEVEL_TOP };
			uint16_t ring[5] = { 1, 2, 3, 4, 5 };
			bool iflags[2] = { true, false };

			memset(items, 0, sizeof(items));
			memset(oitems, SENTINEL, sizeof(oitems));
			memcpy(oitems_want, oitems, sizeof(oitems));
			evil_set(&evs[k]);
			assert_int_equal(rt_arrays(&f->b, flags, lvls, items, oflags, olvls, oitems,
						   ring, iflags),
					 -EPROTO);
			evil_clear();
			for (unsigned i = 0; i < 4; i++)
				assert_true(oflags[i]);
			for (unsigned i = 0; i < 3; i++)
				assert_int_equal(olvls[i], ROUNDTRIP_LEVEL_TOP);
			assert_memory_equal(oitems, oitems_want, sizeof(oitems));
			for (unsigned i = 0; i < 5; i++)
				assert_int_equal(ring[i], i + 1);
			assert_true(iflags[0] && !iflags[1]);
		}
	}
	/* last_note(): a bad bool and enum next to an out string. */
	{
		struct evil evs[] = {
			evil_res(offsetof(struct rt_last_note_results, flag), &two, 1),
			evil_res(offsetof(struct rt_last_note_results, lvl), &undeclared, 4),
			{ .res_len_delta = 1 },
		};

		for (unsigned k = 0; k < sizeof(evs) / sizeof(evs[0]); k++) {
			char text[32];
			uint64_t hash = 5;
			uint32_t n = 6, count = 7;
			bool flag = true;
			enum roundtrip_level lvl = ROUNDTRIP_LEVEL_LOW;

			strcpy(text, "untouched");
			evil_set(&evs[k]);
			assert_int_equal(rt_last_note(&f->b, text, sizeof(text), &hash, &n, &flag,
						      &lvl, &count),
					 -EPROTO);
			evil_clear();
			assert_string_equal(text, "untouched");
			assert_true(hash == 5 && n == 6 && count == 7 && flag);
			assert_int_equal(lvl, ROUNDTRIP_LEVEL_LOW);
		}
	}
}

/* A callee that reports more bytes than the buffer has: -EPROTO, and not a
 * byte of the caller's buffer or of its out length changes. */
static void test_hostile_callee_lengths(void **state)
{
	struct fixture *f = *state;
	enum { N = 64 };
	uint8_t buf[N], want[N];
	int32_t got;
	uint64_t where;

	memset(buf, SENTINEL, sizeof(buf));
	memcpy(want, buf, sizeof(want));
	/* out buffer<cap, return> */
	assert_int_equal(rt_buf_ret(&f->b, buf, N, N + 1), -EPROTO);
	assert_int_equal(rt_buf_ret(&f->b, buf, N, UINT64_MAX >> 1), -EPROTO);
	assert_int_equal(rt_buf_ret(&f->b, buf, 0, 1), -EPROTO);
	assert_memory_equal(buf, want, N);
	/* out buffer<cap, got>, got signed */
	got = 99;
	assert_int_equal(rt_buf_len(&f->b, buf, N, &got, N + 1), -EPROTO);
	assert_int_equal(rt_buf_len(&f->b, buf, N, &got, INT32_MAX), -EPROTO);
	assert_int_equal(rt_buf_len(&f->b, buf, N, &got, -1), -EPROTO);
	assert_int_equal(rt_buf_len(&f->b, buf, N, &got, INT32_MIN), -EPROTO);
	assert_int_equal(got, 99);
	assert_memory_equal(buf, want, N);
	/* inout buffer<n, return>: the callee changed the arena copy only */
	where = 1;
	assert_int_equal(rt_buf_io(&f->b, buf, N, N + 1, &where), -EPROTO);
	assert_int_equal(rt_buf_io(&f->b, buf, N, UINT32_MAX, &where), -EPROTO);
	assert_true(where == 1);
	assert_memory_equal(buf, want, N);
	/* a status outside int32 for an int32 method */
	{
		struct evil ev = { .set_status = 1, .status = INT64_MIN };

		evil_set(&ev);
		assert_int_equal(rt_buf_out(&f->b, buf, N, 1, &where), -EPROTO);
		assert_int_equal(rt_buf_io_all(&f->b, buf, N, &where), -EPROTO);
		evil_clear();
		assert_true(where == 1);
		assert_memory_equal(buf, want, N);
	}
	/* res_len off by one next to a buffer: nothing copied back */
	{
		struct evil ev = { .res_len_delta = -1 };

		evil_set(&ev);
		assert_int_equal(rt_buf_out(&f->b, buf, N, 1, &where), -EPROTO);
		assert_int_equal(rt_buf_io_all(&f->b, buf, N, &where), -EPROTO);
		assert_int_equal(rt_buf_io(&f->b, buf, N, N, &where), -EPROTO);
		assert_int_equal(rt_buf_len(&f->b, buf, N, &got, 1), -EPROTO);
		evil_clear();
		assert_true(where == 1);
		assert_int_equal(got, 99);
		assert_memory_equal(buf, want, N);
	}
}

/* A callee that leaves an out string without its terminator: -EPROTO, and
 * the caller's buffer for that string keeps what it had (an inout string:
 * the caller's value). */
static void test_hostile_callee_out_strings(void **state)
{
	struct fixture *f = *state;
	const struct {
		size_t at;
		uint32_t room;
	} slots[] = {
		{ offsetof(struct rt_strings_args, b), 16 },
		{ offsetof(struct rt_strings_args, c), 16 },
		{ offsetof(struct rt_strings_args, e), 16 },
		{ offsetof(struct rt_strings_args, big_out), 5001 },
	};

	for (size_t k = 0; k < sizeof(slots) / sizeof(slots[0]); k++) {
		struct evil ev = { .str_at = (uint32_t)slots[k].at, .str_room = slots[k].room };
		char b[16] = "b untouched", c[16] = "c in", e[16] = "e untouched";
		static char big_out[5001];

		strcpy(big_out, "big_out untouched");
		evil_set(&ev);
		assert_int_equal(rt_strings(&f->b, "a", b, sizeof(b), c, sizeof(c), "d", e,
					    sizeof(e), "big", big_out, 5001),
				 -EPROTO);
		evil_clear();
		/* Strings before the bad one have been copied (documented);
		 * the bad one and those after it are untouched. */
		if (k == 0)
			assert_string_equal(b, "b untouched");
		else
			assert_string_equal(b, "a");
		if (k <= 1)
			assert_string_equal(c, "c in");
		else
			assert_string_equal(c, "ni c");
		if (k <= 2)
			assert_string_equal(e, "e untouched");
		else
			assert_string_equal(e, "d");
		assert_string_equal(big_out, "big_out untouched");
	}
	/* The same next to out scalars. */
	{
		struct evil ev = { .str_at = offsetof(struct rt_last_note_args, text), .str_room = 32 };
		char text[32] = "untouched";
		uint32_t count = 7;

		evil_set(&ev);
		assert_int_equal(rt_last_note(&f->b, text, sizeof(text), NULL, NULL, NULL, NULL,
					      &count),
				 -EPROTO);
		evil_clear();
		assert_string_equal(text, "untouched");
		assert_int_equal(count, 7);
	}
}

/* ---- the same calls without stubs: vmrpc/dynamic.h ------------------------ */

/* A value tree from C bytes and back, written from the type table apart
 * from libvmrpc's own (dyn.c), so the two check each other. Nodes come
 * from a pool that lives as long as the test. */
static struct vmrpc_value tv_pool[4096];
static size_t tv_used;

static struct vmrpc_value *tv_alloc(size_t n)
{
	assert_true(tv_used + n <= sizeof(tv_pool) / sizeof(tv_pool[0]));
	tv_used += n;
	return &tv_pool[tv_used - n];
}

static void tv_from_bytes(const struct vmrpc_types *t, uint32_t ti, const uint8_t *src,
			  struct vmrpc_value *v)
{
	const struct vmrpc_tt_type *ty = &t->types[ti];
	struct vmrpc_value *items;
	uint64_t u = 0;

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BOOL, .b = src[0] };
		return;
	case VMRPC_TT_FLOAT:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_FLOAT };
		memcpy(&v->f, src, 4);
		return;
	case VMRPC_TT_DOUBLE:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_DOUBLE };
		memcpy(&v->d, src, 8);
		return;
	case VMRPC_TT_STRING:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = (uint32_t)strlen((const char *)src),
					   .s = (const char *)src };
		return;
	case VMRPC_TT_STRUCT:
		items = tv_alloc(ty->b);
		for (uint32_t k = 0; k < ty->b; k++)
			tv_from_bytes(t, t->members[ty->a + k].type, src + t->members[ty->a + k].offset,
				      &items[k]);
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		return;
	case VMRPC_TT_ARRAY:
		items = tv_alloc(ty->b);
		for (uint32_t k = 0; k < ty->b; k++)
			tv_from_bytes(t, ty->a, src + k * t->types[ty->a].size, &items[k]);
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		return;
	default:
		memcpy(&u, src, ty->size);
		if (ty->kind == VMRPC_TT_ENUM || (ty->kind >= VMRPC_TT_INT8 && ty->kind <= VMRPC_TT_INT64)) {
			int64_t i = ty->size == 1 ? (int8_t)u : ty->size == 2 ? (int16_t)u
				  : ty->size == 4 ? (int32_t)u : (int64_t)u;
			*v = VMRPC_VAL_I64(i);
		} else {
			*v = VMRPC_VAL_U64(u);
		}
		return;
	}
}

static void tv_to_bytes(const struct vmrpc_types *t, uint32_t ti, const struct vmrpc_value *v,
			uint8_t *dst)
{
	const struct vmrpc_tt_type *ty = &t->types[ti];

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		assert_int_equal(v->kind, VMRPC_VAL_BOOL);
		dst[0] = v->b;
		return;
	case VMRPC_TT_FLOAT:
		assert_int_equal(v->kind, VMRPC_VAL_FLOAT);
		memcpy(dst, &v->f, 4);
		return;
	case VMRPC_TT_DOUBLE:
		assert_int_equal(v->kind, VMRPC_VAL_DOUBLE);
		memcpy(dst, &v->d, 8);
		return;
	case VMRPC_TT_STRING:
		assert_int_equal(v->kind, VMRPC_VAL_STRING);
		assert_true(v->n <= ty->a);
		memset(dst, 0, ty->size);
		memcpy(dst, v->s, v->n);
		return;
	case VMRPC_TT_STRUCT:
	case VMRPC_TT_ARRAY:
		if (v->kind == VMRPC_VAL_BYTES) {
			assert_int_equal(v->n, ty->size);
			memcpy(dst, v->p, v->n);
			return;
		}
		assert_int_equal(v->kind, VMRPC_VAL_LIST);
		assert_int_equal(v->n, ty->b);
		for (uint32_t k = 0; k < ty->b; k++) {
			if (ty->kind == VMRPC_TT_STRUCT)
				tv_to_bytes(t, t->members[ty->a + k].type, &v->items[k],
					    dst + t->members[ty->a + k].offset);
			else
				tv_to_bytes(t, ty->a, &v->items[k], dst + k * t->types[ty->a].size);
		}
		return;
	default:
		assert_true(v->kind == VMRPC_VAL_INT || v->kind == VMRPC_VAL_UINT);
		memcpy(dst, &v->u, ty->size); /* little-endian: the low bytes */
		return;
	}
}

struct dyn_fixture {
	struct vmrpc_dyn *d;
	const struct vmrpc_types *t;
};

static struct dyn_fixture dyn_bind(struct fixture *f)
{
	struct dyn_fixture df;

	tv_used = 0;
	assert_int_equal(vmrpc_dyn_bind(f->ch, "rt", &df.d), 0);
	df.t = vmrpc_dyn_types(df.d);
	return df;
}

static int dyn_m(struct dyn_fixture *df, const char *name)
{
	int m = vmrpc_dyn_method(df->d, name);

	assert_true(m >= 0);
	return m;
}

/* The type index of parameter p of method m. */
static uint32_t dyn_ptype(struct dyn_fixture *df, int m, uint32_t p)
{
	return df->t->params[df->t->methods[m].first_param + p].type;
}

static void test_dyn_types(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_reg_entry reg[VMRPC_REG_MAX];
	struct vmrpc_types *t;
	char why[256];

	/* The generated table passes the reader's checks. */
	if (vmrpc_types_load(rt_iface.type_table, rt_iface.type_table_len, why, sizeof(why), &t))
		fail_msg("rt's generated type table: %s", why);
	vmrpc_types_free(t);
	assert_int_equal(vmrpc_chan_registry(f->ch, reg, VMRPC_REG_MAX), 1);
	assert_string_equal(reg[0].name, "rt");
	/* The callee's table, byte for byte, and what it says. */
	assert_int_equal(vmrpc_chan_types(f->ch, 0, &t), 0);
	assert_int_equal(t->hdr->size, rt_iface.type_table_len);
	assert_memory_equal(t->hdr, rt_iface.type_table, rt_iface.type_table_len);
	assert_true(t->hdr->sig_hash == rt_iface.sig_hash);
	assert_int_equal(t->hdr->n_ids, rt_iface.n_methods);
	assert_int_equal(t->methods[vmrpc_types_method(t, "scalars")].id, 7);
	assert_int_equal(vmrpc_types_method(t, "nosuch"), -ENOENT);
	vmrpc_types_free(t);
	assert_int_equal(vmrpc_chan_types(f->ch, 1, &t), -ENOENT);
	/* Through a small arena window too: kept buffers leave 1 KiB. */
	{
		void *keep;
		uint64_t room = f->arena_end - f->arena_start - 1024;

		assert_int_equal(vmrpc_chan_buf_alloc(f->ch, room, &keep), 0);
		assert_int_equal(vmrpc_chan_types(f->ch, 0, &t), 0);
		assert_memory_equal(t->hdr, rt_iface.type_table, rt_iface.type_table_len);
		vmrpc_types_free(t);
		vmrpc_chan_buf_free(f->ch, keep);
	}
	struct vmrpc_dyn *d;
	assert_int_equal(vmrpc_dyn_bind(f->ch, "nosuch", &d), -VMRPC_ENOIFACE);
}

static void test_dyn_scalars(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "scalars");

	for (size_t k = 0; k < sizeof(scalar_sets) / sizeof(scalar_sets[0]); k++) {
		const struct scalar_set *v = &scalar_sets[k];
		struct vmrpc_value a[24] = {
			{ .kind = VMRPC_VAL_BOOL, .b = v->b }, VMRPC_VAL_I64(v->i8),
			VMRPC_VAL_U64(v->u8), VMRPC_VAL_I64(v->i16), VMRPC_VAL_U64(v->u16),
			VMRPC_VAL_I64(v->i32), VMRPC_VAL_U64(v->u32), VMRPC_VAL_I64(v->i64),
			VMRPC_VAL_U64(v->u64), { .kind = VMRPC_VAL_FLOAT, .f = u2f(v->f) },
			{ .kind = VMRPC_VAL_DOUBLE, .d = u2d(v->d) }, VMRPC_VAL_I64(v->e),
		};
		struct vmrpc_value *out = NULL;

		assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, &out), 7);
		assert_int_equal(out[0].kind, VMRPC_VAL_NONE); /* an in parameter */
		assert_int_equal(out[12].kind, VMRPC_VAL_BOOL);
		assert_true(out[12].b == v->b);
		assert_true(out[13].kind == VMRPC_VAL_INT && out[13].i == v->i8);
		assert_true(out[14].kind == VMRPC_VAL_UINT && out[14].u == v->u8);
		assert_true(out[15].i == v->i16 && out[16].u == v->u16);
		assert_true(out[17].i == v->i32 && out[18].u == v->u32);
		assert_true(out[19].i == v->i64 && out[20].u == v->u64);
		assert_int_equal(out[21].kind, VMRPC_VAL_FLOAT);
		assert_int_equal(f2u(out[21].f), v->f);
		assert_true(d2u(out[22].d) == v->d);
		assert_true(out[23].kind == VMRPC_VAL_INT && out[23].i == v->e);
		free(out);
	}
	/* A uint64 from a non-negative INT, an int64 from a small UINT. */
	struct vmrpc_value b[24] = {
		{ .kind = VMRPC_VAL_BOOL }, VMRPC_VAL_U64(5), VMRPC_VAL_I64(6), VMRPC_VAL_U64(7),
		VMRPC_VAL_I64(8), VMRPC_VAL_U64(9), VMRPC_VAL_I64(10), VMRPC_VAL_U64(11),
		VMRPC_VAL_I64(12), VMRPC_VAL_I64(13), VMRPC_VAL_U64(14), VMRPC_VAL_I64(5),
	};
	struct vmrpc_value *out = NULL;
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, b, 24, &out), 7);
	assert_true(out[13].i == 5 && out[20].u == 12 && out[21].f == 13.0f && out[22].d == 14.0);
	free(out);
	/* No out values wanted. */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, b, 24, NULL), 7);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_inout_scalars(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	const struct scalar_set *v = &scalar_sets[0];
	struct vmrpc_value a[12] = {
		{ .kind = VMRPC_VAL_BOOL, .b = v->b }, VMRPC_VAL_I64(v->i8), VMRPC_VAL_U64(v->u8),
		VMRPC_VAL_I64(v->i16), VMRPC_VAL_U64(v->u16), VMRPC_VAL_I64(v->i32),
		VMRPC_VAL_U64(v->u32), VMRPC_VAL_I64(v->i64), VMRPC_VAL_U64(v->u64),
		{ .kind = VMRPC_VAL_FLOAT, .f = u2f(v->f) }, { .kind = VMRPC_VAL_DOUBLE, .d = u2d(v->d) },
		VMRPC_VAL_I64(v->e),
	};
	struct vmrpc_value *out = NULL;

	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "inout_scalars"), a, 12, &out), 8);
	assert_true(out[0].b == !v->b);
	assert_true(out[1].i == (int8_t)~v->i8 && out[2].u == (uint8_t)~v->u8);
	assert_true(out[3].i == (int16_t)~v->i16 && out[4].u == (uint16_t)~v->u16);
	assert_true(out[5].i == ~v->i32 && out[6].u == (uint32_t)~v->u32);
	assert_true(out[7].i == ~v->i64 && out[8].u == ~v->u64);
	assert_int_equal(f2u(out[9].f), v->f ^ 0x80000000u);
	assert_true(d2u(out[10].d) == (v->d ^ 0x8000000000000000ull));
	assert_int_equal(out[11].i, level_next(v->e));
	free(out);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_records(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "records");
	struct roundtrip_record in_r, io_r, want, got;
	struct vmrpc_value a[3] = { { 0 } }, *out = NULL;

	record_fill(&in_r, 1);
	record_fill(&io_r, 2);
	want = io_r;
	record_change(&want);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 0), (const uint8_t *)&in_r, &a[0]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 1), (const uint8_t *)&io_r, &a[1]);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 3, &out), 9);
	/* Every member, NaN payloads and bounds included, byte for byte. */
	memset(&got, 0, sizeof(got));
	tv_to_bytes(df.t, dyn_ptype(&df, m, 2), &out[2], (uint8_t *)&got);
	assert_memory_equal(&got, &in_r, sizeof(in_r));
	memset(&got, 0, sizeof(got));
	tv_to_bytes(df.t, dyn_ptype(&df, m, 1), &out[1], (uint8_t *)&got);
	assert_memory_equal(&got, &want, sizeof(want));
	free(out);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_arrays(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "arrays");
	const bool flags[4] = { true, false, false, true };
	const enum roundtrip_level lvls[3] = { ROUNDTRIP_LEVEL_FLOOR, ROUNDTRIP_LEVEL_MID,
					       ROUNDTRIP_LEVEL_TOP };
	struct roundtrip_item items[2], oitems[2];
	uint16_t ring[5] = { 1, 2, 3, 4, 65535 }, oring[5];
	bool iflags[2] = { true, false }, oflags[4], oiflags[2];
	enum roundtrip_level olvls[3];
	struct vmrpc_value a[8] = { { 0 } }, *out = NULL;

	memset(items, 0, sizeof(items));
	strcpy(items[0].label, "first");
	items[0].lvl = ROUNDTRIP_LEVEL_HIGH;
	items[1].on = true;
	items[1].w = 2.5f;
	tv_from_bytes(df.t, dyn_ptype(&df, m, 0), (const uint8_t *)flags, &a[0]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 1), (const uint8_t *)lvls, &a[1]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 2), (const uint8_t *)items, &a[2]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 6), (const uint8_t *)ring, &a[6]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 7), (const uint8_t *)iflags, &a[7]);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 8, &out), 10);
	tv_to_bytes(df.t, dyn_ptype(&df, m, 3), &out[3], (uint8_t *)oflags);
	tv_to_bytes(df.t, dyn_ptype(&df, m, 4), &out[4], (uint8_t *)olvls);
	memset(oitems, 0, sizeof(oitems));
	tv_to_bytes(df.t, dyn_ptype(&df, m, 5), &out[5], (uint8_t *)oitems);
	tv_to_bytes(df.t, dyn_ptype(&df, m, 6), &out[6], (uint8_t *)oring);
	tv_to_bytes(df.t, dyn_ptype(&df, m, 7), &out[7], (uint8_t *)oiflags);
	for (unsigned i = 0; i < 4; i++)
		assert_true(oflags[i] == !flags[i]);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(olvls[i], lvls[2 - i]);
	assert_memory_equal(&oitems[0], &items[1], sizeof(items[1]));
	assert_memory_equal(&oitems[1], &items[0], sizeof(items[0]));
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(oring[i], (uint16_t)(ring[i] * 3u + 1u));
	assert_true(oiflags[0] == !iflags[0] && oiflags[1] == !iflags[1]);
	free(out);
	vmrpc_dyn_free(df.d);
}

#define VSTR(str) ((struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = (uint32_t)strlen(str), .s = (str) })
#define VBYTES(ptr, len) ((struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = (len), .p = (ptr) })

static void test_dyn_strings(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "strings");
	static char big[5001];
	struct vmrpc_value a[7] = { { 0 } }, *out = NULL;
	int64_t before = runs(f);

	memset(big, 'b', 5000);
	a[0] = VSTR("fifteen bytes!!");
	a[2] = VSTR("abc");
	a[3] = VSTR("");
	a[5] = VSTR(big);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 7, &out), 15 + 3 + 0 + 5000);
	assert_int_equal(out[1].kind, VMRPC_VAL_STRING);
	assert_int_equal(out[1].n, 15);
	assert_memory_equal(out[1].s, "fifteen bytes!!", 16); /* with its NUL */
	assert_int_equal(out[2].n, 3);
	assert_memory_equal(out[2].s, "cba", 3);
	assert_int_equal(out[4].n, 0);
	assert_int_equal(out[6].n, 5000);
	assert_memory_equal(out[6].s, big, 5000);
	free(out);
	/* Refused before sending: over the bound, a NUL inside, not a string. */
	a[0] = VSTR("sixteen bytes!!!");
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 7, &out), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "parameter 'a'"));
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "longer than string<15>"));
	a[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = 3, .s = "a\0b" };
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 7, &out), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "NUL"));
	a[0] = VMRPC_VAL_I64(1);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 7, &out), -EINVAL);
	a[0] = VSTR("ok");
	a[1] = VSTR("out strings take no value");
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 7, &out), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "parameter 'b': an out parameter"));
	assert_int_equal(runs(f), before + 1);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_buffers(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	uint8_t data[1000];
	struct vmrpc_value a[4] = { { 0 } }, *out = NULL;
	int64_t sum = 0, before;

	for (unsigned i = 0; i < sizeof(data); i++) {
		data[i] = (uint8_t)(i * 7);
		sum += data[i];
	}
	/* An in buffer's SIZE left out: its length is sent. */
	a[0] = VBYTES(data, sizeof(data));
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_in"), a, 3, &out), sum);
	assert_int_equal(out[2].kind, VMRPC_VAL_UINT);
	free(out);
	/* Given, it must agree. */
	a[1] = VMRPC_VAL_U64(999);
	before = runs(f);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_in"), a, 3, &out), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "its size 'n' is 999"));
	assert_int_equal(runs(f), before);
	/* Out: SIZE bytes back. */
	memset(a, 0, sizeof(a));
	a[1] = VMRPC_VAL_U64(300);
	a[2] = VMRPC_VAL_U64(250);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_out"), a, 4, &out), 300);
	assert_int_equal(out[0].kind, VMRPC_VAL_BYTES);
	assert_int_equal(out[0].n, 300);
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(((const uint8_t *)out[0].p)[i], (uint8_t)(250 + i));
	free(out);
	a[1] = (struct vmrpc_value){ 0 }; /* an out buffer needs its size */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_out"), a, 4, &out), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "needs its size 'n'"));
	/* <cap, return>: the status is the length, at most cap. */
	memset(a, 0, sizeof(a));
	a[1] = VMRPC_VAL_U64(64);
	a[2] = VMRPC_VAL_U64(10);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_ret"), a, 3, &out), 10);
	assert_int_equal(out[0].n, 10);
	assert_int_equal(((const uint8_t *)out[0].p)[9], 0xa5);
	free(out);
	a[2] = VMRPC_VAL_U64(65); /* more than cap: the reply is refused */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_ret"), a, 3, &out), -EPROTO);
	/* <cap, got>: an out integer is the length. */
	memset(a, 0, sizeof(a));
	a[1] = VMRPC_VAL_I64(40);
	a[3] = VMRPC_VAL_I64(33);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_len"), a, 4, &out), 33);
	assert_int_equal(out[0].n, 33);
	assert_true(out[2].kind == VMRPC_VAL_INT && out[2].i == 33);
	free(out);
	a[1] = VMRPC_VAL_I64(-1); /* a negative signed SIZE */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_len"), a, 4, &out), -EINVAL);
	/* Inout with <n, return>, and all n. */
	memset(a, 0, sizeof(a));
	a[0] = VBYTES(data, 100);
	a[2] = VMRPC_VAL_U64(60);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_io"), a, 4, &out), 60);
	assert_int_equal(out[0].n, 60);
	for (unsigned i = 0; i < 60; i++)
		assert_int_equal(((const uint8_t *)out[0].p)[i], (uint8_t)(data[i] ^ 0xff));
	free(out);
	memset(a, 0, sizeof(a));
	a[0] = VBYTES(data, 0); /* empty */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "buf_io_all"), a, 3, &out), 0);
	assert_int_equal(out[0].n, 0);
	free(out);
	vmrpc_dyn_free(df.d);
}

/* scalars()'s twelve in values, each 0 (mid is 0), and its twelve outs. */
static const struct vmrpc_value dyn_zero_scalars[24] = {
	{ .kind = VMRPC_VAL_BOOL }, VMRPC_VAL_I64(0), VMRPC_VAL_U64(0), VMRPC_VAL_I64(0),
	VMRPC_VAL_U64(0), VMRPC_VAL_I64(0), VMRPC_VAL_U64(0), VMRPC_VAL_I64(0),
	VMRPC_VAL_U64(0), VMRPC_VAL_I64(0), VMRPC_VAL_I64(0), VMRPC_VAL_I64(0),
};

static void test_dyn_bad_values(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "scalars");
	const struct vmrpc_value *good = dyn_zero_scalars;
	struct {
		unsigned p;
		struct vmrpc_value v;
		const char *says;
	} bad[] = {
		{ 0, VMRPC_VAL_I64(1), "parameter 'b': bool expects" },
		{ 1, VMRPC_VAL_I64(-129), "parameter 'i8': -129 is out of range for int8" },
		{ 1, VMRPC_VAL_U64(128), "128 is out of range for int8" },
		{ 2, VMRPC_VAL_I64(-1), "parameter 'u8': -1 is out of range for uint8" },
		{ 2, VMRPC_VAL_U64(256), "256 is out of range for uint8" },
		{ 4, VMRPC_VAL_U64(65536), "out of range for uint16" },
		{ 6, VMRPC_VAL_U64(1ull << 32), "out of range for uint32" },
		{ 7, VMRPC_VAL_U64(1ull << 63), "out of range for int64" },
		{ 8, VMRPC_VAL_I64(-1), "out of range for uint64" },
		{ 9, { .kind = VMRPC_VAL_DOUBLE, .d = 1e39 }, "out of range for float" },
		{ 10, VSTR("1"), "parameter 'd': double expects a number" },
		{ 11, VMRPC_VAL_I64(1), "parameter 'e': enum level has no such value" },
		{ 11, VMRPC_VAL_I64(1ll << 32), "enum level has no such value" },
		{ 11, { .kind = VMRPC_VAL_NONE }, "parameter 'e': missing" },
		{ 12, VMRPC_VAL_I64(0), "parameter 'ob': an out parameter takes no value" },
	};
	int64_t before = runs(f);

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct vmrpc_value a[24];

		memcpy(a, good, sizeof(a));
		a[bad[k].p] = bad[k].v;
		assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, NULL), -EINVAL);
		if (!strstr(vmrpc_dyn_error(df.d), bad[k].says))
			fail_msg("case %zu: '%s' does not say '%s'", k, vmrpc_dyn_error(df.d),
				 bad[k].says);
	}
	/* Lists of the wrong length, a member out of range. */
	m = dyn_m(&df, "arrays");
	struct vmrpc_value a[8] = { { 0 } }, three[3] = { { .kind = VMRPC_VAL_BOOL } };
	a[0] = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = 3, .items = three };
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 8, NULL), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "parameter 'flags': an array of 4"));
	m = dyn_m(&df, "records");
	struct roundtrip_record r;
	struct vmrpc_value ra[3] = { { 0 } };
	record_fill(&r, 3);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 0), (const uint8_t *)&r, &ra[0]);
	tv_from_bytes(df.t, dyn_ptype(&df, m, 1), (const uint8_t *)&r, &ra[1]);
	((struct vmrpc_value *)ra[1].items[0].items[2].items)[1] = VMRPC_VAL_I64(3);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, ra, 3, NULL), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "parameter 'io_r'.items[2].lvl: enum level"));
	/* The wrong number of values, a method that is not there. */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, ra, 2, NULL), -EINVAL);
	assert_non_null(strstr(vmrpc_dyn_error(df.d), "takes 3 parameters, not 2"));
	assert_int_equal(vmrpc_dyn_call(df.d, 1000, ra, 3, NULL), -EINVAL);
	/* None of it reached the callee. */
	assert_int_equal(runs(f), before);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_hostile_callee(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	int m = dyn_m(&df, "scalars");
	const struct vmrpc_value *a = dyn_zero_scalars;
	struct vmrpc_value *out = NULL;
	uint8_t two = 2, nine[4] = { 9, 0, 0, 0 };
	const struct vmrpc_tt_param *ob = &df.t->params[df.t->methods[m].first_param + 12];
	const struct vmrpc_tt_param *oe = &df.t->params[df.t->methods[m].first_param + 23];
	struct evil ev;

	/* A bool that is not 0 or 1, an enum value not declared, a short
	 * results block, a status outside int32: -EPROTO, no out values. */
	ev = evil_res(ob->results_off, &two, 1);
	evil_set(&ev);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, &out), -EPROTO);
	ev = evil_res(oe->results_off, nine, 4);
	evil_set(&ev);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, &out), -EPROTO);
	ev = (struct evil){ .on = 1, .res_len_delta = -8 };
	evil_set(&ev);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, &out), -EPROTO);
	ev = (struct evil){ .on = 1, .set_status = 1, .status = (int64_t)1 << 40 };
	evil_set(&ev);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, a, 24, &out), -EPROTO);
	assert_null(out);
	/* An out string left without its NUL. */
	m = dyn_m(&df, "strings");
	struct vmrpc_value s[7] = { { 0 } };
	s[0] = VSTR("a");
	s[2] = VSTR("c");
	s[3] = VSTR("d");
	s[5] = VSTR("big");
	ev = (struct evil){ .on = 1, .str_at = (uint32_t)offsetof(struct rt_strings_args, b),
			    .str_room = 16 };
	evil_set(&ev);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, s, 7, &out), -EPROTO);
	assert_null(out);
	evil_clear();
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)m, s, 7, &out), 6);
	free(out);
	vmrpc_dyn_free(df.d);
}

static void test_dyn_oneway(void **state)
{
	struct fixture *f = *state;
	struct dyn_fixture df = dyn_bind(f);
	uint8_t blob[50];
	struct vmrpc_value a[5] = { VSTR("dynamic note"), VBYTES(blob, sizeof(blob)),
				    { 0 }, { .kind = VMRPC_VAL_BOOL, .b = true },
				    VMRPC_VAL_I64(ROUNDTRIP_LEVEL_TOP) };
	struct vmrpc_value none[6] = { { 0 } }, *out = NULL;
	struct unit_later later;
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)(i + 1);
	/* note() blocks in the callee until released; the call returns. */
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "note"), a, 5, NULL), 0);
	unit_later_start(&later, 100, release_note, f);
	assert_int_equal(vmrpc_dyn_call(df.d, (uint32_t)dyn_m(&df, "last_note"), none, 6, &out), 41);
	unit_later_join(&later);
	assert_int_equal(out[0].n, strlen("dynamic note"));
	assert_memory_equal(out[0].s, "dynamic note", out[0].n);
	assert_true(out[1].u == fnv(blob, sizeof(blob)) && out[2].u == sizeof(blob) && out[3].b);
	assert_int_equal(out[4].i, ROUNDTRIP_LEVEL_TOP);
	assert_int_equal(out[5].u, 1);
	free(out);
	vmrpc_dyn_free(df.d);
}

/* ---- split-phase calls ------------------------------------------------------------ */

/* note() blocks in the callee until released: started as a two-way call,
 * it is not ready until then, and its reply is collected afterwards. On
 * loopback there is no poll descriptor; asking for one says so. */
static void test_split_phase(void **state)
{
	struct fixture *f = *state;
	struct rt_note_args a;
	struct raw r;
	uint8_t blob[4] = { 1, 2, 3, 4 };
	int ready = 0;

	assert_int_equal(vmrpc_chan_poll_fd(f->ch), -EOPNOTSUPP);
	raw_begin(f, &r);
	memset(&a, 0, sizeof(a));
	assert_int_equal(vmrpc_outcall_put_str(&r.c, "wait: split", 31, 0, &a.text), 0);
	a.blob_off = raw_put(&r, blob, sizeof(blob));
	a.n = sizeof(blob);
	a.lvl = ROUNDTRIP_LEVEL_MID;
	memcpy(r.c.args, &a, sizeof(a));
	assert_int_equal(vmrpc_outcall_ready(&r.c), -EINVAL); /* nothing started */
	assert_int_equal(vmrpc_outcall_start(&r.c, RT_METHOD_NOTE, sizeof(a)), 0);
	/* The callee is blocked: not ready, however often we look. */
	for (int i = 0; i < 50; i++) {
		assert_int_equal(vmrpc_outcall_ready(&r.c), 0);
		usleep(1000);
	}
	/* The channel is this call's until it is finished. */
	struct vmrpc_outcall other;
	assert_int_equal(vmrpc_outcall_begin(&f->b, &other), -EBUSY);
	release_note(f);
	for (int i = 0; i < 5000 && ready == 0; i++) {
		ready = vmrpc_outcall_ready(&r.c);
		if (!ready)
			usleep(1000);
	}
	assert_int_equal(ready, 1);
	assert_int_equal(vmrpc_outcall_finish(&r.c), 777); /* note()'s own result */
	assert_int_equal(vmrpc_outcall_finish(&r.c), -EINVAL); /* once */
	/* The channel serves ordinary calls again. */
	char text[32];
	uint32_t n = 0, count = 0;
	assert_int_equal(rt_last_note(&f->b, text, sizeof(text), NULL, &n, NULL, NULL, &count), 41);
	assert_string_equal(text, "wait: split");
	assert_int_equal(n, sizeof(blob));
	/* Finished without looking first: it waits. */
	raw_begin(f, &r);
	assert_int_equal(vmrpc_outcall_start(&r.c, RT_METHOD_RUNS, 0), 0);
	assert_true(vmrpc_outcall_finish(&r.c) >= 1);
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_scalars),
		T(test_inout_scalars),
		T(test_records),
		T(test_arrays),
		T(test_strings),
		T(test_buffers_empty),
		T(test_buffers_values),
		T(test_buffers_arena_limit),
		T(test_zero_copy),
		T(test_oneway),
		T(test_method_ids),
		T(test_hostile_caller_values),
		T(test_hostile_caller_strings),
		T(test_hostile_caller_buffers),
		T(test_hostile_callee_results),
		T(test_hostile_callee_lengths),
		T(test_hostile_callee_out_strings),
		T(test_dyn_types),
		T(test_dyn_scalars),
		T(test_dyn_inout_scalars),
		T(test_dyn_records),
		T(test_dyn_arrays),
		T(test_dyn_strings),
		T(test_dyn_buffers),
		T(test_dyn_bad_values),
		T(test_dyn_hostile_callee),
		T(test_dyn_oneway),
		T(test_split_phase),
	};
#undef T

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
