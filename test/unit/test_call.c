/* SPDX-License-Identifier: MIT */
/*
 * The call protocol between two real processes: the test process is the
 * caller, a forked child is the host side and the callee (it attaches the
 * channel with its own pid, as a shadow's pid would be). Covers many calls
 * with and without spinning, a slow callee, every way a call can end
 * without a reply (callee killed, channel marked dead, channel reset, words
 * overwritten), and attaching: no hostd, a hostd that never answers, a
 * refusal, no free channel, and the DETACH doorbell of vmrpc_chan_close.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

enum {
	M_ECHO,  /* status a + b; out[i] = in[i] ^ 0xff; results {a * b, sum(in)} */
	M_SLEEP, /* sleep a ms; status a */
	M_PID,   /* status getpid() */
	M_COUNT
};

struct echo_args {
	int64_t a, b;
	uint64_t in_off, out_off;
	uint32_t len;
	uint32_t pad;
};

struct echo_results {
	int64_t prod;
	uint64_t sum;
};

static int64_t echo_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call)
{
	const struct echo_args *a = call->args;
	struct echo_results *res = call->results;
	const uint8_t *in;
	uint8_t *out;
	uint64_t sum = 0;
	int err;

	(void)ops;
	(void)ctx;
	if (call->args_len < sizeof(*a))
		return -EINVAL;
	switch (call->method) {
	case M_ECHO:
		err = vmrpc_incall_in_buf(call, a->in_off, a->len, (const void **)&in);
		if (err < 0)
			return err;
		err = vmrpc_incall_out_buf(call, a->out_off, a->len, (void **)&out);
		if (err < 0)
			return err;
		for (uint32_t i = 0; i < a->len; i++) {
			sum += in[i];
			out[i] = in[i] ^ 0xff;
		}
		res->prod = a->a * a->b;
		res->sum = sum;
		call->res_len = sizeof(*res);
		return a->a + a->b;
	case M_SLEEP:
		unit_sleep_ms((unsigned)a->a);
		return a->a;
	case M_PID:
		return getpid();
	}
	return -ENOSYS;
}

static const struct vmrpc_iface echo_iface = {
	.name = "unit.echo", .version = 1, .n_methods = M_COUNT, .sig_hash = 0xec40,
};
static const struct vmrpc_service echo_svc = {
	.iface = &echo_iface, .dispatch = echo_dispatch,
};

struct fixture {
	struct vmrpc_region *host, *guest;
	int bell_fd;
	pid_t child;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	uint32_t idx;
	struct vmrpc_chan_hdr *c; /* caller's view of the channel */
};

static struct fixture fix;

static void fixture_region(struct fixture *f, uint32_t n)
{
	const struct vmrpc_iface *ifaces[] = { &echo_iface };

	memset(f, 0, sizeof(*f));
	f->bell_fd = -1;
	unit_region_create(n, 16384, &f->host, &f->bell_fd);
	assert_int_equal(vmrpc_hostd_region_publish(f->host, ifaces, 1), 0);
	assert_int_equal(vmrpc_region_open(UNIT_REGION, &f->guest), 0);
}

/* Region, a forked callee, an attached and bound channel. */
static int fixture_setup(void **state, uint32_t spin_ns)
{
	struct fixture *f = &fix;

	if (unit_setup(state) < 0)
		return -1;
	fixture_region(f, 4);
	assert_int_equal(standin_callee_fork(f->host, f->bell_fd, &echo_svc, 1, spin_ns, &f->child),
			 0);
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &f->ch), 0);
	if (spin_ns != UINT32_MAX)
		vmrpc_chan_set_spin(f->ch, spin_ns);
	assert_int_equal(vmrpc_bind(f->ch, &echo_iface, &f->b), 0);
	f->idx = vmrpc_chan_index(f->ch);
	f->c = vmrpc_region_chan(f->guest, f->idx);
	/* the callee attached with its own pid */
	assert_int_equal(f->c->ctl.callee_pid, (uint32_t)f->child);
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_ATTACHED);
	assert_int_equal(f->c->ctl.owner_pid, (uint32_t)getpid());
	*state = f;
	return 0;
}

static int setup_spin(void **state)
{
	return fixture_setup(state, UINT32_MAX);
}

static int setup_nospin(void **state)
{
	return fixture_setup(state, 0);
}

/* Region only, no callee, no channel. */
static int setup_region(void **state)
{
	if (unit_setup(state) < 0)
		return -1;
	fixture_region(&fix, 4);
	*state = &fix;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	vmrpc_chan_close(f->ch);
	if (f->child > 0)
		unit_kill_child(f->child);
	if (f->bell_fd >= 0)
		close(f->bell_fd);
	vmrpc_region_close(f->guest);
	vmrpc_region_close(f->host);
	return unit_teardown(state);
}

static int64_t call_sleep(struct fixture *f, int64_t ms)
{
	struct vmrpc_outcall c;
	struct echo_args *a;
	int err = vmrpc_outcall_begin(&f->b, &c);

	if (err < 0)
		return err; /* a broken channel says so before any call */
	a = c.args;
	memset(a, 0, sizeof(*a));
	a->a = ms;
	return vmrpc_outcall_invoke(&c, M_SLEEP, sizeof(*a));
}

static uint64_t ms_since(uint64_t t0)
{
	return (unit_now_ns() - t0) / 1000000u;
}

/* ---- many calls ---------------------------------------------------------- */

#define N_CALLS 100000
#define BUF_LEN 64

static void many_calls(struct fixture *f)
{
	for (uint32_t i = 0; i < N_CALLS; i++) {
		struct vmrpc_outcall c;
		struct echo_args *a;
		const struct echo_results *res;
		uint64_t in_off, out_off, sum = 0;
		uint8_t *in, *out;
		int64_t st;

		assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
		assert_int_equal(vmrpc_outcall_alloc(&c, BUF_LEN, &in_off, (void **)&in), 0);
		assert_int_equal(vmrpc_outcall_alloc(&c, BUF_LEN, &out_off, (void **)&out), 0);
		for (unsigned k = 0; k < BUF_LEN; k++) {
			in[k] = (uint8_t)(i * 31 + k);
			sum += in[k];
		}
		memset(out, 0, BUF_LEN);
		a = c.args;
		a->a = (int64_t)i;
		a->b = (int64_t)i * 3 - 7;
		a->in_off = in_off;
		a->out_off = out_off;
		a->len = BUF_LEN;
		errno = 4242;
		st = vmrpc_outcall_invoke(&c, M_ECHO, sizeof(*a));
		if (st != (int64_t)i + (int64_t)i * 3 - 7)
			fail_msg("call %u: status %lld", i, (long long)st);
		/* A call that succeeds leaves errno alone, even when its
		 * futex wait found the reply already there (EAGAIN). */
		if (errno != 4242)
			fail_msg("call %u: errno changed to %d", i, errno);
		res = c.results;
		if (res->prod != (int64_t)i * ((int64_t)i * 3 - 7) || res->sum != sum)
			fail_msg("call %u: results %lld %llu", i, (long long)res->prod,
				 (unsigned long long)res->sum);
		for (unsigned k = 0; k < BUF_LEN; k++)
			if ((out[k] ^ in[k]) != 0xff)
				fail_msg("call %u: out[%u] = %#x", i, k, out[k]);
	}
	assert_int_equal(f->c->req.req_seq, N_CALLS);
	assert_int_equal(f->c->rep.rep_seq, N_CALLS);
}

static void test_many_calls_spin(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = unit_now_ns();

	many_calls(f);
	print_message("%d calls (spinning) in %llu ms\n", N_CALLS,
		      (unsigned long long)ms_since(t0));
}

static void test_many_calls_nospin(void **state)
{
	struct fixture *f = *state;
	uint64_t t0 = unit_now_ns();

	many_calls(f);
	print_message("%d calls (futex only) in %llu ms\n", N_CALLS,
		      (unsigned long long)ms_since(t0));
	/* an idle callee sleeps on the futex, and says so */
	unit_sleep_ms(20);
	assert_int_equal(__atomic_load_n(&f->c->rep.callee_waiting, __ATOMIC_ACQUIRE), 1);
	assert_int_equal(f->c->req.caller_waiting, 0);
	/* and wakes for the next call */
	assert_int_equal(call_sleep(f, 0), 0);
}

/* ---- a slow callee ----------------------------------------------------- */

struct waiting_probe {
	struct fixture *f;
	uint32_t seen;
	int done; /* the call returned: stop looking */
};

/* Look for the caller asleep on rep_seq for as long as the call lasts: a
 * single look at a fixed time fails whenever a loaded machine runs the probe
 * late. */
static void probe_caller_waiting(void *p)
{
	struct waiting_probe *w = p;

	while (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&w->f->c->req.caller_waiting, __ATOMIC_ACQUIRE)) {
			w->seen = 1;
			return;
		}
		unit_sleep_ms(1);
	}
}

static void test_slow_callee(void **state)
{
	struct fixture *f = *state;

	for (int round = 0; round < 3; round++) {
		struct waiting_probe w = { .f = f };
		struct unit_later l;
		uint64_t t0 = unit_now_ns(), ms;

		unit_later_start(&l, 10, probe_caller_waiting, &w);
		assert_int_equal(call_sleep(f, 300), 300);
		ms = ms_since(t0);
		__atomic_store_n(&w.done, 1, __ATOMIC_RELEASE);
		unit_later_join(&l);
		assert_true(ms >= 300); /* it really waited for the callee */
		/* the caller slept on rep_seq, and is awake now */
		assert_int_equal(w.seen, 1);
		assert_int_equal(f->c->req.caller_waiting, 0);
	}
	/* fast calls still work after slow ones */
	assert_int_equal(call_sleep(f, 0), 0);
	{
		struct vmrpc_outcall c;

		assert_int_equal(vmrpc_outcall_begin(&f->b, &c), 0);
		memset(c.args, 0, sizeof(struct echo_args));
		assert_int_equal(vmrpc_outcall_invoke(&c, M_PID, sizeof(struct echo_args)),
				 f->child);
	}
}

/* ---- calls that end without a reply ------------------------------------ */

struct child_kill {
	pid_t pid;
	int status;
};

static void kill_and_reap(void *p)
{
	struct child_kill *k = p;

	k->status = unit_kill_child(k->pid);
}

static void test_callee_killed(void **state)
{
	struct fixture *f = *state;
	struct child_kill k = { .pid = f->child };
	struct unit_later l;
	uint64_t t0 = unit_now_ns(), ms;

	unit_later_start(&l, 50, kill_and_reap, &k);
	assert_int_equal(call_sleep(f, 20000), -VMRPC_EPEERDIED);
	ms = ms_since(t0);
	unit_later_join(&l);
	f->child = 0;
	assert_true(WIFSIGNALED(k.status) && WTERMSIG(k.status) == SIGKILL);
	/* noticed within a few liveness ticks (100 ms each) */
	assert_true(ms >= 50);
	assert_true(ms < 2000);
	assert_int_equal(f->c->req.caller_waiting, 0);
	/* no hostd marked it DEAD here, the caller found out by itself */
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_ATTACHED);
	/* and a caller that knows its callee died can still detach */
	vmrpc_chan_close(f->ch);
	f->ch = NULL;
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_DETACHING);
}

static void test_callee_killed_nospin(void **state)
{
	test_callee_killed(state);
}

struct host_op {
	struct fixture *f;
	int (*op)(struct vmrpc_region *, uint32_t);
};

static void do_host_op(void *p)
{
	struct host_op *h = p;

	assert_int_equal(h->op(h->f->host, h->f->idx), 0);
}

static void test_marked_dead(void **state)
{
	struct fixture *f = *state;
	struct host_op h = { f, vmrpc_hostd_chan_mark_dead };
	struct vmrpc_doorbell b;
	struct unit_later l;
	uint64_t t0 = unit_now_ns(), ms;

	unit_later_start(&l, 50, do_host_op, &h);
	assert_int_equal(call_sleep(f, 5000), -VMRPC_EPEERDIED);
	ms = ms_since(t0);
	unit_later_join(&l);
	/* the host's transition wakes the caller: no liveness tick needed */
	assert_true(ms >= 50 && ms < 2500);
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_DEAD);

	/* closing a DEAD channel detaches it: DEAD -> DETACHING + doorbell */
	vmrpc_chan_close(f->ch);
	f->ch = NULL;
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_DETACHING);
	assert_int_equal(standin_bell_wait(f->bell_fd, 2000, &b), 0);
	assert_int_equal(b.msg.op, VMRPC_DOORBELL_DETACH);
	assert_int_equal(b.msg.chan_index, f->idx);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct host_op h = { f, vmrpc_hostd_chan_free };
	uint32_t gen = f->c->ctl.generation;
	struct vmrpc_doorbell b;
	struct unit_later l;
	uint64_t t0 = unit_now_ns(), ms;

	unit_later_start(&l, 50, do_host_op, &h);
	assert_int_equal(call_sleep(f, 5000), -VMRPC_ERESET);
	ms = ms_since(t0);
	unit_later_join(&l);
	assert_true(ms >= 50 && ms < 2500);
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_FREE);
	assert_int_equal(f->c->ctl.generation, gen + 1);

	/* the channel is hostd's again: closing must not touch it or ring */
	vmrpc_chan_close(f->ch);
	f->ch = NULL;
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_FREE);
	assert_int_equal(standin_bell_wait(f->bell_fd, 200, &b), -ETIMEDOUT);
}

static void overwrite_req_seq(void *p)
{
	struct fixture *f = p;

	__atomic_add_fetch(&f->c->req.req_seq, 1000, __ATOMIC_RELEASE);
}

static void overwrite_rep_seq(void *p)
{
	struct fixture *f = p;

	__atomic_store_n(&f->c->rep.rep_seq, f->c->req.req_seq + 77, __ATOMIC_RELEASE);
	unit_futex_wake(&f->c->rep.rep_seq);
}

static void test_corrupt_req_seq(void **state)
{
	struct fixture *f = *state;
	struct unit_later l;
	uint64_t t0, ms;

	assert_int_equal(call_sleep(f, 0), 0);
	t0 = unit_now_ns();
	unit_later_start(&l, 30, overwrite_req_seq, f);
	/* the callee would answer after 800 ms; the caller notices first */
	assert_int_equal(call_sleep(f, 800), -VMRPC_ECORRUPT);
	ms = ms_since(t0);
	unit_later_join(&l);
	assert_true(ms < 800);
	assert_int_equal(f->c->req.caller_waiting, 0);
}

static void test_corrupt_rep_seq(void **state)
{
	struct fixture *f = *state;
	struct unit_later l;
	uint64_t t0, ms;

	assert_int_equal(call_sleep(f, 0), 0);
	t0 = unit_now_ns();
	unit_later_start(&l, 30, overwrite_rep_seq, f);
	assert_int_equal(call_sleep(f, 800), -VMRPC_ECORRUPT);
	ms = ms_since(t0);
	unit_later_join(&l);
	assert_true(ms < 800);
	/* a reply word that ran ahead stays wrong: every later call fails */
	assert_int_equal(call_sleep(f, 0), -VMRPC_ECORRUPT);
}

/* ---- attaching ------------------------------------------------------- */

static void assert_all_free(struct vmrpc_region *r)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);

	for (uint32_t i = 0; i < h->n_channels; i++)
		assert_int_equal(vmrpc_region_chan(r, i)->ctl.state, VMRPC_CHAN_FREE);
}

static void test_open_no_hostd(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_chan *ch = (void *)0x1;
	char path[PATH_MAX];
	uint64_t t0;

	/* a doorbell socket file with nobody bound to it (a dead hostd's) */
	close(f->bell_fd);
	f->bell_fd = -1;
	t0 = unit_now_ns();
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &ch), -VMRPC_ENOHOSTD);
	assert_true(ms_since(t0) < 2500); /* at once, not after the 5 s timeout */
	assert_all_free(f->guest);
	/* no socket file at all */
	assert_int_equal(vmrpc_region_path(UNIT_REGION, ".sock", path, sizeof(path)), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &ch), -VMRPC_ENOHOSTD);
	assert_all_free(f->guest);
	assert_ptr_equal(ch, (void *)0x1);
}

static void test_open_no_answer(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_chan *ch = (void *)0x1;
	struct vmrpc_doorbell b;
	uint64_t t0, ms;

	t0 = unit_now_ns();
	assert_int_equal(vmrpc_chan_open(f->guest, 200, &ch), -VMRPC_ENOHOSTD);
	ms = ms_since(t0);
	assert_true(ms >= 200 && ms < 2500); /* the 200 ms timeout, not the default */
	assert_ptr_equal(ch, (void *)0x1);
	assert_all_free(f->guest);
	/* the doorbell did ring, for channel 0, with the caller's nonce */
	assert_int_equal(standin_bell_wait(f->bell_fd, 0, &b), 0);
	assert_int_equal(b.msg.op, VMRPC_DOORBELL_ATTACH);
	assert_int_equal(b.msg.chan_index, 0);
	assert_true(b.msg.nonce == vmrpc_region_chan(f->guest, 0)->ctl.attach_nonce);
	assert_int_equal(b.pid, getpid());
	assert_int_equal(b.uid, getuid());
	/* and the freed channel can be claimed again */
	assert_int_equal(vmrpc_chan_open(f->guest, 100, &ch), -VMRPC_ENOHOSTD);
	assert_int_equal(standin_bell_wait(f->bell_fd, 0, &b), 0);
	assert_int_equal(b.msg.chan_index, 0);
	assert_int_equal(standin_bell_wait(f->bell_fd, 0, &b), -ETIMEDOUT);
}

static void refused(struct fixture *f, int host_err, int want)
{
	struct standin_host h = {
		.region = f->host, .bell_fd = f->bell_fd, .mode = STANDIN_HOST_REFUSE,
		.refuse_err = host_err,
	};
	struct vmrpc_chan *ch = (void *)0x1;
	uint64_t t0 = unit_now_ns();

	assert_int_equal(standin_host_start(&h), 0);
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &ch), want);
	standin_host_stop(&h);
	assert_true(ms_since(t0) < 2500); /* refused at once, not timed out */
	assert_ptr_equal(ch, (void *)0x1);
	assert_all_free(f->guest);
}

static void test_open_refused(void **state)
{
	struct fixture *f = *state;

	refused(f, -VMRPC_EREFUSED, -VMRPC_EREFUSED);
	refused(f, -VMRPC_ENOCHAN, -VMRPC_ENOCHAN);
	refused(f, -EPERM, -EPERM);
	refused(f, -EMFILE, -EMFILE);
	/* not a negative error: the caller still gets a refusal */
	refused(f, 0, -VMRPC_EREFUSED);
	refused(f, EPERM, -VMRPC_EREFUSED);
	refused(f, -VMRPC_ELAST, -VMRPC_EREFUSED);
	refused(f, -VMRPC_ELAST - 100, -VMRPC_EREFUSED);
}

static void test_no_free_channel(void **state)
{
	struct fixture *f = *state;
	struct standin_host h = {
		.region = f->host, .bell_fd = f->bell_fd, .mode = STANDIN_HOST_ATTACH,
		.svcs = &echo_svc, .n_svcs = 1, .callee_spin_ns = UINT32_MAX,
	};
	struct vmrpc_chan *ch[4], *extra = (void *)0x1;
	uint64_t t0;
	int err;

	assert_int_equal(standin_host_start(&h), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(vmrpc_chan_open(f->guest, 2000, &ch[i]), 0);
		assert_int_equal(vmrpc_chan_index(ch[i]), i);
	}
	t0 = unit_now_ns();
	assert_int_equal(vmrpc_chan_open(f->guest, 2000, &extra), -VMRPC_ENOCHAN);
	assert_true(ms_since(t0) < 1500); /* at once, not after the timeout */
	assert_ptr_equal(extra, (void *)0x1);
	vmrpc_chan_close(ch[2]);
	/* the host frees it on DETACH; then it can be had again */
	t0 = unit_now_ns();
	while ((err = vmrpc_chan_open(f->guest, 2000, &extra)) == -VMRPC_ENOCHAN) {
		assert_true(ms_since(t0) < 3000);
		unit_sleep_ms(5);
	}
	assert_int_equal(err, 0);
	assert_int_equal(vmrpc_chan_index(extra), 2);
	vmrpc_chan_close(extra);
	for (unsigned i = 0; i < 4; i++)
		if (i != 2)
			vmrpc_chan_close(ch[i]);
	standin_host_stop(&h);
}

static void test_close_rings_detach(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_doorbell attach, detach;
	int pipefd[2], st;
	pid_t caller;
	char ok;

	/* The caller is a separate process, so the doorbell's credentials are
	 * distinguishable from the host's. */
	assert_int_equal(pipe(pipefd), 0);
	caller = fork();
	assert_true(caller >= 0);
	if (caller == 0) {
		struct vmrpc_region *g;
		struct vmrpc_chan *ch;

		alarm(20);
		if (vmrpc_region_open(UNIT_REGION, &g) < 0 || vmrpc_chan_open(g, 5000, &ch) < 0)
			_exit(1);
		if (read(pipefd[0], &ok, 1) != 1) /* let the host look first */
			_exit(2);
		vmrpc_chan_close(ch);
		vmrpc_region_close(g);
		_exit(0);
	}
	close(pipefd[0]);
	assert_int_equal(standin_bell_wait(f->bell_fd, 5000, &attach), 0);
	assert_int_equal(attach.msg.op, VMRPC_DOORBELL_ATTACH);
	assert_int_equal(attach.pid, caller);
	assert_int_equal(attach.uid, getuid());
	assert_int_equal(attach.gid, getgid());
	{
		struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->host, attach.msg.chan_index);

		assert_non_null(c);
		assert_int_equal(c->ctl.state, VMRPC_CHAN_CLAIMED);
		assert_int_equal(c->ctl.owner_pid, (uint32_t)caller);
		assert_true(c->ctl.attach_nonce == attach.msg.nonce);
		assert_true(attach.msg.nonce != 0);
		assert_int_equal(vmrpc_hostd_chan_attach(f->host, attach.msg.chan_index, getpid()),
				 0);
		/* the caller's open returns; let it close */
		assert_int_equal(write(pipefd[1], "x", 1), 1);
		assert_int_equal(standin_bell_wait(f->bell_fd, 5000, &detach), 0);
		assert_int_equal(detach.msg.op, VMRPC_DOORBELL_DETACH);
		assert_int_equal(detach.msg.chan_index, attach.msg.chan_index);
		assert_true(detach.msg.nonce == attach.msg.nonce);
		assert_true(detach.msg.nonce == c->ctl.attach_nonce);
		assert_int_equal(detach.pid, caller);
		assert_int_equal(detach.uid, getuid());
		assert_int_equal(c->ctl.state, VMRPC_CHAN_DETACHING);
		/* the host reclaims it */
		assert_int_equal(vmrpc_hostd_chan_free(f->host, attach.msg.chan_index), 0);
		assert_int_equal(c->ctl.state, VMRPC_CHAN_FREE);
	}
	close(pipefd[1]);
	assert_int_equal(waitpid(caller, &st, 0), caller);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	vmrpc_chan_close(NULL);
}

/* Each attach starts with fresh sequence words: a channel reused after a
 * caller made calls on it works for the next caller. */
static void test_reuse_after_detach(void **state)
{
	struct fixture *f = *state;
	struct standin_host h = {
		.region = f->host, .bell_fd = f->bell_fd, .mode = STANDIN_HOST_ATTACH,
		.svcs = &echo_svc, .n_svcs = 1, .callee_spin_ns = UINT32_MAX,
	};

	assert_int_equal(standin_host_start(&h), 0);
	for (int round = 0; round < 3; round++) {
		struct vmrpc_chan *ch;
		struct vmrpc_binding b;
		uint64_t t0 = unit_now_ns();
		int err;

		/* wait for the host to free channel 0 after the last round */
		while (__atomic_load_n(&vmrpc_region_chan(f->guest, 0)->ctl.state,
				       __ATOMIC_ACQUIRE) != VMRPC_CHAN_FREE) {
			assert_true(ms_since(t0) < 3000);
			unit_sleep_ms(5);
		}
		err = vmrpc_chan_open(f->guest, 2000, &ch);
		assert_int_equal(err, 0);
		assert_int_equal(vmrpc_chan_index(ch), 0);
		assert_int_equal(vmrpc_region_chan(f->guest, 0)->ctl.generation, round);
		assert_int_equal(vmrpc_bind(ch, &echo_iface, &b), 0);
		for (int i = 0; i < 10 + round; i++) {
			struct vmrpc_outcall c;

			assert_int_equal(vmrpc_outcall_begin(&b, &c), 0);
			memset(c.args, 0, sizeof(struct echo_args));
			assert_int_equal(vmrpc_outcall_invoke(&c, M_SLEEP, sizeof(struct echo_args)),
					 0);
		}
		vmrpc_chan_close(ch);
	}
	standin_host_stop(&h);
}

/* Regression: a free channel keeps zeroed sequence words. hostd starts a
 * shadow before it publishes ATTACHED, so a shadow that took leftover words
 * as its starting point replayed the last owner's request, or ignored the
 * new owner's first one when the last owner had made exactly one call. */
static void test_free_zeroes_sequence_words(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(call_sleep(f, 0), 0);
	assert_int_equal(f->c->req.req_seq, 1);
	assert_int_equal(f->c->rep.rep_seq, 1);
	/* As hostd does: the callee is gone (reaped) before the channel is
	 * freed. A live one would go on to write callee_waiting. */
	unit_kill_child(f->child);
	f->child = 0;
	assert_int_equal(vmrpc_hostd_chan_free(f->host, f->idx), 0);
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_FREE);
	assert_int_equal(f->c->req.req_seq, 0);
	assert_int_equal(f->c->rep.rep_seq, 0);
	assert_int_equal(f->c->req.caller_waiting, 0);
	assert_int_equal(f->c->rep.callee_waiting, 0);
}

/* Regression: DEAD follows only ATTACHED; marking a free channel dead made
 * it unclaimable until hostd freed it again. */
static void test_mark_dead_only_attached(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->host, 0);

	assert_int_equal(c->ctl.state, VMRPC_CHAN_FREE);
	assert_int_equal(vmrpc_hostd_chan_mark_dead(f->host, 0), -ESTALE);
	assert_int_equal(c->ctl.state, VMRPC_CHAN_FREE);
}

/* Regression: only the owner of a region may listen on its doorbell; a
 * caller's mapping used to take over a live hostd's socket. */
static void test_listen_needs_owner(void **state)
{
	struct fixture *f = *state;
	int fd = -1;

	assert_int_equal(vmrpc_hostd_doorbell_listen(f->guest, &fd), -EPERM);
	assert_int_equal(fd, -1);
}

/* Regression: a forked child closing its inherited handle moved the
 * parent's channel to DETACHING, and the parent's next call failed. Closing
 * in a child now only frees the child's copy of the handle. */
static void test_fork_child_close(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	assert_int_equal(call_sleep(f, 0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		vmrpc_chan_close(f->ch);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_ATTACHED);
	assert_int_equal(call_sleep(f, 0), 0);
}

/* Regression: hostd starts a shadow before it publishes ATTACHED, so the
 * shadow may already sleep (callee_waiting = 1) when hostd attaches. Attach
 * used to zero callee_waiting with the sequence words: the caller's first
 * request then saw no sleeper, woke nobody, and waited forever on a live
 * callee. Here the callee is asleep before the attach; a watchdog marks the
 * channel dead after 5 s so that the bug fails the test instead of hanging. */
struct early_callee {
	struct fixture *f;
	struct vmrpc_callee *callee;
	pthread_t serve;
};

static void *early_serve(void *arg)
{
	struct early_callee *e = arg;

	vmrpc_callee_serve(e->callee, &echo_svc, 1);
	return NULL;
}

static void *early_host(void *arg)
{
	struct early_callee *e = arg;
	struct vmrpc_doorbell b;

	assert_int_equal(standin_bell_wait(e->f->bell_fd, 5000, &b), 0);
	assert_int_equal(vmrpc_callee_open(e->f->host, b.msg.chan_index, &e->callee), 0);
	vmrpc_callee_set_spin(e->callee, 0); /* straight to sleep */
	assert_int_equal(pthread_create(&e->serve, NULL, early_serve, e), 0);
	while (!__atomic_load_n(&vmrpc_region_chan(e->f->host, b.msg.chan_index)->rep.callee_waiting,
				__ATOMIC_ACQUIRE))
		unit_sleep_ms(1);
	assert_int_equal(vmrpc_hostd_chan_attach(e->f->host, b.msg.chan_index, getpid()), 0);
	return NULL;
}

/* Marks channel 0 dead unless told to stand down within 5 s. */
struct watchdog {
	pthread_t thread;
	int efd;
	struct fixture *f;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct pollfd p = { .fd = w->efd, .events = POLLIN };

	if (poll(&p, 1, 5000) == 0)
		vmrpc_hostd_chan_mark_dead(w->f->host, 0);
	return NULL;
}

static void test_callee_asleep_before_attach(void **state)
{
	struct fixture *f = *state;
	struct early_callee e = { .f = f };
	struct watchdog dog = { .f = f };
	pthread_t host;

	assert_int_equal(pthread_create(&host, NULL, early_host, &e), 0);
	assert_int_equal(vmrpc_chan_open(f->guest, 5000, &f->ch), 0);
	assert_int_equal(pthread_join(host, NULL), 0);
	assert_int_equal(vmrpc_chan_index(f->ch), 0);
	vmrpc_chan_set_spin(f->ch, 0);
	assert_int_equal(vmrpc_bind(f->ch, &echo_iface, &f->b), 0);
	dog.efd = eventfd(0, EFD_CLOEXEC);
	assert_true(dog.efd >= 0);
	assert_int_equal(pthread_create(&dog.thread, NULL, watchdog_main, &dog), 0);
	assert_int_equal(call_sleep(f, 0), 0); /* -VMRPC_EPEERDIED: the wake was lost */
	assert_int_equal(eventfd_write(dog.efd, 1), 0);
	pthread_join(dog.thread, NULL);
	close(dog.efd);
	vmrpc_callee_stop(e.callee);
	pthread_join(e.serve, NULL);
	vmrpc_callee_close(e.callee);
}

/* The host side's check of an attach doorbell against the claim it names:
 * state, owner pid (the kernel's word for the sender) and nonce must match. */
static void test_claim_check(void **state)
{
	struct fixture *f = *state;
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(f->guest, 1);
	struct vmrpc_doorbell b = {
		.msg = { .op = VMRPC_DOORBELL_ATTACH, .chan_index = 1, .nonce = 0x1234 },
		.pid = 4242,
	};

	c->ctl.owner_pid = 4242;
	c->ctl.attach_nonce = 0x1234;
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), -ESTALE); /* still FREE */
	c->ctl.state = VMRPC_CHAN_CLAIMED;
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), 0);
	b.pid = 4243; /* someone else rang with the owner's nonce */
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), -ESTALE);
	b.pid = 4242;
	b.msg.nonce = 0x1235; /* an old doorbell of the same owner */
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), -ESTALE);
	b.msg.nonce = 0x1234;
	b.msg.op = VMRPC_DOORBELL_DETACH;
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), -ESTALE);
	b.msg.op = VMRPC_DOORBELL_ATTACH;
	b.msg.chan_index = 4; /* the region has 4 channels */
	assert_int_equal(vmrpc_hostd_claim_check(f->host, &b), -EINVAL);
	c->ctl.state = VMRPC_CHAN_FREE;
}

/* ---- regressions ----------------------------------------------------- */

/*
 * Regression (libvmrpc/host.c): vmrpc_hostd_chan_refuse and
 * vmrpc_hostd_chan_attach store the new state unconditionally, although the
 * documented transitions are CLAIMED -> REFUSED and CLAIMED -> ATTACHED.
 * A caller whose attach timed out has already put the channel back to FREE;
 * hostd answering that stale doorbell late (a busy hostd, or one that
 * restarts and drains its socket) turns a FREE channel into REFUSED or
 * ATTACHED with no owner, and nobody ever moves it back: the channel is
 * lost until hostd restarts. hostd cannot avoid this by checking the state
 * first, because the caller's timeout CAS can land between its check and
 * its store; only a CAS in libvmrpc closes the race.
 */
static void late_answer(struct fixture *f, int refuse)
{
	struct vmrpc_chan *ch = (void *)0x1;
	struct vmrpc_doorbell b;
	int err;

	/* the caller gives up before the host answers */
	assert_int_equal(vmrpc_chan_open(f->guest, 100, &ch), -VMRPC_ENOHOSTD);
	assert_int_equal(standin_bell_wait(f->bell_fd, 0, &b), 0);
	assert_int_equal(vmrpc_region_chan(f->host, b.msg.chan_index)->ctl.state,
			 VMRPC_CHAN_FREE);
	/* then the host answers the stale doorbell */
	err = refuse ? vmrpc_hostd_chan_refuse(f->host, b.msg.chan_index, -VMRPC_EREFUSED)
		     : vmrpc_hostd_chan_attach(f->host, b.msg.chan_index, getpid());
	assert_true(err < 0); /* the channel was not CLAIMED */
	assert_int_equal(vmrpc_region_chan(f->host, b.msg.chan_index)->ctl.state,
			 VMRPC_CHAN_FREE);
}

static void test_late_refuse_after_timeout(void **state)
{
	late_answer(*state, 1);
}

static void test_late_attach_after_timeout(void **state)
{
	late_answer(*state, 0);
}

/*
 * Regression: after a call failed with -VMRPC_EPEERDIED or -VMRPC_ERESET,
 * the next call on the handle published a new request anyway (into a DEAD
 * channel, or a FREE one that may be another caller's by now) and, rep_seq
 * being one behind, reported -VMRPC_ECORRUPT instead of the real reason. A
 * failed handle keeps returning its first error and never touches the
 * channel again.
 */
static void next_call_after(struct fixture *f, int64_t want)
{
	uint32_t req_seq = f->c->req.req_seq;
	uint64_t t0 = unit_now_ns();

	f->c->req.iface_slot = 0xabcd; /* a marker the stale call must leave */
	assert_int_equal(call_sleep(f, 0), want);
	assert_true(ms_since(t0) < 2000);
	assert_int_equal(f->c->req.req_seq, req_seq);
	assert_int_equal(f->c->req.iface_slot, 0xabcd);
}

static void test_next_call_after_callee_killed(void **state)
{
	struct fixture *f = *state;
	struct child_kill k = { .pid = f->child };
	struct unit_later l;

	unit_later_start(&l, 50, kill_and_reap, &k);
	assert_int_equal(call_sleep(f, 20000), -VMRPC_EPEERDIED);
	unit_later_join(&l);
	f->child = 0;
	next_call_after(f, -VMRPC_EPEERDIED);
}

static void test_next_call_after_dead(void **state)
{
	struct fixture *f = *state;
	struct host_op h = { f, vmrpc_hostd_chan_mark_dead };
	struct unit_later l;

	unit_later_start(&l, 50, do_host_op, &h);
	assert_int_equal(call_sleep(f, 5000), -VMRPC_EPEERDIED);
	unit_later_join(&l);
	next_call_after(f, -VMRPC_EPEERDIED);
}

static void test_next_call_after_reset(void **state)
{
	struct fixture *f = *state;
	struct host_op h = { f, vmrpc_hostd_chan_free };
	struct unit_later l;

	unit_later_start(&l, 50, do_host_op, &h);
	assert_int_equal(call_sleep(f, 5000), -VMRPC_ERESET);
	unit_later_join(&l);
	/* the channel is FREE: another caller may own it by now */
	next_call_after(f, -VMRPC_ERESET);
}

/*
 * Regression (libvmrpc/chan.c, chan_call): a handle whose channel was reset
 * while it was idle (hostd restarted, or reclaimed the channel) still
 * publishes its next request: chan_call only looks at ctl.generation on the
 * slow path, after it has written the request words. If the channel was
 * claimed and attached by another caller meanwhile, the stale handle's
 * request lands in that caller's channel and is served by that caller's
 * callee (in its shadow's context); the stale caller gets -VMRPC_ERESET
 * only afterwards, and the new owner's sequence words are out of step.
 * Checking generation and state before publishing closes this.
 */
static void test_stale_handle_after_idle_reset(void **state)
{
	struct fixture *f = *state;
	uint32_t new_owner_seq;

	assert_int_equal(call_sleep(f, 0), 0);
	/* while the caller is idle, the host resets the channel ... */
	assert_int_equal(vmrpc_hostd_chan_free(f->host, f->idx), 0);
	/* ... and it goes to a new caller (here: claimed by hand) */
	assert_true(__atomic_compare_exchange_n(&f->c->ctl.state, &(uint32_t){ VMRPC_CHAN_FREE },
						VMRPC_CHAN_CLAIMED, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE));
	assert_int_equal(vmrpc_hostd_chan_attach(f->host, f->idx, f->child), 0);
	new_owner_seq = f->c->req.req_seq;
	/* the old handle must not reach it */
	assert_int_equal(call_sleep(f, 0), -VMRPC_ERESET);
	assert_int_equal(f->c->req.req_seq, new_owner_seq);
	vmrpc_chan_close(f->ch); /* must not detach the new owner's channel */
	f->ch = NULL;
	assert_int_equal(f->c->ctl.state, VMRPC_CHAN_ATTACHED);
}

int main(int argc, char **argv)
{
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_many_calls_spin, setup_spin),
		T(test_many_calls_nospin, setup_nospin),
		T(test_slow_callee, setup_spin),
		T(test_slow_callee, setup_nospin),
		T(test_callee_killed, setup_spin),
		T(test_callee_killed_nospin, setup_nospin),
		T(test_marked_dead, setup_spin),
		T(test_reset, setup_nospin),
		T(test_corrupt_req_seq, setup_nospin),
		T(test_corrupt_rep_seq, setup_spin),
		T(test_open_no_hostd, setup_region),
		T(test_open_no_answer, setup_region),
		T(test_open_refused, setup_region),
		T(test_no_free_channel, setup_region),
		T(test_close_rings_detach, setup_region),
		T(test_reuse_after_detach, setup_region),
		T(test_next_call_after_callee_killed, setup_nospin),
		T(test_next_call_after_dead, setup_spin),
		T(test_next_call_after_reset, setup_spin),
		T(test_late_refuse_after_timeout, setup_region),
		T(test_late_attach_after_timeout, setup_region),
		T(test_stale_handle_after_idle_reset, setup_spin),
		T(test_free_zeroes_sequence_words, setup_spin),
		T(test_mark_dead_only_attached, setup_region),
		T(test_listen_needs_owner, setup_region),
		T(test_fork_child_close, setup_spin),
		T(test_callee_asleep_before_attach, setup_region),
		T(test_claim_check, setup_region),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
