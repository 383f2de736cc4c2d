/* SPDX-License-Identifier: MIT */
/*
 * Attach and call: a caller attaches to a real vmrpc-hostd, its shadow
 * answers host calls (identity, files, working directory, errors) and the
 * calc interface of the calc_service.so module; hostd logs one attach and
 * one detach.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "calc_caller.h"
#include "harness.h"
#include "hostcalls_caller.h"

#define CHAN_SIZE (64u << 10)
#define ARENA (CHAN_SIZE - VMRPC_ARENA_OFF)

struct caller {
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	int32_t shadow_pid;
};

static void caller_attach(struct caller *c)
{
	uint32_t uid, gid;

	memset(c, 0, sizeof(*c));
	itest_assert_err(vmrpc_guest_attach(NULL, &c->g), 0);
	itest_assert_err(hostcalls_bind(c->g.chan, &c->hc), 0);
	itest_assert_err(hostcalls_identity(&c->hc, &c->shadow_pid, &uid, &gid), 0);
}

static void start_hostd(struct itest_hostd *h)
{
	itest_hostd_start(h, "--channels", "4", "--channel-size", "64K", "--service",
			  ITEST_CALC_SERVICE, (char *)NULL);
}

static void test_attach_identity(void **state)
{
	struct itest_hostd h;
	struct caller c;
	char comm[32], needle[64], shadow[64], why[96];
	int32_t pid = 0;
	uint32_t uid = 1, gid = 1, index;

	(void)state;
	start_hostd(&h);
	caller_attach(&c);
	index = vmrpc_chan_index(c.g.chan);

	itest_assert_err(hostcalls_identity(&c.hc, &pid, &uid, &gid), 0);
	assert_int_equal(pid, c.shadow_pid);
	assert_int_not_equal(pid, getpid());
	assert_int_equal(itest_proc_ppid(pid), h.pid); /* a child of hostd */
	itest_proc_comm(pid, comm, sizeof(comm));
	assert_string_equal(comm, "vmrpc-shadow");
	assert_int_equal(uid, getuid());
	assert_int_equal(gid, getgid());
	/* the region names the same callee */
	assert_int_equal(vmrpc_region_chan(c.g.region, index)->ctl.callee_pid, (uint32_t)pid);
	assert_int_equal(vmrpc_region_chan(c.g.region, index)->ctl.state, VMRPC_CHAN_ATTACHED);

	/* exactly one attach line, naming us and our shadow; hostd writes it
	 * after it wakes us, so wait for it rather than count at once */
	snprintf(needle, sizeof(needle), "channel %u attached: caller pid %d ", index,
		 (int)getpid());
	snprintf(shadow, sizeof(shadow), "shadow pid %d", pid);
	itest_log_wait(&h, 1, needle, shadow, (char *)NULL);
	assert_int_equal(itest_log_count(&h, needle, shadow, (char *)NULL), 1);
	assert_int_equal(itest_log_count(&h, " attached: ", (char *)NULL), 1);
	assert_int_equal(itest_log_count(&h, "detached", (char *)NULL), 0);

	vmrpc_guest_detach(&c.g);
	snprintf(needle, sizeof(needle), "channel %u ", index);
	snprintf(why, sizeof(why), "caller pid %d detached, shadow pid %d reaped", (int)getpid(),
		 pid);
	itest_log_wait(&h, 1, needle, why, (char *)NULL);
	assert_int_equal(itest_wait_gone(pid, ITEST_DEADLINE_MS), 0);
	assert_int_equal(itest_log_count(&h, " attached: ", (char *)NULL), 1);
	assert_int_equal(itest_log_count(&h, "detached", (char *)NULL), 1);
	itest_hostd_stop(&h);
}

static void test_files(void **state)
{
	struct itest_hostd h;
	struct caller c;
	const size_t size = 3 * ARENA + 1234;
	uint8_t *data = malloc(size), *back = malloc(size + ARENA + 1), *disk;
	char path[PATH_MAX];
	size_t disk_len, off;
	int32_t fd;
	int64_t n;

	(void)state;
	assert_non_null(data);
	assert_non_null(back);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)itest_rand();
	start_hostd(&h);
	caller_attach(&c);
	snprintf(path, sizeof(path), "%s/data.bin", itest_dir());

	/* write in chunks up to the whole arena */
	fd = hostcalls_open(&c.hc, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (off = 0; off < size; off += (size_t)n) {
		size_t chunk = size - off < ARENA ? size - off : ARENA;
		n = hostcalls_write(&c.hc, fd, data + off, chunk);
		itest_assert_err(n, (int64_t)chunk);
	}
	/* more than the arena holds: refused by the stub, nothing written */
	itest_assert_err(hostcalls_write(&c.hc, fd, data, ARENA + 1), -VMRPC_E2BIG);
	itest_assert_err(hostcalls_close(&c.hc, fd), 0);
	disk = (uint8_t *)itest_read_file(path, &disk_len);
	assert_int_equal(disk_len, size);
	assert_memory_equal(disk, data, size);
	free(disk);

	/* read back, in chunks of exactly the arena */
	fd = hostcalls_open(&c.hc, path, O_RDONLY, 0);
	assert_true(fd >= 0);
	memset(back, 0xa5, size + ARENA + 1);
	for (off = 0;; off += (size_t)n) {
		n = hostcalls_read(&c.hc, fd, back + off, ARENA);
		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true((size_t)n <= ARENA);
	}
	assert_int_equal(off, size);
	assert_memory_equal(back, data, size);
	/* the buffer past what was read is untouched */
	for (size_t i = size; i < size + ARENA + 1; i++)
		assert_int_equal(back[i], 0xa5);

	/* a read bigger than the arena: a clean error, buffer untouched */
	memset(back, 0x5a, ARENA + 1);
	itest_assert_err(hostcalls_read(&c.hc, fd, back, ARENA + 1), -VMRPC_E2BIG);
	itest_assert_err(hostcalls_read(&c.hc, fd, back, UINT64_MAX), -VMRPC_E2BIG);
	for (size_t i = 0; i < ARENA + 1; i++)
		assert_int_equal(back[i], 0x5a);
	/* and the channel still works */
	itest_assert_err(hostcalls_read(&c.hc, fd, back, 16), 0); /* at EOF */
	itest_assert_err(hostcalls_close(&c.hc, fd), 0);
	fd = hostcalls_open(&c.hc, path, O_RDONLY, 0);
	assert_true(fd >= 0);
	itest_assert_err(hostcalls_read(&c.hc, fd, back, 100), 100);
	assert_memory_equal(back, data, 100);
	itest_assert_err(hostcalls_close(&c.hc, fd), 0);

	vmrpc_guest_detach(&c.g);
	itest_hostd_stop(&h);
	free(data);
	free(back);
}

static void test_errors(void **state)
{
	struct itest_hostd h;
	struct caller c;
	char path[PATH_MAX], *longpath;
	uint8_t buf[64];
	int32_t fd;

	(void)state;
	start_hostd(&h);
	caller_attach(&c);

	/* errors are the host's errno values */
	itest_assert_err(hostcalls_open(&c.hc, "/nonexistent/vmrpc/x", O_RDONLY, 0), -ENOENT);
	itest_assert_err(hostcalls_chdir(&c.hc, "/nonexistent/vmrpc"), -ENOENT);
	fd = hostcalls_open(&c.hc, itest_dir(), O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	itest_assert_err(hostcalls_read(&c.hc, fd, buf, sizeof(buf)), -EISDIR);
	itest_assert_err(hostcalls_write(&c.hc, fd, buf, sizeof(buf)), -EBADF);
	itest_assert_err(hostcalls_close(&c.hc, fd), 0);
	itest_assert_err(hostcalls_close(&c.hc, fd), -EBADF);
	itest_assert_err(hostcalls_read(&c.hc, 999, buf, sizeof(buf)), -EBADF);
	itest_assert_err(hostcalls_read(&c.hc, -1, buf, sizeof(buf)), -EBADF);
	itest_assert_err(hostcalls_open(&c.hc, itest_dir(), O_WRONLY, 0), -EISDIR);
	snprintf(path, sizeof(path), "%s/plain", itest_dir());
	itest_write_file(path, "x", 1);
	itest_assert_err(hostcalls_chdir(&c.hc, path), -ENOTDIR);
	itest_assert_err(hostcalls_open(&c.hc, path, O_WRONLY | O_CREAT | O_EXCL, 0600),
			 -EEXIST);
	/* a path over the IDL's bound is refused by the stub */
	longpath = malloc(5000);
	assert_non_null(longpath);
	memset(longpath, 'a', 4999);
	longpath[4999] = '\0';
	itest_assert_err(hostcalls_open(&c.hc, longpath, O_RDONLY, 0), -ENAMETOOLONG);
	longpath[4095] = '\0'; /* within the bound, too long for the host */
	itest_assert_err(hostcalls_open(&c.hc, longpath, O_RDONLY, 0), -ENAMETOOLONG);
	free(longpath);
	/* the channel still works after all of them */
	itest_assert_err(hostcalls_identity(&c.hc, NULL, NULL, NULL), 0);

	vmrpc_guest_detach(&c.g);
	itest_hostd_stop(&h);
}

static void test_cwd(void **state)
{
	struct itest_hostd h;
	struct caller c;
	char cwd[PATH_MAX], real[PATH_MAX], proc[64], link[PATH_MAX], path[PATH_MAX];
	char small[8];
	ssize_t n;
	int32_t fd;

	(void)state;
	start_hostd(&h);
	caller_attach(&c);

	itest_assert_err(hostcalls_getcwd(&c.hc, cwd, sizeof(cwd)), 0);
	assert_string_equal(cwd, "/"); /* hostd's default --shadow-cwd */
	assert_non_null(realpath(itest_dir(), real));
	itest_assert_err(hostcalls_chdir(&c.hc, itest_dir()), 0);
	itest_assert_err(hostcalls_getcwd(&c.hc, cwd, sizeof(cwd)), 0);
	assert_string_equal(cwd, real);
	/* the shadow's own working directory changed, nothing else's */
	snprintf(proc, sizeof(proc), "/proc/%d/cwd", c.shadow_pid);
	n = readlink(proc, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, real);
	assert_non_null(getcwd(path, sizeof(path)));
	assert_string_not_equal(path, real);

	/* relative paths resolve there */
	fd = hostcalls_open(&c.hc, "rel.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	itest_assert_err(hostcalls_write(&c.hc, fd, "relative\n", 9), 9);
	itest_assert_err(hostcalls_close(&c.hc, fd), 0);
	snprintf(path, sizeof(path), "%s/rel.txt", itest_dir());
	{
		char *s = itest_read_file(path, NULL);
		assert_string_equal(s, "relative\n");
		free(s);
	}
	snprintf(path, sizeof(path), "%s/sub", itest_dir());
	assert_int_equal(mkdir(path, 0755), 0);
	itest_assert_err(hostcalls_chdir(&c.hc, "sub"), 0);
	itest_assert_err(hostcalls_chdir(&c.hc, ".."), 0);
	itest_assert_err(hostcalls_getcwd(&c.hc, cwd, sizeof(cwd)), 0);
	assert_string_equal(cwd, real);

	/* a buffer too small: an error, and nothing written past it */
	memset(small, 'z', sizeof(small));
	itest_assert_err(hostcalls_getcwd(&c.hc, small, 4), -ERANGE);
	for (size_t i = 4; i < sizeof(small); i++)
		assert_int_equal(small[i], 'z');

	vmrpc_guest_detach(&c.g);
	itest_hostd_stop(&h);
}

static void test_calc(void **state)
{
	struct itest_hostd h;
	struct caller c;
	struct vmrpc_binding calc;
	const uint8_t data[] = { 7, 3, 250, 42, 1 };
	char name[80], greeting[200], want[200], tiny[12];
	uint8_t in[1000], out[1001], min = 0, max = 0;
	uint64_t sum = 0;

	(void)state;
	start_hostd(&h);
	caller_attach(&c);
	itest_assert_err(calc_bind(c.g.chan, &calc), 0);

	itest_assert_err(calc_add(&calc, 40, 2), 42);
	itest_assert_err(calc_add(&calc, -5, 3), -2);
	itest_assert_err(calc_add(&calc, INT64_MAX, 1), -EOVERFLOW);
	itest_assert_err(calc_add(&calc, INT64_MIN, -1), -EOVERFLOW);
	itest_assert_err(calc_add(&calc, INT64_MAX, 0), INT64_MAX);

	itest_assert_err(calc_stats(&calc, data, sizeof(data), &sum, &min, &max), 0);
	assert_int_equal(sum, 303);
	assert_int_equal(min, 1);
	assert_int_equal(max, 250);
	itest_assert_err(calc_stats(&calc, data, 0, &sum, &min, &max), -EINVAL);

	/* 64 characters is the IDL's bound: it works */
	memset(name, 'n', 64);
	name[64] = '\0';
	itest_assert_err(calc_greet(&calc, name, greeting, sizeof(greeting)), 0);
	snprintf(want, sizeof(want), "hello, %s, from host pid %d", name, c.shadow_pid);
	assert_string_equal(greeting, want);
	/* 65 is refused before anything is sent */
	name[64] = 'n';
	name[65] = '\0';
	itest_assert_err(calc_greet(&calc, name, greeting, sizeof(greeting)), -ENAMETOOLONG);
	/* a greeting that does not fit the caller's buffer */
	memset(tiny, 'z', sizeof(tiny));
	itest_assert_err(calc_greet(&calc, "x", tiny, 8), -ERANGE);
	assert_int_equal(tiny[8], 'z');

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)itest_rand();
	out[sizeof(in)] = 0x77;
	itest_assert_err(calc_reverse(&calc, in, out, sizeof(in)), (int64_t)sizeof(in));
	for (size_t i = 0; i < sizeof(in); i++)
		assert_int_equal(out[i], in[sizeof(in) - 1 - i]);
	assert_int_equal(out[sizeof(in)], 0x77);
	itest_assert_err(calc_reverse(&calc, "vmrpc", out, 5), 5);
	assert_memory_equal(out, "cprmv", 5);
	/* in and out together must fit the arena */
	{
		uint8_t *big = calloc(1, ARENA);
		assert_non_null(big);
		itest_assert_err(calc_reverse(&calc, big, big, ARENA / 2 + 16), -VMRPC_E2BIG);
		free(big);
	}
	/* hostcalls and calc share the channel */
	itest_assert_err(hostcalls_identity(&c.hc, NULL, NULL, NULL), 0);
	itest_assert_err(calc_add(&calc, 1, 1), 2);

	vmrpc_guest_detach(&c.g);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_identity, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_files, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_errors, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_cwd, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_calc, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_calls", tests, NULL, NULL);
}
