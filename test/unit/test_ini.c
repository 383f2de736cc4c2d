/* SPDX-License-Identifier: MIT */
/*
 * The daemons' configuration parser (libvmrpc/daemon/ini.c): the syntax
 * both hostd's file and guestd.conf accept, what the handler is told, and
 * that every mistake names FILE:LINE.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini.h"

/* What the handler saw, one "line:[section] key=value" per call. */
struct seen {
	char text[8192];
	unsigned fail_at; /* the handler refuses this line */
};

static int record(struct ini *ini, const char *section, const char *key, const char *value)
{
	struct seen *s = ini->user;
	size_t at = strlen(s->text);

	if (ini->line == s->fail_at)
		return ini_error(ini, "refused '%s'", key ? key : section);
	if (key)
		snprintf(s->text + at, sizeof(s->text) - at, "%u:[%s] %s=%s\n", ini->line,
			 section ? section : "-", key, value);
	else
		snprintf(s->text + at, sizeof(s->text) - at, "%u:[%s]\n", ini->line, section);
	return 0;
}

/* Parse text as a file: the handler's record in s, the message in err. */
static int parse(const char *text, const char *section_form, struct seen *s, char *err,
		 size_t err_size)
{
	char path[] = "/tmp/test_ini.XXXXXX";
	int fd = mkstemp(path), ret;
	struct ini ini = {
		.path = path, .section_form = section_form, .handler = record, .user = s,
		.err = err, .err_size = err_size,
	};

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	err[0] = '\0';
	ret = ini_parse(&ini);
	/* messages name the file: FILE, to compare them */
	if (!strncmp(err, path, strlen(path))) {
		memcpy(err, "FILE", 4);
		memmove(err + 4, err + strlen(path), strlen(err + strlen(path)) + 1);
	}
	if (ret == 0)
		assert_int_equal(ini.line, 0);
	unlink(path);
	return ret;
}

static void test_syntax(void **state)
{
	struct seen s = { .fail_at = 0 };
	char err[256];

	(void)state;
	assert_int_equal(parse("# a comment\n"
			       "\n"
			       "a = 1\n"
			       "  b=2  # after a value\n"
			       "c = x=y\n"             /* the first '=' splits */
			       "d =\n"                 /* an empty value */
			       "e = /p#q\n"            /* '#' anywhere */
			       "\tf\t=\tg h\t\r\n"     /* tabs, CRLF; inner blanks stay */
			       "\v\fi = j\f\n"         /* any isspace() */
			       "[ vm  x ]  # section\n"
			       "k = l\n"
			       "[]\n"
			       "m = n",                /* no final newline */
			       "[vm NAME]", &s, err, sizeof(err)),
			 0);
	assert_string_equal(s.text, "3:[-] a=1\n"
				    "4:[-] b=2\n"
				    "5:[-] c=x=y\n"
				    "6:[-] d=\n"
				    "7:[-] e=/p\n"
				    "8:[-] f=g h\n"
				    "9:[-] i=j\n"
				    "10:[vm  x]\n"
				    "11:[vm  x] k=l\n"
				    "12:[]\n"
				    "13:[] m=n\n");
	assert_string_equal(err, "");
}

/* Paths run to PATH_MAX: a line is never cut. */
static void test_long_line(void **state)
{
	struct seen s = { .fail_at = 0 };
	char text[6000], want[6000], err[256];

	(void)state;
	memset(text, 0, sizeof(text));
	strcpy(text, "k = /");
	memset(text + 5, 'x', 5000);
	strcat(text, "\nafter = 1\n");
	snprintf(want, sizeof(want), "1:[-] k=/%.*s\n2:[-] after=1\n", 5000, text + 5);
	assert_int_equal(parse(text, NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(s.text, want);
}

/* Without sections (guestd.conf) a '[' line is a key = value like any other. */
static void test_no_sections(void **state)
{
	struct seen s = { .fail_at = 0 };
	char err[256];

	(void)state;
	assert_int_equal(parse("[a=b]\n", NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(s.text, "1:[-] [a=b]\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(parse("a = 1\n[x]\nb = 2\n", NULL, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "FILE:2: expected 'key = value'");
	assert_string_equal(s.text, "1:[-] a=1\n");
}

static void test_errors(void **state)
{
	struct seen s = { .fail_at = 0 };
	char err[256];

	(void)state;
	assert_int_equal(parse("a = 1\nb 2\nc = 3\n", "[vm NAME]", &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "FILE:2: expected 'key = value'");
	assert_string_equal(s.text, "1:[-] a=1\n"); /* nothing after the mistake */

	memset(&s, 0, sizeof(s));
	assert_int_equal(parse("\n[vm a] b\n", "[vm NAME]", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "FILE:2: a section is '[vm NAME]'");
	assert_int_equal(parse("[vm a\n", "[vm NAME]", &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "FILE:1: a section is '[vm NAME]'");
	assert_string_equal(s.text, "");

	/* the handler's own error stops the parse at its line */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	assert_int_equal(parse("a = 1\nb = 2\nc = 3\n", NULL, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "FILE:2: refused 'b'");
	assert_string_equal(s.text, "1:[-] a=1\n");
}

static void test_files(void **state)
{
	struct seen s = { .fail_at = 0 };
	char err[256];
	struct ini ini = {
		.path = "/nonexistent/x.conf", .handler = record, .user = &s, .err = err,
		.err_size = sizeof(err),
	};

	(void)state;
	assert_int_equal(ini_parse(&ini), -ENOENT);
	assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
	/* an empty file is no error: what it must hold is the caller's to say */
	assert_int_equal(parse("", NULL, &s, err, sizeof(err)), 0);
	assert_string_equal(s.text, "");
	/* after the file, ini_error() names the file alone */
	ini.line = 0;
	assert_int_equal(ini_error(&ini, "no '%s'", "x"), -EINVAL);
	assert_string_equal(err, "/nonexistent/x.conf: no 'x'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_no_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
