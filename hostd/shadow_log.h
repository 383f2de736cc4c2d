/* SPDX-License-Identifier: MIT */
/* A shadow's stderr, read by hostd from the shadow's own pipe: each line
 * goes to hostd's log attributed to the channel (a shadow, or a guest that
 * took one over, cannot write hostd's log directly or forge its lines), and
 * rate-limited so that a chatty shadow cannot flood it. */
#ifndef HOSTD_SHADOW_LOG_H
#define HOSTD_SHADOW_LOG_H

#include <stddef.h>
#include <stdint.h>

#define SHADOW_LOG_LINE_MAX 400

struct shadow_log {
	char part[SHADOW_LOG_LINE_MAX]; /* a line not ended yet */
	size_t part_len;
	char last[SHADOW_LOG_LINE_MAX]; /* the last line, for a refusal's reason */
	uint32_t tokens;                /* lines it may still log now */
	uint64_t refill_ms;             /* when tokens were last refilled */
	uint32_t dropped;               /* lines not logged since the last one */
};

void shadow_log_init(struct shadow_log *l);
/* Read what fd holds and log its lines as "PREFIX: line". At end, whatever
 * is left of a line is logged too. Returns 1 at end of file, else 0. */
int shadow_log_pump(struct shadow_log *l, int fd, const char *prefix);
/* The last line the shadow wrote, or "" */
const char *shadow_log_last(const struct shadow_log *l);

#endif /* HOSTD_SHADOW_LOG_H */
