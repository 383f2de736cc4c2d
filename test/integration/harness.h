/* SPDX-License-Identifier: MIT */
/*
 * Integration test harness: the real vmrpc-hostd binary, real vmrpc-shadow
 * processes, real caller processes, real shared memory.
 *
 * Every test runs between itest_setup() and itest_teardown():
 *   - a fresh mkdtemp directory (itest_dir()) holding the runtime directory
 *     (VMRPC_RUNTIME_DIR, itest_rt_dir()) and the test's own files;
 *   - VMRPC_REGION=ITEST_REGION, so vmrpc_guest_attach(NULL) finds hostd;
 *   - the test process is a child subreaper: a shadow orphaned by hostd
 *     becomes our child, so "nothing left behind" can be checked;
 *   - an alarm() watchdog kills everything the test started and exits 124.
 * teardown kills and reaps whatever is still running, fails the test if a
 * hostd, a shadow or any other process was left behind, and removes the
 * directory.
 *
 * Helpers that can fail fail the current test through cmocka's assert_*().
 * Code running in a forked child must not use them: use ITEST_CHECK().
 */
#ifndef VMRPC_TEST_INTEGRATION_HARNESS_H
#define VMRPC_TEST_INTEGRATION_HARNESS_H

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmrpc/guest.h"
#include "vmrpc/vmrpc.h"

#define ITEST_REGION "it"
/* How long anything that should happen may take on a slow, noisy machine
 * (2 CPUs, sanitizers, other tests running): long enough never to fire when
 * things work, short enough that a hang fails the test. */
#define ITEST_DEADLINE_MS 10000
/* One test function (setup to teardown) may not take longer than this. */
#ifndef ITEST_WATCHDOG_S
#define ITEST_WATCHDOG_S 100
#endif
/* A forked child kills itself after this long (alarm, default action). */
#define ITEST_CHILD_WATCHDOG_S 90

/* Paths of the binaries under test, from CMake. */
#ifndef ITEST_HOSTD
#error "ITEST_HOSTD must be defined"
#endif

int itest_setup(void **state);
int itest_teardown(void **state);
const char *itest_dir(void);    /* the test's temp directory */
const char *itest_rt_dir(void); /* its runtime directory (VMRPC_RUNTIME_DIR) */

uint64_t itest_now_ms(void);
uint64_t itest_rand(void);
/* Write a file (creating it, mode 0644) and assert it worked. */
void itest_write_file(const char *path, const void *data, size_t len);
/* Read a whole file; malloc'd, NUL-terminated, *ret_len without the NUL. */
char *itest_read_file(const char *path, size_t *ret_len);
/* Does the file exist and contain needle? */
int itest_file_has(const char *path, const char *needle);
/* Wait (at most ITEST_DEADLINE_MS) until it does; fail with what it holds. */
void itest_wait_file_has(const char *path, const char *needle);

/* ---- vmrpc-hostd ----------------------------------------------------- */

struct itest_hostd {
	pid_t pid;    /* 0 when not running */
	int status;   /* wait status once it exited */
	char log_path[PATH_MAX];
	unsigned n;   /* which hostd of this test (log file hostd-<n>.log) */
};

/* Start vmrpc-hostd --loopback ITEST_REGION --shadow <vmrpc-shadow> plus
 * the NULL-terminated extra arguments, stderr to a log file, and wait until
 * it reports READY=1 through $NOTIFY_SOCKET and its socket exists. Like
 * systemd, the harness keeps the descriptors a hostd stores (FDSTORE=1)
 * and passes them to the next hostd of the test ($LISTEN_FDS). */
void itest_hostd_start(struct itest_hostd *h, ...);
void itest_hostd_startv(struct itest_hostd *h, const char *const *extra);
/* Forget the stored descriptors (a service manager that lost them); how
 * many there are. */
void itest_fdstore_clear(void);
int itest_fdstore_count(void);
/* From now on, every hostd this test starts joins, before its exec, the
 * cgroup whose cgroup.procs file is procs_path (NULL: the test's own). */
void itest_hostd_set_cgroup(const char *procs_path);
/* SIGTERM, and assert it exits with status 0 within the deadline, leaving
 * no child behind and its socket removed. */
void itest_hostd_stop(struct itest_hostd *h);
/* Whether it still runs (asserts nothing). */
int itest_hostd_alive(struct itest_hostd *h);

/* Run vmrpc-hostd with exactly argv[1..] (NULL-terminated) to completion
 * (within the deadline); its stderr is returned malloc'd in *ret_stderr.
 * Returns the wait status. */
int itest_hostd_run(const char *const *args, char **ret_stderr);

/* hostd's log so far, malloc'd. */
char *itest_log(const struct itest_hostd *h);
/* Lines of the log containing every one of the NULL-terminated needles. */
int itest_log_count(const struct itest_hostd *h, ...);
/* Wait until at least count lines contain every needle; assert it. */
void itest_log_wait(const struct itest_hostd *h, int count, ...);

/* ---- processes --------------------------------------------------------- */

/* /proc/<pid>/stat: parent pid, state letter; 0 if the process is gone. */
pid_t itest_proc_ppid(pid_t pid);
char itest_proc_state(pid_t pid);
/* /proc/<pid>/comm into buf; "" if gone. */
void itest_proc_comm(pid_t pid, char *buf, size_t size);
/* Children of parent, up to max; returns how many. */
int itest_proc_children(pid_t parent, pid_t *ret_pids, int max);
/* Wait until pid no longer exists at all (reaped, not a zombie). */
int itest_wait_gone(pid_t pid, int timeout_ms);
/* Wait until pid sleeps inside one of the system calls nrs (SYS_*). */
int itest_wait_in_syscall(pid_t pid, const long *nrs, size_t n_nrs, int timeout_ms);
/* Wait until pid sleeps in read(2) on a pipe or FIFO. */
int itest_wait_blocked_in_read(pid_t pid, int timeout_ms);
/* Wait for our child pid to exit and reap it: 0 and *ret_status, or
 * -ETIMEDOUT (the child is left running). */
int itest_wait_exit(pid_t pid, int timeout_ms, int *ret_status);

/* ---- caller processes ---------------------------------------------------- */

/* A forked child running fn(rd, wr, arg): rd reads what the test sends,
 * wr writes to the test. The child's exit status is fn's return value. Only
 * fds 0-2 and the two pipe ends (3 and 4) stay open in it. */
struct itest_child {
	pid_t pid;
	int to_child;   /* the test writes here */
	int from_child; /* the test reads here */
	int status;     /* wait status once reaped */
};

typedef int (*itest_child_fn)(int rd, int wr, void *arg);

void itest_child_start(struct itest_child *c, itest_child_fn fn, void *arg);
/* Wait for the child to exit (asserting it does within the deadline) and
 * return its exit status; -signal if it was killed by a signal. */
int itest_child_wait(struct itest_child *c);
/* SIGKILL it and reap it. */
void itest_child_kill(struct itest_child *c);

/* Start argv[0] (a path) with argv, stdout and stderr to the given files
 * (NULL: /dev/null), in the test's environment. Registered for cleanup;
 * wait for it with itest_wait_exit(). */
pid_t itest_spawn(const char *const *argv, const char *out_path, const char *err_path);

/* ---- vmrpc-guestd ----------------------------------------------------------- */

struct itest_guestd {
	pid_t pid;
	char log[PATH_MAX];
};

/* Start vmrpc-guestd on the test's region with the policy file text conf
 * (NULL: none), stderr to guestd-N.log, and wait until it serves. */
void itest_guestd_start(struct itest_guestd *g, const char *conf);
/* SIGTERM, and assert it exits with status 0 within the deadline. */
void itest_guestd_stop(struct itest_guestd *g);
/* Spawn and wait (asserting it ends within the deadline); returns the wait
 * status and the output, malloc'd, in *ret_out and *ret_err (if not NULL). */
int itest_run(const char *const *argv, char **ret_out, char **ret_err);

/* One int64 over a pipe. itest_recv: 0, -ETIMEDOUT, or -EPIPE at EOF. */
int itest_send(int fd, int64_t v);
int itest_recv(int fd, int64_t *ret_v, int timeout_ms);
/* The test side: receive one value or fail the test. */
int64_t itest_expect(struct itest_child *c);

/* In a forked child: report a failed check on stderr and exit 99. */
#define ITEST_CHECK(cond)                                                             \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "child %d: %s:%d: check failed: %s\n",       \
				(int)getpid(), __FILE__, __LINE__, #cond);            \
			_exit(99);                                                    \
		}                                                                     \
	} while (0)

#define ITEST_CHECK_EQ(a, b)                                                          \
	do {                                                                          \
		long long itest_a_ = (long long)(a), itest_b_ = (long long)(b);      \
		if (itest_a_ != itest_b_) {                                           \
			fprintf(stderr, "child %d: %s:%d: check failed: %s == %s "      \
				"(%lld != %lld: %s)\n",                                 \
				(int)getpid(), __FILE__, __LINE__, #a, #b, itest_a_,  \
				itest_b_, vmrpc_strerror((int)itest_a_));            \
			_exit(99);                                                    \
		}                                                                     \
	} while (0)

/* Assert that a vmrpc result equals the expected one, printing both as text. */
#define itest_assert_err(got, want)                                                   \
	do {                                                                          \
		long long itest_g_ = (long long)(got), itest_w_ = (long long)(want); \
		if (itest_g_ != itest_w_)                                             \
			fail_msg("%s = %lld (%s), expected %lld (%s)", #got, itest_g_,  \
				 vmrpc_strerror((int)itest_g_), itest_w_,              \
				 vmrpc_strerror((int)itest_w_));                       \
	} while (0)

/* A legitimate caller, in a child, beside whatever a test does to hostd or
 * the region: it calls hostcalls.identity until stopped and counts every
 * answer that is not its own shadow's pid, and every failure. */
struct itest_checker {
	struct itest_child c;
	uint32_t chan;  /* its channel */
	pid_t shadow;   /* its shadow */
};

void itest_checker_start(struct itest_checker *k);
/* The same as uid:gid uid (setuid before it attaches; needs root). */
void itest_checker_start_as(struct itest_checker *k, uid_t uid);
/* Stop it and assert it made calls, every one answered by its own shadow. */
void itest_checker_stop(struct itest_checker *k);

/* In a caller child: attach, open the FIFO fifo through the host (so that a
 * read on it blocks in the shadow), and send the channel index, then the
 * shadow's pid, on wr. Returns the host fd; exits the child on failure. */
int32_t itest_caller_open_fifo(const char *fifo, int wr, struct vmrpc_guest *ret_guest,
			       struct vmrpc_binding *ret_hc);

#endif /* VMRPC_TEST_INTEGRATION_HARNESS_H */
