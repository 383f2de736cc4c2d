/* SPDX-License-Identifier: MIT */
/*
 * vmrpc list, status, describe and call: what a VM serves, what it is
 * doing, and calls into its guest with JSON (docs/dynamic.md, "CLI").
 *
 * list and status read the region through hostd's info socket
 * (<runtime dir>/<vm>.info.sock): a read-only mapping, no channel
 * claimed. describe reads a host interface's type table from the same
 * socket (hostd's service modules hold them) and a guest interface's from
 * guestd, over a guest-sourced channel (the meta call). call opens such a
 * channel and calls through libvmrpc's dynamic API.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "vmrpc_cli.h"

#define INFO_SUFFIX ".info.sock"
#define INFO_TIMEOUT_MS 5000
/* A guest that stops answering must not hold `vmrpc call` forever. */
#define CALL_TIMEOUT_MS 30000

/* What hostd's info socket gave: the region, mapped read-only, and the
 * host type tables. */
struct host_info {
	struct vmrpc_info_reply rep;
	void *region;
	size_t region_size;
	void *tables;
	size_t tables_size;
};

static void host_info_close(struct host_info *hi)
{
	if (hi->region)
		munmap(hi->region, hi->region_size);
	if (hi->tables)
		munmap(hi->tables, hi->tables_size);
	*hi = (struct host_info){ 0 };
}

/* Map fd read-only, whole. */
static int map_ro(int fd, void **ret_p, size_t *ret_size)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return -EPROTO;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*ret_p = p;
	*ret_size = (size_t)st.st_size;
	return 0;
}

static int host_info_open_path(const char *path, struct host_info *ret)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct host_info hi = { 0 };
	struct iovec iov = { .iov_base = &hi.rep, .iov_len = sizeof(hi.rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = INFO_TIMEOUT_MS / 1000 };
	int fds[2] = { -1, -1 }, n_fds = 0, sock, err;
	ssize_t n;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno == ENOENT || errno == ECONNREFUSED ? -VMRPC_ENOHOSTD : -errno;
		close(sock);
		return err;
	}
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	err = n < 0 ? (errno == EAGAIN ? -VMRPC_ENOHOSTD : -errno) : 0;
	close(sock);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (n_fds < 2)
					fds[n_fds++] = fd;
				else
					close(fd);
			}
		}
	if (err == 0 && n != (ssize_t)sizeof(hi.rep))
		err = n == 0 ? -VMRPC_ENOHOSTD : -EPROTO;
	if (err == 0 && hi.rep.err < 0)
		err = hi.rep.err > -VMRPC_ELAST ? hi.rep.err : -EPROTO;
	if (err == 0 && n_fds < 1)
		err = -EPROTO;
	if (err == 0)
		err = map_ro(fds[0], &hi.region, &hi.region_size);
	if (err == 0 && (hi.rep.flags & VMRPC_INFO_TABLES) && n_fds == 2 &&
	    map_ro(fds[1], &hi.tables, &hi.tables_size) < 0)
		hi.tables = NULL; /* no tables: describe says so */
	for (int i = 0; i < n_fds; i++)
		close(fds[i]);
	if (err < 0) {
		host_info_close(&hi);
		return err;
	}
	hi.rep.transport[sizeof(hi.rep.transport) - 1] = '\0';
	hi.rep.host_socket[sizeof(hi.rep.host_socket) - 1] = '\0';
	*ret = hi;
	return 0;
}

static int host_info_open(const char *vm, struct host_info *ret)
{
	char path[PATH_MAX];
	int err = vmrpc_region_path(vm, INFO_SUFFIX, path, sizeof(path));

	if (err < 0)
		return err;
	return host_info_open_path(path, ret);
}

/* The VM's region, read: a message and CLI_EXIT_VMRPC when it cannot be. */
static int host_region_read(const char *vm, struct host_info *hi, struct cli_region *r)
{
	int err = host_info_open(vm, hi);

	if (err < 0) {
		fprintf(stderr, "vmrpc: VM '%s': %s%s\n", vm,
			err == -VMRPC_ENOHOSTD ? "no vmrpc-hostd serves it (no info socket; "
						 "is it running, with this VMRPC_RUNTIME_DIR?)"
			: err == -VMRPC_EDENIED ? "hostd does not let this user look at it "
						  "(guest-callers in hostd.conf)"
						: vmrpc_strerror(err),
			err == -EINVAL ? " (not a valid VM name)" : "");
		return err == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_VMRPC;
	}
	err = cli_region_read(hi->region, hi->region_size, vm, r);
	if (err < 0) {
		fprintf(stderr, "vmrpc: VM '%s': its region is unreadable: %s\n", vm,
			vmrpc_strerror(err));
		host_info_close(hi);
		return CLI_EXIT_VMRPC;
	}
	snprintf(r->transport, sizeof(r->transport), "%s", hi->rep.transport);
	r->vm_guest = hi->rep.flags & VMRPC_GSRC_VM;
	return 0;
}

/* Every VM a hostd serves: the info sockets of the runtime directories
 * vmrpc_region_path() looks in, the first of a name winning. */
static int vms_served(char ***ret_names, size_t *ret_n)
{
	const char *env = getenv("VMRPC_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	char dirs[3][PATH_MAX];
	char **names = NULL;
	size_t n = 0, n_dirs = 0;

	if (env && *env) {
		snprintf(dirs[n_dirs++], PATH_MAX, "%s", env);
	} else {
		if (xdg && *xdg)
			snprintf(dirs[n_dirs++], PATH_MAX, "%s/vmrpc", xdg);
		snprintf(dirs[n_dirs++], PATH_MAX, "/run/vmrpc");
		snprintf(dirs[n_dirs++], PATH_MAX, "/dev/shm/vmrpc");
	}
	for (size_t d = 0; d < n_dirs; d++) {
		struct dirent **ents;
		int k = scandir(dirs[d], &ents, NULL, alphasort);

		for (int i = 0; i < k; i++) {
			size_t len = strlen(ents[i]->d_name), sl = strlen(INFO_SUFFIX);
			char name[NAME_MAX + 1], path[PATH_MAX];
			char **grown;
			size_t j;

			if (len > sl && !strcmp(ents[i]->d_name + len - sl, INFO_SUFFIX)) {
				snprintf(name, sizeof(name), "%.*s", (int)(len - sl),
					 ents[i]->d_name);
				/* the directory the library would pick for the name */
				if (vmrpc_region_path(name, INFO_SUFFIX, path, sizeof(path)) < 0 ||
				    strncmp(path, dirs[d], strlen(dirs[d])))
					goto next;
				for (j = 0; j < n && strcmp(names[j], name); j++)
					;
				grown = j == n ? realloc(names, (n + 1) * sizeof(*names)) : NULL;
				if (grown) {
					names = grown;
					names[n] = strdup(name);
					if (names[n])
						n++;
				}
			}
next:
			free(ents[i]);
		}
		if (k > 0)
			free(ents);
	}
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static int bad_option(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vmrpc %s: unknown option '%s' (vmrpc %s --help)\n", cmd,
				argv[i], cmd);
			return 1;
		}
	return 0;
}

/* list and status: one VM or every one. */
static int region_cmd(int argc, char **argv, int status)
{
	const char *cmd = status ? "status" : "list";
	int json = cli_want_json(&argc, argv), code = CLI_EXIT_OK;
	json_t *out = json_array();
	char **names = NULL;
	size_t n = 0;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: vmrpc %s [VM] [--json]\n", cmd);
		json_decref(out);
		return CLI_EXIT_OK;
	}
	if (bad_option(cmd, argc, argv) || argc > 2) {
		fprintf(stderr, "Usage: vmrpc %s [VM] [--json]\n", cmd);
		json_decref(out);
		return CLI_EXIT_USAGE;
	}
	if (argc == 2) {
		names = malloc(sizeof(*names));
		if (names && (names[0] = strdup(argv[1])))
			n = 1;
	} else {
		vms_served(&names, &n);
	}
	for (size_t i = 0; i < n; i++) {
		struct host_info hi;
		struct cli_region r;
		int c = host_region_read(names[i], &hi, &r);

		if (c) {
			/* one VM asked for: its error; a scan: the others still */
			if (argc == 2 || c != CLI_EXIT_VMRPC)
				code = c;
			continue;
		}
		if (json && status)
			json_array_append_new(out, cli_status_json(&r));
		else if (json)
			cli_list_json(out, &r);
		else if (status)
			cli_status_text(stdout, &r);
		else
			cli_list_text(stdout, &r);
		cli_region_free(&r);
		host_info_close(&hi);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (json && code == CLI_EXIT_OK) {
		/* status of one VM: its object; else an array */
		if (status && argc == 2 && json_array_size(out) == 1)
			cli_json_print(stdout, json_incref(json_array_get(out, 0)));
		else
			cli_json_print(stdout, json_incref(out));
	}
	json_decref(out);
	return code;
}

int cli_cmd_list(int argc, char **argv)
{
	return region_cmd(argc, argv, 0);
}

int cli_cmd_status(int argc, char **argv)
{
	return region_cmd(argc, argv, 1);
}

/* IFACE as given: "NAME", "host/NAME", "guest/NAME" or "VM/SIDE/NAME".
 * *ret_side: 'h', 'g', or 0 when not said. */
static int iface_parse(const char *vm, const char *arg, char *name, size_t size,
		       char *ret_side)
{
	const char *slash = strrchr(arg, '/');
	size_t vl = strlen(vm);

	*ret_side = 0;
	if (!strncmp(arg, vm, vl) && arg[vl] == '/')
		arg += vl + 1;
	if (slash) {
		if (!strncmp(arg, "host/", 5) && arg + 4 == slash)
			*ret_side = 'h';
		else if (!strncmp(arg, "guest/", 6) && arg + 5 == slash)
			*ret_side = 'g';
		else
			return -EINVAL;
		arg = slash + 1;
	}
	if (!*arg || strlen(arg) >= size || strlen(arg) >= VMRPC_REG_NAME_MAX)
		return -EINVAL;
	snprintf(name, size, "%s", arg);
	return 0;
}

/* Which side serves iface: 'h' or 'g' with its registry slot, or a
 * message and an exit code. */
static int iface_find(const char *vm, const struct cli_region *r, const char *arg,
		      char *name, size_t size, char *ret_side, uint32_t *ret_slot)
{
	char side;
	int host = -1, guest = -1;

	if (iface_parse(vm, arg, name, size, &side) < 0) {
		fprintf(stderr, "vmrpc: '%s': not an interface (NAME, host/NAME, guest/NAME or "
			"%s/host/NAME: vmrpc list %s)\n", arg, vm, vm);
		return CLI_EXIT_USAGE;
	}
	for (uint32_t i = 0; i < r->n_host && host < 0; i++)
		if (!strcmp(r->host[i].name, name))
			host = (int)i;
	for (uint32_t i = 0; i < r->n_guest && guest < 0; i++)
		if (!strcmp(r->guest[i].name, name))
			guest = (int)i;
	if (side == 'h')
		guest = -1;
	if (side == 'g')
		host = -1;
	if (host < 0 && guest < 0) {
		fprintf(stderr, "vmrpc: VM '%s' serves no interface '%s'%s (vmrpc list %s)\n", vm,
			name, side == 'h' ? " to its guest" : side == 'g' ? " in its guest" : "",
			vm);
		return CLI_EXIT_USAGE;
	}
	if (host >= 0 && guest >= 0) {
		fprintf(stderr, "vmrpc: VM '%s' serves '%s' both ways: say %s/host/%s or "
			"%s/guest/%s\n", vm, name, vm, name, vm, name);
		return CLI_EXIT_USAGE;
	}
	*ret_side = host >= 0 ? 'h' : 'g';
	*ret_slot = (uint32_t)(host >= 0 ? host : guest);
	return 0;
}

/* A host interface's table, from hostd's memfd. */
static int host_types(const struct host_info *hi, uint32_t slot, struct vmrpc_types **ret)
{
	const struct vmrpc_info_table *idx = hi->tables;
	char why[CLI_ERR_MAX];
	int err;

	if (!hi->tables || (uint64_t)hi->rep.n_tables * sizeof(*idx) > hi->tables_size)
		return -ENOENT;
	for (uint32_t i = 0; i < hi->rep.n_tables; i++) {
		struct vmrpc_info_table e = idx[i];

		if (e.slot != slot)
			continue;
		if ((uint64_t)e.off + e.len > hi->tables_size)
			return -EPROTO;
		err = vmrpc_types_load((const char *)hi->tables + e.off, e.len, why, sizeof(why),
				       ret);
		if (err == -EINVAL)
			fprintf(stderr, "vmrpc: hostd's type table for slot %u: %s\n", slot, why);
		return err;
	}
	return -ENOENT;
}

/* Open a channel into vm's guest and bind iface on it. sock: the VM's
 * host-caller socket as hostd named it, or "" (then vm's default one). */
static int guest_bind(const char *vm, const char *sock, const char *iface,
		      struct vmrpc_chan **ret_chan, struct vmrpc_dyn **ret_dyn)
{
	struct vmrpc_chan *chan;
	int err = vmrpc_vm_open(sock[0] ? sock : vm, 0, &chan);

	if (err < 0) {
		fprintf(stderr, "vmrpc: VM '%s': %s: %s\n", vm,
			err == -VMRPC_EDENIED ? "hostd does not let this user call into it"
					      : "cannot reach its guest agent",
			vmrpc_strerror(err));
		return CLI_EXIT_VMRPC;
	}
	vmrpc_chan_set_timeout(chan, CALL_TIMEOUT_MS);
	err = vmrpc_dyn_bind(chan, iface, ret_dyn);
	if (err < 0) {
		fprintf(stderr, "vmrpc: VM '%s': guest interface '%s': %s%s\n", vm, iface,
			err == -ENOENT ? "guestd publishes no type table for it"
				       : vmrpc_strerror(err),
			err == -EPROTO ? " (its type table does not match its registry entry)" : "");
		vmrpc_chan_close(chan);
		return err == -VMRPC_ENOIFACE ? CLI_EXIT_USAGE : CLI_EXIT_VMRPC;
	}
	*ret_chan = chan;
	return 0;
}

int cli_cmd_describe(int argc, char **argv)
{
	int json = cli_want_json(&argc, argv), code;
	struct vmrpc_types *types = NULL;
	struct vmrpc_chan *chan = NULL;
	struct vmrpc_dyn *dyn = NULL;
	const struct vmrpc_types *t;
	struct host_info hi;
	struct cli_region r;
	char name[VMRPC_REG_NAME_MAX], side;
	uint32_t slot;
	int err;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: vmrpc describe VM IFACE [--json]\n");
		return CLI_EXIT_OK;
	}
	if (bad_option("describe", argc, argv) || argc != 3) {
		fprintf(stderr, "Usage: vmrpc describe VM IFACE [--json]\n");
		return CLI_EXIT_USAGE;
	}
	code = host_region_read(argv[1], &hi, &r);
	if (code)
		return code;
	code = iface_find(argv[1], &r, argv[2], name, sizeof(name), &side, &slot);
	if (code)
		goto out;
	if (side == 'h') {
		err = host_types(&hi, slot, &types);
		if (err < 0) {
			fprintf(stderr, "vmrpc: VM '%s': host interface '%s': %s\n", argv[1], name,
				err == -ENOENT ? "hostd has no type table for it (its service "
						 "module was built without one)"
					       : vmrpc_strerror(err));
			code = CLI_EXIT_FAILED;
			goto out;
		}
		t = types;
	} else {
		code = guest_bind(argv[1], hi.rep.host_socket, name, &chan, &dyn);
		if (code)
			goto out;
		t = vmrpc_dyn_types(dyn);
	}
	if (json)
		cli_json_print(stdout, cli_describe_json(t));
	else
		cli_describe_idl(stdout, t);
out:
	vmrpc_dyn_free(dyn);
	vmrpc_chan_close(chan);
	vmrpc_types_free(types);
	cli_region_free(&r);
	host_info_close(&hi);
	return code;
}

int cli_cmd_call(int argc, char **argv)
{
	char err_msg[CLI_ERR_MAX], iface[VMRPC_REG_NAME_MAX + 8];
	const char *vm, *target, *method_name, *dot;
	struct vmrpc_chan *chan = NULL;
	struct vmrpc_dyn *dyn = NULL;
	json_t *in = NULL;
	int code;

	(void)cli_want_json(&argc, argv); /* the output is JSON anyway */
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: vmrpc call VM IFACE.METHOD ['{JSON}']\n");
		return CLI_EXIT_OK;
	}
	if (bad_option("call", argc, argv) || argc < 3 || argc > 4) {
		fprintf(stderr, "Usage: vmrpc call VM IFACE.METHOD ['{JSON}']\n");
		return CLI_EXIT_USAGE;
	}
	vm = argv[1];
	target = argv[2];
	dot = strrchr(target, '.');
	if (!dot || dot == target || !dot[1] || (size_t)(dot - target) >= sizeof(iface)) {
		fprintf(stderr, "vmrpc call: '%s': expected IFACE.METHOD (vmrpc describe %s "
			"IFACE lists the methods)\n", target, vm);
		return CLI_EXIT_USAGE;
	}
	snprintf(iface, sizeof(iface), "%.*s", (int)(dot - target), target);
	method_name = dot + 1;
	/* The JSON first: a malformed one never reaches the guest at all. */
	in = cli_json_parse_object(argc == 4 ? argv[3] : "{}", err_msg, sizeof(err_msg));
	if (!in) {
		fprintf(stderr, "vmrpc call: %s\n", err_msg);
		return CLI_EXIT_USAGE;
	}
	if (!strncmp(iface, "host/", 5) || strstr(iface, "/host/")) {
		fprintf(stderr, "vmrpc call: %s is a host interface, which the guest calls: "
			"call it there (vmrpc-guest call)\n", iface);
		json_decref(in);
		return CLI_EXIT_USAGE;
	}
	{
		/* guest/NAME and VM/guest/NAME name the guest's own */
		const char *slash = strrchr(iface, '/');

		if (slash)
			memmove(iface, slash + 1, strlen(slash + 1) + 1);
	}
	{
		/* A VM's name: its host-caller socket is where hostd says (the
		 * configuration may have moved it); a socket's path: itself. */
		struct host_info hi;
		char sock[sizeof(hi.rep.host_socket)] = "";

		if (!strchr(vm, '/') && host_info_open(vm, &hi) == 0) {
			snprintf(sock, sizeof(sock), "%s", hi.rep.host_socket);
			host_info_close(&hi);
		}
		code = guest_bind(vm, sock, iface, &chan, &dyn);
	}
	if (code)
		goto out;
	{
		char describe[PATH_MAX];

		snprintf(describe, sizeof(describe), "vmrpc describe %s %s", vm, iface);
		code = cli_call_print(dyn, "vmrpc call", iface, method_name, in, describe);
	}
out:
	json_decref(in);
	vmrpc_dyn_free(dyn);
	vmrpc_chan_close(chan);
	return code;
}
