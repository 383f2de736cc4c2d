/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "hostcalls_caller.h"

#define ITEST_MAX_PIDS 256

static char itest_base[256];
static char itest_rt[300];
static pid_t itest_pids[ITEST_MAX_PIDS]; /* everything we started; 0: free slot */
static char itest_kinds[ITEST_MAX_PIDS];  /* 'h': a vmrpc-hostd, 'c': anything else */
static unsigned itest_n_hostd;

/* The service manager's fd store, as systemd keeps it for a unit: what a
 * hostd of this test handed over (FDSTORE=1), passed to the next hostd it
 * starts ($LISTEN_FDS, $LISTEN_FDNAMES). */
#define ITEST_FDSTORE_MAX 8
static struct {
	char name[64];
	int fd;
} itest_fdstore[ITEST_FDSTORE_MAX];
static int itest_n_fdstore;
static unsigned itest_n_spawn;
static char itest_hostd_cg[PATH_MAX]; /* cgroup.procs hostds join, or "" */
static uint64_t itest_rand_state;

/* ---- bookkeeping ----------------------------------------------------- */

static void itest_track(pid_t pid, char kind)
{
	for (int i = 0; i < ITEST_MAX_PIDS; i++) {
		if (!itest_pids[i]) {
			itest_pids[i] = pid;
			itest_kinds[i] = kind;
			return;
		}
	}
	fail_msg("harness: more than %d processes", ITEST_MAX_PIDS);
}

static void itest_untrack(pid_t pid)
{
	for (int i = 0; i < ITEST_MAX_PIDS; i++)
		if (itest_pids[i] == pid)
			itest_pids[i] = 0;
}

static void itest_say(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0) {
		/* nothing more to do */
	}
}

/* Async-signal-safe: kill everything, remove the directory, give up. */
static void itest_watchdog(int sig)
{
	pid_t rm;

	(void)sig;
	itest_say("\nitest: watchdog: the test hung; killing what it started\n");
	for (int i = 0; i < ITEST_MAX_PIDS; i++)
		if (itest_pids[i] > 0)
			kill(itest_pids[i], SIGKILL);
	/* Reap them (and the shadows handed to us) for up to 2 s. */
	for (int n = 0; n < 200; n++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p < 0)
			break;
		if (p == 0)
			nanosleep(&ts, NULL);
	}
	rm = fork();
	if (rm == 0) {
		execl("/bin/rm", "rm", "-rf", itest_base, (char *)NULL);
		_exit(127);
	}
	if (rm > 0)
		waitpid(rm, NULL, 0);
	_exit(124);
}

static int itest_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int itest_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct sigaction sa = { .sa_handler = itest_watchdog };

	(void)state;
	snprintf(itest_base, sizeof(itest_base), "%s/vmrpc-integ-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 64 ? tmp : "/tmp");
	if (!mkdtemp(itest_base))
		return -1;
	/* Traversable, for callers and shadows running as another user. */
	chmod(itest_base, 0755);
	snprintf(itest_rt, sizeof(itest_rt), "%s/rt", itest_base);
	if (mkdir(itest_rt, 0755) < 0)
		return -1;
	chmod(itest_rt, 0755);
	setenv("VMRPC_RUNTIME_DIR", itest_rt, 1);
	setenv("VMRPC_REGION", ITEST_REGION, 1);
	/* Orphans (a shadow hostd failed to reap) come to us: we can see them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGALRM, &sa, NULL);
	alarm(ITEST_WATCHDOG_S);
	memset(itest_pids, 0, sizeof(itest_pids));
	itest_n_hostd = 0;
	itest_n_spawn = 0;
	itest_fdstore_clear();
	itest_hostd_cg[0] = '\0';
	itest_rand_state = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	return 0;
}

int itest_teardown(void **state)
{
	pid_t kids[64];
	char comm[32];
	int n, failed = 0;
	uint64_t deadline;

	(void)state;
	/* Anything still running that the test did not start itself is a
	 * leftover: an orphaned shadow, typically. (We are a subreaper: what
	 * exited after its parent died, such as a program whose shadow a test
	 * killed before the shell reaped it, waits here as a zombie: not a
	 * leftover. The loop below reaps it.) */
	n = itest_proc_children(getpid(), kids, 64);
	for (int i = 0; i < n; i++) {
		int ours = itest_proc_state(kids[i]) == 'Z';
		for (int j = 0; j < ITEST_MAX_PIDS; j++)
			ours |= itest_pids[j] == kids[i];
		if (!ours) {
			itest_proc_comm(kids[i], comm, sizeof(comm));
			fprintf(stderr, "itest: teardown: leftover process %d (%s, state %c)\n",
				(int)kids[i], comm, itest_proc_state(kids[i]));
			failed = 1;
		}
	}
	/* Kill what the test left running (it failed, or it would have
	 * stopped it), then reap every child, orphans included. */
	for (int i = 0; i < ITEST_MAX_PIDS; i++) {
		if (itest_pids[i] > 0) {
			if (itest_kinds[i] == 'h') {
				fprintf(stderr, "itest: teardown: vmrpc-hostd pid %d was left "
					"running\n", (int)itest_pids[i]);
				failed = 1;
			}
			kill(itest_pids[i], SIGKILL);
			itest_pids[i] = 0;
		}
	}
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p > 0)
			continue;
		if (p < 0 && errno == ECHILD)
			break;
		if (itest_now_ms() > deadline) {
			fprintf(stderr, "itest: teardown: children would not die\n");
			failed = 1;
			break;
		}
		n = itest_proc_children(getpid(), kids, 64);
		for (int i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		usleep(2000);
	}
	alarm(0);
	/* A test that ended early left its hostd running: its logs say why. */
	for (unsigned k = 1; failed && k <= itest_n_hostd; k++) {
		char path[PATH_MAX + 32], *log;

		snprintf(path, sizeof(path), "%s/hostd-%u.log", itest_base, k);
		if (access(path, R_OK) < 0)
			continue;
		log = itest_read_file(path, NULL);
		fprintf(stderr, "itest: teardown: hostd-%u.log:\n%s", k, log);
		free(log);
	}
	nftw(itest_base, itest_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("VMRPC_RUNTIME_DIR");
	unsetenv("VMRPC_REGION");
	return failed ? -1 : 0;
}

const char *itest_dir(void)
{
	return itest_base;
}

const char *itest_rt_dir(void)
{
	return itest_rt;
}

uint64_t itest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t itest_rand(void)
{
	/* xorshift64*: good enough for test data, and no shared state. */
	itest_rand_state ^= itest_rand_state >> 12;
	itest_rand_state ^= itest_rand_state << 25;
	itest_rand_state ^= itest_rand_state >> 27;
	return itest_rand_state * 0x2545f4914f6cdd1dull;
}

void itest_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = data;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0)
			fail_msg("write %s: %s", path, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	close(fd);
}

char *itest_read_file(const char *path, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_non_null(buf);
	if (fd < 0) {
		buf[0] = '\0';
		if (ret_len)
			*ret_len = 0;
		return buf;
	}
	for (;;) {
		ssize_t n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

int itest_file_has(const char *path, const char *needle)
{
	char *s = itest_read_file(path, NULL);
	int found = s && strstr(s, needle);

	free(s);
	return found;
}

void itest_wait_file_has(const char *path, const char *needle)
{
	uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;

	while (!itest_file_has(path, needle)) {
		if (itest_now_ms() > end) {
			char *s = itest_read_file(path, NULL);

			fail_msg("%s never contained '%s': %s", path, needle, s ? s : "");
		}
		usleep(5000);
	}
}

/* ---- processes --------------------------------------------------------- */

static int itest_proc_stat(pid_t pid, char *ret_state, pid_t *ret_ppid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold anything but ends at the last ')' */
	if (!p || p[1] != ' ')
		return -1;
	*ret_state = p[2];
	*ret_ppid = (pid_t)strtol(p + 4, NULL, 10);
	return 0;
}

pid_t itest_proc_ppid(pid_t pid)
{
	char st;
	pid_t pp;

	return itest_proc_stat(pid, &st, &pp) < 0 ? 0 : pp;
}

char itest_proc_state(pid_t pid)
{
	char st;
	pid_t pp;

	return itest_proc_stat(pid, &st, &pp) < 0 ? 0 : st;
}

void itest_proc_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

int itest_proc_children(pid_t parent, pid_t *ret_pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		pid_t pid;
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		pid = (pid_t)strtol(e->d_name, NULL, 10);
		if (itest_proc_ppid(pid) == parent)
			ret_pids[n++] = pid;
	}
	closedir(d);
	return n;
}

int itest_wait_gone(pid_t pid, int timeout_ms)
{
	uint64_t deadline = itest_now_ms() + (uint64_t)timeout_ms;

	while (itest_proc_state(pid)) {
		if (itest_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

int itest_wait_in_syscall(pid_t pid, const long *nrs, size_t n_nrs, int timeout_ms)
{
	uint64_t deadline = itest_now_ms() + (uint64_t)timeout_ms;
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return -ESRCH;
		buf[n] = '\0';
		/* "<nr> <args...>" while in a system call, "running" otherwise */
		if (isdigit((unsigned char)buf[0]) && itest_proc_state(pid) == 'S') {
			long nr = strtol(buf, NULL, 10);
			for (size_t i = 0; i < n_nrs; i++)
				if (nr == nrs[i])
					return 0;
		}
		if (itest_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

int itest_wait_blocked_in_read(pid_t pid, int timeout_ms)
{
	static const long nrs[] = { SYS_read };

	return itest_wait_in_syscall(pid, nrs, 1, timeout_ms);
}

static int itest_checker_main(int rd, int wr, void *arg)
{
	uid_t uid = (uid_t)(uintptr_t)arg;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	int32_t shadow, pid;
	int64_t wrong = 0, calls = 0;

	if (uid)
		ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(uid) == 0 && setuid(uid) == 0);
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	vmrpc_chan_set_timeout(g.chan, 3000); /* a stall shows as a failure */
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	ITEST_CHECK(itest_send(wr, shadow) == 0);
	for (;;) {
		struct pollfd p = { .fd = rd, .events = POLLIN };

		if (calls % 16 == 0 && poll(&p, 1, 0) > 0)
			break;
		if (hostcalls_identity(&hc, &pid, NULL, NULL) != 0 || pid != shadow)
			wrong++;
		calls++;
	}
	ITEST_CHECK(itest_send(wr, calls) == 0);
	ITEST_CHECK(itest_send(wr, wrong) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

void itest_checker_start_as(struct itest_checker *k, uid_t uid)
{
	itest_child_start(&k->c, itest_checker_main, (void *)(uintptr_t)uid);
	k->chan = (uint32_t)itest_expect(&k->c);
	k->shadow = (pid_t)itest_expect(&k->c);
}

void itest_checker_start(struct itest_checker *k)
{
	itest_checker_start_as(k, 0);
}

void itest_checker_stop(struct itest_checker *k)
{
	int64_t calls, wrong;

	assert_int_equal(itest_send(k->c.to_child, 1), 0);
	calls = itest_expect(&k->c);
	wrong = itest_expect(&k->c);
	assert_int_equal(itest_child_wait(&k->c), 0);
	if (calls == 0 || wrong != 0)
		fail_msg("the legitimate caller made %lld calls, %lld answered wrong or failed",
			 (long long)calls, (long long)wrong);
}

int32_t itest_caller_open_fifo(const char *fifo, int wr, struct vmrpc_guest *ret_guest,
			       struct vmrpc_binding *ret_hc)
{
	int32_t pid, fd;

	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, ret_guest), 0);
	ITEST_CHECK_EQ(hostcalls_bind(ret_guest->chan, ret_hc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(ret_hc, &pid, NULL, NULL), 0);
	/* O_RDWR: the open does not wait for a writer, a read waits forever */
	fd = hostcalls_open(ret_hc, fifo, O_RDWR, 0);
	ITEST_CHECK(fd >= 0);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(ret_guest->chan)) == 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	return fd;
}

int itest_wait_exit(pid_t pid, int timeout_ms, int *ret_status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	uint64_t deadline = itest_now_ms() + (uint64_t)timeout_ms;
	int status;

	if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int r;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		close(pidfd);
		if (r == 0)
			return -ETIMEDOUT;
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0)
			return -errno;
		if (itest_now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(2000);
	}
	itest_untrack(pid);
	if (ret_status)
		*ret_status = status;
	return 0;
}

/* In a freshly forked child: keep fds 0-2 and the given ones (moved to 3, 4,
 * ...) and close everything else, so that no child holds the test's pipe
 * ends (which would hide EOFs) or another child's. */
static void itest_child_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		fds[i] = fcntl(fds[i], F_DUPFD, 512 + i);
	for (int i = 0; i < n; i++) {
		dup2(fds[i], 3 + i);
		fds[i] = 3 + i;
	}
	close_range(3 + (unsigned)n, ~0u, 0);
}

static void itest_child_common(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* A child must not outlive the test, nor hang forever itself. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigaction(SIGALRM, &dfl, NULL);
	alarm(ITEST_CHILD_WATCHDOG_S);
}

pid_t itest_spawn(const char *const *argv, const char *out_path, const char *err_path)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(out_path ? out_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int err = open(err_path ? err_path : "/dev/null",
			       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		itest_child_common();
		if (out < 0 || err < 0 || null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		close_range(3, ~0u, 0);
		alarm(0);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	itest_track(pid, 'c');
	return pid;
}

int itest_run(const char *const *argv, char **ret_out, char **ret_err)
{
	char out[PATH_MAX + 32], err[PATH_MAX + 32];
	unsigned n = ++itest_n_spawn;
	int status, r;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/run-%u.out", itest_base, n);
	snprintf(err, sizeof(err), "%s/run-%u.err", itest_base, n);
	pid = itest_spawn(argv, out, err);
	r = itest_wait_exit(pid, ITEST_DEADLINE_MS, &status);
	if (r < 0)
		fail_msg("%s did not finish within %d ms", argv[0], ITEST_DEADLINE_MS);
	if (ret_out)
		*ret_out = itest_read_file(out, NULL);
	if (ret_err)
		*ret_err = itest_read_file(err, NULL);
	return status;
}

/* ---- vmrpc-hostd ----------------------------------------------------- */

void itest_fdstore_clear(void)
{
	for (int i = 0; i < itest_n_fdstore; i++)
		close(itest_fdstore[i].fd);
	itest_n_fdstore = 0;
}

int itest_fdstore_count(void)
{
	return itest_n_fdstore;
}

static void itest_fdstore_remove(const char *name)
{
	for (int i = 0; i < itest_n_fdstore; i++) {
		if (strcmp(itest_fdstore[i].name, name))
			continue;
		close(itest_fdstore[i].fd);
		itest_fdstore[i--] = itest_fdstore[--itest_n_fdstore];
	}
}

/* One sd_notify datagram: READY=1 (returns 1), or an fd store request. */
static int itest_notify_recv(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	char msg[256], name[64] = "";
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	const char *p;
	int got = -1, ready;
	ssize_t len = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (len < 0)
		return -1;
	msg[len] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&got, CMSG_DATA(c), sizeof(int)); /* hostd sends one */
	p = strstr(msg, "FDNAME=");
	if (p)
		sscanf(p + 7, "%63[^\n]", name);
	if (strstr(msg, "FDSTOREREMOVE=1"))
		itest_fdstore_remove(name);
	if (strstr(msg, "FDSTORE=1") && got >= 0 && itest_n_fdstore < ITEST_FDSTORE_MAX) {
		snprintf(itest_fdstore[itest_n_fdstore].name, sizeof(itest_fdstore[0].name), "%s",
			 name);
		itest_fdstore[itest_n_fdstore++].fd = got;
		got = -1;
	}
	if (got >= 0)
		close(got);
	ready = strstr(msg, "READY=1") != NULL;
	return ready;
}

/* In hostd's child: the stored descriptors as fds 3.., as systemd passes
 * them (the child's pid stays hostd's across the exec). */
static void itest_fdstore_pass(void)
{
	char names[ITEST_FDSTORE_MAX * 65] = "", num[32];
	int fds[ITEST_FDSTORE_MAX];

	if (!itest_n_fdstore)
		return;
	for (int i = 0; i < itest_n_fdstore; i++) {
		fds[i] = itest_fdstore[i].fd;
		if (i)
			strcat(names, ":");
		strcat(names, itest_fdstore[i].name);
	}
	itest_child_fds(fds, itest_n_fdstore);
	snprintf(num, sizeof(num), "%d", itest_n_fdstore);
	setenv("LISTEN_FDS", num, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	snprintf(num, sizeof(num), "%d", (int)getpid());
	setenv("LISTEN_PID", num, 1);
}

void itest_hostd_set_cgroup(const char *procs_path)
{
	snprintf(itest_hostd_cg, sizeof(itest_hostd_cg), "%s", procs_path ? procs_path : "");
}

void itest_hostd_start(struct itest_hostd *h, ...)
{
	const char *extra[32];
	size_t n = 0;
	va_list ap;

	va_start(ap, h);
	while (n < 31 && (extra[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	extra[n] = NULL;
	itest_hostd_startv(h, extra);
}

void itest_hostd_startv(struct itest_hostd *h, const char *const *extra)
{
	const char *argv[48];
	char notify[PATH_MAX + 32], sock[PATH_MAX + 32];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t deadline;
	size_t n = 0;
	int nfd, pidfd, ready = 0;

	memset(h, 0, sizeof(*h));
	h->n = ++itest_n_hostd;
	snprintf(h->log_path, sizeof(h->log_path), "%s/hostd-%u.log", itest_base, h->n);
	snprintf(notify, sizeof(notify), "%s/notify-%u.sock", itest_base, h->n);
	assert_true(strlen(notify) < sizeof(a.sun_path));
	strcpy(a.sun_path, notify);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(nfd >= 0);
	assert_int_equal(bind(nfd, (struct sockaddr *)&a, sizeof(a)), 0);

	argv[n++] = ITEST_HOSTD;
	argv[n++] = "--loopback";
	argv[n++] = ITEST_REGION;
	argv[n++] = "--shadow";
	argv[n++] = ITEST_SHADOW;
	for (size_t i = 0; extra && extra[i] && n < 47; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	h->pid = fork();
	assert_true(h->pid >= 0);
	if (h->pid == 0) {
		int log = open(h->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		itest_child_common();
		alarm(0); /* hostd is stopped by the test, or killed by teardown */
		if (itest_hostd_cg[0]) {
			int cg = open(itest_hostd_cg, O_WRONLY | O_CLOEXEC);
			if (cg < 0 || write(cg, "0", 1) != 1)
				_exit(125);
			close(cg);
		}
		if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 ||
		    dup2(log, 2) < 0)
			_exit(126);
		if (itest_n_fdstore)
			itest_fdstore_pass();
		else
			close_range(3, ~0u, 0);
		signal(SIGPIPE, SIG_DFL);
		setenv("NOTIFY_SOCKET", notify, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	itest_track(h->pid, 'h');

	/* Ready when it says so; failed if it exits first. */
	pidfd = (int)syscall(SYS_pidfd_open, h->pid, 0);
	assert_true(pidfd >= 0);
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while (!ready) {
		struct pollfd p[2] = { { .fd = nfd, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		uint64_t now = itest_now_ms();
		int len;

		if (now > deadline)
			break;
		if (poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR)
			break;
		while ((len = itest_notify_recv(nfd)) >= 0)
			ready |= len;
		if (!ready && (p[1].revents & POLLIN))
			break;
	}
	close(pidfd);
	close(nfd);
	unlink(notify);
	if (!ready) {
		char *log = itest_log(h);
		fprintf(stderr, "hostd log:\n%s\n", log);
		free(log);
		fail_msg("vmrpc-hostd %s did not become ready", itest_hostd_alive(h) ? "is running but"
										      : "exited and");
	}
	snprintf(sock, sizeof(sock), "%s/%s.sock", itest_rt, ITEST_REGION);
	assert_int_equal(access(sock, F_OK), 0);
}

int itest_hostd_alive(struct itest_hostd *h)
{
	int status;

	if (!h->pid)
		return 0;
	if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
		itest_untrack(h->pid);
		h->status = status;
		h->pid = 0;
		return 0;
	}
	return 1;
}

void itest_hostd_stop(struct itest_hostd *h)
{
	pid_t shadows[64];
	char sock[PATH_MAX + 32];
	int n, status, r;
	pid_t pid = h->pid;

	assert_true(itest_hostd_alive(h));
	n = itest_proc_children(pid, shadows, 64);
	assert_int_equal(kill(pid, SIGTERM), 0);
	r = itest_wait_exit(pid, ITEST_DEADLINE_MS, &status);
	if (r < 0) {
		kill(pid, SIGKILL);
		itest_wait_exit(pid, ITEST_DEADLINE_MS, &status);
		h->pid = 0;
		fail_msg("vmrpc-hostd pid %d did not exit within %d ms of SIGTERM", (int)pid,
			 ITEST_DEADLINE_MS);
	}
	h->pid = 0;
	h->status = status;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *log = itest_log(h);
		fprintf(stderr, "hostd log:\n%s\n", log);
		free(log);
		fail_msg("vmrpc-hostd exited with wait status 0x%x, expected exit 0", status);
	}
	/* hostd reaps its shadows before it exits: none may be left, not even
	 * as a zombie orphan handed to us. */
	for (int i = 0; i < n; i++) {
		char st = itest_proc_state(shadows[i]);
		if (st)
			fail_msg("vmrpc-hostd left its child pid %d behind (state %c)",
				 (int)shadows[i], st);
	}
	snprintf(sock, sizeof(sock), "%s/%s.sock", itest_rt, ITEST_REGION);
	if (access(sock, F_OK) == 0)
		fail_msg("vmrpc-hostd left its socket %s behind", sock);
}

int itest_hostd_run(const char *const *args, char **ret_stderr)
{
	const char *argv[48];
	size_t n = 0;

	argv[n++] = ITEST_HOSTD;
	for (size_t i = 0; args && args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return itest_run(argv, NULL, ret_stderr);
}

char *itest_log(const struct itest_hostd *h)
{
	return itest_read_file(h->log_path, NULL);
}

static int itest_log_countv(const struct itest_hostd *h, const char **needles)
{
	char *log = itest_log(h), *line = log, *end;
	int count = 0;

	while (*line) {
		int all = 1;
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		for (size_t i = 0; needles[i]; i++)
			all &= strstr(line, needles[i]) != NULL;
		count += all;
		if (!end)
			break;
		line = end + 1;
	}
	free(log);
	return count;
}

static void itest_needles(va_list ap, const char **needles, size_t max)
{
	size_t n = 0;

	while (n < max - 1 && (needles[n] = va_arg(ap, const char *)))
		n++;
	needles[n] = NULL;
}

int itest_log_count(const struct itest_hostd *h, ...)
{
	const char *needles[8];
	va_list ap;

	va_start(ap, h);
	itest_needles(ap, needles, 8);
	va_end(ap);
	return itest_log_countv(h, needles);
}

void itest_log_wait(const struct itest_hostd *h, int count, ...)
{
	const char *needles[8];
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	int ifd, got;
	va_list ap;

	va_start(ap, count);
	itest_needles(ap, needles, 8);
	va_end(ap);
	/* inotify wakes us on every write to the log; the poll timeout is only
	 * a fallback, never what the wait relies on. */
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0)
		inotify_add_watch(ifd, h->log_path, IN_MODIFY);
	while ((got = itest_log_countv(h, needles)) < count && itest_now_ms() < deadline) {
		struct pollfd p = { .fd = ifd, .events = POLLIN };
		char buf[4096];
		if (ifd < 0 || poll(&p, 1, 100) < 0)
			usleep(10000);
		while (ifd >= 0 && read(ifd, buf, sizeof(buf)) > 0)
			;
	}
	if (ifd >= 0)
		close(ifd);
	if (got < count) {
		char *log = itest_log(h);
		fprintf(stderr, "hostd log:\n%s\n", log);
		free(log);
		fail_msg("hostd log: %d line(s) with \"%s\"%s%s, expected %d within %d ms", got,
			 needles[0], needles[1] ? " and \"" : "", needles[1] ? needles[1] : "",
			 count, ITEST_DEADLINE_MS);
	}
}

/* ---- caller processes ---------------------------------------------------- */

void itest_child_start(struct itest_child *c, itest_child_fn fn, void *arg)
{
	int p2c[2], c2p[2];

	assert_int_equal(pipe2(p2c, O_CLOEXEC), 0);
	assert_int_equal(pipe2(c2p, O_CLOEXEC), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		int fds[2] = { p2c[0], c2p[1] };

		itest_child_common();
		itest_child_fds(fds, 2);
		_exit(fn(fds[0], fds[1], arg));
	}
	itest_track(c->pid, 'c');
	close(p2c[0]);
	close(c2p[1]);
	c->to_child = p2c[1];
	c->from_child = c2p[0];
	c->status = 0;
}

int itest_child_wait(struct itest_child *c)
{
	int status;

	if (itest_wait_exit(c->pid, ITEST_DEADLINE_MS, &status) < 0)
		fail_msg("caller pid %d did not exit within %d ms", (int)c->pid,
			 ITEST_DEADLINE_MS);
	c->status = status;
	close(c->to_child);
	close(c->from_child);
	c->to_child = c->from_child = -1;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}

void itest_child_kill(struct itest_child *c)
{
	kill(c->pid, SIGKILL);
	itest_child_wait(c);
}

int itest_send(int fd, int64_t v)
{
	return write(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : -EPIPE;
}

int itest_recv(int fd, int64_t *ret_v, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t v;
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = read(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(v))
		return -EPIPE;
	*ret_v = v;
	return 0;
}

int64_t itest_expect(struct itest_child *c)
{
	int64_t v = 0;
	int r = itest_recv(c->from_child, &v, ITEST_DEADLINE_MS);

	if (r == -ETIMEDOUT)
		fail_msg("caller pid %d said nothing within %d ms", (int)c->pid,
			 ITEST_DEADLINE_MS);
	if (r < 0) {
		int status = 0;
		itest_wait_exit(c->pid, ITEST_DEADLINE_MS, &status);
		fail_msg("caller pid %d ended (wait status 0x%x) instead of answering",
			 (int)c->pid, status);
	}
	return v;
}

/* ---- vmrpc-guestd ----------------------------------------------------------- */

void itest_guestd_start(struct itest_guestd *g, const char *conf)
{
	static unsigned n;
	char conf_path[PATH_MAX];
	const char *argv[] = { ITEST_GUESTD, "--region", ITEST_REGION, NULL, NULL, NULL };

	snprintf(g->log, sizeof(g->log), "%s/guestd-%u.log", itest_dir(), ++n);
	if (conf) {
		snprintf(conf_path, sizeof(conf_path), "%s/guestd-%u.conf", itest_dir(), n);
		itest_write_file(conf_path, conf, strlen(conf));
		argv[3] = "--config";
		argv[4] = conf_path;
	}
	g->pid = itest_spawn(argv, NULL, g->log);
	itest_wait_file_has(g->log, "serving");
}

void itest_guestd_stop(struct itest_guestd *g)
{
	int status;

	kill(g->pid, SIGTERM);
	assert_int_equal(itest_wait_exit(g->pid, ITEST_DEADLINE_MS, &status), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("vmrpc-guestd: wait status 0x%x, expected exit 0", status);
}
