/* SPDX-License-Identifier: MIT */
/* vmrpc-stubgen: the command line around the compiler's phases. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ast.h"
#include "diag.h"
#include "emit.h"
#include "parse.h"
#include "sema.h"
#include "vmrpc/abi.h"

#ifndef VMRPC_STUBGEN_VERSION
#define VMRPC_STUBGEN_VERSION "unknown"
#endif

enum {
	OPT_CALLER = 0x100,
	OPT_CALLEE,
	OPT_COMMON,
	OPT_VERSION,
	OPT_HELP,
};

static void usage(FILE *out)
{
	fputs("Usage: vmrpc-stubgen [-o OUTDIR] [--caller] [--callee] [--common] FILE.idl\n"
	      "\n"
	      "Generate C stubs from a vmrpc IDL file: for each interface NAME in it,\n"
	      "NAME_common.h/.c, NAME_caller.h/.c and NAME_callee.h/.c.\n"
	      "\n"
	      "  -o, --output OUTDIR  write the files into OUTDIR (default: .)\n"
	      "      --common         emit NAME_common.h/.c\n"
	      "      --caller         emit NAME_caller.h/.c (caller stubs)\n"
	      "      --callee         emit NAME_callee.h/.c (callee skeleton)\n"
	      "                       (none of the three: all of them)\n"
	      "      --version        print the version and exit\n"
	      "  -h, --help           print this help and exit\n"
	      "\n"
	      "Exit status: 0 on success, 1 on errors in the input or when writing,\n"
	      "2 on a usage error.\n",
	      out);
}

static int read_file(const char *path, char **ret_data, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (len == cap) {
			char *p;

			cap = cap ? cap * 2 : 8192;
			p = realloc(data, cap);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = errno ? -errno : -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(data);
		return err;
	}
	*ret_data = data;
	*ret_len = len;
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
		int err;

		idl_buf_init(&text);
		fns[i](ctx, &text);
		snprintf(name, sizeof(name), "%s_%s.%s", ctx->iface->name, emitter->part,
			 suffix[i]);
		err = idl_write_output(outdir, name, &text);
		if (err < 0) {
			fprintf(stderr, "vmrpc-stubgen: cannot write %s/%s: %s\n", outdir,
				name, strerror(-err));
			rc = -1;
		}
		idl_buf_release(&text);
	}
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
		{ "caller", no_argument, NULL, OPT_CALLER },
		{ "callee", no_argument, NULL, OPT_CALLEE },
		{ "common", no_argument, NULL, OPT_COMMON },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct idl_emitter *emitters[3];
	bool want_common = false, want_caller = false, want_callee = false;
	const char *outdir = ".", *path;
	size_t n_emitters = 0, len = 0;
	struct idl_diag diag;
	struct idl_file file;
	char *src = NULL;
	int opt, err, rc = 0;

	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			outdir = optarg;
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
	path = argv[optind];
	if (!want_common && !want_caller && !want_callee)
		want_common = want_caller = want_callee = true;
	if (want_common)
		emitters[n_emitters++] = &idl_emitter_common;
	if (want_caller)
		emitters[n_emitters++] = &idl_emitter_caller;
	if (want_callee)
		emitters[n_emitters++] = &idl_emitter_callee;

	err = read_file(path, &src, &len);
	if (err < 0) {
		fprintf(stderr, "vmrpc-stubgen: cannot read %s: %s\n", path, strerror(-err));
		return 1;
	}
	idl_diag_init(&diag, path, stderr);
	idl_file_init(&file, path);
	idl_parse(&file, src, len, &diag);
	free(src);
	if (idl_sema(&file, &diag) < 0 || idl_diag_errors(&diag) > 0) {
		idl_file_release(&file);
		return 1;
	}

	if (mkdir(outdir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "vmrpc-stubgen: cannot create %s: %s\n", outdir,
			strerror(errno));
		idl_file_release(&file);
		return 1;
	}
	for (const struct idl_iface *iface = file.ifaces; iface; iface = iface->next) {
		struct idl_emit_ctx ctx = { .iface = iface, .idl_name = base_name(path) };

		for (size_t i = 0; i < n_emitters; i++)
			if (write_part(outdir, &ctx, emitters[i]) < 0)
				rc = 1;
	}
	idl_file_release(&file);
	return rc;
}
