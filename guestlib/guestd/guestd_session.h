/* SPDX-License-Identifier: MIT */
/*
 * The commands guestd runs for host callers, as sessions in one table found
 * by a random 64-bit handle, so that a host program may read a command's
 * output on one channel while it writes its stdin or kills it on another.
 * A session belongs to the channel that started it and dies with it (its
 * process group is killed). Every session is reference-counted: a call
 * holds a reference while it uses the session's descriptors, and the last
 * reference closes them.
 */
#ifndef GUESTD_SESSION_H
#define GUESTD_SESSION_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guestexec_callee.h"

struct gx_sess {
	struct gx_sess *next;
	uint64_t handle;
	uint32_t owner;       /* the channel that started it */
	pid_t pid;            /* also its process group: it runs in a new session */
	int pidfd;
	int out_fd, err_fd, in_fd; /* our pipe ends, -1 once closed */
	uint64_t deadline_ns; /* 0: no timeout */
	siginfo_t si;         /* once exited */
	bool exited;          /* reaped: pid and group may be reused, never signal them */
	bool timed_out;
	bool gone;            /* no longer found by its handle */
	bool reading, writing;
	int refs;
	int first;            /* stream to look at first: take turns */
	char name[64];        /* for the log */
};

/* The table. lock guards it and every session's flags (exited, timed_out,
 * gone, reading, writing, refs), never a blocking call. */
struct gx_sessions {
	pthread_mutex_t lock;
	struct gx_sess *list;
	unsigned count;       /* sessions, and starts under way (gx_sessions_reserve) */
};

uint64_t gx_now_ns(void);

void gx_sessions_init(struct gx_sessions *t);
/* Count a command about to start against max: -EAGAIN (and the count in
 * *ret_count) when max already run. gx_sessions_add() or _unreserve() follows. */
int gx_sessions_reserve(struct gx_sessions *t, unsigned max, unsigned *ret_count);
void gx_sessions_unreserve(struct gx_sessions *t);
/* A started command, reserved before: now found by its handle. */
void gx_sessions_add(struct gx_sessions *t, struct gx_sess *s);
/* Kill the commands a channel started (all: every command, guestd stops) and
 * forget them: their handles die with them. */
void gx_sessions_kill(struct gx_sessions *t, bool all, uint32_t owner);
/* Kill commands whose timeout passed, though nobody waits for them; returns
 * the ms until the next timeout (or -1). */
int gx_sessions_enforce_timeouts(struct gx_sessions *t);

/* The session of handle, with a reference, or NULL; gx_sess_put() drops it. */
struct gx_sess *gx_sess_get(struct gx_sessions *t, uint64_t handle);
void gx_sess_put(struct gx_sessions *t, struct gx_sess *s);
/* Take the session's reader (or writer) role: one at a time; -EBUSY. */
int gx_sess_take(struct gx_sessions *t, bool *role);
void gx_sess_drop(struct gx_sessions *t, bool *role);
/* Under t->lock: reap the command if it exited. */
void gx_sess_reap_locked(struct gx_sess *s);
/* Under t->lock: kill a command whose time is up. */
void gx_sess_check_deadline_locked(struct gx_sess *s, uint64_t now);
/* An exited command's status, as exec_read and exec_wait return it. */
void gx_sess_fill_status(const struct gx_sess *s, struct guestexec_exec_status *st);

#endif /* GUESTD_SESSION_H */
