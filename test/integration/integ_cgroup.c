/* SPDX-License-Identifier: MIT */
/*
 * Per-caller containment (docs/security.md, "Containment") with the real
 * hostd, real host programs started through hostproc.spawn and the real
 * cgroups of this machine, whatever their layout (pure cgroup v2, or v1
 * pids and memory beside a controller-less cgroup2):
 *   - a program and its descendants, even one that left the session,
 *     are gone when the caller detaches, when the shadow dies on its own
 *     and when hostd stops; when hostd is killed with SIGKILL the program
 *     dies with its shadow and the next hostd kills the rest;
 *   - pids.max: a caller's fork bomb stops at its own limit, and another
 *     caller of the same uid still starts programs (the RLIMIT_NPROC of
 *     --limit-nproc locked it out);
 *   - memory.max: a program allocating past it is OOM-killed, its shadow
 *     and other callers carry on, and hostd's log names the limit;
 *   - a shadow forked for a guest fork gets a cgroup of its own;
 *   - a delegated cgroup (Delegate=yes) is used as such;
 *   - a shadow hostd cannot fork for lack of pids names the full limit;
 *   - without cgroups (VMRPC_HOSTD_CGROUP=off) programs that stay in the
 *     shadow's session still go with it;
 *   - limit-pids and limit-memory, as options and per VM, and their errors.
 * Cgroups need root; the tests that need them skip otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/hostcall.h"

#define NOBODY 65534

enum end { END_DETACH, END_SHADOW_DIES, END_HOSTD_STOPS };

/* ---- helpers ----------------------------------------------------------- */

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: no cgroups to test\n");
		skip();
	}
}

static int32_t spawn_argv(struct vmrpc_host *host, const char *const *argv)
{
	char packed[1024];
	uint32_t len = 0, argc = 0;

	for (; argv[argc]; argc++) {
		size_t l = strlen(argv[argc]) + 1;
		assert_true(len + l <= sizeof(packed));
		memcpy(packed + len, argv[argc], l);
		len += (uint32_t)l;
	}
	static const char env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

	return hostproc_spawn(&host->proc, argv[0], packed, len, argc, env, sizeof(env), 1, "",
			      -1, -1, -1);
}

/* Where cgroup2 is mounted, from mountinfo; asserts there is one. */
static void cg2_mount(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], point[PATH_MAX], fstype[64];
	int found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 &&
		    sscanf(sep + 3, "%63s", fstype) == 1 && !strcmp(fstype, "cgroup2") &&
		    (!found || !strcmp(point, "/sys/fs/cgroup"))) {
			snprintf(buf, size, "%s", point);
			found = 1;
		}
	}
	fclose(f);
	assert_true(found);
}

/* Where the v1 hierarchy of controller ctl is mounted, or "". */
static void cg1_mount(const char *ctl, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], point[PATH_MAX], fstype[64], super[512];

	buf[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *tok, *save = NULL;
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2 ||
		    strcmp(fstype, "cgroup"))
			continue;
		for (tok = strtok_r(super, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (!strcmp(tok, ctl))
				snprintf(buf, size, "%s", point);
	}
	fclose(f);
}

/* pid's cgroup2 path ("0::PATH" of /proc/PID/cgroup), or "". */
static void proc_cg2(pid_t pid, char *buf, size_t size)
{
	char path[64], *text, *line;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	text = itest_read_file(path, NULL);
	line = strstr(text, "0::");
	buf[0] = '\0';
	if (line && (line == text || line[-1] == '\n'))
		snprintf(buf, size, "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
	free(text);
}

static int file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void wait_removed(const char *path)
{
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;

	while (file_exists(path)) {
		if (itest_now_ms() > deadline)
			fail_msg("%s is still there", path);
		usleep(2000);
	}
}

/* Gone for good: not even a zombie. Ours to reap if it was handed to us
 * (we are a child subreaper). */
static void assert_gone(pid_t pid, const char *what)
{
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	char comm[32];

	for (;;) {
		waitpid(pid, NULL, WNOHANG);
		if (!itest_proc_state(pid))
			return;
		if (itest_now_ms() > deadline)
			break;
		usleep(2000);
	}
	itest_proc_comm(pid, comm, sizeof(comm));
	fail_msg("%s pid %d (%s) is still there, state %c, parent %d", what, (int)pid, comm,
		 itest_proc_state(pid), (int)itest_proc_ppid(pid));
}

/* The pids a program wrote into path, one a line, once there are n. */
static void read_pids(const char *path, pid_t *pids, int n)
{
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;

	for (;;) {
		char *text = itest_read_file(path, NULL), *p = text;
		int got = 0;

		while (got < n && *p) {
			pids[got++] = (pid_t)strtol(p, &p, 10);
			p += strspn(p, "\n");
		}
		free(text);
		if (got == n)
			return;
		if (itest_now_ms() > deadline)
			fail_msg("%s lists %d pids, expected %d", path, got, n);
		usleep(2000);
	}
}

/* A program that leaves descendants: one in the background, and one that
 * leaves the session (a daemon), both writing their pids to $1; the
 * program itself then becomes a sleep. Without cgroups only the first
 * can be found again. */
static void write_script(const char *path, int with_daemon)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "sleep 60 & echo $! >> \"$1\"\n"
		 "%s"
		 "exec sleep 60\n",
		 with_daemon ? "setsid -f sh -c 'echo $$ >> \"$0\"; exec sleep 61' \"$1\"\n" : "");
	itest_write_file(path, text, strlen(text));
}

/* ---- programs die with their caller's session ---------------------------- */

static void run_end(enum end how, int fallback)
{
	struct itest_hostd h;
	struct vmrpc_host *host = NULL;
	char script[PATH_MAX], pidfile[PATH_MAX], mnt[PATH_MAX], shadow_cg[PATH_MAX];
	char cg[PATH_MAX], dir[2 * PATH_MAX], hostd_cg[PATH_MAX];
	pid_t pids[3];
	int32_t shadow, prog;
	int n = fallback ? 1 : 2;

	if (!fallback)
		need_root();
	snprintf(script, sizeof(script), "%s/leave.sh", itest_dir());
	snprintf(pidfile, sizeof(pidfile), "%s/pids", itest_dir());
	write_script(script, !fallback);
	if (fallback)
		setenv("VMRPC_HOSTD_CGROUP", "off", 1);
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	unsetenv("VMRPC_HOSTD_CGROUP");
	if (fallback)
		itest_log_wait(&h, 1, "containment: no cgroups (VMRPC_HOSTD_CGROUP=off); falling "
			       "back to sessions", (char *)NULL);
	else
		itest_log_wait(&h, 1, "containment: a cgroup per shadow under ", (char *)NULL);

	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	itest_assert_err(hostcalls_identity(&host->calls, &shadow, NULL, NULL), 0);
	{
		const char *argv[] = { "/bin/sh", script, pidfile, NULL };
		prog = spawn_argv(host, argv);
	}
	assert_true(prog > 0);
	pids[0] = prog;
	read_pids(pidfile, pids + 1, n);
	if (!fallback) {
		/* the shadow's own group, not hostd's, holding all of them */
		cg2_mount(mnt, sizeof(mnt));
		proc_cg2(shadow, shadow_cg, sizeof(shadow_cg));
		proc_cg2(h.pid, hostd_cg, sizeof(hostd_cg));
		assert_non_null(strstr(shadow_cg, "/shadow-"));
		assert_string_not_equal(shadow_cg, hostd_cg);
		for (int i = 0; i <= n; i++) {
			proc_cg2(pids[i], cg, sizeof(cg));
			assert_string_equal(cg, shadow_cg);
		}
		snprintf(dir, sizeof(dir), "%s%s", mnt, shadow_cg);
		assert_true(file_exists(dir));
	}

	switch (how) {
	case END_DETACH:
		vmrpc_host_detach(host);
		host = NULL;
		itest_log_wait(&h, 1, " detached: ", "reaped", (char *)NULL);
		break;
	case END_SHADOW_DIES:
		assert_int_equal(kill(shadow, SIGKILL), 0);
		itest_log_wait(&h, 1, "exited with signal 9", (char *)NULL);
		break;
	case END_HOSTD_STOPS:
		itest_hostd_stop(&h);
		break;
	}
	assert_gone(pids[0], "the program");
	assert_gone(pids[1], "its background child");
	if (n == 2)
		assert_gone(pids[2], "its child in a session of its own");
	if (!fallback)
		wait_removed(dir);
	if (how != END_HOSTD_STOPS)
		itest_hostd_stop(&h);
	if (!fallback) {
		/* hostd's whole subtree went with it */
		*strrchr(dir, '/') = '\0';
		wait_removed(dir);
	}
	vmrpc_host_detach(host);
}

static void test_detach(void **state)
{
	(void)state;
	run_end(END_DETACH, 0);
}

static void test_shadow_dies(void **state)
{
	(void)state;
	run_end(END_SHADOW_DIES, 0);
}

static void test_hostd_stops(void **state)
{
	(void)state;
	run_end(END_HOSTD_STOPS, 0);
}

static void test_fallback_detach(void **state)
{
	(void)state;
	run_end(END_DETACH, 1);
}

static void test_fallback_shadow_dies(void **state)
{
	(void)state;
	run_end(END_SHADOW_DIES, 1);
}

static void test_fallback_hostd_stops(void **state)
{
	(void)state;
	run_end(END_HOSTD_STOPS, 1);
}

/* hostd killed with SIGKILL kills nothing: the shadow dies with it and the
 * program with the shadow (PR_SET_PDEATHSIG), but the program's children
 * live on, in the dead hostd's cgroups, until the next hostd removes them. */
static void test_hostd_killed(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host = NULL;
	char script[PATH_MAX], pidfile[PATH_MAX], want[64], mnt[PATH_MAX], cg[PATH_MAX];
	char dir[2 * PATH_MAX];
	pid_t pids[2];
	int32_t shadow, prog;
	int status;

	(void)state;
	need_root();
	snprintf(script, sizeof(script), "%s/leave.sh", itest_dir());
	snprintf(pidfile, sizeof(pidfile), "%s/pids", itest_dir());
	write_script(script, 1);
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	itest_assert_err(hostcalls_identity(&host->calls, &shadow, NULL, NULL), 0);
	{
		const char *argv[] = { "/bin/sh", script, pidfile, NULL };
		prog = spawn_argv(host, argv);
	}
	assert_true(prog > 0);
	read_pids(pidfile, pids, 2);
	/* the dead hostd's subtree, which the next one must remove */
	cg2_mount(mnt, sizeof(mnt));
	proc_cg2(shadow, cg, sizeof(cg));
	snprintf(dir, sizeof(dir), "%s%s", mnt, cg);
	*strrchr(dir, '/') = '\0';
	snprintf(want, sizeof(want), "-%d", (int)h.pid);
	assert_non_null(strstr(dir, want));

	assert_int_equal(kill(h.pid, SIGKILL), 0);
	assert_int_equal(itest_wait_exit(h.pid, ITEST_DEADLINE_MS, &status), 0);
	h.pid = 0;
	assert_gone(shadow, "the shadow");
	assert_gone(prog, "the program");
	usleep(100 * 1000);
	assert_true(itest_proc_state(pids[0]) && itest_proc_state(pids[1]));

	/* Any hostd starting now removes them (with tests run in parallel,
	 * another test's may be first): "removing cgroup ..., left by hostd
	 * pid DEAD, which is gone". */
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	assert_gone(pids[0], "its background child");
	assert_gone(pids[1], "its child in a session of its own");
	wait_removed(dir);
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

/* A guest fork: the child's shadow is a fork of the parent's, born in the
 * parent's cgroup. It must get one of its own, or the child's detach would
 * kill the parent's programs and the parent's would kill the child's. */
static int forker_main(int rd, int wr, void *arg)
{
	struct vmrpc_host *host;
	struct vmrpc_host_fork f;
	const char *argv[] = { "sleep", "60", NULL };
	int32_t self, mine, prog;
	int64_t go;
	pid_t child;
	int st;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &host), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&host->calls, &self, NULL, NULL), 0);
	prog = spawn_argv(host, argv);
	ITEST_CHECK(prog > 0);
	/* before the fork: the child's reports come after these */
	ITEST_CHECK(itest_send(wr, self) == 0 && itest_send(wr, prog) == 0);
	ITEST_CHECK_EQ(vmrpc_host_fork_prepare(host, &f), 0);
	child = fork();
	ITEST_CHECK(child >= 0);
	if (child == 0) {
		ITEST_CHECK_EQ(vmrpc_host_fork_child(host, &f), 0);
		ITEST_CHECK_EQ(hostcalls_identity(&host->calls, &mine, NULL, NULL), 0);
		prog = spawn_argv(host, argv);
		ITEST_CHECK(prog > 0);
		ITEST_CHECK(itest_send(wr, mine) == 0 && itest_send(wr, prog) == 0);
		ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
		vmrpc_host_detach(host);
		_exit(0);
	}
	ITEST_CHECK_EQ(vmrpc_host_fork_parent(host, &f, child), 0);
	ITEST_CHECK_EQ(waitpid(child, &st, 0), child);
	ITEST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ITEST_CHECK(itest_send(wr, 1) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	vmrpc_host_detach(host);
	return 0;
}

static void test_forked_shadow(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	char cg_parent[PATH_MAX], cg_child[PATH_MAX], cg[PATH_MAX];
	pid_t parent_shadow, parent_prog, child_shadow, child_prog;

	(void)state;
	need_root();
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_child_start(&c, forker_main, NULL);
	parent_shadow = (pid_t)itest_expect(&c);
	parent_prog = (pid_t)itest_expect(&c);
	child_shadow = (pid_t)itest_expect(&c);
	child_prog = (pid_t)itest_expect(&c);
	itest_log_wait(&h, 1, "is a fork of channel", (char *)NULL);
	proc_cg2(parent_shadow, cg_parent, sizeof(cg_parent));
	proc_cg2(child_shadow, cg_child, sizeof(cg_child));
	assert_non_null(strstr(cg_child, "/shadow-"));
	assert_string_not_equal(cg_parent, cg_child);
	proc_cg2(parent_prog, cg, sizeof(cg));
	assert_string_equal(cg, cg_parent);
	proc_cg2(child_prog, cg, sizeof(cg));
	assert_string_equal(cg, cg_child);

	/* the child detaches: its program goes, the parent's stays */
	assert_int_equal(itest_send(c.to_child, 1), 0);
	assert_int_equal(itest_expect(&c), 1);
	assert_gone(child_prog, "the child's program");
	assert_gone(child_shadow, "the child's shadow");
	usleep(50 * 1000);
	assert_true(itest_proc_state(parent_prog) && itest_proc_state(parent_shadow));
	assert_int_equal(itest_send(c.to_child, 1), 0);
	assert_int_equal(itest_child_wait(&c), 0);
	assert_gone(parent_prog, "the parent's program");
	itest_hostd_stop(&h);
}

/* ---- pids.max: one caller's fork bomb, another caller of its uid ------------ */

static char bomb_out[PATH_MAX];

/* Forks up to 40 sleepers, writing each pid, then "done N", into $ARGV[0]. */
static const char bomb_perl[] =
	"open(my $f, '>', $ARGV[0]) or die; $f->autoflush(1); my $n = 0;"
	"for (1..40) { my $p = fork(); last unless defined $p;"
	" if ($p == 0) { sleep 60; exit 0 } print $f \"$p\\n\"; $n++ }"
	"print $f \"done $n\\n\"; sleep 60;";

static void become_nobody(void)
{
	ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
}

static int bomber_main(int rd, int wr, void *arg)
{
	struct vmrpc_host *host;
	int64_t go;
	int32_t pid;

	(void)arg;
	become_nobody();
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &host), 0);
	{
		const char *argv[] = { "perl", "-e", bomb_perl, bomb_out, NULL };
		pid = spawn_argv(host, argv);
	}
	ITEST_CHECK(itest_send(wr, pid) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	vmrpc_host_detach(host);
	return 0;
}

/* Another caller of the same uid: start a program and wait for it. */
static int second_main(int rd, int wr, void *arg)
{
	struct vmrpc_host *host;
	int32_t pid, st = 0;

	(void)rd;
	(void)arg;
	become_nobody();
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &host), 0);
	{
		const char *argv[] = { "/bin/sh", "-c", "exit 7", NULL };
		pid = spawn_argv(host, argv);
	}
	if (pid > 0 && hostproc_wait(&host->proc, pid, 0, &st) != pid)
		st = -1;
	ITEST_CHECK(itest_send(wr, pid) == 0 && itest_send(wr, st) == 0);
	vmrpc_host_detach(host);
	return 0;
}

static void test_pids_no_lockout(void **state)
{
	struct itest_hostd h;
	struct itest_child a, b;
	char outdir[PATH_MAX - 16], *text, *done;
	pid_t kids[40];
	int64_t bomb, pid, st;
	int n;

	(void)state;
	need_root();
	snprintf(outdir, sizeof(outdir), "%s/out", itest_dir());
	assert_int_equal(mkdir(outdir, 0777), 0);
	assert_int_equal(chmod(outdir, 0777), 0);
	snprintf(bomb_out, sizeof(bomb_out), "%s/bomb", outdir);
	/* The old option: it meant "processes of one caller", and now is. */
	itest_hostd_start(&h, "--channels", "4", "--mode", "0666", "--limit-nproc", "16",
			  (char *)NULL);
	itest_log_wait(&h, 1, "containment: ", "pids.max 16", (char *)NULL);

	itest_child_start(&a, bomber_main, NULL);
	bomb = itest_expect(&a);
	assert_true(bomb > 0);
	{
		uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
		for (;;) {
			text = itest_read_file(bomb_out, NULL);
			done = strstr(text, "done ");
			if (done || itest_now_ms() > deadline)
				break;
			free(text);
			usleep(5000);
		}
	}
	if (!done)
		fail_msg("the fork bomb did not finish: %s", text);
	n = atoi(done + 5);
	free(text);
	/* The shadow and perl are two of the 16. */
	if (n < 1 || n > 14)
		fail_msg("the fork bomb started %d processes with pids.max 16", n);
	read_pids(bomb_out, kids, n);

	/* Same uid, while the first caller's processes fill its limit. */
	itest_child_start(&b, second_main, NULL);
	pid = itest_expect(&b);
	if (pid < 0)
		fail_msg("a second caller of the same uid cannot start a program: %s",
			 strerror((int)-pid));
	st = itest_expect(&b);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	assert_int_equal(itest_child_wait(&b), 0);

	assert_int_equal(itest_send(a.to_child, 1), 0);
	assert_int_equal(itest_child_wait(&a), 0);
	assert_gone((pid_t)bomb, "the fork bomb");
	for (int i = 0; i < n; i++)
		assert_gone(kids[i], "a fork bomb's child");
	itest_log_wait(&h, 1, "the caller's processes reached pids.max 16 (limit-pids)",
		       (char *)NULL);
	itest_hostd_stop(&h);
}

/* ---- memory.max ------------------------------------------------------------------ */

static int bystander_main(int rd, int wr, void *arg)
{
	struct vmrpc_host *host;
	int64_t go;
	int32_t pid, st = 0;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &host), 0);
	ITEST_CHECK(itest_send(wr, 0) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	{
		const char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
		pid = spawn_argv(host, argv);
	}
	if (pid > 0 && hostproc_wait(&host->proc, pid, 0, &st) != pid)
		st = -1;
	ITEST_CHECK(itest_send(wr, pid) == 0 && itest_send(wr, st) == 0);
	vmrpc_host_detach(host);
	return 0;
}

static void test_memory(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host = NULL;
	struct itest_child b;
	int32_t pid, st = 0, self;
	int64_t bpid, bst;

	(void)state;
	need_root();
	itest_hostd_start(&h, "--channels", "4", "--limit-memory", "64M", (char *)NULL);
	itest_log_wait(&h, 1, "containment: ", "memory.max 64 MiB", (char *)NULL);
	itest_child_start(&b, bystander_main, NULL);
	assert_int_equal(itest_expect(&b), 0);

	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	{
		const char *argv[] = { "perl", "-e", "my $x = 'x' x (256 << 20); print length $x",
				       NULL };
		pid = spawn_argv(host, argv);
	}
	assert_true(pid > 0);
	assert_int_equal(hostproc_wait(&host->proc, pid, 0, &st), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		fail_msg("a program allocating 256 MiB under memory.max 64M ended with wait status "
			 "0x%x, not SIGKILL", st);
	/* its shadow is unharmed, and so is the other caller */
	itest_assert_err(hostcalls_identity(&host->calls, &self, NULL, NULL), 0);
	assert_int_equal(itest_send(b.to_child, 1), 0);
	bpid = itest_expect(&b);
	bst = itest_expect(&b);
	assert_true(bpid > 0 && WIFEXITED(bst) && WEXITSTATUS(bst) == 3);
	assert_int_equal(itest_child_wait(&b), 0);

	vmrpc_host_detach(host);
	itest_log_wait(&h, 1, "the caller's processes reached memory.max 64 MiB (limit-memory): "
		       "1 process OOM-killed", (char *)NULL);
	itest_hostd_stop(&h);
}

/* ---- a delegated cgroup ----------------------------------------------------------- */

/* What systemd's Delegate=yes gives hostd: its own cgroup, marked with the
 * trusted.delegate xattr. hostd moves itself into a leaf and makes the
 * shadows' groups beside it. */
static void test_delegated(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host = NULL;
	char mnt[PATH_MAX], deleg[PATH_MAX + 64], procs[2 * PATH_MAX], want[2 * PATH_MAX];
	char cg[PATH_MAX], sub[2 * PATH_MAX];
	const char *rel;
	int32_t shadow, prog;

	(void)state;
	need_root();
	cg2_mount(mnt, sizeof(mnt));
	snprintf(deleg, sizeof(deleg), "%s/itest-delegated-%d", mnt, (int)getpid());
	assert_int_equal(mkdir(deleg, 0755), 0);
	assert_int_equal(setxattr(deleg, "trusted.delegate", "1", 1, 0), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", deleg);
	itest_hostd_set_cgroup(procs);
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_hostd_set_cgroup(NULL);
	rel = deleg + strlen(mnt);

	snprintf(want, sizeof(want), "containment: a cgroup per shadow under %s/region-%s-%d,",
		 deleg, ITEST_REGION, (int)h.pid);
	itest_log_wait(&h, 1, want, (char *)NULL);
	proc_cg2(h.pid, cg, sizeof(cg));
	snprintf(want, sizeof(want), "%s/hostd", rel);
	assert_string_equal(cg, want);

	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	itest_assert_err(hostcalls_identity(&host->calls, &shadow, NULL, NULL), 0);
	{
		const char *argv[] = { "sleep", "60", NULL };
		prog = spawn_argv(host, argv);
	}
	assert_true(prog > 0);
	proc_cg2(prog, cg, sizeof(cg));
	snprintf(want, sizeof(want), "%s/region-%s-%d/shadow-", rel, ITEST_REGION, (int)h.pid);
	assert_true(strncmp(cg, want, strlen(want)) == 0);
	vmrpc_host_detach(host);
	assert_gone(prog, "the program");
	itest_hostd_stop(&h);
	snprintf(sub, sizeof(sub), "%s/region-%s-%d", deleg, ITEST_REGION, (int)h.pid);
	assert_false(file_exists(sub));
	snprintf(sub, sizeof(sub), "%s/hostd", deleg);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(deleg), 0);
}

/* ---- a shadow that cannot start for lack of pids ------------------------------------ */

/* hostd's own cgroup full, as under a unit whose TasksMax= all shadows
 * together reached: the refusal names the limit, not just EAGAIN. */
static void test_fork_limit_named(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host = NULL;
	char mnt[PATH_MAX], dir[PATH_MAX + 64], procs[2 * PATH_MAX], cur[32], want[PATH_MAX + 128];
	char *ctls;
	int fd;
	ssize_t n;

	(void)state;
	need_root();
	/* Wherever this machine has the pids controller. */
	cg2_mount(mnt, sizeof(mnt));
	snprintf(procs, sizeof(procs), "%s/cgroup.controllers", mnt);
	ctls = itest_read_file(procs, NULL);
	if (!strstr(ctls, "pids"))
		cg1_mount("pids", mnt, sizeof(mnt));
	free(ctls);
	if (!mnt[0]) {
		print_message("no pids controller\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/itest-pids-%d", mnt, (int)getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	itest_hostd_set_cgroup(procs);
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_hostd_set_cgroup(NULL);

	/* Full: hostd's next fork fails. */
	snprintf(procs, sizeof(procs), "%s/pids.current", dir);
	fd = open(procs, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, cur, sizeof(cur) - 1);
	close(fd);
	assert_true(n > 0);
	cur[n] = '\0';
	snprintf(procs, sizeof(procs), "%s/pids.max", dir);
	itest_write_file(procs, cur, strlen(cur));
	assert_true(vmrpc_host_attach(NULL, &host) < 0);
	snprintf(want, sizeof(want), "cannot start a shadow: fork: Resource temporarily "
		 "unavailable: pids.max %d of cgroup %s is reached", atoi(cur), dir + strlen(mnt));
	itest_log_wait(&h, 1, " refused: ", want, (char *)NULL);

	/* Room again: shadows start. */
	itest_write_file(procs, "max", 3);
	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	vmrpc_host_detach(host);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
	/* A hybrid hostd kept its v1 subtree next to its own group: in it. */
	snprintf(procs, sizeof(procs), "%s/vmrpc-hostd", dir);
	if (rmdir(procs) < 0)
		assert_int_equal(errno, ENOENT);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- the limits' options and keys ------------------------------------------------ */

static void refused(const char *msg, const char *const *args)
{
	char *err;
	int status = itest_hostd_run(args, &err);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2 || !strstr(err, msg))
		fail_msg("vmrpc-hostd %s %s: wait status 0x%x, stderr \"%s\"; expected exit 2 and "
			 "\"%s\"", args[0], args[1] ? args[1] : "", status, err, msg);
	free(err);
}

static void refused_config(const char *text, const char *msg)
{
	char path[PATH_MAX];
	const char *args[] = { "--config", path, NULL };

	snprintf(path, sizeof(path), "%s/hostd.conf", itest_dir());
	itest_write_file(path, text, strlen(text));
	refused(msg, args);
}

static void test_limit_options(void **state)
{
	static const char vm[] = "[vm a]\ntransport = ivshmem-plain\nshm-size = 4M\nuser = 65534\n";
	struct itest_hostd h;
	char conf[PATH_MAX], text[2 * PATH_MAX], log[PATH_MAX + 16], want[PATH_MAX];
	int status;
	pid_t pid;

	(void)state;
	{
		const char *a[] = { "--loopback", ITEST_REGION, "--limit-pids", "0", NULL };
		refused("--limit-pids: '0' is neither a number from 1 to", a);
	}
	{
		const char *a[] = { "--loopback", ITEST_REGION, "--limit-pids", "lots", NULL };
		refused("--limit-pids: 'lots' is neither", a);
	}
	{
		const char *a[] = { "--loopback", ITEST_REGION, "--limit-memory", "1M", NULL };
		refused("--limit-memory: '1M' is neither a size of at least 16M", a);
	}
	snprintf(text, sizeof(text), "%sshm-file = %s/a.shm\nlimit-pids = 0\n", vm, itest_dir());
	refused_config(text, ":6: limit-pids: '0' is neither a number from 1 to");
	snprintf(text, sizeof(text), "%sshm-file = %s/a.shm\nlimit-memory = 8M\n", vm, itest_dir());
	refused_config(text, ":6: limit-memory: '8M' is neither a size of at least 16M");

	need_root();
	/* "max": no limit */
	itest_hostd_start(&h, "--limit-pids", "max", "--limit-memory", "max", (char *)NULL);
	itest_log_wait(&h, 1, "containment: ", "pids.max max", "memory.max max", (char *)NULL);
	itest_hostd_stop(&h);

	/* per VM, from the configuration file */
	snprintf(conf, sizeof(conf), "%s/vm.conf", itest_dir());
	snprintf(text, sizeof(text),
		 "%sshm-file = %s/a.shm\nlimit-pids = 32\nlimit-memory = 128M\n", vm,
		 itest_dir());
	itest_write_file(conf, text, strlen(text));
	snprintf(log, sizeof(log), "%s/vm.log", itest_dir());
	{
		const char *argv[] = { ITEST_HOSTD,   "--config",   conf,
				       "--shadow",    ITEST_SHADOW, NULL };
		pid = itest_spawn(argv, NULL, log);
	}
	/* The VM's own hostd process, which the supervisor forks, names it. */
	snprintf(want, sizeof(want), ", killed with it; pids.max 32");
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;;) {
		char *got = itest_read_file(log, NULL);
		/* "serving": set up, its SIGTERM handling included */
		int done = strstr(got, want) && strstr(got, "memory.max 128 MiB") &&
			   strstr(got, ": serving ");

		if (!done && itest_now_ms() > end)
			fail_msg("hostd's log lacks \"%s\" and memory.max 128 MiB: %s", want, got);
		free(got);
		if (done)
			break;
		usleep(5000);
	}
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detach, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_shadow_dies, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostd_stops, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostd_killed, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_detach, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_shadow_dies, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_hostd_stops, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_forked_shadow, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_pids_no_lockout, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_memory, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_delegated, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_fork_limit_named, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_limit_options, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_cgroup", tests, NULL, NULL);
}
