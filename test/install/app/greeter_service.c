/* SPDX-License-Identifier: MIT */
/* The callee of greeter.idl, as a service module for vmrpc-hostd --service. */
#include <errno.h>
#include <stdio.h>

#include "greeter_callee.h"
#include "vmrpc/module.h"

static int64_t greeter_do_mul(void *ctx, const struct limits_factors *f)
{
	(void)ctx;
	return (int64_t)f->a * f->b;
}

static int32_t greeter_do_greet(void *ctx, const char *name, char *greeting,
				size_t greeting_size)
{
	int n = snprintf(greeting, greeting_size, "hello, %s", name);

	(void)ctx;
	return n < 0 || (size_t)n >= greeting_size ? -ENAMETOOLONG : 0;
}

static const struct greeter_ops greeter_impl = {
	.mul = greeter_do_mul,
	.greet = greeter_do_greet,
};

static const struct vmrpc_service greeter_services[] = {
	{ &greeter_iface, greeter_dispatch, &greeter_impl, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = greeter_services,
};
