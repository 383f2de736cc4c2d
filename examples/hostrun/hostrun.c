/* SPDX-License-Identifier: MIT */
/*
 * hostrun: run a program on the host from the guest, its stdin, stdout and
 * stderr streamed to and from this process's, and exit as it did:
 *
 *	hostrun uname -a                      # the host's kernel
 *	tar cf - dir | hostrun tar xf - -C /srv/in   # a guest|host pipe
 *	hostrun -C /var/log grep -c error syslog | wc -l
 *
 * A dual-OS program on libvmrpc-guest (include/vmrpc/hostcall.h): the
 * program runs in this caller's shadow (hostproc.spawn) with three host
 * pipes as its stdio; hostrun pumps them with host calls. One channel
 * serves one call at a time, so no call may block: hostrun's ends of the
 * pipes are O_NONBLOCK and an idle hostrun polls them with a back-off
 * (50 us up to 2 ms: output starts at most that late, and an idle hostrun
 * makes ~1500 cheap calls a second).
 *
 * Exit status: the program's; killed by a signal, hostrun kills itself with
 * the same signal (no core file); hostrun's own failures exit 125 (usage,
 * attach) or 127 (the program could not be started: not found, not
 * executable). SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and
 * SIGWINCH sent to hostrun are sent on to the program. A closed stdout
 * (hostrun ... | head -1) closes the program's stdout: it gets SIGPIPE as
 * it would in a local pipeline.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/hostcall.h"

#define HOSTRUN_BUF (64u << 10)
#define HOSTRUN_ENV_MAX 256
#define HOSTRUN_IDLE_MIN_US 50
#define HOSTRUN_IDLE_MAX_US 2000
#define HOSTRUN_EXIT_FAIL 125
#define HOSTRUN_EXIT_NOEXEC 127

extern char **environ;

static char hostrun_out_buf[HOSTRUN_BUF], hostrun_in_buf[HOSTRUN_BUF];

static const int hostrun_forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
					 SIGUSR1, SIGUSR2, SIGWINCH };
static volatile sig_atomic_t hostrun_pending[NSIG];

static void hostrun_on_signal(int sig)
{
	hostrun_pending[sig] = 1;
}

/* One stream between a guest descriptor and a host pipe end. */
struct stream {
	int gfd;   /* the guest side: 0, 1 or 2 */
	int32_t hfd; /* the host pipe end, -1 once closed */
	char *buf;   /* stdin only: bytes read from the guest, not yet written */
	size_t len, off;
	int guest_eof;
};

static void host_close(struct vmrpc_host *h, struct stream *s)
{
	if (s->hfd >= 0)
		hostfs_close(&h->fs, s->hfd);
	s->hfd = -1;
}

/* Host -> guest: whatever the pipe holds now. 1 if bytes moved. */
static int pump_out(struct vmrpc_host *h, struct stream *s, char *buf)
{
	int64_t n;
	int err;

	if (s->hfd < 0)
		return 0;
	n = vmrpc_host_read(h, s->hfd, buf, HOSTRUN_BUF);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) { /* end of file: the program and its children closed it */
		if (n < 0)
			fprintf(stderr, "hostrun: host %s: %s\n", s->gfd == 1 ? "stdout" : "stderr",
				vmrpc_strerror((int)n));
		host_close(h, s);
		return 1;
	}
	err = vmrpc_write_all(s->gfd, buf, (size_t)n);
	if (err < 0) {
		/* Our reader is gone (EPIPE) or the descriptor fails: the
		 * program's next write meets a closed pipe, as it would here. */
		if (err != -EPIPE)
			fprintf(stderr, "hostrun: %s: %s\n", s->gfd == 1 ? "stdout" : "stderr",
				strerror(-err));
		host_close(h, s);
	}
	return 1;
}

/* Guest -> host: read what our stdin has ready, write what the pipe takes. */
static int pump_in(struct vmrpc_host *h, struct stream *s)
{
	int moved = 0;

	if (s->hfd < 0)
		return 0;
	if (s->off == s->len && !s->guest_eof) {
		struct pollfd p = { .fd = s->gfd, .events = POLLIN };
		if (poll(&p, 1, 0) == 1) {
			ssize_t n = (p.revents & POLLNVAL) ? 0 : read(s->gfd, s->buf, HOSTRUN_BUF);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				return 0;
			if (n <= 0) {
				if (n < 0)
					fprintf(stderr, "hostrun: stdin: %s\n", strerror(errno));
				s->guest_eof = 1;
			}
			s->off = 0;
			s->len = n > 0 ? (size_t)n : 0;
			moved = 1;
		}
	}
	if (s->off < s->len) {
		int64_t n = vmrpc_host_write(h, s->hfd, s->buf + s->off, s->len - s->off);
		if (n == -EAGAIN)
			return moved;
		if (n < 0) { /* EPIPE: the program closed its stdin; the rest is dropped */
			s->off = s->len;
			s->guest_eof = 1;
		} else {
			s->off += (size_t)n;
		}
		moved = 1;
	}
	if (s->guest_eof && s->off == s->len)
		host_close(h, s); /* the program sees end of file */
	return moved;
}

static void forward_signals(struct vmrpc_host *h, int32_t pid)
{
	for (size_t i = 0; i < sizeof(hostrun_forwarded) / sizeof(hostrun_forwarded[0]); i++) {
		int sig = hostrun_forwarded[i];
		if (hostrun_pending[sig]) {
			hostrun_pending[sig] = 0;
			hostproc_kill(&h->proc, pid, sig);
		}
	}
}

static void idle_sleep(unsigned *us)
{
	struct timespec ts = { .tv_nsec = (long)*us * 1000 };

	nanosleep(&ts, NULL); /* a forwarded signal cuts it short */
	*us = *us * 2 > HOSTRUN_IDLE_MAX_US ? HOSTRUN_IDLE_MAX_US : *us * 2;
}

/* Die of the program's signal, as a shell would see it; 128 + sig if the
 * signal does not end hostrun (a stopped-signal, say). */
static void __attribute__((noreturn)) mirror_signal(int sig)
{
	struct rlimit none = { 0, 0 };
	sigset_t set;

	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	exit(128 + sig);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostrun [-C HOSTDIR] [-E] [-e NAME=VALUE]... [--] PROGRAM [ARG]...\n"
		   "Run PROGRAM on the host through vmrpc host calls, with this process's\n"
		   "stdin, stdout and stderr, and exit with its status.\n"
		   "  -C HOSTDIR     run it in host directory HOSTDIR\n"
		   "  -E             pass this process's whole environment\n"
		   "                 (default: only PATH=/usr/local/bin:/usr/bin:/bin)\n"
		   "  -e NAME=VALUE  add (or replace) one environment variable\n"
		   "The region is $VMRPC_REGION (default 'default').\n");
}

int main(int argc, char **argv)
{
	char *env[HOSTRUN_ENV_MAX + 2];
	char **envsrc = env;
	int nenv = 0, c, status = 0, all_env = 0;
	const char *dir = "";
	struct stream in = { .gfd = 0 }, out = { .gfd = 1 }, err = { .gfd = 2 };
	char *packed_argv = NULL, *packed_env = NULL, *buf = hostrun_out_buf;
	size_t argv_len = 0, env_len = 0;
	struct vmrpc_host *h;
	int32_t p[3][2], pid, r;
	unsigned idle_us = HOSTRUN_IDLE_MIN_US;
	struct sigaction sa = { .sa_handler = hostrun_on_signal };

	env[nenv++] = "PATH=/usr/local/bin:/usr/bin:/bin";
	while ((c = getopt(argc, argv, "+C:Ee:h")) != -1) {
		switch (c) {
		case 'C':
			dir = optarg;
			break;
		case 'E':
			all_env = 1;
			break;
		case 'e':
			if (!strchr(optarg, '=') || nenv == HOSTRUN_ENV_MAX) {
				fprintf(stderr, "hostrun: -e %s: want NAME=VALUE (at most %d)\n",
					optarg, HOSTRUN_ENV_MAX);
				return HOSTRUN_EXIT_FAIL;
			}
			env[nenv++] = optarg;
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : HOSTRUN_EXIT_FAIL;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "hostrun: no program named (hostrun -h for help)\n");
		return HOSTRUN_EXIT_FAIL;
	}
	if (all_env) { /* environ, then the -e additions, which win (execve: the last) */
		int n = 0;
		while (environ[n])
			n++;
		envsrc = malloc(sizeof(char *) * (size_t)(n + nenv + 1));
		if (!envsrc)
			return HOSTRUN_EXIT_FAIL;
		memcpy(envsrc, environ, sizeof(char *) * (size_t)n);
		memcpy(envsrc + n, env + 1, sizeof(char *) * (size_t)(nenv - 1));
		nenv = n + nenv - 1;
	}
	r = vmrpc_strv_pack(argv + optind, (size_t)(argc - optind), &packed_argv, &argv_len);
	if (r == 0)
		r = vmrpc_strv_pack(envsrc, (size_t)nenv, &packed_env, &env_len);
	in.buf = hostrun_in_buf;
	if (envsrc != env)
		free(envsrc);
	if (r < 0 || argv_len > HOSTPROC_STRINGS_MAX || env_len > HOSTPROC_STRINGS_MAX) {
		fprintf(stderr, "hostrun: arguments or environment too large (at most %u bytes)\n",
			HOSTPROC_STRINGS_MAX);
		free(packed_argv);
		free(packed_env);
		return HOSTRUN_EXIT_FAIL;
	}

	r = vmrpc_host_attach(NULL, &h);
	if (r < 0) {
		char why[1024];

		free(packed_argv);
		free(packed_env);
		vmrpc_region_explain(vmrpc_guest_default_region(), r, why, sizeof(why));
		fprintf(stderr, "hostrun: region '%s': %s\n", vmrpc_guest_default_region(), why);
		return HOSTRUN_EXIT_FAIL;
	}
	for (int i = 0; i < 3; i++) {
		/* Only our ends are non-blocking (the flag belongs to the
		 * open file description: the program's ends block as usual). */
		r = hostproc_pipe(&h->proc, 0, &p[i][0], &p[i][1]);
		if (r == 0)
			r = hostfs_fcntl(&h->fs, p[i][i == 0], F_SETFL, O_NONBLOCK);
		if (r < 0) {
			fprintf(stderr, "hostrun: host pipe: %s\n", vmrpc_strerror(r));
			vmrpc_host_detach(h);
			free(packed_argv);
			free(packed_env);
			return HOSTRUN_EXIT_FAIL;
		}
	}
	/* Handlers before the program exists: a signal between spawn and the
	 * loop is forwarded, not lost. SIGPIPE: a closed stdout is an EPIPE
	 * that pump_out() hands on to the program. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(hostrun_forwarded) / sizeof(hostrun_forwarded[0]); i++)
		sigaction(hostrun_forwarded[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid = hostproc_spawn(&h->proc, argv[optind], packed_argv, (uint32_t)argv_len,
			     (uint32_t)(argc - optind), packed_env, (uint32_t)env_len,
			     (uint32_t)nenv, dir, p[0][0], p[1][1], p[2][1]);
	free(packed_argv);
	free(packed_env);
	/* The program has its ends; ours are the others. */
	hostfs_close(&h->fs, p[0][0]);
	hostfs_close(&h->fs, p[1][1]);
	hostfs_close(&h->fs, p[2][1]);
	in.hfd = p[0][1];
	out.hfd = p[1][0];
	err.hfd = p[2][0];
	if (pid < 0) {
		fprintf(stderr, "hostrun: host:%s%s%s: %s\n", *dir ? dir : "", *dir ? ": " : "",
			argv[optind], vmrpc_strerror(pid));
		vmrpc_host_detach(h);
		return pid == -ENOENT || pid == -EACCES || pid == -ENOEXEC ? HOSTRUN_EXIT_NOEXEC
									   : HOSTRUN_EXIT_FAIL;
	}

	for (;;) {
		int moved;

		forward_signals(h, pid);
		moved = pump_out(h, &out, buf);
		moved |= pump_out(h, &err, buf);
		moved |= pump_in(h, &in);
		if (moved) {
			idle_us = HOSTRUN_IDLE_MIN_US;
			continue;
		}
		/* Done once the program is gone and its output drained (a
		 * child it left behind may keep the pipes open: we stop at
		 * its parent's exit, as ssh does not, but a shell does). */
		r = hostproc_wait(&h->proc, pid, WNOHANG, &status);
		if (r == pid) {
			/* What it wrote last; bounded, in case a child it left
			 * behind keeps writing. */
			for (int i = 0; i < 64 && (pump_out(h, &out, buf) | pump_out(h, &err, buf));
			     i++)
				;
			break;
		}
		if (r < 0) {
			fprintf(stderr, "hostrun: host pid %d: %s\n", pid, vmrpc_strerror(r));
			vmrpc_host_detach(h);
			return HOSTRUN_EXIT_FAIL;
		}
		idle_sleep(&idle_us);
	}
	vmrpc_host_detach(h);
	if (WIFSIGNALED(status))
		mirror_signal(WTERMSIG(status));
	return WEXITSTATUS(status);
}
