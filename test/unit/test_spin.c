/* SPDX-License-Identifier: MIT */
/*
 * The adaptive spin policy (libvmrpc/spin.c, a private module: this test
 * compiles it in). A hit grows the budget towards max_ns, a miss halves it
 * down to a floor, max 0 never spins, and $VMRPC_SPIN_NS sets the default
 * max when it is a plain decimal number of at most 10 ms.
 */
#include <stdlib.h>
#include <string.h>

#include "spin.h"
#include "unit.h"

static void set_env(const char *v)
{
	if (v)
		setenv("VMRPC_SPIN_NS", v, 1);
	else
		unsetenv("VMRPC_SPIN_NS");
}

static uint32_t env_max(const char *v)
{
	struct spin s;

	set_env(v);
	memset(&s, 0xff, sizeof(s));
	spin_init(&s);
	assert_int_equal(s.cur_ns, s.max_ns); /* starts at the top */
	return s.max_ns;
}

static void test_env(void **state)
{
	const char *saved = getenv("VMRPC_SPIN_NS");
	char *keep = saved ? strdup(saved) : NULL;

	(void)state;
	assert_int_equal(env_max(NULL), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(SPIN_DEFAULT_MAX_NS, 50000);
	assert_int_equal(env_max(""), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("0"), 0);
	assert_int_equal(env_max("1"), 1);
	assert_int_equal(env_max("1000"), 1000);
	assert_int_equal(env_max("123456"), 123456);
	assert_int_equal(env_max("10000000"), 10000000); /* 10 ms: the ceiling */
	/* garbage and out-of-range values fall back to the default */
	assert_int_equal(env_max("10000001"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("4294967296"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("99999999999999999999999"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("abc"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("12abc"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("100 "), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("0x100"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("1e3"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("-1"), SPIN_DEFAULT_MAX_NS);
	assert_int_equal(env_max("-0"), 0); /* strtoul's reading: 0 */
	assert_int_equal(env_max(" "), SPIN_DEFAULT_MAX_NS);
	set_env(keep);
	free(keep);
}

static void test_set_max(void **state)
{
	struct spin s;

	(void)state;
	spin_set_max(&s, 7777);
	assert_int_equal(s.max_ns, 7777);
	assert_int_equal(s.cur_ns, 7777);
	spin_miss(&s);
	assert_true(s.cur_ns < 7777);
	/* setting the max again resets the budget to it */
	spin_set_max(&s, 30000);
	assert_int_equal(s.cur_ns, 30000);
}

static void test_miss_halves_to_floor(void **state)
{
	struct spin s;
	uint32_t prev;

	(void)state;
	spin_set_max(&s, 50000);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 25000);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 12500);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 6250);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 3125);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, SPIN_FLOOR_NS); /* 1562 would be below it */
	for (int i = 0; i < 100; i++) {
		spin_miss(&s);
		assert_int_equal(s.cur_ns, SPIN_FLOOR_NS);
	}
	/* from the 10 ms ceiling it reaches the floor too, never below */
	spin_set_max(&s, 10000000);
	prev = s.cur_ns;
	for (int i = 0; i < 40; i++) {
		spin_miss(&s);
		assert_true(s.cur_ns <= prev);
		assert_true(s.cur_ns >= SPIN_FLOOR_NS);
		prev = s.cur_ns;
	}
	assert_int_equal(s.cur_ns, SPIN_FLOOR_NS);
}

static void test_hit_grows_to_max(void **state)
{
	struct spin s;
	uint32_t prev;
	int steps = 0;

	(void)state;
	spin_set_max(&s, 50000);
	for (int i = 0; i < 10; i++)
		spin_miss(&s);
	assert_int_equal(s.cur_ns, SPIN_FLOOR_NS);
	/* one hit: +25% + 500 ns */
	spin_hit(&s);
	assert_int_equal(s.cur_ns, 2000 + 500 + 500);
	prev = s.cur_ns;
	while (s.cur_ns < 50000) {
		spin_hit(&s);
		assert_true(s.cur_ns > prev); /* strictly grows */
		assert_true(s.cur_ns <= 50000);
		prev = s.cur_ns;
		assert_true(++steps < 100);
	}
	assert_int_equal(s.cur_ns, 50000);
	for (int i = 0; i < 100; i++) {
		spin_hit(&s);
		assert_int_equal(s.cur_ns, 50000); /* capped */
	}
	/* a hit at max stays at max; a miss then a hit climbs back */
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 25000);
	spin_hit(&s);
	assert_int_equal(s.cur_ns, 25000 + 6250 + 500);
}

static void test_max_zero_never_spins(void **state)
{
	struct spin s;

	(void)state;
	spin_set_max(&s, 0);
	assert_int_equal(s.cur_ns, 0);
	for (int i = 0; i < 10; i++) {
		spin_hit(&s);
		assert_int_equal(s.cur_ns, 0);
		spin_miss(&s);
		assert_int_equal(s.cur_ns, 0);
	}
	set_env("0");
	spin_init(&s);
	spin_hit(&s);
	assert_int_equal(s.cur_ns, 0);
	set_env(NULL);
}

static void test_small_max(void **state)
{
	struct spin s;

	(void)state;
	/* below the floor the floor is the max itself: misses do not shrink
	 * a budget that is already tiny, hits do not exceed it */
	spin_set_max(&s, 1000);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 1000);
	spin_hit(&s);
	assert_int_equal(s.cur_ns, 1000);
	spin_set_max(&s, 1);
	spin_hit(&s);
	assert_int_equal(s.cur_ns, 1);
	spin_miss(&s);
	assert_int_equal(s.cur_ns, 1);
}

/* The public setters accept any uint32_t; the policy must stay monotonic:
 * a hit never lowers the budget, a miss never raises it. */
static void check_monotonic(uint32_t max)
{
	struct spin s;
	uint32_t prev;

	spin_set_max(&s, max);
	for (int i = 0; i < 64; i++) {
		prev = s.cur_ns;
		spin_miss(&s);
		assert_true(s.cur_ns <= prev);
	}
	for (int i = 0; i < 200; i++) {
		prev = s.cur_ns;
		spin_hit(&s);
		if (s.cur_ns < prev)
			fail_msg("max %u: a hit lowered the budget from %u to %u", max, prev,
				 s.cur_ns);
		assert_true(s.cur_ns <= max);
	}
	assert_int_equal(s.cur_ns, max);
}

static void test_monotonic(void **state)
{
	(void)state;
	check_monotonic(50000);
	check_monotonic(10000000);
	check_monotonic(2000);
	check_monotonic(2001);
	check_monotonic(1u << 30);
}

/* Regression (libvmrpc/spin.c, spin_hit): cur + cur/4 + 500 is computed in
 * 32 bits, so with a max above ~3.4 s (vmrpc_chan_set_spin and
 * vmrpc_callee_set_spin do not clamp, unlike $VMRPC_SPIN_NS) it wraps and a
 * hit collapses the budget instead of keeping it at max. */
static void test_monotonic_huge_max(void **state)
{
	(void)state;
	check_monotonic(UINT32_MAX);
	check_monotonic(3500000000u);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_set_max),
		cmocka_unit_test(test_miss_halves_to_floor),
		cmocka_unit_test(test_hit_grows_to_max),
		cmocka_unit_test(test_max_zero_never_spins),
		cmocka_unit_test(test_small_max),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_monotonic_huge_max),
	};

	unsetenv("VMRPC_SPIN_NS");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
