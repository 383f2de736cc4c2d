/* SPDX-License-Identifier: MIT */
/*
 * hostd as systemd runs it: what it tells the service manager (READY=1,
 * STATUS=, WATCHDOG=1, from the main process only, as NotifyAccess=main
 * wants), SIGHUP rereading a configuration file (VMs added start, VMs
 * removed drain, changed limits reach new shadows only, a broken file
 * changes nothing), --check, and options that a configuration file also
 * sets. The real vmrpc-hostd and shadows; a VM's guest is played on the
 * host through "file:" (guestlib/attach.c) on an ivshmem-plain VM.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "hostcalls_caller.h"

/* ---- a service manager's notify socket ------------------------------------ */

#define NRX_MAX 4096

struct nrx {
	bool open;
	int fd;
	char path[PATH_MAX];
	size_t n;
	struct {
		pid_t pid;
		char text[512];
	} msg[NRX_MAX];
};

static struct nrx nrx; /* large: one per test */

static void nrx_open(struct nrx *r)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int one = 1;

	r->n = 0;
	snprintf(r->path, sizeof(r->path), "%s/notify.sock", itest_dir());
	assert_true(strlen(r->path) < sizeof(a.sun_path));
	strcpy(a.sun_path, r->path);
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(r->fd >= 0);
	/* the sender's pid, as systemd checks it against NotifyAccess= */
	assert_int_equal(setsockopt(r->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	r->open = true;
}

static void nrx_close(struct nrx *r)
{
	close(r->fd);
	unlink(r->path);
	r->open = false;
}

/* Take every datagram waiting, for up to timeout_ms for the first. */
static void nrx_poll(struct nrx *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) <= 0)
		return;
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 4)];
			struct cmsghdr align;
		} ctl;
		char text[512];
		struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct ucred cred = { 0 };
		ssize_t len = recvmsg(r->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (len < 0)
			return;
		text[len] = '\0';
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			if (c->cmsg_type == SCM_RIGHTS) /* the fd store: not this test's */
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
					close(((int *)(void *)CMSG_DATA(c))[i]);
		}
		if (r->n < NRX_MAX) {
			r->msg[r->n].pid = cred.pid;
			snprintf(r->msg[r->n].text, sizeof(r->msg[0].text), "%s", text);
			r->n++;
		}
	}
}

/* Wait ms, reading the notify socket meanwhile (if open): like systemd,
 * the test must keep reading it, or hostd blocks in sd_notify(3) once the
 * socket's queue is full. */
static void pause_ms(int ms)
{
	uint64_t end = itest_now_ms() + (uint64_t)ms;

	if (!nrx.open) {
		usleep((useconds_t)ms * 1000);
		return;
	}
	for (uint64_t now = itest_now_ms(); now < end; now = itest_now_ms())
		nrx_poll(&nrx, (int)(end - now));
}

/* Messages from index from on that contain needle. */
static size_t nrx_count(const struct nrx *r, size_t from, const char *needle)
{
	size_t n = 0;

	for (size_t i = from; i < r->n; i++)
		n += strstr(r->msg[i].text, needle) != NULL;
	return n;
}

/* Wait until a message from index from on contains needle; its index. */
static size_t nrx_wait(struct nrx *r, size_t from, const char *needle)
{
	uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;

	for (;;) {
		for (size_t i = from; i < r->n; i++)
			if (strstr(r->msg[i].text, needle))
				return i;
		if (itest_now_ms() > end)
			break;
		nrx_poll(r, 50);
	}
	fprintf(stderr, "notify messages:\n");
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "  pid %d: %s\n", (int)r->msg[i].pid, r->msg[i].text);
	fail_msg("no notify message with '%s'", needle);
	return 0;
}

/* Every message came from pid: the unit's main process. */
static void nrx_assert_from(const struct nrx *r, pid_t pid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->msg[i].pid != pid)
			fail_msg("'%s' came from pid %d, not hostd's main process %d",
				 r->msg[i].text, (int)r->msg[i].pid, (int)pid);
}

/* ---- hostd as the unit starts it ------------------------------------------ */

/* hostd with argv (after the program), $NOTIFY_SOCKET and a watchdog of
 * watchdog_ms (0: none), stderr to log. */
static pid_t hostd_spawn(const char *const *args, int watchdog_ms, const char *log)
{
	const char *argv[24] = { ITEST_HOSTD, "--shadow", ITEST_SHADOW };
	size_t n = 3;
	char usec[32];
	pid_t pid;

	for (size_t i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	setenv("NOTIFY_SOCKET", nrx.path, 1);
	if (watchdog_ms) {
		snprintf(usec, sizeof(usec), "%llu", (unsigned long long)watchdog_ms * 1000);
		setenv("WATCHDOG_USEC", usec, 1);
	}
	pid = itest_spawn(argv, NULL, log);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	return pid;
}

/* Wait for hostd (our child) to exit, reading its notify socket. */
static int hostd_wait_exit(pid_t pid, int *ret_status)
{
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;;) {
		if (itest_wait_exit(pid, 0, ret_status) == 0)
			return 0;
		if (itest_now_ms() > end)
			return -ETIMEDOUT;
		pause_ms(10);
	}
}

static void hostd_term(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(hostd_wait_exit(pid, &status), 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("vmrpc-hostd: wait status 0x%x, expected exit 0", status);
}

static void need_root(void)
{
	if (geteuid() != 0) {
		printf("skipped: shadows of a configured VM run as its user, which takes root\n");
		skip();
	}
}

/* ---- loopback: STATUS= and the watchdog from the event loop ---------------- */

static void test_notify_loopback(void **state)
{
	const char *args[] = { "--loopback", ITEST_REGION, "--channels", "4", NULL };
	char log[PATH_MAX];
	struct vmrpc_region *r;
	struct vmrpc_chan *ch, *sib;
	size_t at;
	pid_t pid;

	(void)state;
	nrx_open(&nrx);
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	pid = hostd_spawn(args, 400, log);
	at = nrx_wait(&nrx, 0, "READY=1");
	nrx_wait(&nrx, 0, "STATUS=region 'it': 0 of 4 channels attached, 0 guest-sourced");
	/* 400 ms: pinged every 100 ms, from the loop. */
	for (uint64_t end = itest_now_ms() + 1000; itest_now_ms() < end;)
		nrx_poll(&nrx, 50);
	if (nrx_count(&nrx, at, "WATCHDOG=1") < 4)
		fail_msg("%zu watchdog pings in a second, expected about 10",
			 nrx_count(&nrx, at, "WATCHDOG=1"));

	/* A caller attached is in STATUS=, and gone once it left. */
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &ch), 0);
	at = nrx_wait(&nrx, at, "STATUS=region 'it': 1 of 4 channels attached");
	/* its sibling (served by the same shadow) is a channel attached too */
	itest_assert_err(vmrpc_chan_open_sibling(ch, 0, &sib), 0);
	at = nrx_wait(&nrx, at, "STATUS=region 'it': 2 of 4 channels attached");
	vmrpc_chan_close(sib);
	at = nrx_wait(&nrx, at, "STATUS=region 'it': 1 of 4 channels attached");
	vmrpc_chan_close(ch);
	vmrpc_region_close(r);
	at = nrx_wait(&nrx, at, "STATUS=region 'it': 0 of 4 channels attached");

	/* SIGHUP without a configuration file: nothing to reload, still serving. */
	assert_int_equal(kill(pid, SIGHUP), 0);
	itest_wait_file_has(log, "SIGHUP: nothing to reload");
	hostd_term(pid);
	nrx_poll(&nrx, 0);
	nrx_wait(&nrx, at, "STOPPING=1");
	nrx_assert_from(&nrx, pid);
	nrx_close(&nrx);
}

/* ---- a configuration file ------------------------------------------------- */

/* One ivshmem-plain VM's section: its shm file in the test's directory. */
static int vm_section(char *buf, size_t size, const char *name, const char *extra)
{
	return snprintf(buf, size,
			"[vm %s]\ntransport = ivshmem-plain\nshm-file = %s/%s.shm\n"
			"shm-size = 4M\nchannels = 4\nuser = 65534\n%s",
			name, itest_dir(), name, extra);
}

static void write_conf(const char *path, const char *a_extra, const char *b_extra)
{
	char text[4096];
	int n = 0;

	if (a_extra)
		n += vm_section(text + n, sizeof(text) - (size_t)n, "a", a_extra);
	if (b_extra)
		n += vm_section(text + n, sizeof(text) - (size_t)n, "b", b_extra);
	itest_write_file(path, text, (size_t)n);
}

/* The supervisor's VM processes: its children (the test's subreaper adopts
 * nothing here: they are the supervisor's own). */
static int vm_procs(pid_t sup, pid_t *ret_pids, int max)
{
	return itest_proc_children(sup, ret_pids, max);
}

static void test_notify_config(void **state)
{
	char conf[PATH_MAX], log[PATH_MAX];
	const char *args[] = { "--config", conf, NULL };
	pid_t pid, vm[4];
	size_t at, pings;

	(void)state;
	need_root();
	nrx_open(&nrx);
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	write_conf(conf, "", "");
	pid = hostd_spawn(args, 400, log);
	at = nrx_wait(&nrx, 0, "READY=1");
	/* Once: when every VM serves. */
	assert_true(itest_file_has(log, "vm 'a': serving") && itest_file_has(log, "vm 'b': serving"));
	nrx_wait(&nrx, 0, "STATUS=2 VMs; vm 'a': 0 of 4 channels attached");
	nrx_wait(&nrx, 0, "; vm 'b': 0 of 4 channels attached");
	assert_int_equal(vm_procs(pid, vm, 4), 2);

	/* Pinged while every VM's process pings; not while one is stuck. */
	for (uint64_t end = itest_now_ms() + 1000; itest_now_ms() < end;)
		nrx_poll(&nrx, 50);
	if (nrx_count(&nrx, at, "WATCHDOG=1") < 2)
		fail_msg("%zu watchdog pings in a second, expected about 5",
			 nrx_count(&nrx, at, "WATCHDOG=1"));
	assert_int_equal(kill(vm[1], SIGSTOP), 0);
	itest_wait_file_has(log, "watchdog: a VM's hostd did not ping in time");
	/* a ping it sent just before it stopped may still be counted once */
	for (uint64_t end = itest_now_ms() + 300; itest_now_ms() < end;)
		nrx_poll(&nrx, 50);
	pings = nrx_count(&nrx, 0, "WATCHDOG=1");
	for (uint64_t end = itest_now_ms() + 1000; itest_now_ms() < end;)
		nrx_poll(&nrx, 50);
	assert_int_equal(nrx_count(&nrx, 0, "WATCHDOG=1"), pings);
	assert_int_equal(kill(vm[1], SIGCONT), 0);
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;
	     nrx_count(&nrx, 0, "WATCHDOG=1") == pings;) {
		if (itest_now_ms() > end)
			fail_msg("no watchdog ping after the VM's hostd went on");
		nrx_poll(&nrx, 50);
	}

	hostd_term(pid);
	nrx_poll(&nrx, 0);
	nrx_wait(&nrx, at, "STOPPING=1");
	assert_int_equal(nrx_count(&nrx, 0, "READY=1"), 1);
	nrx_assert_from(&nrx, pid);
	nrx_close(&nrx);
}

/* A guest caller of VM name, played through its shm file: reports its
 * shadow's pid, waits for the test's word, calls once more, detaches. */
static int guest_main(int rd, int wr, void *arg)
{
	const char *name = arg;
	char region[PATH_MAX + 8];
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	int32_t pid;
	int64_t go;

	snprintf(region, sizeof(region), "file:%s/%s.shm", itest_dir(), name);
	ITEST_CHECK_EQ(vmrpc_guest_attach(region, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, NULL, NULL, NULL)) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

/* A guest that only tries to attach; reports what that returned. */
static int guest_try_main(int rd, int wr, void *arg)
{
	const char *name = arg;
	char region[PATH_MAX + 8];
	struct vmrpc_guest g;
	int err;

	(void)rd;
	snprintf(region, sizeof(region), "file:%s/%s.shm", itest_dir(), name);
	err = vmrpc_guest_attach(region, &g);
	if (err == 0)
		vmrpc_guest_detach(&g);
	ITEST_CHECK(itest_send(wr, err) == 0);
	return 0;
}

/* RLIMIT_NOFILE of a process, from /proc. */
static long proc_nofile(pid_t pid)
{
	char path[64], *text, *line;
	long soft = -1;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	text = itest_read_file(path, NULL);
	line = text ? strstr(text, "Max open files") : NULL;
	if (line)
		sscanf(line + strlen("Max open files"), "%ld", &soft);
	free(text);
	return soft;
}

static void test_reload(void **state)
{
	char conf[PATH_MAX], log[PATH_MAX], shm_b[PATH_MAX];
	const char *args[] = { "--config", conf, NULL };
	struct itest_child c1, c2, c3;
	pid_t pid, vm[4], sh1, sh2;
	struct stat st;
	size_t at;

	(void)state;
	need_root();
	nrx_open(&nrx);
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	snprintf(shm_b, sizeof(shm_b), "%s/b.shm", itest_dir());
	write_conf(conf, "limit-nofile = 256\n", NULL);
	pid = hostd_spawn(args, 0, log);
	at = nrx_wait(&nrx, 0, "READY=1");

	/* A caller of a, under the limits it started with. */
	itest_child_start(&c1, guest_main, "a");
	sh1 = (pid_t)itest_expect(&c1);
	assert_int_equal(proc_nofile(sh1), 256);

	/* b added, a's limit changed: b starts; a's next shadow gets 512,
	 * the running one keeps 256. */
	write_conf(conf, "limit-nofile = 512\n", "");
	assert_int_equal(kill(pid, SIGHUP), 0);
	at = nrx_wait(&nrx, at + 1, "RELOADING=1");
	itest_wait_file_has(log, "reload: vm 'b' added: starting");
	itest_wait_file_has(log, "vm 'a': reloaded ");
	itest_wait_file_has(log, "limit-nofile 256 -> 512 (for new shadows and callers)");
	itest_wait_file_has(log, "vm 'b': serving");
	assert_int_equal(stat(shm_b, &st), 0);
	nrx_wait(&nrx, at, "STATUS=2 VMs; vm 'a': 1 of 4 channels attached");
	itest_child_start(&c2, guest_main, "a");
	sh2 = (pid_t)itest_expect(&c2);
	assert_int_equal(proc_nofile(sh2), 512);
	assert_int_equal(proc_nofile(sh1), 256);
	itest_send(c2.to_child, 1);
	assert_int_equal(itest_expect(&c2), 0);
	assert_int_equal(itest_child_wait(&c2), 0);

	/* A mistake: nothing changes, and the log says why. */
	itest_write_file(conf, "[vm a]\nbogus = 1\n", 17);
	assert_int_equal(kill(pid, SIGHUP), 0);
	itest_wait_file_has(log, ":2: unknown key 'bogus'; the running configuration stays");
	assert_int_equal(vm_procs(pid, vm, 4), 2);

	/* a removed: it takes no new caller, serves the one it has, and its
	 * process exits once that one is gone; b goes on. */
	write_conf(conf, NULL, "");
	assert_int_equal(kill(pid, SIGHUP), 0);
	itest_wait_file_has(log, "reload: vm 'a' removed: draining");
	itest_wait_file_has(log, "vm 'a': no longer configured: draining");
	itest_child_start(&c3, guest_try_main, "a");
	assert_true(itest_expect(&c3) < 0);
	assert_int_equal(itest_child_wait(&c3), 0);
	assert_int_equal(vm_procs(pid, vm, 4), 2);
	itest_send(c1.to_child, 1);
	assert_int_equal(itest_expect(&c1), 0);
	assert_int_equal(itest_child_wait(&c1), 0);
	itest_wait_file_has(log, "vm 'a': drained: no caller is left");
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS; vm_procs(pid, vm, 4) != 1;) {
		if (itest_now_ms() > end)
			fail_msg("vm 'a''s hostd did not exit once drained");
		pause_ms(10);
	}
	nrx_wait(&nrx, at, "STATUS=1 VM; vm 'b': 0 of 4 channels attached");

	hostd_term(pid);
	nrx_assert_from(&nrx, pid);
	nrx_close(&nrx);
}

/* The process holding an flock(2) on path, from /proc/locks; 0 if none. */
static pid_t flock_holder(const char *path)
{
	char *locks = itest_read_file("/proc/locks", NULL), *line;
	struct stat st;
	pid_t pid = 0;

	assert_int_equal(stat(path, &st), 0);
	for (line = locks; line && *line && !pid;) {
		char *nl = strchr(line, '\n');
		unsigned maj, min;
		unsigned long long ino;
		int p;

		if (nl)
			*nl = '\0';
		if (strstr(line, "FLOCK") &&
		    sscanf(strstr(line, "FLOCK"), "FLOCK %*s %*s %d %x:%x:%llu", &p, &maj, &min,
			   &ino) == 4 &&
		    ino == (unsigned long long)st.st_ino)
			pid = p;
		line = nl ? nl + 1 : NULL;
	}
	free(locks);
	return pid;
}

/* A VM's process of the supervisor's other than those known; 0 if none. */
static pid_t vm_proc_other_than(pid_t sup, const pid_t *known, int n_known)
{
	pid_t pids[8];
	int n = vm_procs(sup, pids, 8);

	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int j = 0; j < n_known; j++)
			seen |= pids[i] == known[j];
		if (!seen)
			return pids[i];
	}
	return 0;
}

/* A VM's hostd process that dies is started again and adopts the VM's
 * region (a doorbell VM's sealed memfd, which QEMU has mapped) from the
 * supervisor's copy of the fd store; the other VM's process goes on. One
 * that keeps failing is given up. */
static void test_vm_restart(void **state)
{
	char conf[PATH_MAX], log[PATH_MAX], text[4 * PATH_MAX], want[128];
	const char *args[] = { "--config", conf, NULL };
	pid_t pid, a, b, again;
	int n;

	(void)state;
	need_root();
	nrx_open(&nrx);
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(log, sizeof(log), "%s/hostd.log", itest_dir());
	n = snprintf(text, sizeof(text),
		     "[vm a]\nsocket = %s/a.sock\nshm-size = 4M\nchannels = 4\nuser = 65534\n",
		     itest_dir());
	vm_section(text + n, sizeof(text) - (size_t)n, "b", "");
	itest_write_file(conf, text, strlen(text));
	pid = hostd_spawn(args, 0, log);
	nrx_wait(&nrx, 0, "READY=1");
	itest_wait_file_has(log, "vm 'a': serving");
	itest_wait_file_has(log, "vm 'b': serving");
	/* a's process holds the flock on a's lock file (/proc/locks) */
	snprintf(text, sizeof(text), "%s/a.lock", itest_rt_dir());
	a = flock_holder(text);
	assert_true(a > 0);
	assert_int_equal(itest_proc_ppid(a), pid);
	b = vm_proc_other_than(pid, &a, 1);
	assert_true(b > 0);
	assert_int_equal(kill(a, SIGKILL), 0);
	snprintf(want, sizeof(want), "vm 'a': its hostd process %d failed (signal 9)", (int)a);
	itest_wait_file_has(log, want);
	itest_wait_file_has(log, "vm 'a': starting its hostd again");
	itest_wait_file_has(log, "vm 'a': adopted the region from the service manager's fd store");
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS; !(again = vm_proc_other_than(pid, &b, 1));) {
		if (itest_now_ms() > end)
			fail_msg("vm 'a' has no hostd process again");
		pause_ms(10);
	}
	assert_true(again != a);
	assert_int_equal(itest_proc_ppid(b), pid); /* b's went on */

	/* Failing again and again: given up after 5 restarts in a minute. */
	for (int i = 1; i <= 5; i++) {
		pid_t now_a;

		for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;
		     !(now_a = vm_proc_other_than(pid, &b, 1));) {
			if (itest_now_ms() > end)
				fail_msg("vm 'a' was not started again (%d)", i);
			pause_ms(10);
		}
		assert_int_equal(kill(now_a, SIGKILL), 0);
		for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS; itest_proc_state(now_a);) {
			if (itest_now_ms() > end)
				fail_msg("vm 'a''s killed process %d was not reaped", (int)now_a);
			pause_ms(10);
		}
	}
	itest_wait_file_has(log, "vm 'a': its hostd failed 6 times within 60 s: not starting it again "
			   "until vmrpc-hostd reloads or restarts");
	pause_ms(200);
	assert_int_equal(vm_proc_other_than(pid, &b, 1), 0);
	assert_int_equal(itest_proc_ppid(b), pid);
	/* a reload tries again */
	assert_int_equal(kill(pid, SIGHUP), 0);
	itest_wait_file_has(log, "reload: vm 'a' is not running: starting");
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS; !vm_proc_other_than(pid, &b, 1);) {
		if (itest_now_ms() > end)
			fail_msg("a reload did not start vm 'a' again");
		pause_ms(10);
	}
	itest_wait_file_has(log, "vm 'a': serving");
	nrx_wait(&nrx, 0, "STATUS=2 VMs");

	/* The unit's stop says it failed: a VM is down. */
	{
		int status;

		assert_int_equal(kill(pid, SIGTERM), 0);
		if (hostd_wait_exit(pid, &status) < 0) {
			char *got = itest_read_file(log, NULL);

			fprintf(stderr, "hostd's log:\n%s\n", got);
			free(got);
			fail_msg("hostd did not stop within %d ms", ITEST_DEADLINE_MS);
		}
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	}
	nrx_assert_from(&nrx, pid);
	nrx_close(&nrx);
}

/* ---- --check and conflicting options --------------------------------------- */

static void expect_run(const char *const *args, int code, const char *out_has,
		       const char *err_has)
{
	const char *argv[24] = { ITEST_HOSTD, "--shadow", ITEST_SHADOW };
	char *out, *err;
	size_t n = 3;
	int status;

	for (size_t i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	status = itest_run(argv, &out, &err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code ||
	    (out_has && !strstr(out, out_has)) || (err_has && !strstr(err, err_has)))
		fail_msg("vmrpc-hostd %s %s: wait status 0x%x, stdout \"%s\", stderr \"%s\"; "
			 "expected exit %d, \"%s\" and \"%s\"", args[0], args[1] ? args[1] : "",
			 status, out, err, code, out_has ? out_has : "", err_has ? err_has : "");
	free(out);
	free(err);
}

static void test_check(void **state)
{
	char conf[PATH_MAX], text[PATH_MAX + 64], shm[PATH_MAX];
	struct stat st;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(shm, sizeof(shm), "%s/a.shm", itest_dir());
	write_conf(conf, "", "");
	{
		const char *a[] = { "--check", "--config", conf, NULL };
		expect_run(a, 0, "hostd.conf: good", NULL);
	}
	{
		const char *a[] = { "--check", "--config", conf, NULL };
		expect_run(a, 0, "vm 'b': ivshmem-plain on ", NULL);
	}
	{
		const char *a[] = { "-t", "--config", conf, "--vm", "b", NULL };
		expect_run(a, 0, "good", NULL);
	}
	/* It checks; it serves nothing. */
	assert_int_equal(stat(shm, &st), -1);
	{
		const char *a[] = { "--check", "--loopback", ITEST_REGION, NULL };
		expect_run(a, 0, "region 'it': good", NULL);
	}
	/* What only shows when shadows start: their working directory. */
	snprintf(text, sizeof(text), "shadow-cwd = %s/nonexistent\n", itest_dir());
	write_conf(conf, text, NULL);
	{
		const char *a[] = { "--check", "--config", conf, NULL };
		expect_run(a, 1, NULL, "vm 'a': shadows could not start");
	}
	itest_write_file(conf, "[vm a]\nbogus = 1\n", 17);
	{
		const char *a[] = { "--check", "--config", conf, NULL };
		expect_run(a, 2, NULL, ":2: unknown key 'bogus'");
	}
}

static void test_conflicting_options(void **state)
{
	char conf[PATH_MAX];

	(void)state;
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	write_conf(conf, "", NULL);
	{
		const char *a[] = { "--config", conf, "--channels", "8", NULL };
		expect_run(a, 2, NULL, "--channels conflicts with --config");
	}
	{
		const char *a[] = { "--limit-nofile", "64", "--config", conf, NULL };
		expect_run(a, 2, NULL, "set 'limit-nofile' in its [vm NAME] sections instead");
	}
	{
		const char *a[] = { "--config", conf, "--owner", ":0", NULL };
		expect_run(a, 2, NULL, "--owner conflicts with --config");
	}
	{
		const char *a[] = { "--config", conf, "--mode", "0660", "--check", NULL };
		expect_run(a, 2, NULL, "--mode conflicts with --config");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_loopback, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_notify_config, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_reload, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_vm_restart, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_check, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_conflicting_options, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_service", tests, NULL, NULL);
}
