/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-vm-reclaim: guest callers that never detach, for test/vm/run.sh's
 * reclaim checks (what loopback cannot show: in a VM only vmrpc-guestd and
 * the guest's boot id tell hostd that a guest caller is gone).
 *
 *   vmrpc-vm-reclaim hold REGION FIFO
 *       Attach, print "holding channel N", then make a host call that never
 *       returns (read a host FIFO nobody writes): printed "calling", it
 *       waits in that call until it is killed, or the guest powers off.
 *   vmrpc-vm-reclaim reuse REGION N
 *       Wait (at most 30 s) until channel N is FREE again, attach (the
 *       lowest free channel: N, or a lower one another caller left free
 *       meanwhile, which it holds and attaches again) and make a call on it. Exits 0 and prints
 *       "channel N serves again" when all of that holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostcalls_caller.h"
#include "vmrpc/guest.h"

#define RECLAIM_WAIT_S 30
#define RECLAIM_LOWER_MAX 64

static int hold(const char *region, const char *fifo)
{
	struct vmrpc_binding hc;
	struct vmrpc_guest g;
	char byte;
	int32_t fd;
	int err;

	err = vmrpc_guest_attach(region, &g);
	if (err == 0)
		err = hostcalls_bind(g.chan, &hc);
	if (err < 0) {
		printf("hold: attach %s: %s\n", region, vmrpc_strerror(err));
		return 1;
	}
	printf("holding channel %u\n", vmrpc_chan_index(g.chan));
	/* O_RDWR: the open does not wait for a writer; the read does. */
	fd = hostcalls_open(&hc, fifo, O_RDWR, 0);
	if (fd < 0) {
		printf("hold: open %s on the host: %s\n", fifo, vmrpc_strerror(fd));
		return 1;
	}
	printf("calling\n");
	fflush(stdout);
	err = (int)hostcalls_read(&hc, fd, &byte, 1);
	printf("hold: the call returned: %s\n", vmrpc_strerror(err));
	return 1;
}

static int reuse(const char *region, uint32_t want)
{
	struct vmrpc_region *r;
	struct vmrpc_binding hc;
	struct vmrpc_guest g, lower[RECLAIM_LOWER_MAX];
	struct vmrpc_chan_hdr *h;
	int n_lower = 0;
	time_t end = time(NULL) + RECLAIM_WAIT_S;
	char sysfs[128];
	int32_t pid;
	uint32_t st;
	int err;

	/* Through vmrpc.ko a caller sees only its own channel: watch channel
	 * N's state through the sysfs mapping (as root), attach as usual. */
	if (!strncmp(region, "pci:", 4)) {
		snprintf(sysfs, sizeof(sysfs), "sysfs:%s", region + 4);
		err = vmrpc_guest_region_open(sysfs, &r);
	} else {
		err = vmrpc_guest_region_open(region, &r);
	}
	if (err < 0 || !(h = vmrpc_region_chan(r, want))) {
		printf("reuse: region %s, channel %u: %s\n", region, want, vmrpc_strerror(err));
		return 1;
	}
	while ((st = __atomic_load_n(&h->ctl.state, __ATOMIC_ACQUIRE)) != VMRPC_CHAN_FREE) {
		if (time(NULL) > end) {
			printf("reuse: channel %u still in state %u after %d s\n", want, st,
			       RECLAIM_WAIT_S);
			return 1;
		}
		usleep(20000);
	}
	vmrpc_region_close(r);
	/* Attach takes the lowest free channel: hold any lower one that a
	 * caller that came and went left free, until we get N. */
	for (;;) {
		err = vmrpc_guest_attach(region, &g);
		if (err < 0 || vmrpc_chan_index(g.chan) >= want || n_lower == RECLAIM_LOWER_MAX)
			break;
		lower[n_lower++] = g;
	}
	if (err == 0)
		err = hostcalls_bind(g.chan, &hc);
	if (err == 0)
		err = hostcalls_identity(&hc, &pid, NULL, NULL);
	if (err < 0) {
		printf("reuse: a call after the reclaim: %s\n", vmrpc_strerror(err));
		return 1;
	}
	if (vmrpc_chan_index(g.chan) != want) {
		printf("reuse: attached channel %u, not %u\n", vmrpc_chan_index(g.chan), want);
		return 1;
	}
	while (n_lower > 0)
		vmrpc_guest_detach(&lower[--n_lower]);
	printf("channel %u serves again (shadow pid %d)\n", want, pid);
	vmrpc_guest_detach(&g);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "reuse"))
		return reuse(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: vmrpc-vm-reclaim hold REGION FIFO | reuse REGION N\n");
	return 2;
}
