/* SPDX-License-Identifier: MIT */
/* The vmrpc command's subcommands beyond guest-run and guest-info
 * (cli_inspect.c). Each takes its own argv (argv[0] the subcommand) and
 * returns the process's exit status (vmrpc(1)). */
#ifndef VMRPC_CLI_CMDS_H
#define VMRPC_CLI_CMDS_H

int cli_cmd_list(int argc, char **argv);
int cli_cmd_status(int argc, char **argv);
int cli_cmd_describe(int argc, char **argv);
int cli_cmd_call(int argc, char **argv);

#endif /* VMRPC_CLI_CMDS_H */
