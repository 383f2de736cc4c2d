/* SPDX-License-Identifier: MIT */
/*
 * Regions and the registry: path rules, what vmrpc_region_open refuses (a
 * caller maps a file it did not write: every header field is checked before
 * use), one host side per region, registry publish/lookup, vmrpc_strerror.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

/* ---- vmrpc_region_path ------------------------------------------------- */

struct env_save {
	char *vmrpc, *xdg;
};

static char *dup_env(const char *name)
{
	const char *v = getenv(name);

	return v ? strdup(v) : NULL;
}

static void env_save(struct env_save *s)
{
	s->vmrpc = dup_env("VMRPC_RUNTIME_DIR");
	s->xdg = dup_env("XDG_RUNTIME_DIR");
}

static void env_put(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

static void env_restore(struct env_save *s)
{
	env_put("VMRPC_RUNTIME_DIR", s->vmrpc);
	env_put("XDG_RUNTIME_DIR", s->xdg);
	free(s->vmrpc);
	free(s->xdg);
}

static void test_path_names(void **state)
{
	char buf[PATH_MAX], want[PATH_MAX], n64[65], n65[66];
	static const char *const good[] = { "a", "vm1", "VM_1", "a.b", "a-b", "9", "a..b",
					    "x.", "-", "_" };
	static const char *const bad[] = { "", ".", "..", ".hidden", "a/b", "/a", "a b",
					   "a\tb", "a:b", "a*", "\xc3\xa9", "a\\b", "a\nb" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(vmrpc_region_path(good[i], ".region", buf, sizeof(buf)), 0);
		snprintf(want, sizeof(want), "%s/%s.region", unit_dir(), good[i]);
		assert_string_equal(buf, want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vmrpc_region_path(bad[i], ".region", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vmrpc_region_path(NULL, ".region", buf, sizeof(buf)), -EINVAL);

	/* 64 characters is the longest name */
	memset(n64, 'n', 64);
	n64[64] = '\0';
	memset(n65, 'n', 65);
	n65[65] = '\0';
	assert_int_equal(vmrpc_region_path(n64, ".sock", buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/%s.sock", unit_dir(), n64);
	assert_string_equal(buf, want);
	assert_int_equal(vmrpc_region_path(n65, ".sock", buf, sizeof(buf)), -EINVAL);

	/* no suffix */
	assert_int_equal(vmrpc_region_path("vm", NULL, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/vm", unit_dir());
	assert_string_equal(buf, want);

	/* the buffer is too small: an error, never a truncated path */
	snprintf(want, sizeof(want), "%s/vm.region", unit_dir());
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, strlen(want)),
			 -ENAMETOOLONG);
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, strlen(want) + 1), 0);
	assert_string_equal(buf, want);
}

static void test_path_env(void **state)
{
	struct env_save s;
	char buf[PATH_MAX], longdir[PATH_MAX + 10];

	(void)state;
	env_save(&s);

	/* VMRPC_RUNTIME_DIR wins over XDG_RUNTIME_DIR */
	setenv("VMRPC_RUNTIME_DIR", "/v/dir", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1", 1);
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/v/dir/vm.region");

	/* then $XDG_RUNTIME_DIR/vmrpc; an empty variable counts as unset */
	unsetenv("VMRPC_RUNTIME_DIR");
	assert_int_equal(vmrpc_region_path("vm", ".sock", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/1/vmrpc/vm.sock");
	setenv("VMRPC_RUNTIME_DIR", "", 1);
	assert_int_equal(vmrpc_region_path("vm", ".sock", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/run/user/1/vmrpc/vm.sock");

	/* then /dev/shm/vmrpc */
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/shm/vmrpc/vm.region");
	setenv("XDG_RUNTIME_DIR", "", 1);
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/dev/shm/vmrpc/vm.region");

	/* a runtime dir too long for any path */
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	setenv("VMRPC_RUNTIME_DIR", longdir, 1);
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, sizeof(buf)), -ENAMETOOLONG);
	unsetenv("VMRPC_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", longdir, 1);
	assert_int_equal(vmrpc_region_path("vm", ".region", buf, sizeof(buf)), -ENAMETOOLONG);

	env_restore(&s);
}

/* ---- vmrpc_region_open ------------------------------------------------- */

static void region_file(char *buf, size_t size)
{
	assert_int_equal(vmrpc_region_path(UNIT_REGION, ".region", buf, size), 0);
}

/* Create a valid region (2 channels of 8 KiB), close it, then overwrite
 * `len` bytes of its header at `off`. */
static void make_region_poked(size_t off, const void *val, size_t len)
{
	struct vmrpc_region *r;
	char path[PATH_MAX];
	int fd;

	unit_region_create(2, 8192, &r, NULL);
	vmrpc_region_close(r);
	if (!val)
		return;
	region_file(path, sizeof(path));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, val, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static int open_poked32(size_t off, uint32_t v)
{
	struct vmrpc_region *r = (void *)0x1;
	int err;

	make_region_poked(off, &v, sizeof(v));
	err = vmrpc_region_open(UNIT_REGION, &r);
	if (err == 0)
		vmrpc_region_close(r);
	else
		assert_ptr_equal(r, (void *)0x1); /* untouched on failure */
	return err;
}

static int open_poked64(size_t off, uint64_t v)
{
	struct vmrpc_region *r = (void *)0x1;
	int err;

	make_region_poked(off, &v, sizeof(v));
	err = vmrpc_region_open(UNIT_REGION, &r);
	if (err == 0)
		vmrpc_region_close(r);
	else
		assert_ptr_equal(r, (void *)0x1);
	return err;
}

#define HOFF(field) offsetof(struct vmrpc_region_hdr, field)

static void test_open_ok(void **state)
{
	struct vmrpc_region *host, *guest;

	(void)state;
	unit_region_create(2, 8192, &host, NULL);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &guest), 0);
	assert_int_equal(vmrpc_region_size(guest), 4096 + 2 * 8192);
	assert_non_null(vmrpc_region_chan(guest, 1));
	assert_null(vmrpc_region_chan(guest, 2));
	/* both map the same memory */
	vmrpc_region_chan(host, 1)->ctl.owner_pid = 77;
	assert_int_equal(vmrpc_region_chan(guest, 1)->ctl.owner_pid, 77);
	vmrpc_region_close(guest);
	vmrpc_region_close(host);
	/* the file outlives the host: a caller can still map it */
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &guest), 0);
	vmrpc_region_close(guest);
	vmrpc_region_close(NULL); /* destructors accept NULL */
}

static void test_open_missing(void **state)
{
	struct vmrpc_region *r = (void *)0x1;

	(void)state;
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_ENOHOSTD);
	assert_int_equal(vmrpc_region_open("other", &r), -VMRPC_ENOHOSTD);
	assert_int_equal(vmrpc_region_open("bad/name", &r), -EINVAL);
	assert_ptr_equal(r, (void *)0x1);
}

static void write_file(const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	region_file(path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_open_not_a_region(void **state)
{
	static uint8_t zeros[4096 + 2 * 8192];
	struct vmrpc_region_hdr h = { 0 };
	struct vmrpc_region *r = (void *)0x1;
	char path[PATH_MAX];

	(void)state;
	/* empty, short, all zeros */
	write_file(NULL, 0);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
	write_file("vVMPRPC1", 8);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
	write_file(zeros, sizeof(zeros));
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
	/* a header one byte short of 4096 */
	h.magic = VMRPC_MAGIC;
	h.abi_version = VMRPC_ABI_VERSION;
	write_file(&h, sizeof(h) - 1);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
	assert_ptr_equal(r, (void *)0x1);

	/* bad magic in an otherwise valid region */
	assert_int_equal(open_poked64(HOFF(magic), VMRPC_MAGIC ^ 1), -VMRPC_EMAGIC);
	assert_int_equal(open_poked64(HOFF(magic), 0), -VMRPC_EMAGIC);

	/* not a regular file */
	region_file(path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	{
		int fd = open(path, O_RDWR | O_NONBLOCK);

		assert_true(fd >= 0);
		assert_int_equal(vmrpc_region_open_fd(fd, &r), -VMRPC_EMAGIC);
		close(fd);
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(vmrpc_region_open_fd(-1, &r), -EBADF);
	assert_ptr_equal(r, (void *)0x1);
}

static void test_open_abi(void **state)
{
	(void)state;
	assert_int_equal(open_poked32(HOFF(abi_version), VMRPC_ABI_VERSION + 1), -VMRPC_EABI);
	assert_int_equal(open_poked32(HOFF(abi_version), 0), -VMRPC_EABI);
	assert_int_equal(open_poked32(HOFF(abi_version), UINT32_MAX), -VMRPC_EABI);
	/* and the unpoked region opens */
	assert_int_equal(open_poked32(HOFF(abi_version), VMRPC_ABI_VERSION), 0);
}

static void test_open_geometry(void **state)
{
	const uint64_t size = 4096 + 2 * 8192;

	(void)state;
	/* n_channels */
	assert_int_equal(open_poked32(HOFF(n_channels), 0), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(n_channels), 3), -VMRPC_EMAGIC); /* overflows */
	assert_int_equal(open_poked32(HOFF(n_channels), VMRPC_CHAN_MAX + 1), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(n_channels), UINT32_MAX), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(n_channels), 1), 0); /* fewer is fine */
	/* chan_size */
	assert_int_equal(open_poked32(HOFF(chan_size), 8192 + 1), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_size), 8192 - 4096 + 512), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_size), 4096), -VMRPC_EMAGIC); /* < min */
	assert_int_equal(open_poked32(HOFF(chan_size), 0), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_size), 12288), -VMRPC_EMAGIC); /* overflows */
	assert_int_equal(open_poked32(HOFF(chan_size), VMRPC_CHAN_MAX_SIZE + 4096),
			 -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_size), UINT32_MAX & ~4095u), -VMRPC_EMAGIC);
	/* region_size must match the file */
	assert_int_equal(open_poked64(HOFF(region_size), size - 1), -VMRPC_EMAGIC);
	assert_int_equal(open_poked64(HOFF(region_size), size + 4096), -VMRPC_EMAGIC);
	assert_int_equal(open_poked64(HOFF(region_size), 0), -VMRPC_EMAGIC);
	assert_int_equal(open_poked64(HOFF(region_size), UINT64_MAX), -VMRPC_EMAGIC);
	/* hdr_size and chan_off are fixed */
	assert_int_equal(open_poked32(HOFF(hdr_size), 0), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(hdr_size), 8192), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_off), 0), -VMRPC_EMAGIC);
	assert_int_equal(open_poked32(HOFF(chan_off), 4096 + 8192), -VMRPC_EMAGIC);
}

static void test_open_geometry_overflow(void **state)
{
	/* n * chan_size far past the file, with region_size claiming the
	 * file's real size: the 32x32-bit product must not wrap. */
	struct {
		uint32_t n_channels, chan_size;
	} g = { VMRPC_CHAN_MAX, VMRPC_CHAN_MAX_SIZE };

	(void)state;
	make_region_poked(HOFF(n_channels), &g, sizeof(g));
	{
		struct vmrpc_region *r = (void *)0x1;

		assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
		assert_ptr_equal(r, (void *)0x1);
	}
	/* 1024 channels of the real size, in a file that holds two */
	g.chan_size = 8192;
	make_region_poked(HOFF(n_channels), &g, sizeof(g));
	{
		struct vmrpc_region *r = (void *)0x1;

		assert_int_equal(vmrpc_region_open(UNIT_REGION, &r), -VMRPC_EMAGIC);
	}
}

/* The host side's copy of the geometry is fixed at map time: a caller that
 * rewrites the header afterwards cannot move the channel table. */
static void test_geometry_is_private(void **state)
{
	struct vmrpc_region *host;
	struct vmrpc_region_hdr *h;

	(void)state;
	unit_region_create(2, 8192, &host, NULL);
	h = vmrpc_region_hdr(host);
	h->n_channels = 1000;
	h->chan_size = 1u << 30;
	assert_non_null(vmrpc_region_chan(host, 1));
	assert_ptr_equal(vmrpc_region_chan(host, 1), (uint8_t *)h + 4096 + 8192);
	assert_null(vmrpc_region_chan(host, 2));
	assert_null(vmrpc_region_chan(host, 999));
	vmrpc_region_close(host);
}

static void test_create_busy(void **state)
{
	struct vmrpc_region *r1, *r2 = (void *)0x1;

	(void)state;
	unit_region_create(2, 8192, &r1, NULL);
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, NULL, &r2), -EBUSY);
	{
		struct vmrpc_region_opts o = { .n_channels = 2, .chan_size = 8192 };

		assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, &r2), -EBUSY);
	}
	assert_ptr_equal(r2, (void *)0x1);
	/* the first one is untouched */
	assert_int_equal(vmrpc_region_hdr(r1)->generation, 1);
	assert_int_equal(vmrpc_region_hdr(r1)->n_channels, 2);
	/* a caller may still open it */
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &r2), 0);
	vmrpc_region_close(r2);
	vmrpc_region_close(r1);
	/* after the first closes, the next host side gets it */
	unit_region_create(2, 8192, &r2, NULL);
	assert_int_equal(vmrpc_region_hdr(r2)->generation, 2);
	vmrpc_region_close(r2);
}

/* ---- registry ---------------------------------------------------------- */

static const struct vmrpc_iface iface_fs = {
	.name = "vmrpc.fs", .version = 3, .n_methods = 7, .sig_hash = 0x1122334455667788ull,
};
static const struct vmrpc_iface iface_net = {
	.name = "vmrpc.net", .version = 1, .n_methods = 2, .sig_hash = 0xdeadbeefull,
};

static void test_registry_lookup(void **state)
{
	const struct vmrpc_iface *ifaces[] = { &iface_fs, &iface_net };
	struct vmrpc_region *host, *guest;
	struct vmrpc_region_hdr *h;
	struct vmrpc_iface x;
	uint32_t slot = 99;

	(void)state;
	unit_region_create(2, 8192, &host, NULL);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &guest), 0);
	/* nothing published yet */
	assert_int_equal(vmrpc_region_lookup(guest, &iface_fs, &slot), -VMRPC_ENOIFACE);

	assert_int_equal(vmrpc_hostd_region_publish(host, ifaces, 2), 0);
	h = vmrpc_region_hdr(host);
	assert_int_equal(h->n_ifaces, 2);
	assert_string_equal(h->registry[0].name, "vmrpc.fs");
	assert_int_equal(h->registry[0].version, 3);
	assert_int_equal(h->registry[0].n_methods, 7);
	assert_true(h->registry[0].sig_hash == 0x1122334455667788ull);
	/* NUL-padded */
	for (size_t i = strlen("vmrpc.fs"); i < VMRPC_REG_NAME_MAX; i++)
		assert_int_equal(h->registry[0].name[i], 0);

	assert_int_equal(vmrpc_region_lookup(guest, &iface_fs, &slot), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(vmrpc_region_lookup(guest, &iface_net, &slot), 0);
	assert_int_equal(slot, 1);

	slot = 99;
	x = iface_fs;
	x.name = "vmrpc.nope";
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);
	x.name = "vmrpc.f"; /* a prefix is not a match */
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);
	x.name = "vmrpc.fs2"; /* nor an extension */
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);
	x.name = "";
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);
	x.name = "a-name-that-is-longer-than-the-forty-byte-field";
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);

	x = iface_fs;
	x.sig_hash ^= 1;
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ESIGNATURE);
	x = iface_fs;
	x.version = 4;
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ESIGNATURE);
	x = iface_fs;
	x.n_methods = 6;
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ESIGNATURE);
	assert_int_equal(slot, 99); /* untouched on failure */

	/* a hostile n_ifaces is clamped to the table */
	h->n_ifaces = UINT32_MAX;
	assert_int_equal(vmrpc_region_lookup(guest, &iface_net, &slot), 0);
	assert_int_equal(slot, 1);
	x.name = "vmrpc.nope";
	assert_int_equal(vmrpc_region_lookup(guest, &x, &slot), -VMRPC_ENOIFACE);

	/* republishing replaces the table */
	ifaces[0] = &iface_net;
	assert_int_equal(vmrpc_hostd_region_publish(host, ifaces, 1), 0);
	assert_int_equal(vmrpc_region_lookup(guest, &iface_net, &slot), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(vmrpc_region_lookup(guest, &iface_fs, &slot), -VMRPC_ENOIFACE);
	assert_int_equal(vmrpc_hostd_region_publish(host, ifaces, 0), 0);
	assert_int_equal(vmrpc_region_lookup(guest, &iface_net, &slot), -VMRPC_ENOIFACE);

	vmrpc_region_close(guest);
	vmrpc_region_close(host);
}

static void test_registry_publish_errors(void **state)
{
	static char names[VMRPC_REG_MAX + 1][16];
	static struct vmrpc_iface many[VMRPC_REG_MAX + 1];
	const struct vmrpc_iface *ptrs[VMRPC_REG_MAX + 1];
	struct vmrpc_iface n39 = iface_fs, n40 = iface_fs, empty = iface_fs;
	char s39[40], s40[41];
	struct vmrpc_region *r;
	uint32_t slot;

	(void)state;
	unit_region_create(2, 8192, &r, NULL);
	for (unsigned i = 0; i <= VMRPC_REG_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "if%u", i);
		many[i] = iface_net;
		many[i].name = names[i];
		ptrs[i] = &many[i];
	}
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, VMRPC_REG_MAX + 1), -E2BIG);
	assert_int_equal(vmrpc_region_hdr(r)->n_ifaces, 0);
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, VMRPC_REG_MAX), 0);
	assert_int_equal(vmrpc_region_lookup(r, &many[VMRPC_REG_MAX - 1], &slot), 0);
	assert_int_equal(slot, VMRPC_REG_MAX - 1);

	/* duplicates are refused and leave the published table alone */
	ptrs[1] = ptrs[0];
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, 2), -EEXIST);
	assert_int_equal(vmrpc_region_hdr(r)->n_ifaces, VMRPC_REG_MAX);
	{
		struct vmrpc_iface dup = many[0];

		dup.sig_hash++;
		ptrs[1] = &dup;
		assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, 2), -EEXIST);
	}

	/* name length: 39 characters fit with their NUL, 40 do not */
	memset(s39, 'x', 39);
	s39[39] = '\0';
	memset(s40, 'x', 40);
	s40[40] = '\0';
	n39.name = s39;
	n40.name = s40;
	empty.name = "";
	ptrs[0] = &n39;
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, 1), 0);
	assert_int_equal(vmrpc_region_lookup(r, &n39, &slot), 0);
	ptrs[0] = &n40;
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, 1), -EINVAL);
	ptrs[0] = &empty;
	assert_int_equal(vmrpc_hostd_region_publish(r, ptrs, 1), -EINVAL);
	vmrpc_region_close(r);
}

/* ---- vmrpc_strerror ---------------------------------------------------- */

static void test_strerror(void **state)
{
	const char *seen[VMRPC_ELAST - VMRPC_EBASE];

	(void)state;
	for (int e = VMRPC_EBASE + 1; e < VMRPC_ELAST; e++) {
		const char *s = vmrpc_strerror(-e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
		assert_ptr_equal(vmrpc_strerror(e), s); /* sign does not matter */
		for (int j = VMRPC_EBASE + 1; j < e; j++)
			assert_string_not_equal(seen[j - VMRPC_EBASE], s);
		seen[e - VMRPC_EBASE] = s;
	}
	/* errno values read as libc says them */
	assert_string_equal(vmrpc_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(vmrpc_strerror(-EFAULT), strerror(EFAULT));
	assert_string_equal(vmrpc_strerror(-EPROTO), strerror(EPROTO));
	assert_string_equal(vmrpc_strerror(EINVAL), strerror(EINVAL));
	assert_non_null(vmrpc_strerror(0));
	/* anything else: never NULL, never empty */
	for (int e = -5000; e <= 5000; e++) {
		const char *s = vmrpc_strerror(e);

		assert_non_null(s);
		assert_true(s[0] != '\0');
	}
	assert_non_null(vmrpc_strerror(INT_MAX));
	assert_non_null(vmrpc_strerror(-INT_MAX));
	assert_non_null(vmrpc_strerror(VMRPC_EBASE));
	assert_non_null(vmrpc_strerror(-VMRPC_ELAST));
}

/* Regression (libvmrpc/error.c): vmrpc_strerror negates its argument, which
 * is undefined for INT_MIN (UBSan: "negation of -2147483648 cannot be
 * represented"). Without sanitizers it happens to return "unknown error";
 * under -DVMRPC_SANITIZE=ON the process aborts. */
static void test_strerror_int_min(void **state)
{
	const char *s;

	(void)state;
	s = vmrpc_strerror(INT_MIN);
	assert_non_null(s);
	assert_true(s[0] != '\0');
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_names, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_path_env, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_ok, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_missing, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_region, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_abi, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_geometry, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_open_geometry_overflow, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_geometry_is_private, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_create_busy, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_registry_lookup, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_registry_publish_errors, unit_setup,
						unit_teardown),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_strerror_int_min),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
