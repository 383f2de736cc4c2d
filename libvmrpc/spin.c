/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "spin.h"

static uint32_t spin_env_max(void)
{
	const char *v = getenv("VMRPC_SPIN_NS");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return SPIN_DEFAULT_MAX_NS;
	n = strtoul(v, &end, 10);
	if (*end || n > 10000000ul) /* 10 ms: beyond that spinning is a bug */
		return SPIN_DEFAULT_MAX_NS;
	return (uint32_t)n;
}

void spin_init(struct spin *s)
{
	spin_set_max(s, spin_env_max());
}

void spin_set_max(struct spin *s, uint32_t max_ns)
{
	s->max_ns = max_ns;
	s->cur_ns = max_ns;
}

void spin_hit(struct spin *s)
{
	/* 64 bits: max_ns may be anything up to UINT32_MAX */
	uint64_t grown = (uint64_t)s->cur_ns + s->cur_ns / 4 + 500;

	s->cur_ns = grown < s->max_ns ? (uint32_t)grown : s->max_ns;
}

void spin_miss(struct spin *s)
{
	uint32_t halved = s->cur_ns / 2;
	uint32_t floor = s->max_ns < SPIN_FLOOR_NS ? s->max_ns : SPIN_FLOOR_NS;

	s->cur_ns = halved > floor ? halved : floor;
}
