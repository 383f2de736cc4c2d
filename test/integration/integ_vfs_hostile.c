/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest speaking idl/vfs.idl to its shadow directly (what
 * vmrpc-mount would never send), against the real hostd and shadow serving
 * an export: every request gets -errno, never an entry, a byte or a change
 * outside the export, never a crash.
 *
 *   names        "", ".", "..", "a/b", a NUL inside the name's bytes, a
 *                name longer than name_max: for lookup, mkdir, create,
 *                symlink, rename, link, unlink
 *   symlinks     a link to "/" or ".." in the export is a node of its own:
 *                no lookup below it, no open through it
 *   rename_race  a directory the client knows is moved on the host and its
 *                name replaced by a symbolic link to a directory outside:
 *                its node answers -ESTALE once its descriptor is gone,
 *                never the outside directory's file
 *   stale        unknown node ids, wrong generations, forgotten nodes,
 *                unknown handles, another session's id
 *   sources      a mount of a directory under the export, by the export's
 *                name or path: its root is that directory; "..", symbolic
 *                links and look-alike paths name nothing outside
 *   counts       forget with too many records or a ragged length, readdir
 *                with no room, huge sizes and offsets
 *   fds          looking up thousands of directories keeps the shadow's
 *                descriptors bounded
 *   read_only    an export-ro refuses every change with -EROFS
 *   confined     a shadow confined to a root (chroot and Landlock) serves an
 *                export outside that root, and nothing else (root only)
 *   guest_side   vmrpc-guestd serving a guest export to host callers: a
 *                host caller's sibling joins its session, another host
 *                caller cannot, and names still cannot leave the export
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "vfs_caller.h"
#include "vmrpc/guest.h"
#include "vmrpc/stub.h"

struct vt {
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding b;
	struct vfs_sid sid;
	struct vfs_entry root;
	char exp[PATH_MAX];     /* the export */
	char outside[PATH_MAX]; /* a directory beside it the guest must not reach */
};

static void vt_start_in(struct vt *t, bool read_only, const char *root)
{
	char arg[PATH_MAX + 16], path[PATH_MAX + 16];
	uint32_t caps;

	snprintf(t->exp, sizeof(t->exp), "%s/exp", itest_dir());
	snprintf(t->outside, sizeof(t->outside), "%s/outside", itest_dir());
	assert_int_equal(mkdir(t->exp, 0755), 0);
	assert_int_equal(mkdir(t->outside, 0755), 0);
	snprintf(path, sizeof(path), "%s/secret", t->outside);
	itest_write_file(path, "SECRET", 6);
	snprintf(path, sizeof(path), "%s/f", t->outside);
	itest_write_file(path, "OUTSIDE", 7);
	snprintf(path, sizeof(path), "%s/file", t->exp);
	itest_write_file(path, "inside", 6);
	snprintf(arg, sizeof(arg), "data=%s", t->exp);
	if (root)
		itest_hostd_start(&t->h, read_only ? "--export-ro" : "--export", arg, "--root", root,
				  (char *)NULL);
	else
		itest_hostd_start(&t->h, read_only ? "--export-ro" : "--export", arg,
				  (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &t->g), 0);
	itest_assert_err(vfs_bind(t->g.chan, &t->b), 0);
	itest_assert_err(vfs_mount(&t->b, "data", 0, &t->sid, &t->root, &caps), 0);
	assert_int_equal(t->root.node, 1);
	assert_int_equal(!!(caps & VFS_CAPS_RO), read_only);
}

static void vt_start(struct vt *t, bool read_only)
{
	vt_start_in(t, read_only, NULL);
}

static void vt_stop(struct vt *t)
{
	itest_assert_err(vfs_unmount(&t->b, &t->sid), 0);
	vmrpc_guest_detach(&t->g);
	itest_hostd_stop(&t->h);
}

/* Nothing outside the export changed: the same two files, nothing new. */
static void assert_outside_intact(const struct vt *t)
{
	char path[PATH_MAX + 16], *s;
	struct dirent *de;
	DIR *d = opendir(t->outside);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, 2);
	snprintf(path, sizeof(path), "%s/secret", t->outside);
	s = itest_read_file(path, NULL);
	assert_string_equal(s, "SECRET");
	free(s);
	/* and nothing appeared beside the export either */
	d = opendir(itest_dir());
	assert_non_null(d);
	while ((de = readdir(d)))
		assert_true(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    !strcmp(de->d_name, "exp") || !strcmp(de->d_name, "outside") ||
			    !strcmp(de->d_name, "rt") || !strcmp(de->d_name, "jail") ||
			    !strncmp(de->d_name, "hostd-", 6));
	closedir(d);
}

/* lookup with the name's bytes as given: len of them, whatever they hold. */
static int64_t raw_lookup(struct vt *t, uint64_t parent, const char *bytes, uint32_t len,
			  struct vfs_entry *e)
{
	struct vmrpc_outcall call;
	struct vfs_lookup_args args = { .s = t->sid, .parent = parent };
	struct vfs_lookup_results res;
	void *p;
	int64_t r;

	itest_assert_err(vmrpc_outcall_begin(&t->b, &call), 0);
	itest_assert_err(vmrpc_outcall_alloc(&call, len + 1, &args.name.off, &p), 0);
	memcpy(p, bytes, len);
	((char *)p)[len] = '\0';
	args.name.len = len;
	memcpy(call.args, &args, sizeof(args));
	r = vmrpc_outcall_invoke(&call, VFS_METHOD_LOOKUP, sizeof(args));
	if (r >= 0 && call.res_len == sizeof(res)) {
		memcpy(&res, call.results, sizeof(res));
		*e = res.e;
	}
	return r;
}

static void test_names(void **state)
{
	static const char *const bad[] = { "", ".", "..", "a/b", "../outside", "/", "x/.." };
	struct vfs_cred cr = { 0, 0 };
	struct vfs_entry e;
	struct vt t;
	char big[400];
	uint64_t fh;

	(void)state;
	vt_start(&t, false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *n = bad[i];

		memset(&e, 0, sizeof(e));
		itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, n, &e), -EINVAL);
		assert_int_equal(e.node, 0);
		itest_assert_err(vfs_mkdir(&t.b, &t.sid, 1, n, 0755, &cr, &e), -EINVAL);
		itest_assert_err(vfs_create(&t.b, &t.sid, 1, n, O_RDWR, 0644, &cr, &e, &fh),
				 -EINVAL);
		itest_assert_err(vfs_symlink(&t.b, &t.sid, 1, n, "/", &cr, &e), -EINVAL);
		itest_assert_err(vfs_unlink(&t.b, &t.sid, 1, n), -EINVAL);
		itest_assert_err(vfs_rmdir(&t.b, &t.sid, 1, n), -EINVAL);
		itest_assert_err(vfs_rename(&t.b, &t.sid, 1, "file", 1, n, 0), -EINVAL);
		itest_assert_err(vfs_rename(&t.b, &t.sid, 1, n, 1, "moved", 0), -EINVAL);
		itest_assert_err(vfs_mknod(&t.b, &t.sid, 1, n, S_IFIFO | 0644, 0, &cr, &e),
				 -EINVAL);
	}
	/* A NUL inside the bytes: refused, neither what precedes it nor
	 * what follows is looked up. */
	memset(&e, 0, sizeof(e));
	itest_assert_err(raw_lookup(&t, 1, "file\0/../outside", 16, &e), -EINVAL);
	assert_int_equal(e.node, 0);
	itest_assert_err(raw_lookup(&t, 1, "..\0x", 4, &e), -EINVAL);
	/* longer than name_max */
	memset(big, 'a', sizeof(big));
	itest_assert_err(raw_lookup(&t, 1, big, sizeof(big), &e), -EINVAL);
	/* and the stubs refuse to send one at all */
	big[sizeof(big) - 1] = '\0';
	assert_true(vfs_lookup(&t.b, &t.sid, 1, big, &e) < 0);
	/* the channel still works */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "file", &e), 0);
	assert_true(S_ISREG(e.attr.mode));
	assert_outside_intact(&t);
	vt_stop(&t);
}

static void test_symlinks(void **state)
{
	struct vfs_entry up, dot, e;
	struct vt t;
	char path[PATH_MAX + 16], target[VFS_PATH_MAX + 1];
	uint64_t fh;

	(void)state;
	/* made on the host, before the guest looks */
	vt_start(&t, false);
	snprintf(path, sizeof(path), "%s/up", t.exp);
	assert_int_equal(symlink(t.outside, path), 0);
	snprintf(path, sizeof(path), "%s/dotdot", t.exp);
	assert_int_equal(symlink("..", path), 0);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "up", &up), 0);
	assert_true(S_ISLNK(up.attr.mode));
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "dotdot", &dot), 0);
	/* its content is data for the client to resolve in its own tree */
	itest_assert_err(vfs_readlink(&t.b, &t.sid, up.node, target, sizeof(target)), 0);
	assert_string_equal(target, t.outside);
	/* nothing below a symbolic link, nothing opened through one */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, up.node, "secret", &e), -ENOTDIR);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, dot.node, "outside", &e), -ENOTDIR);
	itest_assert_err(vfs_open(&t.b, &t.sid, up.node, O_RDONLY, &fh), -ENXIO);
	assert_true(vfs_opendir(&t.b, &t.sid, up.node, &fh) < 0);
	assert_true(vfs_opendir(&t.b, &t.sid, dot.node, &fh) < 0);
	/* the client makes one, pointing out: still only a link */
	itest_assert_err(vfs_symlink(&t.b, &t.sid, 1, "mine", "../outside/secret",
				     &(struct vfs_cred){ 0, 0 }, &e), 0);
	itest_assert_err(vfs_open(&t.b, &t.sid, e.node, O_RDONLY, &fh), -ENXIO);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, e.node, "x", &e), -ENOTDIR);
	assert_outside_intact(&t);
	vt_stop(&t);
}

/* Pin many other directories' descriptors so that the session's least
 * recently used ones are closed (128 are kept). */
static void churn_descriptors(struct vt *t, int n)
{
	struct vfs_cred cr = { 0, 0 };
	struct vfs_entry d, e;
	char name[32];

	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "churn%d", i);
		itest_assert_err(vfs_mkdir(&t->b, &t->sid, 1, name, 0755, &cr, &d), 0);
		/* a lookup below it pins its descriptor */
		itest_assert_err(vfs_lookup(&t->b, &t->sid, d.node, "none", &e), -ENOENT);
	}
}

static void test_rename_race(void **state)
{
	struct vfs_entry d, f, e;
	struct vt t;
	char a[PATH_MAX + 16], b[PATH_MAX + 16], buf[64];
	uint64_t fh;
	int64_t n;

	(void)state;
	vt_start(&t, false);
	snprintf(a, sizeof(a), "%s/d", t.exp);
	assert_int_equal(mkdir(a, 0755), 0);
	snprintf(a, sizeof(a), "%s/d/f", t.exp);
	itest_write_file(a, "in d", 4);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "d", &d), 0);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, d.node, "f", &f), 0);

	/* The host moves d away and puts a link to the outside in its place. */
	snprintf(a, sizeof(a), "%s/d", t.exp);
	snprintf(b, sizeof(b), "%s/d.moved", t.exp);
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(symlink(t.outside, a), 0);

	/* While the node keeps its descriptor it is the moved directory. */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, d.node, "f", &e), 0);
	assert_int_equal(e.node, f.node);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, d.node, "secret", &e), -ENOENT);

	/* Once its descriptor is gone it is reopened by its name, which is
	 * a link now: not the same file, so -ESTALE, never the outside. */
	churn_descriptors(&t, 300);
	n = vfs_lookup(&t.b, &t.sid, d.node, "secret", &e);
	assert_true(n < 0);
	n = vfs_lookup(&t.b, &t.sid, d.node, "f", &e);
	if (n == 0) /* found by its own descriptor after all: still inside */
		assert_int_equal(e.node, f.node);
	n = vfs_open(&t.b, &t.sid, f.node, O_RDONLY, &fh);
	if (n == 0) {
		memset(buf, 0, sizeof(buf));
		assert_true(vfs_read(&t.b, &t.sid, fh, 0, buf, sizeof(buf) - 1) >= 0);
		assert_string_equal(buf, "in d");
		itest_assert_err(vfs_release(&t.b, &t.sid, fh), 0);
	} else {
		itest_assert_err(n, -ESTALE);
	}
	/* a fresh lookup of "d" is the link */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "d", &e), 0);
	assert_true(S_ISLNK(e.attr.mode));
	assert_outside_intact(&t);
	vt_stop(&t);
}

static void test_stale(void **state)
{
	struct vfs_cred cr = { 0, 0 };
	struct vfs_entry d, e;
	struct vfs_attr a;
	struct vfs_forget_rec rec;
	struct vfs_sid other;
	struct vt t;
	uint64_t fh, bogus[] = { 0, 2, 0xffffffffull, 1ull << 63, ~0ull, 1ull << 32 | 1 };

	(void)state;
	vt_start(&t, false);
	itest_assert_err(vfs_mkdir(&t.b, &t.sid, 1, "dir", 0755, &cr, &d), 0);
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		if (bogus[i] == d.node)
			continue;
		itest_assert_err(vfs_lookup(&t.b, &t.sid, bogus[i], "x", &e), -ESTALE);
		itest_assert_err(vfs_getattr(&t.b, &t.sid, bogus[i], 0, &a), -ESTALE);
		itest_assert_err(vfs_open(&t.b, &t.sid, bogus[i], O_RDONLY, &fh), -ESTALE);
		itest_assert_err(vfs_opendir(&t.b, &t.sid, bogus[i], &fh), -ESTALE);
		itest_assert_err(vfs_mkdir(&t.b, &t.sid, bogus[i], "x", 0755, &cr, &e), -ESTALE);
		/* an unknown handle */
		itest_assert_err(vfs_read(&t.b, &t.sid, bogus[i], 0, &e, 8), -ESTALE);
		itest_assert_err(vfs_release(&t.b, &t.sid, bogus[i]), -ESTALE);
		itest_assert_err(vfs_releasedir(&t.b, &t.sid, bogus[i]), -ESTALE);
	}
	/* the right slot with another generation */
	itest_assert_err(vfs_getattr(&t.b, &t.sid, d.node ^ (1ull << 32), 0, &a), -ESTALE);
	itest_assert_err(vfs_getattr(&t.b, &t.sid, d.node & 0xffffffffull, 0, &a), -ESTALE);
	/* forgotten: the id is dead, and stays dead when the slot is reused */
	rec = (struct vfs_forget_rec){ .node = d.node, .nlookup = 1 };
	itest_assert_err(vfs_forget(&t.b, &t.sid, &rec, sizeof(rec)), 0);
	itest_assert_err(vfs_getattr(&t.b, &t.sid, d.node, 0, &a), -ESTALE);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "dir", &e), 0);
	assert_int_not_equal(e.node, d.node);
	itest_assert_err(vfs_getattr(&t.b, &t.sid, d.node, 0, &a), -ESTALE);
	/* forgetting more than was looked up, or the root, harms nothing */
	rec = (struct vfs_forget_rec){ .node = e.node, .nlookup = ~0ull };
	itest_assert_err(vfs_forget(&t.b, &t.sid, &rec, sizeof(rec)), 0);
	rec = (struct vfs_forget_rec){ .node = 1, .nlookup = ~0ull };
	itest_assert_err(vfs_forget(&t.b, &t.sid, &rec, sizeof(rec)), 0);
	itest_assert_err(vfs_getattr(&t.b, &t.sid, 1, 0, &a), 0);
	/* another session's id, and no session at all */
	other = t.sid;
	other.lo ^= 1;
	itest_assert_err(vfs_getattr(&t.b, &t.sid, 1, 0, &a), 0);
	itest_assert_err(vfs_getattr(&t.b, &other, 1, 0, &a), -ENOTCONN);
	itest_assert_err(vfs_join(&t.b, &other), -ENOTCONN);
	itest_assert_err(vfs_mount(&t.b, "nope", 0, &other, &e, &(uint32_t){ 0 }), -ENOENT);
	itest_assert_err(vfs_mount(&t.b, "../data", 0, &other, &e, &(uint32_t){ 0 }), -ENOENT);
	assert_outside_intact(&t);
	vt_stop(&t);
}

/* Mount source on a session of its own: 0 and a lookup of name in its
 * root gives want (0 or -errno), or the mount's -errno. */
static int64_t source_lookup(struct vt *t, const char *source, const char *name, int64_t want)
{
	struct vfs_entry root, e;
	struct vfs_sid sid;
	uint32_t caps;
	int64_t r = vfs_mount(&t->b, source, 0, &sid, &root, &caps);

	if (r < 0)
		return r;
	assert_int_equal(root.node, 1);
	itest_assert_err(vfs_lookup(&t->b, &sid, 1, name, &e), want);
	itest_assert_err(vfs_unmount(&t->b, &sid), 0);
	return 0;
}

static void test_sources(void **state)
{
	char path[PATH_MAX + 64], src[PATH_MAX + 64];
	struct vt t;

	(void)state;
	vt_start(&t, false);
	snprintf(path, sizeof(path), "%s/sub", t.exp);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/in", t.exp);
	itest_write_file(path, "in", 2);
	snprintf(path, sizeof(path), "%s/out", t.exp);
	assert_int_equal(symlink("../outside", path), 0);
	snprintf(path, sizeof(path), "%s/up", t.exp);
	assert_int_equal(symlink("..", path), 0);
	snprintf(path, sizeof(path), "%s/sublink", t.exp);
	assert_int_equal(symlink("sub", path), 0);

	/* the export by name and by its path, and "/NAME" as before */
	itest_assert_err(source_lookup(&t, "data", "file", 0), 0);
	itest_assert_err(source_lookup(&t, t.exp, "file", 0), 0);
	itest_assert_err(source_lookup(&t, "/data", "file", 0), 0);
	/* a directory in it is the session's root, however it is spelt */
	itest_assert_err(source_lookup(&t, "data/sub", "in", 0), 0);
	itest_assert_err(source_lookup(&t, "data/sub", "file", -ENOENT), 0);
	itest_assert_err(source_lookup(&t, "data//sub/./", "in", 0), 0);
	snprintf(src, sizeof(src), "%s/sub/", t.exp);
	itest_assert_err(source_lookup(&t, src, "in", 0), 0);
	/* a link inside the export, in the middle of the path */
	itest_assert_err(source_lookup(&t, "data/sublink/.", "in", 0), 0);

	/* what is not a directory in the export */
	itest_assert_err(source_lookup(&t, "data/nope", "in", 0), -ENOENT);
	itest_assert_err(source_lookup(&t, "data/file", "in", 0), -ENOTDIR);
	itest_assert_err(source_lookup(&t, "data/sublink", "in", 0), -ENOTDIR);
	itest_assert_err(source_lookup(&t, "data/out", "secret", 0), -ENOTDIR);
	/* and what leaves it, by "..", by links, or by a path that only
	 * looks like the export's */
	itest_assert_err(source_lookup(&t, "data/..", "outside", 0), -EXDEV);
	itest_assert_err(source_lookup(&t, "data/../outside", "secret", 0), -EXDEV);
	itest_assert_err(source_lookup(&t, "data/sub/../..", "outside", 0), -EXDEV);
	itest_assert_err(source_lookup(&t, "data/out/", "secret", 0), -EXDEV);
	itest_assert_err(source_lookup(&t, "data/up/outside", "secret", 0), -EXDEV);
	snprintf(src, sizeof(src), "%s/../outside", t.exp);
	itest_assert_err(source_lookup(&t, src, "secret", 0), -EXDEV);
	itest_assert_err(source_lookup(&t, t.outside, "secret", 0), -ENOENT);
	snprintf(src, sizeof(src), "%sx", t.exp);
	itest_assert_err(source_lookup(&t, src, "file", 0), -ENOENT);
	itest_assert_err(source_lookup(&t, "nope/sub", "in", 0), -ENOENT);
	assert_outside_intact(&t);
	vt_stop(&t);
}

static void test_counts(void **state)
{
	size_t n = VFS_FORGET_MAX + 1;
	struct vfs_forget_rec *recs = calloc(n, sizeof(*recs));
	struct vfs_cred cr = { 0, 0 };
	struct vfs_entry e;
	struct vt t;
	char buf[4096];
	uint64_t fh, len;

	(void)state;
	assert_non_null(recs);
	vt_start(&t, false);
	itest_assert_err(vfs_forget(&t.b, &t.sid, recs, (uint32_t)(n * sizeof(*recs))), -EINVAL);
	itest_assert_err(vfs_forget(&t.b, &t.sid, recs, 15), -EINVAL);
	/* readdir: no room for one record, in the buffer or in the budget */
	itest_assert_err(vfs_opendir(&t.b, &t.sid, 1, &fh), 0);
	itest_assert_err(vfs_readdir(&t.b, &t.sid, fh, 0, 0, 0, buf, sizeof(buf)), -EINVAL);
	itest_assert_err(vfs_readdir(&t.b, &t.sid, fh, 0, 0, 4096, buf, 8), -EINVAL);
	/* an offset that was never given: an error or an empty end, no crash */
	assert_true(vfs_readdir(&t.b, &t.sid, fh, INT64_MAX, 0, 4096, buf, sizeof(buf)) <= 0);
	assert_true(vfs_readdir(&t.b, &t.sid, fh, -5, 0, 4096, buf, sizeof(buf)) <= 0);
	assert_true(vfs_readdir(&t.b, &t.sid, fh, 0, VFS_READDIR_PLUS, 4096, buf,
				sizeof(buf)) > 0);
	itest_assert_err(vfs_releasedir(&t.b, &t.sid, fh), 0);
	/* reads and writes far away, negative, huge */
	itest_assert_err(vfs_create(&t.b, &t.sid, 1, "f", O_RDWR, 0644, &cr, &e, &fh), 0);
	assert_true(vfs_read(&t.b, &t.sid, fh, INT64_MAX - 10, buf, 100) <= 0);
	itest_assert_err(vfs_read(&t.b, &t.sid, fh, -1, buf, 100), -EINVAL);
	itest_assert_err(vfs_write(&t.b, &t.sid, fh, -1, buf, 100), -EINVAL);
	assert_true(vfs_write(&t.b, &t.sid, fh, INT64_MAX - 10, buf, 100) < 0);
	assert_true(vfs_read(&t.b, &t.sid, fh, 0, NULL, 1ull << 40) < 0);
	itest_assert_err(vfs_fallocate(&t.b, &t.sid, fh, 0, 0, -1), -EINVAL);
	assert_true(vfs_copy_file_range(&t.b, &t.sid, fh, -1, fh, 0, ~0ull) < 0);
	itest_assert_err(vfs_lseek(&t.b, &t.sid, fh, 0, SEEK_SET), -EINVAL);
	itest_assert_err(vfs_setlk(&t.b, &t.sid, fh, 1, &(struct vfs_lock){ .type = 77 },
				   false), -EINVAL);
	itest_assert_err(vfs_setlk(&t.b, &t.sid, fh, 1,
				   &(struct vfs_lock){ .type = F_WRLCK, .start = -1 }, false),
			 -EINVAL);
	/* xattrs: sizes beyond the interface's bounds are cut or refused */
	assert_true(vfs_getxattr(&t.b, &t.sid, e.node, "user.none", buf, sizeof(buf), &len) < 0);
	assert_true(vfs_setxattr(&t.b, &t.sid, e.node, "user.x", buf, 0, 0x7fff) < 0);
	itest_assert_err(vfs_release(&t.b, &t.sid, fh), 0);
	/* every handle the session allows, and one more */
	for (int i = 0; i < 600; i++) {
		int64_t r = vfs_open(&t.b, &t.sid, e.node, O_RDONLY, &fh);

		if (r < 0) {
			itest_assert_err(r, -EMFILE);
			assert_true(i >= 256);
			break;
		}
	}
	assert_outside_intact(&t);
	vt_stop(&t);
	free(recs);
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_fds(void **state)
{
	struct vmrpc_binding hc;
	struct vt t;
	int32_t shadow;
	int before, after;

	(void)state;
	vt_start(&t, false);
	itest_assert_err(hostcalls_bind(t.g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	before = count_fds(shadow);
	assert_true(before > 0);
	churn_descriptors(&t, 2000);
	after = count_fds(shadow);
	/* 128 O_PATH descriptors at most for the nodes, whatever the tree */
	assert_true(after - before <= 130);
	vt_stop(&t);
}

static void test_read_only(void **state)
{
	struct vfs_cred cr = { 0, 0 };
	struct vfs_sattr sa = { .valid = VFS_SET_MODE, .mode = 0777 };
	struct vfs_entry e;
	struct vfs_attr a;
	struct vt t;
	uint64_t fh;
	char buf[16];

	(void)state;
	vt_start(&t, true);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "file", &e), 0);
	itest_assert_err(vfs_mkdir(&t.b, &t.sid, 1, "d", 0755, &cr, &e), -EROFS);
	itest_assert_err(vfs_create(&t.b, &t.sid, 1, "n", O_RDWR, 0644, &cr, &e, &fh), -EROFS);
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "file", &e), 0);
	itest_assert_err(vfs_open(&t.b, &t.sid, e.node, O_WRONLY, &fh), -EROFS);
	itest_assert_err(vfs_open(&t.b, &t.sid, e.node, O_RDONLY | O_TRUNC, &fh), -EROFS);
	itest_assert_err(vfs_setattr(&t.b, &t.sid, e.node, 0, &sa, &a), -EROFS);
	itest_assert_err(vfs_unlink(&t.b, &t.sid, 1, "file"), -EROFS);
	itest_assert_err(vfs_rename(&t.b, &t.sid, 1, "file", 1, "g", 0), -EROFS);
	itest_assert_err(vfs_setxattr(&t.b, &t.sid, e.node, "user.x", "1", 1, 0), -EROFS);
	itest_assert_err(vfs_open(&t.b, &t.sid, e.node, O_RDONLY, &fh), 0);
	itest_assert_err(vfs_write(&t.b, &t.sid, fh, 0, "x", 1), -EROFS);
	assert_int_equal(vfs_read(&t.b, &t.sid, fh, 0, buf, sizeof(buf)), 6);
	itest_assert_err(vfs_release(&t.b, &t.sid, fh), 0);
	vt_stop(&t);
}

static void test_confined(void **state)
{
	struct vfs_cred cr = { 0, 0 };
	struct vfs_entry e, d;
	struct vt t;
	char root[PATH_MAX], buf[16];
	uint64_t fh;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(root, sizeof(root), "%s/jail", itest_dir());
	assert_int_equal(mkdir(root, 0755), 0);
	vt_start_in(&t, false, root);
	/* the export, outside the shadow's root, is served... */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "file", &e), 0);
	itest_assert_err(vfs_open(&t.b, &t.sid, e.node, O_RDONLY, &fh), 0);
	assert_int_equal(vfs_read(&t.b, &t.sid, fh, 0, buf, sizeof(buf)), 6);
	itest_assert_err(vfs_release(&t.b, &t.sid, fh), 0);
	itest_assert_err(vfs_mkdir(&t.b, &t.sid, 1, "d", 0755, &cr, &d), 0);
	itest_assert_err(vfs_rename(&t.b, &t.sid, 1, "file", d.node, "moved", 0), 0);
	itest_assert_err(vfs_opendir(&t.b, &t.sid, 1, &fh), 0);
	{
		char list[4096];

		assert_true(vfs_readdir(&t.b, &t.sid, fh, 0, 0, 4096, list, sizeof(list)) > 0);
	}
	itest_assert_err(vfs_releasedir(&t.b, &t.sid, fh), 0);
	/* ...and still nothing beside it */
	itest_assert_err(vfs_lookup(&t.b, &t.sid, 1, "..", &e), -EINVAL);
	assert_outside_intact(&t);
	vt_stop(&t);
}

/* Another host caller: its own channel into the guest, trying sid. */
static int other_host_caller(int rd, int wr, void *arg)
{
	const struct vfs_sid *sid = arg;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	struct vfs_attr a;

	(void)rd;
	ITEST_CHECK_EQ(vmrpc_vm_open(ITEST_REGION, ITEST_DEADLINE_MS, &ch), 0);
	ITEST_CHECK_EQ(vfs_bind(ch, &b), 0);
	ITEST_CHECK_EQ(vfs_join(&b, sid), -ENOTCONN);
	ITEST_CHECK_EQ(vfs_getattr(&b, sid, 1, 0, &a), -ENOTCONN);
	itest_send(wr, 1);
	vmrpc_chan_close(ch);
	return 0;
}

static void test_guest_side(void **state)
{
	const char *argv[] = { ITEST_GUESTD, "--region", ITEST_REGION, "--config", NULL, NULL };
	char conf[PATH_MAX], text[PATH_MAX + 32], exp[PATH_MAX], log[PATH_MAX], *l = NULL;
	struct vmrpc_chan *ch, *sib;
	struct vmrpc_binding b, bs;
	struct vfs_entry root, e;
	struct vfs_attr a;
	struct vfs_sid sid;
	struct itest_hostd h;
	struct itest_child c;
	uint32_t caps;
	pid_t guestd;
	int status;

	(void)state;
	snprintf(exp, sizeof(exp), "%s/gexp", itest_dir());
	assert_int_equal(mkdir(exp, 0755), 0);
	snprintf(conf, sizeof(conf), "%s/guestd.conf", itest_dir());
	snprintf(text, sizeof(text), "export = gdata %s\n", exp);
	itest_write_file(conf, text, strlen(text));
	snprintf(log, sizeof(log), "%s/guestd.log", itest_dir());
	argv[4] = conf;
	itest_hostd_start(&h, NULL);
	guestd = itest_spawn(argv, NULL, log);
	for (uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS; itest_now_ms() < end;) {
		free(l);
		l = itest_read_file(log, NULL);
		if (strstr(l, "serving 2 interfaces"))
			break;
		usleep(5000);
	}
	assert_non_null(strstr(l, "serving 2 interfaces"));
	free(l);

	itest_assert_err(vmrpc_vm_open(ITEST_REGION, ITEST_DEADLINE_MS, &ch), 0);
	itest_assert_err(vfs_bind(ch, &b), 0);
	itest_assert_err(vfs_mount(&b, "gdata", 0, &sid, &root, &caps), 0);
	itest_assert_err(vfs_lookup(&b, &sid, 1, "..", &e), -EINVAL);
	itest_assert_err(vfs_mkdir(&b, &sid, 1, "made", 0755, &(struct vfs_cred){ 0, 0 }, &e), 0);
	/* a sibling of this host caller joins its session */
	itest_assert_err(vmrpc_chan_open_sibling(ch, ITEST_DEADLINE_MS, &sib), 0);
	itest_assert_err(vfs_bind(sib, &bs), 0);
	itest_assert_err(vfs_getattr(&bs, &sid, e.node, 0, &a), -ENOTCONN);
	itest_assert_err(vfs_join(&bs, &sid), 0);
	itest_assert_err(vfs_getattr(&bs, &sid, e.node, 0, &a), 0);
	assert_true(S_ISDIR(a.mode));
	/* another host caller does not */
	itest_child_start(&c, other_host_caller, &sid);
	assert_int_equal(itest_expect(&c), 1);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_assert_err(vfs_unmount(&bs, &sid), 0);
	itest_assert_err(vfs_unmount(&b, &sid), 0);
	vmrpc_chan_close(sib);
	vmrpc_chan_close(ch);
	kill(guestd, SIGTERM);
	assert_int_equal(itest_wait_exit(guestd, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_rename_race, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_stale, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_sources, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_counts, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_fds, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_read_only, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_guest_side, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_confined, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_vfs_hostile", tests, NULL, NULL);
}
