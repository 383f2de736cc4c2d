/* SPDX-License-Identifier: MIT */
/*
 * The null call through vmrpc's deployment path: vmrpc-hostd in the callee
 * child (pinned there, as its shadows then are), serving benchnull.idl from
 * a service module in a shadow; the caller uses the generated stubs.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "benchnull_caller.h"
#include "nullcall.h"
#include "vmrpc/stub.h"

/* The region hostd serves, beside the vmrpc peers' "bench". */
#define NC_HOSTD_REGION "benchd"

struct nc_hostd {
	struct vmrpc_region *guest;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
};

static struct nc_hostd nc_hostd;

static int nc_hostd_open(struct nc_case *k)
{
	char *const argv[] = { "vmrpc-hostd", "--loopback", NC_HOSTD_REGION, "--channels", "2",
			       "--service", NC_BENCHNULL_MODULE, NULL };
	struct nc_hostd *v = &nc_hostd;
	char sock[PATH_MAX], log[PATH_MAX];
	const char *dir;
	int err;

	k->priv = v;
	err = nc_runtime_dir(&dir);
	if (err < 0)
		return err;
	err = vmrpc_region_path(NC_HOSTD_REGION, ".sock", sock, sizeof(sock));
	if (err < 0)
		return err;
	/* in the callee child: pinned there, as its shadows then are */
	snprintf(log, sizeof(log), "%s/hostd.log", dir);
	err = bench_daemon_start(&k->child, k->cfg->callee_cpu, NC_HOSTD_EXE, argv, log, sock,
				 k->peer->key);
	if (err < 0)
		return err;
	err = vmrpc_region_open(NC_HOSTD_REGION, &v->guest);
	if (err == 0)
		err = vmrpc_chan_open(v->guest, 0, &v->ch);
	if (err == 0)
		err = benchnull_bind(v->ch, &v->b);
	if (err < 0)
		fprintf(stderr, "%s: attach: %s\n", k->peer->key, vmrpc_strerror(err));
	return err;
}

static int nc_hostd_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_hostd *v = k->priv;
	int err = benchnull_null(&v->b);

	if (err < 0)
		fprintf(stderr, "%s: call: %s\n", k->peer->key, vmrpc_strerror(err));
	return err;
}

/* The shadow counted its calls; hand the count to the common check. */
static void nc_hostd_close(struct nc_case *k)
{
	struct nc_hostd *v = k->priv;
	int64_t served;

	if (!v)
		return;
	served = v->ch ? benchnull_served(&v->b) : 0;
	k->report->served = served > 0 ? (uint64_t)served : 0;
	vmrpc_chan_close(v->ch);
	v->ch = NULL;
	vmrpc_region_close(v->guest);
	v->guest = NULL;
}

const struct nc_peer nc_peer_hostd = {
	.key = "vmrpc-hostd",
	.name = "vmrpc via hostd shadow + stubs",
	.spinning = true,
	.open = nc_hostd_open,
	.call = nc_hostd_call,
	.close = nc_hostd_close,
};
