/* SPDX-License-Identifier: MIT */
/*
 * The host context: one per process, attached on first use (or taken up
 * from the previous image after an exec), detached when the process's ids
 * change, and one host call at a time under preload_lock: a process's
 * threads share its shadow as they share its descriptors.
 */
#include <limits.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"
#include "vmrpc/hostcall.h"

pthread_mutex_t preload_lock = PTHREAD_MUTEX_INITIALIZER;
struct vmrpc_host *preload_host; /* attached on first use */
static int preload_attach_err;

/* From $VMRPC_HOST_STATE (an exec'd image): the channel to take up. */
bool preload_adopt;
uint32_t preload_adopt_chan;
uint64_t preload_adopt_nonce;
/* The real ids the process had when its host context was attached: the
 * ones its shadow serves. An exec'd image compares them with its own, in
 * case they changed where no wrapper saw it (a statically linked su). */
uid_t preload_host_uid;
gid_t preload_host_gid;

/* A fresh attach (lock held): as the process's ids are now, into the
 * host working directory it had, if any. */
static void host_attach(void)
{
	int err = preload_ids_ok();

	if (err < 0) {
		errno = -err; /* not sticky: the ids may change back */
		return;
	}
	err = vmrpc_host_attach(NULL, &preload_host);
	if (err < 0) {
		preload_attach_err = err;
		errno = EIO;
		return;
	}
	preload_host_uid = getuid();
	preload_host_gid = getgid();
	fds_hide_region(preload_host, true);
	cwd_take_up();
}

/* An exec'd image takes up the channel its previous image had (lock
 * held), and lets it go at once if the process's ids are no longer the
 * ones its shadow serves. */
static void host_adopt(void)
{
	preload_adopt = false;
	if (vmrpc_host_adopt(NULL, preload_adopt_chan, preload_adopt_nonce, &preload_host) < 0) {
		/* The host descriptors we were given are gone with it. */
		fds_make_stale();
		preload_cwd_host = false;
		return;
	}
	fds_hide_region(preload_host, true);
	if (getuid() != preload_host_uid || getgid() != preload_host_gid || preload_ids_ok() < 0)
		host_ids_changed();
}

/* host_get() without a host context: attach, or take up an exec'd image's
 * channel, unless an attach failed for good before. */
struct vmrpc_host *host_get_attach(void)
{
	if (!preload_host && !preload_attach_err && preload_adopt)
		host_adopt();
	if (!preload_host && !preload_attach_err) {
		host_attach();
		if (!preload_host)
			return NULL;
	}
	if (!preload_host)
		errno = EIO;
	return preload_host;
}

/* Let the host context go (lock held): the region's descriptors are
 * shown again to go with it, and every host descriptor turns stale. */
void host_drop(void)
{
	fds_hide_region(preload_host, false);
	vmrpc_host_detach(preload_host);
	preload_host = NULL;
	fds_make_stale();
}

/* Detach: the channel and the shadow go, every host descriptor turns
 * stale, and the host working directory, if it is one, is to be taken up
 * by the next attach. */
void host_ids_changed(void)
{
	char cwd[PATH_MAX];

	/* An exec'd image's channel not taken up yet is ours to end too. */
	if (!preload_host && preload_adopt)
		host_adopt();
	if (preload_host) {
		if (cwd_in_shadow())
			cwd_leave_shadow(hostfs_getcwd(&preload_host->fs, cwd, sizeof(cwd)), cwd);
		host_drop();
	}
	/* The next attach gets its own attempt, and its own verdict on the
	 * working directory. */
	preload_attach_err = 0;
	preload_cwd_lost = false;
}
