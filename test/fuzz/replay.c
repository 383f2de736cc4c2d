/* SPDX-License-Identifier: MIT */
/*
 * Runs inputs through a libFuzzer target without libFuzzer, so any compiler
 * (and the ASan build) replays a corpus. Linked with one target
 * (fuzz_request.c, fuzz_idl.c) it makes that target's replay driver:
 * DRIVER FILE|DIR... runs each file, and each regular file of each
 * directory in name order, once, from a buffer of exactly the file's size
 * (as libFuzzer does, so ASan sees a read past the input's end). With
 * $FUZZ_VERBOSE (or $FUZZ_REQUEST_VERBOSE) set it prints "FILE: " before
 * each input, and the target (which reads the same variables) ends the line
 * with what it made of the input. An invariant violation abort()s; exit 0 means every input passed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as in libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static const char *prog;
static int verbose;

static int run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 65536;
			p = realloc(buf, cap);
			if (!p) {
				err = -1;
				break;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		err = -1;
	fclose(f);
	if (err < 0) {
		fprintf(stderr, "%s: %s: cannot read\n", prog, path);
		free(buf);
		return -1;
	}
	/* Exactly len bytes, so that reading one more is an overflow. */
	if (len < cap) {
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		buf = exact;
	}
	if (verbose)
		fprintf(stderr, "%s: ", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int run_path(const char *path, unsigned *count)
{
	struct dirent **ents;
	struct stat st;
	int n, err = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*count += 1;
		return run_file(path);
	}
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			*count += 1;
			if (run_file(sub) < 0)
				err = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return err;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int err = 0;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	verbose = getenv("FUZZ_VERBOSE") || getenv("FUZZ_REQUEST_VERBOSE");
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", prog);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			err = 1;
	printf("%s: %u inputs, %s\n", prog, count, err ? "errors" : "all passed");
	return err || count == 0;
}
