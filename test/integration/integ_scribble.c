/* SPDX-License-Identifier: MIT */
/*
 * Random bytes over a busy channel. Caller A calls calc in a tight loop,
 * checking every result; caller B does the same on its own channel; the test
 * maps the region like any guest process could and writes random bytes over
 * A's channel: its args and arena, its request and reply lines, or all of
 * it including the control line. A's loop must end with an error or a wrong
 * result it can detect, within a bounded time (never a hang); hostd must
 * keep serving; B must not notice anything; A must work again after it
 * reattaches.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "calc_caller.h"
#include "harness.h"

#define CHAN_SIZE (64u << 10)
#define WARMUP_CALLS 200
#define MIN_SCRIBBLE_MS 100

/* One checked call: 0, a negative error, or 1 for a wrong result. */
static int64_t checked_call(const struct vmrpc_binding *calc, uint64_t i)
{
	uint8_t in[64], out[64];
	int64_t a = (int64_t)(i * 2654435761u % 1000000007u), b = (int64_t)i, r;

	if (i % 2 == 0) {
		r = calc_add(calc, a, b);
		if (r == a + b)
			return 0;
		/* a scribbled sum can be negative too: only error codes are errors */
		return r < 0 && r > -VMRPC_ELAST ? r : 1;
	}
	for (size_t k = 0; k < sizeof(in); k++)
		in[k] = (uint8_t)(i + k * 31);
	r = calc_reverse(calc, in, out, sizeof(in));
	if (r != (int64_t)sizeof(in))
		return r < 0 && r > -VMRPC_ELAST ? r : 1;
	for (size_t k = 0; k < sizeof(in); k++)
		if (out[k] != in[sizeof(in) - 1 - k])
			return 1;
	return 0;
}

static int attach(struct vmrpc_guest *g, struct vmrpc_binding *calc)
{
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, g), 0);
	ITEST_CHECK_EQ(calc_bind(g->chan, calc), 0);
	return 0;
}

/* A: report the channel, warm up, report that, call until something goes
 * wrong and report what; on the test's word reattach and check 1000 calls. */
static int victim_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding calc;
	int64_t r = 0, go;
	uint64_t i;

	(void)arg;
	attach(&g, &calc);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	for (i = 0; i < WARMUP_CALLS; i++)
		ITEST_CHECK_EQ(checked_call(&calc, i), 0);
	ITEST_CHECK(itest_send(wr, 0) == 0);
	/* bounded by the test's deadline: it stops waiting and kills us */
	for (; r == 0; i++)
		r = checked_call(&calc, i);
	ITEST_CHECK(itest_send(wr, r) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	vmrpc_guest_detach(&g);
	attach(&g, &calc);
	for (i = 0; i < 1000; i++)
		ITEST_CHECK_EQ(checked_call(&calc, i), 0);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

/* B: call until told to stop, then report calls and failures. */
static int bystander_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding calc;
	int64_t failures = 0;
	uint64_t i;

	(void)arg;
	attach(&g, &calc);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	for (i = 0;; i++) {
		struct pollfd p = { .fd = rd, .events = POLLIN };
		int64_t r;

		if (i % 16 == 0 && poll(&p, 1, 0) > 0)
			break;
		r = checked_call(&calc, i);
		if (r != 0) {
			fprintf(stderr, "B: call %llu: %lld (%s)\n", (unsigned long long)i,
				(long long)r, r < 0 ? vmrpc_strerror((int)r) : "wrong result");
			failures++;
			break;
		}
	}
	ITEST_CHECK(itest_send(wr, (int64_t)i) == 0);
	ITEST_CHECK(itest_send(wr, failures) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

enum scribble_part { PART_ARGS, PART_LINES, PART_ALL };

static void scribble(enum scribble_part part)
{
	static const struct {
		uint32_t lo, hi, hot_hi; /* half the writes go to [lo, hot_hi) */
		const char *what;
	} parts[] = {
		[PART_ARGS] = { 512, CHAN_SIZE, 512 + 64, "args, results and arena" },
		[PART_LINES] = { 128, 384, 384, "request and reply lines" },
		[PART_ALL] = { 0, CHAN_SIZE, 512 + 64, "the whole channel" },
	};
	struct itest_hostd h;
	struct itest_child a, b;
	struct vmrpc_region *r;
	struct vmrpc_guest g;
	struct vmrpc_binding calc;
	uint8_t *chan;
	int64_t a_index, b_index, outcome = 0, v;
	uint64_t start, writes = 0;
	int ended = 0;

	itest_hostd_start(&h, "--channels", "4", "--channel-size", "64K", "--service",
			  ITEST_CALC_SERVICE, (char *)NULL);
	itest_child_start(&b, bystander_main, NULL);
	b_index = itest_expect(&b);
	itest_child_start(&a, victim_main, NULL);
	a_index = itest_expect(&a);
	assert_int_not_equal(a_index, b_index);
	assert_int_equal(itest_expect(&a), 0); /* warmed up: calls work */

	/* what any process that can map the region can do */
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	chan = (uint8_t *)vmrpc_region_chan(r, (uint32_t)a_index);
	assert_non_null(chan);
	start = itest_now_ms();
	for (;;) {
		uint64_t now = itest_now_ms();

		for (int k = 0; k < 64; k++) {
			uint64_t x = itest_rand(), val = itest_rand();
			uint32_t hi = (x & 1) ? parts[part].hot_hi : parts[part].hi;
			uint32_t off = parts[part].lo + (uint32_t)((x >> 8) % (hi - parts[part].lo));
			uint32_t len = (uint32_t)(x >> 4) % 8 + 1;

			if (off + len > parts[part].hi)
				len = parts[part].hi - off;
			memcpy(chan + off, &val, len);
			writes++;
		}
		if (!ended && itest_recv(a.from_child, &outcome, 0) == 0)
			ended = 1;
		if (ended && now - start >= MIN_SCRIBBLE_MS)
			break;
		if (now - start > ITEST_DEADLINE_MS)
			fail_msg("caller A went on calling through %llu random writes over %s "
				 "for %d ms without noticing", (unsigned long long)writes,
				 parts[part].what, ITEST_DEADLINE_MS);
	}
	print_message("random bytes over %s: A's loop ended with %lld (%s) after %llu ms\n",
		      parts[part].what, (long long)outcome,
		      outcome < 0 ? vmrpc_strerror((int)outcome) : "a wrong result",
		      (unsigned long long)(itest_now_ms() - start));
	assert_int_not_equal(outcome, 0);
	vmrpc_region_close(r);

	/* hostd is alive and serves a new caller */
	assert_true(itest_hostd_alive(&h));
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(calc_bind(g.chan, &calc), 0);
	for (uint64_t i = 0; i < 100; i++)
		itest_assert_err(checked_call(&calc, i), 0);
	vmrpc_guest_detach(&g);

	/* A works again after it reattaches */
	assert_int_equal(itest_send(a.to_child, 1), 0);
	v = itest_expect(&a);
	assert_true(v >= 0 && v < 4);

	/* B saw nothing */
	assert_int_equal(itest_send(b.to_child, 1), 0);
	v = itest_expect(&b);
	assert_true(v > 0);
	assert_int_equal(itest_expect(&b), 0);
	assert_int_equal(itest_child_wait(&b), 0);

	assert_int_equal(itest_send(a.to_child, 1), 0);
	assert_int_equal(itest_child_wait(&a), 0);
	/* every shadow goes, whatever A's old channel holds */
	{
		uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
		pid_t kids[8];
		while (itest_proc_children(h.pid, kids, 8) > 0 && itest_now_ms() < deadline)
			usleep(5000);
		assert_int_equal(itest_proc_children(h.pid, kids, 8), 0);
	}
	assert_int_equal(itest_log_count(&h, "shadow pid", "exited with", (char *)NULL), 0);
	itest_hostd_stop(&h);
}

static void test_scribble_args(void **state)
{
	(void)state;
	scribble(PART_ARGS);
}

static void test_scribble_lines(void **state)
{
	(void)state;
	scribble(PART_LINES);
}

static void test_scribble_all(void **state)
{
	(void)state;
	scribble(PART_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scribble_args, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_scribble_lines, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_scribble_all, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_scribble", tests, NULL, NULL);
}
