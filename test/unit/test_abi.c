/* SPDX-License-Identifier: MIT */
/*
 * The shared-memory ABI at run time: the magic's bytes, and the header a
 * freshly created region carries, including what re-creating a region
 * does. Every size, offset and constant of the layout, and the cache-line
 * separation of the control, request and reply lines, are asserted at
 * compile time in include/vmrpc/abi.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

/* Every size, offset and constant is asserted at compile time in abi.h.
 * What only a run can show: the magic's bytes in memory. */
static void test_magic(void **state)
{
	const uint64_t magic = VMRPC_MAGIC;
	uint8_t bytes[8];

	(void)state;
	memcpy(bytes, &magic, sizeof(bytes));
	/* "vVMPRPC1" read as a little-endian u64. */
	assert_memory_equal(bytes, "vVMPRPC1", 8);
}

/* ---- a created region's header ----------------------------------------- */

static void region_file(char *buf, size_t size)
{
	assert_int_equal(vmrpc_region_path(UNIT_REGION, ".region", buf, size), 0);
}

static void check_fresh_header(struct vmrpc_region *r, uint32_t n, uint32_t cs)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	char path[PATH_MAX];
	struct stat st;

	assert_true(h->magic == VMRPC_MAGIC);
	assert_int_equal(h->abi_version, VMRPC_ABI_VERSION);
	assert_int_equal(h->hdr_size, VMRPC_HDR_SIZE);
	assert_int_equal(h->region_size, (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs);
	assert_int_equal(h->n_channels, n);
	assert_int_equal(h->chan_size, cs);
	assert_int_equal(h->chan_off, VMRPC_HDR_SIZE);
	assert_int_equal(h->generation, 1);
	assert_int_equal(h->n_ifaces, 0);
	assert_int_equal(h->hostd_pid, (uint32_t)getpid());
	assert_int_equal(vmrpc_region_size(r), h->region_size);

	region_file(path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((uint64_t)st.st_size, h->region_size);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Channel i sits at chan_off + i * chan_size; all start FREE. */
	for (uint32_t i = 0; i < n; i++) {
		struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

		assert_ptr_equal((uint8_t *)c, (uint8_t *)h + VMRPC_HDR_SIZE + (size_t)i * cs);
		assert_int_equal(c->ctl.state, VMRPC_CHAN_FREE);
		assert_int_equal(c->req.req_seq, 0);
		assert_int_equal(c->rep.rep_seq, 0);
	}
	assert_null(vmrpc_region_chan(r, n));
	assert_null(vmrpc_region_chan(r, UINT32_MAX));
}

static void test_create_header(void **state)
{
	struct vmrpc_region *r;

	(void)state;
	unit_region_create(3, 3 * 4096, &r, NULL);
	check_fresh_header(r, 3, 3 * 4096);
	vmrpc_region_close(r);
}

static void test_create_defaults(void **state)
{
	struct vmrpc_region *r;

	(void)state;
	/* NULL opts and zeroed opts both mean 32 channels of 256 KiB. */
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, NULL, &r), 0);
	check_fresh_header(r, 32, 256u << 10);
	vmrpc_region_close(r);
}

static void test_create_bad_geometry(void **state)
{
	struct vmrpc_region_opts o = { 0 };
	struct vmrpc_region *r = (void *)0x1;

	(void)state;
	o.n_channels = VMRPC_CHAN_MAX + 1;
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, &r), -EINVAL);
	o.n_channels = 1;
	o.chan_size = VMRPC_CHAN_MIN_SIZE - 4096;
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, &r), -EINVAL);
	o.chan_size = VMRPC_CHAN_MIN_SIZE + 1;
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, &r), -EINVAL);
	o.chan_size = VMRPC_CHAN_MAX_SIZE + 4096;
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, &r), -EINVAL);
	assert_int_equal(vmrpc_hostd_region_create("../x", NULL, &r), -EINVAL);
	/* ret_region untouched on failure */
	assert_ptr_equal(r, (void *)0x1);
}

static void test_recreate_same_geometry(void **state)
{
	struct vmrpc_region *r, *guest;
	struct vmrpc_region_hdr *h;
	char path[PATH_MAX];
	struct stat st1, st2;
	uint32_t gens[4];

	(void)state;
	unit_region_create(4, 8192, &r, NULL);
	region_file(path, sizeof(path));
	assert_int_equal(stat(path, &st1), 0);
	/* Leave the channels in every kind of state a dying hostd leaves. */
	vmrpc_region_chan(r, 0)->ctl.state = VMRPC_CHAN_ATTACHED;
	vmrpc_region_chan(r, 1)->ctl.state = VMRPC_CHAN_CLAIMED;
	vmrpc_region_chan(r, 2)->ctl.state = VMRPC_CHAN_DEAD;
	vmrpc_region_chan(r, 3)->ctl.state = VMRPC_CHAN_REFUSED;
	for (uint32_t i = 0; i < 4; i++) {
		vmrpc_region_chan(r, i)->ctl.callee_pid = 4242;
		gens[i] = vmrpc_region_chan(r, i)->ctl.generation;
	}
	/* A caller keeps its mapping across the hostd restart. */
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &guest), 0);
	vmrpc_region_close(r);

	unit_region_create(4, 8192, &r, NULL);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino); /* adopted, not replaced */
	h = vmrpc_region_hdr(r);
	assert_int_equal(h->generation, 2);
	assert_true(h->magic == VMRPC_MAGIC);
	assert_int_equal(h->n_channels, 4);
	assert_int_equal(h->chan_size, 8192);
	for (uint32_t i = 0; i < 4; i++) {
		struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

		assert_int_equal(c->ctl.state, VMRPC_CHAN_FREE);
		assert_int_equal(c->ctl.generation, gens[i] + 1);
		assert_int_equal(c->ctl.callee_pid, 0);
		/* the caller sees the same words */
		assert_int_equal(vmrpc_region_chan(guest, i)->ctl.state, VMRPC_CHAN_FREE);
	}
	assert_int_equal(vmrpc_region_hdr(guest)->generation, 2);
	vmrpc_region_close(r);

	/* and again */
	unit_region_create(4, 8192, &r, NULL);
	assert_int_equal(vmrpc_region_hdr(r)->generation, 3);
	vmrpc_region_close(r);
	vmrpc_region_close(guest);
}

/* Regression: adopting a region ignored opts->mode, so a changed
 * vmrpc-hostd --mode had no effect across a restart. */
static void test_recreate_applies_mode(void **state)
{
	const struct vmrpc_region_opts o600 = { .n_channels = 4, .chan_size = 8192, .mode = 0600 },
				       o660 = { .n_channels = 4, .chan_size = 8192, .mode = 0660 };
	struct vmrpc_region *r;
	char path[PATH_MAX];
	struct stat st1, st2;

	(void)state;
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o600, &r), 0);
	region_file(path, sizeof(path));
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 0777, 0600);
	vmrpc_region_close(r);
	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o660, &r), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino); /* adopted */
	assert_int_equal(st2.st_mode & 0777, 0660);
	vmrpc_region_close(r);
}

static void test_recreate_other_geometry(void **state)
{
	struct vmrpc_region *r, *guest;
	char path[PATH_MAX];
	struct stat st1, st2;

	(void)state;
	unit_region_create(4, 8192, &r, NULL);
	region_file(path, sizeof(path));
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &guest), 0);
	vmrpc_region_close(r);

	unit_region_create(2, 16384, &r, NULL);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_not_equal(st1.st_ino, st2.st_ino); /* a new file */
	check_fresh_header(r, 2, 16384);
	/* The old caller's mapping still works (no SIGBUS): the old file was
	 * unlinked, not shrunk, so it still shows the old geometry. */
	assert_int_equal(vmrpc_region_hdr(guest)->n_channels, 4);
	assert_int_equal(vmrpc_region_chan(guest, 3)->ctl.state, VMRPC_CHAN_FREE);
	vmrpc_region_close(guest);
	vmrpc_region_close(r);

	/* same channel count, other channel size: also replaced */
	unit_region_create(2, 8192, &r, NULL);
	check_fresh_header(r, 2, 8192);
	vmrpc_region_close(r);
}

/* Create a region where a junk file of size bytes stands: it must be
 * replaced by a fresh header with an empty registry. */
static void create_over_junk(size_t size)
{
	char path[PATH_MAX], junk[10000];
	struct vmrpc_region *r;
	int fd;

	assert_true(size <= sizeof(junk));
	assert_int_equal(vmrpc_region_path(UNIT_REGION, ".region", path, sizeof(path)), 0);
	memset(junk, 0x5a, size);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, size), (ssize_t)size);
	close(fd);
	unit_region_create(2, 8192, &r, NULL);
	check_fresh_header(r, 2, 8192);
	for (unsigned i = 0; i < VMRPC_REG_MAX; i++)
		assert_int_equal(vmrpc_region_hdr(r)->registry[i].name[0], 0);
	vmrpc_region_close(r);
}

/* A runtime dir and a file that is not a region at all. */
static void test_create_over_garbage(void **state)
{
	(void)state;
	create_over_junk(10000);
}

/* Regression (libvmrpc/region.c, vmrpc_hostd_region_create): a file shorter than a
 * header was grown in place with ftruncate, and only the geometry fields
 * were written, so whatever it held stayed in n_ifaces, guest_boot_id and the
 * registry: callers then saw garbage registry entries. */
static void test_create_over_short_garbage(void **state)
{
	(void)state;
	create_over_junk(4000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic),
		cmocka_unit_test_setup_teardown(test_create_header, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_create_defaults, unit_setup, unit_teardown),
		cmocka_unit_test_setup_teardown(test_create_bad_geometry, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_recreate_same_geometry, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_recreate_applies_mode, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_recreate_other_geometry, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_create_over_garbage, unit_setup,
						unit_teardown),
		cmocka_unit_test_setup_teardown(test_create_over_short_garbage, unit_setup,
						unit_teardown),
	};


	return cmocka_run_group_tests(tests, NULL, NULL);
}
