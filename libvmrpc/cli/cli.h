/* SPDX-License-Identifier: MIT */
/*
 * What the host's `vmrpc` and the guest's `vmrpc-guest` share: JSON to
 * typed values and back against a type table (cli_value.c), a type table
 * as IDL text or JSON (cli_describe.c), and a snapshot of a region's
 * header and channels, listed or shown as status (cli_region.c).
 * Static, private, on top of libvmrpc's public API and jansson; it never
 * prints on its own except through the FILE it is given (docs/dynamic.md,
 * "CLI", has the JSON schemas).
 */
#ifndef VMRPC_CLI_H
#define VMRPC_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmrpc/dynamic.h"

/* Exit codes every vmrpc program uses (vmrpc(1)). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1 /* the call or the operation failed */
#define CLI_EXIT_USAGE 2  /* usage or bad input: nothing was sent */
#define CLI_EXIT_VMRPC 255 /* vmrpc itself failed (unreachable, broken) */

#define CLI_ERR_MAX 512
/* How deep structs and arrays may nest in a value this code walks: a table
 * passes vmrpc_types_load() with a chain of thousands of one-element
 * arrays, and a peer's table must not overflow the reader's stack. The
 * IDL's own need is a handful. */
#define CLI_DEPTH_MAX 32

/* ---- cli_value.c: JSON <-> struct vmrpc_value ------------------------------- */

/* The values of method m's parameters from obj (keyed by parameter name):
 * in and inout ones required (but an in or inout buffer's SIZE, which
 * the buffer's length gives), out ones absent. Checked against the table:
 * on failure -EINVAL with a message naming the field in err
 * ("greet: name: a string of at most 64 bytes expected, got 70"). The
 * values point into obj (keep it until the call is done) and into
 * *ret_arena (cli_arena_free() it); *ret_args, in the arena, has one
 * value per parameter. */
int cli_json_to_args(const struct vmrpc_types *t, uint32_t m, json_t *obj,
		     struct vmrpc_value **ret_args, void **ret_arena, char *err, size_t err_size);
void cli_arena_free(void *arena);

/* {"status": status, <each out and inout parameter>: value} from out (may
 * be NULL: only the status). On a value the table does not allow (a
 * reply's), -EPROTO with a message in err. */
int cli_out_to_json(const struct vmrpc_types *t, uint32_t m, int64_t status,
		    const struct vmrpc_value *out, json_t **ret_obj, char *err, size_t err_size);

/* Parse text as a JSON object: NULL with "line L, column C: what" in err. */
json_t *cli_json_parse_object(const char *text, char *err, size_t err_size);

/* Base64 (RFC 4648, with padding): what buffers are in JSON. */
char *cli_base64_encode(const void *p, size_t n);
/* -EINVAL for text that is not base64. *ret_p malloc'd. */
int cli_base64_decode(const char *s, size_t len, void **ret_p, size_t *ret_n);

/* ---- cli_describe.c ------------------------------------------------------------ */

/* The interface in IDL syntax, as vmrpc-stubgen reads it, with each
 * method's id in a comment. */
void cli_describe_idl(FILE *f, const struct vmrpc_types *t);
/* The schema in docs/dynamic.md. */
json_t *cli_describe_json(const struct vmrpc_types *t);
/* A type's IDL spelling into buf ("uint32", "string<64>", "point[3]"). */
const char *cli_type_name(const struct vmrpc_types *t, uint32_t type, char *buf, size_t size);
/* The index in t->methods of method name, or -ENOENT. */
int cli_method_find(const struct vmrpc_types *t, const char *name);

/* ---- cli_region.c: a region seen from outside ---------------------------------- */

struct cli_chan {
	uint32_t index;
	uint32_t state; /* enum vmrpc_chan_state, as read */
	uint32_t kind;
	uint32_t generation;
	int32_t owner_pid;
	int32_t callee_pid;
	uint32_t req_seq; /* calls made on the channel since it was attached */
	uint32_t rep_seq;
	uint32_t iface_slot;
	uint32_t method;
};

struct cli_iface {
	char name[VMRPC_REG_NAME_MAX];
	uint32_t version;
	uint32_t n_methods;
	uint64_t sig_hash;
};

/* A private copy of what a region says: checked, bounded, NUL-terminated.
 * Nothing in it is trusted beyond that: it is what the region said. */
struct cli_region {
	char vm[72];
	char transport[32]; /* from hostd; "" when it did not say */
	bool vm_guest;      /* the guest is a VM: its pids are not host pids */
	uint32_t generation;
	uint32_t n_channels;
	uint32_t chan_size;
	uint64_t region_size;
	int32_t hostd_pid;
	int32_t guestd_pid;
	uint64_t boot_id[2];
	uint32_t n_host, n_guest;
	struct cli_iface host[VMRPC_REG_MAX];
	struct cli_iface guest[VMRPC_GREG_MAX];
	uint32_t n_used; /* channels not FREE, in chans */
	bool chans_hidden; /* the channels are not mapped here: none read */
	struct cli_chan *chans;
};

/* Copy and check the region mapped at base (size bytes). -VMRPC_EMAGIC,
 * -VMRPC_EABI for what is no region of ours, -EFAULT for a header that
 * cannot be read, -ENOMEM. */
int cli_region_read(const void *base, size_t size, const char *vm, struct cli_region *ret);
void cli_region_free(struct cli_region *r);

const char *cli_chan_state_name(uint32_t state);

/* `list`: "VM/host/NAME" and "VM/guest/NAME" lines ("host/NAME" without
 * a VM name), or JSON entries appended to arr. */
void cli_list_text(FILE *f, const struct cli_region *r);
void cli_list_json(json_t *arr, const struct cli_region *r);
/* `status`. */
void cli_status_text(FILE *f, const struct cli_region *r);
json_t *cli_status_json(const struct cli_region *r);

/* The exit status of a call that returned status (vmrpc(1)): 0, 1 for
 * the method's own failure, CLI_EXIT_VMRPC for the channel's (a vmrpc
 * error but the callee policy's -VMRPC_EDENIED). */
int cli_call_exit(int64_t status);

/* Take every --json out of argv (argc updated, argv NULL-terminated):
 * whether there was one. */
int cli_want_json(int *argc, char **argv);

/* `call`: method of dyn's interface with the JSON object in (not stolen)
 * as its parameters; prints the result as JSON, or why not as "PROG:
 * IFACE.METHOD: ..." on stderr (describe: where to look for the methods,
 * for an unknown one). Returns the exit status. */
int cli_call_print(struct vmrpc_dyn *dyn, const char *prog, const char *iface,
		   const char *method, json_t *in, const char *describe);

/* ---- output ------------------------------------------------------------------------ */

/* Print j (stolen) to f, indented, with a newline. */
void cli_json_print(FILE *f, json_t *j);

#endif /* VMRPC_CLI_H */
