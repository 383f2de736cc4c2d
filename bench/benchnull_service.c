/* SPDX-License-Identifier: MIT */
/* A vmrpc-hostd service module for the benchmark: each shadow counts the
 * null calls it served (module statics are per shadow, so per caller). */
#include "benchnull_callee.h"
#include "vmrpc/module.h"

static int64_t benchnull_count;

static int benchnull_do_null(void *ctx)
{
	benchnull_count++;
	return 0;
}

static int64_t benchnull_do_served(void *ctx)
{
	return benchnull_count;
}

static const struct benchnull_ops benchnull_impl = {
	.null = benchnull_do_null,
	.served = benchnull_do_served,
};

static const struct vmrpc_service benchnull_services[] = {
	{ &benchnull_iface, benchnull_dispatch, &benchnull_impl, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = benchnull_services,
};
