/* SPDX-License-Identifier: MIT */
/* fork + exec with an errno report (spawn_exec.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn_exec.h"

/* The child keeps its report end at this number or above, out of the way of
 * the low numbers a setup gives its program. */
#define SPAWN_EXEC_REPORT_FD_MIN 10

/* In the child: say where it failed, with errno, and end. */
static void __attribute__((noreturn)) spawn_exec_fail_child(int report, int step)
{
	struct spawn_exec_fail f = { .step = step, .err = errno };

	if (write(report, &f, sizeof(f)) < 0) {
		/* the parent sees end of file and a status of 127 */
	}
	_exit(127);
}

/* In the child: only async-signal-safe calls from here to the exec. */
static void __attribute__((noreturn)) spawn_exec_child(const struct spawn_exec *se, pid_t parent,
							int report)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int step;

	report = fcntl(report, F_DUPFD_CLOEXEC, SPAWN_EXEC_REPORT_FD_MIN);
	if (report < 0)
		_exit(127);
	if (se->die_with_parent) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			spawn_exec_fail_child(report, SPAWN_EXEC_PARENT);
		if (getppid() != parent) /* gone already: nobody reads the report */
			_exit(127);
	}
	/* Handlers are reset by the exec, ignored signals are not. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* glibc's own signals: EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (se->setup && (step = se->setup(se->arg)) != 0)
		spawn_exec_fail_child(report, step);
	if (se->close_from >= 0) {
		if (report > se->close_from)
			syscall(SYS_close_range, (unsigned)se->close_from, (unsigned)report - 1, 0);
		syscall(SYS_close_range,
			(unsigned)(report < se->close_from ? se->close_from : report + 1), ~0u, 0);
	}
	if (se->search && !strchr(se->path, '/'))
		execvpe(se->path, se->argv, se->envp);
	else
		execve(se->path, se->argv, se->envp);
	spawn_exec_fail_child(report, SPAWN_EXEC_EXEC);
}

static int spawn_exec_failed(struct spawn_exec_fail *ret_fail, int step, int err)
{
	if (ret_fail)
		*ret_fail = (struct spawn_exec_fail){ .step = step, .err = err };
	return -err;
}

int spawn_exec(const struct spawn_exec *se, int *ret_pidfd, struct spawn_exec_fail *ret_fail)
{
	struct spawn_exec_fail f;
	pid_t parent = getpid(), pid;
	int rep[2], pidfd = -1, err;
	ssize_t n;

	if (pipe2(rep, O_CLOEXEC) < 0)
		return spawn_exec_failed(ret_fail, SPAWN_EXEC_PIPE, errno);
	pid = fork();
	if (pid == 0) {
		close(rep[0]);
		spawn_exec_child(se, parent, rep[1]);
	}
	err = errno;
	close(rep[1]);
	if (pid < 0) {
		close(rep[0]);
		return spawn_exec_failed(ret_fail, SPAWN_EXEC_FORK, err);
	}
	/* The report is read whole: a signal (a cancel) must not pass for the
	 * end of file that says the exec happened. */
	do
		n = read(rep[0], &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(rep[0]);
	if (n == (ssize_t)sizeof(f)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return spawn_exec_failed(ret_fail, f.step, f.err ? f.err : EIO);
	}
	if (ret_pidfd) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd < 0) {
			err = errno;
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			return spawn_exec_failed(ret_fail, SPAWN_EXEC_PIDFD, err);
		}
		*ret_pidfd = pidfd;
	}
	return pid;
}
