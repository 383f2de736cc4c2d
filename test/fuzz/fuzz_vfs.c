/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the serving side of idl/vfs.idl: vfs/'s real methods
 * (vfsd_ops, what the shadow and vmrpc-guestd dispatch to after the
 * generated skeleton's checks), driven by a program the input encodes.
 * Each input mounts a session on a fresh export tree and runs its
 * operations: ids are ones the server returned or arbitrary 64-bit
 * values, names come from a list of hostile ones or straight from the
 * input, sizes and offsets are anything. Tight limits (8 descriptors, 64
 * nodes, 8 handles) make eviction, reopening and exhaustion happen often.
 *
 * Invariants, checked after every input (abort() on a violation): nothing
 * outside the export changed, and no call crashed or hung. As root the
 * replay target first becomes nobody, owner of its scratch directory, so
 * even a server that escaped its export could not change the machine's
 * files (the libFuzzer binary keeps its ids: it writes its corpus where
 * it was told).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfs_callee.h"
#include "vfsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char top[64];            /* the scratch directory */
static char exp_path[128], outside_path[128];
static struct vfsd_server *srv;
static const struct vfs_ops *ops;

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct input *in, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static const char *const names[] = {
	"a", "d", "b", "up", "dotdot", "fifo", "new", "x", "..", ".", "", "a/b", "../outside",
	"/", "d/..", "secret",
};

/* A name: from the list, or up to 300 raw bytes of the input. */
static const char *take_name(struct input *in, char *buf)
{
	uint8_t k = (uint8_t)take(in, 1);
	size_t n;

	if (k < 200)
		return names[k % (sizeof(names) / sizeof(names[0]))];
	n = take(in, 2) % 300;
	if (n > in->left)
		n = in->left;
	memcpy(buf, in->p, n);
	buf[n] = '\0';
	in->p += n;
	in->left -= n;
	return buf;
}

#define IDS 16

struct ids {
	uint64_t v[IDS];
	unsigned n;
};

static void keep(struct ids *ids, uint64_t id)
{
	ids->v[ids->n++ % IDS] = id;
}

/* An id the server gave (or the root), or anything. */
static uint64_t take_id(struct input *in, const struct ids *ids)
{
	uint8_t k = (uint8_t)take(in, 1);

	if (k < 160)
		return k % 8 == 0 || !ids->n ? 1 : ids->v[k % (ids->n < IDS ? ids->n : IDS)];
	if (k < 200) /* a given id with its generation changed */
		return ids->n ? ids->v[k % (ids->n < IDS ? ids->n : IDS)] ^ (1ull << (32 + k % 32))
			      : 1;
	return take(in, 8);
}

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_vfs: %s: %s\n", what, strerror(errno));
		abort();
	}
}

/* Nothing beside the export or in outside/ is new, and the secret is intact. */
static void check_outside(void)
{
	char p[256], buf[16] = { 0 };
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	d = opendir(top);
	must(d != NULL, "opendir top");
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "exp") && strcmp(de->d_name, "outside")) {
			fprintf(stderr, "fuzz_vfs: a new name beside the export: %s\n",
				de->d_name);
			abort();
		}
	closedir(d);
	d = opendir(outside_path);
	must(d != NULL, "opendir outside");
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	if (n != 1) {
		fprintf(stderr, "fuzz_vfs: outside/ has %d names\n", n);
		abort();
	}
	snprintf(p, sizeof(p), "%s/secret", outside_path);
	fd = open(p, O_RDONLY);
	must(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 6, "read the secret");
	close(fd);
	if (strcmp(buf, "SECRET")) {
		fprintf(stderr, "fuzz_vfs: the secret changed\n");
		abort();
	}
}

static void empty_dir(int dirfd);

/* The scratch directory goes at exit. */
static void remove_top(void)
{
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	if (fd >= 0) {
		empty_dir(fd);
		rmdir(top);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vfsd_limits lim = {
		.sessions = 4, .nodes = 64, .fds = 8, .handles = 8, .lock_owners = 4,
		.watches = 8,
	};
	char p[256], err[256];
	int fd;

	(void)argc;
	(void)argv;
	snprintf(top, sizeof(top), "/tmp/vmrpc-fuzz-vfs.XXXXXX");
	must(mkdtemp(top) != NULL, "mkdtemp");
	atexit(remove_top);
	snprintf(p, sizeof(p), "%s/outside", top);
	must(mkdir(p, 0755) == 0, "outside");
	snprintf(p, sizeof(p), "%s/outside/secret", top);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	must(fd >= 0 && write(fd, "SECRET", 6) == 6, "secret");
	close(fd);
#ifndef FUZZ_VFS_KEEP_IDS
	if (geteuid() == 0) {
		/* outside/ too: an escape could change it, and would be seen */
		must(chown(top, 65534, 65534) == 0 && chown(p, 65534, 65534) == 0, "chown");
		snprintf(p, sizeof(p), "%s/outside", top);
		must(chown(p, 65534, 65534) == 0, "chown");
		must(setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
		     setresuid(65534, 65534, 65534) == 0, "become nobody");
	}
#endif
	snprintf(exp_path, sizeof(exp_path), "%s/exp", top);
	snprintf(outside_path, sizeof(outside_path), "%s/outside", top);
	must(mkdir(exp_path, 0755) == 0 || errno == EEXIST, "exp");
	must(vfsd_server_new(&lim, &srv) == 0, "vfsd_server_new");
	if (vfsd_server_export(srv, "e", exp_path, false, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_vfs: %s\n", err);
		abort();
	}
	ops = vfsd_ops;
	return 0;
}

/* Remove everything below dirfd (the export), without following links. */
static void empty_dir(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;

	must(d != NULL, "fdopendir");
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			int sub;

			/* a mode the input set may forbid us to list it */
			fchmodat(dirfd, de->d_name, 0755, 0);
			sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (sub >= 0)
				empty_dir(sub);
			unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, de->d_name, 0);
		}
	}
	closedir(d);
}

static void reset_export(void)
{
	char p[256];
	int fd = open(exp_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	must(fd >= 0, "open export");
	fchmod(fd, 0755);
	empty_dir(fd);
	must(mkdirat(AT_FDCWD, (snprintf(p, sizeof(p), "%s/d", exp_path), p), 0755) == 0, "d");
	snprintf(p, sizeof(p), "%s/a", exp_path);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0 && write(fd, "inside", 6) == 6, "a");
	close(fd);
	snprintf(p, sizeof(p), "%s/d/b", exp_path);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	must(fd >= 0, "d/b");
	close(fd);
	snprintf(p, sizeof(p), "%s/up", exp_path);
	must(symlink(outside_path, p) == 0, "up");
	snprintf(p, sizeof(p), "%s/dotdot", exp_path);
	must(symlink("..", p) == 0, "dotdot");
	snprintf(p, sizeof(p), "%s/fifo", exp_path);
	must(mkfifo(p, 0644) == 0, "fifo");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[70000], name[320], name2[320];
	struct input in = { data, size };
	struct vfs_cred cr = { 0, 0 };
	struct vfsd_peer *peer;
	struct vfs_entry e;
	struct vfs_attr a;
	struct vfs_sid sid;
	struct ids nodes = { 0 }, fhs = { 0 }, dfhs = { 0 };
	uint32_t caps;
	uint64_t fh, len;
	void *p;

	reset_export();
	must(vfsd_peer_new(srv, 7, &peer) == 0, "vfsd_peer_new");
	p = peer;
	if (ops->mount(p, "e", (uint32_t)take(&in, 1) & 3, &sid, &e, &caps) < 0)
		abort();
	for (int steps = 0; in.left && steps < 200; steps++) {
		uint8_t op = (uint8_t)take(&in, 1);
		uint64_t id = take_id(&in, &nodes), h;
		const char *n1 = take_name(&in, name);
		struct vfs_sattr sa;
		struct vfs_lock lk;
		struct vfs_statfs sf;
		struct vfs_forget_rec fr[4];

		switch (op % 30) {
		case 0:
			if (ops->lookup(p, &sid, id, n1, &e) == 0)
				keep(&nodes, e.node);
			break;
		case 1:
			for (int i = 0; i < 4; i++)
				fr[i] = (struct vfs_forget_rec){ take_id(&in, &nodes), take(&in, 2) };
			ops->forget(p, &sid, fr, (uint32_t)(take(&in, 1) % 80));
			break;
		case 2:
			ops->getattr(p, &sid, id, take_id(&in, &fhs), &a);
			break;
		case 3:
			sa = (struct vfs_sattr){ .valid = (uint32_t)take(&in, 2) & 0x1bd,
						 .mode = 0600 | ((uint32_t)take(&in, 1) & 0177),
						 .size = take(&in, 3), .atime = (int64_t)take(&in, 8),
						 .atime_nsec = (uint32_t)take(&in, 4),
						 .mtime = (int64_t)take(&in, 4) };
			ops->setattr(p, &sid, id, take(&in, 1) & 1 ? take_id(&in, &fhs) : 0, &sa, &a);
			break;
		case 4:
			if (ops->mkdir(p, &sid, id, n1, (uint32_t)take(&in, 2), &cr, &e) == 0)
				keep(&nodes, e.node);
			break;
		case 5:
			if (ops->mknod(p, &sid, id, n1, (take(&in, 1) & 1 ? S_IFIFO : S_IFREG) | 0644,
				       take(&in, 8), &cr, &e) == 0)
				keep(&nodes, e.node);
			break;
		case 6:
			if (ops->symlink(p, &sid, id, n1, take_name(&in, name2), &cr, &e) == 0)
				keep(&nodes, e.node);
			break;
		case 7:
			if (ops->link(p, &sid, id, take_id(&in, &nodes), n1, &e) == 0)
				keep(&nodes, e.node);
			break;
		case 8:
			ops->unlink(p, &sid, id, n1);
			break;
		case 9:
			ops->rmdir(p, &sid, id, n1);
			break;
		case 10:
			ops->rename(p, &sid, id, n1, take_id(&in, &nodes), take_name(&in, name2),
				    (uint32_t)take(&in, 1) & 7);
			break;
		case 11:
			if (ops->open(p, &sid, id, (int32_t)take(&in, 4), &fh) == 0)
				keep(&fhs, fh);
			break;
		case 12:
			if (ops->create(p, &sid, id, n1, (int32_t)take(&in, 4), (uint32_t)take(&in, 2),
					&cr, &e, &fh) == 0) {
				keep(&nodes, e.node);
				keep(&fhs, fh);
			}
			break;
		case 13:
			ops->read(p, &sid, take_id(&in, &fhs), (int64_t)take(&in, 8), buf,
				  take(&in, 2));
			break;
		case 14:
			ops->write(p, &sid, take_id(&in, &fhs), (int64_t)take(&in, 3), buf,
				   take(&in, 2) % 4096);
			break;
		case 15:
			ops->flush(p, &sid, take_id(&in, &fhs), take(&in, 1));
			break;
		case 16:
			ops->release(p, &sid, take_id(&in, &fhs));
			break;
		case 17:
			if (ops->opendir(p, &sid, id, &fh) == 0)
				keep(&dfhs, fh);
			break;
		case 18:
			h = take_id(&in, &dfhs);
			ops->readdir(p, &sid, h, (int64_t)take(&in, 8), (uint32_t)take(&in, 1),
				     (uint32_t)take(&in, 2), buf, take(&in, 2) % sizeof(buf));
			break;
		case 19:
			ops->releasedir(p, &sid, take_id(&in, &dfhs));
			break;
		case 20:
			ops->getxattr(p, &sid, id, take(&in, 1) & 1 ? "user.x" : n1, buf,
				      take(&in, 3) % sizeof(buf), &len);
			break;
		case 21:
			ops->setxattr(p, &sid, id, take(&in, 1) & 1 ? "user.x" : n1, buf,
				      take(&in, 2) % 100, (int32_t)take(&in, 1));
			break;
		case 22:
			ops->listxattr(p, &sid, id, buf, take(&in, 3) % sizeof(buf), &len);
			ops->removexattr(p, &sid, id, "user.x");
			break;
		case 23:
			lk = (struct vfs_lock){ .type = (int32_t)(take(&in, 1) % 4),
						.start = (int64_t)take(&in, 8),
						.len = (int64_t)take(&in, 8) };
			if (take(&in, 1) & 1)
				ops->getlk(p, &sid, take_id(&in, &fhs), take(&in, 1), &lk);
			else
				ops->setlk(p, &sid, take_id(&in, &fhs), take(&in, 1), &lk,
					   take(&in, 1) & 1);
			break;
		case 24:
			ops->fallocate(p, &sid, take_id(&in, &fhs), (int32_t)take(&in, 1) & 0x1f,
				       (int64_t)take(&in, 3), (int64_t)take(&in, 3));
			break;
		case 25:
			ops->copy_file_range(p, &sid, take_id(&in, &fhs), (int64_t)take(&in, 3),
					     take_id(&in, &fhs), (int64_t)take(&in, 3),
					     take(&in, 3));
			break;
		case 26:
			ops->lseek(p, &sid, take_id(&in, &fhs), (int64_t)take(&in, 8),
				   (int32_t)take(&in, 1));
			break;
		case 27:
			ops->statfs(p, &sid, id, &sf);
			ops->readlink(p, &sid, id, name2, sizeof(name2));
			break;
		case 28:
			ops->watch(p, &sid, 0, buf, take(&in, 3) % sizeof(buf));
			break;
		default:
			ops->fsync(p, &sid, take_id(&in, &fhs), take(&in, 1) & 1);
			ops->fsyncdir(p, &sid, take_id(&in, &dfhs), 0);
			break;
		}
	}
	ops->unmount(p, &sid);
	vfsd_peer_free(peer);
	check_outside();
	return 0;
}
