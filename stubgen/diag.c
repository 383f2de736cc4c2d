/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>

void idl_diag_init(struct idl_diag *diag, const char *path, FILE *out)
{
	diag->path = path;
	diag->out = out;
	diag->n_errors = 0;
	diag->n_warnings = 0;
}

__attribute__((format(printf, 4, 0)))
static void diag_vprint(struct idl_diag *diag, const struct idl_loc *loc,
			const char *kind, const char *fmt, va_list ap)
{
	if (!diag->out)
		return;
	if (loc)
		fprintf(diag->out, "%s:%d:%d: %s: ", loc->path ? loc->path : diag->path,
			loc->first_line,
			loc->first_column, kind);
	else
		fprintf(diag->out, "%s: %s: ", diag->path, kind);
	vfprintf(diag->out, fmt, ap);
	fputc('\n', diag->out);
}

void idl_error(struct idl_diag *diag, const struct idl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	diag->n_errors++;
	va_start(ap, fmt);
	diag_vprint(diag, loc, "error", fmt, ap);
	va_end(ap);
}

void idl_warning(struct idl_diag *diag, const struct idl_loc *loc, const char *fmt, ...)
{
	va_list ap;

	diag->n_warnings++;
	va_start(ap, fmt);
	diag_vprint(diag, loc, "warning", fmt, ap);
	va_end(ap);
}

unsigned int idl_diag_errors(const struct idl_diag *diag)
{
	return diag->n_errors;
}
