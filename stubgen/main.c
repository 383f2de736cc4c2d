/* SPDX-License-Identifier: MIT */
/* vmrpc-stubgen: the command line around the compiler's phases. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ast.h"
#include "diag.h"
#include "emit.h"
#include "emit_typetab.h"
#include "load.h"
#include "sema.h"
#include "vmrpc/abi.h"

#ifndef VMRPC_STUBGEN_VERSION
#define VMRPC_STUBGEN_VERSION "unknown"
#endif

enum {
	OPT_CALLER = 0x100,
	OPT_CALLEE,
	OPT_COMMON,
	OPT_DEPFILE,
	OPT_DEPFILE_TARGET,
	OPT_VERSION,
	OPT_HELP,
};

/* -I directories, at most this many. */
#define MAX_IMPORT_DIRS 64

static void usage(FILE *out)
{
	fputs("Usage: vmrpc-stubgen [-o OUTDIR] [-I DIR]... [--caller] [--callee] [--common]\n"
	      "                     [--depfile FILE [--depfile-target TARGET]] FILE.idl\n"
	      "\n"
	      "Generate C from a vmrpc IDL file: STEM_types.h with the file's constants,\n"
	      "enums, structs and typedefs (STEM is FILE without .idl), and for each\n"
	      "interface NAME in it NAME_common.h/.c, NAME_caller.h/.c and NAME_callee.h/.c.\n"
	      "\n"
	      "  -o, --output OUTDIR     write the files into OUTDIR (default: .)\n"
	      "  -I, --import-dir DIR    look for imported files in DIR too (after the\n"
	      "                          importing file's own directory)\n"
	      "      --common            emit NAME_common.h/.c\n"
	      "      --caller            emit NAME_caller.h/.c (caller stubs)\n"
	      "      --callee            emit NAME_callee.h/.c (callee skeleton)\n"
	      "                          (none of the three: all of them)\n"
	      "      --depfile FILE      write the files read (FILE.idl and its imports)\n"
	      "                          as a make rule, for build systems\n"
	      "      --depfile-target T  the rule's target (default: OUTDIR/STEM_types.h)\n"
	      "      --version           print the version and exit\n"
	      "  -h, --help              print this help and exit\n"
	      "\n"
	      "Exit status: 0 on success, 1 on errors in the input or when writing,\n"
	      "2 on a usage error.\n",
	      out);
}

static int write_text(const char *outdir, const char *name, const struct idl_buf *text)
{
	int err = idl_write_output(outdir, name, text);

	if (err < 0) {
		fprintf(stderr, "vmrpc-stubgen: cannot write %s/%s: %s\n", outdir, name,
			strerror(-err));
		return -1;
	}
	return 0;
}

static int write_part(const char *outdir, const struct idl_emit_ctx *ctx,
		      const struct idl_emitter *emitter)
{
	static const char *const suffix[2] = { "h", "c" };
	idl_emit_fn fns[2] = { emitter->header, emitter->source };
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		struct idl_buf text;
		char name[128];

		idl_buf_init(&text);
		fns[i](ctx, &text);
		snprintf(name, sizeof(name), "%s_%s.%s", ctx->iface->name, emitter->part,
			 suffix[i]);
		if (write_text(outdir, name, &text) < 0)
			rc = -1;
		idl_buf_release(&text);
	}
	return rc;
}

static int write_types(const char *outdir, const struct idl_emit_ctx *ctx)
{
	struct idl_buf text;
	char name[PATH_MAX];
	int rc;

	idl_buf_init(&text);
	idl_emit_types_h(ctx, &text);
	snprintf(name, sizeof(name), "%s_types.h", ctx->file->stem);
	rc = write_text(outdir, name, &text);
	idl_buf_release(&text);
	return rc;
}

/* Make quotes '$' as '$$' and spaces, '#' and '\\' with a backslash. */
static void depfile_path(struct idl_buf *out, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '$')
			idl_buf_putc(out, '$');
		else if (*p == ' ' || *p == '#' || *p == '\\')
			idl_buf_putc(out, '\\');
		idl_buf_putc(out, *p);
	}
}

/* "TARGET: main.idl imported.idl ..." with every file the unit read. */
static int write_depfile(const char *path, const char *target, const struct idl_unit *unit)
{
	struct idl_buf text;
	const char *slash = strrchr(path, '/');
	char *dir;
	int rc;

	idl_buf_init(&text);
	depfile_path(&text, target);
	idl_buf_putc(&text, ':');
	for (const struct idl_file *f = unit->files; f; f = f->next) {
		idl_buf_puts(&text, " \\\n  ");
		depfile_path(&text, f->path);
	}
	idl_buf_putc(&text, '\n');
	dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!dir) {
		idl_buf_release(&text);
		return -1;
	}
	rc = write_text(dir, slash ? slash + 1 : path, &text);
	free(dir);
	idl_buf_release(&text);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "import-dir", required_argument, NULL, 'I' },
		{ "caller", no_argument, NULL, OPT_CALLER },
		{ "callee", no_argument, NULL, OPT_CALLEE },
		{ "common", no_argument, NULL, OPT_COMMON },
		{ "depfile", required_argument, NULL, OPT_DEPFILE },
		{ "depfile-target", required_argument, NULL, OPT_DEPFILE_TARGET },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct idl_emitter *emitters[3];
	const char *import_dirs[MAX_IMPORT_DIRS];
	struct idl_load_opts opts = { .import_dirs = import_dirs };
	bool want_common = false, want_caller = false, want_callee = false;
	const char *outdir = ".", *path, *depfile = NULL, *dep_target = NULL;
	size_t n_emitters = 0;
	struct idl_diag diag;
	struct idl_unit unit;
	struct idl_emit_ctx ctx;
	char target[PATH_MAX];
	int opt, rc = 0;

	while ((opt = getopt_long(argc, argv, "o:I:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			outdir = optarg;
			break;
		case 'I':
			if (opts.n_import_dirs == MAX_IMPORT_DIRS) {
				fprintf(stderr, "vmrpc-stubgen: more than %d -I directories\n",
					MAX_IMPORT_DIRS);
				return 2;
			}
			import_dirs[opts.n_import_dirs++] = optarg;
			break;
		case OPT_CALLER:
			want_caller = true;
			break;
		case OPT_CALLEE:
			want_callee = true;
			break;
		case OPT_COMMON:
			want_common = true;
			break;
		case OPT_DEPFILE:
			depfile = optarg;
			break;
		case OPT_DEPFILE_TARGET:
			dep_target = optarg;
			break;
		case OPT_VERSION:
			printf("vmrpc-stubgen %s (vmrpc ABI version %u)\n", VMRPC_STUBGEN_VERSION,
			       VMRPC_ABI_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(optind == argc ? "vmrpc-stubgen: no input file\n"
				     : "vmrpc-stubgen: more than one input file\n",
		      stderr);
		usage(stderr);
		return 2;
	}
	if (dep_target && !depfile) {
		fputs("vmrpc-stubgen: --depfile-target needs --depfile\n", stderr);
		return 2;
	}
	path = argv[optind];
	if (!want_common && !want_caller && !want_callee)
		want_common = want_caller = want_callee = true;
	if (want_common)
		emitters[n_emitters++] = &idl_emitter_common;
	if (want_caller)
		emitters[n_emitters++] = &idl_emitter_caller;
	if (want_callee)
		emitters[n_emitters++] = &idl_emitter_callee;

	idl_diag_init(&diag, path, stderr);
	idl_unit_init(&unit);
	/* Sema runs after syntax errors too: it reports what it can check. */
	if (idl_load(&unit, path, &opts, &diag) < 0 && !unit.main) {
		idl_unit_release(&unit);
		return 1;
	}
	idl_sema(&unit, &diag);
	if (idl_diag_errors(&diag) > 0) {
		idl_unit_release(&unit);
		return 1;
	}
	idl_typetab_check(unit.main, &diag);

	if (mkdir(outdir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "vmrpc-stubgen: cannot create %s: %s\n", outdir,
			strerror(errno));
		idl_unit_release(&unit);
		return 1;
	}
	ctx.file = unit.main;
	ctx.iface = NULL;
	ctx.idl_name = base_name(path);
	if (write_types(outdir, &ctx) < 0)
		rc = 1;
	for (const struct idl_iface *iface = unit.main->ifaces; iface; iface = iface->next) {
		ctx.iface = iface;
		for (size_t i = 0; i < n_emitters; i++)
			if (write_part(outdir, &ctx, emitters[i]) < 0)
				rc = 1;
	}
	if (depfile) {
		if (!dep_target) {
			snprintf(target, sizeof(target), "%s/%s_types.h", outdir, unit.main->stem);
			dep_target = target;
		}
		if (write_depfile(depfile, dep_target, &unit) < 0)
			rc = 1;
	}
	idl_unit_release(&unit);
	return rc;
}
