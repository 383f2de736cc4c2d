/* SPDX-License-Identifier: MIT */
/*
 * Who may open what hostd serves, as libvirt and local users meet it: the
 * owner, group and mode hostd gives a region's files (--owner, --mode; the
 * owner and mode keys of a VM) let a user in the group in (QEMU's user on a
 * VM's doorbell socket, a caller on a loopback region) and nobody else; a
 * caller refused is told which group or mode it lacks; and callers find a
 * hostd serving in /run/vmrpc, as the packaged units do, without being told
 * where. Real hostd, real shadows, callers as real unprivileged users.
 * Needs root (other users, /run/vmrpc); skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "hostcalls_caller.h"

/* A user with no entry anywhere, and the group the files get. */
#define USER_UID 12345
#define FILE_GID 65534

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: cannot run callers as other users\n");
		skip();
	}
}

static void assert_file(const char *path, unsigned mode, uid_t uid, gid_t gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	if ((st.st_mode & 07777) != mode || st.st_uid != uid || st.st_gid != gid)
		fail_msg("%s is mode %04o, owner %u:%u; expected %04o, %u:%u", path,
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid,
			 mode, (unsigned)uid, (unsigned)gid);
}

/* The user USER_UID, in group FILE_GID too if arg says so. */
static void become_user(int in_group)
{
	gid_t g = FILE_GID;

	ITEST_CHECK(setgroups(in_group ? 1 : 0, &g) == 0);
	ITEST_CHECK(setgid(USER_UID) == 0 && setuid(USER_UID) == 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the credential change */
}

struct as_user {
	int in_group;
	const char *const *argv; /* a program to run, stderr to err */
	const char *err;
};

/* Run a program as the user: its exit status comes back as ours. */
static int run_as_main(int rd, int wr, void *arg)
{
	const struct as_user *u = arg;
	int fd = open(u->err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

	(void)rd;
	(void)wr;
	char libs[PATH_MAX];

	ITEST_CHECK(fd >= 0 && dup2(fd, 1) == 1 && dup2(fd, 2) == 2);
	/* the program's libraries are beside it (reachable_demo) */
	snprintf(libs, sizeof(libs), "%s", u->argv[0]);
	*strrchr(libs, '/') = '\0';
	ITEST_CHECK(setenv("LD_LIBRARY_PATH", libs, 1) == 0);
	become_user(u->in_group);
	execv(u->argv[0], (char *const *)u->argv);
	_exit(127);
}

/* Copy a file of the build tree into dir (mode 0755): the build tree may
 * be one the test's users cannot enter (a clone in root's 0700 home). */
static void copy_into(const char *from, const char *dir)
{
	const char *base = strrchr(from, '/') ? strrchr(from, '/') + 1 : from;
	char to[PATH_MAX];
	size_t len;
	char *data = itest_read_file(from, &len);
	int fd;

	assert_non_null(data);
	snprintf(to, sizeof(to), "%s/%s", dir, base);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(vmrpc_write_all(fd, data, len), 0);
	close(fd);
	free(data);
}

/* calc-demo and the libraries it loads, where every user can run them;
 * run_as points the loader there (a RUNPATH into the build tree comes
 * after LD_LIBRARY_PATH). */
static const char *reachable_demo(char *dir, size_t size)
{
	static char demo[PATH_MAX + 16];

	snprintf(dir, size, "%s/bin", itest_dir());
	assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
	copy_into(ITEST_CALC_DEMO, dir);
	copy_into(ITEST_LIBVMRPC, dir);
	copy_into(ITEST_LIBVMRPC_GUEST, dir);
	snprintf(demo, sizeof(demo), "%s/calc-demo", dir);
	return demo;
}

static int run_as(int in_group, const char *const *argv, const char *err)
{
	struct as_user u = { in_group, argv, err };
	struct itest_child c;

	itest_child_start(&c, run_as_main, &u);
	return itest_child_wait(&c);
}

static void group_name(gid_t gid, char *buf, size_t size)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, size, "%s", gr->gr_name);
	else
		snprintf(buf, size, "%u", (unsigned)gid);
}

/* A loopback region given a group: a member calls, anyone else is told
 * which group to join; without a group, which mode to ask for. */
static void test_loopback_group(void **state)
{
	const char *demo[] = { NULL, NULL };
	char region[PATH_MAX], sock[PATH_MAX], err[PATH_MAX], want[256], group[64], bin[PATH_MAX];
	struct itest_hostd h;

	(void)state;
	need_root();
	demo[0] = reachable_demo(bin, sizeof(bin));
	group_name(FILE_GID, group, sizeof(group));
	snprintf(region, sizeof(region), "%s/%s.region", itest_rt_dir(), ITEST_REGION);
	snprintf(sock, sizeof(sock), "%s/%s.sock", itest_rt_dir(), ITEST_REGION);
	snprintf(err, sizeof(err), "%s/demo.err", itest_dir());

	itest_hostd_start(&h, "--channels", "2", "--service", ITEST_CALC_SERVICE, "--owner", ":65534",
			  "--mode", "0660", (char *)NULL);
	assert_file(region, 0660, 0, FILE_GID);
	assert_file(sock, 0660, 0, FILE_GID);
	/* in the group: the demo runs (its shadow as that user) */
	assert_int_equal(run_as(1, demo, err), 0);
	/* not: the demo says which group, and how to join it */
	assert_int_equal(run_as(0, demo, err), 1);
	snprintf(want, sizeof(want), "mode 0660, owner root, group %s, and user %u is not in group %s",
		 group, USER_UID, group);
	if (!itest_file_has(err, want) || !itest_file_has(err, "usermod -aG"))
		fail_msg("calc-demo's error lacks \"%s\": %s", want, itest_read_file(err, NULL));
	itest_hostd_stop(&h);

	/* hostd's default: its own, 0600 */
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	assert_file(region, 0600, 0, 0);
	assert_int_equal(run_as(1, demo, err), 1);
	if (!itest_file_has(err, "mode 0600, owner root, group root, which lets only root open it") ||
	    !itest_file_has(err, "--owner :GROUP --mode 0660"))
		fail_msg("calc-demo's error does not say which mode: %s", itest_read_file(err, NULL));
	itest_hostd_stop(&h);
}

/* QEMU's side of a doorbell socket: connect, read the protocol version. */
static int qemu_main(int rd, int wr, void *arg)
{
	const char *path = arg;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int64_t version = -1, in_group;
	int s;

	ITEST_CHECK(itest_recv(rd, &in_group, ITEST_DEADLINE_MS) == 0);
	become_user((int)in_group);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ITEST_CHECK(s >= 0);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		ITEST_CHECK(itest_send(wr, -errno) == 0);
		return 0;
	}
	ITEST_CHECK(read(s, &version, sizeof(version)) == (ssize_t)sizeof(version));
	ITEST_CHECK(itest_send(wr, version) == 0);
	close(s);
	return 0;
}

static int64_t qemu_connect(const char *path, int in_group)
{
	struct itest_child c;
	int64_t got;

	itest_child_start(&c, qemu_main, (void *)path);
	itest_send(c.to_child, in_group);
	got = itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	return got;
}

/* libvirt's setup (docs/qemu.md): the VM's socket in a group QEMU's user is
 * in, mode 0660; a reload that changes the mode applies it. */
static void test_doorbell_group(void **state)
{
	char conf[PATH_MAX], log[PATH_MAX], sock[PATH_MAX], text[4 * PATH_MAX];
	const char *argv[] = { ITEST_HOSTD, "--config", conf, "--shadow", ITEST_SHADOW, NULL };
	int status;
	pid_t pid;

	(void)state;
	need_root();
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	snprintf(sock, sizeof(sock), "%s/vm1.sock", itest_dir());
	snprintf(text, sizeof(text),
		 "[vm vm1]\nsocket = %s\nshm-size = 4M\nchannels = 4\nuser = 65534\n"
		 "owner = :65534\nmode = 0660\n", sock);
	itest_write_file(conf, text, strlen(text));
	pid = itest_spawn(argv, NULL, log);
	itest_wait_file_has(log, "vm 'vm1': serving");
	assert_file(sock, 0660, 0, FILE_GID);
	assert_int_equal(qemu_connect(sock, 1), 0); /* ivshmem protocol version 0 */
	itest_assert_err(qemu_connect(sock, 0), -EACCES);

	/* mode 0600 from now on */
	snprintf(text, sizeof(text),
		 "[vm vm1]\nsocket = %s\nshm-size = 4M\nchannels = 4\nuser = 65534\n"
		 "owner = :65534\nmode = 0600\n", sock);
	itest_write_file(conf, text, strlen(text));
	assert_int_equal(kill(pid, SIGHUP), 0);
	itest_wait_file_has(log, "mode 0660 -> 0600");
	assert_file(sock, 0600, 0, FILE_GID);
	itest_assert_err(qemu_connect(sock, 1), -EACCES);

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A caller told nothing finds the region of a hostd serving in /run/vmrpc,
 * as the units do, after its own $XDG_RUNTIME_DIR/vmrpc. */
static int search_main(int rd, int wr, void *arg)
{
	const char *name = arg;
	char path[PATH_MAX], xdg[PATH_MAX];
	struct vmrpc_guest g;
	struct vmrpc_binding hc;

	(void)rd;
	snprintf(xdg, sizeof(xdg), "%s/xdg", itest_dir());
	unsetenv("VMRPC_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	ITEST_CHECK_EQ(vmrpc_region_path(name, ".region", path, sizeof(path)), 0);
	ITEST_CHECK(!strncmp(path, "/run/vmrpc/", 11));
	ITEST_CHECK_EQ(vmrpc_guest_attach(name, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, NULL, NULL, NULL)) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_runtime_dir_search(void **state)
{
	char name[64], none[64], log[PATH_MAX], xdg[PATH_MAX], why[1024], want[2 * PATH_MAX];
	const char *argv[] = { ITEST_HOSTD, "--loopback", name, "--shadow", ITEST_SHADOW,
			       "--channels", "2", NULL };
	struct itest_child c;
	int created, status;
	pid_t pid;

	(void)state;
	need_root();
	snprintf(name, sizeof(name), "itest-search-%d", (int)getpid());
	snprintf(none, sizeof(none), "itest-none-%d", (int)getpid());
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	snprintf(xdg, sizeof(xdg), "%s/xdg", itest_dir());
	assert_int_equal(mkdir(xdg, 0700), 0);
	created = mkdir("/run/vmrpc", 0755) == 0;
	if (!created && errno != EEXIST)
		fail_msg("/run/vmrpc: %s", strerror(errno));

	setenv("VMRPC_RUNTIME_DIR", "/run/vmrpc", 1);
	pid = itest_spawn(argv, NULL, log);
	setenv("VMRPC_RUNTIME_DIR", itest_rt_dir(), 1);
	itest_wait_file_has(log, "serving");
	/* A lock file a stopped hostd of the user's left is no hostd. */
	snprintf(want, sizeof(want), "%s/vmrpc", xdg);
	assert_int_equal(mkdir(want, 0700), 0);
	snprintf(want, sizeof(want), "%s/vmrpc/%s.lock", xdg, name);
	itest_write_file(want, "", 0);
	itest_child_start(&c, search_main, name);
	itest_assert_err(itest_expect(&c), 0);
	assert_int_equal(itest_child_wait(&c), 0);

	/* Served nowhere: the message names where it looked. */
	unsetenv("VMRPC_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	assert_int_equal(vmrpc_region_explain(none, -VMRPC_ENOHOSTD, why, sizeof(why)), 0);
	setenv("VMRPC_RUNTIME_DIR", itest_rt_dir(), 1);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(want, sizeof(want), "no vmrpc-hostd serves this region: no %s.region in %s/vmrpc, "
		 "/run/vmrpc or /dev/shm/vmrpc", none, xdg);
	if (!strstr(why, want))
		fail_msg("\"%s\" lacks \"%s\"", why, want);

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* hostd keeps its lock file (unlinking a flock'ed file races); the
	 * test removes it, and /run/vmrpc if it made it. */
	snprintf(log, sizeof(log), "/run/vmrpc/%s.lock", name);
	(void)unlink(log);
	if (created)
		(void)rmdir("/run/vmrpc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loopback_group, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_doorbell_group, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_runtime_dir_search, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_access", tests, NULL, NULL);
}
