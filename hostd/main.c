/* SPDX-License-Identifier: MIT */
/* vmrpc-hostd: serves a region and runs one shadow process per guest caller. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "supervise.h"
#include "vmrpc/vmrpc.h"

#ifndef VMRPC_LIBEXECDIR
#define VMRPC_LIBEXECDIR "/usr/libexec/vmrpc"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmrpc-hostd --loopback NAME [OPTION...]\n"
		"       vmrpc-hostd --config FILE [--vm NAME] [--shadow PATH] [-v]\n"
		"       vmrpc-hostd --check (--config FILE [--vm NAME] | --loopback NAME ...)\n"
		"Serve the vmrpc region NAME, or the VMs of a configuration file, and run a\n"
		"shadow process per guest caller.\n"
		"\n"
		"  -l, --loopback NAME      serve NAME over the loopback transport\n"
		"  -f, --config FILE        serve the VMs FILE configures (ivshmem transports;\n"
		"                           see vmrpc-hostd(8)); FILE sets what the options\n"
		"                           below set, so only --shadow and -v go with it\n"
		"      --vm NAME            only the VM NAME of FILE\n"
		"  -t, --check              check the configuration (or the options) and exit\n"
		"  -c, --channels N         channels in the region (default 32)\n"
		"      --channel-size SIZE  bytes per channel, e.g. 256K, 1M (default 256K)\n"
		"      --max-shadows N      shadows at once (default: one per channel)\n"
		"      --mode MODE          octal mode of the region's sockets (default 0600):\n"
		"                           who may connect may map the region and call\n"
		"      --owner USER[:GROUP] owner and group of the region's sockets (default:\n"
		"                           hostd's); e.g. --owner :vmrpc --mode 0660\n"
		"      --service FILE.so    also serve the interfaces of a service module\n"
		"      --ffi-service FILE.idl:LIBRARY\n"
		"                           also serve FILE.idl's interfaces with LIBRARY's\n"
		"                           functions of the same names, through libffi\n"
		"                           (repeatable; LIBRARY a path or a soname)\n"
		"      --export NAME=DIR    let guest callers mount DIR as host:NAME, read-write\n"
		"                           (repeatable; none by default; see vmrpc-mount(8))\n"
		"      --export-ro NAME=DIR the same, read-only\n"
		"      --shadow PATH        the vmrpc-shadow binary\n"
		"      --shadow-cwd DIR     a new shadow's working directory (default /, or\n"
		"                           the --root)\n"
		"      --root DIR           confine every shadow and its programs to DIR, which\n"
		"                           becomes their / (needs root; see vmrpc-hostd(8))\n"
		"      --limit-nofile N     open files per shadow (default 1024)\n"
		"      --limit-as SIZE      address space per shadow (default: unlimited)\n"
		"      --limit-pids N|max   processes and threads of one caller: its shadow and\n"
		"                           what that starts, one cgroup (default 512)\n"
		"      --limit-memory SIZE|max  memory of one caller, swap included, in the same\n"
		"                           cgroup (default 1G)\n"
		"      --limit-nproc N      old name of --limit-pids where cgroups work; without\n"
		"                           them RLIMIT_NPROC, which counts every process of the\n"
		"                           shadow's user (default: unlimited)\n"
		"      --guest-caller USER  a host user who may call into the guest (repeatable;\n"
		"                           root and hostd's own user always may)\n"
		"      --max-guest-sourced N  channels host callers hold at once (default: half)\n"
		"      --host-socket PATH   where host callers connect (default:\n"
		"                           <runtime dir>/NAME.host.sock)\n"
		"  -v, --verbose            log stale doorbells and other details\n"
		"  -h, --help               show this help\n"
		"      --version            show the version\n"
		"\n"
		"SIGHUP rereads --config FILE: new VMs start, removed VMs drain, and changed\n"
		"limits apply to new shadows. Exit status: 0 stopped cleanly (or, with --check,\n"
		"the configuration is good), 1 could not serve (or a check failed), 2 bad\n"
		"options or configuration.\n"
		"Files live in $VMRPC_RUNTIME_DIR, else $XDG_RUNTIME_DIR/vmrpc, else /dev/shm/vmrpc.\n"
		"Each caller's shadow and programs live in a cgroup of their own, killed with the\n"
		"shadow; VMRPC_HOSTD_CGROUP=off turns that off (for tests: see vmrpc-hostd(8)).\n");
}

#define parse_size config_parse_size

static int parse_arg_size(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	if (parse_size(s, max, ret) < 0) {
		fprintf(stderr, "vmrpc-hostd: %s: invalid value '%s' (a number up to %llu, "
			"optionally with K, M or G)\n", opt, s, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

/* A count of at least 1: "--channels 0" is an error, not a silent exit. */
static int parse_arg_count(const char *opt, const char *s, uint64_t max, uint64_t *ret)
{
	if (parse_size(s, max, ret) < 0 || *ret == 0) {
		fprintf(stderr, "vmrpc-hostd: %s: invalid value '%s' (a number from 1 to %llu)\n",
			opt, s, (unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

/* The shadow binary: next to vmrpc-hostd in a build tree; installed, at the
 * same place relative to vmrpc-hostd as in the install (whatever prefix it
 * went to: cmake --install --prefix DIR), else in the configured
 * libexecdir. */
static const char *default_shadow(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		dirname(self);
		if (snprintf(buf, size, "%s/vmrpc-shadow", self) < (int)size &&
		    access(buf, X_OK) == 0)
			return buf;
		if (snprintf(buf, size, "%s/%s/vmrpc-shadow", self, VMRPC_SHADOW_REL) < (int)size &&
		    access(buf, X_OK) == 0)
			return buf;
	}
	snprintf(buf, size, "%s/vmrpc-shadow", VMRPC_LIBEXECDIR);
	return buf;
}

/* --config FILE: every VM under a supervisor (supervise.c), or, with --vm,
 * one VM in this process. With check, only say whether FILE is good. */
static int serve_config(const char *path, const char *only, const char *shadow_exe,
			int verbose, bool check)
{
	static struct config cfg; /* large; main's one instance */
	char msg[PATH_MAX + 256];
	int err;

	err = config_load(path, &cfg, msg, sizeof(msg));
	if (err < 0) {
		fprintf(stderr, "vmrpc-hostd: %s\n", msg);
		return 2;
	}
	if (only && config_keep_only(&cfg, only) < 0) {
		fprintf(stderr, "vmrpc-hostd: %s: no VM '%s'\n", path, only);
		config_free(&cfg);
		return 2;
	}
	if (check) {
		for (size_t i = 0; i < cfg.n_vms; i++) {
			struct server_opts *vm = &cfg.vm[i];

			if (server_check(vm, msg, sizeof(msg)) < 0) {
				fprintf(stderr, "vmrpc-hostd: %s: vm '%s': %s\n", path, vm->name, msg);
				config_free(&cfg);
				return 1;
			}
			if (vm->transport == VMRPC_TRANSPORT_IVSHMEM_DOORBELL)
				printf("vm '%s': ivshmem-doorbell on %s, %u channels of %u KiB: "
				       "QEMU needs vectors=%u\n", vm->name, vm->socket_path,
				       vm->n_channels, vm->chan_size >> 10,
				       VMRPC_IVSHMEM_VEC_CHAN(vm->n_channels));
			else
				printf("vm '%s': ivshmem-plain on %s, %u channels of %u KiB\n",
				       vm->name, vm->shm_path, vm->n_channels, vm->chan_size >> 10);
		}
		printf("%s: good\n", path);
		config_free(&cfg);
		return 0;
	}
	log_init("vmrpc-hostd", verbose);
	if (only) {
		cfg.vm[0].shadow_exe = shadow_exe;
		cfg.vm[0].verbose = verbose;
		cfg.vm[0].config_path = path;
		err = server_run(&cfg.vm[0]);
	} else {
		err = supervise(&cfg, path, shadow_exe, verbose);
	}
	config_free(&cfg);
	return err;
}

int main(int argc, char **argv)
{
	enum { OPT_CHSIZE = 256, OPT_MAXSH, OPT_MODE, OPT_SERVICE, OPT_FFI, OPT_SHADOW, OPT_SHCWD, OPT_ROOT,
	       OPT_NOFILE, OPT_AS, OPT_NPROC, OPT_VERSION, OPT_VM, OPT_GCALLER, OPT_MAXGS,
	       OPT_HOSTSOCK, OPT_PIDS, OPT_MEMORY, OPT_OWNER, OPT_EXPORT, OPT_EXPORT_RO };
	static const struct option longopts[] = {
		{ "loopback", required_argument, NULL, 'l' },
		{ "config", required_argument, NULL, 'f' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "channels", required_argument, NULL, 'c' },
		{ "channel-size", required_argument, NULL, OPT_CHSIZE },
		{ "max-shadows", required_argument, NULL, OPT_MAXSH },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "check", no_argument, NULL, 't' },
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ "ffi-service", required_argument, NULL, OPT_FFI },
		{ "shadow", required_argument, NULL, OPT_SHADOW },
		{ "export", required_argument, NULL, OPT_EXPORT },
		{ "export-ro", required_argument, NULL, OPT_EXPORT_RO },
		{ "shadow-cwd", required_argument, NULL, OPT_SHCWD },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "limit-nofile", required_argument, NULL, OPT_NOFILE },
		{ "limit-as", required_argument, NULL, OPT_AS },
		{ "limit-nproc", required_argument, NULL, OPT_NPROC },
		{ "limit-pids", required_argument, NULL, OPT_PIDS },
		{ "limit-memory", required_argument, NULL, OPT_MEMORY },
		{ "guest-caller", required_argument, NULL, OPT_GCALLER },
		{ "max-guest-sourced", required_argument, NULL, OPT_MAXGS },
		{ "host-socket", required_argument, NULL, OPT_HOSTSOCK },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 }
	};
	struct server_opts o = {
		.shadow_cwd = "/",
		.limits = { .nofile = 1024 },
		.owner_uid = (uid_t)-1,
		.owner_gid = (gid_t)-1,
	};
	const char *config = NULL, *only_vm = NULL;
	/* The first option given that a configuration file sets too: with
	 * --config it would be one of two answers to one question. */
	const char *region_opt = NULL;
	char shadow[PATH_MAX], msg[PATH_MAX + 256];
	bool check = false;
	int cwd_given = 0;
	uint64_t v;
	char *end;
	int c, err;

	notify_init(); /* before anything else opens a descriptor */
	while ((c = getopt_long(argc, argv, "l:f:c:tvh", longopts, NULL)) != -1) {
		if (!region_opt && c != 'l' && c != 'f' && c != OPT_VM && c != 't' && c != 'v' &&
		    c != 'h' && c != OPT_VERSION && c != OPT_SHADOW && c != '?') {
			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == c)
					region_opt = lo->name;
		}
		switch (c) {
		case 't':
			check = true;
			break;
		case OPT_OWNER:
			if (config_parse_owner(optarg, &o.owner_uid, &o.owner_gid, msg,
					       sizeof(msg)) < 0) {
				fprintf(stderr, "vmrpc-hostd: --owner: %s\n", msg);
				return 2;
			}
			break;
		case 'l':
			o.name = optarg;
			break;
		case 'f':
			config = optarg;
			break;
		case OPT_VM:
			only_vm = optarg;
			break;
		case 'c':
			if (parse_arg_count("--channels", optarg, VMRPC_CHAN_MAX, &v) < 0)
				return 2;
			o.n_channels = (uint32_t)v;
			break;
		case OPT_CHSIZE:
			if (parse_arg_size("--channel-size", optarg, VMRPC_CHAN_MAX_SIZE, &v) < 0)
				return 2;
			if (v < VMRPC_CHAN_MIN_SIZE || v % 4096) {
				fprintf(stderr, "vmrpc-hostd: --channel-size: %s is not a multiple "
					"of 4096 of at least %u\n", optarg, VMRPC_CHAN_MIN_SIZE);
				return 2;
			}
			o.chan_size = (uint32_t)v;
			break;
		case OPT_MAXSH:
			if (parse_arg_count("--max-shadows", optarg, VMRPC_CHAN_MAX, &v) < 0)
				return 2;
			o.max_shadows = (uint32_t)v;
			break;
		case OPT_MODE:
			o.mode = (uint32_t)strtoul(optarg, &end, 8);
			if (*end || !*optarg || o.mode == 0 || o.mode > 0777) {
				fprintf(stderr, "vmrpc-hostd: --mode: '%s' is not an octal file "
					"mode like 0660\n", optarg);
				return 2;
			}
			break;
		case OPT_SERVICE:
			if (o.n_modules == SERVER_MODULES_MAX) {
				fprintf(stderr, "vmrpc-hostd: at most %d --service modules\n",
					SERVER_MODULES_MAX);
				return 2;
			}
			/* Shadows start elsewhere (--shadow-cwd): pin the path now. */
			o.modules[o.n_modules] = realpath(optarg, NULL);
			if (!o.modules[o.n_modules]) {
				fprintf(stderr, "vmrpc-hostd: --service %s: %s\n", optarg,
					strerror(errno));
				return 2;
			}
			o.n_modules++;
			break;
		case OPT_FFI: {
			char *spec;

			if (o.n_ffi_services == SERVICES_FFI_MAX) {
				fprintf(stderr, "vmrpc-hostd: at most %d --ffi-service libraries\n",
					SERVICES_FFI_MAX);
				return 2;
			}
			/* Shadows start elsewhere (--shadow-cwd): pin the paths now. */
			if (services_ffi_pin(optarg, &spec, msg, sizeof(msg)) < 0) {
				fprintf(stderr, "vmrpc-hostd: --ffi-service %s\n", msg);
				return 2;
			}
			o.ffi_services[o.n_ffi_services++] = spec;
			break;
		}
		case OPT_EXPORT:
		case OPT_EXPORT_RO: {
			char *eq = strchr(optarg, '='), *name;

			if (!eq || eq == optarg) {
				fprintf(stderr, "vmrpc-hostd: --export: '%s' is not NAME=DIR\n",
					optarg);
				return 2;
			}
			if (o.n_exports == SERVER_EXPORTS_MAX) {
				fprintf(stderr, "vmrpc-hostd: at most %d exports\n",
					SERVER_EXPORTS_MAX);
				return 2;
			}
			/* a copy of the name: argv stays as ps shows it */
			name = strndup(optarg, (size_t)(eq - optarg));
			if (!name || config_export(name, eq + 1, (char **)&o.exports[o.n_exports],
						   msg, sizeof(msg)) < 0) {
				fprintf(stderr, "vmrpc-hostd: %s\n", name ? msg : strerror(ENOMEM));
				free(name);
				return 2;
			}
			free(name);
			o.export_ro[o.n_exports++] = c == OPT_EXPORT_RO;
			break;
		}
		case OPT_SHADOW:
			o.shadow_exe = optarg;
			break;
		case OPT_SHCWD:
			o.shadow_cwd = optarg;
			cwd_given = 1;
			break;
		case OPT_ROOT:
			o.root = optarg;
			break;
		case OPT_NOFILE:
			if (parse_arg_size("--limit-nofile", optarg, 1u << 20, &v) < 0)
				return 2;
			o.limits.nofile = v;
			break;
		case OPT_AS:
			if (parse_arg_size("--limit-as", optarg, UINT64_MAX >> 1, &v) < 0)
				return 2;
			o.limits.as_bytes = v;
			break;
		case OPT_NPROC:
			if (parse_arg_size("--limit-nproc", optarg, 1u << 22, &v) < 0)
				return 2;
			o.limits.nproc = v;
			break;
		case OPT_PIDS:
			if (config_parse_limit(optarg, 1, CGROUP_PIDS_MAX_VALUE,
					       &o.cg_limits.pids) < 0) {
				fprintf(stderr, "vmrpc-hostd: --limit-pids: '%s' is neither a "
					"number from 1 to %u nor 'max'\n", optarg,
					CGROUP_PIDS_MAX_VALUE);
				return 2;
			}
			break;
		case OPT_MEMORY:
			if (config_parse_limit(optarg, CGROUP_MEMORY_MIN, UINT64_MAX >> 1,
					       &o.cg_limits.memory) < 0) {
				fprintf(stderr, "vmrpc-hostd: --limit-memory: '%s' is neither a "
					"size of at least 16M (K, M, G suffixes allowed) nor "
					"'max'\n", optarg);
				return 2;
			}
			break;
		case OPT_GCALLER:
			if (o.n_guest_callers == SERVER_GUEST_CALLERS_MAX ||
			    config_parse_uid(optarg, &o.guest_callers[o.n_guest_callers]) < 0) {
				fprintf(stderr, "vmrpc-hostd: --guest-caller: '%s' is not a user "
					"(or more than %d of them)\n", optarg,
					SERVER_GUEST_CALLERS_MAX);
				return 2;
			}
			o.n_guest_callers++;
			break;
		case OPT_MAXGS:
			if (parse_arg_count("--max-guest-sourced", optarg, VMRPC_CHAN_MAX, &v) < 0)
				return 2;
			o.max_guest_sourced = (uint32_t)v;
			break;
		case OPT_HOSTSOCK:
			o.host_socket = optarg;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("vmrpc-hostd %s (ABI %u)\n", VMRPC_VERSION, VMRPC_ABI_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((!o.name && !config) || (o.name && config) || (only_vm && !config) ||
	    optind != argc) {
		fprintf(stderr, "vmrpc-hostd: %s\n",
			optind != argc ? "unexpected argument"
			: only_vm && !config ? "--vm needs --config FILE"
			: config ? "--loopback and --config exclude each other"
				 : "--loopback NAME or --config FILE is required");
		usage(stderr);
		return 2;
	}
	if (config && region_opt) {
		fprintf(stderr, "vmrpc-hostd: --%s conflicts with --config %s: the file sets "
			"the VMs' options; set '%s%s' in its [vm NAME] sections instead\n",
			region_opt, config, region_opt,
			!strcmp(region_opt, "guest-caller") ? "s" : "");
		for (size_t i = 0; i < o.n_modules; i++)
			free((char *)o.modules[i]);
		for (size_t i = 0; i < o.n_ffi_services; i++)
			free((char *)o.ffi_services[i]);
		return 2;
	}
	if (config) {
		const char *exe = o.shadow_exe ? o.shadow_exe : default_shadow(shadow, sizeof(shadow));

		if (access(exe, X_OK) < 0) {
			fprintf(stderr, "vmrpc-hostd: shadow binary %s: %s (use --shadow PATH)\n",
				exe, strerror(errno));
			return 1;
		}
		signal(SIGPIPE, SIG_IGN);
		return serve_config(config, only_vm, exe, o.verbose, check);
	}
	if (vmrpc_region_path(o.name, NULL, shadow, sizeof(shadow)) == -EINVAL) {
		fprintf(stderr, "vmrpc-hostd: --loopback: '%s' is not a region name "
			"(1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.')\n", o.name);
		return 2;
	}
	if (o.root && !cwd_given)
		o.shadow_cwd = o.root;
	if (!o.shadow_exe)
		o.shadow_exe = default_shadow(shadow, sizeof(shadow));
	if (access(o.shadow_exe, X_OK) < 0) {
		fprintf(stderr, "vmrpc-hostd: shadow binary %s: %s (use --shadow PATH)\n",
			o.shadow_exe, strerror(errno));
		return 1;
	}
	if (check) {
		err = server_check(&o, msg, sizeof(msg));
		if (err < 0)
			fprintf(stderr, "vmrpc-hostd: region '%s': %s\n", o.name, msg);
		else
			printf("region '%s': good\n", o.name);
		for (size_t i = 0; i < o.n_modules; i++)
			free((char *)o.modules[i]);
		for (size_t i = 0; i < o.n_ffi_services; i++)
			free((char *)o.ffi_services[i]);
		return err < 0 ? 1 : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("vmrpc-hostd", o.verbose);
	err = server_run(&o);
	for (size_t i = 0; i < o.n_modules; i++) /* realpath()'s, from the options */
		free((char *)o.modules[i]);
	for (size_t i = 0; i < o.n_ffi_services; i++)
		free((char *)o.ffi_services[i]);
	for (size_t i = 0; i < o.n_exports; i++)
		free((char *)o.exports[i]);
	return err;
}
