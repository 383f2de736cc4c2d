/* SPDX-License-Identifier: MIT */
/*
 * zlib-demo: checksums of a file (or stdin) computed on the host by its
 * zlib, which vmrpc-hostd serves with nothing but zlib.idl:
 *
 *	vmrpc-hostd --loopback demo --ffi-service zlib.idl:libz.so.1 &
 *	VMRPC_REGION=demo zlib-demo FILE
 *
 * The guest side is an ordinary caller with generated stubs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmrpc/guest.h"
#include "zlib_caller.h"

#define CHUNK 4096

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : NULL;
	struct vmrpc_guest g;
	struct vmrpc_binding z;
	unsigned char buf[CHUNK];
	int64_t crc = 0, adler = 1, bound;
	uint64_t total = 0;
	FILE *f = path ? fopen(path, "rb") : stdin;
	size_t n;
	int err;

	if (!f) {
		fprintf(stderr, "zlib-demo: %s: %s\n", path, strerror(errno));
		return 1;
	}
	err = vmrpc_guest_attach(NULL, &g);
	if (err < 0) {
		char why[1024];

		vmrpc_region_explain(vmrpc_guest_default_region(), err, why, sizeof(why));
		fprintf(stderr, "zlib-demo: attach: %s\n", why);
		return 1;
	}
	err = zlib_bind(g.chan, &z);
	if (err < 0) {
		fprintf(stderr, "zlib-demo: bind zlib: %s (is hostd started with "
			"--ffi-service zlib.idl:libz.so.1?)\n", vmrpc_strerror(err));
		vmrpc_guest_detach(&g);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		crc = zlib_crc32(&z, (uint64_t)crc, buf, (uint32_t)n);
		adler = crc < 0 ? crc : zlib_adler32(&z, (uint64_t)adler, buf, (uint32_t)n);
		if (crc < 0 || adler < 0) {
			fprintf(stderr, "zlib-demo: call: %s\n",
				vmrpc_strerror((int)(crc < 0 ? crc : adler)));
			vmrpc_guest_detach(&g);
			return 1;
		}
		total += n;
	}
	bound = zlib_compressBound(&z, total);
	printf("%" PRIu64 " bytes: crc32 %08" PRIx64 ", adler32 %08" PRIx64
	       ", compressBound %" PRId64 "\n", total, crc, adler, bound);
	if (f != stdin)
		fclose(f);
	vmrpc_guest_detach(&g);
	return bound < 0 ? 1 : 0;
}
