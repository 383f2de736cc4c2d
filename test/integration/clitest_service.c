/* SPDX-License-Identifier: MIT */
/*
 * clitest.idl's callee, a service module for vmrpc-hostd (--service) and
 * vmrpc-guestd (service =): every kind of value for the command lines'
 * test (integ_cli.c). Each method writes "clitest: METHOD" on stderr, which
 * the serving daemon logs: the test counts them to prove that a call
 * refused for bad input was never sent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clitest_callee.h"
#include "vmrpc/module.h"

static void clitest_log(const char *method)
{
	fprintf(stderr, "clitest: %s\n", method);
	fflush(stderr);
}

static int32_t clitest_do_echo(void *ctx, const struct clitest_shape *s,
			       struct clitest_shape *copy)
{
	clitest_log("echo");
	*copy = *s;
	copy->w = s->w * 2;
	copy->filled = !s->filled;
	return 0;
}

static int64_t clitest_do_mix(void *ctx, int8_t a, uint16_t b, int32_t c, uint64_t d, bool e,
			      double f, enum clitest_color g, const clitest_small4 h,
			      int64_t *sum, enum clitest_color *next)
{
	clitest_log("mix");
	*sum = (int64_t)a + b + c + h[0] + h[1] + h[2] + h[3] + (int64_t)(d % 1000) + (int64_t)f;
	*next = g == CLITEST_COLOR_RED	 ? CLITEST_COLOR_GREEN
		: g == CLITEST_COLOR_GREEN ? CLITEST_COLOR_BLUE
					   : CLITEST_COLOR_RED;
	return e ? 1 : 0;
}

static int32_t clitest_do_text(void *ctx, const char *s, char *t, size_t t_size)
{
	size_t n = strlen(t);

	clitest_log("text");
	if (n + strlen(s) >= t_size)
		return -ENAMETOOLONG;
	strcpy(t + n, s);
	return (int32_t)strlen(t);
}

static int64_t clitest_do_bytes(void *ctx, const void *data, uint32_t n, void *back,
				uint32_t cap, uint32_t *len)
{
	const uint8_t *src = data;
	uint8_t *dst = back;
	uint32_t k = n < cap ? n : cap;

	clitest_log("bytes");
	for (uint32_t i = 0; i < k; i++)
		dst[i] = src[n - 1 - i];
	*len = k;
	return k;
}

static int clitest_do_note(void *ctx, const char *line)
{
	clitest_log("note");
	fprintf(stderr, "clitest: note: %s\n", line);
	return 0;
}

static int32_t clitest_do_fail(void *ctx, int32_t code)
{
	clitest_log("fail");
	return code;
}

static const struct clitest_ops clitest_impl = {
	.echo = clitest_do_echo,
	.mix = clitest_do_mix,
	.text = clitest_do_text,
	.bytes = clitest_do_bytes,
	.note = clitest_do_note,
	.fail = clitest_do_fail,
};

static const struct vmrpc_service clitest_services[] = {
	{ &clitest_iface, clitest_dispatch, &clitest_impl, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = clitest_services,
};
