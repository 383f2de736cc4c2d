/* SPDX-License-Identifier: MIT */
/* Daemon logging: one line per event on stderr, which systemd's journal
 * captures; priorities use sd-daemon's "<N>" prefixes when under systemd. */
#ifndef VMRPC_DAEMON_LOG_H
#define VMRPC_DAEMON_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

void log_init(const char *prog, int verbose);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* VMRPC_DAEMON_LOG_H */
