/* SPDX-License-Identifier: MIT */
/*
 * The caller of greeter.idl (which imports shared/limits.idl), and of
 * hostcalls.idl from the installed share/vmrpc/idl: prints what the host
 * answered.
 */
#include <inttypes.h>
#include <stdio.h>

#include "greeter_caller.h"
#include "hostcalls_caller.h"
#include "vmrpc/guest.h"

static struct vmrpc_guest g;

static int fail(const char *what, int64_t err)
{
	fprintf(stderr, "greeter_client: %s: %s\n", what, vmrpc_strerror((int)err));
	vmrpc_guest_detach(&g);
	return 1;
}

int main(void)
{
	const struct limits_factors f = { .a = 6, .b = 7 };
	struct vmrpc_binding greeter, hostcalls;
	char greeting[129], cwd[4096];
	int64_t r;

	r = vmrpc_guest_attach(NULL, &g);
	if (r < 0)
		return fail("attach", r);
	r = greeter_bind(g.chan, &greeter);
	if (r < 0)
		return fail("bind greeter", r);
	r = hostcalls_bind(g.chan, &hostcalls);
	if (r < 0)
		return fail("bind hostcalls", r);

	r = greeter_mul(&greeter, &f);
	if (r < 0)
		return fail("mul", r);
	printf("mul(6, 7) = %" PRId64 "\n", r);
	r = greeter_greet(&greeter, "installed vmrpc", greeting, sizeof(greeting));
	if (r < 0)
		return fail("greet", r);
	printf("greet = %s\n", greeting);
	r = hostcalls_getcwd(&hostcalls, cwd, sizeof(cwd));
	if (r < 0)
		return fail("getcwd", r);
	printf("getcwd = %s\n", cwd);

	vmrpc_guest_detach(&g);
	return 0;
}
