/* SPDX-License-Identifier: MIT */
/* A vmrpc-hostd service module for the benchmarks: each shadow counts the
 * null calls it served (module statics are per shadow, so per caller), and
 * sleeps on request (bench/vm.sh's reply delay). */
#include <errno.h>
#include <time.h>

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

static int64_t benchnull_do_block(void *ctx, uint64_t ns)
{
	struct timespec t0, t1, d = { .tv_sec = (time_t)(ns / 1000000000u),
				      .tv_nsec = (long)(ns % 1000000000u) };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &d) == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
}

static const struct benchnull_ops benchnull_impl = {
	.null = benchnull_do_null,
	.served = benchnull_do_served,
	.block = benchnull_do_block,
};

static const struct vmrpc_service benchnull_services[] = {
	{ &benchnull_iface, benchnull_dispatch, &benchnull_impl, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = benchnull_services,
};
