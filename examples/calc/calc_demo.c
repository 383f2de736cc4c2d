/* SPDX-License-Identifier: MIT */
/* calc-demo: a guest program calling calc.idl on the host with typed stubs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "calc_caller.h"
#include "vmrpc/guest.h"

static struct vmrpc_guest g; /* zeroed until attached: fail() may detach it */

static int fail(const char *what, int64_t err)
{
	fprintf(stderr, "calc-demo: %s: %s\n", what, vmrpc_strerror((int)err));
	vmrpc_guest_detach(&g);
	return 1;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "guest";
	const uint8_t data[] = { 7, 3, 250, 42, 1 };
	struct vmrpc_binding calc;
	char greeting[129], rev[6] = { 0 };
	uint64_t sum;
	uint8_t min, max;
	int64_t r;

	r = vmrpc_guest_attach(NULL, &g);
	if (r < 0) {
		char why[1024];

		/* which group or mode is missing, where hostd was looked for */
		vmrpc_region_explain(vmrpc_guest_default_region(), (int)r, why, sizeof(why));
		fprintf(stderr, "calc-demo: attach: %s\n", why);
		return 1;
	}
	r = calc_bind(g.chan, &calc);
	if (r < 0)
		return fail("bind calc", r);

	r = calc_add(&calc, 40, 2);
	if (r < 0)
		return fail("add", r);
	printf("add(40, 2) = %" PRId64 "\n", r);

	r = calc_add(&calc, INT64_MAX, 1);
	printf("add(INT64_MAX, 1) = %s\n", r < 0 ? vmrpc_strerror((int)r) : "no error?");

	r = calc_stats(&calc, data, sizeof(data), &sum, &min, &max);
	if (r < 0)
		return fail("stats", r);
	printf("stats({7,3,250,42,1}) = sum %" PRIu64 ", min %u, max %u\n", sum, min, max);

	r = calc_greet(&calc, name, greeting, sizeof(greeting));
	if (r < 0)
		return fail("greet", r);
	printf("greet(\"%s\") = \"%s\"\n", name, greeting);

	r = calc_reverse(&calc, "vmrpc", rev, 5);
	if (r < 0)
		return fail("reverse", r);
	printf("reverse(\"vmrpc\") = \"%s\"\n", rev);

	vmrpc_guest_detach(&g);
	return 0;
}
