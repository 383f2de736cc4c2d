/* SPDX-License-Identifier: MIT */
/* What the commands of both sides share: `--json` on any of them, and
 * `call`: a bound interface's method, given a JSON object of its
 * parameters, called and its result printed as JSON (vmrpc(1),
 * vmrpc-guest(1)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_want_json(int *argc, char **argv)
{
	int json = 0, k = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			argv[k++] = argv[i];
	}
	*argc = k;
	argv[k] = NULL;
	return json;
}

int cli_call_print(struct vmrpc_dyn *dyn, const char *prog, const char *iface,
		   const char *method, json_t *in, const char *describe)
{
	const struct vmrpc_types *t = vmrpc_dyn_types(dyn);
	struct vmrpc_value *args = NULL, *out = NULL;
	char err_msg[CLI_ERR_MAX];
	void *arena = NULL;
	json_t *res;
	int64_t status;
	int m = cli_method_find(t, method), code;

	if (m < 0) {
		fprintf(stderr, "%s: %s has no method '%s' (%s)\n", prog, iface, method, describe);
		return CLI_EXIT_USAGE;
	}
	if (cli_json_to_args(t, (uint32_t)m, in, &args, &arena, err_msg, sizeof(err_msg)) < 0) {
		fprintf(stderr, "%s: %s.%s\n", prog, iface, err_msg);
		return CLI_EXIT_USAGE;
	}
	status = vmrpc_dyn_call(dyn, (uint32_t)m, args, t->methods[m].n_params, &out);
	if (status < 0 && vmrpc_dyn_error(dyn)[0]) {
		/* libvmrpc's own check refused it: nothing was sent either */
		fprintf(stderr, "%s: %s.%s: %s\n", prog, iface, method, vmrpc_dyn_error(dyn));
		code = CLI_EXIT_USAGE;
		goto out;
	}
	if (cli_out_to_json(t, (uint32_t)m, status, status >= 0 ? out : NULL, &res, err_msg,
			    sizeof(err_msg)) < 0) {
		fprintf(stderr, "%s: %s.%s: %s\n", prog, iface, method, err_msg);
		code = CLI_EXIT_VMRPC;
		goto out;
	}
	if (status < 0)
		json_object_set_new(res, "error", json_string(vmrpc_strerror((int)status)));
	cli_json_print(stdout, res);
	code = cli_call_exit(status);
out:
	free(out);
	cli_arena_free(arena);
	return code;
}
