/* SPDX-License-Identifier: MIT */
/*
 * The type table reader's checks (libvmrpc/typetab.c), on tables built
 * here field by field: what a hostile peer could send instead of a
 * generated table. Each malformed table must be refused, with a reason
 * that names what is wrong; the well-formed ones next to them accepted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vmrpc/dynamic.h"

/* A table of n_types types and no methods: type 0 is uint8, each later
 * one an array of 1 of the one before (structs and arrays nest n deep). */
struct chain {
	struct vmrpc_tt_hdr hdr;
	struct vmrpc_tt_type types[64];
	char strings[8];
};

static size_t chain_build(struct chain *c, uint32_t n_types)
{
	size_t len = sizeof(c->hdr) + n_types * sizeof(c->types[0]) + 4;

	memset(c, 0, sizeof(*c));
	c->hdr = (struct vmrpc_tt_hdr){
		.magic = VMRPC_TT_MAGIC,
		.version = VMRPC_TT_VERSION,
		.size = (uint32_t)len,
		.name = 1,
		.n_types = n_types,
		.strings_len = 4,
	};
	c->types[0] = (struct vmrpc_tt_type){ .kind = VMRPC_TT_UINT8, .size = 1, .align = 1 };
	for (uint32_t i = 1; i < n_types; i++)
		c->types[i] = (struct vmrpc_tt_type){ .kind = VMRPC_TT_ARRAY, .size = 1, .align = 1,
						      .a = i - 1, .b = 1 };
	/* the strings follow the types directly: "\0ab\0" */
	memcpy((char *)&c->types[n_types], "\0ab", 4);
	return len;
}

static int load(const void *buf, size_t len, char *why, size_t why_size)
{
	struct vmrpc_types *t = NULL;
	int err = vmrpc_types_load(buf, len, why, why_size, &t);

	vmrpc_types_free(t);
	return err;
}

static void test_depth(void **state)
{
	struct chain c;
	char why[256];
	size_t len;

	(void)state;
	len = chain_build(&c, VMRPC_TT_MAX_DEPTH);
	assert_int_equal(load(&c, len, why, sizeof(why)), 0);
	/* One more level: a reader that recursed on it could run out of
	 * stack on a chain the size of a table. */
	len = chain_build(&c, VMRPC_TT_MAX_DEPTH + 1);
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "nest deeper than 32"));
}

static void test_malformed(void **state)
{
	struct chain c;
	char why[256];
	size_t len;

	(void)state;
	len = chain_build(&c, 3);
	assert_int_equal(load(&c, len, why, sizeof(why)), 0);
	assert_string_equal(why, "");

	c.hdr.magic ^= 1;
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a version 1 type table"));

	chain_build(&c, 3);
	assert_int_equal(load(&c, len - 1, why, sizeof(why)), -EINVAL); /* size != length */
	c.hdr.n_types = 4; /* the sections no longer tile the table */
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "sections take"));

	chain_build(&c, 3);
	c.types[1].a = 2; /* an element that is not an earlier type */
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "type 1: element type 2 is not an earlier type"));

	chain_build(&c, 3);
	c.types[2].size = 2; /* 1 element of 1 byte in 2 bytes */
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);

	chain_build(&c, 3);
	c.hdr.name = 4; /* past the strings */
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "outside the strings"));

	chain_build(&c, 3);
	memcpy((char *)&c.types[3], "\0a-", 4); /* no NUL at the end, not an identifier */
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);

	chain_build(&c, 3);
	c.types[0].kind = 99;
	assert_int_equal(load(&c, len, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "unknown kind 99"));

	assert_int_equal(load(NULL, 0, why, sizeof(why)), -EINVAL);
	assert_int_equal(load(&c, 10, NULL, 0), -EINVAL); /* no room for why: still refused */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_malformed),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
