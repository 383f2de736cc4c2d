/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "shadow_log.h"

/* A burst of 20 lines, then 5 a second. */
#define SHADOW_LOG_BURST 20u
#define SHADOW_LOG_PER_S 5u

static uint64_t shadow_log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void shadow_log_init(struct shadow_log *l)
{
	memset(l, 0, sizeof(*l));
	l->tokens = SHADOW_LOG_BURST;
	l->refill_ms = shadow_log_now_ms();
}

static void shadow_log_line(struct shadow_log *l, const char *prefix)
{
	uint64_t now = shadow_log_now_ms(), add = (now - l->refill_ms) * SHADOW_LOG_PER_S / 1000;

	l->part[l->part_len] = '\0';
	/* Control characters could fake line breaks or terminal escapes. */
	for (size_t i = 0; i < l->part_len; i++)
		if ((unsigned char)l->part[i] < 0x20 || l->part[i] == 0x7f)
			l->part[i] = '?';
	memcpy(l->last, l->part, l->part_len + 1);
	l->part_len = 0;
	if (add) {
		l->tokens = l->tokens + add > SHADOW_LOG_BURST ? SHADOW_LOG_BURST
							       : l->tokens + (uint32_t)add;
		l->refill_ms = now;
	}
	if (!l->tokens) {
		l->dropped++;
		return;
	}
	l->tokens--;
	if (l->dropped)
		log_warn("%s: (%u lines dropped: it writes too much)", prefix, l->dropped);
	l->dropped = 0;
	log_warn("%s: %s", prefix, l->last);
}

int shadow_log_pump(struct shadow_log *l, int fd, const char *prefix)
{
	char buf[1024];
	ssize_t n;

	/* Bounded per wake-up: the poll fires again if more is there. */
	for (int round = 0; round < 16; round++) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		if (n == 0) {
			if (l->part_len)
				shadow_log_line(l, prefix);
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				shadow_log_line(l, prefix);
				continue;
			}
			/* A line longer than we keep is cut into several. */
			if (l->part_len == sizeof(l->part) - 1)
				shadow_log_line(l, prefix);
			l->part[l->part_len++] = buf[i];
		}
	}
	return 0;
}

const char *shadow_log_last(const struct shadow_log *l)
{
	return l->last;
}
