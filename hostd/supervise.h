/* SPDX-License-Identifier: MIT */
/* Serving a configuration file: one hostd process per VM, so that nothing
 * one VM's guest can do to its hostd reaches another VM, under a supervisor
 * (hostd's main process) that speaks for them all to systemd (notify.h)
 * and rereads the file on SIGHUP: new VMs start, removed VMs drain, and
 * the others apply what changed in their sections themselves. */
#ifndef HOSTD_SUPERVISE_H
#define HOSTD_SUPERVISE_H

#include "config.h"

/* Serve every VM of cfg (loaded from cfg's path) until SIGTERM or SIGINT,
 * or until every VM's process is gone. cfg becomes the supervisor's.
 * Returns a process exit status: 0 when every VM's process exited 0. */
int supervise(struct config *cfg, const char *path, const char *shadow_exe, int verbose);

#endif /* HOSTD_SUPERVISE_H */
