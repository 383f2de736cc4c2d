/* SPDX-License-Identifier: MIT */
/*
 * The null call as ONC RPC's NULLPROC (libtirpc) over TCP on 127.0.0.1:
 * what a classic RPC system costs for a call that does nothing. Without
 * libtirpc at build time the peer is there but opens with -ENOSYS, and the
 * table says why.
 */
#include <errno.h>
#include <stdio.h>

#ifdef VMRPC_BENCH_HAVE_TIRPC
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <string.h>
#include <sys/socket.h>
#endif

#include "nullcall.h"

#ifdef VMRPC_BENCH_HAVE_TIRPC
struct nc_oncrpc_ctx {
	int listen_fd;
	CLIENT *clnt;
};

static struct nc_oncrpc_ctx nc_oncrpc;

#define NC_ONCRPC_PROG 0x2076726dul /* transient program number range */
#define NC_ONCRPC_VERS 1ul

/* tirpc declares xdr_void(void); a cast through void (*)(void) is the
 * documented way to say the function-type mismatch is intended. */
#define NC_XDR_VOID ((xdrproc_t)(void (*)(void))xdr_void)

static struct bench_report *nc_oncrpc_report; /* the callee child's */

static void nc_oncrpc_dispatch(struct svc_req *rq, SVCXPRT *xprt)
{
	if (rq->rq_proc != NULLPROC) {
		svcerr_noproc(xprt);
		return;
	}
	nc_oncrpc_report->served++;
	if (!svc_sendreply(xprt, NC_XDR_VOID, NULL))
		svcerr_systemerr(xprt);
}

static int nc_oncrpc_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_oncrpc_ctx *x = k->priv;
	SVCXPRT *xprt;

	nc_oncrpc_report = k->report;
	xprt = svctcp_create(x->listen_fd, 0, 0);
	if (!xprt) {
		fprintf(stderr, "%s callee: svctcp_create failed\n", k->peer->key);
		return -EIO;
	}
	/* Protocol 0: do not register with rpcbind; the caller knows the port. */
	if (!svc_register(xprt, NC_ONCRPC_PROG, NC_ONCRPC_VERS, nc_oncrpc_dispatch, 0)) {
		fprintf(stderr, "%s callee: svc_register failed\n", k->peer->key);
		return -EIO;
	}
	svc_run();
	fprintf(stderr, "%s callee: svc_run returned\n", k->peer->key);
	return -EIO;
}

static int nc_oncrpc_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_oncrpc_ctx *x = k->priv;
	struct timeval tv = { .tv_sec = 10 };
	enum clnt_stat st;

	st = clnt_call(x->clnt, NULLPROC, NC_XDR_VOID, NULL, NC_XDR_VOID, NULL, tv);
	if (st != RPC_SUCCESS) {
		fprintf(stderr, "%s: %s\n", k->peer->key, clnt_sperror(x->clnt, "clnt_call"));
		return -EPROTO;
	}
	return 0;
}

static int nc_oncrpc_open(struct nc_case *k)
{
	struct nc_oncrpc_ctx *x = &nc_oncrpc;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int sock = RPC_ANYSOCK, err;

	k->priv = x;
	x->listen_fd = -1;
	x->clnt = NULL;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	x->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->listen_fd < 0 || bind(x->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(x->listen_fd, 16) < 0 ||
	    getsockname(x->listen_fd, (struct sockaddr *)&a, &alen) < 0) {
		err = -errno;
		fprintf(stderr, "%s: listening socket on 127.0.0.1: %s\n", k->peer->key,
			strerror(-err));
		return err;
	}
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_oncrpc_callee, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", k->peer->key, strerror(-err));
		return err;
	}
	nc_close_fd(&x->listen_fd);
	/* A non-zero port: no rpcbind query, a direct connect. */
	x->clnt = clnttcp_create(&a, NC_ONCRPC_PROG, NC_ONCRPC_VERS, &sock, 0, 0);
	if (!x->clnt) {
		fprintf(stderr, "%s: %s\n", k->peer->key, clnt_spcreateerror("clnttcp_create"));
		return -ECONNREFUSED;
	}
	return 0;
}

static void nc_oncrpc_close(struct nc_case *k)
{
	struct nc_oncrpc_ctx *x = k->priv;

	if (!x)
		return;
	if (x->clnt)
		clnt_destroy(x->clnt);
	x->clnt = NULL;
	nc_close_fd(&x->listen_fd);
}
#else
static int nc_oncrpc_open(struct nc_case *k)
{
	k->note = "(built without libtirpc)";
	return -ENOSYS;
}

static int nc_oncrpc_call(void *arg)
{
	return -ENOSYS;
}

static void nc_oncrpc_close(struct nc_case *k)
{
}
#endif

const struct nc_peer nc_peer_oncrpc = {
	.key = "oncrpc",
	.name = "ONC RPC NULLPROC, TCP 127.0.0.1",
	.spinning = false,
	.open = nc_oncrpc_open,
	.call = nc_oncrpc_call,
	.close = nc_oncrpc_close,
};
