/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-guest: the guest's command line, the other half of the host's
 * vmrpc (docs/dynamic.md, "CLI"; vmrpc-guest(1)).
 *
 *   vmrpc-guest [--region NAME] list [--json]
 *   vmrpc-guest [--region NAME] status [--json]
 *   vmrpc-guest [--region NAME] describe IFACE [--json]
 *   vmrpc-guest [--region NAME] call IFACE.METHOD ['{json}']
 *
 * list and status map the region without attaching a channel; describe
 * and call attach one (a shadow on the host serves it), bind the host
 * interface by name through the dynamic API and call it with JSON, the
 * same JSON as `vmrpc call` on the host (libvmrpc/cli).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmrpc/guest.h"

static const char *region_name; /* NULL: vmrpc_guest_default_region() */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmrpc-guest [--region NAME] list [--json]\n"
		"       vmrpc-guest [--region NAME] status [--json]\n"
		"       vmrpc-guest [--region NAME] describe IFACE [--json]\n"
		"       vmrpc-guest [--region NAME] call IFACE.METHOD ['{JSON}']\n"
		"What this guest's host serves it (host/NAME) and what its vmrpc-guestd\n"
		"serves the host (guest/NAME); the region's channels and guest agent; a\n"
		"host interface's methods and types, as IDL; and calls of its methods with\n"
		"a JSON object of the parameters, which print a JSON object of the status\n"
		"and out parameters.\n"
		"\n"
		"  -r, --region NAME  the region (default: $VMRPC_REGION, else the vmrpc\n"
		"                     device, else \"default\"; vmrpc_guest_attach(3))\n"
		"      --json         print JSON (list, status, describe)\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n"
		"Exit status: 0 ok; 1 the call or operation failed; 2 bad usage or input\n"
		"(nothing was sent); 255 vmrpc-guest itself failed.\n");
}

static const char *region_label(void)
{
	return region_name ? region_name : vmrpc_guest_default_region();
}

static int bad_args(const char *cmd, int argc, char **argv, int min, int max,
		    const char *syntax)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmrpc-guest %s: unknown option '%s'\n", cmd, argv[i]);
			return 1;
		}
	if (argc - 1 < min || argc - 1 > max) {
		fprintf(stderr, "Usage: vmrpc-guest %s\n", syntax);
		return 1;
	}
	return 0;
}

static int region_cmd(int argc, char **argv, int status)
{
	const char *cmd = status ? "status" : "list";
	int json = cli_want_json(&argc, argv), err;
	struct vmrpc_region *region;
	struct cli_region r;

	if (bad_args(cmd, argc, argv, 0, 0, status ? "status [--json]" : "list [--json]"))
		return CLI_EXIT_USAGE;
	err = vmrpc_guest_region_open(region_name, &region);
	if (err < 0) {
		char why[512];

		vmrpc_region_explain(region_label(), err, why, sizeof(why));
		fprintf(stderr, "vmrpc-guest: region '%s': %s\n", region_label(), why);
		return CLI_EXIT_VMRPC;
	}
	err = cli_region_read(vmrpc_region_hdr(region), vmrpc_region_size(region), "", &r);
	if (err < 0) {
		fprintf(stderr, "vmrpc-guest: region '%s' is unreadable: %s\n", region_label(),
			vmrpc_strerror(err));
		vmrpc_region_close(region);
		return CLI_EXIT_VMRPC;
	}
	snprintf(r.vm, sizeof(r.vm), "%s", status ? region_label() : "");
	if (json && status) {
		cli_json_print(stdout, cli_status_json(&r));
	} else if (json) {
		json_t *arr = json_array();

		cli_list_json(arr, &r);
		cli_json_print(stdout, arr);
	} else if (status) {
		cli_status_text(stdout, &r);
	} else {
		cli_list_text(stdout, &r);
	}
	cli_region_free(&r);
	vmrpc_region_close(region);
	return CLI_EXIT_OK;
}

/* "NAME" or "host/NAME": the host's interface NAME. */
static int host_iface(const char *arg, char *name, size_t size)
{
	if (!strncmp(arg, "guest/", 6)) {
		fprintf(stderr, "vmrpc-guest: %s is served by vmrpc-guestd in this guest to host "
			"callers: describe or call it from the host (vmrpc describe VM %s)\n", arg,
			arg);
		return CLI_EXIT_USAGE;
	}
	if (!strncmp(arg, "host/", 5))
		arg += 5;
	if (!*arg || strchr(arg, '/') || strlen(arg) >= size) {
		fprintf(stderr, "vmrpc-guest: '%s': not an interface (NAME or host/NAME: "
			"vmrpc-guest list)\n", arg);
		return CLI_EXIT_USAGE;
	}
	snprintf(name, size, "%s", arg);
	return 0;
}

static int bind_host(const char *iface, struct vmrpc_guest *g, struct vmrpc_dyn **ret_dyn)
{
	int err = vmrpc_guest_attach(region_name, g);

	if (err < 0) {
		char why[512];

		vmrpc_region_explain(region_label(), err, why, sizeof(why));
		fprintf(stderr, "vmrpc-guest: region '%s': %s\n", region_label(), why);
		return CLI_EXIT_VMRPC;
	}
	err = vmrpc_dyn_bind(g->chan, iface, ret_dyn);
	if (err < 0) {
		fprintf(stderr, "vmrpc-guest: host interface '%s': %s%s\n", iface,
			err == -ENOENT ? "the host publishes no type table for it"
				       : vmrpc_strerror(err),
			err == -VMRPC_ENOIFACE ? " (vmrpc-guest list)" : "");
		vmrpc_guest_detach(g);
		return err == -VMRPC_ENOIFACE ? CLI_EXIT_USAGE : CLI_EXIT_VMRPC;
	}
	return 0;
}

static int describe_cmd(int argc, char **argv)
{
	int json = cli_want_json(&argc, argv), code;
	struct vmrpc_guest g = { 0 };
	struct vmrpc_dyn *dyn;
	char name[VMRPC_REG_NAME_MAX];

	if (bad_args("describe", argc, argv, 1, 1, "describe IFACE [--json]"))
		return CLI_EXIT_USAGE;
	code = host_iface(argv[1], name, sizeof(name));
	if (code)
		return code;
	code = bind_host(name, &g, &dyn);
	if (code)
		return code;
	if (json)
		cli_json_print(stdout, cli_describe_json(vmrpc_dyn_types(dyn)));
	else
		cli_describe_idl(stdout, vmrpc_dyn_types(dyn));
	vmrpc_dyn_free(dyn);
	vmrpc_guest_detach(&g);
	return CLI_EXIT_OK;
}

static int call_cmd(int argc, char **argv)
{
	char err_msg[CLI_ERR_MAX], name[VMRPC_REG_NAME_MAX + 8], iface[VMRPC_REG_NAME_MAX];
	struct vmrpc_guest g = { 0 };
	struct vmrpc_dyn *dyn = NULL;
	const char *dot, *method;
	json_t *in;
	int code;

	(void)cli_want_json(&argc, argv); /* the output is JSON anyway */
	if (bad_args("call", argc, argv, 1, 2, "call IFACE.METHOD ['{JSON}']"))
		return CLI_EXIT_USAGE;
	dot = strrchr(argv[1], '.');
	if (!dot || dot == argv[1] || !dot[1] || (size_t)(dot - argv[1]) >= sizeof(name)) {
		fprintf(stderr, "vmrpc-guest call: '%s': expected IFACE.METHOD (vmrpc-guest "
			"describe IFACE lists the methods)\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(dot - argv[1]), argv[1]);
	method = dot + 1;
	/* The JSON first: a malformed one never reaches the host at all. */
	in = cli_json_parse_object(argc == 3 ? argv[2] : "{}", err_msg, sizeof(err_msg));
	if (!in) {
		fprintf(stderr, "vmrpc-guest call: %s\n", err_msg);
		return CLI_EXIT_USAGE;
	}
	code = host_iface(name, iface, sizeof(iface));
	if (!code)
		code = bind_host(iface, &g, &dyn);
	if (code)
		goto out;
	{
		char describe[VMRPC_REG_NAME_MAX + 32];

		snprintf(describe, sizeof(describe), "vmrpc-guest describe %s", iface);
		code = cli_call_print(dyn, "vmrpc-guest call", iface, method, in, describe);
	}
out:
	json_decref(in);
	vmrpc_dyn_free(dyn);
	vmrpc_guest_detach(&g);
	return code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *cmd;
	int c;

	/* "+": options after the command are the command's */
	while ((c = getopt_long(argc, argv, "+r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			region_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("vmrpc-guest %s\n", VMRPC_VERSION);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "list"))
		return region_cmd(argc, argv, 0);
	if (!strcmp(cmd, "status"))
		return region_cmd(argc, argv, 1);
	if (!strcmp(cmd, "describe"))
		return describe_cmd(argc, argv);
	if (!strcmp(cmd, "call"))
		return call_cmd(argc, argv);
	fprintf(stderr, "vmrpc-guest: unknown command '%s' (vmrpc-guest --help lists them)\n",
		cmd);
	return CLI_EXIT_USAGE;
}
