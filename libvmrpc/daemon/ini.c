/* SPDX-License-Identifier: MIT */
/* The daemons' configuration files: the syntax is in ini.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"

int ini_error(struct ini *ini, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ini->line)
		snprintf(ini->err, ini->err_size, "%s:%u: %s", ini->path, ini->line, msg);
	else
		snprintf(ini->err, ini->err_size, "%s: %s", ini->path, msg);
	return -EINVAL;
}

static char *ini_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "[ NAME ]", nothing after it: the section's new name. */
static int ini_section(struct ini *ini, char *s, char **section)
{
	char *end = strchr(s, ']');

	if (!end || ini_trim(end + 1)[0])
		return ini_error(ini, "a section is '%s'", ini->section_form);
	*end = '\0';
	free(*section);
	*section = strdup(ini_trim(s + 1));
	if (!*section)
		return -ENOMEM;
	return ini->handler(ini, *section, NULL, NULL);
}

/* One line, its comment and blanks already gone. */
static int ini_line(struct ini *ini, char *s, char **section)
{
	char *eq;

	if (*s == '[' && ini->section_form)
		return ini_section(ini, s, section);
	eq = strchr(s, '=');
	if (!eq)
		return ini_error(ini, "expected 'key = value'");
	*eq = '\0';
	return ini->handler(ini, *section, ini_trim(s), ini_trim(eq + 1));
}

int ini_parse(struct ini *ini)
{
	char *line = NULL, *section = NULL, *s;
	size_t cap = 0;
	FILE *f;
	int ret = 0;

	ini->line = 0;
	f = fopen(ini->path, "re");
	if (!f) {
		ret = -errno;
		snprintf(ini->err, ini->err_size, "%s: %s", ini->path, strerror(errno));
		return ret;
	}
	while (ret == 0 && getline(&line, &cap, f) >= 0) {
		ini->line++;
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		s = ini_trim(line);
		if (*s)
			ret = ini_line(ini, s, &section);
	}
	if (ret == 0 && ferror(f)) { /* getline() failed, and set errno */
		ret = errno ? -errno : -EIO;
		snprintf(ini->err, ini->err_size, "%s: %s", ini->path, strerror(-ret));
	}
	free(line);
	free(section);
	fclose(f);
	if (ret == 0)
		ini->line = 0;
	return ret;
}
