/* SPDX-License-Identifier: MIT */
/* The commands' sessions: guestd_session.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestd_session.h"
#include "log.h"

uint64_t gx_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gx_sessions_init(struct gx_sessions *t)
{
	*t = (struct gx_sessions){ .lock = PTHREAD_MUTEX_INITIALIZER };
}

void gx_sess_reap_locked(struct gx_sess *s)
{
	siginfo_t si = { 0 };

	if (s->exited)
		return;
	if (waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid) {
		s->si = si;
		s->exited = true;
	}
}

static void gx_sess_free(struct gx_sess *s)
{
	siginfo_t si;

	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->err_fd >= 0)
		close(s->err_fd);
	if (s->in_fd >= 0)
		close(s->in_fd);
	if (!s->exited) {
		/* Not reaped, so the group still exists: nobody else has it. */
		kill(-s->pid, SIGKILL);
		waitid(P_PIDFD, (id_t)s->pidfd, &si, WEXITED);
	}
	close(s->pidfd);
	free(s);
}

/* Under t->lock: unlink s if it is gone and unused; returns it to free. */
static struct gx_sess *gx_sess_unlink_locked(struct gx_sessions *t, struct gx_sess *s)
{
	struct gx_sess **pp;

	if (!s->gone || s->refs)
		return NULL;
	for (pp = &t->list; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			t->count--;
			return s;
		}
	}
	return NULL;
}

struct gx_sess *gx_sess_get(struct gx_sessions *t, uint64_t handle)
{
	struct gx_sess *s;

	pthread_mutex_lock(&t->lock);
	for (s = t->list; s; s = s->next)
		if (s->handle == handle && !s->gone)
			break;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&t->lock);
	return s;
}

void gx_sess_put(struct gx_sessions *t, struct gx_sess *s)
{
	struct gx_sess *dead;

	pthread_mutex_lock(&t->lock);
	s->refs--;
	dead = gx_sess_unlink_locked(t, s);
	pthread_mutex_unlock(&t->lock);
	if (dead)
		gx_sess_free(dead);
}

int gx_sess_take(struct gx_sessions *t, bool *role)
{
	int err = 0;

	pthread_mutex_lock(&t->lock);
	if (*role)
		err = -EBUSY;
	else
		*role = true;
	pthread_mutex_unlock(&t->lock);
	return err;
}

void gx_sess_drop(struct gx_sessions *t, bool *role)
{
	pthread_mutex_lock(&t->lock);
	*role = false;
	pthread_mutex_unlock(&t->lock);
}

void gx_sess_fill_status(const struct gx_sess *s, struct guestexec_exec_status *st)
{
	memset(st, 0, sizeof(*st));
	st->exited = true;
	st->timed_out = s->timed_out;
	if (s->si.si_code == CLD_EXITED) {
		st->code = s->si.si_status;
	} else {
		st->code = -1;
		st->signal = s->si.si_status;
	}
}

void gx_sess_check_deadline_locked(struct gx_sess *s, uint64_t now)
{
	if (s->deadline_ns && now >= s->deadline_ns && !s->exited && !s->timed_out) {
		kill(-s->pid, SIGKILL);
		s->timed_out = true;
		log_info("command '%s' (pid %d) timed out: killed", s->name, s->pid);
	}
}

int gx_sessions_enforce_timeouts(struct gx_sessions *t)
{
	uint64_t now = gx_now_ns(), next = 0;

	pthread_mutex_lock(&t->lock);
	for (struct gx_sess *s = t->list; s; s = s->next) {
		gx_sess_check_deadline_locked(s, now);
		if (s->deadline_ns && !s->timed_out && !s->exited &&
		    (!next || s->deadline_ns < next))
			next = s->deadline_ns;
	}
	pthread_mutex_unlock(&t->lock);
	return next ? (int)((next - now) / 1000000u + 1) : -1;
}

int gx_sessions_reserve(struct gx_sessions *t, unsigned max, unsigned *ret_count)
{
	int err = 0;

	pthread_mutex_lock(&t->lock);
	if (t->count >= max) {
		*ret_count = t->count;
		err = -EAGAIN;
	} else {
		t->count++;
	}
	pthread_mutex_unlock(&t->lock);
	return err;
}

void gx_sessions_unreserve(struct gx_sessions *t)
{
	pthread_mutex_lock(&t->lock);
	t->count--;
	pthread_mutex_unlock(&t->lock);
}

void gx_sessions_add(struct gx_sessions *t, struct gx_sess *s)
{
	pthread_mutex_lock(&t->lock);
	s->next = t->list;
	t->list = s;
	pthread_mutex_unlock(&t->lock);
}

void gx_sessions_kill(struct gx_sessions *t, bool all, uint32_t owner)
{
	struct gx_sess *s, *next, *dead = NULL;

	pthread_mutex_lock(&t->lock);
	for (s = t->list; s; s = s->next) {
		if (s->gone || (!all && s->owner != owner))
			continue;
		s->gone = true;
		if (!s->exited)
			kill(-s->pid, SIGKILL);
		log_info("command '%s' (pid %d) killed: %s", s->name, s->pid,
			 all ? "guestd stops" : "its host caller is gone");
	}
	for (s = t->list; s; s = next) {
		next = s->next;
		if (gx_sess_unlink_locked(t, s)) {
			s->next = dead;
			dead = s;
		}
	}
	pthread_mutex_unlock(&t->lock);
	for (; dead; dead = next) {
		next = dead->next;
		gx_sess_free(dead);
	}
}
