/* SPDX-License-Identifier: MIT */
/* The host side of calc.idl, as a service module for vmrpc-hostd --service. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "calc_callee.h"
#include "vmrpc/module.h"

static int64_t calc_do_add(void *ctx, int64_t a, int64_t b)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return -EOVERFLOW;
	return sum;
}

static int32_t calc_do_stats(void *ctx, const void *data, uint32_t n, uint64_t *sum,
			     uint8_t *min, uint8_t *max)
{
	const uint8_t *p = data;

	if (n == 0)
		return -EINVAL;
	*sum = 0;
	*min = 255;
	*max = 0;
	for (uint32_t i = 0; i < n; i++) {
		*sum += p[i];
		*min = p[i] < *min ? p[i] : *min;
		*max = p[i] > *max ? p[i] : *max;
	}
	return 0;
}

static int32_t calc_do_greet(void *ctx, const char *name, char *greeting, size_t greeting_size)
{
	int n = snprintf(greeting, greeting_size, "hello, %s, from host pid %d", name,
			 (int)getpid());

	return n < 0 || (size_t)n >= greeting_size ? -ENAMETOOLONG : 0;
}

static int64_t calc_do_reverse(void *ctx, const void *data, void *rev, uint64_t n)
{
	const uint8_t *src = data;
	uint8_t *dst = rev;

	for (uint64_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
	return (int64_t)n;
}

static const struct calc_ops calc_impl = {
	.add = calc_do_add,
	.stats = calc_do_stats,
	.greet = calc_do_greet,
	.reverse = calc_do_reverse,
};

static const struct vmrpc_service calc_services[] = {
	{ &calc_iface, calc_dispatch, &calc_impl, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = calc_services,
};
