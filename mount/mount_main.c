/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-mount SOURCE MOUNTPOINT [-o OPTIONS]: mount a tree the other side
 * exports (vmrpc-mount(8), docs/mount.md). In a guest, SOURCE host:NAME is
 * the host's export NAME, served by this process's own shadow; NAME may be
 * the export's path instead, and either may go on with /SUB, a directory
 * in the export.
 *
 * The channel belongs to the process that attached it (hostd watches that
 * pid), so the process goes to the background before it attaches: the
 * parent waits on a pipe until the child mounted, or says why it could not,
 * and exits with that status. mount(8) and fstab get an answer, never a
 * mount that fails later.
 *
 * Called as mount.vmrpc (mount -t vmrpc, fstab), it takes mount(8)'s
 * helper arguments (SOURCE DIR [-sfnv] [-o OPTIONS]) and leaves out the
 * options that are mount(8)'s own (defaults, noauto, _netdev, x-*, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "mount.h"

static bool mnt_use_syslog;

void mnt_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (mnt_use_syslog) {
		vsyslog(LOG_ERR, fmt, ap);
	} else {
		fputs("vmrpc-mount: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmrpc-mount [OPTIONS] host:NAME MOUNTPOINT   (in a guest)\n"
		"       vmrpc-mount [OPTIONS] VM:NAME MOUNTPOINT     (on the host)\n"
		"Mount the host's export NAME (hostd's export and export-ro) on MOUNTPOINT,\n"
		"served by this guest caller's shadow on the host; or, on the host, the guest\n"
		"tree the VM's vmrpc-guestd exports as NAME (guestd.conf's export). NAME may\n"
		"be the export's path instead (host:/srv/data), and either may go on with\n"
		"/SUB, a directory in the export (host:data/src).\n"
		"\n"
		"  -o ro                 read-only (an export-ro mounts read-only anyway)\n"
		"  -o cache=none|auto|always\n"
		"                        none: nothing cached, every access goes to the host;\n"
		"                        auto (default): attributes and names for 1 s, file\n"
		"                        pages until the file's mtime or size changes;\n"
		"                        always: everything for a day (what the serving side\n"
		"                        changes is pushed, see vmrpc-mount(8))\n"
		"  -o writeback          with cache=auto or always: writes go to the page cache\n"
		"                        and reach the serving side later, in large pieces\n"
		"  -o region=NAME        host:NAME: the vmrpc region (default: $VMRPC_REGION,\n"
		"                        else default)\n"
		"  -o threads=N          FUSE worker threads at most (default 8)\n"
		"  -o channels=N         channels to the shadow at most (default 4)\n"
		"  -o spin=NS            how long a request spins for its reply before it\n"
		"                        sleeps (default 0: FUSE's threads and the kernel\n"
		"                        need the CPUs more than a spinning caller does)\n"
		"  -o OPT                other FUSE mount options (allow_other, ...)\n"
		"  -f                    stay in the foreground\n"
		"  -d                    FUSE debug output (implies -f)\n"
		"  -h, --help            this help\n"
		"      --version         the version\n"
		"\n"
		"SIGTERM, SIGINT or umount(8) unmount it. If hostd or the shadow goes away\n"
		"the mount ends: programs using it get EIO, never a hang.\n");
}

enum { KEY_HELP, KEY_FOREGROUND, KEY_DEBUG, KEY_RO, KEY_WRITEBACK, KEY_DISCARD };

struct mnt_opts {
	char *cache;
	char *region;
	unsigned int threads;
	unsigned int channels;
	unsigned int spin;
};

/* fuse_opt_parse() stores through offsets into the same struct it hands
 * to the callback. */
struct mnt_parse {
	struct mnt_opts o;
	struct mnt *m;
	bool help;
};

#define MNT_OPT(t, p) { t, offsetof(struct mnt_parse, o.p), 1 }

static const struct fuse_opt mnt_fuse_opts[] = {
	MNT_OPT("cache=%s", cache),
	MNT_OPT("region=%s", region),
	MNT_OPT("threads=%u", threads),
	MNT_OPT("channels=%u", channels),
	MNT_OPT("spin=%u", spin),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("writeback", KEY_WRITEBACK),
	/* mount(8)'s helper flags: fake, sloppy, no mtab, verbose */
	FUSE_OPT_KEY("-n", KEY_DISCARD),
	FUSE_OPT_KEY("-s", KEY_DISCARD),
	FUSE_OPT_KEY("-v", KEY_DISCARD),
	FUSE_OPT_END
};

/* Options mount(8) and fstab use for themselves, not for the kernel. */
static bool mount8_option(const char *opt)
{
	static const char *const own[] = {
		"defaults", "auto", "noauto", "_netdev", "nofail", "user", "users", "nouser",
		"owner", "group", "rw",
	};

	if (!strncmp(opt, "x-", 2) || !strncmp(opt, "comment=", 8))
		return true;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(opt, own[i]))
			return true;
	return false;
}

static int mnt_opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct mnt_parse *p = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		p->help = true;
		return 0;
	case KEY_FOREGROUND:
		p->m->foreground = true;
		return 0;
	case KEY_DEBUG:
		p->m->foreground = true;
		return 1; /* FUSE's too */
	case KEY_RO:
		p->m->read_only = true;
		return 1; /* the kernel's mount flag too */
	case KEY_WRITEBACK:
		p->m->writeback = true;
		return 0;
	case KEY_DISCARD:
		return 0;
	case FUSE_OPT_KEY_OPT:
		return mount8_option(arg) ? 0 : 1;
	case FUSE_OPT_KEY_NONOPT:
		if (!p->m->source) {
			p->m->source = arg;
			return 0;
		}
		if (!p->m->mountpoint) {
			p->m->mountpoint = arg;
			return 0;
		}
		fprintf(stderr, "vmrpc-mount: unexpected argument '%s'\n", arg);
		return -1;
	default:
		return 1;
	}
}

/* "host:NAME" -> NAME; "VM:NAME" -> VM and NAME (NAME: name or path, /SUB). */
static int parse_source(struct mnt *m)
{
	static char vm[128];
	const char *colon = strchr(m->source, ':');

	if (!colon || colon == m->source || !colon[1] ||
	    (size_t)(colon - m->source) >= sizeof(vm)) {
		fprintf(stderr, "vmrpc-mount: '%s' is neither host:NAME nor VM:NAME\n",
			m->source);
		return -EINVAL;
	}
	if ((size_t)(colon - m->source) != 4 || strncmp(m->source, "host", 4)) {
		memcpy(vm, m->source, (size_t)(colon - m->source));
		vm[colon - m->source] = '\0';
		m->vm = vm;
	}
	/* NAME, NAME/SUB, /PATH or /PATH/SUB: the serving side resolves it */
	m->export = colon + 1;
	if (strlen(m->export) > VFS_SOURCE_MAX) {
		fprintf(stderr, "vmrpc-mount: '%s' is longer than %u bytes\n", m->export,
			VFS_SOURCE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The child tells the parent how the mount went: one byte, 0 or an exit
 * status, then a message. */
static void report(int fd, int status, const char *msg)
{
	char buf[1024];
	size_t n;

	if (fd < 0) {
		if (status)
			fprintf(stderr, "vmrpc-mount: %s\n", msg);
		return;
	}
	buf[0] = (char)status;
	n = (size_t)snprintf(buf + 1, sizeof(buf) - 1, "%s", msg ? msg : "");
	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	(void)!write(fd, buf, n + 1);
	close(fd);
}

static int wait_child(pid_t pid, int fd)
{
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int status;

	if (n <= 0) {
		waitpid(pid, &status, 0);
		fprintf(stderr, "vmrpc-mount: the mount process ended before mounting\n");
		return 1;
	}
	buf[n] = '\0';
	if (buf[0]) {
		fprintf(stderr, "vmrpc-mount: %s\n", buf + 1);
		waitpid(pid, &status, 0);
	}
	return (unsigned char)buf[0];
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static struct mnt m = { .cache = MNT_CACHE_AUTO };
	struct mnt_parse p = { .o = { .threads = 8, .channels = 4, .spin = UINT_MAX }, .m = &m };
	struct mnt_opts o;
	struct fuse_loop_config *loop;
	char msg[512], fsname[128];
	int status = 1, report_fd = -1, err;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		/* vmrpc-mount, or mount.vmrpc as mount(8) knows it */
		const char *name = strrchr(argv[0], '/');

		printf("%s %s\n", name ? name + 1 : argv[0], VMRPC_VERSION);
		return 0;
	}
	if (fuse_opt_parse(&args, &p, mnt_fuse_opts, mnt_opt_proc) < 0) {
		status = 2;
		goto out_args;
	}
	o = p.o;
	if (p.help) {
		usage(stdout);
		status = 0;
		goto out_args;
	}
	if (!m.source || !m.mountpoint) {
		usage(stderr);
		status = 2;
		goto out_args;
	}
	if (parse_source(&m) < 0) {
		status = 2;
		goto out_args;
	}
	if (!o.cache || !strcmp(o.cache, "auto")) {
		m.cache = MNT_CACHE_AUTO;
		m.timeout = 1.0;
	} else if (!strcmp(o.cache, "none")) {
		m.cache = MNT_CACHE_NONE;
		m.timeout = 0;
	} else if (!strcmp(o.cache, "always")) {
		m.cache = MNT_CACHE_ALWAYS;
		m.timeout = 86400.0;
	} else {
		fprintf(stderr, "vmrpc-mount: cache=%s: not none, auto or always\n", o.cache);
		status = 2;
		goto out_args;
	}
	if (m.writeback && m.cache == MNT_CACHE_NONE) {
		fprintf(stderr, "vmrpc-mount: writeback needs a page cache: not with cache=none\n");
		status = 2;
		goto out_args;
	}
	m.region = o.region;
	m.threads = o.threads ? o.threads : 1;
	m.channels = o.channels < 1 ? 1 : o.channels > MNT_CHANS_MAX ? MNT_CHANS_MAX : o.channels;
	/* Measured on 2 CPUs (docs/benchmarks.md): a mount whose requests
	 * spin is slower than one whose requests sleep at once. */
	if (o.spin != UINT_MAX)
		m.spin_ns = o.spin;
	else if (getenv("VMRPC_SPIN_NS"))
		m.spin_ns = UINT32_MAX; /* leave libvmrpc's, which reads it */
	else
		m.spin_ns = 0;
	snprintf(fsname, sizeof(fsname), "-ofsname=%s,subtype=vmrpc", m.source);
	if (fuse_opt_add_arg(&args, fsname) < 0 ||
	    (geteuid() == 0 && fuse_opt_add_arg(&args, "-odefault_permissions,allow_other") < 0))
		goto out_args;

	if (!m.foreground) {
		int pfd[2];
		pid_t pid;

		if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
			perror("vmrpc-mount: fork");
			goto out_args;
		}
		if (pid > 0) {
			close(pfd[1]);
			status = wait_child(pid, pfd[0]);
			goto out_args;
		}
		close(pfd[0]);
		report_fd = pfd[1];
		setsid();
	}

	err = mnt_connect(&m, msg, sizeof(msg));
	if (err < 0) {
		report(report_fd, 1, msg);
		goto out_args;
	}
	mnt_more_channels(&m);
	m.se = fuse_session_new(&args, &mnt_ops, sizeof(mnt_ops), &m);
	if (!m.se) {
		report(report_fd, 1, "FUSE options (see vmrpc-mount -h)");
		goto out_disconnect;
	}
	if (fuse_set_signal_handlers(m.se) < 0) {
		report(report_fd, 1, "cannot set signal handlers");
		goto out_session;
	}
	if (fuse_session_mount(m.se, m.mountpoint) < 0) {
		snprintf(msg, sizeof(msg), "cannot mount on %s (see the messages above; /dev/fuse "
			 "and fusermount3 must be usable)", m.mountpoint);
		report(report_fd, 1, msg);
		goto out_signals;
	}
	if (report_fd >= 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		mnt_use_syslog = true;
		openlog("vmrpc-mount", LOG_PID, LOG_DAEMON);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		(void)chdir("/");
		report(report_fd, 0, NULL);
	}
	(void)mnt_watch_start(&m);
	loop = fuse_loop_cfg_create();
	if (!loop) {
		mnt_log("out of memory");
	} else {
		fuse_loop_cfg_set_max_threads(loop, m.threads);
		err = fuse_session_loop_mt(m.se, loop);
		fuse_loop_cfg_destroy(loop);
		/* A signal's number when one ended it: that is a clean end. */
		status = atomic_load(&m.lost) || err < 0;
	}
	mnt_watch_stop(&m);
	fuse_session_unmount(m.se);
out_signals:
	fuse_remove_signal_handlers(m.se);
out_session:
	fuse_session_destroy(m.se);
out_disconnect:
	mnt_disconnect(&m);
out_args:
	fuse_opt_free_args(&args);
	free(p.o.cache); /* fuse_opt's copies of the %s options */
	free(p.o.region);
	return status;
}
