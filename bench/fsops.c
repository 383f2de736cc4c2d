/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-fsops [--div N] DIR LABEL: what one file-system operation
 * costs in DIR (a native directory, a vmrpc-mount, a passthrough_ll mount,
 * /host/... under the shim, or virtio-fs in a guest), printed as one table
 * row; bench/mount.sh and bench/vm_mount.sh run it for each and print the
 * table (docs/benchmarks.md). --div N times 1/N of the operations (at
 * least 5 of each): an emulated guest is 10-100x slower.
 *
 * vmrpc-bench-fsops --repeat OP N DIR runs one operation N times, untimed,
 * for a profile of what it costs (bench/vm_mount.sh counts the FUSE
 * requests and wake-ups): stat, open, read4k, create, readdir, and read1m
 * or write1m (one 1 MiB pread or pwrite of the 64 MiB file).
 *
 * Per-operation medians in microseconds: lstat of one file, open+close, a
 * 4 KiB pread at a random offset of a 64 MiB file, create+unlink, and a
 * whole readdir of 10,000 entries; then 1 MiB sequential reads and writes
 * in MiB/s. With caches off on the mounts (cache=none, cache=never), every
 * operation reaches the serving side.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"

#define BIG (64u << 20)
#define N_DIRENTS 10000
#define MIB (1u << 20)

static char dir[4096];
static char buf[MIB];
static size_t div_ops = 1;

static void die(const char *what)
{
	fprintf(stderr, "vmrpc-bench-fsops: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of n timings of fn (n / --div, at least 5), in microseconds. */
static double median_us(size_t n, void (*fn)(size_t i))
{
	uint64_t *t;
	double r;

	n = n / div_ops < 5 ? 5 : n / div_ops;
	t = malloc(n * sizeof(*t));
	if (!t)
		die("malloc");
	for (size_t i = 0; i < n / 10 + 1; i++)
		fn(i); /* warm up */
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		fn(i);
		t[i] = bench_now_ns() - t0;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	r = (double)t[n / 2] / 1000.0;
	free(t);
	return r;
}

static char path_small[4200], path_big[4200], path_dir[4200], path_tmp[4200];
static int big_fd;

static void op_stat(size_t i)
{
	struct stat st;

	(void)i;
	if (lstat(path_small, &st) < 0)
		die("lstat");
}

static void op_open_close(size_t i)
{
	int fd = open(path_small, O_RDONLY);

	(void)i;
	if (fd < 0)
		die("open");
	close(fd);
}

static void op_read4k(size_t i)
{
	off_t off = (off_t)((i * 2654435761u) % (BIG / 4096)) * 4096;

	if (pread(big_fd, buf, 4096, off) != 4096)
		die("pread");
}

static void op_create_unlink(size_t i)
{
	int fd;

	(void)i;
	fd = open(path_tmp, O_CREAT | O_EXCL | O_WRONLY, 0644);
	if (fd < 0)
		die("create");
	close(fd);
	if (unlink(path_tmp) < 0)
		die("unlink");
}

static void op_readdir(size_t i)
{
	DIR *d = opendir(path_dir);
	size_t n = 0;

	(void)i;
	if (!d)
		die("opendir");
	while (readdir(d))
		n++;
	closedir(d);
	if (n != N_DIRENTS + 2) {
		errno = EPROTO;
		die("readdir count");
	}
}

/* MiB/s of reading (or writing) the 64 MiB file in 1 MiB calls. */
static double seq_mibs(bool write_it)
{
	uint64_t t0, best = UINT64_MAX;

	for (int round = 0; round < 3; round++) {
		int fd = open(path_big, write_it ? O_WRONLY : O_RDONLY);

		if (fd < 0)
			die("open big");
		t0 = bench_now_ns();
		for (off_t off = 0; off < BIG; off += MIB)
			if ((write_it ? pwrite(fd, buf, MIB, off) : pread(fd, buf, MIB, off)) != MIB)
				die(write_it ? "pwrite" : "pread");
		if (write_it && fsync(fd) < 0 && errno != EINVAL)
			die("fsync");
		close(fd);
		if (bench_now_ns() - t0 < best)
			best = bench_now_ns() - t0;
	}
	return (double)(BIG / MIB) / ((double)best / 1e9);
}

static void setup(void)
{
	struct stat st;
	int fd;

	snprintf(path_small, sizeof(path_small), "%s/small", dir);
	snprintf(path_big, sizeof(path_big), "%s/big", dir);
	snprintf(path_dir, sizeof(path_dir), "%s/many", dir);
	snprintf(path_tmp, sizeof(path_tmp), "%s/tmpfile", dir);
	if (stat(path_small, &st) < 0) {
		fd = open(path_small, O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || write(fd, "small\n", 6) != 6)
			die("small");
		close(fd);
	}
	if (stat(path_big, &st) < 0 || st.st_size != BIG) {
		memset(buf, 'x', sizeof(buf));
		fd = open(path_big, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		for (off_t off = 0; fd >= 0 && off < BIG; off += MIB)
			if (pwrite(fd, buf, MIB, off) != MIB)
				die("big");
		if (fd < 0)
			die("big");
		close(fd);
	}
	if (stat(path_dir, &st) < 0) {
		char p[4300];

		if (mkdir(path_dir, 0755) < 0)
			die("many");
		for (int i = 0; i < N_DIRENTS; i++) {
			snprintf(p, sizeof(p), "%s/entry-%05d", path_dir, i);
			fd = open(p, O_CREAT | O_WRONLY, 0644);
			if (fd < 0)
				die("entry");
			close(fd);
		}
	}
	unlink(path_tmp);
}

static void op_read1m(size_t i)
{
	if (pread(big_fd, buf, MIB, (off_t)(i % (BIG / MIB)) * MIB) != MIB)
		die("pread 1 MiB");
}

static void op_write1m(size_t i)
{
	if (pwrite(big_fd, buf, MIB, (off_t)(i % (BIG / MIB)) * MIB) != MIB)
		die("pwrite 1 MiB");
}

static int repeat(const char *op, const char *count)
{
	static const struct {
		const char *name;
		void (*fn)(size_t i);
	} ops[] = {
		{ "stat", op_stat },	     { "open", op_open_close }, { "read4k", op_read4k },
		{ "create", op_create_unlink }, { "readdir", op_readdir }, { "read1m", op_read1m },
		{ "write1m", op_write1m },
	};
	char *end;
	unsigned long n = strtoul(count, &end, 10);

	if (*end || !n) {
		fprintf(stderr, "vmrpc-bench-fsops: --repeat %s %s: not a positive count\n", op,
			count);
		return 2;
	}
	for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		if (strcmp(op, ops[k].name))
			continue;
		setup();
		memset(buf, 'y', sizeof(buf));
		big_fd = open(path_big, O_RDWR);
		if (big_fd < 0)
			die("open big");
		for (size_t i = 0; i < n; i++)
			ops[k].fn(i);
		close(big_fd);
		return 0;
	}
	fprintf(stderr, "vmrpc-bench-fsops: --repeat %s: no such operation\n", op);
	return 2;
}

int main(int argc, char **argv)
{
	const char *label;
	double stat_us, oc_us, rd_us, cu_us, rdir_us, seq_r, seq_w;

	if (argc > 2 && !strcmp(argv[1], "--div")) {
		char *end;
		unsigned long d = strtoul(argv[2], &end, 10);

		if (*end || !d) {
			fprintf(stderr, "vmrpc-bench-fsops: --div %s: not a positive count\n", argv[2]);
			return 2;
		}
		div_ops = d;
		argc -= 2;
		argv += 2;
	}
	if (argc == 3 && !strcmp(argv[1], "--setup")) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		setup();
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "--repeat")) {
		snprintf(dir, sizeof(dir), "%s", argv[4]);
		return repeat(argv[2], argv[3]);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: vmrpc-bench-fsops [--div N] DIR LABEL\n"
				"       vmrpc-bench-fsops --setup DIR\n"
				"       vmrpc-bench-fsops --repeat OP N DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	label = argv[2];
	setup();
	big_fd = open(path_big, O_RDONLY);
	if (big_fd < 0)
		die("open big");
	stat_us = median_us(20000, op_stat);
	oc_us = median_us(10000, op_open_close);
	rd_us = median_us(20000, op_read4k);
	cu_us = median_us(3000, op_create_unlink);
	rdir_us = median_us(20, op_readdir);
	close(big_fd);
	seq_r = seq_mibs(false);
	seq_w = seq_mibs(true);
	printf("| %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f |\n", label, stat_us, oc_us,
	       rd_us, cu_us, rdir_us, seq_r, seq_w);
	return 0;
}
