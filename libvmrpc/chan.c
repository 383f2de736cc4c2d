/* SPDX-License-Identifier: MIT */
/* The caller side of a channel: attach, call, detach. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chan.h"
#include "sync.h"

#define CHAN_ATTACH_TIMEOUT_MS 5000
/* Claims hostd found disturbed (-EAGAIN) that vmrpc_chan_open() retries. */
#define CHAN_CLAIM_TRIES 8
#define CHAN_DETACH_RING_MS 1000
/* While sleeping, the caller wakes this often to check that its callee is
 * still there; a caller must never wait forever on a dead peer. */
#define CHAN_LIVENESS_NS (100u * 1000 * 1000)
/* After a cancel, asked again this often until the reply comes. */
#define CHAN_CANCEL_AGAIN_NS (20u * 1000 * 1000)

static uint64_t chan_random_nonce(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = sync_now_ns() ^ ((uint64_t)getpid() << 32);
	return v | 1;
}

int region_claim(struct vmrpc_region *r, enum vmrpc_chan_state how, uint32_t *ret_index)
{
	if (r->transport->claim)
		return r->transport->claim(r, how, ret_index);
	for (uint32_t i = 0; i < r->n_channels; i++) {
		struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);
		if (vmrpc_ctl_state(&c->ctl) == VMRPC_CHAN_FREE &&
		    vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_FREE, how)) {
			*ret_index = i;
			return 0;
		}
	}
	return -VMRPC_ENOCHAN;
}

/* Hand back a channel we hold in state from (a claim, or a refusal we
 * read), clearing the words only a claimant writes first: a stale
 * claim_parent would make the next claimant's claim a sibling. */
static bool chan_give_back(struct vmrpc_chan_ctl *ctl, enum vmrpc_chan_state from)
{
	vmrpc_ctl_set_claim_parent(ctl, 0);
	return vmrpc_ctl_move(ctl, from, VMRPC_CHAN_FREE);
}

/* Wait for hostd to answer our claim: ATTACHED, REFUSED, or nothing. */
static int chan_wait_attached(struct vmrpc_chan *ch, int timeout_ms)
{
	struct vmrpc_chan_ctl *ctl = &ch->hdr->ctl;
	uint64_t deadline = sync_now_ns() + (uint64_t)timeout_ms * 1000000u, backoff = 0;

	for (;;) {
		uint32_t st = vmrpc_ctl_state(ctl);
		uint64_t now;
		int err;

		switch (st) {
		case VMRPC_CHAN_ATTACHED:
			return 0;
		case VMRPC_CHAN_REFUSED:
			err = vmrpc_ctl_error(ctl);
			chan_give_back(ctl, VMRPC_CHAN_REFUSED);
			return err < 0 && err > -VMRPC_ELAST ? err : -VMRPC_EREFUSED;
		case VMRPC_CHAN_CLAIMED:
			break;
		default: /* reset under us */
			return -VMRPC_ERESET;
		}
		now = sync_now_ns();
		if (now >= deadline) {
			/* Take the claim back, unless hostd answered meanwhile. */
			if (chan_give_back(ctl, VMRPC_CHAN_CLAIMED))
				return -VMRPC_ENOHOSTD;
			continue;
		}
		region_wait(ch->region, &ctl->state, st, deadline - now, &backoff);
	}
}

/* A host-call handle on channel index, which this process holds. */
static struct vmrpc_chan *chan_host_new(struct vmrpc_region *r, uint32_t index)
{
	struct vmrpc_chan *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->region = r;
	ch->index = index;
	ch->hdr = vmrpc_region_chan(r, index);
	/* hostd changes the generation only when it frees a channel, so the
	 * one read right after our claim is ours. */
	ch->generation = vmrpc_ctl_generation(&ch->hdr->ctl);
	ch->owner = getpid();
	ch->live_state = VMRPC_CHAN_ATTACHED;
	ch->conn_fd = -1;
	return ch;
}

/* Claim a free channel and ring op for it (ATTACH, or ATTACH_FORK with the
 * parent's index in the args block, which the claimant owns while CLAIMED).
 * A sibling (sibling_of: the index of a channel we hold) goes through
 * CLAIMING, so that hostd sees claim_parent with the claim. If hostd
 * cannot be told, the claim is taken back. With no channel free, tell
 * hostd so: it logs it, and takes back claims nobody rang for. */
static int chan_claim_ring(struct vmrpc_region *r, uint32_t op, const uint32_t *parent,
			   const uint32_t *sibling_of, int timeout_ms,
			   struct vmrpc_chan **ret_chan)
{
	struct vmrpc_chan *ch;
	uint32_t index;
	int err = region_claim(r, sibling_of ? VMRPC_CHAN_CLAIMING : VMRPC_CHAN_CLAIMED, &index);

	if (err == -VMRPC_ENOCHAN)
		region_ring(r, VMRPC_DOORBELL_NOCHAN, 0, 0, 0);
	if (err < 0)
		return err;
	ch = chan_host_new(r, index);
	if (!ch) {
		chan_give_back(&vmrpc_region_chan(r, index)->ctl,
			       sibling_of ? VMRPC_CHAN_CLAIMING : VMRPC_CHAN_CLAIMED);
		region_release(r, index);
		return -ENOMEM;
	}
	ch->nonce = chan_random_nonce();
	if (parent)
		memcpy(ch->hdr->args, parent, sizeof(*parent));
	vmrpc_ctl_set_owner(&ch->hdr->ctl, ch->owner);
	vmrpc_ctl_set_nonce(&ch->hdr->ctl, ch->nonce);
	if (sibling_of) {
		vmrpc_ctl_set_claim_parent(&ch->hdr->ctl, *sibling_of + 1);
		vmrpc_ctl_set_state(&ch->hdr->ctl, VMRPC_CHAN_CLAIMED);
	}
	err = region_ring(r, op, ch->index, ch->nonce, timeout_ms);
	if (err < 0) {
		chan_give_back(&ch->hdr->ctl, VMRPC_CHAN_CLAIMED);
		region_release(r, ch->index);
		free(ch);
		return err;
	}
	*ret_chan = ch;
	return 0;
}

/* Claim, ring and wait for an attach (of a sibling of channel *sibling_of,
 * or of a channel with a shadow of its own). */
static int chan_attach(struct vmrpc_region *r, const uint32_t *sibling_of, int timeout_ms,
		       struct vmrpc_chan **ret_chan)
{
	struct vmrpc_chan *ch;
	int err;

	timeout_ms = timeout_ms > 0 ? timeout_ms : CHAN_ATTACH_TIMEOUT_MS;
	/* hostd answers -EAGAIN when our claim's words changed before it read
	 * them (another process wrote them): claim again, a few times. */
	for (int tries = 0;; tries++) {
		err = chan_claim_ring(r, VMRPC_DOORBELL_ATTACH, NULL, sibling_of, timeout_ms, &ch);
		if (err < 0)
			return err;
		err = chan_wait_attached(ch, timeout_ms);
		if (err == 0)
			break;
		region_release(r, ch->index);
		free(ch);
		if (err != -EAGAIN || tries == CHAN_CLAIM_TRIES)
			return err == -EAGAIN ? -VMRPC_ECORRUPT : err;
	}
	chan_ready(ch);
	*ret_chan = ch;
	return 0;
}

VMRPC_API int vmrpc_chan_open(struct vmrpc_region *r, int timeout_ms,
			      struct vmrpc_chan **ret_chan)
{
	return chan_attach(r, NULL, timeout_ms, ret_chan);
}

VMRPC_API int vmrpc_chan_open_sibling(struct vmrpc_chan *ch, int timeout_ms,
				      struct vmrpc_chan **ret_chan)
{
	if (ch->broken)
		return ch->broken;
	if (ch->forking || getpid() != ch->owner)
		return -EINVAL;
	if (ch->gsrc)
		return vm_open_sibling(ch, timeout_ms, ret_chan);
	return chan_attach(ch->region, &ch->index, timeout_ms, ret_chan);
}

void chan_ready(struct vmrpc_chan *ch)
{
	ch->seq = 0;
	region_chan_arena(ch->region, ch->index, &ch->arena);
	ch->user_lo = ch->arena.end;
	spin_init(&ch->spin);
}

VMRPC_API int vmrpc_chan_fork_claim(struct vmrpc_chan *parent, struct vmrpc_chan **ret_child,
				    uint64_t *ret_nonce)
{
	struct vmrpc_region *r = parent->region;
	struct vmrpc_chan *ch;
	int err;

	/* A VM's hostd cannot see guest processes, and a guest-sourced
	 * channel's callee is no shadow of hostd's. */
	if (!r->transport->host_pids || !r->transport->ring || parent->gsrc)
		return -EOPNOTSUPP;
	/* hostd reads the parent's channel index in the claim's args block. */
	err = chan_claim_ring(r, VMRPC_DOORBELL_ATTACH_FORK, &parent->index, NULL,
			      CHAN_ATTACH_TIMEOUT_MS, &ch);
	if (err < 0)
		return err;
	ch->forking = true;
	ch->timeout_ns = parent->timeout_ns;
	*ret_child = ch;
	*ret_nonce = ch->nonce;
	return 0;
}

VMRPC_API int vmrpc_chan_fork_wait(struct vmrpc_chan *ch, int timeout_ms)
{
	int err = chan_wait_attached(ch, timeout_ms > 0 ? timeout_ms : CHAN_ATTACH_TIMEOUT_MS);

	if (err < 0) {
		ch->broken = err;
		return err;
	}
	ch->forking = false;
	chan_ready(ch);
	return 0;
}

/* Wait until hostd watches pid instead of us (ctl.handover_pid), so that
 * our exit right after fork() cannot take the child's channel with it.
 * The child may be done with the channel before hostd took the handover:
 * DETACHING is its word, and hostd acts on it once the channel is the
 * child's. hostd clears handover_pid only when it attaches the channel
 * again, so a parent that looks late still finds the child's pid there. */
static int chan_wait_handover(struct vmrpc_chan *ch, pid_t pid, int timeout_ms)
{
	struct vmrpc_chan_ctl *ctl = &ch->hdr->ctl;
	uint64_t deadline = sync_now_ns() + (uint64_t)timeout_ms * 1000000u, backoff = 0;

	for (;;) {
		uint32_t seen = vmrpc_ctl_handover(ctl), st;
		uint64_t now;

		if (seen == (uint32_t)pid)
			return 0;
		/* Torn down (the child was not ours, or died): nothing to wait for. */
		st = vmrpc_ctl_state(ctl);
		if (vmrpc_ctl_generation(ctl) != ch->generation ||
		    (st != VMRPC_CHAN_ATTACHED && st != VMRPC_CHAN_DEAD &&
		     st != VMRPC_CHAN_DETACHING))
			return -VMRPC_ERESET;
		now = sync_now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		/* Short slices: a teardown wakes ctl.state, not this word. */
		region_wait(ch->region, &ctl->handover_pid, seen,
			    deadline - now < 10000000u ? deadline - now : 10000000u, &backoff);
	}
}

VMRPC_API int vmrpc_chan_fork_handover(struct vmrpc_chan *ch, pid_t pid)
{
	int err;

	vmrpc_ctl_set_owner(&ch->hdr->ctl, pid);
	err = region_ring(ch->region, VMRPC_DOORBELL_HANDOVER, ch->index, ch->nonce,
			  CHAN_DETACH_RING_MS);
	if (err == 0)
		err = chan_wait_handover(ch, pid, CHAN_DETACH_RING_MS);
	free(ch->bufs);
	free(ch);
	return err;
}

VMRPC_API void vmrpc_chan_fork_adopt(struct vmrpc_chan *ch)
{
	ch->owner = getpid();
	/* The parent writes the same pid for hostd at the handover, but may
	 * not have yet: a child that execs at once must find the channel its
	 * own (vmrpc_chan_adopt checks owner_pid), or it loses its host
	 * descriptors (sh -c 'head <&3' printed nothing now and then). */
	vmrpc_ctl_set_owner(&ch->hdr->ctl, ch->owner);
}

VMRPC_API void vmrpc_chan_close(struct vmrpc_chan *ch)
{
	struct vmrpc_chan_ctl *ctl;

	if (!ch)
		return;
	ctl = &ch->hdr->ctl;
	/* A fork claim never attached: take it back and tell hostd. */
	if (ch->forking) {
		if (getpid() == ch->owner &&
		    vmrpc_ctl_move(ctl, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_FREE))
			region_ring(ch->region, VMRPC_DOORBELL_DETACH, ch->index, ch->nonce,
				    CHAN_DETACH_RING_MS);
		else if (getpid() == ch->owner)
			ch->forking = false; /* attached meanwhile: detach below */
		if (ch->forking) {
			free(ch);
			return;
		}
	}
	/* A oneway request still running would lose its channel under it. */
	if (getpid() == ch->owner)
		chan_drain(ch);
	if (ch->gsrc) {
		/* hostd holds the channel for as long as this connection is
		 * open (in a forked child, the parent's copy keeps it open). */
		close(ch->conn_fd);
		vmrpc_region_close(ch->region);
		free(ch->vm);
		free(ch->bufs);
		free(ch);
		return;
	}
	/* Only a channel that is still ours: after a reset it belongs to hostd,
	 * and a forked child's inherited handle belongs to its parent. */
	if (getpid() == ch->owner && vmrpc_ctl_generation(ctl) == ch->generation &&
	    (vmrpc_ctl_move(ctl, VMRPC_CHAN_ATTACHED, VMRPC_CHAN_DETACHING) ||
	     vmrpc_ctl_move(ctl, VMRPC_CHAN_DEAD, VMRPC_CHAN_DETACHING)))
		/* If hostd cannot take it, it reclaims the channel when we exit. */
		region_ring(ch->region, VMRPC_DOORBELL_DETACH, ch->index, ch->nonce,
			    CHAN_DETACH_RING_MS);
	region_release(ch->region, ch->index);
	free(ch->bufs);
	free(ch);
}

VMRPC_API int vmrpc_chan_adopt(struct vmrpc_region *r, uint32_t index, uint64_t nonce,
			       struct vmrpc_chan **ret_chan)
{
	struct vmrpc_chan_hdr *h = vmrpc_region_chan(r, index);
	struct vmrpc_chan *ch;
	uint32_t seq;

	if (!h || !r->transport->host_pids)
		return -EINVAL;
	if (vmrpc_ctl_state(&h->ctl) != VMRPC_CHAN_ATTACHED ||
	    vmrpc_ctl_owner(&h->ctl) != getpid() ||
	    vmrpc_ctl_nonce(&h->ctl) != nonce)
		return -ESTALE;
	seq = sync_load_acquire(&h->req.req_seq);
	if (sync_load_acquire(&h->rep.rep_seq) != seq)
		return -EBUSY;
	ch = chan_host_new(r, index);
	if (!ch)
		return -ENOMEM;
	ch->nonce = nonce;
	chan_ready(ch);
	ch->seq = seq;
	*ret_chan = ch;
	return 0;
}

VMRPC_API uint64_t vmrpc_chan_nonce(const struct vmrpc_chan *ch)
{
	return ch->nonce;
}

VMRPC_API uint32_t vmrpc_chan_index(const struct vmrpc_chan *ch)
{
	return ch->index;
}

VMRPC_API struct vmrpc_region *vmrpc_chan_region(struct vmrpc_chan *ch)
{
	return ch->region;
}

VMRPC_API void vmrpc_chan_set_spin(struct vmrpc_chan *ch, uint32_t max_ns)
{
	spin_set_max(&ch->spin, max_ns);
}

VMRPC_API void vmrpc_chan_set_timeout(struct vmrpc_chan *ch, uint32_t timeout_ms)
{
	ch->timeout_ns = (uint64_t)timeout_ms * 1000000u;
}

VMRPC_API int vmrpc_bind(struct vmrpc_chan *ch, const struct vmrpc_iface *iface,
			 struct vmrpc_binding *ret_binding)
{
	uint32_t slot;
	int err = registry_lookup(ch->region, iface, ch->gsrc, &slot);

	if (err < 0)
		return err;
	ret_binding->chan = ch;
	ret_binding->iface_slot = slot;
	ret_binding->n_methods = iface->n_methods;
	return 0;
}

/* Exited, reaped or not: a pidfd polls readable at exit, where kill(pid, 0)
 * still finds the zombie of a shadow nobody has reaped yet (its hostd was
 * killed, and its new parent has not reaped it). */
/* Why we are still waiting, from the channel's words alone (no system
 * call): an error if the reply can no longer come. */
static int chan_check_words(struct vmrpc_chan *ch, uint32_t seq)
{
	struct vmrpc_chan_hdr *c = ch->hdr;
	uint32_t st = vmrpc_ctl_state(&c->ctl);

	if (vmrpc_ctl_generation(&c->ctl) != ch->generation)
		return -VMRPC_ERESET;
	if (st == VMRPC_CHAN_DEAD)
		return -VMRPC_EPEERDIED;
	if (st != ch->live_state)
		return -VMRPC_ERESET;
	if (sync_load(&c->req.req_seq) != seq)
		return -VMRPC_ECORRUPT;
	return 0;
}

static int chan_check_alive(struct vmrpc_chan *ch, uint32_t seq)
{
	int err = chan_check_words(ch, seq);

	return err < 0 ? err : ch->region->transport->check_callee(ch);
}

static int64_t chan_reply(struct vmrpc_chan_hdr *c)
{
	return __atomic_load_n(&c->rep.status, __ATOMIC_RELAXED);
}

/* Write the request and publish it. */
static int chan_publish(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
			uint32_t args_len, uint32_t flags)
{
	struct vmrpc_chan_hdr *c = ch->hdr;
	uint32_t seq = ch->seq + 1, st;

	/* A failed call leaves the sequence words out of step: the channel
	 * answers nothing more, and the caller must open a new one. */
	if (ch->broken)
		return ch->broken;
	/* Reset or dead while we were idle: the channel may be another
	 * caller's by now, so do not publish into it. */
	if (vmrpc_ctl_generation(&c->ctl) != ch->generation) {
		ch->broken = -VMRPC_ERESET;
		return ch->broken;
	}
	st = vmrpc_ctl_state(&c->ctl);
	if (st != ch->live_state) {
		ch->broken = st == VMRPC_CHAN_DEAD ? -VMRPC_EPEERDIED : -VMRPC_ERESET;
		return ch->broken;
	}
	c->req.iface_slot = iface_slot;
	c->req.method = method;
	c->req.args_len = args_len;
	c->req.flags = flags;
	sync_store_release(&c->req.req_seq, seq);
	ch->seq = seq;
	sync_fence();
	ch->woke_callee = sync_load(&c->rep.callee_waiting) != 0;
	if (ch->woke_callee)
		region_wake_callee(ch->region, ch->index, &c->req.req_seq);
	return 0;
}

/* A handled signal interrupted our wait: ask the host side to interrupt
 * the callee's system call too, as if the call were ours (it answers
 * -EINTR, or its result if it finished first). Asked again while no reply
 * comes: the signal may have reached the callee just before it blocked. A
 * guest callee (guest-sourced calls) cannot be interrupted: we wait. */
static void chan_cancel(struct vmrpc_chan *ch, uint32_t seq)
{
	if (ch->gsrc)
		return;
	sync_store_release(&ch->hdr->req.cancel_seq, seq);
	region_ring(ch->region, VMRPC_DOORBELL_CANCEL, ch->index, ch->nonce, 0);
}

/* Wait for the reply to the request last published. */
static int64_t chan_wait_reply(struct vmrpc_chan *ch)
{
	struct vmrpc_chan_hdr *c = ch->hdr;
	uint32_t seq = ch->seq, r;
	bool woke = ch->woke_callee, cancelled = false;
	uint64_t start = sync_now_ns(), budget, backoff = 0, wait_ns, now;
	int err, slept;

	/* Spin: the reply usually comes within a cache-line round trip or two.
	 * A callee we had to wake answers only after its wake-up: spin the
	 * full budget to cover that, and do not count running out of it as a
	 * miss. Otherwise each side's wake-up outlasts the other's shrunken
	 * budget, both stay at the floor and every call pays two wake-ups. */
	budget = woke ? ch->spin.max_ns : ch->spin.cur_ns;
	if (budget) {
		for (unsigned n = 1;; n++) {
			r = sync_load_acquire(&c->rep.rep_seq);
			if (r == seq) {
				spin_hit(&ch->spin);
				return chan_reply(c);
			}
			if (r != seq - 1) {
				err = -VMRPC_ECORRUPT;
				goto fail;
			}
			sync_cpu_relax();
			if (n % 64 == 0 && sync_now_ns() - start > budget)
				break;
		}
		if (!woke)
			spin_miss(&ch->spin);
	}

	/* Sleep: announce it, then re-check (pairs with the callee's fence
	 * between storing rep_seq and loading caller_waiting). We skipped the
	 * wake-up because callee_waiting said the callee spins; but that word
	 * is shared, and whoever can write it (another caller on loopback, any
	 * guest process in a VM) could have held it at 0 while the callee
	 * slept. Wake it once now: a system call only on the way to sleep, so
	 * no word anybody writes can stall this call for longer than our spin. */
	if (!woke)
		region_wake_callee(ch->region, ch->index, &c->req.req_seq);
	sync_store(&c->req.caller_waiting, 1);
	for (;;) {
		sync_fence();
		r = sync_load_acquire(&c->rep.rep_seq);
		if (r == seq)
			break;
		if (r != seq - 1) {
			err = -VMRPC_ECORRUPT;
			goto fail;
		}
		err = chan_check_words(ch, seq);
		if (err < 0)
			goto fail;
		wait_ns = cancelled ? CHAN_CANCEL_AGAIN_NS : CHAN_LIVENESS_NS;
		if (ch->timeout_ns) {
			now = sync_now_ns();
			if (now - start >= ch->timeout_ns) {
				err = -VMRPC_ETIMEDOUT;
				goto fail;
			}
			if (ch->timeout_ns - (now - start) < wait_ns)
				wait_ns = ch->timeout_ns - (now - start);
		}
		slept = region_wait(ch->region, &c->rep.rep_seq, r, wait_ns, &backoff);
		if (slept == -EINTR || (cancelled && slept == -ETIMEDOUT)) {
			cancelled = true;
			chan_cancel(ch, seq);
		}
		if (slept == -ETIMEDOUT && sync_load_acquire(&c->rep.rep_seq) != seq) {
			err = ch->region->transport->check_callee(ch);
			if (err < 0)
				goto fail;
		}
	}
	sync_store(&c->req.caller_waiting, 0);
	return chan_reply(c);
fail:
	sync_store(&c->req.caller_waiting, 0);
	/* Out-of-step words are usually a symptom: prefer the cause. */
	if (err == -VMRPC_ECORRUPT) {
		int why = chan_check_alive(ch, seq);
		if (why < 0 && why != -VMRPC_ECORRUPT)
			err = why;
	}
	ch->broken = err;
	return err;
}

int64_t chan_call(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
		  uint32_t args_len)
{
	int err = chan_publish(ch, iface_slot, method, args_len, 0);

	return err < 0 ? err : chan_wait_reply(ch);
}

int chan_send(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
	      uint32_t args_len)
{
	int err = chan_publish(ch, iface_slot, method, args_len, VMRPC_REQ_ONEWAY);

	if (err < 0)
		return err;
	ch->oneway_pending = true;
	return 0;
}

int chan_start(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method, uint32_t args_len)
{
	int err = chan_publish(ch, iface_slot, method, args_len, 0);

	if (err == 0)
		ch->started = true;
	return err;
}

int chan_reply_ready(struct vmrpc_chan *ch)
{
	struct vmrpc_chan_hdr *c = ch->hdr;
	const struct region_transport *t = ch->region->transport;
	uint32_t r;
	int err;

	if (!ch->started)
		return -EINVAL;
	/* Clear the descriptor first, then announce that we wait and look
	 * (pairs with the callee's fence between rep_seq and caller_waiting):
	 * a reply after this look raises the descriptor again. */
	if (t->poll_drain)
		t->poll_drain(ch->region, ch->index);
	sync_store(&c->req.caller_waiting, 1);
	sync_fence();
	r = sync_load_acquire(&c->rep.rep_seq);
	if (r == ch->seq)
		return 1;
	if (r != ch->seq - 1) {
		/* Out of step: finishing finds out why, and ends the call. */
		int64_t st = chan_finish(ch);
		return st < 0 ? (int)st : -VMRPC_ECORRUPT;
	}
	err = chan_check_words(ch, ch->seq);
	if (err < 0) {
		sync_store(&c->req.caller_waiting, 0);
		ch->broken = err;
		ch->started = false;
		return err;
	}
	return 0;
}

int64_t chan_finish(struct vmrpc_chan *ch)
{
	if (!ch->started)
		return -EINVAL;
	ch->started = false;
	if (ch->region->transport->poll_drain)
		ch->region->transport->poll_drain(ch->region, ch->index);
	/* Ready may have announced a wait; the wait below announces its own
	 * if it sleeps, and a reply found spinning must not leave the callee
	 * waking us after every later call. */
	sync_store(&ch->hdr->req.caller_waiting, 0);
	return chan_wait_reply(ch);
}

VMRPC_API int vmrpc_chan_poll_fd(struct vmrpc_chan *ch)
{
	const struct region_transport *t = ch->region->transport;

	return t->poll_fd ? t->poll_fd(ch->region, ch->index) : -EOPNOTSUPP;
}

int chan_drain(struct vmrpc_chan *ch)
{
	if (ch->started)
		return -EBUSY; /* a split-phase call holds the channel until finished */
	if (ch->oneway_pending) {
		ch->oneway_pending = false;
		/* The oneway method's own result is nobody's business; a
		 * transport error breaks the channel and is reported. */
		chan_wait_reply(ch);
	}
	return ch->broken;
}

/* ---- buffers kept in the arena ------------------------------------------ */

#define CHAN_BUF_ALIGN 64u

uint64_t chan_buf_off(const struct vmrpc_chan *ch, const void *p, uint64_t len)
{
	const uint8_t *q = p;
	uint64_t off;

	if (q < (const uint8_t *)region_off_to_ptr(&ch->arena, ch->user_lo) ||
	    q >= (const uint8_t *)region_off_to_ptr(&ch->arena, ch->arena.end))
		return 0;
	off = region_ptr_to_off(&ch->arena, p);
	for (size_t i = 0; i < ch->n_bufs; i++) {
		uint64_t b = ch->bufs[i].off;

		if (off >= b && off - b <= ch->bufs[i].len && len <= ch->bufs[i].len - (off - b))
			return off;
	}
	return 0;
}

VMRPC_API int vmrpc_chan_buf_alloc(struct vmrpc_chan *ch, size_t len, void **ret_ptr)
{
	uint64_t need = ((uint64_t)len + CHAN_BUF_ALIGN - 1) & ~(uint64_t)(CHAN_BUF_ALIGN - 1);
	size_t i;

	if (len == 0 || len > ch->arena.end - ch->arena.start)
		return -EINVAL;
	if (ch->n_bufs == ch->cap_bufs) {
		size_t cap = ch->cap_bufs ? ch->cap_bufs * 2 : 8;
		struct chan_buf *b = realloc(ch->bufs, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		ch->bufs = b;
		ch->cap_bufs = cap;
	}
	/* Highest gap first (bufs are sorted by offset): keep the kept
	 * buffers packed at the top and the calls' space below them large. */
	for (i = ch->n_bufs + 1; i-- > 0;) {
		uint64_t hi = i == ch->n_bufs ? ch->arena.end : ch->bufs[i].off;
		uint64_t lo = i == 0 ? ch->arena.start : ch->bufs[i - 1].off + ch->bufs[i - 1].len;
		uint64_t off;

		if (hi - lo < need)
			continue;
		off = (hi - need) & ~(uint64_t)(CHAN_BUF_ALIGN - 1);
		if (off < lo)
			continue;
		memmove(&ch->bufs[i + 1], &ch->bufs[i], (ch->n_bufs - i) * sizeof(*ch->bufs));
		ch->bufs[i] = (struct chan_buf){ .off = off, .len = need };
		ch->n_bufs++;
		ch->user_lo = ch->bufs[0].off;
		*ret_ptr = region_off_to_ptr(&ch->arena, off);
		return 0;
	}
	return -VMRPC_E2BIG;
}

VMRPC_API void vmrpc_chan_buf_free(struct vmrpc_chan *ch, void *ptr)
{
	uint64_t off;

	if (!ptr)
		return;
	off = region_ptr_to_off(&ch->arena, ptr);
	for (size_t i = 0; i < ch->n_bufs; i++) {
		if (ch->bufs[i].off != off)
			continue;
		memmove(&ch->bufs[i], &ch->bufs[i + 1], (ch->n_bufs - i - 1) * sizeof(*ch->bufs));
		ch->n_bufs--;
		ch->user_lo = ch->n_bufs ? ch->bufs[0].off : ch->arena.end;
		return;
	}
}
