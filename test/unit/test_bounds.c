/* SPDX-License-Identifier: MIT */
/*
 * The callee's bounds checks against a hostile caller. A hand-written
 * service calls vmrpc_incall_in_buf / out_buf / get_str / put_str with
 * offsets and lengths taken straight from the (caller-written) args and
 * returns what they returned; the caller side of the test writes the args
 * and the arena bytes directly. Every offset outside the caller's own arena,
 * including another channel's arena, must give -EFAULT; strings must be
 * bounded, terminated and free of embedded NULs; hostile request words
 * (interface slot, method, args_len) get -EPROTO and the callee keeps
 * serving.
 *
 * Host side and callees run in threads of this process; the caller maps the
 * region separately with vmrpc_region_open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

enum {
	M_IN_BUF,  /* in_buf(off, len); results: u64 sum of the bytes */
	M_OUT_BUF, /* out_buf(off, len); fills the buffer with 0xa5 */
	M_GET_STR, /* get_str(str, max_len); results: the string */
	M_PUT_STR, /* put_str(str, "ppp..." of length len) */
	M_ADD,     /* status = off + len */
	M_COUNT
};

struct bounds_args {
	uint64_t off;
	uint64_t len;
	struct vmrpc_wire_str str;
	uint32_t max_len;
	uint32_t pad;
};

#define STR_MAX 4096u

static int64_t bounds_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call)
{
	const struct bounds_args *a = call->args;
	static _Thread_local char buf[STR_MAX + 1];
	const void *in;
	void *out;
	uint64_t sum = 0;
	int err;

	(void)ops;
	(void)ctx;
	switch (call->method) {
	case M_IN_BUF:
		err = vmrpc_incall_in_buf(call, a->off, a->len, &in);
		if (err < 0)
			return err;
		for (uint64_t i = 0; i < a->len; i++)
			sum += ((const uint8_t *)in)[i];
		memcpy(call->results, &sum, sizeof(sum));
		call->res_len = sizeof(sum);
		return 0;
	case M_OUT_BUF:
		err = vmrpc_incall_out_buf(call, a->off, a->len, &out);
		if (err < 0)
			return err;
		memset(out, 0xa5, a->len);
		return 0;
	case M_GET_STR:
		/* the skeleton's buffer holds max_len + 1: never ask for more */
		err = vmrpc_incall_get_str(call, &a->str,
					   a->max_len < STR_MAX ? a->max_len : STR_MAX, buf);
		if (err < 0)
			return err;
		call->res_len = (uint32_t)strnlen(buf, VMRPC_RESULTS_SIZE - 1);
		memcpy(call->results, buf, call->res_len);
		((char *)call->results)[call->res_len++] = '\0';
		return (int64_t)strlen(buf);
	case M_PUT_STR:
		memset(buf, 'p', a->len < STR_MAX ? a->len : STR_MAX);
		buf[a->len < STR_MAX ? a->len : STR_MAX] = '\0';
		return vmrpc_incall_put_str(call, a->str.off, a->str.len, buf);
	case M_ADD:
		return (int64_t)(a->off + a->len);
	}
	return -ENOSYS;
}

static const struct vmrpc_iface bounds_iface = {
	.name = "unit.bounds", .version = 1, .n_methods = M_COUNT, .sig_hash = 0xb0b0,
};
static const struct vmrpc_service bounds_svc = {
	.iface = &bounds_iface, .dispatch = bounds_dispatch,
};

struct fixture {
	struct vmrpc_region *host, *guest;
	struct standin_host h;
	struct vmrpc_chan *ch, *other;
	struct vmrpc_binding b;
	uint64_t a0, a1;     /* our arena [a0, a1) */
	uint64_t o0, o1;     /* the other (attached) channel's arena */
	uint64_t chan_base;  /* our channel's header */
	uint8_t *gbase;      /* the caller's mapping */
};

#define N_CHANNELS 3
#define CHAN_SIZE 8192

static int fixture_setup(void **state)
{
	static struct fixture f;
	const struct vmrpc_iface *ifaces[] = { &bounds_iface };

	if (unit_setup(state) < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	unit_region_create(N_CHANNELS, CHAN_SIZE, &f.host, &f.h.bell_fd);
	assert_int_equal(vmrpc_hostd_region_publish(f.host, ifaces, 1), 0);
	f.h.region = f.host;
	f.h.mode = STANDIN_HOST_ATTACH;
	f.h.svcs = &bounds_svc;
	f.h.n_svcs = 1;
	f.h.callee_spin_ns = UINT32_MAX;
	assert_int_equal(standin_host_start(&f.h), 0);

	assert_int_equal(vmrpc_region_open(UNIT_REGION, &f.guest), 0);
	assert_int_equal(vmrpc_chan_open(f.guest, 2000, &f.ch), 0);
	assert_int_equal(vmrpc_chan_open(f.guest, 2000, &f.other), 0);
	assert_int_equal(vmrpc_bind(f.ch, &bounds_iface, &f.b), 0);
	/* channel 0 is ours, 1 the other caller's, 2 unattached */
	assert_int_equal(vmrpc_chan_index(f.ch), 0);
	assert_int_equal(vmrpc_chan_index(f.other), 1);
	unit_chan_arena(f.guest, vmrpc_chan_index(f.ch), &f.a0, &f.a1);
	unit_chan_arena(f.guest, vmrpc_chan_index(f.other), &f.o0, &f.o1);
	f.chan_base = f.a0 - VMRPC_ARENA_OFF;
	f.gbase = (uint8_t *)vmrpc_region_hdr(f.guest);
	assert_int_equal(f.a1 - f.a0, CHAN_SIZE - 2048);
	*state = &f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vmrpc_chan_close(f->ch);
	vmrpc_chan_close(f->other);
	standin_host_stop(&f->h);
	close(f->h.bell_fd);
	vmrpc_region_close(f->guest);
	vmrpc_region_close(f->host);
	return unit_teardown(state);
}

static int64_t call_buf(struct fixture *f, uint32_t method, uint64_t off, uint64_t len)
{
	struct vmrpc_outcall c;
	struct bounds_args *a;

	assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
	a = c.args;
	memset(a, 0, sizeof(*a));
	a->off = off;
	a->len = len;
	return vmrpc_outcall_invoke(&c, method, sizeof(*a));
}

static int64_t call_str(struct fixture *f, uint32_t method, uint64_t off, uint32_t wire_len,
			uint32_t max_len_or_put_len, char *ret_result, size_t size)
{
	struct vmrpc_outcall c;
	struct bounds_args *a;
	int64_t st;

	assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
	a = c.args;
	memset(a, 0, sizeof(*a));
	a->str.off = off;
	a->str.len = wire_len;
	a->max_len = max_len_or_put_len;
	a->len = max_len_or_put_len;
	st = vmrpc_outcall_invoke(&c, method, sizeof(*a));
	if (ret_result && st >= 0)
		snprintf(ret_result, size, "%s", (const char *)c.results);
	return st;
}

/* Offsets every bounds check must refuse, whatever the length. */
struct bad {
	const char *what;
	uint64_t off, len;
};

static size_t hostile_bufs(struct fixture *f, struct bad *v)
{
	uint64_t rsize = vmrpc_region_size(f->guest), alen = f->a1 - f->a0;
	size_t n = 0;

#define BAD(w, o, l) (v[n++] = (struct bad){ (w), (o), (l) })
	BAD("offset 0", 0, 0);
	BAD("offset 0 len 16", 0, 16);
	BAD("region header", 128, 64);
	BAD("registry", offsetof(struct vmrpc_region_hdr, registry), 64);
	BAD("one below the arena", f->a0 - 1, 1);
	BAD("straddling the arena start", f->a0 - 1, 2);
	BAD("own control line", f->chan_base, 8);
	BAD("own request line", f->chan_base + 128, 24);
	BAD("own args block", f->chan_base + 512, 16);
	BAD("own results block", f->chan_base + 1536, 16);
	BAD("own results, empty", f->chan_base + 1536, 0);
	BAD("at the arena end, len 1", f->a1, 1);
	BAD("straddling the arena end", f->a1 - 1, 2);
	BAD("past the arena end, len 0", f->a1 + 1, 0);
	BAD("past the region", rsize + 100, 1);
	BAD("at the region end", rsize, 0);
	BAD("UINT64_MAX", UINT64_MAX, 0);
	BAD("UINT64_MAX len 1", UINT64_MAX, 1);
	BAD("UINT64_MAX - 1 len 2", UINT64_MAX - 1, 2);
	BAD("off + len overflows", f->a0 + 16, UINT64_MAX - 10);
	BAD("off + len wraps to the arena", f->a1 - 8, UINT64_MAX - 8 + 1);
	BAD("len UINT64_MAX", f->a0, UINT64_MAX);
	BAD("len larger than the arena", f->a0, alen + 1);
	BAD("len 2^32 + 16", f->a0, (1ull << 32) + 16);
	BAD("other channel's arena", f->o0, 16);
	BAD("other channel's arena, len 0", f->o0, 0);
	BAD("other channel's arena end", f->o1 - 16, 16);
	BAD("other channel's header", f->o0 - VMRPC_ARENA_OFF, 64);
	BAD("next channel's control line", f->a1, 0x20);
	BAD("unattached channel's arena", f->o1 + VMRPC_ARENA_OFF, 16);
	BAD("last channel's arena end", rsize - 16, 16);
	BAD("arena start + region size", f->a0 + rsize, 1);
#undef BAD
	return n;
}

static void test_in_buf(void **state)
{
	struct fixture *f = *state;
	struct bad v[64];
	size_t n = hostile_bufs(f, v);
	uint64_t sum;

	for (size_t i = 0; i < n; i++) {
		int64_t st = call_buf(f, M_IN_BUF, v[i].off, v[i].len);

		if (st != -EFAULT)
			fail_msg("in_buf %s (off %#llx len %#llx): %lld, want -EFAULT", v[i].what,
				 (unsigned long long)v[i].off, (unsigned long long)v[i].len,
				 (long long)st);
	}

	/* The whole arena, and every edge of it, is readable. */
	memset(f->gbase + f->a0, 1, f->a1 - f->a0);
	assert_int_equal(call_buf(f, M_IN_BUF, f->a0, f->a1 - f->a0), 0);
	memcpy(&sum, vmrpc_region_chan(f->guest, vmrpc_chan_index(f->ch))->results, sizeof(sum));
	assert_int_equal(sum, f->a1 - f->a0);
	assert_int_equal(call_buf(f, M_IN_BUF, f->a0, 0), 0);
	assert_int_equal(call_buf(f, M_IN_BUF, f->a1, 0), 0); /* empty at the end */
	assert_int_equal(call_buf(f, M_IN_BUF, f->a1 - 1, 1), 0);
	assert_int_equal(call_buf(f, M_IN_BUF, f->a1 - 16, 16), 0);
	assert_int_equal(call_buf(f, M_IN_BUF, f->a0 + 100, f->a1 - f->a0 - 100), 0);
}

static void test_out_buf(void **state)
{
	struct fixture *f = *state;
	struct bad v[64];
	size_t n = hostile_bufs(f, v);
	uint64_t rsize = vmrpc_region_size(f->guest);
	uint8_t *snap = malloc(rsize);

	/* Fill our arena with a pattern, snapshot the region, and check that
	 * no refused write changed a single byte of it. */
	assert_non_null(snap);
	memset(f->gbase + f->a0, 0x11, f->a1 - f->a0);
	memset(f->gbase + f->o0, 0x22, f->o1 - f->o0);
	for (size_t i = 0; i < n; i++) {
		int64_t st;

		memcpy(snap, f->gbase, rsize);
		st = call_buf(f, M_OUT_BUF, v[i].off, v[i].len);
		if (st != -EFAULT)
			fail_msg("out_buf %s (off %#llx len %#llx): %lld, want -EFAULT",
				 v[i].what, (unsigned long long)v[i].off,
				 (unsigned long long)v[i].len, (long long)st);
		/* Only the words the protocol itself moves may differ: our
		 * request, reply and args, and the other channel's waiting
		 * flags (its callee may go to sleep meanwhile). */
		assert_memory_equal(snap + f->a0, f->gbase + f->a0, f->a1 - f->a0);
		assert_memory_equal(snap + f->o0 - VMRPC_ARENA_OFF,
				    f->gbase + f->o0 - VMRPC_ARENA_OFF, 128); /* ctl */
		assert_memory_equal(snap + f->o0 - 1536, f->gbase + f->o0 - 1536,
				    CHAN_SIZE - 1536); /* args, results, arena */
		assert_memory_equal(snap, f->gbase, 4096);
		assert_memory_equal(snap + f->o1, f->gbase + f->o1, rsize - f->o1);
	}
	free(snap);

	/* exactly at the arena end */
	assert_int_equal(call_buf(f, M_OUT_BUF, f->a1 - 16, 16), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(f->gbase[f->a1 - 16 + i], 0xa5);
	assert_int_equal(f->gbase[f->a1 - 17], 0x11);
	assert_int_equal(call_buf(f, M_OUT_BUF, f->a1, 0), 0);
	/* the whole arena */
	assert_int_equal(call_buf(f, M_OUT_BUF, f->a0, f->a1 - f->a0), 0);
	assert_int_equal(f->gbase[f->a0], 0xa5);
	assert_int_equal(f->gbase[f->a1 - 1], 0xa5);
	/* and nothing beyond it */
	for (uint64_t i = f->o0; i < f->o1; i++)
		if (f->gbase[i] != 0x22)
			fail_msg("other channel's arena changed at %#llx", (unsigned long long)i);
}

/* Put raw bytes at a region offset of the caller's mapping. */
static void poke(struct fixture *f, uint64_t off, const void *bytes, size_t len)
{
	memcpy(f->gbase + off, bytes, len);
}

static void test_get_str(void **state)
{
	struct fixture *f = *state;
	char res[VMRPC_RESULTS_SIZE], big[STR_MAX + 1];
	struct vmrpc_outcall c;
	struct vmrpc_wire_str w;
	uint64_t s = f->a0 + 64; /* a spot in our arena */

	/* a well-formed string, as a stub would send it */
	assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
	assert_int_equal(vmrpc_outcall_put_str(&c, "hello", 255, 0, &w), 0);
	assert_int_equal(w.len, 5);
	assert_int_equal(call_str(f, M_GET_STR, w.off, w.len, 255, res, sizeof(res)), 5);
	assert_string_equal(res, "hello");
	/* the empty string */
	poke(f, s, "", 1);
	assert_int_equal(call_str(f, M_GET_STR, s, 0, 255, res, sizeof(res)), 0);
	assert_string_equal(res, "");

	/* wire.len > max */
	poke(f, s, "0123456789", 11);
	assert_int_equal(call_str(f, M_GET_STR, s, 10, 9, NULL, 0), -EINVAL);
	assert_int_equal(call_str(f, M_GET_STR, s, 10, 10, res, sizeof(res)), 10);
	assert_int_equal(call_str(f, M_GET_STR, s, UINT32_MAX, STR_MAX, NULL, 0), -EINVAL);
	assert_int_equal(call_str(f, M_GET_STR, s, UINT32_MAX, 0, NULL, 0), -EINVAL);
	/* the byte at len is not the NUL */
	poke(f, s, "abcdef", 6);
	assert_int_equal(call_str(f, M_GET_STR, s, 3, 255, NULL, 0), -EINVAL);
	assert_int_equal(call_str(f, M_GET_STR, s, 0, 255, NULL, 0), -EINVAL);
	/* an embedded NUL */
	poke(f, s, "ab\0de", 6);
	assert_int_equal(call_str(f, M_GET_STR, s, 5, 255, NULL, 0), -EINVAL);
	poke(f, s, "\0bcde", 6);
	assert_int_equal(call_str(f, M_GET_STR, s, 5, 255, NULL, 0), -EINVAL);
	poke(f, s, "abcd\0", 6);
	assert_int_equal(call_str(f, M_GET_STR, s, 5, 255, NULL, 0), -EINVAL);

	/* max-length strings */
	memset(big, 'm', 255);
	big[255] = '\0';
	poke(f, s, big, 256);
	assert_int_equal(call_str(f, M_GET_STR, s, 255, 255, res, sizeof(res)), 255);
	assert_string_equal(res, big);
	assert_int_equal(call_str(f, M_GET_STR, s, 255, 254, NULL, 0), -EINVAL);
	memset(big, 'M', STR_MAX);
	big[STR_MAX] = '\0';
	poke(f, f->a0, big, STR_MAX + 1);
	assert_int_equal(call_str(f, M_GET_STR, f->a0, STR_MAX, STR_MAX, NULL, 0), STR_MAX);

	/* flush against the arena end: the NUL is the arena's last byte */
	poke(f, f->a1 - 4, "xyz", 4);
	assert_int_equal(call_str(f, M_GET_STR, f->a1 - 4, 3, 255, res, sizeof(res)), 3);
	assert_string_equal(res, "xyz");
	poke(f, f->a1 - 1, "", 1);
	assert_int_equal(call_str(f, M_GET_STR, f->a1 - 1, 0, 255, res, sizeof(res)), 0);
	/* its NUL would be one past the arena */
	assert_int_equal(call_str(f, M_GET_STR, f->a1 - 3, 3, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, f->a1, 0, 255, NULL, 0), -EFAULT);

	/* a valid string in another channel's arena is still out of reach */
	poke(f, f->o0, "secret", 7);
	assert_int_equal(call_str(f, M_GET_STR, f->o0, 6, 255, NULL, 0), -EFAULT);
	/* elsewhere */
	assert_int_equal(call_str(f, M_GET_STR, 0, 0, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, UINT64_MAX, 0, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, UINT64_MAX - 2, 3, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, f->chan_base + 512, 3, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, f->a0 - 2, 1, 255, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_GET_STR, vmrpc_region_size(f->guest), 0, 255, NULL, 0),
			 -EFAULT);
}

static void test_put_str(void **state)
{
	struct fixture *f = *state;
	char back[64];
	struct vmrpc_outcall c;
	struct vmrpc_wire_str w;
	uint64_t s = f->a0 + 128;

	/* slot exactly big enough: 5 characters and the NUL */
	memset(f->gbase + s, 0x11, 16);
	assert_int_equal(call_str(f, M_PUT_STR, s, 6, 5, NULL, 0), 0);
	assert_memory_equal(f->gbase + s, "ppppp", 6);
	assert_int_equal(f->gbase[s + 6], 0x11);
	/* the caller reads it back through the stub API */
	assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
	w = (struct vmrpc_wire_str){ .off = s, .len = 6 };
	assert_int_equal(vmrpc_outcall_get_str(&c, w.off, w.len, back, sizeof(back)), 0);
	assert_string_equal(back, "ppppp");

	/* one byte too small, and empty: -ERANGE, nothing written */
	memset(f->gbase + s, 0x11, 16);
	assert_int_equal(call_str(f, M_PUT_STR, s, 5, 5, NULL, 0), -ERANGE);
	assert_int_equal(call_str(f, M_PUT_STR, s, 0, 0, NULL, 0), -ERANGE);
	assert_int_equal(call_str(f, M_PUT_STR, s, 1, 100, NULL, 0), -ERANGE);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(f->gbase[s + i], 0x11);
	/* the empty string fits a 1-byte slot */
	assert_int_equal(call_str(f, M_PUT_STR, s, 1, 0, NULL, 0), 0);
	assert_int_equal(f->gbase[s], 0);

	/* slots flush against the arena end, and past it */
	assert_int_equal(call_str(f, M_PUT_STR, f->a1 - 6, 6, 5, NULL, 0), 0);
	assert_memory_equal(f->gbase + f->a1 - 6, "ppppp", 6);
	assert_int_equal(call_str(f, M_PUT_STR, f->a1 - 5, 6, 5, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_PUT_STR, f->a1, 1, 0, NULL, 0), -EFAULT);
	/* a slot that claims more than the arena */
	assert_int_equal(call_str(f, M_PUT_STR, f->a0, UINT32_MAX, 5, NULL, 0), -EFAULT);
	/* other places */
	memset(f->gbase + f->o0, 0x22, 64);
	assert_int_equal(call_str(f, M_PUT_STR, f->o0, 64, 5, NULL, 0), -EFAULT);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(f->gbase[f->o0 + i], 0x22);
	assert_int_equal(call_str(f, M_PUT_STR, 0, 64, 5, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_PUT_STR, UINT64_MAX, 1, 0, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_PUT_STR, f->chan_base + 1536, 64, 5, NULL, 0), -EFAULT);
	assert_int_equal(call_str(f, M_PUT_STR, vmrpc_region_size(f->guest) - 8, 8, 5, NULL, 0),
			 -EFAULT);
}

/* ---- hostile request words -------------------------------------------- */

static int64_t call_add(const struct vmrpc_binding *b, uint32_t method, uint64_t x, uint64_t y,
			uint32_t args_len)
{
	struct vmrpc_outcall c;
	struct bounds_args *a;

	assert_int_equal(vmrpc_outcall_begin(b, &c), 0);
	a = c.args;
	memset(a, 0, sizeof(*a));
	a->off = x;
	a->len = y;
	return vmrpc_outcall_invoke(&c, method, args_len);
}

/* The caller stub API validates what it can before touching the channel. */
static void test_invoke_checks(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->guest, vmrpc_chan_index(f->ch));
	uint32_t seq = c->req.req_seq;

	assert_int_equal(call_add(&f->b, M_COUNT, 1, 2, sizeof(struct bounds_args)), -EINVAL);
	assert_int_equal(call_add(&f->b, UINT32_MAX, 1, 2, sizeof(struct bounds_args)), -EINVAL);
	assert_int_equal(call_add(&f->b, M_ADD, 1, 2, VMRPC_ARGS_SIZE + 1), -VMRPC_E2BIG);
	assert_int_equal(call_add(&f->b, M_ADD, 1, 2, UINT32_MAX), -VMRPC_E2BIG);
	/* nothing was published */
	assert_int_equal(c->req.req_seq, seq);
	/* a full args block is fine */
	assert_int_equal(call_add(&f->b, M_ADD, 1, 2, VMRPC_ARGS_SIZE), 3);
	assert_int_equal(c->req.req_seq, seq + 1);
}

/* A caller with a forged binding: the callee checks slot and method. */
static void test_forged_binding(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_binding b = f->b;

	b.iface_slot = 1; /* one service is served: slot 0 */
	assert_int_equal(call_add(&b, M_ADD, 1, 2, sizeof(struct bounds_args)), -EPROTO);
	b.iface_slot = VMRPC_REG_MAX;
	assert_int_equal(call_add(&b, M_ADD, 1, 2, sizeof(struct bounds_args)), -EPROTO);
	b.iface_slot = UINT32_MAX;
	assert_int_equal(call_add(&b, M_ADD, 1, 2, sizeof(struct bounds_args)), -EPROTO);
	b = f->b;
	b.n_methods = UINT32_MAX;
	assert_int_equal(call_add(&b, M_COUNT, 1, 2, sizeof(struct bounds_args)), -EPROTO);
	assert_int_equal(call_add(&b, UINT32_MAX - 1, 1, 2, sizeof(struct bounds_args)),
			 -EPROTO);
	/* the callee is still there */
	assert_int_equal(call_add(&f->b, M_ADD, 40, 2, sizeof(struct bounds_args)), 42);
}

/* Requests published by hand: words a stub would never write. */
static int64_t raw_call(struct vmrpc_chan_hdr *c, uint32_t slot, uint32_t method,
			uint32_t args_len)
{
	uint32_t seq = __atomic_load_n(&c->req.req_seq, __ATOMIC_RELAXED) + 1;
	uint64_t deadline = unit_now_ns() + 2000000000ull;

	c->req.iface_slot = slot;
	c->req.method = method;
	c->req.args_len = args_len;
	__atomic_store_n(&c->req.req_seq, seq, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	unit_futex_wake(&c->req.req_seq);
	while (__atomic_load_n(&c->rep.rep_seq, __ATOMIC_ACQUIRE) != seq) {
		if (unit_now_ns() > deadline)
			fail_msg("no reply to raw request %u", seq);
		usleep(50);
	}
	return c->rep.status;
}

static void test_raw_request_words(void **state)
{
	struct fixture *f = *state;
	/* The second channel: its vmrpc_chan handle is not used for calls
	 * any more, so the raw sequence numbers cannot confuse it. */
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->guest, vmrpc_chan_index(f->other));
	struct bounds_args *a = (struct bounds_args *)c->args;
	const uint32_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->off = 5;
	a->len = 6;
	assert_int_equal(raw_call(c, 0, M_ADD, len), 11);

	/* Each refusal follows a call that left res_len 8, so "a refused
	 * request reports no results" is really checked (regression: early
	 * refusals kept the previous reply's res_len). */
	static const uint32_t bad[][3] = {
		{ 0, M_ADD, VMRPC_ARGS_SIZE + 1 }, { 0, M_ADD, UINT32_MAX },
		{ 0, M_ADD, 0x80000000u },          { 1, M_ADD, 0 },
		{ UINT32_MAX, M_ADD, 0 },           { 0, M_COUNT, 0 },
		{ 0, UINT32_MAX, 0 },               { UINT32_MAX, UINT32_MAX, UINT32_MAX },
	};
	uint64_t o0, o1; /* the other channel's arena */

	unit_chan_arena(f->guest, vmrpc_chan_index(f->other), &o0, &o1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a->off = o0;
		a->len = 0;
		assert_int_equal(raw_call(c, 0, M_IN_BUF, len), 0);
		assert_int_equal(c->rep.res_len, 8);
		a->off = 5;
		a->len = 6;
		assert_int_equal(raw_call(c, bad[i][0], bad[i][1], bad[i][2] ? bad[i][2] : len),
				 -EPROTO);
		assert_int_equal(c->rep.res_len, 0);
	}

	/* the callee keeps serving: the next valid request works */
	a->off = 100;
	a->len = 23;
	assert_int_equal(raw_call(c, 0, M_ADD, len), 123);
	assert_int_equal(raw_call(c, 0, M_ADD, VMRPC_ARGS_SIZE), 123);
	/* and so does the other channel's callee */
	assert_int_equal(call_add(&f->b, M_ADD, 1, 1, sizeof(struct bounds_args)), 2);
}

/* A callee reached through a bounds-checked pointer reads the bytes the
 * caller wrote at that offset (the pointer is not just "some" memory). */
static void test_in_buf_content(void **state)
{
	struct fixture *f = *state;
	const struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->guest, vmrpc_chan_index(f->ch));
	struct vmrpc_outcall oc;
	uint64_t off, sum, want = 0;
	uint8_t *p;

	assert_int_equal(vmrpc_outcall_begin(&f->b, &oc), 0);
	assert_int_equal(vmrpc_outcall_alloc(&oc, 300, &off, (void **)&p), 0);
	assert_true(off >= f->a0 && off + 300 <= f->a1);
	for (unsigned i = 0; i < 300; i++) {
		p[i] = (uint8_t)(i * 7);
		want += p[i];
	}
	assert_int_equal(call_buf(f, M_IN_BUF, off, 300), 0);
	memcpy(&sum, c->results, sizeof(sum));
	assert_int_equal(sum, want);
	assert_int_equal(c->rep.res_len, 8);
}

int main(int argc, char **argv)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_in_buf),         T(test_out_buf),          T(test_get_str),
		T(test_put_str),        T(test_invoke_checks),    T(test_forged_binding),
		T(test_raw_request_words), T(test_in_buf_content),
	};
#undef T
	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
