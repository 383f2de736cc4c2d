/* SPDX-License-Identifier: MIT */
/*
 * The daemons' configuration files (hostd's VMs, guestd.conf): lines of
 * "key = value", optional "[section]" lines, '#' comments. One parser that
 * calls back for each section and each key, and formats the errors of both
 * files the same way: "FILE:LINE: what is wrong".
 *
 * The syntax is the union of what the two files accepted before they shared
 * it: '#' starts a comment anywhere on a line (also inside a value, as it
 * always did); blanks (isspace) around keys, values and section names are
 * dropped; lines may be of any length; a key is everything before the first
 * '=', the value everything after it (it may hold more '='). A line starting
 * with '[' is a section only in a file that has sections.
 *
 * Why not Debian's inih (libinih-dev 55 on this Debian; it does ship a
 * static libinih.a for the static guest agent): tried on the files' syntax,
 * it cannot keep their error messages or their meaning.
 * - Its handler is never told its line: Debian builds it with
 *   INI_HANDLER_LINENO 0 (a typedef in its header, fixed when the library
 *   was built). ini_parse() returns only the number of the first bad line,
 *   and has no words for a syntax error, so "FILE:LINE: expected 'key =
 *   value'" and "a section is '[vm NAME]'" would be lost; "[vm a] junk" is
 *   even taken as "[vm a]".
 * - Lines are cut at 200 bytes and the rest dropped silently; paths in these
 *   files run to PATH_MAX.
 * - Its comments differ: '#' only at the start of a line, ';' after a blank
 *   anywhere ("env = A=b ;c" loses ";c"). Debian's build lets a program
 *   change the inline prefixes, multi-line values (an indented line
 *   continues the previous value) and stop-on-first-error through
 *   process-wide variables, but even then "path = /a#b" keeps "#b" where
 *   both files have always cut it, and "key: value" is a pair too.
 * Any of these changes what an existing file means or how its mistakes are
 * reported. ini.c is a hundred lines and adds no build dependency.
 */
#ifndef VMRPC_DAEMON_INI_H
#define VMRPC_DAEMON_INI_H

#include <stddef.h>

struct ini;

/* Called for each "[NAME]" (key and value NULL; section is NAME) and each
 * "key = value" (section: the last section's name, NULL before the first,
 * or in a file without sections). ini->line is the line's number. Returns 0
 * to go on; anything else stops the parse, and ini_parse() returns it. */
typedef int ini_handler_fn(struct ini *ini, const char *section, const char *key,
			   const char *value);

struct ini {
	/* Set by the caller. */
	const char *path;           /* the file: read, and named in messages */
	const char *section_form;   /* NULL: the file has no sections, and a line
				     * starting with '[' is a "key = value" like
				     * any other; else how a section looks, for
				     * the message on a malformed one ("[vm NAME]") */
	ini_handler_fn *handler;
	void *user;                 /* for the handler */
	char *err;                  /* ini_error()'s message goes here */
	size_t err_size;
	/* Set by ini_parse(). */
	unsigned line;              /* the line being handled; 0 after the file */
};

/* Read ini->path, calling ini->handler for each section and key in order.
 * Returns 0 at the end of the file; the first nonzero a handler returned;
 * -EINVAL for a syntax error, and -errno when the file cannot be read, with
 * the message in ini->err. */
int ini_parse(struct ini *ini);

/* "FILE:LINE: message" in ini->err ("FILE: message" once ini->line is 0, for
 * checks after the whole file); returns -EINVAL. For handlers and the
 * checks their callers make after the file. */
int __attribute__((format(printf, 2, 3))) ini_error(struct ini *ini, const char *fmt, ...);

#endif /* VMRPC_DAEMON_INI_H */
