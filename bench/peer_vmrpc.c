/* SPDX-License-Identifier: MIT */
/*
 * The null call through vmrpc itself: the real call protocol of libvmrpc
 * over the loopback transport, without vmrpc-hostd. This process creates
 * the region and its doorbell socket as hostd would (the stand-in hostd,
 * libvmrpc/standin); a forked "host" child answers the doorbell, attaches
 * the channel and serves it with vmrpc_callee_serve(); the parent maps the
 * region a second time, as a guest caller would, and calls through the
 * generated stub of benchnull.idl's `void null()`.
 *
 * Three peers: both sides spinning with libvmrpc's default budget, called
 * through the generated stub and through the dynamic path
 * (vmrpc/dynamic.h: the type table fetched from the callee, no stub), and
 * both with a spin budget of 0 (every call sleeps and is woken).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "benchnull_callee.h"
#include "benchnull_caller.h"
#include "nullcall.h"
#include "standin.h"
#include "vmrpc/dynamic.h"
#include "vmrpc/stub.h"

/* The host side both peers share: the first to open sets it up, as hostd
 * would, before it forks its host child; every host child inherits the
 * mapping and the doorbell socket. */
static struct nc_standin {
	struct vmrpc_region *region;
	int bell_fd;
	unsigned users;
	bool tried;
} nc_standin = { .bell_fd = -1 };

struct nc_vmrpc {
	uint32_t spin_ns;           /* both sides; STANDIN_SPIN_DEFAULT: libvmrpc's */
	bool holds_standin;
	struct vmrpc_region *guest; /* the caller's own mapping */
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	bool dynamic;               /* call through vmrpc_dyn_call */
	struct vmrpc_dyn *dyn;
	uint32_t dyn_null;          /* null()'s index in the type table */
};

static struct nc_vmrpc nc_vmrpc_spin = { .spin_ns = STANDIN_SPIN_DEFAULT };
static struct nc_vmrpc nc_vmrpc_dyn = { .spin_ns = STANDIN_SPIN_DEFAULT, .dynamic = true };
static struct nc_vmrpc nc_vmrpc_sleep = { .spin_ns = 0 };

/* benchnull.idl's null(), served by the generated skeleton. Counting is a
 * store to a line the caller does not read while calls run, so it costs the
 * round trip nothing. */
static int nc_null(void *ctx)
{
	struct bench_report *report = ctx;

	report->served++;
	return 0;
}

static const struct benchnull_ops nc_null_ops = { .null = nc_null };

static int nc_standin_get(void)
{
	const struct vmrpc_iface *ifaces[] = { &benchnull_iface };
	const struct vmrpc_region_opts opts = { .n_channels = 4, .chan_size = 64u << 10 };
	const char *dir;
	int err;

	if (nc_standin.region) {
		nc_standin.users++;
		return 0;
	}
	if (nc_standin.tried)
		return -ENODEV; /* the first peer to try said why */
	nc_standin.tried = true;
	err = nc_runtime_dir(&dir);
	if (err < 0)
		return err;
	err = standin_region_create("bench", &opts, &nc_standin.region, &nc_standin.bell_fd);
	if (err < 0) {
		fprintf(stderr, PROG ": stand-in region: %s\n", vmrpc_strerror(err));
		return err;
	}
	err = vmrpc_hostd_region_publish(nc_standin.region, ifaces, 1);
	if (err < 0) {
		fprintf(stderr, PROG ": vmrpc_hostd_region_publish: %s\n", vmrpc_strerror(err));
		nc_close_fd(&nc_standin.bell_fd);
		vmrpc_region_close(nc_standin.region);
		nc_standin.region = NULL;
		return err;
	}
	nc_standin.users = 1;
	return 0;
}

/* The last user closes this process's handles; the host children keep
 * their own until they are stopped. */
static void nc_standin_put(void)
{
	if (--nc_standin.users > 0)
		return;
	nc_close_fd(&nc_standin.bell_fd);
	vmrpc_region_close(nc_standin.region);
	nc_standin.region = NULL;
}

/* Child: act as hostd for one attach, then as the channel's shadow. */
static int nc_vmrpc_host_main(void *arg)
{
	struct nc_case *k = arg;
	struct nc_vmrpc *v = k->priv;
	const struct vmrpc_service svc = benchnull_service(&nc_null_ops, k->report);
	struct vmrpc_callee *callee;
	int err;

	err = standin_chan_accept(nc_standin.region, nc_standin.bell_fd, 10000, v->spin_ns,
				  &callee);
	if (err < 0) {
		fprintf(stderr, "%s host: no channel attached: %s\n", k->peer->key,
			err == -ETIMEDOUT ? "no attach doorbell within 10 s" : vmrpc_strerror(err));
		return err;
	}
	/* Serves until the parent's SIGTERM ends the process. */
	err = vmrpc_callee_serve(callee, &svc, 1);
	fprintf(stderr, "%s host: vmrpc_callee_serve returned: %s\n", k->peer->key,
		err < 0 ? vmrpc_strerror(err) : "stopped");
	vmrpc_callee_close(callee);
	return err < 0 ? err : -EINTR;
}

static int nc_vmrpc_open(struct nc_case *k, struct nc_vmrpc *v)
{
	const char *key = k->peer->key;
	int err;

	k->priv = v;
	err = nc_standin_get();
	if (err < 0)
		return err;
	v->holds_standin = true;
	/* Forked only now, after the previous vmrpc case's child has taken its
	 * ATTACH doorbell: the next one is for this child. */
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_vmrpc_host_main, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", key, strerror(-err));
		return err;
	}
	/* A separate mapping of the region file, as a guest caller has. */
	err = vmrpc_region_open("bench", &v->guest);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_region_open: %s\n", key, vmrpc_strerror(err));
		return err;
	}
	err = vmrpc_chan_open(v->guest, 0, &v->ch);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_chan_open: %s\n", key, vmrpc_strerror(err));
		return err;
	}
	if (v->spin_ns != STANDIN_SPIN_DEFAULT)
		vmrpc_chan_set_spin(v->ch, v->spin_ns);
	err = benchnull_bind(v->ch, &v->b);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_bind: %s\n", key, vmrpc_strerror(err));
		return err;
	}
	if (v->dynamic) {
		err = vmrpc_dyn_bind(v->ch, "benchnull", &v->dyn);
		if (err < 0) {
			fprintf(stderr, "%s: vmrpc_dyn_bind: %s\n", key, vmrpc_strerror(err));
			return err;
		}
		err = vmrpc_dyn_method(v->dyn, "null");
		if (err < 0)
			return err;
		v->dyn_null = (uint32_t)err;
	}
	return 0;
}

static int nc_vmrpc_open_spin(struct nc_case *k)
{
	return nc_vmrpc_open(k, &nc_vmrpc_spin);
}

static int nc_vmrpc_open_dyn(struct nc_case *k)
{
	return nc_vmrpc_open(k, &nc_vmrpc_dyn);
}

static int nc_vmrpc_open_sleep(struct nc_case *k)
{
	return nc_vmrpc_open(k, &nc_vmrpc_sleep);
}

/* The generated stub of benchnull.idl's `void null()`. */
static int nc_vmrpc_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_vmrpc *v = k->priv;
	int err = benchnull_null(&v->b);

	if (err < 0)
		fprintf(stderr, "%s: call: %s\n", k->peer->key, vmrpc_strerror(err));
	return err;
}

/* The same null(), through the dynamic path. */
static int nc_vmrpc_dyn_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_vmrpc *v = k->priv;
	int err = (int)vmrpc_dyn_call(v->dyn, v->dyn_null, NULL, 0, NULL);

	if (err < 0)
		fprintf(stderr, "%s: call: %s\n", k->peer->key, vmrpc_strerror(err));
	return err;
}

static void nc_vmrpc_close(struct nc_case *k)
{
	struct nc_vmrpc *v = k->priv;

	if (!v)
		return;
	vmrpc_dyn_free(v->dyn);
	v->dyn = NULL;
	vmrpc_chan_close(v->ch);
	v->ch = NULL;
	vmrpc_region_close(v->guest);
	v->guest = NULL;
	if (v->holds_standin)
		nc_standin_put();
	v->holds_standin = false;
}

const struct nc_peer nc_peer_vmrpc_spin = {
	.key = "vmrpc-spin",
	.name = "vmrpc null call, spinning",
	.spinning = true,
	.open = nc_vmrpc_open_spin,
	.call = nc_vmrpc_call,
	.close = nc_vmrpc_close,
};

const struct nc_peer nc_peer_vmrpc_dyn = {
	.key = "vmrpc-dyn",
	.name = "vmrpc null call, spinning, dynamic",
	.spinning = true,
	.open = nc_vmrpc_open_dyn,
	.call = nc_vmrpc_dyn_call,
	.close = nc_vmrpc_close,
};

const struct nc_peer nc_peer_vmrpc_sleep = {
	.key = "vmrpc-sleep",
	.name = "vmrpc null call, sleeping (spin 0)",
	.spinning = false,
	.open = nc_vmrpc_open_sleep,
	.call = nc_vmrpc_call,
	.close = nc_vmrpc_close,
};
