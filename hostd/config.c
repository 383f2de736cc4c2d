/* SPDX-License-Identifier: MIT */
/*
 * hostd's configuration file. One section per VM:
 *
 *   [vm NAME]
 *   transport = ivshmem-doorbell     # or ivshmem-plain
 *   shm-file = /dev/shm/vmrpc-NAME   # ivshmem-plain: the region; outlives hostd
 *   shm-size = 8M                    # a power of two: QEMU's BAR2
 *   socket = /run/vmrpc/NAME.sock    # ivshmem-doorbell: QEMU's chardev
 *   user = vmrpc-NAME                # shadows run as this user (and group)
 *
 * plus optional channels, channel-size, max-shadows, mode, owner, group, root,
 * shadow-cwd, limit-nofile, limit-as, limit-nproc, limit-pids, limit-memory,
 * service (repeatable) and export / export-ro (repeatable: NAME PATH, a tree
 * the guest may mount, read-write or read-only; none by default).
 * docs/hostd-config.md and vmrpc-hostd(8) describe each key.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "user.h"
#include "vfsd.h"
#include "vmrpc/vmrpc.h"

#define CONFIG_DEFAULT_CHAN_SIZE (256u << 10)
#define CONFIG_DEFAULT_CHANNELS_MAX 32u
#define CONFIG_SHM_SIZE_MAX (1ull << 40)

struct config_parser {
	struct ini ini; /* the file, the line, the message */
	struct config *cfg;
	/* group, applied after user whatever their order in the file */
	int group_set[CONFIG_VMS_MAX];
	gid_t group[CONFIG_VMS_MAX];
};

#define config_error(p, ...) ini_error(&(p)->ini, __VA_ARGS__)

int config_parse_size(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': v = v > (ULLONG_MAX >> 10) ? ULLONG_MAX : v << 10; end++; break;
	case 'M': case 'm': v = v > (ULLONG_MAX >> 20) ? ULLONG_MAX : v << 20; end++; break;
	case 'G': case 'g': v = v > (ULLONG_MAX >> 30) ? ULLONG_MAX : v << 30; end++; break;
	default: break;
	}
	if (*end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int config_parse_limit(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v;

	if (!strcmp(s, "max")) {
		*ret = CGROUP_LIMIT_MAX;
		return 0;
	}
	if (config_parse_size(s, max, &v) < 0 || v < min)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int config_number(struct config_parser *p, const char *key, const char *v, uint64_t min,
			 uint64_t max, uint64_t *ret)
{
	if (config_parse_size(v, max, ret) < 0 || *ret < min)
		return config_error(p, "%s: '%s' is not a number from %llu to %llu (K, M, G "
				    "suffixes allowed)", key, v, (unsigned long long)min,
				    (unsigned long long)max);
	return 0;
}

static int config_path(struct config_parser *p, const char *key, const char *v, size_t max,
		       const char **ret)
{
	if (v[0] != '/')
		return config_error(p, "%s: '%s' is not an absolute path", key, v);
	if (strlen(v) >= max)
		return config_error(p, "%s: path longer than %zu bytes", key, max - 1);
	free((char *)*ret);
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int config_export(const char *name, const char *path, char **ret, char *err, size_t err_size)
{
	struct vfsd_server *check;
	char *real, *s;
	int r;

	real = realpath(path, NULL);
	if (!real) {
		r = -errno;
		snprintf(err, err_size, "export '%s': %s: %s", name, path, strerror(-r));
		return r;
	}
	/* What a shadow will do with it: the name's rules, and a directory. */
	r = vfsd_server_new(NULL, &check);
	if (r == 0) {
		r = vfsd_server_export(check, name, real, false, err, err_size);
		vfsd_server_free(check);
	}
	if (r == 0 && asprintf(&s, "%s=%s", name, real) < 0)
		r = -ENOMEM;
	free(real);
	if (r == 0)
		*ret = s;
	return r;
}

static int config_export_key(struct config_parser *p, struct server_opts *vm, const char *v,
			     bool read_only)
{
	char name[128], msg[PATH_MAX + 160], *sp;
	const char *path;
	size_t len;

	sp = strpbrk(v, " \t");
	if (!sp || (len = (size_t)(sp - v)) >= sizeof(name))
		return config_error(p, "export: '%s' is not NAME PATH", v);
	memcpy(name, v, len);
	name[len] = '\0';
	path = sp + strspn(sp, " \t");
	if (path[0] != '/')
		return config_error(p, "export: '%s' is not an absolute path", path);
	if (vm->n_exports == SERVER_EXPORTS_MAX)
		return config_error(p, "export: at most %d per VM", SERVER_EXPORTS_MAX);
	for (size_t i = 0; i < vm->n_exports; i++)
		if (!strncmp(vm->exports[i], name, len) && vm->exports[i][len] == '=')
			return config_error(p, "export: '%s' is given twice", name);
	if (config_export(name, path, (char **)&vm->exports[vm->n_exports], msg, sizeof(msg)) < 0)
		return config_error(p, "%s", msg);
	vm->export_ro[vm->n_exports++] = read_only;
	return 0;
}

int config_parse_uid(const char *v, uid_t *ret_uid)
{
	return user_parse(v, ret_uid, NULL);
}

static int config_user(struct config_parser *p, struct server_opts *vm, const char *v)
{
	if (user_parse(v, &vm->uid, &vm->gid) < 0)
		return config_error(p, "user: no user '%s' (a user name or a numeric uid)", v);
	vm->have_ids = 1;
	return 0;
}

/* "alice, bob 1001": host users who may call into the guest. */
static int config_guest_callers(struct config_parser *p, struct server_opts *vm, const char *v)
{
	char list[1024], *save = NULL;

	if (snprintf(list, sizeof(list), "%s", v) >= (int)sizeof(list))
		return config_error(p, "guest-callers: list too long");
	for (char *u = strtok_r(list, ", \t", &save); u; u = strtok_r(NULL, ", \t", &save)) {
		if (vm->n_guest_callers == SERVER_GUEST_CALLERS_MAX)
			return config_error(p, "guest-callers: at most %d users per VM",
					    SERVER_GUEST_CALLERS_MAX);
		if (config_parse_uid(u, &vm->guest_callers[vm->n_guest_callers]) < 0)
			return config_error(p, "guest-callers: no user '%s' (a user name or a "
					    "numeric uid)", u);
		vm->n_guest_callers++;
	}
	return 0;
}

static int config_parse_gid(const char *v, gid_t *ret_gid)
{
	struct group *gr = getgrnam(v);
	char *end;
	unsigned long id;

	if (gr) {
		*ret_gid = gr->gr_gid;
		return 0;
	}
	errno = 0;
	id = strtoul(v, &end, 10);
	if (errno || end == v || *end || id >= (gid_t)-1)
		return -EINVAL;
	*ret_gid = (gid_t)id;
	return 0;
}

static int config_group(struct config_parser *p, size_t i, const char *v)
{
	if (config_parse_gid(v, &p->group[i]) < 0)
		return config_error(p, "group: no group '%s' (a group name or a numeric gid)", v);
	p->group_set[i] = 1;
	return 0;
}

int config_parse_owner(const char *v, uid_t *ret_uid, gid_t *ret_gid, char *err,
		       size_t err_size)
{
	char user[256];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (n >= sizeof(user) || (!n && (!colon || !colon[1]))) {
		snprintf(err, err_size, "'%s' is not USER, USER:GROUP or :GROUP", v);
		return -EINVAL;
	}
	memcpy(user, v, n);
	user[n] = '\0';
	if (n && user_parse(user, &uid, NULL) < 0) {
		snprintf(err, err_size, "no user '%s' (a user name or a numeric uid)", user);
		return -EINVAL;
	}
	if (colon && colon[1] && config_parse_gid(colon + 1, &gid) < 0) {
		snprintf(err, err_size, "no group '%s' (a group name or a numeric gid)", colon + 1);
		return -EINVAL;
	}
	*ret_uid = uid;
	*ret_gid = gid;
	return 0;
}

static int config_set(struct config_parser *p, struct config *cfg, const char *key,
		      const char *v)
{
	struct server_opts *vm = &cfg->vm[cfg->n_vms - 1];
	uint64_t n;
	char *end;
	int err;

	if (!strcmp(key, "transport")) {
		if (!strcmp(v, "ivshmem-doorbell"))
			vm->transport = VMRPC_TRANSPORT_IVSHMEM_DOORBELL;
		else if (!strcmp(v, "ivshmem-plain"))
			vm->transport = VMRPC_TRANSPORT_IVSHMEM_PLAIN;
		else
			return config_error(p, "transport: '%s' is neither ivshmem-doorbell nor "
					    "ivshmem-plain", v);
	} else if (!strcmp(key, "shm-file")) {
		return config_path(p, key, v, PATH_MAX, &vm->shm_path);
	} else if (!strcmp(key, "shm-size")) {
		err = config_number(p, key, v, 4096, CONFIG_SHM_SIZE_MAX, &n);
		if (err < 0)
			return err;
		if (n & (n - 1))
			return config_error(p, "shm-size: %s is not a power of two (QEMU maps the "
					    "file as a PCI BAR)", v);
		vm->shm_size = n;
	} else if (!strcmp(key, "socket")) {
		return config_path(p, key, v, sizeof(((struct sockaddr_un *)0)->sun_path),
				   &vm->socket_path);
	} else if (!strcmp(key, "channels")) {
		err = config_number(p, key, v, 1, VMRPC_CHAN_MAX, &n);
		vm->n_channels = (uint32_t)n;
		return err;
	} else if (!strcmp(key, "channel-size")) {
		err = config_number(p, key, v, VMRPC_CHAN_MIN_SIZE, VMRPC_CHAN_MAX_SIZE, &n);
		if (err < 0)
			return err;
		if (n % 4096)
			return config_error(p, "channel-size: %s is not a multiple of 4096", v);
		vm->chan_size = (uint32_t)n;
	} else if (!strcmp(key, "max-shadows")) {
		err = config_number(p, key, v, 1, VMRPC_CHAN_MAX, &n);
		vm->max_shadows = (uint32_t)n;
		return err;
	} else if (!strcmp(key, "mode")) {
		vm->mode = (uint32_t)strtoul(v, &end, 8);
		if (*end || !*v || vm->mode == 0 || vm->mode > 0777)
			return config_error(p, "mode: '%s' is not an octal file mode like 0660", v);
	} else if (!strcmp(key, "owner")) {
		char why[320];

		if (config_parse_owner(v, &vm->owner_uid, &vm->owner_gid, why, sizeof(why)) < 0)
			return config_error(p, "owner: %s", why);
	} else if (!strcmp(key, "user")) {
		return config_user(p, vm, v);
	} else if (!strcmp(key, "group")) {
		return config_group(p, cfg->n_vms - 1, v);
	} else if (!strcmp(key, "shadow-cwd")) {
		return config_path(p, key, v, PATH_MAX, &vm->shadow_cwd);
	} else if (!strcmp(key, "root")) {
		return config_path(p, key, v, PATH_MAX, &vm->root);
	} else if (!strcmp(key, "limit-nofile")) {
		return config_number(p, key, v, 1, 1u << 20, &vm->limits.nofile);
	} else if (!strcmp(key, "limit-as")) {
		return config_number(p, key, v, 1, UINT64_MAX >> 1, &vm->limits.as_bytes);
	} else if (!strcmp(key, "limit-nproc")) {
		return config_number(p, key, v, 1, 1u << 22, &vm->limits.nproc);
	} else if (!strcmp(key, "limit-pids")) {
		if (config_parse_limit(v, 1, CGROUP_PIDS_MAX_VALUE, &vm->cg_limits.pids) < 0)
			return config_error(p, "limit-pids: '%s' is neither a number from 1 "
					    "to %u nor 'max'", v, CGROUP_PIDS_MAX_VALUE);
	} else if (!strcmp(key, "limit-memory")) {
		if (config_parse_limit(v, CGROUP_MEMORY_MIN, UINT64_MAX >> 1,
				       &vm->cg_limits.memory) < 0)
			return config_error(p, "limit-memory: '%s' is neither a size of at "
					    "least 16M (K, M, G suffixes allowed) nor 'max'", v);
	} else if (!strcmp(key, "guest-callers")) {
		return config_guest_callers(p, vm, v);
	} else if (!strcmp(key, "host-socket")) {
		return config_path(p, key, v, sizeof(((struct sockaddr_un *)0)->sun_path),
				   &vm->host_socket);
	} else if (!strcmp(key, "max-guest-sourced")) {
		err = config_number(p, key, v, 1, VMRPC_CHAN_MAX, &n);
		vm->max_guest_sourced = (uint32_t)n;
		return err;
	} else if (!strcmp(key, "export") || !strcmp(key, "export-ro")) {
		return config_export_key(p, vm, v, !strcmp(key, "export-ro"));
	} else if (!strcmp(key, "service")) {
		if (vm->n_modules == SERVER_MODULES_MAX)
			return config_error(p, "service: at most %d per VM", SERVER_MODULES_MAX);
		/* Shadows start elsewhere (shadow-cwd): pin the path now. */
		vm->modules[vm->n_modules] = realpath(v, NULL);
		if (!vm->modules[vm->n_modules])
			return config_error(p, "service: %s: %s", v, strerror(errno));
		vm->n_modules++;
	} else if (!strcmp(key, "ffi-service")) {
		char why[PATH_MAX + 256], *spec;

		if (vm->n_ffi_services == SERVICES_FFI_MAX)
			return config_error(p, "ffi-service: at most %d per VM", SERVICES_FFI_MAX);
		/* Shadows start elsewhere (shadow-cwd): pin the paths now. */
		if (services_ffi_pin(v, &spec, why, sizeof(why)) < 0)
			return config_error(p, "ffi-service: %s", why);
		vm->ffi_services[vm->n_ffi_services++] = spec;
	} else {
		return config_error(p, "unknown key '%s'", key);
	}
	return 0;
}

/* "[vm NAME]" (the parser checked the brackets; blanks are gone). */
static int config_section(struct config_parser *p, struct config *cfg, const char *name)
{
	struct server_opts *vm;
	char buf[PATH_MAX];

	if (strncmp(name, "vm", 2) || !isspace((unsigned char)name[2]))
		return config_error(p, "unknown section '[%s]' (only '[vm NAME]')", name);
	name += 2;
	while (isspace((unsigned char)*name))
		name++;
	if (vmrpc_region_path(name, NULL, buf, sizeof(buf)) == -EINVAL)
		return config_error(p, "'%s' is not a VM name (1 to 64 of A-Z a-z 0-9 _ . -, "
				    "not starting with '.')", name);
	for (size_t i = 0; i < cfg->n_vms; i++)
		if (!strcmp(cfg->vm[i].name, name))
			return config_error(p, "VM '%s' is configured twice", name);
	if (cfg->n_vms == CONFIG_VMS_MAX)
		return config_error(p, "more than %d VMs", CONFIG_VMS_MAX);
	vm = &cfg->vm[cfg->n_vms++];
	*vm = (struct server_opts){
		.transport = VMRPC_TRANSPORT_IVSHMEM_DOORBELL,
		.limits = { .nofile = 1024 },
		.owner_uid = (uid_t)-1,
		.owner_gid = (gid_t)-1,
	};
	vm->name = strdup(name);
	return vm->name ? 0 : -ENOMEM;
}

/* ini.h's handler: a section, or a key of the last one. */
static int config_line(struct ini *ini, const char *section, const char *key, const char *value)
{
	struct config_parser *p = ini->user;

	if (!key)
		return config_section(p, p->cfg, section);
	if (!p->cfg->n_vms)
		return config_error(p, "'%s' before the first '[vm NAME]'", key);
	return config_set(p, p->cfg, key, value);
}

/* Everything one VM needs, and defaults for the rest. */
static int config_check_vm(struct config_parser *p, struct config *cfg, size_t i)
{
	struct server_opts *vm = &cfg->vm[i];
	uint32_t cs = vm->chan_size ? vm->chan_size : CONFIG_DEFAULT_CHAN_SIZE;
	uint64_t fit;

	if (!vm->shm_path && vm->transport == VMRPC_TRANSPORT_IVSHMEM_PLAIN)
		return config_error(p, "VM '%s': shm-file is missing (transport ivshmem-plain)",
				    vm->name);
	if (vm->shm_path && vm->transport == VMRPC_TRANSPORT_IVSHMEM_DOORBELL)
		return config_error(p, "VM '%s': shm-file is only for transport ivshmem-plain "
				    "(an ivshmem-doorbell VM's region is a sealed memfd QEMU "
				    "receives on its socket)", vm->name);
	if (!vm->shm_size)
		return config_error(p, "VM '%s': shm-size is missing", vm->name);
	if (vm->transport == VMRPC_TRANSPORT_IVSHMEM_DOORBELL && !vm->socket_path)
		return config_error(p, "VM '%s': socket is missing (transport ivshmem-doorbell)",
				    vm->name);
	if (vm->transport == VMRPC_TRANSPORT_IVSHMEM_PLAIN && vm->socket_path)
		return config_error(p, "VM '%s': socket is only for transport ivshmem-doorbell",
				    vm->name);
	fit = vm->shm_size > VMRPC_HDR_SIZE ? (vm->shm_size - VMRPC_HDR_SIZE) / cs : 0;
	if (!vm->n_channels)
		vm->n_channels = (uint32_t)(fit < CONFIG_DEFAULT_CHANNELS_MAX
						    ? fit : CONFIG_DEFAULT_CHANNELS_MAX);
	if (!vm->n_channels || vm->n_channels > fit)
		return config_error(p, "VM '%s': shm-size %llu cannot hold %u channels of %u "
				    "bytes and the 4096-byte header",
				    vm->name, (unsigned long long)vm->shm_size,
				    vm->n_channels ? vm->n_channels : 1, cs);
	vm->chan_size = cs;
	if (!vm->have_ids) {
		/* Root would otherwise run every guest's shadows as root. */
		if (geteuid() == 0)
			return config_error(p, "VM '%s': user is missing (the host user its "
					    "shadows run as)", vm->name);
		vm->uid = geteuid();
		vm->gid = getegid();
		vm->have_ids = 1;
	}
	if (p->group_set[i])
		vm->gid = p->group[i];
	if (geteuid() != 0 && (vm->uid != geteuid() || vm->gid != getegid()))
		return config_error(p, "VM '%s': user and group must be hostd's own unless hostd "
				    "runs as root", vm->name);
	if (!vm->shadow_cwd)
		vm->shadow_cwd = strdup(vm->root ? vm->root : "/");
	for (size_t j = 0; j < i; j++) {
		if (vm->shm_path && cfg->vm[j].shm_path && !strcmp(cfg->vm[j].shm_path, vm->shm_path))
			return config_error(p, "VMs '%s' and '%s' share shm-file %s", cfg->vm[j].name,
					    vm->name, vm->shm_path);
		if (vm->socket_path && cfg->vm[j].socket_path &&
		    !strcmp(cfg->vm[j].socket_path, vm->socket_path))
			return config_error(p, "VMs '%s' and '%s' share socket %s", cfg->vm[j].name,
					    vm->name, vm->socket_path);
	}
	return vm->shadow_cwd ? 0 : -ENOMEM;
}

int config_load(const char *path, struct config *cfg, char *err, size_t err_size)
{
	struct config_parser p = {
		.ini = { .path = path, .section_form = "[vm NAME]", .handler = config_line,
			 .err = err, .err_size = err_size },
		.cfg = cfg,
	};
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	p.ini.user = &p;
	ret = ini_parse(&p.ini);
	if (ret == 0 && cfg->n_vms == 0)
		ret = config_error(&p, "no '[vm NAME]' section");
	for (size_t i = 0; ret == 0 && i < cfg->n_vms; i++)
		ret = config_check_vm(&p, cfg, i);
	if (ret < 0)
		config_free(cfg);
	return ret;
}

static void config_free_vm(struct server_opts *vm)
{
	free((char *)vm->name);
	free((char *)vm->shm_path);
	free((char *)vm->socket_path);
	free((char *)vm->host_socket);
	free((char *)vm->shadow_cwd);
	free((char *)vm->root);
	for (size_t j = 0; j < vm->n_modules; j++)
		free((char *)vm->modules[j]);
	for (size_t j = 0; j < vm->n_ffi_services; j++)
		free((char *)vm->ffi_services[j]);
	for (size_t j = 0; j < vm->n_exports; j++)
		free((char *)vm->exports[j]);
	*vm = (struct server_opts){ 0 };
}

int config_keep_only(struct config *cfg, const char *name)
{
	size_t keep;

	for (keep = 0; keep < cfg->n_vms && strcmp(cfg->vm[keep].name, name); keep++)
		;
	if (keep == cfg->n_vms)
		return -ENOENT;
	for (size_t i = 0; i < cfg->n_vms; i++)
		if (i != keep)
			config_free_vm(&cfg->vm[i]);
	cfg->vm[0] = cfg->vm[keep];
	cfg->n_vms = 1;
	return 0;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_vms; i++)
		config_free_vm(&cfg->vm[i]);
	cfg->n_vms = 0;
}

/* ---- what a reload changes ------------------------------------------------ */

struct config_diff_buf {
	char *buf;
	size_t size, len;
};

static void diff_add(struct config_diff_buf *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void diff_add(struct config_diff_buf *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->len >= d->size)
		return;
	if (d->len) {
		n = snprintf(d->buf + d->len, d->size - d->len, ", ");
		d->len += n > 0 ? (size_t)n : 0;
		if (d->len >= d->size)
			return;
	}
	va_start(ap, fmt);
	n = vsnprintf(d->buf + d->len, d->size - d->len, fmt, ap);
	va_end(ap);
	d->len += n > 0 ? (size_t)n : 0;
	if (d->len >= d->size)
		d->len = d->size - 1;
}

static const char *diff_str(const char *s)
{
	return s ? s : "(none)";
}

static void diff_fmt(uint64_t v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "default");
	else if (v == CGROUP_LIMIT_MAX)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void diff_num(struct config_diff_buf *d, const char *key, uint64_t a, uint64_t b)
{
	char x[32], y[32];

	if (a == b)
		return;
	diff_fmt(a, x, sizeof(x));
	diff_fmt(b, y, sizeof(y));
	diff_add(d, "%s %s -> %s", key, x, y);
}

static void diff_owner(uid_t uid, gid_t gid, char *buf, size_t size)
{
	char u[16] = "", g[16] = "";

	if (uid != (uid_t)-1)
		snprintf(u, sizeof(u), "%u", (unsigned)uid);
	if (gid != (gid_t)-1)
		snprintf(g, sizeof(g), ":%u", (unsigned)gid);
	snprintf(buf, size, "%s%s", u[0] || g[0] ? u : "hostd's", g);
}

static void diff_path(struct config_diff_buf *d, const char *key, const char *a, const char *b)
{
	if ((a || b) && (!a || !b || strcmp(a, b)))
		diff_add(d, "%s %s -> %s", key, diff_str(a), diff_str(b));
}

void config_diff(const struct server_opts *old, const struct server_opts *new, char *what,
		 size_t what_size, char *restart, size_t restart_size)
{
	struct config_diff_buf w = { what, what_size, 0 }, r = { restart, restart_size, 0 };
	int modules_differ = old->n_modules != new->n_modules;
	int callers_differ = old->n_guest_callers != new->n_guest_callers;

	what[0] = restart[0] = '\0';
	/* What shapes the region and where it is: a restart. */
	if (old->transport != new->transport)
		diff_add(&r, "transport");
	diff_path(&r, "shm-file", old->shm_path, new->shm_path);
	diff_num(&r, "shm-size", old->shm_size, new->shm_size);
	diff_path(&r, "socket", old->socket_path, new->socket_path);
	diff_num(&r, "channels", old->n_channels, new->n_channels);
	diff_num(&r, "channel-size", old->chan_size, new->chan_size);
	diff_path(&r, "host-socket", old->host_socket, new->host_socket);
	for (size_t i = 0; !modules_differ && i < old->n_modules; i++)
		modules_differ = strcmp(old->modules[i], new->modules[i]) != 0;
	if (modules_differ)
		diff_add(&r, "service");
	modules_differ = old->n_ffi_services != new->n_ffi_services;
	for (size_t i = 0; !modules_differ && i < old->n_ffi_services; i++)
		modules_differ = strcmp(old->ffi_services[i], new->ffi_services[i]) != 0;
	if (modules_differ)
		diff_add(&r, "ffi-service");
	/* the exports a VM's shadows serve (vfs.idl), set up at start */
	if (old->n_exports != new->n_exports) {
		diff_add(&r, "export");
	} else {
		for (size_t i = 0; i < old->n_exports; i++) {
			if (strcmp(old->exports[i], new->exports[i]) ||
			    old->export_ro[i] != new->export_ro[i]) {
				diff_add(&r, "export");
				break;
			}
		}
	}
	/* What new shadows, new host callers and the files get. */
	diff_num(&w, "user", old->uid, new->uid);
	diff_num(&w, "group", old->gid, new->gid);
	if (old->mode != new->mode)
		diff_add(&w, "mode %04o -> %04o", old->mode ? old->mode : 0600,
			 new->mode ? new->mode : 0600);
	if (old->owner_uid != new->owner_uid || old->owner_gid != new->owner_gid) {
		char x[40], y[40];

		diff_owner(old->owner_uid, old->owner_gid, x, sizeof(x));
		diff_owner(new->owner_uid, new->owner_gid, y, sizeof(y));
		diff_add(&w, "owner %s -> %s", x, y);
	}
	diff_num(&w, "max-shadows", old->max_shadows, new->max_shadows);
	diff_path(&w, "root", old->root, new->root);
	diff_path(&w, "shadow-cwd", old->shadow_cwd, new->shadow_cwd);
	diff_num(&w, "limit-nofile", old->limits.nofile, new->limits.nofile);
	diff_num(&w, "limit-as", old->limits.as_bytes, new->limits.as_bytes);
	diff_num(&w, "limit-nproc", old->limits.nproc, new->limits.nproc);
	diff_num(&w, "limit-pids", old->cg_limits.pids, new->cg_limits.pids);
	diff_num(&w, "limit-memory", old->cg_limits.memory, new->cg_limits.memory);
	for (size_t i = 0; !callers_differ && i < old->n_guest_callers; i++)
		callers_differ = old->guest_callers[i] != new->guest_callers[i];
	if (callers_differ)
		diff_add(&w, "guest-callers");
	diff_num(&w, "max-guest-sourced", old->max_guest_sourced, new->max_guest_sourced);
}
