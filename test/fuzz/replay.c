/* SPDX-License-Identifier: MIT */
/*
 * Runs inputs through a libFuzzer target without libFuzzer, so any compiler
 * (and the ASan build) replays a corpus. Linked with one target
 * (fuzz_request.c, fuzz_idl.c, fuzz_vfs.c) it makes that target's replay driver:
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

/* Every input, read before the target's initializer runs: it may give up
 * privileges (fuzz_vfs becomes nobody) and lose access to the corpus. */
struct input {
	char *path;
	uint8_t *buf; /* exactly len bytes, so that reading one more is an overflow */
	size_t len;
};

static struct input *inputs;
static size_t n_inputs;

static int load_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "rb");
	struct input *grown;
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
	if (err == 0 && len < cap) {
		uint8_t *exact = malloc(len ? len : 1);

		if (exact)
			memcpy(exact, buf, len);
		else
			err = -1;
		free(buf);
		buf = exact;
	}
	grown = err ? NULL : realloc(inputs, (n_inputs + 1) * sizeof(*inputs));
	if (!grown || !(grown[n_inputs].path = strdup(path))) {
		if (grown)
			inputs = grown;
		fprintf(stderr, "%s: %s: cannot read\n", prog, path);
		free(buf);
		return -1;
	}
	inputs = grown;
	inputs[n_inputs].buf = buf;
	inputs[n_inputs++].len = len;
	return 0;
}

static int load_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	int n, err = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		return load_file(path);
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
			if (load_file(sub) < 0)
				err = -1;
		}
		free(ents[i]);
	}
	free(ents);
	return err;
}

int main(int argc, char **argv)
{
	int err = 0;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	verbose = getenv("FUZZ_VERBOSE") || getenv("FUZZ_REQUEST_VERBOSE");
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", prog);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (load_path(argv[i]) < 0)
			err = 1;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (size_t i = 0; i < n_inputs; i++) {
		if (verbose)
			fprintf(stderr, "%s: ", inputs[i].path);
		LLVMFuzzerTestOneInput(inputs[i].buf, inputs[i].len);
		free(inputs[i].buf);
		free(inputs[i].path);
	}
	free(inputs);
	printf("%s: %zu inputs, %s\n", prog, n_inputs, err ? "errors" : "all passed");
	return err || n_inputs == 0;
}
