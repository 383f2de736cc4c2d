/* SPDX-License-Identifier: MIT */
/*
 * Per-caller containment with cgroups (cgroup.h). The layouts met in the
 * wild, found from /proc/self/mountinfo and /proc/self/cgroup, never from
 * fixed paths:
 *
 *  - cgroup v2 with the pids and memory controllers (a systemd host). Under
 *    a unit with Delegate=yes, hostd's own cgroup D is ours (systemd marks it
 *    with the trusted.delegate xattr): hostd moves its processes into the
 *    leaf D/hostd (no process may sit in a cgroup whose controllers are
 *    handed down) and makes D/<name>-<pid>/shadow-<chan>-<n>. A root hostd
 *    run by hand makes <mount>/vmrpc-hostd/<name>-<pid>/... instead of
 *    writing into a session scope that is systemd's.
 *  - hybrid: v1 controllers (pids, memory) on a tmpfs plus a cgroup2
 *    hierarchy without controllers. Membership and cgroup.kill come from
 *    the cgroup2 tree as above; the limits from twin groups in the v1 pids
 *    and memory hierarchies, under hostd's own v1 cgroups.
 *  - none usable: the fallback, a shadow's session (see cg_kill_session).
 *
 * Everything a shadow starts is its descendant, so it is born into the
 * shadow's groups: the shadow joins them itself between fork and exec
 * (cgroup_group_enter) and nothing it does happens outside them.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"

/* Where a delegated hostd keeps its own processes. */
#define CG_LEAF "hostd"
/* The subtree a root hostd not run by a delegating unit makes for itself. */
#define CG_OWN "vmrpc-hostd"
/* How long a removal may wait for killed processes to exit. */
#define CG_REMOVE_WAIT_MS 200

enum { CG_PIDS, CG_MEM, CG_NCTL };
static const char *const cg_ctl_name[CG_NCTL] = { "pids", "memory" };

struct cg_mount {
	char point[PATH_MAX];
	char root[PATH_MAX];
};

/* What this process sees: mounts and its own cgroups. */
struct cg_layout {
	int have_v2;
	struct cg_mount v2;
	char self_v2[PATH_MAX];
	int have_self_v2;
	int have_v1[CG_NCTL];
	struct cg_mount v1[CG_NCTL];
	char self_v1[CG_NCTL][PATH_MAX];
	int have_self_v1[CG_NCTL];
};

struct cgroup_group {
	struct cgroup_group *next;
	uint32_t chan;
	int released;            /* the shadow was reaped: remove at a sweep */
	char *dir;               /* the cgroup2 group; NULL in the fallback */
	char *v1[CG_NCTL];       /* hybrid: the v1 twins holding the limits */
	char *procs[1 + CG_NCTL + 1]; /* cgroup.procs files to join, NULL-terminated */
};

struct cgroup_tree {
	char label[96];
	int contained;
	char *dir;               /* cgroup2: this server's subtree */
	int v2_ctl[CG_NCTL];     /* the limit is set in the cgroup2 group */
	char *v1_dir[CG_NCTL];   /* hybrid: this server's v1 subtrees */
	struct cgroup_limits lim; /* in effect: defaults and --limit-nproc resolved */
	uint64_t seq;
	struct cgroup_group *groups; /* every group not yet removed */
};

/* ---- files ----------------------------------------------------------- */

static int cg_join(const char *dir, const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", dir, name) >= (int)size ? -ENAMETOOLONG : 0;
}

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	int fd, err = 0;

	if (cg_join(dir, file, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* A limit write may reclaim and checks for signals while it does; in
	 * hostd, io_uring's task work counts as one (TIF_NOTIFY_SIGNAL), so a
	 * write can fail with EINTR with nothing to handle: write it again. */
	for (int tries = 0;; tries++) {
		if (write(fd, val, len) == (ssize_t)len)
			break;
		err = -errno;
		if (err != -EINTR || tries == 100)
			break;
		err = 0;
	}
	close(fd);
	return err;
}

static int cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (cg_join(dir, file, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return (int)n;
}

/* The number after "key " in a flat keyed file (pids.events, memory.events). */
static int cg_read_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
	char buf[4096], *p = buf;
	size_t kl = strlen(key);

	if (!dir || cg_read(dir, file, buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			*ret = strtoull(p + kl + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

/* word in a list separated by spaces, commas or newlines. */
static int cg_has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ,\n");
		if (n == wl && !strncmp(p, word, wl))
			return 1;
		p += n;
		p += strspn(p, " ,\n");
	}
	return 0;
}

static int cg_delegated(const char *dir)
{
	static const char *const names[] = { "trusted.delegate", "user.delegate" };
	char v[8];

	for (size_t i = 0; i < 2; i++)
		if (getxattr(dir, names[i], v, sizeof(v)) == 1 && v[0] == '1')
			return 1;
	return 0;
}

static void cg_sleep_ms(int ms)
{
	struct timespec ts = { .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void cg_fmt_limit(uint64_t v, int bytes, char *buf, size_t size)
{
	if (v == CGROUP_LIMIT_MAX)
		snprintf(buf, size, "max");
	else if (bytes && v >= (1ull << 30) && !(v & ((1ull << 30) - 1)))
		snprintf(buf, size, "%" PRIu64 " GiB", v >> 30);
	else if (bytes && v >= (1ull << 20) && !(v & ((1ull << 20) - 1)))
		snprintf(buf, size, "%" PRIu64 " MiB", v >> 20);
	else
		snprintf(buf, size, "%" PRIu64 "%s", v, bytes ? " bytes" : "");
}

/* ---- the layout -------------------------------------------------------- */

static void cg_parse_mountinfo(struct cg_layout *l)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, root[PATH_MAX], point[PATH_MAX], fstype[64], super[512];
	size_t cap = 0;

	if (!f)
		return;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, super) != 2)
			continue;
		if (!strcmp(fstype, "cgroup2")) {
			if (l->have_v2 && strcmp(point, "/sys/fs/cgroup"))
				continue;
			l->have_v2 = 1;
			snprintf(l->v2.point, sizeof(l->v2.point), "%s", point);
			snprintf(l->v2.root, sizeof(l->v2.root), "%s", root);
		} else if (!strcmp(fstype, "cgroup")) {
			for (int c = 0; c < CG_NCTL; c++) {
				if (l->have_v1[c] || !cg_has_word(super, cg_ctl_name[c]))
					continue;
				l->have_v1[c] = 1;
				snprintf(l->v1[c].point, sizeof(l->v1[c].point), "%s", point);
				snprintf(l->v1[c].root, sizeof(l->v1[c].root), "%s", root);
			}
		}
	}
	free(line);
	fclose(f);
}

/* Lines "HIERARCHY:CONTROLLERS:PATH"; cgroup2's is "0::PATH". */
static void cg_parse_self(struct cg_layout *l)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *ctls = strchr(line, ':'), *path;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!ctls || !(path = strchr(ctls + 1, ':')))
			continue;
		*path++ = '\0';
		*ctls++ = '\0';
		if (!strcmp(line, "0") && !*ctls) {
			snprintf(l->self_v2, sizeof(l->self_v2), "%s", path);
			l->have_self_v2 = 1;
			continue;
		}
		for (int c = 0; c < CG_NCTL; c++) {
			if (!cg_has_word(ctls, cg_ctl_name[c]))
				continue;
			snprintf(l->self_v1[c], sizeof(l->self_v1[c]), "%s", path);
			l->have_self_v1[c] = 1;
		}
	}
	free(line);
	fclose(f);
}

/* A cgroup path as /proc shows it, as a directory of the mount m. */
static int cg_dir_of(const struct cg_mount *m, const char *cgpath, char *buf, size_t size)
{
	const char *rest = cgpath;
	size_t rl = strlen(m->root);

	if (strcmp(m->root, "/")) {
		if (strncmp(cgpath, m->root, rl) || (cgpath[rl] && cgpath[rl] != '/'))
			return -ENOENT; /* mounted from below our own cgroup */
		rest = cgpath + rl;
	}
	if (!strcmp(rest, "/"))
		rest = "";
	return snprintf(buf, size, "%s%s", m->point, rest) >= (int)size ? -ENAMETOOLONG : 0;
}

/* ---- removal ------------------------------------------------------------- */

/* rmdir, waiting a little for killed processes to finish exiting. */
static int cg_rmdir_wait(const char *dir, int wait_ms)
{
	for (int waited = 0;; waited += 5) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || waited >= wait_ms)
			return -errno;
		cg_sleep_ms(5);
	}
}

/* Kill (cgroup2) and remove a group with its child groups, one level deep:
 * what a hostd killed with SIGKILL left. */
static int cg_remove_tree(const char *dir, int v2)
{
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int err = 0, r;

	if (v2)
		(void)cg_write(dir, "cgroup.kill", "1");
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
			    cg_join(dir, e->d_name, sub, sizeof(sub)) < 0)
				continue;
			r = cg_rmdir_wait(sub, CG_REMOVE_WAIT_MS);
			if (r < 0)
				err = r;
		}
		closedir(d);
	}
	r = cg_rmdir_wait(dir, CG_REMOVE_WAIT_MS);
	return r < 0 ? r : err;
}

/* base/<name>-<pid> of a hostd that is gone (killed with SIGKILL): its
 * shadows died with it, but what they started did not. Another hostd
 * running now (pid alive) is left alone. */
static void cg_clean_stale(const char *label, const char *base, int v2)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *dash = strrchr(e->d_name, '-');
		char *end;
		long pid;
		int err;

		if (e->d_type != DT_DIR || !dash || !isdigit((unsigned char)dash[1]))
			continue;
		pid = strtol(dash + 1, &end, 10);
		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		if (pid != getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		if (cg_join(base, e->d_name, dir, sizeof(dir)) < 0)
			continue;
		log_info("%s: removing cgroup %s, left by hostd pid %ld, which is gone", label, dir,
			 pid);
		err = cg_remove_tree(dir, v2);
		if (err < 0)
			log_warn("%s: cannot remove %s: %s", label, dir, strerror(-err));
	}
	closedir(d);
}

/* ---- setting up ----------------------------------------------------------- */

/* Hand down to dir's children the controllers we use that dir has. */
static int cg_enable(const char *dir)
{
	char have[512], on[512], word[16];
	int err;

	err = cg_read(dir, "cgroup.controllers", have, sizeof(have));
	if (err >= 0)
		err = cg_read(dir, "cgroup.subtree_control", on, sizeof(on));
	if (err < 0)
		return err;
	for (int c = 0; c < CG_NCTL; c++) {
		if (!cg_has_word(have, cg_ctl_name[c]) || cg_has_word(on, cg_ctl_name[c]))
			continue;
		snprintf(word, sizeof(word), "+%s", cg_ctl_name[c]);
		err = cg_write(dir, "cgroup.subtree_control", word);
		if (err < 0)
			return err;
	}
	return 0;
}

/* Delegated: move every process of base (hostd, and its parent when it
 * serves several VMs) into base/hostd, then hand the controllers down. A
 * process forked meanwhile can land in base again: try a few times. */
static int cg_leave_base(const char *base)
{
	char leaf[PATH_MAX];
	int err = 0;

	if (cg_join(base, CG_LEAF, leaf, sizeof(leaf)) < 0)
		return -ENAMETOOLONG;
	if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (int tries = 0; tries < 10; tries++) {
		char path[PATH_MAX + 16], pid[32];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.procs", base);
		f = fopen(path, "re");
		if (!f)
			return -errno;
		while (fscanf(f, "%31s", pid) == 1)
			(void)cg_write(leaf, "cgroup.procs", pid);
		fclose(f);
		err = cg_enable(base);
		if (err != -EBUSY)
			return err;
	}
	return err;
}

static int __attribute__((format(printf, 3, 4)))
cg_why(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EPERM;
}

static int cg_setup_v2(struct cgroup_tree *t, const struct cg_layout *l, const char *dir_name,
		       char *why, size_t size)
{
	char own[PATH_MAX], base[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], on[512];
	const char *slash;
	int err;

	if (!l->have_v2)
		return cg_why(why, size, "no cgroup2 hierarchy is mounted");
	if (!l->have_self_v2 || cg_dir_of(&l->v2, l->self_v2, own, sizeof(own)) < 0)
		return cg_why(why, size, "hostd's own cgroup2 group is not under %s",
			      l->v2.point);
	slash = strrchr(own, '/');
	snprintf(base, sizeof(base), "%.*s", (int)(slash - own), own); /* own's parent */
	if (cg_delegated(own)) {
		snprintf(base, sizeof(base), "%s", own);
		err = cg_leave_base(base);
		if (err < 0)
			return cg_why(why, size, "cannot move hostd into %s/%s of its delegated "
				      "cgroup: %s", own, CG_LEAF, strerror(-err));
	} else if (!strcmp(slash + 1, CG_LEAF) && cg_delegated(base)) {
		/* Moved there already, by another VM's hostd process. */
	} else if (geteuid() == 0) {
		if (cg_join(l->v2.point, CG_OWN, base, sizeof(base)) < 0)
			return -ENAMETOOLONG;
		(void)cg_enable(l->v2.point);
		if (mkdir(base, 0755) < 0 && errno != EEXIST)
			return cg_why(why, size, "cannot create %s: %s", base, strerror(errno));
		(void)cg_enable(base);
	} else {
		return cg_why(why, size, "hostd is not root and its cgroup %s is not delegated "
			      "to it (systemd: Delegate=yes)", own);
	}
	cg_clean_stale(t->label, base, 1);
	if (snprintf(dir, sizeof(dir), "%s/%s-%d", base, dir_name, (int)getpid()) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0)
		return cg_why(why, size, "cannot create %s: %s", dir, strerror(errno));
	/* Killing a whole group at once needs Linux 5.14. */
	if (cg_join(dir, "cgroup.kill", path, sizeof(path)) < 0 || access(path, W_OK) < 0) {
		rmdir(dir);
		return cg_why(why, size, "no writable cgroup.kill (Linux 5.14 or later)");
	}
	(void)cg_enable(dir);
	if (cg_read(dir, "cgroup.subtree_control", on, sizeof(on)) >= 0)
		for (int c = 0; c < CG_NCTL; c++)
			t->v2_ctl[c] = cg_has_word(on, cg_ctl_name[c]);
	t->dir = strdup(dir);
	return t->dir ? 0 : -ENOMEM;
}

/* Hybrid: the limit c lives in the v1 hierarchy, next to hostd's own group. */
static int cg_setup_v1(struct cgroup_tree *t, const struct cg_layout *l, int c,
		       const char *dir_name, char *why, size_t size)
{
	char own[PATH_MAX], base[PATH_MAX], dir[PATH_MAX];

	if (!l->have_v1[c] || !l->have_self_v1[c] ||
	    cg_dir_of(&l->v1[c], l->self_v1[c], own, sizeof(own)) < 0)
		return cg_why(why, size, "no %s controller, in cgroup2 or v1", cg_ctl_name[c]);
	if (cg_join(own, CG_OWN, base, sizeof(base)) < 0 ||
	    snprintf(dir, sizeof(dir), "%s/%s-%d", base, dir_name, (int)getpid()) >=
		    (int)sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(base, 0755) < 0 && errno != EEXIST)
		return cg_why(why, size, "cannot create %s: %s", base, strerror(errno));
	cg_clean_stale(t->label, base, 0);
	if (mkdir(dir, 0755) < 0)
		return cg_why(why, size, "cannot create %s: %s", dir, strerror(errno));
	t->v1_dir[c] = strdup(dir);
	return t->v1_dir[c] ? 0 : -ENOMEM;
}

static void cg_log_start(const struct cgroup_tree *t, const char *fallback_why, uint64_t nproc)
{
	char pids[32], mem[32], where[CG_NCTL][PATH_MAX + 16];

	if (!t->contained) {
		log_warn("%s: containment: no cgroups (%s); falling back to sessions: host "
			 "programs die with their shadow unless they leave its session, and "
			 "processes and memory are not bounded per caller%s",
			 t->label, fallback_why,
			 nproc ? " (--limit-nproc applies as RLIMIT_NPROC, per user)" : "");
		return;
	}
	cg_fmt_limit(t->lim.pids, 0, pids, sizeof(pids));
	cg_fmt_limit(t->lim.memory, 1, mem, sizeof(mem));
	for (int c = 0; c < CG_NCTL; c++) {
		if (t->v1_dir[c])
			snprintf(where[c], sizeof(where[c]), " (v1: %s)", t->v1_dir[c]);
		else if (t->v2_ctl[c])
			where[c][0] = '\0';
		else
			snprintf(where[c], sizeof(where[c]), " (not enforced: no %s controller)",
				 cg_ctl_name[c]);
	}
	log_info("%s: containment: a cgroup per shadow under %s, killed with it; pids.max %s%s, "
		 "memory.max %s%s", t->label, t->dir, pids, where[CG_PIDS], mem, where[CG_MEM]);
}

void cgroup_tree_set_limits(struct cgroup_tree *t, const struct cgroup_limits *limits,
			    uint64_t nproc)
{
	/* --limit-nproc meant "processes of one caller"; pids.max says that. */
	t->lim.pids = limits->pids ? limits->pids : nproc ? nproc : CGROUP_DEFAULT_PIDS;
	t->lim.memory = limits->memory ? limits->memory : CGROUP_DEFAULT_MEMORY;
}

int cgroup_tree_open(const char *label, const char *dir_name, const struct cgroup_limits *limits,
		     uint64_t nproc, struct cgroup_tree **ret_tree)
{
	const char *env = getenv("VMRPC_HOSTD_CGROUP");
	struct cgroup_tree *t = calloc(1, sizeof(*t));
	struct cg_layout *l = NULL;
	char why[PATH_MAX + 128] = "", v1_why[PATH_MAX + 128];
	int err = 0;

	if (!t)
		return -ENOMEM;
	snprintf(t->label, sizeof(t->label), "%s", label);
	cgroup_tree_set_limits(t, limits, nproc);
	if (env && !strcmp(env, "off")) {
		snprintf(why, sizeof(why), "VMRPC_HOSTD_CGROUP=off");
	} else {
		l = calloc(1, sizeof(*l));
		if (!l) {
			free(t);
			return -ENOMEM;
		}
		cg_parse_mountinfo(l);
		cg_parse_self(l);
		err = cg_setup_v2(t, l, dir_name, why, sizeof(why));
		for (int c = 0; err == 0 && c < CG_NCTL; c++) {
			int e = t->v2_ctl[c] ? 0 : cg_setup_v1(t, l, c, dir_name, v1_why,
								 sizeof(v1_why));
			if (e == -ENOMEM)
				err = e;
			else if (e < 0)
				log_warn("%s: containment: no %s limit: %s", label,
					 cg_ctl_name[c], v1_why);
		}
		free(l);
	}
	if (err == -ENOMEM) {
		cgroup_tree_close(t);
		return err;
	}
	if (err == -ENAMETOOLONG)
		snprintf(why, sizeof(why), "cgroup paths too long");
	t->contained = t->dir != NULL;
	cg_log_start(t, why, nproc);
	*ret_tree = t;
	return 0;
}

int cgroup_tree_contained(const struct cgroup_tree *t)
{
	return t && t->contained;
}

void cgroup_tree_rlimits(const struct cgroup_tree *t, const struct shadow_limits *in,
			 struct shadow_limits *ret_rlimits)
{
	*ret_rlimits = *in;
	if (cgroup_tree_contained(t) && (t->v2_ctl[CG_PIDS] || t->v1_dir[CG_PIDS]))
		ret_rlimits->nproc = 0;
}

/* ---- groups ---------------------------------------------------------------- */

static int cg_set_limit(const char *dir, int c, int v1, uint64_t v)
{
	char val[32];
	int err;

	if (v == CGROUP_LIMIT_MAX)
		snprintf(val, sizeof(val), c == CG_MEM && v1 ? "-1" : "max");
	else
		snprintf(val, sizeof(val), "%" PRIu64, v);
	if (c == CG_PIDS)
		return cg_write(dir, "pids.max", val);
	err = cg_write(dir, v1 ? "memory.limit_in_bytes" : "memory.max", val);
	if (err < 0)
		return err;
	/* Swap counts too, or the limit only moves memory to swap. The files
	 * exist only with swap accounting. */
	if (v1)
		(void)cg_write(dir, "memory.memsw.limit_in_bytes", val);
	else if (v != CGROUP_LIMIT_MAX)
		(void)cg_write(dir, "memory.swap.max", "0");
	return 0;
}

static int cg_add_procs(struct cgroup_group *g, const char *dir)
{
	size_t n = 0;
	char path[PATH_MAX];

	while (g->procs[n])
		n++;
	if (cg_join(dir, "cgroup.procs", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	g->procs[n] = strdup(path);
	return g->procs[n] ? 0 : -ENOMEM;
}

/* Remove what of g still exists: 0 once nothing does. */
static int cg_group_remove(struct cgroup_group *g)
{
	int err = 0;

	if (g->dir) {
		if (rmdir(g->dir) == 0 || errno == ENOENT) {
			free(g->dir);
			g->dir = NULL;
		} else {
			err = -errno;
		}
	}
	for (int c = 0; c < CG_NCTL; c++) {
		if (!g->v1[c])
			continue;
		if (rmdir(g->v1[c]) == 0 || errno == ENOENT) {
			free(g->v1[c]);
			g->v1[c] = NULL;
		} else if (!err) {
			err = -errno;
		}
	}
	return err;
}

static void cg_group_free(struct cgroup_group *g)
{
	free(g->dir);
	for (int c = 0; c < CG_NCTL; c++)
		free(g->v1[c]);
	for (size_t i = 0; g->procs[i]; i++)
		free(g->procs[i]);
	free(g);
}

static int cg_group_make(struct cgroup_tree *t, struct cgroup_group *g, char *why, size_t size)
{
	char name[64], dir[PATH_MAX];
	int err;

	snprintf(name, sizeof(name), "shadow-%u-%" PRIu64, g->chan, ++t->seq);
	if (cg_join(t->dir, name, dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0755) < 0) {
		err = -errno;
		snprintf(why, size, "cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	g->dir = strdup(dir);
	if (!g->dir)
		return -ENOMEM;
	err = cg_add_procs(g, dir);
	if (err < 0)
		return err;
	for (int c = 0; c < CG_NCTL; c++) {
		uint64_t v = c == CG_PIDS ? t->lim.pids : t->lim.memory;

		if (t->v2_ctl[c]) {
			err = cg_set_limit(dir, c, 0, v);
		} else if (t->v1_dir[c]) {
			if (cg_join(t->v1_dir[c], name, dir, sizeof(dir)) < 0)
				return -ENAMETOOLONG;
			if (mkdir(dir, 0755) < 0) {
				err = -errno;
				snprintf(why, size, "cannot create %s: %s", dir, strerror(errno));
				return err;
			}
			g->v1[c] = strdup(dir);
			if (!g->v1[c])
				return -ENOMEM;
			err = cg_add_procs(g, dir);
			if (err == 0)
				err = cg_set_limit(dir, c, 1, v);
		}
		if (err < 0) {
			snprintf(why, size, "cannot set the %s limit in %s: %s", cg_ctl_name[c],
				 dir, strerror(-err));
			return err;
		}
	}
	return 0;
}

int cgroup_group_new(struct cgroup_tree *t, uint32_t chan, struct cgroup_group **ret_group,
		     char *why, size_t why_size)
{
	struct cgroup_group *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->chan = chan;
	if (t->contained) {
		why[0] = '\0';
		err = cg_group_make(t, g, why, why_size);
		if (err < 0) {
			if (!why[0])
				snprintf(why, why_size, "%s", strerror(-err));
			(void)cg_group_remove(g);
			cg_group_free(g);
			return err;
		}
	}
	g->next = t->groups;
	t->groups = g;
	*ret_group = g;
	return 0;
}

int cgroup_group_enter(const struct cgroup_group *g)
{
	for (size_t i = 0; g && g->procs[i]; i++) {
		int fd = open(g->procs[i], O_WRONLY | O_CLOEXEC), err;

		if (fd < 0)
			return -errno;
		if (write(fd, "0", 1) != 1) {
			err = errno;
			close(fd);
			errno = err;
			return -err;
		}
		close(fd);
	}
	return 0;
}

int cgroup_group_adopt(const struct cgroup_group *g, pid_t pid)
{
	char val[32], *slash;
	int err;

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; g && g->procs[i]; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s", g->procs[i]);
		slash = strrchr(dir, '/');
		*slash = '\0';
		err = cg_write(dir, "cgroup.procs", val);
		if (err < 0)
			return err;
	}
	return 0;
}

/* The fallback's group: the session the shadow began (spawn_child and a
 * forked shadow call setsid()). Host programs stay in it unless they call
 * setsid() themselves, and hostd, a child subreaper, inherits the ones
 * whose parents died, so nothing but /proc lists them all. A few passes
 * catch what was forked between reading and killing. */
static void cg_kill_session(pid_t sid)
{
	for (int pass = 0; pass < 4; pass++) {
		struct dirent *e;
		DIR *d = opendir("/proc");
		int found = 0;

		if (!d)
			return;
		while ((e = readdir(d))) {
			char path[64], buf[512], *p, state;
			int pid, session, fd;
			ssize_t n;

			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			pid = atoi(e->d_name);
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = '\0';
			/* "pid (comm) S ppid pgrp session ...": comm may hold anything */
			p = strrchr(buf, ')');
			if (!p || sscanf(p + 1, " %c %*d %*d %d", &state, &session) != 2)
				continue;
			if (session != sid || state == 'Z' || state == 'X' || pid == getpid())
				continue;
			kill(pid, SIGKILL);
			found = 1;
		}
		closedir(d);
		if (!found)
			return;
	}
}

void cgroup_group_kill(const struct cgroup_group *g, pid_t leader)
{
	int err;

	if (!g)
		return;
	if (!g->dir) {
		if (leader > 0)
			cg_kill_session(leader);
		return;
	}
	err = cg_write(g->dir, "cgroup.kill", "1");
	if (err < 0)
		log_err("cannot kill cgroup %s: %s", g->dir, strerror(-err));
}

/* Say which limit stopped the caller's processes: a fork that failed or a
 * process the kernel killed is otherwise only an EAGAIN or a SIGKILL. */
static void cg_group_report(const struct cgroup_tree *t, const struct cgroup_group *g)
{
	const char *pids_dir = t->v2_ctl[CG_PIDS] ? g->dir : g->v1[CG_PIDS];
	char lim[32];
	uint64_t n = 0;

	if (cg_read_key(pids_dir, "pids.events", "max", &n) == 0 && n) {
		cg_fmt_limit(t->lim.pids, 0, lim, sizeof(lim));
		log_warn("%s: channel %u: the caller's processes reached pids.max %s (limit-pids): "
			 "%" PRIu64 " fork%s failed", t->label, g->chan, lim, n, n == 1 ? "" : "s");
	}
	n = 0;
	if ((t->v2_ctl[CG_MEM] ? cg_read_key(g->dir, "memory.events", "oom_kill", &n)
			       : cg_read_key(g->v1[CG_MEM], "memory.oom_control", "oom_kill",
					     &n)) == 0 && n) {
		cg_fmt_limit(t->lim.memory, 1, lim, sizeof(lim));
		log_warn("%s: channel %u: the caller's processes reached memory.max %s "
			 "(limit-memory): %" PRIu64 " process%s OOM-killed", t->label, g->chan, lim,
			 n, n == 1 ? "" : "es");
	}
}

static void cg_unlink(struct cgroup_tree *t, struct cgroup_group *g)
{
	for (struct cgroup_group **p = &t->groups; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			return;
		}
	}
}

void cgroup_group_release(struct cgroup_tree *t, struct cgroup_group *g)
{
	if (!g)
		return;
	if (g->dir)
		cg_group_report(t, g);
	g->released = 1;
	if (cg_group_remove(g) == 0) {
		cg_unlink(t, g);
		cg_group_free(g);
	}
}

unsigned cgroup_tree_sweep(struct cgroup_tree *t)
{
	struct cgroup_group *g, *next;
	unsigned left = 0;

	for (g = t ? t->groups : NULL; g; g = next) {
		next = g->next;
		if (!g->released)
			continue;
		if (cg_group_remove(g) == 0) {
			cg_unlink(t, g);
			cg_group_free(g);
		} else {
			left++;
		}
	}
	return left;
}

void cgroup_tree_kill_all(struct cgroup_tree *t)
{
	int err;

	if (!t || !t->dir)
		return;
	/* cgroup.kill takes the whole subtree, groups of any channel. */
	err = cg_write(t->dir, "cgroup.kill", "1");
	if (err < 0)
		log_err("%s: cannot kill cgroup %s: %s", t->label, t->dir, strerror(-err));
}

void cgroup_tree_close(struct cgroup_tree *t)
{
	struct cgroup_group *g;

	if (!t)
		return;
	cgroup_tree_kill_all(t);
	while ((g = t->groups)) {
		t->groups = g->next;
		for (int waited = 0; cg_group_remove(g) == -EBUSY && waited < CG_REMOVE_WAIT_MS;
		     waited += 5)
			cg_sleep_ms(5);
		if (g->dir)
			log_warn("%s: cannot remove cgroup %s: %s", t->label, g->dir,
				 strerror(errno));
		cg_group_free(g);
	}
	if (t->dir && cg_rmdir_wait(t->dir, CG_REMOVE_WAIT_MS) < 0)
		log_warn("%s: cannot remove cgroup %s: %s", t->label, t->dir, strerror(errno));
	free(t->dir);
	for (int c = 0; c < CG_NCTL; c++) {
		if (t->v1_dir[c])
			(void)cg_rmdir_wait(t->v1_dir[c], CG_REMOVE_WAIT_MS);
		free(t->v1_dir[c]);
	}
	free(t);
}

/* ---- why a fork failed ---------------------------------------------------------- */

/* Walk from dir up to the mount point: the first group whose pids.current
 * reached its pids.max. */
static int cg_full_pids(const char *mount, const char *dir_in, char *buf, size_t size)
{
	char dir[PATH_MAX], val[64], *slash;
	size_t ml = strlen(mount);

	snprintf(dir, sizeof(dir), "%s", dir_in);
	for (;;) {
		uint64_t max, cur;

		if (cg_read(dir, "pids.max", val, sizeof(val)) > 0 &&
		    isdigit((unsigned char)val[0])) {
			max = strtoull(val, NULL, 10);
			if (cg_read(dir, "pids.current", val, sizeof(val)) > 0 &&
			    (cur = strtoull(val, NULL, 10)) >= max) {
				const char *rel = dir[ml] ? dir + ml : "/";
				size_t rl = strlen(rel);
				int unit = rl > 8 && (!strcmp(rel + rl - 8, ".service") ||
						      !strcmp(rel + rl - 6, ".scope") ||
						      !strcmp(rel + rl - 6, ".slice"));

				snprintf(buf, size,
					 "pids.max %" PRIu64 " of cgroup %s is reached%s", max,
					 rel, unit ? " (that unit's TasksMax=)" : "");
				return 1;
			}
		}
		if (strlen(dir) <= ml || !(slash = strrchr(dir, '/')) || (size_t)(slash - dir) < ml)
			return 0;
		*slash = '\0';
	}
}

void cgroup_explain_eagain(char *buf, size_t size)
{
	struct cg_layout *l = calloc(1, sizeof(*l));
	char dir[PATH_MAX];
	struct rlimit rl;

	snprintf(buf, size, "kernel.threads-max or kernel.pid_max is reached, or memory is short");
	if (l) {
		cg_parse_mountinfo(l);
		cg_parse_self(l);
		if (l->have_v2 && l->have_self_v2 &&
		    cg_dir_of(&l->v2, l->self_v2, dir, sizeof(dir)) == 0 &&
		    cg_full_pids(l->v2.point, dir, buf, size)) {
			free(l);
			return;
		}
		if (l->have_v1[CG_PIDS] && l->have_self_v1[CG_PIDS] &&
		    cg_dir_of(&l->v1[CG_PIDS], l->self_v1[CG_PIDS], dir, sizeof(dir)) == 0 &&
		    cg_full_pids(l->v1[CG_PIDS].point, dir, buf, size)) {
			free(l);
			return;
		}
		free(l);
	}
	if (geteuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		snprintf(buf, size, "hostd's user may be at its RLIMIT_NPROC of %llu processes",
			 (unsigned long long)rl.rlim_cur);
}
