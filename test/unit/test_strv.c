/* SPDX-License-Identifier: MIT */
/*
 * String lists (libvmrpc/strv.c) and vmrpc_write_all (libvmrpc/io.c).
 * vmrpc_strv_unpack() reads what a peer wrote, perhaps a hostile one: every
 * list that is not exactly n strings is refused. This test links libvmrpc.so,
 * so it also checks that the three are exported.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmrpc/vmrpc.h"

/* Unpack exactly the len bytes of s (which may hold NULs). */
static int unpack(const char *s, size_t len, size_t n, char ***ret_v)
{
	return vmrpc_strv_unpack(s, len, n, ret_v);
}

static void test_pack(void **state)
{
	char *const v[] = { "ls", "", "-l", "a b" };
	char *buf = NULL;
	size_t len = 99;

	(void)state;
	assert_int_equal(vmrpc_strv_pack(v, 4, &buf, &len), 0);
	assert_int_equal(len, 11);
	assert_memory_equal(buf, "ls\0\0-l\0a b", 11); /* and the literal's NUL */
	free(buf);
	/* the empty list: no bytes, but a buffer to free */
	buf = NULL;
	assert_int_equal(vmrpc_strv_pack(NULL, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_non_null(buf);
	free(buf);
	/* one empty string: one NUL */
	assert_int_equal(vmrpc_strv_pack(v + 1, 1, &buf, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], '\0');
	free(buf);
}

static void test_round_trip(void **state)
{
	char *const v[] = { "PATH=/bin", "", "HOME=/", "" };
	char *buf, **out;
	size_t len;

	(void)state;
	for (size_t n = 0; n <= 4; n++) {
		assert_int_equal(vmrpc_strv_pack(v, n, &buf, &len), 0);
		assert_int_equal(unpack(buf, len, n, &out), 0);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(out[i], v[i]);
		assert_null(out[n]);
		free(out);
		free(buf);
	}
}

static void test_unpack_good(void **state)
{
	char **v = NULL;

	(void)state;
	/* the empty list */
	assert_int_equal(unpack("", 0, 0, &v), 0);
	assert_non_null(v);
	assert_null(v[0]);
	free(v);
	/* empty strings: as many NULs as strings */
	assert_int_equal(unpack("\0\0\0", 3, 3, &v), 0);
	assert_string_equal(v[0], "");
	assert_string_equal(v[1], "");
	assert_string_equal(v[2], "");
	assert_null(v[3]);
	free(v);
	assert_int_equal(unpack("a\0bc\0", 5, 2, &v), 0);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "bc");
	assert_null(v[2]);
	free(v);
}

/* The copy, not the peer's bytes: rewriting them afterwards changes nothing. */
static void test_unpack_copies(void **state)
{
	char wire[] = "abc\0de";
	char **v;

	(void)state;
	assert_int_equal(unpack(wire, sizeof(wire), 2, &v), 0);
	memset(wire, 'X', sizeof(wire));
	assert_string_equal(v[0], "abc");
	assert_string_equal(v[1], "de");
	free(v);
}

static void test_unpack_bad(void **state)
{
	char **v = (char **)0x1;

	(void)state;
	/* the last byte is not a NUL */
	assert_int_equal(unpack("a\0b", 3, 2, &v), -EINVAL);
	assert_int_equal(unpack("ab", 2, 1, &v), -EINVAL);
	/* too many NULs for n */
	assert_int_equal(unpack("a\0b\0", 4, 1, &v), -EINVAL);
	assert_int_equal(unpack("\0\0", 2, 1, &v), -EINVAL);
	assert_int_equal(unpack("\0", 1, 0, &v), -EINVAL);
	/* too few */
	assert_int_equal(unpack("a\0b\0", 4, 3, &v), -EINVAL);
	assert_int_equal(unpack("ab\0", 3, 2, &v), -EINVAL);
	/* strings promised, no bytes; bytes, no strings */
	assert_int_equal(unpack("", 0, 1, &v), -EINVAL);
	assert_int_equal(unpack("a", 1, 0, &v), -EINVAL);
	/* a count no length can hold: refused before anything is allocated */
	assert_int_equal(unpack("a\0", 2, SIZE_MAX, &v), -EINVAL);
	assert_int_equal(unpack("a\0", 2, 3, &v), -EINVAL);
	/* ret_v is untouched on failure */
	assert_ptr_equal(v, (char **)0x1);
}

static void test_write_all(void **state)
{
	static char big[1 << 20];
	char back[sizeof(big)];
	size_t got = 0;
	int p[2], status;
	pid_t pid;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	/* more than a pipe holds: short writes while a child drains it */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(vmrpc_write_all(p[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(p[1]);
	while (got < sizeof(back)) {
		ssize_t n = read(p[0], back + got, sizeof(back) - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_memory_equal(back, big, sizeof(big));
	/* nothing to write: no call, no error */
	assert_int_equal(vmrpc_write_all(-1, big, 0), 0);
	/* errors come back as -errno */
	assert_int_equal(vmrpc_write_all(-1, big, 1), -EBADF);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(vmrpc_write_all(p[1], big, 1), -EPIPE);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unpack_good),
		cmocka_unit_test(test_unpack_copies),
		cmocka_unit_test(test_unpack_bad),
		cmocka_unit_test(test_write_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
