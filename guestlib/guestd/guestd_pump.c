/* SPDX-License-Identifier: MIT */
/*
 * A command's output to its host caller (exec_read, exec_wait) and the
 * caller's input to it (exec_write). A read waits for output, the command's
 * exit, the channel's cancel or its own deadline, whichever comes first, and
 * reads straight into the caller's arena slot; exec_wait discards what
 * nobody reads.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "guestd_exec.h"
#include "log.h"

/* Read what one of the outputs has, taking turns: > 0 bytes (and the
 * stream), 0 when neither had anything; an output at EOF is closed. */
static int64_t gx_read_some(struct gx_sess *s, void *buf, uint64_t count, int32_t *stream)
{
	for (int k = 0; k < 2; k++) {
		int which = (s->first + k) % 2;
		int *fd = which == 0 ? &s->out_fd : &s->err_fd;
		ssize_t n;

		if (*fd < 0)
			continue;
		n = read(*fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count);
		if (n > 0) {
			*stream = which == 0 ? GUESTEXEC_STREAM_STDOUT : GUESTEXEC_STREAM_STDERR;
			s->first = !which;
			return n;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(*fd);
			*fd = -1;
		}
	}
	return 0;
}

/* Wait until an output is readable, the command exits, the channel is
 * cancelled or end_ns (0: never) passes: 0, -ECANCELED or -ETIMEDOUT. */
static int gx_poll(struct gx_sess *s, struct gx_chan *gc, uint64_t end_ns)
{
	struct pollfd p[4];
	int n = 0, timeout = -1;
	uint64_t now = gx_now_ns(), until = end_ns;
	pthread_mutex_t *lock = &gc->gx->sessions.lock;

	pthread_mutex_lock(lock);
	gx_sess_check_deadline_locked(s, now);
	if (s->deadline_ns && !s->timed_out && (!until || s->deadline_ns < until))
		until = s->deadline_ns;
	pthread_mutex_unlock(lock);
	if (end_ns && now >= end_ns)
		return -ETIMEDOUT;
	if (until)
		timeout = (int)((until - now + 999999) / 1000000);
	p[n++] = (struct pollfd){ .fd = gc->cancel_fd, .events = POLLIN };
	if (s->out_fd >= 0)
		p[n++] = (struct pollfd){ .fd = s->out_fd, .events = POLLIN };
	if (s->err_fd >= 0)
		p[n++] = (struct pollfd){ .fd = s->err_fd, .events = POLLIN };
	if (!s->exited)
		p[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
	if (poll(p, (nfds_t)n, timeout) < 0 && errno != EINTR)
		return -errno;
	return p[0].revents ? -ECANCELED : 0;
}

/* Read (or discard) output until there is some, or the command is done. */
static int64_t gx_pump(struct gx_sess *s, struct gx_chan *gc, void *buf, uint64_t count,
		       int32_t wait_ms, int32_t *stream, struct guestexec_exec_status *st)
{
	uint64_t end = wait_ms >= 0 ? gx_now_ns() + (uint64_t)wait_ms * 1000000u : 0;
	pthread_mutex_t *lock = &gc->gx->sessions.lock;
	char scratch[65536];
	int64_t n;
	int err;

	if (end == 0 && wait_ms >= 0)
		end = 1;
	for (;;) {
		n = gx_read_some(s, buf ? buf : scratch, buf ? count : sizeof(scratch), stream);
		if (n > 0 && buf)
			return n;
		if (n > 0)
			continue;
		pthread_mutex_lock(lock);
		gx_sess_reap_locked(s);
		if (s->exited && s->out_fd < 0 && s->err_fd < 0) {
			gx_sess_fill_status(s, st);
			s->gone = true;
			pthread_mutex_unlock(lock);
			log_info("channel %u: command '%s' (pid %d) %s %d%s", gc->index, s->name,
				 s->pid, st->signal ? "killed by signal" : "exited with status",
				 st->signal ? st->signal : st->code,
				 st->timed_out ? " (timed out)" : "");
			return 0;
		}
		pthread_mutex_unlock(lock);
		err = gx_poll(s, gc, end);
		if (err < 0)
			return err;
	}
}

int64_t gx_exec_read(void *ctx, uint64_t handle, void *buf, uint64_t count, int32_t wait_ms,
		     int32_t *stream, struct guestexec_exec_status *st)
{
	struct gx_chan *gc = ctx;
	struct gx_sessions *sessions = &gc->gx->sessions;
	struct gx_sess *s;
	int64_t ret;

	if (count == 0)
		return -EINVAL;
	s = gx_sess_get(sessions, handle);
	if (!s)
		return -ESRCH;
	ret = gx_sess_take(sessions, &s->reading);
	if (ret == 0) {
		*stream = 0;
		memset(st, 0, sizeof(*st));
		ret = gx_pump(s, gc, buf, count, wait_ms, stream, st);
		gx_sess_drop(sessions, &s->reading);
	}
	gx_sess_put(sessions, s);
	return ret;
}

int32_t gx_exec_wait(void *ctx, uint64_t handle, int32_t wait_ms,
		     struct guestexec_exec_status *st)
{
	struct gx_chan *gc = ctx;
	struct gx_sessions *sessions = &gc->gx->sessions;
	struct gx_sess *s = gx_sess_get(sessions, handle);
	int32_t stream;
	int64_t ret;

	if (!s)
		return -ESRCH;
	ret = gx_sess_take(sessions, &s->reading);
	if (ret == 0) {
		memset(st, 0, sizeof(*st));
		ret = gx_pump(s, gc, NULL, 0, wait_ms, &stream, st);
		gx_sess_drop(sessions, &s->reading);
	}
	gx_sess_put(sessions, s);
	return (int32_t)ret;
}

int64_t gx_exec_write(void *ctx, uint64_t handle, const void *buf, uint64_t count)
{
	struct gx_chan *gc = ctx;
	struct gx_sessions *sessions = &gc->gx->sessions;
	struct gx_sess *s = gx_sess_get(sessions, handle);
	uint64_t done = 0;
	int64_t ret = 0;

	if (!s)
		return -ESRCH;
	if (gx_sess_take(sessions, &s->writing) < 0) {
		gx_sess_put(sessions, s);
		return -EBUSY;
	}
	if (s->in_fd < 0) {
		ret = -EPIPE; /* no stdin pipe, or closed */
	} else if (count == 0) {
		close(s->in_fd);
		s->in_fd = -1;
	} else {
		while (done < count) {
			struct pollfd p[2] = { { .fd = s->in_fd, .events = POLLOUT },
					       { .fd = gc->cancel_fd, .events = POLLIN } };
			ssize_t n = write(s->in_fd, (const char *)buf + done, count - done);

			if (n > 0) {
				done += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				ret = -errno;
				break;
			}
			if (poll(p, 2, -1) > 0 && p[1].revents) {
				ret = -ECANCELED;
				break;
			}
		}
		if (done)
			ret = (int64_t)done;
	}
	gx_sess_drop(sessions, &s->writing);
	gx_sess_put(sessions, s);
	return ret;
}
